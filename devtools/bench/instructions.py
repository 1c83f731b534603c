# SPDX-License-Identifier: BSD-3-Clause
"""bench-compare --instructions read back: instructions per packet inside
the PMD's burst calls from OUT/runs/cg_TRANSPORT_SIZE_SIDE.instr.json
(launch.instructions writes them), as instructions.csv and a table."""

import csv
import glob
import json
import os
import re

# The transports callgrind is run on, in the table's order.
ORDER = ("ivshmem", "ivshmem-zcrx", "ivshmem-zc", "memif", "memif-zc", "vhost")
COLUMNS = ["transport", "size", "side", "instructions_per_pkt", "packets",
           "idle_call_fraction"]

_FILE_RE = re.compile(r"cg_(.+)_(\d+)_(rx|tx)\.instr\.json$")


def read(runs):
    """{(transport, size, side): the launch's dict} for every launch."""
    rows = {}
    for path in glob.glob(os.path.join(glob.escape(runs), "cg_*.instr.json")):
        m = _FILE_RE.match(os.path.basename(path))
        if m:
            with open(path) as f:
                rows[(m.group(1), int(m.group(2)), m.group(3))] = json.load(f)
    return rows


def write_csv(path, rows):
    """instructions.csv, sorted by transport name, size and side."""
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(COLUMNS)
        for (t, s, side), r in sorted(rows.items()):
            w.writerow([t, s, side, r["ir_per_pkt"], r["packets"], r["idle_call_fraction"]])


def _cell(r):
    return "%.0f" % r["ir_per_pkt"] if r and r["ir_per_pkt"] else "n/a"


def text(rows):
    """The table: a line per size, "tx / rx" per transport, as lines."""
    ts = [t for t in ORDER if any(k[0] == t for k in rows)]
    out = ["", "Instructions per packet inside the PMD's burst calls (callgrind; tx side / rx side;"
           " the tx side includes freeing the sent mbufs, the rx side allocating the received"
           " ones and the application's free of them, where zero-copy's free callbacks run)",
           "%-8s" % "size" + "".join("%22s" % t for t in ts)]
    for s in sorted({k[1] for k in rows}):
        out.append("%-8s" % ("%d B" % s) + "".join(
            "%22s" % ("%s / %s" % (_cell(rows.get((t, s, "tx"))), _cell(rows.get((t, s, "rx")))))
            for t in ts))
    return out
