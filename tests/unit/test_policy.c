/* test_policy.c: the policy file parser (src/policy/). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wasmbox.h"

static wb_status parse(const char *text, wb_sandbox_config *c,
                       wb_session_settings *ss, wb_error *err)
{
    wb_sandbox_config_init(c);
    memset(err, 0, sizeof *err);
    return wb_policy_parse(text, strlen(text), "policy.yaml", "/", c, ss,
                           err);
}

/* The fixture of the tests that parse into one config: freed after the
 * test, whether its assertions held or not. */
typedef struct parsed {
    wb_sandbox_config c;
    wb_session_settings ss;
    wb_error err;
} parsed;

static int parsed_setup(void **state)
{
    parsed *p = calloc(1, sizeof *p);
    if (!p)
        return -1;
    wb_sandbox_config_init(&p->c);
    *state = p;
    return 0;
}

static int parsed_teardown(void **state)
{
    parsed *p = *state;
    wb_sandbox_config_free(&p->c);
    free(p);
    return 0;
}

/* Parsing fails and the message contains `want`. */
static void expect_error(const char *text, const char *want)
{
    wb_sandbox_config c;
    wb_session_settings ss;
    wb_error err;
    wb_status st = parse(text, &c, &ss, &err);
    if (st == WB_OK || !strstr(err.message, want))
        fail_msg("policy:\n%s\nwant error containing '%s', got %d '%s'",
                 text, want, st, err.message);
    assert_int_equal(st, WB_E_ARG);
    wb_sandbox_config_free(&c);
}

static void test_full(void **state)
{
    const char *text =
        "version: 1\n"
        "grants:\n"
        "  dirs:\n"
        "    - host: /tmp\n"
        "      guest: /data/\n"
        "      mode: rw\n"
        "    - {host: /, guest: /host}\n"
        "  tmpfs:\n"
        "    - guest: /scratch\n"
        "      size: 16M\n"
        "  env:\n"
        "    LANG: C.UTF-8\n"
        "    EMPTY: ''\n"
        "budget:\n"
        "  memory: 128M\n"
        "  fuel: 1000000\n"
        "  timeout: 1.5s\n"
        "  output: 64K\n"
        "  disk: 1G\n"
        "  files: 32\n"
        "  stack: 500\n"
        "session:\n"
        "  idle_expiry: 2h\n"
        "  languages: [python, js, sql]\n"
        "  tier: interp\n";
    parsed *p = *state;
    wb_sandbox_config *c = &p->c;
    wb_session_settings *ss = &p->ss;
    wb_sandbox_config_free(c);
    assert_int_equal(parse(text, c, ss, &p->err), WB_OK);
    assert_int_equal(c->ngrants, 3);
    assert_string_equal(c->grants[0].host, "/tmp");
    assert_string_equal(c->grants[0].guest, "/data");
    assert_false(c->grants[0].read_only);
    assert_true(c->grants[1].read_only);           /* mode defaults to ro */
    assert_int_equal(c->grants[2].kind, WB_GRANT_TMPFS);
    assert_int_equal(c->grants[2].size, 16u << 20);
    assert_int_equal(c->nenv, 2);
    assert_string_equal(c->env[0], "LANG=C.UTF-8");
    assert_string_equal(c->env[1], "EMPTY=");
    assert_int_equal(c->budget.max_memory, 128u << 20);
    assert_int_equal(c->budget.fuel, 1000000);
    assert_int_equal(c->budget.timeout_ms, 1500);
    assert_int_equal(c->budget.max_output, 64u << 10);
    assert_int_equal(c->budget.max_disk, 1ull << 30);
    assert_int_equal(c->budget.max_files, 32);
    assert_int_equal(c->budget.max_stack, 500);
    assert_int_equal(ss->idle_expiry_ms, 2 * 3600 * 1000);
    assert_int_equal(ss->languages, WB_LANG_BIT(WB_LANG_PYTHON) |
                     WB_LANG_BIT(WB_LANG_JAVASCRIPT) |
                     WB_LANG_BIT(WB_LANG_SQL));
    assert_true(ss->interp);
}

