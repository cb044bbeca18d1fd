/* http.c: the libmicrohttpd daemon of `wasmbox serve`.
 *
 * One internal polling thread reads requests. Once a request's body is
 * in, it is suspended and handed to the scheduler (http_sched.c): a pool
 * of `workers` threads, each of which runs one request at a time (runs
 * block for as long as the guest runs), then resumes the connection with
 * the answer. Rejections (404, 405, 401, 413, 429) are answered before
 * the body is read. A request's headers must arrive within
 * --header-timeout, the whole request, and its answer leave, within
 * --request-timeout; past --max-connections a new connection pushes out
 * the one that has waited longest for its request, unless that holds an
 * API key's slot (wb_conn.c). --max-connections-per-client is
 * libmicrohttpd's cap per client address.
 *
 * SIGTERM / SIGINT: /healthz answers 503 and answers close their
 * connections; for --drain-delay (0 by default; http_health.c) requests
 * are still served; then stop accepting, answer 503 to new requests on
 * open connections, let the requests under way finish (each is bounded
 * by its budget's timeout), then stop and return 0. */
#include "server/http.h"
#include "common/json.h"
#include <arpa/inet.h>
#include <errno.h>
#include "server/mhd.h"
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const double buckets[WB_HTTP_BUCKETS] = {
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120
};

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t wb_http_now_ms(void)
{
    return now_us() / 1000u;
}

/* Constant time in the contents (the loop always runs over 256 bytes). */
static bool ct_equal(const char *a, size_t alen, const char *b, size_t blen)
{
    volatile unsigned char d = (unsigned char)(alen != blen);
    for (size_t i = 0; i < 256; i++) {
        unsigned char x = i < alen ? (unsigned char)a[i] : 0;
        unsigned char y = i < blen ? (unsigned char)b[i] : 0;
        d |= x ^ y;
    }
    return d == 0 && alen <= 256;
}

static wb_http_key *authenticate(wb_http_server *srv,
                                 struct MHD_Connection *c)
{
    if (srv->no_auth)
        return &srv->anon;
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                "Authorization");
    if (!h || strncasecmp(h, "Bearer ", 7))
        return NULL;
    h += 7;
    while (*h == ' ')
        h++;
    size_t n = strlen(h);
    while (n && (h[n - 1] == ' ' || h[n - 1] == '\t'))
        n--;
    if (n == 0 || n > 256)
        return NULL;
    wb_http_key *found = NULL;
    for (size_t i = 0; i < srv->nkeys; i++)       /* no early exit */
        if (ct_equal(h, n, srv->keys[i].key, srv->keys[i].len) && !found)
            found = &srv->keys[i];
    return found;
}

void wb_http_json(wb_http_req *r, unsigned status, json_t *j)
{
    free(r->resp);
    r->resp = NULL;
    r->status = status;
    r->ctype = "application/json";
    char *t = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!t) {
        r->status = 500;
        t = strdup("{\"error\":\"out of memory\"}");
    }
    size_t n = t ? strlen(t) : 0;
    char *nl = t ? realloc(t, n + 2) : NULL;
    if (nl) {
        nl[n++] = '\n';
        nl[n] = 0;
        t = nl;
    }
    r->resp = t;
    r->resp_len = t ? n : 0;
}

/* {"error": msg} plus {"limit": name} when a limit was hit. */
static void error_v(wb_http_req *r, unsigned status, const char *limit,
                    const char *fmt, va_list ap)
{
    char msg[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);
    json_t *j = json_pack("{s:o}", "error", wb_json_text(msg, strlen(msg)));
    if (j && limit)
        json_object_set_new(j, "limit", json_string(limit));
    wb_http_json(r, status, j);
}

void wb_http_error(wb_http_req *r, unsigned status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    error_v(r, status, NULL, fmt, ap);
    va_end(ap);
}

void wb_http_limit_error(wb_http_req *r, unsigned status, const char *limit,
                         const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    error_v(r, status, limit, fmt, ap);
    va_end(ap);
}

void wb_http_count_run(wb_http_server *srv, wb_outcome o)
{
    pthread_mutex_lock(&srv->mu);
    if ((unsigned)o < WB_HTTP_OUTCOMES)
        srv->runs[o]++;
    pthread_mutex_unlock(&srv->mu);
}

