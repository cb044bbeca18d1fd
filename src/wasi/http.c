/* http.c: the `wasmbox_http` import module (docs/network.md), the guest's
 * door to the outbound-HTTP broker of src/net/. Every instance can link
 * it; without a network.allow rule every request answers DENIED. Guest
 * inputs are copied before the broker runs (it may wait, but never calls
 * back into wasm, so the pointers stay valid); results are stored last.
 * A wait the run's deadline ends stops the run with outcome timeout.
 *
 * The broker is the tree's, shared by its processes: its calls hold the
 * tree's net_mu, not the tree lock, so that the other processes' host
 * calls go on while one waits for a server. The broker wakes for the
 * deadline and for a kill of the calling process (wb_net_set_caller). */
#include "wasi/wasi.h"
#include "net/net.h"
#include <string.h>

static wb_status ret(wb_val *r, int code)
{
    r[0].of.i32 = code;
    return WB_OK;
}

static wb_status fault(wb_wasi *w, wb_val *r, const char *what)
{
    return ret(r, wb_net_fail(w->t->net, WB_NET_FAULT, "network: %s is outside "
                              "the guest's memory", what));
}

static wb_status done(wb_caller *c, wb_wasi *w, wb_val *r, int code)
{
    if (code == WB_NET_CANCELLED)
        return wb_wasi_stop(w, c, WB_OUTCOME_TIMEOUT, "timeout");
    return ret(r, code);
}

WB_WASI_FN(http_request)
{
    wb_wasi *w = WASI;
    const uint8_t *m = wb_gptr(c, A32(0), A32(1));
    const uint8_t *u = wb_gptr(c, A32(2), A32(3));
    const uint8_t *h = wb_gptr(c, A32(4), A32(5));
    const uint8_t *b = wb_gptr(c, A32(6), A32(7));
    if (!m || !u || !h || !b || !wb_gptr(c, A32(8), 4))
        return fault(w, r, "an argument of request");
    wb_net_req rq = {
        (const char *)m, A32(1), (const char *)u, A32(3),
        (const char *)h, A32(5), b, A32(7),
    };
    uint32_t handle = 0;
    int rc = wb_net_request(w->t->net, &rq, &handle);
    if (rc == WB_NET_OK && !wb_put32(c, A32(8), handle)) {
        wb_net_close(w->t->net, handle);
        return fault(w, r, "handle_out");
    }
    return done(c, w, r, rc);
}

WB_WASI_FN(http_response)
{
    wb_wasi *w = WASI;
    uint32_t status;
    const char *hdr;
    size_t len;
    int rc = wb_net_response(w->t->net, A32(0), &status, &hdr, &len);
    if (rc)
        return ret(r, rc);
    uint8_t *out = wb_gptr(c, A32(2), A32(3));
    if (!out || !wb_gptr(c, A32(1), 4) || !wb_gptr(c, A32(4), 4))
        return fault(w, r, "an argument of response");
    wb_put32(c, A32(1), status);
    if (len > A32(3)) {
        wb_put32(c, A32(4), (uint32_t)len);
        return ret(r, wb_net_fail(w->t->net, WB_NET_TOOSMALL, "network: the "
                                  "headers need %zu bytes", len));
    }
    memcpy(out, hdr, len);
    wb_put32(c, A32(4), (uint32_t)len);
    return ret(r, WB_NET_OK);
}

WB_WASI_FN(http_read)
{
    wb_wasi *w = WASI;
    uint8_t *buf = wb_gptr(c, A32(1), A32(2));
    if (!buf || !wb_gptr(c, A32(3), 4))
        return fault(w, r, "an argument of read");
    size_t got = 0;
    int rc = wb_net_read(w->t->net, A32(0), buf, A32(2), &got);
    if (rc == WB_NET_OK)
        wb_put32(c, A32(3), (uint32_t)got);
    return done(c, w, r, rc);
}

WB_WASI_FN(http_close)
{
    return ret(r, wb_net_close(WASI->t->net, A32(0)));
}

WB_WASI_FN(http_last_error)
{
    wb_wasi *w = WASI;
    const char *e = wb_net_last_error(w->t->net);
    size_t len = strlen(e), cap = A32(1);
    uint8_t *out = wb_gptr(c, A32(0), cap);
    if (!out || !wb_gptr(c, A32(2), 4))
        return ret(r, WB_NET_FAULT);
    memcpy(out, e, len < cap ? len : cap);
    wb_put32(c, A32(2), (uint32_t)len);
    return ret(r, WB_NET_OK);
}

#define WB_HTTP_LIST(F)                                                    \
    F(request, "iiiiiiiii") F(response, "iiiii") F(read, "iiii")           \
    F(close, "i") F(last_error, "iii")

#define NET(n, s)                                                          \
    static wb_status net_##n(wb_caller *c, void *env, const wb_val *a,     \
                             wb_val *r)                                    \
    {                                                                      \
        wb_wasi *w = env;                                                  \
        bool held = wb_wasi_release(w);                                    \
        pthread_mutex_lock(&w->t->net_mu);                                 \
        wb_net_set_caller(w->t->net, &w->killed);                      \
        wb_status st = wb_wasi_http_##n(c, env, a, r);                     \
        pthread_mutex_unlock(&w->t->net_mu);                               \
        wb_wasi_reacquire(w, held);                                        \
        return st;                                                         \
    }
WB_HTTP_LIST(NET)
#undef NET

wb_status wb_wasi_define_http(wb_wasi *w, wb_store *s, wb_linker *l,
                              wb_error *err)
{
    static const wb_wasi_func fns[] = {
#define F(n, s) { #n, s, net_##n },
        WB_HTTP_LIST(F)
#undef F
    };
    return wb_wasi_define_funcs(w, s, l, "wasmbox_http", fns,
                                sizeof fns / sizeof *fns, err);
}
