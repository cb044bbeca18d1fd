#!/usr/bin/env python3
"""run.py: the wasmbox benchmark harness (python3 standard library only).

Runs every workload of bench/ under each runtime, checks that all runtimes
print the native checksum, and writes a Markdown report: the part of
BENCHMARKS.md between its "generated part" markers (GEN_BEGIN, GEN_END
below); what is written by hand around them is kept.

    python3 bench/run.py --bins build/bench/full --wasmbox build/wasmbox \
        --api-bench build/bench/api_bench [--quick] [--out FILE]

Every cell is the wall time of a whole process, median over its runs.
Runtimes:
  native     the gcc -O2 build                     BINS/native/NAME
  wasmbox    build/wasmbox run --tier interp --timeout 0 X.wasm
             (the interpreter)                     BINS/wasm/NAME.wasm
  wasmbox-native  wasmbox run --tier cached: the native tier's machine
             code, compiled before the runs by `wasmbox compile` (see
             below); each run's report (--report -) must say
             "tier":"native", else the cell is an ERROR
  wasmbox-simd  the interpreter on the clang -msimd128 build
  node       node --no-warnings bench/node_wasi.mjs X.wasm (node:wasi)
  wasm-interp  wabt's interpreter on BINS/export/NAME.wasm (Debian builds
             wabt without WASI, so this variant exports bench() -> i64 and
             imports nothing; the same workload code)

Compile time (the native tier, issue 16): before the runs, `wasmbox
compile MODULE` of every C workload, hello.wasm and python.wasm, each run
into an empty cache of its own (XDG_CACHE_HOME a fresh directory): wall
and CPU seconds of the whole process (wait4), MB/s, CPUs used (CPU / wall
time). The code of each module's last compile run is moved into the
bench's own code cache, which every wasmbox run of the bench uses
(XDG_CACHE_HOME, with WASMBOX_BACKGROUND_COMPILE=0, so that no run starts
a compilation of its own).

Environment knobs (make passes them through):
  BENCH_QUICK=1          what --quick does: 1 run, short timeouts
  BENCH_RUNS=N           runs per workload and runtime (default 5)
  BENCH_COLD_RUNS=N      runs of the cold-start module (default 20)
  BENCH_TIMEOUT=S        per-run timeout (default 60 s)
  BENCH_INTERP_TIMEOUT=S per-run timeout for wasm-interp (default 20 s;
                         it gets one run per workload)
  BENCH_INTERP_ALL=1     try wasm-interp on every workload (by default it
                         is skipped after two timeouts in a row)
  BENCH_CELL_BUDGET=S    stop repeating a workload on a runtime once its
                         runs took this long in total (default 40 s)
  BENCH_ONLY=a,b         only these workloads
  BENCH_RUNTIMES=a,b     only these runtimes (native is always run)
  BENCH_COMPILE_RUNS=N   `wasmbox compile` runs per C module (default 3)
  BENCH_COMPILE_PY_RUNS=N  the same for python.wasm (default 1; about
                         47 s of wall time and 92 s of CPU on 2 idle cores)
  BENCH_NATIVE_PY_RUNS=N runs of each Python workload under wasmbox-native
                         (default: BENCH_RUNS)

Python: the CPython 3.11 guest (GUESTS/python/python.wasm, its standard
library GUESTS/python/lib at guest /lib; GUESTS defaults to
$WASMBOX_GUESTS, else the guests/ directory next to the wasmbox binary)
runs `-c pass`, bench/py/jsonre.py and bench/py/loop.py under native
python3, `wasmbox python --tier interp`, `wasmbox python --tier cached`
(wasmbox-native) and Node (bench/node_wasi.mjs with the library
preopened), in a table of its own; BENCH_ONLY takes their names (startup,
jsonre, loop) or `python` for all three. Skipped when the guest is missing.
  BENCH_PYTHON=PATH      the native interpreter (default /usr/bin/python3,
                         else python3 on PATH)
"""

import argparse
import datetime
import json
import math
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

WORKLOADS = [
    ("fib", "recursion: naive fib, calls and returns"),
    ("sieve", "sieve of Eratosthenes, byte loads and stores"),
    ("matmul", "dense f64 matrix multiply"),
    ("hash", "FNV-1a and a 4-lane multiply-rotate hash over 8 MiB"),
    ("sort", "quicksort with an indirect-call comparator"),
    ("nbody", "n-body f64 simulation, sqrt and division"),
    ("strings", "tokenising, hash table of words, libc string calls"),
    ("interp", "a switch-dispatch bytecode interpreter loop"),
    ("memops", "memcpy / memmove / memset heavy"),
]
RUNTIMES = ["native", "wasmbox", "wasmbox-native", "wasmbox-simd", "node",
            "wasm-interp"]
# Runtimes whose every run must have run machine code (report's tier).
NATIVE_TIER = ("wasmbox-native",)

# The CPython guest (build/guests/python): name, description, interpreter
# arguments (full size), the same in quick mode. A script is bench/py/NAME.
PY_WORKLOADS = [
    ("startup", "`python -c pass`: interpreter start-up and exit",
     ["-c", "pass"], ["-c", "pass"]),
    ("jsonre", "bench/py/jsonre.py: json.dumps / json.loads round trips "
     "and compiled regular expressions (finditer, findall, sub, split)",
     ["jsonre.py", "14"], ["jsonre.py", "2"]),
    ("loop", "bench/py/loop.py: a pure-Python loop (integer arithmetic, "
     "calls, list and dict updates)",
     ["loop.py", "300000"], ["loop.py", "30000"]),
]
PY_RUNTIMES = ["native", "wasmbox", "wasmbox-native", "node"]

TARGET_GEOMEAN = 8.0      # x native, geometric mean over the C workloads
TARGET_COLD_MS = 2.0      # wasmbox run hello.wasm, median wall time
                          # (the interpreter, and cached native code)
TARGET_API_US = 20.0      # instantiate + call through the C API
# The native tier (issue 16)
TARGET_NATIVE_GEOMEAN = 1.5   # x native over the C workloads
TARGET_NATIVE_PY = {"loop": 3.0, "jsonre": 2.5}   # x native python3
TARGET_COMPILE_S = 120.0      # python.wasm, wall time, on 2 cores

# The part of the report file run.py writes; the rest is hand-written.
GEN_BEGIN = ("<!-- bench/run.py: generated part begins; `make bench` "
             "rewrites it, write by hand only outside it -->")
GEN_END = "<!-- bench/run.py: generated part ends -->"

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def env_num(name, default, kind=float):
    v = os.environ.get(name)
    if v is None or v == "":
        return default
    try:
        return kind(v)
    except ValueError:
        sys.exit(f"run.py: {name}={v!r} is not a number")


class Result:
    """One run: wall and CPU seconds, peak RSS (KiB), exit status,
    stdout."""

    def __init__(self, wall, rss_kb, status, out, err, timed_out, cpu=None):
        self.wall = wall
        self.cpu = cpu
        self.rss_kb = rss_kb
        self.status = status
        self.out = out
        self.err = err
        self.timed_out = timed_out


SPAWN = None   # path of the bench/spawn.c helper, set by main()


def run_once(argv, timeout, env=None):
    """Run argv once (in `env`, default ours), killed after `timeout`
    seconds; wall and CPU time, the child's own peak RSS, exit status and
    output."""
    exe = shutil.which(argv[0]) or argv[0]
    argv = [exe] + argv[1:]
    if SPAWN:
        return run_spawn(argv, timeout, env)
    return run_python(argv, timeout, env)


