/*
 * fuzz_net.c: libFuzzer target for the guest's outbound HTTP: the
 * `wasmbox_http` import module (src/wasi/http.c) and the broker behind
 * it (src/net/), with libcurl doing the transfers.
 *
 * A module that imports the five functions and exports one memory is
 * instantiated once (hostcall_common.c), and a loopback HTTP server runs
 * in a thread of this process (net_server.c), answering with the
 * input's responses: status lines, headers (Location redirects to
 * allowed and refused hosts), bodies by Content-Length, chunked or to
 * the end, cut short or malformed, slow, never, or the connection
 * closed or reset. Each input gets a WASI context whose network rules
 * are a subset of nf_rules (the server's address and port, a name, a
 * wildcard, a range, a mapped IPv6 form, https ones) with small
 * max_requests, max_response and timeout, and makes the calls it
 * decodes (net_decode.c: methods, URLs, headers and bodies from the
 * input, pointers and lengths inside memory or not), with session steps
 * (wb_wasi_set_net) changing rules and limits between them. The calls
 * are made straight on the host functions with that memory. A watchdog
 * cancels the context NF_DEADLINE_MS into the input, as the run's
 * deadline would, so every wait ends.
 *
 * Checked after every call: a result is one of the ABI's codes (0-11)
 * and a trap comes only from the deadline; FAULT exactly when a pointer
 * is outside memory, BADF exactly for a handle not open; guest memory
 * changed only where the call says it wrote its outputs; the handles
 * open are the model's (at most 16); body bytes read from a response
 * never exceed max_response, and TOO_LARGE comes exactly at it; a
 * request's report entries are its hops (redirects first, then the
 * final answer, or why it failed), entries past max_requests are
 * refused for it and no other is; last_error and every entry's reason
 * are one line; last_error copies the message exactly; the server saw
 * no more requests than max_requests (and libcurl's retries) allow, and
 * credentials only in requests to the origin the guest named, none once
 * a redirect left it.
 * Every connect() of the process comes through this file: one that no
 * rule in force allows aborts, and only those to the server's sockets
 * are made (the rest fail with ECONNREFUSED: nothing leaves the
 * machine); the server checks each connection's scheme against the
 * rules it was made under, and that none made before a change of rules
 * carries a request after it. After every input: closing every handle
 * gives everything back (LeakSanitizer), no descriptor stays open, the
 * report's entries are within max_response.
 * A violation aborts, which libFuzzer reports as a crash.
 *
 * It runs only in a network namespace of its own, lo up and a hosts file
 * naming the test hosts (fuzz/net-check.sh makes them): it refuses to
 * start when an interface other than lo exists.
 * WB_NET_SEEDS=DIR: write the seed corpus there first.
 * WB_NET_TRACE=1: print each call and its result.
 */
#include "net.h"
#include "net/broker.h"
#include "engine.h"
#include <arpa/inet.h>
#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define NF_DEADLINE_MS 30
#define NF_LATE_MS 2000        /* past the deadline: a call that hangs */
#define NF_MAX_CALLS 64

const uint64_t nf_max_response[4] = { 1, 100, 5000, 300000 };
const uint64_t nf_timeout_ms[4] = { 0, 5, 15, 1000 };

const nf_rule nf_rules[NF_NRULES] = {
    { "http://127.0.0.1:{P}", NF_ADDR, true, "127.0.0.1/32" },
    { "http://api.test:{P}", NF_NAME, true, NULL },
    { "http://*.test:{P}", NF_NAME, true, NULL },
    { "127.0.0.1:{P}", NF_ADDR, false, "127.0.0.1/32" },
    { "http://127.0.0.0/30:{P}", NF_ADDR, true, "127.0.0.0/30" },
    { "http://[::ffff:127.0.0.1]:{P}", NF_ADDR, true, "127.0.0.1/32" },
    { "http://localhost:{P}", NF_NAME, true, NULL },
    { "*.test:{P}", NF_NAME, false, NULL },
};

/* What the target knows of a handle. */
typedef struct model {
    bool open;
    bool stepped;              /* the limits changed since it opened */
    uint32_t status;           /* its final status, 0 until known */
    uint64_t read;             /* body bytes the guest read */
    uint64_t limit;            /* the largest max_response since */
} model;

