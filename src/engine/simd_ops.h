/* simd_ops.h: internal ops for 128-bit SIMD (compile_simd.c emits them,
 * simd_exec.inc runs them inside the interpreter loop).
 *
 * WB_SIMD_TABLE lists every 0xFD instruction once, as
 *   Y(X, sub-opcode, NAME, shape, p1, p2)
 * with one internal op WB_OP_NAME per entry. `shape` says how it is
 * validated and what its operand cells are (see compile_simd.c); p1/p2 are
 * shape parameters (alignment log2, lane count, scalar type). */
#ifndef WB_SIMD_OPS_H
#define WB_SIMD_OPS_H
#include <stdint.h>
#ifdef __SSE2__
#include <emmintrin.h>     /* baseline on x86-64; simd_exec.inc uses a few */
#endif

#define WB_SIMD_TABLE(Y, X) \
    Y(X, 0x00, V128_LOAD, LD, 4, 0) \
    Y(X, 0x01, V128_LOAD8X8_S, LD, 3, 0) \
    Y(X, 0x02, V128_LOAD8X8_U, LD, 3, 0) \
    Y(X, 0x03, V128_LOAD16X4_S, LD, 3, 0) \
    Y(X, 0x04, V128_LOAD16X4_U, LD, 3, 0) \
    Y(X, 0x05, V128_LOAD32X2_S, LD, 3, 0) \
    Y(X, 0x06, V128_LOAD32X2_U, LD, 3, 0) \
    Y(X, 0x07, V128_LOAD8_SPLAT, LD, 0, 0) \
    Y(X, 0x08, V128_LOAD16_SPLAT, LD, 1, 0) \
    Y(X, 0x09, V128_LOAD32_SPLAT, LD, 2, 0) \
    Y(X, 0x0a, V128_LOAD64_SPLAT, LD, 3, 0) \
    Y(X, 0x0b, V128_STORE, ST, 4, 0) \
    Y(X, 0x0d, I8X16_SHUFFLE, SHUF, 0, 0) \
    Y(X, 0x0e, I8X16_SWIZZLE, BIN, 0, 0) \
    Y(X, 0x0f, I8X16_SPLAT, SPLAT, 16, WB_I32) \
    Y(X, 0x10, I16X8_SPLAT, SPLAT, 8, WB_I32) \
    Y(X, 0x11, I32X4_SPLAT, SPLAT, 4, WB_I32) \
    Y(X, 0x12, I64X2_SPLAT, SPLAT, 2, WB_I64) \
    Y(X, 0x13, F32X4_SPLAT, SPLAT, 4, WB_F32) \
    Y(X, 0x14, F64X2_SPLAT, SPLAT, 2, WB_F64) \
    Y(X, 0x15, I8X16_EXTRACT_LANE_S, EXTRACT, 16, WB_I32) \
    Y(X, 0x16, I8X16_EXTRACT_LANE_U, EXTRACT, 16, WB_I32) \
    Y(X, 0x17, I8X16_REPLACE_LANE, REPLACE, 16, WB_I32) \
    Y(X, 0x18, I16X8_EXTRACT_LANE_S, EXTRACT, 8, WB_I32) \
    Y(X, 0x19, I16X8_EXTRACT_LANE_U, EXTRACT, 8, WB_I32) \
    Y(X, 0x1a, I16X8_REPLACE_LANE, REPLACE, 8, WB_I32) \
    Y(X, 0x1b, I32X4_EXTRACT_LANE, EXTRACT, 4, WB_I32) \
    Y(X, 0x1c, I32X4_REPLACE_LANE, REPLACE, 4, WB_I32) \
    Y(X, 0x1d, I64X2_EXTRACT_LANE, EXTRACT, 2, WB_I64) \
    Y(X, 0x1e, I64X2_REPLACE_LANE, REPLACE, 2, WB_I64) \
    Y(X, 0x1f, F32X4_EXTRACT_LANE, EXTRACT, 4, WB_F32) \
    Y(X, 0x20, F32X4_REPLACE_LANE, REPLACE, 4, WB_F32) \
    Y(X, 0x21, F64X2_EXTRACT_LANE, EXTRACT, 2, WB_F64) \
    Y(X, 0x22, F64X2_REPLACE_LANE, REPLACE, 2, WB_F64) \
    Y(X, 0x23, I8X16_EQ, BIN, 0, 0) \
    Y(X, 0x24, I8X16_NE, BIN, 0, 0) \
    Y(X, 0x25, I8X16_LT_S, BIN, 0, 0) \
    Y(X, 0x26, I8X16_LT_U, BIN, 0, 0) \
    Y(X, 0x27, I8X16_GT_S, BIN, 0, 0) \
    Y(X, 0x28, I8X16_GT_U, BIN, 0, 0) \
    Y(X, 0x29, I8X16_LE_S, BIN, 0, 0) \
    Y(X, 0x2a, I8X16_LE_U, BIN, 0, 0) \
    Y(X, 0x2b, I8X16_GE_S, BIN, 0, 0) \
    Y(X, 0x2c, I8X16_GE_U, BIN, 0, 0) \
    Y(X, 0x2d, I16X8_EQ, BIN, 0, 0) \
    Y(X, 0x2e, I16X8_NE, BIN, 0, 0) \
    Y(X, 0x2f, I16X8_LT_S, BIN, 0, 0) \
    Y(X, 0x30, I16X8_LT_U, BIN, 0, 0) \
    Y(X, 0x31, I16X8_GT_S, BIN, 0, 0) \
    Y(X, 0x32, I16X8_GT_U, BIN, 0, 0) \
    Y(X, 0x33, I16X8_LE_S, BIN, 0, 0) \
    Y(X, 0x34, I16X8_LE_U, BIN, 0, 0) \
    Y(X, 0x35, I16X8_GE_S, BIN, 0, 0) \
    Y(X, 0x36, I16X8_GE_U, BIN, 0, 0) \
    Y(X, 0x37, I32X4_EQ, BIN, 0, 0) \
    Y(X, 0x38, I32X4_NE, BIN, 0, 0) \
    Y(X, 0x39, I32X4_LT_S, BIN, 0, 0) \
    Y(X, 0x3a, I32X4_LT_U, BIN, 0, 0) \
    Y(X, 0x3b, I32X4_GT_S, BIN, 0, 0) \
    Y(X, 0x3c, I32X4_GT_U, BIN, 0, 0) \
    Y(X, 0x3d, I32X4_LE_S, BIN, 0, 0) \
    Y(X, 0x3e, I32X4_LE_U, BIN, 0, 0) \
    Y(X, 0x3f, I32X4_GE_S, BIN, 0, 0) \
    Y(X, 0x40, I32X4_GE_U, BIN, 0, 0) \
    Y(X, 0x41, F32X4_EQ, BIN, 0, 0) \
    Y(X, 0x42, F32X4_NE, BIN, 0, 0) \
    Y(X, 0x43, F32X4_LT, BIN, 0, 0) \
    Y(X, 0x44, F32X4_GT, BIN, 0, 0) \
    Y(X, 0x45, F32X4_LE, BIN, 0, 0) \
    Y(X, 0x46, F32X4_GE, BIN, 0, 0) \
    Y(X, 0x47, F64X2_EQ, BIN, 0, 0) \
    Y(X, 0x48, F64X2_NE, BIN, 0, 0) \
    Y(X, 0x49, F64X2_LT, BIN, 0, 0) \
    Y(X, 0x4a, F64X2_GT, BIN, 0, 0) \
    Y(X, 0x4b, F64X2_LE, BIN, 0, 0) \
    Y(X, 0x4c, F64X2_GE, BIN, 0, 0) \
    Y(X, 0x4d, V128_NOT, UN, 0, 0) \
    Y(X, 0x4e, V128_AND, BIN, 0, 0) \
    Y(X, 0x4f, V128_ANDNOT, BIN, 0, 0) \
    Y(X, 0x50, V128_OR, BIN, 0, 0) \
    Y(X, 0x51, V128_XOR, BIN, 0, 0) \
    Y(X, 0x52, V128_BITSELECT, TER, 0, 0) \
    Y(X, 0x53, V128_ANY_TRUE, TEST, 0, 0) \
    Y(X, 0x54, V128_LOAD8_LANE, LDLANE, 0, 16) \
    Y(X, 0x55, V128_LOAD16_LANE, LDLANE, 1, 8) \
    Y(X, 0x56, V128_LOAD32_LANE, LDLANE, 2, 4) \
    Y(X, 0x57, V128_LOAD64_LANE, LDLANE, 3, 2) \
    Y(X, 0x58, V128_STORE8_LANE, STLANE, 0, 16) \
    Y(X, 0x59, V128_STORE16_LANE, STLANE, 1, 8) \
    Y(X, 0x5a, V128_STORE32_LANE, STLANE, 2, 4) \
    Y(X, 0x5b, V128_STORE64_LANE, STLANE, 3, 2) \
    Y(X, 0x5c, V128_LOAD32_ZERO, LD, 2, 0) \
    Y(X, 0x5d, V128_LOAD64_ZERO, LD, 3, 0) \
    Y(X, 0x5e, F32X4_DEMOTE_F64X2_ZERO, UN, 0, 0) \
    Y(X, 0x5f, F64X2_PROMOTE_LOW_F32X4, UN, 0, 0) \
    Y(X, 0x60, I8X16_ABS, UN, 0, 0) \
    Y(X, 0x61, I8X16_NEG, UN, 0, 0) \
    Y(X, 0x62, I8X16_POPCNT, UN, 0, 0) \
    Y(X, 0x63, I8X16_ALL_TRUE, TEST, 0, 0) \
    Y(X, 0x64, I8X16_BITMASK, TEST, 0, 0) \
    Y(X, 0x65, I8X16_NARROW_I16X8_S, BIN, 0, 0) \
    Y(X, 0x66, I8X16_NARROW_I16X8_U, BIN, 0, 0) \
    Y(X, 0x67, F32X4_CEIL, UN, 0, 0) \
    Y(X, 0x68, F32X4_FLOOR, UN, 0, 0) \
    Y(X, 0x69, F32X4_TRUNC, UN, 0, 0) \
    Y(X, 0x6a, F32X4_NEAREST, UN, 0, 0) \
    Y(X, 0x6b, I8X16_SHL, SHIFT, 0, 0) \
    Y(X, 0x6c, I8X16_SHR_S, SHIFT, 0, 0) \
    Y(X, 0x6d, I8X16_SHR_U, SHIFT, 0, 0) \
    Y(X, 0x6e, I8X16_ADD, BIN, 0, 0) \
    Y(X, 0x6f, I8X16_ADD_SAT_S, BIN, 0, 0) \
    Y(X, 0x70, I8X16_ADD_SAT_U, BIN, 0, 0) \
    Y(X, 0x71, I8X16_SUB, BIN, 0, 0) \
    Y(X, 0x72, I8X16_SUB_SAT_S, BIN, 0, 0) \
    Y(X, 0x73, I8X16_SUB_SAT_U, BIN, 0, 0) \
    Y(X, 0x74, F64X2_CEIL, UN, 0, 0) \
    Y(X, 0x75, F64X2_FLOOR, UN, 0, 0) \
    Y(X, 0x76, I8X16_MIN_S, BIN, 0, 0) \
    Y(X, 0x77, I8X16_MIN_U, BIN, 0, 0) \
    Y(X, 0x78, I8X16_MAX_S, BIN, 0, 0) \
    Y(X, 0x79, I8X16_MAX_U, BIN, 0, 0) \
    Y(X, 0x7a, F64X2_TRUNC, UN, 0, 0) \
    Y(X, 0x7b, I8X16_AVGR_U, BIN, 0, 0) \
    Y(X, 0x7c, I16X8_EXTADD_PAIRWISE_I8X16_S, UN, 0, 0) \
    Y(X, 0x7d, I16X8_EXTADD_PAIRWISE_I8X16_U, UN, 0, 0) \
    Y(X, 0x7e, I32X4_EXTADD_PAIRWISE_I16X8_S, UN, 0, 0) \
    Y(X, 0x7f, I32X4_EXTADD_PAIRWISE_I16X8_U, UN, 0, 0) \
    Y(X, 0x80, I16X8_ABS, UN, 0, 0) \
    Y(X, 0x81, I16X8_NEG, UN, 0, 0) \
    Y(X, 0x82, I16X8_Q15MULR_SAT_S, BIN, 0, 0) \
    Y(X, 0x83, I16X8_ALL_TRUE, TEST, 0, 0) \
    Y(X, 0x84, I16X8_BITMASK, TEST, 0, 0) \
    Y(X, 0x85, I16X8_NARROW_I32X4_S, BIN, 0, 0) \
    Y(X, 0x86, I16X8_NARROW_I32X4_U, BIN, 0, 0) \
    Y(X, 0x87, I16X8_EXTEND_LOW_I8X16_S, UN, 0, 0) \
    Y(X, 0x88, I16X8_EXTEND_HIGH_I8X16_S, UN, 0, 0) \
    Y(X, 0x89, I16X8_EXTEND_LOW_I8X16_U, UN, 0, 0) \
    Y(X, 0x8a, I16X8_EXTEND_HIGH_I8X16_U, UN, 0, 0) \
    Y(X, 0x8b, I16X8_SHL, SHIFT, 0, 0) \
    Y(X, 0x8c, I16X8_SHR_S, SHIFT, 0, 0) \
    Y(X, 0x8d, I16X8_SHR_U, SHIFT, 0, 0) \
    Y(X, 0x8e, I16X8_ADD, BIN, 0, 0) \
    Y(X, 0x8f, I16X8_ADD_SAT_S, BIN, 0, 0) \
    Y(X, 0x90, I16X8_ADD_SAT_U, BIN, 0, 0) \
    Y(X, 0x91, I16X8_SUB, BIN, 0, 0) \
    Y(X, 0x92, I16X8_SUB_SAT_S, BIN, 0, 0) \
    Y(X, 0x93, I16X8_SUB_SAT_U, BIN, 0, 0) \
    Y(X, 0x94, F64X2_NEAREST, UN, 0, 0) \
    Y(X, 0x95, I16X8_MUL, BIN, 0, 0) \
    Y(X, 0x96, I16X8_MIN_S, BIN, 0, 0) \
    Y(X, 0x97, I16X8_MIN_U, BIN, 0, 0) \
    Y(X, 0x98, I16X8_MAX_S, BIN, 0, 0) \
    Y(X, 0x99, I16X8_MAX_U, BIN, 0, 0) \
    Y(X, 0x9b, I16X8_AVGR_U, BIN, 0, 0) \
    Y(X, 0x9c, I16X8_EXTMUL_LOW_I8X16_S, BIN, 0, 0) \
    Y(X, 0x9d, I16X8_EXTMUL_HIGH_I8X16_S, BIN, 0, 0) \
    Y(X, 0x9e, I16X8_EXTMUL_LOW_I8X16_U, BIN, 0, 0) \
    Y(X, 0x9f, I16X8_EXTMUL_HIGH_I8X16_U, BIN, 0, 0) \
    Y(X, 0xa0, I32X4_ABS, UN, 0, 0) \
    Y(X, 0xa1, I32X4_NEG, UN, 0, 0) \
    Y(X, 0xa3, I32X4_ALL_TRUE, TEST, 0, 0) \
    Y(X, 0xa4, I32X4_BITMASK, TEST, 0, 0) \
    Y(X, 0xa7, I32X4_EXTEND_LOW_I16X8_S, UN, 0, 0) \
    Y(X, 0xa8, I32X4_EXTEND_HIGH_I16X8_S, UN, 0, 0) \
    Y(X, 0xa9, I32X4_EXTEND_LOW_I16X8_U, UN, 0, 0) \
    Y(X, 0xaa, I32X4_EXTEND_HIGH_I16X8_U, UN, 0, 0) \
    Y(X, 0xab, I32X4_SHL, SHIFT, 0, 0) \
    Y(X, 0xac, I32X4_SHR_S, SHIFT, 0, 0) \
    Y(X, 0xad, I32X4_SHR_U, SHIFT, 0, 0) \
    Y(X, 0xae, I32X4_ADD, BIN, 0, 0) \
    Y(X, 0xb1, I32X4_SUB, BIN, 0, 0) \
    Y(X, 0xb5, I32X4_MUL, BIN, 0, 0) \
    Y(X, 0xb6, I32X4_MIN_S, BIN, 0, 0) \
    Y(X, 0xb7, I32X4_MIN_U, BIN, 0, 0) \
    Y(X, 0xb8, I32X4_MAX_S, BIN, 0, 0) \
    Y(X, 0xb9, I32X4_MAX_U, BIN, 0, 0) \
    Y(X, 0xba, I32X4_DOT_I16X8_S, BIN, 0, 0) \
    Y(X, 0xbc, I32X4_EXTMUL_LOW_I16X8_S, BIN, 0, 0) \
    Y(X, 0xbd, I32X4_EXTMUL_HIGH_I16X8_S, BIN, 0, 0) \
    Y(X, 0xbe, I32X4_EXTMUL_LOW_I16X8_U, BIN, 0, 0) \
    Y(X, 0xbf, I32X4_EXTMUL_HIGH_I16X8_U, BIN, 0, 0) \
    Y(X, 0xc0, I64X2_ABS, UN, 0, 0) \
    Y(X, 0xc1, I64X2_NEG, UN, 0, 0) \
    Y(X, 0xc3, I64X2_ALL_TRUE, TEST, 0, 0) \
    Y(X, 0xc4, I64X2_BITMASK, TEST, 0, 0) \
    Y(X, 0xc7, I64X2_EXTEND_LOW_I32X4_S, UN, 0, 0) \
    Y(X, 0xc8, I64X2_EXTEND_HIGH_I32X4_S, UN, 0, 0) \
    Y(X, 0xc9, I64X2_EXTEND_LOW_I32X4_U, UN, 0, 0) \
    Y(X, 0xca, I64X2_EXTEND_HIGH_I32X4_U, UN, 0, 0) \
    Y(X, 0xcb, I64X2_SHL, SHIFT, 0, 0) \
    Y(X, 0xcc, I64X2_SHR_S, SHIFT, 0, 0) \
    Y(X, 0xcd, I64X2_SHR_U, SHIFT, 0, 0) \
    Y(X, 0xce, I64X2_ADD, BIN, 0, 0) \
    Y(X, 0xd1, I64X2_SUB, BIN, 0, 0) \
    Y(X, 0xd5, I64X2_MUL, BIN, 0, 0) \
    Y(X, 0xd6, I64X2_EQ, BIN, 0, 0) \
    Y(X, 0xd7, I64X2_NE, BIN, 0, 0) \
    Y(X, 0xd8, I64X2_LT_S, BIN, 0, 0) \
    Y(X, 0xd9, I64X2_GT_S, BIN, 0, 0) \
    Y(X, 0xda, I64X2_LE_S, BIN, 0, 0) \
    Y(X, 0xdb, I64X2_GE_S, BIN, 0, 0) \
    Y(X, 0xdc, I64X2_EXTMUL_LOW_I32X4_S, BIN, 0, 0) \
    Y(X, 0xdd, I64X2_EXTMUL_HIGH_I32X4_S, BIN, 0, 0) \
    Y(X, 0xde, I64X2_EXTMUL_LOW_I32X4_U, BIN, 0, 0) \
    Y(X, 0xdf, I64X2_EXTMUL_HIGH_I32X4_U, BIN, 0, 0) \
    Y(X, 0xe0, F32X4_ABS, UN, 0, 0) \
    Y(X, 0xe1, F32X4_NEG, UN, 0, 0) \
    Y(X, 0xe3, F32X4_SQRT, UN, 0, 0) \
    Y(X, 0xe4, F32X4_ADD, BIN, 0, 0) \
    Y(X, 0xe5, F32X4_SUB, BIN, 0, 0) \
    Y(X, 0xe6, F32X4_MUL, BIN, 0, 0) \
    Y(X, 0xe7, F32X4_DIV, BIN, 0, 0) \
    Y(X, 0xe8, F32X4_MIN, BIN, 0, 0) \
    Y(X, 0xe9, F32X4_MAX, BIN, 0, 0) \
    Y(X, 0xea, F32X4_PMIN, BIN, 0, 0) \
    Y(X, 0xeb, F32X4_PMAX, BIN, 0, 0) \
    Y(X, 0xec, F64X2_ABS, UN, 0, 0) \
    Y(X, 0xed, F64X2_NEG, UN, 0, 0) \
    Y(X, 0xef, F64X2_SQRT, UN, 0, 0) \
    Y(X, 0xf0, F64X2_ADD, BIN, 0, 0) \
    Y(X, 0xf1, F64X2_SUB, BIN, 0, 0) \
    Y(X, 0xf2, F64X2_MUL, BIN, 0, 0) \
    Y(X, 0xf3, F64X2_DIV, BIN, 0, 0) \
    Y(X, 0xf4, F64X2_MIN, BIN, 0, 0) \
    Y(X, 0xf5, F64X2_MAX, BIN, 0, 0) \
    Y(X, 0xf6, F64X2_PMIN, BIN, 0, 0) \
    Y(X, 0xf7, F64X2_PMAX, BIN, 0, 0) \
    Y(X, 0xf8, I32X4_TRUNC_SAT_F32X4_S, UN, 0, 0) \
    Y(X, 0xf9, I32X4_TRUNC_SAT_F32X4_U, UN, 0, 0) \
    Y(X, 0xfa, F32X4_CONVERT_I32X4_S, UN, 0, 0) \
    Y(X, 0xfb, F32X4_CONVERT_I32X4_U, UN, 0, 0) \
    Y(X, 0xfc, I32X4_TRUNC_SAT_F64X2_S_ZERO, UN, 0, 0) \
    Y(X, 0xfd, I32X4_TRUNC_SAT_F64X2_U_ZERO, UN, 0, 0) \
    Y(X, 0xfe, F64X2_CONVERT_LOW_I32X4_S, UN, 0, 0) \
    Y(X, 0xff, F64X2_CONVERT_LOW_I32X4_U, UN, 0, 0)

