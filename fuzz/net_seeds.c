/*
 * net_seeds.c: the seed corpus of the wasmbox_http fuzzer, encoded as
 * net_decode.c decodes (addresses are 1 KiB slots; {P} and {Q} stand for
 * the server's ports). Together the seeds reach each call and each path
 * of a request: allowed and refused hosts and addresses, redirects
 * followed and refused, bodies by length, chunked and to the end, limits
 * of size, count, time and open handles, bad pointers, session steps.
 */
#include "net.h"
#include <string.h>

#define LAST 0xe0              /* the handle the last request gave */
#define LEN(i) (0xc0 + (i))    /* entry i of the length table */
#define L256 LEN(0)
#define L4096 LEN(4)
#define L16K LEN(6)
#define OUTSIDE 0xc2           /* an address byte: 0xffffffff */

/* rules (byte 0) */
enum { R_ADDR = 1, R_NAME = 2, R_WILD = 4, R_HTTPS = 8, R_RANGE = 16,
       R_MAPPED = 32, R_LOCALHOST = 64, R_WILD_HTTPS = 128 };

/* limits (byte 1): max_requests 1-8, then entries of nf_max_response
 * (1, 100, 5000, 300000) and nf_timeout_ms (none, 5, 15, 1000). */
#define LIM(req, resp, to) ((uint8_t)(((req) - 1) | (resp) << 3 | (to) << 5))

/* Short names: the seeds are lists of bytes. */
typedef hc_enc enc;
#define b8 hc_b8

static void bytes(enc *e, const void *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        b8(e, ((const uint8_t *)p)[i]);
}

/* A string of at most 254 bytes in slot `slot`. */
static void str(enc *e, const char *s, uint8_t slot)
{
    b8(e, (uint8_t)strlen(s));
    bytes(e, s, strlen(s));
    b8(e, 0);
    b8(e, slot);
}

static void request(enc *e, const char *m, const char *url, const char *h,
                    const char *body)
{
    b8(e, NF_REQUEST);
    str(e, m, 1);
    str(e, url, 2);
    str(e, h, 3);
    str(e, body, 4);
    b8(e, 5);                  /* the handle at 5 KiB */
}

static void get(enc *e, const char *url)
{
    request(e, "GET", url, "", "");
}

static void response(enc *e, uint8_t h)
{
    b8(e, NF_RESPONSE);
    b8(e, h);
    b8(e, 6);
    b8(e, L4096);
    b8(e, 8);
    b8(e, 7);
}

static void read_body(enc *e, uint8_t h, uint8_t cap)
{
    b8(e, NF_READ);
    b8(e, h);
    b8(e, cap);
    b8(e, 16);
    b8(e, 15);
}

static void op1(enc *e, uint8_t op, uint8_t arg)
{
    b8(e, op);
    b8(e, arg);
}

static void last_error(enc *e)
{
    b8(e, NF_LAST_ERROR);
    b8(e, L256);
    b8(e, 40);
    b8(e, 41);
}

/* A whole exchange of the last handle: headers, body, error, close. */
static void consume(enc *e)
{
    response(e, LAST);
    for (int i = 0; i < 3; i++)
        read_body(e, LAST, L16K);
    last_error(e);
    op1(e, NF_CLOSE, LAST);
}

static void resp(enc *e, uint8_t flags, const char *text)
{
    bytes(e, NF_SEP, NF_SEP_LEN);
    b8(e, flags);
    bytes(e, text, strlen(text));
}

#define OK_HELLO "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
#define REDIRECT(to) "HTTP/1.1 302 Found\r\nLocation: " to \
                     "\r\nContent-Length: 0\r\n\r\n"

typedef void seed_fn(enc *e);

static void s_plain(enc *e)
{
    b8(e, R_ADDR);
    b8(e, LIM(4, 2, 3));
    get(e, "http://127.0.0.1:{P}/hello");
    consume(e);
    resp(e, 0, OK_HELLO);
}

static void s_name(enc *e)
{
    b8(e, R_ADDR | R_NAME | R_LOCALHOST);
    b8(e, LIM(4, 2, 3));
    get(e, "http://api.test:{P}/a");
    consume(e);
    get(e, "http://localhost:{P}/b");
    consume(e);
    get(e, "http://API.test.:{P}/c");
    consume(e);
    resp(e, 0, OK_HELLO);
}