static void connection_metrics(FILE *f, wb_conn_guard *g)
{
    pthread_mutex_lock(&g->mu);
    unsigned open = g->open;
    unsigned long long late = g->late, evicted = g->evicted;
    pthread_mutex_unlock(&g->mu);
    fprintf(f, "# HELP wasmbox_http_deadline_closed_total Connections "
            "closed because request headers took longer than "
            "--header-timeout, or a request or its answer longer than "
            "--request-timeout, to arrive or leave.\n"
            "# TYPE wasmbox_http_deadline_closed_total counter\n"
            "wasmbox_http_deadline_closed_total %llu\n", late);
    fprintf(f, "# HELP wasmbox_http_connections_evicted_total Connections "
            "closed to make room (--max-connections) for a new one.\n"
            "# TYPE wasmbox_http_connections_evicted_total counter\n"
            "wasmbox_http_connections_evicted_total %llu\n", evicted);
    fprintf(f, "# HELP wasmbox_http_connections_open Connections open.\n"
            "# TYPE wasmbox_http_connections_open gauge\n"
            "wasmbox_http_connections_open %u\n", open);
}

static void metrics(wb_http_req *r)
{
    wb_http_server *srv = r->srv;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) {
        wb_http_error(r, 500, "out of memory");
        return;
    }
    pthread_mutex_lock(&srv->mu);
    fputs("# HELP wasmbox_runs_total Runs (one-shot and session steps) by "
          "outcome.\n# TYPE wasmbox_runs_total counter\n", f);
    for (int o = 0; o < WB_HTTP_OUTCOMES; o++)
        fprintf(f, "wasmbox_runs_total{outcome=\"%s\"} %llu\n",
                wb_outcome_name((wb_outcome)o),
                (unsigned long long)srv->runs[o]);
    fputs("# HELP wasmbox_http_request_duration_seconds Time from the "
          "request line to the end of the response.\n"
          "# TYPE wasmbox_http_request_duration_seconds histogram\n", f);
    uint64_t cum = 0;
    for (int i = 0; i < WB_HTTP_BUCKETS; i++) {
        cum += srv->hist[i];
        fprintf(f, "wasmbox_http_request_duration_seconds_bucket{le=\"%g\"}"
                " %llu\n", buckets[i], (unsigned long long)cum);
    }
    cum += srv->hist[WB_HTTP_BUCKETS];
    fprintf(f, "wasmbox_http_request_duration_seconds_bucket{le=\"+Inf\"} "
            "%llu\n", (unsigned long long)cum);
    fprintf(f, "wasmbox_http_request_duration_seconds_sum %.6f\n",
            srv->hist_sum);
    fprintf(f, "wasmbox_http_request_duration_seconds_count %llu\n",
            (unsigned long long)srv->hist_count);
    fputs("# HELP wasmbox_http_responses_total Responses by status class.\n"
          "# TYPE wasmbox_http_responses_total counter\n", f);
    for (int c = 1; c <= 5; c++)
        fprintf(f, "wasmbox_http_responses_total{code=\"%dxx\"} %llu\n", c,
                (unsigned long long)srv->responses[c]);
    fprintf(f, "# HELP wasmbox_sessions_active Sessions open in this "
            "server.\n# TYPE wasmbox_sessions_active gauge\n"
            "wasmbox_sessions_active %u\n", srv->nsessions);
    fprintf(f, "# HELP wasmbox_http_requests_in_flight Requests being "
            "received, run or answered.\n"
            "# TYPE wasmbox_http_requests_in_flight gauge\n"
            "wasmbox_http_requests_in_flight %llu\n",
            (unsigned long long)srv->in_flight);
    pthread_mutex_unlock(&srv->mu);
    fprintf(f, "# HELP wasmbox_worker_crashes_total Worker processes that "
            "died or were killed outside a guest's own limits.\n"
            "# TYPE wasmbox_worker_crashes_total counter\n"
            "wasmbox_worker_crashes_total %llu\n", (unsigned long long)
            wb_isolation_crashes(srv->opts.isolation));
    pthread_mutex_lock(&srv->qmu);
    unsigned queued = srv->queued;
    pthread_mutex_unlock(&srv->qmu);
    connection_metrics(f, &srv->guard);
    wb_http_health_metrics(f, srv);
    fprintf(f, "# HELP wasmbox_http_requests_queued Requests waiting in "
            "their key's queue for a worker.\n"
            "# TYPE wasmbox_http_requests_queued gauge\n"
            "wasmbox_http_requests_queued %u\n", queued);
    fclose(f);
    free(r->resp);
    r->resp = buf;
    r->resp_len = len;
    r->status = 200;
    r->ctype = "text/plain; version=0.0.4; charset=utf-8";
}

