/* stdio.c: guest stdout/stderr under the output budget, and the wakeable
 * waits every blocking host call goes through.
 *
 * Output is written straight through (never buffered here) so host memory
 * stays flat however much the guest prints. Past max_output the rest of
 * the write is dropped, the stream is marked truncated and the run ends
 * with outcome "output-limit". */
#include "wasi/wasi.h"
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

/* Nanoseconds left until `end` (CLOCK_MONOTONIC) as poll(2) milliseconds,
 * rounded up so a short sleep never returns early. */
static int ms_until(const struct timespec *end)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    int64_t left = (int64_t)(end->tv_sec - now.tv_sec) * 1000000000 +
                   (end->tv_nsec - now.tv_nsec);
    if (left <= 0)
        return 0;
    int64_t ms = (left + 999999) / 1000000;
    return ms > 1 << 30 ? 1 << 30 : (int)ms;
}

/* Empty a context's eventfd: an event (wb_wasi_post) is remembered for
 * wb_wasi_wait_event; a kill is in the flag. */
static void take_event(wb_wasi *w)
{
    uint64_t n;
    if (read(w->wake, &n, sizeof n) == (ssize_t)sizeof n)
        w->posted = true;
}

/* all[n] and all[n + 1] are the tree's and the context's eventfds. The
 * tree lock is released for the whole wait. An event ends a wait for
 * events only (event); others go on. */
static int wait_all(wb_wasi *w, struct pollfd *all, int n, int64_t ns,
                    bool event)
{
    struct timespec end;
    clock_gettime(CLOCK_MONOTONIC, &end);
    if (ns >= 0) {
        end.tv_sec += ns / 1000000000;
        end.tv_nsec += ns % 1000000000;
        if (end.tv_nsec >= 1000000000) {
            end.tv_sec++;
            end.tv_nsec -= 1000000000;
        }
    }
    all[n] = (struct pollfd){ .fd = w->t->wake, .events = POLLIN };
    all[n + 1] = (struct pollfd){ .fd = w->wake, .events = POLLIN };
    bool held = wb_wasi_release(w);
    int rc;
    for (;;) {
        if (wb_wasi_cancelled(w) || (event && w->posted)) {
            rc = wb_wasi_cancelled(w) ? -1 : 0;
            break;
        }
        int ms = ns >= 0 ? ms_until(&end) : -1;
        rc = poll(all, (nfds_t)n + 2, ms);
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc < 0) {
            rc = wb_wasi_errno(errno);
            break;
        }
        if (all[n + 1].revents) {
            take_event(w);
            rc--;
        }
        if (all[n].revents || wb_wasi_cancelled(w)) {
            rc = -1;
            break;
        }
        if (rc > 0 || ms == 0 || (event && w->posted)) {
            rc = 0;
            break;
        }
    }
    wb_wasi_reacquire(w, held);
    return rc;
}

/* n == 0 with pfds NULL: wb_wasi_wait_event (tree.c). */
int wb_wait(wb_wasi *w, struct pollfd *pfds, int n, int64_t ns)
{
    struct pollfd small[18], *all = small;
    if (n < 0)
        return WE_INVAL;
    /* n is bounded by the caller (poll_oneoff: by its subscriptions) */
    if (n + 2 > (int)(sizeof small / sizeof *small) &&
        !(all = malloc(((size_t)n + 2) * sizeof *all)))
        return WE_NOMEM;
    for (int i = 0; i < n; i++)
        all[i] = pfds[i];
    int rc = wait_all(w, all, n, ns, !pfds);
    for (int i = 0; rc == 0 && i < n; i++)
        pfds[i].revents = all[i].revents;
    if (all != small)
        free(all);
    return rc;
}

int wb_wait_fd(wb_wasi *w, int fd, short events)
{
    struct pollfd p = { .fd = fd, .events = events };
    return wb_wait(w, &p, 1, -1);
}

