/* utf8.c: UTF-8 well-formedness and repair (utf8.h). */
#include "common/utf8.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

size_t wb_utf8_seq(const unsigned char *s, size_t n, size_t *bad)
{
    unsigned c = s[0];
    size_t len;
    unsigned lo = 0x80, hi = 0xbf;          /* the second byte's range */
    *bad = 1;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        len = 2;
    else if (c >= 0xe0 && c <= 0xef)
        len = 3;
    else if (c >= 0xf0 && c <= 0xf4)
        len = 4;
    else
        return 0;                           /* 80..c1, f5..ff */
    if (c == 0xe0)
        lo = 0xa0;                          /* overlong */
    else if (c == 0xed)
        hi = 0x9f;                          /* surrogates */
    else if (c == 0xf0)
        lo = 0x90;                          /* overlong */
    else if (c == 0xf4)
        hi = 0x8f;                          /* past U+10FFFF */
    for (size_t i = 1; i < len; i++) {
        if (i >= n || s[i] < lo || s[i] > hi) {
            *bad = i;
            return 0;
        }
        lo = 0x80;
        hi = 0xbf;
    }
    return len;
}

bool wb_utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t bad;
    for (size_t i = 0; i < n; ) {
        size_t k = wb_utf8_seq(p + i, n - i, &bad);
        if (!k)
            return false;
        i += k;
    }
    return true;
}

char *wb_utf8_repair(const char *s, size_t n, size_t *out_len)
{
    if (n > (SIZE_MAX - 1) / 3)
        return NULL;
    const unsigned char *p = (const unsigned char *)s;
    char *out = malloc(n * 3 + 1);          /* each byte at most U+FFFD */
    size_t o = 0, bad;
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; ) {
        size_t k = wb_utf8_seq(p + i, n - i, &bad);
        if (k) {
            memcpy(out + o, p + i, k);
            o += k;
            i += k;
        } else {
            memcpy(out + o, "\xef\xbf\xbd", 3);
            o += 3;
            i += bad;
        }
    }
    out[o] = 0;
    *out_len = o;
    return out;
}
