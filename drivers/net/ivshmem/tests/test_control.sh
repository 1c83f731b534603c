#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The control plane under traffic: every change of port state that an
# application can make, made while frames flow, and every frame checked end
# to end by ivshmem-integrity (60..9000 bytes).
#
# 1. Link polled without pause across peer restarts: the receiver runs
#    --link-spin (a thread calling rte_eth_link_get_nowait in a tight loop)
#    while its sender is killed with SIGKILL ROUNDS times and restarted;
#    a last sender sends FINAL frames. The receiver sees no lost,
#    reordered, corrupt or stale frame, and the spinning thread saw every
#    link change and no other (before the control module, link_update
#    polled the peer on the caller's thread: the link flapped, 11 changes
#    instead of 8).
# 2. A sender that stops drains first: integrity tx sends COUNT frames and
#    stops its port; the receiver (slow: its sender's ring stays full)
#    stops polling as soon as its link goes
#    down, and has every frame (before the control module, stop announced
#    the link down first and the drain came at close).
# 3. Stop and start under traffic: integrity tx --shm A--> testpmd io --shm
#    B--> integrity rx, COUNT frames, while testpmd stops and starts both
#    ports ROUNDS times, each time after more frames went through. Nothing
#    that testpmd counted as sent is lost: a port drains before it stops.
# 4. rte_eth_dev_reset under traffic: the same chain with an endless
#    sender; testpmd resets both ports ROUNDS times ('port reset all'), each
#    time after more frames went through (frames in flight at a reset may
#    be lost: a reset is a new incarnation). Then a fresh integrity pair
#    through the reset ports moves COUNT frames cleanly, and each port
#    counts ROUNDS resets.
#
# Usage: test_control.sh PLUGIN.so IVSHMEM-INTEGRITY
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
t_init "$@"

ROUNDS=3
FINAL=50000
COUNT=100000
STEP=2000	# frames through testpmd between two state changes
DRAIN_COUNT=20000
TIMEOUT=400
SIZES=(--min-size 60 --max-size 9000)

# ---- 1. link polled without pause across peer restarts ---------------------------
# A peer timeout of 2 s, not the default 500 ms: only the kills may take
# the link down. A live peer whose heartbeat a loaded machine (or TSan's
# slowdown) delays by more than 500 ms would add a real down and up, which
# this part would count as a flap.
SHM=$(t_shm spin)
VDEV=net_ivshmem0,shm=$SHM,peer_timeout_ms=2000
in_start spin-rx 1 "$VDEV" --role rx --restart-ok --link-spin --timeout "$TIMEOUT" \
    --progress 1 "${SIZES[@]}"
for ((i = 1; i <= ROUNDS; i++)); do
    in_start "tx$i" 0 "$VDEV" --role tx --count 0 --timeout "$TIMEOUT" --wait-link 30 "${SIZES[@]}"
    t_wait_log "$T_DIR/spin-rx.log" '^stamp 0x' 30 "$i" ||
        t_fail "round $i: no frame from tx$i within 30 s"
    in_wait_up spin-rx "$i" 10
    { kill -KILL "${IN_PID[tx$i]}"; t_wait_pid "${IN_PID[tx$i]}" 10; } 2>/dev/null ||
        t_fail "tx$i survived SIGKILL"
    t_wait_log "$T_DIR/spin-rx.log" '^link down at' 10 "$i" ||
        t_fail "round $i: spin-rx saw no link down within 10 s of killing tx$i"
done
in_start final-tx 0 "$VDEV" --role tx --count "$FINAL" --timeout "$TIMEOUT" --wait-link 30 \
    "${SIZES[@]}"
in_wait final-tx $((TIMEOUT + 30))
t_check "$IN_STATUS == 0" "final-tx sent $FINAL frames and exited 0"
kill -INT "${IN_PID[spin-rx]}"
in_wait spin-rx 30
t_log "$(in_summary spin-rx)"
t_check "$IN_STATUS == 0" "spin-rx: clean over $((ROUNDS + 1)) sender runs"
J=$T_DIR/spin-rx.json
t_check "$(t_json "$J" 'j["stamps"][-1]["frames"]') == $FINAL" "all $FINAL frames of the final sender run"
for v in lost reordered corrupt stale; do
    t_check "$(t_json "$J" "j['$v']") == 0" "spin-rx: $v = 0"
done
SPIN=$(grep '^link-spin:' "$T_DIR/spin-rx.log")
t_log "$SPIN"
read -r CALLS CHANGES < <(awk '{ print $2, $4 }' <<< "$SPIN")
t_check "${CALLS:-0} -gt 0" "the spinning thread called rte_eth_link_get_nowait $CALLS times"
# Up and down once per killed sender, up for the final one, and down when
# it quits unless the run ended first: every change seen, and no flap (a
# link_update that polled the peer itself raced the alarm and flapped).
t_check "${CHANGES:-0} -ge $((2 * ROUNDS + 1)) && ${CHANGES:-0} -le $((2 * ROUNDS + 2))" \
    "the spinning thread saw $CHANGES link changes ($((2 * ROUNDS + 1)) or $((2 * ROUNDS + 2)): no flap)"

