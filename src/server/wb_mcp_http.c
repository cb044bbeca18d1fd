/* wb_mcp_http.c: the Streamable HTTP transport (libmicrohttpd), one
 * endpoint /mcp on a loopback address.
 *
 *   POST   a JSON-RPC message or batch; the answer is application/json
 *          (202 and no body when it held only notifications/responses).
 *          An initialize request creates a connection; its id comes back
 *          in the Mcp-Session-Id header and must be sent with every later
 *          request (400 without it, 404 when it is unknown). The
 *          connection's session is created on disk by its first tool call
 *          (a failed or bare initialize leaves nothing there). An id of a
 *          session that is on disk but not open (the server restarted, or
 *          the connection was closed) resumes that session.
 *   GET    405: this server sends no unsolicited messages.
 *   DELETE ends the connection (interpreters stop; files stay).
 * Requests with an Origin header that is not a loopback origin, or a
 * Host header that is not a loopback name, get 403 (DNS rebinding). A
 * request for a session whose connection was closed (DELETE) while its
 * tool call still runs gets 409 until that call has answered.
 *
 * MCP sessions ("connections" below) are bounded: --max-sessions at once
 * (503 past it) and --max-sessions-per-client per client address (429),
 * and one idle for --idle-timeout is closed (its files stay; its id can
 * resume it). Every lookup and creation of a connection by id happens
 * under tab_mu, so two requests resuming one id at once share one
 * connection.
 *
 * TCP connections, one thread each, are bounded by --max-connections: a
 * new one past it closes the one that has waited longest for a request
 * (never one whose tool call runs), and a connection must send its
 * request's headers within --header-timeout and the whole request within
 * --request-timeout (wb_conn.c). Idle sockets thus cannot use up the
 * threads, and a client with a session is served through a flood of them.
 *
 * SIGTERM, SIGINT, SIGHUP: stop accepting, answer 503 to new requests,
 * let the requests under way finish (each bounded by its budget's
 * timeout), then stop and return 0. */
#include "server/wb_conn.h"
#include "server/wb_mcp.h"
#include <arpa/inet.h>
#include <errno.h>
#include "server/mhd.h"
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_BODY WB_MCP_MAX_MESSAGE

typedef struct slot {
    wb_mcp_conn *c;                /* NULL: free */
    char id[64];                   /* its Mcp-Session-Id (tab_mu) */
    char client[INET6_ADDRSTRLEN]; /* the peer that created it */
    int refs;                      /* requests using it (tab_mu) */
    bool dead;                     /* closed once refs drop to 0 */
    uint64_t last_ms;              /* last request's end (tab_mu) */
} slot;

static pthread_mutex_t tab_mu = PTHREAD_MUTEX_INITIALIZER;
static slot *tab;
static unsigned ntab;
static wb_mcp_server *g_srv;
/* shutdown: requests under way, and whether new ones are refused */
static unsigned in_flight;
static bool draining;
static wb_conn_guard guard;        /* TCP connections */

typedef struct body {
    char *buf;
    size_t len;
    bool too_big;
} body;

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void conn_free(wb_mcp_conn *c)
{
    wb_mcp_conn_close(c);
    free(c);
}

static void slot_release(slot *s)
{
    pthread_mutex_lock(&tab_mu);
    wb_mcp_conn *to_free = NULL;
    s->last_ms = now_ms();
    if (--s->refs == 0 && s->dead) {
        to_free = s->c;
        s->c = NULL;
        s->dead = false;
    }
    pthread_mutex_unlock(&tab_mu);
    if (to_free)
        conn_free(to_free);
}

/* The open connection with this id (tab_mu held), or NULL. */
static slot *find_locked(const char *id)
{
    for (unsigned i = 0; i < ntab; i++)
        if (tab[i].c && !tab[i].dead && !strcmp(tab[i].id, id))
            return &tab[i];
    return NULL;
}

/* Is a connection with this id closed (DELETE) but still running a
 * tool call? (tab_mu held) */
static bool closing_locked(const char *id)
{
    for (unsigned i = 0; i < ntab; i++)
        if (tab[i].c && tab[i].dead && !strcmp(tab[i].id, id))
            return true;
    return false;
}

static slot *slot_find(const char *id)
{
    pthread_mutex_lock(&tab_mu);
    slot *r = find_locked(id);
    if (r)
        r->refs++;
    pthread_mutex_unlock(&tab_mu);
    return r;
}

