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
KERNEL=$(vm_kernel_image "$(vm_kernel_version)")
# KVM where the harness's probe ran a guest under it, else TCG
TYPE=$vm_opt_accel
# shellcheck disable=SC2119 # the cached probe: no --reprobe
[ "$TYPE" != auto ] || TYPE=$(vm_accel)
[ "$TYPE" != tcg ] || TYPE=qemu
INITRD=$("$TOP/devtools/vm/mkinitramfs.sh") || t_fail "cannot build the guest's initramfs"
vm_opt_bind=none	# the guests bind the devices themselves
DOMAINS=()
LV=$WORK/libvirt

# At exit: every domain destroyed and undefined, then the daemon stopped
# with any QEMU it left. If this script is killed before that, the
# watchdog does the stopping.
# shellcheck disable=SC2317 # called by the EXIT trap (t_at_exit)
lv_cleanup() {
	local d
	for d in "${DOMAINS[@]}"; do
		lv_virsh destroy "$d" > /dev/null 2>&1 || true
		lv_virsh undefine "$d" > /dev/null 2>&1 || true
	done
	lv_daemon_stop "$LV"
}
# shellcheck disable=SC2317 # called by t_fail (t_on_fail)
lv_diagnose() {
	tail -n 5 "$LV/log/daemon.out" "$LV/log/daemon.log" "$LV"/log/qemu/*.log 2> /dev/null || true
	tail -n 15 "$WORK"/*/console.log 2> /dev/null || true
}
t_at_exit lv_cleanup
t_on_fail lv_diagnose
lv_daemon_start "$LV"
lv_watchdog $$ "$LV"
t_wait_for 30 test -S "$LV_SOCK" || t_fail "the libvirt daemon did not start"
start_server 2

# lv_guest NAME COMMAND: a domain ivsh-SCEN-NAME-PID whose job runs COMMAND
# (sh -c) in the host root, like a harness guest; its files in $WORK/NAME.
lv_guest() {
	local name=$1 cmd=$2 dir=$WORK/$1 dom=ivsh-$SCEN-$1-$$
	mkdir -p "$dir/job"
	: > "$dir/job/out.log"
	: > "$dir/console.log"
	vm_write_job "$dir" sh -c "$cmd"
	lv_domain "$TYPE" "$dom" "$KERNEL" "$INITRD" "$(vm_cmdline)" "$dir/console.log" "$dir/job" \
		"plain=$PLAIN:16" "doorbell=$SOCK:2" > "$dir/domain.xml"
	lv_virsh define "$dir/domain.xml" > /dev/null || t_fail "virsh define $dom failed"
	DOMAINS+=("$dom")
}

BIND="set -e
	dpdk-devbind.py -b vfio-pci 0000:00:10.0 0000:00:11.0 && dpdk-devbind.py -s | grep -A3 'DPDK-compatible'"
lv_guest rx "$BIND
	$INTEG $GAPP_EAL --file-prefix rx1 -a 0000:00:10.0 -- --role rx --count $FRAMES $SIZES --timeout 120 --json
	echo '--- doorbell'
	$INTEG $GAPP_EAL --file-prefix rx2 -a 0000:00:11.0,intr_spin_us=0 -- --role rx --rx-mode intr \
		--count $FRAMES $SIZES --timeout 120 --json"
lv_guest tx "$BIND
	$INTEG $GAPP_EAL --file-prefix tx1 -a 0000:00:10.0 -- --role tx --count $FRAMES $SIZES \
		--wait-link 100 --timeout 120 --json
	echo '--- doorbell'
	$INTEG $GAPP_EAL --file-prefix tx2 -a 0000:00:11.0 -- --role tx --count $FRAMES $SIZES \
		--tx-pause-us $PAUSE_US --wait-link 100 --timeout 120 --json"

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
		t_fail "virsh start $n failed"
done
# Both jobs done; a guest that ended without its job's status (QEMU or
# its kernel died) fails at once. The bound only stops a run that hangs.
# shellcheck disable=SC2317 # called by t_wait_for
lv_guests_done() {
	local n pid
	for n in rx tx; do
		[ ! -e "$WORK/$n/job/rc" ] || continue
		pid=$(cat "$LV/run/qemu/ivsh-$SCEN-$n-$$.pid" 2> /dev/null) || pid=
		if [ -z "$pid" ] || ! kill -0 "$pid" 2> /dev/null; then
			# (its status may have come just before it ended)
			[ -e "$WORK/$n/job/rc" ] || t_fail "guest $n ended without its job's status"
			continue
		fi
		return 1
	done
}
t_wait_for 330 lv_guests_done || t_fail "the guests did not finish within 330 s"
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
# A sleep the receiver announced ends by an event (the doorbell's MSI-X
# interrupt) or by its 100 ms timeout; its waits without a sleep end at
# once, by an event (frames came meanwhile), or, with the link down (no
# sender yet), by the timeout, counted apart (intr_down_timeouts).
timeouts=$(json_field "$WORK/rx-doorbell.out" intr_timeouts)
t_log "doorbell link: $FRAMES frames, doorbells $bells ($(awk "BEGIN{printf \"%.4f\", $bells/$FRAMES}")/frame), sleeps $sleeps, wakeups $wakeups, sleeps ended by the timeout $timeouts"
t_check "$sleeps -gt 0" "doorbell link: the receiver slept ($sleeps times): interrupt mode exercised"
t_check "$bells -gt 0" "doorbell link: the sender rang the sleeping receiver ($bells doorbells)"
t_check "$bells -le $sleeps" "doorbell link: no more doorbells ($bells) than sleeps ($sleeps)"
t_check "$((timeouts * 10)) -lt $sleeps" "doorbell link: the doorbells reached the receiver as MSI-X interrupts: $timeouts of $sleeps sleeps ended by the timeout"
t_pass "two libvirt guests: $FRAMES frames verified over ivshmem-plain (polling) and over ivshmem-doorbell (RX interrupts, $bells doorbells)"
