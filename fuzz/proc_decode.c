/*
 * proc_decode.c: fuzz input -> the arguments of one wasmbox_proc call
 * (or of the WASI fd calls the root uses on pipes, decoded by
 * hostcall_decode.c), placed in guest memory at addresses the input
 * chooses (hc_place).
 *
 * Kinds (proc.h's ops; the others are hostcall_decode.c's):
 *   S image path (ptr, len)    A string list (ptr, len)
 *   W cwd (ptr, len)           D three fds (ptr)
 *   p pid   o wait options   g signal   m dup's minimum   F dup2's target
 * Each string is followed by a length mode byte: its length, one more
 * or one less, 0, a length from hc_len32, 2^32 - 1, past the 2 MiB list
 * limit, or the rest of memory. A list's strings are the agent's argv[0]
 * and program, raw bytes, env entries or long ones.
 */
#include "proc.h"
#include <limits.h>
#include <string.h>

const char *const pf_paths[] = {
    "/bin/agent", "/usr/bin/agent", "/bin/a0", "/bin/lazy", "/bin/junk",
    "/bin/nostart", "/bin/badimport", "/bin/bigmem", "/bin/exit3",
    "/bin/nope", "/bin", "/bin/", "/bin/agent/x", "/bin//./agent",
    "/usr/bin/../bin/agent", "/data/agent.wasm", "/data/junk", "/data/sub",
    "/data/fifo", "/data/out.wasm", "/data/link.wasm",
    "/data/../data/agent.wasm", "data/agent.wasm", "agent", "/tmp",
    "/tmp/x", "/", "", "/dev/null", "/data/sub/../agent.wasm",
    "/../data/agent.wasm", "/bin/../data/agent.wasm", "/data/empty",
    "/data/exit3.wasm", "./data/exit3.wasm", "/data/sub/loop",
};
const size_t pf_npaths = sizeof pf_paths / sizeof *pf_paths;

const char *const pf_cwds[] = {
    "", "/", "/tmp", "/data", "rel", "/nonexistent", "/data/sub", "/bin",
    "/tmp/", "//", "/.."
};
const size_t pf_ncwds = sizeof pf_cwds / sizeof *pf_cwds;

/* fuzz/proc/agent.c's operations; x, k and K take a digit. */
const char pf_agent_ops[] = "xznltcorwWjkKigudDCsmfePQ;";

#define LIST_LIMIT (2u << 20)          /* host.c's LIST_MAX */
#define BUF 8192

/* buf[0..n) into guest memory; (ptr, len) by the length mode byte. */
static void place_string(hc_dec *d, const char *buf, size_t n,
                         uint32_t *ptr, uint32_t *len)
{
    uint8_t m = hc_u8(d);
    uint32_t arg = (uint32_t)n;
    *ptr = hc_place(d, n);
    hc_put(d, *ptr, buf, n);
    if (m < 0xc0) {
        *len = arg;
        return;
    }
    switch (m & 7) {
    case 0: arg = (uint32_t)n + 1; break;
    case 1: arg = n ? (uint32_t)n - 1 : 0; break;
    case 2: arg = 0; break;
    case 3: arg = hc_len32(d); break;
    case 4: arg = 0xffffffffu; break;
    case 5: arg = LIST_LIMIT + 1; break;
    case 6: arg = *ptr < HC_MEM ? HC_MEM - *ptr : 0; break;
    default: arg = hc_raw32(d); break;
    }
    *len = arg;
}

/* n raw bytes of the input (at most cap), NULs made 'x'. */
static size_t raw_bytes(hc_dec *d, char *out, size_t cap)
{
    size_t n = hc_u8(d) % 48u;
    n = n < cap ? n : cap;
    for (size_t i = 0; i < n; i++) {
        out[i] = (char)hc_u8(d);
        if (!out[i])
            out[i] = 'x';
    }
    return n;
}

/* An agent program: up to 20 operations, a digit after those that take
 * one; 0xf8 and above: a raw byte instead. */
static size_t program(hc_dec *d, char *out, size_t cap)
{
    size_t n = hc_u8(d) % 20u, k = 0;
    for (size_t i = 0; i < n && k + 2 < cap; i++) {
        uint8_t b = hc_u8(d);
        char c = b >= 0xf8 ? (char)hc_u8(d)
                           : pf_agent_ops[b % (sizeof pf_agent_ops - 1)];
        out[k++] = c ? c : ';';
        if (strchr("xkK", c))
            out[k++] = (char)('0' + hc_u8(d) % 10);
    }
    return k;
}

/* One string of a list into out (NUL included); its length. */
static size_t list_string(hc_dec *d, char *out, size_t cap)
{
    static const char *const fixed[] = { "agent", "", "A=1", "PATH=/bin",
                                         "=", "noequals" };
    uint8_t k = hc_u8(d) % 9u;
    size_t n;
    if (cap < 2)
        return 0;
    if (k == 0) {
        n = program(d, out, cap - 1);
    } else if (k == 1) {
        n = raw_bytes(d, out, cap - 1);
    } else if (k == 2) {
        n = cap - 1 < 1000 ? cap - 1 : 1000;
        memset(out, 'a', n);
    } else {
        const char *s = fixed[(k - 3) % 6];
        n = strlen(s) < cap - 1 ? strlen(s) : cap - 1;
        memcpy(out, s, n);
    }
    out[n] = 0;
    return n + 1;
}