static void test_deny_by_default(void **state)
{
    parsed *p = *state;
    wb_budget def;
    memset(&def, 0, sizeof def);    /* compared bytewise: padding too */
    wb_budget_default(&def);
    wb_sandbox_config_free(&p->c);
    assert_int_equal(parse("", &p->c, &p->ss, &p->err), WB_OK);
    assert_int_equal(p->c.ngrants, 0);
    assert_int_equal(p->c.nenv, 0);
    assert_int_equal(p->ss.languages, 0);       /* nothing listed: none */
    assert_memory_equal(&p->c.budget, &def, sizeof def);
    wb_sandbox_config_free(&p->c);
    assert_int_equal(parse("budget:\n  fuel: unlimited\nsession:\n"
                           "  idle_expiry: never\n", &p->c, &p->ss, &p->err),
                     WB_OK);
    assert_int_equal(p->c.budget.fuel, -1);
    assert_int_equal(p->ss.idle_expiry_ms, 0);
    assert_false(p->ss.interp);                 /* tier cached */
    wb_sandbox_config_free(&p->c);
    p->ss.interp = true;                        /* a parse starts afresh */
    assert_int_equal(parse("session:\n  tier: cached\n", &p->c, &p->ss,
                           &p->err), WB_OK);
    assert_false(p->ss.interp);
    wb_session_settings dss;
    wb_session_settings_default(&dss);
    assert_false(dss.interp);
}

static void test_unknown_keys(void **state)
{
    expect_error("budget:\n  memory: 1M\n\n  memroy: 1M\n",
                 "policy.yaml:4: unknown key 'memroy' in budget");
    expect_error("grant:\n  dirs: []\n",
                 "policy.yaml:1: unknown key 'grant' in the policy");
    expect_error("grants:\n  dirs:\n    - host: /tmp\n      guest: /d\n"
                 "      mdoe: ro\n",
                 "policy.yaml:5: unknown key 'mdoe' in grants.dirs[0]");
    expect_error("session:\n  languages: [python, cobol]\n",
                 "policy.yaml:2: unknown language 'cobol'");
    expect_error("session:\n  tier: native\n",
                 "policy.yaml:2: bad tier 'native' in session (cached or "
                 "interp)");
}

static void test_malformed_values(void **state)
{
    expect_error("budget:\n  memory: lots\n",
                 "policy.yaml:2: bad size 'lots' for 'memory'");
    expect_error("budget:\n  timeout: 10 parsecs\n",
                 "policy.yaml:2: bad duration");
    expect_error("budget:\n  fuel: -5\n", "bad number '-5' for 'fuel'");
    expect_error("budget:\n  files: 0\n", "bad number '0' for 'files'");
    expect_error("budget:\n  files: 1025\n",
                 "bad number '1025' for 'files' in budget (at most 1024)");
    expect_error("budget:\n  stack: [1]\n", "'stack' in budget needs a value");
    expect_error("budget: 5\n", "budget must be a mapping");
    expect_error("grants:\n  dirs:\n    - host: /tmp\n      guest: data\n",
                 "must be an absolute guest path");
    expect_error("grants:\n  dirs:\n    - host: /tmp\n      guest: /a/../b\n",
                 "'..'");
    expect_error("grants:\n  dirs:\n    - host: /tmp\n      guest: /d\n"
                 "      mode: rx\n", "must be ro or rw");
    expect_error("grants:\n  dirs:\n    - host: /nonexistent-wb\n"
                 "      guest: /d\n", "No such file or directory");
    expect_error("grants:\n  dirs:\n    - guest: /d\n", "needs 'host' and");
    expect_error("grants:\n  tmpfs:\n    - guest: /t\n      size: big\n",
                 "bad size 'big'");
    expect_error("version: 2\n", "unsupported policy version");
    expect_error("budget:\n  memory: [1\n", "YAML syntax error");
    expect_error("a: 1\n---\nb: 2\n", "unknown key 'a'");
    expect_error("version: 1\n---\nversion: 1\n", "only one YAML document");
}

