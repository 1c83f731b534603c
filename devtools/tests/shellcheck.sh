#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Usage: shellcheck.sh SCRIPT...
# Runs shellcheck -x on each script from the top of the tree (where the
# scripts' "source=" directives point); any finding fails. Exit 77
# (skip), with the reason, when shellcheck is not installed.
set -euo pipefail
if ! command -v shellcheck > /dev/null; then
    echo "shellcheck.sh: SKIP: shellcheck not installed (apt-get install shellcheck)"
    exit 77
fi
scripts=()
for f in "$@"; do scripts+=("$(realpath -- "$f")"); done
cd "$(dirname -- "${BASH_SOURCE[0]}")/../.."
shellcheck -x "${scripts[@]}"
echo "shellcheck.sh: OK: ${scripts[*]}"
