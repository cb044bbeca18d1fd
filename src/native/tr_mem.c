/*
 * tr_mem.c: memory accesses (guard regions, or checked against the
 * memory's current size: the trap is the interpreter's "out of bounds
 * memory access"),
 * memory.size/grow, globals, references, tables and bulk operations (the
 * last through helpers in the engine, which charge fuel for their length
 * as the interpreter does).
 */
#include "nt.h"
#include <stddef.h>

/* base + ea. With guard regions (the engine says so: h->guard_reserve;
 * x86-64 without WB_BOUNDS_CHECKS in memory.c) every memory reserves 2^33 + 64 KiB that never moves, so an
 * u32 index plus an u32 offset plus at most 16 bytes stays inside it and
 * an access beyond the current size faults on PROT_NONE pages; the
 * runtime turns that fault into the trap (native_rt.c). Otherwise the
 * access is checked: ea + n > size traps. */
LLVMValueRef nt_address(nt_fn *f, uint64_t offset, unsigned n)
{
    nt_mod *m = f->m;
    LLVMValueRef a = nt_pop(f);
    LLVMValueRef ea = LLVMBuildAdd(m->B, LLVMBuildZExt(m->B, a, m->i64, ""),
                                   nt_i64(m, offset), "");
    if (nt_guarded(m))
        return LLVMBuildGEP2(m->B, m->i8, f->membase, &ea, 1, "");
    LLVMValueRef end = LLVMBuildAdd(m->B, ea, nt_i64(m, n), "");
    LLVMValueRef so = nt_i64(m, offsetof(wb_memory, size));
    LLVMValueRef size = LLVMBuildLoad2(m->B, m->i64,
                                       LLVMBuildGEP2(m->B, m->i8, f->mem, &so, 1, ""), "");
    nt_trap_if(f, LLVMBuildICmp(m->B, LLVMIntUGT, end, size, ""), WB_TRAP_MEMORY_OOB);
    return LLVMBuildGEP2(m->B, m->i8, f->membase, &ea, 1, "");
}

/* With guard regions, the load is what traps: LLVM must not drop it when
 * its value is unused (volatile: neither removed nor merged). */
void nt_keep_load(nt_mod *m, LLVMValueRef load)
{
    nt_tag_mem(m, load);
    if (nt_guarded(m))
        LLVMSetVolatile(load, 1);
}

/* Guard regions: the engine's memories reserve enough that an u32 index
 * plus an u32 offset plus 16 bytes never leaves them. */
bool nt_guarded(const nt_mod *m)
{
    return m->guard_reserve >= (1ull << 33) + 16;
}

static wb_status memarg(nt_fn *f, uint64_t *offset)
{
    uint32_t align;
    WB_TRY(wb_read_u32(&f->r, &align));
    return wb_read_uleb(&f->r, 64, offset);
}

/* in: the type in memory; out: the value's type; sx: sign-extend. */
static wb_status load(nt_fn *f, LLVMTypeRef in, LLVMTypeRef out, unsigned n,
                      bool sx)
{
    nt_mod *m = f->m;
    uint64_t off;
    WB_TRY(memarg(f, &off));
    LLVMValueRef p = nt_address(f, off, n);
    LLVMValueRef v = LLVMBuildLoad2(m->B, in, p, "");
    LLVMSetAlignment(v, 1);
    nt_keep_load(f->m, v);
    if (in != out)
        v = sx ? LLVMBuildSExt(m->B, v, out, "") : LLVMBuildZExt(m->B, v, out, "");
    nt_push(f, v);
    return WB_OK;
}

static wb_status store(nt_fn *f, LLVMTypeRef as, unsigned n)
{
    nt_mod *m = f->m;
    uint64_t off;
    WB_TRY(memarg(f, &off));
    LLVMValueRef v = nt_pop(f);
    if (LLVMTypeOf(v) != as)
        v = LLVMBuildTrunc(m->B, v, as, "");
    LLVMValueRef p = nt_address(f, off, n);
    LLVMSetAlignment(nt_tag_mem(m, LLVMBuildStore(m->B, v, p)), 1);
    return WB_OK;
}

