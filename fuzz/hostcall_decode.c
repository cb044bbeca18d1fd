/*
 * hostcall_decode.c: fuzz input -> the arguments of one WASI call, with
 * everything they point to (paths, iovec arrays, poll subscriptions)
 * written into guest memory at addresses the input chooses.
 *
 * Values are drawn mostly from small ranges and tables of edge cases
 * (offsets near 0, 2^32 and 2^63, addresses at and past the end of
 * memory, counts that overflow when multiplied), so that one mutated byte
 * moves between meaningful cases. An address byte picks a mode:
 *   00vvvvvv  slot v of 1 KiB
 *   01vvvvvv  at the end of memory: the object ends v (< 32) bytes past
 *             it, or starts v - 32 bytes before it
 *   10vvvvvv  the previous address plus v - 32: overlapping objects
 *   11vvvvvv  a special address (2^32 - size, 0xffffffff, a raw u32...)
 *
 * Signature kinds (one per wasm argument unless said):
 *   f fd   I small u32   L u64   R rights
 *   P path (ptr, len)   V/v iovecs (ptr, count) read by / written by the
 *   call   B output buffer (ptr, len)   Q poll subscriptions (in, out, n)
 *   2 4 8 s t  output of 2, 4, 8, 24, 64 bytes
 *   g G e E    args_get/environ_get's pointer array and string buffer
 * Each output is noted in hc_dec.out: the call may write there only.
 */
#include "hostcall.h"
#include <string.h>
#include <time.h>

uint8_t hc_u8(hc_dec *d)
{
    if (!d->n)
        return 0;
    d->n--;
    return *d->p++;
}

uint32_t hc_raw32(hc_dec *d)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++)
        v |= (uint32_t)hc_u8(d) << (8 * i);
    return v;
}

static uint64_t raw64(hc_dec *d)
{
    uint64_t lo = hc_raw32(d);
    return lo | (uint64_t)hc_raw32(d) << 32;
}

void hc_put(hc_dec *d, uint32_t at, const void *src, uint64_t n)
{
    if (at >= HC_MEM)
        return;
    memmove(d->mem + at, src, n < HC_MEM - at ? (size_t)n : HC_MEM - at);
}

void hc_allow(hc_dec *d, uint32_t at, uint64_t n)
{
    if (at >= HC_MEM || n == 0)
        return;
    uint64_t hi = (uint64_t)at + n > HC_MEM ? HC_MEM : (uint64_t)at + n;
    if (d->nout == HC_MAX_REGIONS)     /* many iovecs in memory: allow all */
        d->out[HC_MAX_REGIONS - 1] = (hc_region){ 0, HC_MEM };
    else
        d->out[d->nout++] = (hc_region){ at, hi };
}

/* ---- scalars ------------------------------------------------------------ */

static uint32_t special_addr(hc_dec *d, uint8_t v, uint64_t size)
{
    switch (v % 10) {
    case 0: return hc_raw32(d);
    case 1: return HC_MEM;
    case 2: return 0xffffffffu;
    case 3: return (uint32_t)(0 - size);   /* ends exactly at 2^32 */
    case 4: return 0x80000000u;
    case 5: return 0x7fffffffu;
    case 6: return 2 * HC_MEM;             /* the reserved page */
    case 7: return HC_MEM + 1;
    case 8: return HC_MEM - 1;
    default: return (v * 997u) % HC_MEM;   /* unaligned */
    }
}

/* Where an object of `size` bytes goes. */
uint32_t hc_place(hc_dec *d, uint64_t size)
{
    uint8_t b = hc_u8(d), v = b & 63;
    uint32_t at;
    switch (b >> 6) {
    case 0: at = v * 1024u; break;
    case 1: at = v < 32 ? (uint32_t)(HC_MEM - size + v) : HC_MEM - (v - 32u);
            break;
    case 2: at = d->prev + v - 32u; break;
    default: at = special_addr(d, v, size); break;
    }
    d->prev = at;
    return at;
}

uint32_t hc_len32(hc_dec *d)
{
    static const uint32_t t[] = {
        256, 1023, 1024, 4095, 4096, 4097, 16384, 65535, 65536, 65537,
        1u << 20, 0x1fffffff, 0x20000000, 0x7fffffff, 0x80000000,
        0xfffffff8, 0xfffffffe, 0xffffffff, 24, 32, 48, 64
    };
    uint8_t b = hc_u8(d);
    if (b < 0xc0)
        return b;
    if (b == 0xff)
        return hc_raw32(d);
    return t[(b - 0xc0) % (sizeof t / sizeof *t)];
}

