/* test_http.c: the pure parts of `wasmbox serve`: which route a method
 * and URL reach (and what {id} and {path} they carry), the Allow list of
 * a 405, and a request's "limits", which may narrow the policy's budget
 * but never widen it. Links the server's http_route.o and
 * http_limits.o (the Makefile), no daemon. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "server/http.h"

/* ---- routes ------------------------------------------------------------ */

/* METHOD URL reaches route `want` with {id} `id` and {path} `path` (NULL:
 * not part of the route). */
static void routed(const char *method, const char *url, int want,
                   const char *id, const char *path)
{
    char got_id[WB_HTTP_ID_MAX] = "", got_path[WB_HTTP_PATH_MAX] = "";
    int r = wb_http_route_find(method, url, got_id, got_path);
    if (r != want)
        fail_msg("%s %s: route %d, want %d", method, url, r, want);
    if (id && strcmp(got_id, id))
        fail_msg("%s %s: id '%s', want '%s'", method, url, got_id, id);
    if (path && strcmp(got_path, path))
        fail_msg("%s %s: path '%s', want '%s'", method, url, got_path,
                 path);
}

#define NONE(method, url) routed(method, url, -1, NULL, NULL)

static void test_routes_valid(void **state)
{
    routed("GET", "/healthz", WB_R_HEALTH, NULL, NULL);
    routed("GET", "/livez", WB_R_LIVE, NULL, NULL);
    routed("GET", "/metrics", WB_R_METRICS, NULL, NULL);
    routed("POST", "/v1/run", WB_R_RUN, NULL, NULL);
    routed("POST", "/v1/sessions", WB_R_SESS_CREATE, NULL, NULL);
    routed("GET", "/v1/sessions", WB_R_SESS_LIST, NULL, NULL);
    routed("GET", "/v1/sessions/abc", WB_R_SESS_GET, "abc", NULL);
    routed("DELETE", "/v1/sessions/abc", WB_R_SESS_DELETE, "abc", NULL);
    routed("POST", "/v1/sessions/s-1/exec", WB_R_EXEC, "s-1", NULL);
    routed("GET", "/v1/sessions/s/files", WB_R_FILES_LIST, "s", NULL);
    routed("PUT", "/v1/sessions/s/files/a/b.txt", WB_R_FILE_PUT, "s",
           "a/b.txt");
    routed("GET", "/v1/sessions/s/files/x", WB_R_FILE_GET, "s", "x");
    /* one trailing slash is the same route */
    routed("GET", "/healthz/", WB_R_HEALTH, NULL, NULL);
    routed("GET", "/livez/", WB_R_LIVE, NULL, NULL);
    routed("GET", "/v1/sessions/abc/", WB_R_SESS_GET, "abc", NULL);
    routed("GET", "/v1/sessions/s/files/", WB_R_FILES_LIST, "s", NULL);
    /* {path} is the rest of the URL, as it came: the session layer, not
     * the router, refuses ".." (test_session.c) */
    routed("GET", "/v1/sessions/s/files/../../x", WB_R_FILE_GET, "s",
           "../../x");
    routed("PUT", "/v1/sessions/s/files/d/", WB_R_FILE_PUT, "s", "d/");
    routed("GET", "/v1/sessions/s/files//", WB_R_FILE_GET, "s", "/");
    /* ids and paths may be NULL: only the route is wanted */
    assert_int_equal(wb_http_route_find("GET", "/v1/sessions/s/files/x",
                                        NULL, NULL), WB_R_FILE_GET);
}

static void test_routes_hostile(void **state)
{
    NONE("GET", "");
    NONE("GET", "/");
    NONE("GET", "/healthz//");
    NONE("GET", "/healthzz");
    NONE("GET", "/livezz");
    NONE("POST", "/livez");
    NONE("GET", "/healthz/x");
    NONE("get", "/healthz");                 /* methods are exact */
    NONE("", "/healthz");
    NONE("HEAD", "/healthz");
    NONE("GET", "/v1/run");                  /* a 405: below */
    NONE("GET", "/v1/sessions//exec");       /* an empty {id} */
    NONE("POST", "/v1/sessions//exec");
    NONE("POST", "/v1/sessions/s/exec/x");
    NONE("POST", "/v1/sessions/s/exec//");
    NONE("GET", "/V1/sessions");
    NONE("GET", "v1/sessions");
    NONE("GET", "//v1/sessions");

    /* {id}: at most WB_HTTP_ID_MAX - 1 bytes, never cut short */
    char url[WB_HTTP_PATH_MAX + 64], id[WB_HTTP_ID_MAX];
    memset(id, 'i', sizeof id);
    id[WB_HTTP_ID_MAX - 1] = 0;
    snprintf(url, sizeof url, "/v1/sessions/%s/exec", id);
    routed("POST", url, WB_R_EXEC, id, NULL);
    snprintf(url, sizeof url, "/v1/sessions/%si/exec", id);
    NONE("POST", url);

    /* {path}: at most WB_HTTP_PATH_MAX - 1 bytes, never cut short */
    static char path[WB_HTTP_PATH_MAX + 1];
    memset(path, 'p', sizeof path - 1);
    path[WB_HTTP_PATH_MAX - 1] = 0;
    snprintf(url, sizeof url, "/v1/sessions/s/files/%s", path);
    routed("GET", url, WB_R_FILE_GET, "s", path);
    path[WB_HTTP_PATH_MAX - 1] = 'p';
    snprintf(url, sizeof url, "/v1/sessions/s/files/%s", path);
    NONE("GET", url);
}

