# SPDX-License-Identifier: BSD-3-Clause
"""What devtools/bench-compare.sh measured, read back and summarised.

The launcher (bench-compare.sh) only starts processes and keeps what they
write in OUT/runs/; devtools/bench_summary.py is the command line over
these modules, one concern each, dependencies running one way (down):

    launch        one launch while the run goes on: the line logged about
                  it, its stall share, its instruction count, testpmd's log
                  as JSON, the c2c probe's p50
    results       OUT/runs/ -> one row per launch (results.csv)
    summary       rows -> medians, bests, ratios, target verdicts
    report        summary -> summary.json, summary.csv, *.dat, the table
    instructions  OUT/runs/cg_*.instr.json -> instructions.csv, the table
    common        reading JSON, medians, number formats, transport order
"""