def run_spawn(argv, timeout, env):
    with tempfile.NamedTemporaryFile(prefix="wbbench") as fout, \
            tempfile.NamedTemporaryFile(prefix="wbbench") as ferr:
        p = subprocess.run([SPAWN, str(int(timeout * 1000)), fout.name,
                            ferr.name] + argv, capture_output=True, text=True,
                           env=env)
        m = re.match(r"wall_us=(\d+) maxrss_kb=(\d+) status=(\d+) "
                     r"timeout=([01])(?: cpu_us=(\d+))?", p.stdout)
        if p.returncode != 0 or not m:
            sys.exit(f"run.py: {SPAWN} failed: {p.stderr.strip()}")
        out = fout.read().decode("utf-8", "replace")
        err = ferr.read().decode("utf-8", "replace")
    cpu = int(m.group(5)) / 1e6 if m.group(5) else None
    return Result(int(m.group(1)) / 1e6, int(m.group(2)), int(m.group(3)),
                  out, err, m.group(4) == "1", cpu)


def run_python(argv, timeout, env):
    """Fallback without the helper: posix_spawn + wait4. The peak RSS of a
    small child then reads as Python's own (about 16 MiB), since a child's
    high-water mark starts from its parent's."""
    with tempfile.TemporaryFile() as fout, tempfile.TemporaryFile() as ferr:
        actions = [
            (os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
            (os.POSIX_SPAWN_DUP2, fout.fileno(), 1),
            (os.POSIX_SPAWN_DUP2, ferr.fileno(), 2),
        ]
        lock = threading.Lock()
        state = {"done": False, "killed": False}
        t0 = time.perf_counter()
        pid = os.posix_spawn(argv[0], argv, env or os.environ,
                             file_actions=actions)

        def kill():
            with lock:
                if not state["done"]:
                    state["killed"] = True
                    os.kill(pid, signal.SIGKILL)

        timer = threading.Timer(timeout, kill)
        timer.start()
        _, wstatus, ru = os.wait4(pid, 0)
        wall = time.perf_counter() - t0
        with lock:
            state["done"] = True
        timer.cancel()
        fout.seek(0)
        ferr.seek(0)
        out = fout.read().decode("utf-8", "replace")
        err = ferr.read().decode("utf-8", "replace")
    status = os.waitstatus_to_exitcode(wstatus)
    if status < 0:
        status = 128 - status
    return Result(wall, ru.ru_maxrss, status, out, err, state["killed"],
                  ru.ru_utime + ru.ru_stime)


def median(xs):
    xs = sorted(xs)
    n = len(xs)
    if n == 0:
        return None
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2


def geomean(xs):
    xs = [x for x in xs if x and x > 0]
    if not xs:
        return None
    return math.exp(sum(math.log(x) for x in xs) / len(xs))


def interp_checksum(name, out):
    """wasm-interp prints `bench() => i64:N` (N unsigned decimal)."""
    m = re.search(r"bench\(\) => i64:(-?\d+)", out)
    if not m:
        return None
    return f"{name} {int(m.group(1)) & 0xFFFFFFFFFFFFFFFF:016x}"


class Cell:
    """All runs of one workload under one runtime."""

    def __init__(self):
        self.walls = []
        self.rss = 0
        self.state = "ok"        # ok | timeout | error | mismatch | missing
        self.detail = ""
        self.output = None
        self.cpus = []           # CPU seconds of the runs (when known)

    @property
    def med(self):
        return median(self.walls) if self.state == "ok" else None


def command(rt, name, args):
    b = args.bins
    if rt == "native":
        return [os.path.join(b, "native", name)]
    if rt == "wasmbox":
        return [args.wasmbox, "run", "--tier", "interp", "--timeout", "0",
                os.path.join(b, "wasm", name + ".wasm")]
    if rt == "wasmbox-native":   # machine code from the bench's cache
        return [args.wasmbox, "run", "--tier", "cached", "--timeout", "0",
                "--report", "-", os.path.join(b, "wasm", name + ".wasm")]
    if rt == "wasmbox-simd":   # the same source, clang -msimd128
        return [args.wasmbox, "run", "--tier", "interp", "--timeout", "0",
                os.path.join(b, "wasm-simd", name + ".wasm")]
    if rt == "node":
        return ["node", "--no-warnings", os.path.join(HERE, "node_wasi.mjs"),
                os.path.join(b, "wasm", name + ".wasm")]
    if rt == "wasm-interp":
        return ["wasm-interp", "--run-all-exports",
                os.path.join(b, "export", name + ".wasm")]
    raise ValueError(rt)


def available(rt, args):
    if rt == "native":
        return True
    if rt == "wasmbox":
        return os.access(args.wasmbox, os.X_OK)
    if rt == "wasmbox-native":
        return os.access(args.wasmbox, os.X_OK) and os.path.exists(
            os.path.join(os.path.dirname(os.path.abspath(args.wasmbox)),
                         "libwasmbox-native.so"))
    if rt == "wasmbox-simd":
        return os.access(args.wasmbox, os.X_OK) and \
            os.path.isdir(os.path.join(args.bins, "wasm-simd"))
    if rt == "node":
        return shutil.which("node") is not None
    if rt == "wasm-interp":
        return shutil.which("wasm-interp") is not None
    return False


def shown(path):
    """A path as the report shows it: relative to the tree if inside it."""
    path = os.path.abspath(path)
    return os.path.relpath(path, ROOT) if path.startswith(ROOT + os.sep) \
        else path


def python_setup(args, quick, only, want_rt):
    """Which Python workloads and runtimes can run, and where the guest
    lives. `why` says why the section is empty."""
    gdir = args.guests or os.environ.get("WASMBOX_GUESTS") or os.path.join(
        os.path.dirname(os.path.abspath(args.wasmbox)), "guests")
    pdir = os.path.join(gdir, "python")
    # `wasmbox python` finds the guest through this too.
    os.environ["WASMBOX_GUESTS"] = os.path.abspath(gdir)
    py = {"dir": pdir, "wasm": os.path.join(pdir, "python.wasm"),
          "wasmbox": args.wasmbox,
          "lib": os.path.join(pdir, "lib"),
          "scripts": os.path.realpath(os.path.join(HERE, "py")),
          "python3": native_python(),
          "workloads": [], "runtimes": [], "cells": {}, "why": None}
    sel = [w for w in PY_WORKLOADS
           if not only or "python" in only or w[0] in only]
    if not sel:
        py["why"] = "not selected by BENCH_ONLY"
    elif not (os.path.isfile(py["wasm"]) and os.path.isdir(py["lib"])):
        py["why"] = (f"{shown(py['wasm'])} or its lib/ not found "
                     f"(`make guests` builds it)")
    else:
        py["workloads"] = [(n, d) for n, d, _, _ in sel]
        ok = {"native": True,
              "wasmbox": os.access(args.wasmbox, os.X_OK),
              "wasmbox-native": available("wasmbox-native", args),
              "node": shutil.which("node") is not None}
        py["runtimes"] = [r for r in PY_RUNTIMES if ok[r] and (
            r == "native" or not want_rt or r in want_rt)]
    return py


def native_python():
    """The native interpreter: $BENCH_PYTHON, else the system's
    /usr/bin/python3 (Debian's, the guest's CPython version, and free of
    whatever .pth files a user installation loads at start-up), else
    python3 on PATH; resolved to the real executable (a pyenv shim would
    add a shell script and a second exec to every run)."""
    exe = os.environ.get("BENCH_PYTHON") or (
        "/usr/bin/python3" if os.access("/usr/bin/python3", os.X_OK)
        else shutil.which("python3") or sys.executable)
    try:
        real = subprocess.run([exe, "-c", "import sys; print(sys.executable)"],
                              capture_output=True, text=True,
                              timeout=30).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        real = ""
    return real if real and os.access(real, os.X_OK) else exe


def py_command(rt, name, py, quick):
    """The command running Python workload `name` under runtime `rt`. The
    scripts are named by absolute path: `wasmbox python` then grants their
    directory read-only at that same path, and Node gets it preopened."""
    w = [x for x in PY_WORKLOADS if x[0] == name][0]
    pargs = list(w[3] if quick else w[2])
    if pargs[0].endswith(".py"):
        pargs[0] = os.path.join(py["scripts"], pargs[0])
    if rt == "native":
        argv = [py["python3"]] + pargs
    elif rt == "wasmbox":
        argv = [py["wasmbox"], "python", "--tier", "interp", "--timeout",
                "0"] + pargs
    elif rt == "wasmbox-native":   # python.wasm's code from the cache
        argv = [py["wasmbox"], "python", "--tier", "cached", "--timeout",
                "0", "--report", "-"] + pargs
    elif rt == "node":
        # node:wasi has no read-only preopens: keep Python from writing
        # .pyc files into the guest image.
        argv = ["node", "--no-warnings", os.path.join(HERE, "node_wasi.mjs"),
                "--dir", f"{py['lib']}:/lib",
                "--dir", f"{py['scripts']}:{py['scripts']}",
                "--env", "PYTHONDONTWRITEBYTECODE=1", "--argv0", "python3",
                py["wasm"]] + pargs
    else:
        raise ValueError(rt)
    return argv


def tool_version(argv):
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=10)
        line = (p.stdout or p.stderr).strip().splitlines()
        return line[0] if line else "?"
    except (OSError, subprocess.TimeoutExpired):
        return "not found"


