#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The ring_messages example as its README runs it: a receiver and a
# sender over one file; the receiver prints the first messages and the
# last, the sender says how many it sent.
#
# Usage: test_ring_messages.sh RING_MESSAGES
# shellcheck source=devtools/testlib.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/../../devtools/testlib.sh"
t_init
PROG=${1:-}
[[ -x $PROG ]] || t_fail "usage: $0 RING_MESSAGES (built)"
COUNT=1000
FILE=$T_DIR/link

"$PROG" "$FILE" recv "$COUNT" > "$T_DIR/recv.log" 2>&1 &
RECV=$!
T_PIDS+=("$RECV")
t_wait_log "$T_DIR/recv.log" 'waiting for the peer' 10 || t_fail "the receiver did not start"
"$PROG" "$FILE" send "$COUNT" > "$T_DIR/send.log" 2>&1 || t_fail "the sender failed"
t_wait_pid "$RECV" 30 || t_fail "the receiver did not end"
t_check "$T_STATUS == 0" "the receiver exited 0"
t_check "\"\$(tail -n 1 \"\$T_DIR/send.log\")\" == 'sent $COUNT messages'" "the sender sent $COUNT"
t_check "\"\$(grep -c '^received: message [123] of $COUNT' \"\$T_DIR/recv.log\")\" == 3" \
    "the receiver printed the first three"
t_check "\"\$(tail -n 1 \"\$T_DIR/recv.log\")\" == 'received $COUNT messages, the last: message $COUNT of $COUNT'" \
    "the receiver got all $COUNT, the last one last"
t_pass "ring_messages: $COUNT messages from one process to another through a shared file"
