/* broker.h: the broker's state, shared by fetch.c (transfers), hop.c
 * (starting a request and its redirects) and log.c. Internal to src/net. */
#ifndef WB_NET_BROKER_H
#define WB_NET_BROKER_H

#include "net/net.h"
#include "net/curl.h"

#define WB_NET_HANDLES 16              /* responses open at once */
#define WB_NET_BUF (256u << 10)        /* body bytes buffered per response */
#define WB_NET_HDR_MAX (64u << 10)     /* header bytes of one response */
#define WB_NET_HOPS 5                  /* redirects followed */

typedef struct wb_xfer {
    bool used;
    CURL *e;
    struct wb_net *n;
    struct curl_slist *hdrs;
    wb_net_target t;                   /* this hop's */
    char method[16];
    char *hbuf; size_t hlen;           /* "Name: value\n" lines */
    bool headers_done, done, too_large, paused;
    long status;
    CURLcode result;
    uint8_t *buf; size_t blen, boff, bcap;  /* body bytes not yet read */
    uint64_t got;                      /* body bytes received */
    uint64_t deadline_ns;              /* 0: none */
    int refused;                       /* addresses refused by on_socket */
    char why[400];
    int log;                           /* index in n->log, or -1 */
    int code;                          /* a failure already decided */
} wb_xfer;

struct wb_net {
    wb_net_rule rules[WB_NET_MAX_RULES];
    size_t nrules;
    uint32_t max_requests;
    uint64_t max_response, timeout_ms;
    int wake;
    atomic_int *cancelled;
    atomic_int *caller_killed;    /* the calling process's, or NULL */
    CURLM *multi;                      /* NULL until the first rule */
    bool stale;                        /* rules changed since its
                                          connections were made */
    uint8_t *ca; size_t ca_len;
    char ca_error[200];
    wb_xfer x[WB_NET_HANDLES];
    uint32_t count;                    /* requests, refused ones too */
    wb_net_entry log[WB_NET_LOG_MAX];
    char err[512];
};

/* fetch.c */
uint64_t wb_net_now_ns(void);
/* Set up x for a transfer of its target (x->t, method, headers set)
 * with body (copied) and add it to the multi handle. */
int wb_xfer_start(struct wb_net *n, wb_xfer *x, const char *url,
                  const uint8_t *body, size_t body_len);
/* Take x out of its transfer (the handle slot stays). */
void wb_xfer_stop(struct wb_net *n, wb_xfer *x);
/* Run transfers until x has its final headers (body false) or body
 * bytes (true), is done, or its deadline or the run's passes. */
int wb_xfer_wait(struct wb_net *n, wb_xfer *x, bool body);
/* The ABI code for how x's transfer failed, its message in n->err. */
int wb_xfer_failure(struct wb_net *n, wb_xfer *x);

/* log.c */
/* A new entry of the report for x's target (x->log; -1 past the log). */
void wb_net_log_start(struct wb_net *n, wb_xfer *x);
void wb_net_log_refused(struct wb_net *n, int log, const char *why);

#endif
