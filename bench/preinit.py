#!/usr/bin/env python3
"""bench/preinit.py: `wasmbox python -c pass`, cold start against a start
from the pre-initialized snapshot (python/python.snap), side by side.

    bench/preinit.py [--wasmbox build/wasmbox] [--guests DIR] [--runs 21]
                     [--out FILE]

Each run is a whole process, measured from fork to exit: wall time and
the CPU time it used (user + system, from wait4), median and 90th
percentile over --runs runs, cold (WASMBOX_COLD=1) and restored
interleaved so both see the same load; plus the guest instructions each
executes (--fuel and the JSON report's fuel_used) and the page faults.
The machine's load average is printed beside the figures: on shared cores
the wall times move with it, the CPU times and instruction counts much
less. Writes a Markdown section to --out (default: print only). Needs
python/python.wasm and python.snap (make guests, or make guest-snapshots
for an existing guest directory)."""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def one(argv, env):
    """Wall ms, CPU ms and minor faults of one run."""
    t0 = time.monotonic()
    p = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)
    _, status, ru = os.wait4(p.pid, 0)
    wall = (time.monotonic() - t0) * 1e3
    err = p.stderr.read().decode(errors="replace")
    p.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"preinit bench: {' '.join(argv)} failed: {err.strip()}")
    return wall, (ru.ru_utime + ru.ru_stime) * 1e3, ru.ru_minflt


def fuel(argv, env):
    """Guest instructions (fuel) of one run."""
    p = subprocess.run(argv[:2] + ["--fuel", "1000000000000", "--report",
                                   "-"] + argv[2:], env=env,
                       capture_output=True, text=True)
    for line in p.stderr.splitlines():
        if line.startswith("{"):
            return json.loads(line).get("fuel_used", 0)
    return 0


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p * (len(v) - 1))))]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--wasmbox", default=os.path.join(ROOT, "build",
                                                      "wasmbox"))
    ap.add_argument("--guests", default=os.environ.get("WASMBOX_GUESTS"))
    ap.add_argument("--runs", type=int, default=21)
    ap.add_argument("--out")
    a = ap.parse_args()
    gdir = a.guests or os.path.join(os.path.dirname(
        os.path.abspath(a.wasmbox)), "guests")
    snap = os.path.join(gdir, "python", "python.snap")
    if not os.path.isfile(snap):
        print(f"preinit bench: skipped: no {snap} (make guests, or make "
              f"guest-snapshots)")
        return
    argv = [a.wasmbox, "python", "-c", "pass"]
    envs = {}
    for name, cold in (("cold", "1"), ("restored", "")):
        e = dict(os.environ, WASMBOX_GUESTS=os.path.abspath(gdir),
                 WASMBOX_COLD=cold)
        envs[name] = e
    res = {n: [] for n in envs}
    for n in envs:                       # page cache, first compiles
        one(argv, envs[n])
    for _ in range(a.runs):
        for n in envs:
            res[n].append(one(argv, envs[n]))
    load = os.getloadavg()[0]
    rows = []
    for n, v in res.items():
        wall = [x[0] for x in v]
        cpu = [x[1] for x in v]
        flt = [x[2] for x in v]
        rows.append((n, statistics.median(wall), pct(wall, 0.9),
                     statistics.median(cpu), pct(cpu, 0.9),
                     statistics.median(flt), fuel(argv, envs[n])))
    lines = [
        "## Python start-up: cold and pre-initialized",
        "",
        f"`wasmbox python -c pass`, whole process, {a.runs} runs each "
        f"(interleaved); load average {load:.2f} on {os.cpu_count()} CPUs "
        f"at the end. bench/preinit.py.",
        "",
        "| start | wall median ms | wall p90 ms | CPU median ms | "
        "CPU p90 ms | page faults | guest instructions |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines.append(f"| {r[0]} | {r[1]:.1f} | {r[2]:.1f} | {r[3]:.1f} | "
                     f"{r[4]:.1f} | {r[5]:.0f} | {r[6]:,} |")
    c, w = rows[0], rows[1]
    lines += ["", f"Restored / cold: wall {w[1] / c[1]:.2f}, CPU "
              f"{w[3] / c[3]:.2f}, instructions {w[6] / max(c[6], 1):.3f}."]
    text = "\n".join(lines) + "\n"
    print(text)
    if a.out:
        # `make bench-preinit` alone: nothing has made build/bench/ yet
        os.makedirs(os.path.dirname(a.out) or ".", exist_ok=True)
        with open(a.out, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
