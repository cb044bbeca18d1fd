/*
 * tr_num.c: numeric instructions. Where LLVM and Wasm disagree the IR
 * spells Wasm's rule out: shift counts are masked (LLVM: poison beyond
 * the width), division checks zero and overflow before dividing (LLVM:
 * undefined behaviour), rem_s by -1 is 0 without dividing, float-to-int
 * traps out of range (LLVM: poison), sign operations work on bits (NaN
 * payloads survive), and rounding quiets a signalling NaN.
 */
#include "nt.h"
#include <stdio.h>
#include <string.h>

static LLVMValueRef bool32(nt_fn *f, LLVMValueRef c)
{
    return LLVMBuildZExt(f->m->B, c, f->m->i32, "");
}

static LLVMValueRef intrinsic1(nt_fn *f, const char *name, LLVMValueRef a)
{
    LLVMTypeRef t = LLVMTypeOf(a);
    return nt_call_intrinsic(f, name, &t, 1, &a, 1);
}

static LLVMValueRef ones(nt_mod *m, LLVMTypeRef t)
{
    return LLVMConstAllOnes(t);
}

static LLVMValueRef int_const(LLVMTypeRef t, uint64_t v)
{
    return LLVMConstInt(t, v, 0);
}

/* ---- integers -------------------------------------------------------------- */

static wb_status icmp(nt_fn *f, LLVMIntPredicate p)
{
    LLVMValueRef b = nt_pop(f), a = nt_pop(f);
    nt_push(f, bool32(f, LLVMBuildICmp(f->m->B, p, a, b, "")));
    return WB_OK;
}

static wb_status shift(nt_fn *f, LLVMOpcode op)
{
    LLVMBuilderRef B = f->m->B;
    LLVMValueRef b = nt_pop(f), a = nt_pop(f);
    LLVMTypeRef t = LLVMTypeOf(a);
    unsigned bits = LLVMGetIntTypeWidth(t);
    b = LLVMBuildAnd(B, b, int_const(t, bits - 1), "");
    nt_push(f, LLVMBuildBinOp(B, op, a, b, ""));
    return WB_OK;
}

static wb_status divide(nt_fn *f, bool sign, bool rem)
{
    nt_mod *m = f->m;
    LLVMBuilderRef B = m->B;
    LLVMValueRef b = nt_pop(f), a = nt_pop(f);
    LLVMTypeRef t = LLVMTypeOf(a);
    unsigned bits = LLVMGetIntTypeWidth(t);
    nt_trap_if(f, LLVMBuildICmp(B, LLVMIntEQ, b, int_const(t, 0), ""),
               WB_TRAP_DIV_ZERO);
    LLVMValueRef r;
    if (!sign) {
        r = rem ? LLVMBuildURem(B, a, b, "") : LLVMBuildUDiv(B, a, b, "");
    } else if (!rem) {
        LLVMValueRef min = int_const(t, 1ull << (bits - 1));
        LLVMValueRef ovf = LLVMBuildAnd(B, LLVMBuildICmp(B, LLVMIntEQ, a, min, ""),
                                        LLVMBuildICmp(B, LLVMIntEQ, b, ones(m, t), ""), "");
        nt_trap_if(f, ovf, WB_TRAP_INT_OVERFLOW);
        r = LLVMBuildSDiv(B, a, b, "");
    } else {
        /* x rem_s -1 is 0; dividing MIN by -1 would be undefined */
        LLVMValueRef m1 = LLVMBuildICmp(B, LLVMIntEQ, b, ones(m, t), "");
        LLVMValueRef d = LLVMBuildSelect(B, m1, int_const(t, 1), b, "");
        r = LLVMBuildSelect(B, m1, int_const(t, 0), LLVMBuildSRem(B, a, d, ""), "");
    }
    nt_push(f, r);
    return WB_OK;
}

static wb_status int_unop(nt_fn *f, const char *name)
{
    LLVMValueRef a = nt_pop(f);
    LLVMTypeRef t = LLVMTypeOf(a);
    LLVMValueRef args[2] = { a, LLVMConstInt(f->m->i1, 0, 0) };  /* zero is defined */
    nt_push(f, nt_call_intrinsic(f, name, &t, 1, args, strcmp(name, "llvm.ctpop") ? 2 : 1));
    return WB_OK;
}

static wb_status binop(nt_fn *f, LLVMOpcode op)
{
    LLVMValueRef b = nt_pop(f), a = nt_pop(f);
    nt_push(f, LLVMBuildBinOp(f->m->B, op, a, b, ""));
    return WB_OK;
}

