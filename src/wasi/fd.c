/* fd.c: the guest's fd table and the byte-moving calls (fd_read, fd_write,
 * fd_pread, fd_pwrite, fd_seek, fd_tell, fd_close, fd_renumber). Each fd
 * kind (stdio, host file, tmpfs file, socket) is dispatched here. */
#include "wasi/wasi.h"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

wb_fdent *wb_fd_get(wb_wasi *w, uint32_t fd)
{
    if (fd >= w->nfds || w->fds[fd].kind == WB_FD_FREE)
        return NULL;
    return &w->fds[fd];
}

int wb_fd_table_cover(wb_wasi *w, uint32_t n)
{
    if (n <= w->nfds)
        return WE_SUCCESS;
    uint32_t cap = w->nfds ? w->nfds : 8;
    while (cap < n)
        cap *= 2;
    wb_fdent *t = realloc(w->fds, cap * sizeof *t);
    if (!t)
        return WE_NOMEM;
    memset(t + w->nfds, 0, (cap - w->nfds) * sizeof *t);
    for (uint32_t i = w->nfds; i < cap; i++)
        t[i].host = -1;
    w->fds = t;
    w->nfds = cap;
    return WE_SUCCESS;
}

/* Every way of making an fd (open, accept, pipe, dup, dup2, the
 * grants) ends here: numbers stay below WB_FD_NUM_MAX, as Linux keeps
 * them below RLIMIT_NOFILE (EMFILE when none is free there). */
int wb_fd_alloc_from(wb_wasi *w, uint32_t min, uint32_t *fd)
{
    if (w->nopen >= w->max_files)
        return WE_MFILE;
    for (uint32_t i = min; i < w->nfds && i < WB_FD_NUM_MAX; i++)
        if (w->fds[i].kind == WB_FD_FREE) {
            *fd = i;
            return WE_SUCCESS;
        }
    uint32_t at = min > w->nfds ? min : w->nfds;
    if (at >= WB_FD_NUM_MAX)
        return WE_MFILE;
    int rc = wb_fd_table_cover(w, at + 1);
    if (rc == WE_SUCCESS)
        *fd = at;
    return rc;
}

int wb_fd_alloc(wb_wasi *w, uint32_t *fd)
{
    return wb_fd_alloc_from(w, 0, fd);
}

void wb_fd_release(wb_fdent *e)
{
    if (e->kind == WB_FD_FREE)
        return;
    if (e->dir)
        closedir(e->dir);
    if (e->host >= 0)
        close(e->host);
    if (e->node)
        wb_tnode_unref(e->node);
    if (e->of && --e->of->refs == 0)
        free(e->of);
    free(e->preopen);
    memset(e, 0, sizeof *e);
    e->host = -1;
}

bool wb_disk_charge(wb_wasi *w, uint64_t n)
{
    if (w->t->disk_bytes + n > w->t->max_disk || w->t->disk_bytes + n < n)
        return false;
    w->t->disk_bytes += n;
    return true;
}

int wb_wasi_iovecs(wb_caller *c, uint32_t iovs, uint32_t n,
                   struct iovec *out, size_t *total)
{
    if (n > WB_IOV_MAX)
        return WE_INVAL;
    uint8_t *v = wb_gptr(c, iovs, (uint64_t)n * 8);
    if (!v)
        return WE_FAULT;
    uint64_t sum = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t p = wb_ld32(v + 8 * i), len = wb_ld32(v + 8 * i + 4);
        uint8_t *b = wb_gptr(c, p, len);
        if (!b)
            return WE_FAULT;
        out[i].iov_base = b;
        out[i].iov_len = len;
        sum += len;
    }
    if (sum > UINT32_MAX)     /* overlapping iovecs could sum past 4 GiB */
        return WE_INVAL;
    *total = (size_t)sum;
    return WE_SUCCESS;
}

int wb_wasi_path(wb_caller *c, uint32_t ptr, uint32_t len, char *buf)
{
    if (len >= WB_PATH_MAX)
        return WE_NAMETOOLONG;
    const uint8_t *p = wb_gptr(c, ptr, len);
    if (!p)
        return WE_FAULT;
    if (memchr(p, 0, len))
        return WE_INVAL;
    if (len == 0)
        return WE_NOENT;
    memcpy(buf, p, len);
    buf[len] = 0;
    return WE_SUCCESS;
}

static bool is_socket(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
}

/* Sockets, FIFOs, devices and stdin may block: they go through
 * wb_host_io, which keeps every wait wakeable by the run's deadline.
 * FIFOs and devices the guest opened stay O_NONBLOCK on the host for
 * their whole life (see open_host); the guest's NONBLOCK flag only
 * decides whether we wait. */
