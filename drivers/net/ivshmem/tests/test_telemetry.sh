#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Telemetry: Debian's dpdk-telemetry.py asks a running dpdk-testpmd the
# /ivshmem/... commands and /ethdev/dump_priv (the driver's private dump),
# and the answers are checked against the port's state as testpmd and the
# peer see it.
#
# testpmd rx (zero_copy=yes, rx_copy_break=0: every frame lent; rxonly) and testpmd tx (txonly) share a file.
# 1. Both ports listed; rx's link up; each side's peer epoch is the other
#    side's own epoch, their slots differ; the layout is the devargs' and
#    the same on both sides; no doorbells over a file.
# 2. Traffic: rx's queue 0 lent buffers; the held counts telemetry gives
#    are the xstats' once the sender quit (both read the same state).
# 3. The sender quits: rx's link is down and says why. A new sender
#    starts: rx's link is up again and its peer epoch is the new sender's,
#    not the old one.
# 4. /ethdev/dump_priv names the transport and the peer's epoch.
#
# Usage: test_telemetry.sh PLUGIN.so IVSHMEM-INTEGRITY
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
t_init "$@"

TELEMETRY=/usr/bin/dpdk-telemetry.py
[[ -x $TELEMETRY ]] || t_skip "$TELEMETRY missing: apt-get install dpdk-dev (devtools/setup.sh does)"
RING=512
MIN=20000

# tel NAME COMMAND OUT: the answer of testpmd NAME to COMMAND, as JSON
# in OUT ({"COMMAND": value}).
tel() {
    local cmd=${2%%,*}
    printf '%s\n' "$2" | "$T_PYTHON" "$TELEMETRY" -f "$(t_prefix "$1")" \
        > "$T_DIR/$3.raw" 2> "$T_DIR/$3.err" ||
        t_fail "dpdk-telemetry.py -f $(t_prefix "$1") '$2' failed: $(cat "$T_DIR/$3.err")"
    # The script prints one JSON object per command it sent.
    grep -F "\"$cmd\"" "$T_DIR/$3.raw" | tail -n 1 > "$T_DIR/$3" ||
        t_fail "no answer to '$2' from testpmd $1: $(cat "$T_DIR/$3.raw")"
}

# tv NAME COMMAND KEY: one value of the answer of testpmd NAME.
tv() {
    local cmd=${2%%,*} f
    f=tel-$1-$(( ++TEL_N ))
    tel "$1" "$2" "$f"
    t_json "$T_DIR/$f" "j['$cmd'].get('$3', 'missing')"
}
TEL_N=0

# shellcheck disable=SC2317 # called by t_wait_for
link_is() { [[ $(tv "$1" "/ivshmem/peer,0" link) == "$2" ]]; }

SHM=$(t_shm tel)
VDEV="net_ivshmem0,shm=$SHM,ring_size=$RING"
tp_start rx 0 --vdev "$VDEV,zero_copy=yes,rx_copy_break=0" -- --forward-mode=rxonly
tp_start tx 1 --vdev "$VDEV" -- --forward-mode=txonly
tp_cmd rx start
tp_wait_link tx 10
tp_wait_link rx 10

# ---- 1. ports, peer, layout, doorbells ------------------------------------------
tel rx /ivshmem/ports ports
t_check "$(t_json "$T_DIR/ports" "j['/ivshmem/ports']") == '[0]'" "rx lists port 0"
t_check "$(tv rx /ivshmem/peer,0 link) == up" "rx: link up, as testpmd says"
t_check "$(tv rx /ivshmem/peer,0 started) == yes" "rx: started"
t_check "$(tv rx /ivshmem/peer,0 transport) == shm" "rx: transport shm"
RX_EPOCH=$(tv rx /ivshmem/peer,0 epoch)
TX_EPOCH=$(tv tx /ivshmem/peer,0 epoch)
t_check "$(tv rx /ivshmem/peer,0 peer_epoch) == $TX_EPOCH" "rx's peer epoch is tx's epoch ($TX_EPOCH)"
t_check "$(tv tx /ivshmem/peer,0 peer_epoch) == $RX_EPOCH" "tx's peer epoch is rx's epoch ($RX_EPOCH)"
t_check "$(tv rx /ivshmem/peer,0 peer_state) == $(tv tx /ivshmem/peer,0 peer_state)" \
    "both see the other in the same state (both forwarding)"
