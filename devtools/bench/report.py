# SPDX-License-Identifier: BSD-3-Clause
"""The summary written out: summary.json, summary.csv, the gnuplot data
(throughput.dat, latency.dat, cdf-TRANSPORT.dat, plot-transports.txt,
plot-latency.txt, read by devtools/bench-plot.gp) and the table for people
(the launcher keeps it as summary.txt)."""

import csv
import json
import os

from .common import OURS, OURS_ZC, ORDER, PEERS, fmt
from .results import RTT_KEYS
from .summary import by_size

SUMMARY_COLUMNS = [
    "transport", "size", "launches", "failed", "mpps_median", "mpps_best",
    "gbps_wire_median", "rx_cycles_per_pkt_median", "tx_cycles_per_pkt_median",
    "doorbells_per_pkt_median", "ours_vs_memif_best", "ours_vs_memif_median",
    "ours_vs_memif_zc_best", "ours_vs_memif_zc_median", "ours_vs_vhost_best",
    "ours_vs_vhost_median"]
LATENCY_COLUMNS = [
    "latency_transport", "launches", "failed", "min_us", "p50_us", "p90_us",
    "p99_us", "p999_us", "max_us", "mean_us", "p50_best_us", "p99_best_us",
    "ping_doorbells_per_pkt"]
# The percentiles plotted (latency.dat), in microseconds.
PLOTTED_RTT = ("min", "p50", "p90", "p99", "p999", "max")


def shown(summary):
    """(transports in ORDER that have a throughput figure, their sizes)."""
    tput = by_size(summary)
    return ([t for t in ORDER if any(k[0] == t for k in tput)],
            sorted({k[1] for k in tput}))


def write_json(path, summary):
    with open(path, "w") as f:
        json.dump(summary, f, indent=1)


def write_csv(path, summary):
    """Throughput rows, an empty row, latency rows."""
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(SUMMARY_COLUMNS)
        for e in summary["throughput"]:
            vs = [(e.get("vs_" + p) or {}).get(k) for p in PEERS for k in ("best", "median")]
            w.writerow([e["transport"], e["size"], e["launches"], e["failed"],
                        e["mpps_median"], e["mpps_best"], e["gbps_wire_median"],
                        e["rx_cycles_per_pkt_median"], e["tx_cycles_per_pkt_median"],
                        e["doorbells_per_pkt_median"]] + vs)
        w.writerow([])
        w.writerow(LATENCY_COLUMNS)
        for e in summary["latency"]:
            w.writerow([e["transport"], e["launches"], e["failed"]] +
                       [e[k + "_median"] for k in RTT_KEYS] +
                       [e["p50_best"], e["p99_best"], e["ping_doorbells_per_pkt_median"]])


def _nan(value):
    return fmt(value, ".4f").replace("n/a", "NaN")


def write_plot_data(out, summary):
    """The files devtools/bench-plot.gp reads, in directory out."""
    tput = by_size(summary)
    ts, sizes = shown(summary)
    with open(os.path.join(out, "throughput.dat"), "w") as f:
        f.write("# size " + " ".join("%s %s_best" % (t, t) for t in ts) + "\n")
        for s in sizes:
            vals = []
            for t in ts:
                e = tput.get((t, s))
                vals += [_nan(e and e["mpps_median"]), _nan(e and e["mpps_best"])]
            f.write("%d %s\n" % (s, " ".join(vals)))
    with open(os.path.join(out, "latency.dat"), "w") as f:
        f.write("# transport min p50 p90 p99 p999 max (us, medians over launches)\n")
        for e in summary["latency"]:
            f.write("%s %s\n" % (e["transport"], " ".join(
                _nan(e[k + "_median"]) for k in PLOTTED_RTT)))
    for e in summary["latency"]:
        with open(os.path.join(out, "cdf-%s.dat" % e["transport"]), "w") as f:
            f.write("# rtt_us quantile (median launch)\n")
            for us, q in e.get("cdf") or []:
                f.write("%.4f %g\n" % (us, q))
    with open(os.path.join(out, "plot-transports.txt"), "w") as f:
        f.write(" ".join(ts) + "\n")
    with open(os.path.join(out, "plot-latency.txt"), "w") as f:
        f.write(" ".join(e["transport"] for e in summary["latency"]) + "\n")


def _throughput_cell(e):
    if not e or e["mpps_median"] is None:
        return "n/a" if not e else "unsupported" if e["unsupported"] else "failed"
    return "%s%.2f / %.2f" % ("!" if e["disturbed_only"] else "",
                              e["mpps_median"], e["mpps_best"])


