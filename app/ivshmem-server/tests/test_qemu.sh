#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# ivshmem-server with QEMU as a real client: up to three QEMUs (paused
# with -S: no guest runs, but the ivshmem-doorbell device does the whole
# handshake when it is realized) plus our own client, the probe.
#
# What is checked, and how:
#  - each QEMU gets an ID (server log, matched by QEMU's pid) and the
#    probe is told it joined, with 2 eventfds;
#  - the device is 1af4:1110 with a 4M BAR2 (HMP info pci) backed by a
#    4M RAM block made from the server's fd (HMP info ramblock): the
#    server's default memory, an anonymous sealed memfd, which QEMU maps
#    as it would any file;
#  - every QEMU holds 2 more eventfds per peer that joins and 2 fewer per
#    peer that leaves (/proc/PID/fd): it took the peer's eventfds;
#  - the probe rings each QEMU's vectors and QEMU consumes the ring
#    (fdinfo eventfd-count of that very eventfd drops back to 0), while
#    a ring nobody consumes (the probe's own, rung before) stays pending
#    all that time;
#  - a QEMU that quits is announced gone; one that starts again gets a new
#    ID, is announced, and learns all current peers;
#  - QEMU prints no error.
#
#   test_qemu.sh SERVER_BINARY PROBE_BINARY
set -u
# shellcheck source=devtools/testlib.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/../../../devtools/testlib.sh"

SERVER=$1
PROBE_BIN=$2
QEMU=${QEMU:-qemu-system-x86_64}
VECTORS=2

command -v "$QEMU" >/dev/null ||
	t_skip "$QEMU not found (apt-get install qemu-system-x86); QEMU interoperability NOT tested"

t_init
T=$T_DIR
spid=
PROBE_PID=

efds() {	# number of eventfds process $1 holds
	local f n=0
	for f in /proc/"$1"/fd/*; do
		[ "$(readlink "$f" 2>/dev/null)" = "anon_inode:[eventfd]" ] && n=$((n + 1))
	done
	echo $n
}

# shellcheck disable=SC2317 # called by t_wait_for
efds_is() { [ "$(efds "$1")" -eq "$2" ]; }

# snap_efds NAME...: remember each QEMU's eventfd count
declare -A efd_base
snap_efds() {
	local q
	for q in "$@"; do
		efd_base[$q]=$(efds "${qpid[$q]}")
	done
}

# efds_moved DELTA NAME...: each count reaches its snapshot + DELTA
efds_moved() {
	local d=$1 q
	shift
	for q in "$@"; do
		t_wait_for 10 efds_is "${qpid[$q]}" $((efd_base[$q] + d)) || return 1
	done
}

# --- the probe, as a coprocess -------------------------------------------
plines=()
pexpect() {	# REGEX [SECONDS]: consume the first probe line matching
	local re=$1 end=$((SECONDS + ${2:-10})) i line
	for i in "${!plines[@]}"; do
		if [[ ${plines[$i]} =~ $re ]]; then
			MATCH=${plines[$i]}
			unset 'plines[i]'
			return 0
		fi
	done
	while [ $SECONDS -lt "$end" ]; do
		if read -t 1 -r -u "${PROBE[0]}" line; then
			echo "$line" >>"$T/probe.out"
			if [[ $line =~ $re ]]; then
				MATCH=$line
				return 0
			fi
			plines+=("$line")
		fi
	done
	return 1
}

pcmd() { echo "$*" >&"${PROBE[1]}"; }

# pcount ID VEC: pending count of the eventfd the probe holds for ID/VEC
pcount() {
	pcmd count "$1" "$2"
	pexpect "^count $1 $2 " 5 && echo "${MATCH##* }"
}

pcount_is() { [ "$(pcount "$1" "$2")" = "$3" ]; }

hmp() { "$PROBE_BIN" hmp "$T/$1.mon" "$2"; }

# --- QEMU ----------------------------------------------------------------
declare -A qpid qid
start_qemu() {	# NAME: sets qpid[NAME], qid[NAME]
	local name=$1 p
	"$QEMU" -machine q35 -accel tcg -nographic -nodefaults -S \
		-display none \
		-chardev socket,path="$T/ivshmem.sock",id=ivsh \
		-device ivshmem-doorbell,chardev=ivsh,vectors=$VECTORS \
		-monitor unix:"$T/$name.mon",server=on,wait=off \
		</dev/null >"$T/$name.out" 2>&1 &
	p=$!
	T_PIDS+=("$p")
	qpid[$name]=$p
	t_wait_for 20 grep -q "connected (pid $p," "$T/server.log" &&
		t_wait_for 20 test -S "$T/$name.mon" &&
		t_wait_for 20 hmp "$name" "info version" >/dev/null || return 1
	qid[$name]=$(sed -n "s/.*peer \([0-9]*\) connected (pid $p,.*/\1/p" \
		"$T/server.log" | tail -n 1)
	[ -n "${qid[$name]}" ]
}