t_check "$(tv rx /ivshmem/peer,0 slot) != $(tv tx /ivshmem/peer,0 slot)" "the two ports hold different slots"
t_check "$(tv rx /ivshmem/layout,0 ring_size) == $RING" "layout: ring_size=$RING as in the devargs"
t_check "$(tv rx /ivshmem/layout,0 data_off) == $(tv tx /ivshmem/layout,0 data_off)" \
    "layout: the same data offset on both sides"
t_check "$(tv rx /ivshmem/layout,0 region_size) == $(stat -c %s "$SHM")" "layout: the region is the file's size"
t_check "$(tv rx /ivshmem/doorbells,0 vectors) == 0" "doorbells: none over a file"
t_check "$(tv rx /ivshmem/doorbells,0 target_id) == -1" "doorbells: nobody rung"
t_check "$(tv rx /ivshmem/doorbells,0 rx_idle) == none" "doorbells: no RX interrupts to wait on"

# ---- 2. traffic, zero-copy buffers held ----------------------------------------------
tp_cmd tx start
tp_wait_xstat rx rx_q0_zc_lent "$MIN" 60
tp_show tx stop "$T_DIR/tx.stop"
t_check "$(tv rx /ivshmem/queues,0 rx_q0_sessions) -ge 1" "rx queue 0: a session"
TX_OLD=$TX_EPOCH

# ---- 3. the sender leaves and comes back ----------------------------------------------
tp_quit tx
t_wait_for 10 link_is rx down || t_fail "rx: link still up 10 s after the sender quit"
tp_show rx "show port info 0" "$T_DIR/rx.down"
t_check "$(grep -c 'Link status: down' "$T_DIR/rx.down") == 1" "rx: testpmd says link down too"
WHY=$(tv rx /ivshmem/peer,0 down_reason)
t_log "rx: down because: $WHY"
t_check "-n \$WHY && \$WHY != missing && \$WHY != none" "rx says why the link is down"
tp_show rx "show port xstats 0" "$T_DIR/rx.xstats"
for x in zc_held zc_held_max; do
    t_check "$(tv rx /ivshmem/queues,0 "rx_q0_$x") == $(tp_xstat "$T_DIR/rx.xstats" "rx_q0_$x")" \
        "rx queue 0: $x as in the xstats"
done
t_check "$(tv rx /ivshmem/queues,0 rx_q0_zc_held_max) -ge 1" "rx queue 0 held lent buffers"

tp_start tx2 1 --vdev "$VDEV" -- --forward-mode=txonly
tp_wait_link rx 10
TX_NEW=$(tv tx2 /ivshmem/peer,0 epoch)
t_check "$TX_NEW != $TX_OLD" "the new sender has a new epoch ($TX_NEW, was $TX_OLD)"
t_check "$(tv rx /ivshmem/peer,0 peer_epoch) == $TX_NEW" "rx's peer epoch follows: $TX_NEW"
t_check "$(tv rx /ivshmem/peer,0 link) == up" "rx: link up again"

# ---- 4. the private dump -------------------------------------------------------------
tel rx /ethdev/dump_priv,0 dump
t_json "$T_DIR/dump" "j['/ethdev/dump_priv']" > "$T_DIR/dump.txt"
t_log "private dump: $(head -n 1 "$T_DIR/dump.txt")"
t_check "$(grep -c 'transport shm, link up' "$T_DIR/dump.txt") == 1" "dump: transport and link"
t_check "$(grep -c "peer: RUN epoch $TX_NEW\|peer: [A-Z]* epoch $TX_NEW" "$T_DIR/dump.txt") == 1" \
    "dump: the peer's epoch"

tp_quit tx2
tp_show rx stop "$T_DIR/rx.stop"
tp_quit rx
t_pass "telemetry: ports, peer and epochs across a restart, layout, doorbells, held buffers, private dump"
