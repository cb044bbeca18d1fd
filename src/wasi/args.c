/* args.c: args_* and environ_*. Both are a vector of NUL-terminated
 * strings laid out by the guest-provided pointers; only what the embedder
 * granted is visible. */
#include "wasi/wasi.h"
#include <string.h>

static int sizes(wb_caller *c, char **v, size_t n, uint32_t count_p,
                 uint32_t size_p)
{
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += strlen(v[i]) + 1;
    if (total > UINT32_MAX)
        return WE_OVERFLOW;
    if (!wb_gptr(c, count_p, 4) || !wb_gptr(c, size_p, 4))
        return WE_FAULT;              /* nothing written on a fault */
    wb_put32(c, count_p, (uint32_t)n);
    wb_put32(c, size_p, (uint32_t)total);
    return WE_SUCCESS;
}

/* Check both regions before writing anything. */
static int fill(wb_caller *c, char **v, size_t n, uint32_t ptrs, uint32_t buf)
{
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += strlen(v[i]) + 1;
    uint8_t *pp = wb_gptr(c, ptrs, (uint64_t)n * 4);
    uint8_t *bp = wb_gptr(c, buf, total);
    if (!pp || !bp)
        return WE_FAULT;
    uint32_t off = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(v[i]) + 1;
        wb_st32(pp + 4 * i, buf + off);
        memcpy(bp + off, v[i], len);
        off += (uint32_t)len;
    }
    return WE_SUCCESS;
}

WB_WASI_FN(args_sizes_get)
{
    return wb_ret(r, sizes(c, WASI->args, WASI->nargs, A32(0), A32(1)));
}

WB_WASI_FN(args_get)
{
    return wb_ret(r, fill(c, WASI->args, WASI->nargs, A32(0), A32(1)));
}

WB_WASI_FN(environ_sizes_get)
{
    return wb_ret(r, sizes(c, WASI->env, WASI->nenv, A32(0), A32(1)));
}

WB_WASI_FN(environ_get)
{
    return wb_ret(r, fill(c, WASI->env, WASI->nenv, A32(0), A32(1)));
}
