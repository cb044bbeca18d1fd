/* simd_lanes.h: lane types and helpers for the SIMD handlers
 * (simd_exec.inc, inside interp.c) and simd_shuffle.c. The 0xFD
 * instructions themselves are listed in opcodes.h. */
#ifndef WB_SIMD_LANES_H
#define WB_SIMD_LANES_H
#include <stdint.h>
#ifdef __SSE2__
#include <emmintrin.h>     /* baseline on x86-64; simd_exec.inc uses a few */
#endif

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