/* v128.const (0x0c) has no op of its own: it is emitted as CONST128. */
#define WB_SIMD_NAME_OF(X, code, name, shape, p1, p2) X(name)
#define WB_SIMD_OPS(X) WB_SIMD_TABLE(WB_SIMD_NAME_OF, X)

/* Lane views of a v128 (GCC vector extensions). Slots are only 8-byte
 * aligned, so values move between slots and these with memcpy. */
typedef int8_t   wb_i8x16 __attribute__((vector_size(16)));
typedef uint8_t  wb_u8x16 __attribute__((vector_size(16)));
typedef int16_t  wb_i16x8 __attribute__((vector_size(16)));
typedef uint16_t wb_u16x8 __attribute__((vector_size(16)));
typedef int32_t  wb_i32x4 __attribute__((vector_size(16)));
typedef uint32_t wb_u32x4 __attribute__((vector_size(16)));
typedef int64_t  wb_i64x2 __attribute__((vector_size(16)));
typedef uint64_t wb_u64x2 __attribute__((vector_size(16)));
typedef float    wb_f32x4 __attribute__((vector_size(16)));
typedef double   wb_f64x2 __attribute__((vector_size(16)));
/* Half vectors, for widening one half of a v128. */
typedef int8_t   wb_i8x8 __attribute__((vector_size(8)));
typedef uint8_t  wb_u8x8 __attribute__((vector_size(8)));
typedef int16_t  wb_i16x4 __attribute__((vector_size(8)));
typedef uint16_t wb_u16x4 __attribute__((vector_size(8)));
typedef int32_t  wb_i32x2 __attribute__((vector_size(8)));
typedef uint32_t wb_u32x2 __attribute__((vector_size(8)));

