# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
# Shared code of the VM harness: paths, kernel choice, the KVM probe, the
# QEMU command line, and the life of one guest (start, supervise, wait,
# kill). Sourced by mkinitramfs.sh and run.sh; defines functions and the
# options of a guest with their defaults.
#
# A guest is a "handle": a directory made by vm_start that holds
#   job/          shared with the guest (9p tag "job", /run/job in the guest):
#                 cmd.sh (written here), out.log and rc (written by the guest)
#   console.log   the guest's serial console (kernel and /init messages)
#   qemu.log      QEMU's own stdout and stderr
#   qemu.args     the QEMU command line, one argument a line
#   qemu.pid      QEMU's pid, super.pid the supervisor's
#   qemu.status   QEMU's exit status, made when QEMU has ended
#   timedout      present when the time limit killed the guest

VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VM_REPO=$(cd "$VM_DIR/../.." && pwd)
# Everything the harness caches (initramfs, KVM probe) lives here.
VM_CACHE=${VM_CACHE_DIR:-$VM_REPO/build-deps/vm}
VM_QEMU=${VM_QEMU:-qemu-system-x86_64}
# Exit statuses of a guest run that the command itself did not give.
VM_RC_TIMEOUT=124
VM_RC_NOSTATUS=125
# How long the KVM probe guest may take to run `true`.
VM_KVM_PROBE_SECONDS=20

# The options of a guest (run.sh sets them from its command line).
vm_opt_mem=1024         # MiB
vm_opt_cpus=1
# 2 MiB pages reserved in the guest: testpmd's default mbuf pool takes 185.
vm_opt_hugepages=256
vm_opt_bind=vfio-pci    # driver of the ivshmem devices, or none
vm_opt_timeout=300      # seconds
vm_opt_accel=${VM_ACCEL:-auto}
vm_opt_owner=           # pid whose end kills the guest
vm_opt_name=guest
vm_opt_append=          # more kernel command line words
vm_opt_ivshmem=()       # plain=PATH:BYTES or doorbell=SOCK:VECTORS
vm_opt_qemu_args=()

vm_log() { echo "vm: $*" >&2; }
vm_die() { echo "vm: error: $*" >&2; exit 2; }

# The guest kernel: $VM_KERNEL_VERSION, or the newest /boot/vmlinuz-* that
# has its modules installed (the host's running kernel need not be one).
vm_kernel_version() {
	local v f
	if [ -n "${VM_KERNEL_VERSION:-}" ]; then
		echo "$VM_KERNEL_VERSION"
		return 0
	fi
	for f in $(printf '%s\n' /boot/vmlinuz-* | sort -rV); do
		v=${f#/boot/vmlinuz-}
		if [ -r "$f" ] && [ -f "/lib/modules/$v/modules.dep" ]; then
			echo "$v"
			return 0
		fi
	done
	return 1
}

# Serializes builds of cache files between concurrent runs; held until the
# calling (sub)shell ends.
vm_cache_lock() {
	mkdir -p "$VM_CACHE"
	exec 9>"$VM_CACHE/build.lock"
	flock 9
}

# vm_kernel_image KVER: the file to give QEMU's -kernel. That is the
# uncompressed vmlinux, cached in $VM_CACHE, when the kernel has a PVH entry
# point: QEMU then starts it directly, and TCG need not run the kernel's own
# decompressor (4 s of an 8 s boot here). Otherwise /boot/vmlinuz-KVER.
vm_kernel_image() {
	local kver=$1 z=/boot/vmlinuz-$1 out stamp off magic unz tmp
	grep -qx 'CONFIG_PVH=y' "/boot/config-$kver" 2>/dev/null || { echo "$z"; return 0; }
	stamp=$(stat -c %s-%Y "$z")
	out=$VM_CACHE/vmlinux-$kver-$stamp
	[ -s "$out" ] || vm_cache_lock
	if [ ! -s "$out" ]; then
		tmp=$out.tmp.$$
		# The payload is the first stream of a known format that
		# decompresses to an ELF file.
		for magic in 'xz:\xfd7zXZ' 'zstd:\x28\xb5\x2f\xfd' 'gzip:\x1f\x8b\x08'; do
			unz=${magic%%:*}
			# shellcheck disable=SC2013 # byte offsets, one word each
			for off in $(LC_ALL=C grep -abo "$(printf '%b' "${magic#*:}")" "$z" | cut -d: -f1); do
				case "$unz" in
				xz) tail -c +$((off + 1)) "$z" | xz -dc --single-stream ;;
				zstd) tail -c +$((off + 1)) "$z" | zstd -qdc ;;
				gzip) tail -c +$((off + 1)) "$z" | gzip -dc ;;
				esac > "$tmp" 2>/dev/null
				if [ "$(head -c 4 "$tmp" | od -An -c | tr -d ' ')" = '177ELF' ]; then
					mv "$tmp" "$out"
					break 2
				fi
			done
		done
		rm -f "$tmp"
		for f in "$VM_CACHE"/vmlinux-*; do
			[ "$f" = "$out" ] || rm -f "$f"
		done
		[ -s "$out" ] || { vm_log "cannot extract vmlinux from $z; booting it compressed"; echo "$z"; return 0; }
		vm_log "extracted $out for direct (PVH) boot"
	fi
	echo "$out"
}

