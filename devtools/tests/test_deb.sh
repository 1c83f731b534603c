#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The Debian packages, built, installed on this machine, used by Debian's
# own programs, and purged:
# 1. dpkg-buildpackage -b -us -uc in a copy of the tree (the files git
#    lists), its output in the test's directory; lintian on the .changes,
#    each complaint printed (they fail nothing: the guide lists them).
# 2. Refuses to go on when a package of ours is installed already (it is
#    not the test's to remove); then apt-get installs the three .debs. From
#    here on the EXIT trap purges them, whatever happens: a PMD left in
#    DPDK's driver directory is loaded by every DPDK process, and a test
#    that also passes -d would register the driver twice.
# 3. Debian's dpdk-testpmd with --vdev net_ivshmem0 and no -d, two of them
#    over one shm file, txonly -> rxonly: tx_q0_packets of the sender ==
#    rx_q0_packets of the receiver, and > 0.
# 4. examples/ring_messages built with nothing but
#    `pkg-config --cflags --libs libivshmem_ring` against the installed
#    library, run on it: 100 messages pass.
# 5. The installed ivshmem-server in the foreground, and the installed
#    ivshmem-integrity on both ends of a port on it (server=, no -d): every
#    frame arrives; SIGTERM ends the server with status 0.
# 6. systemd-analyze verify on the installed unit, where systemd-analyze
#    exists.
# 7. The packages purged: the plugin is gone from DPDK's driver directory.
#
# Usage: test_deb.sh PMD_DIR [DPDK_SDK_INCLUDE_DIR]
#   PMD_DIR: the build's, empty when it has no DPDK (then the test skips);
#   the SDK directory is empty when the installed DPDK has the headers.
# shellcheck source=drivers/net/ivshmem/tests/lib.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/../../drivers/net/ivshmem/tests/lib.sh"
PROG=test_deb
# shellcheck source=devtools/lib.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/../lib.sh"
[[ -n ${1:-} ]] || t_skip "a build without DPDK: the packages need it (-Ddpdk=enabled)"
SDK=${2:-}
PKGS=(ivshmem-net libivshmem-ring0 libivshmem-ring-dev)
APT_OPTS=(-o DPkg::Lock::Timeout=600 -o Dpkg::Use-Pty=0)
export DEBIAN_FRONTEND=noninteractive

for c in dpkg-buildpackage dpkg-parsechangelog dh apt-get dpkg-query pkg-config cc; do
    command -v "$c" > /dev/null ||
        t_skip "$c missing: devtools/setup.sh installs dpkg-dev, debhelper, pkg-config and build-essential"
done
(( EUID == 0 )) || t_skip "needs root (installs packages)"
# The plugin is the installed one: no -d anywhere below.
t_init installed -
T_INTEG=/usr/bin/ivshmem-integrity

# installed_pkgs: those of PKGS dpkg knows in any state but not-installed.
installed_pkgs() {
    local p st
    for p in "${PKGS[@]}"; do
        st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null) || st=
        [[ -z $st || $st == not-installed ]] || printf '%s ' "$p"
    done
}

# At exit (t_at_exit, once the processes are gone): whatever of ours is
# installed, purged.
# shellcheck disable=SC2317 # called by the EXIT trap
purge_at_exit() {
    local left
    left=$(installed_pkgs)
    [[ -n $left ]] || return 0
    t_log "at exit: dpkg --purge $left"
    # shellcheck disable=SC2086 # package names are words
    dpkg --purge $left > "$T_DIR/purge-at-exit.log" 2>&1 ||
        t_log "WARNING: dpkg --purge $left failed: $(tail -n 3 "$T_DIR/purge-at-exit.log")"
}

# ---- 1. build and lintian ---------------------------------------------------------
ivshmem_git_tree || t_skip "$IVSHMEM_ROOT is not a git checkout: the copy to build takes git's file list"
VERSION=$(dpkg-parsechangelog -l "$IVSHMEM_ROOT/debian/changelog" -S Version)
PKGSRC=$T_DIR/pkg/ivshmem-net-$VERSION
mkdir -p "$PKGSRC"
ivshmem_tree_files | tar -C "$IVSHMEM_ROOT" --null -T - -cf - | tar -C "$PKGSRC" -xf - ||
    t_fail "copying the tree into $PKGSRC failed"