/* ---- lane helpers for simd_exec.inc (pure vector code, no libm) ---- */

/* Lanewise m ? x : y; m holds all-ones or zero lanes. */
#define WB_VSEL(T, m, x, y) (((T)(m) & (T)(x)) | (~(T)(m) & (T)(y)))

enum { WB_RND_CEIL, WB_RND_FLOOR, WB_RND_TRUNC, WB_RND_NEAREST };

/* ceil/floor/trunc/nearest, bit-exact with the scalar ops: lanes with
 * |x| < 2^23 are rounded through an integer conversion (nearest: by adding
 * and subtracting 2^23, ties to even), and keep their sign, so -0.5 gives
 * -0; other lanes are integral already, infinite or NaN: x + 0 returns
 * them unchanged except that a signalling NaN is quieted. */
static inline wb_f32x4 wb_f32x4_round(wb_f32x4 x, int mode)
{
    const wb_u32x4 bits = (wb_u32x4)x, sign = bits & 0x80000000u;
    const wb_f32x4 ax = (wb_f32x4)(bits & 0x7fffffffu), one = { 1, 1, 1, 1 };
    const wb_i32x4 small = ax < 0x1p23f;
    const wb_f32x4 xs = (wb_f32x4)((wb_u32x4)x & (wb_u32x4)small);
    wb_f32x4 r = __builtin_convertvector(__builtin_convertvector(xs, wb_i32x4), wb_f32x4);
    if (mode == WB_RND_FLOOR) r -= (wb_f32x4)((wb_u32x4)(r > xs) & (wb_u32x4)one);
    if (mode == WB_RND_CEIL) r += (wb_f32x4)((wb_u32x4)(r < xs) & (wb_u32x4)one);
    if (mode == WB_RND_NEAREST) {
        const wb_f32x4 big = { 0x1p23f, 0x1p23f, 0x1p23f, 0x1p23f };
        r = ((wb_f32x4)((wb_u32x4)xs & 0x7fffffffu) + big) - big;
    }
    r = (wb_f32x4)(((wb_u32x4)r & 0x7fffffffu) | sign);
    return (wb_f32x4)WB_VSEL(wb_u32x4, small, r, x + 0.0f);
}