static struct {
    hc_guest g;
    wb_host_fn fn[NF_NOPS];
    _Alignas(8) uint8_t before[HC_MEM];   /* memory before the call */
    char rule_text[NF_NRULES][WB_NET_RULE_MAX];
    uint16_t port, trap;
    bool trace;
    wb_run_result res;
    /* per input */
    nf_input in;
    wb_wasi *w;
    bool online;               /* made with rules: a step may change them */
    uint8_t rules, limits;     /* in force */
    uint32_t last;             /* the last handle a request gave */
    model h[WB_NET_HANDLES + 1];
    unsigned nopen;
    char err_before[512];
} G;

/* ---- connect(): what the rules in force allow --------------------------- */

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
           (uint32_t)p[2] << 8 | p[3];
}

static bool in_net(const uint8_t ip[4], const char *cidr)
{
    char a[32];
    uint8_t n[4];
    snprintf(a, sizeof a, "%s", cidr);
    char *slash = strchr(a, '/');
    *slash = 0;
    unsigned bits = (unsigned)atoi(slash + 1);
    uint32_t mask = bits ? ~0u << (32 - bits) : 0;
    return inet_pton(AF_INET, a, n) == 1 &&
           (be32(ip) & mask) == (be32(n) & mask);
}

/* docs/network.md's table: reached only through an address rule. */
static bool special(const uint8_t ip[4])
{
    static const char *const nets[] = {
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8",
        "169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/16",
        "192.168.0.0/16", "198.18.0.0/15", "224.0.0.0/4", "240.0.0.0/4",
    };
    for (size_t i = 0; i < sizeof nets / sizeof *nets; i++)
        if (in_net(ip, nets[i]))
            return true;
    return false;
}

/* Which schemes the rules in force allow at ip:port. None of nf_rules
 * names an IPv6 address but in its mapped IPv4 form. */
static void oracle(const uint8_t ip[4], uint16_t port, bool *http,
                   bool *https)
{
    *http = *https = false;
    for (int i = 0; i < NF_NRULES && port == G.port; i++) {
        const nf_rule *r = &nf_rules[i];
        bool ok = r->kind == NF_ADDR ? in_net(ip, r->net) : !special(ip);
        if ((G.rules >> i & 1) && ok)
            *(r->http ? http : https) = true;
    }
}

/* The IPv4 address and port of sa (IPv4-mapped IPv6 too); false for
 * IPv6 proper. where: the address for messages. */
static bool ipv4_of(const struct sockaddr *sa, uint8_t ip[4],
                    uint16_t *port, char *where, size_t cap)
{
    char a[INET6_ADDRSTRLEN] = "?";
    bool v4 = sa->sa_family == AF_INET;
    if (v4) {
        const struct sockaddr_in *s = (const void *)sa;
        memcpy(ip, &s->sin_addr, 4);
        *port = ntohs(s->sin_port);
        inet_ntop(AF_INET, &s->sin_addr, a, sizeof a);
    } else {
        const struct sockaddr_in6 *s = (const void *)sa;
        v4 = IN6_IS_ADDR_V4MAPPED(&s->sin6_addr);
        memcpy(ip, s->sin6_addr.s6_addr + 12, 4);
        *port = ntohs(s->sin6_port);
        inet_ntop(AF_INET6, &s->sin6_addr, a, sizeof a);
    }
    snprintf(where, cap, "%s port %u", a, *port);
    return v4;
}

static bool ours(const uint8_t ip[4], uint16_t port)
{
    return port == G.port && ip[0] == 127 && !ip[1] && !ip[2] &&
           (ip[3] == 1 || ip[3] == 2);
}

/* libcurl's connect() (it is loaded later and binds to this one): only
 * what the rules allow, and only the server's sockets for real. */
int connect(int fd, const struct sockaddr *sa, socklen_t len)
{
    static int (*real)(int, const struct sockaddr *, socklen_t);
    if (!real)
        *(void **)&real = dlsym(RTLD_NEXT, "connect");
    if (sa->sa_family != AF_INET && sa->sa_family != AF_INET6)
        return real(fd, sa, len);
    uint8_t ip[4];
    uint16_t port;
    char where[80];
    bool http = false, https = false;
    if (ipv4_of(sa, ip, &port, where, sizeof where))
        oracle(ip, port, &http, &https);
    if (!http && !https)
        hc_die("connect() to %s, which no rule in force allows", where);
    if (!ours(ip, port)) {
        errno = ECONNREFUSED;
        return -1;
    }
    int rc = real(fd, sa, len), saved = errno;
    struct sockaddr_storage me;
    socklen_t mlen = sizeof me;
    if ((rc == 0 || errno == EINPROGRESS) &&
        !getsockname(fd, (struct sockaddr *)&me, &mlen))
        nf_server_connected(ntohs(((struct sockaddr_in *)&me)->sin_port),
                            http, https);
    errno = saved;
    return rc;
}

