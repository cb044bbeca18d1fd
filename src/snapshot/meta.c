/* meta.c: the state section of a snapshot file. Encoding is plain
 * little-endian fields; decoding checks every count against the bytes
 * that remain before it allocates, so a hostile file costs at most its
 * own size in memory. */
#include "snapshot/snapshot.h"
#include <stdlib.h>
#include <string.h>

#define EXTRA_WASI "wasi"
#define EXTRA_LAYER "layer"
#define EXTRA_HOT "hot"

/* ---- encoding ---------------------------------------------------------- */

static uint8_t *room(wb_snapmeta *b, size_t n)
{
    if (b->failed)
        return NULL;
    if (n > b->cap - b->len) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap - b->len < n)
            cap *= 2;
        uint8_t *p = realloc(b->buf, cap);
        if (!p) {
            b->failed = true;
            return NULL;
        }
        b->buf = p;
        b->cap = cap;
    }
    uint8_t *p = b->buf + b->len;
    b->len += n;
    return p;
}

static void put8(wb_snapmeta *b, uint8_t v)
{
    uint8_t *p = room(b, 1);
    if (p)
        *p = v;
}

static void put32(wb_snapmeta *b, uint32_t v)
{
    uint8_t *p = room(b, 4);
    if (p)
        wb_snap_put32(p, v);
}

static void put64(wb_snapmeta *b, uint64_t v)
{
    uint8_t *p = room(b, 8);
    if (p)
        wb_snap_put64(p, v);
}

static void put_bytes(wb_snapmeta *b, const void *v, size_t n)
{
    uint8_t *p = room(b, n);
    if (p && n)
        memcpy(p, v, n);
}

static void put_extra(wb_snapmeta *b, const char *name, const uint8_t *p,
                      size_t len)
{
    put32(b, (uint32_t)strlen(name));
    put_bytes(b, name, strlen(name));
    put64(b, len);
    put_bytes(b, p, len);
}

bool wb_snapmeta_encode(const wb_inst_state *st, const wb_snapextra *x,
                        wb_snapmeta *b)
{
    put32(b, st->nmems);
    for (uint32_t i = 0; i < st->nmems; i++) {
        put32(b, st->mems[i].pages);
        put64(b, st->mems[i].offset);
    }
    put32(b, st->ntables);
    for (uint32_t i = 0; i < st->ntables; i++) {
        put8(b, st->tables[i].elem);
        put32(b, st->tables[i].size);
        for (uint32_t k = 0; k < st->tables[i].size; k++)
            put32(b, st->tables[i].refs[k]);
    }
    put32(b, st->nglobals);
    for (uint32_t i = 0; i < st->nglobals; i++) {
        put8(b, st->globals[i].type);
        put64(b, st->globals[i].bits[0]);
        put64(b, st->globals[i].bits[1]);
    }
    put32(b, st->nelems);
    put_bytes(b, st->elem_live, st->nelems);
    put32(b, st->ndatas);
    put_bytes(b, st->data_live, st->ndatas);
    put32(b, (x->wasi ? 1 : 0) + (x->layer ? 1 : 0) + (x->hot ? 1 : 0));
    if (x->wasi)
        put_extra(b, EXTRA_WASI, x->wasi, x->wasi_len);
    if (x->layer)
        put_extra(b, EXTRA_LAYER, x->layer, x->layer_len);
    if (x->hot)
        put_extra(b, EXTRA_HOT, x->hot, x->hot_len);
    return !b->failed;
}

/* ---- decoding ---------------------------------------------------------- */

typedef struct rd {
    const uint8_t *p, *end;
    bool bad;
} rd;

static bool has(rd *r, uint64_t n)
{
    if (r->bad || n > (uint64_t)(r->end - r->p))
        r->bad = true;
    return !r->bad;
}

static uint8_t get8(rd *r)
{
    return has(r, 1) ? *r->p++ : 0;
}

static uint32_t get32(rd *r)
{
    if (!has(r, 4))
        return 0;
    r->p += 4;
    return wb_snap_get32(r->p - 4);
}

static uint64_t get64(rd *r)
{
    if (!has(r, 8))
        return 0;
    r->p += 8;
    return wb_snap_get64(r->p - 8);
}

/* A count of items of at least `each` bytes that must fit in what is
 * left; 0 and r->bad when they cannot. */
static uint32_t get_count(rd *r, uint64_t each)
{
    uint32_t n = get32(r);
    if (!r->bad && (uint64_t)n * each > (uint64_t)(r->end - r->p))
        r->bad = true;
    return r->bad ? 0 : n;
}

static wb_status malformed(wb_error *err, const char *what)
{
    return wb_err_set(err, WB_E_SNAPSHOT, "snapshot refused: malformed "
                      "state section (%s)", what);
}

static bool read_mems(rd *r, wb_inst_state *st, uint64_t data_len)
{
    uint64_t next = 0;
    for (uint32_t i = 0; i < st->nmems && !r->bad; i++) {
        wb_state_mem *m = &st->mems[i];
        m->pages = get32(r);
        m->offset = get64(r);
        uint64_t bytes = (uint64_t)m->pages * WB_PAGE_SIZE;
        /* In order, without overlap, inside the data region. */
        if (m->pages > WB_MAX_PAGES || m->offset != next ||
            bytes > data_len - next)
            r->bad = true;
        next += bytes;
    }
    if (!r->bad && next != data_len)
        r->bad = true;
    return !r->bad;
}