static void s_redirects(enc *e)
{
    b8(e, R_ADDR | R_NAME | R_WILD | R_RANGE);
    b8(e, LIM(8, 2, 3));
    get(e, "http://api.test:{P}/r");
    consume(e);
    get(e, "http://api.test:{P}/r");
    consume(e);
    get(e, "http://127.0.0.1:{P}/r");
    consume(e);
    resp(e, 0, REDIRECT("http://two.test:{P}/two"));
    resp(e, 0, OK_HELLO);
    resp(e, 0, REDIRECT("http://evil.test:{P}/private"));
    resp(e, 0, REDIRECT("http://127.0.0.1:{Q}/trap"));
}

static void s_refused(enc *e)
{
    static const char *const urls[] = {
        "http://meta.test:{P}/", "http://lan.test:{P}/",
        "http://six.test:{P}/", "http://mapped.test:{P}/",
        "http://nat.test:{P}/", "http://pub.test:{P}/",
        "http://127.0.0.2:{P}/", "http://[::1]:{P}/",
        "ftp://api.test/", "http://other.test:{Q}/",
    };
    b8(e, R_NAME | R_WILD | R_MAPPED);
    b8(e, LIM(8, 2, 2));
    for (size_t i = 0; i < sizeof urls / sizeof *urls; i++) {
        get(e, urls[i]);
        last_error(e);
    }
}

static void s_bodies(enc *e)
{
    b8(e, R_ADDR);
    b8(e, LIM(4, 1, 3));
    for (int i = 0; i < 3; i++) {
        get(e, "http://127.0.0.1:{P}/b");
        consume(e);
    }
    resp(e, 0, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
               "5\r\nhello\r\n0\r\n\r\n");
    resp(e, 4, "HTTP/1.1 200 OK\r\n\r\n{Z}");
    resp(e, 0x34, "HTTP/1.1 200 OK\r\nContent-Length: 300\r\n\r\nshort");
}

static void s_large(enc *e)
{
    b8(e, R_ADDR);
    b8(e, LIM(2, 3, 3));
    get(e, "http://127.0.0.1:{P}/big");
    response(e, LAST);
    for (int i = 0; i < 24; i++)
        read_body(e, LAST, L16K);
    resp(e, 4, "HTTP/1.1 200 OK\r\n\r\n{Z}{Z}{Z}{Z}{Z}");
}

static void s_slow(enc *e)
{
    b8(e, R_ADDR);
    b8(e, LIM(4, 2, 1));
    get(e, "http://127.0.0.1:{P}/slow");
    consume(e);
    get(e, "http://127.0.0.1:{P}/never");
    last_error(e);
    resp(e, 0x32, OK_HELLO);
    resp(e, 3, OK_HELLO);
}

static void s_deadline(enc *e)
{
    b8(e, R_ADDR);
    b8(e, LIM(4, 2, 0));
    get(e, "http://127.0.0.1:{P}/");
    consume(e);
    resp(e, 0x31, "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\nabc");
}