def machine_info(args):
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = "?"
    try:
        with open("/proc/meminfo") as f:
            kb = int(f.readline().split()[1])
            mem = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    commit = "?"
    try:
        commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short",
                                 "HEAD"], capture_output=True, text=True,
                                timeout=10).stdout.strip() or "?"
    except (OSError, subprocess.TimeoutExpired):
        pass
    return [
        ("date", datetime.datetime.now().astimezone().strftime(
            "%Y-%m-%d %H:%M %Z")),
        ("cpu", f"{cpu}, {os.cpu_count()} logical CPUs"),
        ("memory", mem),
        ("kernel", f"{platform.system()} {platform.release()} "
                   f"{platform.machine()}"),
        ("load average at start", " ".join(
            f"{x:.2f}" for x in os.getloadavg())),
        ("wasmbox", tool_version([args.wasmbox, "--version"]) +
         f" (tree at {commit})"),
        ("native compiler", tool_version(["gcc", "--version"]) +
         ", -O2 -ffp-contract=off"),
        ("wasm compiler", tool_version(["clang-14", "--version"]) +
         ", -O2 --target=wasm32-wasi, Debian wasi-libc"),
        ("node", tool_version(["node", "--version"])),
        ("wasm-interp", "wabt " + tool_version(["wasm-interp", "--version"])),
    ]


def fmt_s(x):
    if x is None:
        return "-"
    return f"{x:.3f}" if x < 10 else f"{x:.2f}" if x < 100 else f"{x:.0f}"


def fmt_ratio(x):
    if x is None:
        return "-"
    return f"{x:.2f}x" if x < 10 else f"{x:.1f}x" if x < 100 else f"{x:.0f}x"


def cell_text(c, timeout):
    if c is None:
        return "n/a"
    if c.state == "timeout":
        return f"timeout (>{timeout:.0f} s)"
    if c.state in ("error", "mismatch"):
        return f"**{c.state.upper()}**"
    if c.state == "missing":
        return "n/a"
    if c.state == "skipped":
        return "skipped"
    s = fmt_s(c.med)
    return s


def log(msg):
    print(msg, flush=True)


def report_tier(err):
    """The tier named by the run report (--report -: one JSON line on
    stderr, after anything the guest wrote there), or None."""
    for line in reversed(err.splitlines()):
        if line.startswith("{"):
            try:
                return json.loads(line).get("tier")
            except ValueError:
                continue
    return None


def run_row(name, row, argv_of, rt_timeout, rt_runs, budget, problems,
            label="", need=None):
    """Run one workload under every runtime of `row` (runtime -> Cell),
    rt_runs[rt] times each, and check every output against native's.
    argv_of(rt) gives the command; the file `need` (default: the last
    argument, the module) must exist, else the cell is "missing". Skipped
    cells (state set beforehand) are left alone."""
    runtimes = list(row)
    spent = {r: 0.0 for r in runtimes}
    nrep = max(rt_runs.values())
    # Interleave runtimes run by run, so a burst of load on the machine
    # spreads over every column instead of hitting one.
    for rep in range(nrep):
        for rt in runtimes:
            c = row[rt]
            if c.state != "ok" or rep >= rt_runs[rt]:
                continue
            if rep > 0 and spent[rt] > budget:
                continue
            argv = argv_of(rt)
            path = need or argv[-1]
            if not os.path.exists(path):
                c.state, c.detail = "missing", f"{path} not built"
                continue
            r = run_once(argv, rt_timeout[rt])
            spent[rt] += r.wall
            c.rss = max(c.rss, r.rss_kb)
            if r.timed_out:
                c.state = "timeout"
                c.walls = []
                continue
            out = r.out.strip()
            if rt == "wasm-interp":
                out = interp_checksum(name, out) or out
            if r.status != 0:
                c.state = "error"
                c.detail = (f"exit status {r.status}: "
                            f"{(r.err or r.out).strip()[:300]}")
                continue
            tier = report_tier(r.err) if rt in NATIVE_TIER else "native"
            if tier != "native":
                c.state = "error"
                c.detail = (f"ran in the {tier} tier, not native (no "
                            f"cached code?): {r.err.strip()[:300]}")
                continue
            if c.output is None:
                c.output = out
            elif c.output != out:
                c.state = "mismatch"
                c.detail = f"output changed between runs: {out!r}"
                continue
            c.walls.append(r.wall)
            if r.cpu is not None:
                c.cpus.append(r.cpu)
    tag = f"{label} {name}" if label else name
    ref = row["native"].output
    for rt in runtimes:
        c = row[rt]
        if rt != "native" and c.state == "ok" and c.output != ref:
            c.state = "mismatch"
            c.detail = f"printed {c.output!r}, native printed {ref!r}"
        if c.state in ("error", "mismatch", "missing"):
            problems.append(f"{tag} / {rt}: {c.state}: {c.detail}")
            print(f"!!! {tag} under {rt}: {c.state.upper()}: {c.detail}",
                  file=sys.stderr, flush=True)
    nat = row["native"].med
    log(f"{tag:8s} " + "  ".join(
        f"{rt}={cell_text(row[rt], rt_timeout[rt])}"
        + (f" ({row[rt].med / nat:.1f}x)" if row[rt].med and nat else "")
        for rt in runtimes))


class Compiled:
    """The `wasmbox compile` runs of one module."""

    def __init__(self, label, path):
        self.label, self.path = label, path
        self.walls, self.cpus = [], []
        self.rss = 0
        self.state, self.detail = "ok", ""

    @property
    def mb(self):
        return os.path.getsize(self.path) / 1e6


def adopt_code(xdg, cache):
    """Move the code files a compile wrote under XDG_CACHE_HOME=xdg into
    the bench's cache (same file system: a rename keeps the file whole,
    its owner and its 0600). Returns how many."""
    src = os.path.join(xdg, "wasmbox", "native")
    dst = os.path.join(cache, "wasmbox", "native")
    os.makedirs(dst, mode=0o700, exist_ok=True)
    os.chmod(os.path.dirname(dst), 0o700)   # the cache refuses group-write
    names = [f for f in os.listdir(src) if f.endswith(".wbn")] \
        if os.path.isdir(src) else []
    for f in names:
        os.replace(os.path.join(src, f), os.path.join(dst, f))
    return len(names)


