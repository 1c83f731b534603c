#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# A peer killed with SIGKILL, then restarted, ROUNDS times, in each
# direction. The survivor is ivshmem-integrity, which prints every link
# change with CLOCK_REALTIME; the test notes CLOCK_REALTIME just before
# each kill. Two queue pairs, frames of 60..9000 bytes.
#
# 1. Victim = sender. The survivor receives with --restart-ok: each new
#    sender run has a new stamp and must start at seq 0 on every queue with
#    no gap, and frames of a replaced stamp must never come back. After the
#    last kill, a sender runs to completion with FINAL frames (it drains
#    on close), then the survivor is stopped with SIGINT.
# 2. Victim = receiver. The survivor sends without end (it retries on a
#    full ring); each receiver joins mid-stream (--restart-ok: any first
#    seq) and must see no gap, reordering or damage until it is killed;
#    the last one is not killed: the sender stops on SIGINT, drains, and
#    the receiver ends when idle.
#
# Each kill comes once the victim's traffic flows (KILL_AFTER frames since
# it started, or checked by it). Checks, for every kill: the survivor's
# "link down" within LINK_DOWN_MS of the kill, never before it; "link up"
# again once the victim restarted; and frames from every incarnation.
#
# Usage: test_restart.sh PLUGIN.so IVSHMEM-INTEGRITY
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
t_init "$@"

ROUNDS=3
# The survivor's dead time, given to both peers: it sees the silence
# after PEER_TIMEOUT_MS, at its next alarm (IVR_HEARTBEAT_MS / 2 = 50 ms),
# and integrity within its link poll (10 ms); the bound is the dead time
# once more, for the scheduler of a machine that three polling processes
# share.
PEER_TIMEOUT_MS=500
LINK_DOWN_MS=$((2 * PEER_TIMEOUT_MS))
KILL_AFTER=1000
FINAL=100000
TIMEOUT=300
# Two queue pairs and frames up to 9000 bytes: a kill may cut a queue
# mid-burst or a frame mid-chain.
Q=2
SIZES=(--min-size 60 --max-size 9000 --queues "$Q")
RESULTS=()

# nth_link LOG up|down N: CLOCK_REALTIME ms of the N-th such line of LOG.
nth_link() {
    awk -v s="$2" -v n="$3" '$1 == "link" && $2 == s && ++k == n { print $7; exit }' "$1"
}

# kill_and_watch VICTIM SURVIVOR ROUND: SIGKILL VICTIM, then the
# SURVIVOR's ROUND-th "link down" must follow within LINK_DOWN_MS.
kill_and_watch() {
    local victim=$1 surv=$T_DIR/$2.log round=$3 kill_ms down_ms delta
    kill_ms=$(t_now_ms)
    { kill -KILL "${IN_PID[$victim]}"; t_wait_pid "${IN_PID[$victim]}" 10; } 2>/dev/null ||
        t_fail "$victim survived SIGKILL"
    t_check "$T_STATUS == 137" "round $round: $victim killed by SIGKILL"
    t_wait_log "$surv" '^link down at' 10 "$round" ||
        t_fail "round $round: $2 saw no link down within 10 s of killing $victim"
    down_ms=$(nth_link "$surv" down "$round")
    delta=$((down_ms - kill_ms))
    t_check "$delta -ge 0 && $delta -le $LINK_DOWN_MS" \
        "round $round: $2 saw link down $delta ms after $victim was killed (<= $LINK_DOWN_MS)"
    RESULTS+=("$delta")
}

# ---- 1. the sender dies ---------------------------------------------------------
SHM=$(t_shm restart-tx)
VDEV=net_ivshmem0,shm=$SHM,queues=$Q,peer_timeout_ms=$PEER_TIMEOUT_MS
in_start surv-rx 1 "$VDEV" --role rx --restart-ok --timeout "$TIMEOUT" --progress 1 \
    "${SIZES[@]}"
for ((i = 1; i <= ROUNDS; i++)); do
    in_start "tx$i" 0 "$VDEV" --role tx --count 0 --timeout "$TIMEOUT" --wait-link 30 "${SIZES[@]}"
    t_wait_log "$T_DIR/surv-rx.log" '^link up at' 30 "$i" ||
        t_fail "round $i: surv-rx saw no link up within 30 s of starting tx$i"
    t_wait_log "$T_DIR/surv-rx.log" '^stamp 0x' 30 "$i" ||
        t_fail "round $i: no frame from tx$i within 30 s"
    in_wait_received surv-rx $(( $(in_received surv-rx) + KILL_AFTER )) 30
    kill_and_watch "tx$i" surv-rx "$i"