/* ---- the rules and limits ----------------------------------------------- */

static void budget_of(uint8_t rules, uint8_t limits, wb_net_budget *b)
{
    char msg[200];
    memset(b, 0, sizeof *b);
    for (int i = 0; i < NF_NRULES; i++)
        if ((rules >> i & 1) &&
            wb_net_allow(b, G.rule_text[i], msg, sizeof msg) != WB_OK)
            hc_die("rule %s: %s", G.rule_text[i], msg);
    b->max_requests = NF_LIM_REQUESTS(limits);
    b->max_response = NF_LIM_RESPONSE(limits);
    b->timeout_ms = NF_LIM_TIMEOUT(limits);
}

/* A session's step: new rules and limits, the request count and the
 * report start again. */
static void step(const nf_call *c)
{
    wb_net_budget b;
    budget_of(c->arg, c->arg2, &b);
    wb_wasi_set_net(G.w, &b);
    uint8_t rules = G.online ? c->arg : 0;
    nf_server_epoch(rules != G.rules);
    G.rules = rules;
    G.limits = c->arg2;
    for (int h = 1; h <= WB_NET_HANDLES; h++) {
        model *m = &G.h[h];
        m->stepped = true;
        if (m->limit < NF_LIM_RESPONSE(c->arg2))
            m->limit = NF_LIM_RESPONSE(c->arg2);
    }
}

/* ---- checks ------------------------------------------------------------- */

#define A(i) ((uint32_t)c->a[i].of.i32)

static bool in_mem(uint32_t at, uint64_t len)
{
    return (uint64_t)at + len <= HC_MEM;
}

static bool overlap(uint32_t a, uint64_t alen, uint32_t b, uint64_t blen)
{
    return a < b + blen && b < a + alen;
}

static void allow(uint32_t at, uint64_t len)
{
    hc_allow(&G.in.d, at, len);
}

static void one_line(const char *s, const char *what)
{
    if (strpbrk(s, "\r\n"))
        hc_die("%s is not one line: '%s'", what, s);
}

static bool is_redirect(int32_t s)
{
    return s == 301 || s == 302 || s == 303 || s == 307 || s == 308;
}

static bool by_limit(const wb_net_entry *e)
{
    return strstr(e->refused, " refused: network.max_requests (") != NULL;
}

static void check_entry(const wb_net_entry *e, uint32_t i)
{
    one_line(e->refused, "a report entry's reason");
    if (strcmp(e->scheme, "http") && strcmp(e->scheme, "https"))
        hc_die("entry %u: scheme '%s'", i, e->scheme);
    if (!wb_net_method_ok(e->method, strlen(e->method)))
        hc_die("entry %u: method '%s'", i, e->method);
    if (e->status && (e->status < 200 || e->status > 999))
        hc_die("entry %u: status %d", i, e->status);
    if (e->bytes > NF_LIM_RESPONSE(G.limits))
        hc_die("entry %u: %llu body bytes, over max_response %llu", i,
               (unsigned long long)e->bytes,
               (unsigned long long)NF_LIM_RESPONSE(G.limits));
    if (by_limit(e) != (i >= NF_LIM_REQUESTS(G.limits)))
        hc_die("entry %u of max_requests %u: reason '%s'", i,
               NF_LIM_REQUESTS(G.limits), e->refused);
}

/* Entries c0..c1 are one request's hops: redirects, then the final
 * answer (rc OK) or why it failed. */
static void check_hops(uint32_t c0, uint32_t c1, int rc)
{
    const wb_net *n = G.w->t->net;
    if (c1 - c0 > WB_NET_HOPS + 1)
        hc_die("one request made %u report entries", c1 - c0);
    for (uint32_t i = c0; i < c1 && i < WB_NET_LOG_MAX; i++) {
        const wb_net_entry *e = &n->log[i];
        check_entry(e, i);
        if (i + 1 < c1 && (!is_redirect(e->status) || e->refused[0]))
            hc_die("hop %u of a request (status %d, '%s') is not a "
                   "redirect followed", i - c0, e->status, e->refused);
        if (i + 1 == c1 && rc == WB_NET_OK &&
            (e->refused[0] || e->status < 200))
            hc_die("a request succeeded, its last hop says %d '%s'",
                   e->status, e->refused);
        if (i + 1 == c1 && rc != WB_NET_OK && !e->refused[0])
            hc_die("a request failed (%d, '%s'); its last report entry "
                   "gives no reason", rc, wb_net_last_error(n));
    }
}

