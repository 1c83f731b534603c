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
#   3. server= (ivshmem-server, -n 2), intr: the same two runs with both
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
NAME=bench_smoke
PYTHON=/usr/bin/python3
BURST=32        # packets per burst call (throughput runs)
LINK_S=10       # --link-timeout of every process
TPUT_S=20       # --timeout of the throughput runs (they take ~8 s)
PING_S=30       # --timeout of the ping/pong runs
EAL_S=30        # EAL start (hugepages) and exit: no option bounds them
PIDS=()
SHMS=()
PREFIXES=()
DIR=

log()  { printf '%s: %s\n' "$NAME" "$*"; }
ok()   { printf '%s: OK: %s\n' "$NAME" "$*"; }
skip() { printf '%s: SKIP: %s\n' "$NAME" "$*"; exit 77; }

fail() {
    local f
    for f in "$DIR"/*.log "$DIR"/*.json; do
        [[ -s $f ]] || continue
        printf -- '----- %s (last 20 lines) -----\n' "$f"
        tail -n 20 -- "$f"
    done
    printf '%s: FAIL: %s\n' "$NAME" "$*"
    exit 1
}

cleanup() {
    local status=$? pid i p
    trap - EXIT
    for pid in "${PIDS[@]}"; do
        kill -0 "$pid" 2>/dev/null && kill -TERM "$pid" 2>/dev/null
    done
    for pid in "${PIDS[@]}"; do
        for ((i = 0; i < 50; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    for p in "${SHMS[@]}"; do rm -f -- "$p"; done
    for p in "${PREFIXES[@]}"; do
        rm -rf -- "/var/run/dpdk/$p"
        rm -f -- /dev/hugepages/"$p"map_*
    done
    if (( status == 0 )); then
        rm -rf -- "$DIR"
    elif [[ -n $DIR ]]; then
        log "logs kept in $DIR"
    fi
    exit "$status"
}

# wait_pid PID TIMEOUT_S: STATUS = exit status; 1 if still running.
wait_pid() {
    local pid=$1 end=$((SECONDS + $2))
    while kill -0 "$pid" 2>/dev/null; do
        (( SECONDS >= end )) && return 1
        sleep 0.05
    done
    STATUS=0
    wait "$pid" || STATUS=$?
    return 0
}

# bench NAME LCORE VDEV TIMEOUT_S [bench options]: starts ivshmem-bench
# in the background with --link-timeout LINK_S --timeout TIMEOUT_S; JSON to
# $DIR/NAME.json, the rest to NAME.log; BPID = its pid.
bench() {
    local name=$1 lcore=$2 vdev=$3 timeout=$4 prefix=$TAG-$1
    shift 4
    PREFIXES+=("$prefix")
    "$BENCH" -l "$lcore" --no-pci --file-prefix "$prefix" -d "$PLUGIN" \
        "${EAL_MEM[@]}" --vdev "$vdev" -- --json --link-timeout "$LINK_S" \
        --timeout "$timeout" "$@" > "$DIR/$name.json" 2> "$DIR/$name.log" &
    BPID=$!
    PIDS+=("$BPID")
}

# finish NAME PID TIMEOUT_S: waits for a process started with --timeout
# TIMEOUT_S (and no --linger) as long as its options allow, and requires
# exit status 0.
finish() {
    local limit=$((EAL_S + LINK_S + $3))
    wait_pid "$2" "$limit" ||
        fail "$1 still running after $limit s (EAL $EAL_S + --link-timeout $LINK_S + --timeout $3)"
    (( STATUS == 0 )) || fail "$1 exited with status $STATUS"
}

# check WHAT PYTHON-EXPR JSON...: evaluates EXPR with a, b, ... the parsed
# JSON files; prints OK WHAT or fails with WHAT and the values.
check() {
    local what=$1 expr=$2 out
    shift 2
    out=$("$PYTHON" - "$expr" "$@" <<'EOF'
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
    ) || fail "$what ($expr) ${out:-is false}"
    ok "$what"
}

# show JSON PYTHON-EXPR: prints the value of EXPR for the JSON in FILE.
show() {
    "$PYTHON" -c 'import json, sys
j = json.load(open(sys.argv[1]))
print(eval(sys.argv[2]))' "$1" "$2"
}

# pair LABEL VDEV TIMEOUT_S RECEIVER SENDER "RECEIVER OPTS" "SENDER OPTS"
# [OPTS...]: the receiving role on RX_LCORE, then the sending one on
# TX_LCORE, both on VDEV with --timeout TIMEOUT_S and OPTS; waits for both,
# which must succeed. JSON in $DIR/LABEL-ROLE.json.
pair() {
    local label=$1 vdev=$2 timeout=$3 ra=$4 rb=$5 oa ob bpid apid
    read -r -a oa <<< "$6"
    read -r -a ob <<< "$7"
    shift 7
    bench "$label-$ra" "$RX_LCORE" "$vdev" "$timeout" --role "$ra" "${oa[@]}" "$@"
    apid=$BPID
    sleep 1
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
    local rx=$DIR/$label-rx.json tx=$DIR/$label-tx.json
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
    log "$label: tx $(show "$tx" 'j["tx"]["mpps"]') Mpps, rx $(show "$rx" 'j["rx"]["mpps"]') Mpps, $(show "$rx" 'j["rx"]["packets_total"]') packets; doorbells per packet $(show "$tx" 'j["doorbells_per_pkt"]'), rx sleeps per packet $(show "$rx" 'j["sleeps_per_pkt"]') (machine-dependent: not checked)"
}

# Ping-pong run of 1000 round trips (the pong's window starts at once, so
# that its doorbell counters cover the run).
run_pingpong() {
    local label=$1 vdev=$2
    shift 2
    pair "$label" "$vdev" "$PING_S" pong ping "--warmup 0 --duration 20 --idle 5" \
        "--count 1000 --warmup 0.2 --duration 20" "$@"
    local ping=$DIR/$label-ping.json pong=$DIR/$label-pong.json
    check "$label: both JSON objects parse and say ok" \
        'a["ok"] and b["ok"] and a["role"] == "ping" and b["role"] == "pong"' "$ping" "$pong"
    check "$label: samples + lost == 1000, samples > 0" \
        'a["rtt_us"]["samples"] + a["rtt_us"]["lost"] == 1000 and a["rtt_us"]["samples"] > 0' "$ping"
    check "$label: min <= p50 <= p90 <= p99 <= p99.9 <= max" \
        '(lambda r: r["min"] <= r["p50"] <= r["p90"] <= r["p99"] <= r["p999"] <= r["max"] and r["min"] <= r["mean"] <= r["max"])(a["rtt_us"])' "$ping"
    check "$label: pong echoed everything it got" \
        'b["tx"]["packets_total"] == b["rx"]["packets_total"] >= a["rtt_us"]["samples"]' "$ping" "$pong"
    log "$label: rtt p50 $(show "$ping" 'j["rtt_us"]["p50"]') us, p99 $(show "$ping" 'j["rtt_us"]["p99"]') us, max $(show "$ping" 'j["rtt_us"]["max"]') us; doorbells per packet ping $(show "$ping" 'j["doorbells_per_pkt"]'), pong $(show "$pong" 'j["doorbells_per_pkt"]') (not checked)"
}

main() {
    local free sock shmname spid i
    PLUGIN=${1:-}
    BENCH=${2:-}
    SERVER=${3:-}
    [[ -n $PLUGIN && -n $BENCH ]] || fail "usage: $0 PLUGIN.so IVSHMEM-BENCH [IVSHMEM-SERVER]"
    [[ -f $PLUGIN ]] || fail "plugin $PLUGIN not built"
    [[ -x $BENCH ]] || fail "$BENCH not built"
    [[ -n $SERVER ]] || SERVER=$(dirname -- "$BENCH")/../ivshmem-server/ivshmem-server
    (( EUID == 0 )) || skip "needs root (DPDK processes, /dev/shm, hugepages)"
    [[ -x $PYTHON ]] || skip "$PYTHON missing: apt-get install python3"
    [[ -d /dev/shm && -w /dev/shm ]] || skip "/dev/shm is not writable"
    TAG=bs$$
    DIR=$(mktemp -d "/tmp/ivshmem-$NAME.XXXXXX")
    trap cleanup EXIT
    trap 'exit 130' INT TERM
    # Two cores: each side its own. One core works too, just slower.
    RX_LCORE=0 TX_LCORE=0
    (( $(nproc) >= 2 )) && RX_LCORE=1
    free=$(awk '/^HugePages_Free:/ { print $2 }' /proc/meminfo)
    if awk '$2 == "/dev/hugepages" && $3 == "hugetlbfs" { f = 1 } END { exit !f }' /proc/mounts &&
            (( ${free:-0} >= 128 )); then
        EAL_MEM=(--huge-unlink)
    else
        EAL_MEM=(--no-huge -m 256)
        log "WARNING: ${free:-0} free 2 MiB hugepages or no hugetlbfs on /dev/hugepages: --no-huge"
    fi
    log "bench $BENCH, plugin $PLUGIN, lcores rx $RX_LCORE tx $TX_LCORE, logs in $DIR"

    SHMS+=("/dev/shm/$TAG-poll")
    run_throughput shm-poll "net_ivshmem0,shm=/dev/shm/$TAG-poll"
    SHMS+=("/dev/shm/$TAG-ping")
    run_pingpong shm-poll "net_ivshmem0,shm=/dev/shm/$TAG-ping"

    if [[ ! -x $SERVER ]]; then
        skip "!!! server-mode half not run: $SERVER not built (the shm= half passed)"
    fi
    sock=$DIR/server.sock
    shmname=/$TAG-srv
    SHMS+=("/dev/shm$shmname")
    # -n 2: vector 0 for link changes, vector 1 for queue 0.
    "$SERVER" -F -S "$sock" -m "$shmname" -l 64M -n 2 > "$DIR/server.log" 2>&1 &
    spid=$!
    PIDS+=("$spid")
    for ((i = 0; i < 100; i++)); do
        [[ -S $sock ]] && break
        kill -0 "$spid" 2>/dev/null || fail "ivshmem-server exited at start"
        sleep 0.05
    done
    [[ -S $sock ]] || fail "ivshmem-server did not create $sock within 5 s"
    run_throughput srv-intr "net_ivshmem0,server=$sock" --rx-mode intr
    run_pingpong srv-intr "net_ivshmem0,server=$sock" --rx-mode intr
    printf '%s: PASS\n' "$NAME"
}

main "$@"
