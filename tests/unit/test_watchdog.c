/* test_watchdog.c: the wall-clock budget of wb_sandbox_run, watched by
 * one long-lived thread per process (src/sandbox/watchdog.c): deadlines
 * of runs one after another and at once each fire on time, a deadline
 * earlier than the one the thread sleeps until wakes it, and a run that
 * ended is never touched again (ASan build: no use after free). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wasmbox.h"
#include "common/file.h"

static wb_module *load(const char *name)
{
    char path[4096];
    uint8_t *b;
    size_t len;
    wb_module *m;
    wb_error err = { 0 };
    snprintf(path, sizeof path, "%s/%s", WB_TEST_WASM, name);
    int e = wb_file_read(path, 1 << 20, &b, &len);
    if (e)
        fail_msg("%s: %s (make builds it from tests/unit/wat/)", path,
                 strerror(e));
    assert_int_equal(wb_module_new(b, len, &m, &err), WB_OK);
    free(b);
    return m;
}

static int sink(void *user, int stream, const uint8_t *d, size_t n)
{
    (void)user, (void)stream, (void)d, (void)n;
    return 0;
}

static int64_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Run `name` with a timeout of `ms`; its outcome, and *took its wall ms. */
static wb_outcome run(const char *name, uint64_t ms, int64_t *took)
{
    wb_sandbox_config cfg;
    wb_sandbox_config_init(&cfg);
    cfg.output = sink;
    cfg.budget.timeout_ms = ms;
    cfg.budget.fuel = -1;       /* the clock alone stops a spin */
    wb_module *m = load(name);
    wb_run_result res;
    wb_error err = { 0 };
    int64_t t0 = now_ms();
    assert_int_equal(wb_sandbox_run(&cfg, m, &res, &err), WB_OK);
    *took = now_ms() - t0;
    wb_module_release(m);
    wb_sandbox_config_free(&cfg);
    return res.outcome;
}

static void test_runs_in_turn(void **state)
{
    (void)state;
    int64_t took;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(run("hello2.wasm", 10000, &took), WB_OUTCOME_EXITED);
        assert_int_equal(run("spin.wasm", 100, &took), WB_OUTCOME_TIMEOUT);
        assert_true(took >= 100);
    }
}

/* The thread sleeps until a long deadline of a run that has ended; a run
 * with a shorter one must wake it, not wait for the long one. */
static void test_earlier_deadline_wakes(void **state)
{
    (void)state;
    int64_t took;
    assert_int_equal(run("hello2.wasm", 20000, &took), WB_OUTCOME_EXITED);
    assert_int_equal(run("spin.wasm", 200, &took), WB_OUTCOME_TIMEOUT);
    assert_true(took >= 200);
    assert_true(took < 10000);
}

/* A short deadline of a run that ended passes while nothing runs: the
 * thread wakes and finds nothing to fire (the run's store is freed). */
static void test_ended_run_untouched(void **state)
{
    (void)state;
    int64_t took;
    for (int i = 0; i < 20; i++)
        assert_int_equal(run("hello2.wasm", 5, &took), WB_OUTCOME_EXITED);
    struct timespec nap = { 0, 50 * 1000000 };
    nanosleep(&nap, NULL);
    assert_int_equal(run("hello2.wasm", 1000, &took), WB_OUTCOME_EXITED);
}

struct spin { uint64_t ms; int64_t took; wb_outcome outcome; };

static void *spin_main(void *arg)
{
    struct spin *s = arg;
    s->outcome = run("spin.wasm", s->ms, &s->took);
    return NULL;
}

/* Runs at once, the later deadline armed first: each fires at its own. */
static void test_runs_at_once(void **state)
{
    (void)state;
    struct spin s[3] = { { 1500, 0, 0 }, { 300, 0, 0 }, { 800, 0, 0 } };
    pthread_t t[3];
    for (int i = 0; i < 3; i++)
        assert_int_equal(pthread_create(&t[i], NULL, spin_main, &s[i]), 0);
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(s[i].outcome, WB_OUTCOME_TIMEOUT);
        assert_true(s[i].took >= (int64_t)s[i].ms);
    }
    /* not all at the latest deadline (generous: the machine may be busy) */
    assert_true(s[1].took < 1400);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_runs_in_turn),
        cmocka_unit_test(test_earlier_deadline_wakes),
        cmocka_unit_test(test_ended_run_untouched),
        cmocka_unit_test(test_runs_at_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