static void check_request(const nf_call *c, int rc, uint32_t c0)
{
    const wb_net *n = G.w->t->net;
    uint32_t c1 = n->count;
    bool mem = in_mem(A(8), 4);
    for (int i = 0; i < 8; i += 2)
        mem &= in_mem(A(i), A(i + 1));
    if ((rc == WB_NET_FAULT) == mem)
        hc_die("request: code %d, pointers %s memory", rc,
               mem ? "in" : "outside");
    if (rc == WB_NET_FAULT && c1 != c0)
        hc_die("request: FAULT, but %u hops made", c1 - c0);
    if (rc == WB_NET_LIMIT && G.nopen < WB_NET_HANDLES && (c1 == c0 ||
        (c1 <= WB_NET_LOG_MAX && !by_limit(&n->log[c1 - 1]))))
        hc_die("request: LIMIT with %u open, but not max_requests",
               G.nopen);
    check_hops(c0, c1, rc);
    if (rc != WB_NET_OK)
        return;
    uint32_t h = wb_ld32(G.g.mem + A(8));
    if (h < 1 || h > WB_NET_HANDLES || G.h[h].open || c1 == c0)
        hc_die("request: handle %u (open %d), %u hops", h,
               h >= 1 && h <= WB_NET_HANDLES && G.h[h].open, c1 - c0);
    G.h[h] = (model){ .open = true, .limit = NF_LIM_RESPONSE(G.limits),
                      .status = c1 <= WB_NET_LOG_MAX
                              ? (uint32_t)n->log[c1 - 1].status : 0 };
    G.nopen++;
    G.last = h;
    allow(A(8), 4);
}

static model *open_handle(uint32_t h)
{
    return h >= 1 && h <= WB_NET_HANDLES && G.h[h].open ? &G.h[h] : NULL;
}

/* "Name: value\n" lines. */
static void check_headers(const uint8_t *p, uint32_t len)
{
    if (len && (p[len - 1] != '\n' || p[0] == '\n' ||
                memmem(p, len, "\n\n", 2)))
        hc_die("response: headers not lines of text: '%.*s'", (int)len,
               (const char *)p);
}

static void check_response(const nf_call *c, int rc)
{
    model *m = open_handle(A(0));
    uint32_t st = A(1), buf = A(2), cap = A(3), at = A(4);
    bool mem = in_mem(st, 4) && in_mem(buf, cap) && in_mem(at, 4);
    if (!m || rc == WB_NET_BADF) {
        if (!m != (rc == WB_NET_BADF))
            hc_die("response of handle %u: code %d", A(0), rc);
        return;
    }
    if (mem == (rc == WB_NET_FAULT) ||
        (rc != WB_NET_OK && rc != WB_NET_TOOSMALL && rc != WB_NET_FAULT))
        hc_die("response: code %d, pointers %s", rc, mem ? "in" : "out");
    if (rc == WB_NET_FAULT)
        return;
    uint32_t len = wb_ld32(G.g.mem + at), status = wb_ld32(G.g.mem + st);
    allow(st, 4);
    allow(at, 4);
    if ((rc == WB_NET_TOOSMALL) != (len > cap))
        hc_die("response: code %d, %u bytes of headers, room for %u", rc,
               len, cap);
    if (rc == WB_NET_TOOSMALL)
        return;
    allow(buf, len);
    if (!overlap(st, 4, buf, len) && !overlap(st, 4, at, 4)) {
        if (status < 200 || status > 999 || (m->status && status != m->status))
            hc_die("response: status %u, the report said %u", status,
                   m->status);
        m->status = status;
    }
    if (!overlap(buf, len, at, 4))
        check_headers(G.g.mem + buf, len);
}

