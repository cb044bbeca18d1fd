/*
 * tr_simd.c: the 0xFD prefix, 128-bit SIMD, as LLVM vectors. A v128
 * travels as <2 x i64> and is bitcast to the shape each instruction works
 * on. As in tr_num.c, where LLVM and Wasm disagree the IR spells Wasm out:
 * shift counts are masked, float min/max and rounding follow Wasm's NaN
 * and zero rules, narrowing saturates, and arithmetic that could be
 * folded is constrained (so a signalling NaN is quieted).
 */
#include "nt.h"
#include <string.h>

enum { I8, I16, I32, I64, F32, F64 };

typedef struct shape {
    LLVMTypeRef lane, vec, ivec; /* ivec: integers of the lane's width */
    unsigned n, bits;
} shape;

static shape S(nt_fn *f, int k)
{
    nt_mod *m = f->m;
    static const unsigned lanes[] = { 16, 8, 4, 2, 4, 2 };
    LLVMTypeRef lt[] = { m->i8, m->i16, m->i32, m->i64, m->f32, m->f64 };
    LLVMTypeRef it[] = { m->i8, m->i16, m->i32, m->i64, m->i32, m->i64 };
    shape s = { lt[k], LLVMVectorType(lt[k], lanes[k]),
                LLVMVectorType(it[k], lanes[k]), lanes[k], 128 / lanes[k] };
    return s;
}

static LLVMValueRef as(nt_fn *f, LLVMValueRef v, LLVMTypeRef t)
{
    return LLVMBuildBitCast(f->m->B, v, t, "");
}

static LLVMValueRef pop_as(nt_fn *f, LLVMTypeRef t) { return as(f, nt_pop(f), t); }

static wb_status push_v(nt_fn *f, LLVMValueRef v)
{
    nt_push(f, as(f, v, f->m->v128));
    return WB_OK;
}

static LLVMValueRef splat_const(LLVMTypeRef lane, unsigned n, uint64_t v)
{
    LLVMValueRef c[16];
    for (unsigned i = 0; i < n; i++)
        c[i] = LLVMConstInt(lane, v, 0);
    return LLVMConstVector(c, n);
}

static LLVMValueRef mask(nt_fn *f, const unsigned *idx, unsigned n)
{
    LLVMValueRef c[32];
    for (unsigned i = 0; i < n; i++)
        c[i] = nt_i32(f->m, idx[i]);
    return LLVMConstVector(c, n);
}

/* Lanes [from, from + n) of v (a vector). */
static LLVMValueRef lanes(nt_fn *f, LLVMValueRef v, unsigned from, unsigned n)
{
    unsigned idx[16];
    for (unsigned i = 0; i < n; i++)
        idx[i] = from + i;
    return LLVMBuildShuffleVector(f->m->B, v, LLVMGetPoison(LLVMTypeOf(v)),
                                  mask(f, idx, n), "");
}

static LLVMValueRef splat(nt_fn *f, LLVMValueRef x, shape s)
{
    LLVMBuilderRef B = f->m->B;
    LLVMValueRef v = LLVMBuildInsertElement(B, LLVMGetPoison(s.vec), x, nt_i32(f->m, 0), "");
    unsigned idx[16] = { 0 };
    return LLVMBuildShuffleVector(B, v, LLVMGetPoison(s.vec), mask(f, idx, s.n), "");
}

static LLVMValueRef call1(nt_fn *f, const char *name, LLVMValueRef a)
{
    LLVMTypeRef t = LLVMTypeOf(a);
    return nt_call_intrinsic(f, name, &t, 1, &a, 1);
}

/* ---- integer lanes ------------------------------------------------------- */

static wb_status ibin(nt_fn *f, int k, LLVMOpcode op)
{
    shape s = S(f, k);
    LLVMValueRef b = pop_as(f, s.vec), a = pop_as(f, s.vec);
    return push_v(f, LLVMBuildBinOp(f->m->B, op, a, b, ""));
}

static wb_status icmpv(nt_fn *f, int k, LLVMIntPredicate p)
{
    shape s = S(f, k);
    LLVMValueRef b = pop_as(f, s.vec), a = pop_as(f, s.vec);
    return push_v(f, LLVMBuildSExt(f->m->B, LLVMBuildICmp(f->m->B, p, a, b, ""), s.ivec, ""));
}

static wb_status fcmpv(nt_fn *f, int k, LLVMRealPredicate p)
{
    shape s = S(f, k);
    LLVMValueRef b = pop_as(f, s.vec), a = pop_as(f, s.vec);
    return push_v(f, LLVMBuildSExt(f->m->B, LLVMBuildFCmp(f->m->B, p, a, b, ""), s.ivec, ""));
}

