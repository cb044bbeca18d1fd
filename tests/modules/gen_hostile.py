#!/usr/bin/env python3
"""Generate the hostile and CLI test modules into OUTDIR (default
build/hostile). Modules are built at test time so that no large binary is
committed; each is described where it is made."""
import os
import sys

MAGIC = b"\0asm\1\0\0\0"
I32, I64, F32, F64 = 0x7F, 0x7E, 0x7D, 0x7C


def uleb(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def sleb(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        done = (n == 0 and not b & 0x40) or (n == -1 and b & 0x40)
        out.append(b | (0 if done else 0x80))
        if done:
            return bytes(out)


def vec(items):
    return uleb(len(items)) + b"".join(items)


def name(s):
    b = s.encode()
    return uleb(len(b)) + b


def section(sid, payload):
    return bytes([sid]) + uleb(len(payload)) + payload


def functype(params, results):
    return b"\x60" + vec([bytes([t]) for t in params]) + \
        vec([bytes([t]) for t in results])


def body(code, locals_=b"\x00"):
    b = locals_ + code + b"\x0b"
    return uleb(len(b)) + b


def module(types, funcs, codes, exports=(), imports=(), mems=()):
    """funcs: type index per defined function; exports: (name, kind, idx)."""
    m = MAGIC + section(1, vec(types))
    if imports:
        m += section(2, vec(list(imports)))
    m += section(3, vec([uleb(t) for t in funcs]))
    if mems:
        m += section(5, vec(list(mems)))
    if exports:
        m += section(7, vec([name(n) + bytes([k]) + uleb(i)
                             for n, k, i in exports]))
    return m + section(10, vec(codes))


def one_func(code, results=(I32,), params=(), locals_=b"\x00", export="f",
             mems=()):
    return module([functype(params, results)], [0], [body(code, locals_)],
                  [(export, 0, 0)], mems=mems)


def fib():
    # fib(n) = n < 2 ? n : fib(n-1) + fib(n-2)
    code = (b"\x20\x00\x41\x02\x48\x04\x7f\x20\x00\x05"
            b"\x20\x00\x41\x01\x6b\x10\x00\x20\x00\x41\x02\x6b\x10\x00\x6a"
            b"\x0b")
    return one_func(code, params=(I32,), export="fib")


def hostile():
    mods = {}
    good = fib()
    # A valid module cut in the middle of its code section.
    mods["truncated.wasm"] = good[: len(good) - 7]
    # Section sizes near 4 GiB in a tiny file.
    mods["huge_section.wasm"] = MAGIC + b"\x01" + uleb(0xFFFFFFF0) + b"\x00"
    mods["huge_custom.wasm"] = MAGIC + b"\x00" + uleb(0xFFFFFFFF) + b"\x01a"
    mods["huge_count.wasm"] = MAGIC + section(1, uleb(0xFFFFFFFF) + b"\x60")
    mods["huge_data.wasm"] = (MAGIC + section(5, b"\x01\x00\x01")
                              + section(11, b"\x01\x00\x41\x00\x0b"
                                        + uleb(0xFFFFFFFF) + b"xyz"))
    # 10,000 nested (block (result i32)) around i32.const 7: valid wasm.
    n = 10000
    mods["nested_blocks.wasm"] = one_func(b"\x02\x7f" * n + b"\x41\x07"
                                          + b"\x0b" * n)
    # 100,000 i64 locals; returns the last one (0).
    mods["many_locals.wasm"] = one_func(b"\x20" + uleb(99999), (I64,),
                                        locals_=b"\x01" + uleb(100000)
                                        + b"\x7e")
    # Memory of 65,536 pages (4 GiB); store then load the very last byte.
    touch = (b"\x41\x7f\x41\x01\x3a\x00\x00"     # i32.store8 [-1] = 1
             b"\x41\x7f\x2d\x00\x00")            # i32.load8_u [-1]
    mods["big_memory.wasm"] = one_func(touch, mems=[b"\x00" + uleb(65536)])
    # One function body of 16 MiB of nops.
    mods["huge_body.wasm"] = one_func(b"\x01" * (16 << 20) + b"\x41\x01")
    # Unbounded recursion must trap, not crash the host.
    mods["recursion.wasm"] = one_func(b"\x10\x00", ())
    mods["not_wasm.wasm"] = b"this is not a WebAssembly module\n"
    mods.update(over_limits())
    mods.update(bulk())
    mods["empty.wasm"] = b""
    return mods


def start_module(code=b"", locals_=b"\x00", tables=()):
    """A command module: _start [] -> [] with `code`."""
    m = MAGIC + section(1, vec([functype((), ())]))
    m += section(3, vec([uleb(0)]))
    if tables:
        m += section(4, vec(list(tables)))
    m += section(7, vec([name("_start") + b"\x00\x00"]))
    return m + section(10, vec([body(code, locals_)]))


def over_limits():
    """Valid commands beyond an implementation limit of the engine (see
    WB_MAX_* in src/engine/engine.h): `run` rejects them with 126."""
    mods = {}
    mods["limit_locals.wasm"] = start_module(
        locals_=b"\x01" + uleb(60000) + b"\x7f")
    n = 1000001                        # br_table targets (limit 1,000,000)
    mods["limit_br_table.wasm"] = start_module(
        b"\x02\x40\x41\x00\x0e" + uleb(n) + b"\x00" * n + b"\x00\x0b")
    n = 1100000                        # i32 operands (limit 2^20 slots)
    mods["limit_stack.wasm"] = start_module(b"\x41\x00" * n + b"\x1a" * n)
    mods["limit_table.wasm"] = start_module(
        tables=[b"\x70\x00" + uleb(20000000)])
    m = start_module()                 # 100,001 exports (limit 100,000)
    exports = section(7, uleb(100001) + name("_start") + b"\x00\x00"
                      + b"\x00\x00\x00" * 100000)
    mods["limit_exports.wasm"] = m.replace(
        section(7, vec([name("_start") + b"\x00\x00"])), exports)
    return mods


def bulk_module(code, export, mems=(), tables=(), datas=(), elems=()):
    """One function [] -> [] exported as `export`, with memories, tables,
    passive element segments of null funcrefs (sizes in `elems`) and
    passive data segments (memory.init needs the data count)."""
    m = MAGIC + section(1, vec([functype((), ())]))
    m += section(3, vec([uleb(0)]))
    if tables:
        m += section(4, vec(list(tables)))
    if mems:
        m += section(5, vec(list(mems)))
    m += section(7, vec([name(export) + b"\x00\x00"]))
    if elems:
        m += section(9, vec([b"\x05\x70" + vec([b"\xd0\x70\x0b"] * n)
                             for n in elems]))
    if datas:
        m += section(12, uleb(len(datas)))
    m += section(10, vec([body(code)]))
    if datas:
        m += section(11, vec([b"\x01" + uleb(len(d)) + d for d in datas]))
    return m


def bulk():
    """Bulk memory and table operations pay fuel for their length. The
    *_loop commands repeat one large operation forever: under --fuel
    10000 they must end with outcome fuel at once (they ran for seconds
    when only the instruction was counted). The one_* functions do one
    operation of a known cost for `invoke --fuel`."""
    mods = {}
    def i32(v):
        return b"\x41" + sleb(v)
    def loop(op):
        return b"\x03\x40" + op + b"\x0c\x00\x0b"
    mem = [b"\x00" + uleb(1024)]                   # 64 MiB
    big = 64 << 20
    tab = [b"\x70\x00" + uleb(4 << 20)]            # 4M funcrefs
    ops = {
        "fill": (i32(0) + i32(0) + i32(big) + b"\xfc\x0b\x00", mem, (), ()),
        "copy": (i32(0) + i32(big // 2) + i32(big // 2) + b"\xfc\x0a\x00\x00",
                 mem, (), ()),
        "init": (i32(0) + i32(0) + i32(1 << 20) + b"\xfc\x08\x00\x00",
                 mem, (), [bytes(1 << 20)]),
        "table_fill": (i32(0) + b"\xd0\x70" + i32(4 << 20) + b"\xfc\x11\x00",
                       (), tab, ()),
        "table_copy": (i32(0) + i32(2 << 20) + i32(2 << 20)
                       + b"\xfc\x0e\x00\x00", (), tab, ()),
    }
    for op, (code, mems, tables, datas) in ops.items():
        mods["bulk_%s_loop.wasm" % op] = bulk_module(
            loop(code), "_start", mems, tables, datas)
    # 65,536 bytes: 1,024 fuel, plus 1 for the call.
    mods["bulk_one_fill.wasm"] = bulk_module(
        i32(0) + i32(7) + i32(65536) + b"\xfc\x0b\x00", "f",
        [b"\x00\x01"])
    mods["bulk_one_init.wasm"] = bulk_module(
        i32(0) + i32(0) + i32(65536) + b"\xfc\x08\x00\x00", "f",
        [b"\x00\x01"], datas=[bytes(65536)])
    # 8,000 elements of 8 bytes: 1,000 fuel, plus 1 for the call.
    mods["bulk_one_grow.wasm"] = bulk_module(
        b"\xd0\x70" + i32(8000) + b"\xfc\x0f\x00\x1a", "f",
        tables=[b"\x70\x00\x00"])
    mods["bulk_one_table_init.wasm"] = bulk_module(
        i32(0) + i32(0) + i32(8000) + b"\xfc\x0c\x00\x00", "f",
        tables=[b"\x70\x00" + uleb(8000)], elems=[8000])
    return mods


def cli():
    mods = {}
    mods["fib.wasm"] = fib()
    ident = [(t, b"\x20\x00") for t in (I32, I64, F32, F64)]
    mods["types.wasm"] = module(
        [functype((t,), (t,)) for t, _ in ident], [0, 1, 2, 3],
        [body(c) for _, c in ident],
        [("id_" + s, 0, i) for i, s in enumerate(["i32", "i64", "f32",
                                                   "f64"])])
    mods["invalid.wasm"] = one_func(b"")           # missing i32 result
    mods["import.wasm"] = module(
        [functype((), ())], [0], [body(b"")], [("f", 0, 1)],
        imports=[name("env") + name("missing") + b"\x00\x00"])
    mods["trap.wasm"] = module(
        [functype((), ()), functype((I32, I32), (I32,))], [0, 1],
        [body(b"\x00"), body(b"\x20\x00\x20\x01\x6d")],
        [("boom", 0, 0), ("div", 0, 1)])
    mods["loop.wasm"] = one_func(b"\x03\x40\x0c\x00\x0b", ())
    return mods


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "build/hostile"
    os.makedirs(out, exist_ok=True)
    for fname, data in {**hostile(), **cli()}.items():
        tmp = os.path.join(out, fname + ".tmp")
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, os.path.join(out, fname))


if __name__ == "__main__":
    main()