/* Write all of buf to the embedder's fd: it may be a pipe whose reader is
 * slow, so hostio.c waits (wakeably) for room and writes in PIPE_BUF
 * steps. What went out before an error or the deadline into *sent. */
static int put_fd(wb_wasi *w, int fd, const uint8_t *buf, size_t len,
                  size_t *sent)
{
    while (len > 0) {
        /* a short count means an error came after some bytes: go again
         * to get it, as the output budget counts whole writes */
        struct iovec one = { (void *)buf, len };
        wb_io io = { .fd = fd, .how = WB_IO_WRITE, .iov = &one, .n = 1,
                     .off = -1 };
        int rc = wb_host_io(w, &io);
        *sent += io.done;             /* also when the deadline cut it */
        if (rc)
            return rc;
        if (io.done == 0)
            return WE_IO;
        buf += io.done;
        len -= io.done;
    }
    return WE_SUCCESS;
}

/* A reader that went away must give the guest EPIPE, never kill the
 * embedding process: SIGPIPE is blocked in this thread around the write
 * and a SIGPIPE it raised is consumed. */
ssize_t wb_write_nosig(int fd, const struct iovec *iov, int n)
{
    sigset_t pipe, old, pending;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe, &old);
    sigpending(&pending);
    bool was_pending = sigismember(&pending, SIGPIPE);
    ssize_t r = writev(fd, iov, n);
    int e = errno;
    if (r < 0 && e == EPIPE && !was_pending) {
        struct timespec zero = { 0, 0 };
        sigtimedwait(&pipe, NULL, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    errno = e;
    return r;
}

/* *sent: what reached the sink, also when it failed (an output callback
 * delivers all or nothing). */
static int put(wb_wasi *w, int stream, const uint8_t *buf, size_t len,
               size_t *sent)
{
    *sent = 0;
    if (w->t->output) {
        if (w->t->output(w->t->output_user, stream, buf, len))
            return WE_IO;
        *sent = len;
        return WE_SUCCESS;
    }
    *sent = len;
    if (w->t->out_fd[stream] < 0)
        return WE_SUCCESS;                  /* discarded by request */
    *sent = 0;
    return put_fd(w, w->t->out_fd[stream], buf, len, sent);
}

/* The room is read afresh for each piece: while put() waits for a slow
 * reader the tree lock is released, and other processes of the tree
 * write to the same budget. */
wb_status wb_stdio_write(wb_wasi *w, wb_caller *c, int stream,
                         const struct iovec *iov, int n, size_t *done,
                         int *werr)
{
    wb_wtree *t = w->t;
    bool cut = false;
    *done = 0;
    *werr = WE_SUCCESS;
    for (int i = 0; i < n && !cut; i++) {
        uint64_t used = t->out_bytes[1] + t->out_bytes[2];
        uint64_t room = used < t->max_output ? t->max_output - used : 0;
        size_t len = iov[i].iov_len;
        if (len > room) {
            len = (size_t)room;
            cut = true;
        }
        /* Counted before put(): an output callback may hand the bytes to
         * a thread that reads the usage as soon as it has them. What a
         * failed write did not deliver is taken back: a write to a slow
         * reader cut by the deadline counts what went out (it counted
         * none, tests/cli/timeout_alone.sh). */
        t->out_bytes[stream] += len;
        size_t sent = 0;
        int rc = len ? put(w, stream, iov[i].iov_base, len, &sent) : 0;
        if (rc)
            t->out_bytes[stream] -= len - sent;
        if (rc < 0)
            return wb_wasi_stop(w, c, WB_OUTCOME_TIMEOUT, "timeout");
        if (rc) {
            *werr = rc;
            return WB_OK;
        }
        *done += len;
    }
    if (cut) {
        t->truncated[stream] = true;
        return wb_wasi_stop(w, c, WB_OUTCOME_OUTPUT_LIMIT,
                            "output limit exceeded");
    }
    return WB_OK;
}
