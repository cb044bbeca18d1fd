/* hop.c: one request of a guest: checked, counted and logged, then
 * performed hop by hop. libcurl follows no redirect; each Location is
 * parsed, checked against the rules and counted like a new request, and
 * its addresses are checked again when libcurl connects (fetch.c). */
#include "net/broker.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static wb_xfer *get(wb_net *n, uint32_t h)
{
    return h >= 1 && h <= WB_NET_HANDLES && n->x[h - 1].used ? &n->x[h - 1]
                                                             : NULL;
}

static void release(wb_net *n, wb_xfer *x)
{
    if (n->multi)
        wb_xfer_stop(n, x);
    curl_slist_free_all(x->hdrs);
    free(x->hbuf);
    free(x->buf);
    memset(x, 0, sizeof *x);
}

/* Counted, logged, and allowed by a rule? */
static int check(wb_net *n, wb_xfer *x)
{
    const char *sch = x->t.http ? "http" : "https";
    int rc = WB_NET_OK;
    bool over = n->count >= n->max_requests;
    wb_net_log_start(n, x);
    if (over)
        rc = wb_net_fail(n, WB_NET_LIMIT, "network: %s refused: "
                         "network.max_requests (%u) reached", x->t.host,
                         n->max_requests);
    else if (!n->nrules)
        rc = wb_net_fail(n, WB_NET_DENIED, "network: %s://%s:%u refused: "
                         "no network.allow rule (this run has no network)",
                         sch, x->t.host, x->t.port);
    else if (!wb_net_rule_match(n->rules, n->nrules, &x->t))
        rc = wb_net_fail(n, WB_NET_DENIED, "network: %s://%s:%u refused: no "
                         "network.allow rule names it", sch, x->t.host,
                         x->t.port);
    if (rc)
        wb_net_log_refused(n, x->log, n->err);
    return rc;
}

static bool is_redirect(long s)
{
    return s == 301 || s == 302 || s == 303 || s == 307 || s == 308;
}

/* Credentials go only where the guest sent them: a hop to another
 * origin drops Authorization, Cookie and Proxy-Authorization. */
static void drop_credentials(wb_xfer *x)
{
    struct curl_slist *out = NULL;
    for (struct curl_slist *l = x->hdrs; l; l = l->next)
        if (strncasecmp(l->data, "authorization:", 14) &&
            strncasecmp(l->data, "cookie:", 7) &&
            strncasecmp(l->data, "proxy-authorization:", 20))
            out = curl_slist_append(out, l->data);
    curl_slist_free_all(x->hdrs);
    x->hdrs = out;
}

/* x has a redirect's headers: move it to the next hop's target, into
 * *url. The body is dropped where browsers drop it (303; 301 and 302
 * after POST). */
static int next_hop(wb_net *n, wb_xfer *x, char **url, size_t *body_len)
{
    char *loc = NULL, msg[300];
    curl_easy_getinfo(x->e, CURLINFO_REDIRECT_URL, &loc);
    char *next = loc ? strdup(loc) : NULL;
    if (!next)
        return wb_net_fail(n, WB_NET_PROTOCOL, "network: %s: redirect "
                           "without a usable Location", x->t.host);
    wb_net_target t;
    int rc = wb_net_url_target(next, strlen(next), &t, msg, sizeof msg);
    if (rc) {
        free(next);
        return wb_net_fail(n, rc, "%s (redirect from %s)", msg, x->t.host);
    }
    if (t.http != x->t.http || t.port != x->t.port ||
        strcmp(t.host, x->t.host))
        drop_credentials(x);
    if (x->status == 303 ||
        (x->status <= 302 && !strcmp(x->method, "POST"))) {
        if (strcmp(x->method, "HEAD"))
            snprintf(x->method, sizeof x->method, "GET");
        *body_len = 0;
    }
    wb_xfer_stop(n, x);
    x->t = t;
    free(*url);
    *url = next;
    return WB_NET_OK;
}

/* The hops of one request, until a final response's headers. */
static int perform(wb_net *n, wb_xfer *x, char **url, const uint8_t *body,
                   size_t body_len)
{
    for (int hop = 0;; hop++) {
        int rc = check(n, x);
        if (!rc)
            rc = wb_xfer_start(n, x, *url, body, body_len);
        if (!rc)
            rc = wb_xfer_wait(n, x, false);
        if (!rc && !x->headers_done)
            rc = wb_xfer_failure(n, x);
        if (rc) {
            if (rc != WB_NET_CANCELLED)
                wb_net_log_refused(n, x->log, n->err);
            return rc;
        }
        if (x->log >= 0)
            n->log[x->log].status = (int32_t)x->status;
        if (!is_redirect(x->status))
            return WB_NET_OK;
        char *loc = NULL;
        curl_easy_getinfo(x->e, CURLINFO_REDIRECT_URL, &loc);
        if (!loc)
            return WB_NET_OK;         /* a 3xx without Location is final */
        rc = hop == WB_NET_HOPS
           ? wb_net_fail(n, WB_NET_PROTOCOL, "network: %s: more than %d "
                         "redirects", x->t.host, WB_NET_HOPS)
           : next_hop(n, x, url, &body_len);
        if (rc) {
            /* this hop's answer came; the request ends here: say why */
            wb_net_log_refused(n, x->log, n->err);
            return rc;
        }
    }
}

/* Without rules libcurl is not loaded (curl.h): the URL is only cut
 * roughly into scheme, host and port for the refusal and the report. */
