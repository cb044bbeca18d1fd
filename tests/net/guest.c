/* guest.c: a wasm32-wasi test client of the wasmbox_http imports
 * (docs/network.md). Usage: guest.wasm METHOD URL [BODY [HEADERS [N]]]:
 * makes the request N times (default 1) and prints, per request,
 *   code=C status=S bytes=B
 *   <body>            (when code is 0 and the body is short)
 *   error=<last_error> (when a call failed)
 * HEADERS uses '|' for the newline between lines. Built with
 * -I include/guest (the guest header of the imports). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasmbox_http.h"

#define http_request wasmbox_http_request
#define http_response wasmbox_http_response
#define http_read wasmbox_http_read
#define http_close wasmbox_http_close
#define http_last_error wasmbox_http_last_error

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
