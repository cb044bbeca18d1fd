/* test_native_stack.c: the stack bounds compiled code checks its depth
 * against (src/engine/native_rt.c). For the initial thread they are
 * what pthread_getattr_np reads from /proc/self/maps, found without
 * opening any file (a lock-down hides /proc, and reading it was ~5% of
 * a cached hello-world's start): the same with every open refused by a
 * seccomp filter; another thread's are glibc's. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <seccomp.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/native.h"

typedef struct bounds {
    void *lo;
    size_t size;
    bool ok;
} bounds;

static bounds glibc_bounds(void)
{
    bounds b = { 0 };
    pthread_attr_t a;
    assert_int_equal(pthread_getattr_np(pthread_self(), &a), 0);
    assert_int_equal(pthread_attr_getstack(&a, &b.lo, &b.size), 0);
    pthread_attr_destroy(&a);
    b.ok = true;
    return b;
}

static bounds ours(void)
{
    bounds b;
    b.ok = wb_native_stack_bounds(&b.lo, &b.size);
    return b;
}

static void same(bounds got, bounds want)
{
    assert_true(got.ok);
    assert_ptr_equal(got.lo, want.lo);
    assert_int_equal(got.size, want.size);
}

static void test_initial_thread_is_glibcs(void **state)
{
    same(ours(), glibc_bounds());
}

/* open and openat fail with EACCES from now on. */
static void refuse_opens(void)
{
    scmp_filter_ctx f = seccomp_init(SCMP_ACT_ALLOW);
    if (!f || seccomp_rule_add(f, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(open), 0) ||
        seccomp_rule_add(f, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(openat), 0) ||
        seccomp_load(f))
        _exit(3);
}

/* Under RLIMIT_STACK of 8 MiB at most (from 64 MiB up glibc is asked),
 * whatever the test was started with. */
static void test_initial_thread_without_files(void **state)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct rlimit rl;
        if (getrlimit(RLIMIT_STACK, &rl))
            _exit(5);
        if (rl.rlim_cur > (8u << 20))
            rl.rlim_cur = 8u << 20;
        if (setrlimit(RLIMIT_STACK, &rl))
            _exit(5);
        bounds want = glibc_bounds();
        refuse_opens();
        pthread_attr_t a;           /* glibc's way fails here now */
        if (pthread_getattr_np(pthread_self(), &a) == 0)
            _exit(4);
        bounds got = ours();
        _exit(!got.ok ? 1 : got.lo != want.lo || got.size != want.size
                     ? 2 : 0);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

static void *other(void *arg)
{
    bounds *b = arg;
    b[0] = ours();
    b[1] = glibc_bounds();
    return NULL;
}

static void test_other_thread_is_glibcs(void **state)
{
    bounds b[2];
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, other, b), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    same(b[0], b[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_initial_thread_is_glibcs),
        cmocka_unit_test(test_initial_thread_without_files),
        cmocka_unit_test(test_other_thread_is_glibcs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