stop_qemu() {	# NAME: HMP quit, wait for the process
	local p=${qpid[$1]}
	hmp "$1" quit >/dev/null 2>&1
	t_wait_for 20 eval "! kill -0 $p 2>/dev/null"
	wait "$p"
}

# BAR2 size from "info pci": an unassigned BAR (no firmware ran) prints
# address ~0 and "end" ~0 + size - 1; the 64-bit wrap gives the size.
check_device() {	# NAME
	local name=$1 out bar start end size
	out=$(hmp "$name" "info pci")
	bar=$(echo "$out" | grep -A8 "1af4:1110" | grep "BAR2:")
	start=$(echo "$bar" | sed -n 's/.* at \(0x[0-9a-f]*\) .*/\1/p')
	end=$(echo "$bar" | sed -n 's/.*\[\(0x[0-9a-f]*\)\].*/\1/p')
	size=$(( end - start + 1 ))
	[[ "$out" == *"1af4:1110"* ]] && [ "$size" -eq $((4 << 20)) ]
	t_expect "$? == 0" "$name: info pci shows 1af4:1110, BAR2 $((size >> 20))M ($bar)"
	out=$(hmp "$name" "info ramblock" | grep "ivshmem.bar2")
	[[ "$out" =~ 0x0*400000 ]]
	t_expect "$? == 0" "$name: 4M RAM block made from the server's shm fd: $(tr -s " \n" " " <<< "$out")"
}

# ring every vector of NAME from the probe; QEMU must consume each ring
check_rings() {	# NAME
	local name=$1 id=${qid[$1]} v ok=0
	for v in $(seq 0 $((VECTORS - 1))); do
		pcmd ring "$id" "$v"
		pexpect "^ring $id $v ok" 5 &&
			t_wait_for 5 pcount_is "$id" "$v" 0 || ok=1
	done
	t_expect "$ok == 0" "probe rings $name (ID $id) on all $VECTORS vectors; QEMU consumes each ring"
}

# --- the run ----------------------------------------------------------------
# No -m: the default memory, anonymous and sealed.
"$SERVER" -F -v -S "$T/ivshmem.sock" -l 4M -n $VECTORS \
	2>"$T/server.log" &
spid=$!
T_PIDS+=("$spid")
t_wait_log "$T/server.log" "listening on" 10
t_expect "$? == 0" "server listening ($VECTORS vectors, 4M)"
grep -q "created anonymous sealed memory: 4194304 bytes" "$T/server.log"
t_expect "$? == 0" "server memory: anonymous sealed memfd"

coproc PROBE { "$PROBE_BIN" client "$T/ivshmem.sock" $VECTORS; }
T_PIDS+=("$PROBE_PID")
pexpect "^ready" 10 && grep -q "peer 0 connected" "$T/server.log"
t_expect "$? == 0" "probe connected as ID 0"

pcmd ring 0 0
pexpect "^ring 0 0 ok" 5 && pcount_is 0 0 1
t_expect "$? == 0" "control: a ring nobody consumes is pending (probe's own vector 0)"

