/* podlike.c: run a command under a seccomp filter that refuses what a
 * container runtime's default profile (Kubernetes' RuntimeDefault)
 * refuses a process without CAP_SYS_ADMIN and that wasmbox's zygote
 * asks for: unshare(2), setns(2) and clone(2) with a namespace flag
 * (EPERM); clone3 says ENOSYS (so glibc uses clone, as under those
 * profiles). With --no-landlock, the three Landlock calls fail too
 * (EPERM), as under a runtime whose profile predates them.
 *
 *   podlike [--no-landlock] CMD [ARGS...]
 *
 * tests/deploy/sandbox.sh runs `wasmbox serve` under it, as uid 10001
 * with no capabilities and no_new_privs (the Deployment's security
 * context). Everything else is allowed: this stands for the runtime's
 * filter, not for wasmbox's own. Exit status 127 if it cannot start. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

static const unsigned long ns_flags[] = {
    CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID,
    CLONE_NEWNET, CLONE_NEWCGROUP
};

static int add(scmp_filter_ctx f, int err, const char *name)
{
    int nr = seccomp_syscall_resolve_name(name);
    return nr == __NR_SCMP_ERROR ? 0 :
           seccomp_rule_add(f, SCMP_ACT_ERRNO(err), nr, 0);
}

/* clone with any namespace flag: one rule per flag (a rule compares
 * the masked argument with one value) */
static int clone_ns(scmp_filter_ctx f)
{
    for (size_t i = 0; i < sizeof ns_flags / sizeof *ns_flags; i++)
        if (seccomp_rule_add(f, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
                             SCMP_A0(SCMP_CMP_MASKED_EQ, ns_flags[i],
                                     ns_flags[i])))
            return -1;
    return 0;
}

int main(int argc, char **argv)
{
    int i = 1;
    int no_landlock = argc > 1 && !strcmp(argv[1], "--no-landlock");
    i += no_landlock;
    if (i >= argc) {
        fprintf(stderr, "usage: podlike [--no-landlock] CMD [ARGS...]\n");
        return 127;
    }
    scmp_filter_ctx f = seccomp_init(SCMP_ACT_ALLOW);
    int rc = !f;
    if (!rc)
        rc = add(f, EPERM, "unshare") || add(f, EPERM, "setns") ||
             add(f, ENOSYS, "clone3") || clone_ns(f);
    if (!rc && no_landlock)
        rc = add(f, EPERM, "landlock_create_ruleset") ||
             add(f, EPERM, "landlock_add_rule") ||
             add(f, EPERM, "landlock_restrict_self");
    if (!rc)
        rc = prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || seccomp_load(f);
    if (rc) {
        fprintf(stderr, "podlike: cannot install the filter\n");
        return 127;
    }
    seccomp_release(f);
    execvp(argv[i], argv + i);
    fprintf(stderr, "podlike: %s: %s\n", argv[i], strerror(errno));
    return 127;
}
