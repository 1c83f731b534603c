#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# shellcheck disable=SC2016,SC2034 # XML and shell code are literal text; LV_* are for the scripts that source this
#
# libvirt for the VM harness: the domain XML of a harness guest (the same
# guest run.sh starts with QEMU directly: kernel and initramfs of the
# harness, the host root and a job directory over 9p, a virtual Intel
# IOMMU, ivshmem devices at 00:10.0, 00:11.0, ...), and a private libvirt
# daemon that starts such domains without systemd.
#
# Sources vmlib.sh; sourced by the vm_libvirt scenario (the guest's kernel,
# command line and job come from vmlib.sh, as run.sh's do). Run on its own
# it prints the example that doc/guides/vms.md shows (check-docs compares
# the two):
#
#   devtools/vm/libvirt.sh --example
#
# Devices (lv_domain arguments after the job directory):
#   plain=NAME:MIB          <shmem> ivshmem-plain; libvirt backs it with
#                           /dev/shm/NAME
#   doorbell=SOCK:VECTORS   <shmem> ivshmem-doorbell, our ivshmem-server on
#                           SOCK
set -euo pipefail
# shellcheck source=devtools/vm/vmlib.sh
. "$(dirname "${BASH_SOURCE[0]}")/vmlib.sh"

# lv_domain TYPE NAME KERNEL INITRD CMDLINE CONSOLE JOBDIR DEVICE...: the
# domain XML on stdout. TYPE is kvm, or qemu (TCG) where KVM cannot run
# guests.
lv_domain() {
	local type=$1 name=$2 kernel=$3 initrd=$4 cmdline=$5 console=$6 job=$7 i=0 d spec
	shift 7
	cat <<EOF
<domain type='$type'>
  <name>$name</name>
  <memory unit='MiB'>1024</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
    <kernel>$kernel</kernel>
    <initrd>$initrd</initrd>
    <cmdline>$cmdline</cmdline>
  </os>
  <features>
    <acpi/>
    <!-- split irqchip: the IOMMU's interrupt remapping needs it -->
    <ioapic driver='qemu'/>
  </features>
  <cpu mode='maximum'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <serial type='file'>
      <source path='$console'/>
    </serial>
    <!-- the host root, read-only, and the job directory -->
    <filesystem type='mount' accessmode='squash' multidevs='remap'>
      <source dir='/'/>
      <target dir='hostroot'/>
      <readonly/>
    </filesystem>
    <filesystem type='mount' accessmode='squash'>
      <source dir='$job'/>
      <target dir='job'/>
    </filesystem>
EOF
	for d in "$@"; do
		spec=${d#*=}
		case $d in
		plain=*)
			cat <<EOF
    <shmem name='${spec%:*}'>
      <model type='ivshmem-plain'/>
      <size unit='M'>${spec##*:}</size>
      <address type='pci' domain='0x0000' bus='0x00' slot='$(printf '0x%02x' $((0x10 + i)))' function='0x0'/>
    </shmem>
EOF
			;;
		doorbell=*)
			cat <<EOF
    <shmem name='doorbell$i'>
      <model type='ivshmem-doorbell'/>
      <server path='${spec%:*}'/>
      <msi vectors='${spec##*:}'/>
      <address type='pci' domain='0x0000' bus='0x00' slot='$(printf '0x%02x' $((0x10 + i)))' function='0x0'/>
    </shmem>
EOF
			;;
		*)
			echo "libvirt.sh: device '$d' is not plain=NAME:MIB or doorbell=SOCK:VECTORS" >&2
			return 2
			;;
		esac
		i=$((i + 1))
	done
	cat <<EOF
    <!-- the virtual IOMMU that vfio-pci needs in the guest -->
    <iommu model='intel'>
      <driver intremap='on' aw_bits='48'/>
    </iommu>
    <controller type='usb' model='none'/>
    <memballoon model='none'/>
  </devices>
</domain>
EOF
}

