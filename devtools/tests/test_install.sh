#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# meson install into a throwaway root (--destdir), then:
# 1. every piece is where its ecosystem looks: the PMD in the DPDK
#    driver directory the build found (EAL loads it from there), the ring
#    library as libivshmem_ring.so.0 (a symlink chain to the versioned
#    file, exporting ivr_* only) and libivshmem_ring.a, its headers,
#    libivshmem_ring.pc, the server, its systemd unit naming the server and
#    its document under this prefix, the documents, the man pages of the
#    server and the tools (rendered by groff without a warning, naming
#    every option of --help);
# 2. examples/ring_messages builds against the installed library with
#    nothing but pkg-config (PKG_CONFIG_PATH and PKG_CONFIG_SYSROOT_DIR
#    into the root), shared and static, and both builds pass messages;
# 3. a user of the PMD's experimental API (devtools/tests/pmd_api_user.c)
#    compiles against the installed rte_pmd_ivshmem.h (not the source
#    tree's) and `pkg-config --cflags libdpdk`, with -DALLOW_EXPERIMENTAL_API
#    and -Werror: both prototypes are the function pointer types the
#    tools' dlsym relies on, and both functions it names are among the
#    installed plugin's dynamic symbols. Without the macro, DPDK's
#    __rte_experimental marks each function deprecated: -Werror fails with
#    that warning for both and no other.
#
# Usage: test_install.sh BUILD_DIR PREFIX LIBDIR PMD_DIR
# shellcheck source=devtools/testlib.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/../testlib.sh"
t_init
BUILD=${1:-}
PREFIX=${2:-}
LIBDIR=${3:-}
PMD_DIR=${4:-}
[[ -d $BUILD && -n $PREFIX && -n $LIBDIR ]] || t_fail "usage: $0 BUILD_DIR PREFIX LIBDIR PMD_DIR"
[[ $LIBDIR == /* ]] || LIBDIR=$PREFIX/$LIBDIR
SRC=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd)
command -v pkg-config > /dev/null || t_skip "pkg-config missing: apt-get install pkg-config (devtools/setup.sh does)"
command -v cc > /dev/null || t_skip "no C compiler (cc)"
ROOT=$T_DIR/root

meson install -C "$BUILD" --no-rebuild --destdir "$ROOT" > "$T_DIR/install.log" 2>&1 ||
    t_fail "meson install --destdir failed (install.log)"
t_log "installed into $ROOT: $(find "$ROOT" -type f | wc -l) files"

# ---- 1. where each piece lands ----------------------------------------------------
present() {
    t_check "-e \"\$ROOT$1\"" "installed: $1"
}
if [[ -n $PMD_DIR ]]; then
    present "$PMD_DIR/librte_net_ivshmem.so"
else
    t_skip_part "the PMD: a build without DPDK has none"
fi
present "$LIBDIR/libivshmem_ring.a"
present "$LIBDIR/libivshmem_ring.so"
present "$LIBDIR/libivshmem_ring.so.0"
t_check "\"\$(readlink \"\$ROOT$LIBDIR/libivshmem_ring.so.0\")\" == libivshmem_ring.so.0.*" \
    "libivshmem_ring.so.0 points to the versioned file"
for h in ivshmem_abi.h ivr_atomic.h ivshmem_ring.h ivr_queue.h; do
    present "$PREFIX/include/ivshmem_ring/$h"
done
PC_DIR=$ROOT$LIBDIR/pkgconfig
present "$LIBDIR/pkgconfig/libivshmem_ring.pc"
present "$PREFIX/bin/ivshmem-server"
UNIT=$PREFIX/lib/systemd/system/ivshmem-server.service
present "$UNIT"
t_check "$(grep -c "^ExecStart=$PREFIX/bin/ivshmem-server " "$ROOT$UNIT") == 1" "the unit starts $PREFIX/bin/ivshmem-server"
t_check "$(grep -c "^Documentation=file://$PREFIX/share/doc/ivshmem-net/ivshmem-server.md$" "$ROOT$UNIT") == 1" \
    "the unit's document is the installed one"
t_check "$(grep -c '@[A-Z]*@' "$ROOT$UNIT") == 0" "no placeholder left in the unit"
for d in README.md spec.md ivshmem-server.md guides/nics/ivshmem.rst; do
    present "$PREFIX/share/doc/ivshmem-net/$d"
done

# The man pages: present, rendered by groff without a warning, and naming
# every option their program's --help names.
MANS=("man8/ivshmem-server.8 $BUILD/app/ivshmem-server/ivshmem-server")
if [[ -n $PMD_DIR ]]; then
    MANS+=("man1/ivshmem-integrity.1 $BUILD/app/test-ivshmem/ivshmem-integrity"
        "man1/ivshmem-bench.1 $BUILD/app/test-ivshmem/ivshmem-bench")
else
    t_skip_part "the man pages of ivshmem-integrity and ivshmem-bench: a build without DPDK has neither"
fi
for m in "${MANS[@]}"; do
    read -r page prog <<< "$m"
    present "$PREFIX/share/man/$page"
    t_check "$(grep -c '@[A-Z]*@' "$ROOT$PREFIX/share/man/$page") == 0" "no placeholder left in $page"
    if ! command -v groff > /dev/null; then
        t_skip_part "rendering $page: no groff (apt-get install man-db, as devtools/setup.sh does)"
        continue
    fi
    # -ww: every warning; plain ASCII text, without bold, underline or
    # hyphenation (the options are looked for in it)
    LC_ALL=C groff -man -rHY=0 -Tascii -P-cbou -ww "$ROOT$PREFIX/share/man/$page" \
        > "$T_DIR/${page#*/}.txt" 2> "$T_DIR/${page#*/}-groff.log" || true
    t_check "! -s \"\$T_DIR/${page#*/}-groff.log\"" "groff renders $page without a warning"
    # the options of --help (an EAL program prints them after EAL's own)
    "$prog" --help 2>&1 | sed -n '/Application Usage/,$p; /^Usage: ivshmem-server/,$p' |
        grep -oE -- '--[a-z][a-z-]*[a-z]' | sort -u > "$T_DIR/${page#*/}.opts" || true
    t_check "$(wc -l < "$T_DIR/${page#*/}.opts") -ge 5" "$prog --help lists its options"
    MISSING=$(grep -vxF -f <(grep -oE -- '--[a-z][a-z-]*[a-z]' "$T_DIR/${page#*/}.txt" | sort -u) \
        "$T_DIR/${page#*/}.opts" | paste -sd' ' -) || true
    t_check "'$MISSING' == ''" "$page names every option of --help (missing: ${MISSING:-none})"
done
t_check "$(nm -D --defined-only "$ROOT$LIBDIR/libivshmem_ring.so.0" | awk '$2 == "T" && $3 !~ /^ivr_/' | wc -l) == 0" \
    "libivshmem_ring.so exports ivr_* functions only"
# and every one the library has: version.map lists them by hand
MISSING=$(comm -23 \
    <(nm -g --defined-only "$ROOT$LIBDIR/libivshmem_ring.a" | awk '$2 == "T" && $3 ~ /^ivr_/ { print $3 }' | sort -u) \
    <(nm -D --defined-only "$ROOT$LIBDIR/libivshmem_ring.so.0" | awk '$2 == "T" { sub(/@.*/, "", $3); print $3 }' | sort -u) | paste -sd' ' -)
t_check "'$MISSING' == ''" "libivshmem_ring.so exports every ivr_* function of libivshmem_ring.a (missing: ${MISSING:-none})"

# ---- 2. the example against the installed library, through pkg-config -------------
pc() {
    PKG_CONFIG_PATH=$PC_DIR PKG_CONFIG_SYSROOT_DIR=$ROOT PKG_CONFIG_LIBDIR=$PC_DIR pkg-config "$@"
}
pc --exists libivshmem_ring || t_fail "pkg-config does not find libivshmem_ring in $PC_DIR"
t_log "pkg-config --cflags --libs libivshmem_ring: $(pc --cflags --libs libivshmem_ring)"
EXAMPLE=$SRC/examples/ring_messages/ring_messages.c
# shellcheck disable=SC2046 # pkg-config's flags are words
cc -o "$T_DIR/ring_messages" "$EXAMPLE" $(pc --cflags --libs libivshmem_ring) \
    > "$T_DIR/cc-shared.log" 2>&1 || t_fail "the example does not build against the installed library (cc-shared.log)"
# shellcheck disable=SC2046
cc -o "$T_DIR/ring_messages_static" "$EXAMPLE" $(pc --cflags libivshmem_ring) \
    -Wl,-Bstatic $(pc --libs --static libivshmem_ring) -Wl,-Bdynamic \
    > "$T_DIR/cc-static.log" 2>&1 || t_fail "the example does not build against libivshmem_ring.a (cc-static.log)"
t_check "$(ldd "$T_DIR/ring_messages_static" | grep -c libivshmem_ring) == 0" "the static build needs no libivshmem_ring.so"

# run NAME PROG: a receiver and a sender over a file of their own.
run() {
    local name=$1 prog=$2 pid
    LD_LIBRARY_PATH=$ROOT$LIBDIR "$prog" "$T_DIR/$name.shm" recv 100 > "$T_DIR/$name-recv.log" 2>&1 &
    pid=$!
    T_PIDS+=("$pid")
    LD_LIBRARY_PATH=$ROOT$LIBDIR "$prog" "$T_DIR/$name.shm" send 100 > "$T_DIR/$name-send.log" 2>&1 ||
        t_fail "$name: the sender failed"
    t_wait_pid "$pid" 30 || t_fail "$name: the receiver did not end"
    t_check "$T_STATUS == 0" "$name: the receiver exited 0"
    t_check "\"\$(tail -n 1 \"\$T_DIR/$name-recv.log\")\" == 'received 100 messages, the last: message 100 of 100'" \
        "$name: 100 messages arrived"
}
run shared "$T_DIR/ring_messages"
N=$(LD_LIBRARY_PATH=$ROOT$LIBDIR ldd "$T_DIR/ring_messages" | grep -c "=> $ROOT$LIBDIR/libivshmem_ring.so.0 ")
t_check "$N == 1" "the shared build runs on the installed libivshmem_ring.so.0"
run static "$T_DIR/ring_messages_static"

# ---- 3. the PMD's API from its installed header ------------------------------------
# api_cc NAME [cc options]: compiles pmd_api_user.c into NAME.o (its
# diagnostics in NAME.log, the headers it read in NAME.d).
api_cc() {
    local name=$1
    shift
    LC_ALL=C cc -std=gnu11 -Wall -Wextra -Werror -I "$ROOT$PREFIX/include" "${DPDK_CFLAGS[@]}" \
        "$@" -MD -MF "$T_DIR/$name.d" -c -o "$T_DIR/$name.o" "$SRC/devtools/tests/pmd_api_user.c" \
        > "$T_DIR/$name.log" 2>&1
}
API_H=$PREFIX/include/rte_pmd_ivshmem.h
API_FNS=(rte_pmd_ivshmem_pool_create rte_pmd_ivshmem_pool_room)
if [[ -z $PMD_DIR ]]; then
    t_skip_part "the PMD's API header: a build without DPDK has none"
elif ! pkg-config --exists libdpdk; then
    t_skip_part "the PMD's API header: pkg-config does not find libdpdk (apt-get install libdpdk-dev)"
else
    present "$API_H"
    read -ra DPDK_CFLAGS <<< "$(pkg-config --cflags libdpdk)"
    api_cc api-user -DALLOW_EXPERIMENTAL_API ||
        t_fail "pmd_api_user.c does not compile against the installed $API_H with -DALLOW_EXPERIMENTAL_API: $(head -n 5 "$T_DIR/api-user.log")"
    t_check "$(tr -s ' \\\n' '\n' < "$T_DIR/api-user.d" | grep -cxF "$ROOT$API_H") == 1" \
        "pmd_api_user.c, compiled with -DALLOW_EXPERIMENTAL_API -Werror, read the installed $API_H"
    nm -u "$T_DIR/api-user.o" | awk '{ print $2 }' | sort -u > "$T_DIR/api-user.needs"
    nm -D --defined-only "$ROOT$PMD_DIR/librte_net_ivshmem.so" |
        awk '$2 == "T" { sub(/@.*/, "", $3); print $3 }' | sort -u > "$T_DIR/pmd.defines"
    for f in "${API_FNS[@]}"; do
        t_check "$(grep -cxF "$f" "$T_DIR/api-user.needs") == 1" "the user's object needs $f"
        t_check "$(grep -cxF "$f" "$T_DIR/pmd.defines") == 1" "the installed plugin defines $f"
    done
    ! api_cc api-stable ||
        t_fail "pmd_api_user.c compiles with -Werror without -DALLOW_EXPERIMENTAL_API: the experimental API is not marked"
    for f in "${API_FNS[@]}"; do
        t_check "$(grep -c "error: '$f' is deprecated: Symbol is not yet part of stable ABI" "$T_DIR/api-stable.log") -ge 1" \
            "without -DALLOW_EXPERIMENTAL_API, $f is marked experimental (-Wdeprecated-declarations)"
    done
    OTHER=$(grep -E 'error:|warning:' "$T_DIR/api-stable.log" | grep -vc "is deprecated: Symbol is not yet part of stable ABI") || true
    t_check "$OTHER == 0" "without -DALLOW_EXPERIMENTAL_API, no other diagnostic ($OTHER)"
fi
t_pass "meson install: PMD, ring library (shared, static, headers, pkg-config), server and unit, documents; the example built from the install; the PMD's API from its installed header"
