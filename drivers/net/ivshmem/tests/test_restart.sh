#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# A peer killed with SIGKILL at a random moment of its traffic, then
# restarted: KILLS times in all (100; 40 under ASan, where every DPDK
# process starts and runs several times slower: 100 kills would take the
# test well past its meson timeout), half of them the sender, half the
# receiver. The survivor is ivshmem-integrity, which prints every link
# change with CLOCK_REALTIME; the test notes CLOCK_REALTIME just before
# each kill. Two queue pairs, frames of 60..9000 bytes. Four parts, one
# survivor and KILLS/4 kills each:
#
# 1. Victim = sender; the survivor receives with copy (part tx-copy) or
#    with zero_copy=yes (tx-zc); each sender run picks pool transmit
#    (--tx-pool) or copy at random. The survivor receives with
#    --restart-ok: each new sender run has a new stamp and must start at
#    seq 0 on every queue with no gap, and frames of a replaced stamp must
#    never come back. After the last kill, a sender runs to completion with
#    FINAL frames (it drains on close), then the survivor is stopped with
#    SIGINT; every mbuf it was handed is back in its pool.
# 2. Victim = receiver; the survivor sends without end (it retries on a
#    full ring) with copy (part rx-copy) or pool transmit (rx-pool); each
#    receiver run picks zero_copy=yes or no at random, joins mid-stream
#    (--restart-ok: any first seq) and must see no gap, reordering or
#    damage until it is killed; the last one is not killed: the sender
#    stops on SIGINT, drains (with pool transmit, every pool mbuf must be
#    back), and the receiver ends when idle.
#
# The moment of each kill: once the victim's traffic flows (the
# receiver's first frame of this sender run, or the victim receiver's
# first frames), K more frames at the receiver, then D more ms; a third
# of the kills come at once (K = 0, D < 10 ms: in the first bursts), the
# others after K in 0..KILL_MAX_FRAMES and D in 0..KILL_MAX_DELAY_MS. The
# moments and modes come from bash's RANDOM seeded with SEED, printed
# first; IVSHMEM_TEST_SEED=N replays the same sequence (the instruction a
# kill lands on still depends on the machine). IVSHMEM_TEST_KILLS=N (a
# multiple of 4) sets the number of kills.
#
# Checks, for every kill: the survivor's "link down" within LINK_DOWN_MS of
# the kill, never before it; "link up" again once the victim restarted;
# frames from every incarnation. After every restart, once the new
# incarnation's frames flow: the survivor's open file descriptors
# (/proc/PID/fd) and mappings (/proc/PID/maps lines) are those after its
# first restart, exactly (a restart of the peer gives the survivor nothing
# to open or map: the region is mapped once at probe; mbufs and zero-copy
# buffers live in memory mapped at start). In a sanitizer build only the
# fds are compared: the sanitizer's own allocator maps memory as it goes.
# Every wait is bounded.
#
# Usage: test_restart.sh PLUGIN.so IVSHMEM-INTEGRITY
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
t_init "$@"

if [[ ,$T_SANITIZE, == *,address,* ]]; then
    KILLS=${IVSHMEM_TEST_KILLS:-40}
else
    KILLS=${IVSHMEM_TEST_KILLS:-100}
fi
MAPS_CHECKED=1
[[ $T_SANITIZE == none ]] || MAPS_CHECKED=0
if ! [[ $KILLS =~ ^[0-9]+$ ]] || (( KILLS < 4 || KILLS % 4 != 0 )); then
    t_fail "IVSHMEM_TEST_KILLS=$KILLS: a multiple of 4 is needed (4 parts)"
