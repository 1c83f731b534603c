#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Prepare a Debian 12 machine (as root) to build and test this project, then
# build it into build/. Safe to run again: each step checks first and does
# only what is missing.
#
#   1. apt packages (the list is PACKAGES below); `apt-get update` at most
#      once, and only when something must be fetched.
#   2. The source of the installed DPDK (`apt-get source dpdk=<version>`),
#      unpacked in build-deps/dpdk-src/, from a deb-src entry derived from
#      the machine's own apt sources.
#   3. DPDK's driver-SDK headers, which Debian's libdpdk-dev does not ship,
#      copied from that source into build-deps/dpdk-sdk/include/.
#   4. DPDK's examples/l2fwd built from that source into build-deps/l2fwd/.
#   5. 2 MiB hugepages (IVSHMEM_HUGEPAGES, default 1024) and hugetlbfs on
#      /dev/hugepages; helpful kernel modules; ASLR bits the sanitizers cope
#      with. None of these is fatal.
#   6. meson setup + ninja in build/.
#
# Environment: IVSHMEM_HUGEPAGES=N (0: reserve none).
# build-deps/ is gitignored: no DPDK file is ever committed.

set -Eeuo pipefail
PROG=setup.sh
# shellcheck source=devtools/lib.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
trap 'warn "line $LINENO: \"$BASH_COMMAND\" failed (status $?)"' ERR

# Everything the project needs from apt, in one place.
PACKAGES=(
    build-essential pkg-config meson ninja-build dpkg-dev debhelper xz-utils
    dpdk dpdk-dev libdpdk-dev libnuma-dev python3
    clang libclang-rt-14-dev
    qemu-system-x86 linux-image-amd64 busybox-static cpio
    gnuplot-nox linux-perf iproute2 kmod procps
    shellcheck gdb
    lintian systemd man-db
)
# Installed without their recommendations (libvirt's pull in LVM and the
# other hypervisors' drivers): the vm_libvirt scenario needs the QEMU
# driver's daemon and virsh only.
PACKAGES_LEAN=(libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients)

# The driver-SDK headers the PMD includes (DPDK 22.11 installs them only when
# built with -Denable_driver_sdk=true). Headers they include that are missing
# too are found by compiling a probe, and copied as well.
SDK_HEADERS=(
    ethdev_driver.h ethdev_pci.h ethdev_vdev.h
    bus_pci_driver.h bus_vdev_driver.h dev_driver.h bus_driver.h
)

SRC_LIST_BASE=/etc/apt/sources.list.d/ivshmem-net-src
APT_UPDATED=0       # apt-get update runs at most once per setup.sh run
SRC_ENTRY_CHANGED=0 # our deb-src entry was (re)written this run

APT_OPTS=(-o DPkg::Lock::Timeout=600 -o Dpkg::Use-Pty=0)
export DEBIAN_FRONTEND=noninteractive

usage() {
    sed -n '/^# Prepare/,/^# build-deps/p' "$0" | sed 's/^# \{0,1\}//'
}

# --- apt ---------------------------------------------------------------------

pkg_installed() {
    [[ $(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null) == ii* ]]
}