static wb_status shiftv(nt_fn *f, int k, LLVMOpcode op)
{
    nt_mod *m = f->m;
    shape s = S(f, k);
    LLVMValueRef c = nt_pop(f), a = pop_as(f, s.vec);
    c = LLVMBuildAnd(m->B, c, nt_i32(m, s.bits - 1), "");
    c = s.bits < 32 ? LLVMBuildTrunc(m->B, c, s.lane, "")
        : s.bits > 32 ? LLVMBuildZExt(m->B, c, s.lane, "") : c;
    return push_v(f, LLVMBuildBinOp(m->B, op, a, splat(f, c, s), ""));
}

static wb_status intrin2(nt_fn *f, int k, const char *name)
{
    shape s = S(f, k);
    LLVMValueRef b = pop_as(f, s.vec), a = pop_as(f, s.vec);
    LLVMTypeRef t = s.vec;
    return push_v(f, nt_call_intrinsic(f, name, &t, 1, (LLVMValueRef[]){ a, b }, 2));
}

static wb_status sel(nt_fn *f, int k, LLVMIntPredicate p)
{
    shape s = S(f, k);
    LLVMValueRef b = pop_as(f, s.vec), a = pop_as(f, s.vec);
    LLVMBuilderRef B = f->m->B;
    return push_v(f, LLVMBuildSelect(B, LLVMBuildICmp(B, p, a, b, ""), a, b, ""));
}

/* (a + b + 1) / 2 without overflow: in lanes twice as wide. */
static wb_status avgr(nt_fn *f, int k)
{
    LLVMBuilderRef B = f->m->B;
    shape s = S(f, k), w = S(f, k + 1);
    LLVMTypeRef wide = LLVMVectorType(w.lane, s.n);
    LLVMValueRef b = LLVMBuildZExt(B, pop_as(f, s.vec), wide, "");
    LLVMValueRef a = LLVMBuildZExt(B, pop_as(f, s.vec), wide, "");
    LLVMValueRef r = LLVMBuildAdd(B, LLVMBuildAdd(B, a, b, ""), splat_const(w.lane, s.n, 1), "");
    r = LLVMBuildLShr(B, r, splat_const(w.lane, s.n, 1), "");
    return push_v(f, LLVMBuildTrunc(B, r, s.vec, ""));
}

static wb_status unop(nt_fn *f, int k, int what)
{
    nt_mod *m = f->m;
    shape s = S(f, k);
    LLVMValueRef a = pop_as(f, s.vec);
    switch (what) {
    case 0: {                                  /* abs: INT_MIN stays */
        LLVMTypeRef t = s.vec;
        return push_v(f, nt_call_intrinsic(f, "llvm.abs", &t, 1,
                      (LLVMValueRef[]){ a, LLVMConstInt(m->i1, 0, 0) }, 2));
    }
    case 1: return push_v(f, LLVMBuildNeg(m->B, a, ""));
    default: return push_v(f, call1(f, "llvm.ctpop", a));
    }
}

static wb_status all_true(nt_fn *f, int k)
{
    nt_mod *m = f->m;
    shape s = S(f, k);
    LLVMValueRef a = pop_as(f, s.vec);
    LLVMValueRef nz = LLVMBuildICmp(m->B, LLVMIntNE, a, LLVMConstNull(s.vec), "");
    LLVMValueRef all = call1(f, "llvm.vector.reduce.and", nz);
    nt_push(f, LLVMBuildZExt(m->B, all, m->i32, ""));
    return WB_OK;
}

static wb_status bitmask(nt_fn *f, int k)
{
    nt_mod *m = f->m;
    shape s = S(f, k);
    LLVMValueRef a = pop_as(f, s.vec);
    LLVMValueRef neg = LLVMBuildICmp(m->B, LLVMIntSLT, a, LLVMConstNull(s.vec), "");
    LLVMValueRef bits = LLVMBuildBitCast(m->B, neg, LLVMIntTypeInContext(m->C, s.n), "");
    nt_push(f, LLVMBuildZExt(m->B, bits, m->i32, ""));
    return WB_OK;
}

/* Wide lanes of a and b, saturated into half as wide: a's then b's. */
static wb_status narrow(nt_fn *f, int k, bool sign)
{
    nt_mod *m = f->m;
    LLVMBuilderRef B = m->B;
    shape w = S(f, k + 1), s = S(f, k);
    int64_t lo = sign ? -(1ll << (s.bits - 1)) : 0;
    int64_t hi = sign ? (1ll << (s.bits - 1)) - 1 : (1ll << s.bits) - 1;
    LLVMValueRef half[2];
    LLVMValueRef b = pop_as(f, w.vec), a = pop_as(f, w.vec);
    LLVMValueRef in[2] = { a, b };
    LLVMTypeRef ht = LLVMVectorType(s.lane, w.n);
    for (int i = 0; i < 2; i++) {
        LLVMValueRef x = in[i];
        LLVMValueRef l = splat_const(w.lane, w.n, (uint64_t)lo);
        LLVMValueRef h = splat_const(w.lane, w.n, (uint64_t)hi);
        x = LLVMBuildSelect(B, LLVMBuildICmp(B, LLVMIntSLT, x, l, ""), l, x, "");
        x = LLVMBuildSelect(B, LLVMBuildICmp(B, LLVMIntSGT, x, h, ""), h, x, "");
        half[i] = LLVMBuildTrunc(B, x, ht, "");
    }
    unsigned idx[16];
    for (unsigned i = 0; i < s.n; i++)
        idx[i] = i;
    return push_v(f, LLVMBuildShuffleVector(B, half[0], half[1], mask(f, idx, s.n), ""));
}

