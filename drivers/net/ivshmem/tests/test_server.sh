#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# net_ivshmem server=<socket>: two host processes on one ivshmem-server.
#  1. Verified traffic (ivshmem-integrity), receiver in RX interrupt mode
#     (it sleeps on its queue's eventfd whenever the ring is empty): every
#     frame checked; doorbells sent and per packet reported.
#  2. Saturation with a polling receiver: the sender finds it awake, so
#     doorbells stay (near) zero: reported per packet, and checked to be
#     fewer than one per 1000 packets.
#  3. A peer that leaves (kill -9): the server's disconnect notice takes the
#     survivor's link down, although its heartbeat timeout is 10 s: the
#     survivor logs the notice, then the link goes down, sooner than the
#     heartbeat timeout could have taken it down.
#  4. A receiver in RX interrupt mode with no peer sleeps: its waits end
#     by their timeout, never by a wake-up of its own (it used to wake
#     itself at once, polling flat out). A receiver asleep with a wait of
#     minutes is woken when a sender joins, and gets every frame.
#
# Usage: test_server.sh PLUGIN.so ivshmem-integrity ivshmem-server
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
t_init "$1" "$2"
SERVER=${3:-}
[[ -x $SERVER ]] || t_fail "ivshmem-server not built: $SERVER"

SOCK=$T_DIR/ivshmem.sock
# The server's default memory: anonymous, sealed (test_trust.sh)
"$SERVER" -F -S "$SOCK" -l 16M -n 2 > "$T_DIR/server.log" 2>&1 &
T_PIDS+=("$!")
t_wait_log "$T_DIR/server.log" 'listening on' 10 || t_fail "server did not start"
VDEV="net_ivshmem0,server=$SOCK"

# intr_run TAG DEVARGS N MIN MAX: an interrupt-mode receiver (extra vdev
# DEVARGS) and a full-speed sender, N verified frames of MIN..MAX bytes;
# sets BELLS (the sender's doorbells) and SLEEPS (the receiver's).
intr_run() {
    local tag=$1 args=$2 n=$3 min=$4 max=$5
    in_start "$tag-rx" 1 "$VDEV$args" --role rx --rx-mode intr --count "$n" \
        --min-size "$min" --max-size "$max" --timeout 120
    t_wait_log "$T_DIR/$tag-rx.log" 'server=.*we are peer' 20 || t_fail "$tag: receiver did not join the server"
    in_start "$tag-tx" 0 "$VDEV" --role tx --count "$n" --min-size "$min" --max-size "$max" \
        --timeout 120 --wait-link 30
    in_wait "$tag-tx" 150
    t_check "$IN_STATUS == 0" "$tag: sender exited 0"
    in_wait "$tag-rx" 60
    t_log "$(in_summary "$tag-rx")"
    t_check "$IN_STATUS == 0" "$tag: receiver verified all $n frames"
    BELLS=$(t_json "$T_DIR/$tag-tx.json" "j['xstats']['tx_q0_doorbells']")
    SLEEPS=$(t_json "$T_DIR/$tag-rx.json" "j['xstats']['rx_q0_sleeps']")
}

# ---- 1. intr_spin_us=0: the receiver sleeps at every empty poll, so the
# wakeup path is exercised hard
N=200000
intr_run intr ",intr_spin_us=0" "$N" 60 1514
t_check "$SLEEPS -gt 0" "the receiver slept ($SLEEPS times)"
t_check "$BELLS -gt 0" "the sender rang it awake ($BELLS doorbells)"
t_check "$BELLS -le $SLEEPS" "at most one doorbell per sleep ($BELLS <= $SLEEPS)"
t_log "interrupt mode: $BELLS doorbells for $N packets ($(awk "BEGIN{printf \"%.4f\", $BELLS/$N}") per packet), $SLEEPS sleeps"

# ---- 1b. the default intr_spin_us (the receiver watches its ring before
# sleeping) against a full-speed sender: doorbells per 1000 packets
# reported, not checked (a rate, not a function)
N=1000000
intr_run spin "" "$N" 64 64
t_log "interrupt mode, intr_spin_us default, full-speed sender: $BELLS doorbells for $N packets ($(awk "BEGIN{printf \"%.3f\", 1000*$BELLS/$N}") per 1000), $SLEEPS sleeps"

# ---- 2. saturation, polling receiver
N=2000000
in_pair sat "$VDEV" "$VDEV" 0 120 --count "$N" --min-size 64 --max-size 64
bells=$(t_json "$T_DIR/sat-tx.json" "j['xstats']['tx_q0_doorbells']")
t_check "$bells -lt $((N / 1000))" "saturation: $bells doorbells for $N packets (< 1 per 1000)"

