#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Run a command in a QEMU guest that sees the host's files and has ivshmem
# devices. See devtools/vm/README.md.
set -euo pipefail
# shellcheck source=devtools/vm/vmlib.sh
. "$(dirname "${BASH_SOURCE[0]}")/vmlib.sh"

usage() {
	cat <<'EOF'
usage: run.sh [OPTIONS] [--] COMMAND [ARG]...
       run.sh --background [OPTIONS] [--] COMMAND [ARG]...
       run.sh --wait HANDLE
       run.sh --kill HANDLE
       run.sh --probe-kvm

Runs COMMAND as root in a new guest, in the caller's working directory, with
the host's files visible (writes stay in the guest) and $VM_JOB (/run/job in
the guest) shared with the host. Prints the command's output as it comes and
exits with its status: 124 when the time limit killed the guest, 125 when the
guest ended without running the command, 2 on usage errors.

--background starts the guest and prints a HANDLE (a directory) at once;
--wait HANDLE then prints the output, exits with the status and removes the
handle; --kill HANDLE stops the guest and removes the handle.
--probe-kvm probes KVM again and prints the accelerator guests will use.

Options:
  -m, --mem MIB            guest memory in MiB (default 1024)
  -c, --cpus N             vCPUs (default 1)
  --hugepages N            2 MiB huge pages reserved in the guest (default 256)
  --ivshmem-plain PATH:SIZE
                           ivshmem-plain device on file PATH (created or
                           grown by QEMU) of SIZE bytes (suffix K, M, G;
                           a power of two). Repeatable.
  --ivshmem-doorbell SOCK[:VECTORS]
                           ivshmem-doorbell device of the ivshmem server at
                           UNIX socket SOCK, with VECTORS MSI-X vectors
                           (default 1). Repeatable.
                           The i-th ivshmem device (from 0) is at 00:1i.0
                           (0000:00:10.0, 0000:00:11.0, ...).
  --bind DRIVER            driver of the ivshmem devices: vfio-pci (default)
                           or none
  --timeout SECONDS        time limit of the guest (default 300)
  --accel auto|kvm|tcg     default auto: $VM_ACCEL, else the KVM probe
  --owner PID              kill the guest when process PID ends
  --name NAME              name in messages (default guest)
  --console                copy the guest console (kernel, /init) to stderr
  --append WORDS           more kernel command line words
  --qemu-arg ARG           one more QEMU argument. Repeatable.

Environment: VM_ACCEL (kvm|tcg), VM_KEEP=1 (keep handles), VM_CACHE_DIR,
VM_KERNEL_VERSION, VM_QEMU, TMPDIR (where handles are made).
EOF
	exit 2
}

mode=foreground
console=0

# need_int NAME VALUE MIN MAX: VALUE is a decimal integer in [MIN, MAX].
need_int() {
	{ [[ $2 =~ ^[0-9]+$ ]] && [ "$2" -ge "$3" ] && [ "$2" -le "$4" ]; } ||
		vm_die "$1: '$2' is not an integer from $3 to $4"
}

