#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Keeps the documents true to the tree (meson test "check-docs", suite fast):
#
#   1. README.md: every path it names in backticks exists. In text a path is
#      a span with a "/" (`devtools/test.sh`, `build-deps/`); in a table row
#      a bare file or directory name (`setup.sh`, `vm/`, `.shellcheckrc`)
#      counts too, and must be the name of something in the tree. Globs
#      (`ivr_queue.[ch]`) must match. A path that .gitignore covers
#      (`build/`) is made by a tool and is not looked for.
#   2. doc/spec.md section 9 defines the ordering labels P1..Pn: every label
#      the ring library (lib/ivshmem_ring/*.[ch]) or the spec cites as [Pn]
#      is defined there, once, and every label defined there is cited by the
#      library.
#   3. Every relative link in README.md and in the Markdown and
#      reStructuredText files under doc/ resolves to a file or directory.
#   4. Every feature doc/guides/nics/features/ivshmem.ini (DPDK's features
#      matrix) marks Y is named in the first column of a row of the guide's
#      Features table that says Y: the matrix claims only what the guide
#      says a test checks.
#   5. The libvirt domain XML in doc/guides/vms.md is what
#      devtools/vm/libvirt.sh --example prints (the vm_libvirt scenario's).
#
# "In the tree" means tracked by git, or new and not ignored, and present
# (ivshmem_tree_files in devtools/lib.sh). Each problem is printed as
# FILE:LINE: what is wrong. Exit status: 0 when there is none, 1 when there
# is any, 77 (skip) outside a git checkout.
#
# Usage: check-docs.sh    (checks the tree that holds it)

set -euo pipefail
# shellcheck source=devtools/lib.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=devtools/testlib.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/testlib.sh"
ivshmem_git_tree || t_skip "$IVSHMEM_ROOT is not a git checkout, and the list of files in the tree comes from git"
t_init
cd -- "$IVSHMEM_ROOT"

problems=0
problem() {
    printf '%s\n' "$1"
    problems=$((problems + 1))
}

# --- what is in the tree --------------------------------------------------

