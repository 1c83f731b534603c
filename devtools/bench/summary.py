# SPDX-License-Identifier: BSD-3-Clause
"""Rows of launches -> the figures of the run: for each transport and size
the median and the best launch, ours against each peer, and the targets.

A figure counts the launches that worked and were not disturbed; when
every launch that worked was disturbed, those (and the figure is flagged
disturbed_only). Nothing here passes or fails: targets are met or not.
"""

from .common import OURS, OURS_ZC, PEERS, fmt, median, rank, ratio
from .results import RTT_KEYS

# The PMD refused the frame size: not a failure (bench_port.c's messages).
UNSUPPORTED_MARKS = ("MTU", "multi-segment")


def usable(rows):
    """(the launches that count, whether they are all disturbed)."""
    ok = [r for r in rows if r["ok"]]
    calm = [r for r in ok if not r["disturbed"]]
    return (calm, False) if calm else (ok, bool(ok))


def group(rows):
    """Rows by (transport, size) for throughput and by transport for
    latency: {key: {"rows": [...], "fail": N}}, in the order met."""
    tput, lat = {}, {}
    for r in rows:
        if r["kind"] == "tput":
            d = tput.setdefault((r["transport"], r["size"]), {"fail": 0, "rows": []})
        else:
            d = lat.setdefault(r["transport"], {"fail": 0, "rows": []})
        d["rows"].append(r)
        d["fail"] += not r["ok"]
    return tput, lat


def _median_of(rows, key):
    return median([r[key] for r in rows if r[key] is not None])


def throughput_entry(transport, size, rows, failed):
    """summary.json's entry for one transport and size."""
    use, disturbed_only = usable(rows)
    mpps = [r["mpps"] for r in use]
    e = {"transport": transport, "size": size, "launches": len(rows),
         "failed": failed, "used": len(use), "disturbed_only": disturbed_only,
         "mpps_median": median(mpps), "mpps_best": max(mpps) if mpps else None,
         "gbps_wire_median": median([r["gbps_wire"] for r in use]),
         "rx_cycles_per_pkt_median": _median_of(use, "rx_cycles_per_pkt"),
         "tx_cycles_per_pkt_median": _median_of(use, "tx_cycles_per_pkt"),
         "doorbells_per_pkt_median": _median_of(use, "doorbells_per_pkt"),
         "errors": sorted({r["error"] for r in rows if r["error"]})}
    e["unsupported"] = not use and all(
        r["error"] and any(m in r["error"] for m in UNSUPPORTED_MARKS) for r in rows)
    e["stalled_pct_max"] = max([r["stalled_pct"] for r in use
                                if r["stalled_pct"] is not None], default=None)
    return e


