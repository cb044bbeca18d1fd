/* ipclass.c: the addresses a guest reaches only through a rule naming
 * them: everything that is not public unicast. IPv4 inside IPv6
 * (mapped, compatible, NAT64, 6to4) is judged by the IPv4 address it
 * carries, so no spelling of 127.0.0.1 or 169.254.169.254 slips past. */
#include "net/net.h"
#include <string.h>

typedef struct range4 {
    uint8_t a, b;              /* first two bytes */
    unsigned bits;
    const char *what;
} range4;

static const range4 v4[] = {
    { 0, 0, 8, "unspecified (0.0.0.0/8)" },
    { 10, 0, 8, "private (10.0.0.0/8)" },
    { 100, 64, 10, "shared (100.64.0.0/10)" },
    { 127, 0, 8, "loopback (127.0.0.0/8)" },
    { 169, 254, 16, "link-local (169.254.0.0/16, cloud metadata)" },
    { 172, 16, 12, "private (172.16.0.0/12)" },
    { 192, 0, 16, "reserved (192.0.0.0/16)" },
    { 192, 168, 16, "private (192.168.0.0/16)" },
    { 198, 18, 15, "benchmarking (198.18.0.0/15)" },
    { 224, 0, 4, "multicast (224.0.0.0/4)" },
    { 240, 0, 4, "reserved (240.0.0.0/4)" },
};

static const char *special4(const uint8_t *p)
{
    uint16_t x = (uint16_t)(p[0] << 8 | p[1]);
    for (size_t i = 0; i < sizeof v4 / sizeof *v4; i++) {
        uint16_t r = (uint16_t)(v4[i].a << 8 | v4[i].b);
        uint16_t mask = (uint16_t)(0xffff << (16 - v4[i].bits));
        if ((x & mask) == (r & mask))
            return v4[i].what;
    }
    return NULL;
}

static bool zero(const uint8_t *p, size_t n)
{
    while (n--)
        if (*p++)
            return false;
    return true;
}

const char *wb_net_ip_special(const uint8_t ip[16])
{
    static const uint8_t nat64[12] = { 0, 0x64, 0xff, 0x9b };
    if (zero(ip, 10) && ip[10] == 0xff && ip[11] == 0xff)
        return special4(ip + 12);                   /* ::ffff:a.b.c.d */
    if (zero(ip, 15))
        return ip[15] == 1 ? "loopback (::1)" : ip[15] ? "reserved (::/96)"
                                                      : "unspecified (::)";
    if (zero(ip, 12))
        return "IPv4-compatible (::/96)";
    if (!memcmp(ip, nat64, 12))
        return special4(ip + 12);                   /* 64:ff9b::/96 */
    if (ip[0] == 0x20 && ip[1] == 0x02)
        return special4(ip + 2) ? special4(ip + 2)  /* 6to4 2002::/16 */
                                : NULL;
    if (ip[0] == 0xfe && (ip[1] & 0xc0) == 0x80)
        return "link-local (fe80::/10)";
    if (ip[0] == 0xfe && (ip[1] & 0xc0) == 0xc0)
        return "site-local (fec0::/10)";
    if ((ip[0] & 0xfe) == 0xfc)
        return "unique-local (fc00::/7)";
    if (ip[0] == 0xff)
        return "multicast (ff00::/8)";
    return NULL;
}
