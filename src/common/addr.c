/* addr.c: listen addresses (addr.h). */
#include "common/addr.h"
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Split "HOST:PORT" / "[V6]:PORT" into host and port; false when the
 * form is wrong. */
static bool split(const char *text, char *host, size_t hcap,
                  const char **port, char *msg, size_t cap)
{
    const char *colon = strrchr(text, ':');
    const char *h = text;
    size_t hl;
    if (!colon) {
        snprintf(msg, cap, "'%.100s': expected ADDR:PORT", text);
        return false;
    }
    hl = (size_t)(colon - text);
    if (text[0] == '[') {
        if (hl < 2 || text[hl - 1] != ']') {
            snprintf(msg, cap, "'%.100s': expected [IPV6]:PORT", text);
            return false;
        }
        h++;
        hl -= 2;
    } else if (memchr(text, ':', hl)) {
        snprintf(msg, cap, "'%.100s': an IPv6 address goes in brackets "
                 "([::1]:PORT)", text);
        return false;
    }
    if (hl >= hcap) {
        snprintf(msg, cap, "'%.100s': address too long", text);
        return false;
    }
    memcpy(host, h, hl);
    host[hl] = 0;
    *port = colon + 1;
    size_t pl = strlen(*port);
    if (pl == 0 || pl > 5 || strspn(*port, "0123456789") != pl ||
        strtol(*port, NULL, 10) > 65535) {
        snprintf(msg, cap, "'%.100s': bad port '%.20s' (0 to 65535)", text,
                 *port);
        return false;
    }
    return true;
}

int wb_addr_parse(const char *text, const char *empty_host, wb_addr *out,
                  char *msg, size_t cap)
{
    char host[256];
    const char *port;
    memset(out, 0, sizeof *out);
    if (!split(text, host, sizeof host, &port, msg, cap))
        return -1;
    if (!host[0] && empty_host)
        snprintf(host, sizeof host, "%s", empty_host);
    if (!strcmp(host, "localhost"))
        snprintf(host, sizeof host, "127.0.0.1");
    struct addrinfo hints = { 0 }, *ai = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    int rc = getaddrinfo(host[0] ? host : NULL, port, &hints, &ai);
    if (rc || !ai || ai->ai_addrlen > sizeof out->ss) {
        snprintf(msg, cap, "'%.100s': cannot resolve '%.100s': %s", text,
                 host, rc ? gai_strerror(rc) : "no address");
        if (ai)
            freeaddrinfo(ai);
        return -1;
    }
    memcpy(&out->ss, ai->ai_addr, ai->ai_addrlen);
    out->len = ai->ai_addrlen;
    freeaddrinfo(ai);
    if (out->ss.ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)&out->ss;
        out->loopback = (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    } else if (out->ss.ss_family == AF_INET6) {
        const struct sockaddr_in6 *in6 =
            (const struct sockaddr_in6 *)&out->ss;
        out->loopback = IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
    }
    return 0;
}

void wb_addr_format(const struct sockaddr_storage *ss, char *out,
                    size_t cap)
{
    char host[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
        port = ntohs(in->sin_port);
        snprintf(out, cap, "%s:%u", host, port);
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
        inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
        port = ntohs(in6->sin6_port);
        snprintf(out, cap, "[%s]:%u", host, port);
    } else {
        snprintf(out, cap, "?");
    }
}
