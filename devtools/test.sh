#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The full test suite, as root on Debian 12 (installs what it needs first):
#
#   1. devtools/setup.sh (packages, DPDK SDK headers, l2fwd, hugepages, build/)
#   2. build/       suites fast stress driver server vm package
#   3. build-asan/  ASan+UBSan: suites fast stress (run "asan"), then driver
#                   (run "asan-driver")
#   4. build-tsan/  TSan: suite tsan (run "tsan"), then driver ("tsan-driver")
#   5. build-fuzz/  clang, DPDK-free: suite fuzz (run "fuzz"): each libFuzzer
#                   harness (ring data path, region attach, server, client,
#                   parser) replays its committed corpus, then fuzzes fresh
#                   for 60 s with a fixed seed (devtools/fuzz-run.sh), about
#                   3 min on 2 cores. Every build replays the corpora in
#                   suite fast too, without libFuzzer.
#
# Both sanitizer builds instrument the ring library, the server, the plugin
# and the test apps; DPDK itself is Debian's and is not. In the driver
# suite, Debian's dpdk-testpmd, dpdk-proc-info and dpdk-dumpcap get the
# sanitizer runtime preloaded (drivers/net/ivshmem/tests/lib.sh), and any
# sanitizer report in any process's log fails the test.
#   ASan: every driver test runs. Leaks are reported in every process; in
#     DPDK's secondaries, those DPDK 22.11 itself makes at each exit are
#     suppressed (drivers/net/ivshmem/tests/lsan-dpdk-secondary.supp).
#     ASan sees the plugin's stack, globals and malloc() memory; DPDK's
#     hugepage heap (rte_malloc, mbufs) and the shared region have no
#     redzones, so an overrun there goes unseen.
#   TSan: DPDK synchronises its lcores and its threads with its own atomics,
#     which TSan does not see: in dpdk-testpmd every 'stop' and 'quit' reads
#     as a race, and no suppression limited to DPDK's libraries removes that
#     without hiding the plugin's own races (DPDK calls the plugin: every
#     stack holds a DPDK frame). So TSan reports are off in testpmd and its
#     secondaries, and races are looked for in our own programs
#     (ivshmem-integrity, ivshmem-bench, ivshmem-server), where the few
#     false ones (DPDK's inline rte_ring; a teardown ordered by EAL's
#     interrupt lock) are suppressed by name in
#     drivers/net/ivshmem/tests/tsan-dpdk.supp. The five tests whose
#     traffic runs in testpmd only skip, saying so, and so do kill-restart
#     and freeze-thaw, whose 1 s bound from a kill or a SIGSTOP to link down
#     TSan's slowdown breaks, and lsc-thread, whose two ports in one
#     process have their alarms handed to EAL's thread in an order TSan does
#     not see; the others send fewer frames than in the other builds.
#
# Skipped tests (exit 77) are listed by name with their last line of output.
# The last line printed is "N passed, N failed, N skipped" over all runs; the
# exit status is non-zero when anything failed (a test, or a build).
#
# Options:
#   --suite NAME     run only this suite (repeatable); sanitizer runs keep
#                    only their own suites among those named
#   --no-sanitizers  skip steps 3 and 4
#   --no-fuzz        skip step 5
#   --no-setup       skip step 1 (build/ must be configured already)
#   -h, --help
#
# Environment: SAN_CC / TSAN_CC pick the compiler of the ASan / TSan builds
# (default: cc, i.e. gcc 12; clang's TSan works for the ring); FUZZ_CC the
# fuzz build's (default: clang, which setup.sh installs). Tests see
# IVSHMEM_L2FWD and IVSHMEM_DPDK_SRC_DIR (the l2fwd binary and DPDK tree
# setup.sh made).

set -Eeuo pipefail
PROG=test.sh
# shellcheck source=devtools/lib.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
trap 'warn "line $LINENO: \"$BASH_COMMAND\" failed (status $?)"' ERR

MAIN_SUITES=(fast stress driver server vm package)
ASAN_SUITES=(fast stress driver)
TSAN_SUITES=(tsan driver)
FUZZ_SUITES=(fuzz)

usage() {
    sed -n '/^# The full test suite/,/^# setup.sh made/p' "$0" | sed 's/^# \{0,1\}//'
}

TOTAL_PASS=0 TOTAL_FAIL=0 TOTAL_SKIP=0
SKIPPED=() # "run: test: reason", printed at the end
FAILED=()  # "run: test (RESULT)" or "run: what failed"
RESULTS=   # temp dir for logs, removed at exit

