#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Compare net_ivshmem with net_memif and vhost-user/virtio-user on this
# machine, in one go, with the same tool (ivshmem-bench) and the same
# pinning: the receiving process (rx, pong) on lcore 1, the sending one
# (tx, ping) on lcore 0, each alone on its core (-l 1 / -l 0).
#
#   throughput  tx -> rx, burst 32, for each --sizes, for each transport:
#     ivshmem       net_ivshmem over a shm file (copy mode, polling)
#     ivshmem-intr  net_ivshmem over ivshmem-server, receiver in RX interrupt
#                   mode (sizes 64 and 1500 only: doorbells at saturation)
#     memif         net_memif copy (client sends, server receives)
#     memif-zc      net_memif with zero-copy=yes on the sending client
#     vhost         net_virtio_user sends, net_vhost receives
#     testpmd-null  ceiling: dpdk-testpmd txonly into net_null, one core
#     bench-null    ceiling of the tool itself: ivshmem-bench tx into net_null
#   latency     ping -> pong, 1 packet per round, poll mode for every
#               transport, and ivshmem-intr with both sides sleeping
#
# Launches are interleaved, A B C A B C ..., --repeat times; each figure is
# reported as the median and the best launch, with the ratio ours/theirs
# (best vs best, median vs median). Not a test: nothing here passes or
# fails on a number; the targets are reported as met or not.
#
# Usage: devtools/bench-compare.sh [options]
#   --repeat N          launches of every figure (default 3)
#   --duration S        measurement window of each launch (default 3)
#   --warmup S          before the window (default 1)
#   --sizes LIST        frame sizes, comma-separated
#                       (default 64,128,256,512,1024,1500,9000)
#   --transports LIST   throughput transports (default: all above)
#   --latency LIST      latency transports (default ivshmem,ivshmem-intr,
#                       memif,memif-zc,vhost); "none" to skip
#   --build DIR         build directory with the plugin, ivshmem-bench and
#                       ivshmem-server (default build)
#   --out DIR           results (default /tmp/bench-compare.<date>): runs/
#                       (every launch's JSON and log), results.csv (one row
#                       per launch), summary.csv, summary.json, *.dat and
#                       throughput.svg, latency.svg (devtools/bench-plot.gp)
#   --quick             --repeat 1 --duration 2 --warmup 0.5 --sizes 64,1500
#   --quiet PCT         before each launch, wait until the other processes
#                       use at most PCT % of the CPUs (default 10; 100: never
#                       wait), for up to --quiet-wait S (default 300)
#   --max-stall PCT     a launch whose bench process was preempted more than
#                       PCT % of its window (ivshmem-bench counts calls and
#                       gaps > 250 us as stalls) is disturbed: it is moved to
#                       runs/disturbed/ and launched again, up to --retries N
#                       times (default 5 and 2); a launch still disturbed is
#                       kept, flagged, and left out of medians when others
#                       are not
#   --instructions      instead of the timed runs: instructions per packet
#                       inside the PMD's burst calls, from callgrind, for
#                       ivshmem, memif, memif-zc and vhost (in --transports)
#                       and --sizes, each side in turn under callgrind while
#                       the other runs at full speed; load-independent.
#                       Writes instructions.csv and a table.
#   -h, --help
#
# Needs root, 2 free cores for meaningful figures, hugepages, python3,
# dpdk-testpmd; gnuplot for the plots. Every process runs under timeout(1)
# and is killed (by pid) on exit; sockets, shm files and DPDK runtime
# directories of this run are removed.

set -Eeuo pipefail
# shellcheck disable=SC2034 # read by lib.sh
PROG=bench-compare
# shellcheck source=devtools/lib.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

ALL_TPUT=ivshmem,ivshmem-intr,memif,memif-zc,vhost,testpmd-null,bench-null
ALL_LAT=ivshmem,ivshmem-intr,memif,memif-zc,vhost
INTR_SIZES=" 64 1500 "
REPEAT=3 DURATION=3 WARMUP=1 SIZES=64,128,256,512,1024,1500,9000
QUIET=10 QUIET_WAIT=300 MAX_STALL=5 RETRIES=2 INSTR='' UNSUPPORTED=''
WRAP=()       # command put before ivshmem-bench (callgrind)
TPUT=$ALL_TPUT LAT=$ALL_LAT BUILD=build OUT=
RX_LCORE=1 TX_LCORE=0
TESTPMD=/usr/bin/dpdk-testpmd
PY=/usr/bin/python3

PIDS=()       # every process started; killed at exit
CLEAN=()      # files and sockets to remove at exit
PREFIXES=()   # EAL file prefixes to clean up at exit
TAG=bc$$
RUN=0         # launch counter: unique names

usage() {
    sed -n '/^# Compare net_ivshmem/,/^# directories of this run/p' "$0" | sed 's/^# \{0,1\}//'
}

