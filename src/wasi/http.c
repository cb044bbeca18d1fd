/* http.c: the `wasmbox_http` import module (docs/network.md), the guest's
 * door to the outbound-HTTP broker of src/net/. Every instance can link
 * it; without a network.allow rule every request answers DENIED. Guest
 * inputs are copied before the broker runs (it may wait, but never calls
 * back into wasm, so the pointers stay valid); results are stored last.
 * A wait the run's deadline ends stops the run with outcome timeout. */
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
    return ret(r, wb_net_fail(w->net, WB_NET_FAULT, "network: %s is outside "
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
    int rc = wb_net_request(w->net, &rq, &handle);
    if (rc == WB_NET_OK && !wb_put32(c, A32(8), handle)) {
        wb_net_close(w->net, handle);
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
    int rc = wb_net_response(w->net, A32(0), &status, &hdr, &len);
    if (rc)
        return ret(r, rc);
    uint8_t *out = wb_gptr(c, A32(2), A32(3));
    if (!out || !wb_gptr(c, A32(1), 4) || !wb_gptr(c, A32(4), 4))
        return fault(w, r, "an argument of response");
    wb_put32(c, A32(1), status);
    if (len > A32(3)) {
        wb_put32(c, A32(4), (uint32_t)len);
        return ret(r, wb_net_fail(w->net, WB_NET_TOOSMALL, "network: the "
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
    int rc = wb_net_read(w->net, A32(0), buf, A32(2), &got);
    if (rc == WB_NET_OK)
        wb_put32(c, A32(3), (uint32_t)got);
    return done(c, w, r, rc);
}

WB_WASI_FN(http_close)
{
    return ret(r, wb_net_close(WASI->net, A32(0)));
}

WB_WASI_FN(http_last_error)
{
    wb_wasi *w = WASI;
    const char *e = wb_net_last_error(w->net);
    size_t len = strlen(e), cap = A32(1);
    uint8_t *out = wb_gptr(c, A32(0), cap);
    if (!out || !wb_gptr(c, A32(2), 4))
        return ret(r, WB_NET_FAULT);
    memcpy(out, e, len < cap ? len : cap);
    wb_put32(c, A32(2), (uint32_t)len);
    return ret(r, WB_NET_OK);
}

static const struct {
    const char *name;
    size_t np;
    wb_host_fn fn;
} http_funcs[] = {
    { "request", 9, wb_wasi_http_request },
    { "response", 5, wb_wasi_http_response },
    { "read", 4, wb_wasi_http_read },
    { "close", 1, wb_wasi_http_close },
    { "last_error", 3, wb_wasi_http_last_error },
};

wb_status wb_wasi_define_http(wb_wasi *w, wb_store *s, wb_linker *l,
                              wb_error *err)
{
    static const wb_valtype i32[9] = { WB_I32, WB_I32, WB_I32, WB_I32,
                                       WB_I32, WB_I32, WB_I32, WB_I32,
                                       WB_I32 };
    for (size_t i = 0; i < sizeof http_funcs / sizeof *http_funcs; i++) {
        wb_func *f = wb_func_new_host(s, i32, http_funcs[i].np, i32, 1,
                                      http_funcs[i].fn, w);
        if (!f)
            return wb_err_set(err, WB_E_NOMEM, "cannot create host function "
                              "wasmbox_http.%s", http_funcs[i].name);
        wb_extern ext = { .kind = WB_EXTERN_FUNC, .of.func = f };
        wb_status st = wb_linker_define(l, "wasmbox_http", http_funcs[i].name,
                                        ext);
        if (st != WB_OK)
            return wb_err_set(err, st, "cannot define wasmbox_http.%s",
                              http_funcs[i].name);
    }
    return WB_OK;
}