# lv_daemon_start DIR: a libvirt daemon for this run (virtqemud, or
# libvirtd where there is no virtqemud, as in Debian 12), in a mount
# namespace of its own where its configuration, state and runtime
# directories are DIR's: nothing of the machine's libvirt is read or
# changed, and no systemd is needed. The mount points it needs are made
# where missing (empty directories, removed by lv_daemon_stop). LV_PID is
# its process, LV_SOCK its socket and LV_URI how to reach it. QEMU runs as
# root with no cgroups, namespaces or security driver (the harness's
# guests read the host root over 9p).
lv_daemon_start() {
	local dir=$1 d daemon=virtqemud
	command -v virtqemud > /dev/null || daemon=libvirtd
	for d in etc run lib log cache sock; do mkdir -p "$dir/$d"; done
	: > "$dir/made"
	for d in /etc/libvirt /run/libvirt /var/lib/libvirt /var/log/libvirt /var/cache/libvirt; do
		[ -d "$d" ] && continue
		mkdir -p "$d"
		echo "$d" >> "$dir/made"
	done
	cat > "$dir/etc/$daemon.conf" <<EOF
unix_sock_dir = "$dir/sock"
log_outputs = "3:file:$dir/log/daemon.log"
EOF
	cat > "$dir/etc/qemu.conf" <<EOF
user = "root"
group = "root"
dynamic_ownership = 0
remember_owner = 0
security_driver = "none"
cgroup_controllers = [ ]
namespaces = [ ]
stdio_handler = "file"
EOF
	# Debian's QEMU driver looks up its built-in user and group
	# (libvirt-qemu, kvm) before it reads qemu.conf. The user comes with
	# libvirt-daemon-system, which also starts a daemon for the whole
	# machine; where either is missing, the daemon's namespace sees a
	# passwd and group file that have it.
	cp /etc/passwd "$dir/passwd"
	cp /etc/group "$dir/group"
	getent group kvm > /dev/null || echo "kvm:x:64054:" >> "$dir/group"
	getent group libvirt-qemu > /dev/null || echo "libvirt-qemu:x:64055:" >> "$dir/group"
	getent passwd libvirt-qemu > /dev/null ||
		echo "libvirt-qemu:x:64055:64055:libvirt QEMU:/nonexistent:/usr/sbin/nologin" >> "$dir/passwd"
	unshare --mount --propagation private -- bash -c '
		set -e
		dir=$1
		mount --bind "$dir/etc" /etc/libvirt
		mount --bind "$dir/run" /run/libvirt
		mount --bind "$dir/lib" /var/lib/libvirt
		mount --bind "$dir/log" /var/log/libvirt
		mount --bind "$dir/cache" /var/cache/libvirt
		mount --bind "$dir/passwd" /etc/passwd
		mount --bind "$dir/group" /etc/group
		exec "$2" --config "$dir/etc/$2.conf" --pid-file "$dir/run/$2.pid"' lv "$dir" "$daemon" \
		> "$dir/log/daemon.out" 2>&1 &
	LV_PID=$!
	echo "$LV_PID" > "$dir/daemon.pid"
	LV_SOCK=$dir/sock/$([ $daemon = virtqemud ] && echo virtqemud-sock || echo libvirt-sock)
	LV_URI="qemu:///system?socket=$LV_SOCK"
}

# lv_daemon_stop DIR: the QEMUs of lv_daemon_start's daemon killed (it
# starts them in sessions of their own, and leaves them running when it
# ends), then the daemon, waited for; the mount points it made removed.
lv_daemon_stop() {
	local dir=$1 p pid i
	for p in "$dir"/run/qemu/*.pid; do
		pid=$(cat "$p" 2> /dev/null) || continue
		[ "$pid" = "$(cat "$dir/daemon.pid")" ] || kill -KILL "$pid" 2> /dev/null || true
	done
	pid=$(cat "$dir/daemon.pid" 2> /dev/null) || return 0
	kill -TERM "$pid" 2> /dev/null || true
	for i in $(seq 50); do
		kill -0 "$pid" 2> /dev/null || break
		[ "$i" -lt 50 ] || kill -KILL "$pid" 2> /dev/null || true
		sleep 0.2
	done
	while read -r p; do rmdir "$p" 2> /dev/null || true; done < "$dir/made"
}

# lv_watchdog OWNER DIR: once process OWNER has ended, however it ended
# (a test killed by its time limit runs no cleanup), lv_daemon_stop DIR.
lv_watchdog() {
	setsid bash -c 'while kill -0 "$1" 2> /dev/null; do sleep 1; done
		. "$3"; lv_daemon_stop "$2"' lv-watchdog "$1" "$2" "${BASH_SOURCE[0]}" \
		< /dev/null > /dev/null 2>&1 &
}

# lv_virsh ARGS...: virsh against the daemon of lv_daemon_start.
lv_virsh() {
	virsh -q -c "$LV_URI" "$@"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	case "${1:-}" in
	--example)
		# The guide's example: one plain link, one doorbell link.
		vm_opt_bind=none
		lv_domain kvm vm-a /boot/vmlinuz-VERSION /path/to/initramfs "$(vm_cmdline)" \
			/path/to/console.log /path/to/job \
			plain=link0:16 doorbell=/run/ivshmem-link1.sock:2
		;;
	*)
		echo "usage: $0 --example   (sourced: lv_domain, lv_daemon_start, lv_virsh)" >&2
		exit 2
		;;
	esac
fi
