#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# A VM (ivshmem-doorbell, MSI-X through VFIO) and a host process (vdev
# server=) on one ivshmem server, exchanging verified traffic both ways:
#  1. host integrity tx -> VM integrity rx
#  2. VM integrity tx -> host integrity rx
. "$(dirname "$0")/lib.sh"

FRAMES=${VM_FRAMES:-50000}
BDF=0000:00:10.0
start_server 2

HOST_EAL=(--no-pci --no-huge -m 256 -l 1 -d "$PLUGIN" --vdev "net_ivshmem0,server=$SOCK" "--log-level=pmd.net.ivshmem.*:info")
vm_start vm --ivshmem-doorbell "$SOCK:2" --timeout 240 -- sh -c "
	$INTEG $GAPP_EAL --file-prefix a -a $BDF -- --role rx --count $FRAMES --min-size 60 --max-size 1514 --timeout 120 --json
	echo '--- phase 2'
	$INTEG $GAPP_EAL --file-prefix b -a $BDF -- --role tx --count $FRAMES --min-size 60 --max-size 1514 --wait-link 60 --timeout 120 --json"

# Phase 1: the host sends once the guest's receiver is up (link up).
rc=0
"$INTEG" "${HOST_EAL[@]}" --file-prefix h1 -- --role tx --count "$FRAMES" --min-size 60 --max-size 1514 \
	--wait-link 90 --timeout 150 --json > "$WORK/h1.out" 2>&1 || rc=$?
sed 's/^/  [host tx] /' "$WORK/h1.out" | grep -E 'summary|RESULT|link|ivshmem' || true
t_check "'$rc' == 0" "host tx exited 0 ($rc)"
# Phase 2: the host receives what the guest sends.
rc=0
"$INTEG" "${HOST_EAL[@]}" --file-prefix h2 -- --role rx --count "$FRAMES" --min-size 60 --max-size 1514 \
	--timeout 150 --json > "$WORK/h2.out" 2>&1 || rc=$?
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
grep -q "MSI-X vectors" "$WORK/vm.out" || true
t_pass "host -> VM: $g frames verified; VM -> host: $h frames verified (ivshmem-doorbell, 2 MSI-X vectors)"
