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
tp_txrx mq "$VDEV" "$VDEV" "$MIN_PKTS" \
    "$(seq -s, -f 'rx_q%g_packets' 0 $((Q - 1)))" --rxq=$Q --txq=$Q

SUM_TX=0
SUM_RX=0
PER_Q=
for ((q = 0; q < Q; q++)); do
    tx=$(tp_xstat "$T_DIR/mq-tx.xstats" "tx_q${q}_packets")
    rx=$(tp_xstat "$T_DIR/mq-rx.xstats" "rx_q${q}_packets")
    t_check "$rx =~ ^[0-9]+$ && $rx -ge $MIN_PKTS" "queue $q carried $rx packets (>= $MIN_PKTS)"
    t_check "$rx == $tx" "queue $q: rx_q${q}_packets $rx == tx_q${q}_packets $tx"
    for x in bad_desc bad_index stale; do
        v=$(tp_xstat "$T_DIR/mq-rx.xstats" "rx_q${q}_$x")
        t_check "$v == 0" "queue $q: rx_q${q}_$x = 0"
    done
    SUM_TX=$((SUM_TX + tx))
    SUM_RX=$((SUM_RX + rx))
    PER_Q+=" q$q=$rx"
done
PORT_RX=$(tp_xstat "$T_DIR/mq-rx.xstats" rx_good_packets)
PORT_TX=$(tp_xstat "$T_DIR/mq-tx.xstats" tx_good_packets)
t_check "$SUM_RX == $SUM_TX && $PORT_RX == $SUM_RX && $PORT_TX == $SUM_TX" \
    "sums: rx $SUM_RX == tx $SUM_TX == port rx_good_packets $PORT_RX == tx_good_packets $PORT_TX"

# ---- 2. ivshmem-integrity --queues 4 ---------------------------------------------
SHM=$(t_shm mq-integrity)
VDEV=net_ivshmem0,shm=$SHM,queues=$Q
in_pair int "$VDEV" "$VDEV" 0 "$TIMEOUT" --queues $Q --count "$COUNT" --min-size 60 --max-size 9000
in_clean int-rx "$COUNT"
QSENT=$(t_json "$T_DIR/int-tx.json" '" ".join(map(str, j["queue_sent"]))')
QGOT=$(t_json "$T_DIR/int-rx.json" '" ".join(map(str, j["rx_queue_frames"]))')
t_check "'$QSENT' == '$QGOT'" "per queue, sent ($QSENT) == arrived on that queue ($QGOT)"
t_check "$(t_json "$T_DIR/int-rx.json" 'min(j["rx_queue_frames"])') -gt 0" "all $Q queues carried frames"
t_pass "testpmd 4 queues:$PER_Q (sum $SUM_RX, tx == rx per queue); integrity --queues 4: $COUNT frames ($QGOT) clean"