static void check_read(const nf_call *c, int rc)
{
    model *m = open_handle(A(0));
    uint32_t buf = A(1), cap = A(2), at = A(3);
    int want = !in_mem(buf, cap) || !in_mem(at, 4) ? WB_NET_FAULT
             : !m ? WB_NET_BADF : !cap ? WB_NET_INVAL : -1;
    if (want >= 0 || rc == WB_NET_FAULT || rc == WB_NET_BADF ||
        rc == WB_NET_INVAL) {
        if (rc != want)
            hc_die("read of handle %u (%u bytes): code %d, not %d", A(0),
                   cap, rc, want);
        return;
    }
    if (rc == WB_NET_TOO_LARGE && !m->stepped && m->read != m->limit)
        hc_die("read: TOO_LARGE after %llu bytes, max_response %llu",
               (unsigned long long)m->read, (unsigned long long)m->limit);
    if (rc != WB_NET_OK)
        return;
    uint32_t got = wb_ld32(G.g.mem + at);
    if (got > cap)
        hc_die("read: %u bytes into %u", got, cap);
    allow(buf, got);
    allow(at, 4);
    m->read += got;
    if (m->read > m->limit)
        hc_die("read: %llu body bytes of response %u, over max_response "
               "%llu", (unsigned long long)m->read, A(0),
               (unsigned long long)m->limit);
}

static void check_close(const nf_call *c, int rc)
{
    model *m = open_handle(A(0));
    if (rc != (m ? WB_NET_OK : WB_NET_BADF))
        hc_die("close of handle %u (open %d): code %d", A(0), m != NULL, rc);
    if (m) {
        m->open = false;
        G.nopen--;
    }
}

static void check_last_error(const nf_call *c, int rc)
{
    uint32_t buf = A(0), cap = A(1), at = A(2);
    const char *e = wb_net_last_error(G.w->t->net);
    bool mem = in_mem(buf, cap) && in_mem(at, 4);
    if (rc != (mem ? WB_NET_OK : WB_NET_FAULT) || strcmp(e, G.err_before))
        hc_die("last_error: code %d, pointers %s; '%s' was '%s'", rc,
               mem ? "in" : "out", e, G.err_before);
    if (rc)
        return;
    uint32_t len = wb_ld32(G.g.mem + at), k = len < cap ? len : cap;
    if (len != strlen(e))
        hc_die("last_error: length %u of '%s'", len, e);
    allow(buf, k);
    allow(at, 4);
    if (!overlap(buf, k, at, 4) && memcmp(G.g.mem + buf, e, k))
        hc_die("last_error: copied '%.*s' of '%s'", (int)k,
               (const char *)G.g.mem + buf, e);
}

/* "host[:port]" as libcurl's Host header names e's target (lower case,
 * no final dot, the port unless the scheme's own). */
static void origin(const wb_net_entry *e, char *out, size_t cap)
{
    bool v6 = strchr(e->host, ':') != NULL;
    int n = snprintf(out, cap, v6 ? "[%s]" : "%s", e->host);
    if (e->port != (strcmp(e->scheme, "http") ? 443u : 80u))
        snprintf(out + n, cap - (size_t)n, ":%u", e->port);
}

static void normalize(const char *in, char *out, size_t cap)
{
    size_t k = 0;
    for (; *in && k + 1 < cap; in++)
        if (!(*in == '.' && (in[1] == ':' || !in[1])))
            out[k++] = (char)tolower((unsigned char)*in);
    out[k] = 0;
}

/* Authorization, Cookie and Proxy-Authorization went only to the origin
 * the guest's URL named (its request's first hop), and to none once a
 * redirect left it. */
static void check_credentials(const nf_stats *st, uint32_t c0)
{
    char want[NF_HOST_MAX], got[NF_HOST_MAX];
    bool left = false;
    if (c0 >= WB_NET_LOG_MAX || c0 >= G.w->t->net->count)
        return;
    origin(&G.w->t->net->log[c0], want, sizeof want);
    for (unsigned i = 0; i < st->nhead; i++) {
        normalize(st->head[i].host, got, sizeof got);
        left |= strcmp(got, want) != 0;
        if (st->head[i].cred && left)
            hc_die("credentials sent to %s; the guest named %s",
                   st->head[i].host, want);
    }
}

/* The model's handles are the broker's; last_error is one line; the
 * server saw nothing wrong and no more requests than allowed (asked
 * after the calls that run transfers: the others send nothing). */
