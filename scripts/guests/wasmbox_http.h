/* wasmbox_http.h: the host's outbound HTTP(S) import module, as the
 * Python (python/_wasmbox_http.c) and JavaScript (js/wb_http.c) guests
 * call it. The ABI is the host's: docs/network.md. Pointers are offsets
 * in the guest's memory; every function returns one of the codes below. */
#ifndef WASMBOX_HTTP_H
#define WASMBOX_HTTP_H
#include <stdint.h>

#define WB_HTTP_IMPORT(name) \
    __attribute__((import_module("wasmbox_http"), import_name(name)))

enum {
    WB_HTTP_OK, WB_HTTP_DENIED, WB_HTTP_LIMIT, WB_HTTP_TIMEOUT,
    WB_HTTP_TOO_LARGE, WB_HTTP_CONNECT, WB_HTTP_TLS, WB_HTTP_PROTOCOL,
    WB_HTTP_INVAL, WB_HTTP_BADF, WB_HTTP_TOOSMALL, WB_HTTP_FAULT,
};

WB_HTTP_IMPORT("request") int32_t wb_http_request(
    const char *method, uint32_t method_len, const char *url, uint32_t url_len,
    const char *headers, uint32_t headers_len, const void *body,
    uint32_t body_len, uint32_t *handle_out);
WB_HTTP_IMPORT("response") int32_t wb_http_response(
    uint32_t handle, uint32_t *status_out, char *hdr_buf, uint32_t hdr_cap,
    uint32_t *hdr_len_out);
WB_HTTP_IMPORT("read") int32_t wb_http_read(uint32_t handle, void *buf,
                                            uint32_t cap, uint32_t *nread_out);
WB_HTTP_IMPORT("close") int32_t wb_http_close(uint32_t handle);
WB_HTTP_IMPORT("last_error") int32_t wb_http_last_error(char *buf,
                                                        uint32_t cap,
                                                        uint32_t *len_out);

#endif
