/* b64.c: base64 decoding and encoding (b64.h). */
#include "common/b64.h"
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
}

static bool space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
           c == '\v';
}

/* Free `out`, put the reason in why; NULL. */
__attribute__((format(printf, 4, 5)))
static uint8_t *refuse(uint8_t *out, char *why, size_t whylen,
                       const char *fmt, ...)
{
    free(out);
    if (why && whylen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, whylen, fmt, ap);
        va_end(ap);
    }
    return NULL;
}

/* After the first '=': only '=' and whitespace, and enough '=' to
 * complete the last group of `chars` characters (mod 4). */
static bool padding_ok(const char *s, size_t n, size_t i, size_t chars)
{
    size_t pads = 0;
    for (; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '=')
            pads++;
        else if (!space(c))
            return false;
    }
    return chars % 4 != 0 && (chars + pads) % 4 == 0 && pads <= 2;
}

uint8_t *wb_b64_decode(const char *s, size_t n, size_t *len, char *why,
                       size_t whylen)
{
    uint8_t *out = malloc(n / 4 * 3 + 3);
    uint32_t acc = 0;
    size_t o = 0, chars = 0;
    unsigned bits = 0;
    if (!out)
        return refuse(NULL, why, whylen, "out of memory");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (space(c))
            continue;
        if (c == '=') {
            if (!padding_ok(s, n, i, chars))
                return refuse(out, why, whylen, "misplaced padding at "
                              "offset %zu", i);
            break;
        }
        int v = value(c);
        if (v < 0)
            return refuse(out, why, whylen, c >= 0x20 && c < 0x7f
                          ? "invalid character '%c' at offset %zu"
                          : "invalid byte 0x%02x at offset %zu", c, i);
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        chars++;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
        }
    }
    if (chars % 4 == 1)
        return refuse(out, why, whylen, "truncated: the last group has "
                      "one character");
    out[o] = 0;
    *len = o;
    return out;
}

char *wb_b64_encode(const uint8_t *d, size_t n)
{
    if (n > (SIZE_MAX - 1) / 4 * 3 - 2)
        return NULL;
    char *out = malloc((n + 2) / 3 * 4 + 1), *p = out;
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)d[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)d[i + 1] << 8;
        if (i + 2 < n)
            v |= d[i + 2];
        *p++ = alphabet[v >> 18];
        *p++ = alphabet[(v >> 12) & 63];
        *p++ = i + 1 < n ? alphabet[(v >> 6) & 63] : '=';
        *p++ = i + 2 < n ? alphabet[v & 63] : '=';
    }
    *p = 0;
    return out;
}
