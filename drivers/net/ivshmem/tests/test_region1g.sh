#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# A 1 GiB region in a file on hugetlbfs (/dev/hugepages), both directions
# without a copy: the sender's frames in a pool that fills its part's pool
# area (ivshmem-integrity --tx-pool-fill: about 500 MiB of 2 KiB buffers,
# taken in turn, with no mempool cache, so that every buffer of the area
# carries frames several times over), the receiver with zero_copy=yes.
# FRAMES frames of 60..9000 bytes on 2 queues (about 2.7 buffers each:
# FRAMES >= 180000 takes the pool twice over), each checked end to end;
# every pool mbuf back after the close.
#
# Needs the region's 512 pages of 2 MiB free on top of what the two
# processes take (T_HUGE_PAGES_NEEDED); skips, saying so, without them.
#
# Usage: test_region1g.sh PLUGIN.so IVSHMEM-INTEGRITY
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
t_init "$@"

FRAMES=${IVSHMEM_TEST_REGION1G_COUNT:-600000}
TIMEOUT=300
REGION_PAGES=512
BUF=2176		# a pool mbuf's data room with headroom, 64-byte aligned

(( T_HUGE )) || t_skip "the 1 GiB region lives on hugetlbfs, and this run has no hugepages (see above)"
FREE=$(awk '$1 == "HugePages_Free:" { print $2 }' /proc/meminfo)
(( FREE >= REGION_PAGES + T_HUGE_PAGES_NEEDED )) ||
    t_skip "$FREE free 2 MiB hugepages: the 1 GiB region needs $REGION_PAGES more than the $T_HUGE_PAGES_NEEDED the two processes take (devtools/setup.sh reserves 1024)"

# Named after T_TAG: removed at exit with the run's other files.
SHM=/dev/hugepages/$T_TAG-region1g
rm -f -- "$SHM"
VDEV="net_ivshmem0,shm=$SHM,size=1G,queues=2"

in_start g1-rx 1 "$VDEV,zero_copy=yes" --role rx --count "$FRAMES" --queues 2 \
    --min-size 60 --max-size 9000 --timeout "$TIMEOUT" --progress 10
in_start g1-tx 0 "$VDEV" --role tx --count "$FRAMES" --queues 2 \
    --min-size 60 --max-size 9000 --tx-pool-fill --timeout "$TIMEOUT" --wait-link 30
in_wait g1-tx $((TIMEOUT + 30))
t_log "$(in_summary g1-tx)"
t_check "$IN_STATUS == 0" "g1-tx exited 0"
in_wait g1-rx 60
t_log "$(in_summary g1-rx)"
t_check "$IN_STATUS == 0" "g1-rx exited 0"
in_clean g1-rx "$FRAMES"

SIZE=$(stat -c %s "$SHM")
t_check "$SIZE == 1073741824" "the region file is 1 GiB ($SIZE bytes)"
MBUFS=$(t_json "$T_DIR/g1-tx.json" 'j["tx_pool_mbufs"]')
TAKEN=$(t_json "$T_DIR/g1-tx.json" 'j["tx_pool_allocs"]')
OUT=$(t_json "$T_DIR/g1-tx.json" 'j["tx_pool_out"]')
# a part is (1 GiB - header) / 2; the pool area is the part past the copy
# buffers: 2 queues x 1024 x 2 KiB
AREA=$(( (1073741824 - 4096) / 2 - 2 * 1024 * 2048 ))
t_check "$((MBUFS * BUF)) -ge $((AREA * 95 / 100))" \
    "the pool's $MBUFS buffers fill the pool area (at least 95% of about $((AREA >> 20)) MiB)"
# DPDK's default mempool ops are a FIFO ring and the pool has no cache:
# taken 2x the pool's size in all, each buffer was taken twice
t_check "$TAKEN -ge $((2 * MBUFS))" "the pool's buffers were taken $TAKEN times in all, at least twice the pool ($((2 * MBUFS)))"
t_check "$OUT == 0" "every pool mbuf back after the close ($OUT out)"
for q in 0 1; do
    BAD=$(t_json "$T_DIR/g1-tx.json" "j['xstats'].get('tx_q${q}_bad_ret', 'missing')")
    LENT=$(t_json "$T_DIR/g1-rx.json" "j['xstats'].get('rx_q${q}_zc_lent', 'missing')")
    t_check "$BAD == 0" "queue $q: no bad returns"
    t_check "$LENT -gt 0" "queue $q: the receiver lent $LENT buffers (zero-copy)"
done
t_pass "1 GiB region on hugetlbfs: $FRAMES frames clean both ways without a copy, $MBUFS pool buffers over the area taken $TAKEN times"
