/* wb_conn.h: the connections of the HTTP servers (`wasmbox serve` and
 * `wasmbox mcp --http`): deadlines, and a cap that idle connections
 * cannot use up. Not installed.
 *
 * A connection is, in turn:
 *   waiting   for its request's headers (since it was opened, or since
 *             its previous request ended): at most header_ms;
 *   receiving its request (headers are in) or sending the answer: from
 *             the start of waiting, at most request_ms in all;
 *   running   its request is with the application (off the clock).
 * Past a deadline the main thread's sweep (each second) shuts the socket
 * down; libmicrohttpd then sees the connection end and closes it.
 *
 * The cap: when a new connection makes `max` + 1, the connection that has
 * been on its clock the longest is shut down, among those neither running
 * nor kept (serve keeps a request that holds an API key's slot, which the
 * per-key limits bound). A real client sends its request as soon as it
 * has connected, so a flood of idle connections pushes out only idle
 * connections (the flood's own, first of all), and a client that sends
 * its request is served. When every connection is running or kept, the
 * new one is shut down. */
#ifndef WB_CONN_H
#define WB_CONN_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct wb_conn;

typedef struct wb_conn_guard {
    /* set before wb_conn_init */
    unsigned max;                  /* connections open at once (>= 1) */
    uint64_t header_ms;            /* 0: no deadline */
    uint64_t request_ms;           /* 0: no deadline */
    /* state (mu) */
    pthread_mutex_t mu;
    struct wb_conn *list;
    unsigned open;                 /* listed and not shut down */
    uint64_t late;                 /* shut down past a deadline */
    uint64_t evicted;              /* shut down to make room */
} wb_conn_guard;

/* Set g up; lowers g->max to what the open-file limit allows (raising the
 * soft limit up to the hard one first), with a warning on stderr naming
 * `who`. Returns the limit to give libmicrohttpd
 * (MHD_OPTION_CONNECTION_LIMIT): max plus room for connections shut down
 * but not yet closed. */
unsigned wb_conn_init(wb_conn_guard *g, const char *who);
void wb_conn_destroy(wb_conn_guard *g);

/* MHD_OPTION_NOTIFY_CONNECTION, with g as its closure. */
void wb_conn_notify(void *g, struct MHD_Connection *conn, void **socket_ctx,
                    enum MHD_ConnectionNotificationCode toe);
/* The connection's request headers are in. */
void wb_conn_request(wb_conn_guard *g, struct MHD_Connection *conn);
/* Its request is not to be shut down to make room (until it ends). */
void wb_conn_keep(wb_conn_guard *g, struct MHD_Connection *conn);
/* Its request is with the application (off the clock), or its answer was
 * queued (the clock restarts for sending it). */
void wb_conn_running(wb_conn_guard *g, struct MHD_Connection *conn,
                     bool running);
/* Its request ended: it waits for the next one. */
void wb_conn_next(wb_conn_guard *g, struct MHD_Connection *conn);
/* Is it past its deadline? If so it is shut down (and counted). */
bool wb_conn_late(wb_conn_guard *g, struct MHD_Connection *conn);
/* Shut down every connection past its deadline (the main thread). */
void wb_conn_sweep(wb_conn_guard *g);

#endif