static wb_status rotate(nt_fn *f, const char *name)
{
    LLVMValueRef b = nt_pop(f), a = nt_pop(f);
    LLVMTypeRef t = LLVMTypeOf(a);
    /* funnel shifts take the count modulo the width, as Wasm does */
    nt_push(f, nt_call_intrinsic(f, name, &t, 1, (LLVMValueRef[]){ a, a, b }, 3));
    return WB_OK;
}

static wb_status sext_from(nt_fn *f, LLVMTypeRef narrow)
{
    LLVMBuilderRef B = f->m->B;
    LLVMValueRef a = nt_pop(f);
    LLVMTypeRef t = LLVMTypeOf(a);
    nt_push(f, LLVMBuildSExt(B, LLVMBuildTrunc(B, a, narrow, ""), t, ""));
    return WB_OK;
}

static wb_status int_op(nt_fn *f, uint32_t code)
{
    switch (code) {
    case WB_WASM_I32_EQZ: case WB_WASM_I64_EQZ: {
        LLVMValueRef a = nt_pop(f);
        nt_push(f, bool32(f, LLVMBuildICmp(f->m->B, LLVMIntEQ, a,
                                           LLVMConstNull(LLVMTypeOf(a)), "")));
        return WB_OK;
    }
    case WB_WASM_I32_EQ: case WB_WASM_I64_EQ: return icmp(f, LLVMIntEQ);
    case WB_WASM_I32_NE: case WB_WASM_I64_NE: return icmp(f, LLVMIntNE);
    case WB_WASM_I32_LT_S: case WB_WASM_I64_LT_S: return icmp(f, LLVMIntSLT);
    case WB_WASM_I32_LT_U: case WB_WASM_I64_LT_U: return icmp(f, LLVMIntULT);
    case WB_WASM_I32_GT_S: case WB_WASM_I64_GT_S: return icmp(f, LLVMIntSGT);
    case WB_WASM_I32_GT_U: case WB_WASM_I64_GT_U: return icmp(f, LLVMIntUGT);
    case WB_WASM_I32_LE_S: case WB_WASM_I64_LE_S: return icmp(f, LLVMIntSLE);
    case WB_WASM_I32_LE_U: case WB_WASM_I64_LE_U: return icmp(f, LLVMIntULE);
    case WB_WASM_I32_GE_S: case WB_WASM_I64_GE_S: return icmp(f, LLVMIntSGE);
    case WB_WASM_I32_GE_U: case WB_WASM_I64_GE_U: return icmp(f, LLVMIntUGE);
    case WB_WASM_I32_CLZ: case WB_WASM_I64_CLZ: return int_unop(f, "llvm.ctlz");
    case WB_WASM_I32_CTZ: case WB_WASM_I64_CTZ: return int_unop(f, "llvm.cttz");
    case WB_WASM_I32_POPCNT: case WB_WASM_I64_POPCNT: return int_unop(f, "llvm.ctpop");
    case WB_WASM_I32_ADD: case WB_WASM_I64_ADD: return binop(f, LLVMAdd);
    case WB_WASM_I32_SUB: case WB_WASM_I64_SUB: return binop(f, LLVMSub);
    case WB_WASM_I32_MUL: case WB_WASM_I64_MUL: return binop(f, LLVMMul);
    case WB_WASM_I32_AND: case WB_WASM_I64_AND: return binop(f, LLVMAnd);
    case WB_WASM_I32_OR: case WB_WASM_I64_OR: return binop(f, LLVMOr);
    case WB_WASM_I32_XOR: case WB_WASM_I64_XOR: return binop(f, LLVMXor);
    case WB_WASM_I32_DIV_S: case WB_WASM_I64_DIV_S: return divide(f, true, false);
    case WB_WASM_I32_DIV_U: case WB_WASM_I64_DIV_U: return divide(f, false, false);
    case WB_WASM_I32_REM_S: case WB_WASM_I64_REM_S: return divide(f, true, true);
    case WB_WASM_I32_REM_U: case WB_WASM_I64_REM_U: return divide(f, false, true);
    case WB_WASM_I32_SHL: case WB_WASM_I64_SHL: return shift(f, LLVMShl);
    case WB_WASM_I32_SHR_S: case WB_WASM_I64_SHR_S: return shift(f, LLVMAShr);
    case WB_WASM_I32_SHR_U: case WB_WASM_I64_SHR_U: return shift(f, LLVMLShr);
    case WB_WASM_I32_ROTL: case WB_WASM_I64_ROTL: return rotate(f, "llvm.fshl");
    case WB_WASM_I32_ROTR: case WB_WASM_I64_ROTR: return rotate(f, "llvm.fshr");
    case WB_WASM_I32_EXTEND8_S: case WB_WASM_I64_EXTEND8_S: return sext_from(f, f->m->i8);
    case WB_WASM_I32_EXTEND16_S: case WB_WASM_I64_EXTEND16_S: return sext_from(f, f->m->i16);
    case WB_WASM_I64_EXTEND32_S: return sext_from(f, f->m->i32);
    }
    return WB_E_NOT_FOUND;
}

