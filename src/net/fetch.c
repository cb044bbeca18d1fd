/* fetch.c: transfers through libcurl's multi interface, so that every
 * wait is one poll that also watches the run's wake-up fd (the WASI
 * layer's eventfd): the run's deadline ends a wait at once.
 *
 * libcurl resolves the name; on_socket then sees each address it is
 * about to connect to, before a socket exists, and refuses the ones no
 * rule allows (CURL_SOCKET_BAD), so the address checked is the address
 * connected to, whatever the resolver answers next time. No proxy, no
 * scheme but http and https, no redirect followed by libcurl (hop.c
 * follows them, checking each), TLS verified against the CA store
 * loaded into memory before the process was locked down. */
#include "net/broker.h"
#include "common/file.h"
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>

uint64_t wb_net_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The CA bundle into memory: $WASMBOX_CA_FILE (tests), else libcurl's
 * default file. A failure is kept and told at the first https request. */
static void load_ca(wb_net *n)
{
    const char *path = getenv("WASMBOX_CA_FILE");
    char *dflt = NULL;
    CURL *e = path ? NULL : curl_easy_init();
    if (e)
        curl_easy_getinfo(e, CURLINFO_CAINFO, &dflt);
    if (!path)
        path = dflt ? dflt : "/etc/ssl/certs/ca-certificates.crt";
    int er = wb_file_read(path, 16u << 20, &n->ca, &n->ca_len);
    if (er)
        snprintf(n->ca_error, sizeof n->ca_error, "network: cannot read "
                 "the CA store %s: %s", path, strerror(er));
    if (e)
        curl_easy_cleanup(e);
}

static void set_budget(wb_net *n, const wb_net_budget *b)
{
    n->nrules = 0;
    for (uint32_t i = 0; i < b->nallow && i < WB_NET_MAX_RULES; i++) {
        char msg[200];
        if (!wb_net_rule_parse(b->allow[i], &n->rules[n->nrules], msg,
                               sizeof msg))
            n->nrules++;              /* checked when added: always */
    }
    n->max_requests = b->max_requests;
    n->max_response = b->max_response;
    n->timeout_ms = b->timeout_ms;
}

/* A broker made without rules has no libcurl (and may be locked down
 * already): it stays without network. New rules (a session's step) make
 * the connections libcurl keeps for reuse stale: they were checked
 * against the old rules (forget_connections). */
void wb_net_set_budget(wb_net *n, const wb_net_budget *b)
{
    wb_net_rule old[WB_NET_MAX_RULES];
    size_t nold = n->nrules;
    memcpy(old, n->rules, nold * sizeof *old);
    set_budget(n, b);
    if (!n->multi)
        n->nrules = 0;
    else if (n->nrules != nold || memcmp(old, n->rules, nold * sizeof *old))
        n->stale = true;
}

bool wb_net_load(char *why, size_t cap)
{
    return wb_curl_load(why, cap);
}

wb_net *wb_net_new(const wb_net_budget *b, int wake_fd,
                   atomic_int *cancelled)
{
    wb_net *n = calloc(1, sizeof *n);
    if (!n)
        return NULL;
    n->wake = wake_fd;
    n->cancelled = cancelled;
    set_budget(n, b);
    if (!n->nrules)
        return n;                     /* no rule, no network: no libcurl */
    if (wb_curl_load(NULL, 0))
        n->multi = curl_multi_init();
    if (!n->multi) {
        free(n);
        return NULL;
    }
    load_ca(n);
    return n;
}

void wb_net_set_caller(wb_net *n, atomic_int *killed)
{
    n->caller_killed = killed;
}

void wb_net_free(wb_net *n)
{
    if (!n)
        return;
    for (int i = 0; i < WB_NET_HANDLES; i++)
        if (n->x[i].used)
            wb_net_close(n, (uint32_t)i + 1);
    if (n->multi)
        curl_multi_cleanup(n->multi);
    free(n->ca);
    free(n);
}

/* ---- callbacks ----------------------------------------------------------- */

