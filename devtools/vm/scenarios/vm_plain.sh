#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Two VMs over ivshmem-plain (VFIO in the guests, polling):
#  1. Debian's dpdk-testpmd with our plugin, txonly in one and rxonly in the
#     other: the PMD's port counters agree exactly.
#  2. ivshmem-integrity tx -> rx, frames of 60..9000 bytes: every frame
#     verified (stamp, sequence, length, CRC32C), the receiver in zero-copy
#     mode (zero_copy=yes: its mbufs carry the sender's buffers in BAR2),
#     and every mbuf back in its pool at the end.
. "$(dirname "$0")/lib.sh"

FILE=/dev/shm/ivshmem-$SCEN-link
FRAMES=${VM_FRAMES:-100000}
DEV=(--ivshmem-plain "$FILE:16M")
BDF=0000:00:10.0

# The testpmd pair, each step on the event it needs, the host passing the
# word between the guests: rx forwards; then tx sends for TX_S seconds
# (how many packets does not matter: the counts must agree) and quits,
# which drains its port; then rx stops and reads its counters, and quits;
# then integrity, tx's after rx's testpmd is gone. testpmd's output goes
# to $VM_JOB/testpmd.log, line by line, where the host reads it.
TX_S=10
# The guest's testpmd, commands on stdin.
GUEST_TESTPMD="stdbuf -oL -eL $TESTPMD -a $BDF"
vm_start rx "${DEV[@]}" --timeout 240 -- sh -c "
	(echo 'set fwd rxonly'; echo start; $(guest_wait tx-quit); echo stop; echo 'show port stats 0'; echo quit) |
		$GUEST_TESTPMD --file-prefix rx -- -i --total-num-mbufs=8192 > \$VM_JOB/testpmd.log 2>&1
	grep -E 'PMD|packets|ivshmem' \$VM_JOB/testpmd.log
	echo '--- integrity'
	$INTEG $GAPP_EAL --file-prefix rxi -a $BDF,zero_copy=yes -- --role rx --count $FRAMES --min-size 60 --max-size 9000 --timeout 120 --json"
vm_start tx "${DEV[@]}" --timeout 240 -- sh -c "
	(echo 'set fwd txonly'; $(guest_wait rx-forwards); echo start; sleep $TX_S; echo stop; echo 'show port stats 0'; echo quit) |
		$GUEST_TESTPMD --file-prefix tx -- -i --total-num-mbufs=8192 > \$VM_JOB/testpmd.log 2>&1
	grep -E 'PMD|packets|ivshmem' \$VM_JOB/testpmd.log
	$(guest_wait rx-quit)
	echo '--- integrity'
	$INTEG $GAPP_EAL --file-prefix txi -a $BDF -- --role tx --count $FRAMES --min-size 60 --max-size 9000 --wait-link 60 --timeout 120 --json"

# Bounds that only stop a run that hangs: the guests' own time limit.
t_wait_log "$(vm_job rx)/testpmd.log" 'rxonly packet forwarding - ports=' 200 ||
	t_fail "rx: testpmd did not start forwarding"
vm_tell tx rx-forwards
t_wait_log "$(vm_job tx)/testpmd.log" 'Bye\.\.\.' 200 || t_fail "tx: testpmd did not quit"
vm_tell rx tx-quit
t_wait_log "$(vm_job rx)/testpmd.log" 'Bye\.\.\.' 200 || t_fail "rx: testpmd did not quit"
vm_tell tx rx-quit

rc_tx=0; rc_rx=0
vm_wait tx || rc_tx=$?
vm_wait rx || rc_rx=$?

tx_pkts=$(sed -n '1,/--- integrity/p' "$WORK/tx.out" | port_stat /dev/stdin TX-packets)
rx_pkts=$(sed -n '1,/--- integrity/p' "$WORK/rx.out" | port_stat /dev/stdin RX-packets)
t_log "testpmd: tx ${tx_pkts:-?} packets, rx ${rx_pkts:-?} packets"
t_check "'$tx_pkts' =~ ^[0-9]+$ && $tx_pkts -gt 0" "testpmd txonly sent packets ($tx_pkts)"
t_check "'$tx_pkts' == '$rx_pkts'" "testpmd rxonly counted every one: tx $tx_pkts, rx $rx_pkts"

t_check "'$rc_tx' == 0" "integrity tx guest exited 0 ($rc_tx)"
t_check "'$rc_rx' == 0" "integrity rx guest exited 0 ($rc_rx)"
pass=$(json_field "$WORK/rx.out" pass)
got=$(json_field "$WORK/rx.out" received)
all_zero "$WORK/rx.out" "integrity" lost reordered corrupt
t_check "'$pass' == True && '$got' == '$FRAMES'" "integrity: pass=$pass received=$got of $FRAMES"
lent=$(xstat "$WORK/rx.out" rx_q0_zc_lent)
t_check "${lent:--1} -gt 0" "integrity rx: $lent buffers lent zero-copy (rx_q0_zc_lent): zero-copy exercised"
mbufs_back "$WORK/rx.out" "integrity rx"
t_pass "testpmd: $rx_pkts packets; integrity: $got frames of 60..9000 bytes verified, 0 lost, 0 reordered, 0 corrupt; $lent buffers lent zero-copy from BAR2, every mbuf back"
