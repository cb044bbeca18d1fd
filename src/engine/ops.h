/* ops.h: the internal instruction set (compile.c emits, interp.c runs).
 *
 * Internal ops 0x00-0xFF reuse the single-byte wasm opcode of the same
 * meaning where one exists (loads, stores, numeric ops); the rest are
 * numbered from 0x100. Operand layout per op is written next to each
 * handler in interp.c. Offsets are bytes from the frame pointer. */
#ifndef WB_OPS_H
#define WB_OPS_H

#define WB_XOPS(X) \
    X(COPY) X(COPY128) X(CONST32) X(CONST64) X(CONST128) \
    X(BR) X(BR_IF) X(BR_UNLESS) X(BR_TABLE) X(LOOP) X(RETURN) X(EXIT) \
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

enum {
    WB_OP_WASM_LAST = 0xff,
#define WB_OP_ENUM(n) WB_OP_##n,
    WB_XOPS(WB_OP_ENUM)
#undef WB_OP_ENUM
    WB_OP_COUNT
};

#endif
