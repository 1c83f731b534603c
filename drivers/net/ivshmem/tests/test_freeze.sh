#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# A frozen peer: SIGSTOP, then SIGCONT, in the middle of its traffic. A
# stopped process keeps its state RUN and its epoch; only its heartbeat
# stops. What the spec says (doc/spec.md 4.4 and 6.4, "peer frozen and
# resumed"), and what is checked here:
#
# - the survivor's link goes down, with the reason "peer heartbeat
#   stopped" and the peer still RUN, no sooner than PEER_TIMEOUT_MS less
#   one heartbeat period (IVR_HEARTBEAT_MS, 100 ms: the last beat may
#   precede the SIGSTOP by that much) and no later than 2 x
#   PEER_TIMEOUT_MS (the dead time once more for the scheduler, as
#   test_restart.sh bounds a kill); the test waits for the event, the
#   bounds only check when it came;
# - once the peer resumes, its heartbeat moves again in the same epoch and
#   the survivor's link comes back; the resumed peer sees its own link
#   stay up (the survivor beat all along);
# - a frozen peer is the same incarnation when it resumes: its sessions
#   were never left, so the frames it had published or was about to
#   publish before the stop are delivered after it, in order, and nothing
#   is lost, repeated, damaged, or from another incarnation. The receiver
#   runs without --restart-ok and must get exactly COUNT frames of the one
#   sender run: no lost, reordered, corrupt, stale, extra or foreign frame.
#
# Six cases: the sender or the receiver frozen, with the receiver copying
# (copy), lending the sender's buffers (zero_copy=yes: zc), or lending
# buffers the sender built in its pool (zero_copy=yes and --tx-pool:
# zc-pool). Two queue pairs, frames of 60..9000 bytes.
#
# Usage: test_freeze.sh PLUGIN.so IVSHMEM-INTEGRITY
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
t_init "$@"

PEER_TIMEOUT_MS=500
HEARTBEAT_MS=100	# IVR_HEARTBEAT_MS: the most between two beats
DOWN_MIN_MS=$((PEER_TIMEOUT_MS - HEARTBEAT_MS))
DOWN_MAX_MS=$((2 * PEER_TIMEOUT_MS))
COUNT=300000
FREEZE_AFTER=30000	# frames received before the freeze
TIMEOUT=300
Q=2
SIZES=(--min-size 60 --max-size 9000 --queues "$Q")
REGION=queues=$Q,size=64M,peer_timeout_ms=$PEER_TIMEOUT_MS
DOWNS=()
UPS=()

# stopped PID: the process is in state T (stopped by a signal).
stopped() {
    local stat
    stat=$(< "/proc/$1/stat") || return 1
    stat=${stat##*) }
    [[ ${stat%% *} == T ]]
}

# freeze_case MODE FROZEN(tx|rx)
freeze_case() {
    local mode=$1 frozen=$2 tag=$1-$2 zc=no surv victim vdev stop_ms cont_ms down up d u
    local -a txo=()
    [[ $mode == zc* ]] && zc=yes
    [[ $mode == zc-pool ]] && txo=(--tx-pool)
    if [[ $frozen == tx ]]; then victim=$tag-tx surv=$tag-rx; else victim=$tag-rx surv=$tag-tx; fi
    vdev=net_ivshmem0,shm=$(t_shm "$tag"),$REGION
    in_start "$tag-rx" 1 "$vdev,zero_copy=$zc" --role rx --count "$COUNT" --timeout "$TIMEOUT" \
        --progress 0.05 "${SIZES[@]}"
    in_start "$tag-tx" 0 "$vdev" --role tx --count "$COUNT" --timeout "$TIMEOUT" --wait-link 30 \
        --progress 1 "${SIZES[@]}" "${txo[@]}"
    in_wait_received "$tag-rx" "$FREEZE_AFTER" 60
    in_wait_up "$surv" 1 10

    stop_ms=$(t_now_ms)
    kill -STOP "${IN_PID[$victim]}"
    t_wait_for 5 stopped "${IN_PID[$victim]}" || t_fail "$tag: $victim not stopped 5 s after SIGSTOP"
    t_wait_log "$T_DIR/$surv.log" '^link down at' 10 ||
        t_fail "$tag: $surv saw no link down within 10 s of freezing $victim"
    down=$(in_link_ms "$surv" down 1)
    d=$((down - stop_ms))
    t_check "$d -ge $DOWN_MIN_MS && $d -le $DOWN_MAX_MS" \
        "$tag: $surv saw link down $d ms after $victim was frozen ($DOWN_MIN_MS..$DOWN_MAX_MS)"
    t_check "$(grep -c 'link peer heartbeat stopped (peer RUN' "$T_DIR/$surv.log") -ge 1" \
        "$tag: $surv's driver says why: peer heartbeat stopped, peer still RUN"
    stopped "${IN_PID[$victim]}" || t_fail "$tag: $victim no longer stopped when $surv saw link down"
    DOWNS+=("$d")

    cont_ms=$(t_now_ms)
    kill -CONT "${IN_PID[$victim]}"
    t_wait_log "$T_DIR/$surv.log" '^link up at' 10 2 ||
        t_fail "$tag: $surv saw no link up within 10 s of resuming $victim"
    up=$(in_link_ms "$surv" up 2)
    u=$((up - cont_ms))
    t_log "$tag: $surv saw link up again $u ms after $victim resumed"
    UPS+=("$u")

    in_wait "$tag-tx" $((TIMEOUT + 30))
    t_log "$(in_summary "$tag-tx")"
    t_check "$IN_STATUS == 0" "$tag-tx sent $COUNT frames and exited 0"
    in_wait "$tag-rx" 60
    t_log "$(in_summary "$tag-rx")"
    t_check "$IN_STATUS == 0" "$tag-rx exited 0"
    in_clean "$tag-rx" "$COUNT"
    t_check "$(t_json "$T_DIR/$tag-rx.json" 'j["n_stamps"]') == 1" \
        "$tag-rx: every frame of the one sender run, none of another"
    t_check "$(t_json "$T_DIR/$tag-rx.json" 'j["mbufs_in_use_end"] == j["mbufs_in_use_start"]') == true" \
        "$tag-rx: every mbuf back in its pool at the end"
    # The survivor's link: up, down (frozen), up; the resumed peer's: up
    # once (a link down when the sender closes at the end may follow).
    t_check "$(grep -c '^link up at' "$T_DIR/$surv.log") == 2" "$tag: $surv saw the link come up twice"
    t_check "$(grep -c '^link up at' "$T_DIR/$victim.log") == 1" \
        "$tag: $victim, resumed, saw its link stay up"
}

for mode in copy zc zc-pool; do
    for frozen in tx rx; do
        freeze_case "$mode" "$frozen"
    done
done

read -r -a SD <<< "$(printf '%s\n' "${DOWNS[@]}" | sort -n | tr '\n' ' ')"
read -r -a SU <<< "$(printf '%s\n' "${UPS[@]}" | sort -n | tr '\n' ' ')"
t_log "link down after a freeze: ${DOWNS[*]} ms (min ${SD[0]}, max ${SD[-1]}); up after SIGCONT: ${UPS[*]} ms"
t_pass "6 freezes (sender or receiver; copy, zero-copy, zero-copy + pool TX): link down ${SD[0]}..${SD[-1]} ms after SIGSTOP (peer_timeout_ms $PEER_TIMEOUT_MS), up ${SU[0]}..${SU[-1]} ms after SIGCONT; every frame of the one sender run delivered, in order, none damaged"