static void check_state(const nf_call *c, uint32_t c0)
{
    const wb_net *n = G.w->t->net;
    const char *call = nf_ops[c->op].name;
    nf_stats st;
    one_line(wb_net_last_error(n), "last_error");
    for (int i = 0; i < WB_NET_HANDLES; i++)
        if (n->x[i].used != G.h[i + 1].open)
            hc_die("after %s: handle %d open %d, the model says %d", call,
                   i + 1, n->x[i].used, G.h[i + 1].open);
    if (c->op == NF_RESPONSE || c->op == NF_LAST_ERROR)
        return;
    nf_server_sync(&st);
    if (st.finding[0])
        hc_die("after %s: %s", call, st.finding);
    if (c->op == NF_REQUEST)
        check_credentials(&st, c0);
    if (st.heads > NF_LIM_REQUESTS(G.limits) + st.retries)
        hc_die("after %s: the server saw %u requests (%u maybe retried), "
               "max_requests %u", call, st.heads, st.retries,
               NF_LIM_REQUESTS(G.limits));
}

/* ---- the calls ---------------------------------------------------------- */

static void trace(const nf_call *c, wb_status st, int rc)
{
    fprintf(stderr, "%+5lld ms %s(", (long long)hc_ms_past_deadline(),
            nf_ops[c->op].name);
    for (size_t i = 0; i < c->na; i++)
        fprintf(stderr, "%s%#x", i ? ", " : "", A(i));
    if (c->op == NF_REQUEST && in_mem(A(2), A(3)) && A(3) < 300)
        fprintf(stderr, ") url '%.*s'", (int)A(3),
                (const char *)G.before + A(2));
    else
        fprintf(stderr, ")");
    if (st == WB_OK)
        fprintf(stderr, " -> %d '%s'\n", rc, wb_net_last_error(G.w->t->net));
    else
        fprintf(stderr, " -> %s: %s\n", wb_status_name(st),
                G.g.store->pending.message);
}

/* A trap: only the deadline ends the run, nothing written. */
static void check_trap(const nf_call *c, wb_status st)
{
    if (!atomic_load(&G.w->t->cancelled) ||
        G.w->t->stop != WB_OUTCOME_TIMEOUT ||
        G.g.store->pending.status != st || !G.g.store->pending.message[0])
        hc_die("%s trapped (%s: %s) before the deadline",
               nf_ops[c->op].name, wb_status_name(st),
               G.g.store->pending.message);
}

static void check_call(const nf_call *c, int rc, uint32_t c0)
{
    switch (c->op) {
    case NF_REQUEST: check_request(c, rc, c0); break;
    case NF_RESPONSE: check_response(c, rc); break;
    case NF_READ: check_read(c, rc); break;
    case NF_CLOSE: check_close(c, rc); break;
    default: check_last_error(c, rc); break;
    }
}

/* One call; false when it ended the run. */
static bool one_call(const nf_call *c)
{
    wb_val r[1] = { { .type = WB_I32 } };
    wb_caller cl = { G.g.store, G.g.inst };
    uint32_t c0 = G.w->t->net->count;
    snprintf(G.err_before, sizeof G.err_before, "%s",
             wb_net_last_error(G.w->t->net));
    memcpy(G.before, G.g.mem, HC_MEM);
    G.in.d.nout = 0;
    wb_status st = G.fn[c->op](&cl, G.w, c->a, r);
    if (hc_ms_past_deadline() > NF_LATE_MS)
        hc_die("%s returned %lld ms after the deadline", nf_ops[c->op].name,
               (long long)hc_ms_past_deadline());
    if (G.trace)
        trace(c, st, r[0].of.i32);
    if (st != WB_OK)
        check_trap(c, st);
    else if (r[0].of.i32 < 0 || r[0].of.i32 > WB_NET_FAULT)
        hc_die("%s returned %d", nf_ops[c->op].name, r[0].of.i32);
    else
        check_call(c, r[0].of.i32, c0);
    hc_check_memory(&G.in.d, G.before, G.g.mem, nf_ops[c->op].name);
    check_state(c, c0);
    return st == WB_OK;
}

static void run_calls(void)
{
    nf_call c;
    for (int k = 0; k < NF_MAX_CALLS && nf_decode_call(&G.in, &c, G.last);
         k++) {
        if (c.op == NF_STEP)
            step(&c);
        else if (c.op == NF_WAIT)
            usleep(c.arg * 1000u);
        else if (c.op != NF_POKE && !one_call(&c))
            return;
    }
}

/* ---- per input ---------------------------------------------------------- */

/* A name libcurl was still resolving when its request ended is left to
 * the resolver's thread (CURLOPT_QUICK_EXIT), which closes what it
 * opened when it is done: give it a moment. */