def compile_once(c, wasmbox, timeout, cache, last):
    """One `wasmbox compile` of c.path into an empty cache of its own; the
    last run's code goes to the bench's cache. False once it failed."""
    xdg = tempfile.mkdtemp(prefix="wbbench-compile")
    try:
        r = run_once([wasmbox, "compile", c.path], timeout,
                     dict(os.environ, XDG_CACHE_HOME=xdg))
        c.rss = max(c.rss, r.rss_kb)
        if r.timed_out or r.status != 0:
            c.state = "timeout" if r.timed_out else "error"
            c.detail = f"exit status {r.status}: {r.err.strip()[:300]}"
            return False
        c.walls.append(r.wall)
        if r.cpu is not None:
            c.cpus.append(r.cpu)
        if last and adopt_code(xdg, cache) == 0:
            c.state, c.detail = "error", "no code file in the cache"
            return False
        return True
    finally:
        shutil.rmtree(xdg, ignore_errors=True)


def measure_compiles(wasmbox, modules, cache, problems):
    """modules: (label, path, runs, timeout). Each run compiles into an
    empty XDG_CACHE_HOME; the code of the last one fills the bench's
    cache, `cache`, for the wasmbox-native runs."""
    done = []
    for label, path, runs, timeout in modules:
        c = Compiled(label, path)
        done.append(c)
        if not os.path.exists(path):
            c.state, c.detail = "missing", f"{path} not built"
        for i in range(runs if c.state == "ok" else 0):
            if not compile_once(c, wasmbox, timeout, cache, i == runs - 1):
                break
        if c.state != "ok":
            problems.append(f"wasmbox compile {label}: {c.state}: "
                            f"{c.detail}")
            print(f"!!! wasmbox compile {label}: {c.state.upper()}: "
                  f"{c.detail}", file=sys.stderr, flush=True)
        log(f"compile {label}: " + (
            f"{median(c.walls):.2f} s wall, {median(c.cpus) or 0:.2f} s CPU"
            if c.state == "ok" else c.state))
    return done


def compile_modules(args, workloads, runtimes, py, quick):
    """What measure_compiles compiles: the modules wasmbox-native runs."""
    runs = env_num("BENCH_COMPILE_RUNS", 1 if quick else 3, int)
    py_runs = env_num("BENCH_COMPILE_PY_RUNS", 1, int)
    mods = []
    if "wasmbox-native" in runtimes:
        mods = [(n, os.path.join(args.bins, "wasm", n + ".wasm"), runs, 300)
                for n in [w for w, _ in workloads] + ["hello"]]
    if "wasmbox-native" in py.get("runtimes", []):
        mods.append(("python.wasm", py["wasm"], py_runs, 1800))
    return mods


def cold_argv(rt, args):
    """The cold-start command of a runtime: hello.wasm as a user runs it."""
    hello = os.path.join(args.bins, "wasm", "hello.wasm")
    tier = {"wasmbox": "interp", "wasmbox-native": "cached",
            "wasmbox-simd": "interp"}
    if rt == "wasmbox-simd":
        hello = os.path.join(args.bins, "wasm-simd", "hello.wasm")
    if rt in tier:
        return [args.wasmbox, "run", "--tier", tier[rt], hello]
    return command(rt, "hello", args)


def cold_check(rt, argv, c):
    """Before timing: a native-tier row must run machine code (checked
    once, with a report, so that the timed runs write none)."""
    if not os.path.exists(argv[-1]):
        c.state, c.detail = "missing", f"{argv[-1]} not built"
    elif rt in NATIVE_TIER:
        r = run_once(argv[:2] + ["--report", "-"] + argv[2:], 30)
        tier = report_tier(r.err)
        if tier != "native":
            c.state = "error"
            c.detail = f"ran in the {tier} tier, not native"


def cold_start(args, runtimes, cold_runs, problems):
    """hello-world as a whole process, every runtime interleaved run by
    run (so that load hits all rows alike)."""
    cold = {rt: Cell() for rt in runtimes}
    argvs = {rt: cold_argv(rt, args) for rt in runtimes}
    for rt in runtimes:
        cold_check(rt, argvs[rt], cold[rt])
    for _ in range(cold_runs):
        for rt in runtimes:
            c = cold[rt]
            if c.state != "ok":
                continue
            r = run_once(argvs[rt], 30)
            c.rss = max(c.rss, r.rss_kb)
            expect = ("bench() => i64:0" if rt == "wasm-interp"
                      else "hello, world")
            if r.timed_out or r.status != 0:
                c.state = "timeout" if r.timed_out else "error"
                c.detail = (r.err or r.out).strip()[:300]
            elif r.out.strip() != expect:
                c.state = "mismatch"
                c.detail = f"printed {r.out.strip()!r}"
            else:
                c.walls.append(r.wall)
                if r.cpu is not None:
                    c.cpus.append(r.cpu)
    for rt, c in cold.items():
        if c.state != "ok":
            problems.append(f"hello / {rt}: {c.state}: {c.detail}")
            print(f"!!! cold start under {rt}: {c.state.upper()}: "
                  f"{c.detail}", file=sys.stderr, flush=True)
        log(f"cold start {rt}: " + (f"{c.med * 1000:.2f} ms" if c.med
                                    else c.state))
    return cold


def api_bench(args, quick, problems):
    """bench/api_bench.c: instantiate + call through the C API."""
    api = {}
    if not (args.api_bench and os.access(args.api_bench, os.X_OK)):
        return api
    r = run_once([args.api_bench, "-n", "2000" if quick else "20000"], 120)
    if r.status == 0 and not r.timed_out:
        for line in r.out.splitlines():
            k, _, v = line.partition(" ")
            try:
                api[k] = float(v)
            except ValueError:
                pass
        log(f"C API instantiate+call: "
            f"{api.get('instantiate_call_median_us', 0):.2f} us median")
    else:
        problems.append(f"api_bench: exit {r.status}: {r.err.strip()}")
        print(f"!!! api_bench failed: {r.err.strip()}", file=sys.stderr)
    return api


def write_report(path, text, whole):
    """Put `text` between the markers of the report file, keeping what is
    outside them; `whole` (or a new file): the generated part alone.
    Written to a temporary file and renamed: never half a report."""
    part = f"{GEN_BEGIN}\n{text.rstrip()}\n{GEN_END}\n"
    head, tail = "", ""
    if not whole and os.path.exists(path):
        with open(path) as f:
            old = f.read()
        a, b = old.find(GEN_BEGIN), old.find(GEN_END)
        head = old[:a]
        rest = old[b + len(GEN_END):].lstrip("\n")
        tail = "\n" + rest if rest else ""
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(head + part + tail)
    os.replace(tmp, path)


def report_problem(path, whole):
    """Why the report cannot be written without losing hand-written text
    (checked before the runs), or None."""
    if whole or not os.path.exists(path):
        return None
    with open(path) as f:
        old = f.read()
    a, b = old.find(GEN_BEGIN), old.find(GEN_END)
    if a < 0 or b < a or old.count(GEN_BEGIN) != 1:
        return (f"{path} has no single pair of generated-part markers "
                f"(bench/run.py GEN_BEGIN, GEN_END); add them around the "
                f"generated part, or use --out")
    return None


