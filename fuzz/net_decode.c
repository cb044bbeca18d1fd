/*
 * net_decode.c: fuzz input -> the wasmbox_http calls, with the strings
 * they read written into guest memory at addresses the input chooses
 * (hc_place: an address byte's mode, as for the WASI calls), and the
 * server's responses. Carries coverage, so that mutations learn the
 * format.
 *
 * Per op, after the op byte:
 *   request     4 strings (method, URL, headers, body), then an address
 *               for the handle
 *   response    handle, an address for the status, a buffer (length
 *               and address) for the headers, an address for their length
 *   read        handle, a buffer, an address for the count
 *   close       handle
 *   last_error  a buffer, an address for the length
 *   @poke       up to 64 bytes into memory; @step: 2 bytes (rules,
 *               limits, as bytes 0 and 1); @wait: 1 byte (ms % 8)
 * A string: a length byte (255: two more, little-endian), the bytes, a
 * mode byte (low 3 bits: 0-3 the string's length, 4 one more, 5 one
 * less, 6 0xffffffff, 7 a raw u32 follows; bit 3: the bytes repeated to
 * 9000, past the longest URL accepted), an address byte. A handle: a
 * byte below 0xe0 is itself modulo 18 (0 and 17 never name one), 0xe0
 * to 0xef the last handle a request gave, else an edge case.
 */
#include "net.h"
#include <stdio.h>
#include <string.h>

const hc_op nf_ops[NF_NOPS] = {
    [NF_REQUEST] = { "request", "PPPP4", 0 },
    [NF_RESPONSE] = { "response", "I4B4", 0 },
    [NF_READ] = { "read", "IB4", 0 },
    [NF_CLOSE] = { "close", "I", 0 },
    [NF_LAST_ERROR] = { "last_error", "B4", 0 },
    [NF_POKE] = { "@poke", "", 0 },
    [NF_STEP] = { "@step", "", 0 },
    [NF_WAIT] = { "@wait", "", 0 },
};

#define LONG_TEXT 9000

static void set32(nf_call *c, uint32_t v)
{
    c->a[c->na].type = WB_I32;
    c->a[c->na++].of.i32 = (int32_t)v;
}

size_t nf_expand_ports(const uint8_t *s, size_t n, uint16_t p, uint16_t q,
                       uint8_t *out)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (i + 2 < n && s[i] == '{' && s[i + 2] == '}' &&
            (s[i + 1] == 'P' || s[i + 1] == 'Q')) {
            char num[8];
            size_t len = (size_t)snprintf(num, sizeof num, "%u",
                                          s[i + 1] == 'P' ? p : q);
            memcpy(out + k, num, len);
            k += len;
            i += 2;
            continue;
        }
        out[k++] = s[i];
    }
    return k;
}

static uint32_t text_len(hc_dec *d, uint8_t mode, size_t n)
{
    switch (mode & 7) {
    case 4: return (uint32_t)n + 1;
    case 5: return n ? (uint32_t)n - 1 : 0;
    case 6: return 0xffffffffu;
    case 7: return hc_raw32(d);
    default: return (uint32_t)n;
    }
}

static void text_arg(nf_input *in, nf_call *c)
{
    static uint8_t raw[65536 + 3], buf[2 * sizeof raw + LONG_TEXT];
    hc_dec *d = &in->d;
    size_t n = hc_u8(d);
    if (n == 255) {
        n = hc_u8(d);
        n |= (size_t)hc_u8(d) << 8;
    }
    for (size_t i = 0; i < n; i++)
        raw[i] = hc_u8(d);
    size_t len = nf_expand_ports(raw, n, in->port, in->trap, buf);
    uint8_t mode = hc_u8(d);
    for (size_t i = len; (mode & 8) && len && i < LONG_TEXT; i++)
        buf[i] = buf[i % len];
    if ((mode & 8) && len)
        len = LONG_TEXT;
    uint32_t arg = text_len(d, mode, len);
    uint32_t at = hc_place(d, len);
    hc_put(d, at, buf, len);
    set32(c, at);
    set32(c, arg);
}

static void handle_arg(hc_dec *d, nf_call *c, uint32_t last)
{
    static const uint32_t t[] = { 0xffffffffu, 0x80000000u, 0x10001u, 1,
                                  16, 17 };
    uint8_t b = hc_u8(d);
    uint32_t h = b < 0xe0 ? b % 18u
               : b < 0xf0 ? last
               : (b & 15) < 6 ? t[b & 15] : hc_raw32(d);
    set32(c, h);
}

static void out4(hc_dec *d, nf_call *c)
{
    set32(c, hc_place(d, 4));
}

static void buffer(hc_dec *d, nf_call *c)
{
    uint32_t len = hc_len32(d);
    set32(c, hc_place(d, len));
    set32(c, len);
}

bool nf_decode_call(nf_input *in, nf_call *c, uint32_t last_handle)
{
    hc_dec *d = &in->d;
    if (!d->n)
        return false;
    c->op = hc_u8(d) % NF_NOPS;
    c->na = 0;
    switch (c->op) {
    case NF_REQUEST:
        for (int i = 0; i < 4; i++)
            text_arg(in, c);
        out4(d, c);
        break;
    case NF_RESPONSE:
        handle_arg(d, c, last_handle);
        out4(d, c);
        buffer(d, c);
        out4(d, c);
        break;
    case NF_READ:
        handle_arg(d, c, last_handle);
        buffer(d, c);
        out4(d, c);
        break;
    case NF_CLOSE:
        handle_arg(d, c, last_handle);
        break;
    case NF_LAST_ERROR:
        buffer(d, c);
        out4(d, c);
        break;
    case NF_POKE:
        hc_poke(d);
        break;
    case NF_STEP:
        c->arg = hc_u8(d);
        c->arg2 = hc_u8(d);
        break;
    default:
        c->arg = hc_u8(d) % 8;
        break;
    }
    return true;
}

/* The next separator at or after p, or end. */
static const uint8_t *next_sep(const uint8_t *p, const uint8_t *end)
{
    const uint8_t *s = memmem(p, (size_t)(end - p), NF_SEP, NF_SEP_LEN);
    return s ? s : end;
}

void nf_decode_begin(nf_input *in, const uint8_t *data, size_t size,
                     uint8_t *mem)
{
    const uint8_t *end = data + size;
    in->rules = size > 0 ? data[0] : 0;
    in->limits = size > 1 ? data[1] : 0;
    const uint8_t *p = data + (size < 2 ? size : 2);
    const uint8_t *sep = next_sep(p, end);
    in->d = (hc_dec){ .p = p, .n = (size_t)(sep - p), .mem = mem };
    in->nresp = 0;
    while (sep < end && in->nresp < NF_MAX_RESP) {
        p = sep + NF_SEP_LEN;
        sep = next_sep(p, end);
        nf_resp *r = &in->resp[in->nresp++];
        r->flags = p < sep ? *p : 0;
        r->p = p < sep ? p + 1 : sep;
        r->n = (size_t)(sep - r->p);
    }
}