/* Every address libcurl would connect to, before the socket exists. */
static curl_socket_t on_socket(void *user, curlsocktype purpose,
                               struct curl_sockaddr *a)
{
    wb_xfer *x = user;
    uint8_t ip[16];
    if (purpose != CURLSOCKTYPE_IPCXN)
        return CURL_SOCKET_BAD;
    if (a->family == AF_INET) {
        const struct sockaddr_in *s = (const void *)&a->addr;
        memset(ip, 0, 10);
        ip[10] = ip[11] = 0xff;
        memcpy(ip + 12, &s->sin_addr, 4);
    } else if (a->family == AF_INET6) {
        const struct sockaddr_in6 *s = (const void *)&a->addr;
        memcpy(ip, &s->sin6_addr, 16);
    } else {
        return CURL_SOCKET_BAD;
    }
    const char *what = wb_net_ip_special(ip);
    if (what && !wb_net_rule_names_addr(x->n->rules, x->n->nrules, &x->t,
                                        ip)) {
        char addr[64];
        wb_net_ip_format(ip, addr, sizeof addr);
        snprintf(x->why, sizeof x->why, "%s refused for %s: %s address (no "
                 "rule names it)", addr, x->t.host, what);
        x->refused++;
        return CURL_SOCKET_BAD;
    }
    return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *user)
{
    wb_xfer *x = user;
    size_t len = size * nmemb;
    if (x->headers_done)
        return len;                   /* trailers */
    if (len >= 5 && !memcmp(p, "HTTP/", 5)) {
        x->hlen = 0;                  /* a new response (after a 1xx) */
        return len;
    }
    size_t n = len;
    while (n && (p[n - 1] == '\n' || p[n - 1] == '\r'))
        n--;
    if (!n) {
        long code = 0;
        curl_easy_getinfo(x->e, CURLINFO_RESPONSE_CODE, &code);
        if (code > 999) {             /* libcurl takes any digits */
            snprintf(x->why, sizeof x->why, "response status %ld is no "
                     "HTTP status", code);
            x->code = WB_NET_PROTOCOL;
            return 0;
        }
        if (code >= 200) {
            x->status = code;
            x->headers_done = true;
        }
        return len;
    }
    if (x->hlen + n + 1 > WB_NET_HDR_MAX) {
        snprintf(x->why, sizeof x->why, "response headers over %u bytes",
                 WB_NET_HDR_MAX);
        x->code = WB_NET_PROTOCOL;
        return 0;
    }
    if (!x->hbuf && !(x->hbuf = malloc(WB_NET_HDR_MAX)))
        return 0;
    memcpy(x->hbuf + x->hlen, p, n);
    x->hlen += n;
    x->hbuf[x->hlen++] = '\n';
    return len;
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *user)
{
    wb_xfer *x = user;
    wb_net *n = x->n;
    size_t len = size * nmemb;
    size_t keep = len;
    /* a session's step may have lowered the limit under what came */
    uint64_t room = x->got < n->max_response ? n->max_response - x->got : 0;
    if (len > room) {
        keep = (size_t)room;
        x->too_large = true;
    }
    if (x->blen - x->boff + keep > WB_NET_BUF && x->blen > x->boff) {
        x->paused = true;
        return CURL_WRITEFUNC_PAUSE;  /* delivered again once read */
    }
    if (x->boff) {
        memmove(x->buf, x->buf + x->boff, x->blen - x->boff);
        x->blen -= x->boff;
        x->boff = 0;
    }
    if (x->blen + keep > x->bcap) {
        size_t cap = x->blen + keep > WB_NET_BUF ? x->blen + keep : WB_NET_BUF;
        uint8_t *b = realloc(x->buf, cap);
        if (!b)
            return 0;
        x->buf = b;
        x->bcap = cap;
    }
    memcpy(x->buf + x->blen, p, keep);
    x->blen += keep;
    x->got += keep;
    if (x->log >= 0)
        n->log[x->log].bytes = x->got;
    return x->too_large ? 0 : len;
}

/* ---- transfers ----------------------------------------------------------- */

static void set_method(wb_xfer *x, const uint8_t *body, size_t len)
{
    CURL *e = x->e;
    if (!strcmp(x->method, "HEAD"))
        curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    else if (!strcmp(x->method, "GET") && !len)
        curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    if (len || !strcmp(x->method, "POST")) {
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
        curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, len ? (const char *)body
                                                        : "");
    }
    if (strcmp(x->method, "GET") && strcmp(x->method, "HEAD") &&
        strcmp(x->method, "POST"))
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, x->method);
    else if (len && !strcmp(x->method, "GET"))
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, "GET");
}

static void set_safety(wb_net *n, CURL *e)
{
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_PROXY, "");     /* ignore *_proxy vars */
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    /* Removing a transfer still resolving its name would otherwise wait
     * for the resolver thread (the system resolver's own timeouts, many
     * seconds): network.timeout and the run's deadline must end it now. */
    curl_easy_setopt(e, CURLOPT_QUICK_EXIT, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(e, CURLOPT_CAINFO, NULL);
    curl_easy_setopt(e, CURLOPT_CAPATH, NULL);
    if (n->ca) {
        struct curl_blob b = { n->ca, n->ca_len, CURL_BLOB_COPY };
        curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &b);
    }
}

/* After a change of rules no kept connection may serve a request: it
 * was made to an address the old rules allowed, and reusing it skips
 * on_socket. The multi handle (and with it every kept connection) is
 * replaced once no transfer is in it; until then each transfer asks for
 * a connection of its own. */
static void forget_connections(wb_net *n, wb_xfer *x)
{
    bool busy = false;
    for (int i = 0; i < WB_NET_HANDLES; i++)
        busy |= &n->x[i] != x && n->x[i].e != NULL;
    CURLM *m = busy ? NULL : curl_multi_init();
    if (m) {
        curl_multi_cleanup(n->multi);
        n->multi = m;
        n->stale = false;
    }
    curl_easy_setopt(x->e, CURLOPT_FRESH_CONNECT, 1L);
}

