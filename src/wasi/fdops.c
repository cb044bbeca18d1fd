/* fdops.c: the fd-table functions of the wasmbox_proc import module
 * (docs/processes.md): pipe, dup, dup2, cloexec; and the images exec and
 * spawn run (wb_wasi_set_images, wb_wasi_load_image).
 *
 * A pipe is a host pipe, O_NONBLOCK and O_CLOEXEC on the host: its ends
 * are WB_FD_HOST entries of no WASI type, like a FIFO the guest opened,
 * so reads and writes go through hostio.c's waits (bounded by the
 * deadline, the tree lock released), writes without readers answer
 * EPIPE with no signal (wb_write_nosig), and reads see end of file once
 * every write end of the tree is closed: each process's end is a dup of
 * the same host pipe, and none ever reaches a host child (O_CLOEXEC). */
#include "wasi/wasi.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- pipe, dup, dup2, cloexec -------------------------------------------------- */

static void pipe_end(wb_fdent *e, int host)
{
    memset(e, 0, sizeof *e);
    e->kind = WB_FD_HOST;
    e->type = WF_UNKNOWN;          /* neither a tty nor seekable */
    e->host = host;
    wb_rights_of(WF_UNKNOWN, false, &e->rights, &e->inherit);
}

static WB_WASI_FN(pipe)
{
    wb_wasi *w = WASI;
    uint32_t rfd, wfd;
    int p[2];
    if (!wb_gptr(c, A32(0), 8))
        return wb_ret(r, WE_FAULT);
    int rc = wb_fd_alloc(w, &rfd);
    if (rc)
        return wb_ret(r, rc);
    w->fds[rfd].kind = WB_FD_HOST;          /* taken while finding wfd */
    w->nopen++;
    rc = wb_fd_alloc(w, &wfd);
    if (rc == WE_SUCCESS && pipe2(p, O_CLOEXEC | O_NONBLOCK) != 0)
        rc = wb_wasi_errno(errno);
    if (rc) {
        w->fds[rfd].kind = WB_FD_FREE;
        w->nopen--;
        return wb_ret(r, rc);
    }
    pipe_end(&w->fds[rfd], p[0]);
    pipe_end(&w->fds[wfd], p[1]);
    w->nopen++;
    wb_put32(c, A32(0), rfd);
    wb_put32(c, A32(0) + 4, wfd);
    return wb_ret(r, WE_SUCCESS);
}

/* (fd, min, fd_out): F_DUPFD. */
static WB_WASI_FN(dup)
{
    wb_wasi *w = WASI;
    uint32_t nfd;
    if (!wb_fd_get(w, A32(0)))
        return wb_ret(r, WE_BADF);
    if (A32(1) >= WB_FD_NUM_MAX)
        return wb_ret(r, WE_INVAL);
    if (!wb_gptr(c, A32(2), 4))
        return wb_ret(r, WE_FAULT);
    int rc = wb_fd_alloc_from(w, A32(1), &nfd);
    if (rc == WE_SUCCESS)       /* the table may have moved */
        rc = wb_fd_dup_ent(wb_fd_get(w, A32(0)), &w->fds[nfd]);
    if (rc)
        return wb_ret(r, rc);
    w->nopen++;
    wb_put32(c, A32(2), nfd);
    return wb_ret(r, WE_SUCCESS);
}

/* (fd, to): dup2. `to` is closed only once the copy exists. */
static WB_WASI_FN(dup2)
{
    wb_wasi *w = WASI;
    uint32_t from = A32(0), to = A32(1);
    wb_fdent copy;
    if (!wb_fd_get(w, from) || to >= WB_FD_NUM_MAX)
        return wb_ret(r, WE_BADF);
    if (from == to)
        return wb_ret(r, WE_SUCCESS);
    bool open = wb_fd_get(w, to) != NULL;
    if (!open && w->nopen >= w->max_files)
        return wb_ret(r, WE_MFILE);
    int rc = wb_fd_dup_ent(wb_fd_get(w, from), &copy);
    if (rc == WE_SUCCESS && !open) {
        uint32_t got;                   /* grows the table to hold `to` */
        rc = wb_fd_alloc_from(w, to, &got);
        if (rc)
            wb_fd_release(&copy);
    }
    if (rc)
        return wb_ret(r, rc);
    if (open)
        wb_fd_release(&w->fds[to]);
    else
        w->nopen++;
    w->fds[to] = copy;
    return wb_ret(r, WE_SUCCESS);
}

/* (fd, on): FD_CLOEXEC. */
static WB_WASI_FN(cloexec)
{
    wb_fdent *e = wb_fd_get(WASI, A32(0));
    if (!e)
        return wb_ret(r, WE_BADF);
    e->cloexec = A32(1) != 0;
    return wb_ret(r, WE_SUCCESS);
}

