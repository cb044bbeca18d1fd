/*
 * opcodes.h: the Wasm 2.0 instruction set, one entry per opcode.
 *
 * The decoder (constant expressions), the validator and translator
 * (compile.c, compile_simd.c) and the interpreter (interp.c: a handler per
 * op that runs as itself) take instructions from this one list, and so
 * should any later tier: an opcode is named, encoded, typed and given its
 * immediates in one place.
 *
 *   X(NAME, CODE, RUN, IMM, ARG, SIG)
 *
 * NAME  WB_WASM_NAME is the opcode (enum wb_opcode, = CODE).
 * CODE  the encoding: the byte itself, or prefix << 8 | sub-opcode for the
 *       0xFC and 0xFD prefixes (the sub-opcode is a LEB128 u32 in the
 *       binary, so 0xfd80 is the bytes fd 80 01).
 * RUN   OP: runs as the internal op WB_OP_NAME (ops.h), handler L_NAME,
 *           whose operand cells follow one rule: the byte offsets of the
 *           operands (in order), then of the result, then the u32
 *           immediates, packed two to a cell ([a|b][d|0], [a|d][lane|0]),
 *           then one cell per 64-bit immediate (memarg offset, shuffle
 *           lanes); the translator may still fuse it with its neighbours.
 *       TR: translated: the translator emits other internal ops for it.
 * IMM   its immediates (WB_IMM_*); ARG is their parameter: the natural
 *       alignment (log2) for memargs, the lane count for lane indices.
 * SIG   its operand and result types, [params]_[result] with i i32, I i64,
 *       f f32, d f64, v v128 (ii_i: [i32 i32] -> [i32]; iI_: [i32 i64]
 *       -> []); DYN when they follow from an immediate or from the control
 *       stack (calls, locals, blocks, tables, references, parametric).
 */
#ifndef WB_OPCODES_H
#define WB_OPCODES_H
#include "wasmbox/engine.h"

