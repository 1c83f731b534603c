#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# DPDK's own l2fwd (examples/l2fwd from Debian's dpdk source, built by
# devtools/setup.sh against the installed DPDK) forwarding between two
# ivshmem-plain ports of one VM. A host process sends verified frames into
# link A (the VM's port 0); l2fwd forwards them to port 1; a second host
# process receives them from link B and checks every one.
#
# l2fwd drops what tx_burst does not take (its design: no retry), and here a
# TCG guest and two busy-polling host processes share two cores, so the
# receiver is sometimes descheduled. Every frame must therefore either
# arrive intact and in order, or be counted in l2fwd's own "dropped"
# statistics: received + dropped == sent, lost <= dropped (drops after the
# last frame received are in l2fwd's count only), nothing corrupt or
# reordered.
. "$(dirname "$0")/lib.sh"

L2FWD=${IVSHMEM_L2FWD:-$TOP/build-deps/l2fwd/build/l2fwd}
[ -x "$L2FWD" ] || t_skip "l2fwd not built at $L2FWD (devtools/setup.sh builds it from Debian's dpdk source package)"
A=/dev/shm/ivshmem-$SCEN-a
B2=/dev/shm/ivshmem-$SCEN-b
FRAMES=${VM_FRAMES:-50000}
rm -f "$A" "$B2"
# l2fwd prints its statistics every STATS_S seconds, and none at exit: it
# stops two periods after the host says so, so that the last block
# printed counts every frame.
STATS_S=1

vm_start fwd --ivshmem-plain "$A:16M" --ivshmem-plain "$B2:16M" --timeout 240 -- sh -c "
	$L2FWD -l 0 -d $PLUGIN -a 0000:00:10.0 -a 0000:00:11.0 --log-level=pmd.net.ivshmem.*:info -- \
		-p 0x3 -q 2 --no-mac-updating -T $STATS_S & pid=\$!
	$(guest_wait stop)
	sleep $((2 * STATS_S)); kill -INT \$pid; wait \$pid"

# QEMU creates both files; the host processes join them once they exist.
t_wait_for 30 test -s "$A" -a -s "$B2" || t_fail "QEMU did not create the shared files within 30 s"
HOST=(--no-pci --no-huge -m 256 -d "$PLUGIN" "--log-level=pmd.net.ivshmem.*:info")
"$INTEG" "${HOST[@]}" -l 1 --file-prefix hrx --vdev "net_ivshmem0,shm=$B2" -- --role rx \
	--count "$FRAMES" --min-size 60 --max-size 1514 --idle 5 --timeout 150 --json > "$WORK/rx.out" 2>&1 &
rxpid=$!
T_PIDS+=("$rxpid")
rc=0
"$INTEG" "${HOST[@]}" -l 0 --file-prefix htx --vdev "net_ivshmem0,shm=$A" -- --role tx \
	--count "$FRAMES" --min-size 60 --max-size 1514 --wait-link 90 --timeout 150 --json > "$WORK/tx.out" 2>&1 || rc=$?
# The receiver's own verdict fails on any gap, l2fwd's drops included:
# it is judged below from its counts instead.
wait "$rxpid" || true
sed 's/^/  [host tx] /' "$WORK/tx.out" | grep -E 'summary|RESULT' || true
sed 's/^/  [host rx] /' "$WORK/rx.out" | grep -E 'summary|RESULT' || true
vm_tell fwd stop 2>/dev/null || true
vm_wait fwd > /dev/null || true
t_check "'$rc' == 0" "host tx exited 0 ($rc)"
got=$(json_field "$WORK/rx.out" received)
lost=$(json_field "$WORK/rx.out" lost)
all_zero "$WORK/rx.out" "far end" reordered corrupt foreign stale
# l2fwd's last statistics block: port 1 (the one it sends on) "dropped".
dropped=$(awk '/Statistics for port 1/{p=1} p&&/Packets dropped/{d=$NF; p=0} END{print d+0}' "$WORK/fwd.out")
fwd_rx=$(awk '/Statistics for port 0/{p=1} p&&/Packets received/{d=$NF; p=0} END{print d+0}' "$WORK/fwd.out")
t_log "l2fwd: port 0 received $fwd_rx, port 1 dropped $dropped; far end: received $got, lost $lost"
t_check "'$fwd_rx' == '$FRAMES'" "l2fwd received $fwd_rx of $FRAMES on port 0"
t_check "$got -gt 0" "frames arrived at the far end ($got)"
# (the receiver's "lost" counts gaps between frames it got: drops after
# the last frame it received are in l2fwd's count only)
t_check "$((got + dropped)) == $FRAMES && $lost -le $dropped" \
	"every frame accounted for: $got received + $dropped dropped by l2fwd == $FRAMES (lost $lost <= dropped)"
t_pass "host -> VM l2fwd (port 0 -> port 1) -> host: $got frames verified intact and in order, $dropped dropped by l2fwd and accounted for"
