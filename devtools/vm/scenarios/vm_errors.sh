#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The PCI driver's clear messages, in one guest with two ivshmem-plain
# devices (a 1 MiB one at 00:10.0, a 16 MiB one at 00:11.0):
#  1. a BAR2 too small for the layout asked for (ring_size=4096);
#  2. a vdev-only devarg (shm=) on a PCI device;
#  3. a device bound to another driver than vfio-pci (00:11.0 moved to
#     uio_pci_generic in the guest; a device with no driver at all is not
#     even listed by DPDK's EAL, so no PMD could speak of it);
#  4. a peer with an incompatible configuration (a host process on the
#     16 MiB file with another ring size): the link stays down, and says why.
# Each must fail the probe (or keep the link down) with its message, and
# nothing may crash.
. "$(dirname "$0")/lib.sh"

SMALL=/dev/shm/ivshmem-$SCEN-small
BIG=/dev/shm/ivshmem-$SCEN-big
rm -f "$SMALL" "$BIG"
RUNI="$INTEG $GAPP_EAL --file-prefix e"
vm_start g --ivshmem-plain "$SMALL:1M" --ivshmem-plain "$BIG:16M" --timeout 240 -- sh -c "
	echo '--- 1 small'; $RUNI -a 0000:00:10.0,ring_size=4096 -- --role rx --count 1 --timeout 2; echo \"rc=\$?\"
	echo '--- 2 vdev key'; $RUNI -a 0000:00:10.0,shm=/dev/shm/x -- --role rx --count 1 --timeout 2; echo \"rc=\$?\"
	echo '--- 4 mismatch'; $RUNI -a 0000:00:11.0 -- --role rx --count 1 --timeout 20; echo \"rc=\$?\"
	echo 0000:00:11.0 > /sys/bus/pci/drivers/vfio-pci/unbind
	modprobe uio_pci_generic || echo 'modprobe uio_pci_generic failed'
	echo uio_pci_generic > /sys/bus/pci/devices/0000:00:11.0/driver_override
	echo 0000:00:11.0 > /sys/bus/pci/drivers_probe
	echo '--- 3 other driver'; readlink /sys/bus/pci/devices/0000:00:11.0/driver
	$RUNI -a 0000:00:11.0 -- --role rx --count 1 --timeout 2; echo \"rc=\$?\"
	echo '--- end'"
# The host peer with another ring size joins the 16 MiB file once QEMU made it.
t_wait_for 30 test -s "$BIG" || t_fail "QEMU did not create $BIG within 30 s"
"$INTEG" --no-pci --no-huge -m 256 -l 1 -d "$PLUGIN" --file-prefix hpeer \
	--vdev "net_ivshmem0,shm=$BIG,ring_size=512" -- --role rx --count 1 --timeout 60 \
	> "$WORK/host.out" 2>&1 &
T_PIDS+=($!)
vm_wait g > /dev/null || true
kill -9 "${T_PIDS[-1]}" 2>/dev/null || true

section() { sed -n "/^--- $1/,/^--- /p" "$WORK/g.out"; }
# section_has SECTION REGEX WHAT: a line of the guest's SECTION matches.
section_has() {
	local st=0
	section "$1" | grep -qE "$2" || st=$?
	[ "$st" = 0 ] || section "$1" | sed 's/^/    /' | tail -15
	t_check "$st == 0" "$3 (a line matching '$2')"
}
section_has 1 'too small' "a BAR2 too small for ring_size=4096 is refused, with the size needed"
section_has 1 'rc=2' "and the probe fails (no port, exit 2)"
section_has 2 'shm= is for the net_ivshmem vdev' "shm= on a PCI device is refused"
section_has 3 "not bound to vfio-pci: run 'dpdk-devbind.py -b vfio-pci 0000:00:11.0'" "a device on uio_pci_generic says how to bind it to vfio-pci"
section_has 4 'peer incompatible' "a peer of another ring size: link down, 'peer incompatible'"
grep -q 'Segmentation\|core dumped\|Aborted' "$WORK/g.out" && t_fail "a crash in the guest"
t_pass "each PCI probe error says why, and nothing crashed"