static bool read_tables(rd *r, wb_inst_state *st)
{
    for (uint32_t i = 0; i < st->ntables && !r->bad; i++) {
        wb_state_table *t = &st->tables[i];
        t->elem = get8(r);
        t->size = get_count(r, 4);
        if (r->bad)
            break;
        t->refs = malloc(((size_t)t->size + 1) * sizeof *t->refs);
        if (!t->refs)
            return false;
        for (uint32_t k = 0; k < t->size; k++)
            t->refs[k] = get32(r);
    }
    return true;
}

static void read_globals(rd *r, wb_inst_state *st)
{
    for (uint32_t i = 0; i < st->nglobals && !r->bad; i++) {
        st->globals[i].type = get8(r);
        st->globals[i].bits[0] = get64(r);
        st->globals[i].bits[1] = get64(r);
    }
}

static bool named(const uint8_t *name, uint32_t nl, const char *want)
{
    return nl == strlen(want) && !memcmp(name, want, nl);
}

static void read_extras(rd *r, wb_snapextra *x)
{
    uint32_t n = get_count(r, 12);
    for (uint32_t i = 0; i < n && !r->bad; i++) {
        uint32_t nl = get32(r);
        if (!has(r, nl))
            break;
        const uint8_t *name = r->p;
        r->p += nl;
        uint64_t len = get64(r);
        if (!has(r, len))
            break;
        if (named(name, nl, EXTRA_WASI)) {
            x->wasi = r->p;
            x->wasi_len = (size_t)len;
        } else if (named(name, nl, EXTRA_LAYER)) {
            x->layer = r->p;
            x->layer_len = (size_t)len;
        } else if (named(name, nl, EXTRA_HOT)) {
            x->hot = r->p;
            x->hot_len = (size_t)len;
        }
        r->p += len;
    }
}

/* Arrays for counts already bounded by the bytes left (calloc of n + 1,
 * so a count of 0 still allocates). */
static bool alloc_arrays(wb_inst_state *st, int which)
{
    switch (which) {
    case 0:
        st->mems = calloc(st->nmems + 1, sizeof *st->mems);
        for (uint32_t i = 0; st->mems && i < st->nmems; i++)
            st->mems[i].fd = -1;
        return st->mems;
    case 1: return (st->tables = calloc(st->ntables + 1, sizeof *st->tables));
    case 2: return (st->globals = calloc(st->nglobals + 1, sizeof *st->globals));
    case 3: return (st->elem_live = calloc(st->nelems + 1, 1));
    default: return (st->data_live = calloc(st->ndatas + 1, 1));
    }
}

static bool read_flags(rd *r, uint8_t *flags, uint32_t n)
{
    for (uint32_t i = 0; i < n && !r->bad; i++) {
        flags[i] = get8(r);
        if (flags[i] > 1)
            r->bad = true;
    }
    return !r->bad;
}

static wb_status read_state(rd *r, uint64_t data_len, wb_inst_state *st,
                            wb_error *err)
{
    st->nmems = get_count(r, 12);
    if (!alloc_arrays(st, 0))
        goto nomem;
    if (!read_mems(r, st, data_len))
        return malformed(err, "memory images");
    st->ntables = get_count(r, 5);
    if (!alloc_arrays(st, 1) || !read_tables(r, st))
        goto nomem;
    if (r->bad)
        return malformed(err, "tables");
    st->nglobals = get_count(r, 17);
    if (!alloc_arrays(st, 2))
        goto nomem;
    read_globals(r, st);
    st->nelems = get_count(r, 1);
    if (!alloc_arrays(st, 3))
        goto nomem;
    if (!read_flags(r, st->elem_live, st->nelems))
        return malformed(err, "element segments");
    st->ndatas = get_count(r, 1);
    if (!alloc_arrays(st, 4))
        goto nomem;
    if (!read_flags(r, st->data_live, st->ndatas))
        return malformed(err, "data segments");
    return r->bad ? malformed(err, "globals") : WB_OK;
nomem:
    return wb_err_set(err, WB_E_NOMEM, "out of memory for a snapshot");
}

wb_status wb_snapmeta_decode(const uint8_t *in, size_t len,
                             uint64_t data_len, wb_inst_state *st,
                             wb_snapextra *x, wb_error *err)
{
    rd r = { in, in + len, false };
    memset(st, 0, sizeof *st);
    memset(x, 0, sizeof *x);
    wb_status rc = read_state(&r, data_len, st, err);
    if (rc == WB_OK) {
        read_extras(&r, x);
        if (r.bad || r.p != r.end)
            rc = malformed(err, r.bad ? "extra sections" : "trailing bytes");
    }
    if (rc != WB_OK) {
        wb_state_free(st);
        memset(x, 0, sizeof *x);
    }
    return rc;
}
