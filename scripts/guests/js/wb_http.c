/* wb_http.c: the host's outbound HTTP(S) import module (wasmbox_http,
 * docs/network.md) for QuickJS, and the global fetch() built on it
 * (fetch.js, compiled in as wb_fetch_js by js.sh).
 *
 * The C side only moves bytes: a request, a response's status and
 * header lines, body chunks; a failed call throws a TypeError carrying
 * the host's last_error line (and .code, the ABI's name for the code).
 * A handle is wrapped in an object whose finalizer closes it, so an
 * unread response does not hold the host's handle until the run ends. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "quickjs.h"
#include "fetch_js.h"
#include "wasmbox_http.h"

#define WB_READ_MAX (1u << 20)

static const char *const wb_codes[] = {
    "OK", "DENIED", "LIMIT", "TIMEOUT", "TOO_LARGE", "CONNECT", "TLS",
    "PROTOCOL", "INVAL", "BADF", "TOOSMALL", "FAULT",
};

static JSClassID wb_handle_class;

typedef struct { uint32_t handle; int open; } wb_handle;

static void wb_handle_finalizer(JSRuntime *rt, JSValue val)
{
    wb_handle *h = JS_GetOpaque(val, wb_handle_class);
    if (h && h->open)
        wb_http_close(h->handle);
    free(h);
}

/* A TypeError with the host's message for code rc, as fetch() rejects
 * with, and .code naming the code. */
static JSValue wb_throw(JSContext *ctx, int32_t rc)
{
    char msg[1024];
    uint32_t len = 0;
    const char *name = rc >= 0 && rc < (int32_t)(sizeof wb_codes / sizeof *wb_codes)
        ? wb_codes[rc] : "UNKNOWN";
    if (wb_http_last_error(msg, sizeof msg, &len) != 0 || len == 0)
        snprintf(msg, sizeof msg, "network: request failed (%s)", name);
    else
        msg[len < sizeof msg ? len : sizeof msg - 1] = 0;
    JS_ThrowTypeError(ctx, "%s", msg);
    JSValue err = JS_GetException(ctx);
    JS_DefinePropertyValueStr(ctx, err, "code", JS_NewString(ctx, name),
                              JS_PROP_WRITABLE | JS_PROP_CONFIGURABLE);
    return JS_Throw(ctx, err);
}

static wb_handle *wb_get_handle(JSContext *ctx, JSValueConst v)
{
    wb_handle *h = JS_GetOpaque2(ctx, v, wb_handle_class);
    if (h && !h->open) {
        JS_ThrowTypeError(ctx, "network: response already closed");
        return NULL;
    }
    return h;
}

/* The bytes of a body argument: a string (as UTF-8), an ArrayBuffer or
 * a typed array; undefined/null is no body. *str is set when the bytes
 * must be freed with JS_FreeCString. */
static const uint8_t *wb_body_bytes(JSContext *ctx, JSValueConst v,
                                    size_t *len, const char **str,
                                    JSValue *buf)
{
    *len = 0;
    *str = NULL;
    *buf = JS_UNDEFINED;
    if (JS_IsUndefined(v) || JS_IsNull(v))
        return (const uint8_t *)"";
    if (JS_IsString(v)) {
        *str = JS_ToCStringLen(ctx, len, v);
        return (const uint8_t *)*str;
    }
    uint8_t *p = JS_GetArrayBuffer(ctx, len, v);
    if (p)
        return p;
    JS_FreeValue(ctx, JS_GetException(ctx));
    size_t off, bytes, elt;
    *buf = JS_GetTypedArrayBuffer(ctx, v, &off, &bytes, &elt);
    if (JS_IsException(*buf))
        return NULL;
    p = JS_GetArrayBuffer(ctx, len, *buf);
    if (!p)
        return NULL;
    *len = bytes;
    return p + off;
}

/* request(method, url, headerLines, body) -> handle object */
static JSValue wb_js_request(JSContext *ctx, JSValueConst this_val,
                             int argc, JSValueConst *argv)
{
    size_t ml, ul, hl, bl;
    const char *m = JS_ToCStringLen(ctx, &ml, argv[0]);
    const char *u = JS_ToCStringLen(ctx, &ul, argv[1]);
    const char *hd = JS_ToCStringLen(ctx, &hl, argv[2]);
    const char *bstr;
    JSValue bbuf;
    const uint8_t *b = m && u && hd
        ? wb_body_bytes(ctx, argv[3], &bl, &bstr, &bbuf) : NULL;
    JSValue ret = JS_EXCEPTION;
    if (b) {
        if (ml > UINT32_MAX || ul > UINT32_MAX || hl > UINT32_MAX ||
            bl > UINT32_MAX) {
            ret = JS_ThrowRangeError(ctx, "network: request too large");
        } else {
            uint32_t handle = 0;
            int32_t rc = wb_http_request(m, ml, u, ul, hd, hl, b, bl, &handle);
            ret = rc ? wb_throw(ctx, rc) : JS_NewObjectClass(ctx, wb_handle_class);
            wb_handle *h = rc || JS_IsException(ret) ? NULL : malloc(sizeof *h);
            if (h) {
                h->handle = handle;
                h->open = 1;
                JS_SetOpaque(ret, h);
            } else if (!rc) {
                wb_http_close(handle);
                JS_FreeValue(ctx, ret);
                ret = JS_ThrowOutOfMemory(ctx);
            }
        }
        if (bstr)
            JS_FreeCString(ctx, bstr);
        JS_FreeValue(ctx, bbuf);
    }
    JS_FreeCString(ctx, m);
    JS_FreeCString(ctx, u);
    JS_FreeCString(ctx, hd);
    return ret;
}

