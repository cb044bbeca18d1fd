/* hostio.c: bytes to and from host fds that can block (pipes, FIFOs,
 * character devices, sockets, the embedder's stdio) without a call ever
 * outliving the run: no read or write is made that the kernel could
 * park, and every wait is a wb_wait that the run's deadline wakes.
 *
 * - WB_IO_NB: the fd is ours and O_NONBLOCK (FIFOs and devices the guest
 *   opened): try first, wait only on EAGAIN. Trying first also gives EOF
 *   on a FIFO that has no writer, where poll(2) would never report.
 * - WB_IO_SOCK: recvmsg/sendmsg with MSG_DONTWAIT, so a borrowed socket
 *   is never switched to non-blocking behind its owner's back.
 * - neither (the embedder's stdin/stdout, maybe blocking and shared):
 *   wait for readiness, then read what is there or write at most
 *   PIPE_BUF bytes, which poll's POLLOUT promises room for on a pipe.
 *
 * A read returns what one successful attempt gives (0 is end of file); a
 * write in blocking mode goes on until every byte is written, like
 * write(2) on a blocking pipe. A session kernel's hook (wb_stdin_wait_fn)
 * sees each wait of a stdin read begin and end. */
#include "wasi/wasi.h"
#include <errno.h>
#include <limits.h>
#include <sys/socket.h>
#include <unistd.h>

static bool wants_all(const wb_io *io)
{
    return !(io->how & WB_IO_NOWAIT) &&
           ((io->how & WB_IO_WRITE) ||
            ((io->how & WB_IO_WAITALL) && !(io->how & WB_IO_PEEK)));
}

/* Drop k bytes from the front of the iovecs, and empty iovecs after. */
static void advance(wb_io *io, size_t k)
{
    while (io->n > 0 && k >= io->iov[0].iov_len) {
        k -= io->iov[0].iov_len;
        io->iov++;
        io->n--;
    }
    if (io->n > 0) {
        io->iov[0].iov_base = (uint8_t *)io->iov[0].iov_base + k;
        io->iov[0].iov_len -= k;
    }
}

static ssize_t attempt(wb_io *io, bool bounded)
{
    bool out = io->how & WB_IO_WRITE;
    struct iovec one, *iov = io->iov;
    int n = io->n;
    if (bounded && out) {
        one.iov_base = iov[0].iov_base;
        one.iov_len = iov[0].iov_len > PIPE_BUF ? PIPE_BUF : iov[0].iov_len;
        iov = &one;
        n = 1;
    }
    if (io->off >= 0)
        return out ? pwritev(io->fd, iov, n, io->off + (off_t)io->done)
                   : preadv(io->fd, iov, n, io->off + (off_t)io->done);
    if (io->how & WB_IO_SOCK) {
        struct msghdr mh = { .msg_iov = iov, .msg_iovlen = (size_t)n };
        int fl = MSG_DONTWAIT | (io->how & WB_IO_PEEK ? MSG_PEEK : 0);
        ssize_t got = out ? sendmsg(io->fd, &mh, fl | MSG_NOSIGNAL)
                          : recvmsg(io->fd, &mh, fl);
        io->msg_flags |= mh.msg_flags;
        return got;
    }
    return out ? wb_write_nosig(io->fd, iov, n) : readv(io->fd, iov, n);
}

void wb_wasi_set_stdin_wait(wb_wasi *w, wb_stdin_wait_fn fn, void *user)
{
    w->t->stdin_wait = fn;
    w->t->stdin_wait_user = user;
}

/* Other processes of the tree ran while the wait had the tree lock
 * released: one of them may have taken the input or the room the wait
 * saw on a blocking fd they share (the embedder's stdio). Now that the
 * lock is held again no other can: look once more without waiting. */
bool wb_still_ready(wb_wasi *w, const struct pollfd *p)
{
    if (w->t->refs < 2)
        return true;
    struct pollfd again = { .fd = p->fd, .events = p->events };
    return poll(&again, 1, 0) != 0;     /* an error: let the attempt say */
}

/* For fds that may block: wait until an attempt cannot. A read of stdin
 * tells the stdin wait hook, which may refuse to let the guest go on. */
static int ready(wb_wasi *w, const wb_io *io)
{
    struct pollfd p = { .fd = io->fd,
                        .events = io->how & WB_IO_WRITE ? POLLOUT : POLLIN };
    bool nowait = io->how & WB_IO_NOWAIT;
    bool hook = !nowait && (io->how & WB_IO_STDIN) && w->t->stdin_wait;
    int rc;
    /* Ready now: go on without letting go of the tree lock, so that what
     * a write counted (stdio.c) is written before another process can
     * end the tree (its output limit) and take the count back. */
    if (!hook && !wb_wasi_cancelled(w) && poll(&p, 1, 0) > 0)
        return WE_SUCCESS;
    p.revents = 0;
    for (;;) {
        if (hook)
            w->t->stdin_wait(w->t->stdin_wait_user, io->fd, true);
        rc = wb_wait(w, &p, 1, nowait ? 0 : -1);
        if (hook && w->t->stdin_wait(w->t->stdin_wait_user, io->fd, false))
            rc = -1;
        if (rc || !p.revents || wb_still_ready(w, &p))
            break;
        if (nowait) {
            p.revents = 0;                  /* gone again: EAGAIN */
            break;
        }
    }
    if (rc == 0 && !p.revents)
        rc = WE_AGAIN;
    return rc;
}

int wb_host_io(wb_wasi *w, wb_io *io)
{
    bool nb = io->how & (WB_IO_NB | WB_IO_SOCK);
    io->done = 0;
    io->msg_flags = 0;
    advance(io, 0);
    if (io->n == 0)
        return WE_SUCCESS;
    for (;;) {
        int rc = nb ? 0 : ready(w, io);
        if (rc)
            return rc == WE_AGAIN && io->done ? WE_SUCCESS : rc;
        ssize_t got = attempt(io, !nb);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (io->how & WB_IO_NOWAIT)
                return io->done ? WE_SUCCESS : WE_AGAIN;
            if (nb && (rc = ready(w, io)) != 0)
                return rc;
            continue;
        }
        if (got < 0)
            return io->done ? WE_SUCCESS : wb_wasi_errno(errno);
        io->done += (size_t)got;
        advance(io, (size_t)got);
        if (got == 0 || io->n == 0 || !wants_all(io))
            return WE_SUCCESS;
    }
}
