"""tests/cpython/run.py: CPython's own regression tests inside
`wasmbox python`, one guest run per test module, checked against
tests/cpython/expected. Started by tests/cpython/run.sh (see there).

Each module runs as `wasmbox python ... guest.py` with the `test` package
of the pinned CPython source (guests/python-tests, read-only at
/cpython), a results directory, and a writable working directory for
TESTFN and tempfile: a --tmpfs at /tmp, or a fresh host directory at
/work for modules marked "dir" in tests/cpython/modules.

A case's result is expected when it passed and no rule names it, or it
matched a rule of tests/cpython/expected: "fail" (fails or errors here),
"skip" (skips itself here; "skipif" by the skip's message), "omit" (not
run). Anything else is a failure: a case failing or skipping without a
rule, a "fail" or "skip" case that now passes, a module that ends early,
and a rule for a module that ran but matched no case.

Last line: "N passed, N failed, N skipped" (cases that passed, unexpected
results, cases skipped, omitted or failing as expected).
"""
import argparse
import concurrent.futures
import fnmatch
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
KINDS = ("omit", "fail", "skip", "skipif")


class Rule:
    def __init__(self, kind, pattern, reason, where):
        self.kind, self.pattern, self.reason, self.where = kind, pattern, reason, where
        self.used = False
        self.regex = re.compile(pattern) if kind == "skipif" else None

    def matches(self, case, detail):
        if self.kind == "skipif":
            return self.regex.search(detail) is not None
        return fnmatch.fnmatchcase(case, self.pattern)

    def module_pattern(self):
        return self.pattern.split(".", 1)[0]


def read_rules(path):
    """KIND PATTERN -- REASON lines; every rule needs its reason."""
    rules = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            m = re.fullmatch(r"(\w+)\s+(.+?)\s+--\s+(\S.*)", line)
            if not m or m.group(1) not in KINDS:
                sys.exit(f"{path}:{n}: want 'KIND PATTERN -- REASON' with KIND one of "
                         f"{', '.join(KINDS)}: {line}")
            try:
                rules.append(Rule(m.group(1), m.group(2), m.group(3), f"{path}:{n}"))
            except re.error as e:
                sys.exit(f"{path}:{n}: bad regular expression: {e}")
    return rules


class Module:
    """A line of tests/cpython/modules: NAME [TIER...] [dir] [KEY=VALUE...]."""

    def __init__(self, tokens, where):
        self.name = tokens[0]
        self.tiers = {"full"}
        self.dir = False
        self.opts = {"timeout": "120", "disk": "1G", "memory": "1G", "tmpfs": "512M",
                     "files": "256"}
        for t in tokens[1:]:
            if t in ("fast", "asan"):
                self.tiers.add(t)
            elif t == "dir":
                self.dir = True
            elif "=" in t and t.split("=", 1)[0] in self.opts:
                k, v = t.split("=", 1)
                self.opts[k] = v
            else:
                sys.exit(f"{where}: unknown option {t!r}")


def read_modules(path):
    mods = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.split("#", 1)[0].split()
            if line:
                mods.append(Module(line, f"{path}:{n}"))
    return mods


def rule_for(rules, case, outcome, detail):
    """The first rule naming the case (for a skip, also by its message)."""
    for r in rules:
        if r.kind == "skipif":
            if outcome == "skip" and r.matches(case, detail):
                return r
        elif r.matches(case, detail):
            return r
    return None


def judge(outcome, rule):
    """'pass', 'skip' (expected, not passed) or a complaint."""
    kind = rule.kind if rule else None
    if outcome == "omit":
        return "skip" if kind == "omit" else "omitted without a rule"
    if outcome == "pass":
        return "pass" if kind is None else f"passes, but expected: {kind}"
    if outcome in ("fail", "error"):
        return "skip" if kind == "fail" else f"unexpected {outcome}"
    if outcome == "skip":
        return "skip" if kind in ("skip", "skipif") else "unexpected skip"
    return f"unknown outcome {outcome}"


def guest_command(a, mod, res, work):
    o = mod.opts
    scale = a.slow
    cmd = [a.wasmbox, "python",
           "--timeout", f"{int(float(o['timeout']) * scale)}s",
           "--max-memory", o["memory"], "--max-disk", o["disk"],
           "--max-files", o["files"],
           "--dir", f"{a.tests}:/cpython:ro", "--dir", f"{HERE}:/runner:ro",
           "--dir", f"{res}:/out"]
    if mod.dir:
        os.makedirs(os.path.join(work, "tmp"))
        cmd += ["--dir", f"{work}:/work", "--env", "TMPDIR=/work/tmp"]
        wdir = "/work/cwd"
    else:
        cmd += ["--tmpfs", f"/tmp:{o['tmpfs']}"]
        wdir = "/tmp/cwd"
    omit = [r.pattern for r in a.rules
            if r.kind == "omit" and fnmatch.fnmatchcase(mod.name, r.module_pattern())]
    return cmd + ["/runner/guest.py", "/out/results", wdir, "/cpython", mod.name] + omit


