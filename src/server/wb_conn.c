/* wb_conn.c: the connections of the HTTP servers (see wb_conn.h).
 *
 * libmicrohttpd's connection timeout is an idle timeout: a client that
 * trickles its request one byte every few seconds keeps a connection
 * forever, and one that connects and sends nothing keeps it for the whole
 * timeout. Its connection limit refuses everyone once idle connections
 * fill it. Hence the clocks and the eviction here.
 *
 * A socket is touched only under mu, and a connection leaves the list
 * (NOTIFY_CLOSED) before libmicrohttpd closes its fd, so a shutdown never
 * reaches a reused fd. */
#include "server/wb_conn.h"
#include "server/mhd.h"
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>

/* fds the rest of the server may need (sessions, guests' files, the
   listening socket), or half the limit when that is small */
#define RESERVE_FDS 256u

typedef struct wb_conn {
    int fd;
    uint64_t since_ms;             /* the clock's start */
    bool request;                  /* its request's headers are in */
    bool kept;                     /* not to be shut down to make room */
    bool running;                  /* off the clock */
    bool cut;                      /* shut down */
    struct wb_conn *prev, *next;
} wb_conn;

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Connections shut down but not yet closed by libmicrohttpd. */
static unsigned slack(unsigned max)
{
    return max / 8 + 8;
}

/* The open-file limit, raised towards `need` when the hard limit allows. */
static rlim_t fd_limit(rlim_t need)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl))
        return need;
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
        rlim_t want = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > need
                      ? need : rl.rlim_max;
        if (want > rl.rlim_cur) {
            rl.rlim_cur = want;
            if (!setrlimit(RLIMIT_NOFILE, &rl))
                return want;
            getrlimit(RLIMIT_NOFILE, &rl);
        }
    }
    return rl.rlim_cur;
}

unsigned wb_conn_init(wb_conn_guard *g, const char *who)
{
    pthread_mutex_init(&g->mu, NULL);
    g->list = NULL;
    g->open = 0;
    g->late = g->evicted = 0;
    if (g->max < 1)
        g->max = 1;
    rlim_t lim = fd_limit((rlim_t)g->max + slack(g->max) + RESERVE_FDS);
    rlim_t reserve = lim / 2 < RESERVE_FDS ? lim / 2 : RESERVE_FDS;
    rlim_t avail = lim - reserve;
    if ((rlim_t)g->max + slack(g->max) > avail) {
        unsigned m = avail > 9 ? (unsigned)((avail - 8) * 8 / 9) : 1;
        while (m > 1 && (rlim_t)m + slack(m) > avail)
            m--;
        fprintf(stderr, "wasmbox %s: warning: at most %u connections (not "
                "%u): the open-file limit is %llu (ulimit -n)\n", who, m,
                g->max, (unsigned long long)lim);
        g->max = m;
    }
    return g->max + slack(g->max);
}

void wb_conn_destroy(wb_conn_guard *g)
{
    pthread_mutex_destroy(&g->mu);
}

static wb_conn *conn_of(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

/* mu held */
static void cut(wb_conn_guard *g, wb_conn *c)
{
    shutdown(c->fd, SHUT_RDWR);
    c->cut = true;
    g->open--;
}

/* The connection longest on its clock that may make room (mu held). */
static wb_conn *oldest_idle(wb_conn_guard *g)
{
    wb_conn *best = NULL;
    for (wb_conn *c = g->list; c; c = c->next)
        if (!c->cut && !c->kept && !c->running &&
            (!best || c->since_ms <= best->since_ms))
            best = c;
    return best;
}

static void started(wb_conn_guard *g, struct MHD_Connection *conn,
                    void **socket_ctx)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (!ci)
        return;
    wb_conn *c = calloc(1, sizeof *c);
    if (!c) {
        shutdown(ci->connect_fd, SHUT_RDWR);   /* untracked: refused */
        return;
    }
    c->fd = ci->connect_fd;
    c->since_ms = now_ms();
    pthread_mutex_lock(&g->mu);
    c->next = g->list;
    if (g->list)
        g->list->prev = c;
    g->list = c;
    g->open++;
    if (g->open > g->max) {
        wb_conn *v = oldest_idle(g);
        if (v) {
            cut(g, v);
            g->evicted++;
        }
    }
    pthread_mutex_unlock(&g->mu);
    *socket_ctx = c;
}

void wb_conn_notify(void *cls, struct MHD_Connection *conn, void **socket_ctx,
                    enum MHD_ConnectionNotificationCode toe)
{
    wb_conn_guard *g = cls;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        started(g, conn, socket_ctx);
        return;
    }
    wb_conn *c = *socket_ctx;
    if (!c)
        return;
    pthread_mutex_lock(&g->mu);
    if (c->prev)
        c->prev->next = c->next;
    else
        g->list = c->next;
    if (c->next)
        c->next->prev = c->prev;
    if (!c->cut)
        g->open--;
    pthread_mutex_unlock(&g->mu);
    free(c);
    *socket_ctx = NULL;
}

/* The connection's record, locked; NULL when it has none. */
static wb_conn *lock_of(wb_conn_guard *g, struct MHD_Connection *conn)
{
    wb_conn *c = conn_of(conn);
    if (c)
        pthread_mutex_lock(&g->mu);
    return c;
}

void wb_conn_request(wb_conn_guard *g, struct MHD_Connection *conn)
{
    wb_conn *c = lock_of(g, conn);
    if (!c)
        return;
    c->request = true;
    pthread_mutex_unlock(&g->mu);
}

void wb_conn_keep(wb_conn_guard *g, struct MHD_Connection *conn)
{
    wb_conn *c = lock_of(g, conn);
    if (!c)
        return;
    c->kept = true;
    pthread_mutex_unlock(&g->mu);
}

void wb_conn_running(wb_conn_guard *g, struct MHD_Connection *conn,
                     bool running)
{
    wb_conn *c = lock_of(g, conn);
    if (!c)
        return;
    c->running = running;
    c->since_ms = now_ms();
    pthread_mutex_unlock(&g->mu);
}

void wb_conn_next(wb_conn_guard *g, struct MHD_Connection *conn)
{
    wb_conn *c = lock_of(g, conn);
    if (!c)
        return;
    c->request = c->kept = c->running = false;
    c->since_ms = now_ms();
    pthread_mutex_unlock(&g->mu);
}

static bool late(const wb_conn_guard *g, const wb_conn *c, uint64_t now)
{
    if (c->cut || c->running)
        return false;
    uint64_t t = now - c->since_ms;
    return (g->request_ms && t > g->request_ms) ||
           (!c->request && g->header_ms && t > g->header_ms);
}

bool wb_conn_late(wb_conn_guard *g, struct MHD_Connection *conn)
{
    wb_conn *c = lock_of(g, conn);
    if (!c)
        return false;
    bool r = late(g, c, now_ms());
    if (r) {
        cut(g, c);
        g->late++;
    }
    pthread_mutex_unlock(&g->mu);
    return r;
}

void wb_conn_sweep(wb_conn_guard *g)
{
    uint64_t now = now_ms();
    pthread_mutex_lock(&g->mu);
    for (wb_conn *c = g->list; c; c = c->next)
        if (late(g, c, now)) {
            cut(g, c);
            g->late++;
        }
    pthread_mutex_unlock(&g->mu);
}
