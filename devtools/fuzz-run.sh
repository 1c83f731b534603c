#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# One libFuzzer harness in suite fuzz: fuzz-run.sh FUZZER CORPUS SECONDS
# (or fuzz-run.sh --skip REASON, the suite of a build without libFuzzer)
#
# Replays the committed corpus CORPUS (any crash fails), then fuzzes fresh
# for SECONDS from it with a fixed seed (FUZZ_SEED, default 1). New inputs
# go to the run's directory, never into the tree. A crash fails the test
# and its input is kept: the directory is printed; minimise it
# (FUZZER -minimize_crash=1 FILE), add it to CORPUS and fix the cause.
# Prints libFuzzer's last status line (cov, ft, exec/s) and the number of
# inputs run.
set -euo pipefail
T_NAME=$(basename -- "${1#--}")
# shellcheck source=devtools/testlib.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/testlib.sh"

t_init
if [[ $1 == --skip ]]; then
    t_skip "${2:-no reason given}"
fi
fuzzer=$1 corpus=$2 seconds=$3
[[ -x $fuzzer ]] || t_fail "$fuzzer is not built"
[[ -d $corpus ]] || t_fail "no corpus directory $corpus"
# shellcheck source=devtools/lib.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
opts=("${IVSHMEM_FUZZ_OPTS[@]}" "-artifact_prefix=$T_DIR/")

"$fuzzer" "${opts[@]}" -runs=0 "$corpus" > "$T_DIR/replay.log" 2>&1 ||
    t_fail "the committed corpus $corpus crashes $fuzzer (log above)"
t_ok "corpus $corpus replayed: $(find "$corpus" -type f | wc -l) inputs"

mkdir "$T_DIR/new"
rc=0
"$fuzzer" "${opts[@]}" "-seed=${FUZZ_SEED:-1}" "-max_total_time=$seconds" \
    "$T_DIR/new" "$corpus" > "$T_DIR/fresh.log" 2>&1 || rc=$?
t_log "$(grep -E '^#[0-9]+' "$T_DIR/fresh.log" | tail -n 1)"
t_log "$(grep -E '^stat::number_of_executed_units' "$T_DIR/fresh.log")"
t_expect "$rc == 0" "fresh run of $seconds s: no crash, leak or timeout"
t_pass "$fuzzer: corpus and $seconds s fresh"
