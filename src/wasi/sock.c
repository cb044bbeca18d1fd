/* sock.c: sock_accept/recv/send/shutdown on sockets the embedder granted
 * (WB_GRANT_SOCKET). Nothing here creates or connects a socket. Blocking
 * calls wait through wb_wait so a timeout of the run wakes them; data
 * moves through hostio.c with MSG_DONTWAIT, so the flags of a borrowed
 * socket are never changed. */
#include "wasi/wasi.h"
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

/* A socket holding the rights `need`. */
static int sock_of(wb_wasi *w, uint32_t fd, uint64_t need, wb_fdent **e)
{
    int rc = wb_fd_need(w, fd, need, e);
    if (rc == WE_BADF)
        return rc;
    return (*e)->kind == WB_FD_SOCK ? rc : WE_NOTSOCK;
}

static wb_status stop(wb_caller *c, wb_wasi *w)
{
    return wb_wasi_stop(w, c, WB_OUTCOME_TIMEOUT, "timeout");
}

/* accept4 after a wakeable wait; the listener may be a borrowed blocking
 * socket, so only a connection someone else accepts between the wait and
 * the call could make it block: an embedder that shares one listener
 * between sandboxes must make it non-blocking. */
static int accept_one(wb_wasi *w, wb_fdent *e, int *s)
{
    bool nowait = e->flags & WFD_NONBLOCK;
    for (;;) {
        struct pollfd p = { .fd = e->host, .events = POLLIN };
        int rc = wb_wait(w, &p, 1, nowait ? 0 : -1);
        if (rc)
            return rc;
        if (!p.revents)
            return WE_AGAIN;
        if (!wb_still_ready(w, &p))      /* a forked process took it */
            continue;
        *s = accept4(e->host, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (*s >= 0)
            return WE_SUCCESS;
        if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)
            return wb_wasi_errno(errno);
        if (nowait && errno != EINTR)
            return WE_AGAIN;
    }
}

WB_WASI_FN(sock_accept)
{
    wb_wasi *w = WASI;
    wb_fdent *e;
    uint32_t nfd;
    int rc = sock_of(w, A32(0), WR_SOCK_ACCEPT, &e);
    if (rc == WE_SUCCESS && (A32(1) & ~(uint32_t)WFD_NONBLOCK))
        rc = WE_INVAL;
    if (rc == WE_SUCCESS && !wb_gptr(c, A32(2), 4))
        rc = WE_FAULT;
    if (rc == WE_SUCCESS)
        rc = wb_fd_alloc(w, &nfd);
    if (rc)
        return wb_ret(r, rc);
    e = wb_fd_get(w, A32(0));       /* the table may have moved */
    int listening = 0;
    socklen_t len = sizeof listening;
    if (getsockopt(e->host, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) ||
        !listening)
        return wb_ret(r, WE_INVAL);  /* would otherwise wait forever */
    int s;
    if ((rc = accept_one(w, e, &s)) < 0)
        return stop(c, w);
    if (rc)
        return wb_ret(r, rc);
    /* ours, so always non-blocking on the host (hostio.c); the guest's
     * NONBLOCK lives in the table */
    wb_fdent *n = &w->fds[nfd];
    memset(n, 0, sizeof *n);
    n->kind = WB_FD_SOCK;
    n->type = WF_SOCK_STREAM;
    n->host = s;
    n->flags = (uint16_t)(A32(1) & WFD_NONBLOCK);
    wb_rights_of(n->type, false, &n->rights, &n->inherit);
    n->rights &= e->inherit;        /* what the listener may hand down */
    n->inherit &= e->inherit;
    w->nopen++;
    wb_put32(c, A32(2), nfd);
    return wb_ret(r, WE_SUCCESS);
}

/* Data on a socket through hostio.c: MSG_DONTWAIT and wakeable waits. */
static int sock_io(wb_wasi *w, wb_fdent *e, int how, struct iovec *iov,
                   int n, size_t *done, int *msg_flags)
{
    wb_io io = { .fd = e->host, .iov = iov, .n = n, .off = -1,
                 .how = how | WB_IO_SOCK |
                        (e->flags & WFD_NONBLOCK ? WB_IO_NOWAIT : 0) };
    int rc = wb_host_io(w, &io);
    *done = io.done;
    *msg_flags = io.msg_flags;
    return rc;
}

/* The iovec array is copied out of guest memory and the result pointers
 * checked before any byte moves; the results are stored last. */
WB_WASI_FN(sock_recv)
{
    wb_wasi *w = WASI;
    wb_fdent *e;
    struct iovec iov[WB_IOV_MAX];
    size_t total, done = 0;
    int mflags = 0;
    uint32_t rif = A32(3);
    int rc = sock_of(w, A32(0), WR_FD_READ, &e);
    if (rc == WE_SUCCESS)
        rc = wb_wasi_iovecs(c, A32(1), A32(2), iov, &total);
    if (rc == WE_SUCCESS && (!wb_gptr(c, A32(4), 4) || !wb_gptr(c, A32(5), 2)))
        rc = WE_FAULT;
    if (rc == WE_SUCCESS && (rif & ~3u))
        rc = WE_INVAL;
    if (rc == WE_SUCCESS)
        rc = sock_io(w, e, (rif & 1 ? WB_IO_PEEK : 0) |
                           (rif & 2 ? WB_IO_WAITALL : 0),
                     iov, (int)A32(2), &done, &mflags);
    if (rc < 0)
        return stop(c, w);
    if (rc)
        return wb_ret(r, rc);
    uint8_t *of = wb_gptr(c, A32(5), 2);
    if (!of || !wb_put32(c, A32(4), (uint32_t)done))
        return wb_ret(r, WE_FAULT);
    wb_st16(of, mflags & MSG_TRUNC ? 1 : 0);
    return wb_ret(r, WE_SUCCESS);
}

WB_WASI_FN(sock_send)
{
    wb_wasi *w = WASI;
    wb_fdent *e;
    struct iovec iov[WB_IOV_MAX];
    size_t total, done = 0;
    int mflags;
    int rc = sock_of(w, A32(0), WR_FD_WRITE, &e);
    if (rc == WE_SUCCESS)
        rc = wb_wasi_iovecs(c, A32(1), A32(2), iov, &total);
    if (rc == WE_SUCCESS && !wb_gptr(c, A32(4), 4))
        rc = WE_FAULT;
    if (rc == WE_SUCCESS)
        rc = sock_io(w, e, WB_IO_WRITE, iov, (int)A32(2), &done, &mflags);
    if (rc < 0)
        return stop(c, w);
    if (rc)
        return wb_ret(r, rc);
    return wb_ret(r, wb_put32(c, A32(4), (uint32_t)done) ? 0 : WE_FAULT);
}

WB_WASI_FN(sock_shutdown)
{
    wb_fdent *e;
    int rc = sock_of(WASI, A32(0), WR_SOCK_SHUTDOWN, &e);
    uint32_t how = A32(1);
    if (rc)
        return wb_ret(r, rc);
    if (how == 0 || how > 3)
        return wb_ret(r, WE_INVAL);
    int h = how == 3 ? SHUT_RDWR : how == 1 ? SHUT_RD : SHUT_WR;
    return wb_ret(r, shutdown(e->host, h) ? wb_wasi_errno(errno) : 0);
}
