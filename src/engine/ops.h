/* ops.h: the internal instruction set (compile.c emits, interp.c runs).
 *
 * Internal ops 0x00-0xFF reuse the single-byte wasm opcode of the same
 * meaning where one exists (loads, stores, numeric ops); the rest are
 * numbered from 0x100. Operand layout per op is written next to each
 * handler in interp.c. Offsets are bytes from the frame pointer. */
#ifndef WB_OPS_H
#define WB_OPS_H
#include "simd_ops.h"

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
    X(MEMORY_COPY) X(MEMORY_FILL) X(REF_IS_NULL) X(REF_FUNC) \
    X(I32_TRUNC_SAT_F32_S) X(I32_TRUNC_SAT_F32_U) \
    X(I32_TRUNC_SAT_F64_S) X(I32_TRUNC_SAT_F64_U) \
    X(I64_TRUNC_SAT_F32_S) X(I64_TRUNC_SAT_F32_U) \
    X(I64_TRUNC_SAT_F64_S) X(I64_TRUNC_SAT_F64_U)

/* Loads and stores whose address is `i32.add x, k`: the add is folded in
 * (wrapping at 2^32 as the add would), so address arithmetic costs no
 * dispatch. Named X_<opcode>; K_<opcode> forms take a constant address. */
#define WB_ADDR_OPS(X) \
    X(28) X(29) X(2A) X(2B) X(2C) X(2D) X(2E) X(2F) X(30) X(31) X(32) \
    X(33) X(34) X(35) X(36) X(37) X(38) X(39) X(3A) X(3B) X(3C) X(3D) X(3E)

/* Binary ops whose right operand comes straight from memory: a plain
 * load just before the op is folded into it (`M_` ops). */
#define WB_LOADOP_OPS(X) \
    X(0xa0, F64_ADD, double, 0x2b, a + b) \
    X(0xa1, F64_SUB, double, 0x2b, a - b) \
    X(0xa2, F64_MUL, double, 0x2b, a * b) \
    X(0xa3, F64_DIV, double, 0x2b, a / b) \
    X(0x92, F32_ADD, float, 0x2a, a + b) \
    X(0x93, F32_SUB, float, 0x2a, a - b) \
    X(0x94, F32_MUL, float, 0x2a, a * b) \
    X(0x95, F32_DIV, float, 0x2a, a / b) \
    X(0x6a, I32_ADD, uint32_t, 0x28, a + b) \
    X(0x6b, I32_SUB, uint32_t, 0x28, a - b) \
    X(0x6c, I32_MUL, uint32_t, 0x28, a * b) \
    X(0x71, I32_AND, uint32_t, 0x28, a & b) \
    X(0x72, I32_OR, uint32_t, 0x28, a | b) \
    X(0x73, I32_XOR, uint32_t, 0x28, a ^ b) \
    X(0x7c, I64_ADD, uint64_t, 0x29, a + b)

/* `i32.load` whose result is combined with a constant right away (reference
 * counts, flag tests): one `MK_` op loads and applies it. */
#define WB_LOADRI_OPS(X) \
    X(0x6a, I32_ADD, uint32_t, 0x28, a + b) \
    X(0x6b, I32_SUB, uint32_t, 0x28, a - b) \
    X(0x71, I32_AND, uint32_t, 0x28, a & b)

/* Integer binary ops that also have a form with an immediate right
 * operand (`_RI`), so `x op const` is one dispatch. */
