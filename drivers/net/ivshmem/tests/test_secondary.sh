#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Secondary processes on a primary's net_ivshmem port: a primary testpmd
# (rxonly, hugepages kept for secondaries) receives from a peer testpmd
# (txonly), and while traffic flows:
#
# 1. dpdk-proc-info -- --stats and -- --xstats (loading the plugin with -d)
#    show the port: RX-packets > 0; rx_q0_packets > 0 and the driver's own
#    xstats (link_changes, rx_q0_bad_desc, tx_q0_ring_full,
#    tx_q0_sessions_deferred, tx_q0_doorbells_refused ...) present.
# 2. dpdk-dumpcap -D lists net_ivshmem0; dpdk-dumpcap -i net_ivshmem0
#    captures at least N packets into a pcapng file, checked by parsing the
#    file (every block, the interface, N packets of 64 bytes) and, when
#    Wireshark's capinfos is installed, by capinfos too.
#
# dpdk-dumpcap is not stopped by a count (-c) while traffic flows: DPDK
# 22.11's rte_pdump_disable removes the primary's RX callback without
# waiting for the forwarding lcore to leave it, and dumpcap frees its ring
# and mempool right after. An lcore still copying a burst then uses freed
# memory. Seen, with dumpcap -c, in 3 of 37 runs: the primary testpmd
# never answered 'stop' again, once right after printing an error of the
# DPAA mempool driver (which nothing here uses: a freed mempool's ops
# index, read as garbage). So the capture runs until dumpcap has counted N
# packets, both testpmds stop forwarding, and only then is dumpcap told to
# quit (SIGINT), which disables the capture.
#
# dpdk-dumpcap takes no EAL options, so the plugin is LD_PRELOADed. So are
# the PMD libraries Debian links into dpdk-testpmd: they register mempool
# drivers before the others, and a secondary must number mempool drivers
# as the primary does, or the primary copies captured packets with the
# wrong driver and drops them all (Debian packaging, not net_ivshmem:
# net_null does the same). In a sanitizer build, the sanitizer runtimes come
# first, and both tools run as secondaries do in lib.sh (T_SECONDARY_ENV).
#
# Usage: test_secondary.sh PLUGIN.so IVSHMEM-INTEGRITY
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
t_init "$@"

CAPTURE=1000
MIN_PKTS=10000
PROC_INFO=/usr/bin/dpdk-proc-info
DUMPCAP=/usr/bin/dpdk-dumpcap

(( T_HUGE )) || t_skip "secondary processes need hugepages and this run has none (too few free, no hugetlbfs on /dev/hugepages, or IVSHMEM_TEST_NO_HUGE=1): dpdk-proc-info and dpdk-dumpcap NOT tested"
[[ -x $PROC_INFO && -x $DUMPCAP ]] || t_skip "$PROC_INFO or $DUMPCAP missing: apt-get install dpdk"

SHM=$(t_shm secondary)
VDEV=net_ivshmem0,shm=$SHM
# The primary keeps its hugepage files: secondaries map them, at the
# primary's addresses. In an ASan build, DPDK's default base address (4 GiB)
# lies in ASan's shadow gap, so the primary's memory lands among its
# libraries, where a secondary's own libraries and ASan's mappings, placed
# at random, may already be ("Cannot reserve 17179869184 bytes at
# [0x7f9758a00000]": dpdk-proc-info died once in this way). 32 TiB is
# above ASan's shadow and below its allocator (96 TiB) and the libraries.
SAVED_MEM=("${T_EAL_MEM[@]}")
T_EAL_MEM=()
[[ ,$T_SANITIZE, == *,address,* ]] && T_EAL_MEM=(--base-virtaddr 0x200000000000)
tp_start prim 0 --vdev "$VDEV" -- --forward-mode=rxonly
T_EAL_MEM=("${SAVED_MEM[@]}")
PREFIX=$(t_prefix prim)
tp_start peer 1 --vdev "$VDEV" -- --forward-mode=txonly
tp_cmd prim start
tp_wait_link peer 10
tp_cmd peer start
tp_wait_xstat prim rx_q0_packets "$MIN_PKTS" 60

# ---- 1. dpdk-proc-info ----------------------------------------------------------
for what in stats xstats; do
    env "${T_SECONDARY_ENV[@]}" "$PROC_INFO" --file-prefix "$PREFIX" --no-pci -d "$T_PLUGIN" \
        -- --"$what" > "$T_DIR/proc-info-$what.log" 2>&1 &
    T_PIDS+=("$!")
    t_wait_pid "$!" 60 || t_fail "dpdk-proc-info --$what still running after 60 s"
    t_check "$T_STATUS == 0" "dpdk-proc-info --$what exited 0"
done
RX=$(awk '/NIC statistics for port 0/ { on = 1 } on && $1 == "RX-packets:" { print $2; exit }' \
    "$T_DIR/proc-info-stats.log")
t_check "$RX =~ ^[0-9]+$ && $RX -gt 0" "dpdk-proc-info --stats: port 0 RX-packets $RX"
XRX=$(tp_xstat "$T_DIR/proc-info-xstats.log" rx_q0_packets)
t_check "$XRX =~ ^[0-9]+$ && $XRX -gt 0" "dpdk-proc-info --xstats: rx_q0_packets $XRX"
for x in link_changes rx_q0_bad_desc rx_q0_sessions tx_q0_ring_full tx_q0_dropped_inflight \
        tx_q0_sessions_deferred tx_q0_doorbells_refused; do
    v=$(tp_xstat "$T_DIR/proc-info-xstats.log" "$x")
    t_check "$v =~ ^[0-9]+$" "dpdk-proc-info --xstats: driver xstat $x = $v"
