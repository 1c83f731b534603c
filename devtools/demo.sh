#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Two DPDK processes exchange packets through the net_ivshmem driver, as
# root on Debian 12:
#
#   1. devtools/setup.sh (installs and builds; does only what is missing)
#   2. dpdk-testpmd #1: rxonly on net_ivshmem0,shm=/dev/shm/<name>
#      dpdk-testpmd #2: txonly on the same file
#      (hugepages when enough are free, otherwise --no-huge)
#   3. a live display, every second: packets and bits per second each side
#   4. after --duration seconds (or Ctrl-C): the sender stops and quits
#      (its port drains on close), then the receiver; a summary of packets
#      sent and received, the average rate, and the loss (0 expected).
#
# Needs no terminal: it runs under CI with stdin from /dev/null.
#
# Options:
#   --duration S   seconds of traffic (default 10, or $DURATION)
#   --size N       packet size in bytes, 64..1518 (default 64)
#   --no-setup     skip step 1 (build/ must be built already)
#   -h, --help
#
# Environment: IVSHMEM_BUILD_DIR, the build to use (default build/, the one
# setup.sh makes).
#
# Exit status: 0 when every packet sent was received, 1 otherwise.

set -uo pipefail
DEMO_ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)

usage() {
    sed -n '/^# Two DPDK processes/,/^# Exit status/p' "$0" | sed 's/^# \{0,1\}//'
}

DURATION=${DURATION:-10}
SIZE=64
SETUP=1
while (( $# )); do
    case $1 in
        --duration) [[ $# -ge 2 ]] || { usage >&2; exit 1; }; DURATION=$2; shift ;;
        --duration=*) DURATION=${1#--duration=} ;;
        --size) [[ $# -ge 2 ]] || { usage >&2; exit 1; }; SIZE=$2; shift ;;
        --size=*) SIZE=${1#--size=} ;;
        --no-setup) SETUP=0 ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; echo "demo.sh: unknown argument: $1" >&2; exit 1 ;;
    esac
    shift
done
[[ $DURATION =~ ^[1-9][0-9]*$ ]] || { echo "demo.sh: --duration $DURATION: a whole number of seconds >= 1" >&2; exit 1; }
{ [[ $SIZE =~ ^[0-9]+$ ]] && (( SIZE >= 64 && SIZE <= 1518 )); } ||
    { echo "demo.sh: --size $SIZE: 64..1518 bytes" >&2; exit 1; }
(( EUID == 0 )) || { echo "demo.sh: run as root (DPDK, hugepages, /dev/shm)" >&2; exit 1; }

if (( SETUP )); then
    echo "demo: devtools/setup.sh (installs and builds what is missing)"
    bash "$DEMO_ROOT/devtools/setup.sh" < /dev/null || { echo "demo: setup.sh failed" >&2; exit 1; }
fi
BUILD=${IVSHMEM_BUILD_DIR:-$DEMO_ROOT/build}
PLUGIN=$BUILD/drivers/net/ivshmem/librte_net_ivshmem.so
INTEG=$BUILD/app/test-ivshmem/ivshmem-integrity
[[ -f $PLUGIN ]] || { echo "demo: $PLUGIN is not built: run devtools/setup.sh" >&2; exit 1; }

# The driver tests' helpers: testpmd on a FIFO, unique names, cleanup of
# everything started (also on Ctrl-C) in one EXIT trap.
# shellcheck source=drivers/net/ivshmem/tests/lib.sh
. "$DEMO_ROOT/drivers/net/ivshmem/tests/lib.sh"
t_init "$PLUGIN" "$INTEG"
STOP=0
trap 'if (( STOP )); then exit 130; fi; STOP=1; t_log "Ctrl-C: stopping (again to abort)"' INT

# port_stats NAME rx|tx: sets PKTS and BYTES of port 0 of testpmd NAME in
# that direction, as printed (awk would round 64-bit counters). Not in
# $(...): tp_show counts its commands.
port_stats() {
    local f=$T_DIR/$1.stats
    tp_show "$1" "show port stats 0" "$f"
    read -r PKTS BYTES < <(awk -v d="$2" '
        d == "rx" && $1 == "RX-packets:" { p = $2; b = $6 }
        d == "tx" && $1 == "TX-packets:" { p = $2; b = $6 }
        END { print (p == "" ? "0" : p), (b == "" ? "0" : b) }' "$f")
}

# rate PKTS BYTES MS: "x.xx Mpps  y.yy Gbps"
rate() {
    awk -v p="$1" -v b="$2" -v ms="$3" 'BEGIN {
        if (ms <= 0) ms = 1
        printf "%6.2f Mpps %6.2f Gbps", p / ms / 1000, b * 8 / ms / 1e6 }'
}

SHM=$(t_shm demo)
VDEV=net_ivshmem0,shm=$SHM
t_log "receiver: dpdk-testpmd rxonly on $VDEV"
tp_start rx 0 --vdev "$VDEV" -- --forward-mode=rxonly
t_log "sender:   dpdk-testpmd txonly on $VDEV, $SIZE-byte packets"
tp_start tx 1 --vdev "$VDEV" -- --forward-mode=txonly --txpkts="$SIZE"
tp_cmd rx start
tp_wait_link tx 10
# Counters before any traffic, so that sent and received compare exactly.
port_stats tx tx; TX0=$PKTS TXB0=$BYTES
port_stats rx rx; RX0=$PKTS RXB0=$BYTES
t_log "link up; $DURATION s of traffic (Ctrl-C stops early)"
tp_cmd tx start
START=$(t_now_ms)
LAST=$START
LTX=$TX0 LTXB=$TXB0 LRX=$RX0 LRXB=$RXB0
printf '%8s | %-23s | %-23s\n' time "sender (TX)" "receiver (RX)"
while (( !STOP )); do
    sleep 1
    port_stats tx tx; TX=$PKTS TXB=$BYTES
    port_stats rx rx; RX=$PKTS RXB=$BYTES
    NOW=$(t_now_ms)
    printf '%6.1f s | %s | %s\n' "$(awk -v m=$((NOW - START)) 'BEGIN { print m / 1000 }')" \
        "$(rate $((TX - LTX)) $((TXB - LTXB)) $((NOW - LAST)))" \
        "$(rate $((RX - LRX)) $((RXB - LRXB)) $((NOW - LAST)))"
    LTX=$TX LTXB=$TXB LRX=$RX LRXB=$RXB LAST=$NOW
    (( NOW - START >= DURATION * 1000 )) && break
done

# The sender stops, then quits: closing its port waits for the receiver
# to take what is still in the ring. Then the receiver counts.
tp_cmd tx stop
port_stats tx tx; TX=$PKTS TXB=$BYTES
END=$(t_now_ms)
tp_quit tx
port_stats rx rx; RX=$PKTS RXB=$BYTES
tp_cmd rx stop
tp_quit rx

SENT=$((TX - TX0))
GOT=$((RX - RX0))
LOSS=$((SENT - GOT))
echo
echo "demo: summary, $(awk -v m=$((END - START)) 'BEGIN { printf "%.1f", m / 1000 }') s of traffic over net_ivshmem ($SIZE-byte packets):"
printf '  sent      %15d packets %18d bytes\n' "$SENT" $((TXB - TXB0))
printf '  received  %15d packets %18d bytes\n' "$GOT" $((RXB - RXB0))
printf '  average   %s\n' "$(rate "$GOT" $((RXB - RXB0)) $((END - START)))"
if (( SENT > 0 && LOSS == 0 )); then
    echo "  loss      0: every packet sent was received"
    exit 0
fi
echo "  loss      $LOSS packets"
exit 1
