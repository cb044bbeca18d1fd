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
 *   files the guest opened regular files and directories under a host
 *                          directory grant: the grant's fd, the path
 *                          inside it, the access mode and the offset;
 *                          reopened beneath the new context's grant
 *
 * Not covered yet (capture refuses them with a message): FIFOs and
 * devices, sockets, files under tmpfs grants and tmpfs contents. The cwd
 * is no host state: wasi-libc keeps it in linear memory.
 */
#include "wasi/wasi.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
        return e->preopen || e->type == WF_REG || e->type == WF_DIR ? NULL
               : "a FIFO or device";
    case WB_FD_TMPFS:
        return e->preopen ? NULL : "a file or directory under a tmpfs grant";
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

/* The host path of fd (readlink of /proc/self/fd), or false. */
static bool host_path(int fd, char *buf, size_t cap)
{
    char link[64];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, buf, cap - 1);
    if (n <= 0 || (size_t)n >= cap - 1)
        return false;
    buf[n] = 0;
    return buf[0] == '/';
}

/* A file the guest opened under a host grant, as the grant's fd and the
 * path inside it. */
typedef struct opened {
    uint32_t grant;
    char rel[PATH_MAX];
    uint32_t how;                      /* O_ACCMODE and O_APPEND bits */
    uint64_t offset;
} opened;

static uint32_t grant_of(const wb_wasi *w, const wb_fdent *e)
{
    for (uint32_t i = 0; i < w->nfds; i++) {
        const wb_fdent *g = &w->fds[i];
        if (g->kind == WB_FD_HOST && g->preopen &&
            g->root.dev == e->root.dev && g->root.ino == e->root.ino)
            return i;
    }
    return UINT32_MAX;
}

/* NULL, or why the file cannot be described by its path: it was deleted
 * or moved out of its grant since it was opened. */
static const char *describe(const wb_wasi *w, const wb_fdent *e, opened *o)
{
    char file[PATH_MAX], root[PATH_MAX];
    o->grant = grant_of(w, e);
    if (o->grant == UINT32_MAX)
        return "a file of a grant that is closed";
    if (!host_path(e->host, file, sizeof file) ||
        !host_path(w->fds[o->grant].host, root, sizeof root))
        return "a file whose path cannot be read";
    size_t n = strlen(root);
    bool top = !strcmp(root, "/");
    if (strncmp(file, root, n) || (!top && file[n] && file[n] != '/'))
        return "a file moved out of its grant";
    const char *rel = file + (top ? 1 : n);
    rel += *rel == '/';
    snprintf(o->rel, sizeof o->rel, "%s", *rel ? rel : ".");
    struct stat st;
    if (fstat(e->host, &st) != 0 || st.st_nlink == 0)
        return "a file deleted since it was opened";
    int fl = fcntl(e->host, F_GETFL);
    off_t off = e->type == WF_REG ? lseek(e->host, 0, SEEK_CUR) : 0;
    if (fl < 0 || off < 0)
        return "a file whose mode or offset cannot be read";
    o->how = (uint32_t)(fl & (O_ACCMODE | O_APPEND));
    o->offset = (uint64_t)off;
    return NULL;
}

static void put_fd(wbuf *b, const wb_fdent *e, const opened *o)
{
    uint8_t head[4] = { e->kind, e->type, e->ro, o != NULL };
    put(b, head, sizeof head);
    put32(b, e->flags);
    put64(b, e->rights);
    put64(b, e->inherit);
    put_str(b, e->kind == WB_FD_FREE ? NULL : e->preopen);
    if (o) {
        put32(b, o->grant);
        put_str(b, o->rel);
        put32(b, o->how);
        put64(b, o->offset);
    }
}

/* Every fd into `b`, or the reason one cannot be (a static string). */
static const char *put_fds(wbuf *b, const wb_wasi *w, uint32_t nfds,
                           uint32_t *bad)
{
    opened o;
    for (uint32_t i = 0; i < nfds; i++) {
        const wb_fdent *e = &w->fds[i];
        const char *why = unsupported(e);
        bool file = e->kind == WB_FD_HOST && !e->preopen;
        if (!why && file)
            why = describe(w, e, &o);
        if (why) {
            *bad = i;
            return why;
        }
        put_fd(b, e, file ? &o : NULL);
    }
    return NULL;
}

wb_status wb_wasi_state_encode(const wb_wasi *w, uint8_t **out, size_t *len,
                               wb_error *err)
{
    uint32_t nfds = used_fds(w), bad = 0;
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
    const char *why = put_fds(&b, w, nfds, &bad);
    if (why) {
        free(b.p);
        return wb_err_set(err, WB_E_ARG, "cannot snapshot this instance: "
                          "fd %u is %s (not covered by snapshots)", bad, why);
    }
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
    bool file;                         /* a file the guest opened */
    uint16_t flags;
    uint64_t rights, inherit;
    char *preopen;
    uint32_t grant, how;               /* a file: as in `opened` */
    char *rel;
    uint64_t offset;
} fdrec;

