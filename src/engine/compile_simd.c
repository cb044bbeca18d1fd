/* compile_simd.c: validation and translation of the 0xFD (SIMD) prefix.
 *
 * Every instruction is described by its entry in WB_SIMD_TABLE (simd_ops.h):
 * the shape fixes the operand types and the cell layout emitted, which the
 * handlers in simd_exec.inc read:
 *   LD      [i32] -> [v128]            [op][a|d][offset]
 *   ST      [i32 v128] -> []           [op][a|v][offset]
 *   SHUF    [v128 v128] -> [v128]      [op][a|b][d|0][lanes 0-7][lanes 8-15]
 *   UN      [v128] -> [v128]           [op][a|d]
 *   BIN     [v128 v128] -> [v128]      [op][a|b][d|0]
 *   TER     [v128 v128 v128] -> [v128] [op][a|b][c|d]
 *   TEST    [v128] -> [i32]            [op][a|d]
 *   SHIFT   [v128 i32] -> [v128]       [op][a|b][d|0]
 *   SPLAT   [t] -> [v128]              [op][a|d]
 *   EXTRACT [v128] -> [t]              [op][a|d][lane|0]
 *   REPLACE [v128 t] -> [v128]         [op][a|b][d|lane]
 *   LDLANE  [i32 v128] -> [v128]       [op][a|v][d|lane][offset]
 *   STLANE  [i32 v128] -> []           [op][a|v][lane|0][offset]
 * v128.const becomes CONST128: [op][d|0][bytes 0-7][bytes 8-15].
 */
#include "compile.h"
#include "ops.h"
#include <string.h>

enum { S_NONE, S_LD, S_ST, S_SHUF, S_UN, S_BIN, S_TER, S_TEST, S_SHIFT,
       S_SPLAT, S_EXTRACT, S_REPLACE, S_LDLANE, S_STLANE };

typedef struct { uint16_t op; uint8_t shape, p1, p2; } simd_info;