fi
PER_PART=$((KILLS / 4))
SEED=${IVSHMEM_TEST_SEED:-$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')}
[[ $SEED =~ ^[0-9]+$ ]] || t_fail "IVSHMEM_TEST_SEED=$SEED is not a number"
RANDOM=$SEED
t_log "seed $SEED (IVSHMEM_TEST_SEED=$SEED replays these kill moments and modes); $KILLS kills, $PER_PART in each of 4 parts"

# The survivor's dead time, given to both peers: it sees the silence
# after PEER_TIMEOUT_MS, at its next alarm (IVR_HEARTBEAT_MS / 2 = 50 ms),
# and integrity within its link poll (10 ms); the bound is the dead time
# once more, for the scheduler of a machine that three polling processes
# share.
PEER_TIMEOUT_MS=500
LINK_DOWN_MS=$((2 * PEER_TIMEOUT_MS))
KILL_MAX_FRAMES=10000
KILL_MAX_DELAY_MS=200
FINAL=100000
TIMEOUT=900
# Two queue pairs and frames up to 9000 bytes: a kill may cut a queue
# mid-burst or a frame mid-chain. 64 MiB: a pool area for --tx-pool past
# the copy buffers (as test_pooltx.sh).
Q=2
SIZES=(--min-size 60 --max-size 9000 --queues "$Q")
REGION=queues=$Q,size=64M,peer_timeout_ms=$PEER_TIMEOUT_MS
DELTAS=()

# rnd N: R = a number in 0..N-1 from the seeded RANDOM (never in $(...),
# which would not advance the sequence of this shell).
rnd() {
    R=$(( ((RANDOM << 15) | RANDOM) % $1 ))
}

# pick_moment: K frames and D ms, the moment of the next kill.
pick_moment() {
    rnd 3
    if (( R == 0 )); then
        K=0
        rnd 10
        D=$R
    else
        rnd $((KILL_MAX_FRAMES + 1))
        K=$R
        rnd $((KILL_MAX_DELAY_MS + 1))
        D=$R
    fi
}

# up_or_dead SURVIVOR N VICTIM: the SURVIVOR's N-th "link up" came; a
# VICTIM that exited meanwhile (EAL out of hugepages, a refused option)
# fails the test at once, with its own last words.
# shellcheck disable=SC2317 # called by t_wait_for
up_or_dead() {
    (( $(grep -c '^link up at' "$T_DIR/$1.log") >= $2 )) && return 0
    kill -0 "${IN_PID[$3]}" 2>/dev/null ||
        t_fail "$3 exited before $1 saw it: $(grep -v '^progress:' "$T_DIR/$3.log" | tail -n 1)"
    return 1
}

# wait_up SURVIVOR N VICTIM PART ROUND
wait_up() {
    t_wait_for 30 up_or_dead "$1" "$2" "$3" ||
        t_fail "$4 round $5: $1 saw no link up within 30 s of starting $3"
}

sleep_ms() {
    sleep "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))"
}

# kill_and_watch VICTIM SURVIVOR ROUND: SIGKILL VICTIM, then the
# SURVIVOR's ROUND-th "link down" must follow within LINK_DOWN_MS.
kill_and_watch() {
    local victim=$1 surv=$T_DIR/$2.log round=$3 kill_ms down_ms delta
    kill_ms=$(t_now_ms)
    { kill -KILL "${IN_PID[$victim]}"; t_wait_pid "${IN_PID[$victim]}" 10; } 2>/dev/null ||
        t_fail "$victim survived SIGKILL"
    (( T_STATUS == 137 )) || t_fail "round $round: $victim exited with $T_STATUS before SIGKILL reached it"
    t_wait_log "$surv" '^link down at' 10 "$round" ||
        t_fail "round $round: $2 saw no link down within 10 s of killing $victim"
    down_ms=$(in_link_ms "$2" down "$round")
    delta=$((down_ms - kill_ms))
    (( delta >= 0 && delta <= LINK_DOWN_MS )) ||
        t_fail "round $round: $2 saw link down $delta ms after $victim was killed (wanted 0..$LINK_DOWN_MS)"
    DELTAS+=("$delta")
}

# ---- the survivor's file descriptors and mappings ----------------------------
# res_start: a new survivor, no baseline yet.
res_start() {
    RES_BASE=
    RES_N=0
}

# res_check SURVIVOR AFTER: its open fds and mappings now; the first call
# (after its first restart) sets the baseline, every later one must equal
# it. AFTER says which restart, for the message.
res_check() {
    local pid=${IN_PID[$1]} fds maps
    local -a f
    f=(/proc/"$pid"/fd/*)
    fds=${#f[@]}
    maps=$(wc -l < "/proc/$pid/maps") || t_fail "$1 (pid $pid) is gone"
    (( MAPS_CHECKED )) || maps="(not compared: $T_SANITIZE)"
    RES_N=$((RES_N + 1))
    if [[ -z $RES_BASE ]]; then
        RES_BASE="$fds $maps"
        t_log "$1 after restart $2: $fds open fds, $maps mappings (the baseline)"
        return
    fi
    [[ "$fds $maps" == "$RES_BASE" ]] ||
        t_fail "$1 after restart $2: $fds open fds, $maps mappings; after its first restart: $RES_BASE"
}

res_done() {
    t_check "$RES_N == $PER_PART" "$1: open fds and mappings the same after each of $PER_PART restarts ($RES_BASE)"
    RES_ALL+=("$1: $RES_BASE")
}
RES_ALL=()

# ---- 1. the sender dies --------------------------------------------------------
# sender_dies PART ZERO_COPY
sender_dies() {
    local part=$1 zc=$2 surv=$1-surv vdev i mode last j
    local -a opts
    vdev=net_ivshmem0,shm=$(t_shm "$part"),$REGION
    in_start "$surv" 1 "$vdev,zero_copy=$zc" --role rx --restart-ok --timeout "$TIMEOUT" \
        --progress 0.05 "${SIZES[@]}"
    res_start
    for ((i = 1; i <= PER_PART; i++)); do
        pick_moment
        rnd 2
        if (( R )); then mode=pool; opts=(--tx-pool); else mode=copy; opts=(); fi
        in_start "$part-tx$i" 0 "$vdev" --role tx --count 0 --timeout "$TIMEOUT" --wait-link 30 \
            "${SIZES[@]}" "${opts[@]}"
        wait_up "$surv" "$i" "$part-tx$i" "$part" "$i"
        t_wait_log "$T_DIR/$surv.log" '^stamp 0x' 30 "$i" ||
            t_fail "$part round $i: no frame from $part-tx$i within 30 s"
        (( i > 1 )) && res_check "$surv" $((i - 1))
        in_wait_received "$surv" $(( $(in_received "$surv") + K )) 30
        sleep_ms "$D"
        t_log "$part round $i: sender ($mode TX) killed $K frames and $D ms after its first"
        kill_and_watch "$part-tx$i" "$surv" "$i"
    done
    in_start "$part-final" 0 "$vdev" --role tx --count "$FINAL" --timeout "$TIMEOUT" --wait-link 30 \
        "${SIZES[@]}"
    t_wait_log "$T_DIR/$surv.log" '^stamp 0x' 30 $((PER_PART + 1)) ||
        t_fail "$part: no frame from $part-final within 30 s"
    res_check "$surv" "$PER_PART"
    in_wait "$part-final" $((TIMEOUT + 30))
    t_log "$(in_summary "$part-final")"
    t_check "$IN_STATUS == 0" "$part-final sent $FINAL frames and exited 0"
    kill -INT "${IN_PID[$surv]}"
    in_wait "$surv" 30
    t_log "$(in_summary "$surv")"
    t_check "$IN_STATUS == 0" "$surv: no lost, reordered, corrupt or stale frame over $((PER_PART + 1)) sender runs"
    j=$T_DIR/$surv.json
    t_check "$(t_json "$j" 'j["n_stamps"]') == $((PER_PART + 1))" "$surv saw $((PER_PART + 1)) sender runs"
    t_check "$(t_json "$j" 'min(s["frames"] for s in j["stamps"])') -gt 0" "$surv: frames from every sender run"
    t_check "$(t_json "$j" 'j["stamps"][-1]["frames"]') == $FINAL" "$surv: all $FINAL frames of the final sender run"
    t_check "$(grep -c '^link up at' "$T_DIR/$surv.log") -ge $((PER_PART + 1))" "$surv: link up after every restart"
    for v in lost reordered corrupt stale; do
        t_check "$(t_json "$j" "j['$v']") == 0" "$surv: $v = 0"
    done
    t_check "$(t_json "$j" 'j["mbufs_in_use_end"] == j["mbufs_in_use_start"]') == true" \
        "$surv: every mbuf back in its pool at the end"
    res_done "$surv"
}

# ---- 2. the receiver dies -------------------------------------------------------
# receiver_dies PART TX_POOL(0|1)
receiver_dies() {
    local part=$1 surv=$1-surv vdev i zc last j
    local -a opts pool=()
    (( $2 )) && pool=(--tx-pool)
    vdev=net_ivshmem0,shm=$(t_shm "$part"),$REGION
    in_start "$surv" 0 "$vdev" --role tx --count 0 --timeout "$TIMEOUT" --wait-link 60 \
        --progress 1 "${SIZES[@]}" "${pool[@]}"
    res_start
    for ((i = 1; i <= PER_PART + 1; i++)); do
        rnd 2
        if (( R )); then zc=yes; else zc=no; fi
        opts=(--role rx --restart-ok --count 0 --timeout "$TIMEOUT" --progress 0.05 "${SIZES[@]}")
        (( i > PER_PART )) && opts+=(--idle 2)
        in_start "$part-rx$i" 1 "$vdev,zero_copy=$zc" "${opts[@]}"
        wait_up "$surv" "$i" "$part-rx$i" "$part" "$i"
        in_wait_received "$part-rx$i" 1 30
        (( i > 1 )) && res_check "$surv" $((i - 1))
        (( i > PER_PART )) && break
        pick_moment
        in_wait_received "$part-rx$i" $(( $(in_received "$part-rx$i") + K )) 30
        sleep_ms "$D"
        t_log "$part round $i: receiver (zero_copy=$zc) killed $K frames and $D ms after its first"
        kill_and_watch "$part-rx$i" "$surv" "$i"
        last=$(grep '^progress:' "$T_DIR/$part-rx$i.log" | tail -n 1)
        [[ $last == *'lost 0, reordered 0, corrupt 0, stale 0'* ]] ||
            t_fail "$part-rx$i not clean until killed: $last"
    done
    kill -INT "${IN_PID[$surv]}"
    in_wait "$surv" 30
    t_log "$(in_summary "$surv")"
    t_check "$IN_STATUS == 0" "$surv stopped on SIGINT and exited 0$( (( $2 )) && echo ', every pool mbuf back')"
    in_wait "$part-rx$i" 60
    t_log "$(in_summary "$part-rx$i")"
    t_check "$IN_STATUS == 0" "$part-rx$i (not killed): no lost, reordered or corrupt frame"
    j=$T_DIR/$part-rx$i.json
    t_check "$(t_json "$j" 'j["received"]') -gt 0 && $(t_json "$j" 'j["n_stamps"]') == 1" \
        "$part-rx$i received $(t_json "$j" 'j["received"]') frames, all of the one sender run"
    t_check "$(grep -c '^link up at' "$T_DIR/$surv.log") -ge $((PER_PART + 1))" "$surv: link up after every restart"
    res_done "$surv"
}

START_MS=$(t_now_ms)
sender_dies tx-copy no
sender_dies tx-zc yes
receiver_dies rx-copy 0
receiver_dies rx-pool 1
ELAPSED=$(( ($(t_now_ms) - START_MS) / 1000 ))

read -r -a SORTED <<< "$(printf '%s\n' "${DELTAS[@]}" | sort -n | tr '\n' ' ')"
N=${#SORTED[@]}
t_check "$N == $KILLS" "$N kills, each followed by link down within $LINK_DOWN_MS ms"
t_log "link down after a kill: min ${SORTED[0]} ms, median ${SORTED[$((N / 2))]} ms, max ${SORTED[$((N - 1))]} ms (bound $LINK_DOWN_MS ms)"
t_log "survivors' open fds and mappings, flat after every restart: ${RES_ALL[*]}"
t_pass "$KILLS kills in $ELAPSED s (seed $SEED): half senders (copy or pool TX) against copy and zero-copy receivers, half receivers (copy or zero-copy) against copy and pool TX senders; link down ${SORTED[0]}..${SORTED[$((N - 1))]} ms after (median ${SORTED[$((N / 2))]}); clean traffic and flat fds and mappings after every restart"
