/*
 * net_server.c: the loopback HTTP server of the wasmbox_http fuzzer, a
 * thread of the fuzzer's own process. It listens on 127.0.0.1:P (the
 * address and port the rules name), 127.0.0.2:P (the range rule's only)
 * and 127.0.0.1:Q (no rule names port Q). Each request head, in the
 * order they arrive, gets the input's next response (cycling; a plain
 * 200 when the input has none), sent as its flags say (NF_R_*): after a
 * pause or never, in pieces, then keeping the connection, closing it,
 * resetting it or shutting its writing half.
 *
 * What it checks (a finding for the target to report): every connection
 * was made through the target's connect(), under rules that allow its
 * scheme (TLS or plain: the first byte) at that address and port; none
 * reaches port Q; none made under other rules (before a session step
 * changed them) carries a request after the change.
 *
 * It counts the request heads since the last step, for the target's
 * max_requests check, and notes each head's Host and whether it
 * carries credentials (Authorization, Cookie, Proxy-Authorization). libcurl sends a request again, once, on a new
 * connection when a reused one ended with no answer at all (it may have
 * been closed while idle): such heads are counted in `retries`.
 */
#include "net.h"
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 48
#define HEAD_MAX 16384
#define MAX_RECORDS 256
enum { L_MAIN, L_TWO, L_TRAP, NLIS };

typedef struct conn {
    int fd, lis;
    uint16_t peer;             /* the client's port */
    bool checked;              /* its connect() record looked up */
    unsigned epoch;            /* of the rules it was made under */
    uint8_t in[HEAD_MAX];
    size_t nin, skip;          /* skip: request body bytes to pass over */
    unsigned heads;
    bool unanswered;           /* the last head got no byte yet */
    bool wr_shut;
    /* the response being sent */
    bool answering, holding;
    uint8_t flags;
    uint8_t *out;
    size_t nout, sent, limit;  /* limit: the end of the current piece */
    uint64_t next_ns;          /* the piece waits until then */
} conn;

typedef struct record { uint16_t port; bool http, https; unsigned epoch; }
    record;

static struct {
    int lis[NLIS];
    int cmd[2];                /* the target's commands: 'S' sync, 'E' end */
    conn *c[MAX_CONNS];
    const nf_input *in;
    unsigned next;             /* the next response */
    uint16_t late[MAX_CONNS];  /* ports to look up at the next command */
    unsigned nlate;
    uint16_t port, trap;
    pthread_mutex_t mu;        /* the rest, shared with the target */
    pthread_cond_t cv;
    unsigned acked, asked;
    unsigned epoch;
    record rec[MAX_RECORDS];
    unsigned nrec;
    nf_stats st;
} S = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

__attribute__((format(printf, 1, 2)))
static void finding(const char *fmt, ...)
{
    va_list ap;
    pthread_mutex_lock(&S.mu);
    if (!S.st.finding[0]) {
        va_start(ap, fmt);
        vsnprintf(S.st.finding, sizeof S.st.finding, fmt, ap);
        va_end(ap);
    }
    pthread_mutex_unlock(&S.mu);
}

/* ---- connect() records -------------------------------------------------- */

void nf_server_connected(uint16_t port, bool http, bool https)
{
    pthread_mutex_lock(&S.mu);
    S.rec[S.nrec++ % MAX_RECORDS] = (record){ port, http, https, S.epoch };
    pthread_mutex_unlock(&S.mu);
}

/* The newest record of a connection from port (ports are reused). */
static bool lookup(uint16_t port, record *out)
{
    bool found = false;
    pthread_mutex_lock(&S.mu);
    unsigned n = S.nrec < MAX_RECORDS ? S.nrec : MAX_RECORDS;
    for (unsigned i = 0; i < n && !found; i++) {
        const record *r = &S.rec[(S.nrec - 1 - i) % MAX_RECORDS];
        if (r->port == port) {
            *out = *r;
            found = true;
        }
    }
    pthread_mutex_unlock(&S.mu);
    return found;
}

static void unknown(uint16_t port)
{
    finding("server: a connection from port %u that the target's "
            "connect() did not make", port);
}

/* The first bytes of c: made through connect(), under rules that allow
 * it for TLS (a handshake starts with 0x16) or http. */
static void check_conn(conn *c)
{
    record r;
    if (c->checked)
        return;
    c->checked = true;
    if (!lookup(c->peer, &r)) {
        unknown(c->peer);
        return;
    }
    c->epoch = r.epoch;
    bool tls = c->nin && c->in[0] == 0x16;
    if (c->nin && !(tls ? r.https : r.http))
        finding("server: a%s connection to %s:%u, which no rule in force "
                "allows", tls ? " TLS" : "n http", c->lis == L_TWO
                ? "127.0.0.2" : "127.0.0.1", S.port);
}

