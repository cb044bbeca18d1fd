/* http_conn.c: the overall deadline of a request in `wasmbox serve`.
 *
 * libmicrohttpd's connection timeout is an idle timeout: a client that
 * trickles its request one byte every few seconds keeps a connection
 * (and its buffers) forever. So each connection is on a clock, which
 * --request-timeout bounds:
 *
 *   - from the connection's start, or the end of its previous request,
 *     until its request is complete (request line, headers, body) and
 *     handed to a worker;
 *   - from the moment its answer is queued until the answer is sent.
 *
 * Time spent queued and running is not counted (the budget's timeout
 * bounds it). The main thread sweeps every second and shuts down the
 * socket of a connection past its deadline; libmicrohttpd then sees the
 * connection end and closes it. The socket is touched only under
 * conn_mu, and a connection leaves the list (NOTIFY_CLOSED) before
 * libmicrohttpd closes its fd, so a sweep never reaches a reused fd. A
 * body still arriving is also cut off by on_request (wb_http_conn_late),
 * without waiting for the sweep. */
#include "server/http.h"
#include "server/mhd.h"
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

typedef struct wb_http_conn {
    int fd;
    uint64_t since_ms;             /* the clock's start */
    bool running;                  /* off the clock */
    bool cut;                      /* shut down by a sweep */
    struct wb_http_conn *prev, *next;
} wb_http_conn;

static wb_http_conn *conn_of(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

void wb_http_conn_notify(void *cls, struct MHD_Connection *conn,
                         void **socket_ctx,
                         enum MHD_ConnectionNotificationCode toe)
{
    wb_http_server *srv = cls;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        wb_http_conn *c = calloc(1, sizeof *c);
        if (!c || !ci) {
            free(c);
            return;                /* no deadline for it; still served */
        }
        c->fd = ci->connect_fd;
        c->since_ms = wb_http_now_ms();
        pthread_mutex_lock(&srv->conn_mu);
        c->next = srv->conns;
        if (srv->conns)
            srv->conns->prev = c;
        srv->conns = c;
        pthread_mutex_unlock(&srv->conn_mu);
        *socket_ctx = c;
        return;
    }
    wb_http_conn *c = *socket_ctx;
    if (!c)
        return;
    pthread_mutex_lock(&srv->conn_mu);
    if (c->prev)
        c->prev->next = c->next;
    else
        srv->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    pthread_mutex_unlock(&srv->conn_mu);
    free(c);
    *socket_ctx = NULL;
}

void wb_http_conn_running(wb_http_server *srv, struct MHD_Connection *conn,
                          bool running)
{
    wb_http_conn *c = conn_of(conn);
    if (!c)
        return;
    pthread_mutex_lock(&srv->conn_mu);
    c->running = running;
    c->since_ms = wb_http_now_ms();
    pthread_mutex_unlock(&srv->conn_mu);
}

void wb_http_conn_next(wb_http_server *srv, struct MHD_Connection *conn)
{
    wb_http_conn_running(srv, conn, false);
}

static bool late(const wb_http_server *srv, const wb_http_conn *c,
                 uint64_t now)
{
    return srv->request_timeout_ms && !c->running &&
           now - c->since_ms > srv->request_timeout_ms;
}

bool wb_http_conn_late(wb_http_server *srv, struct MHD_Connection *conn)
{
    wb_http_conn *c = conn_of(conn);
    if (!c)
        return false;
    pthread_mutex_lock(&srv->conn_mu);
    bool r = late(srv, c, wb_http_now_ms());
    pthread_mutex_unlock(&srv->conn_mu);
    return r;
}

void wb_http_conn_sweep(wb_http_server *srv)
{
    uint64_t now = wb_http_now_ms(), cut = 0;
    pthread_mutex_lock(&srv->conn_mu);
    for (wb_http_conn *c = srv->conns; c; c = c->next)
        if (!c->cut && late(srv, c, now)) {
            shutdown(c->fd, SHUT_RDWR);
            c->cut = true;
            cut++;
        }
    pthread_mutex_unlock(&srv->conn_mu);
    if (cut) {
        pthread_mutex_lock(&srv->mu);
        srv->deadline_closed += cut;
        pthread_mutex_unlock(&srv->mu);
    }
}
