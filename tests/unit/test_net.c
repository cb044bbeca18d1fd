/* test_net.c: the allowlist of src/net/ without a network: rule syntax,
 * matching URLs, which addresses need a rule of their own (in every
 * spelling), narrowing, and URL, method and header checks. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "wasmbox.h"
#include "net/net.h"
#include "net/curl.h"

static wb_net_rule rule(const char *s)
{
    wb_net_rule r;
    char msg[200];
    assert_int_equal(wb_net_rule_parse(s, &r, msg, sizeof msg), 0);
    return r;
}

static void test_rule_syntax(void **st)
{
    (void)st;
    wb_net_rule r = rule("API.Example.com");
    assert_int_equal(r.kind, WB_RULE_NAME);
    assert_false(r.http);
    assert_int_equal(r.port, 443);
    assert_string_equal(r.name, "api.example.com");
    r = rule("http://*.example.org:8080");
    assert_int_equal(r.kind, WB_RULE_SUFFIX);
    assert_true(r.http);
    assert_int_equal(r.port, 8080);
    assert_string_equal(r.name, "example.org");
    r = rule("10.0.0.0/8");
    assert_int_equal(r.kind, WB_RULE_ADDR);
    assert_int_equal(r.prefix, 96 + 8);
    r = rule("[fd00::]/8:8443");
    assert_int_equal(r.prefix, 8);
    assert_int_equal(r.port, 8443);
    r = rule("[::ffff:127.0.0.1]");
    assert_int_equal(r.prefix, 128);
    const char *bad[] = { "", "http://", "a b", "*.", "*", "a.*.com",
        "x:0", "x:65536", "x:8a", "10.0.0.0/33", "[::1", "[::1]x",
        "[1.2.3.4]", "1.2.3", "..com", "ftp://x", "a..b",
        "[fd00::]/129", NULL };
    for (const char **b = bad; *b; b++) {
        wb_net_rule x;
        char msg[200];
        if (wb_net_rule_parse(*b, &x, msg, sizeof msg) != -1)
            fail_msg("rule '%s' accepted", *b);
    }
    char msg[200];
    assert_int_not_equal(wb_net_rule_parse("ftp://x", &r, msg, sizeof msg), 0);
}

static bool allows(const char *rule_text, const char *url)
{
    wb_net_rule r = rule(rule_text);
    wb_net_target t;
    char msg[300];
    if (wb_net_url_target(url, strlen(url), &t, msg, sizeof msg))
        return false;
    return wb_net_rule_match(&r, 1, &t) != NULL;
}

static void test_rule_match(void **st)
{
    (void)st;
    assert_true(allows("api.example.com", "https://API.example.com./x"));
    assert_false(allows("api.example.com", "http://api.example.com/"));
    assert_false(allows("api.example.com", "https://api.example.com:444/"));
    assert_false(allows("api.example.com", "https://xapi.example.com/"));
    assert_true(allows("*.example.org", "https://a.b.example.org/"));
    assert_false(allows("*.example.org", "https://example.org/"));
    assert_false(allows("*.example.org", "https://badexample.org/"));
    assert_false(allows("*.example.org", "https://example.org.evil.com/"));
    assert_true(allows("http://127.0.0.1:8080", "http://127.0.0.1:8080/"));
    assert_false(allows("http://*.0.0.1:8080", "http://127.0.0.1:8080/"));
    assert_true(allows("10.0.0.0/8", "https://10.9.8.7/"));
    assert_false(allows("10.0.0.0/8", "https://11.0.0.1/"));
    assert_true(allows("[fd00::]/8", "https://[fd12::1]/"));
    assert_true(allows("http://[::ffff:127.0.0.1]", "http://127.0.0.1/"));
    assert_false(allows("api.example.com", "https://user@evil.com/"));
    assert_true(allows("api.example.com",
                       "https://evil.com@api.example.com/"));
    assert_false(allows("api.example.com", "file:///etc/passwd"));
}

static const char *special(const char *ip)
{
    uint8_t a[16];
    assert_true(wb_net_ip_parse(ip, a));
    return wb_net_ip_special(a);
}

static void test_special_addresses(void **st)
{
    (void)st;
    const char *refused[] = { "127.0.0.1", "127.255.0.9", "0.0.0.0",
        "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.0.1",
        "100.64.0.1", "100.127.255.255", "169.254.169.254", "224.0.0.1",
        "255.255.255.255", "::1", "::", "fe80::1", "febf::1", "fc00::1",
        "fdff::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:169.254.169.254",
        "::ffff:10.0.0.1", "::127.0.0.1", "64:ff9b::a9fe:a9fe",
        "2002:a9fe:a9fe::1", "2002:7f00:1::", NULL };
    for (const char **p = refused; *p; p++)
        if (!special(*p))
            fail_msg("%s passes as public", *p);
    const char *public[] = { "93.184.216.34", "8.8.8.8", "172.32.0.1",
        "100.128.0.1", "11.0.0.1", "2606:4700::1111", "::ffff:8.8.8.8",
        "64:ff9b::808:808", NULL };
    for (const char **p = public; *p; p++)
        if (special(*p))
            fail_msg("%s refused as %s", *p, special(*p));
}

static bool covers(const char *outer, const char *inner)
{
    wb_net_rule o = rule(outer), i = rule(inner);
    return wb_net_rule_covers(&o, &i);
}

static void test_narrowing(void **st)
{
    (void)st;
    assert_true(covers("*.example.org", "api.example.org"));
    assert_true(covers("*.example.org", "*.a.example.org"));
    assert_true(covers("*.example.org", "*.example.org"));
    assert_false(covers("*.example.org", "example.org"));
    assert_false(covers("api.example.org", "*.example.org"));
    assert_false(covers("api.example.org", "http://api.example.org"));
    assert_false(covers("api.example.org", "api.example.org:8443"));
    assert_true(covers("10.0.0.0/8", "10.1.0.0/16"));
    assert_false(covers("10.1.0.0/16", "10.0.0.0/8"));
    assert_false(covers("*.example.org", "10.0.0.1"));
    wb_net_budget b = { 0 };
    char msg[300];
    assert_int_equal(wb_net_allow(&b, "*.test", msg, sizeof msg), WB_OK);
    assert_true(wb_net_budget_covers(&b, "api.test", msg, sizeof msg));
    assert_false(wb_net_budget_covers(&b, "evil.example", msg, sizeof msg));
    assert_non_null(strstr(msg, "evil.example"));
    for (int i = 1; i < WB_NET_MAX_RULES; i++)
        assert_int_equal(wb_net_allow(&b, "a.test", msg, sizeof msg), WB_OK);
    assert_int_equal(wb_net_allow(&b, "a.test", msg, sizeof msg), WB_E_ARG);
}

static void test_request_checks(void **st)
{
    (void)st;
    assert_true(wb_net_method_ok("GET", 3));
    assert_true(wb_net_method_ok("PATCH", 5));
    assert_false(wb_net_method_ok("GE T", 4));
    assert_false(wb_net_method_ok("GET\r\n", 5));
    assert_false(wb_net_method_ok("", 0));
    assert_false(wb_net_method_ok("CONNECT", 7));
    assert_false(wb_net_method_ok("connect", 7));
    assert_false(wb_net_method_ok("TRACE", 5));
    assert_false(wb_net_method_ok("AAAAAAAAAAAAAAAA", 16));
    char msg[300];
    bool ok;
    const char *good = "A: 1\r\nB-c: two words\n\nD:3\nX-Content-Length: 1";
    void *l = wb_net_headers(good, strlen(good), &ok, msg, sizeof msg);
    assert_true(ok);
    assert_non_null(l);
    curl_slist_free_all(l);
    /* Content-Length and Transfer-Encoding: the host frames the body (a
     * guest's own would smuggle a second request into the connection) */
    const char *bad[] = { "Host: x", "host:x", "A 1", "A\r: 1", "A: 1\rB: 2",
                          ": x", "A b: 1", "Content-Length: 0",
                          "A: 1\ncontent-LENGTH:5", "Transfer-Encoding: chunked",
                          "X: 1\r\ntransfer-encoding: gzip", NULL };
    for (const char **b = bad; *b; b++) {
        l = wb_net_headers(*b, strlen(*b), &ok, msg, sizeof msg);
        if (ok || l)
            fail_msg("header '%s' accepted", *b);
    }
    const char nul[] = "A: x\0y";
    l = wb_net_headers(nul, sizeof nul - 1, &ok, msg, sizeof msg);
    assert_false(ok);
    wb_net_target t;
    const char *urls[] = { "ftp://a/", "gopher://a/", "file:///etc/passwd",
                           "http://", "not a url", "http://[::1%25lo]/",
                           NULL };
    for (const char **u = urls; *u; u++)
        if (wb_net_url_target(*u, strlen(*u), &t, msg, sizeof msg) !=
            WB_NET_INVAL)
            fail_msg("URL '%s' accepted", *u);
    assert_int_equal(wb_net_url_target("http://a/\0b", 11, &t, msg,
                                       sizeof msg), WB_NET_INVAL);
}

int main(void)
{
    char why[256];
    if (!wb_net_load(why, sizeof why)) {     /* URLs and headers use libcurl */
        fprintf(stderr, "test_net: %s\n", why);
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rule_syntax),
        cmocka_unit_test(test_rule_match),
        cmocka_unit_test(test_special_addresses),
        cmocka_unit_test(test_narrowing),
        cmocka_unit_test(test_request_checks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