# Every child runs under timeout(1) -k 5, which passes TERM on and sends
# KILL 5 s later: a plain wait is bounded.
cleanup() {
    local status=$? p
    trap - EXIT
    (( ${#PIDS[@]} )) && kill -TERM "${PIDS[@]}" 2>/dev/null
    wait
    for p in "${CLEAN[@]}"; do rm -f -- "$p"; done
    for p in "${PREFIXES[@]}"; do
        rm -rf -- "/var/run/dpdk/$p"
        rm -f -- /dev/hugepages/"$p"map_*
    done
    exit "$status"
}

# Forget pids that have exited (the list is walked at exit).
reap() {
    local alive=() pid
    for pid in "${PIDS[@]}"; do
        kill -0 "$pid" 2>/dev/null && alive+=("$pid")
    done
    PIDS=("${alive[@]}")
}

# wait_for_socket PATH PID: until PATH is a socket (5 s); 1 if not, or if
# PID died meanwhile.
wait_for_socket() {
    local i
    for ((i = 0; i < 100; i++)); do
        [[ -S $1 ]] && return 0
        kill -0 "$2" 2>/dev/null || return 1
        sleep 0.05
    done
    return 1
}

# wait_pid PID: waits for it; its status in STATUS (timeout(1) bounds it).
wait_pid() {
    STATUS=0
    wait "$1" || STATUS=$?
}

# Sets A_EAL/B_EAL (EAL arguments of side A, the receiver, and side B, the
# sender), A_OPT/B_OPT (extra bench options) and SOCK/SERVER_PID for
# transport $1. Starts ivshmem-server for ivshmem-intr.
transport_setup() {
    local t=$1 name=$TAG-$RUN
    A_EAL=() B_EAL=() A_OPT=() B_OPT=() SOCK='' SERVER_PID=''
    case $t in
        ivshmem)
            CLEAN+=("/dev/shm/$name")
            # Under callgrind a side beats its heartbeat late: be patient.
            A_EAL=(-d "$PLUGIN" --vdev "net_ivshmem0,shm=/dev/shm/$name${INSTR:+,peer_timeout_ms=60000}")
            B_EAL=("${A_EAL[@]}")
            ;;
        ivshmem-intr)
            SOCK=/tmp/$name.ivsh.sock
            CLEAN+=("$SOCK" "/dev/shm/$name")
            # -n 2: vector 0 for link changes, vector 1 for queue 0
            timeout -k 5 "$LIMIT" "$SERVER" -F -S "$SOCK" -m "/$name" -l 64M -n 2 \
                > "$RUNS/$LABEL-server.log" 2>&1 &
            SERVER_PID=$!
            PIDS+=("$SERVER_PID")
            wait_for_socket "$SOCK" "$SERVER_PID" ||
                { warn "ivshmem-server did not start (see $RUNS/$LABEL-server.log)"; return 1; }
            A_EAL=(-d "$PLUGIN" --vdev "net_ivshmem0,server=$SOCK")
            B_EAL=("${A_EAL[@]}")
            A_OPT=(--rx-mode intr)
            B_OPT=(--rx-mode intr)
            ;;
        memif|memif-zc)
            SOCK=/tmp/$name.memif.sock
            CLEAN+=("$SOCK")
            A_EAL=(--vdev "net_memif0,role=server,socket=$SOCK,socket-abstract=no")
            B_EAL=(--vdev "net_memif0,role=client,socket=$SOCK,socket-abstract=no")
            if [[ $t == memif-zc ]]; then
                B_EAL=(--single-file-segments
                    --vdev "net_memif0,role=client,socket=$SOCK,socket-abstract=no,zero-copy=yes")
            fi
            # memif unmaps its rings when the peer leaves, under a polling
            # lcore: the sender waits, not polling, until the receiver
            # (idle 1 s) has gone.
            B_OPT=(--linger 2.5)
            ;;
        vhost)
            SOCK=/tmp/$name.vhost.sock
            CLEAN+=("$SOCK")
            A_EAL=(--vdev "net_vhost0,iface=$SOCK,queues=1")
            # virtio-user shares its memory with the backend by fd.
            B_EAL=(--single-file-segments --vdev "net_virtio_user0,path=$SOCK,queues=1")
            B_OPT=(--linger 2.5)
            ;;
        *) die "unknown transport $t" ;;
    esac
}

transport_done() {
    if [[ -n ${SERVER_PID:-} ]]; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        wait_pid "$SERVER_PID"
    fi
    reap
}

