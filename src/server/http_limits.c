/* http_limits.c: a request's "limits" object (POST /v1/run, /exec,
 * /v1/sessions) against the budget it would run under.
 *
 * Limits only tighten: each field must be at most what the budget
 * allows (a budget without a timeout or with unlimited fuel takes any
 * value), and a malformed, unknown or wider one refuses the whole
 * request with a message naming the field, before anything runs. */
#include "server/http.h"
#include "net/net.h"
#include <stdio.h>
#include <string.h>

static bool get_size(json_t *v, uint64_t *out)
{
    if (json_is_integer(v) && json_integer_value(v) >= 0) {
        *out = (uint64_t)json_integer_value(v);
        return true;
    }
    return json_is_string(v) && wb_parse_size(json_string_value(v), out);
}

static bool get_duration(json_t *v, uint64_t *ms)
{
    if (json_is_number(v) && json_number_value(v) >= 0 &&
        json_number_value(v) < 1e9) {
        *ms = (uint64_t)(json_number_value(v) * 1000.0 + 0.5);
        return true;
    }
    return json_is_string(v) && wb_parse_duration(json_string_value(v), ms);
}

#define WIDER(msg, cap, field, got, have, unit) \
    (snprintf(msg, cap, "limits." field ": %llu%s is more than this server " \
              "allows (%llu%s); a request's limits can only tighten the " \
              "policy", (unsigned long long)(got), unit, \
              (unsigned long long)(have), unit), false)

/* limits.network.allow: a list whose every rule lies within one of the
 * budget's rules; it replaces them ([] : no network). */
static bool net_allow(json_t *v, wb_net_budget *b, char *msg, size_t cap)
{
    wb_net_budget nb = *b;
    size_t i;
    json_t *r;
    char why[300];
    if (!json_is_array(v)) {
        snprintf(msg, cap, "limits.network.allow: expected a list of rules");
        return false;
    }
    nb.nallow = 0;
    json_array_foreach(v, i, r) {
        const char *s = json_string_value(r);
        if (!s || !wb_net_budget_covers(b, s, why, sizeof why) ||
            wb_net_allow(&nb, s, why, sizeof why)) {
            snprintf(msg, cap, "limits.network.allow: %s; a request's "
                     "limits can only tighten the policy",
                     s ? why : "expected a string");
            return false;
        }
    }
    *b = nb;
    return true;
}

static bool net_limits(json_t *net, wb_net_budget *b, char *msg, size_t cap)
{
    const char *k;
    json_t *v;
    if (!json_is_object(net)) {
        snprintf(msg, cap, "limits.network: expected an object");
        return false;
    }
    json_object_foreach(net, k, v) {
        uint64_t x;
        if (!strcmp(k, "allow")) {
            if (!net_allow(v, b, msg, cap))
                return false;
        } else if (!strcmp(k, "max_requests")) {
            if (!json_is_integer(v) || json_integer_value(v) < 0) {
                snprintf(msg, cap, "limits.network.max_requests: expected a "
                         "non-negative integer");
                return false;
            }
            x = (uint64_t)json_integer_value(v);
            if (x > b->max_requests)
                return WIDER(msg, cap, "network.max_requests", x,
                             b->max_requests, "");
            b->max_requests = (uint32_t)x;
        } else if (!strcmp(k, "max_response")) {
            if (!get_size(v, &x)) {
                snprintf(msg, cap, "limits.network.max_response: expected a "
                         "byte count or a size like \"1M\"");
                return false;
            }
            if (x > b->max_response)
                return WIDER(msg, cap, "network.max_response", x,
                             b->max_response, " bytes");
            b->max_response = x;
        } else if (!strcmp(k, "timeout")) {
            if (!get_duration(v, &x) || x == 0) {
                snprintf(msg, cap, "limits.network.timeout: expected a "
                         "positive number of seconds or a duration");
                return false;
            }
            if (b->timeout_ms && x > b->timeout_ms)
                return WIDER(msg, cap, "network.timeout", x, b->timeout_ms,
                             " ms");
            b->timeout_ms = x;
        } else {
            snprintf(msg, cap, "limits.network.%s: unknown limit (allow, "
                     "max_requests, max_response, timeout)", k);
            return false;
        }
    }
    return true;
}

bool wb_http_limits(json_t *limits, wb_budget *b, char *msg, size_t cap)
{
    if (!limits || json_is_null(limits))
        return true;
    if (!json_is_object(limits)) {
        snprintf(msg, cap, "limits: expected an object");
        return false;
    }
    const char *k;
    json_t *v;
    json_object_foreach(limits, k, v) {
        uint64_t x;
        if (!strcmp(k, "timeout")) {
            if (!get_duration(v, &x) || x == 0) {
                snprintf(msg, cap, "limits.timeout: expected a positive "
                         "number of seconds or a duration like \"500ms\"");
                return false;
            }
            if (b->timeout_ms && x > b->timeout_ms)
                return WIDER(msg, cap, "timeout", x, b->timeout_ms, " ms");
            b->timeout_ms = x;
        } else if (!strcmp(k, "memory")) {
            if (!get_size(v, &x) || x == 0) {
                snprintf(msg, cap, "limits.memory: expected a positive byte "
                         "count or a size like \"64M\"");
                return false;
            }
            if (x > b->max_memory)
                return WIDER(msg, cap, "memory", x, b->max_memory, " bytes");
            b->max_memory = x;
        } else if (!strcmp(k, "fuel")) {
            if (!json_is_integer(v) || json_integer_value(v) < 0) {
                snprintf(msg, cap, "limits.fuel: expected a non-negative "
                         "integer");
                return false;
            }
            x = (uint64_t)json_integer_value(v);
            if (b->fuel >= 0 && x > (uint64_t)b->fuel)
                return WIDER(msg, cap, "fuel", x, b->fuel, "");
            b->fuel = (int64_t)x;
        } else if (!strcmp(k, "output")) {
            if (!get_size(v, &x)) {
                snprintf(msg, cap, "limits.output: expected a byte count or "
                         "a size like \"1M\"");
                return false;
            }
            if (x > b->max_output)
                return WIDER(msg, cap, "output", x, b->max_output, " bytes");
            b->max_output = x;
        } else if (!strcmp(k, "disk")) {
            if (!get_size(v, &x)) {
                snprintf(msg, cap, "limits.disk: expected a byte count or a "
                         "size like \"16M\"");
                return false;
            }
            if (x > b->max_disk)
                return WIDER(msg, cap, "disk", x, b->max_disk, " bytes");
            b->max_disk = x;
        } else if (!strcmp(k, "network")) {
            if (!net_limits(v, &b->net, msg, cap))
                return false;
        } else {
            snprintf(msg, cap, "limits.%s: unknown limit (timeout, memory, "
                     "fuel, output, disk, network)", k);
            return false;
        }
    }
    return true;
}
