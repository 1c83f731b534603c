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
PROG=check-shell.sh
# shellcheck source=devtools/lib.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
ivshmem_need_git_tree
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

if ! command -v shellcheck > /dev/null; then
    log "SKIP: shellcheck is not installed (devtools/setup.sh installs it; apt-get install shellcheck): ${#scripts[@]} shell scripts NOT checked"
    exit 77
fi

log "$(shellcheck --version | sed -n 's/^version: /shellcheck /p') over ${#scripts[@]} scripts"
if shellcheck --format=gcc -- "${scripts[@]}"; then
    log "all ${#scripts[@]} shell scripts are clean"
    exit 0
fi
log "shellcheck found problems (above, FILE:LINE:COLUMN)"
exit 1
