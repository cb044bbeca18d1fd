/* rule.c: allowlist rules (syntax in include/wasmbox/sandbox.h and
 * docs/network.md). A name rule matches a URL's host name only, never an
 * address literal; an address or range rule matches an address literal
 * and also lets a name that resolves into it be reached (the one way to
 * reach a private or loopback address). */
#include "net/net.h"
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool wb_net_ip_parse(const char *s, uint8_t out[16])
{
    struct in_addr a4;
    if (inet_pton(AF_INET, s, &a4) == 1) {
        memset(out, 0, 10);
        out[10] = out[11] = 0xff;
        memcpy(out + 12, &a4, 4);
        return true;
    }
    return inet_pton(AF_INET6, s, out) == 1;
}

static bool is_mapped(const uint8_t ip[16])
{
    static const uint8_t pre[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff,
                                     0xff };
    return !memcmp(ip, pre, 12);
}

void wb_net_ip_format(const uint8_t ip[16], char *out, size_t cap)
{
    char buf[INET6_ADDRSTRLEN];
    if (is_mapped(ip))
        inet_ntop(AF_INET, ip + 12, buf, sizeof buf);
    else
        inet_ntop(AF_INET6, ip, buf, sizeof buf);
    snprintf(out, cap, "%s", buf);
}

/* A DNS name: letters, digits, '-', '_' and dots, no empty label. */
static bool name_ok(const char *s)
{
    size_t n = strlen(s);
    if (!n || n > 253 || s[0] == '.' || s[n - 1] == '.' || strstr(s, ".."))
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '-' && *s != '.' &&
            *s != '_')
            return false;
    return true;
}

static int bad(char *msg, size_t cap, const char *text, const char *why)
{
    snprintf(msg, cap, "network rule '%s': %s", text, why);
    return -1;
}

/* "HOST" or "HOST/BITS" (an address) into r. */
static int parse_addr(const char *host, bool v6, wb_net_rule *r,
                      const char *text, char *msg, size_t cap)
{
    char a[WB_NET_RULE_MAX];
    snprintf(a, sizeof a, "%s", host);
    char *slash = strchr(a, '/');
    unsigned bits = v6 ? 128 : 32;
    if (slash) {
        char *end;
        *slash = 0;
        unsigned long b = strtoul(slash + 1, &end, 10);
        if (!isdigit((unsigned char)slash[1]) || *end || b > bits)
            return bad(msg, cap, text, "bad prefix length");
        bits = (unsigned)b;
    }
    /* "[...]" holds an IPv6 address (maybe "::ffff:a.b.c.d"), else IPv4 */
    if (!wb_net_ip_parse(a, r->addr) || v6 != (strchr(a, ':') != NULL))
        return bad(msg, cap, text, "bad address");
    r->kind = WB_RULE_ADDR;
    r->prefix = v6 ? bits : bits + 96;
    snprintf(r->name, sizeof r->name, "%s", a);
    return 0;
}

