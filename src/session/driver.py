# driver.py: wasmbox's Python session kernel (runs inside python.wasm).
#
# Reads framed requests from stdin -- a line "<nonce> <nbytes>\n" followed
# by nbytes of UTF-8 source -- and runs each in one persistent globals
# dict, like a notebook kernel: the value of a final expression statement
# is printed (repr). Control lines on fd 1 frame each step: once the
# request is read, "\x1eWBGO <nonce>\n" (the host applies the step's fuel
# then); the step's own output goes straight to fds 1 and 2; after it,
#   "\x1eWBEND <nonce> {json}\n"  json: {"status": "ok"|"error"|"exit",
#                                         "exit_code": N}
# ends the step.
# At start-up "\x1eWBREADY\n" says the interpreter is ready.
# With WASMBOX_KERNEL_STEPS=1 in the environment the script returns after
# that line, leaving sys._wasmbox_kernel_step, which serves one request
# per call (the host calls it for each step).
import ast
import io
import json
import linecache
import os
import sys
import traceback


def _main():
    os.chdir("/work")
    if "/work" not in sys.path:
        sys.path.insert(0, "/work")
    out = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8",
                           errors="backslashreplace", write_through=True)
    err = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding="utf-8",
                           errors="backslashreplace", write_through=True)
    sys.stdout = sys.__stdout__ = out
    sys.stderr = sys.__stderr__ = err
    sys.stdin = sys.__stdin__ = io.StringIO("")
    sys.argv = [""]
    inp = io.FileIO(0, "r", closefd=False)
    pending = bytearray()

    def read_line():
        while b"\n" not in pending:
            chunk = inp.read(65536)
            if not chunk:
                return None
            pending.extend(chunk)
        i = pending.index(b"\n")
        line = bytes(pending[:i])
        del pending[:i + 1]
        return line

    def read_n(n):
        while len(pending) < n:
            chunk = inp.read(max(65536, n - len(pending)))
            if not chunk:
                return None
            pending.extend(chunk)
        data = bytes(pending[:n])
        del pending[:n]
        return data

    g = {"__name__": "__main__", "__builtins__": __builtins__}
    count = 0

    def step():
        # One request: False when stdin ended or the header is bad.
        nonlocal count
        hdr = read_line()
        if hdr is None:
            return False
        try:
            nonce, n = hdr.decode().split()
            src = read_n(int(n))
        except ValueError:
            return False
        if src is None:
            return False
        os.write(1, ("\x1eWBGO %s\n" % nonce).encode())
        count += 1
        name = "<step %d>" % count
        text = src.decode("utf-8", "replace")
        linecache.cache[name] = (len(text), None, text.splitlines(True), name)
        status, code = "ok", 0
        try:
            try:
                tree = ast.parse(text, name, "exec")
                last = None
                if tree.body and isinstance(tree.body[-1], ast.Expr):
                    last = ast.Expression(tree.body.pop().value)
                exec(compile(tree, name, "exec"), g)
                if last is not None:
                    value = eval(compile(last, name, "eval"), g)
                    if value is not None:
                        print(repr(value))
            except SystemExit as e:
                status = "exit"
                if e.code is None:
                    code = 0
                elif isinstance(e.code, int):
                    code = e.code
                else:
                    print(e.code, file=sys.stderr)
                    code = 1
            except BaseException as e:
                status, code = "error", 1
                tb = e.__traceback__
                # hide this driver's frame
                while tb is not None and tb.tb_frame.f_code.co_filename == __file__:
                    tb = tb.tb_next
                traceback.print_exception(type(e), e, tb)
        except BaseException:
            status, code = "error", 1          # output itself failed
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except BaseException:
            pass
        reply = json.dumps({"status": status, "exit_code": code})
        os.write(1, ("\x1eWBEND %s %s\n" % (nonce, reply)).encode())

        return True

    # Checkpointed kernels (docs/snapshots.md): the host calls each step,
    # so no frame of ours is live between steps.
    stepped = os.environ.pop("WASMBOX_KERNEL_STEPS", None) == "1"
    if stepped:
        sys._wasmbox_kernel_step = step
    os.write(1, b"\x1eWBREADY\n")
    if not stepped:
        while step():
            pass

_main()
