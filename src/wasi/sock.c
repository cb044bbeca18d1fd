/* sock.c: sock_accept/recv/send/shutdown on sockets the embedder granted
 * (WB_GRANT_SOCKET). Nothing here creates or connects a socket. Blocking
 * calls wait through wb_wait so a timeout of the run wakes them. */
#include "wasi/wasi.h"
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

static int sock_of(wb_wasi *w, uint32_t fd, wb_fdent **e)
{
    *e = wb_fd_get(w, fd);
    if (!*e)
        return WE_BADF;
    return (*e)->kind == WB_FD_SOCK ? WE_SUCCESS : WE_NOTSOCK;
}

/* 0 when the socket is ready (or non-blocking), -1 cancelled, errno. */
static int ready(wb_wasi *w, wb_fdent *e, short ev)
{
    return (e->flags & WFD_NONBLOCK) ? 0 : wb_wait_fd(w, e->host, ev);
}

static wb_status stop(wb_caller *c, wb_wasi *w)
{
    return wb_wasi_stop(w, c, WB_OUTCOME_TIMEOUT, "timeout");
}

WB_WASI_FN(sock_accept)
{
    wb_wasi *w = WASI;
    wb_fdent *e;
    uint32_t nfd;
    int rc = sock_of(w, A32(0), &e);
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
    if ((rc = ready(w, e, POLLIN)) < 0)
        return stop(c, w);
    if (rc)
        return wb_ret(r, rc);
    int flags = SOCK_CLOEXEC | (A32(1) & WFD_NONBLOCK ? SOCK_NONBLOCK : 0);
    int s = accept4(e->host, NULL, NULL, flags);
    if (s < 0)
        return wb_ret(r, wb_wasi_errno(errno));
    wb_fdent *n = &w->fds[nfd];
    memset(n, 0, sizeof *n);
    n->kind = WB_FD_SOCK;
    n->type = WF_SOCK_STREAM;
    n->host = s;
    n->flags = (uint16_t)(A32(1) & WFD_NONBLOCK);
    n->rights = e->inherit ? e->inherit : WR_ALL;
    n->inherit = e->inherit;
    w->nopen++;
    wb_put32(c, A32(2), nfd);
    return wb_ret(r, WE_SUCCESS);
}

WB_WASI_FN(sock_recv)
{
    wb_wasi *w = WASI;
    wb_fdent *e;
    struct iovec iov[WB_IOV_MAX];
    size_t total;
    uint32_t rif = A32(3);
    int rc = sock_of(w, A32(0), &e);
    if (rc == WE_SUCCESS)
        rc = wb_wasi_iovecs(c, A32(1), A32(2), iov, &total);
    if (rc == WE_SUCCESS && (!wb_gptr(c, A32(4), 4) || !wb_gptr(c, A32(5), 2)))
        rc = WE_FAULT;
    if (rc == WE_SUCCESS && (rif & ~3u))
        rc = WE_INVAL;
    if (rc)
        return wb_ret(r, rc);
    if ((rc = ready(w, e, POLLIN)) < 0)
        return stop(c, w);
    if (rc)
        return wb_ret(r, rc);
    struct msghdr mh = { .msg_iov = iov, .msg_iovlen = A32(2) };
    int fl = (rif & 1 ? MSG_PEEK : 0) | (rif & 2 ? MSG_WAITALL : 0) |
             MSG_DONTWAIT * !!(e->flags & WFD_NONBLOCK);
    ssize_t n = recvmsg(e->host, &mh, fl);
    if (n < 0)
        return wb_ret(r, wb_wasi_errno(errno));
    wb_put32(c, A32(4), (uint32_t)n);
    uint8_t *of = wb_gptr(c, A32(5), 2);
    wb_st16(of, mh.msg_flags & MSG_TRUNC ? 1 : 0);
    return wb_ret(r, WE_SUCCESS);
}

WB_WASI_FN(sock_send)
{
    wb_wasi *w = WASI;
    wb_fdent *e;
    struct iovec iov[WB_IOV_MAX];
    size_t total;
    int rc = sock_of(w, A32(0), &e);
    if (rc == WE_SUCCESS)
        rc = wb_wasi_iovecs(c, A32(1), A32(2), iov, &total);
    if (rc == WE_SUCCESS && !wb_gptr(c, A32(4), 4))
        rc = WE_FAULT;
    if (rc)
        return wb_ret(r, rc);
    if ((rc = ready(w, e, POLLOUT)) < 0)
        return stop(c, w);
    if (rc)
        return wb_ret(r, rc);
    struct msghdr mh = { .msg_iov = iov, .msg_iovlen = A32(2) };
    ssize_t n = sendmsg(e->host, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0)
        return wb_ret(r, wb_wasi_errno(errno));
    wb_put32(c, A32(4), (uint32_t)n);
    return wb_ret(r, WE_SUCCESS);
}

WB_WASI_FN(sock_shutdown)
{
    wb_fdent *e;
    int rc = sock_of(WASI, A32(0), &e);
    uint32_t how = A32(1);
    if (rc)
        return wb_ret(r, rc);
    if (how == 0 || how > 3)
        return wb_ret(r, WE_INVAL);
    int h = how == 3 ? SHUT_RDWR : how == 1 ? SHUT_RD : SHUT_WR;
    return wb_ret(r, shutdown(e->host, h) ? wb_wasi_errno(errno) : 0);
}