/* ---- floats ------------------------------------------------------------------ */

static wb_status fcmp(nt_fn *f, LLVMRealPredicate p)
{
    LLVMValueRef b = nt_pop(f), a = nt_pop(f);
    nt_push(f, bool32(f, LLVMBuildFCmp(f->m->B, p, a, b, "")));
    return WB_OK;
}

/* LLVM folds x - 0, x * 1, demote(promote x) and the like to x, which
 * lets a signalling NaN through where Wasm wants it quiet. The
 * constrained forms ("may trap") are not folded; functions are strictfp
 * (jit.c). */
LLVMValueRef nt_strict(nt_fn *f, const char *op, LLVMTypeRef *tys,
                       unsigned ntys, LLVMValueRef *args, unsigned n,
                       bool rounding)
{
    nt_mod *m = f->m;
    char name[64];
    snprintf(name, sizeof name, "llvm.experimental.constrained.%s", op);
    LLVMValueRef a[4];
    unsigned k = 0;
    for (; k < n; k++)
        a[k] = args[k];
    if (rounding)
        a[k++] = LLVMMetadataAsValue(m->C, LLVMMDStringInContext2(m->C, "round.tonearest", 15));
    a[k++] = LLVMMetadataAsValue(m->C, LLVMMDStringInContext2(m->C, "fpexcept.maytrap", 16));
    LLVMValueRef c = nt_call_intrinsic(f, name, tys, ntys, a, k);
    unsigned sk = LLVMGetEnumAttributeKindForName("strictfp", 8);
    LLVMAddCallSiteAttribute(c, LLVMAttributeFunctionIndex,
                             LLVMCreateEnumAttribute(m->C, sk, 0));
    return c;
}

static wb_status fbinop(nt_fn *f, const char *op)
{
    LLVMValueRef ab[2];
    ab[1] = nt_pop(f);
    ab[0] = nt_pop(f);
    LLVMTypeRef t = LLVMTypeOf(ab[0]);
    nt_push(f, nt_strict(f, op, &t, 1, ab, 2, true));
    return WB_OK;
}

/* min/max as Wasm defines them: a NaN operand gives a NaN (made quiet
 * by setting its quiet bit), -0 is below +0 (or/and of the bits when
 * equal), else the smaller/larger. Spelt out: LLVM's minimum/maximum
 * have no strict form on x86. */
LLVMValueRef nt_fminmax(nt_fn *f, LLVMValueRef a, LLVMValueRef b, bool is_min)
{
    nt_mod *m = f->m;
    LLVMBuilderRef B = m->B;
    LLVMTypeRef ft = LLVMTypeOf(a), lane = ft, it;
    unsigned n = 0;
    if (LLVMGetTypeKind(ft) == LLVMVectorTypeKind) {
        n = LLVMGetVectorSize(ft);
        lane = LLVMGetElementType(ft);
    }
    it = lane == m->f32 ? m->i32 : m->i64;
    uint64_t qbit = lane == m->f32 ? 1ull << 22 : 1ull << 51;
    LLVMValueRef q = LLVMConstInt(it, qbit, 0);
    if (n) {
        it = LLVMVectorType(it, n);
        LLVMValueRef qs[4] = { q, q, q, q };
        q = LLVMConstVector(qs, n);
    }
    LLVMValueRef ai = LLVMBuildBitCast(B, a, it, ""), bi = LLVMBuildBitCast(B, b, it, "");
    LLVMValueRef pick = LLVMBuildFCmp(B, is_min ? LLVMRealOLT : LLVMRealOGT, a, b, "");
    LLVMValueRef r = LLVMBuildSelect(B, pick, ai, bi, "");
    LLVMValueRef same = is_min ? LLVMBuildOr(B, ai, bi, "") : LLVMBuildAnd(B, ai, bi, "");
    r = LLVMBuildSelect(B, LLVMBuildFCmp(B, LLVMRealOEQ, a, b, ""), same, r, "");
    LLVMValueRef nan = LLVMBuildSelect(B, LLVMBuildFCmp(B, LLVMRealUNO, a, a, ""), ai, bi, "");
    nan = LLVMBuildOr(B, nan, q, "");
    r = LLVMBuildSelect(B, LLVMBuildFCmp(B, LLVMRealUNO, a, b, ""), nan, r, "");
    return LLVMBuildBitCast(B, r, ft, "");
}