/* Offsets, sizes, times, cookies. */
static uint64_t big(hc_dec *d)
{
    static const uint64_t t[] = {
        128, 255, 256, 4095, 4096, 4097, 65535, 65536, 131072, 1u << 20,
        HC_MAX_DISK - 1, HC_MAX_DISK, HC_MAX_DISK + 1, HC_TMPFS_SIZE - 1,
        HC_TMPFS_SIZE, HC_TMPFS_SIZE + 1, 0x7fffffff, 0x80000000,
        0xffffffff, 1ull << 32, (1ull << 32) + 1, (1ull << 40) - 1,
        1ull << 40, (1ull << 40) + 1, 1ull << 62, (1ull << 63) - 4097,
        (1ull << 63) - 4096, INT64_MAX, 1ull << 63, (1ull << 63) + 1,
        UINT64_MAX - 4095, UINT64_MAX - 1, UINT64_MAX, (uint64_t)-1000,
        (uint64_t)-12
    };
    uint8_t b = hc_u8(d);
    if (b < 0x80)
        return b;
    if (b == 0xff)
        return raw64(d);
    return t[(b - 0x80) % (sizeof t / sizeof *t)];
}

static uint32_t fd_arg(hc_dec *d)
{
    static const uint32_t t[] = { 0xffffffff, 0x7fffffff, 0x80000000, 31,
                                  32, 63, 64, 1024, 65536 };
    uint8_t b = hc_u8(d);
    if (b < 0xe0)
        return b % 20;
    b &= 15;
    return b < 9 ? t[b] : d->last_fd;
}

/* Flags, whence, advice, clock ids, signals, exit codes. */
static uint32_t small(hc_dec *d)
{
    static const uint32_t t[] = { 0xff, 0x100, 0xffff, 0x10000, 0x7fffffff,
                                  0x80000000, 0xffffffff };
    uint8_t b = hc_u8(d);
    if (b < 0xe0)
        return b;
    return (b & 7) < 7 ? t[b & 7] : hc_raw32(d);
}

#define ALL_RIGHTS (WR(30) - 1)        /* every preview1 right */

static uint64_t rights(hc_dec *d)
{
    switch (hc_u8(d) % 8) {
    case 0: return ALL_RIGHTS;
    case 1: return 0;
    case 2: return UINT64_MAX;
    case 3: return WR_FD_READ | WR_FD_SEEK | WR_FD_TELL | WR_FD_READDIR;
    case 4: return WR_FD_WRITE | WR_FD_ALLOCATE | WR_FD_FILESTAT_SET_SIZE |
                   WR_FD_DATASYNC;
    case 5: return WR_FD_READ | WR_FD_WRITE;
    case 6: return raw64(d);
    default: return ALL_RIGHTS & ~WR_FD_WRITE;
    }
}