# bench_start SIDE LCORE EAL... -- OPTS...: ivshmem-bench in the background,
# JSON in $RUNS/$LABEL-SIDE.json; BPID its pid.
bench_start() {
    local side=$1 lcore=$2 prefix=$TAG-$RUN-$1 eal=()
    shift 2
    while (( $# )) && [[ $1 != -- ]]; do eal+=("$1"); shift; done
    shift
    PREFIXES+=("$prefix")
    local mem=(--huge-unlink)
    # virtio-user passes its hugepage fds to the backend: keep the files.
    [[ " ${eal[*]} " == *" --single-file-segments "* ]] && mem=()
    timeout -k 5 "$LIMIT" "${WRAP[@]}" "$BENCH" -l "$lcore" --no-pci --file-prefix "$prefix" \
        "${mem[@]}" "${eal[@]}" -- --json "$@" \
        > "$RUNS/$LABEL-$side.json" 2> "$RUNS/$LABEL-$side.log" &
    BPID=$!
    PIDS+=("$BPID")
}

# One tx -> rx launch of transport $1 with frames of $2 bytes.
run_tput() {
    local t=$1 size=$2 apid bpid
    RUN=$((RUN + 1))
    LABEL=r${REP}_${t}_${size}_tput
    transport_setup "$t" || return 0
    bench_start rx "$RX_LCORE" "${A_EAL[@]}" -- --role rx --size "$size" --burst 32 \
        --duration "$DURATION" --warmup "$WARMUP" --idle 1 "${A_OPT[@]}"
    apid=$BPID
    if [[ $t != ivshmem* ]] && ! wait_for_socket "$SOCK" "$apid" && kill -0 "$apid" 2>/dev/null; then
        warn "$LABEL: the receiver did not create $SOCK within 5 s"
    fi
    bench_start tx "$TX_LCORE" "${B_EAL[@]}" -- --role tx --size "$size" --burst 32 \
        --duration "$DURATION" --warmup "$WARMUP" "${B_OPT[@]}"
    bpid=$BPID
    wait_pid "$bpid"; local bst=$STATUS
    wait_pid "$apid"; local ast=$STATUS
    transport_done
    log "$(printf '%-13s %5s B rep %d: %s' "$t" "$size" "$REP" "$(brief "$LABEL" "$ast" "$bst")")"
}

# One ping -> pong launch of transport $1 (64-byte frames).
run_lat() {
    local t=$1 apid bpid
    RUN=$((RUN + 1))
    LABEL=r${REP}_${t}_64_lat
    transport_setup "$t" || return 0
    bench_start pong "$RX_LCORE" "${A_EAL[@]}" -- --role pong --warmup 0 \
        --duration "$(awk -v d="$DURATION" -v w="$WARMUP" 'BEGIN { print d + w + 5 }')" \
        --idle 1 "${A_OPT[@]}"
    apid=$BPID
    if [[ $t != ivshmem* ]] && ! wait_for_socket "$SOCK" "$apid" && kill -0 "$apid" 2>/dev/null; then
        warn "$LABEL: the receiver did not create $SOCK within 5 s"
    fi
    bench_start ping "$TX_LCORE" "${B_EAL[@]}" -- --role ping --duration "$DURATION" \
        --warmup "$WARMUP" "${B_OPT[@]}"
    bpid=$BPID
    wait_pid "$bpid"; local bst=$STATUS
    wait_pid "$apid"; local ast=$STATUS
    transport_done
    log "$(printf '%-13s  ping rep %d: %s' "$t" "$REP" "$(brief "$LABEL" "$ast" "$bst")")"
}

# Instructions per packet of side $3 (rx or tx) of transport $1, frames of
# $2 bytes: that side under callgrind, counting only inside the PMD's burst
# calls (ivshmem-bench's bench_pmd_*_burst), the other at full speed so that
# the measured side's calls nearly all move packets.
run_instr() {
    local t=$1 size=$2 side=$3 apid bpid fn i
    RUN=$((RUN + 1))
    LABEL=cg_${t}_${size}_${side}
    fn=bench_pmd_${side}_burst
    transport_setup "$t" || return 0
    local cg=(valgrind --tool=callgrind --callgrind-out-file="$RUNS/$LABEL.callgrind"
        --toggle-collect="$fn")
    [[ $side == rx ]] && WRAP=("${cg[@]}")
    bench_start rx "$RX_LCORE" "${A_EAL[@]}" -- --role rx --size "$size" --burst 32 \
        --duration 6 --warmup 2 --idle 3 --link-timeout 60
    apid=$BPID
    WRAP=()
    # (60 s: a receiver under callgrind takes its time to create it)
    for ((i = 0; i < 600; i++)); do
        [[ $t == ivshmem* || -S $SOCK ]] && break
        kill -0 "$apid" 2>/dev/null || break
        sleep 0.1
    done
    [[ $side == tx ]] && WRAP=("${cg[@]}")
    bench_start tx "$TX_LCORE" "${B_EAL[@]}" -- --role tx --size "$size" --burst 32 \
        --duration 6 --warmup 2 --link-timeout 60 --linger 5
    bpid=$BPID
    WRAP=()
    wait_pid "$bpid"
    wait_pid "$apid"
    transport_done
    log "$(printf '%-9s %5s B %s: %s' "$t" "$size" "$side" "$(instr_line "$LABEL" "$side")")"
}

# Instructions per packet of launch $1, side $2, as one line (and in
# $RUNS/$1.instr.json).
instr_line() {
    "$PY" - "$RUNS/$1" "$2" <<'EOF'
import json, re, sys
base, side = sys.argv[1], sys.argv[2]
try:
    j = json.load(open(base + "-%s.json" % side))
    ir = int(re.search(r"^summary: (\d+)", open(base + ".callgrind").read(), re.M).group(1))
except (OSError, ValueError, AttributeError) as e:
    print("no result (%s)" % e)
    sys.exit(0)
d = j[side]
pk = d["packets_total"]
idle = d.get("empty_polls", d.get("zero_bursts")) or 0
r = {"ir": ir, "packets": pk, "ir_per_pkt": ir / pk if pk else None,
     "idle_call_fraction": idle / d["burst_calls"] if d["burst_calls"] else None,
     "pkts_per_productive_call": d.get("pkts_per_productive_call")}
json.dump(r, open(base + ".instr.json", "w"))
print("%s instructions per packet over %d packets (%.1f%% of the calls moved none)" %
      ("%.1f" % r["ir_per_pkt"] if pk else "n/a", pk, 100 * (r["idle_call_fraction"] or 0)))
EOF
}

# Ceilings: one process on the sending core, into net_null.
run_null() {
    local t=$1 size=$2 prefix pid
    RUN=$((RUN + 1))
    LABEL=r${REP}_${t}_${size}_tput
    prefix=$TAG-$RUN-tx
    PREFIXES+=("$prefix")
    if [[ $t == bench-null ]]; then
        bench_start tx "$TX_LCORE" --vdev net_null0 -- --role tx --size "$size" \
            --burst 32 --duration "$DURATION" --warmup "$WARMUP"
        pid=$BPID
        wait_pid "$pid"
    else
        # testpmd: forwarding on the sending core, its main lcore idle at
        # the prompt. Tx-pps of the second "show port stats" is the mean
        # over the window.
        {
            sleep "$(awk -v w="$WARMUP" 'BEGIN { print w + 1.5 }')"
            echo "show port stats 0"
            sleep "$DURATION"
            echo "show port stats 0"
            echo quit
        } | timeout -k 5 "$LIMIT" stdbuf -oL "$TESTPMD" -l "$TX_LCORE,$RX_LCORE" \
            --main-lcore "$RX_LCORE" --no-pci --file-prefix "$prefix" --huge-unlink \
            --vdev net_null0 -- -i --forward-mode=txonly --auto-start \
            --txpkts="$size" --burst=32 --total-num-mbufs=32768 \
            --mbuf-size="$((size > 2048 ? size + 256 : 2176))" \
            > "$RUNS/$LABEL-tx.log" 2>&1 &
        pid=$!
        PIDS+=("$pid")
        wait_pid "$pid"
        "$PY" - "$RUNS/$LABEL-tx.log" "$size" > "$RUNS/$LABEL-tx.json" <<'EOF'
import json, re, sys
pps = [int(x) for x in re.findall(r"Tx-pps:\s+(\d+)", open(sys.argv[1], errors="replace").read())]
size = int(sys.argv[2])
ok = len(pps) >= 2 and pps[-1] > 0
mpps = pps[-1] / 1e6 if ok else 0.0
print(json.dumps({"tool": "dpdk-testpmd", "role": "tx", "ok": ok,
    "error": None if ok else "no Tx-pps in the log", "size_bytes": size,
    "tx": {"mpps": mpps, "gbps_l2": mpps * size * 8 / 1e3,
           "gbps_wire": mpps * (size + 24) * 8 / 1e3}}))
EOF
    fi
    reap
    log "$(printf '%-13s %5s B rep %d: %s' "$t" "$size" "$REP" "$(brief "$LABEL" 0 "$STATUS")")"
}

# Percent of CPU time the machine spent busy (steal included) over 0.5 s.
cpu_busy() {
    local a b
    a=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6 }' /proc/stat)
    sleep 0.5
    b=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6 }' /proc/stat)
    awk -v a="$a" -v b="$b" 'BEGIN { split(a, x); split(b, y)
        db = y[1] - x[1]; di = y[2] - x[2]
        printf "%d\n", (db + di > 0) ? 100 * db / (db + di) : 0 }'
}

# Waits (up to --quiet-wait) until the machine is quiet; BUSY_BEFORE is the
# last reading.
wait_quiet() {
    local end=$((SECONDS + QUIET_WAIT)) said=0
    while :; do
        BUSY_BEFORE=$(cpu_busy)
        (( BUSY_BEFORE <= QUIET )) && return 0
        if (( SECONDS >= end )); then
            log "  machine still ${BUSY_BEFORE}% busy after ${QUIET_WAIT} s: launching anyway"
            return 0
        fi
        if (( !said )); then
            log "  machine ${BUSY_BEFORE}% busy (others' processes): waiting for <= ${QUIET}%"
            said=1
        fi
        sleep 2
    done
}

