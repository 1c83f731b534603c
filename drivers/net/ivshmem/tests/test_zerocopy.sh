#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Zero-copy RX (zero_copy=yes): the receiver's mbufs carry the sender's
# shared buffers, which go back when the application frees them. Every
# frame is checked end to end by ivshmem-integrity, 60..9000 bytes, so
# frames below rx_copy_break (copied), single buffers and chains (lent)
# all occur.
#
# 1. Direct, 2 queue pairs: COUNT frames clean; frames were both lent and
#    copied; every mbuf is back in the receiver's pool at the end.
# 2. Through testpmd io: port 0 receives zero-copy, and its mbufs are
#    transmitted (copied) on port 1 and freed by that TX; the end receiver
#    is zero-copy too. COUNT frames clean.
# 3. Held and freed elsewhere: the receiver holds the last HOLD frames'
#    mbufs and frees them on a thread of its own, registered with EAL as
#    an lcore other than the receiving one (the copied frames' mbufs go
#    through that lcore's mempool cache). COUNT frames clean, thousands of
#    buffers held at once, all mbufs back (that cache emptied too), and
#    the JSON names a free lcore that is not the receiving lcore.
#    (An application that holds all of the sender's buffers stops it:
#    the sender waits, the link stays up.)
# 4. The sender killed with SIGKILL while the receiver holds HOLD of its
#    frames; a new sender sends FINAL frames, which push the old ones out.
#    The held buffers of the dead sender never go to the new one (counted
#    as zc_stale), the new sender's frames arrive clean, all mbufs back.
#
# Usage: test_zerocopy.sh PLUGIN.so IVSHMEM-INTEGRITY
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
t_init "$@"

COUNT=${IVSHMEM_TEST_ZC_COUNT:-200000}
FINAL=50000
# Frames held by the receiver: about 2.7 buffers each (60..9000 bytes in
# 2 KiB buffers), so 1200 frames hold about 3200 of the sender's 4096.
HOLD=1200
TIMEOUT=400
SIZES=(--min-size 60 --max-size 9000)

# xs NAME XSTAT: xstat XSTAT of integrity run NAME (from its JSON).
xs() {
    t_json "$T_DIR/$1.json" "j['xstats'].get('$2', 'missing')"
}

# all_back NAME: every mbuf of integrity rx NAME is back in its pool.
all_back() {
    local j=$T_DIR/$1.json start end
    start=$(t_json "$j" 'j["mbufs_in_use_start"]')
    end=$(t_json "$j" 'j["mbufs_in_use_end"]')
    t_check "$end == $start" "$1: mbufs in use at the end ($end) as at the start ($start)"
}

# ---- 1. direct ------------------------------------------------------------------
SHM=$(t_shm direct)
in_pair direct "net_ivshmem0,shm=$SHM,queues=2,zero_copy=yes" "net_ivshmem0,shm=$SHM,queues=2" 0 \
    "$TIMEOUT" --count "$COUNT" --queues 2 "${SIZES[@]}"
in_clean direct-rx "$COUNT"
all_back direct-rx
for q in 0 1; do
    LENT=$(xs direct-rx "rx_q${q}_zc_lent")
    COPIED=$(xs direct-rx "rx_q${q}_zc_copied")
    t_log "queue $q: $LENT frames' buffers lent, $COPIED frames copied"
    t_check "$LENT -gt 0 && $COPIED -gt 0" "queue $q lent and copied"
done

# ---- 2. through testpmd io ----------------------------------------------------------
SHM_A=$(t_shm hop-a)
SHM_B=$(t_shm hop-b)
tp_start fwd 0 --vdev "net_ivshmem0,shm=$SHM_A,zero_copy=yes" --vdev "net_ivshmem1,shm=$SHM_B" \
    -- --forward-mode=io --port-topology=paired --max-pkt-len=9018 --enable-scatter \
    --tx-offloads=0x8000
