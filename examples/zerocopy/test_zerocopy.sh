#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The zerocopy example as its README runs it: recv COUNT with zero_copy=yes,
# then send COUNT from the port's pool, over one shared file; every frame
# arrives intact, and every one without a copy on either side.
#
# Usage: test_zerocopy.sh PLUGIN.so IVSHMEM-INTEGRITY ZEROCOPY
# shellcheck source=drivers/net/ivshmem/tests/lib.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/../../drivers/net/ivshmem/tests/lib.sh"
t_init "$1" "$2"
PROG=${3:-}
[[ -x $PROG ]] || t_fail "zerocopy not built: $PROG"
COUNT=100000
SHM=$(t_shm zerocopy)

# zc NAME LCORE DEVARGS ARGS...: zerocopy NAME in the background, output in
# NAME.log. It links with the driver: no -d.
zc() {
    local name=$1 lcore=$2 devargs=$3
    shift 3
    "$PROG" -l "$lcore" --no-pci --file-prefix "$(t_prefix "$name")" \
        "${T_EAL_MEM[@]}" --vdev "net_ivshmem0,shm=$SHM,size=64M$devargs" -- "$@" \
        > "$T_DIR/$name.log" 2>&1 &
    T_PIDS+=("$!")
    ZC_PID[$name]=$!
}
declare -A ZC_PID

zc recv 1 ,zero_copy=yes recv "$COUNT"
zc send 0 "" send "$COUNT"
t_wait_pid "${ZC_PID[send]}" 120 || t_fail "send still running after 120 s"
t_check "$T_STATUS == 0" "send exited 0"
t_wait_pid "${ZC_PID[recv]}" 60 || t_fail "recv still running 60 s after the sender ended"
t_check "$T_STATUS == 0" "recv exited 0"
t_log "$(tail -n 1 "$T_DIR/recv.log")"
t_check "$(grep -c "^sent $COUNT frames built in shared memory" "$T_DIR/send.log") == 1" "send: $COUNT frames"
t_check "$(grep -c "^received $COUNT frames intact, $COUNT of them without a copy" "$T_DIR/recv.log") == 1" \
    "recv: $COUNT frames intact, every one without a copy"
t_check "$(grep -c "^every buffer back from the receiver" "$T_DIR/send.log") == 1" "send: every pool buffer back"
t_check "$(grep -c "^the sender left" "$T_DIR/recv.log") == 1" "recv: polled until the sender left"
t_pass "zerocopy: $COUNT frames built in the sender's pool and received without a copy"
