#!/usr/bin/env python3
"""bench/startup.py: whole-process start-up of several wasmbox builds side
by side: `wasmbox python -c pass` (from python.snap) and `wasmbox run
hello.wasm`, each build in each tier asked for.

    bench/startup.py --build NAME=WASMBOX [--build NAME=WASMBOX ...]
                     [--hello hello.wasm] [--guests DIR] [--runs 21]
                     [--tier cached] [--tier interp] [--no-os-sandbox]

Every run is a process of its own, from fork to exit: wall time and the
CPU time it used (user + system, from wait4); median and 90th
percentile over --runs, every build and command interleaved so that all
see the same load (bench/preinit.py's measurement), and the median of
the page faults. A first row, /bin/true, is the machine's floor for a
whole process (exec, dynamic loader, exit) under the same load. The
report's tier field (--report) is checked once per row, so a row that
should be native but fell back to the interpreter says so. Native code comes from the cache
($XDG_CACHE_HOME/wasmbox/native): fill it first (`wasmbox compile`)."""
import argparse
import json
import os
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from preinit import one, pct  # noqa: E402  (one run; percentiles)


def tier_of(argv, env):
    """The tier the report of one run names."""
    cmd = argv[:2] + ["--report", "-"] + argv[2:]
    p = subprocess.run(cmd, env=env, capture_output=True, text=True)
    for line in p.stderr.splitlines():
        if line.startswith("{"):
            return json.loads(line).get("tier", "?")
    return "?"


def rows_of(a):
    """(label, argv) for every build, command and tier."""
    rows = [("floor | /bin/true | -", ["/bin/true"])]
    extra = ["--no-os-sandbox"] if a.no_os_sandbox else []
    for b in a.build:
        name, _, exe = b.partition("=")
        for t in a.tier:
            opts = ["--tier", t] + extra
            rows.append((f"{name} | python -c pass | {t}",
                         [exe, "python"] + opts + ["-c", "pass"]))
            if a.hello:
                rows.append((f"{name} | run hello.wasm | {t}",
                             [exe, "run"] + opts + [a.hello]))
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", action="append", required=True)
    ap.add_argument("--hello")
    ap.add_argument("--guests", default=os.environ.get("WASMBOX_GUESTS"))
    ap.add_argument("--runs", type=int, default=21)
    ap.add_argument("--tier", action="append")
    ap.add_argument("--no-os-sandbox", action="store_true")
    a = ap.parse_args()
    a.tier = a.tier or ["cached"]
    env = dict(os.environ, WASMBOX_BACKGROUND_COMPILE="0")
    if a.guests:
        env["WASMBOX_GUESTS"] = os.path.abspath(a.guests)
    rows = rows_of(a)
    tiers = {label: tier_of(argv, env) if len(argv) > 1 else "-"
             for label, argv in rows}
    start = os.getloadavg()
    res = {label: [] for label, _ in rows}
    for _ in range(a.runs):
        for label, argv in rows:
            res[label].append(one(argv, env))
    load = os.getloadavg()
    print(f"{a.runs} runs each, interleaved; load average {start[0]:.2f} "
          f"at the start, {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at the "
          f"end, on {os.cpu_count()} CPUs\n")
    print("| build | command | tier asked | tier ran | wall median ms | "
          "wall p90 ms | CPU median ms | CPU p90 ms | page faults |")
    print("| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for label, v in res.items():
        wall = [x[0] for x in v]
        cpu = [x[1] for x in v]
        print(f"| {label} | {tiers[label]} | {statistics.median(wall):.1f} "
              f"| {pct(wall, 0.9):.1f} | {statistics.median(cpu):.1f} | "
              f"{pct(cpu, 0.9):.1f} | "
              f"{statistics.median(x[2] for x in v):.0f} |")


if __name__ == "__main__":
    main()
