# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Shared by the net_ivshmem driver tests (meson suite "driver"). A test
# sources this file, then calls t_init "$@" with the arguments meson
# passes: the plugin path and the ivshmem-integrity path. The plugin
# "installed" means the one in DPDK's driver directory, which EAL loads by
# itself: the processes get no -d (devtools/tests/test_deb.sh, which sets
# T_INTEG once it has installed the package).
#
# It builds on devtools/testlib.sh, the one vocabulary of the tests
# (t_pass / t_fail / t_skip, t_check / t_expect / t_expected, t_log,
# t_wait_log / t_wait_pid, T_DIR kept only when the test fails, T_PIDS
# killed at exit by pid), and adds what the DPDK processes need: each test
# run's own names (shm files, EAL --file-prefix), removed at exit with
# what the processes left (shm files, DPDK runtime dirs, hugepage files).
# Hugepages are used when enough are free; IVSHMEM_TEST_NO_HUGE=1 forces
# --no-huge (tests that need hugepages then skip, saying so).
#
# Sanitizer builds: meson sets IVSHMEM_TEST_SANITIZE (its b_sanitize) and
# IVSHMEM_TEST_PRELOAD, the sanitizer runtimes (T_PRELOAD), which DPDK
# programs not built here (Debian's dpdk-testpmd, dpdk-proc-info,
# dpdk-dumpcap) need before they load our instrumented plugin. Start them
# with env "${T_DPDK_ENV[@]}" PROGRAM, or env "${T_SECONDARY_ENV[@]}"
# PROGRAM for a secondary process, which adds LeakSanitizer suppressions
# for a leak of DPDK's own in every secondary (lsan-dpdk-secondary.supp);
# both are empty in other builds. Under TSan they also turn that program's
# reports off (see tests/meson.build): TSan checks our programs only, with
# the suppressions in tsan-dpdk.supp. A sanitizer report in any file of the
# run fails the test, even one whose checks all held, and t_fail prints
# every report in full. IVSHMEM_TEST_SKIP, when meson sets it, is why the
# test skips in this build.
#
# DPDK processes (testpmd, ivshmem-integrity) are started by name:
#   tp_start NAME MAIN_LCORE [EAL args] -- [testpmd args]   testpmd -i on a FIFO
#   tp_cmd NAME 'command'                                    send a command
#   tp_show NAME 'command' FILE                              send, output to FILE
#   tp_xstat FILE NAME                                       value of xstat NAME
#   tp_fwd_stat FILE FIELD                                   from 'stop' output
#   tp_wait_link NAME TIMEOUT                                until port 0 link up
#   tp_wait_xstat NAME XSTAT MIN TIMEOUT                     until XSTAT >= MIN
#   tp_quit NAME                                             quit, wait for exit
#   in_start NAME LCORE VDEV [integrity args]                ivshmem-integrity --json
#   in_wait NAME TIMEOUT                                     IN_STATUS=exit status
#   in_pair TAG RX_VDEV TX_VDEV WAIT_RX_LINK TIMEOUT [opts]  rx + tx, both exit 0
#   in_clean NAME [COUNT]                                    rx got COUNT (some), no faults
#   in_wait_received NAME MIN TIMEOUT                        rx (--progress) got MIN
#   in_link_ms NAME up|down N                                when its N-th link change came
# and the usual pair of testpmd:
#   tp_txrx TAG RX_VDEV TX_VDEV MIN XSTATS [args] [-- tx args [-- rx args]]

# shellcheck source=devtools/testlib.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/../../../../devtools/testlib.sh"

T_TESTPMD=/usr/bin/dpdk-testpmd
T_HUGE_PAGES_NEEDED=384		# 2 MiB pages free for hugepage mode
T_TESTS_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
T_SANITIZE=${IVSHMEM_TEST_SANITIZE:-none}
T_PRELOAD=${IVSHMEM_TEST_PRELOAD:-}
T_DPDK_ENV=()
T_SECONDARY_ENV=()
T_PLUGIN_ARGS=()	# -d PLUGIN, or nothing for the installed one
if [[ ,$T_SANITIZE, == *,thread,* ]]; then
    export TSAN_OPTIONS=${TSAN_OPTIONS:+$TSAN_OPTIONS:}suppressions=$T_TESTS_DIR/tsan-dpdk.supp
