#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Smoke test of ivshmem-bench over net_ivshmem (meson suite "driver"):
#
#   1. shm=, poll: rx and tx for ~2 s, both with --json. The JSON parses;
#      0 < rx window packets <= tx packets; once the sender has closed (it
#      drains on close) the receiver's total equals the sender's. Bounds
#      from the configuration (--burst, --queues): no call moved more than
#      --burst; a tx call re-offers what the one before it refused, so in
#      the window retries and short bursts differ by at most 1 per queue;
#      at most one burst per queue is left unsent at the end.
#   2. shm=, poll: 1000 ping/pong round trips: samples + lost = 1000,
#      samples > 0, min <= p50 <= p90 <= p99 <= p99.9 <= max.
#   3. shm=, poll, ivshmem-zc: the sender builds 1500-byte frames in the
#      port's pool TX mempool (--tx-pool), the receiver has zero_copy=yes;
#      the checks of 1.
#   4. server= (ivshmem-server, -n 2), intr: the same two runs with both
#      sides sleeping in rte_epoll_wait when idle; doorbells per packet
#      are reported (and must be numbers: the driver counts them).
#
# Timings are printed, never checked. A process still running past its own
# limits (--link-timeout + --timeout + --linger, all set here, plus EAL_S
# for EAL start and exit) fails the test. Exit 77 (skip) with the reason
# when a prerequisite is missing.
#
# Usage: bench_smoke.sh PLUGIN.so IVSHMEM-BENCH [IVSHMEM-SERVER]
# (without IVSHMEM-SERVER, the one next to the bench in the build tree)

set -uo pipefail
# shellcheck source=devtools/testlib.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/../../../devtools/testlib.sh"
BURST=32        # packets per burst call (throughput runs)
LINK_S=10       # --link-timeout of every process
TPUT_S=20       # --timeout of the throughput runs (they take ~8 s)
PING_S=30       # --timeout of the ping/pong runs
EAL_S=30        # EAL start (hugepages) and exit: no option bounds them

# At exit, once the processes are gone: the shm files and EAL prefixes of
# this run.
# shellcheck disable=SC2317 # called by the EXIT trap (t_at_exit)
bench_cleanup() {
    rm -f -- /dev/shm/"$TAG"-*
    rm -rf -- /var/run/dpdk/"$TAG"-*
    rm -f -- /dev/hugepages/"$TAG"-*map_*
}

# bench NAME LCORE VDEV TIMEOUT_S [bench options]: starts ivshmem-bench
# in the background with --link-timeout LINK_S --timeout TIMEOUT_S; JSON to
# $T_DIR/NAME.json, the rest to NAME.log; BPID = its pid.
bench() {
    local name=$1 lcore=$2 vdev=$3 timeout=$4 prefix=$TAG-$1
    shift 4
    "$BENCH" -l "$lcore" --no-pci --file-prefix "$prefix" -d "$PLUGIN" \
        "${EAL_MEM[@]}" --vdev "$vdev" -- --json --link-timeout "$LINK_S" \
        --timeout "$timeout" "$@" > "$T_DIR/$name.json" 2> "$T_DIR/$name.log" &
    BPID=$!
    T_PIDS+=("$BPID")
}

# finish NAME PID TIMEOUT_S: waits for a process started with --timeout
# TIMEOUT_S (and no --linger) as long as its options allow, and requires
# exit status 0.
finish() {
    local limit=$((EAL_S + LINK_S + $3))
    t_wait_pid "$2" "$limit" ||
        t_fail "$1 still running after $limit s (EAL $EAL_S + --link-timeout $LINK_S + --timeout $3)"
    (( T_STATUS == 0 )) || t_fail "$1 exited with status $T_STATUS"
}

# check WHAT PYTHON-EXPR JSON...: t_check of EXPR evaluated with a, b, ...
# the parsed JSON files.
check() {
    local what=$1 expr=$2 out
    shift 2
    T_CHECKS=$((T_CHECKS + 1))
    out=$("$T_PYTHON" - "$expr" "$@" <<'EOF'
import json, sys
expr, files = sys.argv[1], sys.argv[2:]
env = {}
for name, path in zip("abcd", files):
    try:
        env[name] = json.load(open(path))
    except (OSError, ValueError) as e:
        print("cannot parse %s: %s" % (path, e))
        sys.exit(2)
try:
    v = eval(expr, env)
except Exception as e:
    print("%s: %r" % (type(e).__name__, e))
    sys.exit(2)
sys.exit(0 if v else 1)
EOF
    ) || t_fail "$what (check failed: $expr) ${out:-is false}"
    t_ok "$what"
}