/* The connection with id `id`, created for `client` when there is none
 * (the caps permitting; `resumed`: the session was initialized by an
 * earlier connection); NULL with an HTTP status and reason otherwise. */
static slot *slot_claim(const char *id, const char *client, bool resumed,
                        unsigned *code, char *why, size_t whylen)
{
    wb_mcp_conn *c = malloc(sizeof *c);
    if (!c) {
        *code = 500;
        snprintf(why, whylen, "out of memory");
        return NULL;
    }
    wb_mcp_conn_init(c, g_srv, id);
    c->initialized = resumed;
    pthread_mutex_lock(&tab_mu);
    slot *r = find_locked(id), *free_slot = NULL;
    unsigned open = 0, mine = 0;
    for (unsigned i = 0; i < ntab && !r; i++) {
        if (!tab[i].c && !free_slot)
            free_slot = &tab[i];
        if (tab[i].c && !tab[i].dead) {
            open++;
            mine += !strcmp(tab[i].client, client);
        }
    }
    if (r) {
        r->refs++;                /* another request created it just now */
    } else if (closing_locked(id)) {
        /* a second connection would open the session beside the one
           whose tool call still runs: two interpreters, one workspace */
        *code = 409;
        snprintf(why, whylen, "this session's connection was closed "
                 "(DELETE) while a tool call ran; send again once that "
                 "call has answered");
    } else if (mine >= g_srv->max_per_client) {
        *code = 429;
        snprintf(why, whylen, "too many MCP sessions: this client (%s) has "
                 "%u open, its limit (--max-sessions-per-client); end one "
                 "with DELETE /mcp, or wait until one has been idle for "
                 "--idle-timeout", client, mine);
    } else if (!free_slot || open >= g_srv->max_sessions) {
        *code = 503;
        snprintf(why, whylen, "too many MCP sessions: %u open, the server's "
                 "limit (--max-sessions); end one with DELETE /mcp, or wait "
                 "until one has been idle for --idle-timeout", open);
    } else {
        r = free_slot;
        r->c = c;
        c = NULL;
        snprintf(r->id, sizeof r->id, "%s", id);
        snprintf(r->client, sizeof r->client, "%s", client);
        r->refs = 1;
        r->dead = false;
        r->last_ms = now_ms();
    }
    pthread_mutex_unlock(&tab_mu);
    if (c)
        conn_free(c);
    return r;
}

/* Close connections idle past --idle-timeout (the main thread). */
static void expire_idle(void)
{
    if (!g_srv->idle_ms)
        return;
    for (;;) {
        wb_mcp_conn *to_free = NULL;
        pthread_mutex_lock(&tab_mu);
        uint64_t now = now_ms();   /* under tab_mu, as last_ms is written */
        for (unsigned i = 0; i < ntab && !to_free; i++)
            if (tab[i].c && !tab[i].dead && tab[i].refs == 0 &&
                now - tab[i].last_ms >= g_srv->idle_ms) {
                to_free = tab[i].c;
                tab[i].c = NULL;
            }
        pthread_mutex_unlock(&tab_mu);
        if (!to_free)
            return;
        conn_free(to_free);
    }
}

static bool is_draining(void)
{
    pthread_mutex_lock(&tab_mu);
    bool d = draining;
    pthread_mutex_unlock(&tab_mu);
    return d;
}

/* `owned`: text is malloc'd and handed to MHD, which frees it once sent
 * (an answer can be 33 MB: no second copy while a slow client reads). */