static wb_status memory_op(nt_fn *f, uint32_t code)
{
    nt_mod *m = f->m;
    switch (code) {
    case WB_WASM_I32_LOAD: return load(f, m->i32, m->i32, 4, false);
    case WB_WASM_I64_LOAD: return load(f, m->i64, m->i64, 8, false);
    case WB_WASM_F32_LOAD: return load(f, m->f32, m->f32, 4, false);
    case WB_WASM_F64_LOAD: return load(f, m->f64, m->f64, 8, false);
    case WB_WASM_I32_LOAD8_S: return load(f, m->i8, m->i32, 1, true);
    case WB_WASM_I32_LOAD8_U: return load(f, m->i8, m->i32, 1, false);
    case WB_WASM_I32_LOAD16_S: return load(f, m->i16, m->i32, 2, true);
    case WB_WASM_I32_LOAD16_U: return load(f, m->i16, m->i32, 2, false);
    case WB_WASM_I64_LOAD8_S: return load(f, m->i8, m->i64, 1, true);
    case WB_WASM_I64_LOAD8_U: return load(f, m->i8, m->i64, 1, false);
    case WB_WASM_I64_LOAD16_S: return load(f, m->i16, m->i64, 2, true);
    case WB_WASM_I64_LOAD16_U: return load(f, m->i16, m->i64, 2, false);
    case WB_WASM_I64_LOAD32_S: return load(f, m->i32, m->i64, 4, true);
    case WB_WASM_I64_LOAD32_U: return load(f, m->i32, m->i64, 4, false);
    case WB_WASM_I32_STORE: return store(f, m->i32, 4);
    case WB_WASM_I64_STORE: return store(f, m->i64, 8);
    case WB_WASM_F32_STORE: return store(f, m->f32, 4);
    case WB_WASM_F64_STORE: return store(f, m->f64, 8);
    case WB_WASM_I32_STORE8: case WB_WASM_I64_STORE8: return store(f, m->i8, 1);
    case WB_WASM_I32_STORE16: case WB_WASM_I64_STORE16: return store(f, m->i16, 2);
    case WB_WASM_I64_STORE32: return store(f, m->i32, 4);
    }
    return WB_E_NOT_FOUND;
}

/* ---- globals ------------------------------------------------------------ */

static LLVMValueRef global_ptr(nt_fn *f, uint32_t i)
{
    nt_mod *m = f->m;
    LLVMValueRef gs = nt_ctx_load(f, offsetof(wb_nctx, globals), m->ptr);
    LLVMValueRef off = nt_i64(m, (uint64_t)i * sizeof(void *));
    LLVMValueRef g = nt_invariant(m, LLVMBuildLoad2(m->B, m->ptr,
                                    LLVMBuildGEP2(m->B, m->i8, gs, &off, 1, ""), ""));
    LLVMValueRef vo = nt_i64(m, offsetof(wb_global, val));
    return LLVMBuildGEP2(m->B, m->i8, g, &vo, 1, "");
}

static wb_status global_op(nt_fn *f, uint32_t code)
{
    nt_mod *m = f->m;
    uint32_t i;
    WB_TRY(wb_read_u32(&f->r, &i));
    uint8_t t = m->wm->globals[i].type;
    LLVMValueRef p = global_ptr(f, i);
    if (code == WB_WASM_GLOBAL_GET) {
        LLVMValueRef v = nt_tag_rt(m, LLVMBuildLoad2(m->B, nt_type(m, t), p, ""));
        LLVMSetAlignment(v, 8);         /* a v128 is not 16-aligned there */
        nt_push(f, v);
        return WB_OK;
    }
    /* the slot keeps 32-bit values zero-extended, as the interpreter does */
    LLVMValueRef v = nt_pop(f);
    if (t == WB_F32)
        v = LLVMBuildBitCast(m->B, v, m->i32, "");
    if (t == WB_I32 || t == WB_F32)
        v = LLVMBuildZExt(m->B, v, m->i64, "");
    else if (t == WB_F64)
        v = LLVMBuildBitCast(m->B, v, m->i64, "");
    /* v128: both words, stored as they are */
    LLVMSetAlignment(nt_tag_rt(m, LLVMBuildStore(m->B, v, p)), 8);
    return WB_OK;
}

/* ---- tables, references, bulk ----------------------------------------------- */

#define H(name) offsetof(wb_native_helpers, name)

static LLVMValueRef call_u32s(nt_fn *f, size_t helper, LLVMTypeRef ret,
                              const uint32_t *imm, unsigned nimm,
                              unsigned npop, int ref_at)
{
    nt_mod *m = f->m;
    LLVMTypeRef ts[7];
    LLVMValueRef as[7];
    unsigned n = 0;
    for (unsigned i = 0; i < nimm; i++, n++) {
        ts[n] = m->i32;
        as[n] = nt_i32(m, imm[i]);
    }
    f->sp -= npop;
    for (unsigned i = 0; i < npop; i++, n++) {
        as[n] = f->stack[f->sp + i];
        ts[n] = (int)i == ref_at ? m->i64 : m->i32;
    }
    return nt_helper(f, helper, ret, ts, n, as);
}

static wb_status read2(nt_fn *f, uint32_t *a, uint32_t *b)
{
    WB_TRY(wb_read_u32(&f->r, a));
    return wb_read_u32(&f->r, b);
}

