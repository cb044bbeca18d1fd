/* read.h: bounds-checked readers for the binary format (strict LEB128).
 * Each returns NULL on success or the spec's message for the failure, so
 * callers propagate with one line, wasm3-style. */
#ifndef WB_READ_H
#define WB_READ_H
#include <stdint.h>
#include <stddef.h>
#include <string.h>

typedef struct wb_reader { const uint8_t *p, *end; } wb_reader;

static inline const char *wb_read_u8(wb_reader *r, uint8_t *out)
{
    if (r->p >= r->end) return "unexpected end";
    *out = *r->p++;
    return NULL;
}

/* Unsigned LEB of at most `bits` bits. */
static inline const char *wb_read_uleb(wb_reader *r, unsigned bits, uint64_t *out)
{
    uint64_t v = 0;
    unsigned shift = 0;
    for (;;) {
        if (r->p >= r->end) return "unexpected end";
        uint8_t b = *r->p++;
        if (shift + 7 >= bits) {            /* last permitted byte */
            if (b & 0x80) return "integer representation too long";
            if (bits - shift < 7 && (b >> (bits - shift)))
                return "integer too large";
            *out = v | ((uint64_t)b << shift);
            return NULL;
        }
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) { *out = v; return NULL; }
        shift += 7;
    }
}

/* Signed LEB of at most `bits` bits, sign-extended to 64. */
static inline const char *wb_read_sleb(wb_reader *r, unsigned bits, int64_t *out)
{
    uint64_t v = 0;
    unsigned shift = 0;
    for (;;) {
        if (r->p >= r->end) return "unexpected end";
        uint8_t b = *r->p++;
        if (shift + 7 >= bits) {            /* last permitted byte */
            if (b & 0x80) return "integer representation too long";
            /* unused high bits must all equal the sign bit */
            unsigned used = bits - shift;           /* 1..7 */
            int8_t sx = (int8_t)(b << 1) >> 1;      /* 7-bit value, sign-extended */
            if (used < 7) {
                int8_t lim = (int8_t)(sx >> (used - 1));
                if (lim != 0 && lim != -1) return "integer too large";
            }
            v |= (uint64_t)(int64_t)sx << shift;
            *out = (int64_t)v;
            return NULL;
        }
        v |= (uint64_t)(b & 0x7f) << shift;
        shift += 7;
        if (!(b & 0x80)) {
            if (shift < 64 && (b & 0x40)) v |= ~(uint64_t)0 << shift;
            *out = (int64_t)v;
            return NULL;
        }
    }
}

static inline const char *wb_read_u32(wb_reader *r, uint32_t *out)
{
    uint64_t v = 0;
    const char *e = wb_read_uleb(r, 32, &v);
    *out = (uint32_t)v;
    return e;
}

static inline const char *wb_read_bytes(wb_reader *r, size_t n, const uint8_t **out)
{
    if ((size_t)(r->end - r->p) < n) return "unexpected end";
    *out = r->p;
    r->p += n;
    return NULL;
}
#endif
