#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Every frame checked end to end by ivshmem-integrity (stamp, per-queue
# sequence, length, CRC32C), frames of 60..9000 bytes, so the multi-buffer
# and multi-segment paths of the driver are crossed in both directions.
#
# 1. integrity tx --shm--> integrity rx: DIRECT_COUNT frames; no loss, no
#    reordering, no corruption; both sides' PMD counters agree.
# 2. integrity tx --shm A--> testpmd io (two net_ivshmem ports, paired,
#    TX retry so testpmd itself does not drop) --shm B--> integrity rx:
#    HOP_COUNT frames, the same checks, and testpmd's port counters.
#
# Usage: test_integrity.sh PLUGIN.so IVSHMEM-INTEGRITY
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
t_init "$@"

DIRECT_COUNT=${IVSHMEM_TEST_DIRECT_COUNT:-1000000}
HOP_COUNT=${IVSHMEM_TEST_HOP_COUNT:-200000}
SIZES=(--min-size 60 --max-size 9000)
TIMEOUT=400	# per integrity run; a loaded machine is slow, never wrong

# check_pair TAG COUNT: integrity pair TAG moved COUNT frames cleanly and
# its two ends agree.
check_pair() {
    local tx=$T_DIR/$1-tx.json rx=$T_DIR/$1-rx.json count=$2
    in_clean "$1-rx" "$count"
    t_check "$(t_json "$rx" 'j["bytes"]') == $(t_json "$tx" 'j["bytes"]')" \
        "$1: as many bytes received as sent"
    t_check "$(t_json "$tx" 'j["port_opackets"]') == $count" "$1-tx: PMD opackets == $count"
    t_check "$(t_json "$rx" 'j["port_ipackets"]') == $count" "$1-rx: PMD ipackets == $count"
}

# ---- 1. direct ------------------------------------------------------------------
SHM=$(t_shm direct)
START=$SECONDS
in_pair direct "net_ivshmem0,shm=$SHM" "net_ivshmem0,shm=$SHM" 0 "$TIMEOUT" \
    --count "$DIRECT_COUNT" "${SIZES[@]}"
check_pair direct "$DIRECT_COUNT"
t_log "direct: $DIRECT_COUNT frames in $((SECONDS - START)) s"

# ---- 2. through testpmd ---------------------------------------------------------
SHM_A=$(t_shm hop-a)
SHM_B=$(t_shm hop-b)
START=$SECONDS
# Frames up to 9000 bytes: MTU 8986 at least (--max-pkt-len 9018 gives
# 8992), scattered RX into 2 KiB mbufs, multi-segment TX (0x8000).
tp_start fwd 0 --vdev "net_ivshmem0,shm=$SHM_A" --vdev "net_ivshmem1,shm=$SHM_B" \
    -- --forward-mode=io --port-topology=paired --max-pkt-len=9018 --enable-scatter \
    --tx-offloads=0x8000
tp_cmd fwd "set fwd io retry"
tp_cmd fwd "set burst tx delay 10 retry 1000000"
tp_cmd fwd start
in_pair hop "net_ivshmem0,shm=$SHM_B" "net_ivshmem0,shm=$SHM_A" 1 "$TIMEOUT" \
    --count "$HOP_COUNT" "${SIZES[@]}"
tp_show fwd stop "$T_DIR/fwd.stop"
tp_show fwd "show port xstats 0" "$T_DIR/fwd0.xstats"
tp_show fwd "show port xstats 1" "$T_DIR/fwd1.xstats"
tp_quit fwd
check_pair hop "$HOP_COUNT"
P0_RX=$(tp_xstat "$T_DIR/fwd0.xstats" rx_q0_packets)
P1_TX=$(tp_xstat "$T_DIR/fwd1.xstats" tx_q0_packets)
t_check "$P0_RX == $HOP_COUNT" "testpmd port 0 received $HOP_COUNT"
t_check "$P1_TX == $HOP_COUNT" "testpmd port 1 sent $HOP_COUNT"
t_log "through testpmd: $HOP_COUNT frames in $((SECONDS - START)) s"
t_pass "direct $DIRECT_COUNT and through testpmd $HOP_COUNT frames of 60..9000 bytes: none lost, reordered or corrupt"
