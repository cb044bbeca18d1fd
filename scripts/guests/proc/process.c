/* process.c: fork, wait, kill and process ids over wasmbox_proc, and the
 * start-up working directory. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include "wb_proc.h"
#include "imports.h"

extern char *__wasilibc_cwd;        /* wasi-libc's cwd (getcwd.c) */

/* Runs before main: the directory spawn or exec named for this image
 * (wasi-libc keeps the cwd in guest memory, which starts as "/"). A fork
 * child does not run it: its memory already holds the parent's. */
__attribute__((constructor)) static void enter_cwd(void)
{
    wb_proc_enter_cwd();
}

int wb_proc_enter_cwd(void)
{
    char buf[4096];
    size_t len = 0;
    int e = wb_host_cwd(buf, sizeof buf - 1, &len);
    if (e)
        return wb_proc_fail(e);
    buf[len] = '\0';
    if (!len || !strcmp(buf, "/") || chdir(buf) == 0)
        return 0;
    /* A directory that is gone (removed while the parent was in it) or
     * out of reach: keep its name, as a Linux child keeps a removed cwd,
     * so that relative names fail (ENOENT). Staying in "/" made them
     * name the root's files: `rm -rf g` run there emptied the grant at
     * /g (tests/attack/README.md, round 2). */
    char *keep = buf[0] == '/' ? strdup(buf) : NULL;
    if (keep)
        __wasilibc_cwd = keep;      /* chdir.c never frees it: not its */
    return -1;
}

pid_t fork(void)
{
    int32_t r = wb_host_fork();
    return r < 0 ? wb_proc_fail(-r) : r;
}

/* The child gets its own copy of memory, which vfork allows. */
pid_t vfork(void)
{
    return fork();
}

/* A reaped child kept for the next wait (sigsuspend waits for real). */
#define STASH_MAX 16
static struct { pid_t pid; int status; } stash[STASH_MAX];
static int stashed;

void wb_proc_stash_put(pid_t pid, int status)
{
    if (stashed < STASH_MAX) {
        stash[stashed].pid = pid;
        stash[stashed].status = status;
        stashed++;
    }
}

int wb_proc_stash_take(pid_t pid, int *status)
{
    for (int i = 0; i < stashed; i++) {
        if (pid != -1 && stash[i].pid != pid)
            continue;
        pid_t got = stash[i].pid;
        if (status)
            *status = stash[i].status;
        stash[i] = stash[--stashed];
        return got;
    }
    return 0;
}

/* No process groups: pid 0 and -pgid wait for any child. */
pid_t waitpid(pid_t pid, int *status, int options)
{
    if (pid < -1 || pid == 0)
        pid = -1;
    pid_t got = wb_proc_stash_take(pid, status);
    if (got)
        return got;
    int32_t st = 0;
    int32_t r = wb_host_wait(pid, options & WNOHANG, &st);
    if (r < 0)
        return wb_proc_fail(-r);
    if (r > 0 && status)
        *status = st;
    return r;
}

pid_t wait(int *status)
{
    return waitpid(-1, status, 0);
}

pid_t wait4(pid_t pid, int *status, int options, struct rusage *usage)
{
    if (usage)
        memset(usage, 0, sizeof *usage);   /* the host keeps no account */
    return waitpid(pid, status, options);
}

pid_t wait3(int *status, int options, struct rusage *usage)
{
    return wait4(-1, status, options, usage);
}

int kill(pid_t pid, int sig)
{
    /* one process group per process: -pid names that process */
    if (pid < -1)
        pid = -pid;
    else if (pid == 0)
        pid = getpid();
    return wb_proc_fail(wb_host_kill(pid, sig));
}

int killpg(pid_t pgrp, int sig)
{
    if (pgrp < 0)
        return wb_proc_fail(EINVAL);
    return kill(pgrp ? pgrp : getpid(), sig);
}

pid_t getpid(void) { return wb_host_getpid(); }
pid_t getppid(void) { return wb_host_getppid(); }

/* Every process is the leader of its own group and session; there is no
 * terminal to own. */
pid_t getpgrp(void) { return getpid(); }
pid_t getpgid(pid_t pid) { return pid ? pid : getpid(); }
pid_t getsid(pid_t pid) { return pid ? pid : getpid(); }
pid_t setsid(void) { return getpid(); }

int setpgid(pid_t pid, pid_t pgid)
{
    (void)pid; (void)pgid;
    return 0;
}

pid_t tcgetpgrp(int fd)
{
    (void)fd;
    return wb_proc_fail(ENOTTY);
}

int tcsetpgrp(int fd, pid_t pgrp)
{
    (void)fd; (void)pgrp;
    return wb_proc_fail(ENOTTY);
}
