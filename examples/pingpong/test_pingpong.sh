#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The pingpong example as its README runs it: pong, then ping COUNT over
# one shared file; every ping comes back in order, and pong ends once the
# pinger has gone.
#
# Usage: test_pingpong.sh PLUGIN.so IVSHMEM-INTEGRITY PINGPONG
# shellcheck source=drivers/net/ivshmem/tests/lib.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/../../drivers/net/ivshmem/tests/lib.sh"
t_init "$1" "$2"
PROG=${3:-}
[[ -x $PROG ]] || t_fail "pingpong not built: $PROG"
COUNT=10000
SHM=$(t_shm pingpong)

# pp NAME LCORE ARGS...: pingpong NAME in the background, output in NAME.log
# (built here, with the build's sanitizer linked in, as ivshmem-integrity).
pp() {
    local name=$1 lcore=$2
    shift 2
    "$PROG" -l "$lcore" --no-pci --file-prefix "$(t_prefix "$name")" \
        -d "$T_PLUGIN" "${T_EAL_MEM[@]}" --vdev "net_ivshmem0,shm=$SHM" -- "$@" \
        > "$T_DIR/$name.log" 2>&1 &
    T_PIDS+=("$!")
    PP_PID[$name]=$!
}
declare -A PP_PID

pp pong 0 pong
pp ping 1 ping "$COUNT"
t_wait_pid "${PP_PID[ping]}" 120 || t_fail "ping still running after 120 s"
t_check "$T_STATUS == 0" "ping exited 0"
t_wait_pid "${PP_PID[pong]}" 30 || t_fail "pong did not end after the pinger left"
t_check "$T_STATUS == 0" "pong exited 0"
t_log "$(tail -n 1 "$T_DIR/ping.log")"
t_check "$(grep -c "^$COUNT pings answered in order" "$T_DIR/ping.log") == 1" "ping: $COUNT answered in order"
t_check "$(grep -c "^answered $COUNT pings; the pinger left" "$T_DIR/pong.log") == 1" "pong answered $COUNT"
t_pass "pingpong: $COUNT round trips over net_ivshmem"
