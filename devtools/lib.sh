# shellcheck shell=bash disable=SC2034 # variables are for the scripts that source this
# SPDX-License-Identifier: BSD-3-Clause
# Helpers shared by the devtools scripts. Source it (". devtools/lib.sh");
# it defines variables and functions and runs nothing. The caller sets PROG
# (the name its messages carry) before sourcing, or gets the caller's basename.
#
# What setup.sh leaves under build-deps/ (gitignored, never committed):
#   dpdk-src/           `apt-get source` of the installed DPDK, unpacked;
#                       dpdk-src/stamp holds "<source version> <tree dir>"
#   dpdk-sdk/include/   driver-SDK headers copied from that tree, when the
#                       installed libdpdk-dev lacks them; dpdk-sdk/stamp
#   l2fwd/build/l2fwd   DPDK's examples/l2fwd from that tree, linked against
#                       the installed DPDK (used by the VM tests)

PROG=${PROG:-$(basename -- "$0")}
IVSHMEM_ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
IVSHMEM_DEPS=$IVSHMEM_ROOT/build-deps
IVSHMEM_DPDK_SRC=$IVSHMEM_DEPS/dpdk-src
IVSHMEM_SDK_INC=$IVSHMEM_DEPS/dpdk-sdk/include
IVSHMEM_L2FWD_DIR=$IVSHMEM_DEPS/l2fwd
IVSHMEM_L2FWD=$IVSHMEM_L2FWD_DIR/build/l2fwd

# libFuzzer's options for every run of a harness (suite fuzz, a campaign):
# the same limits, a final stats block, the harness's own output quiet.
IVSHMEM_FUZZ_OPTS=(-rss_limit_mb=2048 -timeout=10 -print_final_stats=1 -close_fd_mask=3)

log()  { printf '%s: %s\n' "$PROG" "$*"; }
warn() { printf '%s: WARNING: %s\n' "$PROG" "$*" >&2; }
die()  { printf '%s: ERROR: %s\n' "$PROG" "$*" >&2; exit 1; }

# The unpacked DPDK source tree that setup.sh fetched (absolute path), or
# nothing and status 1 when there is none.
ivshmem_dpdk_src_dir() {
    local dir
    [[ -r $IVSHMEM_DPDK_SRC/stamp ]] || return 1
    read -r _ dir < "$IVSHMEM_DPDK_SRC/stamp" || return 1
    [[ -n $dir && -d $IVSHMEM_DPDK_SRC/$dir/lib/ethdev ]] || return 1
    printf '%s\n' "$IVSHMEM_DPDK_SRC/$dir"
}

# Build DPDK's examples/l2fwd from the fetched source tree against the
# installed DPDK (its own Makefile, which uses pkg-config libdpdk) into
# build-deps/l2fwd/build/l2fwd, then check that the binary starts (--help).
# Rebuilds only when the example source changed.
ivshmem_build_l2fwd() {
    local src out f
    src=$(ivshmem_dpdk_src_dir) ||
        die "no DPDK source tree in $IVSHMEM_DPDK_SRC: run devtools/setup.sh"
    mkdir -p "$IVSHMEM_L2FWD_DIR"
    # Copy only what changed, so that make rebuilds only when needed.
    for f in main.c Makefile; do
        cmp -s "$src/examples/l2fwd/$f" "$IVSHMEM_L2FWD_DIR/$f" ||
            cp "$src/examples/l2fwd/$f" "$IVSHMEM_L2FWD_DIR/$f"
    done
    log "building l2fwd from $src/examples/l2fwd into $IVSHMEM_L2FWD_DIR/build"
    make -s -C "$IVSHMEM_L2FWD_DIR" shared ||
        die "building l2fwd failed (see the compiler output above)"
    if ! out=$("$IVSHMEM_L2FWD" --help 2>&1) || [[ $out != *Usage:* ]]; then
        printf '%s\n' "$out" >&2
        die "$IVSHMEM_L2FWD --help did not print its usage"
    fi
    log "l2fwd ok: $IVSHMEM_L2FWD (--help prints its usage)"
}

# Whether the tree is a git checkout: the checks of the tree (check-docs.sh,
# check-shell.sh) take their file lists from git, and skip outside one.
ivshmem_git_tree() {
    git -C "$IVSHMEM_ROOT" rev-parse --is-inside-work-tree > /dev/null 2>&1
}

# The files in the tree, relative to its top, each ended by a NUL: tracked
# by git, or new and not ignored, and present in the work tree.
ivshmem_tree_files() {
    local f
    while IFS= read -r -d '' f; do
        [[ -e $IVSHMEM_ROOT/$f ]] && printf '%s\0' "$f"
    done < <(git -C "$IVSHMEM_ROOT" ls-files -z --cached --others --exclude-standard)
    return 0
}
