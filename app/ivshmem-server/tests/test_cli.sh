#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Command line and lifecycle of ivshmem-server: option errors, occupied,
# stale and foreign socket paths, SIGTERM cleanup (created objects removed,
# pre-existing ones kept), daemon mode with pid file, hugetlbfs files.
#
#   test_cli.sh SERVER_BINARY PROBE_BINARY
set -u
# shellcheck source=devtools/testlib.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/../../../devtools/testlib.sh"

SERVER=$1
PROBE=$2
t_init
T=$T_DIR
SHM=ivsrv-cli-$$
t_at_exit rm -f "/dev/shm/$SHM" "/dev/shm/$SHM-keep" "/dev/shm/$SHM-big" \
	"/dev/hugepages/$SHM"

# listening_or_gone LOG: the server logged that it listens, or has died.
# shellcheck disable=SC2317 # called by t_wait_for
listening_or_gone() {
	grep -q "listening on" "$1" 2>/dev/null || ! kill -0 "$spid" 2>/dev/null
}

# start_fg LOG ARGS...: foreground server; sets $spid; waits until listening.
start_fg() {
	local log=$1
	shift
	"$SERVER" -F "$@" 2>"$log" &
	spid=$!
	T_PIDS+=("$spid")
	t_wait_for 10 listening_or_gone "$log"
	grep -q "listening on" "$log"
}

# stop PID: SIGTERM, return the exit status.
stop() {
	kill -TERM "$1"
	wait "$1"
}

# --- option errors: non-zero exit, message naming the option -------------
long_path=/tmp/$(printf 'x%.0s' $(seq 110))
while IFS='|' read -r args want; do
	[ -z "$args" ] && continue
	# shellcheck disable=SC2086
	out=$("$SERVER" -F -S "$T/unused.sock" $args 2>&1)
	rc=$?
	[ $rc -ne 0 ] && [[ "$out" == *"$want"* ]] && [ ! -e "$T/unused.sock" ]
	t_expect "$? == 0" "rejects '$args' (exit $rc): $out"
done <<EOF
-l 3M|--size=3M: not a power of two; allowed: a power of two in 4K..1T (suffix K, M, G or T)
-l 4X|--size=4X: unknown suffix 'X'; allowed: a power of two in 4K..1T
-l 1Q|--size=1Q: unknown suffix 'Q'; allowed: a power of two in 4K..1T
-l 4Mb|--size=4Mb: unknown suffix 'Mb'; allowed: a power of two in 4K..1T
-l 4MiB|--size=4MiB: unknown suffix 'MiB'; allowed: a power of two in 4K..1T
-l 1.5G|--size=1.5G: not a whole number; allowed: a power of two in 4K..1T
-l 1k|--size=1k: out of range; allowed: a power of two in 4K..1T
-l 2T|--size=2T: out of range; allowed: a power of two in 4K..1T
-l -4M|--size=-4M: negative; allowed: a power of two in 4K..1T
-l -1|--size=-1: negative; allowed: a power of two in 4K..1T
-l 0x1000|--size=0x1000: hexadecimal is not accepted, decimal only; allowed: a power of two in 4K..1T
-l 99999999999999999999|--size=99999999999999999999: too large; allowed: a power of two in 4K..1T
-l 16777216T|--size=16777216T: too large; allowed: a power of two in 4K..1T
-n 0|--vectors=0: out of range; allowed: an integer in 1..64
-n 65|--vectors=65: out of range; allowed: an integer in 1..64
-n 2x|--vectors=2x: trailing characters 'x'; allowed: an integer in 1..64
-n 0x10|--vectors=0x10: hexadecimal is not accepted, decimal only; allowed: an integer in 1..64
-n 010|--vectors=010: leading zero: decimal only, not octal; allowed: an integer in 1..64
-n +3|--vectors=+3: a sign is not allowed; allowed: an integer in 1..64
-n -1|--vectors=-1: negative; allowed: an integer in 1..64
--vectors=|--vectors=: empty value; allowed: an integer in 1..64
-p 0|--max-peers=0: out of range; allowed: an integer in 1..256
-p 257|--max-peers=257: out of range; allowed: an integer in 1..256
-p 70000|--max-peers=70000: out of range; allowed: an integer in 1..256
-p 4294967297|--max-peers=4294967297: out of range; allowed: an integer in 1..256
--ids 2 -p 4|--ids=2: below --max-peers=4; allowed: an integer in 4..65536
--ids 65537|--ids=65537: out of range; allowed: an integer in 1..65536
--socket-mode 0999|--socket-mode=0999: not an octal mode; allowed: an octal mode in 0..0777
--socket-mode 01777|--socket-mode=01777: not an octal mode; allowed: an octal mode in 0..0777
-m a/b|--shm=a/b: not a POSIX shm name; allowed: [/]NAME
-m /x -M /tmp/y|-m/--shm and -M/--shm-path exclude each other
-H -m /x|-H/--hugetlb is for the default anonymous memory: it excludes -m/--shm and -M/--shm-path
-H -M /tmp/y|-H/--hugetlb is for the default anonymous memory: it excludes -m/--shm and -M/--shm-path
-S $long_path|--socket=$long_path: longer than 107 bytes; allowed: up to 107 bytes
--bogus|unknown option --bogus
-n|option -n needs a value
extra|unexpected argument 'extra'
EOF