static int stream_io(wb_wasi *w, wb_fdent *e, int how, struct iovec *iov,
                     int n, int64_t off, size_t *done)
{
    wb_io io = { .fd = e->host, .iov = iov, .n = n, .off = off,
                 .how = how | (e->flags & WFD_NONBLOCK ? WB_IO_NOWAIT : 0) };
    if (e->kind == WB_FD_SOCK)
        io.how |= WB_IO_SOCK;
    else if (e->kind == WB_FD_HOST)
        io.how |= WB_IO_NB;
    else if (is_socket(e->host))    /* the embedder's stdin */
        io.how |= WB_IO_SOCK;
    int rc = wb_host_io(w, &io);
    *done = io.done;
    return rc;
}

/* Read into iov at `off` (< 0: current position). Returns a WASI errno,
 * or -1 when the run was cancelled. */
static int do_read(wb_wasi *w, wb_fdent *e, struct iovec *iov, int n,
                   int64_t off, size_t *done)
{
    ssize_t got;
    *done = 0;
    switch (e->kind) {
    case WB_FD_STDIN:
        if (off >= 0)
            return WE_SPIPE;
        if (e->host < 0)
            return WE_SUCCESS;              /* no stdin granted: EOF */
        return stream_io(w, e, WB_IO_STDIN, iov, n, -1, done);
    case WB_FD_TMPFS:
        if (wb_tnode_is_dir(e->node))
            return WE_ISDIR;
        *done = wb_tfs_read(e->node, off < 0 ? e->of->pos : (uint64_t)off, iov, n);
        if (off < 0)
            e->of->pos += *done;
        return WE_SUCCESS;
    case WB_FD_HOST:
    case WB_FD_SOCK:
        if (e->type == WF_DIR)
            return WE_ISDIR;
        if (e->type != WF_REG)
            return stream_io(w, e, 0, iov, n, off, done);
        got = off < 0 ? readv(e->host, iov, n) : preadv(e->host, iov, n, off);
        break;
    case WB_FD_VROOT:                       /* an image of /bin: empty */
        return e->type == WF_DIR ? WE_ISDIR : WE_SUCCESS;
    default:
        return WE_BADF;
    }
    if (got < 0)
        return wb_wasi_errno(errno);
    *done = (size_t)got;
    return WE_SUCCESS;
}

static wb_status read_common(wb_caller *c, wb_wasi *w, const wb_val *a,
                             wb_val *r, int64_t off, uint32_t outp)
{
    struct iovec iov[WB_IOV_MAX];
    size_t total, done = 0;
    wb_fdent *e;
    int rc = wb_fd_need(w, A32(0), WR_FD_READ | (off >= 0 ? WR_FD_SEEK : 0),
                        &e);
    if (rc)
        return wb_ret(r, rc);
    rc = wb_wasi_iovecs(c, A32(1), A32(2), iov, &total);
    if (rc == WE_SUCCESS && !wb_gptr(c, outp, 4))
        rc = WE_FAULT;
    if (rc == WE_SUCCESS)
        rc = do_read(w, e, iov, (int)A32(2), off, &done);
    if (rc < 0)
        return wb_wasi_stop(w, c, WB_OUTCOME_TIMEOUT, "timeout");
    if (rc == WE_SUCCESS)
        wb_put32(c, outp, (uint32_t)done);
    return wb_ret(r, rc);
}

WB_WASI_FN(fd_read)
{
    return read_common(c, WASI, a, r, -1, A32(3));
}

WB_WASI_FN(fd_pread)
{
    if (A64(3) > INT64_MAX)
        return wb_ret(r, WE_INVAL);
    return read_common(c, WASI, a, r, (int64_t)A64(3), A32(4));
}

/* Files: charge the disk budget before the bytes reach the host. */
static int file_write(wb_wasi *w, wb_fdent *e, struct iovec *iov, int n,
                      size_t total, int64_t off, size_t *done)
{
    if (e->ro)
        return WE_ROFS;
    if (e->kind == WB_FD_HOST && e->type == WF_DIR)
        return WE_ISDIR;
    if (e->kind == WB_FD_TMPFS) {
        if (wb_tnode_is_dir(e->node))
            return WE_ISDIR;
        uint64_t at = (e->flags & WFD_APPEND) ? wb_tnode_size(e->node)
                    : off >= 0 ? (uint64_t)off : e->of->pos;
        if (!wb_disk_charge(w, wb_write_cost(e, off, total)))
            return -2;
        int rc = wb_tfs_write(e->node, at, iov, n, done);
        if (off < 0 && rc == WE_SUCCESS && *done)    /* as Linux: an empty */
            e->of->pos = at + *done;      /* append leaves the position alone */
        return rc;
    }
    if (e->type != WF_REG)                  /* FIFOs, devices, sockets */
        return stream_io(w, e, WB_IO_WRITE, iov, n, off, done);
    if (!wb_disk_charge(w, wb_write_cost(e, off, total)))
        return -2;
    ssize_t put = off >= 0 ? pwritev(e->host, iov, n, off)
                           : writev(e->host, iov, n);
    if (put < 0)
        return wb_wasi_errno(errno);
    *done = (size_t)put;
    return WE_SUCCESS;
}