# pair LABEL VDEV TIMEOUT_S RECEIVER SENDER "RECEIVER OPTS" "SENDER OPTS"
# [OPTS...]: the receiving role on RX_LCORE, then, once its port is up
# (its banner says so), the sending one on TX_LCORE, both on VDEV with
# --timeout TIMEOUT_S and OPTS; waits for both, which must succeed. JSON
# in $T_DIR/LABEL-ROLE.json.
pair() {
    local label=$1 vdev=$2 timeout=$3 ra=$4 rb=$5 oa ob bpid apid
    read -r -a oa <<< "$6"
    read -r -a ob <<< "$7"
    shift 7
    bench "$label-$ra" "$RX_LCORE" "$vdev" "$timeout" --role "$ra" "${oa[@]}" "$@"
    apid=$BPID
    t_wait_log "$T_DIR/$label-$ra.log" "^ivshmem-bench: $ra on port" "$EAL_S" ||
        t_fail "$label $ra: no banner (its port started) within $EAL_S s"
    bench "$label-$rb" "$TX_LCORE" "$vdev" "$timeout" --role "$rb" "${ob[@]}" "$@"
    bpid=$BPID
    finish "$label $rb" "$bpid" "$timeout"
    finish "$label $ra" "$apid" "$timeout"
}

# Throughput run: rx, then tx, for ~2 s; $1 is a label, $2 the vdev, the
# rest options for both.
run_throughput() {
    local label=$1 vdev=$2
    shift 2
    pair "$label" "$vdev" "$TPUT_S" rx tx "--duration 2 --warmup 0.5 --idle 5" \
        "--duration 2 --warmup 0.5" --burst "$BURST" "$@"
    local rx=$T_DIR/$label-rx.json tx=$T_DIR/$label-tx.json
    check "$label: both JSON objects parse and say ok" \
        'a["ok"] and b["ok"] and a["role"] == "tx" and b["role"] == "rx"' "$tx" "$rx"
    check "$label: tx sent packets in its window" \
        'a["tx"]["packets"] > 0 and a["tx"]["packets_total"] >= a["tx"]["packets"]' "$tx"
    check "$label: 0 < rx window packets <= tx packets" \
        '0 < b["rx"]["packets"] <= a["tx"]["packets_total"]' "$tx" "$rx"
    check "$label: after the drain, rx total == tx total" \
        'b["rx"]["packets_total"] == a["tx"]["packets_total"]' "$tx" "$rx"
    check "$label: both ran with --burst $BURST on one queue" \
        'a["burst"] == b["burst"] == '"$BURST"' and a["queues"] == b["queues"] == 1' "$tx" "$rx"
    check "$label: no burst call moved more than --burst packets" \
        'a["tx"]["packets"] <= a["tx"]["burst_calls"] * a["burst"] and b["rx"]["packets"] <= b["rx"]["burst_calls"] * b["burst"]' "$tx" "$rx"
    check "$label: every short burst was re-offered (retries = short bursts, +-1 per queue)" \
        'all(abs(q["retries"] - q["short_bursts"]) <= 1 for q in a["tx"]["per_queue"])' "$tx"
    check "$label: at most one burst per queue left unsent at the end" \
        'all(q["unsent_at_end"] <= a["burst"] for q in a["tx"]["per_queue"])' "$tx"
    check "$label: per-queue counts add up" \
        'sum(q["packets_total"] for q in a["rx"]["per_queue"]) == a["rx"]["packets_total"]' "$rx"
    check "$label: net_ivshmem doorbell counters are reported" \
        'a["doorbells_per_pkt"] is not None and b["sleeps_per_pkt"] is not None' "$tx" "$rx"
    t_log "$label: tx $(t_json "$tx" 'j["tx"]["mpps"]') Mpps, rx $(t_json "$rx" 'j["rx"]["mpps"]') Mpps, $(t_json "$rx" 'j["rx"]["packets_total"]') packets; doorbells per packet $(t_json "$tx" 'j["doorbells_per_pkt"]'), rx sleeps per packet $(t_json "$rx" 'j["sleeps_per_pkt"]') (machine-dependent: not checked)"
}