# The largest share of its window a bench process of launch $1 spent
# preempted, in percent ("" when no JSON says).
stalled() {
    "$PY" - "$RUNS/$1" <<'EOF'
import glob, json, sys
v = []
for p in glob.glob(sys.argv[1] + "-*.json"):
    try:
        f = json.load(open(p)).get("cpu", {}).get("stalled_fraction")
    except ValueError:
        continue
    if f is not None:
        v.append(100 * f)
print("%.1f" % max(v) if v else "")
EOF
}

# The cache-line round trip between the two cores right now, in ns (p50),
# or null: on a VM the host moves the vCPUs, and every cross-core figure
# moves with this one (ivshmem-bench --role c2c).
c2c_ns() {
    local prefix=$TAG-c2c	# in PREFIXES since main: this runs in $(...)
    timeout -k 5 30 "$BENCH" -l "$TX_LCORE,$RX_LCORE" --main-lcore "$TX_LCORE" --no-pci \
        --no-huge -m 64 --file-prefix "$prefix" --log-level=lib.eal:error \
        -- --role c2c --count 100000 --json 2>/dev/null |
        "$PY" -c 'import json, sys
try:
    print(json.load(sys.stdin)["c2c_rtt_ns"]["p50"])
except Exception:
    print("null")'
}

# launch FN TRANSPORT [SIZE]: one launch ("FN TRANSPORT SIZE", which sets
# LABEL) on a quiet machine, launched again while it is disturbed. A frame
# size the PMD refused once (MTU, multi-segment) is not launched again.
launch() {
    local fn=$1 t=$2 size=${3:-64} try stall f c2c c2c_after
    if [[ " $UNSUPPORTED " == *" $t/$size "* ]]; then
        return 0
    fi
    for ((try = 0; try <= RETRIES; try++)); do
        wait_quiet
        c2c=$(c2c_ns)
        "$fn" "$t" "$size"
        c2c_after=$(c2c_ns)
        printf '{"cpu_busy_before_pct": %s, "try": %d, "c2c_rtt_ns": %s, "c2c_rtt_ns_after": %s}\n' \
            "$BUSY_BEFORE" "$try" "$c2c" "$c2c_after" > "$RUNS/$LABEL-env.txt"
        if grep -qsE 'needs MTU|no multi-segment TX' "$RUNS/$LABEL"-*.log; then
            UNSUPPORTED+=" $t/$size"
            log "  $t does not take $size-byte frames (see $LABEL-*.log): not launched again"
        fi
        stall=$(stalled "$LABEL")
        if [[ -z $stall ]] || awk -v s="$stall" -v m="$MAX_STALL" 'BEGIN { exit !(s <= m) }'; then
            return 0
        fi
        if (( try == RETRIES )); then
            log "  $LABEL: preempted ${stall}% of its window after $RETRIES retries: kept, flagged disturbed"
            return 0
        fi
        log "  $LABEL: preempted ${stall}% of its window (> ${MAX_STALL}%): disturbed, launched again"
        mkdir -p "$RUNS/disturbed"
        for f in "$RUNS/$LABEL"-*; do
            mv -- "$f" "$RUNS/disturbed/$(basename -- "$f").try$try"
        done
    done
}

# One line about launch $1 (exit statuses of side A, side B).
brief() {
    "$PY" - "$RUNS/$1" "$2" "$3" <<'EOF'
import json, os, sys
base, ast, bst = sys.argv[1], sys.argv[2], sys.argv[3]
out = []
for side in ("rx", "tx", "pong", "ping"):
    p = "%s-%s.json" % (base, side)
    if not os.path.exists(p):
        continue
    try:
        j = json.load(open(p))
    except ValueError:
        out.append("%s: no JSON (see %s-%s.log)" % (side, base, side))
        continue
    if not j.get("ok", False):
        out.append("%s FAILED: %s" % (side, j.get("error")))
    elif side in ("rx", "tx") and j.get(side):
        out.append("%s %.3f Mpps" % (side, j[side]["mpps"] or 0))
    elif side == "ping" and j.get("rtt_us", {}).get("p50") is not None:
        r = j["rtt_us"]
        out.append("rtt p50 %.2f p99 %.2f max %.1f us (%d samples)" %
                   (r["p50"], r["p99"], r["max"], r["samples"]))
if ast not in ("0", "") or bst not in ("0", ""):
    out.append("exit %s/%s" % (ast, bst))
print("; ".join(out) or "no result")
EOF
}

