/* oslock_seccomp.c: the system-call layer of the lock-down, a seccomp-bpf
 * allowlist built with libseccomp. After lock-down the process only does
 * what the interpreter and the WASI layer do (reads and writes through
 * descriptors it holds, paths beneath its grants, clocks, random bytes,
 * memory, threads, the granted sockets); every other call fails with
 * EPERM, and the calls an exploit would want first kill the process
 * (SIGSYS): so a guest that has broken the engine can neither start a
 * program, open a network connection, debug or read another process,
 * mount, load kernel code, nor make memory executable.
 *
 * The list was taken from strace -f of the WASI, escape, CLI and guest
 * suites (C, Python, QuickJS, Lua and SQLite guests: files, directories,
 * links, symlinks, poll_oneoff, clocks, random, FIFOs in grants, granted
 * sockets), plus the calls of the same families those paths may take. */
#include "sandbox/oslock.h"
#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

/* Allowed without conditions. Names unknown on this architecture (e.g.
 * "poll" on arm64) are skipped. */
static const char *const allowed[] = {
    /* descriptors */
    "read", "write", "readv", "writev", "pread64", "pwrite64", "preadv",
    "pwritev", "preadv2", "pwritev2", "lseek", "close", "dup", "dup2",
    "dup3", "fcntl", "fstat", "fstatfs", "fsync", "fdatasync", "ftruncate",
    "fallocate", "fadvise64", "flock", "sendfile", "copy_file_range",
    /* paths, always relative to a grant's descriptor (Landlock bounds
       them) */
    "openat", "openat2", "open", "newfstatat", "stat", "lstat", "statx",
    "getdents64", "mkdirat", "unlinkat", "renameat", "renameat2", "linkat",
    "symlinkat", "readlinkat", "readlink", "utimensat", "fchmod",
    "fchmodat", "faccessat", "faccessat2", "access", "getcwd", "statfs",
    /* waiting */
    "poll", "ppoll", "select", "pselect6", "epoll_create1", "epoll_ctl",
    "epoll_wait", "epoll_pwait", "pipe2", "eventfd2",
    /* time, randomness */
    "clock_gettime", "clock_getres", "clock_nanosleep", "nanosleep",
    "gettimeofday", "time", "getrandom",
    /* memory (mmap and mprotect: below, without PROT_EXEC) */
    "munmap", "mremap", "madvise", "brk", "membarrier",
    /* threads, signals, exit */
    "futex", "set_robust_list", "get_robust_list", "rseq", "sched_yield",
    "sched_getaffinity", "gettid", "getpid", "getppid", "getuid",
    "geteuid", "getgid", "getegid", "getresuid", "getresgid", "getrusage",
    "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigtimedwait",
    "rt_sigpending",
    "sigaltstack", "restart_syscall", "exit", "exit_group", "uname",
    "wait4", "waitid",        /* children started before the lock-down */
    /* the embedder's granted sockets (no socket(2) nor connect(2)) */
    "recvfrom", "sendto", "recvmsg", "sendmsg", "shutdown", "accept",
    "accept4", "getsockopt", "setsockopt", "getsockname", "getpeername",
#ifdef WB_OSLOCK_SANITIZER
    /* LeakSanitizer's exit check stops the threads with ptrace from a
       helper task; Landlock still confines ptrace to this process */
    "ptrace", "prctl", "sched_getparam", "getpgid", "getdents",
#endif
};

/* Kill the process (SIGSYS): calls no WASI path needs and every exploit
 * of a runtime wants. The rest of what is not allowed fails with EPERM. */
static const char *const killed[] = {
#ifndef WB_OSLOCK_SANITIZER
    "ptrace",
#endif
    "process_vm_readv", "process_vm_writev", "bpf", "kexec_load",
    "kexec_file_load", "init_module", "finit_module", "delete_module",
    "userfaultfd", "perf_event_open", "mount", "umount2", "pivot_root",
    "fsopen", "fsmount", "fsconfig", "move_mount", "open_tree", "fspick",
    "mount_setattr", "unshare", "setns", "keyctl", "add_key", "request_key",
    "pkey_mprotect", "personality", "swapon", "swapoff", "reboot",
    "iopl", "ioperm", "chroot", "setuid", "setgid", "setreuid", "setregid",
    "setresuid", "setresgid", "setgroups", "setfsuid", "setfsgid", "capset",
#ifndef WB_OSLOCK_SANITIZER
    /* sanitizer builds: EPERM, so a report that tries to start a
       symbolizer is still printed (unsymbolized) */
    "execve", "execveat",
#endif
};