static enum MHD_Result send_answer(wb_http_req *r)
{
    if (!r->resp) {
        r->resp = strdup("");
        r->resp_len = 0;
    }
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        r->resp_len, r->resp, MHD_RESPMEM_MUST_FREE);
    if (!resp)
        return MHD_NO;
    r->resp = NULL;                       /* the response owns it */
    if (r->ctype)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->ctype);
    if (r->status == 401)
        MHD_add_response_header(resp, "WWW-Authenticate",
                                "Bearer realm=\"wasmbox\"");
    if (r->status == 405 && r->allow[0])
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
    if (r->session[0])      /* affinity: an ingress may hash on it */
        MHD_add_response_header(resp, "X-Wasmbox-Session", r->session);
    if (r->retry_after) {
        char ra[16];
        snprintf(ra, sizeof ra, "%u", r->retry_after);
        MHD_add_response_header(resp, "Retry-After", ra);
    }
    /* from SIGTERM on, kept-alive connections close after their next
       answer: a client's (or a proxy's) pool of them empties during the
       drain delay instead of meeting the closed server after it */
    pthread_mutex_lock(&r->srv->mu);
    bool draining = r->srv->draining || r->srv->unready;
    pthread_mutex_unlock(&r->srv->mu);
    if (draining || r->status == 413)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    r->answered = true;
    wb_conn_running(&r->srv->guard, r->conn, false);   /* clock: sending */
    enum MHD_Result ret = MHD_queue_response(r->conn, r->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* The URI as it came, before libmicrohttpd decodes it: a %00 would cut
 * the path short (PUT .../files/a%00b would write "a"), so such a
 * request is marked here, and refused. Its context starts here. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    wb_http_req *r = calloc(1, sizeof *r);
    if (r)
        r->nul_in_url = strstr(uri, "%00") != NULL;
    return r;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version,
                                  const char *upload_data,
                                  size_t *upload_data_size, void **ctx)
{
    wb_http_server *srv = cls;
    wb_http_req *r = *ctx;
    if (!r || !r->srv) {                  /* the request's first call */
        if (!r && !(r = calloc(1, sizeof *r)))
            return MHD_NO;
        *ctx = r;
        r->srv = srv;
        r->conn = conn;
        r->t0_us = now_us();
        r->route = -1;
        wb_conn_request(&srv->guard, conn);
        pthread_mutex_lock(&srv->mu);
        srv->in_flight++;
        bool draining = srv->draining;
        pthread_mutex_unlock(&srv->mu);
        if (draining) {
            wb_http_error(r, 503, "the server is shutting down");
            r->retry_after = 1;
            return send_answer(r);
        }
        if (r->nul_in_url) {
            wb_http_error(r, 400, "the URL holds a NUL byte (%%00)");
            return send_answer(r);
        }
        r->route = wb_http_route_find(method, url, r->id, r->path);
        if (r->route < 0) {
            if (wb_http_allowed(url, r->allow, sizeof r->allow))
                wb_http_error(r, 405, "method %s is not allowed on %s "
                              "(allowed: %s)", method, url, r->allow);
            else
                wb_http_error(r, 404, "no such route: %s %s", method, url);
            return send_answer(r);
        }
        const wb_http_route *rt = wb_http_route_get(r->route);
        if (rt->auth) {
            wb_http_key *k = authenticate(srv, conn);
            if (!k) {
                wb_http_error(r, 401, "missing or invalid API key (send "
                              "'Authorization: Bearer KEY')");
                return send_answer(r);
            }
            pthread_mutex_lock(&srv->mu);
            bool busy = k->active >= srv->max_per_key;
            if (!busy) {
                k->active++;
                r->key = k;
            }
            pthread_mutex_unlock(&srv->mu);
            if (busy) {
                wb_http_limit_error(r, 429, "max-concurrent-per-key",
                                    "this API key already has %u requests "
                                    "in flight (--max-concurrent-per-key); "
                                    "retry later", srv->max_per_key);
                r->retry_after = 1;
                return send_answer(r);
            }
            wb_conn_keep(&srv->guard, conn);   /* the per-key caps bound it */
        }
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                             MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > srv->max_body) {
            wb_http_error(r, 413, "request body of %s bytes exceeds the "
                          "limit of %llu bytes", cl,
                          (unsigned long long)srv->max_body);
            return send_answer(r);
        }
        if (r->route == WB_R_FILES_LIST) {
            const char *d = MHD_lookup_connection_value(
                conn, MHD_GET_ARGUMENT_KIND, "dir");
            if (d) {
                snprintf(r->dir, sizeof r->dir, "%s", d);
                r->has_dir = true;
            }
        }
        return MHD_YES;
    }
    if (r->answered) {
        *upload_data_size = 0;            /* answered early: discard */
        return MHD_YES;
    }
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (wb_conn_late(&srv->guard, conn))
            return MHD_NO;                /* trickled past the deadline */
        if (r->too_big || r->len + n > srv->max_body) {
            r->too_big = true;
            return MHD_YES;
        }
        if (r->len + n + 1 > r->cap) {
            size_t cap = (r->len + n + 1) * 2;
            if (cap > srv->max_body + 1)
                cap = srv->max_body + 1;
            uint8_t *b = realloc(r->body, cap);
            if (!b)
                return MHD_NO;
            r->body = b;
            r->cap = cap;
        }
        memcpy(r->body + r->len, upload_data, n);
        r->len += n;
        r->body[r->len] = 0;
        return MHD_YES;
    }
    if (r->queued)                        /* resumed: the worker answered */
        return send_answer(r);
    if (r->too_big) {
        wb_http_error(r, 413, "request body exceeds the limit of %llu bytes",
                      (unsigned long long)srv->max_body);
        return send_answer(r);
    }
    if (wb_http_route_get(r->route)->in_place) {
        if (r->route == WB_R_METRICS)
            metrics(r);
        else
            wb_http_health(r);
        return send_answer(r);
    }
    r->queued = true;
    wb_conn_running(&srv->guard, conn, true);
    MHD_suspend_connection(conn);
    wb_http_sched_submit(srv, r);
    return MHD_YES;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **ctx,
                         enum MHD_RequestTerminationCode toe)
{
    wb_http_server *srv = cls;
    wb_http_req *r = *ctx;
    wb_conn_next(&srv->guard, conn);
    if (r && !r->srv) {                   /* never reached on_request */
        free(r);
        *ctx = NULL;
        return;
    }
    if (!r)
        return;
    double secs = (double)(now_us() - r->t0_us) / 1e6;
    pthread_mutex_lock(&srv->mu);
    if (r->key && r->key->active)
        r->key->active--;
    if (srv->in_flight)
        srv->in_flight--;
    int b = 0;
    while (b < WB_HTTP_BUCKETS && secs > buckets[b])
        b++;
    srv->hist[b]++;
    srv->hist_count++;
    srv->hist_sum += secs;
    if (r->status >= 100 && r->status < 600)
        srv->responses[r->status / 100]++;
    pthread_mutex_unlock(&srv->mu);
    free(r->body);
    free(r->resp);
    free(r);
    *ctx = NULL;
}

