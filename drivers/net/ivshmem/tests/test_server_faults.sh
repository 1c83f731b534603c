#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The server under faults, with two server= ports (ivshmem-integrity,
# polling) exchanging verified frames through it the whole time. After
# each step both ports still run, neither link ever went down, and the
# receiver's and the sender's counts grew by MOVED frames since the step.
#  1. Hostile clients: 5 bursts of 100 that connect and vanish; 50 that
#     send garbage (each is hung up on); 40 that connect and never read,
#     among which a well-behaved newcomer is welcomed, sees both ports,
#     and cannot shrink or grow the memory (sealed).
#  2. The server out of file descriptors (its RLIMIT_NOFILE lowered with
#     prlimit): at 3, below every fd it holds, a pending client makes it
#     log once and wait, not spin, and it recovers (spare fd included) when
#     the limit is restored; at a few above its highest fd, clients
#     connect until one is refused, a newcomer is then refused too (at
#     once, not left hanging), and once they have gone a newcomer is
#     welcomed under the same limit.
#  3. The server killed with SIGKILL, with a paused QEMU ivshmem-doorbell
#     guest connected (when qemu-system-x86_64 is installed): the ports
#     notice the hang-up and keep exchanging frames (their memory and
#     eventfds are their own); QEMU stays up. A server started on the same
#     socket is a new one: a newcomer gets ID 0, no peers and a new memory
#     region, and the ports hear nothing of it (doc/ivshmem-server.md,
#     "Lifecycle").
# At the end the sender stops and the receiver has verified every frame.
#
# Usage: test_server_faults.sh PLUGIN.so ivshmem-integrity ivshmem-server ivshmem-probe
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
t_init_server "$@"
command -v prlimit > /dev/null || t_skip "prlimit missing (apt-get install util-linux)"
QEMU=${QEMU:-qemu-system-x86_64}

SOCK=$T_DIR/ivshmem.sock
SRV_ARGS=(-F -S "$SOCK" -l 16M -n 2 -p 64)
MOVED=20000

# start_server LOG: the server on SOCK, SERVER_PID
start_server() {
    "$SERVER" "${SRV_ARGS[@]}" > "$T_DIR/$1" 2>&1 &
    SERVER_PID=$!
    T_PIDS+=("$SERVER_PID")
    t_wait_log "$T_DIR/$1" 'listening on' 10 || t_fail "server did not start ($1)"
}

# srv_count REGEX: lines of the (first) server's log matching REGEX
srv_count() { grep -cE -- "$1" "$T_DIR/server.log" || true; }
# shellcheck disable=SC2317 # called by t_wait_for
srv_count_ge() { (( $(srv_count "$1") >= $2 )); }

# tx_sent: what the sender had sent at its last progress line
tx_sent() {
    awk '$1 == "progress:" { for (i = 1; i < NF; i++) if ($i == "sent") n = $(i + 1) + 0 }
        END { print n + 0 }' "$T_DIR/tx.log"
}
# shellcheck disable=SC2317 # called by t_wait_for
moved_since() { (( $(in_received rx) >= $1 + MOVED && $(tx_sent) >= $2 + MOVED )); }

# moving STEP: both ports still run with their link up, and frames move
# (rx's and tx's counts both grow by MOVED).
moving() {
    local r0 t0 p
    r0=$(in_received rx)
    t0=$(tx_sent)
    t_wait_for 30 moved_since "$r0" "$t0" ||
        t_fail "$1: frames stopped: rx received $r0, then $(in_received rx); tx sent $t0, then $(tx_sent) (30 s)"
    for p in rx tx; do
        kill -0 "${IN_PID[$p]}" 2>/dev/null || t_fail "$1: $p exited"
        if grep -q '^link down at' "$T_DIR/$p.log"; then
            t_fail "$1: $p's link went down ($(grep -m1 '^link down at' "$T_DIR/$p.log"))"
        fi
        if [[ -z ${SERVER_KILLED:-} ]] && grep -q 'peer tracking stop' "$T_DIR/$p.log"; then
            t_fail "$1: $p stopped following the server: $(grep -m1 'peer tracking stop' "$T_DIR/$p.log")"
        fi
    done
    t_ok "$1: frames still move (rx received $r0, then $(in_received rx); tx sent $t0, then $(tx_sent)); both links up"
}

# newcomer NAME COMMANDS: a well-behaved client runs COMMANDS (one a
# line) and quits; its output in $T_DIR/NAME.out; status of the probe.
newcomer() {
    printf '%s\nquit\n' "$2" | "$PROBE" client "$SOCK" 2 > "$T_DIR/$1.out" 2>&1
}