static inline wb_f64x2 wb_f64x2_round(wb_f64x2 x, int mode)
{
    const uint64_t sbit = 0x8000000000000000ull;
    const wb_u64x2 bits = (wb_u64x2)x, sign = bits & sbit;
    const wb_f64x2 ax = (wb_f64x2)(bits & ~sbit), one = { 1, 1 };
    const wb_i64x2 small = ax < 0x1p52;
    const wb_f64x2 xs = (wb_f64x2)((wb_u64x2)x & (wb_u64x2)small);
    wb_f64x2 r = __builtin_convertvector(__builtin_convertvector(xs, wb_i64x2), wb_f64x2);
    if (mode == WB_RND_FLOOR) r -= (wb_f64x2)((wb_u64x2)(r > xs) & (wb_u64x2)one);
    if (mode == WB_RND_CEIL) r += (wb_f64x2)((wb_u64x2)(r < xs) & (wb_u64x2)one);
    if (mode == WB_RND_NEAREST) {
        const wb_f64x2 big = { 0x1p52, 0x1p52 };
        r = ((wb_f64x2)((wb_u64x2)xs & ~sbit) + big) - big;
    }
    r = (wb_f64x2)(((wb_u64x2)r & ~sbit) | sign);
    return (wb_f64x2)WB_VSEL(wb_u64x2, small, r, x + 0.0);
}