# two QEMUs
start_qemu q1
t_expect "$? == 0" "q1 connected: ID ${qid[q1]:-?} (pid ${qpid[q1]})"
pexpect "^joined ${qid[q1]:-x}$" 10
t_expect "$? == 0" "probe told q1 (ID ${qid[q1]:-?}) joined with $VECTORS eventfds"
check_device q1
snap_efds q1

start_qemu q2
t_expect "$? == 0" "q2 connected: ID ${qid[q2]:-?} (pid ${qpid[q2]})"
pexpect "^joined ${qid[q2]:-x}$" 10
t_expect "$? == 0" "probe told q2 joined"
efds_moved $VECTORS q1
t_expect "$? == 0" "q1 took q2's $VECTORS eventfds (q1 holds $(efds "${qpid[q1]}"), was ${efd_base[q1]})"
check_device q2
check_rings q1
check_rings q2
pcount_is 0 0 1
t_expect "$? == 0" "control: the probe's own ring stayed pending while QEMU consumed each of its rings"
pcmd wait 0 1000
pexpect "^rung 0 1" 5
t_expect "$? == 0" "control: the probe then sees its own ring"

# three QEMUs
snap_efds q1 q2
start_qemu q3
t_expect "$? == 0" "q3 connected: ID ${qid[q3]:-?}"
pexpect "^joined ${qid[q3]:-x}$" 10
t_expect "$? == 0" "probe told q3 joined"
efds_moved $VECTORS q1 q2
t_expect "$? == 0" "q1 and q2 each took q3's $VECTORS eventfds"
check_device q3
check_rings q3
q3_start=$(efds "${qpid[q3]}")	# holds 3 peers' eventfds

# q2 quits
snap_efds q1 q3
old_q2=${qid[q2]}
stop_qemu q2
t_expect "$? == 0" "q2 quit through its monitor, exit status 0"
pexpect "^left $old_q2$" 10 && grep -q "peer $old_q2 disconnected" "$T/server.log"
t_expect "$? == 0" "q2's departure (ID $old_q2) logged and announced to the probe"
efds_moved -$VECTORS q1 q3
t_expect "$? == 0" "q1 and q3 closed q2's eventfds"
pcmd ring "$old_q2" 0
pexpect "^ring $old_q2 0 No such file or directory" 5
t_expect "$? == 0" "probe can no longer ring departed ID $old_q2"

# q2 comes back
snap_efds q1 q3
start_qemu q2
t_expect "$? == 0" "q2 reconnected: ID ${qid[q2]:-?}, a new one (old $old_q2 is not reused at once)"
[ "${qid[q2]:-$old_q2}" != "$old_q2" ]
t_expect "$? == 0" "reconnected q2's ID differs from its old one"
pexpect "^joined ${qid[q2]:-x}$" 10
t_expect "$? == 0" "probe told the reconnected q2 joined"
efds_moved $VECTORS q1 q3
t_expect "$? == 0" "q1 and q3 took the reconnected q2's eventfds"
t_wait_for 10 efds_is "${qpid[q2]}" "$q3_start"
t_expect "$? == 0" "reconnected q2 took 3 peers' eventfds, as q3 did ($q3_start eventfds)"
check_device q2
check_rings q2
check_rings q1

pcmd peers
pexpect "^peers " 5
[ "$MATCH" = "peers ${qid[q1]} ${qid[q3]} ${qid[q2]}" ]
t_expect "$? == 0" "probe's peer list is exactly the 3 live QEMUs: $MATCH"

for q in q1 q2 q3; do
	stop_qemu $q
	t_expect "$? == 0" "$q quit, exit status 0"
done
errs=$(cat "$T"/q*.out)
[ -z "$errs" ]
t_expect "$? == 0" "QEMU printed nothing (no error): ${errs:0:300}"

pcmd quit
wait "${PROBE_PID:-}" 2>/dev/null
kill -TERM "$spid"
wait "$spid"
t_expect "$? == 0" "server exits 0 on SIGTERM"
[ ! -e "$T/ivshmem.sock" ]
t_expect "$? == 0" "socket removed"
spid=

t_pass "up to three QEMUs and the probe: IDs, eventfds, rings, departures, reconnection"
