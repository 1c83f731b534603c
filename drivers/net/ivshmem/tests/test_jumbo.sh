#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Jumbo frames: 9000-byte frames (MTU 8986 and more) through the driver.
#
# 1. testpmd txonly sending 9000-byte frames as 5-segment mbufs
#    (--txpkts=2048,2048,2048,2048,808, multi-segment TX offload) to
#    rxonly with scattered RX, both with --max-pkt-len=9018; once with the
#    default buf_size=2048 (a frame takes 5 shared buffers, chained) and
#    once with buf_size=9024 (one buffer). Checks: packets equal, bytes ==
#    9000 x packets on both sides, tx descriptors == packets x buffers per
#    frame, no oversize drop.
# 2. ivshmem-integrity with --min-size 9000 --max-size 9000.
#
# Usage: test_jumbo.sh PLUGIN.so IVSHMEM-INTEGRITY
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
t_init "$@"

FRAME=9000
MIN_PKTS=10000
COUNT=${IVSHMEM_TEST_JUMBO_COUNT:-100000}
TIMEOUT=400
JUMBO=(--max-pkt-len=9018 --enable-scatter --tx-offloads=0x8000)
SUMMARY=

for BUF in 2048 9024; do
    PER_FRAME=$(( (FRAME + BUF - 1) / BUF ))
    SHM=$(t_shm "jumbo-$BUF")
    VDEV=net_ivshmem0,shm=$SHM,buf_size=$BUF
    tp_start "rx$BUF" 0 --vdev "$VDEV" -- --forward-mode=rxonly "${JUMBO[@]}"
    tp_start "tx$BUF" 1 --vdev "$VDEV" -- --forward-mode=txonly "${JUMBO[@]}" \
        --txpkts=2048,2048,2048,2048,808
    tp_cmd "rx$BUF" start
    tp_wait_link "tx$BUF" 10
    tp_cmd "tx$BUF" start
    sleep 2
    tp_wait_xstat "rx$BUF" rx_q0_packets "$MIN_PKTS" 60
    tp_show "tx$BUF" stop "$T_DIR/tx$BUF.stop"
    tp_show "tx$BUF" "show port xstats 0" "$T_DIR/tx$BUF.xstats"
    tp_quit "tx$BUF"
    tp_show "rx$BUF" "show port xstats 0" "$T_DIR/rx$BUF.xstats"
    tp_show "rx$BUF" stop "$T_DIR/rx$BUF.stop"
    tp_quit "rx$BUF"

    TX=$(tp_xstat "$T_DIR/tx$BUF.xstats" tx_q0_packets)
    RX=$(tp_xstat "$T_DIR/rx$BUF.xstats" rx_q0_packets)
    TXB=$(tp_xstat "$T_DIR/tx$BUF.xstats" tx_q0_bytes)
    RXB=$(tp_xstat "$T_DIR/rx$BUF.xstats" rx_q0_bytes)
    DESCS=$(tp_xstat "$T_DIR/tx$BUF.xstats" tx_q0_descs)
    t_log "buf_size=$BUF: tx $TX packets $TXB bytes $DESCS descriptors; rx $RX packets $RXB bytes"
    t_check "$RX =~ ^[0-9]+$ && $RX -ge $MIN_PKTS && $RX == $TX" "buf_size=$BUF: rx packets $RX == tx packets $TX"
    t_check "$TXB == $((FRAME * TX)) && $RXB == $((FRAME * RX))" "buf_size=$BUF: every frame $FRAME bytes on both sides"
    t_check "$DESCS == $((PER_FRAME * TX))" "buf_size=$BUF: $PER_FRAME shared buffer(s) per frame"
    for x in tx_q0_oversize tx_q0_bad_ret; do
        t_check "$(tp_xstat "$T_DIR/tx$BUF.xstats" $x) == 0" "buf_size=$BUF: $x = 0"
    done
    for x in rx_q0_bad_desc rx_q0_mbuf_alloc_fail; do
        t_check "$(tp_xstat "$T_DIR/rx$BUF.xstats" $x) == 0" "buf_size=$BUF: $x = 0"
    done
    SUMMARY+="testpmd buf_size=$BUF: $RX x $FRAME-byte frames; "
done

# ---- 2. ivshmem-integrity, 9000-byte frames --------------------------------------
SHM=$(t_shm jumbo-integrity)
in_start rx 1 "net_ivshmem0,shm=$SHM" --role rx --count "$COUNT" --min-size $FRAME \
    --max-size $FRAME --timeout "$TIMEOUT" --progress 10
in_start tx 0 "net_ivshmem0,shm=$SHM" --role tx --count "$COUNT" --min-size $FRAME \
    --max-size $FRAME --timeout "$TIMEOUT" --wait-link 30
in_wait tx $((TIMEOUT + 30))
t_check "$IN_STATUS == 0" "integrity tx exited 0"
in_wait rx 30
t_check "$IN_STATUS == 0" "integrity rx exited 0"
t_log "$(in_summary tx)"
t_log "$(in_summary rx)"
t_check "$(t_json "$T_DIR/rx.json" 'j["received"]') == $COUNT" "integrity rx received exactly $COUNT"
t_check "$(t_json "$T_DIR/rx.json" 'j["bytes"]') == $((COUNT * FRAME))" "integrity rx: $COUNT x $FRAME bytes"
for v in lost reordered corrupt; do
    t_check "$(t_json "$T_DIR/rx.json" "j['$v']") == 0" "integrity rx: $v = 0"
done
t_pass "${SUMMARY}integrity: $COUNT x $FRAME-byte frames clean"
