/* wb_session_wire.c: the framed protocol between a server and its worker
 * processes (wb_session_worker.c) and their zygote (wb_session_zygote.c).
 *
 * A frame is a header { u32 type, u32 length } and `length` bytes, on a
 * stream socketpair; at most one descriptor rides with a frame's header
 * (SCM_RIGHTS). The payload is a sequence of fixed-size little-endian
 * integers and length-prefixed byte strings, written with wb_wbuf and read
 * with wb_rbuf. The reader never trusts the other side: every length is
 * checked against what is left, a frame longer than the reader's limit is
 * refused before anything is allocated, and a short or malformed frame is
 * an error, never a read past the buffer. */
#include "session/wb_session.h"
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void put(wb_wbuf *w, const void *d, size_t n)
{
    if (w->oom)
        return;
    if (w->len + n > w->cap) {
        size_t cap = w->cap ? w->cap : 256;
        while (cap < w->len + n)
            cap *= 2;
        uint8_t *p = realloc(w->p, cap);
        if (!p) {
            w->oom = true;
            return;
        }
        w->p = p;
        w->cap = cap;
    }
    memcpy(w->p + w->len, d, n);
    w->len += n;
}

void wb_wput_u32(wb_wbuf *w, uint32_t v) { put(w, &v, sizeof v); }
void wb_wput_u64(wb_wbuf *w, uint64_t v) { put(w, &v, sizeof v); }
void wb_wput_raw(wb_wbuf *w, const void *d, size_t n) { put(w, d, n); }

void wb_wput_bytes(wb_wbuf *w, const void *d, size_t n)
{
    wb_wput_u64(w, n);
    put(w, d, n);
}

void wb_wput_str(wb_wbuf *w, const char *s)
{
    wb_wput_bytes(w, s ? s : "", s ? strlen(s) : 0);
}

void wb_wbuf_free(wb_wbuf *w)
{
    free(w->p);
    memset(w, 0, sizeof *w);
}

static const void *take(wb_rbuf *r, size_t n)
{
    if (r->bad || n > r->len - r->off) {
        r->bad = true;
        return NULL;
    }
    const void *p = r->p + r->off;
    r->off += n;
    return p;
}

uint32_t wb_rget_u32(wb_rbuf *r)
{
    uint32_t v = 0;
    const void *p = take(r, sizeof v);
    if (p)
        memcpy(&v, p, sizeof v);
    return v;
}

uint64_t wb_rget_u64(wb_rbuf *r)
{
    uint64_t v = 0;
    const void *p = take(r, sizeof v);
    if (p)
        memcpy(&v, p, sizeof v);
    return v;
}

void wb_rget_raw(wb_rbuf *r, void *out, size_t n)
{
    const void *p = take(r, n);
    if (p)
        memcpy(out, p, n);
    else
        memset(out, 0, n);
}

/* A byte string in place (not NUL-terminated); NULL when malformed. */
const uint8_t *wb_rget_bytes(wb_rbuf *r, size_t *n)
{
    uint64_t len = wb_rget_u64(r);
    const uint8_t *p = len <= r->len - r->off ? take(r, (size_t)len) : NULL;
    if (!p)
        r->bad = true;
    *n = p ? (size_t)len : 0;
    return p;
}

/* A string copied into `out` (cut to cap - 1 bytes, NUL-terminated). */
void wb_rget_str(wb_rbuf *r, char *out, size_t cap)
{
    size_t n;
    const uint8_t *p = wb_rget_bytes(r, &n);
    if (n >= cap)
        n = cap - 1;
    if (p)
        memcpy(out, p, n);
    out[p ? n : 0] = 0;
}

/* A string malloc'd and NUL-terminated; NULL when malformed or no memory. */
char *wb_rget_dup(wb_rbuf *r, size_t *len)
{
    size_t n;
    const uint8_t *p = wb_rget_bytes(r, &n);
    char *s = p ? malloc(n + 1) : NULL;
    if (!s) {
        r->bad = true;
        return NULL;
    }
    memcpy(s, p, n);
    s[n] = 0;
    if (len)
        *len = n;
    return s;
}

/* ---- frames ------------------------------------------------------------ */

