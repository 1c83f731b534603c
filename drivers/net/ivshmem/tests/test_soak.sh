#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Soak (suite soak, not in the test command: about an hour): at least
# FRAMES frames through one link with every frame checked by
# ivshmem-integrity, once in copy mode and once without a copy both ways
# (pool transmit, zero_copy=yes on the receiver). 2 queue pairs, frames of
# MIN..MAX bytes. Both sides run without a count; once the receiver has
# FRAMES, the sender is stopped (it drains) and the receiver ends when idle.
#
# For each mode: every frame sent received, 0 lost, 0 corrupt, 0 reordered
# (and none stale, extra, foreign or on the wrong queue); both processes'
# resident memory (VmRSS) and open fds the same at FRAMES as after the
# warm-up (WARM frames),
# RSS within RSS_SLACK_KB; the receiver's mempool holds as many mbufs in
# use at the end as at the start, and every pool transmit mbuf is back.
#
# Environment: IVSHMEM_SOAK_FRAMES (default 1000000000), IVSHMEM_SOAK_MIN,
# IVSHMEM_SOAK_MAX (frame sizes, default 60 and 9000), IVSHMEM_SOAK_MODES
# (default "copy zc").
#
# Usage: test_soak.sh PLUGIN.so IVSHMEM-INTEGRITY
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
t_init "$@"

FRAMES=${IVSHMEM_SOAK_FRAMES:-1000000000}
MIN=${IVSHMEM_SOAK_MIN:-60}
MAX=${IVSHMEM_SOAK_MAX:-9000}
read -r -a MODES <<< "${IVSHMEM_SOAK_MODES:-copy zc}"
WARM=$(( FRAMES / 100 > 1000000 ? 1000000 : FRAMES / 100 ))
RSS_SLACK_KB=1024
# A bound on the whole run only: the test waits for frame counts
TIMEOUT=$(( FRAMES / 50000 + 600 ))
IDLE=5

# probe PID: "RSS_KB FDS" of a live process
probe() {
    local rss
    rss=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status")
    printf '%s %s\n' "$rss" "$(find "/proc/$1/fd" -mindepth 1 -maxdepth 1 | wc -l)"
}

for mode in "${MODES[@]}"; do
    SHM=$(t_shm "$mode")
    rx_vdev="net_ivshmem0,shm=$SHM,size=64M,queues=2" tx_opt=()
    case $mode in
        copy) ;;
        zc) rx_vdev+=",zero_copy=yes"; tx_opt=(--tx-pool) ;;
        *) t_fail "IVSHMEM_SOAK_MODES: '$mode' is not a mode (copy, zc)" ;;
    esac
    # Both run without a count, so both are alive whenever they are
    # probed: the receiver ends IDLE s after the last frame, once the
    # sender was stopped (SIGINT: it drains first).
    in_start "$mode-rx" 1 "$rx_vdev" --role rx --count 0 --queues 2 \
        --min-size "$MIN" --max-size "$MAX" --timeout "$TIMEOUT" --idle "$IDLE" --progress 5
    in_start "$mode-tx" 0 "net_ivshmem0,shm=$SHM,size=64M,queues=2" --role tx \
        --count 0 --queues 2 --min-size "$MIN" --max-size "$MAX" \
        --timeout "$TIMEOUT" --wait-link 30 "${tx_opt[@]}"
    in_wait_received "$mode-rx" "$WARM" 120
    read -r RSS0_RX FD0_RX <<< "$(probe "${IN_PID[$mode-rx]}")"
    read -r RSS0_TX FD0_TX <<< "$(probe "${IN_PID[$mode-tx]}")"
    t_log "$mode: after $(in_received "$mode-rx") frames: rx RSS $RSS0_RX kB, $FD0_RX fds; tx RSS $RSS0_TX kB, $FD0_TX fds"
    in_wait_received "$mode-rx" "$FRAMES" "$TIMEOUT"
    read -r RSS1_RX FD1_RX <<< "$(probe "${IN_PID[$mode-rx]}")"
    read -r RSS1_TX FD1_TX <<< "$(probe "${IN_PID[$mode-tx]}")"
    t_log "$mode: after $(in_received "$mode-rx") frames: rx RSS $RSS1_RX kB, $FD1_RX fds; tx RSS $RSS1_TX kB, $FD1_TX fds"
    kill -INT "${IN_PID[$mode-tx]}"
    in_wait "$mode-tx" 60
    t_log "$(in_summary "$mode-tx")"
    t_check "$IN_STATUS == 0" "$mode-tx exited 0"
    in_wait "$mode-rx" $(( IDLE + 60 ))
    t_log "$(in_summary "$mode-rx")"
    t_check "$IN_STATUS == 0" "$mode-rx exited 0"
    SENT=$(t_json "$T_DIR/$mode-tx.json" 'j["sent"]')
    t_check "$SENT -ge $FRAMES" "$mode: $SENT frames sent, at least $FRAMES"
    in_clean "$mode-rx" "$SENT"
    t_check "$FD1_RX == $FD0_RX && $FD1_TX == $FD0_TX" \
        "$mode: open fds flat (rx $FD0_RX -> $FD1_RX, tx $FD0_TX -> $FD1_TX)"
    t_check "$(( RSS1_RX - RSS0_RX )) -le $RSS_SLACK_KB && $(( RSS1_TX - RSS0_TX )) -le $RSS_SLACK_KB" \
        "$mode: RSS flat within $RSS_SLACK_KB kB (rx $RSS0_RX -> $RSS1_RX kB, tx $RSS0_TX -> $RSS1_TX kB)"
    U0=$(t_json "$T_DIR/$mode-rx.json" 'j["mbufs_in_use_start"]')
    U1=$(t_json "$T_DIR/$mode-rx.json" 'j["mbufs_in_use_end"]')
    t_check "$U1 == $U0" "$mode: the receiver's mbufs in use $U0 at the start, $U1 at the end"
    if [[ $mode == zc ]]; then
        OUT=$(t_json "$T_DIR/$mode-tx.json" 'j["tx_pool_out"]')
        t_check "$OUT == 0" "$mode: every pool transmit mbuf back ($OUT out)"
    fi
done
t_pass "soak: at least $FRAMES frames of $MIN..$MAX bytes clean in each of ${MODES[*]}; RSS, fds and mbufs flat"