/* The low or high half of narrow lanes, extended to lanes twice as wide. */
static LLVMValueRef extend_half(nt_fn *f, LLVMValueRef v, int k, bool high, bool sign)
{
    shape s = S(f, k), w = S(f, k + 1);
    LLVMValueRef h = lanes(f, as(f, v, s.vec), high ? s.n / 2 : 0, s.n / 2);
    return sign ? LLVMBuildSExt(f->m->B, h, w.vec, "") : LLVMBuildZExt(f->m->B, h, w.vec, "");
}

static wb_status extend(nt_fn *f, int k, bool high, bool sign)
{
    return push_v(f, extend_half(f, nt_pop(f), k, high, sign));
}

static wb_status extmul(nt_fn *f, int k, bool high, bool sign)
{
    LLVMValueRef b = extend_half(f, nt_pop(f), k, high, sign);
    LLVMValueRef a = extend_half(f, nt_pop(f), k, high, sign);
    return push_v(f, LLVMBuildMul(f->m->B, a, b, ""));
}

/* Sum of lanes 2i and 2i+1 (already wide). */
static LLVMValueRef pairs(nt_fn *f, LLVMValueRef wide, unsigned n)
{
    unsigned ev[8], od[8];
    for (unsigned i = 0; i < n; i++)
        ev[i] = 2 * i, od[i] = 2 * i + 1;
    LLVMBuilderRef B = f->m->B;
    LLVMValueRef p = LLVMGetPoison(LLVMTypeOf(wide));
    return LLVMBuildAdd(B, LLVMBuildShuffleVector(B, wide, p, mask(f, ev, n), ""),
                        LLVMBuildShuffleVector(B, wide, p, mask(f, od, n), ""), "");
}

static wb_status extadd(nt_fn *f, int k, bool sign)
{
    shape s = S(f, k), w = S(f, k + 1);
    LLVMTypeRef wide = LLVMVectorType(w.lane, s.n);
    LLVMValueRef a = pop_as(f, s.vec);
    a = sign ? LLVMBuildSExt(f->m->B, a, wide, "") : LLVMBuildZExt(f->m->B, a, wide, "");
    return push_v(f, pairs(f, a, w.n));
}

static wb_status dot(nt_fn *f)
{
    LLVMBuilderRef B = f->m->B;
    shape s = S(f, I16);
    LLVMTypeRef wide = LLVMVectorType(f->m->i32, 8);
    LLVMValueRef b = LLVMBuildSExt(B, pop_as(f, s.vec), wide, "");
    LLVMValueRef a = LLVMBuildSExt(B, pop_as(f, s.vec), wide, "");
    return push_v(f, pairs(f, LLVMBuildMul(B, a, b, ""), 4));
}

/* (a * b + 2^14) >> 15, saturated (only -32768 * -32768 overflows). */
static wb_status q15mulr(nt_fn *f)
{
    nt_mod *m = f->m;
    LLVMBuilderRef B = m->B;
    shape s = S(f, I16);
    LLVMTypeRef wide = LLVMVectorType(m->i32, 8);
    LLVMValueRef b = LLVMBuildSExt(B, pop_as(f, s.vec), wide, "");
    LLVMValueRef a = LLVMBuildSExt(B, pop_as(f, s.vec), wide, "");
    LLVMValueRef r = LLVMBuildAdd(B, LLVMBuildMul(B, a, b, ""), splat_const(m->i32, 8, 0x4000), "");
    r = LLVMBuildAShr(B, r, splat_const(m->i32, 8, 15), "");
    LLVMValueRef hi = splat_const(m->i32, 8, 0x7fff);
    r = LLVMBuildSelect(B, LLVMBuildICmp(B, LLVMIntSGT, r, hi, ""), hi, r, "");
    return push_v(f, LLVMBuildTrunc(B, r, s.vec, ""));
}

static wb_status swizzle(nt_fn *f)
{
    nt_mod *m = f->m;
    LLVMBuilderRef B = m->B;
    shape s = S(f, I8);
    LLVMValueRef idx = pop_as(f, s.vec), a = pop_as(f, s.vec);
    LLVMValueRef r = LLVMConstNull(s.vec);
    for (unsigned i = 0; i < 16; i++) {
        LLVMValueRef j = LLVMBuildExtractElement(B, idx, nt_i32(m, i), "");
        LLVMValueRef in = LLVMBuildICmp(B, LLVMIntULT, j, LLVMConstInt(m->i8, 16, 0), "");
        LLVMValueRef jj = LLVMBuildAnd(B, j, LLVMConstInt(m->i8, 15, 0), "");
        LLVMValueRef v = LLVMBuildExtractElement(B, a, jj, "");
        v = LLVMBuildSelect(B, in, v, LLVMConstInt(m->i8, 0, 0), "");
        r = LLVMBuildInsertElement(B, r, v, nt_i32(m, i), "");
    }
    return push_v(f, r);
}

