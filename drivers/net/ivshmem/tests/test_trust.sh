#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# What a peer that does not play by the rules can do to the region itself.
#  1. A hostile server client truncates the shared memory fd it was given
#     (ftruncate to 0) while two server= ports exchange verified frames:
#     the server's default memory is a sealed memfd, so the truncate is
#     refused, and both ports keep running, every frame checked.
#  2. A server handing out named memory (-m, unsealed): the port still
#     works, and says loudly that any client could crash it.
#  3. shm= joins: a symbolic link (to a valid region, or dangling) is
#     refused, and so is a file larger than any region the devargs can
#     make (size=64G at most); one of another size than this port would
#     create is joined without prefaulting it.
#
# Usage: test_trust.sh PLUGIN.so ivshmem-integrity ivshmem-server ivshmem-probe
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
t_init_server "$@"

# ---- 1. a client truncates the server's memory under traffic
SOCK=$T_DIR/ivshmem.sock
"$SERVER" -F -S "$SOCK" -l 16M -n 2 > "$T_DIR/server.log" 2>&1 &
SERVER_PID=$!
T_PIDS+=("$SERVER_PID")
t_wait_log "$T_DIR/server.log" 'listening on' 10 || t_fail "server did not start"
VDEV="net_ivshmem0,server=$SOCK"

in_start rx 1 "$VDEV" --role rx --count 0 --timeout 60 --idle 2 --progress 0.2
t_wait_log "$T_DIR/rx.log" 'server=.*we are peer' 20 || t_fail "receiver did not join the server"
in_start tx 0 "$VDEV" --role tx --count 0 --timeout 6 --wait-link 30
t_wait_log "$T_DIR/rx.log" 'first frame' 30 || t_fail "no frame reached the receiver"
L0=$(grep -c '^progress:' "$T_DIR/rx.log") || L0=0
printf 'seals\ntruncate\nquit\n' | "$PROBE" client "$SOCK" 2 > "$T_DIR/probe.out" 2>&1
t_log "hostile client: $(grep -E '^(seals|truncate)' "$T_DIR/probe.out" | tr '\n' ';')"
# Two progress lines of rx after the truncate: frames counted between
# them crossed the region after it (a truncated region kills a port that
# touches it: SIGBUS).
t_wait_log "$T_DIR/rx.log" '^progress:' 10 $((L0 + 2)) ||
    t_fail "rx printed no progress after the client's truncate"
read -r R1 R2 < <(grep '^progress:' "$T_DIR/rx.log" | sed -n "$((L0 + 1))p;$((L0 + 2))p" |
    awk '{ for (i = 1; i < NF; i++) if ($i == "received") printf "%d ", $(i + 1) }')
t_check "${R2:-0} -gt ${R1:-0}" "frames crossed the region after the client's truncate (rx received $R1, then $R2)"
for p in rx tx; do
    if ! kill -0 "${IN_PID[$p]}" 2>/dev/null; then
        in_wait "$p" 5
        (( IN_STATUS > 128 )) && t_fail "$p died of signal $((IN_STATUS - 128)) after the client's truncate"
        t_fail "$p exited ($IN_STATUS) after the client's truncate"
    fi
    t_ok "$p still runs after the client's truncate"
done
t_check "\"\$(grep '^truncate' \"\$T_DIR/probe.out\")\" == 'truncate Operation not permitted'" \
    "ftruncate(fd, 0) by a client is refused (EPERM)"
t_check "\"\$(grep '^seals' \"\$T_DIR/probe.out\")\" == 'seals shrink grow seal'" \
    "the memory a client receives is sealed against shrinking, growing and new seals"
in_wait tx 40
t_check "$IN_STATUS == 0" "tx exited 0"
in_wait rx 40
t_log "$(in_summary rx)"
t_check "$IN_STATUS == 0" "rx exited 0: every frame verified"
in_clean rx
kill -TERM "$SERVER_PID"
t_wait_pid "$SERVER_PID" 10 || t_fail "server did not stop"
grep -q 'anonymous sealed memory' "$T_DIR/server.log" ||
    t_fail "the server did not log its default (anonymous sealed memory)"
for p in rx tx; do
    grep -q 'unsealed\|without seals' "$T_DIR/$p.log" &&
        t_fail "$p warned about seals on sealed memory"
done
t_ok "the server's default memory is a sealed memfd; neither port warned"