# Why guests cannot run here, or nothing when they can.
vm_missing() {
	command -v "$VM_QEMU" >/dev/null || { echo "no $VM_QEMU (apt-get install qemu-system-x86)"; return; }
	vm_kernel_version >/dev/null || { echo "no /boot/vmlinuz-* with modules (apt-get install linux-image-amd64)"; return; }
	[ -x /bin/busybox ] || { echo "no /bin/busybox (apt-get install busybox-static)"; return; }
	command -v python3 >/dev/null || echo "no python3"
}

# Size with an optional K, M or G suffix, in bytes; fails on anything else.
vm_parse_size() {
	local v=$1 n unit
	[[ $v =~ ^([0-9]+)([KMG]?)$ ]] || return 1
	n=${BASH_REMATCH[1]}
	unit=${BASH_REMATCH[2]}
	case "$unit" in
	K) n=$((n << 10)) ;;
	M) n=$((n << 20)) ;;
	G) n=$((n << 30)) ;;
	esac
	echo "$n"
}

# kvm or tcg. KVM is used only when a guest boots and runs a job under it:
# /dev/kvm may exist where guests hang. The answer is kept for this boot of
# the host in $VM_CACHE/kvm-probe ("<boot id> <accel>").
vm_accel() {
	local cache=$VM_CACHE/kvm-probe boot id accel
	boot=$(cat /proc/sys/kernel/random/boot_id 2>/dev/null || echo unknown)
	mkdir -p "$VM_CACHE"
	exec 8>"$cache.lock"
	flock 8
	if [ "${1:-}" != --reprobe ] && [ -f "$cache" ] && read -r id accel < "$cache" &&
		[ "$id" = "$boot" ]; then
		exec 8>&-
		echo "$accel"
		return 0
	fi
	accel=tcg
	if [ ! -w /dev/kvm ]; then
		vm_log "KVM probe: /dev/kvm is not usable; using TCG"
	elif "$VM_DIR/run.sh" --accel kvm --timeout $VM_KVM_PROBE_SECONDS --name kvm-probe \
		--hugepages 0 -- true >/dev/null 2>&1; then
		accel=kvm
		vm_log "KVM probe: a guest ran under KVM; using KVM"
	else
		vm_log "KVM probe: a guest did not run under KVM (QEMU failed, or no result in ${VM_KVM_PROBE_SECONDS} s); using TCG"
	fi
	echo "$boot $accel" > "$cache.tmp.$$" && mv "$cache.tmp.$$" "$cache"
	exec 8>&-
	echo "$accel"
}

# The guest kernel's command line, from the vm_opt_* variables (why each
# word: vm_qemu_args).
vm_cmdline() {
	local cmdline="console=ttyS0 panic=-1 no_timer_check intel_iommu=on"
	cmdline+=" vm.hugepages=$vm_opt_hugepages vm.bind=$vm_opt_bind"
	[ -z "$vm_opt_append" ] || cmdline+=" $vm_opt_append"
	echo "$cmdline"
}

