/*
 * net.h: the wasmbox_http fuzzer (`make fuzz-net`), shared by its files:
 *
 *   fuzz_net.c     the target: one WASI context with network rules per
 *                  input, the wasmbox_http calls made straight on the
 *                  host functions, invariants after each call and input;
 *                  the connect() every connection of libcurl goes through
 *   net_decode.c   fuzz input -> the calls' arguments in guest memory
 *                  (hostcall_decode.c places them) and the server's
 *                  responses
 *   net_server.c   the loopback HTTP server, a thread, answering with
 *                  the input's responses
 *   net_seeds.c    the seed corpus, written by the target itself
 *
 * Input: byte 0 says which of nf_rules are given (bit i: rule i), byte 1
 * the limits (NF_LIM_*); then records, each an op byte (an index into
 * nf_ops, modulo its size) and the op's arguments; then the server's
 * responses, each after NF_SEP: a byte of NF_R_* flags and the bytes to
 * send. In the calls' strings and the responses, {P} is replaced by the
 * server's port, {Q} by the port no rule names, and in responses {Z} by
 * 64 KiB of 'z'. Decoding never fails: a short input reads as zeros.
 *
 * It runs only in a network namespace of its own with nothing but lo
 * (fuzz/net-check.sh makes one, with a hosts file naming the addresses
 * below): every byte it sends stays on this machine.
 */
#ifndef WB_FUZZ_NET_H
#define WB_FUZZ_NET_H

#include "hostcall.h"

#define NF_SEP "\0RSP"
#define NF_SEP_LEN 4
#define NF_MAX_RESP 16
#define NF_Z_LEN 65536               /* {Z} */
#define NF_MAX_SEND (2u << 20)       /* bytes of one expanded response */

/* The hosts file (fuzz/net-check.sh): the names it gives, and what the
 * target checks at start-up. */
#define NF_HOST_LOOP "api.test"      /* 127.0.0.1 */

/* Byte 1: the limits. */
#define NF_LIM_REQUESTS(b) (1u + ((b) & 7))             /* 1-8 */
#define NF_LIM_RESPONSE(b) (nf_max_response[((b) >> 3) & 3])
#define NF_LIM_TIMEOUT(b) (nf_timeout_ms[((b) >> 5) & 3])
extern const uint64_t nf_max_response[4], nf_timeout_ms[4];

/* The rules: their text with {P} and {Q}, and what each allows to be
 * connected to, worked out by hand (the oracle does not use rule.c). */
enum { NF_ADDR, NF_NAME };
typedef struct nf_rule {
    const char *text;
    int kind;
    bool http;
    const char *net;           /* NF_ADDR: "a.b.c.d/bits" (IPv4) */
} nf_rule;
#define NF_NRULES 8
extern const nf_rule nf_rules[NF_NRULES];

/* ---- the calls (net_decode.c) ------------------------------------------- */

enum { NF_REQUEST, NF_RESPONSE, NF_READ, NF_CLOSE, NF_LAST_ERROR,
       NF_POKE, NF_STEP, NF_WAIT, NF_NOPS };
extern const hc_op nf_ops[NF_NOPS];

/* Where the arguments of one call are. */
typedef struct nf_call {
    int op;
    wb_val a[9];
    size_t na;
    uint8_t arg;               /* NF_STEP: the new rules; NF_WAIT: ms */
    uint8_t arg2;              /* NF_STEP: the new limits */
} nf_call;

typedef struct nf_resp {
    uint8_t flags;
    const uint8_t *p;          /* the input's bytes, {P} etc. not expanded */
    size_t n;
} nf_resp;

/* Response flags. */
#define NF_R_DELAY(f) ((f) & 3)      /* 0, 1 ms, 8 ms, never */
enum { NF_END_KEEP, NF_END_CLOSE, NF_END_RESET, NF_END_HALF };
#define NF_R_END(f) (((f) >> 2) & 3)
#define NF_R_SPLIT(f) (((f) >> 4) & 3)  /* none, at 1/3, at 2/3, 16-byte
                                           pieces; 1 ms between */
#define NF_R_EARLY 0x40              /* answer at accept, before a request */

typedef struct nf_input {
    uint8_t rules, limits;
    hc_dec d;                  /* the calls */
    nf_resp resp[NF_MAX_RESP];
    size_t nresp;
    uint16_t port, trap;       /* for {P} and {Q} */
} nf_input;

/* Split data into the header, the calls and the responses. */
void nf_decode_begin(nf_input *in, const uint8_t *data, size_t size,
                     uint8_t *mem);
/* The next call (false at the end of the calls). */
bool nf_decode_call(nf_input *in, nf_call *c, uint32_t last_handle);
/* s[0..n) with {P} and {Q} replaced into out (cap bytes at least
 * n * 3); returns its length. */
size_t nf_expand_ports(const uint8_t *s, size_t n, uint16_t p, uint16_t q,
                       uint8_t *out);

/* ---- the server (net_server.c) ------------------------------------------ */

#define NF_MAX_HEADS 8
#define NF_HOST_MAX 300
typedef struct nf_head {
    char host[NF_HOST_MAX];    /* its Host header */
    bool cred;                 /* Authorization, Cookie or
                                  Proxy-Authorization with it */
} nf_head;
typedef struct nf_stats {
    unsigned conns;            /* connections accepted this input */
    unsigned heads;            /* request heads received this epoch */
    unsigned retries;          /* of them, heads libcurl may send again
                                  (see net_server.c) */
    nf_head head[NF_MAX_HEADS];  /* the first heads since the last sync */
    unsigned nhead;
    char finding[400];         /* "" or what broke an invariant */
} nf_stats;

/* Listen on 127.0.0.1:P, 127.0.0.2:P and 127.0.0.1:Q; start the thread. */
void nf_server_start(uint16_t *p, uint16_t *q);
/* An input's responses (borrowed until nf_server_end). */
void nf_server_begin(const nf_input *in);
/* New rules (a session's step): what connections made before it may
 * not do, and the counts of heads start again. */
void nf_server_epoch(bool new_rules);
/* Process everything sent so far; *st: the counts (the list of heads
 * starts again). */
void nf_server_sync(nf_stats *st);
/* Close every connection of the input. */
void nf_server_end(nf_stats *st);
/* connect() made a connection from local port `port` that the rules in
 * force allow for plain http (http) and https (https). */
void nf_server_connected(uint16_t port, bool http, bool https);

/* ---- seeds (net_seeds.c) ------------------------------------------------ */

int nf_write_seeds(const char *dir);

#endif