/* The longest a request under way may still take (its budget's timeout
 * plus start-up and slack); shutdown waits at most this long. */
static uint64_t drain_ms(const wb_http_server *srv)
{
    uint64_t t = srv->policy.budget.timeout_ms;
    return (t ? t : 300000u) + 65000u;
}

/* The start-up line on stderr (tests read the port from it). */
static void announce(const wb_http_server *srv, const wb_addr *addr)
{
    const union MHD_DaemonInfo *di =
        MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    struct sockaddr_storage bound = addr->ss;
    uint16_t port = htons(di ? di->port : 0);
    if (bound.ss_family == AF_INET)
        ((struct sockaddr_in *)&bound)->sin_port = port;
    else if (bound.ss_family == AF_INET6)
        ((struct sockaddr_in6 *)&bound)->sin6_port = port;
    char where[80], per[48] = "";
    wb_addr_format(&bound, where, sizeof where);
    if (srv->max_per_client)
        snprintf(per, sizeof per, ", %u per client address",
                 srv->max_per_client);
    fprintf(stderr, "wasmbox serve: listening on http://%s (%u workers, "
            "%s, at most %u connections%s)\n", where, srv->nthreads,
            srv->no_auth ? "NO AUTHENTICATION" : "API keys required",
            srv->guard.max, per);
    fflush(stderr);
}