# apt-get update, if not done yet in this run and the lists are absent, older
# than a day, lack the source indexes we are about to use, or our deb-src
# entry just changed. $1 = "force" updates regardless of age (once per run).
apt_update_if_needed() {
    local why=
    (( APT_UPDATED )) && return 0
    if [[ ${1:-} == force ]]; then
        why="asked to refresh"
    elif ! compgen -G '/var/lib/apt/lists/*_Packages*' > /dev/null; then
        why="package lists absent"
    elif [[ -z $(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' -mmin -1440 -print -quit) ]]; then
        why="package lists older than a day"
    elif (( SRC_ENTRY_CHANGED )); then
        why="deb-src entry added"
    elif [[ ${1:-} == sources ]] && ! compgen -G '/var/lib/apt/lists/*_Sources*' > /dev/null; then
        why="source lists absent"
    else
        log "apt lists are fresh: no apt-get update"
        return 0
    fi
    log "apt-get update ($why)"
    apt-get "${APT_OPTS[@]}" update < /dev/null
    APT_UPDATED=1
}

install_packages() {
    local p missing=() lean=()
    for p in "${PACKAGES[@]}"; do
        pkg_installed "$p" || missing+=("$p")
    done
    for p in "${PACKAGES_LEAN[@]}"; do
        pkg_installed "$p" || lean+=("$p")
    done
    if (( ${#missing[@]} + ${#lean[@]} == 0 )); then
        log "all $(( ${#PACKAGES[@]} + ${#PACKAGES_LEAN[@]} )) packages installed"
        return 0
    fi
    apt_update_if_needed
    if (( ${#missing[@]} )); then
        log "apt-get install ${missing[*]}"
        apt-get "${APT_OPTS[@]}" install -y "${missing[@]}" < /dev/null
    fi
    if (( ${#lean[@]} )); then
        log "apt-get install --no-install-recommends ${lean[*]}"
        apt-get "${APT_OPTS[@]}" install -y --no-install-recommends "${lean[@]}" < /dev/null
    fi
}

# --- deb-src entry -------------------------------------------------------------

# A Debian archive is a URI on a debian.org host, or one whose Release file
# apt has read says o=Debian (a mirror). AWK_IS_DEBIAN is the awk function
# that decides it; its table comes from debian_mirror_uris in -v mirrors=.
debian_mirror_uris() {
    { apt-cache policy 2>/dev/null || true; } | awk '
        $1 ~ /^[0-9]+$/ && $2 ~ /:\/\// { uri = $2; sub(/\/$/, "", uri) }
        /^ +release / && /o=Debian(,|$)/ && uri != "" { print uri }' | sort -u | paste -sd ' ' -
}
AWK_IS_DEBIAN='
function is_debian(u,   m, i, k) {
    if (!mirrors_split) { k = split(mirrors, m, " "); for (i = 1; i <= k; i++) mirror[m[i]] = 1; mirrors_split = 1 }
    sub(/\/$/, "", u)
    return u ~ /^[a-z+]+:\/\/([^\/@]*\.)?debian\.org(:[0-9]+)?(\/|$)/ || (u in mirror)
}'

# deb822 stanzas (*.sources): every enabled stanza of Types "deb" (without
# deb-src already) whose first URI is a Debian archive, copied with Types
# changed to deb-src. Comments are dropped; multi-line fields are kept.
derive_deb822() {
    awk -v mirrors="$(debian_mirror_uris)" "$AWK_IS_DEBIAN"'
    function flush(   i) {
        if (n > 0 && has_deb && !has_src && enabled != "no" && is_debian(uri)) {
            for (i = 1; i <= n; i++) print lines[i]
            print ""
        }
        n = 0; has_deb = 0; has_src = 0; enabled = ""; uri = ""
    }
    FNR == 1 { flush() }
    /^[ \t]*#/ { next }
    /^[ \t]*$/ { flush(); next }
    /^[ \t]/ { if (n > 0) lines[++n] = $0; next }
    {
        key = tolower(substr($0, 1, index($0, ":") - 1))
        val = substr($0, index($0, ":") + 1)
        gsub(/^[ \t]+|[ \t]+$/, "", val)
        if (key == "types") {
            nt = split(val, t, /[ \t]+/)
            for (i = 1; i <= nt; i++) {
                if (t[i] == "deb") has_deb = 1
                if (t[i] == "deb-src") has_src = 1
            }
            lines[++n] = "Types: deb-src"
            next
        }
        if (key == "enabled") enabled = tolower(val)
        if (key == "uris") { split(val, u, /[ \t]+/); uri = u[1] }
        lines[++n] = $0
    }
    END { flush() }
    ' "$@"
}

# One-line entries (sources.list, *.list): each "deb ..." line of a Debian
# archive becomes "deb-src ...", unless that deb-src line is there already.
derive_oneline() {
    awk -v mirrors="$(debian_mirror_uris)" "$AWK_IS_DEBIAN"'
    { line = $0; sub(/#.*/, "", line); gsub(/[ \t]+/, " ", line)
      sub(/^ /, "", line); sub(/ $/, "", line) }
    line ~ /^deb-src / { have[line] = 1; next }
    line ~ /^deb / {
        rest = line; sub(/^deb (\[[^]]*\] )?/, "", rest); split(rest, w, " ")
        if (!is_debian(w[1])) next
        src = line; sub(/^deb /, "deb-src ", src); want[++n] = src
    }
    END { for (i = 1; i <= n; i++) if (!(want[i] in have) && !(want[i] in done)) {
              print want[i]; done[want[i]] = 1 } }
    ' "$@"
}

# Write $1 with content $2 (or remove it when $2 is empty), if it differs.
write_if_changed() {
    local file=$1 content=$2
    if [[ -z $content ]]; then
        if [[ -e $file ]]; then
            log "removing $file (nothing to derive it from any more)"
            rm -f "$file"
            SRC_ENTRY_CHANGED=1
        fi
        return 0
    fi
    if [[ -f $file ]] && [[ $(cat "$file") == "$content" ]]; then
        log "deb-src entry up to date: $file"
        return 0
    fi
    log "writing deb-src entry $file"
    printf '%s\n' "$content" > "$file"
    SRC_ENTRY_CHANGED=1
}

ensure_deb_src() {
    local f deb822=() oneline=() header s822 s1
    shopt -s nullglob
    for f in /etc/apt/sources.list.d/*.sources; do
        if [[ -f $f && $f != "$SRC_LIST_BASE".* ]]; then deb822+=("$f"); fi
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        if [[ -f $f && $f != "$SRC_LIST_BASE".* ]]; then oneline+=("$f"); fi
    done
    shopt -u nullglob
    header="# Written by devtools/setup.sh (ivshmem-net) for \`apt-get source dpdk\`."
    s822='' s1=''
    if (( ${#deb822[@]} )); then
        s822=$(derive_deb822 "${deb822[@]}")
    fi
    if (( ${#oneline[@]} )); then
        s1=$(derive_oneline "${oneline[@]}")
    fi
    write_if_changed "$SRC_LIST_BASE.sources" \
        "${s822:+$header
# Derived from: ${deb822[*]}
$s822}"
    write_if_changed "$SRC_LIST_BASE.list" \
        "${s1:+$header
# Derived from: ${oneline[*]}
$s1}"
    if [[ -z $s822 && -z $s1 ]]; then
        if apt_has_source_entries; then
            log "apt already has deb-src entries for the Debian archive"
            return 0
        fi
        die "found no Debian 'deb' entry in /etc/apt/sources.list or /etc/apt/sources.list.d/ to derive a deb-src entry from; add one for your mirror and run again"
    fi
}

# Does any apt source (ours excluded) already declare deb-src for Debian?
apt_has_source_entries() {
    grep -qsiE '^[[:space:]]*(deb-src[[:space:]].*debian|types:.*deb-src)' \
        /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
        /etc/apt/sources.list.d/*.sources
}

# --- DPDK source ---------------------------------------------------------------

installed_dpdk_source() { # prints "<source package> <source version>"
    dpkg-query -W -f='${source:Package} ${source:Version}\n' libdpdk-dev
}

available_source_versions() {
    apt-cache showsrc "$1" 2>/dev/null | awk '/^Version:/ { print $2 }' | sort -u | paste -sd ' ' -
}

fetch_dpdk_source() {
    local spkg sver stamp_ver stamp_dir avail tmp dir
    read -r spkg sver < <(installed_dpdk_source)
    [[ -n $sver ]] || die "cannot read the version of libdpdk-dev"
    if [[ -r $IVSHMEM_DPDK_SRC/stamp ]]; then
        read -r stamp_ver stamp_dir < "$IVSHMEM_DPDK_SRC/stamp" || true
        if [[ ${stamp_ver:-} == "$sver" ]] && ivshmem_dpdk_src_dir > /dev/null; then
            log "DPDK source $spkg $sver already in $IVSHMEM_DPDK_SRC/$stamp_dir"
            return 0
        fi
        log "DPDK source in $IVSHMEM_DPDK_SRC is ${stamp_ver:-unknown}, installed is $sver: fetching again"
    fi
    apt_update_if_needed sources
    avail=$(available_source_versions "$spkg")
    if [[ " $avail " != *" $sver "* ]] && (( !APT_UPDATED )); then
        apt_update_if_needed force
        avail=$(available_source_versions "$spkg")
    fi
    if [[ " $avail " != *" $sver "* ]]; then
        local v=${avail%% *}
        die "the source of the installed DPDK is not available from apt.
  installed: libdpdk-dev from source $spkg $sver
  available: ${avail:-none (does any deb-src entry work? see apt-get update)}
  To match, install a DPDK whose source is available${v:+, e.g.:
    apt-get install dpdk=$v dpdk-dev=$v libdpdk-dev=$v}
  or add a deb-src entry (e.g. snapshot.debian.org) that carries $spkg $sver;
  then run $PROG again."
    fi
    tmp=$IVSHMEM_DEPS/dpdk-src.new
    rm -rf "$tmp"
    mkdir -p "$tmp"
    log "apt-get source $spkg=$sver into $IVSHMEM_DPDK_SRC"
    # apt's _apt user cannot write here; apt says so and downloads as root.
    (cd "$tmp" && apt-get "${APT_OPTS[@]}" source "$spkg=$sver" < /dev/null) ||
        die "apt-get source $spkg=$sver failed"
    dir=$(cd "$tmp" && find . -mindepth 1 -maxdepth 1 -type d -name "$spkg-*" -printf '%f\n' | head -n 1)
    [[ -n $dir && -d $tmp/$dir/lib/ethdev ]] ||
        die "apt-get source $spkg=$sver left no unpacked tree in $tmp"
    printf '%s %s\n' "$sver" "$dir" > "$tmp/stamp"
    rm -rf "$IVSHMEM_DPDK_SRC" "$IVSHMEM_DEPS/dpdk-sdk" "$IVSHMEM_L2FWD_DIR"
    mv "$tmp" "$IVSHMEM_DPDK_SRC"
    log "DPDK source $spkg $sver unpacked in $IVSHMEM_DPDK_SRC/$dir"
}

# --- driver-SDK headers --------------------------------------------------------

# Compile a file that includes every SDK header, with the installed DPDK's
# flags plus "$@". Compiler messages go to $PROBE_ERR.
probe_sdk() {
    local h
    for h in "${SDK_HEADERS[@]}"; do
        printf '#include <%s>\n' "$h"
    done > "$PROBE_DIR/probe.c"
    # shellcheck disable=SC2046 # pkg-config prints several words on purpose
    cc $(pkg-config --cflags libdpdk) "$@" -c "$PROBE_DIR/probe.c" \
        -o "$PROBE_DIR/probe.o" 2> "$PROBE_ERR"
}

# Copy the header included as <$1> from DPDK source tree $2 into the SDK dir.
copy_header() {
    local f
    f=$(find "$2/lib" "$2/drivers" -path "*/$1" -type f -print -quit)
    [[ -n $f ]] || return 1
    mkdir -p "$(dirname -- "$IVSHMEM_SDK_INC/$1")"
    cp "$f" "$IVSHMEM_SDK_INC/$1"
    log "  $1 <- ${f#"$2"/}"
}

# Sets SDK_OPT: the value for -Ddpdk_sdk (empty when DPDK has the headers).
ensure_sdk_headers() {
    local src sver stamp h missing
    PROBE_DIR=$(mktemp -d)
    PROBE_ERR=$PROBE_DIR/err
    trap 'rm -rf "$PROBE_DIR"' EXIT
    if probe_sdk; then
        log "installed DPDK has the driver-SDK headers: no copies needed"
        SDK_OPT=
        return 0
    fi
    SDK_OPT=$IVSHMEM_SDK_INC
    src=$(ivshmem_dpdk_src_dir) || die "no DPDK source tree in $IVSHMEM_DPDK_SRC"
    read -r sver _ < "$IVSHMEM_DPDK_SRC/stamp"
    stamp=$IVSHMEM_DEPS/dpdk-sdk/stamp
    if [[ -r $stamp && $(cat "$stamp") == "$sver" ]] && probe_sdk -I"$IVSHMEM_SDK_INC"; then
        log "driver-SDK headers for DPDK $sver already in $IVSHMEM_SDK_INC"
        return 0
    fi
    rm -rf "$IVSHMEM_DEPS/dpdk-sdk"
    mkdir -p "$IVSHMEM_SDK_INC"
    log "copying driver-SDK headers from $src into $IVSHMEM_SDK_INC:"
    for h in "${SDK_HEADERS[@]}"; do
        copy_header "$h" "$src" || die "$h not found in $src"
    done
    # Whatever those include that the installed DPDK lacks, too.
    for _ in $(seq 1 20); do
        probe_sdk -I"$IVSHMEM_SDK_INC" && break
        missing=$(sed -n 's/.*fatal error: \([^:]*\): No such file or directory.*/\1/p' "$PROBE_ERR" | head -n 1)
        if [[ -z $missing ]] || ! copy_header "$missing" "$src"; then
            cat "$PROBE_ERR" >&2
            die "the driver-SDK headers do not compile against the installed DPDK (messages above)"
        fi
        log "  ($missing is included by the SDK headers and missing from the installed DPDK)"
    done
    probe_sdk -I"$IVSHMEM_SDK_INC" || { cat "$PROBE_ERR" >&2; die "SDK probe still fails"; }
    printf '%s\n' "$sver" > "$stamp"
    log "driver-SDK headers ok: a file including all of them compiles"
}

# --- host ----------------------------------------------------------------------

setup_hugepages() {
    local want=${IVSHMEM_HUGEPAGES:-1024} have got
    [[ $want =~ ^[0-9]+$ ]] || die "IVSHMEM_HUGEPAGES=$want is not a number of 2 MiB pages"
    have=$(cat /proc/sys/vm/nr_hugepages 2>/dev/null || echo 0)
    if (( have >= want )); then
        log "hugepages: $have x 2 MiB reserved (wanted $want)"
    elif echo "$want" 2>/dev/null > /proc/sys/vm/nr_hugepages; then
        got=$(cat /proc/sys/vm/nr_hugepages)
        if (( got < want )); then
            warn "hugepages: only $got of $want x 2 MiB could be reserved; tests needing more use --no-huge or skip"
        else
            log "hugepages: reserved $got x 2 MiB"
        fi
    else
        warn "hugepages: cannot write /proc/sys/vm/nr_hugepages; tests use --no-huge or skip"
    fi
    if awk '$2 == "/dev/hugepages" && $3 == "hugetlbfs" { f = 1 } END { exit !f }' /proc/mounts; then
        log "hugetlbfs mounted on /dev/hugepages"
    elif mkdir -p /dev/hugepages && mount -t hugetlbfs -o pagesize=2M nodev /dev/hugepages; then
        log "mounted hugetlbfs on /dev/hugepages"
    else
        warn "cannot mount hugetlbfs on /dev/hugepages; tests use --no-huge or skip"
    fi
}

# None is needed on the host; kvm makes the VM tests fast, tun/vhost_net
# serve QEMU networking. A missing module is reported, never fatal.
load_modules() {
    local m mods=(kvm tun vhost_net)
    grep -qw vmx /proc/cpuinfo && mods+=(kvm_intel)
    grep -qw svm /proc/cpuinfo && mods+=(kvm_amd)
    for m in "${mods[@]}"; do
        if [[ -d /sys/module/$m ]]; then
            log "module $m: loaded"
        elif modprobe -q "$m" 2>/dev/null; then
            log "module $m: loaded now"
        else
            log "module $m: not available (not required)"
        fi
    done
    if [[ -r /dev/kvm && -w /dev/kvm ]]; then
        log "KVM: /dev/kvm usable, QEMU guests run accelerated"
    else
        warn "KVM: /dev/kvm not usable, QEMU guests fall back to TCG (slow)"
    fi
}

# gcc 12's and clang 14's TSan/ASan runtimes cannot map their shadow memory
# when the kernel randomises mmap with more than 28 bits (newer kernels
# default to 32): lower it to 28, the value those runtimes were made for.
setup_aslr() {
    local bits
    bits=$(cat /proc/sys/vm/mmap_rnd_bits 2>/dev/null) || return 0
    if (( bits <= 28 )); then
        log "vm.mmap_rnd_bits=$bits: fine for the sanitizers"
    elif echo 28 2>/dev/null > /proc/sys/vm/mmap_rnd_bits; then
        log "vm.mmap_rnd_bits: $bits -> 28 (sanitizer runtimes need <= 28)"
    else
        warn "vm.mmap_rnd_bits=$bits and cannot lower it: TSan/ASan tests may fail to start"
    fi
}

# --- build ---------------------------------------------------------------------

build_project() {
    local args=(-Ddpdk_sdk="$SDK_OPT")
    if [[ -f build/meson-private/coredata.dat ]]; then
        log "meson setup --reconfigure build ${args[*]}"
        meson setup --reconfigure build "${args[@]}"
    else
        log "meson setup build ${args[*]}"
        meson setup build "${args[@]}"
    fi
    log "ninja -C build"
    ninja -C build
}

# --- main ----------------------------------------------------------------------

main() {
    local start=$SECONDS
    case ${1:-} in
        -h|--help) usage; exit 0 ;;
        '') ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
    [[ $EUID -eq 0 ]] || die "run as root (it installs packages and reserves hugepages)"
    cd "$IVSHMEM_ROOT"
    log "preparing $(. /etc/os-release && echo "$PRETTY_NAME") for $IVSHMEM_ROOT"
    # The DPDK source is needed in any case (examples/l2fwd), so the deb-src
    # entry goes in before the one apt-get update.
    ensure_deb_src
    install_packages
    fetch_dpdk_source
    ensure_sdk_headers
    ivshmem_build_l2fwd
    setup_hugepages
    load_modules
    setup_aslr
    build_project
    log "done in $((SECONDS - start)) s; build/ is built${SDK_OPT:+ (driver-SDK headers from $SDK_OPT)}"
}

# Sourcing this file (to test a function) runs nothing.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    main "$@"
fi
