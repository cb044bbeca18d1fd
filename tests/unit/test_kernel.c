/* test_kernel.c: fuel of back-to-back steps in one session's Python and
 * JavaScript kernels (src/session/wb_session_kernel.c).
 *
 * The driver keeps running after it has announced the end of a step (it
 * returns from the write and loops to read the next request). The test
 * makes that window long: its code wraps the driver's write so that, after
 * the end-of-step line, it burns about as much fuel as one step's work.
 * Every step must still get exactly its own budget: its work (about 5/8 of
 * the budget) completes, its reported fuel is its own work's, and the
 * variables survive; a step that needs more than its budget ends with
 * outcome fuel having used exactly the budget.
 *
 * Needs the guest images (WASMBOX_GUESTS, default build/guests); a
 * language whose image is missing is skipped. WB_SESSION_STEPS sets the
 * number of steps (default 8). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wasmbox.h"

/* Per language: wrap the driver's output so that BURN loop iterations run
 * after each end-of-step line; a loop of `iters` iterations and the step
 * counter `n`. */
struct lang {
    wb_lang lang;
    const char *image;
    const char *setup;
    const char *set_burn;    /* printf format: iterations */
    const char *work;        /* printf format: iterations */
    const char *overrun;     /* printf format: iterations */
};

static const struct lang python = {
    WB_LANG_PYTHON, "python/python.wasm",
    "import os\n"
    "_write, burn = os.write, 0\n"
    "def _slow(fd, b):\n"
    "    r = _write(fd, b)\n"
    "    if b.startswith(b'\\x1eWBEND'):\n"
    "        x = 0\n"
    "        for i in range(burn):\n"
    "            x += i\n"
    "    return r\n"
    "os.write = _slow\n"
    "n = 0\n",
    "burn = %" PRIu64 "\n",
    "n += 1\n"
    "t = 0\n"
    "for i in range(%" PRIu64 "):\n"
    "    t += i\n"
    "n\n",
    "t = 0\n"
    "for i in range(%" PRIu64 "):\n"
    "    t += i\n",
};

static const struct lang javascript = {
    WB_LANG_JAVASCRIPT, "js/qjs.wasm",
    "var _puts = std.out.puts, _flush = std.out.flush, _end = false;\n"
    "var burn = 0, n = 0;\n"
    "std.out.puts = function (s) {\n"
    "    if (s.startsWith('\\x1eWBEND')) _end = true;\n"
    "    return _puts.call(std.out, s);\n"
    "};\n"
    "std.out.flush = function () {\n"
    "    const r = _flush.call(std.out);\n"
    "    if (_end) {\n"
    "        _end = false;\n"
    "        let x = 0;\n"
    "        for (let i = 0; i < burn; i++) x += i;\n"
    "    }\n"
    "    return r;\n"
    "};\n",
    "burn = %" PRIu64 ";\n",
    "n += 1;\n"
    "var t = 0;\n"
    "for (let i = 0; i < %" PRIu64 "; i++) t += i;\n"
    "n;\n",
    "var t = 0;\n"
    "for (let i = 0; i < %" PRIu64 "; i++) t += i;\n",
};

static const char *guests(void)
{
    const char *g = getenv("WASMBOX_GUESTS");
    return g && *g ? g : "build/guests";
}

static int rm_one(const char *p, const struct stat *sb, int f, struct FTW *w)
{
    return remove(p);
}

