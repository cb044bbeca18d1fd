/* pagehash.c: changed pages by comparing hashes (pagehash.h).
 *
 * One XXH3-64 per 4 KiB page, the host's page, so a step that writes one
 * byte copies one page, as with the kernel's tracker. A collision (a
 * changed page with the same 64-bit hash) would leave the page's old
 * bytes in the checkpoint. By chance that is 2^-64 per changed page; to
 * keep a guest from aiming for one (XXH3 is a checksum, not a keyed
 * hash), every record hashes with a seed of its own from getrandom,
 * which the guest never sees. Even an aimed collision would only give
 * the guest, after a rollback, bytes its own code wrote. */
#include "snapshot/pagehash.h"
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <xxhash.h>

struct wb_pagehash {
    uint64_t *hash;
    size_t n;                          /* pages recorded */
    XXH64_hash_t seed;
};

static uint64_t page_hash(const wb_pagehash *h, const uint8_t *p)
{
    return XXH3_64bits_withSeed(p, WB_PAGEHASH_PAGE, h->seed);
}

static wb_status no_memory(wb_error *err)
{
    return wb_err_set(err, WB_E_NOMEM, "out of memory for page hashes");
}

/* Room for `n` pages' hashes. */
static wb_status reserve(wb_pagehash *h, size_t n, wb_error *err)
{
    if (n <= h->n)
        return WB_OK;
    uint64_t *p = realloc(h->hash, n * sizeof *p);
    if (!p)
        return no_memory(err);
    h->hash = p;
    return WB_OK;
}

wb_status wb_pagehash_new(const void *base, size_t size, wb_pagehash **out,
                          wb_error *err)
{
    if (size % WB_PAGEHASH_PAGE)
        return wb_err_set(err, WB_E_ARG, "page hashes: a size that is not "
                          "a multiple of the page");
    wb_pagehash *h = calloc(1, sizeof *h);
    if (!h)
        return no_memory(err);
    if (getrandom(&h->seed, sizeof h->seed, 0) != sizeof h->seed) {
        free(h);
        return wb_err_set(err, WB_E_IO, "page hashes: no random seed");
    }
    size_t n = size / WB_PAGEHASH_PAGE;
    if (n && !(h->hash = malloc(n * sizeof *h->hash))) {
        free(h);
        return no_memory(err);
    }
    const uint8_t *p = base;
    for (size_t i = 0; i < n; i++)
        h->hash[i] = page_hash(h, p + i * WB_PAGEHASH_PAGE);
    h->n = n;
    *out = h;
    return WB_OK;
}

wb_status wb_pagehash_scan(wb_pagehash *h, const void *base, size_t size,
                           wb_dirty_fn fn, void *user, wb_error *err)
{
    size_t n = size / WB_PAGEHASH_PAGE;
    if (size % WB_PAGEHASH_PAGE || n < h->n)
        return wb_err_set(err, WB_E_ARG, "page hash scan: bad size");
    WB_TRY(reserve(h, n, err));
    const uint8_t *p = base;
    size_t run = 0, len = 0;           /* the run of changed pages so far */
    for (size_t i = 0; i <= n; i++) {
        bool changed = false;
        if (i < n) {
            uint64_t x = page_hash(h, p + i * WB_PAGEHASH_PAGE);
            changed = i >= h->n || x != h->hash[i];
            h->hash[i] = x;
        }
        if (changed) {
            if (!len)
                run = i;
            len++;
            continue;
        }
        if (len && fn(user, run * WB_PAGEHASH_PAGE, len * WB_PAGEHASH_PAGE))
            return wb_err_set(err, WB_E_IO, "page hash scan stopped");
        len = 0;
    }
    h->n = n;
    return WB_OK;
}

void wb_pagehash_free(wb_pagehash *h)
{
    if (!h)
        return;
    free(h->hash);
    free(h);
}
