#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Compare net_ivshmem with net_memif and vhost-user/virtio-user on this
# machine, in one go, with the same tool (ivshmem-bench) and the same
# pinning: the receiving process (rx, pong) on lcore 1, the sending one
# (tx, ping) on lcore 0, each alone on its core (-l 1 / -l 0).
#
#   throughput  tx -> rx, burst 32, for each --sizes, for each transport:
#     ivshmem       net_ivshmem over a shm file (copy mode, polling)
#     ivshmem-zcrx  the same, the receiver with zero_copy=yes (copy TX,
#                   zero-copy RX: the payload is not read)
#     ivshmem-zc    both sides without a copy: the sender builds its frames
#                   in the port's pool TX mempool (--tx-pool), the receiver
#                   has zero_copy=yes; a 128 MiB region for the pool
#     ivshmem-zc-all  ivshmem-zc with rx_copy_break=0 and tx_copy_break=0:
#                   no frame copied, however short (not in the default
#                   list: it measures where the copy breaks belong)
#     testpmd-ivshmem, testpmd-ivshmem-zcrx, testpmd-memif-zc
#                   Debian's dpdk-testpmd on both sides: txonly -> rxonly
#                   over that transport (not in the default list)
#     ivshmem-intr  net_ivshmem over ivshmem-server, receiver in RX interrupt
#                   mode (sizes 64 and 1500 only: doorbells at saturation)
#     memif         net_memif copy (client sends, server receives)
#     memif-zc      net_memif with zero-copy=yes on the sending client
#     vhost         net_virtio_user sends, net_vhost receives
#     testpmd-null  ceiling: dpdk-testpmd txonly into net_null, one core
#     bench-null    ceiling of the tool itself: ivshmem-bench tx into net_null
#   latency     ping -> pong, 1 packet per round, poll mode for every
#               transport, and ivshmem-intr with both sides sleeping
#
# Launches are interleaved, A B C A B C ..., --repeat times; each figure is
# reported as the median and the best launch, with the ratio ours/theirs
# (best vs best, median vs median). Not a test: nothing here passes or
# fails on a number; the targets are reported as met or not.
#
# Usage: devtools/bench-compare.sh [options]
#   --repeat N          launches of every figure (default 3)
#   --duration S        measurement window of each launch (default 3)
#   --warmup S          before the window (default 1)
#   --sizes LIST        frame sizes, comma-separated
#                       (default 64,128,256,512,1024,1500,9000)
#   --transports LIST   throughput transports (default: all above)
#   --latency LIST      latency transports (default ivshmem,ivshmem-intr,
#                       memif,memif-zc,vhost); "none" to skip
#   --build DIR         build directory with the plugin, ivshmem-bench and
#                       ivshmem-server (default build)
#   --out DIR           results (default /tmp/bench-compare.<date>): runs/
#                       (every launch's JSON and log), results.csv (one row
#                       per launch), summary.csv, summary.json, *.dat and
#                       throughput.svg, latency.svg (devtools/bench-plot.gp)
#   --quick             --repeat 1 --duration 2 --warmup 0.5 --sizes 64,1500
#   --quiet PCT         before each launch, wait until the other processes
#                       use at most PCT % of the CPUs (default 10; 100: never
#                       wait), for up to --quiet-wait S (default 300)
#   --max-stall PCT     a launch whose bench process was preempted more than
#                       PCT % of its window (ivshmem-bench counts calls and
#                       gaps > 250 us as stalls) is disturbed: it is moved to
#                       runs/disturbed/ and launched again, up to --retries N
#                       times (default 5 and 2); a launch still disturbed is
#                       kept, flagged, and left out of medians when others
#                       are not
#   --touch             throughput receivers read every byte of every packet
#                       (ivshmem-bench --touch): a zero-copy receiver then
#                       pays for the data as a copying one does
#   --mbuf-size BYTES   data room of every mbuf on both sides of every
#                       ivshmem-bench throughput launch (--mbuf-size; default
#                       2048: larger frames are chains of 2 KiB segments);
#                       testpmd launches size their mbufs to the frame
#   --instructions      instead of the timed runs: instructions per packet
#                       inside the PMD's burst calls (and the receiver's
#                       free of what it received), from callgrind, for
#                       ivshmem, ivshmem-zcrx, ivshmem-zc, memif, memif-zc
#                       and vhost (in --transports)
#                       and --sizes, each side in turn under callgrind while
#                       the other runs at full speed; load-independent.
#                       Writes instructions.csv and a table.
#   -h, --help
#
# This script launches the processes and keeps what each launch wrote in
# runs/; every figure is made from there by devtools/bench_summary.py
# ("bench_summary.py summary OUT" makes them again from an --out directory).
#
# Needs root, 2 free cores for meaningful figures, hugepages, python3,
# dpdk-testpmd; gnuplot for the plots. Every process runs under timeout(1)
# and is killed (by pid) on exit; sockets, shm files and DPDK runtime
# directories of this run are removed.

