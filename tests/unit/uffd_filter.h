/* uffd_filter.h: for unit tests that run part of themselves in a forked
 * child as if under a worker's OS lock-down, as far as the snapshot code
 * can tell: a seccomp filter that kills userfaultfd (as
 * src/sandbox/oslock_seccomp.c does) and allows everything else. */
#ifndef WB_TEST_UFFD_FILTER_H
#define WB_TEST_UFFD_FILTER_H

#include <seccomp.h>
#include <stdbool.h>

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

#endif
