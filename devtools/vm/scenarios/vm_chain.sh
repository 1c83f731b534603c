#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# A chain of three VMs: VM A sends verified frames on link a
# (ivshmem-plain); VM B runs DPDK's own l2fwd between link a (its port 0)
# and link b (port 1: ivshmem-doorbell on our ivshmem-server); VM C
# receives from link b in RX interrupt mode and checks every frame.
#  1. copy mode in B;
#  2. zero-copy RX in B (zero_copy=yes on port 0): each frame B receives
#     from A is an mbuf over A's buffer in BAR2, which l2fwd transmits on
#     link b, and whose free (after the copy into link b) returns the
#     buffer to A.
# l2fwd drops what tx_burst does not take (no retry, its design): every
# frame sent by A either arrives at C intact and in order, or is counted in
# l2fwd's "dropped" for port 1. Each part reports the chain's rate (under
# TCG when KVM is not there) and C's sleeps, wakeups and B's doorbells per
# frame (from the PMD's totals at close).
. "$(dirname "$0")/lib.sh"

L2FWD=${IVSHMEM_L2FWD:-$TOP/build-deps/l2fwd/build/l2fwd}
[ -x "$L2FWD" ] || t_skip "l2fwd not built at $L2FWD (devtools/setup.sh builds it from Debian's dpdk source package)"
FRAMES=${VM_FRAMES:-20000}
SIZES="--min-size 60 --max-size 1514"
# A paces itself (a burst, then this pause): l2fwd drops what link b does
# not take, and C wakes from its sleeps slowly in a TCG guest.
PAUSE_US=1000
BDF=0000:00:10.0
start_server 2

# l2fwd_port FILE PORT WHAT: WHAT ("sent", "received", "dropped") of PORT
# in the last statistics block l2fwd printed to FILE.
l2fwd_port() {
	awk -v port="$2" -v what="$3" '
		/Statistics for port/ {p = ($4 == port)}
		p && $0 ~ "Packets " what {v = $NF}
		END {print v + 0}' "$1"
}

