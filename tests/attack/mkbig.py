#!/usr/bin/env python3
"""mkbig.py OUT KIND MIB: a valid wasm module of about MIB MiB.
KIND data: one passive data segment of MIB MiB (decoded: copied?);
KIND code: many functions of straight-line code (decode+validate time)."""
import sys
def leb(n):
    out = bytearray()
    while True:
        b = n & 0x7f; n >>= 7
        if n: out.append(b | 0x80)
        else: out.append(b); return bytes(out)
def sec(id, body): return bytes([id]) + leb(len(body)) + body
def vec(items): return leb(len(items)) + b"".join(items)
out, kind, mib = sys.argv[1], sys.argv[2], int(sys.argv[3])
types = sec(1, vec([b"\x60\x00\x00"]))
if kind == "data":
    funcs = sec(3, vec([leb(0)]))
    mem = sec(5, vec([b"\x00\x01"]))
    exp = sec(7, vec([leb(6) + b"_start" + b"\x00" + leb(0)]))
    cnt = sec(12, leb(1))
    code = sec(10, vec([leb(7) + b"\x00\x03\x40\x0c\x00\x0b\x0b"]))  # loop forever
    payload = b"\x01" + leb(mib << 20) + bytes(mib << 20)
    data = sec(11, vec([payload]))
    mod = types + funcs + mem + exp + cnt + code + data
else:
    # N functions each with body of K "i32.const 0; drop" pairs
    K = 60000
    body = b"\x00" + b"\x41\x00\x1a" * K + b"\x0b"
    fb = leb(len(body)) + body
    n = max(1, (mib << 20) // len(fb))
    funcs = sec(3, vec([leb(0)] * n))
    exp = sec(7, vec([leb(6) + b"_start" + b"\x00" + leb(0)]))
    code = sec(10, vec([fb] * n))
    mod = types + funcs + exp + code
open(out, "wb").write(b"\x00asm\x01\x00\x00\x00" + mod)