int wb_http_serve(wb_http_server *srv, const wb_addr *addr, char *msg,
                  size_t cap)
{
    const struct sockaddr_storage *ss = &addr->ss;
    if (!wb_mhd_load(msg, cap))
        return -1;
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    /* every thread started from here on inherits the blocked signals;
       this thread takes them with sigtimedwait */
    pthread_sigmask(SIG_BLOCK, &set, &old);
    signal(SIGPIPE, SIG_IGN);

    pthread_mutex_init(&srv->mu, NULL);
    /* shared: sessions are found on disk at their first use here */
    if (!srv->shared)
        wb_http_sessions_restore(srv); /* before the first request */
    else if (!wb_http_lease_start(srv)) {
        snprintf(msg, cap, "cannot start the lease keeper thread");
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        return -1;
    } else
        fprintf(stderr, "wasmbox serve: shared state directory %s "
                "(replica %s, leases of %llu ms)\n", srv->state_dir,
                wb_http_lease_self(), (unsigned long long)srv->lease_ttl_ms);
    unsigned mhd_limit = wb_conn_init(&srv->guard, "serve");
    if (!wb_http_sched_start(srv)) {
        snprintf(msg, cap, "cannot start worker threads");
        wb_http_lease_stop(srv);
        wb_conn_destroy(&srv->guard);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        return -1;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO |
                     MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    if (ss->ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    srv->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, srv,
        /* first: libmicrohttpd logs options after it with the logger */
        MHD_OPTION_EXTERNAL_LOGGER, wb_mhd_log, (void *)"wasmbox serve",
        MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)ss,
        MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
        MHD_OPTION_NOTIFY_CONNECTION, wb_conn_notify, &srv->guard,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
        MHD_OPTION_CONNECTION_LIMIT, mhd_limit,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, srv->max_per_client,
        MHD_OPTION_END);
    int rc = 0;
    if (!srv->daemon) {
        snprintf(msg, cap, "cannot listen (address in use or not "
                 "available)");
        rc = -1;
    } else {
        announce(srv, addr);
        uint64_t every = wb_session_expire_every_ms(&srv->settings);
        uint64_t last_expire = wb_http_now_ms();
        for (;;) {
            struct timespec ts = { 1, 0 };
            int sig = sigtimedwait(&set, NULL, &ts);
            if (sig == SIGTERM || sig == SIGINT) {
                fprintf(stderr, "wasmbox serve: %s: draining\n",
                        sig == SIGTERM ? "SIGTERM" : "SIGINT");
                wb_http_drain_delay(srv, &set);
                break;
            }
            wb_conn_sweep(&srv->guard);
            /* also the one-shot workspaces a failed delete left */
            if (wb_http_now_ms() - last_expire >= (every ? every : 60000)) {
                wb_http_sessions_expire(srv);
                last_expire = wb_http_now_ms();
            }
        }
        /* stop accepting; answer 503 to new requests on open connections */
        pthread_mutex_lock(&srv->mu);
        srv->draining = true;
        pthread_mutex_unlock(&srv->mu);
        MHD_socket lfd = MHD_quiesce_daemon(srv->daemon);
        if (lfd != MHD_INVALID_SOCKET)
            close(lfd);
        uint64_t deadline = wb_http_now_ms() + drain_ms(srv);
        for (;;) {
            pthread_mutex_lock(&srv->mu);
            uint64_t n = srv->in_flight;
            pthread_mutex_unlock(&srv->mu);
            if (n == 0 || wb_http_now_ms() >= deadline)
                break;
            wb_conn_sweep(&srv->guard);
            struct timespec ts = { 0, 20 * 1000 * 1000 };
            nanosleep(&ts, NULL);
        }
        pthread_mutex_lock(&srv->mu);
        uint64_t left = srv->in_flight;
        pthread_mutex_unlock(&srv->mu);
        if (left) {
            /* cannot stop the daemon with suspended connections */
            fprintf(stderr, "wasmbox serve: %llu requests still running "
                    "after the drain deadline; exiting\n",
                    (unsigned long long)left);
            fflush(stderr);
            _exit(0);
        }
        MHD_stop_daemon(srv->daemon);
        srv->daemon = NULL;
    }
    wb_http_sched_stop(srv);
    wb_http_sessions_close_all(srv);
    wb_http_lease_stop(srv);
    wb_conn_destroy(&srv->guard);
    if (!rc)
        fprintf(stderr, "wasmbox serve: stopped\n");
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc;
}
