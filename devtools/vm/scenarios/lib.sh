# shellcheck shell=bash disable=SC2034 # variables are for the scenarios that source this
# SPDX-License-Identifier: BSD-3-Clause
# Shared by the VM scenarios: paths, prerequisites, guests in the
# background, our ivshmem server. Source it with the build directory as $1.
# It builds on devtools/testlib.sh, the one vocabulary of the tests
# (t_log, t_check, t_pass / t_fail / t_skip, T_PIDS killed at exit, the
# run's directory T_DIR, here also WORK); guests are killed at exit too.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=devtools/testlib.sh
. "$HERE/../../testlib.sh"
SCEN=$T_NAME
TOP=$(cd "$HERE/../../.." && pwd)
RUN="$TOP/devtools/vm/run.sh"
B=${1:?usage: $0 BUILD_DIR}
B=$(cd "$B" && pwd)
PLUGIN=$B/drivers/net/ivshmem/librte_net_ivshmem.so
INTEG=$B/app/test-ivshmem/ivshmem-integrity
SERVER=$B/app/ivshmem-server/ivshmem-server

command -v qemu-system-x86_64 >/dev/null || t_skip "qemu-system-x86_64 is not installed (devtools/setup.sh installs it)"
ls /boot/vmlinuz-* >/dev/null 2>&1 || t_skip "no kernel in /boot for the guests (linux-image-amd64)"
[ -f "$PLUGIN" ] || t_fail "plugin not built: $PLUGIN"
[ -x "$INTEG" ] || t_fail "ivshmem-integrity not built: $INTEG"

t_init
WORK=$T_DIR
HANDLES=()
# At exit: every guest killed, the shared files removed.
vm_cleanup() {
	local h
	for h in "${HANDLES[@]}"; do "$RUN" --kill "$h" >/dev/null 2>&1 || true; done
	rm -f /dev/shm/ivshmem-"$SCEN"-* 2>/dev/null || true
}
t_at_exit vm_cleanup

# Guests have one vCPU: testpmd's forwarding lcore shares it with main.
TESTPMD="dpdk-testpmd --lcores '(0,1)@0' -d $PLUGIN"
# DPDK apps in a guest: one lcore, plugin, log of our driver at info.
GAPP_EAL="-l 0 -d $PLUGIN --log-level=pmd.net.ivshmem.*:info"

# vm_start NAME [run.sh options] -- COMMAND: a guest in the background;
# its handle is appended to HANDLES and stored in $WORK/NAME.handle.
vm_start() {
	local name=$1 h
	shift
	h=$("$RUN" --background --name "$name" --owner $$ "$@")
	HANDLES+=("$h")
	echo "$h" > "$WORK/$name.handle"
}

# vm_wait NAME: the guest's output into $WORK/NAME.out; returns its status.
vm_wait() {
	local name=$1 rc=0
	"$RUN" --wait "$(cat "$WORK/$name.handle")" > "$WORK/$name.out" 2>&1 || rc=$?
	sed "s/^/  [$name] /" "$WORK/$name.out"
	return $rc
}

# vm_job NAME: the guest's job directory, as the host sees it ($VM_JOB in
# the guest: what one writes, the other reads at once).
vm_job() { echo "$(cat "$WORK/$1.handle")/job"; }

# vm_tell NAME WORD: the host says WORD to guest NAME, which waits for it
# with $(guest_wait WORD) in its command.
vm_tell() { touch "$(vm_job "$1")/$2"; }

# guest_wait WORD: guest shell code that waits until the host said WORD
# (the guest's own time limit bounds the wait).
guest_wait() {
	# shellcheck disable=SC2016 # $VM_JOB is the guest's
	printf 'while [ ! -e "$VM_JOB/%s" ]; do sleep 0.2; done' "$1"
}

# vm_kill NAME: pull the plug on a guest (QEMU killed).
vm_kill() {
	local name=$1
	"$RUN" --kill "$(cat "$WORK/$name.handle")" >/dev/null 2>&1 || true
}

# start_server VECTORS [SIZE]: our ivshmem-server on $SOCK (set here) with a
# POSIX shm object of SIZE (16M), killed at exit.
start_server() {
	[ -x "$SERVER" ] || t_fail "ivshmem-server not built: $SERVER"
	SOCK=$WORK/ivshmem.sock
	"$SERVER" -F -S "$SOCK" -m "/ivshmem-$SCEN-$$" -l "${2:-16M}" -n "$1" > "$WORK/server.log" 2>&1 &
	T_PIDS+=($!)
	t_wait_log "$WORK/server.log" 'listening on' 10 ||
		t_fail "server did not start: $(cat "$WORK/server.log")"
}

# json_field FILE KEY: a top-level field of the JSON line in FILE.
json_field() {
	python3 -c 'import json,sys
for l in open(sys.argv[1]):
    l=l.strip()
    i=l.find("{")
    if i<0: continue
    try: d=json.loads(l[i:])
    except ValueError: continue
    if sys.argv[2] in d: print(d[sys.argv[2]]); break' "$1" "$2"
}

# port_stat FILE WHAT: the last "WHAT: N" of testpmd's "show port stats".
port_stat() {
	grep -oE "$2: +[0-9]+" "$1" | tail -1 | grep -oE '[0-9]+$'
}

# xstat FILE NAME: the port's xstat NAME from the JSON line of an
# ivshmem-integrity run in FILE (-1 when it is not there).
xstat() {
	python3 -c 'import json,sys
for l in open(sys.argv[1]):
    i=l.find("{\"role\"")
    if i>=0: print(json.loads(l[i:])["xstats"].get(sys.argv[2], -1))' "$1" "$2"
}

# all_zero FILE WHAT KEY...: each KEY of the JSON line in FILE is 0.
all_zero() {
	local f=$1 what=$2 k v
	shift 2
	for k in "$@"; do
		v=$(json_field "$f" "$k")
		t_check "'$v' == 0" "$what: $k = $v"
	done
}

# mbufs_back FILE WHAT: the ivshmem-integrity receiver in FILE ended with
# as many mbufs in use as it started with.
mbufs_back() {
	local m0 m1
	m0=$(json_field "$1" mbufs_in_use_start)
	m1=$(json_field "$1" mbufs_in_use_end)
	t_check "'$m0' =~ ^[0-9]+$ && '$m0' == '$m1'" "$2: $m1 mbufs in use at the end, as at the start ($m0)"
}
