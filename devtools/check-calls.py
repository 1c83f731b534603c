#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Dependencies between source files run one way: no two files call each
other.

Reads the object files of a meson build directory with nm: within each
target (a <target>.p directory), file A depends on file B when A's object
uses a global symbol that B's object defines. Prints every pair of files
that depend on each other, with the symbols each side uses, and exits 1 if
there is one; exits 77 (skip) when nm or the objects are missing.

Usage: check-calls.py BUILD_DIR
"""
import os
import shutil
import subprocess
import sys
from collections import defaultdict


def symbols(obj):
    """(defined, undefined) global symbol sets of one object file."""
    out = subprocess.run(["nm", "--defined-only", "-g", obj], capture_output=True,
                         text=True, check=True).stdout
    defined = {line.split()[-1] for line in out.splitlines() if line.strip()}
    out = subprocess.run(["nm", "--undefined-only", "-g", obj], capture_output=True,
                         text=True, check=True).stdout
    undefined = {line.split()[-1] for line in out.splitlines() if line.strip()}
    return defined, undefined


def targets(build):
    """{target dir: [object paths]} for every target of the build."""
    found = defaultdict(list)
    for root, _dirs, files in os.walk(build):
        if "meson-private" in root or "meson-logs" in root:
            continue
        for f in files:
            if f.endswith(".o"):
                p = os.path.join(root, f)
                tdir = next((d for d in p.split(os.sep) if d.endswith(".p")), None)
                if tdir is not None:
                    found[os.path.relpath(root, build)].append(p)
    return found


def source_name(obj):
    """ivshmem_ctl.c for .../ivshmem_ctl.c.o (meson mangles the path of
    files outside the target's directory: keep what follows the last _)."""
    name = os.path.basename(obj)[:-2]
    return name


def cycles(objs):
    """[(a, b, syms a uses of b, syms b uses of a)] for mutual pairs."""
    info = {o: symbols(o) for o in objs}
    owner = {}
    for o, (defined, _u) in info.items():
        for s in defined:
            owner[s] = o
    uses = defaultdict(lambda: defaultdict(set))
    for o, (_d, undefined) in info.items():
        for s in undefined:
            if s in owner and owner[s] != o:
                uses[o][owner[s]].add(s)
    found = []
    for a in sorted(uses):
        for b in sorted(uses[a]):
            if a < b and a in uses.get(b, {}):
                found.append((a, b, uses[a][b], uses[b][a]))
    return found


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    build = sys.argv[1]
    if shutil.which("nm") is None:
        print("check-calls: SKIP: nm not installed (binutils)")
        return 77
    tgts = targets(build)
    if not tgts:
        print(f"check-calls: SKIP: no object files under {build}: build first")
        return 77
    bad = 0
    for tdir in sorted(tgts):
        for a, b, ab, ba in cycles(tgts[tdir]):
            bad += 1
            print(f"check-calls: {tdir}: {source_name(a)} and {source_name(b)} call each other:")
            print(f"  {source_name(a)} uses {', '.join(sorted(ab))}")
            print(f"  {source_name(b)} uses {', '.join(sorted(ba))}")
    nobj = sum(len(v) for v in tgts.values())
    if bad:
        print(f"check-calls: FAIL: {bad} pair(s) of files call each other "
              f"({len(tgts)} targets, {nobj} objects)")
        return 1
    print(f"check-calls: PASS: no two files call each other ({len(tgts)} targets, {nobj} objects)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