#define NS_FLAGS (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | \
                  CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET)

static int add_list(scmp_filter_ctx f, uint32_t action,
                    const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int nr = seccomp_syscall_resolve_name(names[i]);
        if (nr == __NR_SCMP_ERROR)
            continue;
        int rc = seccomp_rule_add(f, action, nr, 0);
        if (rc)
            return rc;
    }
    return 0;
}

/* Calls allowed with some arguments only. */
static int add_conditional(scmp_filter_ctx f, uint32_t kill)
{
    int rc = 0;
    /* memory is never made executable after start-up: no JIT here */
    rc |= seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
                           SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
    rc |= seccomp_rule_add(f, kill, SCMP_SYS(mmap), 1,
                           SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, PROT_EXEC));
    rc |= seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
                           SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
    rc |= seccomp_rule_add(f, kill, SCMP_SYS(mprotect), 1,
                           SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, PROT_EXEC));
    /* threads (CLONE_THREAD) in this process, no new namespace; glibc
       falls back from clone3, whose flags a filter cannot see, to clone */
    rc |= seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
                           SCMP_A0(SCMP_CMP_MASKED_EQ,
                                   CLONE_THREAD | NS_FLAGS, CLONE_THREAD));
#ifdef WB_OSLOCK_SANITIZER
    /* LeakSanitizer's tracer task (CLONE_VM without CLONE_THREAD) */
    rc |= seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
                           SCMP_A0(SCMP_CMP_MASKED_EQ,
                                   CLONE_THREAD | NS_FLAGS | CLONE_VM,
                                   CLONE_VM));
#endif
    rc |= seccomp_rule_add(f, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
    /* a private pair of connected Unix sockets reaches nothing: a
       session's interpreter is fed through one (wb_session_kernel.c) */
    rc |= seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(socketpair), 1,
                           SCMP_A0(SCMP_CMP_EQ, AF_UNIX, 0));
    /* signals to this process only (abort, raise; a thread's wake-up);
       the second datum of an EQ comparison is unused */
    rc |= seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
                           SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid(), 0));
    rc |= seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(kill), 1,
                           SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid(), 0));
    /* limits may be read, not raised */
    rc |= seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(prlimit64), 2,
                           SCMP_A0(SCMP_CMP_EQ, 0, 0), SCMP_A2(SCMP_CMP_EQ, 0, 0));
    /* isatty, FIONREAD, non-blocking mode, window size; not TIOCSTI */
    static const unsigned long ioctls[] = {
        TCGETS, FIONREAD, FIONBIO, TIOCGWINSZ, FIOCLEX, FIONCLEX,
    };
    for (size_t i = 0; i < sizeof ioctls / sizeof ioctls[0]; i++)
        rc |= seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
                               SCMP_A1(SCMP_CMP_EQ, ioctls[i], 0));
    return rc;
}

void *wb_oslock_seccomp_build(bool trap, wb_error *e)
{
    uint32_t kill = trap ? SCMP_ACT_TRAP : SCMP_ACT_KILL_PROCESS;
    scmp_filter_ctx f = seccomp_init(SCMP_ACT_ERRNO(EPERM));
    if (!f) {
        wb_err_set(e, WB_E_NOMEM, "seccomp: cannot make a filter");
        return NULL;
    }
    /* every thread, the watchdog's too, gets the filter */
    int rc = seccomp_attr_set(f, SCMP_FLTATR_CTL_TSYNC, 1);
    if (!rc)
        rc = add_list(f, SCMP_ACT_ALLOW, allowed,
                      sizeof allowed / sizeof allowed[0]);
    if (!rc)
        rc = add_list(f, kill, killed, sizeof killed / sizeof killed[0]);
    if (!rc)
        rc = add_conditional(f, kill);
    if (rc) {
        wb_err_set(e, WB_E_IO, "seccomp: cannot build the filter: %s",
                   strerror(-rc));
        seccomp_release(f);
        return NULL;
    }
    return f;
}

int wb_oslock_seccomp_apply(void *filter, bool *missing, wb_error *e)
{
    /* EINVAL: a kernel built without seccomp */
    *missing = prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0 && errno == EINVAL;
    if (*missing)
        return 0;
    int rc = seccomp_load(filter);
    if (rc) {
        wb_err_set(e, WB_E_IO, "seccomp: cannot load the filter: %s",
                   strerror(-rc));
        return -rc;
    }
    return 0;
}

void wb_oslock_seccomp_free(void *filter)
{
    if (filter)
        seccomp_release(filter);
}