/* ---- responses ---------------------------------------------------------- */

static const nf_resp plain = {
    0, (const uint8_t *)"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 40
};

/* r's bytes with {P}, {Q} and {Z} replaced, at most NF_MAX_SEND. */
static uint8_t *expand(const nf_resp *r, size_t *len)
{
    uint8_t *ports = malloc(r->n * 2 + 1);
    uint8_t *out = malloc(NF_MAX_SEND);
    if (!ports || !out)
        abort();
    size_t n = nf_expand_ports(r->p, r->n, S.port, S.trap, ports), k = 0;
    for (size_t i = 0; i < n && k < NF_MAX_SEND; i++) {
        if (i + 2 < n && !memcmp(ports + i, "{Z}", 3)) {
            size_t z = NF_MAX_SEND - k < NF_Z_LEN ? NF_MAX_SEND - k
                                                  : NF_Z_LEN;
            memset(out + k, 'z', z);
            k += z;
            i += 2;
        } else {
            out[k++] = ports[i];
        }
    }
    free(ports);
    *len = k;
    return out;
}

static size_t boundary(const conn *c, size_t from)
{
    size_t n = c->nout;
    switch (NF_R_SPLIT(c->flags)) {
    case 1: return from < n / 3 ? n / 3 : n;
    case 2: return from < 2 * n / 3 ? 2 * n / 3 : n;
    case 3: return from + 16 < n ? from + 16 : n;
    default: return n;
    }
}

static void answer(conn *c)
{
    static const uint64_t delay_ms[4] = { 0, 1, 8, 0 };
    const nf_resp *r = S.in && S.in->nresp
                     ? &S.in->resp[S.next++ % S.in->nresp] : &plain;
    free(c->out);
    c->out = expand(r, &c->nout);
    c->flags = r->flags;
    c->sent = 0;
    c->limit = boundary(c, 0);
    c->answering = true;
    c->holding = NF_R_DELAY(r->flags) == 3;
    c->next_ns = now_ns() + delay_ms[NF_R_DELAY(r->flags)] * 1000000u;
}

/* ---- connections -------------------------------------------------------- */

/* A connection that ends before it sent a byte (answered at once and
 * closed) may end before the target's connect() has returned and noted
 * it: it is looked up at the next command, which comes after. */
static void check_later(conn *c)
{
    if (c->checked)
        return;
    if (S.nlate == sizeof S.late / sizeof *S.late)
        unknown(c->peer);
    else
        S.late[S.nlate++] = c->peer;
}

static void check_late(void)
{
    record r;
    for (unsigned i = 0; i < S.nlate; i++)
        if (!lookup(S.late[i], &r))
            unknown(S.late[i]);
    S.nlate = 0;
}

static void drop(int i)
{
    conn *c = S.c[i];
    check_later(c);
    if (c->unanswered && c->heads >= 2) {
        pthread_mutex_lock(&S.mu);
        S.st.retries++;
        pthread_mutex_unlock(&S.mu);
    }
    close(c->fd);
    free(c->out);
    free(c);
    S.c[i] = NULL;
}

