#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Zero-copy both ways between two VMs, over BAR2:
#  1. ivshmem-doorbell and our ivshmem-server, a 64 MiB region: the sending
#     VM builds its frames in the port's pool TX mempool (its part of BAR2),
#     the receiving VM has zero_copy=yes and sleeps in RX interrupt mode.
#     Every frame of 60..9000 bytes verified; frames went without a copy on
#     both sides (pool descriptors sent, buffers lent); every pool mbuf and
#     every receiver mbuf back at the end; doorbells, sleeps and wakeups per
#     frame reported.
#  2. ivshmem-plain: the receiver holds the last HOLD frames (pool buffers of
#     the sender, in BAR2) when the sending VM's QEMU is killed. A new VM
#     sends on the same file. The survivor frees what it held after the
#     death, keeps those ids from the new sender (zc_stale), verifies the new
#     sender's frames and ends with every mbuf back.
. "$(dirname "$0")/lib.sh"

FRAMES=${VM_FRAMES:-20000}
BDF=0000:00:10.0
SIZES="--min-size 60 --max-size 9000"

# ---- 1. pool TX -> zero-copy RX in interrupt mode ----------------------------
start_server 2 64M
vm_start rx --ivshmem-doorbell "$SOCK:2" --timeout 300 -- sh -c "
	$INTEG $GAPP_EAL --file-prefix rx -a $BDF,zero_copy=yes,intr_spin_us=0 -- --role rx --rx-mode intr \
		--count $FRAMES $SIZES --timeout 200 --json"
vm_start tx --ivshmem-doorbell "$SOCK:2" --timeout 300 -- sh -c "
	$INTEG $GAPP_EAL --file-prefix tx -a $BDF -- --role tx --tx-pool --count $FRAMES $SIZES \
		--wait-link 90 --timeout 200 --json"
rc_tx=0; rc_rx=0
vm_wait tx > /dev/null || rc_tx=$?
vm_wait rx > /dev/null || rc_rx=$?
grep -E "summary|RESULT|MSI-X|pool" "$WORK/rx.out" "$WORK/tx.out" | sed 's/^/  /'
t_check "'$rc_tx' == 0" "pool TX sender exited 0 ($rc_tx)"
t_check "'$rc_rx' == 0" "zero-copy receiver exited 0 ($rc_rx)"
got=$(json_field "$WORK/rx.out" received)
t_check "'$got' == '$FRAMES'" "received $got of $FRAMES"
all_zero "$WORK/rx.out" "receiver" lost reordered corrupt
descs=$(xstat "$WORK/tx.out" tx_q0_pool_descs)
lent=$(xstat "$WORK/rx.out" rx_q0_zc_lent)
t_check "$descs -gt 0" "the sender published $descs pool descriptors (no copy on TX)"
t_check "$lent -gt 0" "the receiver lent $lent of them to the application (no copy on RX)"
out=$(json_field "$WORK/tx.out" tx_pool_out)
t_check "'$out' == 0" "every pool mbuf back in the sender's pool ($out out)"
mbufs_back "$WORK/rx.out" "receiver"
sleeps=$(xstat "$WORK/rx.out" rx_q0_sleeps)
wakeups=$(xstat "$WORK/rx.out" rx_q0_wakeups)
bells=$(xstat "$WORK/tx.out" tx_q0_doorbells)
t_check "$sleeps -gt 0" "the receiver slept ($sleeps times): interrupt mode exercised"
t_check "$bells -le $sleeps" "no more doorbells ($bells) than sleeps ($sleeps)"
t_log "part 1: $FRAMES frames, $descs pool descriptors, $lent lent; doorbells $bells ($(awk "BEGIN{printf \"%.4f\", $bells/$FRAMES}")/frame), sleeps $sleeps, wakeups $wakeups"

# ---- 2. the sending VM killed while the receiver holds its buffers -----------
FILE=/dev/shm/ivshmem-$SCEN-link
DEV=(--ivshmem-plain "$FILE:64M")
# Frames held: each up to 5 pool buffers of 2 KiB at 9000 bytes, well
# within the queue's 1024 pool ids.
HOLD=150
# As in vm_restart: TCG guests on a loaded host miss heartbeats for longer
# than the default 500 ms.
DEAD_MS=5000
rm -f "$FILE"
# The receiver runs until the host says stop (after the second sender is
# done), then ends on SIGINT like an application that is told to quit.
vm_start rx "${DEV[@]}" --timeout 300 -- sh -c "
	$INTEG $GAPP_EAL --file-prefix rx -a $BDF,zero_copy=yes,peer_timeout_ms=$DEAD_MS -- --role rx --restart-ok \
		--hold $HOLD --count $FRAMES $SIZES --timeout 260 --progress 1 --json &
	p=\$!
	$(guest_wait stop)
	kill -INT \$p
	wait \$p"
vm_start tx1 "${DEV[@]}" --timeout 300 -- sh -c "
	$INTEG $GAPP_EAL --file-prefix tx -a $BDF,peer_timeout_ms=$DEAD_MS -- --role tx --tx-pool --count 0 $SIZES \
		--wait-link 90 --timeout 200"
t_wait_log "$(vm_job rx)/out.log" 'received [0-9]{4,}' 150 ||
	t_fail "the receiver got fewer than 1000 frames from the first sender"
t_wait_log "$(vm_job rx)/out.log" '^link up at' 60 || t_fail "the receiver saw no link up"
t_log "the receiver holds the last $HOLD frames' buffers: killing the sending VM's QEMU"
vm_kill tx1
t_wait_log "$(vm_job rx)/out.log" '^link down at' 60 ||
	t_fail "the receiver saw no link down within 60 s of the kill"
vm_start tx2 "${DEV[@]}" --timeout 300 -- sh -c "
	$INTEG $GAPP_EAL --file-prefix tx -a $BDF,peer_timeout_ms=$DEAD_MS -- --role tx --tx-pool --count $FRAMES $SIZES \
		--wait-link 90 --timeout 200 --json"
rc_tx=0; rc_rx=0
vm_wait tx2 > /dev/null || rc_tx=$?
vm_tell rx stop
vm_wait rx > /dev/null || rc_rx=$?
grep -E "summary|RESULT|link (up|down)" "$WORK/rx.out" | sed 's/^/  [rx] /'
t_check "'$rc_tx' == 0" "the second sender exited 0 ($rc_tx): $(tail -3 "$WORK/tx2.out")"
t_check "'$rc_rx' == 0" "the receiver exited 0 ($rc_rx)"
all_zero "$WORK/rx.out" "receiver" lost reordered corrupt stale
last=$(python3 -c 'import json,sys
for l in open(sys.argv[1]):
    i=l.find("{\"role\"")
    if i>=0: d=json.loads(l[i:]); print(len(d["stamps"]), d["stamps"][-1]["frames"])' "$WORK/rx.out")
t_check "'$last' == '2 $FRAMES'" "two sender runs, all $FRAMES frames of the second ($last)"
stale=$(xstat "$WORK/rx.out" rx_q0_zc_stale)
t_check "$stale -gt 0" "$stale buffers of the dead sender freed after its death and kept from the new one (zc_stale)"
mbufs_back "$WORK/rx.out" "receiver"
out=$(json_field "$WORK/tx2.out" tx_pool_out)
t_check "'$out' == 0" "every pool mbuf back in the second sender's pool ($out out)"
t_pass "pool TX and zero-copy RX between VMs: $FRAMES frames in interrupt mode ($bells doorbells); a sender killed under $HOLD held frames, $stale stale buffers kept from its successor, every mbuf back"
