/* poll_oneoff: clock subscriptions become the wait's timeout; fd
 * subscriptions on pipes, FIFOs, sockets and stdin become pollfds (one per
 * guest fd, however many subscriptions name it); everything that never
 * blocks (files, tmpfs, stdout/stderr) is ready at once. The wait goes
 * through wb_wait, so a timeout of the run wakes it.
 *
 * The guest may lay the subscriptions and the events over each other, so
 * every subscription is copied out of guest memory before the wait, the
 * events are built in host memory (at most one per subscription), and
 * they are copied back only at the end, through a fresh bounds check. */
#include "wasi/wasi.h"
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* More subscriptions than this is WE_INVAL: the host copies are
 * proportional to nsubs, which the guest chooses. */
#define WB_POLL_SUBS_MAX 16384
enum { EV_CLOCK = 0, EV_READ = 1, EV_WRITE = 2 };

typedef struct sub {
    uint64_t userdata;
    uint8_t tag;
    bool done;                  /* its event is known before the wait */
    uint16_t err, flags;        /* of that event */
    int pfd;                    /* fd subscriptions that wait: pollfd index */
    uint32_t fd, clock;
    uint64_t t;                 /* clock: timeout or absolute time (ns) */
    bool abs;
} sub;

typedef struct pollstate {
    sub *subs;
    uint32_t nsubs;
    struct pollfd *pfd;
    int npfd;
    int *pfd_of;                /* guest fd -> pollfd index or -1 */
    struct timespec start;
} pollstate;

static const clockid_t clock_ids[] = { CLOCK_REALTIME, CLOCK_MONOTONIC,
                                       CLOCK_PROCESS_CPUTIME_ID,
                                       CLOCK_THREAD_CPUTIME_ID };

static int64_t now_of(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t elapsed(const pollstate *ps)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)(ts.tv_sec - ps->start.tv_sec) * 1000000000 +
           (ts.tv_nsec - ps->start.tv_nsec);
}

/* Nanoseconds until a clock subscription is due (0: due). Relative
 * timeouts count wall time from the start of the call on every clock;
 * absolute ones compare with the named clock. */
static int64_t clock_left(const pollstate *ps, const sub *s)
{
    int64_t t = (int64_t)s->t, left;
    if (s->abs)
        left = t - now_of(clock_ids[s->clock]);
    else
        left = t - elapsed(ps);
    return left < 0 ? 0 : left;
}

static void decode(sub *s, const uint8_t *g)
{
    memset(s, 0, sizeof *s);
    s->userdata = wb_ld64(g);
    s->tag = g[8];
    s->pfd = -1;
    if (s->tag == EV_CLOCK) {
        s->clock = wb_ld32(g + 16);
        s->t = wb_ld64(g + 24);
        if (s->t > (1ull << 62))
            s->t = 1ull << 62;
        s->abs = wb_ld16(g + 40) & 1;
    } else {
        s->fd = wb_ld32(g + 16);
    }
}

static void ready_now(sub *s, int err, uint16_t flags)
{
    s->done = true;
    s->err = (uint16_t)err;
    s->flags = flags;
}

/* An fd subscription is ready now (or an error), or waits on a pollfd
 * shared by every subscription on the same guest fd. */
static void add_fd(wb_wasi *w, pollstate *ps, sub *s)
{
    wb_fdent *e;
    int rc = wb_fd_need(w, s->fd, WR_POLL_FD_READWRITE |
                        (s->tag == EV_READ ? WR_FD_READ : WR_FD_WRITE), &e);
    if (rc)
        return ready_now(s, rc, 0);
    bool pollable = e->kind == WB_FD_SOCK ||
                    (e->kind == WB_FD_STDIN && e->host >= 0 &&
                     s->tag == EV_READ) ||
                    (e->kind == WB_FD_HOST && e->type != WF_REG &&
                     e->type != WF_DIR);
    if ((e->kind == WB_FD_STDIN && s->tag == EV_WRITE) ||
        (e->kind == WB_FD_OUT && s->tag == EV_READ))
        return ready_now(s, WE_BADF, 0);
    if (!pollable)   /* no stdin granted: end of file, so hangup */
        return ready_now(s, 0, e->kind == WB_FD_STDIN ? 1 : 0);
    int k = ps->pfd_of[s->fd];
    if (k < 0) {
        k = ps->pfd_of[s->fd] = ps->npfd++;
        ps->pfd[k] = (struct pollfd){ .fd = e->host };
    }
    ps->pfd[k].events |= s->tag == EV_READ ? POLLIN : POLLOUT;
    s->pfd = k;
}

static int scan(wb_wasi *w, pollstate *ps)
{
    for (uint32_t i = 0; i < ps->nsubs; i++) {
        sub *s = &ps->subs[i];
        if (s->tag == EV_CLOCK) {
            if (s->clock >= sizeof clock_ids / sizeof *clock_ids)
                ready_now(s, WE_INVAL, 0);
            else if (s->abs)      /* the guest's clock -> the host's */
                s->t -= s->t < w->clock_offset[s->clock]
                        ? s->t : w->clock_offset[s->clock];
        } else if (s->tag == EV_READ || s->tag == EV_WRITE) {
            add_fd(w, ps, s);
        } else {
            return WE_INVAL;
        }
    }
    return WE_SUCCESS;
}

