#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Pool TX (rte_pmd_ivshmem_pool_create): the sender builds its frames in
# mbufs whose data lie in its own part of the region, which tx_burst
# publishes without a copy and frees when the receiver gives the buffers
# back. Every frame is checked end to end by ivshmem-integrity, 60..9000
# bytes (chains of pool mbufs), on 2 queue pairs.
#
# 1. The four combinations of the two sides: copy/copy, zero-copy RX, pool
#    TX, pool TX + zero-copy RX. COUNT frames clean each; with pool TX the
#    frames went without a copy (pool_descs) and every pool mbuf is back
#    once the sender's port closed; with both, the receiver lent them.
# 2. The same four through testpmd io on 2 queues (paired ports, TX
#    retry): the sender shares its region with testpmd's port 0, port 1
#    shares another with the end receiver. With zero-copy RX, port 0 and
#    the end receiver both receive without a copy: the mbufs port 0 lends
#    carry the sender's buffers (pool buffers with pool TX), port 1
#    transmits them and its TX frees them. HOP_COUNT frames clean each,
#    both queues used, the sender checked as in 1; with zero-copy RX, port
#    0 and the end receiver lent on both queues.
# 3. The receiver killed with SIGKILL while it holds HOLD frames' pool
#    buffers (zero-copy RX, --hold): the sender has them outstanding
#    (pool_held); once stopped, its port close takes them back and every
#    pool mbuf is back in the pool.
# 4. The sender's TX queues set up again mid-run (port stop, queue setup,
#    start: spec 6.7) while the receiver holds HOLD frames' pool buffers
#    (zero-copy RX, --hold): the old queues hand the ids the receiver holds
#    to the new ones, so each comes back once and frees its mbuf then, not
#    at the release (no bad_ret, every pool mbuf back), and the frames
#    arrive clean.
# 5. tx_copy_break: pool frames of 60..511 bytes; with 256 those below are
#    copied and the rest go by reference, with 0 every one goes by reference;
#    one descriptor per frame and every pool mbuf back either way.
#
# Usage: test_pooltx.sh PLUGIN.so IVSHMEM-INTEGRITY
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
t_init "$@"

COUNT=${IVSHMEM_TEST_POOL_COUNT:-100000}
HOP_COUNT=${IVSHMEM_TEST_POOL_HOP_COUNT:-100000}
# Frames the killed receiver holds: about 2.7 pool buffers each, well
# within the 1024 external ids of a queue (a receiver that holds them all
# stops the sender, as in zero-copy RX).
HOLD=200
TIMEOUT=400
SIZES=(--min-size 60 --max-size 9000)
# 2 queues of 1024 copy buffers (4 MiB a part) and a pool area of about
# 28 MiB past them
REGION=size=64M,queues=2

# xs NAME XSTAT: xstat XSTAT of integrity run NAME (from its JSON).
xs() {
    t_json "$T_DIR/$1.json" "j['xstats'].get('$2', 'missing')"
}

# sides COMBO: for the combination COMBO (copy, zcrx, pool or both), sets
# rx_zc to the receiving side's zero_copy devarg and tx_opt to the
# sender's option for pool TX (none or --tx-pool).
sides() {
    rx_zc=no tx_opt=()
    [[ $1 == zcrx || $1 == both ]] && rx_zc=yes
    [[ $1 == pool || $1 == both ]] && tx_opt=(--tx-pool)
}

# check_tx NAME WHAT POOL: integrity tx NAME had no bad returns on either
# queue; with POOL 1 each queue sent pool descriptors and every pool mbuf
# is back once its port closed, with POOL 0 each queue copied every frame.
# WHAT starts each message.
check_tx() {
    local q pool bad out
    for q in 0 1; do
        pool=$(xs "$1" "tx_q${q}_pool_descs")
        bad=$(xs "$1" "tx_q${q}_bad_ret")
        t_check "$bad == 0" "$2: queue $q: no bad returns"
        if (( $3 )); then
            t_check "$pool -gt 0" "$2: queue $q sent $pool pool descriptors without a copy"
        else
            t_check "$pool == 0" "$2: queue $q copied every frame"
        fi
    done
    if (( $3 )); then
        out=$(t_json "$T_DIR/$1.json" 'j["tx_pool_out"]')
        t_check "$out == 0" "$2: every pool mbuf back after the close ($out out)"
    fi
}