out=$("$SERVER" --help)
rc=$?; [ "$rc" -eq 0 ] && [[ "$out" == *"--max-peers"* ]]
t_expect "$? == 0" "--help exits 0 and lists the options"
# The ranges in --help are the parser's: each as the error message says it.
for want in "a power of two in 4K..1T (suffix K, M, G or T)" \
	"(default 1): an integer in 1..64" "an integer in 1..256"; do
	[[ "$out" == *"$want"* ]]
	t_expect "$? == 0" "--help says '$want'"
done

# Sizes: either case of K, M, G, T; a client sees the bytes.
start_fg "$T/k.log" -S "$T/k.sock" -m "$SHM" -l 128K
out=$("$PROBE" client "$T/k.sock" 1 </dev/null)
[[ "$out" == *"shm 131072"* ]]
t_expect "$? == 0" "-l 128K serves 131072 bytes"
stop "$spid"

out=$(ulimit -Sn 64; ulimit -Hn 64; "$SERVER" -F -S "$T/lim.sock" \
	-m "$SHM" -p 256 -n 4 2>&1)
rc=$?; [ "$rc" -ne 0 ] && [[ "$out" == *"needs up to 1296 file descriptors, the limit is 64"* ]]
t_expect "$? == 0" "fd budget above RLIMIT_NOFILE is refused up front: $out"

# --- the default memory: anonymous, sealed, nothing to name or remove ------
ls /dev/shm > "$T/shm.before"
start_fg "$T/m.log" -S "$T/m.sock" -l 64K
t_expect "$? == 0" "server starts without -m or -M"
grep -q "created anonymous sealed memory: 65536 bytes" "$T/m.log" &&
	! grep -q "mutually trusting" "$T/m.log"
t_expect "$? == 0" "... logs anonymous sealed memory, no warning"
out=$(printf 'seals\ntruncate\nquit\n' | "$PROBE" client "$T/m.sock" 1)
[[ "$out" == *"shm 65536"* ]] && [[ "$out" == *"seals shrink grow seal"* ]] &&
	[[ "$out" == *"truncate Operation not permitted"* ]]
t_expect "$? == 0" "a client gets 64K sealed against shrink, grow and new seals; its ftruncate fails: $(grep -E "^(seals|truncate)" <<< "$out" | tr "\n" " ")"
ls /dev/shm > "$T/shm.after"
stop "$spid"
t_expect "$? == 0" "... and exits 0 on SIGTERM"
diff -q "$T/shm.before" "$T/shm.after" >/dev/null
t_expect "$? == 0" "the default memory has no name in /dev/shm"
start_fg "$T/n.log" -S "$T/n.sock" -m "$SHM" -l 64K
grep -q "mutually trusting" "$T/n.log"
t_expect "$? == 0" "-m warns that named memory is for mutually trusting clients"
out=$(printf 'seals\nquit\n' | "$PROBE" client "$T/n.sock" 1)
[[ "$out" != *"shrink"* ]]
t_expect "$? == 0" "... whose fd carries no shrink seal: $(echo "$out" | grep seals)"
stop "$spid"

# --- a live server, then everything that must not disturb it --------------
start_fg "$T/a.log" -S "$T/a.sock" -m "$SHM" --socket-mode 0600
t_expect "$? == 0" "server starts in the foreground"
apid=$spid
[ "$(stat -c %a "$T/a.sock")" = 600 ] && [ -e "/dev/shm/$SHM" ]
t_expect "$? == 0" "socket created with --socket-mode 0600, shm /dev/shm/$SHM exists"

out=$("$SERVER" -F -S "$T/a.sock" -m "$SHM-2" 2>&1)
rc=$?; [ "$rc" -ne 0 ] && [[ "$out" == *"-S/--socket $T/a.sock: a server is already listening there"* ]]
t_expect "$? == 0" "second server on a live socket fails: $out"
[ -S "$T/a.sock" ] && kill -0 "$apid" && [ ! -e "/dev/shm/$SHM-2" ]
t_expect "$? == 0" "... and the live server, its socket and shm are untouched"