/* The Allow header of a 405: the methods of the routes a URL matches. */
static void test_allowed(void **state)
{
    char buf[64];
    assert_string_equal(wb_http_allowed("/v1/run", buf, sizeof buf), "POST");
    assert_string_equal(wb_http_allowed("/v1/sessions", buf, sizeof buf),
                        "POST, GET");
    assert_string_equal(wb_http_allowed("/v1/sessions/x", buf, sizeof buf),
                        "GET, DELETE");
    assert_string_equal(wb_http_allowed("/v1/sessions/x/files/y", buf,
                                        sizeof buf), "PUT, GET");
    assert_null(wb_http_allowed("/v1/nothing", buf, sizeof buf));
    assert_null(wb_http_allowed("/v1/sessions//exec", buf, sizeof buf));
    /* a small buffer is cut, never overrun */
    char small[6];
    assert_non_null(wb_http_allowed("/v1/sessions", small, sizeof small));
    assert_true(strlen(small) < sizeof small);
    assert_true(!strncmp(small, "POST", 4));
}

static void test_list_routes(void **state)
{
    char *text = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&text, &n);
    assert_non_null(f);
    wb_http_list_routes(f);
    fclose(f);
    int lines = 0;
    for (char *p = text; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, WB_R_COUNT);
    assert_true(!strncmp(text, "GET /healthz\n", 13));
    assert_non_null(strstr(text, "PUT /v1/sessions/{id}/files/{path}\n"));
    for (int i = 0; i < WB_R_COUNT; i++)
        assert_non_null(wb_http_route_get(i));
    assert_null(wb_http_route_get(-1));
    assert_null(wb_http_route_get(WB_R_COUNT));
    assert_false(wb_http_route_get(WB_R_HEALTH)->auth);
    assert_true(wb_http_route_get(WB_R_RUN)->auth);
    free(text);
}

/* ---- limits ------------------------------------------------------------ */

/* The policy of these tests: 10 s, 256 MiB, 1,000,000 fuel, 1 MiB of
 * output, 64 MiB of disk. */
static int budget_setup(void **state)
{
    wb_budget *b = malloc(sizeof *b);
    if (!b)
        return -1;
    wb_budget_default(b);
    b->timeout_ms = 10000;
    b->max_memory = 256u << 20;
    b->fuel = 1000000;
    b->max_output = 1u << 20;
    b->max_disk = 64u << 20;
    *state = b;
    return 0;
}

static int budget_teardown(void **state)
{
    free(*state);
    return 0;
}

/* Apply the limits of JSON text `limits` to a copy of the budget; the
 * result (true: accepted) and the message are returned. */
static bool apply(void **state, const char *limits, wb_budget *out,
                  char *msg, size_t cap)
{
    json_error_t je;
    json_t *j = json_loads(limits, JSON_DECODE_ANY, &je);
    if (!j)
        fail_msg("bad test JSON '%s': %s", limits, je.text);
    *out = *(wb_budget *)*state;
    msg[0] = 0;
    bool ok = wb_http_limits(j, out, msg, cap);
    json_decref(j);
    return ok;
}

/* `limits` is refused with a message that starts with `prefix`. */
static void refused(void **state, const char *limits, const char *prefix)
{
    wb_budget b;
    char msg[300];
    if (apply(state, limits, &b, msg, sizeof msg))
        fail_msg("%s: accepted", limits);
    if (strncmp(msg, prefix, strlen(prefix)))
        fail_msg("%s: message '%s', want '%s...'", limits, msg, prefix);
}