static void check_fds(int before)
{
    for (int i = 0; i < 500 && hc_fd_count() != before; i++)
        usleep(1000);
    if (hc_fd_count() != before)
        hc_die("fd leak: %d fds open before the input, %d after", before,
               hc_fd_count());
}

static void close_all(void)
{
    nf_call c = { .op = NF_CLOSE, .na = 1 };
    c.a[0].type = WB_I32;
    for (int h = 1; h <= WB_NET_HANDLES; h++)
        if (G.h[h].open) {
            c.a[0].of.i32 = h;
            one_call(&c);
        }
}

static void check_report(void)
{
    const wb_net *n = G.w->t->net;
    wb_wasi_usage(G.w, &G.res);
    if (G.res.net_requests != n->count)
        hc_die("report: %u requests, the broker counted %u",
               G.res.net_requests, n->count);
    for (uint32_t i = 0; i < n->count && i < WB_NET_LOG_MAX; i++)
        check_entry(&G.res.net[i], i);
}

static void begin(const uint8_t *data, size_t size)
{
    wb_sandbox_config cfg;
    wb_error err;
    nf_decode_begin(&G.in, data, size, G.g.mem);
    memset(G.g.mem, 0, HC_MEM);
    memset(&G.g.store->pending, 0, sizeof G.g.store->pending);
    memset(G.h, 0, sizeof G.h);
    G.nopen = G.last = 0;
    wb_sandbox_config_init(&cfg);
    budget_of(G.in.rules, G.in.limits, &cfg.budget.net);
    if (wb_wasi_new(&cfg, &G.w, &err) != WB_OK)
        hc_die("wb_wasi_new: %s", err.message);
    G.online = G.in.rules != 0;
    G.rules = G.in.rules;
    G.limits = G.in.limits;
    nf_server_begin(&G.in);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    nf_stats st;
    int fds = hc_fd_count();
    begin(data, size);
    hc_arm(G.w, NF_DEADLINE_MS);
    run_calls();
    hc_disarm();
    close_all();
    check_report();
    wb_wasi_free(G.w);
    G.w = NULL;
    nf_server_end(&st);
    if (st.finding[0])
        hc_die("%s", st.finding);
    check_fds(fds);
    return 0;
}

/* ---- start-up ----------------------------------------------------------- */

/* Nothing but lo: no packet can leave the machine. */
static void check_netns(void)
{
    struct if_nameindex *ifs = if_nameindex();
    if (!ifs)
        hc_die("if_nameindex: %s", strerror(errno));
    for (struct if_nameindex *i = ifs; i->if_index; i++)
        if (strcmp(i->if_name, "lo"))
            hc_die("interface %s: run me in a network namespace of my own "
                   "with lo only (fuzz/net-check.sh does)", i->if_name);
    if_freenameindex(ifs);
}

static void check_hosts(void)
{
    struct addrinfo hints = { .ai_family = AF_INET }, *ai = NULL;
    char a[INET_ADDRSTRLEN] = "";
    if (getaddrinfo(NF_HOST_LOOP, NULL, &hints, &ai) == 0)
        inet_ntop(AF_INET, &((struct sockaddr_in *)ai->ai_addr)->sin_addr,
                  a, sizeof a);
    if (ai)
        freeaddrinfo(ai);
    if (strcmp(a, "127.0.0.1"))
        hc_die("%s does not resolve to 127.0.0.1: the hosts file of "
               "fuzz/net-check.sh is missing", NF_HOST_LOOP);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc; (void)argv;
    hc_name = "fuzz_net";
    const char *seeds = getenv("WB_NET_SEEDS");
    if (seeds && nf_write_seeds(seeds) < 0)
        exit(1);
    G.trace = getenv("WB_NET_TRACE") != NULL;
    check_netns();
    check_hosts();
    nf_server_start(&G.port, &G.trap);
    G.in.port = G.port;
    G.in.trap = G.trap;
    for (int i = 0; i < NF_NRULES; i++)
        G.rule_text[i][nf_expand_ports((const uint8_t *)nf_rules[i].text,
            strlen(nf_rules[i].text), G.port, G.trap,
            (uint8_t *)G.rule_text[i])] = 0;
    hc_guest_new(&G.g, "wasmbox_http", nf_ops, NF_NOPS, G.fn);
    hc_watchdog_start();
    return 0;
}