static enum MHD_Result reply_buf(struct MHD_Connection *con, unsigned code,
                                 char *text, bool owned, const char *type,
                                 const char *sid)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        strlen(text), text, owned ? MHD_RESPMEM_MUST_FREE
                                  : MHD_RESPMEM_MUST_COPY);
    if (!r) {
        if (owned)
            free(text);
        return MHD_NO;
    }
    if (type)
        MHD_add_response_header(r, "Content-Type", type);
    if (sid)
        MHD_add_response_header(r, "Mcp-Session-Id", sid);
    if (code == 405)
        MHD_add_response_header(r, "Allow", "POST, DELETE");
    if (code == 409 || code == 429 || code == 503)
        MHD_add_response_header(r, "Retry-After", "1");
    if (is_draining())
        MHD_add_response_header(r, "Connection", "close");
    enum MHD_Result ret = MHD_queue_response(con, code, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result reply(struct MHD_Connection *con, unsigned code,
                             const char *text, const char *type,
                             const char *sid)
{
    return reply_buf(con, code, (char *)text, false, type, sid);
}

static enum MHD_Result rpc_error(struct MHD_Connection *con, unsigned code,
                                 int rpc, const char *msg)
{
    json_t *j = json_pack("{s:s, s:n, s:{s:i, s:s}}", "jsonrpc", "2.0", "id",
                          "error", "code", rpc, "message", msg);
    char *t = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    enum MHD_Result r = reply(con, code, t ? t : "", "application/json",
                              NULL);
    free(t);
    return r;
}

static bool origin_ok(struct MHD_Connection *con)
{
    const char *o = MHD_lookup_connection_value(con, MHD_HEADER_KIND,
                                                "Origin");
    if (!o)
        return true;
    static const char *const ok[] = { "http://127.0.0.1", "http://localhost",
                                      "http://[::1]", NULL };
    for (const char *const *p = ok; *p; p++) {
        size_t n = strlen(*p);
        if (!strncmp(o, *p, n) && (o[n] == 0 || o[n] == ':' || o[n] == '/'))
            return true;
    }
    return false;
}

/* Is the Host header a loopback name (or absent: HTTP/1.0)? A name an
 * attacker's DNS points at 127.0.0.1 (rebinding) comes with its own name
 * here: the Origin check stops a browser's POST or DELETE, this one
 * whatever sends the page's name without an Origin. */
static bool host_ok(struct MHD_Connection *con)
{
    const char *h = MHD_lookup_connection_value(con, MHD_HEADER_KIND,
                                                "Host");
    char name[64];
    size_t n;
    if (!h)
        return true;
    if (h[0] == '[') {
        const char *e = strchr(h, ']');
        n = e ? (size_t)(e + 1 - h) : 0;
    } else {
        n = strcspn(h, ":");
    }
    const char *port = h + n;
    if (n == 0 || n >= sizeof name || (*port && (*port != ':' || !port[1] ||
        strspn(port + 1, "0123456789") != strlen(port + 1))))
        return false;
    memcpy(name, h, n);
    name[n] = 0;
    struct in_addr a;
    if (!strcasecmp(name, "localhost") || !strcmp(name, "[::1]"))
        return true;
    return inet_pton(AF_INET, name, &a) == 1 &&
           (ntohl(a.s_addr) >> 24) == 127;
}

static void client_of(struct MHD_Connection *con, char *out, size_t cap)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(con, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;
    snprintf(out, cap, "?");
    if (sa && sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out,
                  (socklen_t)cap);
    else if (sa && sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr,
                  out, (socklen_t)cap);
}

/* Does the body hold an initialize request? */
static bool is_initialize(const char *text, size_t len)
{
    if (!wb_mcp_values_ok(text, len))
        return false;                 /* answered by wb_mcp_handle_text */
    json_t *j = json_loadb(text, len, 0, NULL);
    bool r = false;
    json_t *one = j;
    if (json_is_array(j) && json_array_size(j) > 0)
        one = json_array_get(j, 0);
    json_t *m = json_object_get(one, "method");
    r = json_is_string(m) && !strcmp(json_string_value(m), "initialize");
    json_decref(j);
    return r;
}

/* The connection a POST goes to: a new one for initialize, else the one
 * its Mcp-Session-Id names (resumed from disk if need be); NULL when the
 * answer (an error) was queued in *ret. */
static slot *route_post(struct MHD_Connection *con, bool init,
                        enum MHD_Result *ret)
{
    const char *sid = MHD_lookup_connection_value(con, MHD_HEADER_KIND,
                                                  "Mcp-Session-Id");
    char id[64], client[INET6_ADDRSTRLEN], why[400];
    unsigned code = 500;
    slot *s = NULL;
    client_of(con, client, sizeof client);
    if (init) {
        wb_error err = { 0 };
        if (wb_session_new_id(&g_srv->opts, id, sizeof id, &err)) {
            *ret = rpc_error(con, 500, -32603, err.message);
            return NULL;
        }
        s = slot_claim(id, client, false, &code, why, sizeof why);
    } else if (!sid) {
        *ret = rpc_error(con, 400, -32600, "Bad Request: missing "
                         "Mcp-Session-Id header (send initialize first)");
        return NULL;
    } else if (!(s = slot_find(sid))) {
        if (!wb_session_exists(&g_srv->opts, sid)) {
            *ret = rpc_error(con, 404, -32600, "Session not found");
            return NULL;
        }
        s = slot_claim(sid, client, true, &code, why, sizeof why);
    }
    if (!s)
        *ret = rpc_error(con, code, -32000, why);
    return s;
}

static enum MHD_Result handle_post(struct MHD_Connection *con, body *b)
{
    if (b->too_big)
        return rpc_error(con, 413, -32600, "Invalid Request: body too large");
    if (is_draining())
        return rpc_error(con, 503, -32000, "the server is shutting down");
    const char *text = b->buf ? b->buf : "";
    bool init = is_initialize(text, b->len);
    enum MHD_Result ret = MHD_NO;
    slot *s = route_post(con, init, &ret);
    if (!s)
        return ret;
    bool was_init = false;
    char *resp = wb_mcp_handle_text(s->c, text, b->len, &was_init);
    char id[64];
    snprintf(id, sizeof id, "%s", s->id);
    if (init && !was_init) {
        /* a failed initialize: no connection, no session id */
        pthread_mutex_lock(&tab_mu);
        s->dead = true;
        pthread_mutex_unlock(&tab_mu);
    }
    slot_release(s);
    const char *sid = init && !was_init ? NULL : id;
    return resp ? reply_buf(con, 200, resp, true, "application/json", sid)
                : reply(con, 202, "", NULL, sid);
}

static enum MHD_Result handle_delete(struct MHD_Connection *con)
{
    const char *sid = MHD_lookup_connection_value(con, MHD_HEADER_KIND,
                                                  "Mcp-Session-Id");
    if (!sid)
        return reply(con, 400, "missing Mcp-Session-Id\n", "text/plain",
                     NULL);
    slot *s = slot_find(sid);
    if (!s)
        return reply(con, 404, "session not found\n", "text/plain", NULL);
    pthread_mutex_lock(&tab_mu);
    s->dead = true;
    pthread_mutex_unlock(&tab_mu);
    slot_release(s);
    return reply(con, 200, "", NULL, NULL);
}

/* A whole request, its body in b. */
static enum MHD_Result dispatch(struct MHD_Connection *con, const char *url,
                                const char *method, body *b)
{
    if (strcmp(url, "/mcp") && strcmp(url, "/mcp/"))
        return reply(con, 404, "not found: the MCP endpoint is /mcp\n",
                     "text/plain", NULL);
    if (!origin_ok(con))
        return reply(con, 403, "forbidden origin\n", "text/plain", NULL);
    if (!host_ok(con))
        return reply(con, 403, "forbidden host: the Host header must name "
                     "a loopback address (127.0.0.1, localhost, [::1])\n",
                     "text/plain", NULL);
    if (!strcmp(method, "POST"))
        return handle_post(con, b);
    if (!strcmp(method, "DELETE"))
        return handle_delete(con);
    return reply(con, 405, "method not allowed\n", "text/plain", NULL);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *con,
                                  const char *url, const char *method,
                                  const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    body *b = *con_cls;
    if (!b) {
        if (!(b = calloc(1, sizeof *b)))
            return MHD_NO;
        *con_cls = b;
        wb_conn_request(&guard, con);
        pthread_mutex_lock(&tab_mu);
        in_flight++;
        pthread_mutex_unlock(&tab_mu);
        return MHD_YES;
    }
    if (*upload_size) {
        if (wb_conn_late(&guard, con))
            return MHD_NO;                /* trickled past the deadline */
        if (b->len + *upload_size > MAX_BODY) {
            b->too_big = true;
        } else if (!b->too_big) {
            char *nb = realloc(b->buf, b->len + *upload_size + 1);
            if (!nb)
                return MHD_NO;
            memcpy(nb + b->len, upload, *upload_size);
            b->buf = nb;
            b->len += *upload_size;
            b->buf[b->len] = 0;
        }
        *upload_size = 0;
        return MHD_YES;
    }
    wb_conn_running(&guard, con, true);
    enum MHD_Result r = dispatch(con, url, method, b);
    wb_conn_running(&guard, con, false);  /* the clock: sending */
    return r;
}

static void on_done(void *cls, struct MHD_Connection *con, void **con_cls,
                    enum MHD_RequestTerminationCode toe)
{
    body *b = *con_cls;
    wb_conn_next(&guard, con);
    if (b) {
        free(b->buf);
        free(b);
        *con_cls = NULL;
        pthread_mutex_lock(&tab_mu);
        in_flight--;
        pthread_mutex_unlock(&tab_mu);
    }
}

/* A listening socket on addr, its port (0: chosen by the kernel) put
 * back in addr; -1 with errno. */
static int listen_on(wb_addr *addr)
{
    int fd = socket(addr->ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd < 0)
        return -1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    socklen_t sl = sizeof addr->ss;
    if (bind(fd, (struct sockaddr *)&addr->ss, addr->len) != 0 ||
        listen(fd, 64) != 0 ||
        getsockname(fd, (struct sockaddr *)&addr->ss, &sl) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

/* Until a signal: close idle connections, expire idle sessions. */
static int wait_for_signal(const sigset_t *set)
{
    uint64_t every = wb_session_expire_every_ms(&g_srv->settings);
    uint64_t last_expire = now_ms();
    for (;;) {
        struct timespec ts = { 1, 0 };
        int sig = sigtimedwait(set, NULL, &ts);
        if (sig > 0)
            return sig;
        expire_idle();
        wb_conn_sweep(&guard);
        if (every && now_ms() - last_expire >= every) {
            wb_session_expire(&g_srv->opts, NULL, NULL);
            last_expire = now_ms();
        }
    }
}

/* Stop accepting, refuse new requests, and wait for those under way
 * (bounded by the budget's timeout plus start-up and slack). */
static void drain(struct MHD_Daemon *d, int sig)
{
    fprintf(stderr, "wasmbox mcp: %s: draining\n", strsignal(sig));
    fflush(stderr);
    pthread_mutex_lock(&tab_mu);
    draining = true;
    pthread_mutex_unlock(&tab_mu);
    MHD_socket lfd = MHD_quiesce_daemon(d);
    if (lfd != MHD_INVALID_SOCKET)
        close(lfd);
    uint64_t t = g_srv->policy.budget.timeout_ms;
    uint64_t deadline = now_ms() + (t ? t : 300000u) + 65000u;
    for (;;) {
        pthread_mutex_lock(&tab_mu);
        unsigned n = in_flight;
        pthread_mutex_unlock(&tab_mu);
        if (n == 0 || now_ms() >= deadline)
            break;
        wb_conn_sweep(&guard);
        struct timespec ts = { 0, 20 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
}

int wb_mcp_http(wb_mcp_server *srv, const wb_addr *addr, char *msg,
                size_t cap)
{
    wb_addr at = *addr;
    char where[80];
    wb_addr_format(&at.ss, where, sizeof where);
    if (!at.loopback) {
        snprintf(msg, cap, "--http %s: only loopback addresses are served",
                 where);
        return -1;
    }
    int fd = listen_on(&at);
    if (fd < 0) {
        snprintf(msg, cap, "--http %s: %s", where, strerror(errno));
        return -1;
    }
    wb_addr_format(&at.ss, where, sizeof where);
    g_srv = srv;
    ntab = srv->max_sessions;
    tab = calloc(ntab, sizeof *tab);
    if (!tab) {
        close(fd);
        snprintf(msg, cap, "out of memory");
        return -1;
    }
    /* signals go to this thread's sigtimedwait, not to server threads */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    struct MHD_Daemon *d = NULL;
    guard.max = srv->max_conns;
    guard.header_ms = srv->header_ms;
    guard.request_ms = srv->request_ms;
    unsigned mhd_limit = wb_conn_init(&guard, "mcp");
    /* MHD_USE_AUTO: poll(), not select(), in each connection's thread */
    bool loaded = wb_mhd_load(msg, cap);
    if (loaded)
        d = MHD_start_daemon(
            MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
            MHD_USE_AUTO | MHD_USE_ITC | MHD_USE_ERROR_LOG, 0, NULL, NULL,
            on_request, NULL,
            MHD_OPTION_EXTERNAL_LOGGER, wb_mhd_log, (void *)"wasmbox mcp",
            MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
            MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL,
            MHD_OPTION_NOTIFY_CONNECTION, wb_conn_notify, &guard,
            MHD_OPTION_CONNECTION_LIMIT, mhd_limit,
            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)600,
            MHD_OPTION_END);
    int rc = 0;
    if (!d) {
        close(fd);
        if (loaded)
            snprintf(msg, cap, "cannot start the HTTP server");
        rc = -1;
    } else {
        fprintf(stderr, "wasmbox mcp: listening on http://%s/mcp (at most "
                "%u connections)\n", where, guard.max);
        fflush(stderr);
        drain(d, wait_for_signal(&set));
        MHD_stop_daemon(d);
        fprintf(stderr, "wasmbox mcp: stopped\n");
    }
    for (unsigned i = 0; i < ntab; i++)
        if (tab[i].c)
            conn_free(tab[i].c);
    free(tab);
    tab = NULL;
    wb_conn_destroy(&guard);
    return rc;
}