# Tests named in meson's testlog.json of build dir $1 with result SKIP, then
# those that failed, as "S<TAB>name<TAB>reason" and "F<TAB>name<TAB>result".
# The reason is the last non-empty line the test printed.
testlog_outcomes() {
    /usr/bin/python3 - "$1/meson-logs/testlog.json" <<'EOF'
import json, sys
bad = {"FAIL", "TIMEOUT", "UNEXPECTEDPASS", "ERROR", "INTERRUPT"}
try:
    lines = open(sys.argv[1], encoding="utf-8", errors="replace").read().splitlines()
except OSError:
    sys.exit(0)
for line in lines:
    try:
        t = json.loads(line)
    except ValueError:
        continue
    out = ((t.get("stdout") or "") + "\n" + (t.get("stderr") or "")).splitlines()
    last = next((l.strip() for l in reversed(out) if l.strip()), "(printed nothing)")
    if t.get("result") == "SKIP":
        print("S\t%s\t%s" % (t.get("name"), last[:300]))
    elif t.get("result") in bad:
        print("F\t%s\t%s" % (t.get("name"), t.get("result")))
EOF
}

# Run the tests of suites "${@:3}" in build dir $2, under the label $1.
# Adds meson's summary counts to the totals.
run_suites() {
    local label=$1 dir=$2 s log rc=0 ok xfail fail xpass skip tmo kind name why
    local t0=$SECONDS
    shift 2
    local args=(--print-errorlogs)
    for s in "$@"; do args+=(--suite "$s"); done
    [[ -n ${TIMEOUT_MULT:-} ]] && args+=(--timeout-multiplier "$TIMEOUT_MULT")
    log "=== $label: meson test -C $dir ${args[*]}"
    log="$RESULTS/$label.log"
    rm -f "$dir/meson-logs/testlog.json" # never read a previous run's
    meson test -C "$dir" "${args[@]}" 2>&1 | tee "$log" || rc=$?
    # The summary comes last; a test may print look-alike lines before it.
    read -r ok xfail fail xpass skip tmo < <(awk '
        /^Ok:/              { ok = $2 }
        /^Expected Fail:/   { xf = $3 }
        /^Fail:/            { f = $2 }
        /^Unexpected Pass:/ { xp = $3 }
        /^Skipped:/         { sk = $2 }
        /^Timeout:/         { to = $2 }
        END { print ok+0, xf+0, f+0, xp+0, sk+0, to+0 }' "$log")
    if grep -qE '^No (suitable )?tests defined' "$log"; then
        log "$label: no tests in suites $* (yet)"
    fi
    TOTAL_PASS=$((TOTAL_PASS + ok + xfail))
    TOTAL_FAIL=$((TOTAL_FAIL + fail + xpass + tmo))
    TOTAL_SKIP=$((TOTAL_SKIP + skip))
    while IFS=$'\t' read -r kind name why; do
        case $kind in
            S) SKIPPED+=("$label: $name: $why") ;;
            F) FAILED+=("$label: $name ($why)") ;;
        esac
    done < <(testlog_outcomes "$dir")
    if (( rc != 0 && fail + xpass + tmo == 0 )); then
        # meson itself failed (e.g. could not build): count it.
        TOTAL_FAIL=$((TOTAL_FAIL + 1))
        FAILED+=("$label: meson test exited with status $rc")
    fi
    log "$label: ok $ok, expected fail $xfail, fail $fail, unexpected pass $xpass, skipped $skip, timeout $tmo ($((SECONDS - t0)) s)"
}