# memfd_ino PID: the inode of the server's memory as process PID maps it
memfd_ino() {
    awk '/\/memfd:ivshmem-server/ { print $5; exit }' "/proc/$1/maps"
}

start_server server.log
VDEV="net_ivshmem0,server=$SOCK"
in_start rx 1 "$VDEV" --role rx --count 0 --timeout 400 --idle 3 --progress 0.2
t_wait_log "$T_DIR/rx.log" 'server=.*we are peer' 20 || t_fail "rx did not join the server"
in_start tx 0 "$VDEV" --role tx --count 0 --timeout 360 --wait-link 30 --progress 0.2
t_wait_log "$T_DIR/tx.log" 'server=.*we are peer' 20 || t_fail "tx did not join the server"
t_wait_log "$T_DIR/rx.log" 'first frame' 30 || t_fail "no frame reached rx"
RX_ID=$(sed -nE 's/.*server=.*we are peer ([0-9]+),.*/\1/p' "$T_DIR/rx.log" | head -n 1)
TX_ID=$(sed -nE 's/.*server=.*we are peer ([0-9]+),.*/\1/p' "$T_DIR/tx.log" | head -n 1)
t_log "rx is peer $RX_ID, tx is peer $TX_ID"
moving "two ports joined"
step_ms=$(t_now_ms)

# ---- 1. hostile clients
gone0=$(srv_count 'peer [0-9]+ (disconnected|dropped)')
for i in 1 2 3 4 5; do
    "$PROBE" raw "$SOCK" vanish 0 100 || t_fail "burst $i of 100 vanishing clients: the probe failed"
done
t_wait_for 30 srv_count_ge 'peer [0-9]+ (disconnected|dropped)' $((gone0 + 500)) ||
    t_fail "the server saw $(( $(srv_count 'peer [0-9]+ (disconnected|dropped)') - gone0 )) of 500 vanishing clients go (30 s)"
moving "5 bursts of 100 clients that connected and vanished"

out=$("$PROBE" raw "$SOCK" garbage 0 50) || t_fail "garbage clients: the probe failed: $out"
t_check "\"$out\" == 'garbage: 50 of 50 hung up'" "50 clients that wrote garbage were hung up on ($out)"
t_check "$(srv_count 'dropped: it sent data') -ge 50" "the server logged why it dropped them"
moving "50 clients that sent garbage"

conn0=$(srv_count 'peer [0-9]+ connected')
"$PROBE" raw "$SOCK" hold 600000 40 > "$T_DIR/hold.out" 2>&1 &
HOLD_PID=$!
T_PIDS+=("$HOLD_PID")
t_wait_for 30 srv_count_ge 'peer [0-9]+ connected' $((conn0 + 40)) ||
    t_fail "the server accepted $(( $(srv_count 'peer [0-9]+ connected') - conn0 )) of 40 holding clients (30 s)"
newcomer new1 $'peers\nseals\ntruncate\ngrow\nino' || t_fail "a newcomer among 40 holding clients was not welcomed: $(cat "$T_DIR/new1.out")"
read -r -a PEERS < <(grep '^peers' "$T_DIR/new1.out")
t_check "${#PEERS[@]} -eq 43" "the newcomer among them is listed 42 peers (${PEERS[*]})"
[[ " ${PEERS[*]} " == *" $RX_ID "* && " ${PEERS[*]} " == *" $TX_ID "* ]] ||
    t_fail "the newcomer was not listed both ports ($RX_ID, $TX_ID): ${PEERS[*]}"
t_ok "... among them both ports ($RX_ID, $TX_ID)"
t_check "\"\$(grep '^truncate' \"\$T_DIR/new1.out\")\" == 'truncate Operation not permitted'" \
    "its ftruncate(fd, 0) is refused (sealed)"
t_check "\"\$(grep '^grow' \"\$T_DIR/new1.out\")\" == 'grow Operation not permitted'" \
    "its ftruncate(fd, 2 * size) is refused (sealed)"
INO1=$(sed -n 's/^ino //p' "$T_DIR/new1.out")
RX_INO=$(memfd_ino "${IN_PID[rx]}")
t_check "-n \"$INO1\" && \"$INO1\" == \"$RX_INO\"" "the newcomer got the memory rx maps (inode $INO1)"
moving "40 clients that never read, a newcomer that tried to resize the memory"
kill -TERM "$HOLD_PID"
t_wait_pid "$HOLD_PID" 10 || t_fail "the holding clients did not go"
moving "40 holding clients gone"
t_log "step 1 (hostile clients): $(( $(t_now_ms) - step_ms )) ms"
step_ms=$(t_now_ms)