static void test_contradictions(void **state)
{
    expect_error("grants:\n  dirs:\n    - host: /tmp\n      guest: /d\n"
                 "  tmpfs:\n    - guest: /d/\n",
                 "policy.yaml:6: contradiction in grants.tmpfs[0]: guest "
                 "path '/d' is already granted at line 4");
    expect_error("budget:\n  memory: 1M\n  memory: 2M\n",
                 "policy.yaml:3: duplicate key 'memory' in budget (first at "
                 "line 2)");
    expect_error("session:\n  languages: [sql, sqlite]\n",
                 "listed twice");
}

/* python.packages: a read-only grant at /packages; its mistakes. */
static void test_python_packages(void **state)
{
    parsed *p = *state;
    assert_int_equal(parse("python:\n  packages: /tmp\n", &p->c, &p->ss,
                           &p->err), WB_OK);
    assert_int_equal(p->c.ngrants, 1);
    assert_int_equal(p->c.grants[0].kind, WB_GRANT_DIR);
    assert_string_equal(p->c.grants[0].host, "/tmp");
    assert_string_equal(p->c.grants[0].guest, WB_PYTHON_PACKAGES_GUEST);
    assert_true(p->c.grants[0].read_only);
    expect_error("python:\n  packages: /tmp\ngrants:\n  dirs:\n"
                 "    - host: /tmp\n      guest: /packages\n      mode: rw\n",
                 "contradiction in grants.dirs[0]: guest path '/packages'");
    expect_error("grants:\n  tmpfs:\n    - guest: /packages\n"
                 "python:\n  packages: /tmp\n", "contradiction in python");
    expect_error("python:\n  packages: /nonexistent-wb\n",
                 "'packages' in python: /nonexistent-wb");
    expect_error("python:\n  packages: /etc/passwd\n", "Not a directory");
    expect_error("python:\n  packages: [/tmp]\n", "needs a value");
    expect_error("python:\n  pakages: /tmp\n", "unknown key 'pakages' in "
                 "python");
    expect_error("python: /tmp\n", "python must be a mapping");
    expect_error("python:\n  packages: /tmp\n  packages: /tmp\n",
                 "duplicate key 'packages'");
}

static void test_load_file(void **state)
{
    char dir[] = "/tmp/wb-policy-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[128], sub[128];
    snprintf(path, sizeof path, "%s/p.yaml", dir);
    snprintf(sub, sizeof sub, "%s/data", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("grants:\n  dirs:\n    - host: data\n      guest: /d\n", f);
    fclose(f);
    wb_sandbox_config c;
    wb_error err;
    wb_sandbox_config_init(&c);
    assert_int_equal(wb_policy_load(path, &c, NULL, &err), WB_OK);
    assert_string_equal(c.grants[0].host, sub);     /* relative to the file */
    wb_sandbox_config_free(&c);
    wb_sandbox_config_init(&c);
    assert_int_equal(wb_policy_load("/nonexistent/p.yaml", &c, NULL, &err),
                     WB_E_NOT_FOUND);
    wb_sandbox_config_free(&c);
    unlink(path);
    rmdir(sub);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_full, parsed_setup,
                                        parsed_teardown),
        cmocka_unit_test_setup_teardown(test_deny_by_default, parsed_setup,
                                        parsed_teardown),
        cmocka_unit_test(test_unknown_keys),
        cmocka_unit_test(test_malformed_values),
        cmocka_unit_test(test_contradictions),
        cmocka_unit_test_setup_teardown(test_python_packages, parsed_setup,
                                        parsed_teardown),
        cmocka_unit_test(test_load_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