# ---- 1. the four combinations -----------------------------------------------
for combo in copy zcrx pool both; do
    SHM=$(t_shm "$combo")
    sides "$combo"
    in_pair "$combo" "net_ivshmem0,shm=$SHM,$REGION,zero_copy=$rx_zc" \
        "net_ivshmem0,shm=$SHM,$REGION" 0 "$TIMEOUT" \
        --count "$COUNT" --queues 2 "${SIZES[@]}" "${tx_opt[@]}"
    in_clean "$combo-rx" "$COUNT"
    check_tx "$combo-tx" "$combo" ${#tx_opt[@]}
    if [[ $combo == both ]]; then
        for q in 0 1; do
            LENT=$(xs both-rx "rx_q${q}_zc_lent")
            t_check "$LENT -gt 0" "both: the receiver's queue $q lent $LENT pool buffers"
        done
    fi
done

# ---- 2. the four combinations through testpmd io ----------------------------
# Frames up to 9000 bytes: scattered RX into 2 KiB mbufs, multi-segment TX
# (0x8000); testpmd's stream of port 0 RX queue N goes to port 1 TX queue N.
for combo in copy zcrx pool both; do
    SHM_A=$(t_shm "hop-a-$combo")
    SHM_B=$(t_shm "hop-b-$combo")
    sides "$combo"
    tp_start "fwd-$combo" 0 --vdev "net_ivshmem0,shm=$SHM_A,$REGION,zero_copy=$rx_zc" \
        --vdev "net_ivshmem1,shm=$SHM_B,$REGION" \
        -- --forward-mode=io --port-topology=paired --max-pkt-len=9018 --enable-scatter \
        --tx-offloads=0x8000 --rxq=2 --txq=2
    tp_cmd "fwd-$combo" "set fwd io retry"
    tp_cmd "fwd-$combo" "set burst tx delay 10 retry 1000000"
    tp_cmd "fwd-$combo" start
    in_pair "hop-$combo" "net_ivshmem0,shm=$SHM_B,$REGION,zero_copy=$rx_zc" \
        "net_ivshmem0,shm=$SHM_A,$REGION" 1 "$TIMEOUT" \
        --count "$HOP_COUNT" --queues 2 "${SIZES[@]}" "${tx_opt[@]}"
    tp_show "fwd-$combo" stop "$T_DIR/fwd-$combo.stop"
    tp_show "fwd-$combo" "show port xstats 0" "$T_DIR/fwd-$combo-0.xstats"
    tp_quit "fwd-$combo"
    in_clean "hop-$combo-rx" "$HOP_COUNT"
    QGOT=$(t_json "$T_DIR/hop-$combo-rx.json" '" ".join(map(str, j["rx_queue_frames"]))')
    t_check "$(t_json "$T_DIR/hop-$combo-rx.json" 'min(j["rx_queue_frames"])') -gt 0" \
        "hop $combo: both queues carried frames through testpmd ($QGOT)"
    check_tx "hop-$combo-tx" "hop $combo" ${#tx_opt[@]}
    [[ $rx_zc == yes ]] || continue
    for q in 0 1; do
        LENT=$(tp_xstat "$T_DIR/fwd-$combo-0.xstats" "rx_q${q}_zc_lent")
        t_check "$LENT -gt 0" "hop $combo: testpmd port 0 queue $q lent $LENT buffers to port 1's TX"
        LENT=$(xs "hop-$combo-rx" "rx_q${q}_zc_lent")
        t_check "$LENT -gt 0" "hop $combo: the end receiver's queue $q lent $LENT of port 1's buffers"
    done
done

# ---- 3. the receiver dies while it holds pool buffers -------------------------
SHM=$(t_shm kill)
in_start kill-rx 1 "net_ivshmem0,shm=$SHM,$REGION,zero_copy=yes" --role rx --count 0 \
    --hold "$HOLD" --timeout "$TIMEOUT" --progress 0.2 "${SIZES[@]}"
in_start kill-tx 0 "net_ivshmem0,shm=$SHM,$REGION" --role tx --count 0 --tx-pool \
    --timeout "$TIMEOUT" --wait-link 30 "${SIZES[@]}"
in_wait_received kill-rx 2000 60
{ kill -KILL "${IN_PID[kill-rx]}"; t_wait_pid "${IN_PID[kill-rx]}" 10; } 2>/dev/null ||
    t_fail "kill-rx survived SIGKILL"
t_wait_log "$T_DIR/kill-tx.log" '^link down at' 10 || t_fail "kill-tx saw no link down after the kill"
kill -INT "${IN_PID[kill-tx]}"
in_wait kill-tx 30
t_log "$(in_summary kill-tx)"
t_check "$IN_STATUS == 0" "kill-tx: exited 0"
HELD=$(xs kill-tx tx_q0_pool_held)
t_check "$HELD -ge $HOLD" "the dead receiver held $HELD pool buffers (at least the $HOLD frames')"
OUT=$(t_json "$T_DIR/kill-tx.json" 'j["tx_pool_out"]')
t_check "$OUT == 0" "every pool mbuf back after the close ($OUT out)"
# ---- 4. TX queues set up again while the receiver holds pool buffers --------
SHM=$(t_shm resetup)
in_start resetup-rx 1 "net_ivshmem0,shm=$SHM,$REGION,zero_copy=yes" --role rx \
    --count "$COUNT" --hold "$HOLD" --timeout "$TIMEOUT" --progress 10 --queues 2 "${SIZES[@]}"
in_start resetup-tx 0 "net_ivshmem0,shm=$SHM,$REGION" --role tx --count "$COUNT" \
    --tx-pool --tx-resetup $((COUNT / 2)) --timeout "$TIMEOUT" --wait-link 30 \
    --queues 2 "${SIZES[@]}"
in_wait resetup-tx $((TIMEOUT + 30))
t_log "$(in_summary resetup-tx)"
t_check "$IN_STATUS == 0" "resetup-tx exited 0"
in_wait resetup-rx 60
t_log "$(in_summary resetup-rx)"
t_check "$IN_STATUS == 0" "resetup-rx exited 0"
t_check "$(grep -c 'TX queue(s) set up again' "$T_DIR/resetup-tx.log") == 1" \
    "resetup-tx set its TX queues up again once"
for q in 0 1; do
    t_check "$(grep -c "TX queue $q resumes with [1-9][0-9]* buffers out" "$T_DIR/resetup-tx.log") == 1" \
        "resetup: queue $q resumed with the old queue's record of the buffers out"
done
in_clean resetup-rx "$COUNT"
for q in 0 1; do
    BAD=$(xs resetup-tx "tx_q${q}_bad_ret")
    POOL=$(xs resetup-tx "tx_q${q}_pool_descs")
    t_check "$BAD == 0" "resetup: queue $q: no bad returns after the setup"
    t_check "$POOL -gt 0" "resetup: queue $q sent $POOL pool descriptors after the setup"
done
OUT=$(t_json "$T_DIR/resetup-tx.json" 'j["tx_pool_out"]')
t_check "$OUT == 0" "resetup: every pool mbuf back after the close ($OUT out)"

# ---- 5. tx_copy_break: short pool frames are copied ---------------------------
# Frames of 60..511 bytes from the pool; tx_copy_break=256 copies those
# below 256 (their mbufs freed at once) and sends the rest by reference;
# tx_copy_break=0 sends every one by reference.
SHORT=(--min-size 60 --max-size 511)
for brk in 256 0; do
    SHM=$(t_shm "brk$brk")
    in_pair "brk$brk" "net_ivshmem0,shm=$SHM,$REGION" \
        "net_ivshmem0,shm=$SHM,$REGION,tx_copy_break=$brk" 0 "$TIMEOUT" \
        --count "$COUNT" --queues 2 "${SHORT[@]}" --tx-pool
    in_clean "brk$brk-rx" "$COUNT"
    POOL=0 DESCS=0
    for q in 0 1; do
        POOL=$((POOL + $(xs "brk$brk-tx" "tx_q${q}_pool_descs")))
        DESCS=$((DESCS + $(xs "brk$brk-tx" "tx_q${q}_descs")))
    done
    OUT=$(t_json "$T_DIR/brk$brk-tx.json" 'j["tx_pool_out"]')
    t_check "$OUT == 0" "tx_copy_break=$brk: every pool mbuf back after the close ($OUT out)"
    t_check "$DESCS == $COUNT" "tx_copy_break=$brk: one descriptor per frame ($DESCS)"
    if (( brk == 0 )); then
        t_check "$POOL == $COUNT" "tx_copy_break=0: every frame sent from the pool without a copy ($POOL)"
    else
        # sizes are uniform in 60..511: 256 of the 452 are 256 or more
        # (a share of 0.566; one percent is 6 standard deviations here)
        WANT=$((COUNT * 256 / 452))
        t_check "$POOL -gt $((WANT - COUNT / 100)) && $POOL -lt $((WANT + COUNT / 100))" \
            "tx_copy_break=$brk: $POOL of $COUNT frames by reference (expected $WANT +- 1 %), the short ones copied"
    fi
done
t_pass "pool TX: copy/copy, zero-copy RX, pool TX and both, $COUNT frames clean each direct and $HOP_COUNT through testpmd io on 2 queues; a receiver killed holding $HELD pool buffers, all back; TX queues set up again under $HOLD held frames, no bad return; tx_copy_break copies short pool frames"
