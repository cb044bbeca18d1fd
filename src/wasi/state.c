/*
 * state.c: the part of a WASI context a snapshot keeps (the bytes go into
 * the snapshot file's "wasi" section, src/snapshot).
 *
 *   argv and environment   restored as captured: the guest may already
 *                          hold them in memory, and must not see them
 *                          change under it
 *   clocks                 the guest's monotonic and CPU-time clocks at
 *                          capture; after a restore they continue from
 *                          there (an offset), so they never go back
 *   descriptor table       each fd's kind, type, preopen name, rights
 *                          and flags. Restoring checks the new context's
 *                          grants give the same preopens at the same fds
 *                          and takes over what the guest changed (closed
 *                          preopens, dropped rights, fdflags), never
 *                          adding a right the new context lacks
 *
 * Not covered yet (capture refuses them with a message): files and
 * directories the guest opened itself, sockets, tmpfs contents. The cwd
 * is no host state: wasi-libc keeps it in linear memory.
 */
#include "wasi/wasi.h"
#include <stdlib.h>
#include <string.h>

#define STATE_VERSION 1u
#define NO_NAME 0xffffffffu

typedef struct wbuf {
    uint8_t *p;
    size_t len, cap;
    bool failed;
} wbuf;

static void put(wbuf *b, const void *v, size_t n)
{
    if (b->failed)
        return;
    if (n > b->cap - b->len) {
        size_t cap = b->cap ? b->cap * 2 : 256;
        while (cap - b->len < n)
            cap *= 2;
        uint8_t *p = realloc(b->p, cap);
        if (!p) {
            b->failed = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, v, n);
    b->len += n;
}

static void put32(wbuf *b, uint32_t v)
{
    uint8_t x[4];
    wb_st32(x, v);
    put(b, x, 4);
}

static void put64(wbuf *b, uint64_t v)
{
    uint8_t x[8];
    wb_st64(x, v);
    put(b, x, 8);
}

static void put_str(wbuf *b, const char *s)
{
    if (!s) {
        put32(b, NO_NAME);
        return;
    }
    put32(b, (uint32_t)strlen(s));
    put(b, s, strlen(s));
}

static void put_strv(wbuf *b, char **v, size_t n)
{
    put32(b, (uint32_t)n);
    for (size_t i = 0; i < n; i++)
        put_str(b, v[i]);
}

/* What capture cannot express yet, or NULL. */
static const char *unsupported(const wb_fdent *e)
{
    switch (e->kind) {
    case WB_FD_HOST:
    case WB_FD_TMPFS:
        return e->preopen ? NULL : "a file or directory the guest opened";
    case WB_FD_VROOT:
        return e->preopen ? NULL : "a directory of the root \"/\"";
    case WB_FD_SOCK:
        return "a socket";
    default:
        return NULL;
    }
}

static uint32_t used_fds(const wb_wasi *w)
{
    uint32_t n = w->nfds;
    while (n && w->fds[n - 1].kind == WB_FD_FREE)
        n--;
    return n;
}

static void put_fd(wbuf *b, const wb_fdent *e)
{
    uint8_t head[4] = { e->kind, e->type, e->ro, 0 };
    put(b, head, sizeof head);
    put32(b, e->flags);
    put64(b, e->rights);
    put64(b, e->inherit);
    put_str(b, e->kind == WB_FD_FREE ? NULL : e->preopen);
}

wb_status wb_wasi_state_encode(const wb_wasi *w, uint8_t **out, size_t *len,
                               wb_error *err)
{
    uint32_t nfds = used_fds(w);
    for (uint32_t i = 0; i < nfds; i++) {
        const char *why = unsupported(&w->fds[i]);
        if (why)
            return wb_err_set(err, WB_E_ARG, "cannot snapshot this instance: "
                              "fd %u is %s (not covered by snapshots yet)",
                              i, why);
    }
    wbuf b = {0};
    put32(&b, STATE_VERSION);
    put_strv(&b, w->args, w->nargs);
    put_strv(&b, w->env, w->nenv);
    for (uint32_t id = 0; id < 4; id++) {
        uint64_t ns = 0;
        wb_wasi_clock_now(w, id, &ns);
        put64(&b, ns);
    }
    put32(&b, nfds);
    for (uint32_t i = 0; i < nfds; i++)
        put_fd(&b, &w->fds[i]);
    if (b.failed) {
        free(b.p);
        return wb_err_set(err, WB_E_NOMEM, "out of memory for a snapshot");
    }
    *out = b.p;
    *len = b.len;
    return WB_OK;
}

/* ---- applying ----------------------------------------------------------- */

typedef struct rbuf {
    const uint8_t *p, *end;
    bool bad;
} rbuf;

static const uint8_t *take(rbuf *r, uint64_t n)
{
    if (r->bad || n > (uint64_t)(r->end - r->p)) {
        r->bad = true;
        return NULL;
    }
    r->p += n;
    return r->p - n;
}

static uint32_t get32(rbuf *r)
{
    const uint8_t *p = take(r, 4);
    return p ? wb_ld32(p) : 0;
}

static uint64_t get64(rbuf *r)
{
    const uint8_t *p = take(r, 8);
    return p ? wb_ld64(p) : 0;
}

/* A copy of the next string (NULL for none, or on error: r->bad). */
static char *get_str(rbuf *r, bool *none)
{
    uint32_t n = get32(r);
    *none = n == NO_NAME && !r->bad;
    if (*none)
        return NULL;
    const uint8_t *p = take(r, n);
    if (!p || memchr(p, 0, n))
        return (r->bad = true), NULL;
    char *s = malloc((size_t)n + 1);
    if (s) {
        memcpy(s, p, n);
        s[n] = 0;
    }
    return s;
}

static void free_strv(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

/* Each string takes at least its 4-byte length: the count is bounded by
 * what is left before anything is allocated. */
static bool get_strv(rbuf *r, char ***out, size_t *nout)
{
    uint32_t n = get32(r);
    if (r->bad || n > (uint64_t)(r->end - r->p) / 4)
        return !(r->bad = true);
    char **v = calloc((size_t)n + 1, sizeof *v);
    bool none;
    for (uint32_t i = 0; v && i < n && !r->bad; i++)
        if (!(v[i] = get_str(r, &none)))
            r->bad = true;
    if (!v || r->bad) {
        free_strv(v, n);
        return false;
    }
    *out = v;
    *nout = n;
    return true;
}

static wb_status mismatch(wb_error *err, uint32_t fd, const char *what)
{
    return wb_err_set(err, WB_E_SNAPSHOT, "snapshot does not fit this "
                      "sandbox: fd %u: %s", fd, what);
}

typedef struct fdrec {
    uint8_t kind, type, ro;
    uint16_t flags;
    uint64_t rights, inherit;
    char *preopen;
} fdrec;

static bool get_fd(rbuf *r, fdrec *f)
{
    const uint8_t *h = take(r, 4);
    bool none;
    memset(f, 0, sizeof *f);
    if (!h)
        return false;
    f->kind = h[0];
    f->type = h[1];
    f->ro = h[2];
    f->flags = (uint16_t)get32(r);
    f->rights = get64(r);
    f->inherit = get64(r);
    f->preopen = get_str(r, &none);
    return !r->bad && (none || f->preopen);
}

/* The new context's fd `i` against the captured one. */
static wb_status match_fd(wb_wasi *w, uint32_t i, const fdrec *f,
                          wb_error *err)
{
    wb_fdent *e = wb_fd_get(w, i);
    if (f->kind == WB_FD_FREE) {
        if (e) {                          /* the guest had closed it */
            wb_fd_release(e);
            w->nopen--;
        }
        return WB_OK;
    }
    if (!e || e->kind != f->kind)
        return mismatch(err, i, "another kind of descriptor (grants "
                        "differ)");
    if ((e->preopen == NULL) != (f->preopen == NULL) ||
        (e->preopen && strcmp(e->preopen, f->preopen)) || e->ro != f->ro)
        return mismatch(err, i, "another preopened directory (grants "
                        "differ)");
    e->rights &= f->rights;
    e->inherit &= f->inherit;
    e->flags = f->flags;
    return WB_OK;
}

static wb_status apply_fds(wb_wasi *w, rbuf *r, wb_error *err)
{
    uint32_t n = get32(r);
    if (r->bad || n > (uint64_t)(r->end - r->p) / 24)
        return wb_err_set(err, WB_E_SNAPSHOT, "snapshot refused: malformed "
                          "WASI state (descriptors)");
    for (uint32_t i = 0; i < n; i++) {
        fdrec f;
        bool ok = get_fd(r, &f);
        wb_status st = ok ? match_fd(w, i, &f, err)
            : wb_err_set(err, WB_E_SNAPSHOT, "snapshot refused: malformed "
                         "WASI state (descriptor %u)", i);
        free(f.preopen);
        if (st != WB_OK)
            return st;
    }
    for (uint32_t i = n; i < w->nfds; i++)
        if (w->fds[i].kind != WB_FD_FREE)
            return mismatch(err, i, "a grant the snapshot did not have");
    return WB_OK;
}

static void apply_clocks(wb_wasi *w, const uint64_t then[4])
{
    for (uint32_t id = 1; id < 4; id++) {
        uint64_t now;
        w->clock_offset[id] = 0;
        if (wb_wasi_clock_now(w, id, &now) && then[id] > now)
            w->clock_offset[id] = then[id] - now;
    }
}

wb_status wb_wasi_state_apply(wb_wasi *w, const uint8_t *in, size_t len,
                              wb_error *err)
{
    rbuf r = { in, in + len, false };
    char **args = NULL, **env = NULL;
    size_t nargs = 0, nenv = 0;
    uint64_t clocks[4];
    if (get32(&r) != STATE_VERSION || !get_strv(&r, &args, &nargs) ||
        !get_strv(&r, &env, &nenv)) {
        free_strv(args, nargs);
        return wb_err_set(err, WB_E_SNAPSHOT, "snapshot refused: malformed "
                          "WASI state");
    }
    for (int i = 0; i < 4; i++)
        clocks[i] = get64(&r);
    wb_status st = apply_fds(w, &r, err);
    if (st == WB_OK && (r.bad || r.p != r.end))
        st = wb_err_set(err, WB_E_SNAPSHOT, "snapshot refused: malformed "
                        "WASI state (trailing bytes)");
    if (st != WB_OK) {
        free_strv(args, nargs);
        free_strv(env, nenv);
        return st;
    }
    free_strv(w->args, w->nargs);
    free_strv(w->env, w->nenv);
    w->args = args;
    w->nargs = nargs;
    w->env = env;
    w->nenv = nenv;
    apply_clocks(w, clocks);
    return WB_OK;
}
