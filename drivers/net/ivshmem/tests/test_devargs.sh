#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Bad devargs: for every row of the table, dpdk-testpmd is started with that
# net_ivshmem vdev. The probe must fail with a log line containing the
# expected words, no port may be created ("No probed ethernet devices"),
# and testpmd must exit normally (a status, not a signal). Last, one row
# through ivshmem-integrity, which must say that there is no port and exit
# with its usage status (2). And two peers whose ring sizes differ: both
# probe, the link stays down, both log why.
#
# Usage: test_devargs.sh PLUGIN.so IVSHMEM-INTEGRITY
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
t_init "$@"

# Probe failures need no hugepages and no forwarding core.
EAL=(-l "0,1" --no-pci --no-huge -m 128)

S=$(t_shm devargs)		# never created by a failing probe
SMALL=$(t_shm small)		# 4 MiB of zeros, made below
FOREIGN=$(t_shm foreign)	# 16 MiB of random bytes (large enough), made below
truncate -s 4M "$SMALL"
head -c 16M /dev/urandom > "$FOREIGN"

# name | devargs (after net_ivshmem0,) | words the log must contain
CASES=(
    "unknown key|shm=$S,foo=1|unknown devarg 'foo'"
    "malformed number|shm=$S,queues=abc|devarg queues=abc: not a number; allowed: an integer in 1..16"
    "trailing garbage|shm=$S,queues=2x|devarg queues=2x: trailing characters 'x'; allowed: an integer in 1..16"
    "trailing garbage after 4|shm=$S,queues=4x|devarg queues=4x: trailing characters 'x'; allowed: an integer in 1..16"
    "negative number|shm=$S,ring_size=-64|devarg ring_size=-64: negative; allowed: a power of two in 64..16384"
    "minus one does not wrap|shm=$S,ring_size=-1|devarg ring_size=-1: negative; allowed: a power of two in 64..16384"
    "a sign|shm=$S,queues=+2|devarg queues=+2: a sign is not allowed; allowed: an integer in 1..16"
    "leading whitespace|shm=$S,queues= 2|devarg queues= 2: leading whitespace; allowed: an integer in 1..16"
    "hexadecimal|shm=$S,buf_size=0x800|devarg buf_size=0x800: hexadecimal is not accepted, decimal only; allowed: a multiple of 64 in 128..65536"
    "octal-looking|shm=$S,queues=010|devarg queues=010: leading zero: decimal only, not octal; allowed: an integer in 1..16"
    "a fraction|shm=$S,intr_spin_us=2.5|devarg intr_spin_us=2.5: not a whole number; allowed: an integer in 0..1000"
    "number too large for 64 bits|shm=$S,peer_timeout_ms=99999999999999999999|devarg peer_timeout_ms=99999999999999999999: too large; allowed: an integer in 250..60000"
    "queues above range|shm=$S,queues=17|devarg queues=17: out of range; allowed: an integer in 1..16"
    "queues zero|shm=$S,queues=0|devarg queues=0: out of range; allowed: an integer in 1..16"
    "queues above 32 bits|shm=$S,queues=4294967297|devarg queues=4294967297: out of range; allowed: an integer in 1..16"
    "ring_size not a power of two|shm=$S,ring_size=1000|devarg ring_size=1000: not a power of two; allowed: a power of two in 64..16384"
    "ring_size below range|shm=$S,ring_size=32|devarg ring_size=32: out of range; allowed: a power of two in 64..16384"
    "ring_size above range|shm=$S,ring_size=32768|devarg ring_size=32768: out of range; allowed: a power of two in 64..16384"
    "buf_size not a multiple of 64|shm=$S,buf_size=1000|devarg buf_size=1000: not a multiple of 64; allowed: a multiple of 64 in 128..65536"
    "buf_size below range|shm=$S,buf_size=64|devarg buf_size=64: out of range; allowed: a multiple of 64 in 128..65536"
    "peer_timeout_ms below range|shm=$S,peer_timeout_ms=99|devarg peer_timeout_ms=99: out of range; allowed: an integer in 250..60000"
    "intr_spin_us above range|shm=$S,intr_spin_us=1001|devarg intr_spin_us=1001: out of range; allowed: an integer in 0..1000"
    "id out of range|shm=$S,id=2|devarg id=2: out of range; allowed: an integer in 0..1 or auto"
    "id not a number|shm=$S,id=one|devarg id=one: not a number; allowed: an integer in 0..1 or auto"
    "size below range|shm=$S,size=1000|devarg size=1000: out of range; allowed: a size in 1M..64G (suffix K, M, G or T)"
    "size above range|shm=$S,size=65G|devarg size=65G: out of range; allowed: a size in 1M..64G (suffix K, M, G or T)"
    "size bad suffix|shm=$S,size=4X|devarg size=4X: unknown suffix 'X'; allowed: a size in 1M..64G (suffix K, M, G or T)"
    "size unknown suffix Q|shm=$S,size=1Q|devarg size=1Q: unknown suffix 'Q'; allowed: a size in 1M..64G (suffix K, M, G or T)"
    "size KiB spelling|shm=$S,size=4MiB|devarg size=4MiB: unknown suffix 'MiB'; allowed: a size in 1M..64G (suffix K, M, G or T)"
    "size suffix multiply overflows|shm=$S,size=17179869184G|devarg size=17179869184G: too large; allowed: a size in 1M..64G (suffix K, M, G or T)"
    "size digits overflow|shm=$S,size=99999999999999999999|devarg size=99999999999999999999: too large; allowed: a size in 1M..64G (suffix K, M, G or T)"
    "size negative|shm=$S,size=-1M|devarg size=-1M: negative; allowed: a size in 1M..64G (suffix K, M, G or T)"
    "key given twice|shm=$S,queues=2,queues=2|devarg queues=2: given twice; allowed: an integer in 1..16"
    "missing value|shm=$S,queues|devarg queues=: empty value; allowed: an integer in 1..16"
    "empty value|shm=$S,queues=|devarg queues=: empty value; allowed: an integer in 1..16"
    "empty shm path|shm=|devarg shm=: empty path"
    "shm and server|shm=$S,server=$T_DIR/sock|conflict"
    "size with server|server=$T_DIR/sock,size=4M|conflicts with server"
    "neither shm nor server|queues=2|one of shm=<path> or server=<socket> is required"
    "no devargs at all||one of shm=<path> or server=<socket> is required"
    "mac not an address|shm=$S,mac=02:00:00:00:00|devarg mac=02:00:00:00:00: not a MAC address"
    "mac multicast|shm=$S,mac=01:00:5e:00:00:01|not a unicast address"
    "size mismatch with the file|shm=$SMALL,size=8M|exists with 4194304 bytes but size=8388608 was given"
    "file is not a region|shm=$FOREIGN|not an ivshmem-net region"
    "shm is a directory|shm=/dev/shm|cannot open"
    "region too small|shm=$SMALL,queues=16,ring_size=16384|too small"
    "server socket absent|server=$T_DIR/no-such.sock|server=$T_DIR/no-such.sock"
)

