/* oslock_net.c: what a run with network rules needs of the lock-down
 * (oslock.h). libcurl resolves names with getaddrinfo, which reads these
 * files; the CA store was read into memory before (src/net/fetch.c). */
#include "sandbox/oslock.h"
#include "net/net.h"
#include <unistd.h>

static const char *const resolver_files[WB_OSLOCK_NET_FILES] = {
    "/etc/hosts", "/etc/resolv.conf", "/etc/nsswitch.conf", "/etc/gai.conf",
    "/etc/host.conf", "/etc/services",
};

size_t wb_oslock_net_files(wb_oslock_path *p)
{
    size_t n = 0;
    for (size_t i = 0; i < WB_OSLOCK_NET_FILES; i++)
        if (access(resolver_files[i], R_OK) == 0)
            p[n++] = (wb_oslock_path){ resolver_files[i], false };
    return n;
}

size_t wb_oslock_net_ports(const wb_net_budget *net, uint16_t *ports)
{
    size_t n = 0;
    ports[n++] = 53;                  /* DNS over TCP */
    for (uint32_t i = 0; i < net->nallow && n < WB_OSLOCK_PORTS; i++) {
        wb_net_rule r;
        char msg[200];
        if (wb_net_rule_parse(net->allow[i], &r, msg, sizeof msg))
            continue;
        bool seen = false;
        for (size_t k = 0; k < n; k++)
            seen |= ports[k] == r.port;
        if (!seen)
            ports[n++] = r.port;
    }
    return n;
}
