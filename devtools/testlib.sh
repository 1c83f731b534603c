# shellcheck shell=bash disable=SC2034 # variables are for the tests that source this
# SPDX-License-Identifier: BSD-3-Clause
#
# The vocabulary of every shell test; the C tests speak the same one
# (lib/test/t_helpers.h). A test sources this file, or a library built on
# it (drivers/net/ivshmem/tests/lib.sh for DPDK processes,
# devtools/vm/scenarios/lib.sh for guests), calls t_init, and ends with
# t_pass, or leaves early through t_fail or t_skip. It defines functions
# and variables and runs nothing; it works under set -euo pipefail too.
#
# Every line starts with the test's name (T_NAME: the script's, without
# .sh); the last one is the verdict:
#   NAME: message                                t_log
#   NAME: OK: what held                          t_check, t_expect
#   NAME: FAILED: what (check failed: COND)      t_expect, recorded
#   NAME: SKIPPED: why                           t_skip_part: one part
#   NAME: FAIL: why                              t_fail, t_check: exit 1
#   NAME: SKIP: why                              t_skip: exit 77
#   NAME: PASS: summary                          t_pass: exit 0
# t_pass fails instead when an expectation failed, and names the parts
# skipped; t_skip fails instead after a failed expectation.
#
# Checks: t_check COND MSG and t_expect COND MSG evaluate [[ COND ]];
# t_check fails the test at once, t_expect records the failure, so that
# every failed expectation shows, and t_expected (or t_pass) fails the
# test at the end. Compare counters with == (as strings: a "missing" value
# never equals a number) against numbers computed with $((...)); for a
# command's status, "$? == 0".
#
# The run: t_init makes T_DIR, the run's directory (logs go there, and
# t_fail prints the tail of each *.log and *.json in it), and sets one EXIT
# trap. The trap kills every process listed in T_PIDS, by pid and nothing
# else (TERM, then KILL after 3 s), runs the commands given to t_at_exit,
# then removes T_DIR after a pass or a skip, or keeps it after a failure.
#
# Waits are for an event, with a bound that only stops a test that hangs:
#   t_wait_log FILE REGEX TIMEOUT_S [MIN]   MIN lines of FILE match REGEX
#   t_wait_pid PID TIMEOUT_S                a child exits: T_STATUS
#   t_wait_for TIMEOUT_S COMMAND...         COMMAND succeeds

T_NAME=${T_NAME:-$(basename -- "$0" .sh)}
T_PYTHON=${T_PYTHON:-/usr/bin/python3}
T_DIR=${T_DIR:-}
T_PIDS=()	# every process started, killed at exit
T_MISSED=()	# failed expectations
T_SKIPPED=()	# parts skipped
T_AT_EXIT=()	# t_at_exit commands
T_ON_FAIL=()	# t_on_fail commands
T_ON_PASS=()	# t_on_pass commands
T_CHECKS=0

t_log()  { printf '%s: %s\n' "$T_NAME" "$*"; }
t_ok()   { printf '%s: OK: %s\n' "$T_NAME" "$*"; }

# t_at_exit COMMAND...: run by the EXIT trap once the processes in T_PIDS
# are gone (a library's own cleanup: files, guests).
t_at_exit() { T_AT_EXIT+=("$*"); }
# t_on_fail COMMAND...: run by t_fail before the log tails (diagnostics).
t_on_fail() { T_ON_FAIL+=("$*"); }
# t_on_pass COMMAND...: run by t_pass before the verdict; it may t_fail.
t_on_pass() { T_ON_PASS+=("$*"); }