#define WB_FDOPS_LIST(F)                                                   \
    F(pipe, "i") F(dup, "iii") F(dup2, "ii") F(cloexec, "ii")

WB_FDOPS_LIST(WB_WASI_LOCKED)

wb_status wb_wasi_define_fdops(wb_wasi *w, wb_store *s, wb_linker *l,
                               wb_error *err)
{
    static const wb_wasi_func fns[] = {
#define F(n, s) { #n, s, locked_##n },
        WB_FDOPS_LIST(F)
#undef F
    };
    return wb_wasi_define_funcs(w, s, l, "wasmbox_proc", fns,
                                sizeof fns / sizeof *fns, err);
}

/* ---- images ---------------------------------------------------------------------- */

static bool name_ok(const char *n)
{
    size_t len = strlen(n);
    return len && len <= NAME_MAX && !strchr(n, '/') && strcmp(n, ".") &&
           strcmp(n, "..");
}

int wb_wasi_set_images(wb_wasi *w, const char *const *names, size_t n)
{
    wb_wtree *t = w->t;
    for (size_t i = 0; i < n; i++)
        if (!name_ok(names[i]))
            return WE_INVAL;
    char **copy = wb_strv_copy((char *const *)names, n);
    if (!copy)
        return WE_NOMEM;
    wb_strv_free(t->images, t->nimages);
    t->images = copy;
    t->nimages = n;
    return t->vroot ? wb_vroot_set_images(t->vroot, copy, n) : WE_SUCCESS;
}

bool wb_wasi_is_image(const wb_wasi *w, const char *name)
{
    for (size_t i = 0; i < w->t->nimages; i++)
        if (!strcmp(w->t->images[i], name))
            return true;
    return false;
}

/* The next component of *s (no empty ones, no "."), or false at the end. */
static bool next_comp(const char **s, const char **c, size_t *n)
{
    for (;;) {
        while (**s == '/')
            (*s)++;
        if (!**s)
            return false;
        *c = *s;
        *n = strcspn(*s, "/");
        *s += *n;
        if (!(*n == 1 && **c == '.'))
            return true;
    }
}

static bool comp_is(const char *c, size_t n, const char *want)
{
    return n == strlen(want) && !memcmp(c, want, n);
}

/* "/bin/NAME" or "/usr/bin/NAME" (as the guest spells it: empty and "."
 * components aside, but NAME last) naming a registered image: its name
 * into out. "/bin/NAME/" and "/bin/NAME/." are not (the resolution
 * through the root answers ENOTDIR, as Linux). */
static bool image_path(const wb_wasi *w, const char *path, char *out)
{
    const char *s = path, *c[4], *last = strrchr(path, '/');
    size_t n[4], k = 0;
    if (path[0] != '/' || !last[1] || !strcmp(last, "/."))
        return false;
    while (k < 4 && next_comp(&s, &c[k], &n[k]))
        k++;
    if (next_comp(&s, &c[0], &n[0]) || k < 2 || n[k - 1] > NAME_MAX)
        return false;
    bool bin = (k == 2 && comp_is(c[0], n[0], "bin")) ||
               (k == 3 && comp_is(c[0], n[0], "usr") &&
                comp_is(c[1], n[1], "bin"));
    if (!bin)
        return false;
    memcpy(out, c[k - 1], n[k - 1]);
    out[n[k - 1]] = 0;
    return wb_wasi_is_image(w, out);
}

/* As many leading components of `path` as preopen `pre` has, equal to
 * them: that count (0 for "/"), or -1. *rest: what follows in path. */
static long prefix_len(const char *pre, const char *path, const char **rest)
{
    const char *p = pre, *s = path, *a, *b;
    size_t na, nb;
    long k = 0;
    while (next_comp(&p, &a, &na)) {
        if (!next_comp(&s, &b, &nb) || na != nb || memcmp(a, b, na))
            return -1;
        k++;
    }
    *rest = s;
    return k;
}

/* The preopen wasi-libc would send absolute `path` to: the longest
 * match, the later fd among equals. *rest: the path beneath it. */
static wb_fdent *find_preopen(wb_wasi *w, const char *path,
                              const char **rest)
{
    wb_fdent *best = NULL;
    long best_len = -1;
    for (uint32_t i = 3; i < w->nfds; i++) {
        wb_fdent *e = &w->fds[i];
        const char *r;
        long k = e->preopen ? prefix_len(e->preopen, path, &r) : -1;
        if (k >= 0 && k >= best_len) {
            best = e;
            best_len = k;
            *rest = r;
        }
    }
    return best;
}

