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
#     survivor's link down, although its heartbeat timeout is 10 s.
#
# Usage: test_server.sh PLUGIN.so ivshmem-integrity ivshmem-server
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
t_init "$1" "$2"
SERVER=${3:-}
[[ -x $SERVER ]] || t_fail "ivshmem-server not built: $SERVER"

SOCK=$T_DIR/ivshmem.sock
"$SERVER" -F -S "$SOCK" -m "/$T_TAG-srv" -l 16M -n 2 > "$T_DIR/server.log" 2>&1 &
T_PIDS+=("$!")
t_wait_log "$T_DIR/server.log" 'listening on' 10 || t_fail "server did not start"
VDEV="net_ivshmem0,server=$SOCK"

# ---- 1. interrupt-mode receiver, verified frames; intr_spin_us=0: it
# sleeps at every empty poll, so the wakeup path is exercised hard
N=200000
in_start intr-rx 1 "$VDEV,intr_spin_us=0" --role rx --rx-mode intr --count "$N" --min-size 60 --max-size 1514 --timeout 120
t_wait_log "$T_DIR/intr-rx.log" 'server=.*we are peer' 20 || t_fail "receiver did not join the server"
in_start intr-tx 0 "$VDEV" --role tx --count "$N" --min-size 60 --max-size 1514 --timeout 120 --wait-link 30
in_wait intr-tx 150
t_check "$IN_STATUS == 0" "interrupt-mode run: sender exited 0"
in_wait intr-rx 60
t_log "$(in_summary intr-rx)"
t_check "$IN_STATUS == 0" "interrupt-mode run: receiver verified all $N frames"
sleeps=$(t_json "$T_DIR/intr-rx.json" "j['xstats']['rx_q0_sleeps']")
bells=$(t_json "$T_DIR/intr-tx.json" "j['xstats']['tx_q0_doorbells']")
t_check "$sleeps -gt 0" "the receiver slept ($sleeps times)"
t_check "$bells -gt 0" "the sender rang it awake ($bells doorbells)"
t_check "$bells -le $sleeps" "at most one doorbell per sleep ($bells <= $sleeps)"
t_log "interrupt mode: $bells doorbells for $N packets ($(awk "BEGIN{printf \"%.4f\", $bells/$N}") per packet), $sleeps sleeps"

# ---- 1b. interrupt-mode receiver with the default intr_spin_us (it watches
# its ring before sleeping) against a sender at full speed: doorbells per
# 1000 packets reported, not checked (a rate, not a function)
N=1000000
in_start spin-rx 1 "$VDEV" --role rx --rx-mode intr --count "$N" --min-size 64 --max-size 64 --timeout 120
t_wait_log "$T_DIR/spin-rx.log" 'server=.*we are peer' 20 || t_fail "receiver did not join the server"
in_start spin-tx 0 "$VDEV" --role tx --count "$N" --min-size 64 --max-size 64 --timeout 120 --wait-link 30
in_wait spin-tx 150
t_check "$IN_STATUS == 0" "spinning interrupt-mode run: sender exited 0"
in_wait spin-rx 60
t_check "$IN_STATUS == 0" "spinning interrupt-mode run: receiver verified all $N frames"
bells=$(t_json "$T_DIR/spin-tx.json" "j['xstats']['tx_q0_doorbells']")
sleeps=$(t_json "$T_DIR/spin-rx.json" "j['xstats']['rx_q0_sleeps']")
t_log "interrupt mode, intr_spin_us default, full-speed sender: $bells doorbells for $N packets ($(awk "BEGIN{printf \"%.3f\", 1000*$bells/$N}") per 1000), $sleeps sleeps"

# ---- 2. saturation, polling receiver
N=2000000
in_pair sat "$VDEV" "$VDEV" 0 120 --count "$N" --min-size 64 --max-size 64
bells=$(t_json "$T_DIR/sat-tx.json" "j['xstats']['tx_q0_doorbells']")
t_check "$bells -lt $((N / 1000))" "saturation: $bells doorbells for $N packets (< 1 per 1000)"

# ---- 3. peer leaves: the server's notice, not the heartbeat, brings the link down
in_start surv 1 "$VDEV,peer_timeout_ms=10000" --role rx --count 0 --restart-ok --timeout 30 --idle 8
t_wait_log "$T_DIR/surv.log" 'server=.*we are peer' 20 || t_fail "survivor did not join"
in_start gone 0 "$VDEV" --role tx --count 0 --timeout 30 --wait-link 30
t_wait_log "$T_DIR/surv.log" 'first frame' 30 || t_fail "no traffic to the survivor"
kill_ms=$(t_now_ms)
kill -9 "${IN_PID[gone]}"
t_wait_log "$T_DIR/surv.log" '^link down at' 5 || t_fail "survivor's link did not go down within 5 s of kill -9"
down_ms=$(grep -m1 '^link down at' "$T_DIR/surv.log" | sed -E 's/.* ([0-9]+) ms CLOCK_REALTIME.*/\1/')
grep -q 'peer .* left' "$T_DIR/surv.log" || t_fail "the survivor's driver did not log the server's departure notice"
t_check "$((down_ms - kill_ms)) -lt 2000" "link down $((down_ms - kill_ms)) ms after kill -9 (heartbeat timeout is 10000 ms: the server's notice did it)"
in_wait surv 40
t_check "$IN_STATUS == 0" "survivor saw no bad frame"
t_pass
