/* url.c: what a guest asks for, checked before anything is sent. URLs
 * are parsed by libcurl's own parser (the transfer then uses the very
 * same parsed URL, so the host checked is the host connected to). */
#include "net/net.h"
#include <ctype.h>
#include "net/curl.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int inval(char *msg, size_t cap, const char *fmt, const char *a)
{
    snprintf(msg, cap, fmt, a);
    return WB_NET_INVAL;
}

/* Scheme, host and port of parsed URL u into t. */
static int target_of(CURLU *u, wb_net_target *t, char *msg, size_t cap)
{
    char *scheme = NULL, *host = NULL, *port = NULL;
    int rc = WB_NET_OK;
    if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) ||
        curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT))
        rc = inval(msg, cap, "network: bad URL%s", "");
    else if (strcmp(scheme, "http") && strcmp(scheme, "https"))
        rc = inval(msg, cap, "network: scheme '%s' refused (http and https "
                   "only)", scheme);
    char *zone = NULL;
    if (rc == WB_NET_OK && !curl_url_get(u, CURLUPART_ZONEID, &zone, 0) &&
        zone)
        rc = inval(msg, cap, "network: zone ids are refused ('%s')", zone);
    curl_free(zone);
    if (rc == WB_NET_OK) {
        memset(t, 0, sizeof *t);
        t->http = !strcmp(scheme, "http");
        t->port = (uint16_t)atoi(port);
        const char *h = host;
        size_t n = strlen(h);
        if (h[0] == '[' && n > 2 && h[n - 1] == ']')
            h++, n -= 2;              /* "[::1]" */
        if (n >= sizeof t->host)
            rc = inval(msg, cap, "network: host name too long%s", "");
        for (size_t i = 0; rc == WB_NET_OK && i < n; i++)
            t->host[i] = (char)tolower((unsigned char)h[i]);
        n = strlen(t->host);
        if (n && t->host[n - 1] == '.')
            t->host[n - 1] = 0;       /* "example.com." */
        t->is_ip = rc == WB_NET_OK && wb_net_ip_parse(t->host, t->ip);
    }
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    return rc;
}

int wb_net_url_target(const char *url, size_t len, wb_net_target *t,
                      char *msg, size_t cap)
{
    if (len > 8192 || memchr(url, 0, len))
        return inval(msg, cap, "network: bad URL%s", "");
    char *s = strndup(url, len);
    CURLU *u = curl_url();
    int rc = !s || !u ? inval(msg, cap, "network: out of memory%s", "")
           : curl_url_set(u, CURLUPART_URL, s, 0)
           ? inval(msg, cap, "network: bad URL '%.200s'", s)
           : target_of(u, t, msg, cap);
    curl_url_cleanup(u);
    free(s);
    return rc;
}

static bool tchar(int c)
{
    return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

bool wb_net_method_ok(const char *m, size_t len)
{
    if (!len || len > 15)
        return false;
    /* CONNECT would make the allowed server a tunnel to anywhere; TRACE
     * echoes the request back (credentials included) */
    if ((len == 7 && !strncasecmp(m, "CONNECT", 7)) ||
        (len == 5 && !strncasecmp(m, "TRACE", 5)))
        return false;
    for (size_t i = 0; i < len; i++)
        if (!tchar((unsigned char)m[i]))
            return false;
    return true;
}

/* One header line (no CR or LF) -> appended to *l. */
static bool header_line(const char *p, size_t n, struct curl_slist **l,
                        char *msg, size_t cap)
{
    const char *colon = memchr(p, ':', n);
    size_t name = colon ? (size_t)(colon - p) : 0;
    for (size_t i = 0; i < name; i++)
        if (!tchar((unsigned char)p[i]))
            name = 0;
    for (size_t i = 0; i < n; i++)
        if (p[i] == '\r' || !p[i])
            name = 0;
    if (!name) {
        snprintf(msg, cap, "network: bad header line '%.*s'",
                 (int)(n > 80 ? 80 : n), p);
        return false;
    }
    if (name == 4 && !strncasecmp(p, "host", 4)) {
        snprintf(msg, cap, "network: a Host header is not allowed (the URL "
                 "names the host)");
        return false;
    }
    /* The host frames the body itself: a guest's own length or encoding
     * would let the body's bytes be read as a second request on the
     * same connection, with a Host of the guest's choosing. */
    if ((name == 14 && !strncasecmp(p, "content-length", 14)) ||
        (name == 17 && !strncasecmp(p, "transfer-encoding", 17))) {
        snprintf(msg, cap, "network: a %.*s header is not allowed (the "
                 "host frames the body)", (int)name, p);
        return false;
    }
    char *line = strndup(p, n);
    struct curl_slist *nl = line ? curl_slist_append(*l, line) : NULL;
    free(line);
    if (!nl) {
        snprintf(msg, cap, "network: out of memory");
        return false;
    }
    *l = nl;
    return true;
}

void *wb_net_headers(const char *h, size_t len, bool *ok, char *msg,
                     size_t cap)
{
    struct curl_slist *l = NULL;
    *ok = true;
    while (len) {
        const char *nl = memchr(h, '\n', len);
        size_t n = nl ? (size_t)(nl - h) : len;
        size_t line = n && h[n - 1] == '\r' ? n - 1 : n;
        if (line && !header_line(h, line, &l, msg, cap)) {
            curl_slist_free_all(l);
            *ok = false;
            return NULL;
        }
        h += n + (nl != NULL);
        len -= n + (nl != NULL);
    }
    return l;
}