/* ---- float lanes ---------------------------------------------------------- */

static wb_status fbin(nt_fn *f, int k, const char *op)
{
    shape s = S(f, k);
    LLVMValueRef ab[2];
    ab[1] = pop_as(f, s.vec);
    ab[0] = pop_as(f, s.vec);
    return push_v(f, nt_strict(f, op, &s.vec, 1, ab, 2, true));
}

static wb_status fun(nt_fn *f, int k, int what)
{
    nt_mod *m = f->m;
    LLVMBuilderRef B = m->B;
    shape s = S(f, k);
    LLVMValueRef a = pop_as(f, s.vec);
    static const char *const rnd[] = { "llvm.ceil", "llvm.floor", "llvm.trunc", "llvm.roundeven" };
    if (what < 4)
        return push_v(f, nt_round(f, rnd[what], a));
    if (what == 4)
        return push_v(f, nt_strict(f, "sqrt", &s.vec, 1, &a, 1, true));
    /* abs, neg: on the bits */
    LLVMValueRef sign = splat_const(LLVMGetElementType(s.ivec), s.n, 1ull << (s.bits - 1));
    LLVMValueRef ai = as(f, a, s.ivec);
    LLVMValueRef r = what == 5 ? LLVMBuildAnd(B, ai, LLVMBuildNot(B, sign, ""), "")
                               : LLVMBuildXor(B, ai, sign, "");
    return push_v(f, r);
}

static wb_status fminmax(nt_fn *f, int k, int what)
{
    LLVMBuilderRef B = f->m->B;
    shape s = S(f, k);
    LLVMValueRef b = pop_as(f, s.vec), a = pop_as(f, s.vec);
    switch (what) {
    case 0: return push_v(f, nt_fminmax(f, a, b, true));
    case 1: return push_v(f, nt_fminmax(f, a, b, false));
    /* pmin: b < a ? b : a; pmax: a < b ? b : a */
    case 2: return push_v(f, LLVMBuildSelect(B, LLVMBuildFCmp(B, LLVMRealOLT, b, a, ""), b, a, ""));
    default: return push_v(f, LLVMBuildSelect(B, LLVMBuildFCmp(B, LLVMRealOLT, a, b, ""), b, a, ""));
    }
}

static wb_status conv(nt_fn *f, uint32_t code)
{
    nt_mod *m = f->m;
    LLVMBuilderRef B = m->B;
    LLVMTypeRef v4i = LLVMVectorType(m->i32, 4), v4f = LLVMVectorType(m->f32, 4);
    LLVMTypeRef v2i = LLVMVectorType(m->i32, 2), v2f = LLVMVectorType(m->f32, 2);
    LLVMTypeRef v2d = LLVMVectorType(m->f64, 2);
    unsigned idx4[4] = { 0, 1, 2, 3 };
    LLVMValueRef a = nt_pop(f), r;
    switch (code) {
    case WB_WASM_I32X4_TRUNC_SAT_F32X4_S: case WB_WASM_I32X4_TRUNC_SAT_F32X4_U: {
        LLVMTypeRef t[2] = { v4i, v4f };
        LLVMValueRef x = as(f, a, v4f);
        return push_v(f, nt_call_intrinsic(f, code == WB_WASM_I32X4_TRUNC_SAT_F32X4_S
                                           ? "llvm.fptosi.sat" : "llvm.fptoui.sat", t, 2, &x, 1));
    }
    case WB_WASM_I32X4_TRUNC_SAT_F64X2_S_ZERO: case WB_WASM_I32X4_TRUNC_SAT_F64X2_U_ZERO: {
        LLVMTypeRef t[2] = { v2i, v2d };
        LLVMValueRef x = as(f, a, v2d);
        r = nt_call_intrinsic(f, code == WB_WASM_I32X4_TRUNC_SAT_F64X2_S_ZERO
                              ? "llvm.fptosi.sat" : "llvm.fptoui.sat", t, 2, &x, 1);
        return push_v(f, LLVMBuildShuffleVector(B, r, LLVMConstNull(v2i), mask(f, idx4, 4), ""));
    }
    case WB_WASM_F32X4_CONVERT_I32X4_S: return push_v(f, LLVMBuildSIToFP(B, as(f, a, v4i), v4f, ""));
    case WB_WASM_F32X4_CONVERT_I32X4_U: return push_v(f, LLVMBuildUIToFP(B, as(f, a, v4i), v4f, ""));
    case WB_WASM_F64X2_CONVERT_LOW_I32X4_S:
        return push_v(f, LLVMBuildSIToFP(B, lanes(f, as(f, a, v4i), 0, 2), v2d, ""));
    case WB_WASM_F64X2_CONVERT_LOW_I32X4_U:
        return push_v(f, LLVMBuildUIToFP(B, lanes(f, as(f, a, v4i), 0, 2), v2d, ""));
    case WB_WASM_F32X4_DEMOTE_F64X2_ZERO: {
        LLVMTypeRef t[2] = { v2f, v2d };
        LLVMValueRef x = as(f, a, v2d);
        r = nt_strict(f, "fptrunc", t, 2, &x, 1, true);
        return push_v(f, LLVMBuildShuffleVector(B, r, LLVMConstNull(v2f), mask(f, idx4, 4), ""));
    }
    case WB_WASM_F64X2_PROMOTE_LOW_F32X4: {
        LLVMTypeRef t[2] = { v2d, v2f };
        LLVMValueRef x = lanes(f, as(f, a, v4f), 0, 2);
        return push_v(f, nt_strict(f, "fpext", t, 2, &x, 1, false));
    }
    }
    nt_push(f, a);
    return WB_E_NOT_FOUND;
}

