/* ops.h: the internal instruction set (compile.c emits, interp.c runs).
 *
 * Every Wasm opcode that runs as itself (loads, stores, numeric and SIMD
 * ops: RUN OP in opcodes.h) is the internal op WB_OP_<NAME>, numbered from
 * its encoding (WB_OP_OF). The translator's own ops (copies, branches,
 * calls, fused forms) follow from 0x300. Operand layout per op is written
 * next to each handler in interp.c. Offsets are bytes from the frame
 * pointer. */
#ifndef WB_OPS_H
#define WB_OPS_H
#include "opcodes.h"

#define WB_XOPS(X) \
    X(COPY) X(COPY128) X(CONST32) X(CONST32X2) X(CONST64) X(CONST128) \
    X(BR) X(BR_IF) X(BR_UNLESS) X(BR_TABLE) X(BR_LOOP) X(BRL_IF) X(BRL_UNLESS) \
    X(RETURN1) X(RETURN_K) X(MOVES) \
    X(STOREK1) X(STOREK2) X(STOREK4) X(STOREK8) X(RETURN) X(EXIT) \
    X(CALL) X(CALL_INDIRECT) X(SELECT) X(SELECT128) X(UNREACHABLE) \
    X(GLOBAL_GET) X(GLOBAL_SET) X(GLOBAL_GET128) X(GLOBAL_SET128) \
    X(TABLE_GET) X(TABLE_SET) X(TABLE_INIT) X(ELEM_DROP) X(TABLE_COPY) \
    X(TABLE_GROW) X(TABLE_SIZE) X(TABLE_FILL) \
    X(MEMORY_SIZE) X(MEMORY_GROW) X(MEMORY_INIT) X(DATA_DROP) \
    X(MEMORY_COPY) X(MEMORY_FILL) X(REF_IS_NULL) X(REF_FUNC)

/* Loads and stores whose address is `i32.add x, k`: the add is folded in
 * (wrapping at 2^32 as the add would), so address arithmetic costs no
 * dispatch. Named X_<NAME>; K_<NAME> forms take a constant address. The
 * order is that of the opcodes (I32_LOAD ... I64_STORE32). */
#define WB_ADDR_OPS(X) \
    X(I32_LOAD) X(I64_LOAD) X(F32_LOAD) X(F64_LOAD) \
    X(I32_LOAD8_S) X(I32_LOAD8_U) X(I32_LOAD16_S) X(I32_LOAD16_U) \
    X(I64_LOAD8_S) X(I64_LOAD8_U) X(I64_LOAD16_S) X(I64_LOAD16_U) \
    X(I64_LOAD32_S) X(I64_LOAD32_U) \
    X(I32_STORE) X(I64_STORE) X(F32_STORE) X(F64_STORE) \
    X(I32_STORE8) X(I32_STORE16) X(I64_STORE8) X(I64_STORE16) X(I64_STORE32)

/* Binary ops whose right operand comes straight from memory: a plain
 * load just before the op is folded into it (`M_` ops). */
#define WB_LOADOP_OPS(X) \
    X(F64_ADD, double, F64_LOAD, a + b) \
    X(F64_SUB, double, F64_LOAD, a - b) \
    X(F64_MUL, double, F64_LOAD, a * b) \
    X(F64_DIV, double, F64_LOAD, a / b) \
    X(F32_ADD, float, F32_LOAD, a + b) \
    X(F32_SUB, float, F32_LOAD, a - b) \
    X(F32_MUL, float, F32_LOAD, a * b) \
    X(F32_DIV, float, F32_LOAD, a / b) \
    X(I32_ADD, uint32_t, I32_LOAD, a + b) \
    X(I32_SUB, uint32_t, I32_LOAD, a - b) \
    X(I32_MUL, uint32_t, I32_LOAD, a * b) \
    X(I32_AND, uint32_t, I32_LOAD, a & b) \
    X(I32_OR, uint32_t, I32_LOAD, a | b) \
    X(I32_XOR, uint32_t, I32_LOAD, a ^ b) \
    X(I64_ADD, uint64_t, I64_LOAD, a + b)

/* `i32.load` whose result is combined with a constant right away (reference
 * counts, flag tests): one `MK_` op loads and applies it. */