static wb_status minmax(nt_fn *f, bool is_min)
{
    LLVMValueRef b = nt_pop(f), a = nt_pop(f);
    nt_push(f, nt_fminmax(f, a, b, is_min));
    return WB_OK;
}

static LLVMTypeRef int_of(nt_mod *m, LLVMTypeRef ft)
{
    return ft == m->f32 ? m->i32 : m->i64;
}

/* abs, neg, copysign on the bits. */
static wb_status sign_op(nt_fn *f, uint32_t code)
{
    nt_mod *m = f->m;
    LLVMBuilderRef B = m->B;
    bool cs = code == WB_WASM_F32_COPYSIGN || code == WB_WASM_F64_COPYSIGN;
    LLVMValueRef b = cs ? nt_pop(f) : NULL, a = nt_pop(f);
    LLVMTypeRef ft = LLVMTypeOf(a), it = int_of(m, ft);
    unsigned bits = LLVMGetIntTypeWidth(it);
    LLVMValueRef sign = int_const(it, 1ull << (bits - 1));
    LLVMValueRef ai = LLVMBuildBitCast(B, a, it, ""), r;
    if (code == WB_WASM_F32_ABS || code == WB_WASM_F64_ABS)
        r = LLVMBuildAnd(B, ai, LLVMBuildNot(B, sign, ""), "");
    else if (code == WB_WASM_F32_NEG || code == WB_WASM_F64_NEG)
        r = LLVMBuildXor(B, ai, sign, "");
    else
        r = LLVMBuildOr(B, LLVMBuildAnd(B, ai, LLVMBuildNot(B, sign, ""), ""),
                        LLVMBuildAnd(B, LLVMBuildBitCast(B, b, it, ""), sign, ""), "");
    nt_push(f, LLVMBuildBitCast(B, r, ft, ""));
    return WB_OK;
}

/* ceil, floor, trunc, nearest: a NaN comes back quiet. */
LLVMValueRef nt_round(nt_fn *f, const char *name, LLVMValueRef a)
{
    LLVMBuilderRef B = f->m->B;
    LLVMValueRef nan = LLVMBuildFCmp(B, LLVMRealUNO, a, a, "");
    LLVMValueRef quiet = LLVMBuildFAdd(B, a, a, "");
    return LLVMBuildSelect(B, nan, quiet, intrinsic1(f, name, a), "");
}

static wb_status round_op(nt_fn *f, const char *name)
{
    nt_push(f, nt_round(f, name, nt_pop(f)));
    return WB_OK;
}