while [ $# -gt 0 ]; do
	case "$1" in
	--wait | --kill)
		[ $# = 2 ] || usage
		vm_check_handle "$2"
		h=$2
		if [ "$1" = --kill ]; then
			vm_stop "$h"
			vm_finish "$h"
			exit 0
		fi
		trap 'vm_stop "$h"; vm_finish "$h"' EXIT
		trap 'exit 130' INT
		trap 'exit 143' TERM
		while ! vm_is_done "$h"; do
			sleep 0.2
		done
		cat "$h/job/out.log" 2>/dev/null || true
		exit "$(vm_result "$h")"
		;;
	--probe-kvm)
		[ $# = 1 ] || usage
		vm_accel --reprobe
		exit 0
		;;
	--background) mode=background ;;
	-m | --mem) need_int "$1" "${2:-}" 128 65536; vm_opt_mem=$2; shift ;;
	-c | --cpus) need_int "$1" "${2:-}" 1 64; vm_opt_cpus=$2; shift ;;
	--hugepages) need_int "$1" "${2:-}" 0 65536; vm_opt_hugepages=$2; shift ;;
	--timeout) need_int "$1" "${2:-}" 1 86400; vm_opt_timeout=$2; shift ;;
	--owner) need_int "$1" "${2:-}" 1 4194304; vm_opt_owner=$2; shift ;;
	--bind)
		case "${2:-}" in
		vfio-pci | none) vm_opt_bind=$2 ;;
		*) vm_die "--bind: '${2:-}' is not vfio-pci or none" ;;
		esac
		shift
		;;
	--accel)
		case "${2:-}" in
		auto | kvm | tcg) vm_opt_accel=$2 ;;
		*) vm_die "--accel: '${2:-}' is not auto, kvm or tcg" ;;
		esac
		shift
		;;
	--ivshmem-plain)
		spec=${2:-}
		path=${spec%:*}
		{ size=$(vm_parse_size "${spec##*:}") && [ "$path" != "$spec" ] && [ -n "$path" ]; } ||
			vm_die "--ivshmem-plain: '$spec' is not PATH:SIZE (SIZE like 4M)"
		((size > 0 && (size & (size - 1)) == 0)) ||
			vm_die "--ivshmem-plain: size ${spec##*:} of '$spec' is not a power of two"
		vm_opt_ivshmem+=("plain=$path:$size")
		shift
		;;
	--ivshmem-doorbell)
		spec=${2:-}
		[ -n "$spec" ] || vm_die "--ivshmem-doorbell: needs SOCK[:VECTORS]"
		vectors=1
		if [[ $spec =~ ^(.+):([0-9]+)$ ]]; then
			spec=${BASH_REMATCH[1]}
			vectors=${BASH_REMATCH[2]}
		fi
		need_int "--ivshmem-doorbell vectors" "$vectors" 1 1024
		vm_opt_ivshmem+=("doorbell=$spec:$vectors")
		shift
		;;
	--name) [ -n "${2:-}" ] || usage; vm_opt_name=$2; shift ;;
	--append) [ -n "${2:-}" ] || usage; vm_opt_append=$2; shift ;;
	--qemu-arg) [ $# -ge 2 ] || usage; vm_opt_qemu_args+=("$2"); shift ;;
	--console) console=1 ;;
	-h | --help) usage ;;
	--) shift; break ;;
	-*) vm_die "unknown option $1 (see --help)" ;;
	*) break ;;
	esac
	shift
done
[ $# -gt 0 ] || usage
[ ${#vm_opt_ivshmem[@]} -le 16 ] || vm_die "at most 16 ivshmem devices"

why=$(vm_missing)
[ -z "$why" ] || vm_die "cannot run guests: $why"
if [ "$vm_opt_accel" = auto ]; then
	vm_opt_accel=$(vm_accel)
fi

if [ $mode = background ]; then
	h=$(vm_start "$@")
	vm_log "$vm_opt_name: started under ${vm_opt_accel^^}, handle $h"
	echo "$h"
	exit 0
fi

# Foreground: the guest dies with this script.
vm_opt_owner=$$
h=$(vm_start "$@")
trap 'vm_stop "$h"; vm_finish "$h"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
vm_log "$vm_opt_name: started under ${vm_opt_accel^^}"
# Copy what the guest writes as it comes: each cat continues from where the
# last one stopped, as they share the descriptor's offset. The command's
# output goes to stdout, the console (with --console) to stderr.
exec 3< "$h/job/out.log"
[ $console = 1 ] && exec 4< "$h/console.log"
copy() {
	cat <&3
	[ $console = 0 ] || cat <&4 >&2
}
start=$SECONDS
while ! vm_is_done "$h"; do
	copy
	sleep 0.2
done
copy
rc=$(vm_result "$h")
vm_log "$vm_opt_name: exit status $rc after $((SECONDS - start)) s"
exit "$rc"