/* response(handle) -> [status, headerLines] */
static JSValue wb_js_response(JSContext *ctx, JSValueConst this_val,
                              int argc, JSValueConst *argv)
{
    wb_handle *h = wb_get_handle(ctx, argv[0]);
    if (!h)
        return JS_EXCEPTION;
    uint32_t status = 0, need = 0, cap = 4096;
    for (int tries = 0; tries < 3; tries++) {
        char *buf = malloc(cap);
        if (!buf)
            return JS_ThrowOutOfMemory(ctx);
        int32_t rc = wb_http_response(h->handle, &status, buf, cap, &need);
        if (rc == WB_HTTP_TOOSMALL && need > cap) {
            free(buf);
            cap = need;
            continue;
        }
        if (rc) {
            free(buf);
            return wb_throw(ctx, rc);
        }
        JSValue arr = JS_NewArray(ctx);
        JS_SetPropertyUint32(ctx, arr, 0, JS_NewUint32(ctx, status));
        JS_SetPropertyUint32(ctx, arr, 1,
                             JS_NewStringLen(ctx, buf, need <= cap ? need : 0));
        free(buf);
        return arr;
    }
    return wb_throw(ctx, WB_HTTP_TOOSMALL);
}

/* read(handle, max) -> ArrayBuffer, or null at the end of the body */
static JSValue wb_js_read(JSContext *ctx, JSValueConst this_val,
                          int argc, JSValueConst *argv)
{
    wb_handle *h = wb_get_handle(ctx, argv[0]);
    uint32_t cap;
    if (!h || JS_ToUint32(ctx, &cap, argv[1]))
        return JS_EXCEPTION;
    if (cap == 0 || cap > WB_READ_MAX)
        cap = WB_READ_MAX;
    uint8_t *buf = malloc(cap);
    if (!buf)
        return JS_ThrowOutOfMemory(ctx);
    uint32_t n = 0;
    int32_t rc = wb_http_read(h->handle, buf, cap, &n);
    JSValue ret = rc ? wb_throw(ctx, rc)
        : n == 0 ? JS_NULL : JS_NewArrayBufferCopy(ctx, buf, n);
    free(buf);
    return ret;
}

static JSValue wb_js_close(JSContext *ctx, JSValueConst this_val,
                           int argc, JSValueConst *argv)
{
    wb_handle *h = JS_GetOpaque2(ctx, argv[0], wb_handle_class);
    if (!h)
        return JS_EXCEPTION;
    if (h->open) {
        h->open = 0;
        wb_http_close(h->handle);
    }
    return JS_UNDEFINED;
}

/* utf8(ArrayBuffer) -> string */
static JSValue wb_js_utf8(JSContext *ctx, JSValueConst this_val,
                          int argc, JSValueConst *argv)
{
    size_t len;
    uint8_t *p = JS_GetArrayBuffer(ctx, &len, argv[0]);
    return p ? JS_NewStringLen(ctx, (const char *)p, len) : JS_EXCEPTION;
}

/* encode(string) -> ArrayBuffer of its UTF-8 */
static JSValue wb_js_encode(JSContext *ctx, JSValueConst this_val,
                            int argc, JSValueConst *argv)
{
    size_t len;
    const char *s = JS_ToCStringLen(ctx, &len, argv[0]);
    if (!s)
        return JS_EXCEPTION;
    JSValue ret = JS_NewArrayBufferCopy(ctx, (const uint8_t *)s, len);
    JS_FreeCString(ctx, s);
    return ret;
}

static const JSCFunctionListEntry wb_http_funcs[] = {
    JS_CFUNC_DEF("request", 4, wb_js_request),
    JS_CFUNC_DEF("response", 1, wb_js_response),
    JS_CFUNC_DEF("read", 2, wb_js_read),
    JS_CFUNC_DEF("close", 1, wb_js_close),
    JS_CFUNC_DEF("utf8", 1, wb_js_utf8),
    JS_CFUNC_DEF("encode", 1, wb_js_encode),
};

/* Defines fetch, Headers and Response on the global object: fetch.js is
 * a function expression, called with the native functions above. */
int wb_fetch_init(JSContext *ctx)
{
    static const JSClassDef def = { "WasmboxHttpHandle",
                                    .finalizer = wb_handle_finalizer };
    JSRuntime *rt = JS_GetRuntime(ctx);
    if (!wb_handle_class)
        JS_NewClassID(&wb_handle_class);
    if (!JS_IsRegisteredClass(rt, wb_handle_class) &&
        JS_NewClass(rt, wb_handle_class, &def) < 0)
        return -1;
    JSValue fn = JS_Eval(ctx, wb_fetch_js, strlen(wb_fetch_js), "<fetch>",
                         JS_EVAL_TYPE_GLOBAL | JS_EVAL_FLAG_STRICT);
    if (JS_IsException(fn))
        return -1;
    JSValue native = JS_NewObject(ctx);
    JS_SetPropertyFunctionList(ctx, native, wb_http_funcs,
                               sizeof wb_http_funcs / sizeof *wb_http_funcs);
    JSValue r = JS_Call(ctx, fn, JS_UNDEFINED, 1, &native);
    JS_FreeValue(ctx, native);
    JS_FreeValue(ctx, fn);
    if (JS_IsException(r))
        return -1;
    JS_FreeValue(ctx, r);
    return 0;
}