int wb_frame_send(int sock, uint32_t type, const wb_wbuf *w, int fd)
{
    if (w && w->oom)
        return ENOMEM;
    uint32_t hdr[2] = { type, w ? (uint32_t)w->len : 0 };
    struct iovec iov[2] = {
        { hdr, sizeof hdr },
        { w ? w->p : NULL, w ? w->len : 0 },
    };
    union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } cm;
    struct msghdr m = { .msg_iov = iov, .msg_iovlen = w && w->len ? 2 : 1 };
    if (fd >= 0) {
        memset(&cm, 0, sizeof cm);
        m.msg_control = cm.buf;
        m.msg_controllen = sizeof cm.buf;
        struct cmsghdr *c = CMSG_FIRSTHDR(&m);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof fd);
    }
    size_t total = sizeof hdr + (w ? w->len : 0), sent = 0;
    while (sent < total) {
        ssize_t n = sendmsg(sock, &m, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? errno : EPIPE;
        sent += (size_t)n;
        m.msg_control = NULL;           /* the descriptor went with byte 0 */
        m.msg_controllen = 0;
        while (m.msg_iovlen && (size_t)n >= m.msg_iov->iov_len) {
            n -= (ssize_t)m.msg_iov->iov_len;
            m.msg_iov++;
            m.msg_iovlen--;
        }
        if (m.msg_iovlen) {
            m.msg_iov->iov_base = (char *)m.msg_iov->iov_base + n;
            m.msg_iov->iov_len -= (size_t)n;
        }
    }
    return 0;
}

int64_t wb_wire_now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Wait until `sock` is readable or the deadline (ms, CLOCK_MONOTONIC;
 * < 0: none) passes: 0, ETIMEDOUT or an errno. */
static int wait_readable(int sock, int64_t deadline)
{
    for (;;) {
        int ms = -1;
        if (deadline >= 0) {
            int64_t left = deadline - wb_wire_now_ms();
            if (left <= 0)
                return ETIMEDOUT;
            ms = left > 60000 ? 60000 : (int)left;
        }
        struct pollfd p = { .fd = sock, .events = POLLIN };
        int rc = poll(&p, 1, ms);
        if (rc > 0)
            return 0;
        if (rc < 0 && errno != EINTR)
            return errno;
    }
}

/* The descriptors a message brought: the first one is kept in *fd when
 * the caller takes one and has none yet, every other is closed. The
 * buffer has room for one descriptor, but the kernel rounds it up and
 * installs as many as fit: a worker that sends several with each frame
 * must not fill the server's descriptor table. */
static void take_fds(struct msghdr *m, int *fd)
{
    if (!m->msg_controllen)
        return;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
            c->cmsg_len < CMSG_LEN(0))
            continue;
        size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < n; i++) {
            int x;
            memcpy(&x, CMSG_DATA(c) + i * sizeof x, sizeof x);
            if (fd && *fd < 0)
                *fd = x;
            else
                close(x);
        }
    }
}

/* Read exactly n bytes; the first read may bring a descriptor.
 * System calls are what a frame costs (on a paravirtualized VM each one
 * traps to the hypervisor), so: without a deadline the read just blocks;
 * with one, a read that expects data (`ready`: the rest of a frame whose
 * header came) tries first and waits only when nothing is there yet,
 * and one that expects to wait (a frame's header) waits first. */
static int read_all(int sock, void *buf, size_t n, int *fd, int64_t deadline,
                    bool ready)
{
    size_t got = 0;
    bool wait = deadline >= 0 && !ready;
    while (got < n) {
        int rc = wait ? wait_readable(sock, deadline) : 0;
        if (rc)
            return rc;
        union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } cm;
        struct iovec iov = { (char *)buf + got, n - got };
        struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
        if (fd) {
            m.msg_control = cm.buf;
            m.msg_controllen = sizeof cm.buf;
        }
        ssize_t r = recvmsg(sock, &m, MSG_CMSG_CLOEXEC |
                            (deadline >= 0 ? MSG_DONTWAIT : 0));
        /* (a descriptor set non-blocking says EAGAIN too: then wait) */
        wait = deadline >= 0 || (r < 0 && errno == EAGAIN);
        if (r < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (r >= 0)
            take_fds(&m, fd);
        if (r <= 0)
            return r < 0 ? errno : EPIPE;
        got += (size_t)r;
    }
    return 0;
}

int wb_frame_recv(int sock, size_t max, wb_frame *f, int64_t deadline)
{
    uint32_t hdr[2];
    memset(f, 0, sizeof *f);
    f->fd = -1;
    int rc = read_all(sock, hdr, sizeof hdr, &f->fd, deadline, false);
    if (!rc && hdr[1] > max)
        rc = EMSGSIZE;
    if (!rc && hdr[1] && !(f->data = malloc(hdr[1])))
        rc = ENOMEM;
    if (!rc && hdr[1])
        rc = read_all(sock, f->data, hdr[1], NULL, deadline, true);
    if (rc) {
        wb_frame_free(f);
        return rc;
    }
    f->type = hdr[0];
    f->len = hdr[1];
    return 0;
}

void wb_frame_free(wb_frame *f)
{
    free(f->data);
    if (f->fd >= 0)
        close(f->fd);
    f->data = NULL;
    f->fd = -1;
}