set -Eeuo pipefail
# shellcheck disable=SC2034 # read by lib.sh
PROG=bench-compare
# shellcheck source=devtools/lib.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

ALL_TPUT=ivshmem,ivshmem-zcrx,ivshmem-zc,ivshmem-intr,memif,memif-zc,vhost,testpmd-null,bench-null
# also accepted by --transports
MORE_TPUT=ivshmem-zc-all,testpmd-ivshmem,testpmd-ivshmem-zcrx,testpmd-memif-zc
ALL_LAT=ivshmem,ivshmem-intr,memif,memif-zc,vhost
INTR_SIZES=" 64 1500 "
REPEAT=3 DURATION=3 WARMUP=1 SIZES=64,128,256,512,1024,1500,9000
QUIET=10 QUIET_WAIT=300 MAX_STALL=5 RETRIES=2 INSTR='' TOUCH='' MBUF='' UNSUPPORTED=''
WRAP=()       # command put before ivshmem-bench (callgrind)
TPUT=$ALL_TPUT LAT=$ALL_LAT BUILD=build OUT=
RX_LCORE=1 TX_LCORE=0
TESTPMD=/usr/bin/dpdk-testpmd
PY=/usr/bin/python3
SUMMARY=$IVSHMEM_ROOT/devtools/bench_summary.py

PIDS=()       # every process started; killed at exit
CLEAN=()      # files and sockets to remove at exit
PREFIXES=()   # EAL file prefixes to clean up at exit
TAG=bc$$
RUN=0         # launch counter: unique names

usage() {
    sed -n '/^# Compare net_ivshmem/,/^# directories of this run/p' "$0" | sed 's/^# \{0,1\}//'
}

