# SPDX-License-Identifier: BSD-3-Clause
"""Helpers of every bench module: JSON files that may be missing or cut
short, nested keys that may be absent, medians of what is there, and the
order transports are shown in."""

import json
import statistics

# Ours, the peers it is compared with, and every transport in the order of
# the tables and plots (the launcher's names).
OURS = "ivshmem"
# Our zero-copy transports: RX only, and both ways (pool TX).
OURS_ZC = ("ivshmem-zcrx", "ivshmem-zc", "ivshmem-zc-all")
PEERS = ("memif", "memif-zc", "vhost")
ORDER = ("ivshmem", "ivshmem-zcrx", "ivshmem-zc", "ivshmem-zc-all", "ivshmem-intr", "memif",
         "memif-zc", "vhost", "testpmd-ivshmem", "testpmd-ivshmem-zcrx", "testpmd-memif-zc",
         "testpmd-null", "bench-null")
# Where a transport unknown to ORDER goes: last.
UNKNOWN_RANK = 99


def rank(transport):
    """Position of a transport in ORDER (UNKNOWN_RANK when not there)."""
    return ORDER.index(transport) if transport in ORDER else UNKNOWN_RANK


def load_json(path):
    """The JSON object in path, or None when it is missing or not JSON."""
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def get(obj, *keys):
    """obj[k0][k1]..., or None as soon as a level is not a dict or the
    value is absent or null."""
    for k in keys:
        if not isinstance(obj, dict) or obj.get(k) is None:
            return None
        obj = obj[k]
    return obj


def median(values):
    """Median of a list, None for an empty one."""
    return statistics.median(values) if values else None


def fmt(value, spec=".3f"):
    """value formatted with spec, or "n/a" for None."""
    return "n/a" if value is None else format(value, spec)


def ratio(a, b):
    """a / b, or None when a is unknown or b unknown or zero."""
    return a / b if a is not None and b else None