# Our packages, if any is installed, purged with a warning. The package
# test (package-deb) purges them in its EXIT trap; a run killed before it
# could leaves the PMD in DPDK's driver directory, where every DPDK process
# loads it, and the driver suite's -d would then register it twice.
purge_leftover_packages() {
    local p st left=()
    command -v dpkg-query > /dev/null || return 0
    for p in ivshmem-net libivshmem-ring-dev libivshmem-ring0; do
        st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null) || st=
        [[ -z $st || $st == not-installed ]] || left+=("$p")
    done
    (( ${#left[@]} )) || return 0
    warn "installed, a package test's leftover: ${left[*]}: dpkg --purge (the PMD would load twice next to -d)"
    dpkg --purge "${left[@]}" || warn "dpkg --purge ${left[*]} failed: the driver runs below may fail"
}

# run_suites for a sanitizer build: the driver suite, when asked for, as a
# run of its own (label $1-driver) after the others (label $1).
run_sanitizer_suites() {
    local label=$1 dir=$2 s rest=() driver=0
    shift 2
    for s in "$@"; do
        if [[ $s == driver ]]; then driver=1; else rest+=("$s"); fi
    done
    if (( ${#rest[@]} )); then run_suites "$label" "$dir" "${rest[@]}"; fi
    if (( driver )); then run_suites "$label-driver" "$dir" driver; fi
    return 0
}

# Configure build dir $1 with meson options "${@:2}" and build it. On failure
# counts one failed test and returns 1.
configure_and_build() {
    local dir=$1 setup=(meson setup) t0=$SECONDS
    shift
    [[ -f $dir/meson-private/coredata.dat ]] && setup+=(--reconfigure)
    log "=== $dir: ${setup[*]} $dir $*"
    if "${setup[@]}" "$dir" "$@" && ninja -C "$dir"; then
        log "$dir: configured and built in $((SECONDS - t0)) s"
        return 0
    fi
    TOTAL_FAIL=$((TOTAL_FAIL + 1))
    FAILED+=("$dir: configure/build failed")
    warn "$dir: configure/build failed; its tests are not run"
    return 1
}

# The elements of "$@" that are also in the global list WANTED (all when
# WANTED is empty), one per line.
pick_suites() {
    local s w
    for s in "$@"; do
        if (( ${#WANTED[@]} == 0 )); then echo "$s"; continue; fi
        for w in "${WANTED[@]}"; do [[ $s == "$w" ]] && echo "$s"; done
    done
    return 0
}

# DPDK's EAL refuses to load a plugin (-d) from under a world-writable
# directory such as /tmp. A checkout there would fail every DPDK test, so
# the suite runs from a root-only copy of the tree instead, and says so.
world_writable_parent() {
    local d=$IVSHMEM_ROOT
    while [[ $d != / ]]; do
        # others may write (drwxrwxrwt): the 9th character of %A
        [[ $(stat -c %A "$d") == ????????w? ]] && { echo "$d"; return 0; }
        d=$(dirname "$d")
    done
    return 1
}

relocate_if_world_writable() {
    local ww copy
    ww=$(world_writable_parent) || return 0
    copy=/var/lib/ivshmem-net/checkout
    warn "$IVSHMEM_ROOT is under world-writable $ww, where DPDK refuses plugins:"
    warn "running from a copy in $copy (root-only) instead"
    mkdir -p /var/lib/ivshmem-net
    chmod 0700 /var/lib/ivshmem-net
    rm -rf "$copy"
    mkdir -m 0700 "$copy"
    (cd "$IVSHMEM_ROOT" && tar --exclude=./build --exclude='./build-*' -cf - .) | tar -C "$copy" -xf -
    exec bash "$copy/devtools/test.sh" "$@"
}

main() {
    local args=("$@")
    local do_setup=1 sanitizers=1 fuzz=1 suites=() asan=() tsan=() sdk=() s w known
    local tsan_cc tsan_cflags
    WANTED=()
    while (( $# )); do
        case $1 in
            --suite) [[ $# -ge 2 ]] || die "--suite needs a name"; WANTED+=("$2"); shift ;;
            --suite=*) WANTED+=("${1#--suite=}") ;;
            --no-sanitizers) sanitizers=0 ;;
            --no-fuzz) fuzz=0 ;;
            --no-setup) do_setup=0 ;;
            -h|--help) usage; exit 0 ;;
            *) usage >&2; die "unknown argument: $1" ;;
        esac
        shift
    done
    relocate_if_world_writable "${args[@]}"
    cd "$IVSHMEM_ROOT"
    START=$SECONDS

    if (( do_setup )); then
        log "=== devtools/setup.sh"
        if ! bash devtools/setup.sh < /dev/null; then
            warn "devtools/setup.sh failed (messages above): nothing tested"
            echo "0 passed, 1 failed, 0 skipped"
            exit 1
        fi
    fi
    RESULTS=$(mktemp -d)
    trap 'rm -rf "$RESULTS"' EXIT
    # For the VM tests (DPDK's l2fwd in a guest).
    export IVSHMEM_L2FWD
    IVSHMEM_DPDK_SRC_DIR=$(ivshmem_dpdk_src_dir || true)
    export IVSHMEM_DPDK_SRC_DIR

    # The main build runs the suites asked for that no sanitizer build owns
    # (a suite unknown here, e.g. perf, runs there too when named).
    mapfile -t suites < <(pick_suites "${MAIN_SUITES[@]}")
    for w in "${WANTED[@]}"; do
        known=0
        for s in "${MAIN_SUITES[@]}" "${ASAN_SUITES[@]}" "${TSAN_SUITES[@]}" \
                "${FUZZ_SUITES[@]}"; do
            [[ $s == "$w" ]] && known=1
        done
        (( known )) || suites+=("$w")
    done
    if (( ${#suites[@]} )); then
        [[ -f build/build.ninja ]] || die "build/ is not configured: run devtools/setup.sh"
        if ninja -C build; then
            run_suites main build "${suites[@]}"
        else
            TOTAL_FAIL=$((TOTAL_FAIL + 1))
            FAILED+=("build: ninja failed")
        fi
    fi

    purge_leftover_packages
    if (( sanitizers )); then
        # Sanitizers slow tests down: give them more time.
        local TIMEOUT_MULT=4
        export ASAN_OPTIONS=halt_on_error=1:abort_on_error=0:print_stacktrace=1:detect_leaks=1:strict_string_checks=1
        export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
        # The driver suite's TSan suppressions (see there) reach every
        # process this way, bench-smoke's too.
        TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
        TSAN_OPTIONS+=:suppressions=$IVSHMEM_ROOT/drivers/net/ivshmem/tests/tsan-dpdk.supp
        export TSAN_OPTIONS
        # The driver-SDK headers as build/ has them: setup.sh copies them
        # only when the installed DPDK lacks them.
        [[ -d $IVSHMEM_SDK_INC ]] && sdk=("-Ddpdk_sdk=$IVSHMEM_SDK_INC")
        mapfile -t asan < <(pick_suites "${ASAN_SUITES[@]}")
        if (( ${#asan[@]} )) && CC=${SAN_CC:-cc} configure_and_build build-asan \
                -Ddpdk=enabled "${sdk[@]}" -Dbuildtype=debugoptimized \
                -Db_sanitize=address,undefined -Db_lundef=false \
                "-Dc_args=-fno-sanitize-recover=all -fno-omit-frame-pointer"; then
            run_sanitizer_suites asan build-asan "${asan[@]}"
        fi
        mapfile -t tsan < <(pick_suites "${TSAN_SUITES[@]}")
        # gcc warns (-Wtsan) that TSan does not model atomic_thread_fence;
        # the ring uses fences, so that warning stays a warning there.
        tsan_cc=${TSAN_CC:-cc}
        tsan_cflags=-fno-omit-frame-pointer
        if ! "$tsan_cc" --version 2>/dev/null | grep -q clang; then
            tsan_cflags+=" -Wno-error=tsan"
        fi
        if (( ${#tsan[@]} )) && CC=$tsan_cc configure_and_build build-tsan \
                -Ddpdk=enabled "${sdk[@]}" -Dbuildtype=debugoptimized \
                -Db_sanitize=thread -Db_lundef=false \
                "-Dc_args=$tsan_cflags"; then
            run_sanitizer_suites tsan build-tsan "${tsan[@]}"
        fi
    fi

    # The fuzzers need clang's libFuzzer; the code they test has no DPDK.
    if (( fuzz )) && [[ -n $(pick_suites "${FUZZ_SUITES[@]}") ]] &&
            CC=${FUZZ_CC:-clang} configure_and_build build-fuzz \
                -Ddpdk=disabled -Dbuildtype=debugoptimized; then
        run_suites fuzz build-fuzz "${FUZZ_SUITES[@]}"
    fi

    log "=== done in $((SECONDS - START)) s"
    if (( ${#SKIPPED[@]} )); then
        log "!!! ${#SKIPPED[@]} SKIPPED:"
        for s in "${SKIPPED[@]}"; do log "!!!   SKIPPED $s"; done
    fi
    if (( ${#FAILED[@]} )); then
        log "!!! FAILED:"
        for s in "${FAILED[@]}"; do log "!!!   FAILED $s"; done
    fi
    # Nothing may print after this line: CI reads it as the result.
    echo "$TOTAL_PASS passed, $TOTAL_FAIL failed, $TOTAL_SKIP skipped"
    if (( TOTAL_FAIL )); then
        exit 1
    fi
    exit 0
}

main "$@"
