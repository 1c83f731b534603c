#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Runs shellcheck over every shell script in the tree (meson test
# "shellcheck", suite fast): the files named *.sh, and the files without an
# extension whose first line starts a shell (.ci/run, devtools/vm/init).
# "In the tree" as for check-docs.sh (ivshmem_tree_files in devtools/lib.sh).
# Options common to all scripts are in .shellcheckrc at the top of the tree.
#
# Exit status: 0 when every script is clean, 1 when any is not, 77 (skip)
# when shellcheck is not installed or the tree is not a git checkout; a skip
# says why on its last line.
#
# Usage: check-shell.sh    (checks the tree that holds it)

set -euo pipefail
# shellcheck source=devtools/lib.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=devtools/testlib.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/testlib.sh"
ivshmem_git_tree || t_skip "$IVSHMEM_ROOT is not a git checkout, and the list of files in the tree comes from git"
t_init
cd -- "$IVSHMEM_ROOT"

# A shell's shebang: sh, bash, dash, ksh, directly, through env or busybox.
RE_SHELL='^#!.*[/ ](sh|bash|dash|ksh)([[:space:]]|$)'

scripts=()
while IFS= read -r -d '' f; do
    [[ -f $f ]] || continue     # a directory: a submodule or a link
    case ${f##*/} in
        *.sh) scripts+=("$f") ;;
        *.*) ;;
        *)  first=
            IFS= read -r first < "$f" || true
            [[ $first =~ $RE_SHELL ]] && scripts+=("$f") ;;
    esac
done < <(ivshmem_tree_files)

command -v shellcheck > /dev/null ||
    t_skip "shellcheck is not installed (devtools/setup.sh installs it; apt-get install shellcheck): ${#scripts[@]} shell scripts NOT checked"

t_log "$(shellcheck --version | sed -n 's/^version: /shellcheck /p') over ${#scripts[@]} scripts"
shellcheck --format=gcc -- "${scripts[@]}" ||
    t_fail "shellcheck found problems (above, FILE:LINE:COLUMN)"
t_pass "all ${#scripts[@]} shell scripts are clean"
