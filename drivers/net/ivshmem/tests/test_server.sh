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
t_pass "the server's departure notice took the link down, no bad frame"