def latency_entry(transport, rows, failed):
    """summary.json's entry for one transport's ping-pong."""
    use, disturbed_only = usable(rows)
    e = {"transport": transport, "launches": len(rows), "failed": failed,
         "used": len(use), "disturbed_only": disturbed_only}
    for k in RTT_KEYS:
        e[k + "_median"] = median([r[k] for r in use])
    e["p50_best"] = min([r["p50"] for r in use], default=None)
    e["p99_best"] = min([r["p99"] for r in use], default=None)
    e["ping_doorbells_per_pkt_median"] = _median_of(use, "ping_doorbells_per_pkt")
    e["stalled_pct_max"] = max([r["stalled_pct"] for r in use
                                if r["stalled_pct"] is not None], default=None)
    e["c2c_rtt_ns_median"] = median([r["c2c_rtt_ns"] for r in use
                                     if r.get("c2c_rtt_ns") is not None])
    # The CDF of the median launch (by p50), for the plot.
    if use:
        by_p50 = sorted(use, key=lambda r: r["p50"])
        e["cdf"] = by_p50[(len(by_p50) - 1) // 2]["cdf"]
    return e


def add_ratios(throughput):
    """Ours (copy and zero-copy) against each peer at the same size, best
    vs best and median vs median: e["vs_PEER"] in our entries."""
    by_key = {(e["transport"], e["size"]): e for e in throughput}
    for e in throughput:
        if e["transport"] != OURS and e["transport"] not in OURS_ZC:
            continue
        for p in PEERS:
            q = by_key.get((p, e["size"]))
            if q:
                e["vs_" + p] = {"best": ratio(e["mpps_best"], q["mpps_best"]),
                                "median": ratio(e["mpps_median"], q["mpps_median"])}


def _target(name, met, detail):
    return {"target": name, "met": met, "detail": detail}


def _both_ways(name, ours, peer, factor):
    """ours >= factor x peer, best vs best and median vs median."""
    b = ratio(ours["mpps_best"], peer["mpps_best"])
    m = ratio(ours["mpps_median"], peer["mpps_median"])
    return _target(name, b is not None and m is not None and b >= factor and m >= factor,
                   "best %s / %s Mpps = x%s; median %s / %s Mpps = x%s" %
                   (fmt(ours["mpps_best"]), fmt(peer["mpps_best"]), fmt(b, ".2f"),
                    fmt(ours["mpps_median"]), fmt(peer["mpps_median"]), fmt(m, ".2f")))


def zero_copy_targets(tput):
    """The zero-copy targets (doc/performance.md), where the run has the
    transports they compare."""
    out = []
    for size, peer, factor in ((1500, "memif-zc", 3), (1500, "vhost", 3), (9000, "vhost", 5)):
        z, p = tput.get(("ivshmem-zc", size)), tput.get((peer, size))
        if z and p:
            out.append(_both_ways("%dB ivshmem-zc >= %gx %s" % (size, factor, peer), z, p, factor))
    z = tput.get(("testpmd-ivshmem-zcrx", 1500))
    for peer, factor in (("testpmd-ivshmem", 1.5), ("testpmd-memif-zc", 1.2)):
        p = tput.get((peer, 1500))
        if z and p:
            out.append(_both_ways("1500B testpmd txonly->rxonly zero_copy=yes >= %gx %s"
                                  % (factor, peer), z, p, factor))
    c = tput.get((OURS, 64))
    for t in OURS_ZC:
        z = tput.get((t, 64))
        if z and c:
            out.append(_both_ways("64B %s no slower than copy" % t, z, c, 1))
    return out


def targets(tput, lat):
    """The verdicts on the project's targets (doc/performance.md), from the
    entries by (transport, size) and by transport."""
    out = []
    o64, c64 = tput.get((OURS, 64)), tput.get(("testpmd-null", 64))
    if o64 and c64 and c64["mpps_median"]:
        r = ratio(o64["mpps_median"], c64["mpps_median"])
        out.append(_target(
            "64B >= 80% of the txonly ceiling", r is not None and r >= 0.8,
            "ours median %s Mpps / testpmd txonly->net_null median %s Mpps = %s" %
            (fmt(o64["mpps_median"]), fmt(c64["mpps_median"]),
             fmt(r and 100 * r, ".1f") + "%")))
    for size in (64, 1500):
        o = tput.get((OURS, size))
        for p in ("memif", "memif-zc"):
            m = tput.get((p, size))
            if not (o and m):
                continue
            r = ratio(o["mpps_best"], m["mpps_best"])
            out.append(_target(
                "%dB >= 1.5x %s (best vs best)" % (size, p), r is not None and r >= 1.5,
                "ours best %s Mpps, %s best %s Mpps: x%s" %
                (fmt(o["mpps_best"]), p, fmt(m["mpps_best"]), fmt(r, ".2f"))))
            if size == 64:
                out.append(_target(
                    "64B our median >= %s best" % p,
                    o["mpps_median"] is not None and m["mpps_best"] is not None
                    and o["mpps_median"] >= m["mpps_best"],
                    "ours median %s Mpps, %s best %s Mpps" %
                    (fmt(o["mpps_median"]), p, fmt(m["mpps_best"]))))
    ol = lat.get(OURS)
    for p in ("memif", "memif-zc"):
        ml = lat.get(p)
        if ol and ml:
            out.append(_target(
                "ping-pong p50 <= %s" % p,
                ol["p50_median"] is not None and ml["p50_median"] is not None
                and ol["p50_median"] <= ml["p50_median"],
                "ours p50 median %s us, %s %s us" %
                (fmt(ol["p50_median"]), p, fmt(ml["p50_median"]))))
    if ol:
        out.append(_target(
            "ping-pong p99 < 1 us", ol["p99_median"] is not None and ol["p99_median"] < 1.0,
            "ours p99 median %s us (best launch %s us)" %
            (fmt(ol["p99_median"]), fmt(ol["p99_best"]))))
    for size in (64, 1500):
        i = tput.get(("ivshmem-intr", size))
        if i:
            v = i["doorbells_per_pkt_median"]
            out.append(_target(
                "intr mode < 1 doorbell per 1000 packets at saturation (%dB)" % size,
                v is not None and v < 0.001,
                "%s doorbells per 1000 packets (median), receiver in rte_epoll_wait when idle"
                % fmt(v and 1000 * v, ".4f")))
    return out + zero_copy_targets(tput)


def summarise(rows):
    """summary.json's object: {"throughput": [...], "latency": [...],
    "targets": [...]}, entries in ORDER then by size."""
    tput, lat = group(rows)
    summary = {"throughput": [], "latency": [], "targets": []}
    for (t, size), d in sorted(tput.items(), key=lambda x: (rank(x[0][0]), x[0][1])):
        summary["throughput"].append(throughput_entry(t, size, d["rows"], d["fail"]))
    for t, d in sorted(lat.items(), key=lambda x: rank(x[0])):
        summary["latency"].append(latency_entry(t, d["rows"], d["fail"]))
    add_ratios(summary["throughput"])
    summary["targets"] = targets(by_size(summary), by_transport(summary))
    return summary


def by_size(summary):
    """Throughput entries by (transport, size)."""
    return {(e["transport"], e["size"]): e for e in summary["throughput"]}


def by_transport(summary):
    """Latency entries by transport."""
    return {e["transport"]: e for e in summary["latency"]}
