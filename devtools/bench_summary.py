#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The Python half of devtools/bench-compare.sh: everything it does with
the results its processes leave in OUT/runs/ (the modules are in bench/).

  summary OUT        results.csv (one row per launch), summary.json,
                     summary.csv, throughput.dat, latency.dat,
                     cdf-TRANSPORT.dat, plot-*.txt in OUT; the table on
                     stdout (bench-compare keeps it as summary.txt)
  instructions OUT   instructions.csv in OUT from runs/cg_*.instr.json;
                     the table on stdout

and, about one launch while the run goes on (BASE is OUT/runs/LABEL):

  brief BASE A B     one line: each side's figure or error; A and B are
                     the exit statuses of the receiver and the sender
  stalled BASE       the largest share of its window, in percent, that a
                     process of the launch spent preempted ("" if none says)
  instr BASE SIDE    instructions per packet of a callgrind launch's side;
                     writes BASE.instr.json
  testpmd LOG SIZE [--role rx]
                     dpdk-testpmd's figure from its log, as ivshmem-bench
                     JSON
  c2c                the p50 of ivshmem-bench --role c2c --json on stdin,
                     "null" when there is none

Self-test: devtools/tests/test_bench_summary.py (meson suite fast).
"""

import argparse
import json
import os
import sys

from bench import instructions, launch, report, results, summary

# bench-compare.sh's default --max-stall.
DEFAULT_MAX_STALL = 5.0


def _positive_int(s):
    try:
        v = int(s)
    except ValueError:
        v = 0
    if v < 1:
        raise argparse.ArgumentTypeError("'%s': a whole number >= 1" % s)
    return v


def _percentage(s):
    try:
        v = float(s)
    except ValueError:
        v = -1.0
    if not v >= 0:
        raise argparse.ArgumentTypeError("'%s': a percentage >= 0" % s)
    return v


def _runs_dir(out):
    runs = os.path.join(out, "runs")
    if not os.path.isdir(runs):
        sys.exit("bench_summary: %s is not a directory: not a bench-compare --out" % runs)
    return runs


def cmd_summary(a):
    _runs_dir(a.out)
    rows = results.read_rows(a.out, a.max_stall)
    repeat = a.repeat or max([r["rep"] for r in rows], default=1)
    results.write_csv(os.path.join(a.out, "results.csv"), rows)
    s = summary.summarise(rows)
    report.write_json(os.path.join(a.out, "summary.json"), s)
    report.write_csv(os.path.join(a.out, "summary.csv"), s)
    report.write_plot_data(a.out, s)
    print("\n".join(report.text(s, rows, repeat, a.max_stall)))


def cmd_instructions(a):
    rows = instructions.read(_runs_dir(a.out))
    instructions.write_csv(os.path.join(a.out, "instructions.csv"), rows)
    print("\n".join(instructions.text(rows)))


def cmd_brief(a):
    print(launch.brief(a.base, a.a_status, a.b_status))


def cmd_stalled(a):
    v = launch.stalled_pct(a.base)
    print("" if v is None else "%.1f" % v)


def cmd_instr(a):
    print(launch.instructions(a.base, a.side)[1])


def cmd_testpmd(a):
    with open(a.log, errors="replace") as f:
        r = launch.testpmd_result(f.read(), a.size, a.role)
    print(json.dumps(r))


def cmd_c2c(a):
    print(launch.c2c_p50(sys.stdin.read()))


# Positionals shared by several commands.
OUT = ("out", {"metavar": "OUT"})
BASE = ("base", {"metavar": "BASE"})


def _command(sub, name, func, help, *positionals):
    """Subcommand name running func(args), positionals (dest, kwargs)."""
    c = sub.add_parser(name, help=help)
    for dest, kw in positionals:
        c.add_argument(dest, **kw)
    c.set_defaults(func=func)
    return c


def parser():
    p = argparse.ArgumentParser(
        prog="bench_summary.py",
        description="Summarise what devtools/bench-compare.sh measured.",
        epilog="OUT is a bench-compare --out directory; BASE is OUT/runs/LABEL.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    c = _command(sub, "summary", cmd_summary,
                 "results.csv, summary.*, plot data; the table", OUT)
    c.add_argument("--repeat", type=_positive_int, default=None,
                   help="launches per figure, for the table's title"
                   " (default: the highest repetition in runs/)")
    c.add_argument("--max-stall", type=_percentage, default=DEFAULT_MAX_STALL, metavar="PCT",
                   help="a launch preempted more than PCT %% of its window is disturbed"
                   " (default %(default)g)")
    _command(sub, "instructions", cmd_instructions, "instructions.csv; the table", OUT)
    _command(sub, "brief", cmd_brief, "one line about a launch", BASE,
             ("a_status", {"metavar": "A", "help": "exit status of the receiver"}),
             ("b_status", {"metavar": "B", "help": "exit status of the sender"}))
    _command(sub, "stalled", cmd_stalled, "a launch's largest stall share, in percent", BASE)
    _command(sub, "instr", cmd_instr, "instructions per packet of a callgrind launch", BASE,
             ("side", {"choices": ("rx", "tx")}))
    c = _command(sub, "testpmd", cmd_testpmd, "dpdk-testpmd's log as ivshmem-bench JSON",
                 ("log", {"metavar": "LOG"}), ("size", {"type": int, "metavar": "SIZE"}))
    c.add_argument("--role", choices=("tx", "rx"), default="tx",
                   help="the side whose rate is the figure: Tx-pps or Rx-pps (default tx)")
    _command(sub, "c2c", cmd_c2c, "the p50 of a c2c probe's JSON on stdin")
    return p


def main(argv=None):
    a = parser().parse_args(argv)
    a.func(a)
    return 0


if __name__ == "__main__":
    sys.exit(main())
