#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Two guests started by libvirt, as most users start them: Debian's
# libvirt daemon, run by the test as a plain process (devtools/vm/libvirt.sh: a
# mount namespace of its own, no systemd), defines and starts two domains
# from the XML that doc/guides/vms.md shows, each with an ivshmem-plain
# link and an ivshmem-doorbell link on our ivshmem-server, a virtual Intel
# IOMMU, the harness's kernel and initramfs and the host root over 9p.
#  1. libvirt's QEMU command line for the domain (virsh domxml-to-native)
#     has both ivshmem devices, the server's socket and the IOMMU.
#  2. The guests bind both devices with dpdk-devbind.py and exchange
#     verified frames: polling over the plain link, then RX interrupt mode
#     over the doorbell link, where the sender pauses after each burst so
#     that the receiver sleeps; doorbells, sleeps and wakeups per frame are
#     reported.
. "$(dirname "$0")/lib.sh"
# shellcheck source=devtools/vm/libvirt.sh
. "$TOP/devtools/vm/libvirt.sh"

command -v virtqemud > /dev/null || command -v libvirtd > /dev/null ||
	t_skip "neither virtqemud nor libvirtd is installed (devtools/setup.sh installs libvirt-daemon)"
command -v virsh > /dev/null || t_skip "virsh is not installed (devtools/setup.sh installs libvirt-clients)"
command -v unshare > /dev/null || t_skip "unshare is not installed (util-linux)"

FRAMES=${VM_FRAMES:-20000}
# The doorbell link's sender pauses this long after each burst: longer than
# the receiver takes for a burst, so that it finds its ring empty and sleeps.
PAUSE_US=1000
SIZES="--min-size 60 --max-size 1514"
PLAIN=ivshmem-$SCEN-$$
KERNEL=$(bash -c '. "$1/devtools/vm/vmlib.sh"; vm_kernel_image "$(vm_kernel_version)"' _ "$TOP")
# KVM where the harness's probe ran a guest under it, else TCG
TYPE=$(bash -c '. "$1/devtools/vm/vmlib.sh"; a=$vm_opt_accel; [ "$a" != auto ] || a=$(vm_accel); echo "$a"' _ "$TOP" | sed 's/^tcg$/qemu/')
INITRD=$("$TOP/devtools/vm/mkinitramfs.sh") || t_fail "cannot build the guest's initramfs"
CMDLINE="console=ttyS0 panic=-1 no_timer_check intel_iommu=on vm.hugepages=256 vm.bind=none"
DOMAINS=()

# At exit (the daemon is not in T_PIDS: it must outlive the destroys):
# every domain destroyed and undefined, the daemon stopped, and any QEMU it
# left killed by its pid file.
# shellcheck disable=SC2317 # called by the EXIT trap (t_at_exit)
lv_cleanup() {
	local d p
	for d in "${DOMAINS[@]}"; do
		lv_virsh destroy "$d" > /dev/null 2>&1 || true
		lv_virsh undefine "$d" > /dev/null 2>&1 || true
	done
	[ -n "${LV_PID:-}" ] && kill "$LV_PID" 2>/dev/null
	for d in "${DOMAINS[@]}"; do
		p=$LV/run/qemu/$d.pid
		[ -f "$p" ] && kill -KILL "$(cat "$p")" 2>/dev/null
	done
	rm -f "/dev/shm/$PLAIN"
	return 0
}
LV=$WORK/libvirt
t_at_exit lv_cleanup
lv_daemon_start "$LV"
t_wait_for 30 test -S "$LV_SOCK" ||
	t_fail "the libvirt daemon did not start: $(tail -n 5 "$LV/log/daemon.out" "$LV/log/daemon.log" 2>/dev/null)"
start_server 2

# lv_guest NAME COMMAND: a domain NAME whose job runs COMMAND (sh -c) in
# the host root, like a harness guest; its files in $WORK/NAME.
lv_guest() {
	local name=$1 cmd=$2 dir=$WORK/$1 dom=ivsh-$SCEN-$1-$$
	mkdir -p "$dir/job"
	: > "$dir/job/out.log"
	: > "$dir/console.log"
	{
		echo '#!/bin/bash'
		printf 'cd %q\n' "$PWD"
		printf 'export VM_JOB=/run/job\n'
		printf 'exec sh -c %q\n' "$cmd"
	} > "$dir/job/cmd.sh"
	chmod 0755 "$dir/job/cmd.sh"
	lv_domain "$TYPE" "$dom" "$KERNEL" "$INITRD" "$CMDLINE" "$dir/console.log" "$dir/job" \
		"plain=$PLAIN:16" "doorbell=$SOCK:2" > "$dir/domain.xml"
	lv_virsh define "$dir/domain.xml" > /dev/null || t_fail "virsh define $dom failed"
	DOMAINS+=("$dom")
}