static void rm_tree(const char *dir)
{
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* One step of `code` (a printf format taking one uint64_t) under fuel
 * `fuel`; fails the test unless it ran. */
static void step(wb_session *s, wb_lang lang, int64_t fuel, const char *fmt,
                 uint64_t arg, wb_step_result *res)
{
    char code[2048];
    snprintf(code, sizeof code, fmt, arg);
    wb_budget b;
    wb_budget_default(&b);
    b.fuel = fuel;
    b.timeout_ms = 0;                  /* the policy's */
    b.max_memory = UINT64_MAX;         /* kernels keep the policy's */
    b.max_disk = UINT64_MAX;
    b.max_files = UINT32_MAX;
    b.max_stack = UINT32_MAX;
    wb_step_options o = { .budget = &b };
    wb_error err = { 0 };
    wb_status st = wb_session_run_ex(s, lang, code, strlen(code), &o, res,
                                     &err);
    if (st != WB_OK)
        fail_msg("step failed: %s", err.message);
}

static void check_exited(const wb_step_result *r, const char *what)
{
    if (r->run.outcome != WB_OUTCOME_EXITED || r->run.exit_code != 0)
        fail_msg("%s: outcome %s (%s), stderr: %.300s", what,
                 wb_outcome_name(r->run.outcome), r->run.message,
                 r->err ? r->err : "");
}

static void back_to_back(const struct lang *L)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", guests(), L->image);
    if (access(path, R_OK) != 0) {
        print_message("no %s (make guests): skipped\n", path);
        skip();
    }
    char dir[] = "/tmp/wb-test-session-XXXXXX";
    assert_non_null(mkdtemp(dir));
    wb_sandbox_config policy;
    wb_sandbox_config_init(&policy);
    policy.budget.timeout_ms = 300000;   /* slow sanitizer builds */
    wb_session_settings ss;
    wb_session_settings_default(&ss);
    ss.languages = WB_LANG_BIT(L->lang);
    wb_session_options so = { .state_dir = dir, .guests_dir = guests(),
                              .policy = &policy, .settings = &ss };
    wb_session *s;
    wb_error err = { 0 };
    if (wb_session_open(&so, NULL, &s, &err) != WB_OK)
        fail_msg("wb_session_open: %s", err.message);
    const char *e = getenv("WB_SESSION_STEPS");
    int steps = e && atoi(e) > 0 ? atoi(e) : 8;
    const int64_t big = INT64_C(1) << 50;
    wb_step_result r;

    /* Calibrate: a loop long enough to be a real window (>= 40 ms). */
    step(s, L->lang, big, L->setup, 0, &r);
    check_exited(&r, "setup");
    wb_step_result_free(&r);
    uint64_t iters = 20000, work = 0;
    for (;;) {
        step(s, L->lang, big, L->overrun, iters, &r);
        check_exited(&r, "calibration");
        work = r.run.fuel_used;
        uint64_t ms = r.run.wall_time_ms;
        wb_step_result_free(&r);
        if (ms >= 40 || iters >= 1u << 26)
            break;
        iters *= 2;
    }
    assert_true(work > 0);
    step(s, L->lang, big, L->set_burn, iters, &r);   /* a step's work */
    check_exited(&r, "setup with the burn");
    wb_step_result_free(&r);

    /* The budget: 8/5 of one step's work; the driver's burn after each
     * step is as much again, so a step that paid for any of it would run
     * out. */
    int64_t fuel = (int64_t)(work / 5 * 8);
    for (int i = 1; i <= steps; i++) {
        step(s, L->lang, fuel, L->work, iters, &r);
        char what[64];
        snprintf(what, sizeof what, "step %d of %d (budget %" PRId64 ")", i,
                 steps, fuel);
        check_exited(&r, what);
        if (!r.state_kept)
            fail_msg("%s: state lost: %s", what, r.note);
        if (atoi(r.out) != i)
            fail_msg("%s: n = '%s', want %d", what, r.out, i);
        /* its own work (the loop and the counter), none of the burn */
        if (r.run.fuel_used < work / 10 * 9 || r.run.fuel_used > work / 8 * 9)
            fail_msg("%s: fuel_used %" PRIu64 ", its work is %" PRIu64, what,
                     r.run.fuel_used, work);
        wb_step_result_free(&r);
    }

    /* Twice the work does not fit: stopped at exactly the budget. */
    step(s, L->lang, fuel, L->overrun, 2 * iters, &r);
    assert_int_equal(r.run.outcome, WB_OUTCOME_FUEL);
    assert_int_equal(r.run.fuel_used, (uint64_t)fuel);
    assert_true(r.state_lost_after);
    wb_step_result_free(&r);
    step(s, L->lang, fuel, L->overrun, 1, &r);
    check_exited(&r, "after the fuel stop");
    assert_false(r.state_kept);
    assert_non_null(strstr(r.note, "ran out of fuel"));
    wb_step_result_free(&r);

    wb_session_close(s);
    wb_sandbox_config_free(&policy);
    rm_tree(dir);
}

static void test_python_back_to_back(void **state)
{
    back_to_back(&python);
}

static void test_javascript_back_to_back(void **state)
{
    back_to_back(&javascript);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_python_back_to_back),
        cmocka_unit_test(test_javascript_back_to_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
