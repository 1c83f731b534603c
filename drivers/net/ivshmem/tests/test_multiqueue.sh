#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Four queue pairs (devarg queues=4 on both peers).
#
# 1. testpmd --rxq=4 --txq=4 txonly -> rxonly, one forwarding core serving
#    all four streams, until every queue carried MIN_PKTS. After the sender
#    stopped and quit (drained): for every queue N, rx_qN_packets ==
#    tx_qN_packets and > 0, and the sums match.
# 2. ivshmem-integrity --queues 4: COUNT frames round-robin over the four
#    queues, each queue's sequence checked on its own.
#
# Usage: test_multiqueue.sh PLUGIN.so IVSHMEM-INTEGRITY
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
t_init "$@"

Q=4
MIN_PKTS=10000
COUNT=${IVSHMEM_TEST_MQ_COUNT:-200000}
TIMEOUT=400

# ---- 1. testpmd -----------------------------------------------------------------
SHM=$(t_shm mq)
VDEV=net_ivshmem0,shm=$SHM,queues=$Q
tp_start rx 0 --vdev "$VDEV" -- --forward-mode=rxonly --rxq=$Q --txq=$Q
tp_start tx 1 --vdev "$VDEV" -- --forward-mode=txonly --rxq=$Q --txq=$Q
tp_cmd rx start
tp_wait_link tx 10
tp_cmd tx start
sleep 2
for ((q = 0; q < Q; q++)); do
    tp_wait_xstat rx "rx_q${q}_packets" "$MIN_PKTS" 60
done
tp_show tx stop "$T_DIR/tx.stop"
tp_show tx "show port xstats 0" "$T_DIR/tx.xstats"
tp_quit tx
tp_show rx "show port xstats 0" "$T_DIR/rx.xstats"
tp_show rx stop "$T_DIR/rx.stop"
tp_quit rx

SUM_TX=0
SUM_RX=0
PER_Q=
for ((q = 0; q < Q; q++)); do
    tx=$(tp_xstat "$T_DIR/tx.xstats" "tx_q${q}_packets")
    rx=$(tp_xstat "$T_DIR/rx.xstats" "rx_q${q}_packets")
    t_check "$rx =~ ^[0-9]+$ && $rx -ge $MIN_PKTS" "queue $q carried $rx packets (>= $MIN_PKTS)"
    t_check "$rx == $tx" "queue $q: rx_q${q}_packets $rx == tx_q${q}_packets $tx"
    for x in bad_desc bad_index stale; do
        v=$(tp_xstat "$T_DIR/rx.xstats" "rx_q${q}_$x")
        t_check "$v == 0" "queue $q: rx_q${q}_$x = 0"
    done
    SUM_TX=$((SUM_TX + tx))
    SUM_RX=$((SUM_RX + rx))
    PER_Q+=" q$q=$rx"
done
PORT_RX=$(tp_xstat "$T_DIR/rx.xstats" rx_good_packets)
PORT_TX=$(tp_xstat "$T_DIR/tx.xstats" tx_good_packets)
t_check "$SUM_RX == $SUM_TX && $PORT_RX == $SUM_RX && $PORT_TX == $SUM_TX" \
    "sums: rx $SUM_RX == tx $SUM_TX == port rx_good_packets $PORT_RX == tx_good_packets $PORT_TX"

# ---- 2. ivshmem-integrity --queues 4 ---------------------------------------------
SHM=$(t_shm mq-integrity)
VDEV=net_ivshmem0,shm=$SHM,queues=$Q
in_start rx 1 "$VDEV" --role rx --queues $Q --count "$COUNT" --min-size 60 --max-size 9000 \
    --timeout "$TIMEOUT" --progress 10
in_start tx 0 "$VDEV" --role tx --queues $Q --count "$COUNT" --min-size 60 --max-size 9000 \
    --timeout "$TIMEOUT" --wait-link 30
in_wait tx $((TIMEOUT + 30))
t_check "$IN_STATUS == 0" "integrity tx exited 0"
in_wait rx 30
t_check "$IN_STATUS == 0" "integrity rx exited 0"
t_log "$(in_summary tx)"
t_log "$(in_summary rx)"
t_check "$(t_json "$T_DIR/rx.json" 'j["received"]') == $COUNT" "integrity rx received exactly $COUNT"
for v in lost reordered corrupt stale wrong_queue; do
    t_check "$(t_json "$T_DIR/rx.json" "j['$v']") == 0" "integrity rx: $v = 0"
done
QSENT=$(t_json "$T_DIR/tx.json" '" ".join(map(str, j["queue_sent"]))')
QGOT=$(t_json "$T_DIR/rx.json" '" ".join(map(str, j["rx_queue_frames"]))')
t_check "'$QSENT' == '$QGOT'" "per queue, sent ($QSENT) == arrived on that queue ($QGOT)"
t_check "$(t_json "$T_DIR/rx.json" 'min(j["rx_queue_frames"])') -gt 0" "all $Q queues carried frames"
t_pass "testpmd 4 queues:$PER_Q (sum $SUM_RX, tx == rx per queue); integrity --queues 4: $COUNT frames ($QGOT) clean"