/* How long to wait: 0 when something is ready already, else until the
 * first clock is due, -1 (forever) without clocks. */
static int64_t wait_ns(const pollstate *ps)
{
    int64_t ns = -1;
    for (uint32_t i = 0; i < ps->nsubs; i++) {
        const sub *s = &ps->subs[i];
        if (s->done)
            return 0;
        if (s->tag != EV_CLOCK)
            continue;
        int64_t left = clock_left(ps, s);
        if (ns < 0 || left < ns)
            ns = left;
    }
    return ns;
}

static void put_event(uint8_t *e, const sub *s, int err, uint16_t flags)
{
    memset(e, 0, 32);
    wb_st64(e, s->userdata);
    wb_st16(e + 8, (uint16_t)err);
    e[10] = s->tag;
    wb_st16(e + 24, flags);
}

/* One event at most per subscription, into the host buffer `out`. */
static uint32_t collect(const pollstate *ps, uint8_t *out)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < ps->nsubs; i++) {
        const sub *s = &ps->subs[i];
        uint8_t *e = out + 32 * n;
        if (s->done) {
            put_event(e, s, s->err, s->flags);
        } else if (s->tag == EV_CLOCK) {
            if (clock_left(ps, s) > 0)
                continue;
            put_event(e, s, 0, 0);
        } else {
            short rev = ps->pfd[s->pfd].revents;
            short mine = (s->tag == EV_READ ? POLLIN : POLLOUT) |
                         POLLHUP | POLLERR | POLLNVAL;
            if (!(rev & mine))
                continue;
            put_event(e, s, rev & POLLNVAL ? WE_BADF : 0,
                      rev & POLLHUP ? 1 : 0);
        }
        n++;
    }
    return n;
}

/* Wait until at least one event exists; -1 when the run was cancelled. */
static int run_poll(wb_wasi *w, pollstate *ps, uint8_t *events,
                    uint32_t *nevents)
{
    for (;;) {
        int64_t ns = wait_ns(ps);
        if (ps->npfd || ns != 0) {
            int rc = wb_wait(w, ps->pfd, ps->npfd, ns);
            if (rc)
                return rc;
        }
        if ((*nevents = collect(ps, events)) > 0)
            return WE_SUCCESS;
    }
}

static int copy_in(wb_caller *c, pollstate *ps, uint32_t in)
{
    const uint8_t *g = wb_gptr(c, in, (uint64_t)ps->nsubs * 48);
    if (!g)
        return WE_FAULT;
    for (uint32_t i = 0; i < ps->nsubs; i++)
        decode(&ps->subs[i], g + 48 * i);
    return WE_SUCCESS;
}

static wb_status poll_checked(wb_wasi *w, wb_caller *c, const wb_val *a,
                              wb_val *r, pollstate *ps, uint8_t *events)
{
    uint32_t nevents = 0;
    int rc = copy_in(c, ps, A32(0));
    if (rc == WE_SUCCESS)
        rc = scan(w, ps);
    if (rc == WE_SUCCESS)
        rc = run_poll(w, ps, events, &nevents);
    if (rc < 0)
        return wb_wasi_stop(w, c, WB_OUTCOME_TIMEOUT, "timeout");
    if (rc)
        return wb_ret(r, rc);
    uint8_t *out = wb_gptr(c, A32(1), (uint64_t)nevents * 32);
    if (!out || !wb_gptr(c, A32(3), 4))
        return wb_ret(r, WE_FAULT);
    memcpy(out, events, (size_t)nevents * 32);
    wb_put32(c, A32(3), nevents);         /* last: it may overlap events */
    return wb_ret(r, WE_SUCCESS);
}

WB_WASI_FN(poll_oneoff)
{
    wb_wasi *w = WASI;
    pollstate ps = { .nsubs = A32(2) };
    if (ps.nsubs == 0 || ps.nsubs > WB_POLL_SUBS_MAX)
        return wb_ret(r, WE_INVAL);
    /* fail before waiting when a result could not be stored */
    if (!wb_gptr(c, A32(0), (uint64_t)ps.nsubs * 48) ||
        !wb_gptr(c, A32(1), (uint64_t)ps.nsubs * 32) || !wb_gptr(c, A32(3), 4))
        return wb_ret(r, WE_FAULT);
    clock_gettime(CLOCK_MONOTONIC, &ps.start);
    ps.subs = malloc(ps.nsubs * sizeof *ps.subs);
    ps.pfd = malloc(ps.nsubs * sizeof *ps.pfd);
    ps.pfd_of = malloc(w->nfds * sizeof *ps.pfd_of);
    uint8_t *events = malloc((size_t)ps.nsubs * 32);
    wb_status st;
    if (!ps.subs || !ps.pfd || !ps.pfd_of || !events) {
        st = wb_ret(r, WE_NOMEM);
    } else {
        memset(ps.pfd_of, -1, w->nfds * sizeof *ps.pfd_of);
        st = poll_checked(w, c, a, r, &ps, events);
    }
    free(ps.subs);
    free(ps.pfd);
    free(ps.pfd_of);
    free(events);
    return st;
}