# Every child runs under timeout(1) -k 5, which passes TERM on and sends
# KILL 5 s later: a plain wait is bounded.
cleanup() {
    local status=$? p
    trap - EXIT
    (( ${#PIDS[@]} )) && kill -TERM "${PIDS[@]}" 2>/dev/null
    wait
    for p in "${CLEAN[@]}"; do rm -f -- "$p"; done
    for p in "${PREFIXES[@]}"; do
        rm -rf -- "/var/run/dpdk/$p"
        rm -f -- /dev/hugepages/"$p"map_*
    done
    exit "$status"
}

# Forget pids that have exited (the list is walked at exit).
reap() {
    local alive=() pid
    for pid in "${PIDS[@]}"; do
        kill -0 "$pid" 2>/dev/null && alive+=("$pid")
    done
    PIDS=("${alive[@]}")
}

# wait_for_socket PATH PID: until PATH is a socket (5 s); 1 if not, or if
# PID died meanwhile.
wait_for_socket() {
    local i
    for ((i = 0; i < 100; i++)); do
        [[ -S $1 ]] && return 0
        kill -0 "$2" 2>/dev/null || return 1
        sleep 0.05
    done
    return 1
}

# wait_pid PID: waits for it; its status in STATUS (timeout(1) bounds it).
wait_pid() {
    STATUS=0
    wait "$1" || STATUS=$?
}

# Sets A_EAL/B_EAL (EAL arguments of side A, the receiver, and side B, the
# sender), A_OPT/B_OPT (extra bench options) and SOCK/SERVER_PID for
# transport $1. Starts ivshmem-server for ivshmem-intr.
transport_setup() {
    local t=$1 name=$TAG-$RUN
    A_EAL=() B_EAL=() A_OPT=() B_OPT=() SOCK='' SERVER_PID=''
    case $t in
        ivshmem|ivshmem-zcrx|ivshmem-zc|ivshmem-zc-all)
            CLEAN+=("/dev/shm/$name")
            # Under callgrind a side beats its heartbeat late: be patient.
            A_EAL=(-d "$PLUGIN" --vdev "net_ivshmem0,shm=/dev/shm/$name${INSTR:+,peer_timeout_ms=60000}")
            # ivshmem-zc and ivshmem-zc-all, not ivshmem-zcrx (copy TX)
            if [[ $t == ivshmem-zc || $t == ivshmem-zc-all ]]; then
                A_EAL[-1]+=,size=128M
                B_OPT=(--tx-pool)
            fi
            B_EAL=("${A_EAL[@]}")
            if [[ $t != ivshmem ]]; then
                A_EAL[-1]+=,zero_copy=yes
            fi
            if [[ $t == ivshmem-zc-all ]]; then
                A_EAL[-1]+=,rx_copy_break=0
                B_EAL[-1]+=,tx_copy_break=0
            fi
            ;;
        ivshmem-intr)
            SOCK=/tmp/$name.ivsh.sock
            CLEAN+=("$SOCK" "/dev/shm/$name")
            # -n 2: vector 0 for link changes, vector 1 for queue 0
            timeout -k 5 "$LIMIT" "$SERVER" -F -S "$SOCK" -m "/$name" -l 64M -n 2 \
                > "$RUNS/$LABEL-server.log" 2>&1 &
            SERVER_PID=$!
            PIDS+=("$SERVER_PID")
            wait_for_socket "$SOCK" "$SERVER_PID" ||
                { warn "ivshmem-server did not start (see $RUNS/$LABEL-server.log)"; return 1; }
            A_EAL=(-d "$PLUGIN" --vdev "net_ivshmem0,server=$SOCK")
            B_EAL=("${A_EAL[@]}")
            A_OPT=(--rx-mode intr)
            B_OPT=(--rx-mode intr)
            ;;
        memif|memif-zc)
            SOCK=/tmp/$name.memif.sock
            CLEAN+=("$SOCK")
            A_EAL=(--vdev "net_memif0,role=server,socket=$SOCK,socket-abstract=no")
            B_EAL=(--vdev "net_memif0,role=client,socket=$SOCK,socket-abstract=no")
            if [[ $t == memif-zc ]]; then
                B_EAL=(--single-file-segments
                    --vdev "net_memif0,role=client,socket=$SOCK,socket-abstract=no,zero-copy=yes")
            fi
            # memif unmaps its rings when the peer leaves, under a polling
            # lcore: the sender waits, not polling, until the receiver
            # (idle 1 s) has gone.
            B_OPT=(--linger 2.5)
            ;;
        vhost)
            SOCK=/tmp/$name.vhost.sock
            CLEAN+=("$SOCK")
            A_EAL=(--vdev "net_vhost0,iface=$SOCK,queues=1")
            # virtio-user shares its memory with the backend by fd.
            B_EAL=(--single-file-segments --vdev "net_virtio_user0,path=$SOCK,queues=1")
            B_OPT=(--linger 2.5)
            ;;
        *) die "unknown transport $t" ;;
    esac
}

transport_done() {
    if [[ -n ${SERVER_PID:-} ]]; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        wait_pid "$SERVER_PID"
    fi
    reap
}

