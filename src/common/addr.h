/* addr.h: listen addresses of the servers ("ADDR:PORT"). Not installed.
 *
 *   127.0.0.1:8080   [::1]:8080   localhost:8080   0.0.0.0:0   :8080
 *
 * The port is 0 to 65535 in decimal digits (0: any free port); an IPv6
 * address is in brackets. A host name is resolved (getaddrinfo, the
 * first address); "localhost" is always 127.0.0.1, whatever the resolver
 * says. An empty host is `empty_host` ("" or NULL: every interface). */
#ifndef WB_ADDR_H
#define WB_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

typedef struct wb_addr {
    struct sockaddr_storage ss;
    socklen_t len;
    bool loopback;                 /* 127.0.0.0/8 or ::1 */
} wb_addr;

/* 0, or -1 with a one-line reason in msg ("'x:y': bad port 'y'"). */
int wb_addr_parse(const char *text, const char *empty_host, wb_addr *out,
                  char *msg, size_t cap);

/* "127.0.0.1:8080" or "[::1]:8080", with the port of `ss` (e.g. the one
 * the kernel chose for port 0). */
void wb_addr_format(const struct sockaddr_storage *ss, char *out,
                    size_t cap);

#endif
