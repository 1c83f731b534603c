#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# A long fuzzing campaign over every libFuzzer harness of a fuzz build (not
# in the test command: suite fuzz runs each harness for 60 s).
#
#   devtools/fuzz-campaign.sh [--build DIR] [--out DIR] [--jobs N]
#                             [--seconds N] [NAME=SECONDS]...
#
# The harnesses and their committed corpora are read from the build's test
# list (meson introspect: suite fuzz), so the campaign runs what suite fuzz
# runs. Each harness fuzzes for its SECONDS (default --seconds, 600) from
# its committed corpus, with its own seed; new inputs go to OUT/NAME/new,
# never into the tree, and crashes, leaks and timeouts to OUT/NAME/ (add a
# minimised one to the corpus and fix the cause). JOBS harnesses (default:
# the number of CPUs) run at a time.
#
# Prints per harness libFuzzer's last status (cov, ft, corpus, exec/s), the
# number of inputs run and the crashes, then the total; writes the same as
# JSON to OUT/campaign.json. Exit status 1 when any harness crashed, leaked
# or timed out, 2 on usage errors.
#
# --build defaults to build-fuzz/ (devtools/test.sh makes it), --out to a
# new directory under ${TMPDIR:-/tmp}.
set -euo pipefail
# shellcheck source=devtools/lib.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

usage() { sed -n '4,24p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }

build=$IVSHMEM_ROOT/build-fuzz out='' jobs=$(nproc) seconds=600
declare -A budget=()
while (( $# )); do
    case $1 in
        --build) build=${2:?--build needs a directory}; shift ;;
        --out) out=${2:?--out needs a directory}; shift ;;
        --jobs) jobs=${2:?--jobs needs a number}; shift ;;
        --seconds) seconds=${2:?--seconds needs a number}; shift ;;
        -h | --help) usage ;;
        *=*) budget[${1%%=*}]=${1#*=} ;;
        *) echo "fuzz-campaign: unknown argument '$1'" >&2; usage ;;
    esac
    shift
done
for n in "$jobs" "$seconds" "${budget[@]}"; do
    [[ $n =~ ^[1-9][0-9]*$ ]] || { echo "fuzz-campaign: '$n' is not a positive number" >&2; exit 2; }
done
[[ -f $build/build.ninja ]] || { echo "fuzz-campaign: $build is not a meson build directory" >&2; exit 2; }
[[ -n $out ]] || out=$(mktemp -d "${TMPDIR:-/tmp}/ivshmem-fuzz-campaign.XXXXXX")
mkdir -p "$out"
# A campaign's findings are its own: an earlier one's would be counted.
[[ -z $(ls -A "$out") ]] || { echo "fuzz-campaign: $out is not empty" >&2; exit 2; }

# "NAME FUZZER CORPUS" of each harness in suite fuzz: fuzz-run.sh's
# arguments are the fuzzer, its corpus and the seconds of suite fuzz.
mapfile -t harnesses < <(meson introspect --tests "$build" | python3 -c '
import json, os, sys
for t in json.load(sys.stdin):
    if any(s.split(":")[-1] == "fuzz" for s in t["suite"]) and len(t["cmd"]) >= 3 and t["cmd"][0].endswith("fuzz-run.sh"):
        if t["cmd"][1] != "--skip":
            print(t["name"], os.path.join(sys.argv[1], t["cmd"][1]), t["cmd"][2])' "$build")
(( ${#harnesses[@]} )) ||
    { echo "fuzz-campaign: $build has no libFuzzer harness (suite fuzz is empty or skipped: build with clang)" >&2; exit 2; }
for name in "${!budget[@]}"; do
    printf '%s\n' "${harnesses[@]}" | grep -q "^$name " ||
        { echo "fuzz-campaign: no harness $name in $build" >&2; exit 2; }
done

# run NAME FUZZER CORPUS SEED: one harness, its log in OUT/NAME/fuzz.log.
# The fuzzer goes with it when it is killed.
run() {
    local name=$1 fuzzer=$2 corpus=$3 seed=$4 dir=$out/$1 rc=0 pid
    mkdir -p "$dir/new"
    "$fuzzer" "${IVSHMEM_FUZZ_OPTS[@]}" "-artifact_prefix=$dir/" "-seed=$seed" \
        "-max_total_time=${budget[$name]:-$seconds}" \
        "$dir/new" "$corpus" > "$dir/fuzz.log" 2>&1 &
    pid=$!
    trap 'kill "$pid" 2> /dev/null; exit 143' TERM
    wait "$pid" || rc=$?
    echo "$rc" > "$dir/rc"
}
# Killed (TERM, HUP; Ctrl-C reaches the fuzzers themselves): the harnesses
# running go too.
trap 'kill $(jobs -p) 2> /dev/null; exit 143' TERM HUP

echo "fuzz-campaign: ${#harnesses[@]} harnesses, $jobs at a time, into $out"
seed=1
for h in "${harnesses[@]}"; do
    read -r name fuzzer corpus <<< "$h"
    while (( $(jobs -rp | wc -l) >= jobs )); do wait -n || true; done
    echo "fuzz-campaign: $name for ${budget[$name]:-$seconds} s (seed $seed)"
    run "$name" "$fuzzer" "$corpus" "$seed" &
    seed=$((seed + 1))
done
wait

# The report, from each harness's log.
python3 - "$out" "${harnesses[@]}" <<'EOF'
import json, os, re, sys
out, rows, failed = sys.argv[1], [], 0
for h in sys.argv[2:]:
    name = h.split()[0]
    d = os.path.join(out, name)
    log = open(os.path.join(d, "fuzz.log"), errors="replace").read()
    status = [l for l in log.splitlines() if re.match(r"#[0-9]+\s", l)]
    last = status[-1] if status else ""
    def field(key):
        m = re.search(r"\b" + key + r": (\S+)", last)
        return m.group(1) if m else None
    m = re.search(r"^stat::number_of_executed_units: (\d+)", log, re.M)
    execs = int(m.group(1)) if m else 0
    m = re.search(r"^Done \d+ runs in (\d+) second", log, re.M)
    artifacts = sorted(f for f in os.listdir(d) if re.match(r"(crash|leak|timeout|oom)-", f))
    rc = int(open(os.path.join(d, "rc")).read())
    ok = rc == 0 and not artifacts
    failed += not ok
    rows.append({"harness": name, "execs": execs, "cov": field("cov"), "ft": field("ft"),
                 "corpus": field("corp"), "exec_per_s": field("exec/s"),
                 "seconds": int(m.group(1)) if m else None, "exit": rc,
                 "artifacts": artifacts, "ok": ok})
    print("%-14s %12d execs  cov %-5s ft %-6s corp %-12s exec/s %-8s %s" % (
        name, execs, field("cov"), field("ft"), field("corp"), field("exec/s"),
        "ok" if ok else "FAILED (exit %d%s)" % (rc, ", " + " ".join(artifacts) if artifacts else "")))
total = sum(r["execs"] for r in rows)
print("total: %d executions over %d harnesses, %d failed" % (total, len(rows), failed))
json.dump({"harnesses": rows, "total_execs": total, "failed": failed},
          open(os.path.join(out, "campaign.json"), "w"), indent=1)
sys.exit(1 if failed else 0)
EOF
