#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Frames longer than the receiver's largest frame. The receiver has
# buf_size=128, so its largest frame is 32 x 128 = 4096 bytes; the sender
# has buf_size=8192 (the region is made 32 MiB, enough for both). The
# sender must drop such frames itself, count them in tx_q0_oversize, and
# publish nothing for them; the receiver must see no bad descriptor.
#
# 1. 4000-byte frames (fit): all arrive, 4000 bytes each.
# 2. 6000-byte frames in 3 mbuf segments (2048+2048+1904): all dropped by
#    the sender as oversize.
# 3. 6000-byte frames in one mbuf (--mbuf-size 8320): the same is expected.
#    (One buffer of the sender holds the whole frame, which takes the
#    single-buffer path of the TX burst.)
# Dropped frames are not "sent": tx_q0_packets (opackets) must not count
# them; tx_q0_oversize (oerrors) does. Every expectation is checked and
# reported before the test fails.
#
# Usage: test_oversize.sh PLUGIN.so IVSHMEM-INTEGRITY
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
t_init "$@"

MIN_PKTS=10000
TX_ARGS=(--mbuf-size=8320 --max-pkt-len=8000)	# one mbuf holds 6000 bytes
RX_ARGS=(--max-pkt-len=4096)			# the receiver's largest frame
SUMMARY=

# run TAG TXPKTS XSTAT: sender and receiver as above; the sender's txonly
# frames are made of segments TXPKTS; runs until the sender's XSTAT grows
# (tx_q0_packets for frames that go, tx_q0_oversize for frames dropped).
run() {
    local tag=$1 txpkts=$2 xstat=$3 shm
    shm=$(t_shm "$tag")
    tp_txrx "$tag" "net_ivshmem0,shm=$shm,buf_size=128,size=32M" \
        "net_ivshmem0,shm=$shm,buf_size=8192" "$MIN_PKTS" "tx:$xstat" \
        --enable-scatter -- "${TX_ARGS[@]}" --txpkts="$txpkts" -- "${RX_ARGS[@]}"
    TX=$(tp_xstat "$T_DIR/$tag-tx.xstats" tx_q0_packets)
    OVER=$(tp_xstat "$T_DIR/$tag-tx.xstats" tx_q0_oversize)
    DESCS=$(tp_xstat "$T_DIR/$tag-tx.xstats" tx_q0_descs)
    RX=$(tp_xstat "$T_DIR/$tag-rx.xstats" rx_q0_packets)
    RXB=$(tp_xstat "$T_DIR/$tag-rx.xstats" rx_q0_bytes)
    BAD=$(tp_xstat "$T_DIR/$tag-rx.xstats" rx_q0_bad_desc)
    t_log "$tag (--txpkts=$txpkts): tx_q0_packets $TX, tx_q0_oversize $OVER, tx_q0_descs $DESCS; rx_q0_packets $RX, rx_q0_bad_desc $BAD"
}

# ---- 1. frames that fit -----------------------------------------------------------
run fit 4000 tx_q0_packets
t_expect "$RX =~ ^[0-9]+$ && $RX -ge $MIN_PKTS && $RX == $TX" "fit: all $TX frames of 4000 bytes arrived"
t_expect "$RXB == $((4000 * RX)) && $OVER == 0 && $BAD == 0" "fit: 4000 bytes each, no oversize, no bad descriptor"
SUMMARY+="4000-byte frames: $RX received; "

# ---- 2. too long, multi-segment ---------------------------------------------------
run seg 2048,2048,1904 tx_q0_oversize
t_expect "$OVER =~ ^[0-9]+$ && $OVER -ge $MIN_PKTS && $DESCS == 0" \
    "segmented 6000-byte frames: $OVER dropped as oversize by the sender, none published ($DESCS descriptors)"
t_expect "$RX == 0 && $BAD == 0" "segmented: nothing received ($RX), no bad descriptor ($BAD)"
# ethdev: opackets counts frames sent, oerrors frames that failed.
t_expect "$TX == 0" "segmented: tx_q0_packets counts only frames sent: $TX (with $OVER oversize drops)"
SUMMARY+="segmented 6000-byte frames: $OVER oversize; "

# ---- 3. too long, one segment -----------------------------------------------------
run one 6000 tx_q0_oversize
t_expect "$BAD == 0" "single-segment 6000-byte frames: the receiver saw no bad descriptor (it saw $BAD)"
t_expect "$OVER =~ ^[0-9]+$ && $OVER -ge $MIN_PKTS && $DESCS == 0 && $RX == 0" \
    "single-segment 6000-byte frames: all dropped as oversize by the sender ($OVER), none published ($DESCS descriptors) or received ($RX)"
t_expected
t_pass "${SUMMARY}single-segment 6000-byte frames: $OVER oversize"