t_log "building the packages in $PKGSRC (dpkg-buildpackage -b -us -uc)"
START=$(t_now_ms)
(cd "$PKGSRC" && IVSHMEM_DPDK_SDK=$SDK DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" \
    dpkg-buildpackage -b -us -uc) > "$T_DIR/build.log" 2>&1 ||
    t_fail "dpkg-buildpackage failed (build.log)"
t_log "built in $(( ($(t_now_ms) - START) / 1000 )) s"
CHANGES=$T_DIR/pkg/ivshmem-net_${VERSION}_amd64.changes
t_check "-f \"\$CHANGES\"" "dpkg-buildpackage wrote $(basename -- "$CHANGES")"
DEBS=()
for p in "${PKGS[@]}"; do
    f=$T_DIR/pkg/${p}_${VERSION}_amd64.deb
    t_check "-f \"\$f\"" "built $(basename -- "$f")"
    DEBS+=("$f")
done
if command -v lintian > /dev/null; then
    # It says what it finds; its status says only whether it found errors.
    lintian -I --no-tag-display-limit "$CHANGES" > "$T_DIR/lintian.out" 2>&1 || true
    LINTIAN=$(grep -cE '^[EWIXP]: ' "$T_DIR/lintian.out") || LINTIAN=0
    t_log "lintian: $LINTIAN complaint(s)"
    grep -E '^[EWIXP]: ' "$T_DIR/lintian.out" | while IFS= read -r l; do t_log "lintian: $l"; done
    LINTIAN="lintian $LINTIAN complaint(s)"
else
    t_skip_part "lintian: not installed (devtools/setup.sh installs it)"
    LINTIAN="no lintian"
fi

# ---- 2. install -------------------------------------------------------------------
LEFT=$(installed_pkgs)
LEFT=${LEFT% }
[[ -z $LEFT ]] || t_fail "already installed: $LEFT; refusing to install over it, or to remove it (dpkg --purge $LEFT if it is a leftover)"
t_at_exit purge_at_exit
apt-get "${APT_OPTS[@]}" install -y --no-install-recommends "${DEBS[@]}" < /dev/null \
    > "$T_DIR/install.log" 2>&1 || t_fail "apt-get install of the .debs failed (install.log)"
t_check "\"\$(installed_pkgs)\" == '${PKGS[*]} '" "installed: ${PKGS[*]}"
PLUGIN=$(dpkg -L ivshmem-net | grep '/librte_net_ivshmem\.so$') || t_fail "ivshmem-net has no librte_net_ivshmem.so"
# EAL's driver directory, as the installed DPDK's headers give it
EAL_DIR=$(grep -hs '^#define RTE_EAL_PMD_PATH ' /usr/include/dpdk/rte_build_config.h \
    /usr/include/*/dpdk/rte_build_config.h | awk '{ gsub(/"/, "", $3); print $3; exit }')
t_log "the plugin: $PLUGIN; EAL's driver directory: ${EAL_DIR:-not in rte_build_config.h}"
t_check "\"$(dirname -- "$PLUGIN")\" == \"$EAL_DIR\"" "the plugin is in EAL's driver directory (RTE_EAL_PMD_PATH)"

# ---- 3. Debian's dpdk-testpmd, no -d ---------------------------------------------
SHM=$(t_shm txrx)
tp_txrx txrx "net_ivshmem0,shm=$SHM" "net_ivshmem0,shm=$SHM" 10000 rx_q0_packets
TX=$(tp_xstat "$T_DIR/txrx-tx.xstats" tx_q0_packets)
RX=$(tp_xstat "$T_DIR/txrx-rx.xstats" rx_q0_packets)
t_log "testpmd txonly -> rxonly without -d: tx_q0_packets $TX, rx_q0_packets $RX"
t_check "$TX =~ ^[0-9]+$ && $TX -gt 0" "the sender sent $TX packets"
t_check "$RX == $TX" "the receiver got all: rx_q0_packets $RX == tx_q0_packets $TX"

# ---- 4. the ring example against the installed library, pkg-config only -------------
FLAGS=$(env -u PKG_CONFIG_PATH -u PKG_CONFIG_LIBDIR -u PKG_CONFIG_SYSROOT_DIR \
    pkg-config --cflags --libs libivshmem_ring) || t_fail "pkg-config does not find libivshmem_ring"
t_log "pkg-config --cflags --libs libivshmem_ring: $FLAGS"
# shellcheck disable=SC2086 # pkg-config's flags are words
cc -o "$T_DIR/ring_messages" "$IVSHMEM_ROOT/examples/ring_messages/ring_messages.c" $FLAGS \
    > "$T_DIR/cc.log" 2>&1 || t_fail "ring_messages does not build against the installed library (cc.log)"
LIB=$(env -u LD_LIBRARY_PATH ldd "$T_DIR/ring_messages" | awk '$1 == "libivshmem_ring.so.0" { print $3 }')
t_check "\"$(readlink -f -- "${LIB:-/nonexistent}")\" == \"$(readlink -f -- "$(dpkg -L libivshmem-ring0 | grep -m1 '/libivshmem_ring\.so\.0$')")\"" \
    "ring_messages runs on libivshmem-ring0's library ($LIB)"
env -u LD_LIBRARY_PATH "$T_DIR/ring_messages" "$T_DIR/messages.shm" recv 100 > "$T_DIR/recv.log" 2>&1 &
RPID=$!
T_PIDS+=("$RPID")
env -u LD_LIBRARY_PATH "$T_DIR/ring_messages" "$T_DIR/messages.shm" send 100 > "$T_DIR/send.log" 2>&1 ||
    t_fail "ring_messages send failed (send.log)"
t_wait_pid "$RPID" 30 || t_fail "ring_messages recv did not end within 30 s"
t_check "$T_STATUS == 0" "ring_messages recv exited 0"
t_check "\"\$(tail -n 1 \"\$T_DIR/recv.log\")\" == 'received 100 messages, the last: message 100 of 100'" \
    "100 messages arrived"

# ---- 5. the installed server, and the installed integrity on it --------------------
[[ -x $T_INTEG ]] || t_fail "$T_INTEG is not installed"
SOCK=$T_DIR/ivshmem.sock
/usr/bin/ivshmem-server -F -S "$SOCK" -l 16M -n 2 > "$T_DIR/server.log" 2>&1 &
SPID=$!
T_PIDS+=("$SPID")
t_wait_log "$T_DIR/server.log" 'listening on' 10 || t_fail "the installed ivshmem-server did not start listening"
t_check "-S \"\$SOCK\"" "ivshmem-server listens on $SOCK"
N=20000
in_pair srv "net_ivshmem0,server=$SOCK" "net_ivshmem0,server=$SOCK" 0 60 --count "$N"
in_clean srv-rx "$N"
t_check "$(grep -c 'server=.*we are peer' "$T_DIR/srv-rx.log") -ge 1" "the receiver joined through the server"
kill -TERM "$SPID"
t_wait_pid "$SPID" 10 || t_fail "ivshmem-server still running 10 s after SIGTERM"
t_check "$T_STATUS == 0" "ivshmem-server exited 0 on SIGTERM"
t_check "! -e \"\$SOCK\"" "ivshmem-server removed its socket"

# ---- 6. the unit -----------------------------------------------------------------
UNIT=$(dpkg -L ivshmem-net | grep -m1 '/systemd/system/ivshmem-server\.service$') ||
    t_fail "ivshmem-net has no ivshmem-server.service"
if command -v systemd-analyze > /dev/null; then
    RC=0
    systemd-analyze verify "$UNIT" > "$T_DIR/verify.log" 2>&1 || RC=$?
    t_check "$RC == 0 && ! -s \"\$T_DIR/verify.log\"" "systemd-analyze verify $UNIT: no complaint"
else
    t_skip_part "systemd-analyze verify: systemd-analyze is not installed (the systemd package has it; devtools/setup.sh installs it)"
fi

# ---- 7. purge --------------------------------------------------------------------
dpkg --purge "${PKGS[@]}" > "$T_DIR/purge.log" 2>&1 || t_fail "dpkg --purge ${PKGS[*]} failed (purge.log)"
t_check "\"\$(installed_pkgs)\" == ''" "purged: ${PKGS[*]}"
t_check "! -e \"\$PLUGIN\"" "the plugin is gone from $(dirname -- "$PLUGIN")"
t_check "! -e /usr/bin/ivshmem-server && ! -e \"\$UNIT\"" "the server and its unit are gone"
t_pass "built, $LINTIAN; testpmd without -d moved $TX packets; ring_messages on the installed library; integrity over the installed server; purged"