static wb_status float_op(nt_fn *f, uint32_t code)
{
    switch (code) {
    case WB_WASM_F32_EQ: case WB_WASM_F64_EQ: return fcmp(f, LLVMRealOEQ);
    case WB_WASM_F32_NE: case WB_WASM_F64_NE: return fcmp(f, LLVMRealUNE);
    case WB_WASM_F32_LT: case WB_WASM_F64_LT: return fcmp(f, LLVMRealOLT);
    case WB_WASM_F32_GT: case WB_WASM_F64_GT: return fcmp(f, LLVMRealOGT);
    case WB_WASM_F32_LE: case WB_WASM_F64_LE: return fcmp(f, LLVMRealOLE);
    case WB_WASM_F32_GE: case WB_WASM_F64_GE: return fcmp(f, LLVMRealOGE);
    case WB_WASM_F32_ABS: case WB_WASM_F64_ABS:
    case WB_WASM_F32_NEG: case WB_WASM_F64_NEG:
    case WB_WASM_F32_COPYSIGN: case WB_WASM_F64_COPYSIGN:
        return sign_op(f, code);
    case WB_WASM_F32_CEIL: case WB_WASM_F64_CEIL: return round_op(f, "llvm.ceil");
    case WB_WASM_F32_FLOOR: case WB_WASM_F64_FLOOR: return round_op(f, "llvm.floor");
    case WB_WASM_F32_TRUNC: case WB_WASM_F64_TRUNC: return round_op(f, "llvm.trunc");
    case WB_WASM_F32_NEAREST: case WB_WASM_F64_NEAREST: return round_op(f, "llvm.roundeven");
    case WB_WASM_F32_SQRT: case WB_WASM_F64_SQRT: {
        LLVMValueRef a = nt_pop(f);
        LLVMTypeRef t = LLVMTypeOf(a);
        nt_push(f, nt_strict(f, "sqrt", &t, 1, &a, 1, true));
        return WB_OK;
    }
    case WB_WASM_F32_ADD: case WB_WASM_F64_ADD: return fbinop(f, "fadd");
    case WB_WASM_F32_SUB: case WB_WASM_F64_SUB: return fbinop(f, "fsub");
    case WB_WASM_F32_MUL: case WB_WASM_F64_MUL: return fbinop(f, "fmul");
    case WB_WASM_F32_DIV: case WB_WASM_F64_DIV: return fbinop(f, "fdiv");
    /* minimum/maximum: NaN if either is, and -0 < +0, as Wasm says */
    case WB_WASM_F32_MIN: case WB_WASM_F64_MIN: return minmax(f, true);
    case WB_WASM_F32_MAX: case WB_WASM_F64_MAX: return minmax(f, false);
    }
    return WB_E_NOT_FOUND;
}

/* ---- conversions -------------------------------------------------------------- */

/* Trapping float-to-int: NaN is an invalid conversion; outside (lo, hi)
 * (exclusive bounds, exact in the float type) an overflow. */
static wb_status trunc_trap(nt_fn *f, LLVMTypeRef to, bool sign, double lo,
                            double hi)
{
    nt_mod *m = f->m;
    LLVMBuilderRef B = m->B;
    LLVMValueRef a = nt_pop(f);
    LLVMTypeRef ft = LLVMTypeOf(a);
    nt_trap_if(f, LLVMBuildFCmp(B, LLVMRealUNO, a, a, ""), WB_TRAP_BAD_CONVERSION);
    LLVMValueRef in = LLVMBuildAnd(B, LLVMBuildFCmp(B, LLVMRealOGT, a, LLVMConstReal(ft, lo), ""),
                                   LLVMBuildFCmp(B, LLVMRealOLT, a, LLVMConstReal(ft, hi), ""), "");
    nt_trap_if(f, LLVMBuildNot(B, in, ""), WB_TRAP_INT_OVERFLOW);
    nt_push(f, sign ? LLVMBuildFPToSI(B, a, to, "") : LLVMBuildFPToUI(B, a, to, ""));
    return WB_OK;
}

static wb_status trunc_sat(nt_fn *f, LLVMTypeRef to, bool sign)
{
    LLVMValueRef a = nt_pop(f);
    LLVMTypeRef tys[2] = { to, LLVMTypeOf(a) };
    nt_push(f, nt_call_intrinsic(f, sign ? "llvm.fptosi.sat" : "llvm.fptoui.sat",
                                 tys, 2, &a, 1));
    return WB_OK;
}

static wb_status cast(nt_fn *f, LLVMOpcode op, LLVMTypeRef to)
{
    nt_push(f, LLVMBuildCast(f->m->B, op, nt_pop(f), to, ""));
    return WB_OK;
}

