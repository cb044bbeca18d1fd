/* tmpdata.c: the contents of one tmpfs file, stored sparsely. Bytes live
 * in 4 KiB pages reached through a radix tree of 512-slot tables; a page
 * exists only where something was written (or fd_allocate reserved it),
 * so a hole costs no host memory and reads as zeros. Each page and table
 * is taken from the file system's space before it is allocated. A file
 * that fits in its first page keeps that page at a power-of-two size
 * from 64 bytes, so small files stay cheap.
 *
 * Invariant: every byte of an allocated page past the file's size is
 * zero (wb_tdata_trim clears them), so growing a file needs no work. */
#include "wasi/wasi.h"
#include <stdlib.h>
#include <string.h>

#define PAGE_SHIFT 12
#define PAGE ((uint64_t)1 << PAGE_SHIFT)
#define FAN_SHIFT 9
#define FAN ((size_t)1 << FAN_SHIFT)
#define TABLE_COST (FAN * sizeof(void *))
#define SMALL_MIN 64

bool wb_tspace_take(wb_tspace *s, uint64_t n)
{
    if (n > s->cap || s->used > s->cap - n)
        return false;
    s->used += n;
    return true;
}

void wb_tspace_give(wb_tspace *s, uint64_t n)
{
    s->used -= n;
}

/* Pages reachable below a tree of `height` tables (height 0: page 0). */
static uint64_t span(uint32_t height)
{
    return (uint64_t)1 << (FAN_SHIFT * height);
}

/* Zeroed memory of n bytes, paid for from s; WE_NOSPC or WE_NOMEM. */
static int take_zeroed(wb_tspace *s, uint64_t n, void **out)
{
    if (!wb_tspace_take(s, n))
        return WE_NOSPC;
    if (!(*out = calloc(1, n))) {
        wb_tspace_give(s, n);
        return WE_NOMEM;
    }
    return WE_SUCCESS;
}

/* Page 0 of a tree without tables: grow it to hold `need` bytes. */
static int grow_small(wb_tdata *d, wb_tspace *s, uint64_t need)
{
    uint64_t cap = d->small ? d->small : SMALL_MIN;
    while (cap < need)
        cap *= 2;
    if (cap == d->small)
        return WE_SUCCESS;
    if (!wb_tspace_take(s, cap - d->small))
        return WE_NOSPC;
    uint8_t *p = realloc(d->root, cap);
    if (!p) {
        wb_tspace_give(s, cap - d->small);
        return WE_NOMEM;
    }
    memset(p + d->small, 0, cap - d->small);
    d->root = p;
    d->small = (uint32_t)cap;
    return WE_SUCCESS;
}

/* Add a table on top until page p is within reach. */
static int raise(wb_tdata *d, wb_tspace *s, uint64_t p)
{
    if (d->height == 0 && d->root && p > 0) {
        int rc = grow_small(d, s, PAGE);     /* a full page from now on */
        if (rc)
            return rc;
    }
    while (p >= span(d->height)) {
        void **t = NULL;
        if (d->root) {
            int rc = take_zeroed(s, TABLE_COST, (void **)&t);
            if (rc)
                return rc;
            t[0] = d->root;
            d->root = t;
        }
        d->height++;
    }
    return WE_SUCCESS;
}

/* The page holding page index p, made if missing; for page 0 of a tree
 * without tables, with at least `need` bytes. */
static int page_make(wb_tdata *d, wb_tspace *s, uint64_t p, uint64_t need,
                     uint8_t **out)
{
    int rc;
    if (d->height == 0 && p == 0) {
        if ((rc = grow_small(d, s, need)))
            return rc;
        *out = d->root;
        return WE_SUCCESS;
    }
    if ((rc = raise(d, s, p)))
        return rc;
    void **slot = &d->root;
    for (uint32_t h = d->height; h > 0; h--) {
        if (!*slot && (rc = take_zeroed(s, TABLE_COST, slot)))
            return rc;
        slot = (void **)*slot + ((p >> (FAN_SHIFT * (h - 1))) & (FAN - 1));
    }
    if (!*slot && (rc = take_zeroed(s, PAGE, slot)))
        return rc;
    *out = *slot;
    return WE_SUCCESS;
}