# bench_start SIDE LCORE EAL... -- OPTS...: ivshmem-bench in the background,
# JSON in $RUNS/$LABEL-SIDE.json; BPID its pid.
bench_start() {
    local side=$1 lcore=$2 prefix=$TAG-$RUN-$1 eal=()
    shift 2
    while (( $# )) && [[ $1 != -- ]]; do eal+=("$1"); shift; done
    shift
    PREFIXES+=("$prefix")
    local mem=(--huge-unlink)
    # virtio-user passes its hugepage fds to the backend: keep the files.
    [[ " ${eal[*]} " == *" --single-file-segments "* ]] && mem=()
    timeout -k 5 "$LIMIT" "${WRAP[@]}" "$BENCH" -l "$lcore" --no-pci --file-prefix "$prefix" \
        "${mem[@]}" "${eal[@]}" -- --json "$@" \
        > "$RUNS/$LABEL-$side.json" 2> "$RUNS/$LABEL-$side.log" &
    BPID=$!
    PIDS+=("$BPID")
}

# One tx -> rx launch of transport $1 with frames of $2 bytes.
run_tput() {
    local t=$1 size=$2 apid bpid
    RUN=$((RUN + 1))
    LABEL=r${REP}_${t}_${size}_tput
    transport_setup "$t" || return 0
    bench_start rx "$RX_LCORE" "${A_EAL[@]}" -- --role rx --size "$size" --burst 32 \
        --duration "$DURATION" --warmup "$WARMUP" --idle 1 "${A_OPT[@]}" \
        ${TOUCH:+--touch} ${MBUF:+--mbuf-size "$MBUF"}
    apid=$BPID
    if [[ $t != ivshmem* ]] && ! wait_for_socket "$SOCK" "$apid" && kill -0 "$apid" 2>/dev/null; then
        warn "$LABEL: the receiver did not create $SOCK within 5 s"
    fi
    bench_start tx "$TX_LCORE" "${B_EAL[@]}" -- --role tx --size "$size" --burst 32 \
        --duration "$DURATION" --warmup "$WARMUP" "${B_OPT[@]}" ${MBUF:+--mbuf-size "$MBUF"}
    bpid=$BPID
    wait_pid "$bpid"; local bst=$STATUS
    wait_pid "$apid"; local ast=$STATUS
    transport_done
    log "$(printf '%-13s %5s B rep %d: %s' "$t" "$size" "$REP" "$(brief "$LABEL" "$ast" "$bst")")"
}

# One ping -> pong launch of transport $1 (64-byte frames).
run_lat() {
    local t=$1 apid bpid
    RUN=$((RUN + 1))
    LABEL=r${REP}_${t}_64_lat
    transport_setup "$t" || return 0
    bench_start pong "$RX_LCORE" "${A_EAL[@]}" -- --role pong --warmup 0 \
        --duration "$(awk -v d="$DURATION" -v w="$WARMUP" 'BEGIN { print d + w + 5 }')" \
        --idle 1 "${A_OPT[@]}"
    apid=$BPID
    if [[ $t != ivshmem* ]] && ! wait_for_socket "$SOCK" "$apid" && kill -0 "$apid" 2>/dev/null; then
        warn "$LABEL: the receiver did not create $SOCK within 5 s"
    fi
    bench_start ping "$TX_LCORE" "${B_EAL[@]}" -- --role ping --duration "$DURATION" \
        --warmup "$WARMUP" "${B_OPT[@]}"
    bpid=$BPID
    wait_pid "$bpid"; local bst=$STATUS
    wait_pid "$apid"; local ast=$STATUS
    transport_done
    log "$(printf '%-13s  ping rep %d: %s' "$t" "$REP" "$(brief "$LABEL" "$ast" "$bst")")"
}

# Instructions per packet of side $3 (rx or tx) of transport $1, frames of
# $2 bytes: that side under callgrind, counting only inside the PMD's burst
# calls (ivshmem-bench's bench_pmd_*_burst) and, on the rx side, the free
# of what they received (bench_rx_free: a zero-copy receiver's free
# callbacks run there), the other at full speed so that the measured
# side's calls nearly all move packets.
run_instr() {
    local t=$1 size=$2 side=$3 apid bpid i
    RUN=$((RUN + 1))
    LABEL=cg_${t}_${size}_${side}
    transport_setup "$t" || return 0
    local cg=(valgrind --tool=callgrind --callgrind-out-file="$RUNS/$LABEL.callgrind"
        --toggle-collect="bench_pmd_${side}_burst")
    # The receiver under callgrind stops 0.1 s after the last frame: its
    # empty polls after the sender stopped would count too (3 s of them
    # added some 20 instructions per packet). At full speed it waits 3 s,
    # the measured sender's pauses being longer.
    local idle=3
    if [[ $side == rx ]]; then
        cg+=(--toggle-collect=bench_rx_free)
        WRAP=("${cg[@]}")
        idle=0.1
    fi
    bench_start rx "$RX_LCORE" "${A_EAL[@]}" -- --role rx --size "$size" --burst 32 \
        --duration 6 --warmup 2 --idle "$idle" --link-timeout 60 "${A_OPT[@]}"
    apid=$BPID
    WRAP=()
    # (60 s: a receiver under callgrind takes its time to create it)
    for ((i = 0; i < 600; i++)); do
        [[ $t == ivshmem* || -S $SOCK ]] && break
        kill -0 "$apid" 2>/dev/null || break
        sleep 0.1
    done
    [[ $side == tx ]] && WRAP=("${cg[@]}")
    # (the transport's options first: the longer --linger wins)
    bench_start tx "$TX_LCORE" "${B_EAL[@]}" -- "${B_OPT[@]}" --role tx --size "$size" \
        --burst 32 --duration 6 --warmup 2 --link-timeout 60 --linger 5
    bpid=$BPID
    WRAP=()
    wait_pid "$bpid"
    wait_pid "$apid"
    transport_done
    log "$(printf '%-9s %5s B %s: %s' "$t" "$size" "$side" "$(instr_line "$LABEL" "$side")")"
}

# Instructions per packet of launch $1, side $2, as one line (and in
# $RUNS/$1.instr.json).
instr_line() {
    "$PY" "$SUMMARY" instr "$RUNS/$1" "$2"
}

# Debian's dpdk-testpmd on both sides of transport ${1#testpmd-}, frames of
# $2 bytes: txonly on the sending core, rxonly on the receiving one, each
# main lcore idle at the prompt on the other core. Rx-pps and Tx-pps of the
# second "show port stats" are the means over the window. The receiver stops
# forwarding first, then the sender quits, then the receiver (net_memif must
# not lose its peer under a polling lcore).
run_testpmd_pair() {
    local t=$1 size=$2 apid bpid rxstop txgone
    RUN=$((RUN + 1))
    LABEL=r${REP}_${t}_${size}_tput
    rxstop=$RUNS/$LABEL.rxstop txgone=$RUNS/$LABEL.txgone
    CLEAN+=("$rxstop" "$txgone")
    transport_setup "${t#testpmd-}" || return 0
    local common=(--no-pci -- -i --auto-start --burst=32 --total-num-mbufs=32768
        --mbuf-size="$((size > 2048 ? size + 256 : 2176))")
    local win
    win=$(awk -v w="$WARMUP" 'BEGIN { print w + 1.5 }')
    {
        sleep "$win"; echo "show port stats 0"
        sleep "$DURATION"; echo "show port stats 0"
        echo stop; touch "$rxstop"
        wait_file "$txgone"
        echo quit
    } | testpmd_start rx "$RX_LCORE" "$TX_LCORE" "${A_EAL[@]}" "${common[@]}" \
        --forward-mode=rxonly &
    apid=$!
    PIDS+=("$apid")
    if [[ $t != testpmd-ivshmem* ]] && ! wait_for_socket "$SOCK" "$apid"; then
        warn "$LABEL: the receiver did not create $SOCK within 5 s"
    fi
    {
        {
            sleep "$win"; echo "show port stats 0"
            sleep "$DURATION"; echo "show port stats 0"
            wait_file "$rxstop"
            echo quit
        } | testpmd_start tx "$TX_LCORE" "$RX_LCORE" "${B_EAL[@]}" "${common[@]}" \
            --forward-mode=txonly --txpkts="$size"
        touch "$txgone"
    } &
    bpid=$!
    PIDS+=("$bpid")
    wait_pid "$bpid"; local bst=$STATUS
    wait_pid "$apid"; local ast=$STATUS
    "$PY" "$SUMMARY" testpmd "$RUNS/$LABEL-rx.log" "$size" --role rx > "$RUNS/$LABEL-rx.json"
    "$PY" "$SUMMARY" testpmd "$RUNS/$LABEL-tx.log" "$size" > "$RUNS/$LABEL-tx.json"
    transport_done
    log "$(printf '%-13s %5s B rep %d: %s' "$t" "$size" "$REP" "$(brief "$LABEL" "$ast" "$bst")")"
}

# wait_file PATH: until PATH exists, at most 60 s (the other side failed).
wait_file() {
    local i
    for ((i = 0; i < 600; i++)); do
        [[ -e $1 ]] && return 0
        sleep 0.1
    done
    return 1
}

# testpmd_start SIDE FWD_LCORE MAIN_LCORE EAL... -- TESTPMD_OPTS...: Debian's
# dpdk-testpmd, commands on stdin, output in $RUNS/$LABEL-SIDE.log.
testpmd_start() {
    local side=$1 fwd=$2 main=$3 prefix=$TAG-$RUN-$1 mem=(--huge-unlink)
    shift 3
    PREFIXES+=("$prefix")
    [[ " $* " == *" --single-file-segments "* ]] && mem=()
    timeout -k 5 "$LIMIT" stdbuf -oL "$TESTPMD" -l "$fwd,$main" --main-lcore "$main" \
        --file-prefix "$prefix" "${mem[@]}" "$@" > "$RUNS/$LABEL-$side.log" 2>&1
}

# Ceilings: one process on the sending core, into net_null.
run_null() {
    local t=$1 size=$2 prefix pid
    RUN=$((RUN + 1))
    LABEL=r${REP}_${t}_${size}_tput
    prefix=$TAG-$RUN-tx
    PREFIXES+=("$prefix")
    if [[ $t == bench-null ]]; then
        bench_start tx "$TX_LCORE" --vdev net_null0 -- --role tx --size "$size" \
            --burst 32 --duration "$DURATION" --warmup "$WARMUP" ${MBUF:+--mbuf-size "$MBUF"}
        pid=$BPID
        wait_pid "$pid"
    else
        # testpmd: forwarding on the sending core, its main lcore idle at
        # the prompt. Tx-pps of the second "show port stats" is the mean
        # over the window.
        {
            sleep "$(awk -v w="$WARMUP" 'BEGIN { print w + 1.5 }')"
            echo "show port stats 0"
            sleep "$DURATION"
            echo "show port stats 0"
            echo quit
        } | timeout -k 5 "$LIMIT" stdbuf -oL "$TESTPMD" -l "$TX_LCORE,$RX_LCORE" \
            --main-lcore "$RX_LCORE" --no-pci --file-prefix "$prefix" --huge-unlink \
            --vdev net_null0 -- -i --forward-mode=txonly --auto-start \
            --txpkts="$size" --burst=32 --total-num-mbufs=32768 \
            --mbuf-size="$((size > 2048 ? size + 256 : 2176))" \
            > "$RUNS/$LABEL-tx.log" 2>&1 &
        pid=$!
        PIDS+=("$pid")
        wait_pid "$pid"
        "$PY" "$SUMMARY" testpmd "$RUNS/$LABEL-tx.log" "$size" > "$RUNS/$LABEL-tx.json"
    fi
    reap
    log "$(printf '%-13s %5s B rep %d: %s' "$t" "$size" "$REP" "$(brief "$LABEL" 0 "$STATUS")")"
}

# Percent of CPU time the machine spent busy (steal included) over 0.5 s.
cpu_busy() {
    local a b
    a=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6 }' /proc/stat)
    sleep 0.5
    b=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6 }' /proc/stat)
    awk -v a="$a" -v b="$b" 'BEGIN { split(a, x); split(b, y)
        db = y[1] - x[1]; di = y[2] - x[2]
        printf "%d\n", (db + di > 0) ? 100 * db / (db + di) : 0 }'
}

