/*
 * net.h: the outbound-HTTP broker (issue 18, docs/network.md). Not
 * installed. Below src/wasi/, which exposes it to guests as the
 * `wasmbox_http` import module; it uses only common/ and the public
 * headers.
 *
 *   rule.c    allowlist rules: parsing, matching a URL, naming addresses
 *   ipclass.c the addresses that are refused unless a rule names them
 *   url.c     a guest's URL, method and headers, checked
 *   fetch.c   the transfers (libcurl multi), their handles and waits
 *   log.c     last_error and the requests the report lists
 *
 * Every function answers one of the ABI's codes (WB_NET_*) or
 * WB_NET_CANCELLED when the run's deadline woke a wait: the caller ends
 * the run with outcome timeout.
 */
#ifndef WB_NET_H
#define WB_NET_H

#include "wasmbox/sandbox.h"
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    WB_NET_OK = 0, WB_NET_DENIED = 1, WB_NET_LIMIT = 2, WB_NET_TIMEOUT = 3,
    WB_NET_TOO_LARGE = 4, WB_NET_CONNECT = 5, WB_NET_TLS = 6,
    WB_NET_PROTOCOL = 7, WB_NET_INVAL = 8, WB_NET_BADF = 9,
    WB_NET_TOOSMALL = 10, WB_NET_FAULT = 11,
    WB_NET_CANCELLED = -1
};

/* ---- rule.c -------------------------------------------------------------- */

enum { WB_RULE_NAME, WB_RULE_SUFFIX, WB_RULE_ADDR };
typedef struct wb_net_rule {
    int kind;                  /* WB_RULE_* */
    bool http;                 /* plain http, else https */
    uint16_t port;
    char name[WB_NET_RULE_MAX];  /* lower case; SUFFIX: without "*." */
    uint8_t addr[16];          /* ADDR: IPv6, IPv4 as ::ffff:a.b.c.d */
    unsigned prefix;           /* ADDR: leading bits of addr that count */
} wb_net_rule;

/* 0, or -1 with a reason in msg. */
int wb_net_rule_parse(const char *text, wb_net_rule *r, char *msg,
                      size_t cap);
/* A URL's target: host lower case, without brackets; ip set when the
 * host is an address literal (16 bytes as above). */
typedef struct wb_net_target {
    bool http;
    char host[256];
    uint16_t port;
    bool is_ip;
    uint8_t ip[16];
} wb_net_target;
/* The first rule that allows t by scheme, port and host, or NULL. */
const wb_net_rule *wb_net_rule_match(const wb_net_rule *rules, size_t n,
                                     const wb_net_target *t);
/* Does an address rule for t's scheme and port contain ip? */
bool wb_net_rule_names_addr(const wb_net_rule *rules, size_t n,
                            const wb_net_target *t, const uint8_t ip[16]);
/* Does every target `inner` allows also pass `outer`? */
bool wb_net_rule_covers(const wb_net_rule *outer, const wb_net_rule *inner);
/* Is `rule` well-formed and within one of b's rules? false with a reason
 * in msg. */
bool wb_net_budget_covers(const wb_net_budget *b, const char *rule,
                          char *msg, size_t cap);
/* Text address -> 16 bytes (IPv4 mapped); false when not an address. */
bool wb_net_ip_parse(const char *s, uint8_t out[16]);
/* 16 bytes -> "10.0.0.7" or "fd00::1". */
void wb_net_ip_format(const uint8_t ip[16], char *out, size_t cap);

/* ---- ipclass.c ----------------------------------------------------------- */

/* NULL for an ordinary public unicast address, else what it is
 * ("loopback", "private", "link-local (cloud metadata)", ...): such an
 * address is refused unless an address rule names it. */
const char *wb_net_ip_special(const uint8_t ip[16]);

/* ---- url.c --------------------------------------------------------------- */

/* url (not NUL-terminated) -> t; WB_NET_INVAL with a reason otherwise. */
int wb_net_url_target(const char *url, size_t len, wb_net_target *t,
                      char *msg, size_t cap);
/* An HTTP token of at most 15 bytes. */
bool wb_net_method_ok(const char *m, size_t len);
/* "Name: value" lines separated by \n or \r\n -> a curl_slist (returned
 * as void * so this header needs no curl.h); NULL with a reason on a bad
 * line (CR or LF inside, no colon, a bad name, a Host header). *ok is
 * false on error (an empty list is NULL too). */
void *wb_net_headers(const char *h, size_t len, bool *ok, char *msg,
                     size_t cap);

/* ---- fetch.c ------------------------------------------------------------- */

typedef struct wb_net wb_net;

/* Load libcurl (once; only runs with rules need it, see curl.h). A run
 * with rules calls it before the OS lock-down. False with a one-line
 * reason in why. */
bool wb_net_load(char *why, size_t cap);

/* A broker for one WASI context. wake_fd (borrowed) becomes readable and
 * *cancelled non-zero when the run must end. Loads the CA store now (the
 * process may be locked down later): $WASMBOX_CA_FILE when set (tests),
 * else the system's. NULL when out of memory. */
wb_net *wb_net_new(const wb_net_budget *b, int wake_fd,
                   atomic_int *cancelled);
/* The process about to call (a broker is shared by a tree of processes,
 * one call at a time): its waits also end, within a second, once
 * *killed is non-zero (NULL: never). */
void wb_net_set_caller(wb_net *n, atomic_int *killed);
void wb_net_free(wb_net *n);
/* Replace the rules and limits (a session's step); open handles stay. */
void wb_net_set_budget(wb_net *n, const wb_net_budget *b);
/* Forget the requests counted and logged so far (a session's step). */
void wb_net_reset_log(wb_net *n);

typedef struct wb_net_req {
    const char *method; size_t method_len;
    const char *url; size_t url_len;
    const char *headers; size_t headers_len;
    const uint8_t *body; size_t body_len;
} wb_net_req;
int wb_net_request(wb_net *n, const wb_net_req *rq, uint32_t *handle);
/* The final response's status and header lines. */
int wb_net_response(wb_net *n, uint32_t h, uint32_t *status,
                    const char **hdr, size_t *hdr_len);
/* Up to cap body bytes; *got 0 at the end. */
int wb_net_read(wb_net *n, uint32_t h, uint8_t *buf, size_t cap,
                size_t *got);
int wb_net_close(wb_net *n, uint32_t h);
/* The message of the last failed call ("" when none). */
const char *wb_net_last_error(const wb_net *n);
/* Record a failure of the ABI layer itself (a bad pointer). */
int wb_net_fail(wb_net *n, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Copy the requests into the report. */
void wb_net_usage(const wb_net *n, wb_run_result *res);

#endif