static void list_arg(hc_dec *d, uint32_t *ptr, uint32_t *len)
{
    static char buf[BUF];
    size_t n = 0, count = hc_u8(d) % 6u;
    for (size_t i = 0; i < count; i++)
        n += list_string(d, buf + n, sizeof buf - n);
    place_string(d, buf, n, ptr, len);
}

/* A table entry (index byte; the one past the table: raw bytes). */
static void table_string(hc_dec *d, const char *const *t, size_t nt,
                         uint32_t *ptr, uint32_t *len)
{
    static char buf[WB_PATH_MAX + 2];
    size_t i = hc_u8(d) % (nt + 3), n;
    if (i < nt) {
        n = strlen(t[i]);
        memcpy(buf, t[i], n);
    } else if (i == nt) {
        n = raw_bytes(d, buf, sizeof buf);
    } else {                           /* at and past WB_PATH_MAX */
        n = i == nt + 1 ? WB_PATH_MAX - 1 : WB_PATH_MAX;
        buf[0] = '/';
        memset(buf + 1, 'd', n - 1);
    }
    place_string(d, buf, n, ptr, len);
}

static int32_t fd_of(hc_dec *d)
{
    static const int32_t big[] = { 1023, 1024, INT_MAX, INT_MIN, -2, 65536,
                                   1025, 0 };
    uint8_t b = hc_u8(d);
    if (b < 0xe0) {                    /* -1, 0..12, the last fd and the
                                          one before (a pipe's ends) */
        b %= 16;
        return b == 13 ? -1 : b == 14 ? (int32_t)d->last_fd
             : b == 15 ? (int32_t)d->last_fd - 1 : b;
    }
    return (b & 7) == 7 ? (int32_t)hc_raw32(d) : big[b & 7];
}

static uint32_t fds_arg(hc_dec *d)
{
    uint8_t v[12];
    for (int i = 0; i < 3; i++)
        wb_st32(v + 4 * i, (uint32_t)fd_of(d));
    uint32_t at = hc_place(d, 12);
    hc_put(d, at, v, 12);
    return at;
}

static int32_t pid_arg(pf_state *ps)
{
    static const int32_t t[] = { -1, 0, 1, 2, 3, 100, INT_MIN, INT_MAX, -2 };
    uint8_t b = hc_u8(&ps->d);
    if (b >= 0x80 && ps->npids)
        return ps->pids[(b & 0x7f) % ps->npids];
    if (b % 10 == 9)
        return (int32_t)hc_raw32(&ps->d);
    return t[b % 10];
}

/* An entry of t, or (the index past it) a raw u32. */
static uint32_t pick(hc_dec *d, const int32_t *t, size_t n)
{
    size_t i = hc_u8(d) % (n + 1);
    return i == n ? hc_raw32(d) : (uint32_t)t[i];
}

size_t pf_decode_args(pf_state *ps, const hc_op *op, wb_val *a)
{
    static const int32_t options[] = { 0, 1, 2, 3, -1, INT_MIN, 0x101 };
    static const int32_t sigs[] = { 0, 9, 15, 1, 2, 64, 65, -1, 255,
                                    INT_MIN, 13, 6 };
    static const int32_t mins[] = { 0, 3, 10, 19, 1023, 1024, -1, INT_MAX,
                                    INT_MIN };
    static const int32_t tos[] = { 1023, 1024, INT_MAX, -1, INT_MIN, 65536,
                                   1025 };
    hc_dec *d = &ps->d;
    size_t n = 0;
    uint32_t x[2];
#define I32(v) (a[n].type = WB_I32, a[n++].of.i32 = (int32_t)(v))
    for (const char *k = op->kinds; *k; k++) {
        switch (*k) {
        case 'S': table_string(d, pf_paths, pf_npaths, &x[0], &x[1]);
                  I32(x[0]); I32(x[1]); break;
        case 'W': table_string(d, pf_cwds, pf_ncwds, &x[0], &x[1]);
                  I32(x[0]); I32(x[1]); break;
        case 'A': list_arg(d, &x[0], &x[1]); I32(x[0]); I32(x[1]); break;
        case 'D': I32(fds_arg(d)); break;
        case 'p': I32(pid_arg(ps)); break;
        case 'o': I32(pick(d, options, sizeof options / sizeof *options));
                  break;
        case 'g': I32(pick(d, sigs, sizeof sigs / sizeof *sigs)); break;
        case 'm': I32(pick(d, mins, sizeof mins / sizeof *mins)); break;
        case 'F': {
            uint8_t b = hc_u8(d);
            I32(b < 0xe0 ? b % 24u : tos[b % (sizeof tos / sizeof *tos)]);
            break;
        }
        default: {
            const char one[2] = { *k, 0 };
            n += hc_decode_args(d, one, a + n);
        }
        }
    }
#undef I32
    return n;
}