static const simd_info simd_tab[256] = {
#define WB_SIMD_INFO(X, code, name, shape, p1, p2) \
    [code] = { WB_OP_##name, S_##shape, p1, p2 },
    WB_SIMD_TABLE(WB_SIMD_INFO, 0)
#undef WB_SIMD_INFO
};

#define CHECK(x) do { if (!(x)) return false; } while (0)

static bool rd_byte(cx *c, uint8_t *b)
{
    const char *e = wb_read_u8(wb_cx_reader(c), b);
    return e ? wb_cx_fail(c, WB_E_MALFORMED, e) : true;
}

static bool rd_lane(cx *c, uint32_t nlanes, uint8_t *lane)
{
    CHECK(rd_byte(c, lane));
    if (*lane >= nlanes) return wb_cx_fail(c, WB_E_INVALID, "invalid lane index");
    return true;
}

static bool rd_v128(cx *c, uint64_t v[2])
{
    const uint8_t *p;
    const char *e = wb_read_bytes(wb_cx_reader(c), 16, &p);
    if (e) return wb_cx_fail(c, WB_E_MALFORMED, e);
    memcpy(v, p, 16);
    return true;
}

/* [op][x|y] */
static bool e_op2(cx *c, int op, uint32_t x, uint32_t y)
{
    return wb_cx_op(c, op) && wb_cx_u32x2(c, x, y);
}

bool wb_compile_simd(cx *c)
{
    uint32_t sub, a = 0, b = 0, v = 0, d = 0, off = 0;
    uint8_t lane = 0;
    const char *e = wb_read_u32(wb_cx_reader(c), &sub);
    if (e) return wb_cx_fail(c, WB_E_MALFORMED, e);

    if (sub == 0x0c) {                                  /* v128.const */
        uint64_t k[2];
        CHECK(rd_v128(c, k));
        CHECK(wb_cx_push(c, WB_V128, &d));
        if (!wb_cx_live(c)) return true;
        return e_op2(c, WB_OP_CONST128, d, 0) && wb_cx_u64(c, k[0]) && wb_cx_u64(c, k[1]);
    }
    const simd_info *in = sub < 256 ? &simd_tab[sub] : NULL;
    if (!in || in->shape == S_NONE)
        return wb_cx_fail(c, WB_E_MALFORMED, "illegal opcode (0xfd prefix)");
    const bool live = wb_cx_live(c);
    const int op = in->op;

    switch (in->shape) {
    case S_LD:
        CHECK(wb_cx_memarg(c, in->p1, &off));
        CHECK(wb_cx_pop(c, WB_I32, &a));
        CHECK(wb_cx_push(c, WB_V128, &d));
        return !live || (e_op2(c, op, a, d) && wb_cx_u64(c, off));
    case S_ST:
        CHECK(wb_cx_memarg(c, in->p1, &off));
        CHECK(wb_cx_pop(c, WB_V128, &v));
        CHECK(wb_cx_pop(c, WB_I32, &a));
        return !live || (e_op2(c, op, a, v) && wb_cx_u64(c, off));
    case S_SHUF: {
        uint64_t k[2];
        CHECK(rd_v128(c, k));
        const uint8_t *lanes = (const uint8_t *)k;
        for (int i = 0; i < 16; i++)
            if (lanes[i] >= 32) return wb_cx_fail(c, WB_E_INVALID, "invalid lane index");
        CHECK(wb_cx_pop(c, WB_V128, &b));
        CHECK(wb_cx_pop(c, WB_V128, &a));
        CHECK(wb_cx_push(c, WB_V128, &d));
        return !live || (e_op2(c, op, a, b) && wb_cx_u32x2(c, d, 0) &&
                         wb_cx_u64(c, k[0]) && wb_cx_u64(c, k[1]));
    }
    case S_UN:
        CHECK(wb_cx_pop(c, WB_V128, &a));
        CHECK(wb_cx_push(c, WB_V128, &d));
        return !live || e_op2(c, op, a, d);
    case S_BIN:
        CHECK(wb_cx_pop(c, WB_V128, &b));
        CHECK(wb_cx_pop(c, WB_V128, &a));
        CHECK(wb_cx_push(c, WB_V128, &d));
        return !live || (e_op2(c, op, a, b) && wb_cx_u32x2(c, d, 0));
    case S_TER: {
        uint32_t m;
        CHECK(wb_cx_pop(c, WB_V128, &m));
        CHECK(wb_cx_pop(c, WB_V128, &b));
        CHECK(wb_cx_pop(c, WB_V128, &a));
        CHECK(wb_cx_push(c, WB_V128, &d));
        return !live || (e_op2(c, op, a, b) && wb_cx_u32x2(c, m, d));
    }
    case S_TEST:
        CHECK(wb_cx_pop(c, WB_V128, &a));
        CHECK(wb_cx_push(c, WB_I32, &d));
        return !live || e_op2(c, op, a, d);
    case S_SHIFT:
        CHECK(wb_cx_pop(c, WB_I32, &b));
        CHECK(wb_cx_pop(c, WB_V128, &a));
        CHECK(wb_cx_push(c, WB_V128, &d));
        return !live || (e_op2(c, op, a, b) && wb_cx_u32x2(c, d, 0));
    case S_SPLAT:
        CHECK(wb_cx_pop(c, in->p2, &a));
        CHECK(wb_cx_push(c, WB_V128, &d));
        return !live || e_op2(c, op, a, d);
    case S_EXTRACT:
        CHECK(rd_lane(c, in->p1, &lane));
        CHECK(wb_cx_pop(c, WB_V128, &a));
        CHECK(wb_cx_push(c, in->p2, &d));
        return !live || (e_op2(c, op, a, d) && wb_cx_u32x2(c, lane, 0));
    case S_REPLACE:
        CHECK(rd_lane(c, in->p1, &lane));
        CHECK(wb_cx_pop(c, in->p2, &b));
        CHECK(wb_cx_pop(c, WB_V128, &a));
        CHECK(wb_cx_push(c, WB_V128, &d));
        return !live || (e_op2(c, op, a, b) && wb_cx_u32x2(c, d, lane));
    case S_LDLANE:
        CHECK(wb_cx_memarg(c, in->p1, &off));
        CHECK(rd_lane(c, in->p2, &lane));
        CHECK(wb_cx_pop(c, WB_V128, &v));
        CHECK(wb_cx_pop(c, WB_I32, &a));
        CHECK(wb_cx_push(c, WB_V128, &d));
        return !live || (e_op2(c, op, a, v) && wb_cx_u32x2(c, d, lane) && wb_cx_u64(c, off));
    case S_STLANE:
        CHECK(wb_cx_memarg(c, in->p1, &off));
        CHECK(rd_lane(c, in->p2, &lane));
        CHECK(wb_cx_pop(c, WB_V128, &v));
        CHECK(wb_cx_pop(c, WB_I32, &a));
        return !live || (e_op2(c, op, a, v) && wb_cx_u32x2(c, lane, 0) && wb_cx_u64(c, off));
    }
    return wb_cx_fail(c, WB_E_MALFORMED, "illegal opcode (0xfd prefix)");
}