def main():
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bins", required=True,
                    help="directory with native/, wasm/, export/")
    ap.add_argument("--wasmbox", default=os.path.join(ROOT, "build/wasmbox"))
    ap.add_argument("--api-bench", default=None)
    ap.add_argument("--guests", default=None,
                    help="guest images (python/python.wasm, python/lib); "
                         "default $WASMBOX_GUESTS, else guests/ next to "
                         "the wasmbox binary")
    ap.add_argument("--spawn", default=None,
                    help="the bench/spawn.c helper (accurate peak RSS)")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--out", default=None,
                    help="report file (default BENCHMARKS.md, its generated "
                         "part; with --quick BINS/../BENCHMARKS.quick.md)")
    args = ap.parse_args()
    global SPAWN
    if args.spawn and os.access(args.spawn, os.X_OK):
        SPAWN = os.path.abspath(args.spawn)
    args.quick = args.quick or os.environ.get("BENCH_QUICK", "") in (
        "1", "yes", "true")
    whole = args.quick and not args.out
    out_path = args.out or (
        os.path.join(os.path.dirname(os.path.abspath(args.bins)),
                     "BENCHMARKS.quick.md") if args.quick
        else os.path.join(ROOT, "BENCHMARKS.md"))
    why = report_problem(out_path, whole)
    if why:
        sys.exit(f"run.py: {why}")
    # Every wasmbox process of the bench: the bench's own code cache, and
    # no background compilation competing with the runs.
    cache = tempfile.mkdtemp(prefix="wbbench-cache")
    os.environ["XDG_CACHE_HOME"] = cache
    os.environ["WASMBOX_BACKGROUND_COMPILE"] = "0"
    try:
        return bench(args, out_path, whole, cache)
    finally:
        shutil.rmtree(cache, ignore_errors=True)


def bench(args, out_path, whole, cache):
    quick = args.quick
    runs = env_num("BENCH_RUNS", 1 if quick else 5, int)
    cold_runs = env_num("BENCH_COLD_RUNS", 3 if quick else 20, int)
    timeout = env_num("BENCH_TIMEOUT", 20 if quick else 60)
    itimeout = env_num("BENCH_INTERP_TIMEOUT", 10 if quick else 20)
    budget = env_num("BENCH_CELL_BUDGET", 40)
    interp_all = os.environ.get("BENCH_INTERP_ALL", "") in ("1", "yes", "true")
    only = [w for w in os.environ.get("BENCH_ONLY", "").split(",") if w]
    want_rt = [r for r in os.environ.get("BENCH_RUNTIMES", "").split(",") if r]

    workloads = [(w, d) for w, d in WORKLOADS if not only or w in only]
    runtimes = [r for r in RUNTIMES
                if r == "native" or not want_rt or r in want_rt]
    runtimes = [r for r in runtimes if available(r, args)]
    rt_timeout = {r: (itimeout if r == "wasm-interp" else timeout)
                  for r in runtimes}
    rt_runs = {r: (1 if r == "wasm-interp" else runs) for r in runtimes}
    problems = []

    info = machine_info(args)
    py = python_setup(args, quick, only, want_rt)
    if py["workloads"]:
        guest = tool_version([args.wasmbox, "python", "--version"]) \
            if "wasmbox" in py["runtimes"] else "?"
        info.append(("python", f"native {tool_version([py['python3'], '--version'])}"
                     f" ({py['python3']}); guest {guest}, "
                     f"{shown(py['wasm'])}"))
    log(f"== wasmbox benchmarks ({'quick' if quick else 'full'}): "
        f"{runs} run(s) each, runtimes: {', '.join(runtimes)}")
    for k, v in info:
        log(f"   {k}: {v}")
    t_start = time.perf_counter()

    # ---- compile time; fills the cache of the wasmbox-native runs -------
    compiled = measure_compiles(
        args.wasmbox, compile_modules(args, workloads, runtimes, py, quick),
        cache, problems)

    # ---- workloads ------------------------------------------------------
    cells = {}
    interp_timeouts = 0      # consecutive wasm-interp timeouts
    for name, _ in workloads:
        row = {r: Cell() for r in runtimes}
        cells[name] = row
        if "wasm-interp" in row and interp_timeouts >= 2 and not interp_all:
            row["wasm-interp"].state = "skipped"
        run_row(name, row, lambda rt: command(rt, name, args), rt_timeout,
                rt_runs, budget, problems)
        if "wasm-interp" in row:
            st = row["wasm-interp"].state
            interp_timeouts = interp_timeouts + 1 if st == "timeout" else (
                interp_timeouts if st == "skipped" else 0)

    # ---- Python: the CPython guest against native python3 ----------------
    if py["workloads"]:
        log(f"== python: runtimes {', '.join(py['runtimes'])}")
        py_timeout = {r: timeout for r in py["runtimes"]}
        py_runs = {r: runs for r in py["runtimes"]}
        if "wasmbox-native" in py_runs:
            py_runs["wasmbox-native"] = env_num("BENCH_NATIVE_PY_RUNS", runs,
                                                int)
        for name, _ in py["workloads"]:
            row = {r: Cell() for r in py["runtimes"]}
            py["cells"][name] = row
            run_row(name, row, lambda rt: py_command(rt, name, py, quick),
                    py_timeout, py_runs, budget, problems, label="python",
                    need=py["wasm"])
    elif py["why"]:
        log(f"== python: skipped: {py['why']}")

    cold = cold_start(args, runtimes, cold_runs, problems)
    api = api_bench(args, quick, problems)

    elapsed = time.perf_counter() - t_start
    info.append(("load average at the end", " ".join(
        f"{x:.2f}" for x in os.getloadavg())))
    report = render(info, workloads, runtimes, cells, cold, api, problems,
                    quick, runs, cold_runs, rt_timeout, rt_runs, elapsed, py,
                    timeout, compiled)
    write_report(out_path, report, whole)
    log(f"== wrote {out_path} ({elapsed:.0f} s)")
    if problems:
        print(f"!!! {len(problems)} problem(s): outputs differ or runs "
              f"failed; see the report", file=sys.stderr)
        return 1
    return 0


def compiled_of(compiled, label):
    return next((c for c in compiled if c.label == label), None)


def render_native(L, compiled):
    """The native tier's own section: compile times."""
    if not compiled:
        return
    ncpu = os.cpu_count() or 1
    L.append("## Native tier\n")
    L.append("Compile time: `wasmbox compile MODULE` into an empty code "
             "cache of its own (`XDG_CACHE_HOME` a fresh directory), the "
             "whole process: wall time, and CPU time (user + system of all "
             "its threads, from wait4); MB/s is the module's size over the "
             "wall time, CPUs used the CPU time over the wall time (LLVM "
             f"compiles on one thread per CPU; this machine has {ncpu}, "
             "shared with whatever else runs: see the load average). "
             "Median over the runs. The last run's code filled the cache "
             "that the wasmbox-native columns load (`--tier cached`, every "
             "run's report checked to say `\"tier\":\"native\"`), so those "
             "columns time whole processes from a warm cache, like every "
             "other column.\n")
    L.append("| module | size MB | runs | wall s | CPU s | MB/s | CPUs used "
             "| peak RSS MiB |")
    L.append("|---|---:|---:|---:|---:|---:|---:|---:|")
    for c in compiled:
        if c.state != "ok" or not c.walls:
            L.append(f"| {c.label} | - | 0 | {c.state} | | | | |")
            continue
        w, u = median(c.walls), median(c.cpus)
        L.append(f"| {c.label} | {c.mb:.2f} | {len(c.walls)} | {fmt_s(w)} | "
                 f"{fmt_s(u)} | {c.mb / w:.2f} | "
                 f"{'-' if u is None else f'{u / w:.2f}'} | "
                 f"{c.rss / 1024:.0f} |")
    L.append("")
    L.append("What limits the native tier (docs/native-tier.md, Performance): "
             "every call still checks the call depth (an argument) and the "
             "native stack limit, charges fuel and reads the interrupt flag, "
             "and keeps a frame pointer; loads are volatile (an unused load "
             "must still trap on the guard region), which keeps LLVM from "
             "vectorising wasi-libc's byte loops (memops). Compilation is a light "
             "LLVM pipeline (the Wasm was optimised by clang already; "
             "docs/native-tier.md, \"Compile time\") and instruction "
             "selection on every function.\n")