fi
if [[ -n $T_PRELOAD ]]; then
    T_DPDK_ENV=("LD_PRELOAD=$T_PRELOAD")
    if [[ ,$T_SANITIZE, == *,thread,* ]]; then
        T_DPDK_ENV+=("TSAN_OPTIONS=$TSAN_OPTIONS:report_bugs=0")
    fi
    # shellcheck disable=SC2034 # for the tests that start secondaries
    T_SECONDARY_ENV=("${T_DPDK_ENV[@]}"
        "LSAN_OPTIONS=${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$T_TESTS_DIR/lsan-dpdk-secondary.supp")
fi
declare -A TP_FD TP_PID TP_LOG TP_MARK IN_PID

# What starts and ends a report of ASan, LSan, UBSan or TSan; with
# print_summary=1 (the default) every report ends with the SUMMARY line.
T_SAN_START='^==[0-9]+==ERROR: [A-Za-z]+Sanitizer|^WARNING: ThreadSanitizer:|: runtime error: '
T_SAN_END='^SUMMARY: [A-Za-z]+Sanitizer'

# t_san_reports FILE: every sanitizer report in FILE, whole (the tail of a
# log that t_fail prints would show only an ASan report's shadow bytes).
t_san_reports() {
    awk -v f="$1" -v start="$T_SAN_START" -v end="$T_SAN_END" '
        $0 ~ start && !on { printf "----- %s: sanitizer report -----\n", f; on = 1 }
        on { print }
        $0 ~ end { on = 0 }' "$1"
}