#define WB_LOADRI_OPS(X) \
    X(I32_ADD, uint32_t, I32_LOAD, a + b) \
    X(I32_SUB, uint32_t, I32_LOAD, a - b) \
    X(I32_AND, uint32_t, I32_LOAD, a & b)

/* Integer binary ops that also have a form with an immediate right
 * operand (`_RI`), so `x op const` is one dispatch. */
#define WB_RI_OPS(X) \
    WB_RI_OF(X, I32, int32_t, uint32_t, 31) WB_RI_OF(X, I64, int64_t, uint64_t, 63)
#define WB_RI_OF(X, W, S, U, M) \
    X(W##_ADD, U, U, a + b) \
    X(W##_SUB, U, U, a - b) \
    X(W##_MUL, U, U, a * b) \
    X(W##_AND, U, U, a & b) \
    X(W##_OR, U, U, a | b) \
    X(W##_XOR, U, U, a ^ b) \
    X(W##_SHL, U, U, a << (b & M)) \
    X(W##_SHR_S, S, S, a >> (b & M)) \
    X(W##_SHR_U, U, U, a >> (b & M))

/* Integer comparisons: each also has an immediate form, and both forms
 * fused with a following br_if/if (`BR_` ops branch when true; `BRL_`
 * ops are backward branches of loops, which also pay fuel). SWAP is the
 * comparison with its operands exchanged, NOT the one true exactly when
 * this one is false. */
#define WB_CMP_OPS(X) \
    WB_CMP_OF(X, I32, int32_t, uint32_t) WB_CMP_OF(X, I64, int64_t, uint64_t)
#define WB_CMP_OF(X, W, S, U) \
    X(W##_EQ, U, a == b, W##_EQ, W##_NE) \
    X(W##_NE, U, a != b, W##_NE, W##_EQ) \
    X(W##_LT_S, S, a < b, W##_GT_S, W##_GE_S) \
    X(W##_LT_U, U, a < b, W##_GT_U, W##_GE_U) \
    X(W##_GT_S, S, a > b, W##_LT_S, W##_LE_S) \
    X(W##_GT_U, U, a > b, W##_LT_U, W##_LE_U) \
    X(W##_LE_S, S, a <= b, W##_GE_S, W##_GT_S) \
    X(W##_LE_U, U, a <= b, W##_GE_U, W##_GT_U) \
    X(W##_GE_S, S, a >= b, W##_LE_S, W##_LT_S) \
    X(W##_GE_U, U, a >= b, W##_LE_U, W##_LT_U)

enum {
#define WB_OP_DIRECT(n, code, run, imm, arg, sig) \
    WB_IF_DIRECT(run, WB_OP_##n = WB_OP_OF(code),)
    WB_OPCODES(WB_OP_DIRECT)
#undef WB_OP_DIRECT
    WB_OP_WASM_LAST = 0x2ff,
#define WB_OP_ENUM(n) WB_OP_##n,
    WB_XOPS(WB_OP_ENUM)
#undef WB_OP_ENUM
#define WB_OP_ADDR_ENUM(n) WB_OP_X_##n, WB_OP_K_##n,
    WB_ADDR_OPS(WB_OP_ADDR_ENUM)
#undef WB_OP_ADDR_ENUM
#define WB_OP_M_ENUM(n, T, ld, e) WB_OP_M_##n,
    WB_LOADOP_OPS(WB_OP_M_ENUM)
#undef WB_OP_M_ENUM
#define WB_OP_MK_ENUM(n, T, ld, e) WB_OP_MK_##n,
    WB_LOADRI_OPS(WB_OP_MK_ENUM)
#undef WB_OP_MK_ENUM
#define WB_OP_RI_ENUM(n, T, R, e) WB_OP_##n##_RI,
    WB_RI_OPS(WB_OP_RI_ENUM)
#undef WB_OP_RI_ENUM
#define WB_OP_CMP_ENUM(n, T, e, sw, ng) WB_OP_##n##_RI, WB_OP_BR_##n, WB_OP_BR_##n##_RI, \
    WB_OP_BRL_##n, WB_OP_BRL_##n##_RI,
    WB_CMP_OPS(WB_OP_CMP_ENUM)
#undef WB_OP_CMP_ENUM
    WB_OP_COUNT
};

#endif