/* ---- lanes, constants, bitwise ---------------------------------------------- */

static wb_status lane_op(nt_fn *f, uint32_t code)
{
    nt_mod *m = f->m;
    LLVMBuilderRef B = m->B;
    uint8_t lane;
    int k;
    bool ext = false, sign = false, replace = false;
    switch (code) {
    case WB_WASM_I8X16_EXTRACT_LANE_S: k = I8; ext = sign = true; break;
    case WB_WASM_I8X16_EXTRACT_LANE_U: k = I8; ext = true; break;
    case WB_WASM_I16X8_EXTRACT_LANE_S: k = I16; ext = sign = true; break;
    case WB_WASM_I16X8_EXTRACT_LANE_U: k = I16; ext = true; break;
    case WB_WASM_I32X4_EXTRACT_LANE: k = I32; break;
    case WB_WASM_I64X2_EXTRACT_LANE: k = I64; break;
    case WB_WASM_F32X4_EXTRACT_LANE: k = F32; break;
    case WB_WASM_F64X2_EXTRACT_LANE: k = F64; break;
    case WB_WASM_I8X16_REPLACE_LANE: k = I8; replace = true; break;
    case WB_WASM_I16X8_REPLACE_LANE: k = I16; replace = true; break;
    case WB_WASM_I32X4_REPLACE_LANE: k = I32; replace = true; break;
    case WB_WASM_I64X2_REPLACE_LANE: k = I64; replace = true; break;
    case WB_WASM_F32X4_REPLACE_LANE: k = F32; replace = true; break;
    case WB_WASM_F64X2_REPLACE_LANE: k = F64; replace = true; break;
    default: return WB_E_NOT_FOUND;
    }
    WB_TRY(wb_read_u8(&f->r, &lane));
    shape s = S(f, k);
    if (replace) {
        LLVMValueRef x = nt_pop(f), v = pop_as(f, s.vec);
        if (k == I8 || k == I16)
            x = LLVMBuildTrunc(B, x, s.lane, "");
        return push_v(f, LLVMBuildInsertElement(B, v, x, nt_i32(m, lane), ""));
    }
    LLVMValueRef x = LLVMBuildExtractElement(B, pop_as(f, s.vec), nt_i32(m, lane), "");
    if (ext)
        x = sign ? LLVMBuildSExt(B, x, m->i32, "") : LLVMBuildZExt(B, x, m->i32, "");
    nt_push(f, x);
    return WB_OK;
}

static wb_status splat_op(nt_fn *f, int k)
{
    shape s = S(f, k);
    LLVMValueRef x = nt_pop(f);
    if (k == I8 || k == I16)
        x = LLVMBuildTrunc(f->m->B, x, s.lane, "");
    return push_v(f, splat(f, x, s));
}

static wb_status bits_op(nt_fn *f, uint32_t code)
{
    nt_mod *m = f->m;
    LLVMBuilderRef B = m->B;
    LLVMValueRef a, b, c;
    switch (code) {
    case WB_WASM_V128_NOT: return push_v(f, LLVMBuildNot(B, nt_pop(f), ""));
    case WB_WASM_V128_AND: return ibin(f, I64, LLVMAnd);
    case WB_WASM_V128_OR: return ibin(f, I64, LLVMOr);
    case WB_WASM_V128_XOR: return ibin(f, I64, LLVMXor);
    case WB_WASM_V128_ANDNOT:
        b = nt_pop(f), a = nt_pop(f);
        return push_v(f, LLVMBuildAnd(B, a, LLVMBuildNot(B, b, ""), ""));
    case WB_WASM_V128_BITSELECT:
        c = nt_pop(f), b = nt_pop(f), a = nt_pop(f);
        return push_v(f, LLVMBuildOr(B, LLVMBuildAnd(B, a, c, ""),
                                     LLVMBuildAnd(B, b, LLVMBuildNot(B, c, ""), ""), ""));
    case WB_WASM_V128_ANY_TRUE: {
        LLVMValueRef x = LLVMBuildBitCast(B, nt_pop(f), LLVMIntTypeInContext(m->C, 128), "");
        nt_push(f, LLVMBuildZExt(B, LLVMBuildICmp(B, LLVMIntNE, x, LLVMConstNull(LLVMTypeOf(x)), ""),
                                 m->i32, ""));
        return WB_OK;
    }
    case WB_WASM_V128_CONST: {
        const uint8_t *p;
        uint64_t w[2];
        WB_TRY(wb_read_bytes(&f->r, 16, &p));
        memcpy(w, p, 16);
        LLVMValueRef e[2] = { nt_i64(m, w[0]), nt_i64(m, w[1]) };
        nt_push(f, LLVMConstVector(e, 2));
        return WB_OK;
    }
    case WB_WASM_I8X16_SHUFFLE: {
        const uint8_t *p;
        unsigned idx[16];
        WB_TRY(wb_read_bytes(&f->r, 16, &p));
        for (int i = 0; i < 16; i++)
            idx[i] = p[i];
        shape s = S(f, I8);
        b = pop_as(f, s.vec), a = pop_as(f, s.vec);
        return push_v(f, LLVMBuildShuffleVector(B, a, b, mask(f, idx, 16), ""));
    }
    case WB_WASM_I8X16_SWIZZLE: return swizzle(f);
    }
    return WB_E_NOT_FOUND;
}