# Waits (up to --quiet-wait) until the machine is quiet; BUSY_BEFORE is the
# last reading.
wait_quiet() {
    local end=$((SECONDS + QUIET_WAIT)) said=0
    while :; do
        BUSY_BEFORE=$(cpu_busy)
        (( BUSY_BEFORE <= QUIET )) && return 0
        if (( SECONDS >= end )); then
            log "  machine still ${BUSY_BEFORE}% busy after ${QUIET_WAIT} s: launching anyway"
            return 0
        fi
        if (( !said )); then
            log "  machine ${BUSY_BEFORE}% busy (others' processes): waiting for <= ${QUIET}%"
            said=1
        fi
        sleep 2
    done
}

# The largest share of its window a bench process of launch $1 spent
# preempted, in percent ("" when no JSON says).
stalled() {
    "$PY" "$SUMMARY" stalled "$RUNS/$1"
}

# The cache-line round trip between the two cores right now, in ns (p50),
# or null: on a VM the host moves the vCPUs, and every cross-core figure
# moves with this one (ivshmem-bench --role c2c).
c2c_ns() {
    local prefix=$TAG-c2c	# in PREFIXES since main: this runs in $(...)
    timeout -k 5 30 "$BENCH" -l "$TX_LCORE,$RX_LCORE" --main-lcore "$TX_LCORE" --no-pci \
        --no-huge -m 64 --file-prefix "$prefix" --log-level=lib.eal:error \
        -- --role c2c --count 100000 --json 2>/dev/null | "$PY" "$SUMMARY" c2c
}