static void rough_target(const char *u, size_t len, wb_net_target *t)
{
    memset(t, 0, sizeof *t);
    t->http = len >= 7 && !strncasecmp(u, "http://", 7);
    t->port = t->http ? 80 : 443;
    const char *p = memchr(u, ':', len), *end = u + len;
    p = p && end - p >= 3 && !strncmp(p, "://", 3) ? p + 3 : u;
    const char *stop = p;
    while (stop < end && !strchr("/?#", *stop))
        stop++;
    const char *at = memchr(p, '@', (size_t)(stop - p));
    if (at)
        p = at + 1;
    size_t k = 0;
    bool br = p < stop && *p == '[';
    for (; p < stop && k + 1 < sizeof t->host; p++) {
        if (br ? *p == ']' : *p == ':')
            break;
        if (*p > 0x20 && *p < 0x7f && *p != '[')
            t->host[k++] = *p;
    }
    p = p < stop && *p == ']' ? p + 1 : p;
    if (p < stop && *p == ':') {
        unsigned v = 0;
        for (p++; p < stop && *p >= '0' && *p <= '9' && v < 65536; p++)
            v = v * 10 + (unsigned)(*p - '0');
        t->port = v && v < 65536 ? (uint16_t)v : t->port;
    }
}

static int refuse_offline(wb_net *n, const wb_net_req *rq)
{
    wb_xfer x = { .n = n, .log = -1 };
    rough_target(rq->url, rq->url_len, &x.t);
    snprintf(x.method, sizeof x.method, "%.*s", (int)rq->method_len,
             rq->method);
    int rc = check(n, &x);
    return rc ? rc : wb_net_fail(n, WB_NET_DENIED, "network: no network");
}

int wb_net_request(wb_net *n, const wb_net_req *rq, uint32_t *handle)
{
    char msg[300];
    wb_net_target t;
    bool ok;
    n->err[0] = 0;
    if (!wb_net_method_ok(rq->method, rq->method_len))
        return wb_net_fail(n, WB_NET_INVAL, "network: bad method '%.*s'",
                           (int)(rq->method_len > 20 ? 20 : rq->method_len),
                           rq->method);
    if (!n->multi)
        return refuse_offline(n, rq);
    int rc = wb_net_url_target(rq->url, rq->url_len, &t, msg, sizeof msg);
    if (rc)
        return wb_net_fail(n, rc, "%s", msg);
    struct curl_slist *hdrs = wb_net_headers(rq->headers, rq->headers_len,
                                             &ok, msg, sizeof msg);
    if (!ok)
        return wb_net_fail(n, WB_NET_INVAL, "%s", msg);
    uint32_t h = 0;
    for (uint32_t i = 0; i < WB_NET_HANDLES && !h; i++)
        if (!n->x[i].used)
            h = i + 1;
    if (!h) {
        curl_slist_free_all(hdrs);
        return wb_net_fail(n, WB_NET_LIMIT, "network: %d responses are "
                           "open; close one first", WB_NET_HANDLES);
    }
    wb_xfer *x = &n->x[h - 1];
    x->used = true;
    x->n = n;
    x->hdrs = hdrs;
    x->t = t;
    x->log = -1;
    snprintf(x->method, sizeof x->method, "%.*s", (int)rq->method_len,
             rq->method);
    if (n->timeout_ms)
        x->deadline_ns = wb_net_now_ns() + n->timeout_ms * 1000000u;
    char *url = strndup(rq->url, rq->url_len);
    rc = url ? perform(n, x, &url, rq->body, rq->body_len)
             : wb_net_fail(n, WB_NET_CONNECT, "network: out of memory");
    free(url);
    if (rc) {
        release(n, x);
        return rc;
    }
    *handle = h;
    return WB_NET_OK;
}

int wb_net_response(wb_net *n, uint32_t h, uint32_t *status,
                    const char **hdr, size_t *hdr_len)
{
    wb_xfer *x = get(n, h);
    if (!x)
        return wb_net_fail(n, WB_NET_BADF, "network: no response %u", h);
    *status = (uint32_t)x->status;
    *hdr = x->hbuf ? x->hbuf : "";
    *hdr_len = x->hlen;
    return WB_NET_OK;
}

int wb_net_read(wb_net *n, uint32_t h, uint8_t *buf, size_t cap,
                size_t *got)
{
    wb_xfer *x = get(n, h);
    *got = 0;
    if (!x)
        return wb_net_fail(n, WB_NET_BADF, "network: no response %u", h);
    if (!cap)
        return wb_net_fail(n, WB_NET_INVAL, "network: read of 0 bytes");
    if (x->blen == x->boff && !x->done && !x->too_large) {
        int rc = wb_xfer_wait(n, x, true);
        if (rc)
            return rc;
    }
    if (x->blen > x->boff) {
        size_t k = x->blen - x->boff < cap ? x->blen - x->boff : cap;
        memcpy(buf, x->buf + x->boff, k);
        x->boff += k;
        *got = k;
        return WB_NET_OK;
    }
    if (x->too_large || (x->done && x->result != CURLE_OK)) {
        int rc = wb_xfer_failure(n, x);
        wb_net_log_refused(n, x->log, n->err);
        return rc;
    }
    return WB_NET_OK;                 /* the end of the body */
}

int wb_net_close(wb_net *n, uint32_t h)
{
    wb_xfer *x = get(n, h);
    if (!x)
        return wb_net_fail(n, WB_NET_BADF, "network: no response %u", h);
    release(n, x);
    return WB_NET_OK;
}