# ---- 2. the server out of file descriptors
# 2a. A limit below every fd it holds (3): not even its spare fd can take a
# pending client. It logs that once and stops watching its listener for
# 100 ms at a time instead of spinning on it (before: a warning per turn
# of its loop, the spare lost for good); with the limit restored it takes
# the client, and its spare back.
SOFT0=$(prlimit --pid "$SERVER_PID" --nofile --raw --noheadings --output SOFT)
nulls() { find "/proc/$SERVER_PID/fd" -mindepth 1 -maxdepth 1 -lname /dev/null | wc -l; }
NULLS0=$(nulls)
warn0=$(srv_count 'accept: ')
prlimit --pid "$SERVER_PID" --nofile=3: || t_fail "prlimit --pid $SERVER_PID --nofile=3: failed"
"$PROBE" raw "$SOCK" hold 1000 1 || t_fail "a client could not connect to the server at limit 3"
moving "server with no fd left (RLIMIT_NOFILE 3), a client pending"
warns=$(( $(srv_count 'accept: ') - warn0 ))
t_check "$warns == 1" "the server logged its failing accept once, not at every turn ($warns line(s): $(grep -m1 'accept: ' "$T_DIR/server.log"))"
accepting0=$(srv_count 'accepting clients again')
prlimit --pid "$SERVER_PID" --nofile="$SOFT0:" || t_fail "prlimit: cannot restore the server's limit"
t_wait_for 10 srv_count_ge 'accepting clients again' $((accepting0 + 1)) ||
    t_fail "the server did not accept again within 10 s of its limit restored"
t_check "$(nulls) == $NULLS0" "with its limit restored, the server accepts again and has its spare fd back ($(nulls) fd(s) on /dev/null)"

# 2b. A limit a few fds above what it holds.
top=$(find "/proc/$SERVER_PID/fd" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -n | tail -n 1)
LIMIT=$((top + 1 + 3 * 4))
prlimit --pid "$SERVER_PID" --nofile="$LIMIT:" || t_fail "prlimit --pid $SERVER_PID --nofile=$LIMIT: failed"
t_log "server: highest fd $top; RLIMIT_NOFILE lowered from $SOFT0 to $LIMIT"
refused0=$(srv_count 'refusing client.*(out of file descriptors|Too many open files)')
gone0=$(srv_count 'peer [0-9]+ (disconnected|dropped)')
"$PROBE" raw "$SOCK" fill 600000 200 > "$T_DIR/fill.out" 2>&1 &
FILL_PID=$!
T_PIDS+=("$FILL_PID")
t_wait_log "$T_DIR/fill.out" '^fill: ' 60 || t_fail "the filling clients did not finish connecting (60 s)"
FILL=$(grep '^fill: ' "$T_DIR/fill.out")
[[ $FILL =~ ^fill:\ ([0-9]+)\ accepted,\ refused$ ]] ||
    t_fail "clients connected until the limit, none refused: $FILL"
NFILL=${BASH_REMATCH[1]}
t_ok "out of fds after $NFILL more clients: the next was refused"
moving "server at its fd limit"
if newcomer new2 ''; then
    t_fail "a newcomer was welcomed by a server out of fds: $(cat "$T_DIR/new2.out")"
fi
t_check "\"\$(head -c 6 \"\$T_DIR/new2.out\")\" == 'error '" "a newcomer is refused at once: $(head -n 1 "$T_DIR/new2.out")"
kill -0 "$SERVER_PID" 2>/dev/null || t_fail "the server died at its fd limit"
t_check "$(srv_count 'refusing client.*(out of file descriptors|Too many open files)') -ge $((refused0 + 2))" \
    "the server logged the refusals: $(grep 'refusing client' "$T_DIR/server.log" | sed -E 's/.*refusing client( \(pid [0-9]+, uid [0-9]+\))?: //' | sort | uniq -c | tr -s ' \n' ' ')"
kill -TERM "$FILL_PID"
t_wait_pid "$FILL_PID" 10 || t_fail "the filling clients did not go"
t_wait_for 30 srv_count_ge 'peer [0-9]+ (disconnected|dropped)' $((gone0 + NFILL)) ||
    t_fail "the server saw $(( $(srv_count 'peer [0-9]+ (disconnected|dropped)') - gone0 )) of $NFILL filling clients go (30 s)"
newcomer new3 'peers' || t_fail "once the filling clients left, a newcomer was not welcomed under the same limit: $(cat "$T_DIR/new3.out")"
t_ok "once they left, a newcomer was welcomed under the same limit ($(grep '^peers' "$T_DIR/new3.out"))"
prlimit --pid "$SERVER_PID" --nofile="$SOFT0:" || t_fail "prlimit: cannot restore the server's limit"
moving "fd exhaustion over"
t_log "step 2 (fd exhaustion): $(( $(t_now_ms) - step_ms )) ms"
step_ms=$(t_now_ms)

