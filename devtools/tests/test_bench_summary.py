#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Self-test of devtools/bench_summary.py on canned results (meson suite
fast). bench-canned/timed/runs/ is a bench-compare run of 25 launches
trimmed to the keys the summariser reads, with:

  ivshmem 64 B      30, 20, 40 Mpps; the 40 is disturbed (12 % stalled)
  ivshmem 1500 B    2.0, 3.0, 2.5
  ivshmem-intr 64   20, 22, 21, every one disturbed (8, 6, 7 %)
  memif 64 B        10, 12.5, 15
  memif 1500 B      1.5, 2.0, and a launch that failed
  memif 9000 B      one launch, refused by the PMD (MTU): unsupported
  testpmd-null 64   40, 36, 44 (Tx-pps in its log)
  latency           ivshmem p50 0.30, 0.25, 0.40; memif 0.50, 0.45, 0.60

bench-canned/instructions/runs/ has callgrind launches. Every expected
figure below is worked out by hand from those inputs.
"""

import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
DEVTOOLS = os.path.dirname(HERE)
CANNED = os.path.join(HERE, "bench-canned")
PROG = os.path.join(DEVTOOLS, "bench_summary.py")


def run(*args, stdin=None):
    """bench_summary.py ARGS: its stdout (it must exit 0)."""
    p = subprocess.run([sys.executable, PROG] + list(args), input=stdin,
                       capture_output=True, text=True)
    if p.returncode != 0:
        raise AssertionError("bench_summary.py %s: exit %d\n%s" %
                             (" ".join(args), p.returncode, p.stderr))
    return p.stdout


class Canned(unittest.TestCase):
    """A fresh copy of one canned directory per test (the summariser writes
    into it)."""
    canned = None

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="bench-summary-test.")
        self.out = os.path.join(self.tmp, "out")
        shutil.copytree(os.path.join(CANNED, self.canned), self.out)
        self.runs = os.path.join(self.out, "runs")

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def read(self, name):
        with open(os.path.join(self.out, name)) as f:
            return f.read()


class Summary(Canned):
    canned = "timed"

    def summarise(self, *opts):
        self.text = run("summary", self.out, "--repeat", "3", *opts)
        with open(os.path.join(self.out, "summary.json")) as f:
            self.s = json.load(f)
        self.t = {(e["transport"], e["size"]): e for e in self.s["throughput"]}
        self.l = {e["transport"]: e for e in self.s["latency"]}
        with open(os.path.join(self.out, "results.csv"), newline="") as f:
            self.rows = list(csv.DictReader(f))

    def test_results_csv(self):
        self.summarise()
        with open(os.path.join(self.out, "results.csv"), newline="") as f:
            header = next(csv.reader(f))
        self.assertEqual(header, [
            "kind", "transport", "size", "rep", "ok", "disturbed", "stalled_pct",
            "cpu_busy_before_pct", "retries", "c2c_rtt_ns", "c2c_rtt_ns_after", "mpps",
            "gbps_wire", "tx_mpps", "rx_cycles_per_pkt", "tx_cycles_per_pkt",
            "rx_burst_cycles_per_pkt", "tx_burst_cycles_per_pkt", "tx_build_cycles_per_pkt",
            "tx_short_bursts", "doorbells_per_pkt", "rx_sleeps_per_pkt", "rx_total",
            "tx_total", "samples", "lost", "min", "p50", "p90", "p99", "p999", "max",
            "mean", "ping_doorbells_per_pkt", "pong_doorbells_per_pkt", "error"])
        self.assertEqual(len(self.rows), 25)
        # Latency first, then ORDER (ivshmem, ivshmem-intr, memif, testpmd-null),
        # size, repetition.
        self.assertEqual([(r["kind"], r["transport"], r["size"], r["rep"]) for r in self.rows[:7]],
                         [("lat", "ivshmem", "64", "1"), ("lat", "ivshmem", "64", "2"),
                          ("lat", "ivshmem", "64", "3"), ("lat", "memif", "64", "1"),
                          ("lat", "memif", "64", "2"), ("lat", "memif", "64", "3"),
                          ("tput", "ivshmem", "64", "1")])
        by = {(r["transport"], r["size"], r["rep"], r["kind"]): r for r in self.rows}
        r3 = by[("ivshmem", "64", "3", "tput")]
        self.assertEqual((r3["ok"], r3["disturbed"], r3["stalled_pct"], r3["retries"]),
                         ("True", "True", "12.0", "2"))
        self.assertEqual((r3["mpps"], r3["tx_mpps"], r3["rx_cycles_per_pkt"]), ("40.0", "40.0", "60"))
        r2 = by[("ivshmem", "64", "2", "tput")]
        self.assertEqual((r2["c2c_rtt_ns"], r2["c2c_rtt_ns_after"]), ("380.0", "390.0"))
        failed = by[("memif", "1500", "3", "tput")]
        self.assertEqual((failed["ok"], failed["mpps"], failed["error"]),
                         ("False", "", "link went down before any packet came"))
        ceiling = by[("testpmd-null", "64", "2", "tput")]
        self.assertEqual((ceiling["ok"], ceiling["mpps"], ceiling["rx_total"], ceiling["error"]),
                         ("True", "36.0", "", ""))
        ping = by[("ivshmem", "64", "2", "lat")]
        self.assertEqual((ping["p50"], ping["p99"], ping["samples"], ping["mpps"]),
                         ("0.25", "0.9", "1100000", ""))
        self.assertEqual(sum(r["disturbed"] == "True" for r in self.rows), 4)

    def test_medians_bests_ratios(self):
        self.summarise()
        o64 = self.t[("ivshmem", 64)]
        # the disturbed 40 Mpps is left out: median of 30, 20
        self.assertEqual((o64["launches"], o64["used"], o64["failed"], o64["disturbed_only"]),
                         (3, 2, 0, False))
        self.assertEqual((o64["mpps_median"], o64["mpps_best"]), (25.0, 30.0))
        self.assertEqual((o64["rx_cycles_per_pkt_median"], o64["tx_cycles_per_pkt_median"]),
                         (75.0, 76.0))
        self.assertAlmostEqual(o64["stalled_pct_max"], 0.2)
        self.assertEqual(o64["vs_memif"], {"best": 30 / 15, "median": 25 / 12.5})
        o1500 = self.t[("ivshmem", 1500)]
        self.assertEqual((o1500["mpps_median"], o1500["mpps_best"]), (2.5, 3.0))
        self.assertEqual(o1500["vs_memif"]["best"], 1.5)
        self.assertAlmostEqual(o1500["vs_memif"]["median"], 2.5 / 1.75)
        intr = self.t[("ivshmem-intr", 64)]
        self.assertEqual((intr["used"], intr["disturbed_only"], intr["mpps_median"],
                          intr["mpps_best"]), (3, True, 21.0, 22.0))
        self.assertEqual(intr["doorbells_per_pkt_median"], 1e-06)
        self.assertNotIn("vs_memif", intr)
        m1500 = self.t[("memif", 1500)]
        self.assertEqual((m1500["launches"], m1500["failed"], m1500["used"], m1500["unsupported"]),
                         (3, 1, 2, False))
        self.assertEqual((m1500["mpps_median"], m1500["mpps_best"]), (1.75, 2.0))
        self.assertEqual(m1500["errors"], ["link went down before any packet came"])
        m9000 = self.t[("memif", 9000)]
        self.assertEqual((m9000["launches"], m9000["failed"], m9000["used"], m9000["unsupported"],
                          m9000["mpps_median"], m9000["mpps_best"]), (1, 1, 0, True, None, None))
        self.assertEqual(self.t[("testpmd-null", 64)]["mpps_median"], 40.0)

    def test_latency(self):
        self.summarise()
        o = self.l["ivshmem"]
        self.assertEqual((o["p50_median"], o["p99_median"], o["p50_best"], o["p99_best"]),
                         (0.30, 0.90, 0.25, 0.50))
        self.assertEqual((o["min_median"], o["max_median"], o["mean_median"]), (0.20, 50.0, 0.31))
        self.assertEqual(o["c2c_rtt_ns_median"], 70.0)
        # median launch by p50 (0.25, 0.30, 0.40): repetition 1
        self.assertEqual(o["cdf"], [[0.2, 0], [0.3, 0.5], [0.5, 0.99], [50.0, 1]])
        self.assertEqual(o["ping_doorbells_per_pkt_median"], 0)
        m = self.l["memif"]
        self.assertEqual((m["p50_median"], m["p99_best"], m["ping_doorbells_per_pkt_median"]),
                         (0.50, 0.60, None))

    def test_targets(self):
        self.summarise()
        got = [(t["target"], t["met"]) for t in self.s["targets"]]
        self.assertEqual(got, [
            ("64B >= 80% of the txonly ceiling", False),       # 25 / 40 = 62.5 %
            ("64B >= 1.5x memif (best vs best)", True),         # 30 / 15 = 2
            ("64B our median >= memif best", True),             # 25 >= 15
            ("1500B >= 1.5x memif (best vs best)", True),       # 3 / 2 = 1.5
            ("ping-pong p50 <= memif", True),                   # 0.30 <= 0.50
            ("ping-pong p99 < 1 us", True),                     # 0.90
            ("intr mode < 1 doorbell per 1000 packets at saturation (64B)", True)])
        self.assertIn("= 62.5%", self.s["targets"][0]["detail"])
        self.assertIn(": x1.50", self.s["targets"][3]["detail"])
        self.assertIn("0.0010 doorbells per 1000", self.s["targets"][6]["detail"])

    def test_max_stall_moves_the_flags(self):
        # At 15 % nothing is disturbed: the 40 Mpps launch counts.
        self.summarise("--max-stall", "15")
        o64 = self.t[("ivshmem", 64)]
        self.assertEqual((o64["used"], o64["mpps_median"], o64["mpps_best"]), (3, 30.0, 40.0))
        self.assertFalse(self.t[("ivshmem-intr", 64)]["disturbed_only"])
        self.assertIn("\n0 of 25 launches kept were preempted more than 15% ", self.text)

    def test_summary_csv_and_plot_data(self):
        self.summarise()
        lines = self.read("summary.csv").splitlines()
        self.assertEqual(lines[0], "transport,size,launches,failed,mpps_median,mpps_best,"
                         "gbps_wire_median,rx_cycles_per_pkt_median,tx_cycles_per_pkt_median,"
                         "doorbells_per_pkt_median,ours_vs_memif_best,ours_vs_memif_median,"
                         "ours_vs_memif_zc_best,ours_vs_memif_zc_median,ours_vs_vhost_best,"
                         "ours_vs_vhost_median")
        self.assertEqual(lines[1], "ivshmem,64,3,0,25.0,30.0,17.6,75.0,76.0,0.0,2.0,2.0,,,,")
        self.assertEqual(lines[6], "memif,9000,1,1,,,,,,,,,,,,")
        self.assertEqual(lines[8], "")
        self.assertEqual(lines[9], "latency_transport,launches,failed,min_us,p50_us,p90_us,"
                         "p99_us,p999_us,max_us,mean_us,p50_best_us,p99_best_us,"
                         "ping_doorbells_per_pkt")
        self.assertEqual(lines[10], "ivshmem,3,0,0.2,0.3,0.35,0.9,3.0,50.0,0.31,0.25,0.5,0")
        self.assertEqual(self.read("throughput.dat"), (
            "# size ivshmem ivshmem_best ivshmem-intr ivshmem-intr_best memif memif_best"
            " testpmd-null testpmd-null_best\n"
            "64 25.0000 30.0000 21.0000 22.0000 12.5000 15.0000 40.0000 44.0000\n"
            "1500 2.5000 3.0000 NaN NaN 1.7500 2.0000 NaN NaN\n"
            "9000 NaN NaN NaN NaN NaN NaN NaN NaN\n"))
        self.assertEqual(self.read("latency.dat").splitlines()[1:],
                         ["ivshmem 0.2000 0.3000 0.3500 0.9000 3.0000 50.0000",
                          "memif 0.4000 0.5000 0.5500 0.7000 1.5000 25.0000"])
        self.assertEqual(self.read("cdf-ivshmem.dat"), "# rtt_us quantile (median launch)\n"
                         "0.2000 0\n0.3000 0.5\n0.5000 0.99\n50.0000 1\n")
        self.assertEqual(self.read("plot-transports.txt"), "ivshmem ivshmem-intr memif testpmd-null\n")
        self.assertEqual(self.read("plot-latency.txt"), "ivshmem memif\n")

    def test_table(self):
        self.summarise()
        lines = self.text.splitlines()
        self.assertEqual(lines[0], "")
        self.assertIn("64 B              25.00 / 30.00    !21.00 / 22.00     12.50 / 15.00"
                      "     40.00 / 44.00", lines)
        self.assertIn("9000 B                      n/a               n/a       unsupported"
                      "               n/a", lines)
        self.assertIn("   1500 B: memif x1.43 / x1.50", lines)
        self.assertIn("  [NOT met] 64B >= 80% of the txonly ceiling: ours median 25.000 Mpps"
                      " / testpmd txonly->net_null median 40.000 Mpps = 62.5%", lines)
        self.assertIn("  memif 9000 B (port 0 (net_memif): --size 9000 needs MTU 8986, but"
                      " the port allows at most 1500)", lines)
        self.assertIn("  memif 1500: 1 failed link went down before any packet came", lines)
        # 25 launches, 2 probes each: 24 x 70, 24 x 80, 380, 390
        self.assertIn("p50): min 70 ns, median 80 ns, max 390 ns over 50 probes;", self.text)
        self.assertIn("\n4 of 25 launches kept were preempted more than 5% ", self.text)

    def test_repeat_defaults_to_the_runs(self):
        text = run("summary", self.out)
        self.assertIn("(median / best of 3 launches;", text)

    def test_launch_helpers(self):
        base = os.path.join(self.runs, "r%s")
        self.assertEqual(run("brief", base % "1_ivshmem_64_tput", "0", "0"),
                         "rx 30.000 Mpps; tx 30.000 Mpps\n")
        e = "port 0 (net_memif): --size 9000 needs MTU 8986, but the port allows at most 1500"
        self.assertEqual(run("brief", base % "1_memif_9000_tput", "1", "1"),
                         "rx FAILED: %s; tx FAILED: %s; exit 1/1\n" % (e, e))
        self.assertEqual(run("brief", base % "1_ivshmem_64_lat", "0", ""),
                         "rtt p50 0.30 p99 0.50 max 50.0 us (1000000 samples)\n")
        self.assertEqual(run("brief", base % "9_none_64_tput", "0", "0"), "no result\n")
        self.assertEqual(run("stalled", base % "3_ivshmem_64_tput"), "12.0\n")
        self.assertEqual(run("stalled", base % "1_testpmd-null_64_tput"), "\n")
        log = base % "1_testpmd-null_64_tput-tx.log"
        with open(base % "1_testpmd-null_64_tput-tx.json") as f:
            self.assertEqual(run("testpmd", log, "64"), f.read())
        self.assertEqual(json.loads(run("testpmd", os.devnull, "64"))["error"],
                         "no Tx-pps in the log")
        # the receiving side of a testpmd pair: its Rx-pps
        rx_log = os.path.join(self.tmp, "rx.log")
        with open(rx_log, "w") as f:
            f.write("  Rx-pps:      5000000          Rx-bps:  1\n"
                    "  Tx-pps:            0          Tx-bps:  0\n"
                    "  Rx-pps:      7500000          Rx-bps:  1\n"
                    "  Tx-pps:            0          Tx-bps:  0\n")
        rx = json.loads(run("testpmd", rx_log, "1500", "--role", "rx"))
        self.assertEqual((rx["role"], rx["ok"], rx["rx"]["mpps"]), ("rx", True, 7.5))
        self.assertEqual(run("c2c", stdin='{"c2c_rtt_ns":{"min":60.0,"p50":70.0}}'), "70.0\n")
        self.assertEqual(run("c2c", stdin="EAL: cannot init\n"), "null\n")


class Instructions(Canned):
    canned = "instructions"

    def test_instructions(self):
        base = os.path.join(self.runs, "cg_%s")
        # 1.32e9 instructions / 1e7 packets; 40000 of 400000 calls moved none
        self.assertEqual(run("instr", base % "ivshmem_64_tx", "tx"),
                         "132.0 instructions per packet over 10000000 packets"
                         " (10.0% of the calls moved none)\n")
        with open(base % "ivshmem_64_tx.instr.json") as f:
            self.assertEqual(json.load(f), {"ir": 1320000000, "packets": 10000000,
                                            "ir_per_pkt": 132.0, "idle_call_fraction": 0.1,
                                            "pkts_per_productive_call": 27.7})
        self.assertEqual(run("instr", base % "ivshmem_1500_rx", "rx"),
                         "n/a instructions per packet over 0 packets"
                         " (100.0% of the calls moved none)\n")
        self.assertTrue(run("instr", base % "vhost_64_rx", "rx").startswith("no result ("))
        for label, side in (("ivshmem_64_rx", "rx"), ("memif_64_tx", "tx"),
                            ("memif_64_rx", "rx"), ("ivshmem_1500_tx", "tx")):
            run("instr", base % label, side)
        self.assertEqual(run("instructions", self.out).splitlines()[2:], [
            "size                   ivshmem                 memif",
            "64 B                 132 / 154             250 / 300",
            "1500 B               420 / n/a             n/a / n/a"])
        self.assertEqual(self.read("instructions.csv").splitlines(), [
            "transport,size,side,instructions_per_pkt,packets,idle_call_fraction",
            "ivshmem,64,rx,154.0,10000000,0.2",
            "ivshmem,64,tx,132.0,10000000,0.1",
            "ivshmem,1500,rx,,0,1.0",
            "ivshmem,1500,tx,420.0,10000000,0.01",
            "memif,64,rx,300.0,8000000,0.5",
            "memif,64,tx,250.0,8000000,0.0"])


class ZeroCopyTargets(unittest.TestCase):
    """The zero-copy targets, from entries as summarise makes them."""

    @staticmethod
    def entry(median, best):
        return {"mpps_median": median, "mpps_best": best}

    def test_verdicts(self):
        sys.path.insert(0, DEVTOOLS)
        from bench import summary
        e = self.entry
        tput = {("ivshmem-zc", 1500): e(24.0, 26.0), ("memif-zc", 1500): e(7.0, 8.0),
                ("vhost", 1500): e(5.0, 5.5), ("ivshmem-zc", 9000): e(5.0, 5.4),
                ("vhost", 9000): e(1.0, 1.1), ("ivshmem", 64): e(28.0, 30.0),
                ("ivshmem-zc", 64): e(29.0, 29.0), ("ivshmem-zcrx", 64): e(28.0, 31.0),
                ("testpmd-ivshmem-zcrx", 1500): e(12.0, 13.0),
                ("testpmd-ivshmem", 1500): e(4.0, 4.5), ("testpmd-memif-zc", 1500): e(10.5, 10.0)}
        got = [(t["target"], t["met"]) for t in summary.zero_copy_targets(tput)]
        self.assertEqual(got, [
            ("1500B ivshmem-zc >= 3x memif-zc", True),     # 26/8 = 3.25, 24/7 = 3.43
            ("1500B ivshmem-zc >= 3x vhost", True),
            ("9000B ivshmem-zc >= 5x vhost", False),       # best 5.4/1.1 = 4.91
            ("1500B testpmd txonly->rxonly zero_copy=yes >= 1.5x testpmd-ivshmem", True),
            ("1500B testpmd txonly->rxonly zero_copy=yes >= 1.2x testpmd-memif-zc",
             False),                                        # median 12/10.5 = 1.14
            ("64B ivshmem-zcrx no slower than copy", True),
            ("64B ivshmem-zc no slower than copy", False)])  # best 29 < 30
        self.assertIn("x4.91; median 5.000 / 1.000 Mpps = x5.00",
                      summary.zero_copy_targets(tput)[2]["detail"])
        # a run without the zero-copy transports has no such targets
        self.assertEqual(summary.zero_copy_targets({("ivshmem", 64): e(1, 1)}), [])


class CommandLine(unittest.TestCase):
    def test_refusals(self):
        for args in (["summary", HERE, "--repeat", "0"], ["summary", HERE, "--max-stall", "x"],
                     ["summary", os.path.join(HERE, "nonexistent")], ["instr", "x", "ping"], []):
            p = subprocess.run([sys.executable, PROG] + args, capture_output=True, text=True)
            self.assertNotEqual(p.returncode, 0, args)
            self.assertTrue(p.stderr, args)


if __name__ == "__main__":
    unittest.main(verbosity=2)