# vm_qemu_args HANDLE: writes the QEMU command line to HANDLE/qemu.args, one
# argument a line. Reads the vm_opt_* variables that run.sh sets.
vm_qemu_args() {
	local h=$1 kver kernel initrd i dev spec path size sock vectors cmdline
	kver=$(vm_kernel_version) || vm_die "no guest kernel"
	initrd=$("$VM_DIR/mkinitramfs.sh") || vm_die "cannot build the initramfs"
	kernel=$(vm_kernel_image "$kver")
	# The guest has a virtual Intel IOMMU because vfio-pci needs IOMMU
	# groups and Debian's kernel has no VFIO no-IOMMU mode:
	#   intremap=on: without interrupt remapping, vfio_iommu_type1 refuses
	#     the group (VFIO_SET_IOMMU fails with EPERM: "No interrupt
	#     remapping support"); under KVM it needs kernel-irqchip=split.
	#   aw-bits=48: with the default 39 address bits, mapping DMA at
	#     IOVA = VA (user addresses use 47 bits) fails with EINVAL.
	#   caching-mode is not needed: no device of the guest is assigned
	#     from the host.
	# intel_iommu=on turns it on in kernels that default to off.
	# no_timer_check: under TCG the kernel's check that the IO-APIC timer
	# ticks can fail, and with interrupt remapping that is a panic.
	cmdline=$(vm_cmdline)
	{
		echo "$VM_QEMU"
		printf '%s\n' -name "$vm_opt_name" -nodefaults -no-user-config \
			-display none -no-reboot
		printf '%s\n' -machine q35,kernel-irqchip=split
		if [ "$vm_opt_accel" = kvm ]; then
			printf '%s\n' -accel kvm -cpu host
		else
			printf '%s\n' -accel tcg,thread=multi -cpu max
		fi
		printf '%s\n' -smp "$vm_opt_cpus" -m "$vm_opt_mem"
		printf '%s\n' -device intel-iommu,intremap=on,aw-bits=48
		printf '%s\n' -kernel "$kernel" -initrd "$initrd" -append "$cmdline"
		printf '%s\n' -chardev "file,id=console,path=$h/console.log" -serial chardev:console
		# ivshmem devices first, at fixed slots 00:10.0, 00:11.0, ... in the
		# order given.
		for i in "${!vm_opt_ivshmem[@]}"; do
			dev=${vm_opt_ivshmem[$i]}
			spec=${dev#*=}
			case "$dev" in
			plain=*)
				path=${spec%:*}
				size=${spec##*:}
				printf '%s\n' -object "memory-backend-file,id=ivshmem$i,share=on,mem-path=$path,size=$size" \
					-device "ivshmem-plain,memdev=ivshmem$i,addr=$(printf '0x%x' $((0x10 + i))).0"
				;;
			doorbell=*)
				sock=${spec%:*}
				vectors=${spec##*:}
				printf '%s\n' -chardev "socket,id=ivshmem$i,path=$sock" \
					-device "ivshmem-doorbell,chardev=ivshmem$i,vectors=$vectors,addr=$(printf '0x%x' $((0x10 + i))).0"
				;;
			esac
		done
		# The host root, read-only, and the job directory, read-write.
		printf '%s\n' -fsdev local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap \
			-device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot
		printf '%s\n' -fsdev "local,id=job,path=$h/job,security_model=none" \
			-device virtio-9p-pci,fsdev=job,mount_tag=job
		[ ${#vm_opt_qemu_args[@]} = 0 ] || printf '%s\n' "${vm_opt_qemu_args[@]}"
	} > "$h/qemu.args"
}

# The job script: the command in the caller's working directory (the same
# path in the guest, unless it is under /run, which the guest has its own).
vm_write_job() {
	local h=$1
	shift
	{
		echo '#!/bin/bash'
		printf 'cd %q 2>/dev/null || cd /\n' "$PWD"
		printf 'export VM_JOB=/run/job\n'
		printf 'exec'
		printf ' %q' "$@"
		echo
	} > "$h/job/cmd.sh"
	chmod 0755 "$h/job/cmd.sh"
}

vm_set_status() { echo "$2" > "$1/qemu.status.tmp" && mv "$1/qemu.status.tmp" "$1/qemu.status"; }
vm_is_done() { [ -f "$1/qemu.status" ]; }

# vm_supervise HANDLE: runs QEMU and stays until it ends; kills it when the
# time limit passes, when the owner process is gone, or on a signal.
# Runs in the background, started by vm_start.
vm_supervise() {
	local h=$1 qpid deadline reason=
	local -a args
	set +e
	mapfile -t args < "$h/qemu.args"
	"${args[@]}" > "$h/qemu.log" 2>&1 < /dev/null &
	qpid=$!
	echo "$qpid" > "$h/qemu.pid"
	trap 'kill -KILL $qpid 2>/dev/null; vm_set_status "$h" 143; exit 143' TERM INT HUP
	deadline=$((SECONDS + vm_opt_timeout))
	while kill -0 "$qpid" 2>/dev/null; do
		if [ $SECONDS -ge $deadline ]; then
			reason="time limit of $vm_opt_timeout s"
			touch "$h/timedout"
		elif [ -n "$vm_opt_owner" ] && ! kill -0 "$vm_opt_owner" 2>/dev/null; then
			reason="owner process $vm_opt_owner is gone"
		fi
		if [ -n "$reason" ]; then
			echo "vm: killing $vm_opt_name: $reason" >> "$h/qemu.log"
			kill -KILL "$qpid" 2>/dev/null
			break
		fi
		sleep 0.2
	done
	wait "$qpid"
	vm_set_status "$h" $?
	# Nobody is left to wait for this guest: clean up after it.
	if [ -n "$vm_opt_owner" ] && ! kill -0 "$vm_opt_owner" 2>/dev/null; then
		vm_finish "$h" 2>/dev/null
	fi
}

# vm_start: makes a handle, starts the supervisor and QEMU, prints the handle.
vm_start() {
	local h
	h=$(mktemp -d "${TMPDIR:-/tmp}/ivshmem-vm.XXXXXX") || vm_die "mktemp failed"
	mkdir "$h/job"
	# Made here so that run.sh can open them before the guest writes.
	: > "$h/job/out.log"
	: > "$h/console.log"
	echo "$vm_opt_name" > "$h/name"
	vm_write_job "$h" "$@"
	if ! (vm_qemu_args "$h"); then
		rm -rf "$h"
		exit 2
	fi
	vm_supervise "$h" < /dev/null > /dev/null 2> "$h/super.log" &
	echo $! > "$h/super.pid"
	echo "$h"
}

# vm_stop HANDLE: kills the guest if it is still running, waits for its
# supervisor to finish.
vm_stop() {
	local h=$1 i
	vm_is_done "$h" && return 0
	kill -TERM "$(cat "$h/super.pid" 2>/dev/null)" 2>/dev/null || true
	kill -KILL "$(cat "$h/qemu.pid" 2>/dev/null)" 2>/dev/null || true
	for i in $(seq 50); do
		vm_is_done "$h" && return 0
		sleep 0.1
	done
	vm_log "supervisor of $h did not finish"
}

vm_check_handle() {
	{ [ -n "$1" ] && [ -f "$1/super.pid" ] && [ -d "$1/job" ]; } ||
		vm_die "not a guest handle: '$1'"
}

# vm_result HANDLE: the exit status of the guest's command, explaining on
# stderr when there is none.
vm_result() {
	local h=$1 name rc
	name=$(cat "$h/name")
	if [ -f "$h/job/rc" ]; then
		cat "$h/job/rc"
		return 0
	fi
	if [ -f "$h/timedout" ]; then
		vm_log "$name: killed after the time limit; console tail:"
		rc=$VM_RC_TIMEOUT
	else
		vm_log "$name: the guest ended without a job status; QEMU said:"
		sed 's/^/  qemu: /' "$h/qemu.log" >&2
		vm_log "console tail:"
		rc=$VM_RC_NOSTATUS
	fi
	tail -n 25 "$h/console.log" 2>/dev/null | sed 's/^/  console: /' >&2
	echo "$rc"
}

# vm_finish HANDLE: removes the handle unless asked to keep it.
vm_finish() {
	local h=$1
	if [ "${VM_KEEP:-0}" = 1 ]; then
		vm_log "kept $h"
	else
		rm -rf "$h"
	fi
}