# instructions.csv and a table from the $RUNS/cg_*.instr.json files.
instr_summary() {
    "$PY" - "$OUT" <<'EOF'
import csv, glob, json, os, re
out = __import__("sys").argv[1]
rows = {}
for p in glob.glob(os.path.join(out, "runs", "cg_*.instr.json")):
    m = re.match(r"cg_(.+)_(\d+)_(rx|tx)\.instr\.json$", os.path.basename(p))
    if m:
        rows[(m.group(1), int(m.group(2)), m.group(3))] = json.load(open(p))
order = ["ivshmem", "memif", "memif-zc", "vhost"]
ts = [t for t in order if any(k[0] == t for k in rows)]
sizes = sorted({k[1] for k in rows})
with open(os.path.join(out, "instructions.csv"), "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["transport", "size", "side", "instructions_per_pkt", "packets", "idle_call_fraction"])
    for (t, s, side), r in sorted(rows.items()):
        w.writerow([t, s, side, r["ir_per_pkt"], r["packets"], r["idle_call_fraction"]])
print("\nInstructions per packet inside the PMD's burst calls (callgrind; tx side / rx side;"
      " the tx side includes freeing the sent mbufs, the rx side allocating them)")
print("%-8s" % "size" + "".join("%22s" % t for t in ts))
for s in sizes:
    line = "%-8s" % ("%d B" % s)
    for t in ts:
        tx, rx = rows.get((t, s, "tx")), rows.get((t, s, "rx"))
        f = lambda r: "%.0f" % r["ir_per_pkt"] if r and r["ir_per_pkt"] else "n/a"
        line += "%22s" % ("%s / %s" % (f(tx), f(rx)))
    print(line)
EOF
}

machine() {
    local load
    load=$(cut -d' ' -f1-3 /proc/loadavg)
    printf 'nproc=%s; cpu=%s; kernel=%s; dpdk=%s; load average at %s: %s\n' \
        "$(nproc)" "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)" \
        "$(uname -r)" "$(dpkg-query -W -f='${Version}' dpdk 2>/dev/null || echo '?')" \
        "$1" "$load"
}

main() {
    local s t sizes=() tput=() lat=()
    while (( $# )); do
        case $1 in
            --repeat) REPEAT=${2:?}; shift ;;
            --duration) DURATION=${2:?}; shift ;;
            --warmup) WARMUP=${2:?}; shift ;;
            --sizes) SIZES=${2:?}; shift ;;
            --transports) TPUT=${2:?}; shift ;;
            --latency) LAT=${2:?}; shift ;;
            --build) BUILD=${2:?}; shift ;;
            --out) OUT=${2:?}; shift ;;
            --quick) REPEAT=1 DURATION=2 WARMUP=0.5 SIZES=64,1500 ;;
            --quiet) QUIET=${2:?}; shift ;;
            --quiet-wait) QUIET_WAIT=${2:?}; shift ;;
            --max-stall) MAX_STALL=${2:?}; shift ;;
            --retries) RETRIES=${2:?}; shift ;;
            --instructions) INSTR=1 ;;
            -h|--help) usage; exit 0 ;;
            *) usage >&2; die "unknown argument: $1" ;;
        esac
        shift
    done
    [[ $REPEAT =~ ^[1-9][0-9]*$ ]] || die "--repeat '$REPEAT': a whole number >= 1"
    [[ $DURATION =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "--duration '$DURATION': seconds"
    [[ $WARMUP =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "--warmup '$WARMUP': seconds"
    if ! [[ $QUIET =~ ^[0-9]+$ ]] || (( QUIET > 100 )); then
        die "--quiet '$QUIET': a percentage 0..100"
    fi
    [[ $QUIET_WAIT =~ ^[0-9]+$ ]] || die "--quiet-wait '$QUIET_WAIT': whole seconds"
    [[ $MAX_STALL =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "--max-stall '$MAX_STALL': a percentage"
    [[ $RETRIES =~ ^[0-9]+$ ]] || die "--retries '$RETRIES': a whole number"
    IFS=, read -r -a sizes <<< "$SIZES"
    for s in "${sizes[@]}"; do
        if ! [[ $s =~ ^[0-9]+$ ]] || (( s < 64 || s > 9000 )); then
            die "--sizes: '$s' is not a frame size in 64..9000"
        fi
    done
    IFS=, read -r -a tput <<< "$TPUT"
    for t in "${tput[@]}"; do
        [[ ,$ALL_TPUT, == *,$t,* ]] || die "--transports: '$t' is not one of $ALL_TPUT"
    done
    if [[ $LAT != none ]]; then
        IFS=, read -r -a lat <<< "$LAT"
        for t in "${lat[@]}"; do
            [[ ,$ALL_LAT, == *,$t,* ]] || die "--latency: '$t' is not one of $ALL_LAT"
        done
    fi
    (( EUID == 0 )) || die "needs root (DPDK processes, hugepages)"
    [[ -x $PY ]] || die "$PY missing"
    [[ -x $TESTPMD ]] || die "$TESTPMD missing: apt-get install dpdk"
    cd "$IVSHMEM_ROOT"
    PLUGIN=$BUILD/drivers/net/ivshmem/librte_net_ivshmem.so
    BENCH=$BUILD/app/test-ivshmem/ivshmem-bench
    SERVER=$BUILD/app/ivshmem-server/ivshmem-server
    for f in "$PLUGIN" "$BENCH" "$SERVER"; do
        [[ -e $f ]] || die "$f not built: ninja -C $BUILD"
    done
    PLUGIN=$(realpath "$PLUGIN") BENCH=$(realpath "$BENCH") SERVER=$(realpath "$SERVER")
    (( $(nproc) >= 2 )) || { warn "one core: both sides share it; figures mean little"; RX_LCORE=0; }
    # Every launch ends by itself; this only stops a hung one.
    LIMIT=$(awk -v d="$DURATION" -v w="$WARMUP" 'BEGIN { printf "%d", d + w + 60 }')
    OUT=${OUT:-/tmp/bench-compare.$(date +%Y%m%d-%H%M%S)}
    RUNS=$OUT/runs
    mkdir -p "$RUNS"
    OUT=$(realpath "$OUT") RUNS=$(realpath "$RUNS")
    trap cleanup EXIT
    trap 'exit 130' INT TERM
    PREFIXES+=("$TAG-c2c")

    {
        echo "command: $0 --repeat $REPEAT --duration $DURATION --warmup $WARMUP --sizes $SIZES --transports $TPUT --latency $LAT --build $BUILD --quiet $QUIET --max-stall $MAX_STALL --retries $RETRIES"
        echo "pinning: receiver -l $RX_LCORE, sender -l $TX_LCORE; burst 32; one queue"
        machine start
    } | tee "$OUT/machine.txt"
    if [[ -n $INSTR ]]; then
        command -v valgrind > /dev/null || die "--instructions needs valgrind: apt-get install valgrind"
        # callgrind is some 50 times slower: more time for each launch.
        LIMIT=300
        for s in "${sizes[@]}"; do
            for t in "${tput[@]}"; do
                case $t in ivshmem|memif|memif-zc|vhost) ;; *) continue ;; esac
                run_instr "$t" "$s" tx
                run_instr "$t" "$s" rx
            done
        done
        instr_summary | tee "$OUT/instructions.txt"
        return 0
    fi
    for ((REP = 1; REP <= REPEAT; REP++)); do
        log "=== repetition $REP of $REPEAT"
        for s in "${sizes[@]}"; do
            for t in "${tput[@]}"; do
                case $t in
                    ivshmem-intr) [[ $INTR_SIZES == *" $s "* ]] && launch run_tput "$t" "$s" ;;
                    testpmd-null|bench-null) launch run_null "$t" "$s" ;;
                    *) launch run_tput "$t" "$s" ;;
                esac
            done
        done
        for t in "${lat[@]}"; do
            launch run_lat "$t"
        done
    done
    machine end | tee -a "$OUT/machine.txt"
    "$PY" - "$OUT" "$REPEAT" "$MAX_STALL" <<'EOF' | tee "$OUT/summary.txt"
import csv, glob, json, os, re, statistics, sys

out, repeat, max_stall = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
runs = os.path.join(out, "runs")
OURS = "ivshmem"
PEERS = ["memif", "memif-zc", "vhost"]
ORDER = ["ivshmem", "ivshmem-intr", "memif", "memif-zc", "vhost", "testpmd-null", "bench-null"]

def load(path):
    try:
        return json.load(open(path))
    except (OSError, ValueError):
        return None

def get(j, *keys):
    for k in keys:
        if not isinstance(j, dict) or j.get(k) is None:
            return None
        j = j[k]
    return j

# ---- one row per launch ----------------------------------------------------
rows = []
labels = set()
for path in glob.glob(os.path.join(runs, "r*_*_*_*-*.json")):
    m = re.match(r"r(\d+)_(.+)_(\d+)_(tput|lat)-(\w+)\.json$", os.path.basename(path))
    if m:
        labels.add(m.groups()[:4])
for rep, t, size, kind in sorted(labels, key=lambda x: (x[3], ORDER.index(x[1]) if x[1] in ORDER else 99, int(x[2]), int(x[0]))):
    base = os.path.join(runs, "r%s_%s_%s_%s" % (rep, t, size, kind))
    r = {"rep": int(rep), "transport": t, "size": int(size), "kind": kind}
    env = load(base + "-env.txt") or {}
    r["cpu_busy_before_pct"] = env.get("cpu_busy_before_pct")
    r["retries"] = env.get("try")
    r["c2c_rtt_ns"] = env.get("c2c_rtt_ns")
    r["c2c_rtt_ns_after"] = env.get("c2c_rtt_ns_after")
    stalls = {}
    for side in ("rx", "tx", "ping", "pong"):
        f = get(load(base + "-%s.json" % side), "cpu", "stalled_fraction")
        if f is not None:
            stalls[side] = 100 * f
    r["stalled_pct"] = max(stalls.values()) if stalls else None
    r["disturbed"] = r["stalled_pct"] is not None and r["stalled_pct"] > max_stall
    if kind == "tput":
        rx, tx = load(base + "-rx.json"), load(base + "-tx.json")
        ok = tx is not None and tx.get("ok") and (rx is None or rx.get("ok")) \
            and (rx is not None or t.endswith("-null"))
        # The figure: what arrived (rx); for the ceilings, what was sent.
        fig = get(rx, "rx", "mpps") if rx else get(tx, "tx", "mpps")
        r.update(ok=bool(ok) and bool(fig), mpps=fig if ok else None,
                 gbps_wire=(get(rx, "rx", "gbps_wire") if rx else get(tx, "tx", "gbps_wire")) if ok else None,
                 tx_mpps=get(tx, "tx", "mpps"),
                 rx_cycles_per_pkt=get(rx, "cpu", "busy_cycles_per_pkt"),
                 tx_cycles_per_pkt=get(tx, "cpu", "busy_cycles_per_pkt"),
                 rx_burst_cycles_per_pkt=get(rx, "rx", "burst_cycles_per_pkt"),
                 tx_burst_cycles_per_pkt=get(tx, "tx", "burst_cycles_per_pkt"),
                 tx_build_cycles_per_pkt=get(tx, "tx", "build_cycles_per_pkt"),
                 tx_short_bursts=get(tx, "tx", "short_bursts"),
                 doorbells_per_pkt=get(tx, "doorbells_per_pkt"),
                 rx_sleeps_per_pkt=get(rx, "sleeps_per_pkt"),
                 rx_total=get(rx, "rx", "packets_total"), tx_total=get(tx, "tx", "packets_total"),
                 error=(get(rx, "error") or get(tx, "error") or
                        (None if rx or t.endswith("-null") else "no receiver JSON") or
                        (None if tx else "no sender JSON")))
    else:
        ping, pong = load(base + "-ping.json"), load(base + "-pong.json")
        rtt = get(ping, "rtt_us") or {}
        ok = bool(ping and ping.get("ok") and rtt.get("samples"))
        r.update(ok=ok, **{k: rtt.get(k) for k in ("samples", "lost", "min", "p50", "p90", "p99", "p999", "max", "mean")},
                 cdf=rtt.get("cdf"), ping_doorbells_per_pkt=get(ping, "doorbells_per_pkt"),
                 pong_doorbells_per_pkt=get(pong, "doorbells_per_pkt"),
                 error=get(ping, "error") or (None if ping else "no ping JSON"))
    rows.append(r)

cols = ["kind", "transport", "size", "rep", "ok", "disturbed", "stalled_pct",
        "cpu_busy_before_pct", "retries", "c2c_rtt_ns", "c2c_rtt_ns_after", "mpps", "gbps_wire", "tx_mpps",
        "rx_cycles_per_pkt", "tx_cycles_per_pkt", "rx_burst_cycles_per_pkt",
        "tx_burst_cycles_per_pkt", "tx_build_cycles_per_pkt", "tx_short_bursts",
        "doorbells_per_pkt", "rx_sleeps_per_pkt", "rx_total", "tx_total",
        "samples", "lost", "min", "p50", "p90", "p99", "p999", "max", "mean",
        "ping_doorbells_per_pkt", "pong_doorbells_per_pkt", "error"]
with open(os.path.join(out, "results.csv"), "w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=cols, extrasaction="ignore")
    w.writeheader()
    w.writerows(rows)

# ---- summary: median and best launch ---------------------------------------
def med(v):
    return statistics.median(v) if v else None

# Launches that count: those that worked and were not disturbed (preempted
# more than --max-stall), or, when every one was disturbed, those that worked.
def usable(rs):
    ok = [r for r in rs if r["ok"]]
    calm = [r for r in ok if not r["disturbed"]]
    return (calm, False) if calm else (ok, bool(ok))

tput, lat = {}, {}
for r in rows:
    if r["kind"] == "tput":
        d = tput.setdefault((r["transport"], r["size"]), {"fail": 0, "rows": []})
    else:
        d = lat.setdefault(r["transport"], {"fail": 0, "rows": []})
    d["rows"].append(r)
    d["fail"] += not r["ok"]
for d in list(tput.values()) + list(lat.values()):
    d["use"], d["disturbed_only"] = usable(d["rows"])
    d["ok"] = [r["mpps"] for r in d["use"]] if d["rows"][0]["kind"] == "tput" else None

summary = {"throughput": [], "latency": [], "targets": []}
for (t, size), d in sorted(tput.items(), key=lambda x: (ORDER.index(x[0][0]) if x[0][0] in ORDER else 99, x[0][1])):
    ok = d["use"]
    e = {"transport": t, "size": size, "launches": len(d["rows"]), "failed": d["fail"],
         "used": len(ok), "disturbed_only": d["disturbed_only"],
         "mpps_median": med(d["ok"]), "mpps_best": max(d["ok"]) if d["ok"] else None,
         "gbps_wire_median": med([r["gbps_wire"] for r in ok]),
         "rx_cycles_per_pkt_median": med([r["rx_cycles_per_pkt"] for r in ok if r["rx_cycles_per_pkt"] is not None]),
         "tx_cycles_per_pkt_median": med([r["tx_cycles_per_pkt"] for r in ok if r["tx_cycles_per_pkt"] is not None]),
         "doorbells_per_pkt_median": med([r["doorbells_per_pkt"] for r in ok if r["doorbells_per_pkt"] is not None]),
         "errors": sorted({r["error"] for r in d["rows"] if r["error"]})}
    # The PMD refused the frame size (MTU, multi-segment): not a failure.
    e["unsupported"] = not ok and all(r["error"] and ("MTU" in r["error"] or "multi-segment" in r["error"])
                                      for r in d["rows"])
    e["stalled_pct_max"] = max([r["stalled_pct"] for r in ok if r["stalled_pct"] is not None], default=None)
    summary["throughput"].append(e)
for t, d in sorted(lat.items(), key=lambda x: ORDER.index(x[0]) if x[0] in ORDER else 99):
    use = d["use"]
    e = {"transport": t, "launches": len(d["rows"]), "failed": d["fail"], "used": len(use),
         "disturbed_only": d["disturbed_only"]}
    for k in ("min", "p50", "p90", "p99", "p999", "max", "mean"):
        e[k + "_median"] = med([r[k] for r in use])
    e["p50_best"] = min([r["p50"] for r in use], default=None)
    e["p99_best"] = min([r["p99"] for r in use], default=None)
    e["ping_doorbells_per_pkt_median"] = med([r["ping_doorbells_per_pkt"] for r in use if r["ping_doorbells_per_pkt"] is not None])
    e["stalled_pct_max"] = max([r["stalled_pct"] for r in use if r["stalled_pct"] is not None], default=None)
    e["c2c_rtt_ns_median"] = med([r["c2c_rtt_ns"] for r in use if r.get("c2c_rtt_ns") is not None])
    # the CDF of the median launch (by p50), for the plot
    if use:
        rs = sorted(use, key=lambda r: r["p50"])
        e["cdf"] = rs[(len(rs) - 1) // 2]["cdf"]
    summary["latency"].append(e)

T = {(e["transport"], e["size"]): e for e in summary["throughput"]}
L = {e["transport"]: e for e in summary["latency"]}

def ratio(a, b):
    return a / b if a is not None and b else None

for e in summary["throughput"]:
    if e["transport"] != OURS:
        continue
    for p in PEERS:
        q = T.get((p, e["size"]))
        if q:
            e["vs_" + p] = {"best": ratio(e["mpps_best"], q["mpps_best"]),
                            "median": ratio(e["mpps_median"], q["mpps_median"])}

# ---- targets ---------------------------------------------------------------
def target(name, met, detail):
    summary["targets"].append({"target": name, "met": met, "detail": detail})

def fmt(v, spec=".3f"):
    return "n/a" if v is None else format(v, spec)

o64, c64 = T.get((OURS, 64)), T.get(("testpmd-null", 64))
if o64 and c64 and c64["mpps_median"]:
    r = ratio(o64["mpps_median"], c64["mpps_median"])
    target("64B >= 80% of the txonly ceiling", r is not None and r >= 0.8,
           "ours median %s Mpps / testpmd txonly->net_null median %s Mpps = %s" %
           (fmt(o64["mpps_median"]), fmt(c64["mpps_median"]), fmt(r and 100 * r, ".1f") + "%"))
for size in (64, 1500):
    o = T.get((OURS, size))
    for p in ("memif", "memif-zc"):
        m = T.get((p, size))
        if not (o and m):
            continue
        r = ratio(o["mpps_best"], m["mpps_best"])
        target("%dB >= 1.5x %s (best vs best)" % (size, p), r is not None and r >= 1.5,
               "ours best %s Mpps, %s best %s Mpps: x%s" % (fmt(o["mpps_best"]), p, fmt(m["mpps_best"]), fmt(r, ".2f")))
        if size == 64:
            target("64B our median >= %s best" % p,
                   o["mpps_median"] is not None and m["mpps_best"] is not None and o["mpps_median"] >= m["mpps_best"],
                   "ours median %s Mpps, %s best %s Mpps" % (fmt(o["mpps_median"]), p, fmt(m["mpps_best"])))
ol = L.get(OURS)
for p in ("memif", "memif-zc"):
    ml = L.get(p)
    if ol and ml:
        target("ping-pong p50 <= %s" % p,
               ol["p50_median"] is not None and ml["p50_median"] is not None and ol["p50_median"] <= ml["p50_median"],
               "ours p50 median %s us, %s %s us" % (fmt(ol["p50_median"]), p, fmt(ml["p50_median"])))
if ol:
    target("ping-pong p99 < 1 us", ol["p99_median"] is not None and ol["p99_median"] < 1.0,
           "ours p99 median %s us (best launch %s us)" % (fmt(ol["p99_median"]), fmt(ol["p99_best"])))
for size in (64, 1500):
    i = T.get(("ivshmem-intr", size))
    if i:
        v = i["doorbells_per_pkt_median"]
        target("intr mode < 1 doorbell per 1000 packets at saturation (%dB)" % size,
               v is not None and v < 0.001,
               "%s doorbells per 1000 packets (median), receiver in rte_epoll_wait when idle" % fmt(v and 1000 * v, ".4f"))

json.dump(summary, open(os.path.join(out, "summary.json"), "w"), indent=1)

with open(os.path.join(out, "summary.csv"), "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["transport", "size", "launches", "failed", "mpps_median", "mpps_best",
                "gbps_wire_median", "rx_cycles_per_pkt_median", "tx_cycles_per_pkt_median",
                "doorbells_per_pkt_median", "ours_vs_memif_best", "ours_vs_memif_median",
                "ours_vs_memif_zc_best", "ours_vs_memif_zc_median", "ours_vs_vhost_best", "ours_vs_vhost_median"])
    for e in summary["throughput"]:
        v = lambda p, k: (e.get("vs_" + p) or {}).get(k)
        w.writerow([e["transport"], e["size"], e["launches"], e["failed"], e["mpps_median"],
                    e["mpps_best"], e["gbps_wire_median"], e["rx_cycles_per_pkt_median"],
                    e["tx_cycles_per_pkt_median"], e["doorbells_per_pkt_median"],
                    v("memif", "best"), v("memif", "median"), v("memif-zc", "best"),
                    v("memif-zc", "median"), v("vhost", "best"), v("vhost", "median")])
    w.writerow([])
    w.writerow(["latency_transport", "launches", "failed", "min_us", "p50_us", "p90_us", "p99_us",
                "p999_us", "max_us", "mean_us", "p50_best_us", "p99_best_us", "ping_doorbells_per_pkt"])
    for e in summary["latency"]:
        w.writerow([e["transport"], e["launches"], e["failed"], e["min_median"], e["p50_median"],
                    e["p90_median"], e["p99_median"], e["p999_median"], e["max_median"],
                    e["mean_median"], e["p50_best"], e["p99_best"], e["ping_doorbells_per_pkt_median"]])

# ---- gnuplot data ----------------------------------------------------------
ts = [t for t in ORDER if any(k[0] == t for k in T)]
sizes = sorted({k[1] for k in T})
with open(os.path.join(out, "throughput.dat"), "w") as f:
    f.write("# size " + " ".join("%s %s_best" % (t, t) for t in ts) + "\n")
    for s in sizes:
        vals = []
        for t in ts:
            e = T.get((t, s))
            vals += [fmt(e and e["mpps_median"], ".4f").replace("n/a", "NaN"),
                     fmt(e and e["mpps_best"], ".4f").replace("n/a", "NaN")]
        f.write("%d %s\n" % (s, " ".join(vals)))
with open(os.path.join(out, "latency.dat"), "w") as f:
    f.write("# transport min p50 p90 p99 p999 max (us, medians over launches)\n")
    for e in summary["latency"]:
        f.write("%s %s\n" % (e["transport"], " ".join(
            fmt(e[k + "_median"], ".4f").replace("n/a", "NaN") for k in ("min", "p50", "p90", "p99", "p999", "max"))))
for e in summary["latency"]:
    with open(os.path.join(out, "cdf-%s.dat" % e["transport"]), "w") as f:
        f.write("# rtt_us quantile (median launch)\n")
        for us, q in e.get("cdf") or []:
            f.write("%.4f %g\n" % (us, q))
open(os.path.join(out, "plot-transports.txt"), "w").write(" ".join(ts) + "\n")
open(os.path.join(out, "plot-latency.txt"), "w").write(" ".join(e["transport"] for e in summary["latency"]) + "\n")

# ---- human table -----------------------------------------------------------
print("\nThroughput, tx -> rx, burst 32, Mpps received (median / best of %d launches; !: every launch was"
      " preempted > %g%% of its window)" % (repeat, max_stall))
hdr = "%-13s" % "size" + "".join("%18s" % t for t in ts)
print(hdr)
for s in sizes:
    line = "%-13s" % ("%d B" % s)
    for t in ts:
        e = T.get((t, s))
        if not e or e["mpps_median"] is None:
            line += "%18s" % ("n/a" if not e else "unsupported" if e["unsupported"] else "failed")
        else:
            line += "%18s" % ("%s%.2f / %.2f" % ("!" if e["disturbed_only"] else "",
                                                e["mpps_median"], e["mpps_best"]))
    print(line)
print("\nours / peer (median vs median, best vs best):")
for s in sizes:
    e = T.get((OURS, s)) or {}
    parts = []
    for p in PEERS:
        v = e.get("vs_" + p)
        if v and v["median"] is not None:
            parts.append("%s x%.2f / x%.2f" % (p, v["median"], v["best"]))
    print("  %5d B: %s" % (s, "; ".join(parts) or "n/a"))
print("\nCycles per packet (median; TSC cycles of one busy-polling core while it ran / packets): rx side/tx side")
for s in sizes:
    line = "  %5d B:" % s
    for t in ts:
        e = T.get((t, s))
        if e and e["mpps_median"] is not None:
            line += "  %s %s/%s" % (t, fmt(e["rx_cycles_per_pkt_median"], ".0f"), fmt(e["tx_cycles_per_pkt_median"], ".0f"))
    print(line)
if summary["latency"]:
    print("\nPing-pong RTT, 64 B, 1 packet per round (us, median over launches; best p50 / p99)")
    print("%-13s %8s %8s %8s %8s %8s %8s %8s   %-17s %s" % ("transport", "min", "p50", "p90", "p99", "p99.9", "max", "mean", "best p50/p99", "c2c ns"))
    for e in summary["latency"]:
        print("%-13s %8s %8s %8s %8s %8s %8s %8s   %-17s %s" % ((("!" if e["disturbed_only"] else "") + e["transport"],) + tuple(
            fmt(e[k + "_median"]) for k in ("min", "p50", "p90", "p99", "p999", "max", "mean")) +
            ("%s / %s" % (fmt(e["p50_best"]), fmt(e["p99_best"])), fmt(e["c2c_rtt_ns_median"], ".0f"))))
print("\nTargets (reported, not pass/fail):")
for t in summary["targets"]:
    print("  [%s] %s: %s" % ("met" if t["met"] else "NOT met", t["target"], t["detail"]))
bad = [(e["transport"], e["size"], e["failed"], e["errors"]) for e in summary["throughput"]
       if e["failed"] and not e["unsupported"]]
uns = ["%s %d B (%s)" % (e["transport"], e["size"], e["errors"][0]) for e in summary["throughput"] if e["unsupported"]]
if uns:
    print("\nNot supported by the PMD:")
    for u in uns:
        print("  " + u)
bad += [(e["transport"], "ping", e["failed"], []) for e in summary["latency"] if e["failed"]]
c2c = sorted(v for r in rows for v in (r.get("c2c_rtt_ns"), r.get("c2c_rtt_ns_after")) if v is not None)
if c2c:
    print("\nCache-line round trip between the two cores before and after each launch (ivshmem-bench --role c2c,"
          " p50): min %.0f ns, median %.0f ns, max %.0f ns over %d probes; cross-core figures move with it"
          " (results.csv: c2c_rtt_ns, c2c_rtt_ns_after)" % (c2c[0], c2c[len(c2c) // 2], c2c[-1], len(c2c)))
nd = sum(1 for r in rows if r["disturbed"])
print("\n%d of %d launches kept were preempted more than %g%% of their window (results.csv: disturbed);"
      " disturbed launches launched again are in runs/disturbed/" % (nd, len(rows), max_stall))
if bad:
    print("\nLaunches that failed (see runs/*.log):")
    for t, s, n, errs in bad:
        print("  %s %s: %d failed %s" % (t, s, n, "; ".join(errs)))
EOF
    if command -v gnuplot > /dev/null; then
        gnuplot -e "dir='$OUT'" "$IVSHMEM_ROOT/devtools/bench-plot.gp" 2> "$OUT/gnuplot.log" ||
            warn "gnuplot failed: see $OUT/gnuplot.log"
    else
        warn "gnuplot not installed: no plots (apt-get install gnuplot-nox)"
    fi
    log "results in $OUT: summary.txt summary.csv summary.json results.csv runs/ and the plots throughput.svg latency.svg"
}

main "$@"