static wb_status write_common(wb_caller *c, wb_wasi *w, const wb_val *a,
                              wb_val *r, int64_t off, uint32_t outp)
{
    struct iovec iov[WB_IOV_MAX];
    size_t total, done = 0;
    int n = (int)A32(2);
    wb_fdent *e;
    int rc = wb_fd_need(w, A32(0), WR_FD_WRITE | (off >= 0 ? WR_FD_SEEK : 0),
                        &e);
    if (rc)
        return wb_ret(r, rc);
    rc = wb_wasi_iovecs(c, A32(1), A32(2), iov, &total);
    if (rc == WE_SUCCESS && !wb_gptr(c, outp, 4))
        rc = WE_FAULT;
    if (rc != WE_SUCCESS)
        return wb_ret(r, rc);
    if (e->kind == WB_FD_OUT) {
        if (off >= 0)
            return wb_ret(r, WE_SPIPE);
        wb_status st = wb_stdio_write(w, c, e->stream, iov, n, &done, &rc);
        if (st != WB_OK)
            return st;
    } else if (e->kind == WB_FD_STDIN) {
        rc = WE_BADF;
    } else {
        rc = file_write(w, e, iov, n, total, off, &done);
    }
    if (rc == -1)
        return wb_wasi_stop(w, c, WB_OUTCOME_TIMEOUT, "timeout");
    if (rc == -2)
        return wb_wasi_stop(w, c, WB_OUTCOME_DISK_LIMIT,
                            "disk limit exceeded");
    if (rc == WE_SUCCESS)
        wb_put32(c, outp, (uint32_t)done);
    return wb_ret(r, rc);
}

WB_WASI_FN(fd_write)
{
    return write_common(c, WASI, a, r, -1, A32(3));
}

WB_WASI_FN(fd_pwrite)
{
    if (A64(3) > INT64_MAX)
        return wb_ret(r, WE_INVAL);
    return write_common(c, WASI, a, r, (int64_t)A64(3), A32(4));
}

static int do_seek(wb_fdent *e, int64_t delta, uint32_t whence,
                   uint64_t *pos)
{
    if (whence > 2)
        return WE_INVAL;
    if (e->kind == WB_FD_TMPFS) {
        if (wb_tnode_is_dir(e->node))
            return WE_ISDIR;
        int64_t base = whence == 0 ? 0 : whence == 1 ? (int64_t)e->of->pos
                     : (int64_t)wb_tnode_size(e->node);
        if ((delta > 0 && base > INT64_MAX - delta) || base + delta < 0)
            return WE_INVAL;
        *pos = e->of->pos = (uint64_t)(base + delta);
        return WE_SUCCESS;
    }
    if (e->kind != WB_FD_HOST || e->type == WF_DIR)
        return e->type == WF_DIR ? WE_ISDIR : WE_SPIPE;
    static const int wh[] = { SEEK_SET, SEEK_CUR, SEEK_END };
    off_t o = lseek(e->host, delta, wh[whence]);
    if (o < 0)
        return wb_wasi_errno(errno);
    *pos = (uint64_t)o;
    return WE_SUCCESS;
}

WB_WASI_FN(fd_seek)
{
    uint64_t pos = 0;
    wb_fdent *e;
    int rc = wb_fd_need(WASI, A32(0), WR_FD_SEEK, &e);
    if (rc)
        return wb_ret(r, rc);
    if (!wb_gptr(c, A32(3), 8))
        return wb_ret(r, WE_FAULT);
    rc = do_seek(e, (int64_t)A64(1), A32(2), &pos);
    if (rc == WE_SUCCESS)
        wb_put64(c, A32(3), pos);
    return wb_ret(r, rc);
}

WB_WASI_FN(fd_tell)
{
    uint64_t pos = 0;
    wb_fdent *e;
    int rc = wb_fd_need(WASI, A32(0), WR_FD_TELL, &e);
    if (rc)
        return wb_ret(r, rc);
    if (!wb_gptr(c, A32(1), 8))
        return wb_ret(r, WE_FAULT);
    rc = do_seek(e, 0, 1, &pos);
    if (rc == WE_SUCCESS)
        wb_put64(c, A32(1), pos);
    return wb_ret(r, rc);
}

WB_WASI_FN(fd_close)
{
    wb_fdent *e = wb_fd_get(WASI, A32(0));
    if (!e)
        return wb_ret(r, WE_BADF);
    wb_fd_release(e);
    WASI->nopen--;
    return wb_ret(r, WE_SUCCESS);
}

/* Both must be open; `to` is closed and takes `from`'s place. */
WB_WASI_FN(fd_renumber)
{
    wb_fdent *from = wb_fd_get(WASI, A32(0)), *to = wb_fd_get(WASI, A32(1));
    if (!from || !to)
        return wb_ret(r, WE_BADF);
    if (from == to)
        return wb_ret(r, WE_SUCCESS);
    wb_fd_release(to);
    *to = *from;
    memset(from, 0, sizeof *from);
    from->host = -1;
    WASI->nopen--;
    return wb_ret(r, WE_SUCCESS);
}
