/* poll_oneoff: clock subscriptions become the poll(2) timeout; fd
 * subscriptions on pipes, sockets and stdin become pollfds; everything
 * that never blocks (files, tmpfs, stdout/stderr) is ready at once. The
 * wait goes through wb_wait, so a timeout of the run wakes it. */
#include "wasi/wasi.h"
#include <string.h>
#include <time.h>

#define WB_POLL_MAX 64
enum { EV_CLOCK = 0, EV_READ = 1, EV_WRITE = 2 };

typedef struct pollstate {
    uint8_t *in, *out;
    uint32_t nsubs, nevents;
    struct pollfd pfd[WB_POLL_MAX];
    uint32_t pfd_sub[WB_POLL_MAX];
    int npfd;
    int64_t timeout;                /* ns until the first clock; -1 none */
} pollstate;

static void event(pollstate *ps, uint32_t sub, int err, uint8_t type,
                  uint16_t flags)
{
    uint8_t *e = ps->out + 32 * ps->nevents++;
    memset(e, 0, 32);
    memcpy(e, ps->in + 48 * sub, 8);           /* userdata */
    wb_st16(e + 8, (uint16_t)err);
    e[10] = type;
    wb_st16(e + 24, flags);
}

static int64_t now_of(uint32_t id)
{
    static const clockid_t ids[] = { CLOCK_REALTIME, CLOCK_MONOTONIC,
                                     CLOCK_PROCESS_CPUTIME_ID,
                                     CLOCK_THREAD_CPUTIME_ID };
    struct timespec ts;
    clock_gettime(ids[id], &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t clock_left(const uint8_t *s, bool *bad)
{
    uint32_t id = wb_ld32(s + 16);
    uint64_t t = wb_ld64(s + 24);
    if (id > 3) {
        *bad = true;
        return 0;
    }
    if (t > (1ull << 62))
        t = 1ull << 62;
    if (wb_ld16(s + 40) & 1) {                  /* absolute time */
        int64_t left = (int64_t)t - now_of(id);
        return left < 0 ? 0 : left;
    }
    return (int64_t)t;
}

/* Sort one fd subscription into "ready now" or "poll it". */
static void add_fd(wb_wasi *w, pollstate *ps, uint32_t i, uint8_t tag)
{
    wb_fdent *e = wb_fd_get(w, wb_ld32(ps->in + 48 * i + 16));
    short want = tag == EV_READ ? POLLIN : POLLOUT;
    if (!e) {
        event(ps, i, WE_BADF, tag, 0);
        return;
    }
    bool pollable = e->kind == WB_FD_SOCK ||
                    (e->kind == WB_FD_STDIN && e->host >= 0 && tag == EV_READ) ||
                    (e->kind == WB_FD_HOST && e->type != WF_REG &&
                     e->type != WF_DIR);
    if ((e->kind == WB_FD_STDIN && tag == EV_WRITE) ||
        (e->kind == WB_FD_OUT && tag == EV_READ)) {
        event(ps, i, WE_BADF, tag, 0);
    } else if (!pollable || ps->npfd == WB_POLL_MAX) {
        event(ps, i, ps->npfd == WB_POLL_MAX && pollable ? WE_NOTSUP : 0,
              tag, e->kind == WB_FD_STDIN ? 1 : 0);   /* no stdin: hangup */
    } else {
        ps->pfd[ps->npfd] = (struct pollfd){ .fd = e->host, .events = want };
        ps->pfd_sub[ps->npfd++] = i;
    }
}

static int scan(wb_wasi *w, pollstate *ps)
{
    ps->timeout = -1;
    for (uint32_t i = 0; i < ps->nsubs; i++) {
        const uint8_t *s = ps->in + 48 * i;
        uint8_t tag = s[8];
        if (tag == EV_CLOCK) {
            bool bad = false;
            int64_t left = clock_left(s, &bad);
            if (bad)
                event(ps, i, WE_INVAL, EV_CLOCK, 0);
            else if (ps->timeout < 0 || left < ps->timeout)
                ps->timeout = left;
        } else if (tag == EV_READ || tag == EV_WRITE) {
            add_fd(w, ps, i, tag);
        } else {
            return WE_INVAL;
        }
    }
    return WE_SUCCESS;
}

/* After the wait: ready fds, else the clocks that are due. */
static void collect(pollstate *ps, int64_t waited)
{
    uint32_t before = ps->nevents;
    for (int k = 0; k < ps->npfd; k++) {
        short rev = ps->pfd[k].revents;
        if (!rev)
            continue;
        uint8_t tag = ps->in[48 * ps->pfd_sub[k] + 8];
        int err = rev & POLLNVAL ? WE_BADF : 0;
        event(ps, ps->pfd_sub[k], err, tag, rev & POLLHUP ? 1 : 0);
    }
    if (ps->nevents > before || ps->timeout < 0)
        return;
    for (uint32_t i = 0; i < ps->nsubs; i++) {
        const uint8_t *s = ps->in + 48 * i;
        bool bad = false;
        if (s[8] != EV_CLOCK)
            continue;
        int64_t left = clock_left(s, &bad);
        bool abs = wb_ld16(s + 40) & 1;
        if (!bad && (abs ? left == 0 : left <= waited))
            event(ps, i, 0, EV_CLOCK, 0);
    }
}

WB_WASI_FN(poll_oneoff)
{
    wb_wasi *w = WASI;
    pollstate ps = { .nsubs = A32(2) };
    if (ps.nsubs == 0)
        return wb_ret(r, WE_INVAL);
    ps.in = wb_gptr(c, A32(0), (uint64_t)ps.nsubs * 48);
    ps.out = wb_gptr(c, A32(1), (uint64_t)ps.nsubs * 32);
    if (!ps.in || !ps.out || !wb_gptr(c, A32(3), 4))
        return wb_ret(r, WE_FAULT);
    int rc = scan(w, &ps);
    if (rc)
        return wb_ret(r, rc);
    int64_t wait = ps.nevents ? 0 : ps.timeout;
    if (ps.npfd || wait != 0) {
        rc = wb_wait(w, ps.pfd, ps.npfd, wait);
        if (rc < 0)
            return wb_wasi_stop(w, c, WB_OUTCOME_TIMEOUT, "timeout");
        if (rc)
            return wb_ret(r, rc);
    }
    collect(&ps, wait < 0 ? 0 : wait);
    wb_put32(c, A32(3), ps.nevents);
    return wb_ret(r, WE_SUCCESS);
}