# ---- 3. peer leaves: the server's notice, not the heartbeat, brings the link down
PEER_TIMEOUT_MS=10000
in_start surv 1 "$VDEV,peer_timeout_ms=$PEER_TIMEOUT_MS" --role rx --count 0 --restart-ok \
    --timeout 30 --idle 8
t_wait_log "$T_DIR/surv.log" 'server=.*we are peer' 20 || t_fail "survivor did not join"
in_start gone 0 "$VDEV" --role tx --count 0 --timeout 30 --wait-link 30
t_wait_log "$T_DIR/surv.log" 'first frame' 30 || t_fail "no traffic to the survivor"
in_wait_up surv 1 10
kill_ms=$(t_now_ms)
kill -9 "${IN_PID[gone]}"
t_wait_log "$T_DIR/surv.log" '^link down at' $((PEER_TIMEOUT_MS / 1000)) ||
    t_fail "survivor's link did not go down within its heartbeat timeout ($PEER_TIMEOUT_MS ms) of kill -9"
down_ms=$(grep -m1 '^link down at' "$T_DIR/surv.log" | sed -E 's/.* ([0-9]+) ms CLOCK_REALTIME.*/\1/')
# The driver logs the notice, then takes the link down; integrity sees it
# after: both on the survivor's stderr, in that order.
notice=$(grep -n -m1 -E 'server: peer [0-9]+ left' "$T_DIR/surv.log" | cut -d: -f1)
down=$(grep -n -m1 '^link down at' "$T_DIR/surv.log" | cut -d: -f1)
[[ -n $notice ]] || t_fail "the survivor's driver did not log the server's departure notice"
t_check "$notice -lt $down" "the survivor logged the server's notice (line $notice) before its link went down (line $down)"
t_check "$((down_ms - kill_ms)) -lt $PEER_TIMEOUT_MS" "link down $((down_ms - kill_ms)) ms after kill -9, before the heartbeat timeout ($PEER_TIMEOUT_MS ms) could: the server's notice did it"
in_wait surv 40
t_check "$IN_STATUS == 0" "survivor saw no bad frame"

# ---- 4. RX interrupt mode with no running peer, on a server of its own
# (fresh memory: no earlier peer's part)
SOCK=$T_DIR/ivshmem4.sock
"$SERVER" -F -S "$SOCK" -l 16M -n 2 > "$T_DIR/server4.log" 2>&1 &
T_PIDS+=("$!")
t_wait_log "$T_DIR/server4.log" 'listening on' 10 || t_fail "server 4 did not start"
VDEV="net_ivshmem0,server=$SOCK"
# 4a. alone: each wait ends by its 0.1 s timeout; none by a wake-up
in_start alone 1 "$VDEV" --role rx --rx-mode intr --count 0 --progress 1 --timeout 60
t_wait_for 30 in_progress_ge alone down-timeouts 5 ||
    t_fail "the lone receiver's waits did not time out: $(grep progress: "$T_DIR/alone.log" | tail -n 1)"
t_check "$(in_progress alone down-woken) == 0" \
    "the lone receiver's waits timed out $(in_progress alone down-timeouts) times and were woken 0 times"
kill -INT "${IN_PID[alone]}"
in_wait alone 20
t_check "$(t_json "$T_DIR/alone.json" "j['intr_down_wakes'] + j['intr_wakes']") == 0" \
    "no wake-up in the lone receiver's whole run"
t_check "$(t_json "$T_DIR/alone.json" "j['xstats']['rx_idle_wakes']") == 0" "the driver woke no queue"
# 4b. asleep for minutes at a time: a sender joining wakes it
if t_epoll_known; then
    N=20000
    in_start nap-rx 1 "$VDEV,intr_spin_us=0" --role rx --rx-mode intr --intr-timeout 600 \
        --count "$N" --timeout 120
    t_wait_log "$T_DIR/nap-rx.log" 'server=.*we are peer' 20 || t_fail "nap: receiver did not join the server"
    t_wait_for 20 t_in_epoll "${IN_PID[nap-rx]}" || t_fail "nap: the receiver is not asleep in epoll_wait"
    in_start nap-tx 0 "$VDEV" --role tx --count "$N" --timeout 60 --wait-link 30
    in_wait nap-tx 90
    t_check "$IN_STATUS == 0" "nap: sender exited 0"
    in_wait nap-rx 60
    t_log "$(in_summary nap-rx)"
    t_check "$IN_STATUS == 0" "nap: the receiver, asleep when the sender joined, verified all $N frames"
    woke=$(t_json "$T_DIR/nap-rx.json" "j['xstats']['rx_idle_wakes']")
    t_check "$woke -ge 1" "nap: the driver itself woke the queue that slept unarmed as the sender came (rx_idle_wakes $woke)"
else
    t_skip_part "4b: the epoll_wait system call number of $(uname -m) is not known here"
fi
t_pass "the server's departure notice took the link down, no bad frame; RX interrupt mode sleeps with no peer and wakes for one"
