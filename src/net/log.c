/* log.c: the message of the last failure (last_error) and the requests
 * the JSON report lists. */
#include "net/broker.h"
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* A message quotes what the guest sent (a method, a header line, a URL)
 * or a server answered (a Location): its control characters become '?',
 * so that last_error and the report's reasons stay one line. */
static void one_line(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            *s = '?';
}

int wb_net_fail(wb_net *n, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(n->err, sizeof n->err, fmt, ap);
    va_end(ap);
    one_line(n->err);
    return code;
}

const char *wb_net_last_error(const wb_net *n)
{
    return n->err;
}

void wb_net_log_start(wb_net *n, wb_xfer *x)
{
    uint32_t i = n->count++;
    x->log = i < WB_NET_LOG_MAX ? (int)i : -1;
    if (x->log < 0)
        return;
    wb_net_entry *e = &n->log[i];
    memset(e, 0, sizeof *e);
    snprintf(e->method, sizeof e->method, "%s", x->method);
    snprintf(e->scheme, sizeof e->scheme, "%s", x->t.http ? "http" : "https");
    snprintf(e->host, sizeof e->host, "%s", x->t.host);
    e->port = x->t.port;
}

void wb_net_log_refused(wb_net *n, int log, const char *why)
{
    if (log < 0)
        return;
    const char *p = !strncmp(why, "network: ", 9) ? why + 9 : why;
    snprintf(n->log[log].refused, sizeof n->log[log].refused, "%s", p);
}

void wb_net_reset_log(wb_net *n)
{
    n->count = 0;
    n->err[0] = 0;
    for (int i = 0; i < WB_NET_HANDLES; i++)
        n->x[i].log = -1;             /* an open response's entry is gone */
}

void wb_net_usage(const wb_net *n, wb_run_result *res)
{
    res->net_requests = n->count;
    uint32_t k = n->count < WB_NET_LOG_MAX ? n->count : WB_NET_LOG_MAX;
    memcpy(res->net, n->log, k * sizeof *res->net);
}
