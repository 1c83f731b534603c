#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Doorbells outlive the server. Two server= ports: a receiver in RX
# interrupt mode (intr_spin_us=0: it announces sleep as soon as its ring is
# empty) and a sender that pauses after each burst, so that the receiver
# sleeps between bursts and every burst needs a doorbell. The server is
# killed with SIGKILL mid-stream. Both ports notice, and the sender keeps
# ringing: the receiver keeps announcing sleeps and being woken, as a VM's
# receiver (which cannot see that the server died) must be, and every frame
# arrives. A port that stopped ringing at the server's death would make the
# receiver stop sleeping (it is woken at once when nobody can ring it): its
# sleeps would stop growing.
#
# Usage: test_server_death.sh PLUGIN.so ivshmem-integrity ivshmem-server ivshmem-probe
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
t_init_server "$@"

SOCK=$T_DIR/ivshmem.sock
# a burst of 32, then this pause: the receiver sleeps between bursts
PAUSE_US=1000
# frames sent before the kill, and at least after it
BEFORE=10000
AFTER=20000

"$SERVER" -F -S "$SOCK" -l 16M -n 2 > "$T_DIR/server.log" 2>&1 &
SERVER_PID=$!
T_PIDS+=("$SERVER_PID")
t_wait_log "$T_DIR/server.log" 'listening on' 10 || t_fail "server did not start"

# Both run until told to stop (SIGINT): the sender sends as long as the
# test needs, whatever the machine's speed.
VDEV="net_ivshmem0,server=$SOCK"
in_start rx 1 "$VDEV,intr_spin_us=0" --role rx --rx-mode intr --count 0 \
    --timeout 300 --progress 0.1
t_wait_log "$T_DIR/rx.log" 'server=.*we are peer' 20 || t_fail "rx did not join the server"
in_start tx 0 "$VDEV" --role tx --count 0 --tx-pause-us "$PAUSE_US" \
    --timeout 300 --wait-link 30

# rx_count WORD: the number after WORD in rx's last progress line
# ("announced": sleeps announced; "out": sleeps that ended by the 100 ms
# timeout, not by a doorbell)
rx_count() {
    awk -v w="$1" '$1 == "progress:" { for (i = 1; i < NF; i++) if ($i == w) n = $(i + 1) }
        END { print n + 0 }' "$T_DIR/rx.log"
}
# shellcheck disable=SC2317 # called by t_wait_for
received_ge() { (( $(in_received rx) >= $1 )); }
# shellcheck disable=SC2317 # called by t_wait_for
more_progress() { (( $(grep -c '^progress:' "$T_DIR/rx.log") > $1 )); }

t_wait_for 60 received_ge "$BEFORE" ||
    t_fail "rx received $(in_received rx) of the first $BEFORE frames in 60 s"
S_BEFORE=$(rx_count announced)
t_check "$S_BEFORE -gt 0" "before the kill the receiver slept ($S_BEFORE sleeps announced)"
kill -KILL "$SERVER_PID"
t_wait_pid "$SERVER_PID" 10 || t_fail "the server survived SIGKILL"
for p in rx tx; do
    t_wait_log "$T_DIR/$p.log" 'peer tracking stops' 10 ||
        t_fail "$p did not notice the server's death (10 s)"
done
t_ok "both ports noticed: $(grep -m1 'peer tracking stops' "$T_DIR/tx.log" | sed 's/.*: server /server /')"
# From a progress line printed after both noticed.
lines=$(grep -c '^progress:' "$T_DIR/rx.log")
t_wait_for 10 more_progress "$lines" || t_fail "rx printed no progress after the server's death"
S0=$(rx_count announced)
T0=$(rx_count out)
R0=$(in_received rx)
t_wait_for 60 received_ge $((R0 + AFTER)) ||
    t_fail "after the server's death rx received $(( $(in_received rx) - R0 )) of $AFTER frames in 60 s"
# timeouts while the sender still sends (once it stops, every sleep ends so)
T1=$(rx_count out)
R1=$(in_received rx)

kill -INT "${IN_PID[tx]}"
in_wait tx 30
t_log "$(in_summary tx)"
t_check "$IN_STATUS == 0" "tx exited 0"
kill -INT "${IN_PID[rx]}"
in_wait rx 30
t_log "$(in_summary rx)"
t_check "$IN_STATUS == 0" "rx exited 0"
SENT=$(t_json "$T_DIR/tx.json" "j['sent']")
in_clean rx "$SENT"
S1=$(t_json "$T_DIR/rx.json" "j['xstats']['rx_q0_sleeps']")
BELLS=$(t_json "$T_DIR/tx.json" "j['xstats']['tx_q0_doorbells']")
BURSTS=$(( (SENT - R0) / 32 ))
t_log "after the death: $((SENT - R0)) frames (about $BURSTS bursts), $((S1 - S0)) sleeps; $BELLS doorbells in all"
# Most bursts find the receiver asleep; a quarter is a margin for a slow
# receiver that is still busy when the next burst comes.
t_check "$((S1 - S0)) -ge $((BURSTS / 4))" \
    "the receiver kept sleeping after the server's death: $((S1 - S0)) sleeps for $BURSTS bursts"
# A receiver that sleeps unrung wakes by its 100 ms timeout: one per burst.
t_check "$(( (T1 - T0) * 10 )) -lt $(( (R1 - R0) / 32 ))" \
    "... and was woken by doorbells, not by its timeout: $((T1 - T0)) timeouts for $(( (R1 - R0) / 32 )) bursts"
t_pass "the server killed mid-stream: doorbells kept waking the receiver ($((S1 - S0)) sleeps after the death), all $SENT frames verified"
