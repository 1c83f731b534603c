#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# A VM (ivshmem-doorbell, MSI-X through VFIO) and a host process (vdev
# server=) on one ivshmem server, exchanging verified traffic both ways,
# zero-copy on both sides each way (the sender builds its frames in its
# pool in the region, the receiver has zero_copy=yes):
#  1. host integrity tx -> VM integrity rx
#  2. VM integrity tx -> host integrity rx
. "$(dirname "$0")/lib.sh"

FRAMES=${VM_FRAMES:-50000}
BDF=0000:00:10.0
start_server 2 32M

HOST_EAL=(--no-pci --no-huge -m 256 -l 1 -d "$PLUGIN" "--log-level=pmd.net.ivshmem.*:info")
HOST_VDEV=net_ivshmem0,server=$SOCK
vm_start vm --ivshmem-doorbell "$SOCK:2" --timeout 240 -- sh -c "
	$INTEG $GAPP_EAL --file-prefix a -a $BDF,zero_copy=yes -- --role rx --count $FRAMES --min-size 60 --max-size 1514 --timeout 120 --json
	echo '--- phase 2'
	$INTEG $GAPP_EAL --file-prefix b -a $BDF -- --role tx --tx-pool --count $FRAMES --min-size 60 --max-size 1514 --wait-link 60 --timeout 120 --json"

# Phase 1: the host sends once the guest's receiver is up (link up).
rc=0
"$INTEG" "${HOST_EAL[@]}" --vdev "$HOST_VDEV" --file-prefix h1 -- --role tx --tx-pool --count "$FRAMES" \
	--min-size 60 --max-size 1514 --wait-link 90 --timeout 150 --json > "$WORK/h1.out" 2>&1 || rc=$?
sed 's/^/  [host tx] /' "$WORK/h1.out" | grep -E 'summary|RESULT|link|ivshmem' || true
t_check "'$rc' == 0" "host tx exited 0 ($rc)"
# Phase 2: the host receives what the guest sends.
rc=0
"$INTEG" "${HOST_EAL[@]}" --vdev "$HOST_VDEV,zero_copy=yes" --file-prefix h2 -- --role rx --count "$FRAMES" \
	--min-size 60 --max-size 1514 --timeout 150 --json > "$WORK/h2.out" 2>&1 || rc=$?
sed 's/^/  [host rx] /' "$WORK/h2.out" | grep -E 'summary|RESULT|link|ivshmem' || true
rc_vm=0
vm_wait vm || rc_vm=$?
t_check "'$rc' == 0" "host rx exited 0 ($rc)"
t_check "'$rc_vm' == 0" "the guest exited 0 ($rc_vm)"

g=$(sed -n '1,/--- phase 2/p' "$WORK/vm.out" > "$WORK/vm1.out"; json_field "$WORK/vm1.out" received)
h=$(json_field "$WORK/h2.out" received)
t_check "'$g' == '$FRAMES'" "the guest received $g of $FRAMES"
t_check "'$h' == '$FRAMES'" "the host received $h of $FRAMES"
grep -q "server: peer .* joined\|doorbells aimed at peer" "$WORK/h1.out" "$WORK/vm.out" ||
	t_fail "no doorbell targeting seen: is the guest's device ivshmem-doorbell with MSI-X?"
sed -n '/--- phase 2/,$p' "$WORK/vm.out" > "$WORK/vm2.out"
d1=$(xstat "$WORK/h1.out" tx_q0_pool_descs)
l1=$(xstat "$WORK/vm1.out" rx_q0_zc_lent)
d2=$(xstat "$WORK/vm2.out" tx_q0_pool_descs)
l2=$(xstat "$WORK/h2.out" rx_q0_zc_lent)
t_check "$d1 -gt 0 && $l1 -gt 0" "host -> VM without a copy: $d1 pool descriptors sent, $l1 buffers lent"
t_check "$d2 -gt 0 && $l2 -gt 0" "VM -> host without a copy: $d2 pool descriptors sent, $l2 buffers lent"
for f in h1.out vm2.out; do
	out=$(json_field "$WORK/$f" tx_pool_out)
	t_check "'$out' == 0" "${f%.out}: every pool mbuf back ($out out)"
done
mbufs_back "$WORK/vm1.out" "guest rx"
mbufs_back "$WORK/h2.out" "host rx"
t_pass "host -> VM: $g frames verified; VM -> host: $h frames verified; zero-copy both ways (ivshmem-doorbell, 2 MSI-X vectors)"
