#!/usr/bin/env python3
"""bench/shell.py: the guest shell against native dash, side by side.

    bench/shell.py [--wasmbox build/wasmbox] [--guests DIR] [--runs 21]
                   [--lines 1000000] [--out FILE]

Two measures (issue 19), each row interleaved with its native counterpart
so that both see the same load:
  - start-up: `sh -c true` as a whole process: `wasmbox sh -c true`
    against `dash -c true`; wall and CPU time (user + system of the
    process and everything it waited for), median and 90th percentile;
  - a pipeline's throughput: `seq N | sort -n | uniq | wc -l` (N lines,
    default 1,000,000), wall time per run and lines per second, in the
    guest (dash and busybox's applets in wasm, each stage a process of
    the tree, run with cached machine code where there is some) against
    native dash with Debian's busybox applets first in PATH (the same
    tools natively), and with GNU coreutils for scale.
Skipped (one line saying why) without the shell guest
($WASMBOX_GUESTS or the wasmbox binary's guests/shell/dash.wasm) or
without native busybox."""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from preinit import one, pct  # noqa: E402  (one run; percentiles)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def applet_dir(busybox):
    """A temporary directory of symlinks to busybox's applets."""
    d = tempfile.mkdtemp(prefix="wasmbox-bench-bb.")
    names = subprocess.run([busybox, "--list"], capture_output=True,
                           text=True, check=True).stdout.split()
    for n in names:
        os.symlink(busybox, os.path.join(d, n))
    return d


def table(title, rows, res, runs):
    out = [f"### {title}\n", f"{runs} runs each, interleaved.\n",
           "| command | wall median ms | wall p90 ms | CPU median ms |",
           "| --- | ---: | ---: | ---: |"]
    for label, _, _ in rows:
        wall = [x[0] for x in res[label]]
        cpu = [x[1] for x in res[label]]
        out.append(f"| {label} | {statistics.median(wall):.1f} | "
                   f"{pct(wall, 0.9):.1f} | {statistics.median(cpu):.1f} |")
    return out


def measure(rows, runs):
    res = {label: [] for label, _, _ in rows}
    for _ in range(runs):
        for label, argv, env in rows:
            res[label].append(one(argv, env))
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--wasmbox", default=os.path.join(ROOT, "build",
                                                      "wasmbox"))
    ap.add_argument("--guests", default=os.environ.get("WASMBOX_GUESTS"))
    ap.add_argument("--runs", type=int, default=21)
    ap.add_argument("--lines", type=int, default=1000000)
    ap.add_argument("--out")
    a = ap.parse_args()
    gdir = os.path.abspath(a.guests or os.path.join(
        os.path.dirname(os.path.abspath(a.wasmbox)), "guests"))
    busybox = shutil.which("busybox")
    dash = shutil.which("dash")
    if not os.path.isfile(os.path.join(gdir, "shell", "dash.wasm")):
        print(f"shell bench: skipped: no {gdir}/shell/dash.wasm (make guests)")
        return
    if not busybox or not dash:
        print("shell bench: skipped: needs native dash and busybox "
              "(scripts/setup.sh installs them)")
        return
    bb = applet_dir(busybox)
    work = tempfile.mkdtemp(prefix="wasmbox-bench-sh.")
    try:
        env = dict(os.environ, WASMBOX_GUESTS=gdir,
                   WASMBOX_BACKGROUND_COMPILE="0", LC_ALL="C")
        native_bb = dict(env, PATH=bb)
        native_gnu = dict(env, PATH="/usr/bin:/bin")
        wb = [a.wasmbox, "sh", "--dir", f"{work}:/work"]
        start_rows = [
            ("`dash -c true`", [dash, "-c", "true"], native_bb),
            ("`wasmbox sh -c true`", wb + ["-c", "true"], env),
        ]
        pipe = f"seq {a.lines} | sort -n | uniq | wc -l"
        pipe_rows = [
            (f"native dash, busybox: `{pipe}`", [dash, "-c", pipe],
             native_bb),
            (f"native dash, GNU coreutils: `{pipe}`", [dash, "-c", pipe],
             native_gnu),
            (f"`wasmbox sh -c '{pipe}'`", wb + ["--timeout", "300s", "-c",
                                               pipe], env),
        ]
        load0 = os.getloadavg()
        start = measure(start_rows, a.runs)
        pruns = max(3, a.runs // 4)
        piped = measure(pipe_rows, pruns)
        load1 = os.getloadavg()
        out = ["## Shell (bench/shell.py)\n",
               f"Load average {load0[0]:.2f} at the start, {load1[0]:.2f} "
               f"at the end, {os.cpu_count()} CPUs.\n"]
        out += table("Start-up: `sh -c true`, whole process", start_rows,
                     start, a.runs)
        out.append("")
        out += table(f"Pipeline: {a.lines:,} lines", pipe_rows, piped,
                     pruns)
        out.append("")
        base = statistics.median(x[0] for x in piped[pipe_rows[0][0]])
        for label, _, _ in pipe_rows:
            w = statistics.median(x[0] for x in piped[label])
            out.append(f"- {label}: {a.lines / (w / 1e3):,.0f} lines/s, "
                       f"{w / base:.2f}x native dash + busybox")
        text = "\n".join(out) + "\n"
        print(text)
        if a.out:
            with open(a.out, "w") as f:
                f.write(text)
    finally:
        shutil.rmtree(bb, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
