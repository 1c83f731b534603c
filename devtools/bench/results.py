# SPDX-License-Identifier: BSD-3-Clause
"""OUT/runs/ read back: one row per launch, as results.csv has it.

A timed launch is labelled rREP_TRANSPORT_SIZE_KIND (KIND tput or lat);
its files in runs/ are LABEL-SIDE.json and LABEL-env.txt, the JSON object
the launcher writes after it (cpu_busy_before_pct, try, c2c_rtt_ns,
c2c_rtt_ns_after). Launches moved to runs/disturbed/ are not read.
"""

import csv
import glob
import os
import re

from .common import get, load_json, rank

# results.csv, in this order (doc/perf/results.csv has the same).
COLUMNS = [
    "kind", "transport", "size", "rep", "ok", "disturbed", "stalled_pct",
    "cpu_busy_before_pct", "retries", "c2c_rtt_ns", "c2c_rtt_ns_after", "mpps",
    "gbps_wire", "tx_mpps", "rx_cycles_per_pkt", "tx_cycles_per_pkt",
    "rx_burst_cycles_per_pkt", "tx_burst_cycles_per_pkt",
    "tx_build_cycles_per_pkt", "tx_short_bursts", "doorbells_per_pkt",
    "rx_sleeps_per_pkt", "rx_total", "tx_total", "samples", "lost", "min",
    "p50", "p90", "p99", "p999", "max", "mean", "ping_doorbells_per_pkt",
    "pong_doorbells_per_pkt", "error"]

# The latency figures of a ping's rtt_us, in microseconds.
RTT_KEYS = ("min", "p50", "p90", "p99", "p999", "max", "mean")

_JSON_RE = re.compile(r"r(\d+)_(.+)_(\d+)_(tput|lat)-(\w+)\.json$")


def labels(runs):
    """(rep, transport, size, kind) of every launch in runs, as strings:
    latency first, then by transport (ORDER), size and repetition."""
    found = set()
    for path in glob.glob(os.path.join(glob.escape(runs), "r*_*_*_*-*.json")):
        m = _JSON_RE.match(os.path.basename(path))
        if m:
            found.add(m.groups()[:4])
    return sorted(found, key=lambda x: (x[3], rank(x[1]), int(x[2]), int(x[0])))


def _tput(r, rx, tx, transport):
    """The throughput fields of row r from the receiver's and the sender's
    JSON (a ceiling, *-null, has no receiver)."""
    null = transport.endswith("-null")
    ok = tx is not None and tx.get("ok") and (rx is None or rx.get("ok")) \
        and (rx is not None or null)
    # The figure: what arrived (rx); for the ceilings, what was sent.
    fig = get(rx, "rx", "mpps") if rx else get(tx, "tx", "mpps")
    wire = get(rx, "rx", "gbps_wire") if rx else get(tx, "tx", "gbps_wire")
    r.update(ok=bool(ok) and bool(fig), mpps=fig if ok else None,
             gbps_wire=wire if ok else None,
             tx_mpps=get(tx, "tx", "mpps"),
             rx_cycles_per_pkt=get(rx, "cpu", "busy_cycles_per_pkt"),
             tx_cycles_per_pkt=get(tx, "cpu", "busy_cycles_per_pkt"),
             rx_burst_cycles_per_pkt=get(rx, "rx", "burst_cycles_per_pkt"),
             tx_burst_cycles_per_pkt=get(tx, "tx", "burst_cycles_per_pkt"),
             tx_build_cycles_per_pkt=get(tx, "tx", "build_cycles_per_pkt"),
             tx_short_bursts=get(tx, "tx", "short_bursts"),
             doorbells_per_pkt=get(tx, "doorbells_per_pkt"),
             rx_sleeps_per_pkt=get(rx, "sleeps_per_pkt"),
             rx_total=get(rx, "rx", "packets_total"),
             tx_total=get(tx, "tx", "packets_total"),
             error=(get(rx, "error") or get(tx, "error") or
                    (None if rx or null else "no receiver JSON") or
                    (None if tx else "no sender JSON")))


def _lat(r, ping, pong):
    """The latency fields of row r (and its CDF, not a column) from the
    ping's and the pong's JSON."""
    rtt = get(ping, "rtt_us") or {}
    r.update(ok=bool(ping and ping.get("ok") and rtt.get("samples")),
             **{k: rtt.get(k) for k in ("samples", "lost") + RTT_KEYS},
             cdf=rtt.get("cdf"),
             ping_doorbells_per_pkt=get(ping, "doorbells_per_pkt"),
             pong_doorbells_per_pkt=get(pong, "doorbells_per_pkt"),
             error=get(ping, "error") or (None if ping else "no ping JSON"))


def read_launch(runs, label, max_stall):
    """The row of one launch; label as labels() gives it. A launch whose
    process was preempted more than max_stall percent of its window is
    disturbed."""
    rep, transport, size, kind = label
    base = os.path.join(runs, "r%s_%s_%s_%s" % label)
    r = {"rep": int(rep), "transport": transport, "size": int(size), "kind": kind}
    env = load_json(base + "-env.txt") or {}
    r["cpu_busy_before_pct"] = env.get("cpu_busy_before_pct")
    r["retries"] = env.get("try")
    r["c2c_rtt_ns"] = env.get("c2c_rtt_ns")
    r["c2c_rtt_ns_after"] = env.get("c2c_rtt_ns_after")
    stalls = []
    for side in ("rx", "tx", "ping", "pong"):
        f = get(load_json("%s-%s.json" % (base, side)), "cpu", "stalled_fraction")
        if f is not None:
            stalls.append(100 * f)
    r["stalled_pct"] = max(stalls) if stalls else None
    r["disturbed"] = r["stalled_pct"] is not None and r["stalled_pct"] > max_stall
    if kind == "tput":
        _tput(r, load_json(base + "-rx.json"), load_json(base + "-tx.json"), transport)
    else:
        _lat(r, load_json(base + "-ping.json"), load_json(base + "-pong.json"))
    return r


def read_rows(out, max_stall):
    """Every launch of the run in directory out, as rows."""
    runs = os.path.join(out, "runs")
    return [read_launch(runs, label, max_stall) for label in labels(runs)]


def write_csv(path, rows):
    """results.csv: COLUMNS of every row; what a row lacks is empty."""
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