done

# ---- 2. dpdk-dumpcap ------------------------------------------------------------
PRELOAD=$(ldd "$T_TESTPMD" | awk '$3 ~ /\/pmds-[0-9.]+\// { print $3 }' | paste -sd: -)
PRELOAD=${T_PRELOAD:+$T_PRELOAD:}${PRELOAD:+$PRELOAD:}$T_PLUGIN
PCAP=$T_DIR/capture.pcapng
env "${T_SECONDARY_ENV[@]}" LD_PRELOAD="$PRELOAD" "$DUMPCAP" --file-prefix="$PREFIX" -D \
    > "$T_DIR/dumpcap-D.log" 2>&1 &
T_PIDS+=("$!")
t_wait_pid "$!" 60 || t_fail "dpdk-dumpcap -D still running after 60 s"
t_check "$(grep -c 'net_ivshmem0' "$T_DIR/dumpcap-D.log") -ge 1" "dpdk-dumpcap -D lists net_ivshmem0"
# dumpcap_count: the last count dumpcap printed after "Packets captured:"
# (it rewrites the number in place with backspaces).
dumpcap_count() {
    sed -n 's/.*Packets captured: //p' "$T_DIR/dumpcap.log" | tr '\b' ' ' |
        awk '{ n = $NF } END { print n + 0 }'
}
# shellcheck disable=SC2317 # called by t_wait_for
dumpcap_has() { (( $(dumpcap_count) >= CAPTURE )); }
env "${T_SECONDARY_ENV[@]}" LD_PRELOAD="$PRELOAD" "$DUMPCAP" --file-prefix="$PREFIX" \
    -i net_ivshmem0 -w "$PCAP" > "$T_DIR/dumpcap.log" 2>&1 &
DUMPCAP_PID=$!
T_PIDS+=("$DUMPCAP_PID")
t_wait_for 60 dumpcap_has ||
    t_fail "dpdk-dumpcap counted $(dumpcap_count) packets after 60 s, expected $CAPTURE"
tp_show peer stop "$T_DIR/peer.stop"
tp_show prim stop "$T_DIR/prim.stop"
kill -INT "$DUMPCAP_PID"
t_wait_pid "$DUMPCAP_PID" 60 || t_fail "dpdk-dumpcap still running 60 s after SIGINT"
t_check "$T_STATUS == 0" "dpdk-dumpcap exited 0 after SIGINT: $(grep 'Packets received/dropped' "$T_DIR/dumpcap.log")"
tp_quit peer
tp_quit prim

# Every pcapng block, read by hand: "<packets> <lengths> <interface names
# and hardware>" (dumpcap names the interface dpdk:<port>, with hardware
# vdev-<device name>).
read -r NPKT LENS IFNAMES < <("$T_PYTHON" - "$PCAP" <<'EOF'
import struct, sys
data = open(sys.argv[1], "rb").read()
off, npkt, lens, names = 0, 0, set(), []
if data[:4] != b"\x0a\x0d\x0d\x0a" or struct.unpack_from("<I", data, 8)[0] != 0x1A2B3C4D:
    sys.exit("not a little-endian pcapng file")
while off < len(data):
    btype, blen = struct.unpack_from("<II", data, off)
    if blen < 12 or blen % 4 or off + blen > len(data) or \
            struct.unpack_from("<I", data, off + blen - 4)[0] != blen:
        sys.exit("bad block at offset %d" % off)
    if btype == 1:                      # interface description: options at 16
        o = off + 16
        while o + 4 <= off + blen - 4:
            code, olen = struct.unpack_from("<HH", data, o)
            if code == 0:
                break
            if code in (2, 15):         # if_name, if_hardware
                names.append(data[o + 4:o + 4 + olen].decode())
            o += 4 + (olen + 3) // 4 * 4
    elif btype == 6:                    # enhanced packet: caplen, origlen
        caplen, origlen = struct.unpack_from("<II", data, off + 20)
        npkt += 1
        lens.add("%d/%d" % (caplen, origlen))
    off += blen
print(npkt, ",".join(sorted(lens)), ",".join(names))
EOF
)
t_log "pcapng: $NPKT packets, captured/original lengths $LENS, interfaces $IFNAMES"
t_check "$NPKT -ge $CAPTURE" "pcapng holds $NPKT packets (>= $CAPTURE)"
t_check "'$LENS' == '64/64'" "every captured packet is testpmd's 64-byte txonly packet, whole"
t_check "'$IFNAMES' == *net_ivshmem0*" "the capture's interface is net_ivshmem0 ($IFNAMES)"
if command -v capinfos > /dev/null; then
    CI=$(capinfos -M -c "$PCAP" 2>&1 | awk -F: '/Number of packets/ { gsub(/ /, "", $2); print $2 }')
    t_check "'$CI' == '$NPKT'" "capinfos counts $CI packets too"
else
    t_log "capinfos not installed (Debian package wireshark-common): pcapng checked by the parser above only"
fi
t_pass "proc-info: RX-packets $RX, rx_q0_packets $XRX; dumpcap: $NPKT packets of 64 bytes on net_ivshmem0"
