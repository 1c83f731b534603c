#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The server killed while a VM is joined: a guest (ivshmem-doorbell, RX
# interrupt mode) receives from a host process (vdev server=) that pauses
# after each burst, so that the guest sleeps between bursts and each burst
# needs a doorbell. The server is killed with SIGKILL mid-stream. QEMU keeps
# the memory and the eventfds and the guest cannot see the server go; the
# host port notices, and keeps ringing the guest: the guest goes on
# announcing sleeps and being woken, and every frame arrives.
. "$(dirname "$0")/lib.sh"

BDF=0000:00:10.0
# bursts of 32 small frames, then this pause: slow enough for a TCG guest
# to drain each burst and sleep before the next
PAUSE_US=5000
SIZES=(--min-size 60 --max-size 200)
BEFORE=3000
AFTER=5000
start_server 2
SERVER_PID=${T_PIDS[-1]}

vm_start rx --ivshmem-doorbell "$SOCK:2" --timeout 280 -- sh -c "
	$INTEG $GAPP_EAL --file-prefix rx -a $BDF,intr_spin_us=0 -- --role rx --rx-mode intr --count 0 ${SIZES[*]} \
		--timeout 250 --progress 0.2 --json &
	p=\$!
	$(guest_wait stop)
	kill -INT \$p
	wait \$p"
HOST_EAL=(--no-pci --no-huge -m 256 -l 1 -d "$PLUGIN" --vdev "net_ivshmem0,server=$SOCK" "--log-level=pmd.net.ivshmem.*:info")
"$INTEG" "${HOST_EAL[@]}" --file-prefix htx -- --role tx --count 0 "${SIZES[@]}" --tx-pause-us $PAUSE_US \
	--wait-link 200 --timeout 250 --json > "$WORK/tx.json" 2> "$WORK/tx.log" &
TX_PID=$!
T_PIDS+=("$TX_PID")

GLOG=$(vm_job rx)/out.log
# received, sleeps announced and sleeps that timed out ("out"), as of the
# guest's last progress line
g_field() {
	awk -v k="$1" '$1 == "progress:" { for (i = 1; i < NF; i++) if ($i == k) n = $(i + 1) }
		END { print n + 0 }' "$GLOG"
}
# shellcheck disable=SC2317 # called by t_wait_for
received_ge() { (( $(g_field received) >= $1 )); }
# shellcheck disable=SC2317 # called by t_wait_for
more_progress() { (( $(grep -c '^progress:' "$GLOG") > $1 )); }

t_wait_for 200 received_ge "$BEFORE" || t_fail "the guest received $(g_field received) of the first $BEFORE frames"
t_check "$(g_field announced) -gt 0" "before the kill the guest slept ($(g_field announced) sleeps announced)"
kill -KILL "$SERVER_PID"
t_wait_pid "$SERVER_PID" 10 || t_fail "the server survived SIGKILL"
t_wait_log "$WORK/tx.log" 'peer tracking stops' 10 || t_fail "the host port did not notice the server's death"
lines=$(grep -c '^progress:' "$GLOG")
t_wait_for 20 more_progress "$lines" || t_fail "the guest printed no progress after the server's death"
S0=$(g_field announced)
T0=$(g_field out)
R0=$(g_field received)
t_wait_for 120 received_ge $((R0 + AFTER)) ||
	t_fail "after the server's death the guest received $(( $(g_field received) - R0 )) of $AFTER frames in 120 s"
# sleeps ended by the guest's 100 ms timeout while the host still sends
T1=$(g_field out)
R1=$(g_field received)
kill -INT "$TX_PID"
t_wait_pid "$TX_PID" 30 || t_fail "the host sender did not stop"
rc_tx=$T_STATUS
vm_tell rx stop
rc_rx=0
vm_wait rx > /dev/null || rc_rx=$?
grep -E "summary|RESULT|peer tracking" "$WORK/tx.log" | sed 's/^/  [host tx] /'
grep -E "summary|RESULT" "$WORK/rx.out" | sed 's/^/  [guest rx] /'
t_check "'$rc_tx' == 0" "the host sender exited 0 ($rc_tx)"
t_check "'$rc_rx' == 0" "the guest's receiver exited 0: QEMU and the guest ran through the server's death ($rc_rx)"
SENT=$(json_field "$WORK/tx.json" sent)
GOT=$(json_field "$WORK/rx.out" received)
t_check "'$GOT' == '$SENT'" "the guest received every frame sent ($GOT of $SENT)"
all_zero "$WORK/rx.out" "guest" lost reordered corrupt stale
S1=$(xstat "$WORK/rx.out" rx_q0_sleeps)
BURSTS=$(( (SENT - R0) / 32 ))
t_log "after the death: $((SENT - R0)) frames (about $BURSTS bursts), $((S1 - S0)) sleeps in the guest"
t_check "$((S1 - S0)) -ge $((BURSTS / 4))" \
	"the guest kept sleeping after the server's death: $((S1 - S0)) sleeps for $BURSTS bursts"
# A guest that sleeps unrung wakes by its 100 ms timeout: one per burst.
t_check "$(( (T1 - T0) * 10 )) -lt $(( (R1 - R0) / 32 ))" \
	"... and was woken by the host's doorbells, not by its timeout: $((T1 - T0)) timeouts for $(( (R1 - R0) / 32 )) bursts"
t_pass "server killed with a VM joined: $GOT frames verified, the guest woken by doorbells throughout ($((S1 - S0)) sleeps after the death)"