static wb_budget accepted(void **state, const char *limits)
{
    wb_budget b;
    char msg[300];
    if (!apply(state, limits, &b, msg, sizeof msg))
        fail_msg("%s: refused: %s", limits, msg);
    return b;
}

static void test_limits_tighten(void **state)
{
    const wb_budget *policy = *state;
    wb_budget b = accepted(state, "null");
    assert_memory_equal(&b, policy, sizeof b);
    b = accepted(state, "{}");
    assert_memory_equal(&b, policy, sizeof b);
    b = accepted(state, "{\"timeout\": 0.5, \"memory\": \"64M\", "
                 "\"fuel\": 1000, \"output\": 10, \"disk\": \"1K\"}");
    assert_int_equal(b.timeout_ms, 500);
    assert_int_equal(b.max_memory, 64u << 20);
    assert_int_equal(b.fuel, 1000);
    assert_int_equal(b.max_output, 10);
    assert_int_equal(b.max_disk, 1024);
    assert_int_equal(b.max_files, policy->max_files);   /* not a limit */
    b = accepted(state, "{\"timeout\": \"300ms\", \"memory\": 4096}");
    assert_int_equal(b.timeout_ms, 300);
    assert_int_equal(b.max_memory, 4096);
    /* exactly the policy's value is not wider */
    b = accepted(state, "{\"timeout\": 10, \"memory\": 268435456, "
                 "\"fuel\": 1000000, \"output\": \"1M\", \"disk\": \"64M\"}");
    assert_memory_equal(&b, policy, sizeof b);
    /* output and disk may be 0 (nothing may be written) */
    b = accepted(state, "{\"output\": 0, \"disk\": 0}");
    assert_int_equal(b.max_output, 0);
    assert_int_equal(b.max_disk, 0);
}

/* limits.network narrows the policy's allow list and limits, never
 * widens them (docs/network.md). */
static void test_limits_network(void **state)
{
    wb_budget *policy = *state;
    char msg[300];
    assert_int_equal(wb_net_allow(&policy->net, "*.example.org", msg,
                                  sizeof msg), WB_OK);
    assert_int_equal(wb_net_allow(&policy->net, "http://10.0.0.0/8:8080", msg,
                                  sizeof msg), WB_OK);
    policy->net.max_requests = 10;
    policy->net.max_response = 2000;
    policy->net.timeout_ms = 5000;
    wb_budget b = accepted(state, "{\"network\": {\"allow\": "
        "[\"api.example.org\", \"http://10.1.0.0/16:8080\"], "
        "\"max_requests\": 3, \"max_response\": \"1K\", "
        "\"timeout\": 2}}");
    assert_int_equal(b.net.nallow, 2);
    assert_string_equal(b.net.allow[0], "api.example.org");
    assert_int_equal(b.net.max_requests, 3);
    assert_int_equal(b.net.max_response, 1024);
    assert_int_equal(b.net.timeout_ms, 2000);
    b = accepted(state, "{\"network\": {\"allow\": []}}");
    assert_int_equal(b.net.nallow, 0);
    refused(state, "{\"network\": {\"allow\": [\"example.org\"]}}",
            "limits.network.allow: network rule 'example.org' is not");
    refused(state, "{\"network\": {\"allow\": [\"http://api.example.org\"]}}",
            "limits.network.allow:");
    refused(state, "{\"network\": {\"allow\": [\"http://10.0.0.0/7:8080\"]}}",
            "limits.network.allow:");
    refused(state, "{\"network\": {\"allow\": [1]}}",
            "limits.network.allow: expected a string");
    refused(state, "{\"network\": {\"allow\": \"a.example.org\"}}",
            "limits.network.allow: expected a list");
    refused(state, "{\"network\": {\"max_requests\": 11}}",
            "limits.network.max_requests: 11 is more");
    refused(state, "{\"network\": {\"max_response\": 2001}}",
            "limits.network.max_response: 2001 bytes is more");
    refused(state, "{\"network\": {\"timeout\": 6}}",
            "limits.network.timeout: 6000 ms is more");
    refused(state, "{\"network\": {\"proxy\": 1}}",
            "limits.network.proxy: unknown limit");
    refused(state, "{\"network\": []}", "limits.network: expected an object");
}

/* Without a timeout or a fuel limit in the policy, any value narrows it. */
static void test_limits_unbounded_policy(void **state)
{
    wb_budget *policy = *state;
    policy->timeout_ms = 0;
    policy->fuel = -1;
    wb_budget b = accepted(state, "{\"timeout\": 86400, "
                           "\"fuel\": 9223372036854775807}");
    assert_int_equal(b.timeout_ms, 86400000);
    assert_int_equal(b.fuel, INT64_MAX);
}

