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
# And the MTU limits through 'port config mtu': the largest accepted, one
# more refused, for two buffer sizes.
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
    tp_txrx "j$BUF" "$VDEV" "$VDEV" "$MIN_PKTS" rx_q0_packets "${JUMBO[@]}" -- \
        --txpkts=2048,2048,2048,2048,808

    TX=$(tp_xstat "$T_DIR/j$BUF-tx.xstats" tx_q0_packets)
    RX=$(tp_xstat "$T_DIR/j$BUF-rx.xstats" rx_q0_packets)
    TXB=$(tp_xstat "$T_DIR/j$BUF-tx.xstats" tx_q0_bytes)
    RXB=$(tp_xstat "$T_DIR/j$BUF-rx.xstats" rx_q0_bytes)
    DESCS=$(tp_xstat "$T_DIR/j$BUF-tx.xstats" tx_q0_descs)
    t_log "buf_size=$BUF: tx $TX packets $TXB bytes $DESCS descriptors; rx $RX packets $RXB bytes"
    t_check "$RX =~ ^[0-9]+$ && $RX -ge $MIN_PKTS && $RX == $TX" "buf_size=$BUF: rx packets $RX == tx packets $TX"
    t_check "$TXB == $((FRAME * TX)) && $RXB == $((FRAME * RX))" "buf_size=$BUF: every frame $FRAME bytes on both sides"
    t_check "$DESCS == $((PER_FRAME * TX))" "buf_size=$BUF: $PER_FRAME shared buffer(s) per frame"
    for x in tx_q0_oversize tx_q0_bad_ret; do
        t_check "$(tp_xstat "$T_DIR/j$BUF-tx.xstats" $x) == 0" "buf_size=$BUF: $x = 0"
    done
    for x in rx_q0_bad_desc rx_q0_mbuf_alloc_fail; do
        t_check "$(tp_xstat "$T_DIR/j$BUF-rx.xstats" $x) == 0" "buf_size=$BUF: $x = 0"
    done
    SUMMARY+="testpmd buf_size=$BUF: $RX x $FRAME-byte frames; "
done

# ---- MTU limits: max MTU = min(9026, 32 x buf_size) - 26 ----------------------
# Port 0 with the default buf_size=2048 (max MTU 9000), port 1 with
# buf_size=256 (32 buffers of 256 bytes: max frame 8192, max MTU 8166).
tp_start mtu 0 --vdev "net_ivshmem0,shm=$(t_shm mtu0)" \
    --vdev "net_ivshmem1,shm=$(t_shm mtu1),buf_size=256" --
tp_cmd mtu "port stop all"
for row in "0 9000 9001" "1 8166 8167"; do
    read -r port max over <<< "$row"
    tp_show mtu "port config mtu $port $max" "$T_DIR/mtu-set.out"
    tp_show mtu "show port info $port" "$T_DIR/mtu-info.out"
    t_check "$(grep -c "^MTU: $max\$" "$T_DIR/mtu-info.out") == 1" "port $port: MTU $max accepted"
    tp_show mtu "port config mtu $port $over" "$T_DIR/mtu-over.out"
    tp_show mtu "show port info $port" "$T_DIR/mtu-info.out"
    t_check "$(grep -c "^MTU: $max\$" "$T_DIR/mtu-info.out") == 1" \
        "port $port: MTU $over refused ($(head -n 1 "$T_DIR/mtu-over.out"))"
done
tp_quit mtu
SUMMARY+="max MTU 9000 (buf_size 2048) and 8166 (buf_size 256); "

# ---- 2. ivshmem-integrity, 9000-byte frames --------------------------------------
SHM=$(t_shm jumbo-integrity)
VDEV=net_ivshmem0,shm=$SHM
in_pair int "$VDEV" "$VDEV" 0 "$TIMEOUT" --count "$COUNT" --min-size $FRAME --max-size $FRAME
in_clean int-rx "$COUNT"
t_check "$(t_json "$T_DIR/int-rx.json" 'j["bytes"]') == $((COUNT * FRAME))" "integrity rx: $COUNT x $FRAME bytes"
t_pass "${SUMMARY}integrity: $COUNT x $FRAME-byte frames clean"