/* simd_shuffle.c: byte shuffles, SSSE3 when the CPU has it. Both read
 * all inputs before writing `out`, which may alias them. */
extern void (*wb_simd_shuffle)(const void *a, const void *b, const uint8_t *idx, void *out);
extern void (*wb_simd_swizzle)(const void *a, const void *idx, void *out);


/* min/max as the scalar ops: a NaN operand gives a + b (a quiet NaN);
 * equal operands combine their bits, so min(-0, +0) = -0 and
 * max(-0, +0) = +0. */
static inline wb_f32x4 wb_f32x4_minmax(wb_f32x4 a, wb_f32x4 b, int max)
{
    const wb_u32x4 ua = (wb_u32x4)a, ub = (wb_u32x4)b;
    wb_u32x4 r = max ? WB_VSEL(wb_u32x4, a > b, ua, ub) : WB_VSEL(wb_u32x4, a < b, ua, ub);
    r = WB_VSEL(wb_u32x4, a == b, max ? ua & ub : ua | ub, r);
    return (wb_f32x4)WB_VSEL(wb_u32x4, (a != a) | (b != b), a + b, r);
}

static inline wb_f64x2 wb_f64x2_minmax(wb_f64x2 a, wb_f64x2 b, int max)
{
    const wb_u64x2 ua = (wb_u64x2)a, ub = (wb_u64x2)b;
    wb_u64x2 r = max ? WB_VSEL(wb_u64x2, a > b, ua, ub) : WB_VSEL(wb_u64x2, a < b, ua, ub);
    r = WB_VSEL(wb_u64x2, a == b, max ? ua & ub : ua | ub, r);
    return (wb_f64x2)WB_VSEL(wb_u64x2, (a != a) | (b != b), a + b, r);
}

#endif
