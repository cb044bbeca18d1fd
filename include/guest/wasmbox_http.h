/*
 * wasmbox_http.h: for C programs compiled to wasm32-wasi that run inside
 * wasmbox (clang --target=wasm32-wasi -I include/guest). Declares the
 * host's `wasmbox_http` import module: outbound HTTP(S) to what the run's
 * network.allow rules name (docs/network.md, which is the reference).
 * Not a host header: the host's API is include/wasmbox.h.
 *
 * Every function returns a WBH_* code; pointers are into the guest's
 * memory. A request returns once the final response's status and
 * headers arrived (redirects are followed by the host, each checked);
 * read the body with wasmbox_http_read until it reads 0 bytes, then
 * close the handle. wasmbox_http_last_error says why a call failed.
 */
#ifndef WASMBOX_HTTP_GUEST_H
#define WASMBOX_HTTP_GUEST_H

#include <stdint.h>

enum {
    WBH_OK = 0, WBH_DENIED = 1, WBH_LIMIT = 2, WBH_TIMEOUT = 3,
    WBH_TOO_LARGE = 4, WBH_CONNECT = 5, WBH_TLS = 6, WBH_PROTOCOL = 7,
    WBH_INVAL = 8, WBH_BADF = 9, WBH_TOOSMALL = 10, WBH_FAULT = 11
};

#define WBH_IMPORT(n) \
    __attribute__((import_module("wasmbox_http"), import_name(n)))

/* headers: "Name: value" lines separated by "\n" (no Host header). */
WBH_IMPORT("request")
int32_t wasmbox_http_request(const char *method, uint32_t method_len,
                             const char *url, uint32_t url_len,
                             const char *headers, uint32_t headers_len,
                             const void *body, uint32_t body_len,
                             uint32_t *handle);
/* The status, and the headers as "Name: value\n" lines; TOOSMALL with
 * the length needed in *hdr_len when cap is short. */
WBH_IMPORT("response")
int32_t wasmbox_http_response(uint32_t handle, uint32_t *status,
                              char *hdr, uint32_t cap, uint32_t *hdr_len);
/* Up to cap body bytes into buf; *nread 0 at the end of the body. */
WBH_IMPORT("read")
int32_t wasmbox_http_read(uint32_t handle, void *buf, uint32_t cap,
                          uint32_t *nread);
WBH_IMPORT("close")
int32_t wasmbox_http_close(uint32_t handle);
/* The last failed call's message (not NUL-terminated), truncated to cap;
 * its full length in *len. */
WBH_IMPORT("last_error")
int32_t wasmbox_http_last_error(char *buf, uint32_t cap, uint32_t *len);

#undef WBH_IMPORT
#endif
