/* wb_mcp_http.c: the Streamable HTTP transport (libmicrohttpd), one
 * endpoint /mcp on a loopback address.
 *
 *   POST   a JSON-RPC message or batch; the answer is application/json
 *          (202 and no body when it held only notifications/responses).
 *          An initialize request creates a connection and its session;
 *          its id comes back in the Mcp-Session-Id header and must be
 *          sent with every later request (400 without it, 404 when it is
 *          unknown). An id of a session that is on disk but not open in
 *          this process (the server restarted) resumes that session.
 *   GET    405: this server sends no unsolicited messages.
 *   DELETE ends the connection (interpreters stop; files stay).
 * Requests with an Origin header that is not a loopback origin get 403
 * (DNS rebinding). */
#include "cli/cli.h"
#include "server/wb_mcp.h"
#include "session/wb_session.h"
#include <arpa/inet.h>
#include <errno.h>
#include "server/mhd.h"
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_BODY (16u << 20)
#define MAX_CONNS 256

typedef struct slot {
    wb_mcp_conn *c;
    int refs;
    bool dead;
} slot;

static pthread_mutex_t tab_mu = PTHREAD_MUTEX_INITIALIZER;
static slot tab[MAX_CONNS];
static wb_mcp_server *g_srv;

typedef struct body {
    char *buf;
    size_t len;
    bool too_big;
} body;

static void slot_release(slot *s)
{
    pthread_mutex_lock(&tab_mu);
    wb_mcp_conn *to_free = NULL;
    if (--s->refs == 0 && s->dead) {
        to_free = s->c;
        s->c = NULL;
        s->dead = false;
    }
    pthread_mutex_unlock(&tab_mu);
    if (to_free) {
        wb_mcp_conn_close(to_free);
        free(to_free);
    }
}

static slot *slot_find(const char *id)
{
    slot *r = NULL;
    pthread_mutex_lock(&tab_mu);
    for (int i = 0; i < MAX_CONNS && !r; i++)
        if (tab[i].c && !tab[i].dead && tab[i].c->sess &&
            !strcmp(wb_session_id(tab[i].c->sess), id)) {
            r = &tab[i];
            r->refs++;
        }
    pthread_mutex_unlock(&tab_mu);
    return r;
}

static slot *slot_add(wb_mcp_conn *c)
{
    slot *r = NULL;
    pthread_mutex_lock(&tab_mu);
    for (int i = 0; i < MAX_CONNS && !r; i++)
        if (!tab[i].c) {
            r = &tab[i];
            r->c = c;
            r->refs = 1;
            r->dead = false;
        }
    pthread_mutex_unlock(&tab_mu);
    return r;
}

static bool on_disk(const char *id)
{
    wb_session_info *list;
    size_t n;
    bool found = false;
    if (wb_session_list(&g_srv->opts, &list, &n, NULL))
        return false;
    for (size_t i = 0; i < n && !found; i++)
        found = !strcmp(list[i].id, id);
    free(list);
    return found;
}

/* A new connection (initialize, or a resumed session id). */
static slot *new_conn(const char *id, char *why, size_t whylen)
{
    wb_mcp_conn *c = malloc(sizeof *c);
    if (!c) {
        snprintf(why, whylen, "out of memory");
        return NULL;
    }
    wb_mcp_conn_init(c, g_srv, id);
    wb_error err = { 0 };
    if (wb_mcp_session(c, &err)) {
        snprintf(why, whylen, "cannot open a session: %s", err.message);
        wb_mcp_conn_close(c);
        free(c);
        return NULL;
    }
    slot *s = slot_add(c);
    if (!s) {
        snprintf(why, whylen, "too many connections");
        wb_mcp_conn_close(c);
        free(c);
    }
    return s;
}

static enum MHD_Result reply(struct MHD_Connection *con, unsigned code,
                             const char *text, const char *type,
                             const char *sid)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    if (type)
        MHD_add_response_header(r, "Content-Type", type);
    if (sid)
        MHD_add_response_header(r, "Mcp-Session-Id", sid);
    if (code == 405)
        MHD_add_response_header(r, "Allow", "POST, DELETE");
    enum MHD_Result ret = MHD_queue_response(con, code, r);
    MHD_destroy_response(r);
    return ret;
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