n=0
for row in "${CASES[@]}"; do
    IFS='|' read -r name args want <<< "$row"
    n=$((n + 1))
    log=$T_DIR/case$n.log
    # Not a background job: a crash must show up as status > 128 here.
    env "${T_DPDK_ENV[@]}" "$T_TESTPMD" "${EAL[@]}" --file-prefix "$(t_prefix "case$n")" \
        -d "$T_PLUGIN" --vdev "net_ivshmem0${args:+,$args}" -- -i --total-num-mbufs=2048 \
        < /dev/null > "$log" 2>&1
    st=$?
    if (( st > 128 )); then
        t_fail "$name: testpmd died of signal $((st - 128)) (devargs '$args')"
    fi
    grep -qF -- "$want" "$log" ||
        t_fail "$name: no log line with '$want' (devargs '$args'); log: $log"
    grep -qF 'No probed ethernet devices' "$log" ||
        t_fail "$name: a port was created (devargs '$args')"
    t_ok "$name: probe refused ($(grep -F -- "$want" "$log" | head -n 1))"
done
[[ -e $S ]] && t_fail "a refused probe left $S behind"

# The integrity tool on a refused probe: a clear message, status 2.
"$T_INTEG" "${EAL[@]}" --file-prefix "$(t_prefix integrity)" -d "$T_PLUGIN" \
    --vdev "net_ivshmem0,shm=$S,queues=0" -- --role rx > "$T_DIR/integrity.log" 2>&1
st=$?
t_check "$st == 2" "ivshmem-integrity exits 2 when the probe was refused"
t_check "\"\$(grep -c 'no port 0: 0 port(s) probed' \"\$T_DIR/integrity.log\")\" == 1" \
    "ivshmem-integrity says: $(grep 'no port 0' "$T_DIR/integrity.log")"
# Valid devargs, but peers that cannot talk: the ring sizes differ. Both
# probes succeed; the link stays down, and each side says why.
MM=$(t_shm mismatch)
tp_start mm-a 0 --vdev "net_ivshmem0,shm=$MM" --
tp_start mm-b 1 --vdev "net_ivshmem0,shm=$MM,ring_size=512" --
for s in mm-a mm-b; do
    t_wait_log "$T_DIR/$s.log" 'link peer incompatible' 10 ||
        t_fail "$s: no 'link peer incompatible' within 10 s of both peers starting"
    tp_show "$s" "show port info 0" "$T_DIR/$s.info"
    t_check "$(grep -c 'Link status: down' "$T_DIR/$s.info") == 1" \
        "$s: link down: $(grep -o 'link peer incompatible.*' "$T_DIR/$s.log" | head -n 1)"
done
tp_quit mm-b
tp_quit mm-a
t_pass "$n bad devargs refused with the expected message, no port, no crash; ring sizes that differ keep the link down"