# chain PART B-PORT0-DEVARGS: one run of A -> B -> C, judged.
chain() {
	local part=$1 zc=$2 rc_a=0 rc_c=0 a_file=/dev/shm/ivshmem-$SCEN-a-$1
	local sent dropped fwd_rx got lost ms bells sleeps wakeups lent copied why
	rm -f "$a_file"
	# C runs until the host says stop: a receiver with a count would
	# wait for frames l2fwd dropped.
	vm_start "c$part" --ivshmem-doorbell "$SOCK:2" --timeout 300 -- sh -c "
		$INTEG $GAPP_EAL --file-prefix c -a $BDF,intr_spin_us=0 -- --role rx --rx-mode intr \
			--count 0 $SIZES --timeout 260 --progress 1 --json &
		p=\$!
		$(guest_wait stop)
		kill -INT \$p
		wait \$p"
	# l2fwd prints its statistics every second and none at exit: it
	# stops two periods after the host says so, and its last block
	# counts every frame.
	vm_start "b$part" --ivshmem-plain "$a_file:16M" --ivshmem-doorbell "$SOCK:2" --timeout 300 -- sh -c "
		$L2FWD -l 0 -d $PLUGIN -a $BDF$zc -a 0000:00:11.0 --log-level=pmd.net.ivshmem.*:info -- \
			-p 0x3 -q 2 --no-mac-updating -T 1 & p=\$!
		$(guest_wait stop)
		sleep 2; kill -INT \$p; wait \$p"
	vm_start "a$part" --ivshmem-plain "$a_file:16M" --timeout 300 -- sh -c "
		$INTEG $GAPP_EAL --file-prefix a -a $BDF -- --role tx --count $FRAMES $SIZES --tx-pause-us $PAUSE_US \
			--wait-link 120 --timeout 200 --json"
	vm_wait "a$part" > /dev/null || rc_a=$?
	t_check "'$rc_a' == 0" "part $part: A sent $FRAMES frames ($rc_a)"
	# Every frame of A has left B once port 1's sent + dropped add up;
	# then C has all that was sent once its count gets there.
	local blog cjob
	blog="$(vm_job "b$part")/out.log"
	cjob="$(vm_job "c$part")/out.log"
	local end=$(( $(t_now_ms) + 120000 ))
	while :; do
		sent=$(l2fwd_port "$blog" 1 sent)
		dropped=$(l2fwd_port "$blog" 1 dropped)
		((sent + dropped >= FRAMES)) && break
		(($(t_now_ms) < end)) || t_fail "part $part: l2fwd's port 1 accounted for $((sent + dropped)) of $FRAMES frames in 120 s"
		sleep 0.5
	done
	t_wait_log "$cjob" "received $sent," 120 ||
		t_fail "part $part: C did not report receiving the $sent frames l2fwd sent"
	vm_tell "c$part" stop
	vm_tell "b$part" stop
	vm_wait "c$part" > /dev/null || rc_c=$?
	vm_wait "b$part" > /dev/null || true
	grep -E "summary|RESULT|at close|doorbells|MSI-X|link (up|down)" "$WORK/c$part.out" "$WORK/b$part.out" | sed "s/^/  /"
	# C's verdict fails on gaps, l2fwd's drops: accept that reason alone
	why=$(json_field "$WORK/c$part.out" why)
	t_check "'$rc_c' == 0 || '$why' =~ ^[0-9]+\ lost\;\ \$" \
		"part $part: C exited 0, or failed only on the gaps of l2fwd's drops ($rc_c: $why)"
	got=$(json_field "$WORK/c$part.out" received)
	lost=$(json_field "$WORK/c$part.out" lost)
	all_zero "$WORK/c$part.out" "part $part: C" reordered corrupt foreign stale
	fwd_rx=$(l2fwd_port "$WORK/b$part.out" 0 received)
	dropped=$(l2fwd_port "$WORK/b$part.out" 1 dropped)
	t_check "'$fwd_rx' == '$FRAMES'" "part $part: l2fwd received $fwd_rx of $FRAMES on port 0"
	sent=$(l2fwd_port "$WORK/b$part.out" 1 sent)
	t_check "'$sent' == '$got'" "part $part: C received every frame l2fwd sent on port 1 ($got of $sent)"
	t_check "$((got + dropped)) == $FRAMES && $lost -le $dropped" \
		"part $part: every frame accounted for: $got received by C + $dropped dropped by l2fwd == $FRAMES (lost $lost <= dropped)"
	ms=$(json_field "$WORK/c$part.out" elapsed_ms)
	sleeps=$(xstat "$WORK/c$part.out" rx_q0_sleeps)
	wakeups=$(xstat "$WORK/c$part.out" rx_q0_wakeups)
	bells=$(sed -nE 's/.*0000:00:11\.0: TX queue 0 at close: .*; ([0-9]+) doorbells.*/\1/p' "$WORK/b$part.out" | tail -1)
	lent=$(sed -nE 's/.*0000:00:10\.0: RX queue 0 at close: [0-9]+ frames, ([0-9]+) buffers lent.*/\1/p' "$WORK/b$part.out" | tail -1)
	copied=$(sed -nE 's/.*0000:00:10\.0: RX queue 0 at close: .* ([0-9]+) frames copied.*/\1/p' "$WORK/b$part.out" | tail -1)
	if [ -n "$zc" ]; then
		t_check "${lent:-0} -gt 0" "part $part: B's port 0 lent $lent of A's buffers to l2fwd (zero-copy RX exercised)"
		# more frames went out on port 1 than port 0 copied: lent ones did
		t_check "${copied:-x} =~ ^[0-9]+$ && $sent -gt $copied" \
			"part $part: frames received zero-copy were forwarded: $sent sent on port 1, only $copied of port 0's copied"
	fi
	t_log "part $part: $got frames at C in $ms ms ($(awk "BEGIN{printf \"%.0f\", $got * 1000 / ($ms + 1)}") frames/s), $dropped dropped by l2fwd; C slept $sleeps times, woke $wakeups ($(awk "BEGIN{printf \"%.4f\", $wakeups / ($got + 1)}")/frame); B rang ${bells:-?} doorbells"
}

chain 1 ""
chain 2 ",zero_copy=yes"
t_pass "A -> B (l2fwd) -> C, copy and zero-copy RX in B: every frame intact and in order at C or counted in l2fwd's drops"