int wb_xfer_start(wb_net *n, wb_xfer *x, const char *url,
                  const uint8_t *body, size_t body_len)
{
    x->n = n;
    x->hlen = x->blen = x->boff = 0;
    x->got = 0;
    x->headers_done = x->done = x->too_large = x->paused = false;
    x->status = 0;
    x->refused = 0;
    x->code = WB_NET_OK;
    x->why[0] = 0;
    if (!x->t.http && !n->ca)
        return wb_net_fail(n, WB_NET_TLS, "%s", n->ca_error);
    if (!(x->e = curl_easy_init()))
        return wb_net_fail(n, WB_NET_CONNECT, "network: out of memory");
    CURL *e = x->e;
    set_safety(n, e);
    if (n->stale)
        forget_connections(n, x);
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_PRIVATE, x);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, on_socket);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, x);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->hdrs);
    set_method(x, body, body_len);
    if (curl_multi_add_handle(n->multi, e) != CURLM_OK) {
        curl_easy_cleanup(e);
        x->e = NULL;
        return wb_net_fail(n, WB_NET_CONNECT, "network: out of memory");
    }
    return WB_NET_OK;
}

void wb_xfer_stop(wb_net *n, wb_xfer *x)
{
    if (x->e) {
        curl_multi_remove_handle(n->multi, x->e);
        curl_easy_cleanup(x->e);
        x->e = NULL;
    }
}

/* Mark the transfers libcurl finished. */
static void collect(wb_net *n)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(n->multi, &left)))
        if (m->msg == CURLMSG_DONE) {
            wb_xfer *x = NULL;
            curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &x);
            if (x) {
                x->done = true;
                x->result = m->data.result;
            }
        }
}

static bool ready(const wb_xfer *x, bool body)
{
    return x->done || (body ? x->blen > x->boff || x->too_large
                            : x->headers_done);
}

int wb_xfer_wait(wb_net *n, wb_xfer *x, bool body)
{
    for (;;) {
        int running;
        if (x->paused && x->blen == x->boff) {
            x->paused = false;
            curl_easy_pause(x->e, CURLPAUSE_CONT);
        }
        curl_multi_perform(n->multi, &running);
        collect(n);
        if (ready(x, body))
            return WB_NET_OK;
        if (atomic_load(n->cancelled) ||
            (n->caller_killed && atomic_load(n->caller_killed)))
            return WB_NET_CANCELLED;
        uint64_t now = wb_net_now_ns();
        if (x->deadline_ns && now >= x->deadline_ns)
            return wb_net_fail(n, WB_NET_TIMEOUT, "network: %s: no answer "
                               "within network.timeout (%llu ms)", x->t.host,
                               (unsigned long long)n->timeout_ms);
        uint64_t left = x->deadline_ns ? (x->deadline_ns - now) / 1000000 + 1
                                       : 1000;
        /* at most a second: a kill of the caller is only a flag here
         * (its eventfd also carries events, which would spin this) */
        struct curl_waitfd w = { n->wake, CURL_WAIT_POLLIN, 0 };
        curl_multi_poll(n->multi, &w, 1, left > 1000 ? 1000 : (int)left,
                        NULL);
    }
}

static int tls_error(CURLcode r)
{
    return r == CURLE_PEER_FAILED_VERIFICATION ||
           r == CURLE_SSL_CONNECT_ERROR || r == CURLE_SSL_CERTPROBLEM ||
           r == CURLE_SSL_CIPHER || r == CURLE_SSL_CACERT_BADFILE ||
           r == CURLE_SSL_ISSUER_ERROR || r == CURLE_SSL_PINNEDPUBKEYNOTMATCH ||
           r == CURLE_SSL_INVALIDCERTSTATUS || r == CURLE_SSL_SHUTDOWN_FAILED;
}

int wb_xfer_failure(wb_net *n, wb_xfer *x)
{
    CURLcode r = x->result;
    const char *what = curl_easy_strerror(r);
    int code;
    if (x->too_large)
        return wb_net_fail(n, WB_NET_TOO_LARGE, "network: %s: response "
                           "over network.max_response (%llu bytes)",
                           x->t.host, (unsigned long long)n->max_response);
    if (x->code)
        return wb_net_fail(n, x->code, "network: %s: %s", x->t.host, x->why);
    if (x->refused && (r == CURLE_COULDNT_CONNECT || !x->headers_done))
        return wb_net_fail(n, WB_NET_DENIED, "network: %s", x->why);
    if (tls_error(r))
        code = WB_NET_TLS;
    else if (r == CURLE_OPERATION_TIMEDOUT)
        code = WB_NET_TIMEOUT;
    else if (r == CURLE_COULDNT_RESOLVE_HOST || r == CURLE_COULDNT_CONNECT ||
             r == CURLE_SEND_ERROR || r == CURLE_RECV_ERROR ||
             r == CURLE_GOT_NOTHING)
        code = WB_NET_CONNECT;
    else
        code = WB_NET_PROTOCOL;
    return wb_net_fail(n, code, "network: %s: %s", x->t.host, what);
}