tp_cmd fwd "set fwd io retry"
tp_cmd fwd "set burst tx delay 10 retry 1000000"
tp_cmd fwd start
in_pair hop "net_ivshmem0,shm=$SHM_B,zero_copy=yes" "net_ivshmem0,shm=$SHM_A" 1 "$TIMEOUT" \
    --count "$COUNT" "${SIZES[@]}"
in_clean hop-rx "$COUNT"
all_back hop-rx
tp_show fwd stop "$T_DIR/fwd.stop"
tp_show fwd "show port xstats 0" "$T_DIR/fwd0.xstats"
tp_quit fwd
FWD_LENT=$(tp_xstat "$T_DIR/fwd0.xstats" rx_q0_zc_lent)
t_check "$FWD_LENT -gt 0" "testpmd port 0 lent $FWD_LENT buffers to port 1's TX"

# ---- 3. held, freed on another lcore -----------------------------------------------
SHM=$(t_shm hold)
# 4096 buffers per queue: the receiver may hold HOLD of them and the
# sender still has room.
in_pair hold "net_ivshmem0,shm=$SHM,ring_size=4096,zero_copy=yes" \
    "net_ivshmem0,shm=$SHM,ring_size=4096" 0 "$TIMEOUT" \
    --count "$COUNT" "${SIZES[@]}" --hold "$HOLD" --free-thread
in_clean hold-rx "$COUNT"
all_back hold-rx
MAX=$(xs hold-rx rx_q0_zc_held_max)
t_check "$MAX -ge 1000" "the receiver held up to $MAX lent buffers at once (thousands)"
RX_LCORE=$(t_json "$T_DIR/hold-rx.json" 'j["rx_lcore"]')
FREE_LCORE=$(t_json "$T_DIR/hold-rx.json" 'j["free_lcore"]')
t_check "$FREE_LCORE =~ ^[0-9]+$ && $FREE_LCORE -ne $RX_LCORE" \
    "hold-rx freed its mbufs on lcore $FREE_LCORE, not on lcore $RX_LCORE that received them"

# ---- 4. the sender dies while its buffers are held ----------------------------------
SHM=$(t_shm kill)
VDEV=net_ivshmem0,shm=$SHM,ring_size=4096
in_start kill-rx 1 "$VDEV,zero_copy=yes" --role rx --restart-ok --hold "$HOLD" \
    --timeout "$TIMEOUT" --progress 0.2 "${SIZES[@]}"
in_start tx1 0 "$VDEV" --role tx --count 0 --timeout "$TIMEOUT" --wait-link 30 "${SIZES[@]}"
t_wait_log "$T_DIR/kill-rx.log" '^progress: .* received ([5-9][0-9]{3}|[0-9]{5,})' 60 ||
    t_fail "kill-rx received fewer than 5000 frames from tx1 in 60 s"
in_wait_up kill-rx 1 10
{ kill -KILL "${IN_PID[tx1]}"; t_wait_pid "${IN_PID[tx1]}" 10; } 2>/dev/null ||
    t_fail "tx1 survived SIGKILL"
t_wait_log "$T_DIR/kill-rx.log" '^link down at' 10 || t_fail "kill-rx saw no link down after the kill"
in_start tx2 0 "$VDEV" --role tx --count "$FINAL" --timeout "$TIMEOUT" --wait-link 30 "${SIZES[@]}"
in_wait tx2 $((TIMEOUT + 30))
t_check "$IN_STATUS == 0" "tx2 sent $FINAL frames"
kill -INT "${IN_PID[kill-rx]}"
in_wait kill-rx 30
t_log "$(in_summary kill-rx)"
t_check "$IN_STATUS == 0" "kill-rx: clean over both senders"
J=$T_DIR/kill-rx.json
t_check "$(t_json "$J" 'j["stamps"][-1]["frames"]') == $FINAL" "all $FINAL frames of tx2"
all_back kill-rx
STALE=$(xs kill-rx rx_q0_zc_stale)
t_check "$STALE -gt 0" "$STALE buffers of the dead sender freed after it died and kept from the new one (zc_stale)"
t_pass "zero-copy RX: direct, through testpmd, $HOLD held and freed on another lcore, sender killed while held: $COUNT frames clean each, every mbuf back"