# ---- 3. the server killed, a new one started on the same socket
QPID=
if command -v "$QEMU" > /dev/null; then
    "$QEMU" -machine q35 -accel tcg -nographic -nodefaults -S -display none \
        -chardev socket,path="$SOCK",id=ivsh \
        -device ivshmem-doorbell,chardev=ivsh,vectors=2 \
        -monitor unix:"$T_DIR/qemu.mon",server=on,wait=off \
        < /dev/null > "$T_DIR/qemu.log" 2>&1 &
    QPID=$!
    T_PIDS+=("$QPID")
    t_wait_log "$T_DIR/server.log" "connected \\(pid $QPID," 30 || t_fail "QEMU did not join the server"
    t_wait_for 20 test -S "$T_DIR/qemu.mon" || t_fail "QEMU's monitor socket did not appear"
    t_wait_for 20 "$PROBE" hmp "$T_DIR/qemu.mon" "info version" > /dev/null ||
        t_fail "QEMU's monitor did not answer"
    t_ok "a paused QEMU ivshmem-doorbell guest joined the server"
else
    t_skip_part "$QEMU not installed: no guest connected when the server dies"
fi
moving "with the guest"
kill -KILL "$SERVER_PID"
t_wait_pid "$SERVER_PID" 10 || t_fail "the server survived SIGKILL"
SERVER_KILLED=1
for p in rx tx; do
    t_wait_log "$T_DIR/$p.log" 'peer tracking stop' 10 ||
        t_fail "$p did not notice the server's death (10 s)"
done
t_ok "both ports noticed: $(grep -m1 'peer tracking stop' "$T_DIR/rx.log" | sed 's/.*: server /server /')"
moving "server killed"
if [[ -n $QPID ]]; then
    kill -0 "$QPID" 2>/dev/null || t_fail "QEMU exited when the server died: $(tail -n 5 "$T_DIR/qemu.log")"
    st=$("$PROBE" hmp "$T_DIR/qemu.mon" "info status") || t_fail "QEMU's monitor stopped answering after the server died"
    t_ok "QEMU is still up, its monitor answers: $(printf '%s' "$st" | tr -d '\r' | grep -m1 'VM status')"
fi
joined0=$(grep -cE 'server: peer [0-9]+ joined' "$T_DIR/rx.log") || joined0=0
start_server server2.log
grep -q "removed stale socket $SOCK" "$T_DIR/server2.log" ||
    t_fail "the new server did not say it took over the dead one's socket"
newcomer new4 $'peers\nino' || t_fail "the restarted server did not welcome a newcomer: $(cat "$T_DIR/new4.out")"
t_check "\"\$(grep '^id' \"\$T_DIR/new4.out\")\" == 'id 0'" "after the restart a newcomer is peer 0 (a new server's first ID)"
t_check "\"\$(grep '^peers' \"\$T_DIR/new4.out\")\" == 'peers'" "... and is listed no peer: the ports joined before are unreachable"
INO4=$(sed -n 's/^ino //p' "$T_DIR/new4.out")
t_check "-n \"$INO4\" && \"$INO4\" != \"$RX_INO\"" "... and gets a new memory region (inode $INO4, the ports map $RX_INO)"
t_check "\"\$(memfd_ino \"\${IN_PID[rx]}\")\" == \"$RX_INO\"" "rx still maps the old region"
moving "server restarted, a newcomer came and went"
t_check "$(grep -cE 'server: peer [0-9]+ joined' "$T_DIR/rx.log") == $joined0" "rx heard nothing of the new server's newcomer"
if [[ -n $QPID ]]; then
    "$PROBE" hmp "$T_DIR/qemu.mon" quit > /dev/null 2>&1 || true
    t_wait_pid "$QPID" 20 || t_fail "QEMU did not quit"
    t_log "QEMU quit with status $T_STATUS"
fi
t_log "step 3 (server killed, restarted): $(( $(t_now_ms) - step_ms )) ms"

# ---- the end: every frame verified
kill -INT "${IN_PID[tx]}"
in_wait tx 30
t_log "$(in_summary tx)"
t_check "$IN_STATUS == 0" "tx exited 0"
in_wait rx 30
t_log "$(in_summary rx)"
t_check "$IN_STATUS == 0" "rx exited 0: every frame verified"
in_clean rx
t_pass "hostile clients, fd exhaustion, the server killed and restarted: the joined ports kept exchanging verified frames ($(t_json "$T_DIR/rx.json" 'j["received"]') received)"