static void reset(int i)
{
    struct linger l = { 1, 0 };
    setsockopt(S.c[i]->fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    drop(i);
}

static void accept_on(int lis)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    int fd = accept4(S.lis[lis], (struct sockaddr *)&a, &len,
                     SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
        return;
    if (lis == L_TRAP)
        finding("server: a connection to 127.0.0.1:%u, a port no rule "
                "names", S.trap);
    int i = 0;
    while (i < MAX_CONNS && S.c[i])
        i++;
    conn *c = i < MAX_CONNS ? calloc(1, sizeof *c) : NULL;
    if (!c) {
        close(fd);
        return;
    }
    c->fd = fd;
    c->lis = lis;
    c->peer = ntohs(a.sin_port);
    S.c[i] = c;
    if (S.in && S.in->nresp &&
        (S.in->resp[S.next % S.in->nresp].flags & NF_R_EARLY))
        answer(c);
    pthread_mutex_lock(&S.mu);
    S.st.conns++;
    pthread_mutex_unlock(&S.mu);
}

/* The value of header `name` ("\nname:") in head h[0..n) into out
 * (trimmed, cut to cap); false when it has none. */
static bool header(const uint8_t *h, size_t n, const char *name, char *out,
                   size_t cap)
{
    size_t len = strlen(name);
    for (size_t i = 0; i + len + 2 < n; i++) {
        if (h[i] != '\n' || strncasecmp((const char *)h + i + 1, name, len) ||
            h[i + 1 + len] != ':')
            continue;
        size_t a = i + len + 2, k = 0;
        while (a < n && h[a] == ' ')
            a++;
        while (a < n && h[a] != '\r' && h[a] != '\n' && k + 1 < cap)
            out[k++] = (char)h[a++];
        out[k] = 0;
        return true;
    }
    return false;
}

/* Where each head went and whether it carried credentials, for the
 * target to check that they go only to the origin the guest named. */
static void note_head(const uint8_t *h, size_t n)
{
    char v[8];
    nf_head e = { .cred = header(h, n, "authorization", v, sizeof v) ||
                          header(h, n, "cookie", v, sizeof v) ||
                          header(h, n, "proxy-authorization", v, sizeof v) };
    header(h, n, "host", e.host, sizeof e.host);
    pthread_mutex_lock(&S.mu);
    if (S.st.nhead < NF_MAX_HEADS)
        S.st.head[S.st.nhead++] = e;
    pthread_mutex_unlock(&S.mu);
}

/* A request head of c ends at `end` (just past its blank line, or the
 * whole buffer when it has none): count it, pass over its body. */
static void take_head(conn *c, size_t end)
{
    char cl[24];
    c->skip = header(c->in, end, "content-length", cl, sizeof cl)
            ? strtoul(cl, NULL, 10) : 0;
    note_head(c->in, end);
    c->nin -= end;
    memmove(c->in, c->in + end, c->nin);
    c->heads++;
    c->unanswered = true;
    pthread_mutex_lock(&S.mu);
    S.st.heads++;
    bool stale = c->epoch != S.epoch;
    pthread_mutex_unlock(&S.mu);
    if (stale)
        finding("server: a connection made under the rules before a step "
                "carried a request after it");
}

/* Whole heads in c's buffer; each starts an answer in turn. */
static void heads(conn *c)
{
    for (;;) {
        size_t k = c->skip < c->nin ? c->skip : c->nin;
        c->nin -= k;
        c->skip -= k;
        memmove(c->in, c->in + k, c->nin);
        if (c->answering || !c->nin)
            return;
        uint8_t *e = memmem(c->in, c->nin, "\r\n\r\n", 4);
        if (!e && c->nin < HEAD_MAX)
            return;
        take_head(c, e ? (size_t)(e - c->in) + 4 : c->nin);
        if (!c->wr_shut)
            answer(c);
    }
}

/* Read what c has; false when it ended. */
static bool on_read(conn *c)
{
    ssize_t n = recv(c->fd, c->in + c->nin, HEAD_MAX - c->nin, 0);
    if (n <= 0)
        return n < 0 && (errno == EAGAIN || errno == EINTR);
    bool first = !c->nin && !c->heads;
    c->nin += (size_t)n;
    if (first)
        check_conn(c);
    heads(c);
    return true;
}

/* The answer is sent: what its flags say comes next; false when c ends. */
static bool finish(conn *c)
{
    int end = NF_R_END(c->flags);
    c->answering = false;
    if (c->nout && end != NF_END_RESET)
        c->unanswered = false;
    if (end == NF_END_CLOSE || end == NF_END_RESET)
        return false;
    if (end == NF_END_HALF) {
        shutdown(c->fd, SHUT_WR);
        c->wr_shut = true;
    }
    heads(c);
    return true;
}

/* Send what is due; false when c ends (by its flags or an error). */
static bool pump(conn *c, uint64_t now)
{
    while (c->answering && !c->holding && now >= c->next_ns) {
        if (c->sent < c->limit) {
            ssize_t k = send(c->fd, c->out + c->sent, c->limit - c->sent,
                             MSG_DONTWAIT | MSG_NOSIGNAL);
            if (k < 0)
                return errno == EAGAIN || errno == EINTR;
            c->sent += (size_t)k;
            continue;
        }
        if (c->sent == c->nout)
            return finish(c);
        c->limit = boundary(c, c->sent);
        c->next_ns = now + 1000000u;
    }
    return true;
}

/* ---- the loop ----------------------------------------------------------- */

/* A full buffer waits for the answer in progress to end. */
static short events(const conn *c, uint64_t now)
{
    bool out = c->answering && !c->holding && now >= c->next_ns &&
               c->sent < c->limit;
    return (short)((c->nin < HEAD_MAX ? POLLIN : 0) | (out ? POLLOUT : 0));
}

static int timeout_ms(uint64_t now)
{
    uint64_t next = UINT64_MAX;
    for (int i = 0; i < MAX_CONNS; i++) {
        const conn *c = S.c[i];
        if (c && c->answering && !c->holding && c->next_ns < next)
            next = c->next_ns;
    }
    if (next == UINT64_MAX)
        return -1;
    return next <= now ? 0 : (int)((next - now) / 1000000u) + 1;
}

static void service(int i, short ev, uint64_t now)
{
    conn *c = S.c[i];
    bool ok = true;
    if (ev & (POLLIN | POLLHUP | POLLERR))
        ok = on_read(c);
    if (ok)
        ok = pump(c, now);
    if (!ok) {
        if (c->answering || NF_R_END(c->flags) != NF_END_RESET)
            drop(i);
        else
            reset(i);
    }
}

/* One poll of everything; returns how many sockets had something. */
static int step(int timeout)
{
    struct pollfd pf[1 + NLIS + MAX_CONNS];
    int idx[MAX_CONNS], n = 0, k = 0;
    uint64_t now = now_ns();
    pf[n++] = (struct pollfd){ S.cmd[0], POLLIN, 0 };
    for (int l = 0; l < NLIS; l++)
        pf[n++] = (struct pollfd){ S.lis[l], POLLIN, 0 };
    for (int i = 0; i < MAX_CONNS; i++)
        if (S.c[i]) {
            idx[k++] = i;
            pf[n++] = (struct pollfd){ S.c[i]->fd, events(S.c[i], now), 0 };
        }
    int t = timeout_ms(now);
    if (poll(pf, (nfds_t)n, timeout < 0 || (t >= 0 && t < timeout) ? t
                                                               : timeout) < 0)
        return 0;
    int ready = 0;
    now = now_ns();
    for (int l = 0; l < NLIS; l++)
        if (pf[1 + l].revents) {
            accept_on(l);
            ready++;
        }
    for (int j = 0; j < k; j++) {
        ready += pf[1 + NLIS + j].revents != 0;
        service(idx[j], pf[1 + NLIS + j].revents, now);
    }
    return ready;
}

static void ack(void)
{
    pthread_mutex_lock(&S.mu);
    S.acked++;
    pthread_cond_broadcast(&S.cv);
    pthread_mutex_unlock(&S.mu);
}

static void command(char c)
{
    while (step(0) > 0)
        ;
    if (c == 'E') {
        for (int i = 0; i < MAX_CONNS; i++)
            if (S.c[i])
                drop(i);
        S.in = NULL;
    }
    check_late();
    ack();
}

static void *serve(void *arg)
{
    (void)arg;
    for (;;) {
        step(-1);
        char c[16];
        ssize_t n = read(S.cmd[0], c, sizeof c);
        for (ssize_t i = 0; i < n; i++)
            command(c[i]);
    }
    return NULL;
}

/* ---- the target's side -------------------------------------------------- */

static int listen_on(const char *addr, uint16_t port, uint16_t *got)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
    socklen_t len = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd < 0 || inet_pton(AF_INET, addr, &a.sin_addr) != 1 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
        bind(fd, (struct sockaddr *)&a, sizeof a) ||
        listen(fd, 64) || getsockname(fd, (struct sockaddr *)&a, &len))
        hc_die("server: cannot listen on %s:%u: %s", addr, port,
               strerror(errno));
    *got = ntohs(a.sin_port);
    return fd;
}

