#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Proof that the VM harness gives guests a usable ivshmem device (meson
# suite vm). Exit 0 pass, 1 fail, 77 skip, in the words of
# devtools/testlib.sh.
#
# 1. One guest, ivshmem-plain on a host file: the device is 1af4:1110 with
#    the right BAR2; a marker written through sysfs resource2 (no driver)
#    and one written through VFIO (after dpdk-devbind.py binds it to
#    vfio-pci) reach the host file; DMA maps at IOVA = VA; DPDK's EAL
#    initializes VFIO with IOVA as VA (vm_smoke_guest.sh device).
# 2. Two guests at once on one file: each sees what the other writes into
#    BAR2 through VFIO (ping, pong).
# 3. With an ivshmem server (QEMU's command line: -F -S -m -l -n), given as
#    $IVSHMEM_SERVER or found in BUILD_DIR/app/ivshmem-server: one guest
#    with ivshmem-doorbell sees its registers, BAR2 and MSI-X vectors
#    through VFIO, and what it writes reaches the server's shared memory.
#
# Usage: vm_smoke.sh [BUILD_DIR]
# Prints boot and step times; they are information, never pass/fail.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=devtools/testlib.sh
. "$here/../../testlib.sh"
run=$here/../run.sh
guest=$here/vm_smoke_guest.sh
# The step a failure message names.
step=setup

# fail WHY: t_fail, naming the step.
fail() { t_fail "$step: $*"; }

why=$(. "$here/../vmlib.sh" && vm_missing)
[ -z "$why" ] || t_skip "$why"
command -v dpdk-testpmd >/dev/null || t_skip "no dpdk-testpmd (apt-get install dpdk)"
command -v dpdk-devbind.py >/dev/null || t_skip "no dpdk-devbind.py (apt-get install dpdk)"
[ -x /usr/bin/python3 ] || t_skip "no /usr/bin/python3 for the guest"

server=${IVSHMEM_SERVER:-}
if [ -z "$server" ] && [ -x "${1:-}/app/ivshmem-server/ivshmem-server" ]; then
	server=$1/app/ivshmem-server/ivshmem-server
fi

t_init
work=$T_DIR
shm_name=vm_smoke-$$
handles=()
# At exit: the guests still running killed, the server's shm removed.
# shellcheck disable=SC2317 # called by the EXIT trap (t_at_exit)
smoke_cleanup() {
	local h
	for h in "${handles[@]}"; do
		"$run" --kill "$h" 2>/dev/null || true
	done
	rm -f "/dev/shm/$shm_name"
}
t_at_exit smoke_cleanup

# at FILE OFFSET LEN: LEN bytes of FILE at OFFSET.
at() { dd if="$1" bs=1 skip="$2" count="$3" status=none; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

size=4M
bytes=$((4 << 20))
tag=smoke-$$-$RANDOM
t0=$(now)

step="one guest"
shm=$work/one.shm
t=$(now)
out=$("$run" --name smoke --timeout 120 --bind none --ivshmem-plain "$shm:$size" -- \
	"$guest" device "$bytes" "$tag-sysfs" "$tag-vfio" 2>&1) || {
	echo "$out" >&2
	fail "guest failed"
}
echo "$out"
boot=$(echo "$out" | sed -n 's/^guest-ready-at //p')
echo "one guest: booted in ${boot} s of guest time, step $(since "$t") s"
[ "$(stat -c %s "$shm")" = $bytes ] || fail "$shm is not $bytes bytes"
got=$(at "$shm" 0 $((${#tag} + 6)))
[ "$got" = "$tag-sysfs" ] || fail "host file has '$got' at 0, expected '$tag-sysfs'"
got=$(at "$shm" 64 $((${#tag} + 5)))
[ "$got" = "$tag-vfio" ] || fail "host file has '$got' at 64, expected '$tag-vfio'"
t_ok "host file holds both markers"

step="two guests"
shm=$work/two.shm
t=$(now)
a=$("$run" --background --owner $$ --name smoke-a --timeout 150 \
	--ivshmem-plain "$shm:$size" -- "$guest" ping "$tag-a" "$tag-b")
handles+=("$a")
b=$("$run" --background --owner $$ --name smoke-b --timeout 150 \
	--ivshmem-plain "$shm:$size" -- "$guest" pong "$tag-a" "$tag-b")
handles+=("$b")
rc_a=0
out_a=$("$run" --wait "$a" 2>&1) || rc_a=$?
handles=("$b")
rc_b=0
out_b=$("$run" --wait "$b" 2>&1) || rc_b=$?
handles=()
# shellcheck disable=SC2001 # a prefix on every line, not one substitution
sed 's/^/A: /' <<< "$out_a"
# shellcheck disable=SC2001
sed 's/^/B: /' <<< "$out_b"
[ $rc_a = 0 ] || fail "guest A exit status $rc_a"
[ $rc_b = 0 ] || fail "guest B exit status $rc_b"
got=$(at "$shm" 128 $((${#tag} + 2)))$(at "$shm" 256 $((${#tag} + 2)))
[ "$got" = "$tag-a$tag-b" ] || fail "host file has '$got', expected '$tag-a$tag-b'"
echo "two guests: step $(since "$t") s"

step=doorbell
if [ -z "$server" ]; then
	t_skip_part "doorbell step: no \$IVSHMEM_SERVER, no BUILD_DIR/app/ivshmem-server"
else
	t=$(now)
	sock=$work/server.sock
	"$server" -F -S "$sock" -m "/$shm_name" -l "$size" -n 2 > "$work/server.log" 2>&1 &
	T_PIDS+=($!)
	t_wait_log "$work/server.log" 'listening on' 10 ||
		fail "$server did not listen on $sock: $(cat "$work/server.log")"
	out=$("$run" --name smoke-doorbell --timeout 120 --ivshmem-doorbell "$sock:2" -- \
		"$guest" doorbell "$bytes" 2 "$tag-doorbell" 2>&1) || {
		echo "$out" >&2
		fail "guest failed"
	}
	echo "$out"
	got=$(at "/dev/shm/$shm_name" 0 $((${#tag} + 9)))
	[ "$got" = "$tag-doorbell" ] || fail "server memory has '$got' at 0, expected '$tag-doorbell'"
	t_ok "server memory holds the marker"
	echo "doorbell: step $(since "$t") s"
fi

t_pass "one guest, two guests, doorbell: total $(since "$t0") s"
