/* test_watchdog.c: the wall-clock budget of wb_sandbox_run, watched by
 * one long-lived thread per process (src/sandbox/watchdog.c): deadlines
 * of runs one after another and at once each fire on time, a deadline
 * earlier than the one the thread sleeps until wakes it, and a run that
 * ended is never touched again (ASan build: no use after free). A run
 * alone in its process (src/sandbox/watchdog_alone.c) starts no thread
 * and still ends at its deadline. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

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

/* Threads of this process now. */
static int threads(void)
{
    DIR *d = opendir("/proc/self/task");
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

static int g_in_run = -1;               /* threads while the guest ran */

static int count_threads(void *user, int stream, const uint8_t *d, size_t n)
{
    (void)user, (void)stream, (void)d, (void)n;
    if (g_in_run < 0)
        g_in_run = threads();
    return 0;
}

/* In the child: a run with exits_after of `name` with a deadline of
 * `ms`; its outcome, and *took its wall ms. */
static wb_outcome run_alone(const char *name, uint64_t ms, int64_t *took)
{
    wb_sandbox_config cfg;
    wb_sandbox_config_init(&cfg);
    cfg.output = count_threads;
    cfg.budget.timeout_ms = ms;
    cfg.budget.fuel = -1;
    cfg.exits_after = true;
    wb_module *m = load(name);
    wb_run_result res;
    wb_error err = { 0 };
    int64_t t0 = now_ms();
    wb_status st = wb_sandbox_run(&cfg, m, &res, &err);
    *took = now_ms() - t0;
    return st == WB_OK ? res.outcome : WB_OUTCOME_ERROR;
}

/* A run whose process ends after it (exits_after, as `wasmbox run`), of
 * a module that cannot start processes: no thread while the guest runs,
 * the deadline still ends it; a deadline that passes after a run ended
 * harms nothing. In a child, which exits as such a process does (what
 * the runs made is left to the exit). */
static void test_alone_without_thread(void **state)
{
    (void)state;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int before = threads();
        int64_t took;
        if (run_alone("hello2.wasm", 50, &took) != WB_OUTCOME_EXITED)
            _exit(1);
        struct timespec nap = { 0, 150 * 1000000 };
        nanosleep(&nap, NULL);          /* its deadline passes */
        g_in_run = -1;
        if (run_alone("spinout.wasm", 300, &took) != WB_OUTCOME_TIMEOUT)
            _exit(2);
        if (took < 300 || took > 5000)
            _exit(3);
        _exit(g_in_run != before ? 4 : 0);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (!WIFEXITED(status))
        fail_msg("the child died of signal %d", WTERMSIG(status));
    static const char *why[] = {
        "", "hello2 did not exit", "spinout did not time out",
        "spinout's deadline was not on time", "a thread ran beside the guest",
    };
    int code = WEXITSTATUS(status);
    if (code)
        fail_msg("%s", code < 5 ? why[code] : "the child failed");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alone_without_thread),
        cmocka_unit_test(test_runs_in_turn),
        cmocka_unit_test(test_earlier_deadline_wakes),
        cmocka_unit_test(test_ended_run_untouched),
        cmocka_unit_test(test_runs_at_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