# Prints the tail of every log of this run, then FAIL, and exits 1.
t_fail() {
    local f c
    for c in "${T_ON_FAIL[@]}"; do
        eval "$c" || true
    done
    if [[ -n $T_DIR ]]; then
        for f in "$T_DIR"/*.log "$T_DIR"/*.json; do
            [[ -s $f ]] || continue
            printf -- '----- %s (last 25 lines) -----\n' "$f"
            tail -n 25 -- "$f" || true
        done
        t_log "logs kept in $T_DIR"
        T_KEPT=1
    fi
    printf '%s: FAIL: %s\n' "$T_NAME" "$*"
    exit 1
}

t_skip() {
    (( ${#T_MISSED[@]} == 0 )) || t_expected
    printf '%s: SKIP: %s\n' "$T_NAME" "$*"
    exit 77
}

# t_skip_part WHY: a part of the test that cannot run here; the rest runs,
# and t_pass names it again.
t_skip_part() {
    printf '%s: SKIPPED: %s\n' "$T_NAME" "$*"
    T_SKIPPED+=("$*")
}

# t_pass [SUMMARY]
t_pass() {
    local c summary=${1:-$T_CHECKS checks}
    t_expected
    for c in "${T_ON_PASS[@]}"; do
        eval "$c"
    done
    if (( ${#T_SKIPPED[@]} )); then
        summary+="; ${#T_SKIPPED[@]} part(s) skipped, the first: ${T_SKIPPED[0]}"
    fi
    printf '%s: PASS: %s\n' "$T_NAME" "$summary"
    exit 0
}

# t_check CONDITION MESSAGE: [[ CONDITION ]] holds, or the test fails.
t_check() {
    T_CHECKS=$((T_CHECKS + 1))
    if eval "[[ $1 ]]"; then
        t_ok "$2"
    else
        t_fail "$2 (check failed: $1)"
    fi
}

# t_expect CONDITION MESSAGE: as t_check, but a failure is recorded.
t_expect() {
    T_CHECKS=$((T_CHECKS + 1))
    if eval "[[ $1 ]]"; then
        t_ok "$2"
    else
        printf '%s: FAILED: %s (check failed: %s)\n' "$T_NAME" "$2" "$1"
        T_MISSED+=("$2")
    fi
}

# t_expected: fails the test if an expectation failed, naming each.
t_expected() {
    local m
    (( ${#T_MISSED[@]} == 0 )) && return 0
    for m in "${T_MISSED[@]}"; do
        printf '%s: failed: %s\n' "$T_NAME" "$m"
    done
    t_fail "${#T_MISSED[@]} expectation(s) failed (listed above)"
}

t_cleanup() {
    local status=$? pid c i
    trap - EXIT
    for pid in "${T_PIDS[@]}"; do
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null || true
        fi
    done
    for pid in "${T_PIDS[@]}"; do
        for ((i = 0; i < 30; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            t_log "pid $pid still running: kill -9"
            kill -KILL "$pid" 2>/dev/null || true
        fi
        wait "$pid" 2>/dev/null || true
    done
    for c in "${T_AT_EXIT[@]}"; do
        eval "$c" || true
    done
    # A pass or a skip leaves nothing (and a skip's reason stays the last
    # line, which devtools/test.sh reports); a failure keeps the logs.
    if (( status == 0 || status == 77 )); then
        [[ -z $T_DIR ]] || rm -rf -- "$T_DIR"
    elif [[ -d $T_DIR && -z ${T_KEPT:-} ]]; then
        t_log "logs kept in $T_DIR"
    fi
    exit "$status"
}

# t_setup: T_DIR and the traps. t_init is this, unless a library that
# needs more (arguments, programs) defines its own t_init, which calls it.
t_setup() {
    T_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ivshmem-$T_NAME.XXXXXX") ||
        t_fail "mktemp -d failed"
    trap t_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}
t_init() { t_setup; }

t_now_ms() { date +%s%3N; }

# t_wait_log FILE REGEX TIMEOUT_S [MIN_COUNT]: until MIN_COUNT (default 1)
# lines of FILE match REGEX (grep -E). Status 1 on timeout.
t_wait_log() {
    local file=$1 re=$2 timeout=$3 min=${4:-1} end n
    end=$(( $(t_now_ms) + timeout * 1000 ))
    while :; do
        n=$(grep -cE -- "$re" "$file" 2>/dev/null) || n=0
        (( ${n:-0} >= min )) && return 0
        (( $(t_now_ms) < end )) || return 1
        sleep 0.05
    done
}

# t_wait_pid PID TIMEOUT_S: waits for a child to exit and sets T_STATUS to
# its exit status. Status 1 when it is still running at the timeout.
# (wait needs the parent shell: never call this in $(...).)
t_wait_pid() {
    local pid=$1 end
    end=$(( $(t_now_ms) + $2 * 1000 ))
    # (bash reports a job killed by a signal on stderr: the tests say more)
    {
        while kill -0 "$pid" 2>/dev/null; do
            (( $(t_now_ms) < end )) || return 1
            sleep 0.05
        done
        T_STATUS=0
        wait "$pid" || T_STATUS=$?
    } 2>/dev/null
}

# t_wait_for TIMEOUT_S COMMAND...: until COMMAND succeeds; status 1 on
# timeout.
t_wait_for() {
    local end
    end=$(( $(t_now_ms) + $1 * 1000 ))
    shift
    until "$@"; do
        (( $(t_now_ms) < end )) || return 1
        sleep 0.05
    done
}

# t_json FILE EXPR: EXPR evaluated by Python with j = the JSON object in FILE.
t_json() {
    "$T_PYTHON" -c 'import json, sys
j = json.load(open(sys.argv[1]))
v = eval(sys.argv[2])
print(str(v).lower() if isinstance(v, bool) else v)' "$1" "$2"
}