def text(summary, rows, repeat, max_stall):
    """The table for people, as lines."""
    tput = by_size(summary)
    ts, sizes = shown(summary)
    out = ["", "Throughput, tx -> rx, burst 32, Mpps received (median / best of %d launches;"
           " !: every launch was preempted > %g%% of its window)" % (repeat, max_stall)]
    # columns of 18, wider for a long transport name
    w = max([18] + [len(t) + 2 for t in ts])
    out.append("%-13s" % "size" + "".join("%*s" % (w, t) for t in ts))
    for s in sizes:
        out.append("%-13s" % ("%d B" % s) +
                   "".join("%*s" % (w, _throughput_cell(tput.get((t, s)))) for t in ts))
    out += ["", "ours / peer (median vs median, best vs best):"]
    for s in sizes:
        e = tput.get((OURS, s)) or {}
        parts = []
        for p in PEERS:
            v = e.get("vs_" + p)
            if v and v["median"] is not None:
                parts.append("%s x%.2f / x%.2f" % (p, v["median"], v["best"]))
        out.append("  %5d B: %s" % (s, "; ".join(parts) or "n/a"))
        for z in OURS_ZC:
            e = tput.get((z, s)) or {}
            parts = ["%s x%.2f / x%.2f" % (p, e["vs_" + p]["median"], e["vs_" + p]["best"])
                     for p in PEERS
                     if e.get("vs_" + p) and e["vs_" + p]["median"] is not None]
            if parts:
                out.append("  %5d B %s: %s" % (s, z, "; ".join(parts)))
    out += ["", "Cycles per packet (median; TSC cycles of one busy-polling core while it"
            " ran / packets): rx side/tx side"]
    for s in sizes:
        line = "  %5d B:" % s
        for t in ts:
            e = tput.get((t, s))
            if e and e["mpps_median"] is not None:
                line += "  %s %s/%s" % (t, fmt(e["rx_cycles_per_pkt_median"], ".0f"),
                                        fmt(e["tx_cycles_per_pkt_median"], ".0f"))
        out.append(line)
    if summary["latency"]:
        row = "%-13s %8s %8s %8s %8s %8s %8s %8s   %-17s %s"
        out += ["", "Ping-pong RTT, 64 B, 1 packet per round (us, median over launches;"
                " best p50 / p99)"]
        out.append(row % ("transport", "min", "p50", "p90", "p99", "p99.9", "max",
                          "mean", "best p50/p99", "c2c ns"))
        for e in summary["latency"]:
            out.append(row % ((("!" if e["disturbed_only"] else "") + e["transport"],) +
                              tuple(fmt(e[k + "_median"]) for k in RTT_KEYS) +
                              ("%s / %s" % (fmt(e["p50_best"]), fmt(e["p99_best"])),
                               fmt(e["c2c_rtt_ns_median"], ".0f"))))
    out += ["", "Targets (reported, not pass/fail):"]
    for t in summary["targets"]:
        out.append("  [%s] %s: %s" % ("met" if t["met"] else "NOT met", t["target"], t["detail"]))
    uns = ["%s %d B (%s)" % (e["transport"], e["size"], e["errors"][0])
           for e in summary["throughput"] if e["unsupported"]]
    if uns:
        out += ["", "Not supported by the PMD:"] + ["  " + u for u in uns]
    c2c = sorted(v for r in rows for v in (r.get("c2c_rtt_ns"), r.get("c2c_rtt_ns_after"))
                 if v is not None)
    if c2c:
        out += ["", "Cache-line round trip between the two cores before and after each launch"
                " (ivshmem-bench --role c2c, p50): min %.0f ns, median %.0f ns, max %.0f ns"
                " over %d probes; cross-core figures move with it (results.csv: c2c_rtt_ns,"
                " c2c_rtt_ns_after)" % (c2c[0], c2c[len(c2c) // 2], c2c[-1], len(c2c))]
    nd = sum(1 for r in rows if r["disturbed"])
    out += ["", "%d of %d launches kept were preempted more than %g%% of their window"
            " (results.csv: disturbed); disturbed launches launched again are in"
            " runs/disturbed/" % (nd, len(rows), max_stall)]
    bad = [(e["transport"], e["size"], e["failed"], e["errors"])
           for e in summary["throughput"] if e["failed"] and not e["unsupported"]]
    bad += [(e["transport"], "ping", e["failed"], []) for e in summary["latency"] if e["failed"]]
    if bad:
        out += ["", "Launches that failed (see runs/*.log):"]
        out += ["  %s %s: %d failed %s" % (t, s, n, "; ".join(errs)) for t, s, n, errs in bad]
    return out
