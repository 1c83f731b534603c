#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Two dpdk-testpmd processes over one net_ivshmem shm file.
#
# 1. txonly -> rxonly until at least MIN_PKTS packets arrived. The
#    sender stops, then quits (its port drains on close), then the
#    receiver reads its counters. Checks, on the PMD counters (testpmd's
#    'start' flushes RX before its forward statistics begin, so those are
#    not compared): TX packets == RX packets; every burst testpmd saw cut
#    short is one tx ring_full, so ring_full <= TX-dropped <= 32 x
#    ring_full; no RX errors; link state change events on the receiver.
# 2. io forwarding both ways: 'start tx_first' on one side puts 32 packets
#    in flight, and both sides bounce them. Both stop; the packets still in
#    flight sit in the rings: each side then drains its RX ring (rxonly
#    start/stop, which reads them through rx_burst, so the PMD counts
#    them, until it has all the other side sent). Checks: in flight after
#    the stop == 32 exactly (none lost or made up), then A.TX == B.RX and
#    B.TX == A.RX.
#
# Usage: test_testpmd.sh PLUGIN.so IVSHMEM-INTEGRITY
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
t_init "$@"

MIN_PKTS=100000	# through each side before it stops (a count, not a time)
BURST=32

# ---- 1. txonly -> rxonly ------------------------------------------------------
SHM=$(t_shm txrx)
tp_txrx txrx "net_ivshmem0,shm=$SHM" "net_ivshmem0,shm=$SHM" "$MIN_PKTS" rx_q0_packets

TX=$(tp_xstat "$T_DIR/txrx-tx.xstats" tx_q0_packets)
RX=$(tp_xstat "$T_DIR/txrx-rx.xstats" rx_q0_packets)
FULL=$(tp_xstat "$T_DIR/txrx-tx.xstats" tx_q0_ring_full)
DROPPED=$(tp_fwd_stat "$T_DIR/txrx-tx.stop" TX-dropped)
t_log "txonly -> rxonly: tx_q0_packets $TX, rx_q0_packets $RX, tx_q0_ring_full $FULL, testpmd TX-dropped $DROPPED"
t_check "$TX =~ ^[0-9]+$ && $TX -ge $MIN_PKTS" "sender sent $TX packets (>= $MIN_PKTS)"
t_check "$RX == $TX" "receiver got all $TX: rx_q0_packets $RX == tx_q0_packets $TX"
t_check "$FULL -le $DROPPED && $DROPPED -le $((BURST * FULL))" \
    "ring_full $FULL <= TX-dropped $DROPPED <= $BURST x ring_full"
for x in rx_q0_bad_desc rx_q0_bad_index rx_q0_stale rx_q0_mbuf_alloc_fail; do
    v=$(tp_xstat "$T_DIR/txrx-rx.xstats" "$x")
    t_check "$v == 0" "receiver $x = 0"
done
for x in tx_q0_oversize tx_q0_bad_ret tx_q0_bad_index tx_q0_dropped_inflight; do
    v=$(tp_xstat "$T_DIR/txrx-tx.xstats" "$x")
    t_check "$v == 0" "sender $x = 0"
done
t_check "$(grep -c 'Port 0: link state change event' "$T_DIR/txrx-rx.log") -ge 2" \
    "receiver got link state change events (peer up, peer gone)"
SUMMARY="txonly->rxonly $TX packets sent == received"

# ---- 2. io forwarding, both ways ------------------------------------------------
SHM=$(t_shm io)
VDEV=net_ivshmem0,shm=$SHM
tp_start a 0 --vdev "$VDEV" -- --forward-mode=io
tp_start b 1 --vdev "$VDEV" -- --forward-mode=io
tp_cmd a start
tp_wait_link b 10
tp_cmd b "start tx_first"
tp_wait_xstat a rx_q0_packets "$MIN_PKTS" 60
tp_wait_xstat b rx_q0_packets "$MIN_PKTS" 60
# 'stop' returns once the forwarding lcores have: the counters are final.
tp_show a stop "$T_DIR/a.stop"
tp_show b stop "$T_DIR/b.stop"
tp_show a "show port xstats 0" "$T_DIR/a1.xstats"
tp_show b "show port xstats 0" "$T_DIR/b1.xstats"
A_TX=$(tp_xstat "$T_DIR/a1.xstats" tx_q0_packets)
A_RX=$(tp_xstat "$T_DIR/a1.xstats" rx_q0_packets)
B_TX=$(tp_xstat "$T_DIR/b1.xstats" tx_q0_packets)
B_RX=$(tp_xstat "$T_DIR/b1.xstats" rx_q0_packets)
IN_FLIGHT=$(( (A_TX - B_RX) + (B_TX - A_RX) ))
t_log "io bounce, both stopped: A tx $A_TX rx $A_RX, B tx $B_TX rx $B_RX; in flight $IN_FLIGHT"
t_check "$A_TX -ge $MIN_PKTS && $B_TX -ge $MIN_PKTS" "packets bounced: A sent $A_TX, B sent $B_TX (>= $MIN_PKTS each)"
t_check "$IN_FLIGHT == $BURST" "after both stopped, exactly the $BURST packets of tx_first are in flight"

# Drain: each side reads what waits in its RX ring, until it has received
# all the other side sent (a side that lost some times out here).
declare -A SENT_TO=([a]=$B_TX [b]=$A_TX)
for s in a b; do
    tp_cmd "$s" "set fwd rxonly"
    tp_cmd "$s" start
    tp_wait_xstat "$s" rx_q0_packets "${SENT_TO[$s]}" 30
    tp_show "$s" stop "$T_DIR/$s.drain"
done
tp_show a "show port xstats 0" "$T_DIR/a2.xstats"
tp_show b "show port xstats 0" "$T_DIR/b2.xstats"
tp_quit a
tp_quit b
A_TX2=$(tp_xstat "$T_DIR/a2.xstats" tx_q0_packets)
A_RX2=$(tp_xstat "$T_DIR/a2.xstats" rx_q0_packets)
B_TX2=$(tp_xstat "$T_DIR/b2.xstats" tx_q0_packets)
B_RX2=$(tp_xstat "$T_DIR/b2.xstats" rx_q0_packets)
t_log "after draining: A tx $A_TX2 rx $A_RX2, B tx $B_TX2 rx $B_RX2"
t_check "$A_TX2 == $A_TX && $B_TX2 == $B_TX" "nothing sent while draining"
t_check "$A_TX2 == $B_RX2" "A sent $A_TX2 == B received $B_RX2"
t_check "$B_TX2 == $A_RX2" "B sent $B_TX2 == A received $A_RX2"
t_pass "$SUMMARY; io bounce A->B $A_TX2, B->A $B_TX2, all received"
