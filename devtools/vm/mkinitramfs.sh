#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Build the test guest's initramfs, or reuse the cached one, and print its
# path. Contents: busybox-static, the kernel modules the guest needs (with
# their dependencies, resolved from modules.dep, decompressed), and
# devtools/vm/init as /init.
#
# Usage: mkinitramfs.sh [-f]     -f rebuilds even when the cache is fresh
#
# Cache: build-deps/vm/initramfs-<kernel version>-<hash>.cpio, where the hash
# covers this script, init, busybox and the kernel's modules.dep.
set -euo pipefail
# shellcheck source=devtools/vm/vmlib.sh
. "$(dirname "${BASH_SOURCE[0]}")/vmlib.sh"

# Modules the guest loads, by name; their dependencies are added.
# virtio_pci + 9pnet_virtio + 9p: the host root and the job directory.
# overlay: a writable root over the read-only host root.
# vfio_pci + vfio_iommu_type1: user-space access to the ivshmem device.
MODULES="virtio_pci 9pnet_virtio 9p overlay vfio_pci vfio_iommu_type1"
BUSYBOX=${VM_BUSYBOX:-/bin/busybox}

force=0
case "${1:-}" in
-f) force=1 ;;
"") ;;
*) echo "usage: $0 [-f]" >&2; exit 2 ;;
esac

kver=$(vm_kernel_version) || vm_die "no guest kernel: apt-get install linux-image-amd64"
moddir=/lib/modules/$kver
[ -x "$BUSYBOX" ] || vm_die "no $BUSYBOX: apt-get install busybox-static"
ldd "$BUSYBOX" >/dev/null 2>&1 && vm_die "$BUSYBOX is dynamically linked: apt-get install busybox-static"

hash=$(cat "${BASH_SOURCE[0]}" "$VM_DIR/init" "$BUSYBOX" "$moddir/modules.dep" |
	sha256sum | cut -c1-12)
out=$VM_CACHE/initramfs-$kver-$hash.cpio
if [ $force = 0 ] && [ -s "$out" ]; then
	echo "$out"
	exit 0
fi
vm_cache_lock
if [ $force = 0 ] && [ -s "$out" ]; then
	echo "$out"     # made by a concurrent run
	exit 0
fi

# Module name as the kernel knows it: file name without .ko[.xz|.zst|.gz],
# dashes as underscores.
# Prints module paths (relative to $moddir) in load order: each module after
# everything it depends on. modules.dep lists every module with all of its
# dependencies; builtin modules are not in it and need no loading.
resolve_modules() {
	awk -v want="$MODULES" -v builtin="$moddir/modules.builtin" '
	function norm(p, n) {
		n = p; sub(/.*\//, "", n); sub(/\.ko(\.(xz|zst|gz))?$/, "", n)
		gsub(/-/, "_", n); return n
	}
	function visit(n, k, a, i) {
		if (n in done || n in inkernel) return
		if (!(n in path)) { missing = missing " " n; return }
		done[n] = 1
		k = split(deps[n], a, " ")
		for (i = k; i >= 1; i--) visit(a[i])
		print path[n]
	}
	BEGIN { while ((getline l < builtin) > 0) inkernel[norm(l)] = 1 }
	{
		p = $1; sub(/:$/, "", p); n = norm(p); path[n] = p; deps[n] = ""
		for (i = 2; i <= NF; i++) deps[n] = deps[n] " " norm($i)
	}
	END {
		k = split(want, w, " ")
		for (i = 1; i <= k; i++) visit(w[i])
		if (missing != "") { print "modules not found:" missing > "/dev/stderr"; exit 1 }
	}' "$moddir/modules.dep"
}

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,sbin,etc,lib/modules,proc,sys,dev,host,newroot,rw,usr/bin,usr/sbin}
cp "$BUSYBOX" "$stage/bin/busybox"
cp "$VM_DIR/init" "$stage/init"
chmod 0755 "$stage/init"

mods=$(resolve_modules) || vm_die "cannot resolve guest modules for $kver"
: > "$stage/etc/modules.load"
for m in $mods; do
	f=$moddir/$m
	name=${m##*/}
	case "$m" in
	*.ko.xz) name=${name%.xz}; xz -dc "$f" > "$stage/lib/modules/$name" ;;
	*.ko.zst) name=${name%.zst}; zstd -qdc "$f" > "$stage/lib/modules/$name" ;;
	*.ko.gz) name=${name%.gz}; gzip -dc "$f" > "$stage/lib/modules/$name" ;;
	*) cp "$f" "$stage/lib/modules/$name" ;;
	esac
	echo "${name%.ko}" >> "$stage/etc/modules.load"
done

# No compression: the kernel unpacks a plain cpio fastest, and it is small.
(cd "$stage" && find . -print0 | LC_ALL=C sort -z |
	"$BUSYBOX" cpio -o -H newc -0 2>/dev/null) > "$out.tmp.$$"
mv "$out.tmp.$$" "$out"
# Drop initramfs images of older versions of the inputs.
for f in "$VM_CACHE"/initramfs-*.cpio; do
	[ "$f" = "$out" ] || rm -f "$f"
done
vm_log "built $out ($(du -k "$out" | cut -f1) KiB; modules: $(tr '\n' ' ' < "$stage/etc/modules.load"))"
echo "$out"
