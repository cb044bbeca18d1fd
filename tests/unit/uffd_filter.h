/* uffd_filter.h: for unit tests that run part of themselves in a forked
 * child as if under a worker's OS lock-down, as far as the snapshot code
 * can tell: a seccomp filter that kills userfaultfd (as
 * src/sandbox/oslock_seccomp.c does) and allows everything else.
 * Include after <cmocka.h>. */
#ifndef WB_TEST_UFFD_FILTER_H
#define WB_TEST_UFFD_FILTER_H

#include <seccomp.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

/* Load it into this process (a child: it cannot be undone). false: it
 * could not be loaded. */
static inline bool wb_test_kill_userfaultfd(void)
{
    scmp_filter_ctx f = seccomp_init(SCMP_ACT_ALLOW);
    bool ok = f && !seccomp_rule_add(f, SCMP_ACT_KILL_PROCESS,
                                     SCMP_SYS(userfaultfd), 0) &&
              !seccomp_load(f);
    if (f)
        seccomp_release(f);
    return ok;
}

/* Run the group `tests` in a child process under that filter (fork
 * before any thread of the test exists); before it, `setup` in the child
 * (NULL: none). 0: all passed. */
static inline int wb_test_run_filtered(const char *name,
                                       const struct CMUnitTest *tests,
                                       size_t n, void (*setup)(void))
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        return 1;
    if (pid == 0) {
        if (!wb_test_kill_userfaultfd())
            _exit(3);
        if (setup)
            setup();
        _exit(_cmocka_run_group_tests(name, tests, n, NULL, NULL) ? 1 : 0);
    }
    int ws = 0;
    if (waitpid(pid, &ws, 0) != pid || !WIFEXITED(ws)) {
        printf("%s: the child died (signal %d)\n", name,
               WIFSIGNALED(ws) ? WTERMSIG(ws) : 0);
        return 1;
    }
    return WEXITSTATUS(ws);
}

#endif