static void test_limits_wider(void **state)
{
    refused(state, "{\"timeout\": 10.001}", "limits.timeout: 10001 ms is "
            "more than this server allows (10000 ms)");
    refused(state, "{\"timeout\": \"1h\"}", "limits.timeout:");
    refused(state, "{\"memory\": \"4G\"}", "limits.memory: 4294967296 "
            "bytes is more");
    refused(state, "{\"memory\": 268435457}", "limits.memory:");
    refused(state, "{\"fuel\": 1000001}", "limits.fuel: 1000001 is more");
    refused(state, "{\"output\": \"2M\"}", "limits.output:");
    refused(state, "{\"disk\": 67108865}", "limits.disk:");
    refused(state, "{\"memory\": 9223372036854775807}", "limits.memory:");
    /* one wider field refuses the request, whatever the others say */
    refused(state, "{\"timeout\": 1, \"memory\": \"1T\", \"fuel\": 1}",
            "limits.memory:");
    /* huge values do not wrap around into small ones */
    refused(state, "{\"memory\": \"18446744073709551616\"}",
            "limits.memory: expected");
    refused(state, "{\"disk\": \"17179869184G\"}", "limits.disk: expected");
    refused(state, "{\"timeout\": 1e300}", "limits.timeout: expected");
    refused(state, "{\"timeout\": \"99999999999999999999h\"}",
            "limits.timeout: expected");
}

static void test_limits_malformed(void **state)
{
    refused(state, "[1]", "limits: expected an object");
    refused(state, "\"10s\"", "limits: expected an object");
    refused(state, "5", "limits: expected an object");
    refused(state, "{\"cpu\": 1}", "limits.cpu: unknown limit");
    refused(state, "{\"Timeout\": 1}", "limits.Timeout: unknown limit");
    refused(state, "{\"\": 1}", "limits.: unknown limit");
    refused(state, "{\"timeout\": 0}", "limits.timeout: expected");
    refused(state, "{\"timeout\": 0.0001}", "limits.timeout: expected");
    refused(state, "{\"timeout\": -1}", "limits.timeout: expected");
    refused(state, "{\"timeout\": \"soon\"}", "limits.timeout: expected");
    refused(state, "{\"timeout\": true}", "limits.timeout: expected");
    refused(state, "{\"timeout\": null}", "limits.timeout: expected");
    refused(state, "{\"memory\": 0}", "limits.memory: expected");
    refused(state, "{\"memory\": -1}", "limits.memory: expected");
    refused(state, "{\"memory\": 1.5}", "limits.memory: expected");
    refused(state, "{\"memory\": \"-1M\"}", "limits.memory: expected");
    refused(state, "{\"memory\": \"1Q\"}", "limits.memory: expected");
    refused(state, "{\"memory\": \"\"}", "limits.memory: expected");
    refused(state, "{\"memory\": \"nan\"}", "limits.memory: expected");
    refused(state, "{\"fuel\": -1}", "limits.fuel: expected");
    refused(state, "{\"fuel\": 1.5}", "limits.fuel: expected");
    refused(state, "{\"fuel\": \"10\"}", "limits.fuel: expected");
    refused(state, "{\"output\": \"lots\"}", "limits.output: expected");
    refused(state, "{\"output\": -5}", "limits.output: expected");
    refused(state, "{\"disk\": {}}", "limits.disk: expected");
    /* a message that does not fit is cut, never overrun */
    json_t *j = json_loads("{\"memory\": \"4G\"}", 0, NULL);
    wb_budget b = *(wb_budget *)*state;
    char small[8];
    assert_false(wb_http_limits(j, &b, small, sizeof small));
    assert_string_equal(small, "limits.");
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_routes_valid),
        cmocka_unit_test(test_routes_hostile),
        cmocka_unit_test(test_allowed),
        cmocka_unit_test(test_list_routes),
        cmocka_unit_test_setup_teardown(test_limits_tighten, budget_setup,
                                        budget_teardown),
        cmocka_unit_test_setup_teardown(test_limits_network, budget_setup,
                                        budget_teardown),
        cmocka_unit_test_setup_teardown(test_limits_unbounded_policy,
                                        budget_setup, budget_teardown),
        cmocka_unit_test_setup_teardown(test_limits_wider, budget_setup,
                                        budget_teardown),
        cmocka_unit_test_setup_teardown(test_limits_malformed, budget_setup,
                                        budget_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
