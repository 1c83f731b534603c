# SPDX-License-Identifier: BSD-3-Clause
"""What the launcher asks about one launch while the run goes on.

A launch is named by its base path, OUT/runs/LABEL: its processes wrote
LABEL-SIDE.json (ivshmem-bench --json, or testpmd's figures made JSON by
testpmd_result) and LABEL-SIDE.log, SIDE being rx, tx, ping or pong; a
callgrind launch also LABEL.callgrind.
"""

import glob
import json
import re

from .common import get, load_json

SIDES = ("rx", "tx", "pong", "ping")


def brief(base, a_status, b_status):
    """One line about launch base: each side's figure or error, and the exit
    statuses of side A (receiver) and side B (sender) unless both are 0."""
    out = []
    for side in SIDES:
        path = "%s-%s.json" % (base, side)
        try:
            with open(path) as f:
                j = json.load(f)
        except FileNotFoundError:
            continue
        except ValueError:
            out.append("%s: no JSON (see %s-%s.log)" % (side, base, side))
            continue
        if not j.get("ok", False):
            out.append("%s FAILED: %s" % (side, j.get("error")))
        elif side in ("rx", "tx") and j.get(side):
            out.append("%s %.3f Mpps" % (side, j[side]["mpps"] or 0))
        elif side == "ping" and j.get("rtt_us", {}).get("p50") is not None:
            r = j["rtt_us"]
            out.append("rtt p50 %.2f p99 %.2f max %.1f us (%d samples)" %
                       (r["p50"], r["p99"], r["max"], r["samples"]))
    if a_status not in ("0", "") or b_status not in ("0", ""):
        out.append("exit %s/%s" % (a_status, b_status))
    return "; ".join(out) or "no result"


def stalled_pct(base):
    """The largest share of its window, in percent, that a process of
    launch base spent preempted (ivshmem-bench's cpu.stalled_fraction), or
    None when no JSON of the launch says."""
    v = []
    for path in glob.glob(glob.escape(base) + "-*.json"):
        f = get(load_json(path), "cpu", "stalled_fraction")
        if f is not None:
            v.append(100 * f)
    return max(v) if v else None


def callgrind_total(path):
    """The instruction count on the "summary:" line of a callgrind file."""
    with open(path) as f:
        m = re.search(r"^summary: (\d+)", f.read(), re.M)
    if m is None:
        raise ValueError("no summary line in %s" % path)
    return int(m.group(1))


def instructions(base, side):
    """Instructions per packet of side (rx or tx) of callgrind launch base:
    a dict (also written to base.instr.json) and a line for the log. The
    dict is None, and the line says why, when the launch left no result."""
    try:
        with open("%s-%s.json" % (base, side)) as f:
            j = json.load(f)
        ir = callgrind_total(base + ".callgrind")
        d = j[side]
        pk = d["packets_total"]
        calls = d["burst_calls"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        return None, "no result (%s)" % e
    idle = d.get("empty_polls", d.get("zero_bursts")) or 0
    r = {"ir": ir, "packets": pk, "ir_per_pkt": ir / pk if pk else None,
         "idle_call_fraction": idle / calls if calls else None,
         "pkts_per_productive_call": d.get("pkts_per_productive_call")}
    with open(base + ".instr.json", "w") as f:
        json.dump(r, f)
    line = "%s instructions per packet over %d packets (%.1f%% of the calls moved none)" % (
        "%.1f" % r["ir_per_pkt"] if pk else "n/a", pk,
        100 * (r["idle_call_fraction"] or 0))
    return r, line


def testpmd_result(log_text, size, role="tx"):
    """dpdk-testpmd's figure as ivshmem-bench's JSON would give it: the
    last Tx-pps (txonly, role tx) or Rx-pps (rxonly, role rx) of "show port
    stats", the mean since the previous one (the window)."""
    key = "Tx-pps" if role == "tx" else "Rx-pps"
    pps = [int(x) for x in re.findall(key + r":\s+(\d+)", log_text)]
    ok = len(pps) >= 2 and pps[-1] > 0
    mpps = pps[-1] / 1e6 if ok else 0.0
    return {"tool": "dpdk-testpmd", "role": role, "ok": ok,
            "error": None if ok else "no %s in the log" % key, "size_bytes": size,
            role: {"mpps": mpps, "gbps_l2": mpps * size * 8 / 1e3,
                   "gbps_wire": mpps * (size + 24) * 8 / 1e3}}


def c2c_p50(text):
    """The p50 of ivshmem-bench --role c2c --json output, as a JSON value
    ("null" when the probe failed)."""
    try:
        return json.dumps(json.loads(text)["c2c_rtt_ns"]["p50"])
    except (ValueError, KeyError, TypeError):
        return "null"