/* ---- memory ------------------------------------------------------------------ */

static wb_status memarg(nt_fn *f, uint64_t *off)
{
    uint32_t align;
    WB_TRY(wb_read_u32(&f->r, &align));
    return wb_read_uleb(&f->r, 64, off);
}

static LLVMValueRef load(nt_fn *f, LLVMTypeRef t, uint64_t off, unsigned n)
{
    LLVMValueRef v = LLVMBuildLoad2(f->m->B, t, nt_address(f, off, n), "");
    LLVMSetAlignment(v, 1);
    nt_keep_load(f->m, v);
    return v;
}

static wb_status mem_op(nt_fn *f, uint32_t code)
{
    nt_mod *m = f->m;
    LLVMBuilderRef B = m->B;
    uint64_t off;
    uint8_t lane;
    int k;
    switch (code) {
    case WB_WASM_V128_LOAD:
        WB_TRY(memarg(f, &off));
        return push_v(f, load(f, m->v128, off, 16));
    case WB_WASM_V128_STORE: {
        WB_TRY(memarg(f, &off));
        LLVMValueRef v = nt_pop(f);
        LLVMSetAlignment(LLVMBuildStore(B, v, nt_address(f, off, 16)), 1);
        return WB_OK;
    }
    case WB_WASM_V128_LOAD8X8_S: case WB_WASM_V128_LOAD8X8_U: k = I8; goto ext;
    case WB_WASM_V128_LOAD16X4_S: case WB_WASM_V128_LOAD16X4_U: k = I16; goto ext;
    case WB_WASM_V128_LOAD32X2_S: case WB_WASM_V128_LOAD32X2_U: k = I32; goto ext;
    ext: {
        WB_TRY(memarg(f, &off));
        shape s = S(f, k), w = S(f, k + 1);
        LLVMValueRef v = load(f, LLVMVectorType(s.lane, s.n / 2), off, 8);
        bool sign = code == WB_WASM_V128_LOAD8X8_S || code == WB_WASM_V128_LOAD16X4_S ||
                    code == WB_WASM_V128_LOAD32X2_S;
        return push_v(f, sign ? LLVMBuildSExt(B, v, w.vec, "") : LLVMBuildZExt(B, v, w.vec, ""));
    }
    case WB_WASM_V128_LOAD8_SPLAT: k = I8; goto spl;
    case WB_WASM_V128_LOAD16_SPLAT: k = I16; goto spl;
    case WB_WASM_V128_LOAD32_SPLAT: k = I32; goto spl;
    case WB_WASM_V128_LOAD64_SPLAT: k = I64; goto spl;
    spl: {
        WB_TRY(memarg(f, &off));
        shape s = S(f, k);
        return push_v(f, splat(f, load(f, s.lane, off, s.bits / 8), s));
    }
    case WB_WASM_V128_LOAD32_ZERO: k = I32; goto zero;
    case WB_WASM_V128_LOAD64_ZERO: k = I64; goto zero;
    zero: {
        WB_TRY(memarg(f, &off));
        shape s = S(f, k);
        LLVMValueRef x = load(f, s.lane, off, s.bits / 8);
        return push_v(f, LLVMBuildInsertElement(B, LLVMConstNull(s.vec), x, nt_i32(m, 0), ""));
    }
    case WB_WASM_V128_LOAD8_LANE: case WB_WASM_V128_STORE8_LANE: k = I8; goto lane;
    case WB_WASM_V128_LOAD16_LANE: case WB_WASM_V128_STORE16_LANE: k = I16; goto lane;
    case WB_WASM_V128_LOAD32_LANE: case WB_WASM_V128_STORE32_LANE: k = I32; goto lane;
    case WB_WASM_V128_LOAD64_LANE: case WB_WASM_V128_STORE64_LANE: k = I64; goto lane;
    lane: {
        WB_TRY(memarg(f, &off));
        WB_TRY(wb_read_u8(&f->r, &lane));
        shape s = S(f, k);
        LLVMValueRef v = pop_as(f, s.vec);
        bool store = code >= WB_WASM_V128_STORE8_LANE;
        LLVMValueRef p = nt_address(f, off, s.bits / 8);
        if (store) {
            LLVMValueRef x = LLVMBuildExtractElement(B, v, nt_i32(m, lane), "");
            LLVMSetAlignment(LLVMBuildStore(B, x, p), 1);
            return WB_OK;
        }
        LLVMValueRef x = LLVMBuildLoad2(B, s.lane, p, "");
        LLVMSetAlignment(x, 1);
        nt_keep_load(m, x);
        return push_v(f, LLVMBuildInsertElement(B, v, x, nt_i32(m, lane), ""));
    }
    }
    return WB_E_NOT_FOUND;
}