def verdict(v, goal):
    if v is None:
        return "not measured"
    return "met" if v <= goal else f"missed ({v / goal:.1f}x over)"


def py_ratio(py, name, rt="wasmbox-native"):
    row = py.get("cells", {}).get(name)
    if row and row[rt].med and row["native"].med:
        return row[rt].med / row["native"].med
    return None


def render_native_targets(L, runtimes, py, geo, cold, compiled):
    """The native tier's rows of the targets table (issue 16)."""
    if "wasmbox-native" in runtimes:
        g = geo.get("wasmbox-native")
        L.append(f"| geomean over the C workloads, wasmbox-native / native "
                 f"| ≤ {TARGET_NATIVE_GEOMEAN}x | {fmt_ratio(g)} | "
                 f"{verdict(g, TARGET_NATIVE_GEOMEAN)} |")
    if "wasmbox-native" in py.get("runtimes", []):
        for name, goal in TARGET_NATIVE_PY.items():
            r = py_ratio(py, name)
            L.append(f"| Python {name}, wasmbox-native / python3 | "
                     f"≤ {goal}x | {fmt_ratio(r)} | {verdict(r, goal)} |")
    cn = cold.get("wasmbox-native")
    if cn:
        ms = cn.med * 1000 if cn.med else None
        L.append(f"| hello-world with cached code, whole process, "
                 f"`wasmbox run hello.wasm`, median | ≤ {TARGET_COLD_MS:.0f} "
                 f"ms | {'-' if ms is None else f'{ms:.2f} ms'} | "
                 f"{verdict(ms, TARGET_COLD_MS)} |")
    c = compiled_of(compiled, "python.wasm")
    if c:
        w = median(c.walls)
        u = median(c.cpus)
        got = "-" if w is None else f"{w:.1f} s" + (
            f" ({u:.1f} s CPU)" if u else "")
        L.append(f"| python.wasm compile time, `wasmbox compile`, wall, "
                 f"{os.cpu_count()} CPUs | ≤ {TARGET_COMPILE_S:.0f} s | "
                 f"{got} | {verdict(w, TARGET_COMPILE_S)} |")


def native_limits(workloads, cells, py, geo, cold, compiled, load):
    """What limits each missed target of the native tier, from the
    numbers of this run."""
    out = []
    g = geo.get("wasmbox-native")
    if g is not None and g > TARGET_NATIVE_GEOMEAN:
        over = sorted(((cells[n]["wasmbox-native"].med /
                        cells[n]["native"].med, n) for n, _ in workloads),
                      reverse=True)
        out.append(f"- **wasmbox-native geomean ({fmt_ratio(g)}).** "
                   "Slowest: " + ", ".join(f"{n} {fmt_ratio(r)}"
                                           for r, n in over[:3])
                   + " (see Native tier for what limits the code).")
    for name, goal in TARGET_NATIVE_PY.items():
        r = py_ratio(py, name)
        if r is not None and r > goal:
            out.append(f"- **Python {name} ({fmt_ratio(r)}).** CPython's "
                       "many small calls each pay the native tier's checks "
                       "(call depth, native stack, fuel and interrupt), and "
                       "its interpreter loops a fuel and interrupt check per "
                       "iteration (see Native tier).")
    cw, cn = cold.get("wasmbox-native"), cold.get("native")
    if cw and cw.med and cw.med * 1000 > TARGET_COLD_MS:
        t = f"- **hello-world with cached code ({cw.med * 1000:.2f} ms).**"
        if cn and cn.med:
            t += (f" Spawning the native hello alone took "
                  f"{cn.med * 1000:.2f} ms in the same interleaved runs; "
                  f"wasmbox's own share is about "
                  f"{(cw.med - cn.med) * 1000:.2f} ms")
            if cw.cpus:
                t += (f" (the process's CPU time: "
                      f"{median(cw.cpus) * 1000:.2f} ms)")
            t += ". On a loaded machine a process waits for a CPU."
        out.append(t)
    c = compiled_of(compiled, "python.wasm")
    w = median(c.walls) if c else None
    if w is not None and w > TARGET_COMPILE_S:
        u = median(c.cpus)
        out.append(f"- **python.wasm compile ({w:.1f} s wall).**"
                   + (f" {u:.1f} s of CPU, {u / w:.2f} CPUs used on average"
                      f" (load average {load}): the compiler's threads "
                      "share the 2 CPUs with whatever else runs." if u else
                      ""))
    return out