# ---- 2. a stopped sender drains before the link goes down -------------------------
# The receiver pauses 3 ms after each burst of 32, so the sender's ring of
# 1024 is full when it stops and takes about 100 ms to empty: longer than
# the receiver needs to see a stopped peer (the 50 ms alarm and its own
# 10 ms link poll), shorter than the sender's drain budget (500 ms). The
# receiver stops polling the moment it sees the link go down; every frame
# the sender counted as sent must be in by then. The sender stops its port
# right after its last frame (--no-wait-taken): the drain is the PMD's.
SHM=$(t_shm drain)
in_pair drain "net_ivshmem0,shm=$SHM" "net_ivshmem0,shm=$SHM" 0 "$TIMEOUT" \
    --count "$DRAIN_COUNT" "${SIZES[@]}" --until-link-down --rx-pause-us 3000 --no-wait-taken
in_clean drain-rx "$DRAIN_COUNT"
t_check "'$(t_json "$T_DIR/drain-rx.json" 'j["stop"]')' == 'link down'" "drain-rx stopped at link down"

# ---- the chain of parts 3 and 4 ---------------------------------------------------
SHM_A=$(t_shm chain-a)
SHM_B=$(t_shm chain-b)
# --no-flush-rx: testpmd's 'start' would otherwise read and drop what waits
# in the RX rings, which is what a stopped port must keep.
tp_start fwd 0 --vdev "net_ivshmem0,shm=$SHM_A" --vdev "net_ivshmem1,shm=$SHM_B" \
    -- --forward-mode=io --port-topology=paired --max-pkt-len=9018 --enable-scatter \
    --tx-offloads=0x8000 --no-flush-rx
tp_cmd fwd "set fwd io retry"
tp_cmd fwd "set burst tx delay 10 retry 1000000"
tp_cmd fwd start

# rounds KIND: ROUNDS times, once STEP more frames went through port 0,
# stop forwarding, stop the ports (and reset them for KIND=reset), start
# them and forward again.
rounds() {
    local kind=$1 i seen=0 out=$T_DIR/fwd.round
    for ((i = 1; i <= ROUNDS; i++)); do
        tp_show fwd "show port xstats 0" "$out"
        seen=$(tp_xstat "$out" rx_q0_packets)
        [[ $seen =~ ^[0-9]+$ ]] || t_fail "round $i: no rx_q0_packets in testpmd's xstats"
        tp_wait_xstat fwd rx_q0_packets $((seen + STEP)) 60
        tp_show fwd stop "$T_DIR/fwd.stop$i"
        tp_show fwd "port stop all" "$T_DIR/fwd.portstop$i"
        if [[ $kind == reset ]]; then
            tp_show fwd "port reset all" "$T_DIR/fwd.reset$i"
            grep -qi 'fail' "$T_DIR/fwd.reset$i" && t_fail "round $i: port reset failed: $(cat "$T_DIR/fwd.reset$i")"
        fi
        tp_show fwd "port start all" "$T_DIR/fwd.portstart$i"
        grep -qi 'fail' "$T_DIR/fwd.portstart$i" && t_fail "round $i: port start failed: $(cat "$T_DIR/fwd.portstart$i")"
        tp_cmd fwd start
        t_log "round $i: $kind after $((seen + STEP)) or more frames"
    done
}

# ---- 3. stop and start under traffic -----------------------------------------------
in_start stop-rx 1 "net_ivshmem0,shm=$SHM_B" --role rx --count "$COUNT" --timeout "$TIMEOUT" \
    --progress 10 "${SIZES[@]}"
in_start stop-tx 0 "net_ivshmem0,shm=$SHM_A" --role tx --count "$COUNT" --timeout "$TIMEOUT" \
    --wait-link 30 "${SIZES[@]}"
rounds stop
in_wait stop-tx $((TIMEOUT + 30))
t_check "$IN_STATUS == 0" "stop-tx sent $COUNT frames"
in_wait stop-rx 60
t_log "$(in_summary stop-rx)"
t_check "$IN_STATUS == 0" "stop-rx exited 0"
in_clean stop-rx "$COUNT"

# ---- 4. reset under traffic ---------------------------------------------------------
in_start reset-rx 1 "net_ivshmem0,shm=$SHM_B" --role rx --count 0 --restart-ok \
    --timeout "$TIMEOUT" "${SIZES[@]}"
in_start reset-tx 0 "net_ivshmem0,shm=$SHM_A" --role tx --count 0 --timeout "$TIMEOUT" \
    --wait-link 30 "${SIZES[@]}"
rounds reset
kill -INT "${IN_PID[reset-tx]}"
in_wait reset-tx 30
t_check "$IN_STATUS == 0" "reset-tx stopped on SIGINT"
kill -INT "${IN_PID[reset-rx]}"
in_wait reset-rx 30
t_log "during the resets: $(in_summary reset-rx)"
t_check "$(t_json "$T_DIR/reset-rx.json" 'j["corrupt"]') == 0" "reset-rx: no corrupt frame during the resets"
in_pair after "net_ivshmem0,shm=$SHM_B" "net_ivshmem0,shm=$SHM_A" 1 "$TIMEOUT" \
    --count "$COUNT" "${SIZES[@]}"
in_clean after-rx "$COUNT"
tp_show fwd stop "$T_DIR/fwd.stop"
for p in 0 1; do
    tp_show fwd "show port xstats $p" "$T_DIR/fwd$p.xstats"
    t_check "$(tp_xstat "$T_DIR/fwd$p.xstats" resets) == $ROUNDS" "testpmd port $p counted $ROUNDS resets"
done
tp_quit fwd
t_pass "link polled across $ROUNDS peer kills ($CALLS calls), $ROUNDS stop/start and $ROUNDS resets under traffic: $COUNT frames clean after each"