/* The host part (brackets already removed for IPv6). */
static int parse_host(char *h, bool v6, wb_net_rule *r, const char *text,
                      char *msg, size_t cap)
{
    for (char *p = h; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    if (v6 || strspn(h, "0123456789./") == strlen(h))
        return parse_addr(h, v6, r, text, msg, cap);
    r->kind = WB_RULE_NAME;
    if (!strncmp(h, "*.", 2)) {
        r->kind = WB_RULE_SUFFIX;
        h += 2;
    }
    if (!name_ok(h) || strchr(h, '*'))
        return bad(msg, cap, text, "expected a host name, *.SUFFIX, an "
                   "address or a range");
    snprintf(r->name, sizeof r->name, "%s", h);
    return 0;
}

int wb_net_rule_parse(const char *text, wb_net_rule *r, char *msg,
                      size_t cap)
{
    char s[WB_NET_RULE_MAX];
    memset(r, 0, sizeof *r);
    if (strlen(text) >= sizeof s)
        return bad(msg, cap, text, "too long");
    const char *p = text;
    if (!strncasecmp(p, "http://", 7))
        r->http = true, p += 7;
    else if (!strncasecmp(p, "https://", 8))
        p += 8;
    snprintf(s, sizeof s, "%s", p);
    size_t n = strlen(s);
    if (n && s[n - 1] == '/')
        s[--n] = 0;                 /* "http://host/" */
    char *host = s, *port = NULL;
    bool v6 = s[0] == '[';
    if (v6) {
        char *close = strchr(s, ']');
        if (!close)
            return bad(msg, cap, text, "missing ']'");
        *close = 0;
        host = s + 1;
        char *rest = close + 1;
        if (*rest == '/') {         /* "[fd00::]/8" */
            memmove(close, rest, strlen(rest) + 1);
            rest = strchr(close, ':');
        }
        if (rest && *rest == ':')
            *rest = 0, port = rest + 1;
        else if (rest && *rest)
            return bad(msg, cap, text, "unexpected text after ']'");
    } else if ((port = strchr(s, ':'))) {
        *port++ = 0;
    }
    r->port = r->http ? 80 : 443;
    if (port) {
        char *end;
        unsigned long v = strtoul(port, &end, 10);
        if (!isdigit((unsigned char)*port) || *end || v == 0 || v > 65535)
            return bad(msg, cap, text, "bad port");
        r->port = (uint16_t)v;
    }
    if (!*host)
        return bad(msg, cap, text, "no host");
    return parse_host(host, v6, r, text, msg, cap);
}

wb_status wb_net_allow(wb_net_budget *b, const char *rule, char *msg,
                       size_t cap)
{
    wb_net_rule r;
    if (wb_net_rule_parse(rule, &r, msg, cap))
        return WB_E_ARG;
    if (b->nallow >= WB_NET_MAX_RULES) {
        snprintf(msg, cap, "network rule '%s': more than %d rules", rule,
                 WB_NET_MAX_RULES);
        return WB_E_ARG;
    }
    snprintf(b->allow[b->nallow++], WB_NET_RULE_MAX, "%s", rule);
    return WB_OK;
}

static bool in_prefix(const uint8_t *a, const uint8_t *b, unsigned bits)
{
    unsigned whole = bits / 8, rest = bits % 8;
    if (memcmp(a, b, whole))
        return false;
    if (!rest)
        return true;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (a[whole] & mask) == (b[whole] & mask);
}

static bool suffix_of(const char *host, const char *suffix)
{
    size_t h = strlen(host), s = strlen(suffix);
    return h > s + 1 && host[h - s - 1] == '.' && !strcmp(host + h - s, suffix);
}

const wb_net_rule *wb_net_rule_match(const wb_net_rule *rules, size_t n,
                                     const wb_net_target *t)
{
    for (size_t i = 0; i < n; i++) {
        const wb_net_rule *r = &rules[i];
        if (r->http != t->http || r->port != t->port)
            continue;
        bool ok = r->kind == WB_RULE_ADDR
                ? t->is_ip && in_prefix(t->ip, r->addr, r->prefix)
                : !t->is_ip && (r->kind == WB_RULE_NAME
                                ? !strcmp(t->host, r->name)
                                : suffix_of(t->host, r->name));
        if (ok)
            return r;
    }
    return NULL;
}

bool wb_net_rule_names_addr(const wb_net_rule *rules, size_t n,
                            const wb_net_target *t, const uint8_t ip[16])
{
    for (size_t i = 0; i < n; i++)
        if (rules[i].kind == WB_RULE_ADDR && rules[i].http == t->http &&
            rules[i].port == t->port &&
            in_prefix(ip, rules[i].addr, rules[i].prefix))
            return true;
    return false;
}

bool wb_net_rule_covers(const wb_net_rule *outer, const wb_net_rule *inner)
{
    if (outer->http != inner->http || outer->port != inner->port)
        return false;
    if (outer->kind == WB_RULE_ADDR)
        return inner->kind == WB_RULE_ADDR && inner->prefix >= outer->prefix &&
               in_prefix(inner->addr, outer->addr, outer->prefix);
    if (inner->kind == WB_RULE_ADDR)
        return false;
    if (outer->kind == WB_RULE_NAME)
        return inner->kind == WB_RULE_NAME && !strcmp(inner->name,
                                                      outer->name);
    return !strcmp(inner->name, outer->name) ? inner->kind == WB_RULE_SUFFIX
                                             : suffix_of(inner->name,
                                                         outer->name);
}

bool wb_net_budget_covers(const wb_net_budget *b, const char *rule,
                          char *msg, size_t cap)
{
    wb_net_rule in, out;
    if (wb_net_rule_parse(rule, &in, msg, cap))
        return false;
    for (uint32_t i = 0; i < b->nallow; i++)
        if (!wb_net_rule_parse(b->allow[i], &out, msg, cap) &&
            wb_net_rule_covers(&out, &in))
            return true;
    snprintf(msg, cap, "network rule '%s' is not within this server's "
             "network.allow", rule);
    return false;
}
