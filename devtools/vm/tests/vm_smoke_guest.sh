#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The guest side of vm_smoke.sh; runs inside a test guest (devtools/vm/run.sh).
#
#   vm_smoke_guest.sh device SIZE MARK1 MARK2
#       The one ivshmem device is 1af4:1110 with a BAR2 of SIZE bytes and
#       no driver; write MARK1 at BAR2+0 through sysfs resource2; bind it
#       to vfio-pci with dpdk-devbind.py; write MARK2 at BAR2+64 through
#       VFIO; map DMA at IOVA = VA; DPDK's EAL starts with VFIO and IOVA as
#       VA, the device allowed.
#   vm_smoke_guest.sh doorbell SIZE VECTORS MARK
#       ivshmem-doorbell, bound to vfio-pci at boot: VFIO shows BAR0 (256
#       bytes of registers), BAR2 of SIZE bytes and VECTORS MSI-X vectors;
#       print IVPosition (the server's peer id); write MARK at BAR2+0.
#   vm_smoke_guest.sh ping MARK_OUT MARK_IN
#       Through VFIO: write MARK_OUT at BAR2+128, wait for MARK_IN at +256.
#   vm_smoke_guest.sh pong MARK_IN MARK_OUT
#       Through VFIO: wait for MARK_IN at BAR2+128, write MARK_OUT at +256.
# Prints "guest-ready-at <uptime>" first: the boot time as the guest saw it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
pcibar() { python3 "$here/pcibar.py" "$@"; }
fail() {
	echo "FAIL: $*"
	exit 1
}
echo "guest-ready-at $(cut -d' ' -f1 /proc/uptime)"

# The ivshmem device: exactly one.
bdf=
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor"):$(cat "$d/device")" = 0x1af4:0x1110 ] || continue
	[ -z "$bdf" ] || fail "more than one ivshmem device"
	bdf=${d##*/}
done
[ -n "$bdf" ] || fail "no 1af4:1110 device in /sys/bus/pci/devices"
dev=/sys/bus/pci/devices/$bdf
echo "ivshmem device $bdf"

driver() {
	local l
	l=$(readlink "$dev/driver" 2>/dev/null) || { echo none; return; }
	echo "${l##*/}"
}

case "${1:-}" in
device)
	size=$2
	read -r start end _ < <(sed -n 3p "$dev/resource")
	got=$((end - start + 1))
	[ "$got" = "$size" ] || fail "BAR2 is $got bytes, expected $size"
	echo "ok: BAR2 $start..$end, $got bytes"
	[ "$(driver)" = none ] || fail "device bound to $(driver), expected none"

	pcibar --sysfs write "$bdf" 2 0 "$3" || fail "write through sysfs resource2"
	dpdk-devbind.py -b vfio-pci "$bdf" || fail "dpdk-devbind.py -b vfio-pci $bdf"
	[ "$(driver)" = vfio-pci ] || fail "device bound to $(driver), expected vfio-pci"
	group=$(readlink "$dev/iommu_group")
	group=${group##*/}
	[ -c "/dev/vfio/$group" ] || fail "no /dev/vfio/$group"
	echo "ok: bound to vfio-pci, /dev/vfio/$group"

	pcibar info "$bdf" | tee /tmp/info.txt
	grep -qx "region 2: size $size flags 0x7" /tmp/info.txt || fail "VFIO region 2 is not $size bytes, mmap-able"
	pcibar write "$bdf" 2 64 "$4" || fail "write through VFIO"
	pcibar dma "$bdf" || fail "DMA map at IOVA = VA"

	# No PMD claims 1af4:1110 yet: EAL starts VFIO and leaves the device.
	# Two lcores on one CPU, as testpmd wants one for forwarding.
	rc=0
	dpdk-testpmd --lcores 0@0,1@0 -a "$bdf" --log-level=eal,debug -- --help \
		> /tmp/testpmd.log 2>&1 || rc=$?
	grep -E "IOMMU type 1|VFIO support|IOVA" /tmp/testpmd.log
	[ $rc = 0 ] || { tail -20 /tmp/testpmd.log; fail "dpdk-testpmd exit status $rc"; }
	grep -q "IOMMU type 1 (Type 1) is supported" /tmp/testpmd.log || fail "EAL: no type 1 IOMMU"
	grep -q "VFIO support initialized" /tmp/testpmd.log || fail "EAL: VFIO not initialized"
	grep -q "Selected IOVA mode 'VA'" /tmp/testpmd.log || fail "EAL: IOVA mode is not VA"
	echo "ok: EAL initialized VFIO, IOVA as VA"
	;;
doorbell)
	[ "$(driver)" = vfio-pci ] || fail "device bound to $(driver), expected vfio-pci"
	pcibar info "$bdf" | tee /tmp/info.txt
	grep -qx "region 0: size 256 flags 0x7" /tmp/info.txt || fail "VFIO region 0 is not 256 bytes, mmap-able"
	grep -qx "region 2: size $2 flags 0x7" /tmp/info.txt || fail "VFIO region 2 is not $2 bytes, mmap-able"
	grep -q "^irq MSI-X: count $3 " /tmp/info.txt || fail "not $3 MSI-X vectors"
	echo "ivposition $(pcibar peek "$bdf" 0 8 | tail -1)"
	pcibar write "$bdf" 2 0 "$4" || fail "write through VFIO"
	;;
ping)
	[ "$(driver)" = vfio-pci ] || fail "device bound to $(driver), expected vfio-pci"
	pcibar write "$bdf" 2 128 "$2" || fail "write through VFIO"
	pcibar wait "$bdf" 2 256 "$3" 90 || fail "no answer from the other guest"
	;;
pong)
	[ "$(driver)" = vfio-pci ] || fail "device bound to $(driver), expected vfio-pci"
	pcibar wait "$bdf" 2 128 "$2" 90 || fail "nothing from the other guest"
	pcibar write "$bdf" 2 256 "$3" || fail "write through VFIO"
	;;
*)
	fail "usage: $0 device SIZE MARK1 MARK2 | doorbell SIZE VECTORS MARK | ping OUT IN | pong IN OUT"
	;;
esac
echo "guest-done-at $(cut -d' ' -f1 /proc/uptime)"