touch "$T/file"
out=$("$SERVER" -F -S "$T/file" -m "$SHM-2" 2>&1)
rc=$?; [ "$rc" -ne 0 ] && [[ "$out" == *"exists and is not a socket"* ]] && [ -f "$T/file" ]
t_expect "$? == 0" "a non-socket file at the socket path is refused, kept: $out"

out=$("$SERVER" -F -S "$T/no/such/dir/s.sock" -m "$SHM-2" 2>&1)
rc=$?; [ "$rc" -ne 0 ] && [[ "$out" == *"-S/--socket $T/no/such/dir/s.sock: cannot bind: No such file or directory"* ]]
t_expect "$? == 0" "socket in a missing directory: $out"

mkdir "$T/ro" && chmod 0555 "$T/ro"
as_user=()
if [ "$(id -u)" = 0 ]; then
	# root ignores mode bits: try as nobody
	as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	chmod 0755 "$T"
fi
if [ ${#as_user[@]} -eq 0 ] || command -v setpriv >/dev/null; then
	out=$("${as_user[@]}" "$SERVER" -F -S "$T/ro/s.sock" -m "$SHM-2" 2>&1)
	rc=$?; [ "$rc" -ne 0 ] && [[ "$out" == *"-S/--socket $T/ro/s.sock: cannot bind: Permission denied"* ]] &&
		[ ! -e "/dev/shm/$SHM-2" ]
	t_expect "$? == 0" "unwritable socket directory fails, no shm left behind: $out"
else
	t_skip_part "unwritable-directory check: root without setpriv"
fi
chmod 0700 "$T"

out=$("$PROBE" client "$T/a.sock" 1 </dev/null)
[[ "$out" == *"shm 4194304"* ]]
t_expect "$? == 0" "default size is 4M (a client sees shm 4194304)"

stop "$apid"
rc=$?
[ $rc -eq 0 ] && [ ! -e "$T/a.sock" ] && [ ! -e "/dev/shm/$SHM" ]
t_expect "$? == 0" "SIGTERM: exit $rc, socket and created shm removed"
grep -q "SIGTERM: shutting down" "$T/a.log"
t_expect "$? == 0" "shutdown is logged"

# --- stale socket, pre-existing shm --------------------------------------
start_fg "$T/b.log" -S "$T/b.sock" -m "$SHM-keep" -l 64k
kill -KILL "$spid"; wait "$spid" 2>/dev/null
[ -S "$T/b.sock" ] && [ -e "/dev/shm/$SHM-keep" ]
t_expect "$? == 0" "SIGKILLed server leaves its socket and shm behind"
start_fg "$T/c.log" -S "$T/b.sock" -m "$SHM-keep" -l 64k
t_expect "$? == 0" "new server starts on the stale socket"
grep -q "removed stale socket $T/b.sock" "$T/c.log" &&
	grep -q "opened existing POSIX shared memory /$SHM-keep" "$T/c.log"
t_expect "$? == 0" "... logs the stale socket removal and reuse of the existing shm"
out=$("$PROBE" client "$T/b.sock" 1 </dev/null)
[[ "$out" == *"id 0"* ]] && [[ "$out" == *"shm 65536"* ]]
t_expect "$? == 0" "... and serves it"
stop "$spid"
rc=$?; [ "$rc" -eq 0 ] && [ ! -e "$T/b.sock" ] && [ -e "/dev/shm/$SHM-keep" ]
t_expect "$? == 0" "SIGTERM keeps the shm it did not create"

truncate -s 8M "/dev/shm/$SHM-big"
out=$("$SERVER" -F -S "$T/d.sock" -m "$SHM-big" -l 4M 2>&1)
rc=$?; [ "$rc" -ne 0 ] && [[ "$out" == *"exists with size 8388608 but -l/--size asks for 4194304"* ]] &&
	[ "$(stat -c %s "/dev/shm/$SHM-big")" = 8388608 ] && [ ! -e "$T/d.sock" ]
t_expect "$? == 0" "existing shm of another size is refused, left as is: $out"

# --- -M file --------------------------------------------------------------
start_fg "$T/e.log" -S "$T/e.sock" -M "$T/mem" -l 128k
[ "$(stat -c %s "$T/mem")" = 131072 ]
t_expect "$? == 0" "-M creates a 128k file"
stop "$spid"
[ ! -e "$T/mem" ]
t_expect "$? == 0" "... and removes it on SIGTERM"
truncate -s 128k "$T/mem2"
start_fg "$T/f.log" -S "$T/f.sock" -M "$T/mem2" -l 128k
stop "$spid"
[ -e "$T/mem2" ]
t_expect "$? == 0" "-M with an existing file keeps it on exit"

if grep -q " /dev/hugepages hugetlbfs" /proc/mounts &&
   [ "$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)" -ge 2 ]; then
	hp=$(awk '/Hugepagesize/ {print $2}' /proc/meminfo)
	start_fg "$T/g.log" -S "$T/g.sock" -M "/dev/hugepages/$SHM" -l 4M
	t_expect "$? == 0" "hugetlbfs: server starts with -M /dev/hugepages/$SHM -l 4M"
	grep -q "created hugetlbfs shared memory" "$T/g.log"
	t_expect "$? == 0" "hugetlbfs: detected and logged"
	out=$("$PROBE" client "$T/g.sock" 1 </dev/null)
	[[ "$out" == *"shm 4194304"* ]]
	t_expect "$? == 0" "hugetlbfs: a client gets a 4M shm fd"
	stop "$spid"
	[ ! -e "/dev/hugepages/$SHM" ]
	t_expect "$? == 0" "hugetlbfs: file removed on SIGTERM"
	if [ "$hp" -gt 4 ]; then
		out=$("$SERVER" -F -S "$T/h.sock" -M "/dev/hugepages/$SHM" -l 4k 2>&1)
		rc=$?; [ "$rc" -ne 0 ] && [[ "$out" == *"not a multiple of the huge page size"* ]] &&
			[ ! -e "/dev/hugepages/$SHM" ]
		t_expect "$? == 0" "hugetlbfs: size below the huge page size refused: $out"
	fi
	start_fg "$T/hh.log" -S "$T/hh.sock" -H -l 4M
	t_expect "$? == 0" "-H: server starts with anonymous memory in huge pages"
	grep -q "created anonymous sealed memory in huge pages: 4194304 bytes" "$T/hh.log"
	t_expect "$? == 0" "-H: logged as anonymous sealed memory in huge pages"
	out=$(printf 'seals\ntruncate\nquit\n' | "$PROBE" client "$T/hh.sock" 1)
	[[ "$out" == *"shm 4194304"* ]] && [[ "$out" == *"seals shrink grow seal"* ]] &&
		[[ "$out" == *"truncate Operation not permitted"* ]]
	t_expect "$? == 0" "-H: a client gets 4M sealed; its ftruncate fails"
	stop "$spid"
	if [ "$hp" -gt 4 ]; then
		out=$("$SERVER" -F -S "$T/hi.sock" -H -l 4k 2>&1)
		rc=$?; [ "$rc" -ne 0 ] && [[ "$out" == *"not a multiple of the huge page size"* ]]
		t_expect "$? == 0" "-H: size below the huge page size refused: $out"
	fi
else
	t_skip_part "hugetlbfs checks: no /dev/hugepages mount with 2 free pages"
fi

# --- daemon mode ------------------------------------------------------------
"$SERVER" -S "$T/i.sock" -m "$SHM" -P "$T/i.pid" -n 2
rc=$?
dpid=$(cat "$T/i.pid" 2>/dev/null)
[ -z "$dpid" ] || T_PIDS+=("$dpid")
[ $rc -eq 0 ] && [ -n "$dpid" ] && kill -0 "$dpid" && [ -S "$T/i.sock" ]
t_expect "$? == 0" "daemon: exits 0 once serving; pid file names a live process"
[ "$(ps -o sid= -p "$dpid")" != "$(ps -o sid= -p $$)" ] &&
	[ "$(readlink /proc/"$dpid"/cwd)" = / ] &&
	[ "$(readlink /proc/"$dpid"/fd/2)" = /dev/null ]
t_expect "$? == 0" "daemon: own session, cwd /, stderr /dev/null"
out=$("$PROBE" client "$T/i.sock" 2 </dev/null)
[[ "$out" == *"ready"* ]]
t_expect "$? == 0" "daemon: serves clients"
kill -TERM "$dpid"
t_wait_for 10 eval "! kill -0 $dpid 2>/dev/null"
! kill -0 "$dpid" 2>/dev/null && [ ! -e "$T/i.pid" ] && [ ! -e "$T/i.sock" ] &&
	[ ! -e "/dev/shm/$SHM" ]
t_expect "$? == 0" "daemon: SIGTERM removes pid file, socket and shm"

out=$("$SERVER" -S "$T/j.sock" -m "$SHM" -P "$T/no/dir/j.pid" 2>&1)
rc=$?; [ "$rc" -ne 0 ] && [[ "$out" == *"-P/--pid-file $T/no/dir/j.pid: No such file or directory"* ]] &&
	[ ! -e "$T/j.sock" ] && [ ! -e "/dev/shm/$SHM" ]
t_expect "$? == 0" "daemon: unwritable pid file fails before anything is created: $out"

t_pass "option errors, socket and shm lifecycle, daemon mode"