# Ping-pong run of 1000 round trips (the pong's window starts at once, so
# that its doorbell counters cover the run).
run_pingpong() {
    local label=$1 vdev=$2
    shift 2
    pair "$label" "$vdev" "$PING_S" pong ping "--warmup 0 --duration 20 --idle 5" \
        "--count 1000 --warmup 0.2 --duration 20" "$@"
    local ping=$T_DIR/$label-ping.json pong=$T_DIR/$label-pong.json
    check "$label: both JSON objects parse and say ok" \
        'a["ok"] and b["ok"] and a["role"] == "ping" and b["role"] == "pong"' "$ping" "$pong"
    check "$label: samples + lost == 1000, samples > 0" \
        'a["rtt_us"]["samples"] + a["rtt_us"]["lost"] == 1000 and a["rtt_us"]["samples"] > 0' "$ping"
    check "$label: min <= p50 <= p90 <= p99 <= p99.9 <= max" \
        '(lambda r: r["min"] <= r["p50"] <= r["p90"] <= r["p99"] <= r["p999"] <= r["max"] and r["min"] <= r["mean"] <= r["max"])(a["rtt_us"])' "$ping"
    check "$label: pong echoed everything it got" \
        'b["tx"]["packets_total"] == b["rx"]["packets_total"] >= a["rtt_us"]["samples"]' "$ping" "$pong"
    t_log "$label: rtt p50 $(t_json "$ping" 'j["rtt_us"]["p50"]') us, p99 $(t_json "$ping" 'j["rtt_us"]["p99"]') us, max $(t_json "$ping" 'j["rtt_us"]["max"]') us; doorbells per packet ping $(t_json "$ping" 'j["doorbells_per_pkt"]'), pong $(t_json "$pong" 'j["doorbells_per_pkt"]') (not checked)"
}

main() {
    local free sock shmname spid
    PLUGIN=${1:-}
    BENCH=${2:-}
    SERVER=${3:-}
    [[ -n $PLUGIN && -n $BENCH ]] || t_fail "usage: $0 PLUGIN.so IVSHMEM-BENCH [IVSHMEM-SERVER]"
    [[ -f $PLUGIN ]] || t_fail "plugin $PLUGIN not built"
    [[ -x $BENCH ]] || t_fail "$BENCH not built"
    [[ -n $SERVER ]] || SERVER=$(dirname -- "$BENCH")/../ivshmem-server/ivshmem-server
    (( EUID == 0 )) || t_skip "needs root (DPDK processes, /dev/shm, hugepages)"
    [[ -x $T_PYTHON ]] || t_skip "$T_PYTHON missing: apt-get install python3"
    [[ -d /dev/shm && -w /dev/shm ]] || t_skip "/dev/shm is not writable"
    TAG=bs$$
    t_init
    t_at_exit bench_cleanup
    # Two cores: each side its own. One core works too, just slower.
    RX_LCORE=0 TX_LCORE=0
    (( $(nproc) >= 2 )) && RX_LCORE=1
    free=$(awk '/^HugePages_Free:/ { print $2 }' /proc/meminfo)
    if awk '$2 == "/dev/hugepages" && $3 == "hugetlbfs" { f = 1 } END { exit !f }' /proc/mounts &&
            (( ${free:-0} >= 128 )); then
        EAL_MEM=(--huge-unlink)
    else
        EAL_MEM=(--no-huge -m 256)
        t_log "WARNING: ${free:-0} free 2 MiB hugepages or no hugetlbfs on /dev/hugepages: --no-huge"
    fi
    t_log "bench $BENCH, plugin $PLUGIN, lcores rx $RX_LCORE tx $TX_LCORE, logs in $T_DIR"

    run_throughput shm-poll "net_ivshmem0,shm=/dev/shm/$TAG-poll"
    run_pingpong shm-poll "net_ivshmem0,shm=/dev/shm/$TAG-ping"
    # zero_copy=yes only matters to the receiver, --tx-pool to the sender
    run_throughput shm-zc "net_ivshmem0,shm=/dev/shm/$TAG-zc,size=64M,zero_copy=yes" \
        --tx-pool --size 1500

    if [[ ! -x $SERVER ]]; then
        t_skip "!!! server-mode half not run: $SERVER not built (the shm= half passed)"
    fi
    sock=$T_DIR/server.sock
    shmname=/$TAG-srv
    # -n 2: vector 0 for link changes, vector 1 for queue 0.
    "$SERVER" -F -S "$sock" -m "$shmname" -l 64M -n 2 > "$T_DIR/server.log" 2>&1 &
    spid=$!
    T_PIDS+=("$spid")
    t_wait_log "$T_DIR/server.log" 'listening on' 10 ||
        t_fail "ivshmem-server did not listen on $sock within 10 s"
    run_throughput srv-intr "net_ivshmem0,server=$sock" --rx-mode intr
    run_pingpong srv-intr "net_ivshmem0,server=$sock" --rx-mode intr
    t_pass "shm= poll (copy, and pool TX + zero-copy RX) and server= intr: throughput and ping/pong counts add up"
}

main "$@"