done
in_start final-tx 0 "$VDEV" --role tx --count "$FINAL" --timeout "$TIMEOUT" --wait-link 30 \
    "${SIZES[@]}"
in_wait final-tx $((TIMEOUT + 30))
t_log "$(in_summary final-tx)"
t_check "$IN_STATUS == 0" "final-tx sent $FINAL frames and exited 0"
kill -INT "${IN_PID[surv-rx]}"
in_wait surv-rx 30
t_log "$(in_summary surv-rx)"
t_check "$IN_STATUS == 0" "surv-rx: no lost, reordered, corrupt or stale frame over $((ROUNDS + 1)) sender runs"
J=$T_DIR/surv-rx.json
t_check "$(t_json "$J" 'j["n_stamps"]') == $((ROUNDS + 1))" "surv-rx saw $((ROUNDS + 1)) sender runs"
t_check "$(t_json "$J" 'min(s["frames"] for s in j["stamps"])') -gt 0" "frames from every sender run: $(t_json "$J" '[s["frames"] for s in j["stamps"]]')"
t_check "$(t_json "$J" 'j["stamps"][-1]["frames"]') == $FINAL" "all $FINAL frames of the final sender run"
t_check "$(grep -c '^link up at' "$T_DIR/surv-rx.log") -ge $((ROUNDS + 1))" "link up after every restart"
for v in lost reordered corrupt stale; do
    t_check "$(t_json "$J" "j['$v']") == 0" "surv-rx: $v = 0"
done
SENDER_DELTAS=${RESULTS[*]}
RESULTS=()

# ---- 2. the receiver dies -------------------------------------------------------
SHM=$(t_shm restart-rx)
VDEV=net_ivshmem0,shm=$SHM,queues=$Q,peer_timeout_ms=$PEER_TIMEOUT_MS
in_start surv-tx 0 "$VDEV" --role tx --count 0 --timeout "$TIMEOUT" --wait-link 60 --progress 1 \
    "${SIZES[@]}"
for ((i = 1; i <= ROUNDS + 1; i++)); do
    opts=(--role rx --restart-ok --count 0 --timeout "$TIMEOUT" --progress 0.2 "${SIZES[@]}")
    (( i > ROUNDS )) && opts+=(--idle 5)
    in_start "rx$i" 1 "$VDEV" "${opts[@]}"
    t_wait_log "$T_DIR/surv-tx.log" '^link up at' 30 "$i" ||
        t_fail "round $i: surv-tx saw no link up within 30 s of starting rx$i"
    in_wait_received "rx$i" "$KILL_AFTER" 30
    (( i > ROUNDS )) && break
    kill_and_watch "rx$i" surv-tx "$i"
    last=$(grep '^progress:' "$T_DIR/rx$i.log" | tail -n 1)
    t_log "rx$i before the kill: $last"
    t_check "'$last' == *'lost 0, reordered 0, corrupt 0, stale 0'*" "rx$i: clean until killed"
done
kill -INT "${IN_PID[surv-tx]}"
in_wait surv-tx 30
t_log "$(in_summary surv-tx)"
t_check "$IN_STATUS == 0" "surv-tx stopped on SIGINT and exited 0"
in_wait "rx$i" 60
t_log "$(in_summary "rx$i")"
t_check "$IN_STATUS == 0" "rx$i (not killed): no lost, reordered or corrupt frame"
J=$T_DIR/rx$i.json
t_check "$(t_json "$J" 'j["received"]') -gt 0 && $(t_json "$J" 'j["n_stamps"]') == 1" \
    "rx$i received $(t_json "$J" 'j["received"]') frames, all of the one sender run"
t_check "$(grep -c '^link up at' "$T_DIR/surv-tx.log") -ge $((ROUNDS + 1))" "surv-tx: link up after every restart"
t_pass "sender killed $ROUNDS x (link down after $SENDER_DELTAS ms), receiver killed $ROUNDS x (after ${RESULTS[*]} ms); clean traffic after every restart"