def run_module(a, mod):
    """Run one module; returns (counts, complaints, seconds)."""
    t0 = time.time()
    tmp = tempfile.mkdtemp(prefix=f"wbcpy-{mod.name}.")
    res, work = os.path.join(tmp, "res"), os.path.join(tmp, "work")
    os.makedirs(res)
    os.makedirs(work)
    log = os.path.join(a.logs, mod.name + ".log")
    try:
        with open(log, "w") as lf:
            rc = subprocess.call(guest_command(a, mod, res, work), stdin=subprocess.DEVNULL,
                                 stdout=lf, stderr=subprocess.STDOUT)
        try:
            with open(os.path.join(res, "results"), errors="replace") as f:
                lines = f.read().splitlines()
        except OSError:
            lines = []
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if a.record:
        with a.lock, open(a.record, "a") as f:
            f.writelines(f"{mod.name}\t{ln}\n" for ln in lines)
    counts = {"pass": 0, "skip": 0, "fail": 0}
    complaints = []
    ended = bool(lines) and lines[-1] == "end"
    running = None
    for line in lines:
        if line == "end":
            continue
        outcome, case, detail = (line.split("\t") + ["", ""])[:3]
        if outcome == "start":
            running = case
            continue
        running = None
        with a.lock:
            rule = rule_for(a.rules, case, outcome, detail)
            if rule:
                rule.used = True
        verdict = judge(outcome, rule)
        if verdict in ("pass", "skip"):
            counts[verdict] += 1
        else:
            counts["fail"] += 1
            complaints.append(f"{verdict}: {case}" + (f": {detail}" if detail else ""))
    if not ended or rc != 0:
        counts["fail"] += 1
        tail = open(log, errors="replace").read().strip().splitlines()[-3:]
        complaints.append(f"ended early (exit status {rc}"
                          + (f", in {running}" if running else "")
                          + f"; log {log}): " + " | ".join(tail))
    return counts, complaints, time.time() - t0


def stale_rules(rules, ran):
    """Rules for modules that ran, matching no case."""
    out = []
    for r in rules:
        if r.kind != "skipif" and not r.used and \
                any(fnmatch.fnmatchcase(m, r.module_pattern()) for m in ran):
            out.append(f"{r.where}: '{r.kind} {r.pattern}' matched no case")
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--wasmbox", required=True)
    p.add_argument("--guests", required=True)
    p.add_argument("--tier", choices=("fast", "asan", "full"), default="fast")
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--slow", type=float, default=1.0, help="timeout multiplier")
    p.add_argument("--logs", required=True)
    p.add_argument("--record", help="append every result line to this file")
    p.add_argument("modules", nargs="*", help="only these (default: the tier's)")
    a = p.parse_args()
    a.tests = os.path.join(a.guests, "python-tests")
    a.rules = read_rules(os.path.join(HERE, "expected"))
    a.lock = threading.Lock()
    mods = read_modules(os.path.join(HERE, "modules"))
    if a.modules:
        known = {m.name: m for m in mods}
        mods = [known.get(n) or Module([n], "command line") for n in a.modules]
    else:
        mods = [m for m in mods if a.tier in m.tiers]
    os.makedirs(a.logs, exist_ok=True)
    total = {"pass": 0, "skip": 0, "fail": 0}
    t0 = time.time()
    with concurrent.futures.ThreadPoolExecutor(max_workers=a.jobs) as ex:
        futs = {ex.submit(run_module, a, m): m for m in mods}
        for fut in concurrent.futures.as_completed(futs):
            m = futs[fut]
            counts, complaints, secs = fut.result()
            for k in total:
                total[k] += counts[k]
            print(f"{'ok  ' if not complaints else 'FAIL'} {m.name}: {counts['pass']} passed, "
                  f"{counts['fail']} failed, {counts['skip']} skipped ({secs:.1f}s)", flush=True)
            for c in complaints[:40]:
                print(f"     {c}")
            if len(complaints) > 40:
                print(f"     ... {len(complaints) - 40} more")
    stale = stale_rules(a.rules, [m.name for m in mods])
    for s in stale:
        print(f"FAIL {s}")
    total["fail"] += len(stale)
    print(f"cpython tests ({a.tier if not a.modules else 'selected'}): {len(mods)} modules "
          f"in {time.time() - t0:.0f}s")
    print(f"{total['pass']} passed, {total['fail']} failed, {total['skip']} skipped")
    return 1 if total["fail"] else 0


if __name__ == "__main__":
    sys.exit(main())