# ---- 2. named memory (-m): it works, with a loud warning in the port's log
SOCK2=$T_DIR/named.sock
"$SERVER" -F -S "$SOCK2" -m "/$T_TAG-named" -l 16M -n 2 > "$T_DIR/server2.log" 2>&1 &
T_PIDS+=("$!")
t_wait_log "$T_DIR/server2.log" 'listening on' 10 || t_fail "server -m did not start"
grep -q 'mutually trusting' "$T_DIR/server2.log" ||
    t_fail "server -m did not warn that named memory is for mutually trusting clients"
in_start named 1 "net_ivshmem0,server=$SOCK2" --role rx --count 0 --timeout 2
in_wait named 40
t_check "$IN_STATUS == 0 || $IN_STATUS == 1" "a port joins a server with named memory (exit $IN_STATUS: no sender)"
W=$(grep -m1 'not sealed' "$T_DIR/named.log")
t_check "-n \"\$W\"" "the port warns: ${W:-nothing}"

# ---- 3. shm= joins: symbolic links, sizes
EAL=(-l "0,1" --no-pci --no-huge -m 128)

# probe_fails NAME DEVARGS WORDS: testpmd's probe of DEVARGS fails, logs WORDS
probe_fails() {
    local name=$1 args=$2 want=$3 log=$T_DIR/$1.log st
    env "${T_DPDK_ENV[@]}" "$T_TESTPMD" "${EAL[@]}" --file-prefix "$(t_prefix "$name")" \
        -d "$T_PLUGIN" --vdev "net_ivshmem0,$args" -- -i --total-num-mbufs=2048 \
        < /dev/null > "$log" 2>&1
    st=$?
    (( st > 128 )) && t_fail "$name: testpmd died of signal $((st - 128))"
    grep -qF -- "$want" "$log" || t_fail "$name: no log line with '$want'; log: $log"
    grep -qF 'No probed ethernet devices' "$log" || t_fail "$name: a port was created"
    t_ok "$name: probe refused ($(grep -F -- "$want" "$log" | head -n 1))"
}

# probe_joins NAME DEVARGS: testpmd's probe of DEVARGS creates port 0
probe_joins() {
    local name=$1 args=$2 log=$T_DIR/$1.log st
    env "${T_DPDK_ENV[@]}" "$T_TESTPMD" "${EAL[@]}" --file-prefix "$(t_prefix "$name")" \
        -d "$T_PLUGIN" --log-level='pmd.net.ivshmem.*:info' \
        --vdev "net_ivshmem0,$args" -- -i --total-num-mbufs=2048 < /dev/null > "$log" 2>&1
    st=$?
    (( st > 128 )) && t_fail "$name: testpmd died of signal $((st - 128))"
    grep -qF 'No probed ethernet devices' "$log" && t_fail "$name: no port (log $log)"
    return 0
}

REGION=$(t_shm region)
probe_joins create "shm=$REGION"
[[ -f $REGION ]] || t_fail "the first port did not create $REGION"
LINK=$(t_shm link)
ln -s "$REGION" "$LINK"
probe_fails symlink "shm=$LINK" "is a symbolic link"
DANGLING=$(t_shm dangling)
ln -s "$T_DIR/nowhere" "$DANGLING"
probe_fails dangling "shm=$DANGLING" "is a symbolic link"
[[ -e $T_DIR/nowhere ]] && t_fail "a refused probe created the dangling link's target"

# Larger than size=64G could make: in a private 16 MiB tmpfs where one can
# be mounted, so that a driver which did map and prefault it could take no
# more than that.
BIG_DIR=$T_DIR/small-tmpfs
mkdir -p "$BIG_DIR"
if mount -t tmpfs -o size=16M,mode=0700 "$T_TAG-small" "$BIG_DIR" 2>/dev/null; then
    # unmounted before lib.sh's cleanup, which sees the test's status
    trap 'st=$?; umount "$BIG_DIR"; (exit "$st"); t_cleanup' EXIT
    BIG=$BIG_DIR/big
else
    t_log "cannot mount a private tmpfs: the oversized file goes to /dev/shm (sparse)"
    BIG=$(t_shm big)
fi
truncate -s $(( (64 << 30) + 4096 )) "$BIG"
probe_fails oversize "shm=$BIG" "68719480832 bytes, more than the largest region"

# Another size than ours, within the limit: joined, not prefaulted.
OTHER=$(t_shm other)
probe_joins other-create "shm=$OTHER,size=32M"
probe_joins other-join "shm=$OTHER"
W=$(grep -m1 'without prefaulting' "$T_DIR/other-join.log")
t_check "-n \"\$W\"" "a region of another size is mapped lazily: ${W:-no such log line}"
grep -q 'without prefaulting' "$T_DIR/create.log" &&
    t_fail "the port that created its region did not prefault it"
t_pass "a client's truncate cannot hurt the ports; named memory warned about; shm= links and oversized files refused"