/* ---- the rest, by shape -------------------------------------------------------- */

static wb_status int_op(nt_fn *f, uint32_t code)
{
    switch (code) {
#define CMP(K, k) \
    case WB_WASM_##K##_EQ: return icmpv(f, k, LLVMIntEQ); \
    case WB_WASM_##K##_NE: return icmpv(f, k, LLVMIntNE); \
    case WB_WASM_##K##_LT_S: return icmpv(f, k, LLVMIntSLT); \
    case WB_WASM_##K##_GT_S: return icmpv(f, k, LLVMIntSGT); \
    case WB_WASM_##K##_LE_S: return icmpv(f, k, LLVMIntSLE); \
    case WB_WASM_##K##_GE_S: return icmpv(f, k, LLVMIntSGE);
#define CMPU(K, k) \
    case WB_WASM_##K##_LT_U: return icmpv(f, k, LLVMIntULT); \
    case WB_WASM_##K##_GT_U: return icmpv(f, k, LLVMIntUGT); \
    case WB_WASM_##K##_LE_U: return icmpv(f, k, LLVMIntULE); \
    case WB_WASM_##K##_GE_U: return icmpv(f, k, LLVMIntUGE);
#define ARITH(K, k) \
    case WB_WASM_##K##_ADD: return ibin(f, k, LLVMAdd); \
    case WB_WASM_##K##_SUB: return ibin(f, k, LLVMSub); \
    case WB_WASM_##K##_SHL: return shiftv(f, k, LLVMShl); \
    case WB_WASM_##K##_SHR_S: return shiftv(f, k, LLVMAShr); \
    case WB_WASM_##K##_SHR_U: return shiftv(f, k, LLVMLShr); \
    case WB_WASM_##K##_ABS: return unop(f, k, 0); \
    case WB_WASM_##K##_NEG: return unop(f, k, 1); \
    case WB_WASM_##K##_ALL_TRUE: return all_true(f, k); \
    case WB_WASM_##K##_BITMASK: return bitmask(f, k);
#define MINMAX(K, k) \
    case WB_WASM_##K##_MIN_S: return sel(f, k, LLVMIntSLT); \
    case WB_WASM_##K##_MIN_U: return sel(f, k, LLVMIntULT); \
    case WB_WASM_##K##_MAX_S: return sel(f, k, LLVMIntSGT); \
    case WB_WASM_##K##_MAX_U: return sel(f, k, LLVMIntUGT);
#define SAT(K, k) \
    case WB_WASM_##K##_ADD_SAT_S: return intrin2(f, k, "llvm.sadd.sat"); \
    case WB_WASM_##K##_ADD_SAT_U: return intrin2(f, k, "llvm.uadd.sat"); \
    case WB_WASM_##K##_SUB_SAT_S: return intrin2(f, k, "llvm.ssub.sat"); \
    case WB_WASM_##K##_SUB_SAT_U: return intrin2(f, k, "llvm.usub.sat"); \
    case WB_WASM_##K##_AVGR_U: return avgr(f, k);
#define WIDEN(K, k, N) \
    case WB_WASM_##K##_EXTEND_LOW_##N##_S: return extend(f, k - 1, false, true); \
    case WB_WASM_##K##_EXTEND_HIGH_##N##_S: return extend(f, k - 1, true, true); \
    case WB_WASM_##K##_EXTEND_LOW_##N##_U: return extend(f, k - 1, false, false); \
    case WB_WASM_##K##_EXTEND_HIGH_##N##_U: return extend(f, k - 1, true, false); \
    case WB_WASM_##K##_EXTMUL_LOW_##N##_S: return extmul(f, k - 1, false, true); \
    case WB_WASM_##K##_EXTMUL_HIGH_##N##_S: return extmul(f, k - 1, true, true); \
    case WB_WASM_##K##_EXTMUL_LOW_##N##_U: return extmul(f, k - 1, false, false); \
    case WB_WASM_##K##_EXTMUL_HIGH_##N##_U: return extmul(f, k - 1, true, false);
    CMP(I8X16, I8) CMPU(I8X16, I8) ARITH(I8X16, I8) MINMAX(I8X16, I8) SAT(I8X16, I8)
    CMP(I16X8, I16) CMPU(I16X8, I16) ARITH(I16X8, I16) MINMAX(I16X8, I16) SAT(I16X8, I16)
    CMP(I32X4, I32) CMPU(I32X4, I32) ARITH(I32X4, I32) MINMAX(I32X4, I32)
    CMP(I64X2, I64) ARITH(I64X2, I64)
    WIDEN(I16X8, I16, I8X16) WIDEN(I32X4, I32, I16X8) WIDEN(I64X2, I64, I32X4)
#undef CMP
#undef CMPU
#undef ARITH
#undef MINMAX
#undef SAT
#undef WIDEN
    case WB_WASM_I16X8_MUL: return ibin(f, I16, LLVMMul);
    case WB_WASM_I32X4_MUL: return ibin(f, I32, LLVMMul);
    case WB_WASM_I64X2_MUL: return ibin(f, I64, LLVMMul);
    case WB_WASM_I8X16_POPCNT: return unop(f, I8, 2);
    case WB_WASM_I8X16_NARROW_I16X8_S: return narrow(f, I8, true);
    case WB_WASM_I8X16_NARROW_I16X8_U: return narrow(f, I8, false);
    case WB_WASM_I16X8_NARROW_I32X4_S: return narrow(f, I16, true);
    case WB_WASM_I16X8_NARROW_I32X4_U: return narrow(f, I16, false);
    case WB_WASM_I16X8_EXTADD_PAIRWISE_I8X16_S: return extadd(f, I8, true);
    case WB_WASM_I16X8_EXTADD_PAIRWISE_I8X16_U: return extadd(f, I8, false);
    case WB_WASM_I32X4_EXTADD_PAIRWISE_I16X8_S: return extadd(f, I16, true);
    case WB_WASM_I32X4_EXTADD_PAIRWISE_I16X8_U: return extadd(f, I16, false);
    case WB_WASM_I16X8_Q15MULR_SAT_S: return q15mulr(f);
    case WB_WASM_I32X4_DOT_I16X8_S: return dot(f);
    case WB_WASM_I8X16_SPLAT: return splat_op(f, I8);
    case WB_WASM_I16X8_SPLAT: return splat_op(f, I16);
    case WB_WASM_I32X4_SPLAT: return splat_op(f, I32);
    case WB_WASM_I64X2_SPLAT: return splat_op(f, I64);
    case WB_WASM_F32X4_SPLAT: return splat_op(f, F32);
    case WB_WASM_F64X2_SPLAT: return splat_op(f, F64);
    }
    return WB_E_NOT_FOUND;
}