#define WB_RI_OPS(X) \
    X(0x6a, I32_ADD, uint32_t, uint32_t, a + b) \
    X(0x6b, I32_SUB, uint32_t, uint32_t, a - b) \
    X(0x6c, I32_MUL, uint32_t, uint32_t, a * b) \
    X(0x71, I32_AND, uint32_t, uint32_t, a & b) \
    X(0x72, I32_OR, uint32_t, uint32_t, a | b) \
    X(0x73, I32_XOR, uint32_t, uint32_t, a ^ b) \
    X(0x74, I32_SHL, uint32_t, uint32_t, a << (b & 31)) \
    X(0x75, I32_SHR_S, int32_t, int32_t, a >> (b & 31)) \
    X(0x76, I32_SHR_U, uint32_t, uint32_t, a >> (b & 31)) \
    X(0x7c, I64_ADD, uint64_t, uint64_t, a + b) \
    X(0x7d, I64_SUB, uint64_t, uint64_t, a - b) \
    X(0x7e, I64_MUL, uint64_t, uint64_t, a * b) \
    X(0x83, I64_AND, uint64_t, uint64_t, a & b) \
    X(0x84, I64_OR, uint64_t, uint64_t, a | b) \
    X(0x85, I64_XOR, uint64_t, uint64_t, a ^ b) \
    X(0x86, I64_SHL, uint64_t, uint64_t, a << (b & 63)) \
    X(0x87, I64_SHR_S, int64_t, int64_t, a >> (b & 63)) \
    X(0x88, I64_SHR_U, uint64_t, uint64_t, a >> (b & 63))

/* Integer comparisons: each also has an immediate form, and both forms
 * fused with a following br_if/if (`BR_` ops branch when true; `BRL_`
 * ops are backward branches of loops, which also pay fuel). */
#define WB_CMP_OPS(X) \
    X(0x46, I32_EQ, uint32_t, a == b) \
    X(0x47, I32_NE, uint32_t, a != b) \
    X(0x48, I32_LT_S, int32_t, a < b) \
    X(0x49, I32_LT_U, uint32_t, a < b) \
    X(0x4a, I32_GT_S, int32_t, a > b) \
    X(0x4b, I32_GT_U, uint32_t, a > b) \
    X(0x4c, I32_LE_S, int32_t, a <= b) \
    X(0x4d, I32_LE_U, uint32_t, a <= b) \
    X(0x4e, I32_GE_S, int32_t, a >= b) \
    X(0x4f, I32_GE_U, uint32_t, a >= b) \
    X(0x51, I64_EQ, uint64_t, a == b) \
    X(0x52, I64_NE, uint64_t, a != b) \
    X(0x53, I64_LT_S, int64_t, a < b) \
    X(0x54, I64_LT_U, uint64_t, a < b) \
    X(0x55, I64_GT_S, int64_t, a > b) \
    X(0x56, I64_GT_U, uint64_t, a > b) \
    X(0x57, I64_LE_S, int64_t, a <= b) \
    X(0x58, I64_LE_U, uint64_t, a <= b) \
    X(0x59, I64_GE_S, int64_t, a >= b) \
    X(0x5a, I64_GE_U, uint64_t, a >= b)

enum {
    WB_OP_WASM_LAST = 0xff,
#define WB_OP_ENUM(n) WB_OP_##n,
    WB_XOPS(WB_OP_ENUM)
#undef WB_OP_ENUM
#define WB_OP_SIMD_ENUM(n) WB_OP_##n,
    WB_SIMD_OPS(WB_OP_SIMD_ENUM)
#undef WB_OP_SIMD_ENUM
#define WB_OP_ADDR_ENUM(h) WB_OP_X_##h, WB_OP_K_##h,
    WB_ADDR_OPS(WB_OP_ADDR_ENUM)
#undef WB_OP_ADDR_ENUM
#define WB_OP_M_ENUM(hex, n, T, ld, e) WB_OP_M_##n,
    WB_LOADOP_OPS(WB_OP_M_ENUM)
#undef WB_OP_M_ENUM
#define WB_OP_MK_ENUM(hex, n, T, ld, e) WB_OP_MK_##n,
    WB_LOADRI_OPS(WB_OP_MK_ENUM)
#undef WB_OP_MK_ENUM
#define WB_OP_RI_ENUM(hex, n, T, R, e) WB_OP_##n##_RI,
    WB_RI_OPS(WB_OP_RI_ENUM)
#undef WB_OP_RI_ENUM
#define WB_OP_CMP_ENUM(hex, n, T, e) WB_OP_##n##_RI, WB_OP_BR_##n, WB_OP_BR_##n##_RI, \
    WB_OP_BRL_##n, WB_OP_BRL_##n##_RI,
    WB_CMP_OPS(WB_OP_CMP_ENUM)
#undef WB_OP_CMP_ENUM
    WB_OP_COUNT
};

#endif
