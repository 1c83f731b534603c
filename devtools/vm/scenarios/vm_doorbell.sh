#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Two VMs over ivshmem-doorbell and our ivshmem-server: the receiving VM
# runs in RX interrupt mode (it sleeps on its queue's MSI-X vector, through
# VFIO, whenever the ring is empty), the sending VM rings its doorbell
# register only when the receiver has announced sleep. Every frame is
# verified; doorbells and sleeps per packet are reported. The sender pauses
# after each burst, long enough for the receiver to find its ring empty and
# sleep, so doorbells are rung throughout the run, not only when the sender
# happens to be slow (without the pause, one run rang a single doorbell).
. "$(dirname "$0")/lib.sh"

FRAMES=${VM_FRAMES:-50000}
PAUSE_US=1000
BDF=0000:00:10.0
start_server 2

vm_start rx --ivshmem-doorbell "$SOCK:2" --timeout 240 -- sh -c "
	$INTEG $GAPP_EAL --file-prefix rx -a $BDF,intr_spin_us=0 -- --role rx --rx-mode intr --count $FRAMES \
		--min-size 60 --max-size 1514 --timeout 150 --json"
vm_start tx --ivshmem-doorbell "$SOCK:2" --timeout 240 -- sh -c "
	$INTEG $GAPP_EAL --file-prefix tx -a $BDF -- --role tx --count $FRAMES \
		--min-size 60 --max-size 1514 --tx-pause-us $PAUSE_US --wait-link 90 --timeout 150 --json"
rc_tx=0; rc_rx=0
vm_wait tx > /dev/null || rc_tx=$?
vm_wait rx > /dev/null || rc_rx=$?
grep -E "summary|RESULT|MSI-X|doorbells aimed" "$WORK/rx.out" "$WORK/tx.out" | sed 's/^/  /'
t_check "'$rc_tx' == 0" "the sender exited 0 ($rc_tx)"
t_check "'$rc_rx' == 0" "the receiver exited 0 ($rc_rx)"
got=$(json_field "$WORK/rx.out" received)
t_check "'$got' == '$FRAMES'" "received $got of $FRAMES"
sleeps=$(xstat "$WORK/rx.out" rx_q0_sleeps)
wakeups=$(xstat "$WORK/rx.out" rx_q0_wakeups)
bells=$(xstat "$WORK/tx.out" tx_q0_doorbells)
t_log "receiver slept $sleeps times, woke $wakeups times; sender rang $bells doorbells for $FRAMES frames ($(awk "BEGIN{printf \"%.4f\", $bells/$FRAMES}") per frame)"
t_check "$sleeps -gt 0" "the receiver slept: interrupt mode exercised"
t_check "$bells -gt 0" "doorbells rung: the receiver was woken through MSI-X"
t_check "$bells -le $sleeps" "no more doorbells ($bells) than sleeps ($sleeps)"
t_pass "$got frames verified with the receiver in RX interrupt mode"