# On a failure (t_on_fail), before the log tails: every report of the run.
t_san_print() {
    local f
    for f in "$T_DIR"/*; do
        [[ -f $f && -s $f ]] || continue
        t_san_reports "$f"
    done
}

# On a pass (t_on_pass): no report in any file of the run, or the test fails.
t_san_check() {
    local f bad=()
    for f in "$T_DIR"/*; do
        [[ -f $f ]] || continue
        grep -qaE "$T_SAN_START|$T_SAN_END" "$f" && bad+=("$f")
    done
    (( ${#bad[@]} == 0 )) || t_fail "sanitizer report(s) in ${bad[*]}"
}

# At exit, once the processes are gone: the testpmd FIFOs closed, and every
# shm file and EAL prefix of this run, which carry the tag, removed.
t_driver_cleanup() {
    local fd
    for fd in "${TP_FD[@]}"; do
        exec {fd}>&- 2>/dev/null || true
    done
    if [[ -n ${T_TAG:-} ]]; then
        rm -f -- /dev/shm/"$T_TAG"-*
        rm -rf -- /var/run/dpdk/"$T_TAG"-*
        rm -f -- /dev/hugepages/"$T_TAG"-*
    fi
}

# t_init PLUGIN INTEGRITY: checks what every test needs (skips loudly when
# it is missing), picks hugepages or --no-huge, sets the traps.
t_init() {
    local free
    T_PLUGIN=${1:-}
    T_INTEG=${2:-}
    [[ -n $T_PLUGIN && -n $T_INTEG ]] || t_fail "usage: $0 PLUGIN.so|installed ivshmem-integrity"
    if [[ $T_PLUGIN == installed ]]; then
        T_PLUGIN_ARGS=()
    else
        [[ -f $T_PLUGIN ]] || t_fail "plugin $T_PLUGIN not built"
        [[ -x $T_INTEG ]] || t_fail "$T_INTEG not built"
        T_PLUGIN_ARGS=(-d "$T_PLUGIN")
    fi
    [[ -z ${IVSHMEM_TEST_SKIP:-} ]] || t_skip "$IVSHMEM_TEST_SKIP"
    (( EUID == 0 )) || t_skip "needs root (DPDK processes, /dev/shm, hugepages)"
    [[ -x $T_TESTPMD ]] || t_skip "$T_TESTPMD missing: apt-get install dpdk (devtools/setup.sh does)"
    [[ -x $T_PYTHON ]] || t_skip "$T_PYTHON missing: apt-get install python3"
    [[ -d /dev/shm && -w /dev/shm ]] || t_skip "/dev/shm is not writable"
    T_TAG=iv$$			# names of shm files and EAL prefixes start with it
    t_setup
    t_at_exit t_driver_cleanup
    t_on_fail t_san_print
    t_on_pass t_san_check
    free=$(awk '/^HugePages_Free:/ { print $2 }' /proc/meminfo)
    if [[ ${IVSHMEM_TEST_NO_HUGE:-0} == 1 ]]; then
        T_HUGE=0
        T_EAL_MEM=(--no-huge -m 512)
        t_log "WARNING: IVSHMEM_TEST_NO_HUGE=1: running with --no-huge"
    elif awk '$2 == "/dev/hugepages" && $3 == "hugetlbfs" { f = 1 } END { exit !f }' /proc/mounts &&
            (( ${free:-0} >= T_HUGE_PAGES_NEEDED )); then
        T_HUGE=1
        # Unlinked at once: a process killed -9 leaves no hugepage file.
        T_EAL_MEM=(--huge-unlink)
    else
        T_HUGE=0
        T_EAL_MEM=(--no-huge -m 512)
        t_log "WARNING: ${free:-0} free 2 MiB hugepages (< $T_HUGE_PAGES_NEEDED) or no hugetlbfs on /dev/hugepages: running with --no-huge"
    fi
    t_log "plugin $T_PLUGIN; logs in $T_DIR; $([[ $T_HUGE == 1 ]] && echo hugepages || echo --no-huge)"
}

# t_init_server PLUGIN INTEGRITY SERVER PROBE: t_init, and SERVER and PROBE
# set to the ivshmem-server and ivshmem-probe a test of the server takes
# as its third and fourth arguments.
t_init_server() {
    t_init "$1" "$2"
    SERVER=${3:-}
    PROBE=${4:-}
    [[ -x $SERVER ]] || t_fail "ivshmem-server not built: $SERVER"
    [[ -x $PROBE ]] || t_fail "ivshmem-probe not built: $PROBE"
}

# A shm file name for this run, not yet existing (removed at exit, as is
# everything named after T_TAG).
t_shm() {
    local p=/dev/shm/$T_TAG-$1
    rm -f -- "$p"
    printf '%s\n' "$p"
}

# The EAL --file-prefix for process NAME of this run (its runtime dir and
# hugepage files are removed at exit).
t_prefix() {
    printf '%s\n' "$T_TAG-$1"
}

# ---- testpmd ------------------------------------------------------------------

# tp_start NAME MAIN_LCORE [EAL args] -- [testpmd args]: interactive
# testpmd reading commands from a FIFO, output in $T_DIR/NAME.log; returns
# once it prompts. Its forwarding lcore is the one of 0,1 not MAIN_LCORE.
tp_start() {
    local name=$1 main=$2 fifo log fd end eal=()
    shift 2
    while (( $# )) && [[ $1 != -- ]]; do eal+=("$1"); shift; done
    (( $# )) && shift
    fifo=$T_DIR/$name.in
    log=$T_DIR/$name.log
    mkfifo "$fifo"
    exec {fd}<>"$fifo"
    # stdbuf: testpmd's printf output must reach the log as it happens.
    env "${T_DPDK_ENV[@]}" stdbuf -oL -eL "$T_TESTPMD" -l 0,1 --main-lcore "$main" --no-pci \
        --file-prefix "$(t_prefix "$name")" "${T_PLUGIN_ARGS[@]}" "${T_EAL_MEM[@]}" \
        --log-level='pmd.net.ivshmem.*:info' "${eal[@]}" \
        -- -i --disable-link-check --total-num-mbufs=16384 "$@" \
        < "$fifo" > "$log" 2>&1 {fd}>&- &
    TP_PID[$name]=$!
    T_PIDS+=("$!")
    TP_FD[$name]=$fd
    TP_LOG[$name]=$log
    TP_MARK[$name]=0
    # A testpmd that dies at start (a refused option, a sanitizer report in
    # the probe) fails the test at once, not after the 60 s.
    end=$(( $(t_now_ms) + 60000 ))
    until grep -q '^testpmd> ' "$log"; do
        kill -0 "${TP_PID[$name]}" 2>/dev/null || t_fail "testpmd $name exited during start"
        (( $(t_now_ms) < end )) || t_fail "testpmd $name did not prompt within 60 s"
        sleep 0.05
    done
    t_log "testpmd $name: pid ${TP_PID[$name]}, main lcore $main, log $log"
}

# tp_stacks NAME: every thread's stack of testpmd NAME, into the test's
# output (with gdb, which setup.sh installs), to say where it hangs.
tp_stacks() {
    local pid=${TP_PID[$1]}
    if ! command -v gdb > /dev/null; then
        t_log "gdb not installed: no stacks of testpmd $1"
    elif kill -0 "$pid" 2>/dev/null; then
        t_log "testpmd $1 (pid $pid): the stack of every thread"
        timeout 60 gdb -p "$pid" -batch -ex 'thread apply all bt' 2>&1 |
            grep -E '^(Thread|#)' || true
    else
        t_log "testpmd $1 (pid $pid) has exited"
    fi
}

tp_cmd() {
    local name=$1
    shift
    printf '%s\n' "$*" >&"${TP_FD[$name]}"
}

# tp_show NAME COMMAND FILE: writes what COMMAND printed (up to the next
# prompt) to FILE. (Not a $(...) helper: t_fail must end the test.)
tp_show() {
    local name=$1 cmd=$2 out=$3 mark log
    mark=$(( ++TP_MARK[$name] ))
    log=${TP_LOG[$name]}
    tp_cmd "$name" "$cmd"
    # A comment line: testpmd echoes it after the command's output. The
    # echo follows the prompt, or starts a line when a driver log or an
    # event was printed after the prompt.
    tp_cmd "$name" "#mark-$mark"
    if ! t_wait_log "$log" "(^|testpmd> )#mark-$mark"$'\r?$' 30; then
        tp_stacks "$name"
        t_fail "testpmd $name did not answer '$cmd' within 30 s"
    fi
    awk -v cmd="$cmd" -v mark="#mark-$mark" '
        function is(line, s) { return line == s || substr(line, length(line) - length(s) - 8) == "testpmd> " s }
        { sub(/\r$/, "") }
        is($0, cmd) { buf = ""; on = 1; next }
        is($0, mark) { printf "%s", buf; exit }
        on { buf = buf $0 "\n" }' "$log" > "$out"
}

# tp_xstat FILE NAME: the value of xstat NAME in a 'show port xstats' dump
# (the first one: ethdev repeats some per-queue counters).
tp_xstat() {
    awk -v n="$2" '$1 == n ":" { print $2; f = 1; exit } END { if (!f) print "missing" }' "$1"
}

# tp_fwd_stat FILE FIELD: FIELD (e.g. TX-dropped) of port 0 in the
# "Forward statistics" block that 'stop' printed into FILE.
tp_fwd_stat() {
    awk -v f="$2" '/Forward statistics for port 0/ { on = 1 }
        on { for (i = 1; i < NF; i++) if ($i == f ":") { print $(i + 1); exit } }' "$1"
}

# tp_wait_link NAME TIMEOUT_S: until port 0 of testpmd NAME has link up.
tp_wait_link() {
    local name=$1 end out=$T_DIR/$1.portinfo
    end=$(( $(t_now_ms) + $2 * 1000 ))
    while :; do
        tp_show "$name" "show port info 0" "$out"
        grep -q 'Link status: up' "$out" && return 0
        (( $(t_now_ms) >= end )) && t_fail "testpmd $name: link of port 0 still down after $2 s"
        sleep 0.1
    done
}

# tp_wait_xstat NAME XSTAT MIN TIMEOUT_S: until xstat XSTAT of port 0 of
# testpmd NAME reaches MIN (a count, never a rate: slow machines just
# take longer). Fails at the timeout.
tp_wait_xstat() {
    local name=$1 x=$2 min=$3 end v out=$T_DIR/$1.progress
    end=$(( $(t_now_ms) + $4 * 1000 ))
    while :; do
        tp_show "$name" "show port xstats 0" "$out"
        v=$(tp_xstat "$out" "$x")
        [[ $v =~ ^[0-9]+$ ]] && (( v >= min )) && return 0
        (( $(t_now_ms) >= end )) && t_fail "testpmd $name: $x is $v after $4 s, expected at least $min"
        sleep 0.5
    done
}

# tp_quit NAME: quit (ports close: a sender drains), wait for the exit.
tp_quit() {
    local name=$1 fd=${TP_FD[$1]}
    tp_cmd "$name" quit
    exec {fd}>&-
    unset "TP_FD[$name]"
    t_wait_pid "${TP_PID[$name]}" 30 || t_fail "testpmd $name did not quit within 30 s"
    (( T_STATUS == 0 )) || t_fail "testpmd $name exited with status $T_STATUS"
    grep -q 'Bye' "${TP_LOG[$name]}" || t_fail "testpmd $name did not say Bye"
}

# tp_txrx TAG RX_VDEV TX_VDEV MIN XSTATS [testpmd args for both]
#         [-- args for the sender [-- args for the receiver]]:
# testpmd TAG-rx (rxonly, main lcore 0, on RX_VDEV) and TAG-tx (txonly,
# main lcore 1, on TX_VDEV), forwarding until each of the comma-separated
# XSTATS reached MIN (the receiver's, or the sender's when written
# tx:NAME): a count, never a time. Then the sender stops (its 'stop' output in
# $T_DIR/TAG-tx.stop), its xstats go to TAG-tx.xstats, it quits (and
# drains); then the receiver's xstats go to TAG-rx.xstats and it quits.
tp_txrx() {
    local tag=$1 rx_vdev=$2 tx_vdev=$3 min=$4 x both=() txa=() rxa=()
    local -a wait
    IFS=, read -r -a wait <<< "$5"
    shift 5
    while (( $# )) && [[ $1 != -- ]]; do both+=("$1"); shift; done
    (( $# )) && shift
    while (( $# )) && [[ $1 != -- ]]; do txa+=("$1"); shift; done
    (( $# )) && shift
    rxa=("$@")
    tp_start "$tag-rx" 0 --vdev "$rx_vdev" -- --forward-mode=rxonly "${both[@]}" "${rxa[@]}"
    tp_start "$tag-tx" 1 --vdev "$tx_vdev" -- --forward-mode=txonly "${both[@]}" "${txa[@]}"
    tp_cmd "$tag-rx" start
    tp_wait_link "$tag-tx" 10
    tp_cmd "$tag-tx" start
    for x in "${wait[@]}"; do
        if [[ $x == tx:* ]]; then
            tp_wait_xstat "$tag-tx" "${x#tx:}" "$min" 60
        else
            tp_wait_xstat "$tag-rx" "$x" "$min" 60
        fi
    done
    tp_show "$tag-tx" stop "$T_DIR/$tag-tx.stop"
    tp_show "$tag-tx" "show port xstats 0" "$T_DIR/$tag-tx.xstats"
    tp_quit "$tag-tx"
    tp_show "$tag-rx" "show port xstats 0" "$T_DIR/$tag-rx.xstats"
    tp_show "$tag-rx" stop "$T_DIR/$tag-rx.stop"
    tp_quit "$tag-rx"
}

# ---- ivshmem-integrity --------------------------------------------------------

# in_start NAME LCORE VDEV [integrity options]: runs ivshmem-integrity
# with --json; stdout (the JSON) in $T_DIR/NAME.json, the rest in NAME.log.
in_start() {
    local name=$1 lcore=$2 vdev=$3
    shift 3
    "$T_INTEG" -l "$lcore" --no-pci --file-prefix "$(t_prefix "$name")" \
        "${T_PLUGIN_ARGS[@]}" "${T_EAL_MEM[@]}" --log-level='pmd.net.ivshmem.*:info' \
        --vdev "$vdev" -- --json "$@" \
        > "$T_DIR/$name.json" 2> "$T_DIR/$name.log" &
    IN_PID[$name]=$!
    T_PIDS+=("$!")
}

# in_wait NAME TIMEOUT_S: sets IN_STATUS to its exit status; fails the
# test when it is still running at the timeout.
in_wait() {
    t_wait_pid "${IN_PID[$1]}" "$2" ||
        t_fail "ivshmem-integrity $1 still running after $2 s"
    IN_STATUS=$T_STATUS
}

# in_pair TAG RX_VDEV TX_VDEV WAIT_RX_LINK TIMEOUT_S [options for both]:
# integrity rx TAG-rx (lcore 1), then tx TAG-tx (lcore 0, --wait-link 30),
# both with the options given and --timeout TIMEOUT_S; with WAIT_RX_LINK=1
# tx starts only once rx has link (rx's peer is not tx, e.g. testpmd in
# between). Checks that both exit 0; prints their summaries.
in_pair() {
    local tag=$1 rx_vdev=$2 tx_vdev=$3 wait_rx=$4 timeout=$5
    shift 5
    in_start "$tag-rx" 1 "$rx_vdev" --role rx --timeout "$timeout" --progress 10 "$@"
    if (( wait_rx )); then
        t_wait_log "$T_DIR/$tag-rx.log" '^link up at' 30 ||
            t_fail "$tag-rx: link not up within 30 s"
    fi
    in_start "$tag-tx" 0 "$tx_vdev" --role tx --timeout "$timeout" --wait-link 30 "$@"
    in_wait "$tag-tx" $((timeout + 30))
    t_log "$(in_summary "$tag-tx")"
    t_check "$IN_STATUS == 0" "$tag-tx exited 0"
    in_wait "$tag-rx" 60
    t_log "$(in_summary "$tag-rx")"
    t_check "$IN_STATUS == 0" "$tag-rx exited 0"
}

# in_clean NAME [COUNT]: integrity rx NAME received exactly COUNT frames
# (without COUNT: some), none lost, reordered, corrupt, of a replaced
# stamp, extra, foreign or on a queue other than the one it was sent on.
in_clean() {
    local v n j=$T_DIR/$1.json
    n=$(t_json "$j" 'j["received"]')
    if [[ -n ${2:-} ]]; then
        t_check "$n == $2" "$1 received exactly $2"
    else
        t_check "$n -gt 0" "$1 received $n frames"
    fi
    for v in lost reordered corrupt stale extra foreign wrong_queue; do
        t_check "$(t_json "$j" "j['$v']") == 0" "$1: $v = 0"
    done
}

# in_progress NAME WORD: the number after WORD in the last progress line of
# integrity run NAME (run with --progress): "received", "woken", "out"
# (timed out), "down-timeouts" ...; 0 before the first.
in_progress() {
    [[ -f $T_DIR/$1.log ]] || { echo 0; return; }
    awk -v w="$2" '$1 == "progress:" { for (i = 1; i < NF; i++) if ($i == w) n = $(i + 1) }
        END { print n + 0 }' "$T_DIR/$1.log"
}

# shellcheck disable=SC2317 # called by t_wait_for
in_progress_ge() { (( $(in_progress "$1" "$2") >= $3 )); }

# in_received NAME: the frames integrity rx NAME had received at its last
# progress line.
in_received() { in_progress "$1" received; }

# shellcheck disable=SC2317 # called by t_wait_for
in_received_ge() { in_progress_ge "$1" received "$2"; }

# t_in_epoll PID: the main thread of process PID is blocked in epoll_wait
# (its system call, as the kernel shows it); t_epoll_known says whether
# this machine's call numbers are known here.
t_epoll_known() { [[ $(uname -m) == x86_64 || $(uname -m) == aarch64 ]]; }
# shellcheck disable=SC2317 # called by t_wait_for
t_in_epoll() {
    local nr
    { read -r nr _ < "/proc/$1/syscall"; } 2>/dev/null || return 1
    case $(uname -m) in
        x86_64) [[ $nr == 232 || $nr == 281 ]] ;;  # epoll_wait, epoll_pwait
        aarch64) [[ $nr == 22 ]] ;;                # epoll_pwait
        *) return 1 ;;
    esac
}

# in_wait_received NAME MIN TIMEOUT_S: until integrity rx NAME has received
# MIN frames (a count, never a time); fails the test at the timeout.
in_wait_received() {
    t_wait_for "$3" in_received_ge "$1" "$2" ||
        t_fail "$1 received $(in_received "$1") frames in $3 s, expected at least $2"
}

# in_wait_up NAME N TIMEOUT_S: until integrity run NAME has seen its link
# come up N times. A receiver gets frames before it sees its peer running
# (its driver learns that at its next control step, the sender at once),
# so a test that kills the sender to watch the receiver's link go down
# waits for this first; fails the test at the timeout.
in_wait_up() {
    t_wait_log "$T_DIR/$1.log" '^link up at' "$3" "$2" ||
        t_fail "$1 saw its link come up $(grep -c '^link up at' "$T_DIR/$1.log") times in $3 s, expected $2"
}

# in_summary NAME: the human summary line of a finished integrity run.
in_summary() {
    grep -E '^(rx|tx) summary:' "$T_DIR/$1.log" | tail -n 1
}

# in_link_ms NAME up|down N: the CLOCK_REALTIME ms of the N-th "link up"
# (or "link down") line of integrity run NAME; nothing before there is one.
in_link_ms() {
    awk -v s="$2" -v n="$3" '$1 == "link" && $2 == s && ++k == n { print $7; exit }' "$T_DIR/$1.log"
}