static wb_status conv_op(nt_fn *f, uint32_t code)
{
    nt_mod *m = f->m;
    switch (code) {
    case WB_WASM_I32_WRAP_I64: return cast(f, LLVMTrunc, m->i32);
    case WB_WASM_I64_EXTEND_I32_S: return cast(f, LLVMSExt, m->i64);
    case WB_WASM_I64_EXTEND_I32_U: return cast(f, LLVMZExt, m->i64);
    case WB_WASM_I32_TRUNC_F32_S: return trunc_trap(f, m->i32, true, -2147483904.0, 2147483648.0);
    case WB_WASM_I32_TRUNC_F32_U: return trunc_trap(f, m->i32, false, -1.0, 4294967296.0);
    case WB_WASM_I32_TRUNC_F64_S: return trunc_trap(f, m->i32, true, -2147483649.0, 2147483648.0);
    case WB_WASM_I32_TRUNC_F64_U: return trunc_trap(f, m->i32, false, -1.0, 4294967296.0);
    case WB_WASM_I64_TRUNC_F32_S: return trunc_trap(f, m->i64, true, -9223373136366403584.0, 9223372036854775808.0);
    case WB_WASM_I64_TRUNC_F32_U: return trunc_trap(f, m->i64, false, -1.0, 18446744073709551616.0);
    case WB_WASM_I64_TRUNC_F64_S: return trunc_trap(f, m->i64, true, -9223372036854777856.0, 9223372036854775808.0);
    case WB_WASM_I64_TRUNC_F64_U: return trunc_trap(f, m->i64, false, -1.0, 18446744073709551616.0);
    case WB_WASM_I32_TRUNC_SAT_F32_S: case WB_WASM_I32_TRUNC_SAT_F64_S: return trunc_sat(f, m->i32, true);
    case WB_WASM_I32_TRUNC_SAT_F32_U: case WB_WASM_I32_TRUNC_SAT_F64_U: return trunc_sat(f, m->i32, false);
    case WB_WASM_I64_TRUNC_SAT_F32_S: case WB_WASM_I64_TRUNC_SAT_F64_S: return trunc_sat(f, m->i64, true);
    case WB_WASM_I64_TRUNC_SAT_F32_U: case WB_WASM_I64_TRUNC_SAT_F64_U: return trunc_sat(f, m->i64, false);
    case WB_WASM_F32_CONVERT_I32_S: case WB_WASM_F32_CONVERT_I64_S: return cast(f, LLVMSIToFP, m->f32);
    case WB_WASM_F32_CONVERT_I32_U: case WB_WASM_F32_CONVERT_I64_U: return cast(f, LLVMUIToFP, m->f32);
    case WB_WASM_F64_CONVERT_I32_S: case WB_WASM_F64_CONVERT_I64_S: return cast(f, LLVMSIToFP, m->f64);
    case WB_WASM_F64_CONVERT_I32_U: case WB_WASM_F64_CONVERT_I64_U: return cast(f, LLVMUIToFP, m->f64);
    case WB_WASM_F32_DEMOTE_F64: {
        LLVMValueRef a = nt_pop(f);
        LLVMTypeRef t[2] = { m->f32, m->f64 };
        nt_push(f, nt_strict(f, "fptrunc", t, 2, &a, 1, true));
        return WB_OK;
    }
    case WB_WASM_F64_PROMOTE_F32: {
        LLVMValueRef a = nt_pop(f);
        LLVMTypeRef t[2] = { m->f64, m->f32 };
        nt_push(f, nt_strict(f, "fpext", t, 2, &a, 1, false));
        return WB_OK;
    }
    case WB_WASM_I32_REINTERPRET_F32: return cast(f, LLVMBitCast, m->i32);
    case WB_WASM_I64_REINTERPRET_F64: return cast(f, LLVMBitCast, m->i64);
    case WB_WASM_F32_REINTERPRET_I32: return cast(f, LLVMBitCast, m->f32);
    case WB_WASM_F64_REINTERPRET_I64: return cast(f, LLVMBitCast, m->f64);
    }
    return WB_E_NOT_FOUND;
}

static wb_status const_op(nt_fn *f, uint32_t code)
{
    nt_mod *m = f->m;
    int64_t v;
    const uint8_t *b;
    uint32_t u32;
    uint64_t u64;
    switch (code) {
    case WB_WASM_I32_CONST:
        WB_TRY(wb_read_sleb(&f->r, 32, &v));
        nt_push(f, nt_i32(m, (uint32_t)v));
        return WB_OK;
    case WB_WASM_I64_CONST:
        WB_TRY(wb_read_sleb(&f->r, 64, &v));
        nt_push(f, nt_i64(m, (uint64_t)v));
        return WB_OK;
    case WB_WASM_F32_CONST:
        WB_TRY(wb_read_bytes(&f->r, 4, &b));
        memcpy(&u32, b, 4);
        nt_push(f, LLVMBuildBitCast(m->B, nt_i32(m, u32), m->f32, ""));
        return WB_OK;
    case WB_WASM_F64_CONST:
        WB_TRY(wb_read_bytes(&f->r, 8, &b));
        memcpy(&u64, b, 8);
        nt_push(f, LLVMBuildBitCast(m->B, nt_i64(m, u64), m->f64, ""));
        return WB_OK;
    }
    return WB_E_NOT_FOUND;
}

wb_status nt_num_op(nt_fn *f, uint32_t code)
{
    static const nt_op_fn parts[] = { const_op, int_op, float_op, conv_op };
    return nt_first(f, code, parts, 4);
}