# launch FN TRANSPORT [SIZE]: one launch ("FN TRANSPORT SIZE", which sets
# LABEL) on a quiet machine, launched again while it is disturbed. A frame
# size the PMD refused once (MTU, multi-segment) is not launched again.
launch() {
    local fn=$1 t=$2 size=${3:-64} try stall f c2c c2c_after
    if [[ " $UNSUPPORTED " == *" $t/$size "* ]]; then
        return 0
    fi
    for ((try = 0; try <= RETRIES; try++)); do
        wait_quiet
        c2c=$(c2c_ns)
        "$fn" "$t" "$size"
        c2c_after=$(c2c_ns)
        printf '{"cpu_busy_before_pct": %s, "try": %d, "c2c_rtt_ns": %s, "c2c_rtt_ns_after": %s}\n' \
            "$BUSY_BEFORE" "$try" "$c2c" "$c2c_after" > "$RUNS/$LABEL-env.txt"
        if grep -qsE 'needs MTU|no multi-segment TX' "$RUNS/$LABEL"-*.log; then
            UNSUPPORTED+=" $t/$size"
            log "  $t does not take $size-byte frames (see $LABEL-*.log): not launched again"
        fi
        stall=$(stalled "$LABEL")
        if [[ -z $stall ]] || awk -v s="$stall" -v m="$MAX_STALL" 'BEGIN { exit !(s <= m) }'; then
            return 0
        fi
        if (( try == RETRIES )); then
            log "  $LABEL: preempted ${stall}% of its window after $RETRIES retries: kept, flagged disturbed"
            return 0
        fi
        log "  $LABEL: preempted ${stall}% of its window (> ${MAX_STALL}%): disturbed, launched again"
        mkdir -p "$RUNS/disturbed"
        for f in "$RUNS/$LABEL"-*; do
            mv -- "$f" "$RUNS/disturbed/$(basename -- "$f").try$try"
        done
    done
}