static wb_status float_op(nt_fn *f, uint32_t code)
{
    switch (code) {
#define FOPS(K, k) \
    case WB_WASM_##K##_EQ: return fcmpv(f, k, LLVMRealOEQ); \
    case WB_WASM_##K##_NE: return fcmpv(f, k, LLVMRealUNE); \
    case WB_WASM_##K##_LT: return fcmpv(f, k, LLVMRealOLT); \
    case WB_WASM_##K##_GT: return fcmpv(f, k, LLVMRealOGT); \
    case WB_WASM_##K##_LE: return fcmpv(f, k, LLVMRealOLE); \
    case WB_WASM_##K##_GE: return fcmpv(f, k, LLVMRealOGE); \
    case WB_WASM_##K##_ADD: return fbin(f, k, "fadd"); \
    case WB_WASM_##K##_SUB: return fbin(f, k, "fsub"); \
    case WB_WASM_##K##_MUL: return fbin(f, k, "fmul"); \
    case WB_WASM_##K##_DIV: return fbin(f, k, "fdiv"); \
    case WB_WASM_##K##_CEIL: return fun(f, k, 0); \
    case WB_WASM_##K##_FLOOR: return fun(f, k, 1); \
    case WB_WASM_##K##_TRUNC: return fun(f, k, 2); \
    case WB_WASM_##K##_NEAREST: return fun(f, k, 3); \
    case WB_WASM_##K##_SQRT: return fun(f, k, 4); \
    case WB_WASM_##K##_ABS: return fun(f, k, 5); \
    case WB_WASM_##K##_NEG: return fun(f, k, 6); \
    case WB_WASM_##K##_MIN: return fminmax(f, k, 0); \
    case WB_WASM_##K##_MAX: return fminmax(f, k, 1); \
    case WB_WASM_##K##_PMIN: return fminmax(f, k, 2); \
    case WB_WASM_##K##_PMAX: return fminmax(f, k, 3);
    FOPS(F32X4, F32) FOPS(F64X2, F64)
#undef FOPS
    }
    return conv(f, code);
}

wb_status nt_simd_op(nt_fn *f, uint32_t code)
{
    static const nt_op_fn parts[] = { mem_op, bits_op, lane_op, int_op, float_op };
    return nt_first(f, code, parts, 5);
}
