/* read.h: bounds-checked readers for the binary format (strict LEB128).
 * Each returns WB_OK, or WB_E_MALFORMED with the spec's message set in
 * the reader's wb_error (common/error.h), so callers propagate with
 * WB_TRY and add their context once. */
#ifndef WB_READ_H
#define WB_READ_H
#include <stdint.h>
#include <stddef.h>
#include <string.h>
#include "common/error.h"

typedef struct wb_reader { const uint8_t *p, *end; wb_error *err; } wb_reader;

/* Returns a constant, so the compiler sees that outputs are set on WB_OK. */
static inline wb_status wb_read_fail(wb_reader *r, const char *why)
{
    wb_err_set(r->err, WB_E_MALFORMED, "%s", why);
    return WB_E_MALFORMED;
}

static inline wb_status wb_read_u8(wb_reader *r, uint8_t *out)
{
    if (r->p >= r->end) return wb_read_fail(r, "unexpected end");
    *out = *r->p++;
    return WB_OK;
}

/* Unsigned LEB of at most `bits` bits. */
static inline wb_status wb_read_uleb(wb_reader *r, unsigned bits, uint64_t *out)
{
    uint64_t v = 0;
    unsigned shift = 0;
    for (;;) {
        if (r->p >= r->end) return wb_read_fail(r, "unexpected end");
        uint8_t b = *r->p++;
        if (shift + 7 >= bits) {            /* last permitted byte */
            if (b & 0x80) return wb_read_fail(r, "integer representation too long");
            if (bits - shift < 7 && (b >> (bits - shift)))
                return wb_read_fail(r, "integer too large");
            *out = v | ((uint64_t)b << shift);
            return WB_OK;
        }
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) { *out = v; return WB_OK; }
        shift += 7;
    }
}

/* Signed LEB of at most `bits` bits, sign-extended to 64. */
static inline wb_status wb_read_sleb(wb_reader *r, unsigned bits, int64_t *out)
{
    uint64_t v = 0;
    unsigned shift = 0;
    for (;;) {
        if (r->p >= r->end) return wb_read_fail(r, "unexpected end");
        uint8_t b = *r->p++;
        if (shift + 7 >= bits) {            /* last permitted byte */
            if (b & 0x80) return wb_read_fail(r, "integer representation too long");
            /* unused high bits must all equal the sign bit */
            unsigned used = bits - shift;           /* 1..7 */
            int8_t sx = (int8_t)(b << 1) >> 1;      /* 7-bit value, sign-extended */
            if (used < 7) {
                int8_t lim = (int8_t)(sx >> (used - 1));
                if (lim != 0 && lim != -1) return wb_read_fail(r, "integer too large");
            }
            v |= (uint64_t)(int64_t)sx << shift;
            *out = (int64_t)v;
            return WB_OK;
        }
        v |= (uint64_t)(b & 0x7f) << shift;
        shift += 7;
        if (!(b & 0x80)) {
            if (shift < 64 && (b & 0x40)) v |= ~(uint64_t)0 << shift;
            *out = (int64_t)v;
            return WB_OK;
        }
    }
}

static inline wb_status wb_read_u32(wb_reader *r, uint32_t *out)
{
    uint64_t v = 0;
    wb_status st = wb_read_uleb(r, 32, &v);
    *out = (uint32_t)v;
    return st;
}

static inline wb_status wb_read_bytes(wb_reader *r, size_t n, const uint8_t **out)
{
    if ((size_t)(r->end - r->p) < n) return wb_read_fail(r, "unexpected end");
    *out = r->p;
    r->p += n;
    return WB_OK;
}
#endif
