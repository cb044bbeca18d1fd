#!/usr/bin/env python3
"""mkbrt.py OUT MIB [TARGETS] (tests/attack, round 2): a module of about MIB MiB of function bodies
that are one br_table each, every target a loop whose two params need
copies: the interpreter's translation of a body byte is up to 8 cells
(64 bytes). _start calls every function once (each translates and
returns at once), then loops forever."""
import sys
def leb(n):
    out = bytearray()
    while True:
        b = n & 0x7f; n >>= 7
        if n: out.append(b | 0x80)
        else: out.append(b); return bytes(out)
def sec(id, body): return bytes([id]) + leb(len(body)) + body
def vec(items): return leb(len(items)) + b"".join(items)
out, mib = sys.argv[1], int(sys.argv[2])
n = int(sys.argv[3]) if len(sys.argv) > 3 else 60000
types = sec(1, vec([b"\x60\x00\x00", b"\x60\x02\x7f\x7f\x00", b"\x60\x01\x7f\x00"]))
body = (b"\x00" + b"\x20\x00\x04\x40\x0f\x0b"       # if (p0) return
        + b"\x41\x00\x41\x00\x03\x01"               # 0 0 loop (type 1)
        + b"\x20\x00\x20\x00\x20\x00"               # p0 p0 idx=p0
        + b"\x0e" + leb(n) + b"\x00" * n + b"\x00"  # br_table 0.. default 0
        + b"\x0b\x0b")
fb = leb(len(body)) + body
F = max(1, (mib << 20) // len(fb))
start = b"\x00" + b"".join(b"\x41\x01\x10" + leb(i + 1) for i in range(F)) + b"\x03\x40\x0c\x00\x0b\x0b"
sb = leb(len(start)) + start
funcs = sec(3, vec([leb(0)] + [leb(2)] * F))
exp = sec(7, vec([leb(6) + b"_start" + b"\x00" + leb(0)]))
code = sec(10, vec([sb] + [fb] * F))
mod = types + funcs + exp + code
open(out, "wb").write(b"\x00asm\x01\x00\x00\x00" + mod)
print(F, "functions", len(mod), "bytes")