BIND="set -e
	dpdk-devbind.py -b vfio-pci 0000:00:10.0 0000:00:11.0 && dpdk-devbind.py -s | grep -A3 'DPDK-compatible'"
lv_guest rx "$BIND
	$INTEG $GAPP_EAL --file-prefix rx1 -a 0000:00:10.0 -- --role rx --count $FRAMES $SIZES --timeout 200 --json
	echo '--- doorbell'
	$INTEG $GAPP_EAL --file-prefix rx2 -a 0000:00:11.0,intr_spin_us=0 -- --role rx --rx-mode intr \
		--count $FRAMES $SIZES --timeout 200 --json"
lv_guest tx "$BIND
	$INTEG $GAPP_EAL --file-prefix tx1 -a 0000:00:10.0 -- --role tx --count $FRAMES $SIZES \
		--wait-link 120 --timeout 200 --json
	echo '--- doorbell'
	$INTEG $GAPP_EAL --file-prefix tx2 -a 0000:00:11.0 -- --role tx --count $FRAMES $SIZES \
		--tx-pause-us $PAUSE_US --wait-link 120 --timeout 200 --json"

# ---- 1. libvirt's QEMU command line --------------------------------------------
argv=$(lv_virsh domxml-to-native qemu-argv "$WORK/rx/domain.xml") ||
	t_fail "virsh domxml-to-native failed"
for want in '"driver":"ivshmem-plain"' '"driver":"ivshmem-doorbell"' "socket,id=charshmem1,path=$SOCK" \
	'"driver":"intel-iommu","id":"iommu0","intremap":"on"' "\"mem-path\":\"/dev/shm/$PLAIN\"" '"mount_tag":"hostroot"'; do
	t_check "$(grep -c -F -- "$want" <<< "$argv") -gt 0" "libvirt's QEMU command line has $want"
done

# ---- 2. the guests -------------------------------------------------------------
for n in rx tx; do
	lv_virsh start "ivsh-$SCEN-$n-$$" > /dev/null ||
		t_fail "virsh start $n failed: $(tail -n 5 "$LV/log/daemon.log")"
done
# Bounds that only stop a run that hangs.
t_wait_for 280 test -e "$WORK/rx/job/rc" -a -e "$WORK/tx/job/rc" ||
	t_fail "the guests did not finish within 280 s: rx console $(tail -n 3 "$WORK/rx/console.log")"
for n in rx tx; do
	sed "s/^/  [$n] /" "$WORK/$n/job/out.log" | grep -E 'summary|RESULT|DPDK-compatible|0000:00:1|doorbells' || true
	t_check "$(cat "$WORK/$n/job/rc") == 0" "$n: the guest's job exited 0"
done
# The JSON of each half: the plain link's before the marker, the doorbell
# link's after it.
sed -n '1,/^--- doorbell/p' "$WORK/rx/job/out.log" > "$WORK/rx-plain.out"
sed -n '/^--- doorbell/,$p' "$WORK/rx/job/out.log" > "$WORK/rx-doorbell.out"
sed -n '/^--- doorbell/,$p' "$WORK/tx/job/out.log" > "$WORK/tx-doorbell.out"
for half in plain doorbell; do
	got=$(json_field "$WORK/rx-$half.out" received)
	t_check "'$got' == '$FRAMES'" "$half link: received $got of $FRAMES"
	all_zero "$WORK/rx-$half.out" "$half link" lost reordered corrupt
done
sleeps=$(xstat "$WORK/rx-doorbell.out" rx_q0_sleeps)
wakeups=$(xstat "$WORK/rx-doorbell.out" rx_q0_wakeups)
bells=$(xstat "$WORK/tx-doorbell.out" tx_q0_doorbells)
t_log "doorbell link: $FRAMES frames, doorbells $bells ($(awk "BEGIN{printf \"%.4f\", $bells/$FRAMES}")/frame), sleeps $sleeps, wakeups $wakeups"
t_check "$sleeps -gt 0" "doorbell link: the receiver slept ($sleeps times): interrupt mode exercised"
t_check "$bells -le $sleeps" "doorbell link: no more doorbells ($bells) than sleeps ($sleeps)"
t_pass "two libvirt guests: $FRAMES frames verified over ivshmem-plain (polling) and over ivshmem-doorbell (RX interrupts, $bells doorbells)"
