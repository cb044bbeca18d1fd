"""tests/cpython/guest.py: runs inside `wasmbox python`, started by
tests/cpython/run.py for one of CPython's own test modules (the `test`
package of the pinned source, built by `make guests` into
guests/python-tests).

usage: guest.py RESULTS WORKDIR TESTS_DIR MODULE [OMIT-GLOB...]

Loads test.MODULE with unittest's loader (or calls its test_main, as
regrtest does), runs its cases except those whose id matches an
OMIT-GLOB, and writes one line per case to RESULTS:
"OUTCOME<TAB>ID<TAB>DETAIL<TAB>SECONDS", OUTCOME one of pass, fail,
error, skip, omit (not run), after a line "start<TAB>ID" as it starts;
ID without the leading "test." (test_os.FileTests.test_access; class
and module fixtures as test_os.FileTests.setUpClass); DETAIL the skip
reason or the last line of the traceback. The last line is "end". The
cases' own output and full tracebacks go to stdout and stderr.
"""
import fnmatch
import importlib
import os
import re
import sys
import time
import traceback
import unittest

MODULE = None      # the test module being run (sys.argv)


def case_id(test):
    """The id of a case, or of the fixture an _ErrorHolder stands for."""
    tid = test.id()
    m = re.fullmatch(r"(\w+) \((.+)\)", tid)
    if m:                                   # "setUpClass (test.x.C)"
        tid = m.group(2) + "." + m.group(1)
    if tid.startswith("unittest.loader._FailedTest."):
        name = tid.rsplit(".", 1)[1]          # a submodule of MODULE
        tid = (name if name == MODULE else f"{MODULE}.{name}") + ".import"
    return tid[len("test."):] if tid.startswith("test.") else tid


def one_line(text):
    lines = [ln for ln in str(text).strip().splitlines() if ln.strip()]
    return (lines[-1] if lines else "").replace("\t", " ")[:300]


class Recorder(unittest.TestResult):
    """One line per case; a case whose subtests failed fails once."""

    def __init__(self, out):
        super().__init__()
        self.out = out
        self.sub_failed = None
        self.done = False
        self.t0 = time.monotonic()

    def emit(self, outcome, test, detail=""):
        secs = time.monotonic() - self.t0
        self.out.write(f"{outcome}\t{case_id(test)}\t{one_line(detail)}\t{secs:.2f}\n")
        self.out.flush()
        self.done = True

    def startTest(self, test):
        super().startTest(test)
        self.sub_failed, self.done = None, False
        self.out.write(f"start\t{case_id(test)}\n")
        self.out.flush()
        self.t0 = time.monotonic()

    def stopTest(self, test):
        if not self.done and self.sub_failed is not None:
            self.emit("fail", test, self.sub_failed)
        super().stopTest(test)

    def trace(self, test, err):
        text = "".join(traceback.format_exception(*err))
        sys.stderr.write(f"\n=== {case_id(test)}\n{text}")
        return text

    def addSuccess(self, test):
        if self.sub_failed is None:
            self.emit("pass", test)

    def addFailure(self, test, err):
        self.emit("fail", test, self.trace(test, err))

    def addError(self, test, err):
        self.emit("error", test, self.trace(test, err))

    def addSkip(self, test, reason):
        # a skipped subtest leaves its case running
        if not isinstance(test, unittest.case._SubTest):
            self.emit("skip", test, reason)

    def addExpectedFailure(self, test, err):
        self.emit("pass", test)            # marked so upstream

    def addUnexpectedSuccess(self, test):
        self.emit("fail", test, "unexpected success")

    def addSubTest(self, test, subtest, err):
        if err is not None and self.sub_failed is None:
            self.sub_failed = self.trace(subtest, err)


def keep(suite, omit, rec):
    """suite without the cases whose id matches a glob of omit (each
    reported as "omit")."""
    out = unittest.TestSuite()
    for t in suite:
        if isinstance(t, unittest.TestSuite):
            out.addTest(keep(t, omit, rec))
        elif any(fnmatch.fnmatchcase(case_id(t), g) for g in omit):
            rec.emit("omit", t)
        else:
            out.addTest(t)
    return out


def main():
    global MODULE
    results, work, tests_dir, module, *omit = sys.argv[1:]
    MODULE = module
    os.makedirs(work, exist_ok=True)
    os.chdir(work)             # TESTFN and friends are relative names
    sys.path.insert(1, tests_dir)
    from test import support
    support.verbose = 0
    support.use_resources = []   # as regrtest without -u
    with open(results, "w") as out:
        rec = Recorder(out)
        try:
            mod = importlib.import_module("test." + module)
        except unittest.SkipTest as e:
            out.write(f"skip\t{module}.import\t{one_line(e)}\nend\n")
            return
        except BaseException:
            out.write(f"error\t{module}.import\t{one_line(traceback.format_exc())}\nend\n")
            traceback.print_exc()
            return
        if hasattr(mod, "test_main"):
            # the older protocol (regrtest's too): test_main() prepares
            # and passes its suites to support.run_unittest
            support._run_suite = lambda suite: keep(suite, omit, rec).run(rec)
            try:
                mod.test_main()
            except BaseException:
                out.write(f"error\t{module}.test_main\t{one_line(traceback.format_exc())}\n")
                traceback.print_exc()
        else:
            keep(unittest.defaultTestLoader.loadTestsFromModule(mod), omit, rec).run(rec)
        out.write("end\n")

if __name__ == "__main__":
    main()