static bool get_fd(rbuf *r, fdrec *f)
{
    const uint8_t *h = take(r, 4);
    bool none;
    memset(f, 0, sizeof *f);
    if (!h || h[3] > 1)
        return (r->bad = true), false;
    f->kind = h[0];
    f->type = h[1];
    f->ro = h[2];
    f->file = h[3];
    f->flags = (uint16_t)get32(r);
    f->rights = get64(r);
    f->inherit = get64(r);
    f->preopen = get_str(r, &none);
    if (r->bad || (!none && !f->preopen))
        return false;
    if (!f->file)
        return true;
    f->grant = get32(r);
    f->rel = get_str(r, &none);
    f->how = get32(r);
    f->offset = get64(r);
    return !r->bad && f->rel && f->kind == WB_FD_HOST && !f->preopen;
}

/* The new context's fd `i` against a captured stdio fd or preopen. */
static wb_status match_fd(wb_wasi *w, uint32_t i, const fdrec *f,
                          wb_error *err)
{
    wb_fdent *e = wb_fd_get(w, i);
    if (f->kind == WB_FD_FREE || f->file) {
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

/* Make slot i exist. */
static bool reserve_slot(wb_wasi *w, uint32_t i)
{
    return wb_fd_table_cover(w, i + 1) == WE_SUCCESS;
}

/* Reopen a file the guest had open, beneath the same grant, at its
 * offset; rights as captured but never beyond what the grant gives. */
static wb_status reopen(wb_wasi *w, uint32_t i, const fdrec *f,
                        wb_error *err)
{
    const wb_fdent *g = wb_fd_get(w, f->grant);
    if (!g || g->kind != WB_FD_HOST || !g->preopen)
        return mismatch(err, i, "its grant is not here");
    if (w->nopen >= w->max_files || !reserve_slot(w, i))
        return mismatch(err, i, "more open files than max-files");
    g = &w->fds[f->grant];
    int how = (int)(f->how & (O_ACCMODE | O_APPEND)), fd;
    if (g->ro && (how & O_ACCMODE) != O_RDONLY)
        return mismatch(err, i, "opened for writing, its grant is "
                        "read-only here");
    how |= O_NOCTTY | (f->type == WF_DIR ? O_DIRECTORY : 0);
    struct stat st;
    int rc = wb_resolve_open(g->host, f->rel, how, 0, false, &fd);
    if (rc != WE_SUCCESS)
        return wb_err_set(err, WB_E_SNAPSHOT, "snapshot does not fit this "
                          "sandbox: fd %u: %s: cannot reopen it in grant "
                          "%s (WASI errno %d)", i, f->rel, g->preopen, rc);
    if (fstat(fd, &st) != 0 || wb_filetype_mode(st.st_mode) != f->type ||
        (f->type == WF_REG && lseek(fd, (off_t)f->offset, SEEK_SET) < 0)) {
        close(fd);
        return mismatch(err, i, "the file changed type since the snapshot");
    }
    wb_fdent *e = &w->fds[i];
    uint64_t tb, ti;
    wb_rights_of(f->type, g->ro, &tb, &ti);
    *e = (wb_fdent){ .kind = WB_FD_HOST, .type = f->type, .ro = g->ro,
                     .flags = f->flags, .host = fd, .root = g->root,
                     .rights = f->rights & tb, .inherit = f->inherit & ti };
    w->nopen++;
    return WB_OK;
}

static void free_recs(fdrec *recs, uint32_t n)
{
    for (uint32_t i = 0; recs && i < n; i++) {
        free(recs[i].preopen);
        free(recs[i].rel);
    }
    free(recs);
}

/* Stdio and preopens first, then the files, which need their grants. */
static wb_status apply_fds(wb_wasi *w, rbuf *r, wb_error *err)
{
    uint32_t n = get32(r);
    if (r->bad || n > (uint64_t)(r->end - r->p) / 24)
        return wb_err_set(err, WB_E_SNAPSHOT, "snapshot refused: malformed "
                          "WASI state (descriptors)");
    fdrec *recs = calloc((size_t)n + 1, sizeof *recs);
    if (!recs)
        return wb_err_set(err, WB_E_NOMEM, "out of memory for a snapshot");
    wb_status st = WB_OK;
    for (uint32_t i = 0; i < n && st == WB_OK; i++)
        if (!get_fd(r, &recs[i]))
            st = wb_err_set(err, WB_E_SNAPSHOT, "snapshot refused: "
                            "malformed WASI state (descriptor %u)", i);
    for (uint32_t i = 0; i < n && st == WB_OK; i++)
        st = match_fd(w, i, &recs[i], err);
    for (uint32_t i = n; i < w->nfds && st == WB_OK; i++)
        if (w->fds[i].kind != WB_FD_FREE)
            st = mismatch(err, i, "a grant the snapshot did not have");
    for (uint32_t i = 0; i < n && st == WB_OK; i++)
        if (recs[i].file)
            st = reopen(w, i, &recs[i], err);
    free_recs(recs, n);
    return st;
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