#define WB_OPCODES(X) \
    X(UNREACHABLE,                    0x00,   TR, NONE,        0, DYN) \
    X(NOP,                            0x01,   TR, NONE,        0, _) \
    X(BLOCK,                          0x02,   TR, BLOCKTYPE,   0, DYN) \
    X(LOOP,                           0x03,   TR, BLOCKTYPE,   0, DYN) \
    X(IF,                             0x04,   TR, BLOCKTYPE,   0, DYN) \
    X(ELSE,                           0x05,   TR, NONE,        0, DYN) \
    X(END,                            0x0b,   TR, NONE,        0, DYN) \
    X(BR,                             0x0c,   TR, LABEL,       0, DYN) \
    X(BR_IF,                          0x0d,   TR, LABEL,       0, DYN) \
    X(BR_TABLE,                       0x0e,   TR, LABELS,      0, DYN) \
    X(RETURN,                         0x0f,   TR, NONE,        0, DYN) \
    X(CALL,                           0x10,   TR, FUNC,        0, DYN) \
    X(CALL_INDIRECT,                  0x11,   TR, TYPE_TABLE,  0, DYN) \
    X(DROP,                           0x1a,   TR, NONE,        0, DYN) \
    X(SELECT,                         0x1b,   TR, NONE,        0, DYN) \
    X(SELECT_T,                       0x1c,   TR, VALTYPES,    0, DYN) \
    X(LOCAL_GET,                      0x20,   TR, LOCAL,       0, DYN) \
    X(LOCAL_SET,                      0x21,   TR, LOCAL,       0, DYN) \
    X(LOCAL_TEE,                      0x22,   TR, LOCAL,       0, DYN) \
    X(GLOBAL_GET,                     0x23,   TR, GLOBAL,      0, DYN) \
    X(GLOBAL_SET,                     0x24,   TR, GLOBAL,      0, DYN) \
    X(TABLE_GET,                      0x25,   TR, TABLE,       0, DYN) \
    X(TABLE_SET,                      0x26,   TR, TABLE,       0, DYN) \
    X(I32_LOAD,                       0x28,   OP, MEMARG,      2, i_i) \
    X(I64_LOAD,                       0x29,   OP, MEMARG,      3, i_I) \
    X(F32_LOAD,                       0x2a,   OP, MEMARG,      2, i_f) \
    X(F64_LOAD,                       0x2b,   OP, MEMARG,      3, i_d) \
    X(I32_LOAD8_S,                    0x2c,   OP, MEMARG,      0, i_i) \
    X(I32_LOAD8_U,                    0x2d,   OP, MEMARG,      0, i_i) \
    X(I32_LOAD16_S,                   0x2e,   OP, MEMARG,      1, i_i) \
    X(I32_LOAD16_U,                   0x2f,   OP, MEMARG,      1, i_i) \
    X(I64_LOAD8_S,                    0x30,   OP, MEMARG,      0, i_I) \
    X(I64_LOAD8_U,                    0x31,   OP, MEMARG,      0, i_I) \
    X(I64_LOAD16_S,                   0x32,   OP, MEMARG,      1, i_I) \
    X(I64_LOAD16_U,                   0x33,   OP, MEMARG,      1, i_I) \
    X(I64_LOAD32_S,                   0x34,   OP, MEMARG,      2, i_I) \
    X(I64_LOAD32_U,                   0x35,   OP, MEMARG,      2, i_I) \
    X(I32_STORE,                      0x36,   OP, MEMARG,      2, ii_) \
    X(I64_STORE,                      0x37,   OP, MEMARG,      3, iI_) \
    X(F32_STORE,                      0x38,   OP, MEMARG,      2, if_) \
    X(F64_STORE,                      0x39,   OP, MEMARG,      3, id_) \
    X(I32_STORE8,                     0x3a,   OP, MEMARG,      0, ii_) \
    X(I32_STORE16,                    0x3b,   OP, MEMARG,      1, ii_) \
    X(I64_STORE8,                     0x3c,   OP, MEMARG,      0, iI_) \
    X(I64_STORE16,                    0x3d,   OP, MEMARG,      1, iI_) \
    X(I64_STORE32,                    0x3e,   OP, MEMARG,      2, iI_) \
    X(MEMORY_SIZE,                    0x3f,   TR, ZERO,        0, _i) \
    X(MEMORY_GROW,                    0x40,   TR, ZERO,        0, i_i) \
    X(I32_CONST,                      0x41,   TR, I32,         0, _i) \
    X(I64_CONST,                      0x42,   TR, I64,         0, _I) \
    X(F32_CONST,                      0x43,   TR, F32,         0, _f) \
    X(F64_CONST,                      0x44,   TR, F64,         0, _d) \
    X(I32_EQZ,                        0x45,   OP, NONE,        0, i_i) \
    X(I32_EQ,                         0x46,   OP, NONE,        0, ii_i) \
    X(I32_NE,                         0x47,   OP, NONE,        0, ii_i) \
    X(I32_LT_S,                       0x48,   OP, NONE,        0, ii_i) \
    X(I32_LT_U,                       0x49,   OP, NONE,        0, ii_i) \
    X(I32_GT_S,                       0x4a,   OP, NONE,        0, ii_i) \
    X(I32_GT_U,                       0x4b,   OP, NONE,        0, ii_i) \
    X(I32_LE_S,                       0x4c,   OP, NONE,        0, ii_i) \
    X(I32_LE_U,                       0x4d,   OP, NONE,        0, ii_i) \
    X(I32_GE_S,                       0x4e,   OP, NONE,        0, ii_i) \
    X(I32_GE_U,                       0x4f,   OP, NONE,        0, ii_i) \
    X(I64_EQZ,                        0x50,   OP, NONE,        0, I_i) \
    X(I64_EQ,                         0x51,   OP, NONE,        0, II_i) \
    X(I64_NE,                         0x52,   OP, NONE,        0, II_i) \
    X(I64_LT_S,                       0x53,   OP, NONE,        0, II_i) \
    X(I64_LT_U,                       0x54,   OP, NONE,        0, II_i) \
    X(I64_GT_S,                       0x55,   OP, NONE,        0, II_i) \
    X(I64_GT_U,                       0x56,   OP, NONE,        0, II_i) \
    X(I64_LE_S,                       0x57,   OP, NONE,        0, II_i) \
    X(I64_LE_U,                       0x58,   OP, NONE,        0, II_i) \
    X(I64_GE_S,                       0x59,   OP, NONE,        0, II_i) \
    X(I64_GE_U,                       0x5a,   OP, NONE,        0, II_i) \
    X(F32_EQ,                         0x5b,   OP, NONE,        0, ff_i) \
    X(F32_NE,                         0x5c,   OP, NONE,        0, ff_i) \
    X(F32_LT,                         0x5d,   OP, NONE,        0, ff_i) \
    X(F32_GT,                         0x5e,   OP, NONE,        0, ff_i) \
    X(F32_LE,                         0x5f,   OP, NONE,        0, ff_i) \
    X(F32_GE,                         0x60,   OP, NONE,        0, ff_i) \
    X(F64_EQ,                         0x61,   OP, NONE,        0, dd_i) \
    X(F64_NE,                         0x62,   OP, NONE,        0, dd_i) \
    X(F64_LT,                         0x63,   OP, NONE,        0, dd_i) \
    X(F64_GT,                         0x64,   OP, NONE,        0, dd_i) \
    X(F64_LE,                         0x65,   OP, NONE,        0, dd_i) \
    X(F64_GE,                         0x66,   OP, NONE,        0, dd_i) \
    X(I32_CLZ,                        0x67,   OP, NONE,        0, i_i) \
    X(I32_CTZ,                        0x68,   OP, NONE,        0, i_i) \
    X(I32_POPCNT,                     0x69,   OP, NONE,        0, i_i) \
    X(I32_ADD,                        0x6a,   OP, NONE,        0, ii_i) \
    X(I32_SUB,                        0x6b,   OP, NONE,        0, ii_i) \
    X(I32_MUL,                        0x6c,   OP, NONE,        0, ii_i) \
    X(I32_DIV_S,                      0x6d,   OP, NONE,        0, ii_i) \
    X(I32_DIV_U,                      0x6e,   OP, NONE,        0, ii_i) \
    X(I32_REM_S,                      0x6f,   OP, NONE,        0, ii_i) \
    X(I32_REM_U,                      0x70,   OP, NONE,        0, ii_i) \
    X(I32_AND,                        0x71,   OP, NONE,        0, ii_i) \
    X(I32_OR,                         0x72,   OP, NONE,        0, ii_i) \
    X(I32_XOR,                        0x73,   OP, NONE,        0, ii_i) \
    X(I32_SHL,                        0x74,   OP, NONE,        0, ii_i) \
    X(I32_SHR_S,                      0x75,   OP, NONE,        0, ii_i) \
    X(I32_SHR_U,                      0x76,   OP, NONE,        0, ii_i) \
    X(I32_ROTL,                       0x77,   OP, NONE,        0, ii_i) \
    X(I32_ROTR,                       0x78,   OP, NONE,        0, ii_i) \
    X(I64_CLZ,                        0x79,   OP, NONE,        0, I_I) \
    X(I64_CTZ,                        0x7a,   OP, NONE,        0, I_I) \
    X(I64_POPCNT,                     0x7b,   OP, NONE,        0, I_I) \
    X(I64_ADD,                        0x7c,   OP, NONE,        0, II_I) \
    X(I64_SUB,                        0x7d,   OP, NONE,        0, II_I) \
    X(I64_MUL,                        0x7e,   OP, NONE,        0, II_I) \
    X(I64_DIV_S,                      0x7f,   OP, NONE,        0, II_I) \
    X(I64_DIV_U,                      0x80,   OP, NONE,        0, II_I) \
    X(I64_REM_S,                      0x81,   OP, NONE,        0, II_I) \
    X(I64_REM_U,                      0x82,   OP, NONE,        0, II_I) \
    X(I64_AND,                        0x83,   OP, NONE,        0, II_I) \
    X(I64_OR,                         0x84,   OP, NONE,        0, II_I) \
    X(I64_XOR,                        0x85,   OP, NONE,        0, II_I) \
    X(I64_SHL,                        0x86,   OP, NONE,        0, II_I) \
    X(I64_SHR_S,                      0x87,   OP, NONE,        0, II_I) \
    X(I64_SHR_U,                      0x88,   OP, NONE,        0, II_I) \
    X(I64_ROTL,                       0x89,   OP, NONE,        0, II_I) \
    X(I64_ROTR,                       0x8a,   OP, NONE,        0, II_I) \
    X(F32_ABS,                        0x8b,   OP, NONE,        0, f_f) \
    X(F32_NEG,                        0x8c,   OP, NONE,        0, f_f) \
    X(F32_CEIL,                       0x8d,   OP, NONE,        0, f_f) \
    X(F32_FLOOR,                      0x8e,   OP, NONE,        0, f_f) \
    X(F32_TRUNC,                      0x8f,   OP, NONE,        0, f_f) \
    X(F32_NEAREST,                    0x90,   OP, NONE,        0, f_f) \
    X(F32_SQRT,                       0x91,   OP, NONE,        0, f_f) \
    X(F32_ADD,                        0x92,   OP, NONE,        0, ff_f) \
    X(F32_SUB,                        0x93,   OP, NONE,        0, ff_f) \
    X(F32_MUL,                        0x94,   OP, NONE,        0, ff_f) \
    X(F32_DIV,                        0x95,   OP, NONE,        0, ff_f) \
    X(F32_MIN,                        0x96,   OP, NONE,        0, ff_f) \
    X(F32_MAX,                        0x97,   OP, NONE,        0, ff_f) \
    X(F32_COPYSIGN,                   0x98,   OP, NONE,        0, ff_f) \
    X(F64_ABS,                        0x99,   OP, NONE,        0, d_d) \
    X(F64_NEG,                        0x9a,   OP, NONE,        0, d_d) \
    X(F64_CEIL,                       0x9b,   OP, NONE,        0, d_d) \
    X(F64_FLOOR,                      0x9c,   OP, NONE,        0, d_d) \
    X(F64_TRUNC,                      0x9d,   OP, NONE,        0, d_d) \
    X(F64_NEAREST,                    0x9e,   OP, NONE,        0, d_d) \
    X(F64_SQRT,                       0x9f,   OP, NONE,        0, d_d) \
    X(F64_ADD,                        0xa0,   OP, NONE,        0, dd_d) \
    X(F64_SUB,                        0xa1,   OP, NONE,        0, dd_d) \
    X(F64_MUL,                        0xa2,   OP, NONE,        0, dd_d) \
    X(F64_DIV,                        0xa3,   OP, NONE,        0, dd_d) \
    X(F64_MIN,                        0xa4,   OP, NONE,        0, dd_d) \
    X(F64_MAX,                        0xa5,   OP, NONE,        0, dd_d) \
    X(F64_COPYSIGN,                   0xa6,   OP, NONE,        0, dd_d) \
    X(I32_WRAP_I64,                   0xa7,   TR, NONE,        0, I_i) \
    X(I32_TRUNC_F32_S,                0xa8,   OP, NONE,        0, f_i) \
    X(I32_TRUNC_F32_U,                0xa9,   OP, NONE,        0, f_i) \
    X(I32_TRUNC_F64_S,                0xaa,   OP, NONE,        0, d_i) \
    X(I32_TRUNC_F64_U,                0xab,   OP, NONE,        0, d_i) \
    X(I64_EXTEND_I32_S,               0xac,   OP, NONE,        0, i_I) \
    X(I64_EXTEND_I32_U,               0xad,   OP, NONE,        0, i_I) \
    X(I64_TRUNC_F32_S,                0xae,   OP, NONE,        0, f_I) \
    X(I64_TRUNC_F32_U,                0xaf,   OP, NONE,        0, f_I) \
    X(I64_TRUNC_F64_S,                0xb0,   OP, NONE,        0, d_I) \
    X(I64_TRUNC_F64_U,                0xb1,   OP, NONE,        0, d_I) \
    X(F32_CONVERT_I32_S,              0xb2,   OP, NONE,        0, i_f) \
    X(F32_CONVERT_I32_U,              0xb3,   OP, NONE,        0, i_f) \
    X(F32_CONVERT_I64_S,              0xb4,   OP, NONE,        0, I_f) \
    X(F32_CONVERT_I64_U,              0xb5,   OP, NONE,        0, I_f) \
    X(F32_DEMOTE_F64,                 0xb6,   OP, NONE,        0, d_f) \
    X(F64_CONVERT_I32_S,              0xb7,   OP, NONE,        0, i_d) \
    X(F64_CONVERT_I32_U,              0xb8,   OP, NONE,        0, i_d) \
    X(F64_CONVERT_I64_S,              0xb9,   OP, NONE,        0, I_d) \
    X(F64_CONVERT_I64_U,              0xba,   OP, NONE,        0, I_d) \
    X(F64_PROMOTE_F32,                0xbb,   OP, NONE,        0, f_d) \
    X(I32_REINTERPRET_F32,            0xbc,   TR, NONE,        0, f_i) \
    X(I64_REINTERPRET_F64,            0xbd,   TR, NONE,        0, d_I) \
    X(F32_REINTERPRET_I32,            0xbe,   TR, NONE,        0, i_f) \
    X(F64_REINTERPRET_I64,            0xbf,   TR, NONE,        0, I_d) \
    X(I32_EXTEND8_S,                  0xc0,   OP, NONE,        0, i_i) \
    X(I32_EXTEND16_S,                 0xc1,   OP, NONE,        0, i_i) \
    X(I64_EXTEND8_S,                  0xc2,   OP, NONE,        0, I_I) \
    X(I64_EXTEND16_S,                 0xc3,   OP, NONE,        0, I_I) \
    X(I64_EXTEND32_S,                 0xc4,   OP, NONE,        0, I_I) \
    X(REF_NULL,                       0xd0,   TR, REFTYPE,     0, DYN) \
    X(REF_IS_NULL,                    0xd1,   TR, NONE,        0, DYN) \
    X(REF_FUNC,                       0xd2,   TR, FUNC,        0, DYN) \
    X(I32_TRUNC_SAT_F32_S,            0xfc00, OP, NONE,        0, f_i) \
    X(I32_TRUNC_SAT_F32_U,            0xfc01, OP, NONE,        0, f_i) \
    X(I32_TRUNC_SAT_F64_S,            0xfc02, OP, NONE,        0, d_i) \
    X(I32_TRUNC_SAT_F64_U,            0xfc03, OP, NONE,        0, d_i) \
    X(I64_TRUNC_SAT_F32_S,            0xfc04, OP, NONE,        0, f_I) \
    X(I64_TRUNC_SAT_F32_U,            0xfc05, OP, NONE,        0, f_I) \
    X(I64_TRUNC_SAT_F64_S,            0xfc06, OP, NONE,        0, d_I) \
    X(I64_TRUNC_SAT_F64_U,            0xfc07, OP, NONE,        0, d_I) \
    X(MEMORY_INIT,                    0xfc08, TR, DATA_ZERO,   0, iii_) \
    X(DATA_DROP,                      0xfc09, TR, DATA,        0, _) \
    X(MEMORY_COPY,                    0xfc0a, TR, ZERO_ZERO,   0, iii_) \
    X(MEMORY_FILL,                    0xfc0b, TR, ZERO,        0, iii_) \
    X(TABLE_INIT,                     0xfc0c, TR, ELEM_TABLE,  0, iii_) \
    X(ELEM_DROP,                      0xfc0d, TR, ELEM,        0, _) \
    X(TABLE_COPY,                     0xfc0e, TR, TABLE_TABLE, 0, iii_) \
    X(TABLE_GROW,                     0xfc0f, TR, TABLE,       0, DYN) \
    X(TABLE_SIZE,                     0xfc10, TR, TABLE,       0, _i) \
    X(TABLE_FILL,                     0xfc11, TR, TABLE,       0, DYN) \
    X(V128_LOAD,                      0xfd00, OP, MEMARG,      4, i_v) \
    X(V128_LOAD8X8_S,                 0xfd01, OP, MEMARG,      3, i_v) \
    X(V128_LOAD8X8_U,                 0xfd02, OP, MEMARG,      3, i_v) \
    X(V128_LOAD16X4_S,                0xfd03, OP, MEMARG,      3, i_v) \
    X(V128_LOAD16X4_U,                0xfd04, OP, MEMARG,      3, i_v) \
    X(V128_LOAD32X2_S,                0xfd05, OP, MEMARG,      3, i_v) \
    X(V128_LOAD32X2_U,                0xfd06, OP, MEMARG,      3, i_v) \
    X(V128_LOAD8_SPLAT,               0xfd07, OP, MEMARG,      0, i_v) \
    X(V128_LOAD16_SPLAT,              0xfd08, OP, MEMARG,      1, i_v) \
    X(V128_LOAD32_SPLAT,              0xfd09, OP, MEMARG,      2, i_v) \
    X(V128_LOAD64_SPLAT,              0xfd0a, OP, MEMARG,      3, i_v) \
    X(V128_STORE,                     0xfd0b, OP, MEMARG,      4, iv_) \
    X(V128_CONST,                     0xfd0c, TR, V128,        0, _v) \
    X(I8X16_SHUFFLE,                  0xfd0d, OP, LANES16,     0, vv_v) \
    X(I8X16_SWIZZLE,                  0xfd0e, OP, NONE,        0, vv_v) \
    X(I8X16_SPLAT,                    0xfd0f, OP, NONE,        0, i_v) \
    X(I16X8_SPLAT,                    0xfd10, OP, NONE,        0, i_v) \
    X(I32X4_SPLAT,                    0xfd11, OP, NONE,        0, i_v) \
    X(I64X2_SPLAT,                    0xfd12, OP, NONE,        0, I_v) \
    X(F32X4_SPLAT,                    0xfd13, OP, NONE,        0, f_v) \
    X(F64X2_SPLAT,                    0xfd14, OP, NONE,        0, d_v) \
    X(I8X16_EXTRACT_LANE_S,           0xfd15, OP, LANE,        16, v_i) \
    X(I8X16_EXTRACT_LANE_U,           0xfd16, OP, LANE,        16, v_i) \
    X(I8X16_REPLACE_LANE,             0xfd17, OP, LANE,        16, vi_v) \
    X(I16X8_EXTRACT_LANE_S,           0xfd18, OP, LANE,        8, v_i) \
    X(I16X8_EXTRACT_LANE_U,           0xfd19, OP, LANE,        8, v_i) \
    X(I16X8_REPLACE_LANE,             0xfd1a, OP, LANE,        8, vi_v) \
    X(I32X4_EXTRACT_LANE,             0xfd1b, OP, LANE,        4, v_i) \
    X(I32X4_REPLACE_LANE,             0xfd1c, OP, LANE,        4, vi_v) \
    X(I64X2_EXTRACT_LANE,             0xfd1d, OP, LANE,        2, v_I) \
    X(I64X2_REPLACE_LANE,             0xfd1e, OP, LANE,        2, vI_v) \
    X(F32X4_EXTRACT_LANE,             0xfd1f, OP, LANE,        4, v_f) \
    X(F32X4_REPLACE_LANE,             0xfd20, OP, LANE,        4, vf_v) \
    X(F64X2_EXTRACT_LANE,             0xfd21, OP, LANE,        2, v_d) \
    X(F64X2_REPLACE_LANE,             0xfd22, OP, LANE,        2, vd_v) \
    X(I8X16_EQ,                       0xfd23, OP, NONE,        0, vv_v) \
    X(I8X16_NE,                       0xfd24, OP, NONE,        0, vv_v) \
    X(I8X16_LT_S,                     0xfd25, OP, NONE,        0, vv_v) \
    X(I8X16_LT_U,                     0xfd26, OP, NONE,        0, vv_v) \
    X(I8X16_GT_S,                     0xfd27, OP, NONE,        0, vv_v) \
    X(I8X16_GT_U,                     0xfd28, OP, NONE,        0, vv_v) \
    X(I8X16_LE_S,                     0xfd29, OP, NONE,        0, vv_v) \
    X(I8X16_LE_U,                     0xfd2a, OP, NONE,        0, vv_v) \
    X(I8X16_GE_S,                     0xfd2b, OP, NONE,        0, vv_v) \
    X(I8X16_GE_U,                     0xfd2c, OP, NONE,        0, vv_v) \
    X(I16X8_EQ,                       0xfd2d, OP, NONE,        0, vv_v) \
    X(I16X8_NE,                       0xfd2e, OP, NONE,        0, vv_v) \
    X(I16X8_LT_S,                     0xfd2f, OP, NONE,        0, vv_v) \
    X(I16X8_LT_U,                     0xfd30, OP, NONE,        0, vv_v) \
    X(I16X8_GT_S,                     0xfd31, OP, NONE,        0, vv_v) \
    X(I16X8_GT_U,                     0xfd32, OP, NONE,        0, vv_v) \
    X(I16X8_LE_S,                     0xfd33, OP, NONE,        0, vv_v) \
    X(I16X8_LE_U,                     0xfd34, OP, NONE,        0, vv_v) \
    X(I16X8_GE_S,                     0xfd35, OP, NONE,        0, vv_v) \
    X(I16X8_GE_U,                     0xfd36, OP, NONE,        0, vv_v) \
    X(I32X4_EQ,                       0xfd37, OP, NONE,        0, vv_v) \
    X(I32X4_NE,                       0xfd38, OP, NONE,        0, vv_v) \
    X(I32X4_LT_S,                     0xfd39, OP, NONE,        0, vv_v) \
    X(I32X4_LT_U,                     0xfd3a, OP, NONE,        0, vv_v) \
    X(I32X4_GT_S,                     0xfd3b, OP, NONE,        0, vv_v) \
    X(I32X4_GT_U,                     0xfd3c, OP, NONE,        0, vv_v) \
    X(I32X4_LE_S,                     0xfd3d, OP, NONE,        0, vv_v) \
    X(I32X4_LE_U,                     0xfd3e, OP, NONE,        0, vv_v) \
    X(I32X4_GE_S,                     0xfd3f, OP, NONE,        0, vv_v) \
    X(I32X4_GE_U,                     0xfd40, OP, NONE,        0, vv_v) \
    X(F32X4_EQ,                       0xfd41, OP, NONE,        0, vv_v) \
    X(F32X4_NE,                       0xfd42, OP, NONE,        0, vv_v) \
    X(F32X4_LT,                       0xfd43, OP, NONE,        0, vv_v) \
    X(F32X4_GT,                       0xfd44, OP, NONE,        0, vv_v) \
    X(F32X4_LE,                       0xfd45, OP, NONE,        0, vv_v) \
    X(F32X4_GE,                       0xfd46, OP, NONE,        0, vv_v) \
    X(F64X2_EQ,                       0xfd47, OP, NONE,        0, vv_v) \
    X(F64X2_NE,                       0xfd48, OP, NONE,        0, vv_v) \
    X(F64X2_LT,                       0xfd49, OP, NONE,        0, vv_v) \
    X(F64X2_GT,                       0xfd4a, OP, NONE,        0, vv_v) \
    X(F64X2_LE,                       0xfd4b, OP, NONE,        0, vv_v) \
    X(F64X2_GE,                       0xfd4c, OP, NONE,        0, vv_v) \
    X(V128_NOT,                       0xfd4d, OP, NONE,        0, v_v) \
    X(V128_AND,                       0xfd4e, OP, NONE,        0, vv_v) \
    X(V128_ANDNOT,                    0xfd4f, OP, NONE,        0, vv_v) \
    X(V128_OR,                        0xfd50, OP, NONE,        0, vv_v) \
    X(V128_XOR,                       0xfd51, OP, NONE,        0, vv_v) \
    X(V128_BITSELECT,                 0xfd52, OP, NONE,        0, vvv_v) \
    X(V128_ANY_TRUE,                  0xfd53, OP, NONE,        0, v_i) \
    X(V128_LOAD8_LANE,                0xfd54, OP, MEMARG_LANE, 0, iv_v) \
    X(V128_LOAD16_LANE,               0xfd55, OP, MEMARG_LANE, 1, iv_v) \
    X(V128_LOAD32_LANE,               0xfd56, OP, MEMARG_LANE, 2, iv_v) \
    X(V128_LOAD64_LANE,               0xfd57, OP, MEMARG_LANE, 3, iv_v) \
    X(V128_STORE8_LANE,               0xfd58, OP, MEMARG_LANE, 0, iv_) \
    X(V128_STORE16_LANE,              0xfd59, OP, MEMARG_LANE, 1, iv_) \
    X(V128_STORE32_LANE,              0xfd5a, OP, MEMARG_LANE, 2, iv_) \
    X(V128_STORE64_LANE,              0xfd5b, OP, MEMARG_LANE, 3, iv_) \
    X(V128_LOAD32_ZERO,               0xfd5c, OP, MEMARG,      2, i_v) \
    X(V128_LOAD64_ZERO,               0xfd5d, OP, MEMARG,      3, i_v) \
    X(F32X4_DEMOTE_F64X2_ZERO,        0xfd5e, OP, NONE,        0, v_v) \
    X(F64X2_PROMOTE_LOW_F32X4,        0xfd5f, OP, NONE,        0, v_v) \
    X(I8X16_ABS,                      0xfd60, OP, NONE,        0, v_v) \
    X(I8X16_NEG,                      0xfd61, OP, NONE,        0, v_v) \
    X(I8X16_POPCNT,                   0xfd62, OP, NONE,        0, v_v) \
    X(I8X16_ALL_TRUE,                 0xfd63, OP, NONE,        0, v_i) \
    X(I8X16_BITMASK,                  0xfd64, OP, NONE,        0, v_i) \
    X(I8X16_NARROW_I16X8_S,           0xfd65, OP, NONE,        0, vv_v) \
    X(I8X16_NARROW_I16X8_U,           0xfd66, OP, NONE,        0, vv_v) \
    X(F32X4_CEIL,                     0xfd67, OP, NONE,        0, v_v) \
    X(F32X4_FLOOR,                    0xfd68, OP, NONE,        0, v_v) \
    X(F32X4_TRUNC,                    0xfd69, OP, NONE,        0, v_v) \
    X(F32X4_NEAREST,                  0xfd6a, OP, NONE,        0, v_v) \
    X(I8X16_SHL,                      0xfd6b, OP, NONE,        0, vi_v) \
    X(I8X16_SHR_S,                    0xfd6c, OP, NONE,        0, vi_v) \
    X(I8X16_SHR_U,                    0xfd6d, OP, NONE,        0, vi_v) \
    X(I8X16_ADD,                      0xfd6e, OP, NONE,        0, vv_v) \
    X(I8X16_ADD_SAT_S,                0xfd6f, OP, NONE,        0, vv_v) \
    X(I8X16_ADD_SAT_U,                0xfd70, OP, NONE,        0, vv_v) \
    X(I8X16_SUB,                      0xfd71, OP, NONE,        0, vv_v) \
    X(I8X16_SUB_SAT_S,                0xfd72, OP, NONE,        0, vv_v) \
    X(I8X16_SUB_SAT_U,                0xfd73, OP, NONE,        0, vv_v) \
    X(F64X2_CEIL,                     0xfd74, OP, NONE,        0, v_v) \
    X(F64X2_FLOOR,                    0xfd75, OP, NONE,        0, v_v) \
    X(I8X16_MIN_S,                    0xfd76, OP, NONE,        0, vv_v) \
    X(I8X16_MIN_U,                    0xfd77, OP, NONE,        0, vv_v) \
    X(I8X16_MAX_S,                    0xfd78, OP, NONE,        0, vv_v) \
    X(I8X16_MAX_U,                    0xfd79, OP, NONE,        0, vv_v) \
    X(F64X2_TRUNC,                    0xfd7a, OP, NONE,        0, v_v) \
    X(I8X16_AVGR_U,                   0xfd7b, OP, NONE,        0, vv_v) \
    X(I16X8_EXTADD_PAIRWISE_I8X16_S,  0xfd7c, OP, NONE,        0, v_v) \
    X(I16X8_EXTADD_PAIRWISE_I8X16_U,  0xfd7d, OP, NONE,        0, v_v) \
    X(I32X4_EXTADD_PAIRWISE_I16X8_S,  0xfd7e, OP, NONE,        0, v_v) \
    X(I32X4_EXTADD_PAIRWISE_I16X8_U,  0xfd7f, OP, NONE,        0, v_v) \
    X(I16X8_ABS,                      0xfd80, OP, NONE,        0, v_v) \
    X(I16X8_NEG,                      0xfd81, OP, NONE,        0, v_v) \
    X(I16X8_Q15MULR_SAT_S,            0xfd82, OP, NONE,        0, vv_v) \
    X(I16X8_ALL_TRUE,                 0xfd83, OP, NONE,        0, v_i) \
    X(I16X8_BITMASK,                  0xfd84, OP, NONE,        0, v_i) \
    X(I16X8_NARROW_I32X4_S,           0xfd85, OP, NONE,        0, vv_v) \
    X(I16X8_NARROW_I32X4_U,           0xfd86, OP, NONE,        0, vv_v) \
    X(I16X8_EXTEND_LOW_I8X16_S,       0xfd87, OP, NONE,        0, v_v) \
    X(I16X8_EXTEND_HIGH_I8X16_S,      0xfd88, OP, NONE,        0, v_v) \
    X(I16X8_EXTEND_LOW_I8X16_U,       0xfd89, OP, NONE,        0, v_v) \
    X(I16X8_EXTEND_HIGH_I8X16_U,      0xfd8a, OP, NONE,        0, v_v) \
    X(I16X8_SHL,                      0xfd8b, OP, NONE,        0, vi_v) \
    X(I16X8_SHR_S,                    0xfd8c, OP, NONE,        0, vi_v) \
    X(I16X8_SHR_U,                    0xfd8d, OP, NONE,        0, vi_v) \
    X(I16X8_ADD,                      0xfd8e, OP, NONE,        0, vv_v) \
    X(I16X8_ADD_SAT_S,                0xfd8f, OP, NONE,        0, vv_v) \
    X(I16X8_ADD_SAT_U,                0xfd90, OP, NONE,        0, vv_v) \
    X(I16X8_SUB,                      0xfd91, OP, NONE,        0, vv_v) \
    X(I16X8_SUB_SAT_S,                0xfd92, OP, NONE,        0, vv_v) \
    X(I16X8_SUB_SAT_U,                0xfd93, OP, NONE,        0, vv_v) \
    X(F64X2_NEAREST,                  0xfd94, OP, NONE,        0, v_v) \
    X(I16X8_MUL,                      0xfd95, OP, NONE,        0, vv_v) \
    X(I16X8_MIN_S,                    0xfd96, OP, NONE,        0, vv_v) \
    X(I16X8_MIN_U,                    0xfd97, OP, NONE,        0, vv_v) \
    X(I16X8_MAX_S,                    0xfd98, OP, NONE,        0, vv_v) \
    X(I16X8_MAX_U,                    0xfd99, OP, NONE,        0, vv_v) \
    X(I16X8_AVGR_U,                   0xfd9b, OP, NONE,        0, vv_v) \
    X(I16X8_EXTMUL_LOW_I8X16_S,       0xfd9c, OP, NONE,        0, vv_v) \
    X(I16X8_EXTMUL_HIGH_I8X16_S,      0xfd9d, OP, NONE,        0, vv_v) \
    X(I16X8_EXTMUL_LOW_I8X16_U,       0xfd9e, OP, NONE,        0, vv_v) \
    X(I16X8_EXTMUL_HIGH_I8X16_U,      0xfd9f, OP, NONE,        0, vv_v) \
    X(I32X4_ABS,                      0xfda0, OP, NONE,        0, v_v) \
    X(I32X4_NEG,                      0xfda1, OP, NONE,        0, v_v) \
    X(I32X4_ALL_TRUE,                 0xfda3, OP, NONE,        0, v_i) \
    X(I32X4_BITMASK,                  0xfda4, OP, NONE,        0, v_i) \
    X(I32X4_EXTEND_LOW_I16X8_S,       0xfda7, OP, NONE,        0, v_v) \
    X(I32X4_EXTEND_HIGH_I16X8_S,      0xfda8, OP, NONE,        0, v_v) \
    X(I32X4_EXTEND_LOW_I16X8_U,       0xfda9, OP, NONE,        0, v_v) \
    X(I32X4_EXTEND_HIGH_I16X8_U,      0xfdaa, OP, NONE,        0, v_v) \
    X(I32X4_SHL,                      0xfdab, OP, NONE,        0, vi_v) \
    X(I32X4_SHR_S,                    0xfdac, OP, NONE,        0, vi_v) \
    X(I32X4_SHR_U,                    0xfdad, OP, NONE,        0, vi_v) \
    X(I32X4_ADD,                      0xfdae, OP, NONE,        0, vv_v) \
    X(I32X4_SUB,                      0xfdb1, OP, NONE,        0, vv_v) \
    X(I32X4_MUL,                      0xfdb5, OP, NONE,        0, vv_v) \
    X(I32X4_MIN_S,                    0xfdb6, OP, NONE,        0, vv_v) \
    X(I32X4_MIN_U,                    0xfdb7, OP, NONE,        0, vv_v) \
    X(I32X4_MAX_S,                    0xfdb8, OP, NONE,        0, vv_v) \
    X(I32X4_MAX_U,                    0xfdb9, OP, NONE,        0, vv_v) \
    X(I32X4_DOT_I16X8_S,              0xfdba, OP, NONE,        0, vv_v) \
    X(I32X4_EXTMUL_LOW_I16X8_S,       0xfdbc, OP, NONE,        0, vv_v) \
    X(I32X4_EXTMUL_HIGH_I16X8_S,      0xfdbd, OP, NONE,        0, vv_v) \
    X(I32X4_EXTMUL_LOW_I16X8_U,       0xfdbe, OP, NONE,        0, vv_v) \
    X(I32X4_EXTMUL_HIGH_I16X8_U,      0xfdbf, OP, NONE,        0, vv_v) \
    X(I64X2_ABS,                      0xfdc0, OP, NONE,        0, v_v) \
    X(I64X2_NEG,                      0xfdc1, OP, NONE,        0, v_v) \
    X(I64X2_ALL_TRUE,                 0xfdc3, OP, NONE,        0, v_i) \
    X(I64X2_BITMASK,                  0xfdc4, OP, NONE,        0, v_i) \
    X(I64X2_EXTEND_LOW_I32X4_S,       0xfdc7, OP, NONE,        0, v_v) \
    X(I64X2_EXTEND_HIGH_I32X4_S,      0xfdc8, OP, NONE,        0, v_v) \
    X(I64X2_EXTEND_LOW_I32X4_U,       0xfdc9, OP, NONE,        0, v_v) \
    X(I64X2_EXTEND_HIGH_I32X4_U,      0xfdca, OP, NONE,        0, v_v) \
    X(I64X2_SHL,                      0xfdcb, OP, NONE,        0, vi_v) \
    X(I64X2_SHR_S,                    0xfdcc, OP, NONE,        0, vi_v) \
    X(I64X2_SHR_U,                    0xfdcd, OP, NONE,        0, vi_v) \
    X(I64X2_ADD,                      0xfdce, OP, NONE,        0, vv_v) \
    X(I64X2_SUB,                      0xfdd1, OP, NONE,        0, vv_v) \
    X(I64X2_MUL,                      0xfdd5, OP, NONE,        0, vv_v) \
    X(I64X2_EQ,                       0xfdd6, OP, NONE,        0, vv_v) \
    X(I64X2_NE,                       0xfdd7, OP, NONE,        0, vv_v) \
    X(I64X2_LT_S,                     0xfdd8, OP, NONE,        0, vv_v) \
    X(I64X2_GT_S,                     0xfdd9, OP, NONE,        0, vv_v) \
    X(I64X2_LE_S,                     0xfdda, OP, NONE,        0, vv_v) \
    X(I64X2_GE_S,                     0xfddb, OP, NONE,        0, vv_v) \
    X(I64X2_EXTMUL_LOW_I32X4_S,       0xfddc, OP, NONE,        0, vv_v) \
    X(I64X2_EXTMUL_HIGH_I32X4_S,      0xfddd, OP, NONE,        0, vv_v) \
    X(I64X2_EXTMUL_LOW_I32X4_U,       0xfdde, OP, NONE,        0, vv_v) \
    X(I64X2_EXTMUL_HIGH_I32X4_U,      0xfddf, OP, NONE,        0, vv_v) \
    X(F32X4_ABS,                      0xfde0, OP, NONE,        0, v_v) \
    X(F32X4_NEG,                      0xfde1, OP, NONE,        0, v_v) \
    X(F32X4_SQRT,                     0xfde3, OP, NONE,        0, v_v) \
    X(F32X4_ADD,                      0xfde4, OP, NONE,        0, vv_v) \
    X(F32X4_SUB,                      0xfde5, OP, NONE,        0, vv_v) \
    X(F32X4_MUL,                      0xfde6, OP, NONE,        0, vv_v) \
    X(F32X4_DIV,                      0xfde7, OP, NONE,        0, vv_v) \
    X(F32X4_MIN,                      0xfde8, OP, NONE,        0, vv_v) \
    X(F32X4_MAX,                      0xfde9, OP, NONE,        0, vv_v) \
    X(F32X4_PMIN,                     0xfdea, OP, NONE,        0, vv_v) \
    X(F32X4_PMAX,                     0xfdeb, OP, NONE,        0, vv_v) \
    X(F64X2_ABS,                      0xfdec, OP, NONE,        0, v_v) \
    X(F64X2_NEG,                      0xfded, OP, NONE,        0, v_v) \
    X(F64X2_SQRT,                     0xfdef, OP, NONE,        0, v_v) \
    X(F64X2_ADD,                      0xfdf0, OP, NONE,        0, vv_v) \
    X(F64X2_SUB,                      0xfdf1, OP, NONE,        0, vv_v) \
    X(F64X2_MUL,                      0xfdf2, OP, NONE,        0, vv_v) \
    X(F64X2_DIV,                      0xfdf3, OP, NONE,        0, vv_v) \
    X(F64X2_MIN,                      0xfdf4, OP, NONE,        0, vv_v) \
    X(F64X2_MAX,                      0xfdf5, OP, NONE,        0, vv_v) \
    X(F64X2_PMIN,                     0xfdf6, OP, NONE,        0, vv_v) \
    X(F64X2_PMAX,                     0xfdf7, OP, NONE,        0, vv_v) \
    X(I32X4_TRUNC_SAT_F32X4_S,        0xfdf8, OP, NONE,        0, v_v) \
    X(I32X4_TRUNC_SAT_F32X4_U,        0xfdf9, OP, NONE,        0, v_v) \
    X(F32X4_CONVERT_I32X4_S,          0xfdfa, OP, NONE,        0, v_v) \
    X(F32X4_CONVERT_I32X4_U,          0xfdfb, OP, NONE,        0, v_v) \
    X(I32X4_TRUNC_SAT_F64X2_S_ZERO,   0xfdfc, OP, NONE,        0, v_v) \
    X(I32X4_TRUNC_SAT_F64X2_U_ZERO,   0xfdfd, OP, NONE,        0, v_v) \
    X(F64X2_CONVERT_LOW_I32X4_S,      0xfdfe, OP, NONE,        0, v_v) \
    X(F64X2_CONVERT_LOW_I32X4_U,      0xfdff, OP, NONE,        0, v_v)