# One line about launch $1 (exit statuses of side A, side B).
brief() {
    "$PY" "$SUMMARY" brief "$RUNS/$1" "$2" "$3"
}

machine() {
    local load
    load=$(cut -d' ' -f1-3 /proc/loadavg)
    printf 'nproc=%s; cpu=%s; kernel=%s; dpdk=%s; load average at %s: %s\n' \
        "$(nproc)" "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)" \
        "$(uname -r)" "$(dpkg-query -W -f='${Version}' dpdk 2>/dev/null || echo '?')" \
        "$1" "$load"
}

main() {
    local s t sizes=() tput=() lat=()
    while (( $# )); do
        case $1 in
            --repeat) REPEAT=${2:?}; shift ;;
            --duration) DURATION=${2:?}; shift ;;
            --warmup) WARMUP=${2:?}; shift ;;
            --sizes) SIZES=${2:?}; shift ;;
            --transports) TPUT=${2:?}; shift ;;
            --latency) LAT=${2:?}; shift ;;
            --build) BUILD=${2:?}; shift ;;
            --out) OUT=${2:?}; shift ;;
            --quick) REPEAT=1 DURATION=2 WARMUP=0.5 SIZES=64,1500 ;;
            --quiet) QUIET=${2:?}; shift ;;
            --quiet-wait) QUIET_WAIT=${2:?}; shift ;;
            --max-stall) MAX_STALL=${2:?}; shift ;;
            --retries) RETRIES=${2:?}; shift ;;
            --instructions) INSTR=1 ;;
            --touch) TOUCH=1 ;;
            --mbuf-size) MBUF=${2:?}; shift ;;
            -h|--help) usage; exit 0 ;;
            *) usage >&2; die "unknown argument: $1" ;;
        esac
        shift
    done
    [[ $REPEAT =~ ^[1-9][0-9]*$ ]] || die "--repeat '$REPEAT': a whole number >= 1"
    [[ $DURATION =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "--duration '$DURATION': seconds"
    [[ $WARMUP =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "--warmup '$WARMUP': seconds"
    if ! [[ $QUIET =~ ^[0-9]+$ ]] || (( QUIET > 100 )); then
        die "--quiet '$QUIET': a percentage 0..100"
    fi
    [[ $QUIET_WAIT =~ ^[0-9]+$ ]] || die "--quiet-wait '$QUIET_WAIT': whole seconds"
    [[ $MAX_STALL =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "--max-stall '$MAX_STALL': a percentage"
    [[ $RETRIES =~ ^[0-9]+$ ]] || die "--retries '$RETRIES': a whole number"
    IFS=, read -r -a sizes <<< "$SIZES"
    for s in "${sizes[@]}"; do
        if ! [[ $s =~ ^[0-9]+$ ]] || (( s < 64 || s > 9000 )); then
            die "--sizes: '$s' is not a frame size in 64..9000"
        fi
    done
    IFS=, read -r -a tput <<< "$TPUT"
    for t in "${tput[@]}"; do
        [[ ,$ALL_TPUT,$MORE_TPUT, == *,$t,* ]] || die "--transports: '$t' is not one of $ALL_TPUT,$MORE_TPUT"
    done
    if [[ $LAT != none ]]; then
        IFS=, read -r -a lat <<< "$LAT"
        for t in "${lat[@]}"; do
            [[ ,$ALL_LAT, == *,$t,* ]] || die "--latency: '$t' is not one of $ALL_LAT"
        done
    fi
    (( EUID == 0 )) || die "needs root (DPDK processes, hugepages)"
    [[ -x $PY ]] || die "$PY missing"
    [[ -r $SUMMARY ]] || die "$SUMMARY missing"
    [[ -x $TESTPMD ]] || die "$TESTPMD missing: apt-get install dpdk"
    cd "$IVSHMEM_ROOT"
    PLUGIN=$BUILD/drivers/net/ivshmem/librte_net_ivshmem.so
    BENCH=$BUILD/app/test-ivshmem/ivshmem-bench
    SERVER=$BUILD/app/ivshmem-server/ivshmem-server
    for f in "$PLUGIN" "$BENCH" "$SERVER"; do
        [[ -e $f ]] || die "$f not built: ninja -C $BUILD"
    done
    PLUGIN=$(realpath "$PLUGIN") BENCH=$(realpath "$BENCH") SERVER=$(realpath "$SERVER")
    (( $(nproc) >= 2 )) || { warn "one core: both sides share it; figures mean little"; RX_LCORE=0; }
    # Every launch ends by itself; this only stops a hung one.
    LIMIT=$(awk -v d="$DURATION" -v w="$WARMUP" 'BEGIN { printf "%d", d + w + 60 }')
    OUT=${OUT:-/tmp/bench-compare.$(date +%Y%m%d-%H%M%S)}
    RUNS=$OUT/runs
    mkdir -p "$RUNS"
    OUT=$(realpath "$OUT") RUNS=$(realpath "$RUNS")
    trap cleanup EXIT
    trap 'exit 130' INT TERM
    PREFIXES+=("$TAG-c2c")

    {
        echo "command: $0 --repeat $REPEAT --duration $DURATION --warmup $WARMUP --sizes $SIZES --transports $TPUT --latency $LAT --build $BUILD --quiet $QUIET --max-stall $MAX_STALL --retries $RETRIES${TOUCH:+ --touch}${MBUF:+ --mbuf-size $MBUF}"
        echo "pinning: receiver -l $RX_LCORE, sender -l $TX_LCORE; burst 32; one queue"
        machine start
    } | tee "$OUT/machine.txt"
    if [[ -n $INSTR ]]; then
        command -v valgrind > /dev/null || die "--instructions needs valgrind: apt-get install valgrind"
        # callgrind is some 50 times slower: more time for each launch.
        LIMIT=300
        for s in "${sizes[@]}"; do
            for t in "${tput[@]}"; do
                case $t in ivshmem|ivshmem-zcrx|ivshmem-zc|memif|memif-zc|vhost) ;; *) continue ;; esac
                run_instr "$t" "$s" tx
                run_instr "$t" "$s" rx
            done
        done
        # instructions.csv and a table from the runs/cg_*.instr.json files
        "$PY" "$SUMMARY" instructions "$OUT" | tee "$OUT/instructions.txt"
        return 0
    fi
    for ((REP = 1; REP <= REPEAT; REP++)); do
        log "=== repetition $REP of $REPEAT"
        for s in "${sizes[@]}"; do
            for t in "${tput[@]}"; do
                case $t in
                    ivshmem-intr) [[ $INTR_SIZES == *" $s "* ]] && launch run_tput "$t" "$s" ;;
                    testpmd-null|bench-null) launch run_null "$t" "$s" ;;
                    testpmd-*) launch run_testpmd_pair "$t" "$s" ;;
                    *) launch run_tput "$t" "$s" ;;
                esac
            done
        done
        for t in "${lat[@]}"; do
            launch run_lat "$t"
        done
    done
    machine end | tee -a "$OUT/machine.txt"
    "$PY" "$SUMMARY" summary "$OUT" --repeat "$REPEAT" --max-stall "$MAX_STALL" |
        tee "$OUT/summary.txt"
    if command -v gnuplot > /dev/null; then
        gnuplot -e "dir='$OUT'" "$IVSHMEM_ROOT/devtools/bench-plot.gp" 2> "$OUT/gnuplot.log" ||
            warn "gnuplot failed: see $OUT/gnuplot.log"
    else
        warn "gnuplot not installed: no plots (apt-get install gnuplot-nox)"
    fi
    log "results in $OUT: summary.txt summary.csv summary.json results.csv runs/ and the plots throughput.svg latency.svg"
}

main "$@"
