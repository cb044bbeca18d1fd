/* compile_simd.c: validation and translation of the 0xFD (SIMD) prefix.
 *
 * Every SIMD instruction but v128.const runs as itself, so its entry in
 * opcodes.h says all there is to do: read the immediates (checking lane
 * indices), pop the operands and push the result of its signature, and
 * emit the op with opcodes.h's cell layout, which the handlers in
 * simd_exec.inc read; e.g.
 *   v128.load          [op][a|d][offset]
 *   i8x16.shuffle      [op][a|b][d|0][lanes 0-7][lanes 8-15]
 *   v128.bitselect     [op][a|b][c|d]
 *   i8x16.replace_lane [op][a|b][d|lane]
 *   v128.load8_lane    [op][a|v][d|lane][offset]
 * v128.const becomes CONST128: [op][d|0][bytes 0-7][bytes 8-15].
 */
#include "compile.h"
#include "ops.h"
#include <string.h>

static wb_status rd_lane(cx *c, uint32_t nlanes, uint32_t *lane)
{
    uint8_t b = 0;
    WB_TRY(wb_read_u8(wb_cx_reader(c), &b));
    if (b >= nlanes) return wb_cx_fail(c, WB_E_INVALID, "invalid lane index");
    *lane = b;
    return WB_OK;
}

static wb_status rd_v128(cx *c, uint64_t v[2])
{
    const uint8_t *p;
    WB_TRY(wb_read_bytes(wb_cx_reader(c), 16, &p));
    memcpy(v, p, 16);
    return WB_OK;
}

/* Immediates of op d: u32 ones (lanes) to n32[], 64-bit ones (offsets,
 * shuffle lanes) to n64[]. */
static wb_status rd_imms(cx *c, const wb_opdef *d, uint32_t *u32, uint32_t *n32,
                    uint64_t *u64, uint32_t *n64)
{
    uint32_t off;
    switch (d->imm) {
    case WB_IMM_NONE:
        return WB_OK;
    case WB_IMM_MEMARG:
        WB_TRY(wb_cx_memarg(c, d->arg, &off));
        u64[(*n64)++] = off;
        return WB_OK;
    case WB_IMM_MEMARG_LANE:
        WB_TRY(wb_cx_memarg(c, d->arg, &off));
        u64[(*n64)++] = off;
        return rd_lane(c, 16u >> d->arg, &u32[(*n32)++]);
    case WB_IMM_LANE:
        return rd_lane(c, d->arg, &u32[(*n32)++]);
    case WB_IMM_LANES16: {
        WB_TRY(rd_v128(c, u64));
        const uint8_t *lanes = (const uint8_t *)u64;
        for (int i = 0; i < 16; i++)
            if (lanes[i] >= 32) return wb_cx_fail(c, WB_E_INVALID, "invalid lane index");
        *n64 = 2;
        return WB_OK;
    }
    }
    return wb_cx_fail(c, WB_E_MALFORMED, "illegal opcode (0xfd prefix)");
}

/* An op that runs as itself: operand slots, result slot and u32
 * immediates two to a cell, then the 64-bit immediates. */
static wb_status op_direct(cx *c, const wb_opdef *d)
{
    uint32_t v[6] = { 0 }, n = d->sig.nparams, n32 = 0, n64 = 0, lanes[1];
    uint64_t u64[2];
    WB_TRY(rd_imms(c, d, lanes, &n32, u64, &n64));
    for (uint32_t i = n; i-- > 0;) WB_TRY(wb_cx_pop(c, d->sig.params[i], &v[i]));
    if (d->sig.result) WB_TRY(wb_cx_push(c, d->sig.result, &v[n++]));
    if (!wb_cx_live(c)) return WB_OK;
    for (uint32_t i = 0; i < n32; i++) v[n++] = lanes[i];
    WB_TRY(wb_cx_op(c, d->op));
    for (uint32_t i = 0; i < n; i += 2) WB_TRY(wb_cx_u32x2(c, v[i], v[i + 1]));
    for (uint32_t i = 0; i < n64; i++) WB_TRY(wb_cx_u64(c, u64[i]));
    return WB_OK;
}

wb_status wb_compile_simd(cx *c)
{
    uint32_t sub, d = 0;
    WB_TRY(wb_read_u32(wb_cx_reader(c), &sub));
    const wb_opdef *in = wb_opdef_of(WB_PREFIX_FD, sub);
    if (!in) return wb_cx_fail(c, WB_E_MALFORMED, "illegal opcode (0xfd prefix)");
    if (in->direct) return op_direct(c, in);
    if (in->code != WB_WASM_V128_CONST)
        return wb_cx_fail(c, WB_E_MALFORMED, "illegal opcode (0xfd prefix)");
    uint64_t k[2];
    WB_TRY(rd_v128(c, k));
    WB_TRY(wb_cx_push(c, WB_V128, &d));
    if (!wb_cx_live(c)) return WB_OK;
    WB_TRY(wb_cx_op(c, WB_OP_CONST128));
    WB_TRY(wb_cx_u32x2(c, d, 0));
    WB_TRY(wb_cx_u64(c, k[0]));
    return wb_cx_u64(c, k[1]);
}
