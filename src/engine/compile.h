/*
 * compile.h: what the translator offers its extensions (compile_simd.c).
 *
 * An extension validates one instruction and emits its internal form:
 * pop operands (getting the byte offsets to read them from), push results
 * (getting offsets to write), then emit the op and its operand cells. All
 * pops must come before the op is emitted: popping a deferred constant
 * writes it to a slot first. Every call returns a wb_status (error.h);
 * the first failure ends the instruction.
 */
#ifndef WB_COMPILE_H
#define WB_COMPILE_H
#include "engine.h"
#include "read.h"

typedef struct cx cx;

bool wb_cx_live(const cx *c);                  /* false: validate only */
wb_reader *wb_cx_reader(cx *c);               /* failures fill the cx's error */
const wb_module *wb_cx_module(const cx *c);
wb_status wb_cx_fail(cx *c, wb_status st, const char *msg);
wb_status wb_cx_pop(cx *c, uint8_t type, uint32_t *off);
wb_status wb_cx_push(cx *c, uint8_t type, uint32_t *off);
wb_status wb_cx_op(cx *c, int op);
wb_status wb_cx_u32x2(cx *c, uint32_t a, uint32_t b);
wb_status wb_cx_u64(cx *c, uint64_t v);
/* Reads a memarg; checks memory 0 exists and 2^align <= 2^max_align. */
wb_status wb_cx_memarg(cx *c, uint32_t max_align, uint32_t *offset);

/* compile_simd.c: the 0xFD prefix (the prefix byte already read). */
wb_status wb_compile_simd(cx *c);

#endif