static uint64_t now_of(uint32_t clock)
{
    static const clockid_t ids[] = { CLOCK_REALTIME, CLOCK_MONOTONIC,
                                     CLOCK_PROCESS_CPUTIME_ID,
                                     CLOCK_THREAD_CPUTIME_ID };
    struct timespec ts;
    clock_gettime(ids[clock < 4 ? clock : 0], &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Poll timeouts: mostly under 2 ms, since a long one lasts until the
 * input's deadline. */
static uint64_t timeout(hc_dec *d, uint32_t clock)
{
    uint8_t b = hc_u8(d);
    if (b < 0xc0)
        return b * 8000u;
    switch (b & 15) {
    case 0: return 0;
    case 1: return 1;
    case 2: return 1ull << 62;
    case 3: return (1ull << 62) + 1;
    case 4: return INT64_MAX;
    case 5: return UINT64_MAX;
    case 6: return 1ull << 63;
    case 7: return now_of(clock);
    case 8: return now_of(clock) + 1000000;
    case 9: return now_of(clock) - 1000000000;
    case 10: return 1000000000;
    case 11: return raw64(d);
    default: return (b & 15) * 100000u;
    }
}

/* ---- objects in guest memory -------------------------------------------- */

typedef struct tok { const char *s; size_t n; } tok;

static char long255[256], long256[257];

static tok token(unsigned i)
{
    static const char *const t[T_NTOK] = {
        [T_A_TXT] = "a.txt", [T_B] = "b", [T_SUB] = "sub",
        [T_C_TXT] = "c.txt", [T_DEEP] = "deep", [T_FIFO] = "fifo",
        [T_OUT] = "out", [T_OUTDIR] = "outdir", [T_ABS] = "abs",
        [T_IN] = "in", [T_SUBL] = "subl", [T_UP] = "up", [T_LOOP] = "loop",
        [T_SOCKF] = "sockf", [T_ZERO] = "zero", [T_R_TXT] = "r.txt",
        [T_RSUB] = "rsub", [T_ROUT] = "rout", [T_RFIFO] = "rfifo",
        [T_X] = "x", [T_Y] = "y", [T_NEW] = "new", [T_DOTDOT] = "..",
        [T_DOT] = ".", [T_EMPTY] = "", [T_CANARY] = "canary",
        [T_OUTSIDE] = "outside", [T_HOST] = "host", [T_DOTS3] = "...",
        [T_TMP] = "tmp", [T_RO] = "ro", [T_T2] = "t2", [T_H2] = "h2",
    };
    i %= T_NTOK;
    if (i == T_NUL)
        return (tok){ "a\0b", 3 };
    if (i == T_LONG255 || i == T_LONG256) {
        if (!long255[0]) {
            memset(long255, 'n', 255);
            memset(long256, 'n', 256);
        }
        return i == T_LONG255 ? (tok){ long255, 255 } : (tok){ long256, 256 };
    }
    return (tok){ t[i], strlen(t[i]) };
}

/* Header byte: count (low 3 bits) and length mode (high 5); then one
 * byte per token: its index, bit 7 set to glue it to the previous one
 * without a '/'. An empty token makes "//", a leading or trailing '/'. */
static void path_arg(hc_dec *d, uint32_t *ptr, uint32_t *len)
{
    char buf[8 * 260];
    size_t n = 0;
    uint8_t h = hc_u8(d);
    for (int i = 0; i < (h & 7); i++) {
        uint8_t b = hc_u8(d);
        tok t = token(b & 0x7f);
        if (i > 0 && !(b & 0x80))
            buf[n++] = '/';
        memcpy(buf + n, t.s, t.n);
        n += t.n;
    }
    uint32_t mode = h >> 3, arg = (uint32_t)n;
    switch (mode) {
    case 24: arg = (uint32_t)n + 1; break;   /* one byte past the path */
    case 25: arg = n ? (uint32_t)n - 1 : 0; break;
    case 26: arg = 0; break;
    case 27: arg = 4095; break;
    case 28: arg = 4096; break;
    case 29: arg = 0xffffffff; break;
    case 30: arg = 0x80000000; break;
    case 31: arg = hc_raw32(d); break;
    default: break;
    }
    *ptr = hc_place(d, n);
    hc_put(d, *ptr, buf, n);
    *len = arg;
}

/* An iovec array; the first 8 entries come from the input, the rest of a
 * longer array is whatever memory holds (allow_tail reads those). */
static void iov_arg(hc_dec *d, bool out, uint32_t *ptr, uint32_t *count)
{
    static const uint32_t many[] = { 16, 1024, 1025, 0xffffffff, 0x20000000,
                                     0x1fffffff, 8192, 2048 };
    uint8_t b = hc_u8(d);
    uint32_t n = b < 0xf0 ? b % 9u : many[b & 7];
    uint32_t at = hc_place(d, (uint64_t)n * 8);
    for (uint32_t i = 0; i < n && i < 8; i++) {
        uint32_t len = hc_len32(d), buf = hc_place(d, len);
        uint8_t e[8];
        wb_st32(e, buf);
        wb_st32(e + 4, len);
        if ((uint64_t)at + 8 * i < HC_MEM)
            hc_put(d, at + 8 * i, e, 8);
        if (out)
            hc_allow(d, buf, len);
    }
    *ptr = at;
    *count = n;
}

/* The buffers of entries 8 and on of an iovec array the call writes
 * through: the host reads the whole array before it moves a byte, so
 * they are outputs as memory holds them once every argument is placed. */
static void allow_tail(hc_dec *d, uint32_t at, uint32_t n)
{
    for (uint64_t i = 8; i < n; i++) {
        uint64_t e = (uint64_t)at + 8 * i;
        if (e + 8 > HC_MEM)
            return;
        hc_allow(d, wb_ld32(d->mem + e), wb_ld32(d->mem + e + 4));
    }
}

/* Subscriptions (the first 6 from the input) and room for the events. */
static void poll_arg(hc_dec *d, uint32_t *in, uint32_t *out, uint32_t *count)
{
    static const uint32_t many[] = { 16384, 16385, 0xffffffff, 1365, 1366,
                                     2048, 0x80000000, 0 };
    uint8_t b = hc_u8(d);
    uint32_t n = b < 0xf0 ? b % 6u : many[b & 7];
    *in = hc_place(d, (uint64_t)n * 48);
    for (uint32_t i = 0; i < n && i < 6; i++) {
        uint8_t s[48] = { 0 };
        wb_st64(s, big(d));
        uint8_t t = hc_u8(d);
        s[8] = t % 4 == 3 ? t : t % 4;
        if (s[8] == 0) {
            uint8_t id = hc_u8(d), fl = hc_u8(d);
            uint32_t clock = id & 0x80 ? id : id & 3u;
            wb_st32(s + 16, clock);
            wb_st64(s + 24, timeout(d, clock));
            wb_st64(s + 32, big(d));
            wb_st16(s + 40, fl & 0x80 ? fl : fl & 1);
        } else {
            wb_st32(s + 16, fd_arg(d));
        }
        if ((uint64_t)*in + 48 * i < HC_MEM)
            hc_put(d, *in + 48 * i, s, 48);
    }
    *out = hc_place(d, (uint64_t)n * 32);
    hc_allow(d, *out, (uint64_t)n * 32);
    *count = n;
}

static uint64_t out_size(const hc_dec *d, char k)
{
    switch (k) {
    case '2': return 2;
    case '8': return 8;
    case 's': return 24;
    case 't': return 64;
    case 'g': return d->nargs * 4;
    case 'G': return d->args_len;
    case 'e': return d->nenv * 4;
    case 'E': return d->env_len;
    default: return 4;
    }
}

size_t hc_kind_types(const char *kinds, wb_valtype *t)
{
    size_t n = 0;
    for (const char *k = kinds; *k; k++) {
        int words = strchr(HC_KINDS2, *k) ? 2 : *k == 'Q' ? 3 : 1;
        for (int i = 0; i < words; i++)
            t[n++] = *k == 'L' || *k == 'R' ? WB_I64 : WB_I32;
    }
    return n;
}

size_t hc_decode_args(hc_dec *d, const char *kinds, wb_val *a)
{
    size_t n = 0;
    uint32_t x[3], tail[2] = { 0, 0 };
#define I32(v) (a[n].type = WB_I32, a[n++].of.i32 = (int32_t)(v))
#define I64(v) (a[n].type = WB_I64, a[n++].of.i64 = (int64_t)(v))
    for (const char *k = kinds; *k; k++) {
        switch (*k) {
        case 'f': I32(fd_arg(d)); break;
        case 'I': I32(small(d)); break;
        case 'L': I64(big(d)); break;
        case 'R': I64(rights(d)); break;
        case 'P': path_arg(d, &x[0], &x[1]); I32(x[0]); I32(x[1]); break;
        case 'V': case 'v':
            iov_arg(d, *k == 'v', &x[0], &x[1]);
            if (*k == 'v')
                tail[0] = x[0], tail[1] = x[1];
            I32(x[0]); I32(x[1]);
            break;
        case 'B':
            x[1] = hc_len32(d);
            x[0] = hc_place(d, x[1]);
            hc_allow(d, x[0], x[1]);
            I32(x[0]); I32(x[1]);
            break;
        case 'Q':
            poll_arg(d, &x[0], &x[1], &x[2]);
            I32(x[0]); I32(x[1]); I32(x[2]);
            break;
        default: {
            uint64_t size = out_size(d, *k);
            x[0] = hc_place(d, size);
            hc_allow(d, x[0], size);
            I32(x[0]);
        }
        }
    }
#undef I32
#undef I64
    allow_tail(d, tail[0], tail[1]);
    return n;
}

void hc_poke(hc_dec *d)
{
    uint8_t buf[64];
    size_t n = hc_u8(d) % 65u;
    uint32_t at = hc_place(d, n);
    for (size_t i = 0; i < n; i++)
        buf[i] = hc_u8(d);
    hc_put(d, at, buf, n);
}