declare -A IN_TREE=()   # "path" for files, "path/" for directories
declare -A NAMES=()     # basenames: "name" for files, "name/" for directories
while IFS= read -r -d '' f; do
    IN_TREE[$f]=1
    NAMES[${f##*/}]=1
    d=$f
    while [[ $d == */* ]]; do
        d=${d%/*}
        IN_TREE[$d/]=1
        NAMES[${d##*/}/]=1
    done
done < <(ivshmem_tree_files)

# Whether path $1 (relative to the top, "dir/" for a directory) is in the
# tree. A glob matches when any path in the tree matches it.
in_tree() {
    local p=$1 k
    [[ -n ${IN_TREE[$p]:-} || -n ${IN_TREE[$p/]:-} ]] && return 0
    if [[ $p == *[\*\?\[]* ]]; then
        for k in "${!IN_TREE[@]}"; do
            # shellcheck disable=SC2053 # $p is a glob on purpose
            [[ $k == $p ]] && return 0
        done
    fi
    return 1
}

# Whether .gitignore covers path $1: something a build or setup makes.
ignored() {
    git check-ignore -q --no-index -- "$1"
}

# Path $2 relative to directory $1 (both relative to the top), with "." and
# ".." resolved; status 1 when it leaves the tree.
resolve() {
    local dir=$1 rel=$2 part out=() trail=
    [[ $rel == */ ]] && trail=/
    local IFS=/
    # shellcheck disable=SC2086 # split on "/" on purpose
    set -- $dir $rel
    for part in "$@"; do
        case $part in
            '' | .) ;;
            ..) (( ${#out[@]} > 0 )) || return 1
                unset 'out[${#out[@]}-1]' ;;
            *) out+=("$part") ;;
        esac
    done
    (( ${#out[@]} > 0 )) || { printf './\n'; return 0; }
    printf '%s%s\n' "${out[*]}" "$trail"
}

# The patterns, quoted once here rather than inside [[ =~ ]].
# shellcheck disable=SC2016 # backticks are Markdown here, not expansions
RE_SPAN='`([^`]+)`(.*)'
RE_PATH_CHARS='^[][A-Za-z0-9._/*?-]+$'
RE_FILE_NAME='^([A-Za-z0-9_-][A-Za-z0-9_.-]*)?\.[A-Za-z0-9]+$'  # or a dotfile
RE_HEADING='^## '
RE_SECTION9='^## 9\.'
RE_LABEL_ROW='^\| *P([0-9]+) *\|'
RE_MD_LINK='\]\(([^)[:space:]]+)[^)]*\)(.*)'
RE_MD_REF='^ {0,3}\[[^]]+\]: +([^[:space:]]+)'
RE_RST_LINK='<([^>[:space:]]+)>`__?(.*)'
RE_RST_DIRECTIVE='^ *\.\. (image|figure|include|literalinclude):: +([^[:space:]]+)'

# --- 1. paths named in the README -----------------------------------------

# Whether a backticked span looks like a path rather than code or a name.
# $2 = 1 in a table row, where bare file and directory names count.
path_like() {
    local s=$1 in_table=$2
    [[ $s =~ $RE_PATH_CHARS ]] || return 1   # no spaces, $, =, < ...
    [[ $s == -* || $s == *://* ]] && return 1
    [[ $s == */* ]] && return 0
    (( in_table )) && [[ $s =~ $RE_FILE_NAME ]] && return 0
    return 1
}

check_readme_paths() {
    local file=README.md n=0 line rest span in_table p lines=()
    [[ -f $file ]] || { problem "$file:1: missing"; return; }
    mapfile -t lines < "$file"
    for line in "${lines[@]}"; do
        n=$((n + 1))
        in_table=0
        [[ $line == '|'* ]] && in_table=1
        rest=$line
        while [[ $rest =~ $RE_SPAN ]]; do
            span=${BASH_REMATCH[1]}
            rest=${BASH_REMATCH[2]}
            path_like "$span" "$in_table" || continue
            p=${span#./}
            if [[ $p != */* || ($p == */ && ${p%/} != */*) ]] && (( in_table )) &&
                    [[ -n ${NAMES[$p]:-} ]]; then
                continue    # a bare name in a table: some file or dir has it
            fi
            in_tree "$p" && continue
            ignored "$p" && continue
            problem "$file:$n: \`$span\` is not in the tree"
        done
    done
}

# --- 2. ordering labels ---------------------------------------------------

check_labels() {
    local spec=doc/spec.md n=0 line in9=0 label f loc lines=()
    declare -A defined=() cited=()
    [[ -f $spec ]] || { problem "$spec:1: missing"; return; }
    mapfile -t lines < "$spec"
    for line in "${lines[@]}"; do
        n=$((n + 1))
        if [[ $line =~ $RE_HEADING ]]; then
            in9=0
            [[ $line =~ $RE_SECTION9 ]] && in9=1
        fi
        if (( in9 )) && [[ $line =~ $RE_LABEL_ROW ]]; then
            label=P${BASH_REMATCH[1]}
            if [[ -n ${defined[$label]:-} ]]; then
                problem "$spec:$n: $label is defined again (first at line ${defined[$label]})"
            else
                defined[$label]=$n
            fi
        fi
    done
    if (( ${#defined[@]} == 0 )); then
        problem "$spec:1: no ordering labels found (a table row \"| Pn |\" in section 9)"
        return
    fi
    # Citations: FILE:LINE:[Pn], one per match.
    while IFS= read -r loc; do
        label=${loc##*\[}
        label=${label%\]}
        f=${loc%:*}
        [[ -n ${defined[$label]:-} ]] ||
            problem "$f: [$label] is not defined in $spec section 9"
        [[ $f == lib/* ]] && cited[$label]=1
    done < <(git grep --untracked -n -o -E '\[P[0-9]+\]' -- "$spec" \
            'lib/ivshmem_ring/*.c' 'lib/ivshmem_ring/*.h' \
            ':!lib/ivshmem_ring/*/*' || true)
    for label in "${!defined[@]}"; do
        [[ -n ${cited[$label]:-} ]] ||
            problem "$spec:${defined[$label]}: $label is defined but lib/ivshmem_ring/*.[ch] never cites [$label]"
    done
}

# --- 3. relative links ----------------------------------------------------

check_link() {
    local file=$1 n=$2 target=$3 dir p
    target=${target%%#*}
    [[ -z $target || $target == *:* ]] && return 0   # anchor, URL, mailto:
    dir=.
    [[ $file == */* ]] && dir=${file%/*}
    if ! p=$(resolve "$dir" "$target"); then
        problem "$file:$n: link $target leaves the tree"
    elif [[ $p != ./ ]] && ! in_tree "$p"; then
        problem "$file:$n: link $target: $p is not in the tree"
    fi
}

check_links() {
    local file n line rest files=() lines=()
    mapfile -t files < <(printf '%s\n' "${!IN_TREE[@]}" | sort)
    for file in "${files[@]}"; do
        case $file in
            README.md | doc/*.md | doc/*.rst) ;;
            *) continue ;;
        esac
        mapfile -t lines < "$file"
        n=0
        for line in "${lines[@]}"; do
            n=$((n + 1))
            rest=$line
            # Markdown: [text](target "title"), ![alt](target)
            while [[ $rest =~ $RE_MD_LINK ]]; do
                rest=${BASH_REMATCH[2]}
                check_link "$file" "$n" "${BASH_REMATCH[1]}"
            done
            # Markdown reference definitions: [label]: target
            [[ $line =~ $RE_MD_REF ]] &&
                check_link "$file" "$n" "${BASH_REMATCH[1]}"
            # reStructuredText: `text <target>`_, .. image:: / include::
            rest=$line
            while [[ $rest =~ $RE_RST_LINK ]]; do
                rest=${BASH_REMATCH[2]}
                check_link "$file" "$n" "${BASH_REMATCH[1]}"
            done
            [[ $file == *.rst && $line =~ $RE_RST_DIRECTIVE ]] &&
                check_link "$file" "$n" "${BASH_REMATCH[2]}"
        done
    done
}

check_features() {
    local ini=doc/guides/nics/features/ivshmem.ini guide=doc/guides/nics/ivshmem.rst
    local n=0 line key rows
    [[ -f $ini ]] || { problem "$ini: missing"; return; }
    # the guide's rows: "Feature", "Status", "Checked by"
    # (the section runs from its title to the next title's underline)
    rows=$(awk -F'", "' '/^Features$/ { on = 1; next }
        on && /^[-=~]{4,}$/ && ++u > 1 { exit }
        on && /^   "/ && $2 == "Y" { sub(/^   "/, "", $1); print $1 }' "$guide")
    while IFS= read -r line; do
        n=$((n + 1))
        [[ $line =~ ^([^;=[][^=]*[^ =])\ *=\ *Y\ *$ ]] || continue
        key=${BASH_REMATCH[1]}
        grep -qF -- "$key" <<< "$rows" ||
            problem "$ini:$n: '$key' is Y, but no row of the Features table in $guide names it with Y"
    done < "$ini"
}

# --- 5. the libvirt example ----------------------------------------------
# doc/guides/vms.md shows the domain XML the vm_libvirt scenario uses:
# the block after the line "<!-- devtools/vm/libvirt.sh --example -->" is
# that command's output, line for line.
check_libvirt_example() {
    local guide=doc/guides/vms.md marker='<!-- devtools/vm/libvirt.sh --example -->' start shown want
    start=$(grep -nF -- "$marker" "$guide" | head -n 1 | cut -d: -f1) || true
    [[ -n $start ]] || { problem "$guide:1: no $marker line before the libvirt example"; return; }
    # the fenced block after the marker, fences excluded
    shown=$(awk -v s="$start" 'NR > s && /^```/ { if (on) exit; on = 1; next } on' "$guide")
    want=$(bash devtools/vm/libvirt.sh --example) ||
        { problem "devtools/vm/libvirt.sh --example failed"; return; }
    [[ $shown == "$want" ]] ||
        problem "$guide:$start: the libvirt example is not what devtools/vm/libvirt.sh --example prints: $(diff <(echo "$want") <(echo "$shown") | head -n 4 | tr '\n' ' ')"
}

check_readme_paths
check_labels
check_links
check_features
check_libvirt_example

(( problems == 0 )) || t_fail "$problems problem(s): the documents say what the tree does not"
t_pass "README paths, ordering labels, doc links and the features matrix agree with the tree"
