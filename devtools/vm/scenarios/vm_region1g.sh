#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# A 1 GiB BAR2: two VMs over an ivshmem-plain device of 1 GiB, both
# directions of the data without a copy, as drivers/net/ivshmem/tests/
# test_region1g.sh does between host processes. The sending VM's frames
# are in a pool that fills its part's pool area of BAR2 (ivshmem-integrity
# --tx-pool-fill: about 500 MiB of 2 KiB buffers, taken in turn, no mempool
# cache), the receiving VM has zero_copy=yes. FRAMES frames of 60..9000
# bytes on 2 queues, every one verified; the driver maps a BAR2 of 1 GiB in
# both guests; every buffer of the pool was taken; every pool mbuf and
# every receiver mbuf back at the end.
. "$(dirname "$0")/lib.sh"

# About 2.7 pool buffers a frame: 100,000 frames take the pool's ~240,000
# buffers once over.
FRAMES=${VM_FRAMES:-100000}
FILE=/dev/shm/ivshmem-$SCEN-link
GIB=1073741824
BDF=0000:00:10.0
BUF=2176	# a pool mbuf's data room with headroom, 64-byte aligned
ARGS="--queues 2 --count $FRAMES --min-size 60 --max-size 9000 --timeout 200 --json"
rm -f "$FILE"

vm_start rx --ivshmem-plain "$FILE:1G" --timeout 280 -- sh -c "
	$INTEG $GAPP_EAL --file-prefix rx -a $BDF,queues=2,zero_copy=yes -- --role rx $ARGS"
vm_start tx --ivshmem-plain "$FILE:1G" --timeout 280 -- sh -c "
	$INTEG $GAPP_EAL --file-prefix tx -a $BDF,queues=2 -- --role tx --tx-pool-fill --wait-link 120 $ARGS"
rc_tx=0; rc_rx=0
vm_wait tx > /dev/null || rc_tx=$?
vm_wait rx > /dev/null || rc_rx=$?
grep -E "BAR2|summary|RESULT|pool" "$WORK/rx.out" "$WORK/tx.out" | sed 's/^/  /'
t_check "'$rc_tx' == 0" "pool TX sender exited 0 ($rc_tx)"
t_check "'$rc_rx' == 0" "zero-copy receiver exited 0 ($rc_rx)"
for n in rx tx; do
	t_check "$(grep -c "BAR2 $GIB bytes" "$WORK/$n.out") -gt 0" "$n: the driver mapped a BAR2 of 1 GiB"
done
got=$(json_field "$WORK/rx.out" received)
t_check "'$got' == '$FRAMES'" "received $got of $FRAMES"
all_zero "$WORK/rx.out" "receiver" lost reordered corrupt
mbufs_back "$WORK/rx.out" "receiver"

mbufs=$(json_field "$WORK/tx.out" tx_pool_mbufs)
taken=$(json_field "$WORK/tx.out" tx_pool_allocs)
out=$(json_field "$WORK/tx.out" tx_pool_out)
# a part is (1 GiB - header) / 2; the pool area is the part past the copy
# buffers: 2 queues x 1024 x 2 KiB
area=$(( (GIB - 4096) / 2 - 2 * 1024 * 2048 ))
t_check "$((mbufs * BUF)) -ge $((area * 95 / 100))" \
	"the pool's $mbufs buffers fill the pool area of BAR2 (at least 95% of about $((area >> 20)) MiB)"
# A FIFO pool without a cache: taken as often as it has buffers, each was
# taken once
t_check "$taken -ge $mbufs" "the pool's buffers were taken $taken times, at least once each ($mbufs)"
t_check "'$out' == 0" "every pool mbuf back in the sender's pool ($out out)"
for q in 0 1; do
	descs=$(xstat "$WORK/tx.out" "tx_q${q}_pool_descs")
	lent=$(xstat "$WORK/rx.out" "rx_q${q}_zc_lent")
	bad=$(xstat "$WORK/tx.out" "tx_q${q}_bad_ret")
	t_check "$descs -gt 0" "queue $q: $descs pool descriptors sent (no copy on TX)"
	t_check "$lent -gt 0" "queue $q: $lent buffers lent to the application (no copy on RX)"
	t_check "$bad == 0" "queue $q: no bad returns"
done
t_pass "1 GiB BAR2 between two VMs: $FRAMES frames verified both ways without a copy, $mbufs pool buffers over the area taken $taken times"