/* Does the body hold an initialize request? */
static bool is_initialize(const char *text, size_t len)
{
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

static enum MHD_Result handle_post(struct MHD_Connection *con, body *b)
{
    const char *sid = MHD_lookup_connection_value(con, MHD_HEADER_KIND,
                                                  "Mcp-Session-Id");
    char why[600];
    slot *s;
    if (b->too_big)
        return rpc_error(con, 413, -32600, "Invalid Request: body too large");
    if (is_initialize(b->buf ? b->buf : "", b->len)) {
        s = new_conn(NULL, why, sizeof why);
        if (!s)
            return rpc_error(con, 500, -32603, why);
    } else if (!sid) {
        return rpc_error(con, 400, -32600, "Bad Request: missing "
                         "Mcp-Session-Id header (send initialize first)");
    } else if (!(s = slot_find(sid))) {
        if (!wb_sess_valid_id(sid) || !on_disk(sid))
            return rpc_error(con, 404, -32600, "Session not found");
        s = new_conn(sid, why, sizeof why);
        if (!s)
            return rpc_error(con, 500, -32603, why);
        s->c->initialized = true;
    }
    char *resp = wb_mcp_handle_text(s->c, b->buf ? b->buf : "", b->len, NULL);
    char id[64];
    snprintf(id, sizeof id, "%s", wb_session_id(s->c->sess));
    slot_release(s);
    enum MHD_Result r = resp ? reply(con, 200, resp, "application/json", id)
                             : reply(con, 202, "", NULL, id);
    free(resp);
    return r;
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
        return MHD_YES;
    }
    if (*upload_size) {
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
    if (strcmp(url, "/mcp") && strcmp(url, "/mcp/"))
        return reply(con, 404, "not found: the MCP endpoint is /mcp\n",
                     "text/plain", NULL);
    if (!origin_ok(con))
        return reply(con, 403, "forbidden origin\n", "text/plain", NULL);
    if (!strcmp(method, "POST"))
        return handle_post(con, b);
    if (!strcmp(method, "DELETE"))
        return handle_delete(con);
    return reply(con, 405, "method not allowed\n", "text/plain", NULL);
}

static void on_done(void *cls, struct MHD_Connection *con, void **con_cls,
                    enum MHD_RequestTerminationCode toe)
{
    body *b = *con_cls;
    if (b) {
        free(b->buf);
        free(b);
        *con_cls = NULL;
    }
}

/* "127.0.0.1:PORT" or "localhost:PORT": loopback only. */
static int listen_on(const char *addr, struct sockaddr_in *sa)
{
    char host[64];
    const char *colon = strrchr(addr, ':');
    if (!colon || (size_t)(colon - addr) >= sizeof host)
        return -1;
    memcpy(host, addr, (size_t)(colon - addr));
    host[colon - addr] = 0;
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (!colon[1] || *end || port < 0 || port > 65535)
        return -1;
    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    sa->sin_port = htons((uint16_t)port);
    if (!strcmp(host, "localhost") || !*host)
        snprintf(host, sizeof host, "127.0.0.1");
    if (inet_pton(AF_INET, host, &sa->sin_addr) != 1)
        return -1;
    if ((ntohl(sa->sin_addr.s_addr) >> 24) != 127)
        return -2;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd < 0)
        return -3;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)sa, sizeof *sa) != 0 ||
        listen(fd, 64) != 0) {
        close(fd);
        return -3;
    }
    socklen_t sl = sizeof *sa;
    getsockname(fd, (struct sockaddr *)sa, &sl);
    return fd;
}

int wb_mcp_http(wb_mcp_server *srv, const char *addr)
{
    struct sockaddr_in sa;
    int fd = listen_on(addr, &sa);
    if (fd == -1 || fd == -2) {
        wb_cli_error("mcp", "--http %s: expected 127.0.0.1:PORT (%s)", addr,
                     fd == -2 ? "only loopback addresses are served"
                              : "bad address");
        return WB_EXIT_USAGE;
    }
    if (fd < 0) {
        wb_cli_error("mcp", "--http %s: %s", addr, strerror(errno));
        return WB_EXIT_FAIL;
    }
    g_srv = srv;
    /* signals go to this thread's sigwait, not to server threads */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    char why[256];
    if (!wb_mhd_load(why, sizeof why)) {
        close(fd);
        fprintf(stderr, "wasmbox: mcp: %s\n", why);
        return 1;
    }
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
        MHD_USE_ERROR_LOG, 0, NULL, NULL, on_request, NULL,
        MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
        MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)600,
        MHD_OPTION_END);
    if (!d) {
        close(fd);
        wb_cli_error("mcp", "cannot start the HTTP server");
        return WB_EXIT_FAIL;
    }
    fprintf(stderr, "wasmbox mcp: listening on http://127.0.0.1:%u/mcp\n",
            (unsigned)ntohs(sa.sin_port));
    fflush(stderr);
    int sig = 0;
    sigwait(&set, &sig);
    MHD_stop_daemon(d);
    close(fd);
    for (int i = 0; i < MAX_CONNS; i++)
        if (tab[i].c) {
            wb_mcp_conn_close(tab[i].c);
            free(tab[i].c);
            tab[i].c = NULL;
        }
    return 0;
}