/* Page p and how many of its bytes are stored (the rest read as zero). */
static const uint8_t *page_find(const wb_tdata *d, uint64_t p, uint64_t *have)
{
    *have = 0;
    if (p >= span(d->height))
        return NULL;
    if (d->height == 0) {
        *have = d->small;
        return d->root;
    }
    void *cur = d->root;
    for (uint32_t h = d->height; h > 0 && cur; h--)
        cur = ((void **)cur)[(p >> (FAN_SHIFT * (h - 1))) & (FAN - 1)];
    *have = cur ? PAGE : 0;
    return cur;
}

void wb_tdata_read(const wb_tdata *d, uint64_t off, uint8_t *buf, size_t len)
{
    while (len > 0) {
        uint64_t p = off >> PAGE_SHIFT, in = off & (PAGE - 1), have;
        size_t n = PAGE - in < len ? (size_t)(PAGE - in) : len;
        const uint8_t *pg = page_find(d, p, &have);
        size_t stored = in >= have ? 0 : have - in < n ? (size_t)(have - in) : n;
        if (stored)
            memcpy(buf, pg + in, stored);
        memset(buf + stored, 0, n - stored);
        buf += n;
        off += n;
        len -= n;
    }
}

int wb_tdata_write(wb_tdata *d, wb_tspace *s, uint64_t off,
                   const uint8_t *buf, size_t len, size_t *done)
{
    *done = 0;
    while (len > 0) {
        uint64_t p = off >> PAGE_SHIFT, in = off & (PAGE - 1);
        size_t n = PAGE - in < len ? (size_t)(PAGE - in) : len;
        uint8_t *pg;
        int rc = page_make(d, s, p, in + n, &pg);
        if (rc)
            return rc;
        memcpy(pg + in, buf, n);
        buf += n;
        off += n;
        len -= n;
        *done += n;
    }
    return WE_SUCCESS;
}

int wb_tdata_reserve(wb_tdata *d, wb_tspace *s, uint64_t off, uint64_t len)
{
    uint64_t end = off + len;
    for (uint64_t p = off >> PAGE_SHIFT; len && p <= (end - 1) >> PAGE_SHIFT;
         p++) {
        uint8_t *pg;
        uint64_t need = end - (p << PAGE_SHIFT);
        int rc = page_make(d, s, p, need < PAGE ? need : PAGE, &pg);
        if (rc)
            return rc;
    }
    return WE_SUCCESS;
}

/* Free what lies at or past page `keep` below *slot (a tree of `height`
 * tables covering pages from `base`); true when *slot is left empty. */
static bool trim_slot(void **slot, uint32_t height, uint64_t base,
                      uint64_t keep, wb_tspace *s)
{
    if (!*slot)
        return true;
    if (height == 0) {
        if (base < keep)
            return false;
        free(*slot);
        *slot = NULL;
        wb_tspace_give(s, PAGE);
        return true;
    }
    void **t = *slot;
    uint64_t each = span(height - 1);
    bool empty = true;
    for (size_t i = 0; i < FAN; i++) {
        if (t[i] && base + (i + 1) * each > keep)
            trim_slot(&t[i], height - 1, base + i * each, keep, s);
        empty = empty && !t[i];
    }
    if (empty) {
        free(t);
        *slot = NULL;
        wb_tspace_give(s, TABLE_COST);
    }
    return empty;
}

void wb_tdata_trim(wb_tdata *d, wb_tspace *s, uint64_t size)
{
    uint64_t keep = (size + PAGE - 1) >> PAGE_SHIFT, have;
    if (d->height == 0 && d->root && size == 0) {
        free(d->root);
        d->root = NULL;
        wb_tspace_give(s, d->small);
        d->small = 0;
    } else if (d->height > 0) {
        trim_slot(&d->root, d->height, 0, keep, s);
    }
    if (!d->root) {
        d->height = 0;
        d->small = 0;
        return;
    }
    /* the kept part of the last page must read as zero if regrown */
    uint8_t *pg = (uint8_t *)page_find(d, size >> PAGE_SHIFT, &have);
    uint64_t in = size & (PAGE - 1);
    if (pg && in < have)
        memset(pg + in, 0, have - in);
}