/* The prefixes of multi-byte opcodes. */
enum { WB_PREFIX_FC = 0xfc, WB_PREFIX_FD = 0xfd };

enum wb_opcode {
#define WB_WASM_ENUM(n, code, run, imm, arg, sig) WB_WASM_##n = code,
    WB_OPCODES(WB_WASM_ENUM)
#undef WB_WASM_ENUM
};

/* Immediates, in the order they are encoded. */
enum wb_imm {
    WB_IMM_NONE,
    WB_IMM_BLOCKTYPE,          /* s33: empty, a value type or a type index */
    WB_IMM_LABEL,              /* label depth */
    WB_IMM_LABELS,             /* br_table: vec(label) then the default */
    WB_IMM_FUNC,               /* function index */
    WB_IMM_TYPE_TABLE,         /* call_indirect: type index, table index */
    WB_IMM_VALTYPES,           /* select t*: vec(valtype), of length 1 */
    WB_IMM_LOCAL, WB_IMM_GLOBAL, WB_IMM_TABLE,
    WB_IMM_MEMARG,             /* alignment (log2, <= ARG), offset */
    WB_IMM_ZERO,               /* one 0x00 byte (memory index 0) */
    WB_IMM_ZERO_ZERO,          /* memory.copy: two of them */
    WB_IMM_I32, WB_IMM_I64,    /* signed LEB128 */
    WB_IMM_F32, WB_IMM_F64,    /* raw little-endian bits */
    WB_IMM_V128,               /* 16 bytes */
    WB_IMM_REFTYPE,            /* ref.null: funcref or externref */
    WB_IMM_DATA,               /* data segment index */
    WB_IMM_DATA_ZERO,          /* memory.init: data index, 0x00 */
    WB_IMM_ELEM,               /* element segment index */
    WB_IMM_ELEM_TABLE,         /* table.init: element index, table index */
    WB_IMM_TABLE_TABLE,        /* table.copy: destination, source */
    WB_IMM_LANE,               /* one byte, < ARG */
    WB_IMM_MEMARG_LANE,        /* memarg, then a lane < 16 >> ARG */
    WB_IMM_LANES16,            /* i8x16.shuffle: 16 bytes, each < 32 */
};

