#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# A peer VM restarted: QEMU of the sending VM is killed mid-stream and a new
# VM is started on the same ivshmem-plain file. The surviving VM's receiver
# must see the link go down, then up, then clean traffic from the new sender
# (a new stamp from sequence 0; nothing of the old sender after the new one
# started: ivshmem-integrity --restart-ok enforces it).
. "$(dirname "$0")/lib.sh"

FILE=/dev/shm/ivshmem-$SCEN-link
DEV=(--ivshmem-plain "$FILE:16M")
BDF=0000:00:10.0
FRAMES=${VM_FRAMES:-20000}
# A guest under TCG on a loaded host can miss heartbeats for longer than
# the default 500 ms: the new sender would then take the live receiver's
# slot instead of the dead sender's. 5 s covers the stalls seen; the
# receiver's link goes down that much later after the kill.
DEAD_MS=5000
rm -f "$FILE"

vm_start rx "${DEV[@]}" --timeout 300 -- sh -c "
	$INTEG $GAPP_EAL --file-prefix rx -a $BDF,peer_timeout_ms=$DEAD_MS -- --role rx --restart-ok --count $FRAMES \
		--min-size 60 --max-size 1514 --idle 60 --timeout 240 --progress 2 --json"
# First sender: runs until its VM is killed.
vm_start tx1 "${DEV[@]}" --timeout 300 -- sh -c "
	$INTEG $GAPP_EAL --file-prefix tx -a $BDF,peer_timeout_ms=$DEAD_MS -- --role tx --count 0 --min-size 60 --max-size 1514 \
		--wait-link 90 --timeout 200 --progress 2"
# Wait for traffic (the receiver reports progress), then pull the plug.
# The bounds only stop a run that hangs (two guests boot under TCG).
t_wait_log "$(vm_job rx)/out.log" 'received [1-9]' 120 || t_fail "no traffic before the restart"
# ... and the receiver has seen its link up (it may get frames a control
# step before that), so there is a link to go down.
t_wait_log "$(vm_job rx)/out.log" '^link up at' 60 || t_fail "the receiver saw no link up"
t_log "traffic flowing: killing the sending VM's QEMU"
vm_kill tx1
# The receiver sees the link go down (its peer's heartbeat stops) before
# a new VM starts; it waits up to 30 s without frames meanwhile.
t_wait_log "$(vm_job rx)/out.log" '^link down at' 60 ||
	t_fail "the receiver saw no link down within 60 s of the kill"
# Second sender, new VM on the same file: it takes over the dead peer's
# slot once its heartbeat has been silent, then sends a known count.
vm_start tx2 "${DEV[@]}" --timeout 300 -- sh -c "
	$INTEG $GAPP_EAL --file-prefix tx -a $BDF,peer_timeout_ms=$DEAD_MS -- --role tx --count $FRAMES --min-size 60 --max-size 1514 \
		--wait-link 90 --timeout 200 --json"
rc_tx=0; rc_rx=0
vm_wait tx2 > /dev/null || rc_tx=$?
vm_wait rx > /dev/null || rc_rx=$?
grep -E "summary|RESULT|link (up|down)|stamp" "$WORK/rx.out" | sed 's/^/  [rx] /'
t_check "'$rc_tx' == 0" "the second sender exited 0 ($rc_tx): $(tail -3 "$WORK/tx2.out")"
t_check "'$rc_rx' == 0" "the receiver exited 0 ($rc_rx)"
all_zero "$WORK/rx.out" "receiver" lost reordered corrupt stale
stamps=$(json_field "$WORK/rx.out" n_stamps)
t_check "'$stamps' == 2" "frames from 2 sender runs ($stamps)"
# Link events: up, down (the kill), up (the new VM).
ev=$(python3 -c 'import json,sys
for l in open(sys.argv[1]):
    i=l.find("{\"role\"")
    if i>=0: print(" ".join("up" if e["up"] else "down" for e in json.loads(l[i:])["link_events"]))' "$WORK/rx.out")
t_check "'$ev' == 'up down up'*" "receiver link events: up, down (the kill), up (the new VM): $ev"
t_pass "the receiver saw the link go down and up, and clean traffic from both sender runs"