static wb_status table_op(nt_fn *f, uint32_t code)
{
    nt_mod *m = f->m;
    uint32_t x[2] = { 0, 0 };
    uint8_t z;
    switch (code) {
    case WB_WASM_TABLE_GET:
        WB_TRY(wb_read_u32(&f->r, &x[0]));
        nt_push(f, call_u32s(f, H(table_get), m->i64, x, 1, 1, -1));
        return WB_OK;
    case WB_WASM_TABLE_SET:
        WB_TRY(wb_read_u32(&f->r, &x[0]));
        call_u32s(f, H(table_set), m->vt, x, 1, 2, 1);
        return WB_OK;
    case WB_WASM_TABLE_SIZE:
        WB_TRY(wb_read_u32(&f->r, &x[0]));
        nt_push(f, call_u32s(f, H(table_size), m->i32, x, 1, 0, -1));
        return WB_OK;
    case WB_WASM_TABLE_GROW:
        WB_TRY(wb_read_u32(&f->r, &x[0]));
        nt_push(f, call_u32s(f, H(table_grow), m->i32, x, 1, 2, 0));
        return WB_OK;
    case WB_WASM_TABLE_FILL:
        WB_TRY(wb_read_u32(&f->r, &x[0]));
        call_u32s(f, H(table_fill), m->vt, x, 1, 3, 1);
        return WB_OK;
    case WB_WASM_TABLE_COPY:
        WB_TRY(read2(f, &x[0], &x[1]));
        call_u32s(f, H(table_copy), m->vt, x, 2, 3, -1);
        return WB_OK;
    case WB_WASM_TABLE_INIT: {
        WB_TRY(read2(f, &x[1], &x[0]));        /* elem, then table */
        call_u32s(f, H(table_init), m->vt, x, 2, 3, -1);
        return WB_OK;
    }
    case WB_WASM_ELEM_DROP:
        WB_TRY(wb_read_u32(&f->r, &x[0]));
        call_u32s(f, H(elem_drop), m->vt, x, 1, 0, -1);
        return WB_OK;
    case WB_WASM_MEMORY_INIT:
        WB_TRY(wb_read_u32(&f->r, &x[0]));
        WB_TRY(wb_read_u8(&f->r, &z));
        call_u32s(f, H(mem_init), m->vt, x, 1, 3, -1);
        return WB_OK;
    case WB_WASM_DATA_DROP:
        WB_TRY(wb_read_u32(&f->r, &x[0]));
        call_u32s(f, H(data_drop), m->vt, x, 1, 0, -1);
        return WB_OK;
    case WB_WASM_MEMORY_COPY:
        WB_TRY(wb_read_u8(&f->r, &z));
        WB_TRY(wb_read_u8(&f->r, &z));
        call_u32s(f, H(mem_copy), m->vt, x, 0, 3, -1);
        return WB_OK;
    case WB_WASM_MEMORY_FILL:
        WB_TRY(wb_read_u8(&f->r, &z));
        call_u32s(f, H(mem_fill), m->vt, x, 0, 3, -1);
        return WB_OK;
    }
    return WB_E_NOT_FOUND;
}

static wb_status ref_op(nt_fn *f, uint32_t code)
{
    nt_mod *m = f->m;
    uint32_t i;
    uint8_t t;
    switch (code) {
    case WB_WASM_REF_NULL:
        WB_TRY(wb_read_u8(&f->r, &t));
        nt_push(f, nt_i64(m, 0));
        return WB_OK;
    case WB_WASM_REF_IS_NULL:
        nt_push(f, LLVMBuildZExt(m->B, LLVMBuildICmp(m->B, LLVMIntEQ, nt_pop(f),
                                                     nt_i64(m, 0), ""), m->i32, ""));
        return WB_OK;
    case WB_WASM_REF_FUNC: {
        WB_TRY(wb_read_u32(&f->r, &i));
        LLVMValueRef fs = nt_ctx_load(f, offsetof(wb_nctx, funcs), m->ptr);
        LLVMValueRef off = nt_i64(m, (uint64_t)i * sizeof(void *));
        nt_push(f, LLVMBuildLoad2(m->B, m->i64,
                                  LLVMBuildGEP2(m->B, m->i8, fs, &off, 1, ""), ""));
        return WB_OK;
    }
    }
    return WB_E_NOT_FOUND;
}

wb_status nt_mem_op(nt_fn *f, uint32_t code)
{
    nt_mod *m = f->m;
    uint8_t z;
    switch (code) {
    case WB_WASM_GLOBAL_GET: case WB_WASM_GLOBAL_SET:
        return global_op(f, code);
    case WB_WASM_MEMORY_SIZE: {
        WB_TRY(wb_read_u8(&f->r, &z));
        LLVMValueRef so = nt_i64(m, offsetof(wb_memory, size));
        LLVMValueRef size = LLVMBuildLoad2(m->B, m->i64,
                                           LLVMBuildGEP2(m->B, m->i8, f->mem, &so, 1, ""), "");
        nt_push(f, LLVMBuildTrunc(m->B, LLVMBuildLShr(m->B, size, nt_i64(m, 16), ""),
                                  m->i32, ""));
        return WB_OK;
    }
    case WB_WASM_MEMORY_GROW: {
        WB_TRY(wb_read_u8(&f->r, &z));
        uint32_t none[1] = { 0 };
        nt_push(f, call_u32s(f, H(mem_grow), m->i32, none, 0, 1, -1));
        return WB_OK;
    }
    }
    static const nt_op_fn rest[] = { memory_op, table_op, ref_op };
    return nt_first(f, code, rest, 3);
}
