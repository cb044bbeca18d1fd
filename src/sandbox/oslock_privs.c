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
#include "common/file.h"
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
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

static bool paths_usable(const wb_oslock_path *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (access(p[i].path, R_OK | X_OK | (p[i].write ? W_OK : 0)))
            return false;
    return true;
}

/* This thread's ids are these (and its groups, when `groups` is set)? */
static bool ids_are(uid_t u, gid_t rg, gid_t eg, gid_t sg,
                    const gid_t *groups, int ng)
{
    uid_t r, e, s;
    gid_t g[3];
    if (getresuid(&r, &e, &s) || r != u || e != u || s != u ||
        getresgid(&g[0], &g[1], &g[2]) || g[0] != rg || g[1] != eg ||
        g[2] != sg)
        return false;
    if (!groups)
        return true;
    gid_t *now = malloc(((size_t)ng + 1) * sizeof *now);
    bool same = now && getgroups(ng, now) == ng &&
                !memcmp(now, groups, (size_t)ng * sizeof *now);
    free(now);
    return same;
}

/* Can uid/gid use every path with its access? The kernel's own check
 * (groups and ACLs included) made by this thread under their real and
 * effective ids, then undone: the raw system calls change the calling
 * thread's credentials only (glibc's wrappers would change every
 * thread's), and the saved set-user-ID stays 0, which allows the way
 * back. A forked child did the same before (about 0.5 ms of CPU and a
 * wait for its exit at every start). 1 yes, 0 no, -1 when we are not
 * uid 0 alone (the caller forks instead), -2 when the way back failed
 * (the process must not go on: its ids are not what they were). */
static int usable_here(uid_t uid, gid_t gid, const wb_oslock_path *p,
                       size_t n)
{
    gid_t rg, eg, sg;
    int ng = getgroups(0, NULL);
    if (ng < 0 || getresgid(&rg, &eg, &sg) || !ids_are(0, rg, eg, sg, NULL, 0))
        return -1;
    gid_t *groups = malloc(((size_t)ng + 1) * sizeof *groups);
    if (!groups || getgroups(ng, groups) != ng) {
        free(groups);
        return -1;
    }
    bool ok = syscall(SYS_setgroups, 0, NULL) == 0 &&
              syscall(SYS_setresgid, gid, gid, (gid_t)-1) == 0 &&
              syscall(SYS_setresuid, uid, uid, (uid_t)-1) == 0 &&
              paths_usable(p, n);
    bool back = syscall(SYS_setresuid, 0, 0, (uid_t)-1) == 0 &&
                syscall(SYS_setresgid, rg, eg, (gid_t)-1) == 0 &&
                syscall(SYS_setgroups, (size_t)ng, groups) == 0 &&
                ids_are(0, rg, eg, sg, groups, ng);
    free(groups);
    return !back ? -2 : ok;
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
    if (pid == 0)
        _exit(become(uid, gid) && paths_usable(p, n) ? 0 : 1);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return false;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* Does the name service read /etc/passwd before anything else for
 * users (one "passwd:" line in /etc/nsswitch.conf, "files" first)? */
static bool passwd_files_first(void)
{
    FILE *f = fopen("/etc/nsswitch.conf", "re");
    if (!f)
        return false;          /* glibc's built-in default: ask it */
    char line[512];
    int lines = 0;
    bool first = false;
    while (fgets(line, sizeof line, f)) {
        char *p = line + strspn(line, " \t");
        if (strncmp(p, "passwd:", 7))
            continue;
        p += 7 + strspn(p + 7, " \t");
        first = !strncmp(p, "files", 5) && strchr(" \t\n", p[5]);
        lines++;
    }
    fclose(f);
    return lines == 1 && first;
}

/* The first entry of /etc/passwd named `user`: false if none. The file
 * is read whole and parsed from memory: on a file stream, fgetpwent_r
 * asks the kernel for the position before every entry. */
static bool passwd_file_entry(const char *user, uid_t *uid, gid_t *gid)
{
    uint8_t *text;
    size_t len;
    if (wb_file_read("/etc/passwd", 16u << 20, &text, &len))
        return false;
    FILE *f = len ? fmemopen(text, len, "r") : NULL;
    struct passwd pw, *r;
    char buf[1024];
    bool found = false;
    while (f && !found && fgetpwent_r(f, &pw, buf, sizeof buf, &r) == 0)
        if (!strcmp(pw.pw_name, user)) {
            *uid = pw.pw_uid;
            *gid = pw.pw_gid;
            found = true;
        }
    if (f)
        fclose(f);
    free(text);
    return found;
}

/* The user's ids, as getpwnam gives them. When the name service reads
 * /etc/passwd first and the user is there, from that file: getpwnam
 * would return the same entry, after trying nscd (two sockets and
 * connects, ~4% of a cached hello-world's start). 0, or an errno (with
 * ENOENT: no such user). */
int wb_oslock_user_ids(const char *user, uid_t *uid, gid_t *gid)
{
    if (passwd_files_first() && passwd_file_entry(user, uid, gid))
        return 0;
    errno = 0;
    struct passwd *pw = getpwnam(user);
    if (!pw)
        return errno ? errno : ENOENT;
    *uid = pw->pw_uid;
    *gid = pw->pw_gid;
    return 0;
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
    int err = wb_oslock_user_ids(user, &ids->uid, &ids->gid);
    if (err || ids->uid == 0) {
        bool why = err && err != ENOENT;
        wb_err_set(e, WB_E_ARG, "privileges: no unprivileged user '%s'%s%s",
                   user, why ? ": " : "", why ? strerror(err) : "");
        return err ? err : ENOENT;
    }
    int here = n ? usable_here(ids->uid, ids->gid, p, n) : 1;
    if (here == -2) {
        wb_err_set(e, WB_E_IO, "privileges: cannot take back our ids after "
                   "checking the grants as '%s'", user);
        return EPERM;
    }
    ids->drop = here >= 0 ? here : all_usable(ids->uid, ids->gid, p, n);
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