static void s_keepalive(enc *e)
{
    b8(e, R_ADDR);
    b8(e, LIM(3, 2, 3));
    for (int i = 0; i < 3; i++) {
        get(e, "http://127.0.0.1:{P}/k");
        consume(e);
        op1(e, NF_WAIT, 2);
    }
    resp(e, 0, OK_HELLO);
    resp(e, 4, "");
    resp(e, 8, OK_HELLO);
    resp(e, 0x4c, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx");
}

static void s_post(enc *e)
{
    b8(e, R_ADDR | R_NAME | R_WILD);
    b8(e, LIM(8, 2, 3));
    request(e, "POST", "http://api.test:{P}/form",
            "Content-Type: text/plain\nAuthorization: secret\r\nCookie: c=1",
            "a=1&b=2");
    consume(e);
    request(e, "PUT", "http://api.test:{P}/p", "Expect: 100-continue",
            "body");
    consume(e);
    resp(e, 0, "HTTP/1.1 307 Temporary\r\nLocation: http://other.test:{P}/"
               "\r\nContent-Length: 0\r\n\r\n");
    resp(e, 0, "HTTP/1.1 302 Found\r\nLocation: http://api.test:{P}/back"
               "\r\nContent-Length: 0\r\n\r\n");
    resp(e, 0, "HTTP/1.1 303 See Other\r\nLocation: /got\r\n"
               "Content-Length: 0\r\n\r\n");
    resp(e, 0, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\n"
               "Set-Cookie: a=b\r\nContent-Length: 2\r\n\r\nok");
}

static void s_https(enc *e)
{
    b8(e, R_HTTPS | R_WILD_HTTPS);
    b8(e, LIM(4, 2, 2));
    get(e, "https://127.0.0.1:{P}/");
    last_error(e);
    get(e, "https://api.test:{P}/");
    last_error(e);
    resp(e, 0, OK_HELLO);
}

static void s_bad_args(enc *e)
{
    b8(e, R_ADDR);
    b8(e, LIM(4, 2, 3));
    get(e, "http://127.0.0.1:{P}/");
    read_body(e, LAST, 0);                /* cap 0: INVAL */
    response(e, 0);                       /* BADF */
    b8(e, NF_RESPONSE);                   /* TOOSMALL */
    b8(e, LAST);
    b8(e, 6);
    b8(e, 4);
    b8(e, 8);
    b8(e, 7);
    read_body(e, LAST, 0xff);             /* a raw length */
    bytes(e, "\xff\xff\x00\x00", 4);
    b8(e, NF_REQUEST);                    /* the URL outside memory */
    str(e, "GET", 1);
    b8(e, 3);
    bytes(e, "abc", 3);
    b8(e, 0);
    b8(e, OUTSIDE);
    str(e, "", 3);
    str(e, "", 4);
    b8(e, 5);
    request(e, "GE T", "http://127.0.0.1:{P}/", "", "");
    request(e, "GET", "http://127.0.0.1:{P}/", "Host: evil.test", "");
    request(e, "GET", "http://127.0.0.1:{P}/", "X: a\rb", "");
    request(e, "CONNECT", "http://127.0.0.1:{P}/", "", "");
    last_error(e);
    op1(e, NF_CLOSE, LAST);
    op1(e, NF_CLOSE, LAST);
}

static void s_many(enc *e)
{
    b8(e, R_ADDR);
    b8(e, LIM(8, 2, 3));
    for (int k = 0; k < 3; k++) {
        for (int i = 0; i < 8; i++)
            get(e, "http://127.0.0.1:{P}/m");
        b8(e, NF_STEP);
        b8(e, R_ADDR | R_RANGE);
        b8(e, LIM(8, 2, 3));
    }
    last_error(e);
}

/* A step changes the rules while a response is open: its connection
 * (kept alive, idle once the body came) must not serve the next one. */
static void s_step(enc *e)
{
    b8(e, R_ADDR | R_NAME);
    b8(e, LIM(4, 3, 3));
    get(e, "http://127.0.0.1:{P}/s");
    read_body(e, LAST, 64);
    b8(e, NF_STEP);
    b8(e, R_ADDR | R_RANGE);
    b8(e, LIM(4, 3, 3));
    read_body(e, LAST, L16K);
    get(e, "http://127.0.0.1:{P}/t");
    consume(e);
    resp(e, 0, "HTTP/1.1 200 OK\r\nContent-Length: 65536\r\n\r\n{Z}");
}

static void s_loop(enc *e)
{
    b8(e, R_ADDR);
    b8(e, LIM(8, 2, 3));
    get(e, "http://127.0.0.1:{P}/loop");
    last_error(e);
    resp(e, 0, REDIRECT("/loop"));
}

static void s_malformed(enc *e)
{
    b8(e, R_ADDR);
    b8(e, LIM(8, 2, 3));
    for (int i = 0; i < 5; i++) {
        get(e, "http://127.0.0.1:{P}/x");
        consume(e);
    }
    resp(e, 0, "HTTP/1.1 200 OK\r\nX-Big: {Z}\r\n\r\n");
    resp(e, 0, "HTTP/1.1 2000 Odd\r\n\r\n");
    resp(e, 8, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6"
               "\r\n\r\nhello");
    resp(e, 0, "garbage\r\n\r\n");
    resp(e, 0, REDIRECT("http://[::1:{P}/"));
}

static const struct { const char *name; seed_fn *fn; } seeds[] = {
    { "plain", s_plain }, { "names", s_name }, { "redirects", s_redirects },
    { "refused", s_refused }, { "bodies", s_bodies }, { "large", s_large },
    { "slow", s_slow }, { "deadline", s_deadline },
    { "keepalive", s_keepalive }, { "post", s_post }, { "https", s_https },
    { "bad-args", s_bad_args }, { "many", s_many }, { "step", s_step },
    { "loop", s_loop }, { "malformed", s_malformed },
};

int nf_write_seeds(const char *dir)
{
    for (size_t i = 0; i < sizeof seeds / sizeof *seeds; i++) {
        enc e = { .n = 0 };
        seeds[i].fn(&e);
        if (!hc_write_seed(dir, seeds[i].name, &e))
            return -1;
    }
    return (int)(sizeof seeds / sizeof *seeds);
}