/* Operand and result types; nparams WB_DYN: see the validator. */
#define WB_DYN 0xff
typedef struct wb_sig {
    uint8_t nparams, params[3];
    uint8_t result;            /* 0: none */
} wb_sig;

#define WB_SIG__ { 0, { 0 }, 0 }
#define WB_SIG__i { 0, { 0 }, WB_I32 }
#define WB_SIG__I { 0, { 0 }, WB_I64 }
#define WB_SIG__f { 0, { 0 }, WB_F32 }
#define WB_SIG__d { 0, { 0 }, WB_F64 }
#define WB_SIG__v { 0, { 0 }, WB_V128 }
#define WB_SIG_i_i { 1, { WB_I32 }, WB_I32 }
#define WB_SIG_i_I { 1, { WB_I32 }, WB_I64 }
#define WB_SIG_i_f { 1, { WB_I32 }, WB_F32 }
#define WB_SIG_i_d { 1, { WB_I32 }, WB_F64 }
#define WB_SIG_i_v { 1, { WB_I32 }, WB_V128 }
#define WB_SIG_I_i { 1, { WB_I64 }, WB_I32 }
#define WB_SIG_I_I { 1, { WB_I64 }, WB_I64 }
#define WB_SIG_I_f { 1, { WB_I64 }, WB_F32 }
#define WB_SIG_I_d { 1, { WB_I64 }, WB_F64 }
#define WB_SIG_I_v { 1, { WB_I64 }, WB_V128 }
#define WB_SIG_f_i { 1, { WB_F32 }, WB_I32 }
#define WB_SIG_f_I { 1, { WB_F32 }, WB_I64 }
#define WB_SIG_f_f { 1, { WB_F32 }, WB_F32 }
#define WB_SIG_f_d { 1, { WB_F32 }, WB_F64 }
#define WB_SIG_f_v { 1, { WB_F32 }, WB_V128 }
#define WB_SIG_d_i { 1, { WB_F64 }, WB_I32 }
#define WB_SIG_d_I { 1, { WB_F64 }, WB_I64 }
#define WB_SIG_d_f { 1, { WB_F64 }, WB_F32 }
#define WB_SIG_d_d { 1, { WB_F64 }, WB_F64 }
#define WB_SIG_d_v { 1, { WB_F64 }, WB_V128 }
#define WB_SIG_v_i { 1, { WB_V128 }, WB_I32 }
#define WB_SIG_v_I { 1, { WB_V128 }, WB_I64 }
#define WB_SIG_v_f { 1, { WB_V128 }, WB_F32 }
#define WB_SIG_v_d { 1, { WB_V128 }, WB_F64 }
#define WB_SIG_v_v { 1, { WB_V128 }, WB_V128 }
#define WB_SIG_ii_ { 2, { WB_I32, WB_I32 }, 0 }
#define WB_SIG_iI_ { 2, { WB_I32, WB_I64 }, 0 }
#define WB_SIG_if_ { 2, { WB_I32, WB_F32 }, 0 }
#define WB_SIG_id_ { 2, { WB_I32, WB_F64 }, 0 }
#define WB_SIG_iv_ { 2, { WB_I32, WB_V128 }, 0 }
#define WB_SIG_ii_i { 2, { WB_I32, WB_I32 }, WB_I32 }
#define WB_SIG_II_i { 2, { WB_I64, WB_I64 }, WB_I32 }
#define WB_SIG_II_I { 2, { WB_I64, WB_I64 }, WB_I64 }
#define WB_SIG_ff_i { 2, { WB_F32, WB_F32 }, WB_I32 }
#define WB_SIG_ff_f { 2, { WB_F32, WB_F32 }, WB_F32 }
#define WB_SIG_dd_i { 2, { WB_F64, WB_F64 }, WB_I32 }
#define WB_SIG_dd_d { 2, { WB_F64, WB_F64 }, WB_F64 }
#define WB_SIG_iv_v { 2, { WB_I32, WB_V128 }, WB_V128 }
#define WB_SIG_vi_v { 2, { WB_V128, WB_I32 }, WB_V128 }
#define WB_SIG_vI_v { 2, { WB_V128, WB_I64 }, WB_V128 }
#define WB_SIG_vf_v { 2, { WB_V128, WB_F32 }, WB_V128 }
#define WB_SIG_vd_v { 2, { WB_V128, WB_F64 }, WB_V128 }
#define WB_SIG_vv_v { 2, { WB_V128, WB_V128 }, WB_V128 }
#define WB_SIG_iii_ { 3, { WB_I32, WB_I32, WB_I32 }, 0 }
#define WB_SIG_vvv_v { 3, { WB_V128, WB_V128, WB_V128 }, WB_V128 }
#define WB_SIG_DYN { WB_DYN, { 0 }, 0 }

