#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Command lines of the tools (meson suite "driver"): each bad value is
# refused with the usage status and one message naming the option, the
# value and what is allowed, as lib/ivshmem_parse words it; each --help
# prints the same ranges. EAL starts without hugepages, shared config or
# devices, so nothing is left behind.
#
# Usage: test_options.sh IVSHMEM-BENCH IVSHMEM-INTEGRITY IVSHMEM-BENCH-RING
set -u
# shellcheck source=devtools/testlib.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/../../../devtools/testlib.sh"

BENCH=$1
INTEG=$2
RING=$3
EAL=(-l 0 --no-pci --no-huge --no-shconf -m 64 --log-level=error)
t_init

# prog | args | exit status | words the message must contain
while IFS='|' read -r prog args want_rc want; do
	[ -z "$prog" ] && continue
	case $prog in
	bench) cmd=("$BENCH" "${EAL[@]}" --) ;;
	integ) cmd=("$INTEG" "${EAL[@]}" -- --role rx) ;;
	ring) cmd=("$RING") ;;
	esac
	# shellcheck disable=SC2086
	out=$("${cmd[@]}" $args 2>&1)
	rc=$?
	[ "$rc" = "$want_rc" ] && [[ "$out" == *"$want"* ]]
	t_expect "$? == 0" "$prog $args: exit $rc: $(grep -F -- "$want" <<< "$out" || tail -n 1 <<< "$out")"
done <<'EOF'
bench|--queues 0|2|--queues=0: out of range; allowed: an integer in 1..16
bench|--queues=4x|2|--queues=4x: trailing characters 'x'; allowed: an integer in 1..16
bench|--size 0x40|2|--size=0x40: hexadecimal is not accepted, decimal only; allowed: an integer in 64..9000
bench|--burst -1|2|--burst=-1: negative; allowed: an integer in 1..512
bench|--count 99999999999999999999|2|--count=99999999999999999999: too large
bench|--duration 1e3|2|--duration=1e3: trailing characters 'e3'; allowed: seconds in 0.1..86400
bench|--duration 0.05|2|--duration=0.05: out of range; allowed: seconds in 0.1..86400
bench|--idle 0.0001|2|--idle=0.0001: more than 3 decimals; allowed: seconds in 0.01..3600
bench|--warmup inf|2|--warmup=inf: not a number; allowed: seconds in 0..3600
bench|--role foo|2|--role=foo: not a choice; allowed: rx, tx, bidir, ping, pong or c2c
integ|--queues 0|2|--queues=0: out of range; allowed: an integer in 1..64
integ|--seed 0x10|2|--seed=0x10: hexadecimal is not accepted, decimal only; allowed: an integer in 0..18446744073709551615
integ|--count -1|2|--count=-1: negative; allowed: an integer in 0..9223372036854775807
integ|--min-size 059|2|--min-size=059: leading zero: decimal only, not octal; allowed: an integer in 60..9000
integ|--timeout 0|2|--timeout=0: out of range; allowed: seconds in 0.001..86400
integ|--idle 1.5s|2|--idle=1.5s: trailing characters 's'; allowed: seconds in 0..86400
integ|--rx-mode sleep|2|--rx-mode=sleep: not a mode; allowed: poll or intr
integ|--intr-timeout 0|2|--intr-timeout=0: out of range; allowed: seconds in 0.001..86400
ring|--seconds 0.01|1|--seconds=0.01: out of range; allowed: seconds in 0.05..60
ring|--ring 1000|1|--ring=1000: not a power of two; allowed: a power of two in 64..16384
ring|--bursts 1,0x8|1|--bursts=0x8: hexadecimal is not accepted, decimal only; allowed: an integer in 1..512
ring|--bursts 1,,8|1|--bursts=: empty value; allowed: an integer in 1..512
ring|--sizes 0,-1|1|--sizes=-1: negative; allowed: an integer in 0..2048
ring|--repeat 100|1|--repeat=100: out of range; allowed: an integer in 1..99
EOF

# --help: the ranges the parser applies.
out=$("$BENCH" "${EAL[@]}" -- --help 2>&1)
[[ "$out" == *"drive queues 0..Q-1, an integer in 1..16"* ]] &&
	[[ "$out" == *"seconds in 0.1..86400 (at most 3 decimals)"* ]] &&
	[[ "$out" == *"--role R            rx, tx, bidir, ping, pong or c2c"* ]]
t_expect "$? == 0" "ivshmem-bench --help prints the parser's ranges"
out=$("$INTEG" "${EAL[@]}" -- --help 2>&1)
[[ "$out" == *"an integer in 1..64"* ]] &&
	[[ "$out" == *"seconds in 0.001..86400 (at most 3 decimals)"* ]]
t_expect "$? == 0" "ivshmem-integrity --help prints the parser's ranges"
out=$("$RING" --help 2>&1)
[[ "$out" == *"a power of two in 64..16384"* ]] &&
	[[ "$out" == *"seconds in 0.05..60 (at most 3 decimals)"* ]]
t_expect "$? == 0" "ivshmem-bench-ring --help prints the parser's ranges"

t_pass "every bad value refused with its range; --help prints the ranges"