void nf_server_start(uint16_t *p, uint16_t *q)
{
    pthread_t t;
    S.lis[L_MAIN] = listen_on("127.0.0.1", 0, &S.port);
    S.lis[L_TWO] = listen_on("127.0.0.2", S.port, p);
    S.lis[L_TRAP] = listen_on("127.0.0.1", 0, &S.trap);
    if (pipe2(S.cmd, O_CLOEXEC | O_NONBLOCK) ||
        pthread_create(&t, NULL, serve, NULL))
        hc_die("server: cannot start: %s", strerror(errno));
    pthread_detach(t);
    *p = S.port;
    *q = S.trap;
}

/* Send command c and wait until the thread has done it. */
static void ask(char c, nf_stats *st)
{
    pthread_mutex_lock(&S.mu);
    unsigned want = ++S.asked;
    pthread_mutex_unlock(&S.mu);
    if (write(S.cmd[1], &c, 1) != 1)
        hc_die("server: command: %s", strerror(errno));
    pthread_mutex_lock(&S.mu);
    while (S.acked < want)
        pthread_cond_wait(&S.cv, &S.mu);
    if (st)
        *st = S.st;
    S.st.nhead = 0;
    pthread_mutex_unlock(&S.mu);
}

void nf_server_begin(const nf_input *in)
{
    pthread_mutex_lock(&S.mu);
    memset(&S.st, 0, sizeof S.st);
    S.nrec = 0;
    pthread_mutex_unlock(&S.mu);
    S.in = in;                 /* the thread reads it after the next poll */
    S.next = 0;
    ask('S', NULL);
}

void nf_server_epoch(bool new_rules)
{
    ask('S', NULL);
    pthread_mutex_lock(&S.mu);
    S.epoch += new_rules;
    S.st.heads = S.st.retries = 0;
    pthread_mutex_unlock(&S.mu);
}

void nf_server_sync(nf_stats *st)
{
    ask('S', st);
}

void nf_server_end(nf_stats *st)
{
    ask('E', st);
}
