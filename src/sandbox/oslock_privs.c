/* oslock_privs.c: resource limits and privileges of the lock-down.
 *
 * rlimits: no core files (a core would hold every grant's data and the
 * guest's memory), and a descriptor ceiling. RLIMIT_NPROC is not used:
 * the kernel counts it per real user across the machine, threads
 * included, so a value low enough to stop a fork would also stop this
 * run's watchdog thread or a concurrent run; the seccomp layer refuses
 * every new process exactly instead (clone only with CLONE_THREAD).
 *
 * Started as root, the process drops to an unprivileged user (default
 * nobody) when that user can use every grant: after the drop, paths
 * beneath a grant are checked against the new user's permissions, so a
 * grant it cannot enter (a root-owned mode 0700 directory, as mktemp
 * makes) would break the run. Then it keeps uid 0 but gives up every
 * capability except the filesystem ones (it may still read and write
 * files whatever their mode, as before, but Landlock confines that to
 * the grants); without CAP_SYS_ADMIN, CAP_NET_*, CAP_SYS_PTRACE,
 * CAP_SETUID and CAP_SYS_RESOURCE it cannot undo the other layers. */
#include "sandbox/oslock.h"
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int wb_oslock_rlimits(unsigned max_files, wb_error *e)
{
    struct rlimit core = { 0, 0 }, nofile;
    if (getrlimit(RLIMIT_NOFILE, &nofile) != 0)
        nofile.rlim_max = RLIM_INFINITY;
    rlim_t n = max_files ? max_files : 1024;
    if (n > nofile.rlim_max)
        n = nofile.rlim_max;
    nofile.rlim_cur = nofile.rlim_max = n;
    if (setrlimit(RLIMIT_CORE, &core) != 0 ||
        setrlimit(RLIMIT_NOFILE, &nofile) != 0) {
        int err = errno;
        wb_err_set(e, WB_E_IO, "rlimits: %s", strerror(err));
        return err;
    }
    return 0;
}

static bool become(uid_t uid, gid_t gid)
{
    return setgroups(0, NULL) == 0 && setresgid(gid, gid, gid) == 0 &&
           setresuid(uid, uid, uid) == 0;
}

/* In a child: can uid/gid use every path with its access? Exact (the
 * kernel's own check, groups and ACLs included) and leaves us as we are. */
static bool all_usable(uid_t uid, gid_t gid, const wb_oslock_path *p,
                       size_t n)
{
    if (n == 0)
        return true;
    pid_t pid = fork();
    if (pid < 0)
        return false;
    if (pid == 0) {
        if (!become(uid, gid))
            _exit(1);
        for (size_t i = 0; i < n; i++)
            if (access(p[i].path, R_OK | X_OK | (p[i].write ? W_OK : 0)))
                _exit(1);
        _exit(0);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return false;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int wb_oslock_privs_plan(const char *user, const wb_oslock_path *p,
                         size_t n, wb_oslock_ids *ids, wb_error *e)
{
    memset(ids, 0, sizeof *ids);
    if (geteuid() != 0)
        return 0;
    if (!user)
        user = "nobody";
    if (!strcmp(user, "root"))
        return 0;
    errno = 0;
    struct passwd *pw = getpwnam(user);
    if (!pw || pw->pw_uid == 0) {
        wb_err_set(e, WB_E_ARG, "privileges: no unprivileged user '%s'%s%s",
                   user, errno ? ": " : "", errno ? strerror(errno) : "");
        return errno ? errno : ENOENT;
    }
    ids->uid = pw->pw_uid;
    ids->gid = pw->pw_gid;
    ids->drop = all_usable(ids->uid, ids->gid, p, n);
    return 0;
}

/* Keep uid 0 with the filesystem capabilities only. */
static int keep_file_caps(void)
{
    const unsigned keep = 1u << CAP_DAC_OVERRIDE | 1u << CAP_DAC_READ_SEARCH |
                          1u << CAP_FOWNER | 1u << CAP_FSETID;
    for (int cap = 0; cap < 64; cap++)
        if (!(cap < 32 && (keep >> cap & 1)) &&
            prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL)
            return errno;
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
    struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct d[2] = { { keep, keep, 0 }, { 0, 0, 0 } };
    return syscall(SYS_capset, &h, d) == 0 ? 0 : errno;
}

int wb_oslock_privs_drop(const wb_oslock_ids *ids, wb_error *e)
{
    int err = 0;
    if (geteuid() != 0)
        return 0;
    if (ids->drop && !become(ids->uid, ids->gid))
        err = errno;
    else if (!ids->drop)
        err = keep_file_caps();
    if (err)
        wb_err_set(e, WB_E_IO, "privileges: cannot drop: %s", strerror(err));
    return err;
}
