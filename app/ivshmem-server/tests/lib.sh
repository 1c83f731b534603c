# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
# Shared by the server's shell tests: result lines and polling.

pass=0
fail=0

# check STATUS DESCRIPTION: one result line; STATUS is a command's $?
check() {
	if [ "$1" = 0 ]; then
		echo "ok - $2"
		pass=$((pass + 1))
	else
		echo "FAIL - $2"
		fail=$((fail + 1))
	fi
}

# wait_for SECONDS COMMAND...: retry the command until it succeeds
wait_for() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ $SECONDS -ge "$end" ] && return 1
		sleep 0.05
	done
}

# summary: the closing line test runners read; status for exit
summary() {
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
}