typedef struct wb_opdef {
    const char *name;          /* "I32_ADD": the NAME column */
    uint16_t code;             /* WB_WASM_* */
    uint16_t op;               /* RUN OP: its internal op; else 0 */
    bool direct;               /* RUN OP */
    uint8_t imm, arg;          /* WB_IMM_* and its parameter */
    wb_sig sig;
} wb_opdef;

/* Internal op numbers of the ops that run as themselves: single-byte
 * opcodes keep their value, 0xFC ones follow from 0x100, 0xFD from 0x200
 * (ops.h numbers the translator's own ops from 0x300). */
#define WB_OPSPACE(code) ((code) >> 8 == 0 ? 0 : (code) >> 8 == 0xfc ? 1 : 2)
#define WB_OP_OF(code) (WB_OPSPACE(code) << 8 | ((code) & 0xff))

/* WB_IF_DIRECT(RUN, x): x for RUN OP, nothing for TR; for X-macros that
 * only concern ops with handlers of their own. */
#define WB_IF_DIRECT(run, ...) WB_IF_DIRECT_##run(__VA_ARGS__)
#define WB_IF_DIRECT_OP(...) __VA_ARGS__
#define WB_IF_DIRECT_TR(...)

/* opcodes.c: entries by [space][sub-opcode]; name NULL for no opcode. */
extern const wb_opdef wb_opdefs[3][256];

/* The entry of opcode `sub` after `prefix` (0 for the single-byte
 * opcodes, 0xfc or 0xfd), or NULL when Wasm 2.0 has none. */
static inline const wb_opdef *wb_opdef_of(unsigned prefix, uint32_t sub)
{
    unsigned space = prefix == 0 ? 0 : prefix == WB_PREFIX_FC ? 1
                   : prefix == WB_PREFIX_FD ? 2 : 3;
    if (space > 2 || sub > 0xff || !wb_opdefs[space][sub].name)
        return NULL;
    return &wb_opdefs[space][sub];
}

#endif