static int check_size(uint64_t size)
{
    return size > WB_IMAGE_MAX ? WE_FBIG : WE_SUCCESS;
}

static uint64_t ts_ns(struct timespec t)
{
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* A regular file of a host grant, open: its identity from fstat. */
static int open_host(const wb_fdent *d, const char *rel, wb_image_file *f)
{
    int fd, rc = wb_resolve_open(d->host, rel, O_RDONLY | O_NONBLOCK |
                                 O_NOCTTY, 0, true, &fd);
    if (rc)
        return rc;
    struct stat st;
    if (fstat(fd, &st) != 0)
        rc = wb_wasi_errno(errno);
    else if (!S_ISREG(st.st_mode))
        rc = WE_ACCES;                     /* as execve(2) */
    else
        rc = check_size((uint64_t)st.st_size);
    if (rc) {
        close(fd);
        return rc;
    }
    *f = (wb_image_file){ .id = { 1, st.st_dev, st.st_ino,
                                  ts_ns(st.st_mtim), ts_ns(st.st_ctim) },
                          .size = (uint64_t)st.st_size, .fd = fd };
    return WE_SUCCESS;
}

static int open_tmp(const wb_fdent *d, const char *rel, wb_image_file *f)
{
    wb_tnode *n;
    int rc = wb_tfs_lookup(d->node, rel, true, &n);
    if (rc)
        return rc;
    if (wb_tnode_type(n) != WF_REG)
        return WE_ACCES;
    wb_fstat st;
    wb_tfs_stat(n, &st);
    if ((rc = check_size(st.size)))
        return rc;
    wb_tnode_ref(n);
    *f = (wb_image_file){ .id = { 2, st.dev, st.ino, st.mtim, st.ctim },
                          .size = st.size, .fd = -1, .node = n };
    return WE_SUCCESS;
}

int wb_image_read(wb_image_file *f, uint64_t off, uint8_t *buf, size_t cap,
                  size_t *len)
{
    size_t got = 0;
    if (f->node) {
        struct iovec iov = { buf, cap };
        *len = wb_tfs_read(f->node, off, &iov, 1);
        return WE_SUCCESS;
    }
    while (got < cap) {
        ssize_t k = pread(f->fd, buf + got, cap - got, (off_t)(off + got));
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return wb_wasi_errno(errno);
        if (k == 0)
            break;                         /* it shrank: what is there */
        got += (size_t)k;
    }
    *len = got;
    return WE_SUCCESS;
}

void wb_image_close(wb_image_file *f)
{
    if (f->fd >= 0)
        close(f->fd);
    if (f->node)
        wb_tnode_unref(f->node);
    f->fd = -1;
    f->node = NULL;
}

/* `path` through w's own preopens, as the guest's open() would go. */
static int load_file(wb_wasi *w, const char *path, char **name,
                     wb_image_file *f)
{
    char rel[WB_PATH_MAX];
    const char *rest = NULL;
    wb_fdent *d = find_preopen(w, path, &rest), view;
    if (!d)
        return WE_NOENT;            /* no preopen at all: nothing is there */
    while (*rest == '/')
        rest++;
    snprintf(rel, sizeof rel, "%s", *rest ? rest : ".");
    if (!(d->rights & WR_PATH_OPEN) || !(d->inherit & WR_FD_READ))
        return WE_NOTCAPABLE;
    if (d->kind == WB_FD_VROOT) {
        int rc = wb_vroot_enter(d, rel, &view);
        if (rc)
            return rc;
        d = &view;
        if (d->kind == WB_FD_VROOT) {
            const char *img = wb_vroot_image(d->vnode);
            if (!img)
                return WE_ACCES;           /* a directory */
            return (*name = strdup(img)) ? WE_SUCCESS : WE_NOMEM;
        }
    }
    return d->kind == WB_FD_TMPFS ? open_tmp(d, rel, f)
                                  : open_host(d, rel, f);
}

int wb_wasi_load_image(wb_wasi *w, const char *path, char **name,
                       wb_image_file *f)
{
    char abs[WB_PATH_MAX], img[NAME_MAX + 1];
    *name = NULL;
    *f = (wb_image_file){ .fd = -1 };
    if (!*path)
        return WE_NOENT;
    if (strlen(path) + 2 > sizeof abs)
        return WE_NAMETOOLONG;
    /* the guest resolves its cwd itself: what is left is relative to "/" */
    snprintf(abs, sizeof abs, "%s%s", path[0] == '/' ? "" : "/", path);
    if (image_path(w, abs, img))
        return (*name = strdup(img)) ? WE_SUCCESS : WE_NOMEM;
    return load_file(w, abs, name, f);
}
