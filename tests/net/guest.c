/* guest.c: a wasm32-wasi test client of the wasmbox_http imports
 * (docs/network.md). Usage: guest.wasm METHOD URL [BODY [HEADERS [N]]]:
 * makes the request N times (default 1) and prints, per request,
 *   code=C status=S bytes=B
 *   <body>            (when code is 0 and the body is short)
 *   error=<last_error> (when a call failed)
 * HEADERS uses '|' for the newline between lines. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IMPORT(n) __attribute__((import_module("wasmbox_http"), import_name(n)))
IMPORT("request") int32_t http_request(const char *m, uint32_t ml,
    const char *u, uint32_t ul, const char *h, uint32_t hl, const void *b,
    uint32_t bl, uint32_t *handle);
IMPORT("response") int32_t http_response(uint32_t h, uint32_t *status,
    char *hdr, uint32_t cap, uint32_t *len);
IMPORT("read") int32_t http_read(uint32_t h, void *buf, uint32_t cap,
    uint32_t *n);
IMPORT("close") int32_t http_close(uint32_t h);
IMPORT("last_error") int32_t http_last_error(char *buf, uint32_t cap,
    uint32_t *len);

static void error_line(void)
{
    char e[600];
    uint32_t n = 0;
    http_last_error(e, sizeof e - 1, &n);
    e[n < sizeof e - 1 ? n : sizeof e - 1] = 0;
    printf("error=%s\n", e);
}

static void one(const char *m, const char *u, const char *b, char *h)
{
    uint32_t handle = 0, status = 0, hl = 0;
    int rc = http_request(m, strlen(m), u, strlen(u), h, strlen(h), b,
                          strlen(b), &handle);
    if (rc) {
        printf("code=%d status=0 bytes=0\n", rc);
        error_line();
        return;
    }
    char hdr[8192];
    rc = http_response(handle, &status, hdr, sizeof hdr, &hl);
    static char body[1 << 16];
    uint64_t total = 0;
    uint32_t n = 1;
    while (!rc && n) {
        char buf[4096];
        rc = http_read(handle, buf, sizeof buf, &n);
        if (!rc && total + n < sizeof body)
            memcpy(body + total, buf, n);
        if (!rc)
            total += n;
    }
    printf("code=%d status=%u bytes=%llu\n", rc, status,
           (unsigned long long)total);
    if (rc)
        error_line();
    else if (total < 200)
        printf("%.*s\n", (int)total, body);
    http_close(handle);
}

int main(int argc, char **argv)
{
    if (argc < 3)
        return 2;
    static char h[4096];
    snprintf(h, sizeof h, "%s", argc > 4 ? argv[4] : "");
    for (char *p = h; *p; p++)
        if (*p == '|')
            *p = '\n';
    int times = argc > 5 ? atoi(argv[5]) : 1;
    for (int i = 0; i < times; i++)
        one(argv[1], argv[2], argc > 3 ? argv[3] : "", h);
    return 0;
}