def render(info, workloads, runtimes, cells, cold, api, problems, quick,
           runs, cold_runs, rt_timeout, rt_runs, elapsed, py, py_timeout,
           compiled):
    L = []
    L.append("# wasmbox benchmarks\n")
    L.append("Generated by `make bench` (bench/run.py); do not edit by hand. "
             + ("**QUICK MODE: small sizes, 1 run: smoke test only, the "
                "numbers mean nothing.** " if quick else "")
             + f"Wall time of the whole process, median of {runs} runs "
             "(wasm-interp: 1 run), runs of the runtimes interleaved; "
             "wasmbox is the interpreter (`--tier interp`), wasmbox-native "
             "the native tier's machine code from a warm code cache "
             "(`--tier cached`; compile times under Native tier). "
             "Every runtime must print the native checksum; a different "
             "output is reported as MISMATCH.\n")
    L.append("## Machine\n")
    L.append("| | |\n|---|---|")
    for k, v in info:
        L.append(f"| {k} | {v} |")
    L.append("")

    # Times.
    L.append("## Workloads: median seconds\n")
    L.append("| workload | " + " | ".join(runtimes) + " |")
    L.append("|---|" + "---:|" * len(runtimes))
    for name, _ in workloads:
        row = cells[name]
        L.append(f"| {name} | " + " | ".join(
            cell_text(row[rt], rt_timeout[rt]) for rt in runtimes) + " |")
    L.append("")

    fewer = [f"{name} under {rt} ({len(cells[name][rt].walls)})"
             for name, _ in workloads for rt in runtimes
             if rt != "wasm-interp" and cells[name][rt].med
             and len(cells[name][rt].walls) < runs]
    if fewer:
        L.append("Fewer runs, as a cell stops repeating after "
                 "BENCH_CELL_BUDGET seconds: " + ", ".join(fewer) + ".\n")

    # Ratios.
    def ratios(rt, base):
        out = []
        for name, _ in workloads:
            a, b = cells[name][rt], cells[name].get(base)
            out.append(a.med / b.med if a.med and b and b.med else None)
        return out

    def bound(rt, base):
        """Geomean with timeouts counted at the timeout: a lower bound."""
        xs, partial = [], False
        for name, _ in workloads:
            a, b = cells[name][rt], cells[name].get(base)
            if not (b and b.med):
                continue
            if a.med:
                xs.append(a.med / b.med)
            elif a.state == "timeout":
                xs.append(rt_timeout[rt] / b.med)
                partial = True
        g = geomean(xs)
        if g is None:
            return "-"
        n = f" ({len(xs)} of {len(workloads)})" if len(xs) < len(workloads) \
            else ""
        return ("≥ " if partial else "") + fmt_ratio(g) + n

    others = [r for r in runtimes if r != "native"]
    geo = {}
    if others:
        L.append("## Ratios\n")
        L.append("Time relative to native (lower is better) and, where Node "
                 "ran, relative to Node.js.\n")
        hdr = [f"{r} / native" for r in others]
        if "node" in runtimes:
            hdr += [f"{r} / node" for r in others if r != "node"]
        L.append("| workload | " + " | ".join(hdr) + " |")
        L.append("|---|" + "---:|" * len(hdr))
        cols = [ratios(r, "native") for r in others]
        if "node" in runtimes:
            cols += [ratios(r, "node") for r in others if r != "node"]
        for i, (name, _) in enumerate(workloads):
            L.append(f"| {name} | " + " | ".join(
                fmt_ratio(c[i]) for c in cols) + " |")
        gl = [bound(r, "native") for r in others]
        if "node" in runtimes:
            gl += [bound(r, "node") for r in others if r != "node"]
        L.append("| **geomean** | " + " | ".join(f"**{g}**" for g in gl)
                 + " |")
        L.append("")
        for r in others:
            rs = ratios(r, "native")
            geo[r] = geomean(rs) if all(rs) else None
        if any(cells[n]["wasm-interp"].state == "timeout"
               for n, _ in workloads if "wasm-interp" in cells[n]):
            L.append("A \"≥\" geomean counts each timeout at the timeout, "
                     "so it is a lower bound; \"(n of m)\": over the "
                     "workloads that ran.\n")

    # SIMD: the same sources built with and without -msimd128.
    if "wasmbox-simd" in runtimes:
        L.append("## SIMD\n")
        L.append("Each workload built twice for wasm32-wasi, with and without "
                 "`clang -msimd128` (clang auto-vectorises loops into v128 "
                 "instructions), both run by wasmbox. Both builds printed the "
                 "native checksum unless PROBLEMS says otherwise.\n")
        L.append("| workload | scalar s | -msimd128 s | speed-up |")
        L.append("|---|---:|---:|---:|")
        for name, _ in workloads:
            a, b = cells[name]["wasmbox"], cells[name]["wasmbox-simd"]
            up = a.med / b.med if a.med and b.med else None
            L.append(f"| {name} | {fmt_s(a.med)} | {fmt_s(b.med)} | "
                     f"{'-' if up is None else f'{up:.2f}x'} |")
        L.append("")

    # Python: the CPython guest, against the host's python3.
    L.append("## Python (CPython 3.11 guest)\n")
    if not py["workloads"]:
        L.append(f"Skipped: {py['why']}.\n")
    else:
        prt = py["runtimes"]
        names = {"native": "python3", "wasmbox": "wasmbox",
                 "wasmbox-native": "wasmbox-native", "node": "node"}
        L.append("CPython 3.11 built for wasm32-wasi "
                 f"(`{shown(py['wasm'])}`, its standard "
                 "library at guest /lib), against native CPython "
                 f"(`{py['python3']}`). wasmbox: `wasmbox python "
                 "--tier interp --timeout 0 ARGS`; wasmbox-native: `wasmbox "
                 "python --tier cached --timeout 0 ARGS`, python.wasm's "
                 "machine code from the cache (whole processes, as the other "
                 "columns); "
                 "node: bench/node_wasi.mjs with the library preopened at "
                 "/lib. The same arguments everywhere; every runtime must "
                 "print native python3's output. Median seconds of "
                 f"{runs} runs, interleaved. These are not part of the "
                 "C-workload geomean above.\n")
        rcols = [r for r in prt if r != "native"]
        rhdr = [f"{names[r]} / python3" for r in rcols]
        if "node" in prt and "wasmbox" in prt:
            rhdr.append("wasmbox / node")
        if "node" in prt and "wasmbox-native" in prt:
            rhdr.append("wasmbox-native / node")
        L.append("| workload | " + " | ".join(f"{names[r]} s" for r in prt)
                 + " | " + " | ".join(rhdr) + " | peak RSS MiB ("
                 + " / ".join(names[r] for r in prt) + ") |")
        L.append("|---|" + "---:|" * (len(prt) + len(rhdr) + 1))

        def pyratio(row, a, b):
            x, y = row[a], row[b]
            return fmt_ratio(x.med / y.med if x.med and y.med else None)

        for name, _ in py["workloads"]:
            row = py["cells"][name]
            rs = [pyratio(row, r, "native") for r in rcols]
            if "node" in prt and "wasmbox" in prt:
                rs.append(pyratio(row, "wasmbox", "node"))
            if "node" in prt and "wasmbox-native" in prt:
                rs.append(pyratio(row, "wasmbox-native", "node"))
            L.append(f"| {name} | " + " | ".join(
                cell_text(row[r], py_timeout) for r in prt) + " | "
                + " | ".join(rs) + " | " + " / ".join(
                f"{row[r].rss / 1024:.1f}" if row[r].rss else "-"
                for r in prt) + " |")
        L.append("")
        fewer = [f"{name} under {rt} ({len(py['cells'][name][rt].walls)})"
                 for name, _ in py["workloads"] for rt in prt
                 if py["cells"][name][rt].med
                 and len(py["cells"][name][rt].walls) < runs]
        if fewer:
            L.append("Fewer runs (BENCH_CELL_BUDGET): " + ", ".join(fewer)
                     + ".\n")
        if "node" not in prt:
            L.append("Node.js did not run (not installed or not selected).\n")

    render_native(L, compiled)

    # Cold start.
    L.append("## Cold start\n")
    L.append(f"Whole process: spawn, load, instantiate, run a hello-world "
             f"`main`, exit. Median of {cold_runs} runs, the rows "
             f"interleaved run by run; CPU: user + system time of the "
             f"process (wait4). The cached row's tier was checked once "
             f"with a report; its timed runs write none.\n")
    L.append("| runtime | command | median ms | min ms | CPU median ms "
             "| peak RSS MiB |")
    L.append("|---|---|---:|---:|---:|---:|")
    cmds = {"native": "bench/hello.c, gcc -O2",
            "wasmbox": "`wasmbox run --tier interp hello.wasm`",
            "wasmbox-native": "`wasmbox run --tier cached hello.wasm` "
                              "(machine code from the cache)",
            "wasmbox-simd": "`wasmbox run --tier interp hello.wasm` "
                            "(-msimd128 build)",
            "node": "`node --no-warnings bench/node_wasi.mjs hello.wasm`",
            "wasm-interp": "`wasm-interp --run-all-exports hello.wasm` "
                           "(export variant, no output)"}
    for rt in runtimes:
        if rt not in cold:
            continue
        c = cold[rt]
        if c.med:
            cpu = median(c.cpus)
            L.append(f"| {rt} | {cmds[rt]} | {c.med * 1000:.2f} | "
                     f"{min(c.walls) * 1000:.2f} | "
                     f"{'-' if cpu is None else f'{cpu * 1000:.2f}'} | "
                     f"{c.rss / 1024:.1f} |")
        else:
            L.append(f"| {rt} | {cmds[rt]} | {c.state} | | | |")
    L.append("")

    # Memory.
    L.append("## Peak RSS (MiB, largest over the runs)\n")
    L.append("| workload | " + " | ".join(runtimes) + " |")
    L.append("|---|" + "---:|" * len(runtimes))
    for name, _ in workloads:
        row = cells[name]
        L.append(f"| {name} | " + " | ".join(
            f"{row[rt].rss / 1024:.1f}" if row[rt].rss else "-"
            for rt in runtimes) + " |")
    L.append("")

    # C API.
    L.append("## C API: instantiate + call\n")
    if api:
        L.append("bench/api_bench.c linked with build/libwasmbox.a: per "
                 "iteration a new store, instantiate a small module (1 page "
                 "of memory, a data segment, a global, one function), look "
                 "up the export, call it once (a 100-iteration loop), free "
                 "the store. The module is decoded once, outside the loop.\n")
        L.append("| measure | µs |\n|---|---:|")
        for k, label in [
                ("instantiate_call_median_us", "instantiate + call, median"),
                ("instantiate_call_p90_us", "instantiate + call, p90"),
                ("instantiate_call_min_us", "instantiate + call, min"),
                ("module_new_median_us", "wb_module_new (decode + validate), "
                                         "median"),
                ("call_median_us", "call alone on a live instance, median")]:
            if k in api:
                L.append(f"| {label} | {api[k]:.2f} |")
        L.append(f"\n{int(api.get('iterations', 0))} iterations.\n")
    else:
        L.append("not run\n")

    # Targets.
    L.append("## Where we stand vs targets\n")
    L.append("| target | goal | measured | |")
    L.append("|---|---:|---:|---|")

    g = geo.get("wasmbox")
    L.append(f"| geomean over the C workloads, wasmbox (interpreter) / "
             f"native | "
             f"≤ {TARGET_GEOMEAN:.0f}x | {fmt_ratio(g)} | "
             f"{verdict(g, TARGET_GEOMEAN)} |")
    cw = cold.get("wasmbox")
    cms = cw.med * 1000 if cw and cw.med else None
    L.append(f"| cold start, interpreter, `wasmbox run --tier interp "
             f"hello.wasm`, median | "
             f"≤ {TARGET_COLD_MS:.0f} ms | "
             f"{'-' if cms is None else f'{cms:.2f} ms'} | "
             f"{verdict(cms, TARGET_COLD_MS)} |")
    au = api.get("instantiate_call_median_us")
    L.append(f"| instantiate + call via the C API, median | "
             f"≤ {TARGET_API_US:.0f} µs | "
             f"{'-' if au is None else f'{au:.2f} µs'} | "
             f"{verdict(au, TARGET_API_US)} |")
    render_native_targets(L, runtimes, py, geo, cold, compiled)
    L.append("")
    cn = cold.get("native")
    if cn and cn.med and cms:
        nc = cold.get("wasmbox-native")
        L.append(f"Process spawn alone costs about {cn.med * 1000:.2f} ms "
                 f"here (the native hello), so wasmbox's own share of cold "
                 f"start is about {cms - cn.med * 1000:.2f} ms in the "
                 f"interpreter" + (
                     f", {(nc.med - cn.med) * 1000:.2f} ms with cached code"
                     if nc and nc.med else "") + ".")
    if geo.get("wasmbox"):
        worst = max(((cells[n]["wasmbox"].med / cells[n]["native"].med, n)
                     for n, _ in workloads
                     if cells[n]["wasmbox"].med and cells[n]["native"].med),
                    default=None)
        best = min(((cells[n]["wasmbox"].med / cells[n]["native"].med, n)
                    for n, _ in workloads
                    if cells[n]["wasmbox"].med and cells[n]["native"].med),
                   default=None)
        if worst and best:
            L.append(f"wasmbox ranges from {fmt_ratio(best[0])} native "
                     f"({best[1]}) to {fmt_ratio(worst[0])} ({worst[1]}).")
        if "node" in runtimes and geo.get("node"):
            L.append(f"Node.js (V8's optimising JIT) geomean: "
                     f"{fmt_ratio(geo['node'])} native.")
    L.append("")

    # What limits each missed target, from the numbers above where possible.
    def rel(n, rt):
        a, b = cells[n].get(rt), cells[n]["native"]
        return a.med / b.med if a and a.med and b.med else None

    limits = []
    if g is not None and g > TARGET_GEOMEAN:
        over = sorted(((rel(n, "wasmbox"), n) for n, _ in workloads
                       if (rel(n, "wasmbox") or 0) > TARGET_GEOMEAN),
                      reverse=True)
        t = (f"- **Geomean, interpreter ({fmt_ratio(g)}).** Above "
             f"{TARGET_GEOMEAN:.0f}x: " + (", ".join(
                 f"{n} {fmt_ratio(r)}" for r, n in over) or "none") + ". "
             "The interpreter has no JIT: about one dispatch per wasm "
             "instruction at roughly 1 ns each, against native code that "
             "retires several instructions per ns.")
        if any(n == "memops" for _, n in over):
            rest = geomean([rel(n, "wasmbox") for n, _ in workloads
                            if n != "memops"])
            t += (" memops times wasi-libc's memcpy/memmove/memset (plain C "
                  "loops moving at most 8 bytes a step; clang-14 builds "
                  "without bulk memory, so no memory.copy/memory.fill) "
                  "against glibc's vectorised ones"
                  + (f"; the geomean without memops is {fmt_ratio(rest)}"
                     if rest else "") + ".")
        if "wasmbox-simd" in runtimes:
            sg = geomean([rel(n, "wasmbox-simd") for n, _ in workloads])
            if sg:
                ms = rel("memops", "wasmbox-simd") if any(
                    n == "memops" for _, n in over) else None
                t += (f" Built with -msimd128 (clang's vectorised loops, "
                      f"see SIMD) the geomean is {fmt_ratio(sg)}"
                      + (f", memops {fmt_ratio(ms)}" if ms else "") + ".")
        limits.append(t)
    if cms is not None and cms > TARGET_COLD_MS:
        t = f"- **Cold start, interpreter ({cms:.2f} ms).**"
        if cn and cn.med:
            t += (f" {cn.med * 1000:.2f} ms of it is spawning a process "
                  f"(the native hello), {cms - cn.med * 1000:.2f} ms "
                  f"wasmbox's own start-up, load, instantiate, run and "
                  f"exit.")
        limits.append(t)
    if au is not None and au > TARGET_API_US:
        call = api.get("call_median_us")
        t = f"- **C API ({au:.2f} µs).** The module is decoded outside the loop"
        if call is not None:
            t += (f" and a call on a live instance takes {call:.2f} µs, so "
                  f"about {au - call:.2f} µs per iteration is store "
                  f"creation, instantiation (memory, data segment, global, "
                  f"export lookup) and teardown.")
        else:
            t += "."
        limits.append(t)
    limits += native_limits(workloads, cells, py, geo, cold, compiled,
                            dict(info).get("load average at the end", "?"))
    if limits:
        L.append("What limits the missed targets:\n")
        L.extend(limits)
        L.append("")

    if problems:
        L.append("## PROBLEMS\n")
        for p in problems:
            L.append(f"- **{p}**")
        L.append("")

    L.append("## Workloads\n")
    L.append("Sources in bench/, each compiled natively (gcc -O2) and to "
             "wasm32-wasi (clang-14 -O2); each prints `NAME CHECKSUM`.\n")
    for name, desc in workloads:
        L.append(f"- **{name}**: {desc}")
    L.append("")
    if py["workloads"]:
        L.append("Python workloads (bench/py/), run by the CPython 3.11 "
                 "guest and by native python3; each script prints `NAME "
                 "CHECKSUM`, `-c pass` prints nothing:\n")
        for name, desc in py["workloads"]:
            L.append(f"- **{name}**: {desc}")
        L.append("")
    L.append("Notes: times include process start-up (about 1 ms natively, "
             "tens of ms for Node), and Node compiles the module on every "
             "run. The wasm builds use Debian's wasi-libc (plain C string "
             "and memory routines) while native uses glibc's vectorised "
             "ones, which shows in strings and memops. wasm-interp (Debian's "
             "wabt has no WASI) runs the import-free export variant of each "
             "workload once, under a "
             f"{rt_timeout.get('wasm-interp', 0):.0f} s timeout, and is "
             "skipped after two timeouts in a row (BENCH_INTERP_ALL=1 tries "
             "every workload). "
             + ("Peak RSS comes from wait4 in bench/spawn.c. " if SPAWN else
                "**Peak RSS was read without bench/spawn.c: values below "
                "about 16 MiB are Python's own, not the program's.** ")
             + "The machine may be shared with other work: see the load "
             f"average above. Whole run: {elapsed:.0f} s.\n")
    return "\n".join(L)


if __name__ == "__main__":
    sys.exit(main())
