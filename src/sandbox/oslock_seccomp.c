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
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
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
    /* the deadline's timer, made before (src/sandbox/watchdog_alone.c):
       only this process's timers are found by their ids */
    "timer_settime", "timer_delete",
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

/* As root, the calls that take a file mode: allowed only without the
 * set-user-ID and set-group-ID bits (a process that keeps uid 0 could
 * otherwise leave a set-user-ID root program in a grant other users
 * reach), with the mode's argument index. openat2 takes its mode inside
 * a struct a filter cannot read: it says ENOSYS, and path resolution
 * walks instead (src/wasi/resolve.c). */
static const struct { const char *name; unsigned arg; } with_mode[] = {
    { "open", 2 }, { "openat", 3 }, { "mkdirat", 2 }, { "fchmod", 1 },
    { "fchmodat", 2 },
};

static bool mode_checked(const char *name)
{
    for (size_t i = 0; i < sizeof with_mode / sizeof with_mode[0]; i++)
        if (!strcmp(name, with_mode[i].name))
            return true;
    return !strcmp(name, "openat2");
}

static int add_nosuid(scmp_filter_ctx f)
{
    int rc = seccomp_rule_add(f, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(openat2),
                              0);
    for (size_t i = 0; i < sizeof with_mode / sizeof with_mode[0]; i++) {
        int nr = seccomp_syscall_resolve_name(with_mode[i].name);
        if (nr == __NR_SCMP_ERROR)
            continue;
        struct scmp_arg_cmp c = {
            with_mode[i].arg, SCMP_CMP_MASKED_EQ, S_ISUID | S_ISGID, 0,
        };
        rc |= seccomp_rule_add_array(f, SCMP_ACT_ALLOW, nr, 1, &c);
    }
    return rc;
}

static int add_list(scmp_filter_ctx f, uint32_t action,
                    const char *const *names, size_t n, bool nosuid)
{
    for (size_t i = 0; i < n; i++) {
        int nr = seccomp_syscall_resolve_name(names[i]);
        if (nr == __NR_SCMP_ERROR || (nosuid && mode_checked(names[i])))
            continue;
        int rc = seccomp_rule_add(f, action, nr, 0);
        if (rc)
            return rc;
    }
    return 0;
}

/* Calls allowed with some arguments only. */
/* Stands for this process's pid in the rules of kill and tgkill: the
 * program is built once (a server's zygote builds it for all its
 * workers) and each process writes its own pid over it when it loads the
 * program. Above any pid the kernel gives (pid_max <= 2^22). */
#define PID_SLOT 0x7eadbeefu

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
                           SCMP_A0(SCMP_CMP_EQ, PID_SLOT, 0));
    rc |= seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(kill), 1,
                           SCMP_A0(SCMP_CMP_EQ, PID_SLOT, 0));
    /* an anonymous memory file reaches nothing the process's own memory
       does not: a session kernel's checkpoint is one (snapshot/ckpt.c);
       no huge pages, no executable flags */
    rc |= seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(memfd_create), 1,
                           SCMP_A1(SCMP_CMP_MASKED_EQ,
                                   ~(uint64_t)(MFD_CLOEXEC |
                                               MFD_ALLOW_SEALING), 0));
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

/* The program: libseccomp's rules compiled to classic BPF. */
typedef struct program {
    const struct sock_filter *insns;
    unsigned short len;
    bool builtin;                      /* static: never freed */
} program;

/* Outbound HTTP (src/net/): TCP sockets to the rules' hosts and the
 * resolver's UDP queries; the addresses are checked by src/net/ and the
 * ports by Landlock. Only when the run has network rules. */
static int add_net(scmp_filter_ctx f)
{
    int rc = 0;
    static const int families[] = { AF_INET, AF_INET6 };
    for (int i = 0; i < 2; i++)
        rc |= seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
                               SCMP_A0(SCMP_CMP_EQ, (uint64_t)families[i], 0));
    rc |= seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(connect), 0);
    rc |= seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(sendmmsg), 0);
    return rc;
}

static scmp_filter_ctx build_rules(bool trap, bool nosuid, bool net,
                                   wb_error *e)
{
    uint32_t kill = trap ? SCMP_ACT_TRAP : SCMP_ACT_KILL_PROCESS;
    scmp_filter_ctx f = seccomp_init(SCMP_ACT_ERRNO(EPERM));
    if (!f) {
        wb_err_set(e, WB_E_NOMEM, "seccomp: cannot make a filter");
        return NULL;
    }
    /* A binary tree over the system-call numbers, not a list of ~200
     * comparisons: the kernel runs the program once per syscall number
     * when it loads it (its cache of always-allowed calls, with
     * interrupts off), and on every call the cache does not cover. */
    int rc = seccomp_attr_set(f, SCMP_FLTATR_CTL_OPTIMIZE, 2);
    if (!rc)
        rc = add_list(f, SCMP_ACT_ALLOW, allowed,
                      sizeof allowed / sizeof allowed[0], nosuid);
    if (!rc)
        rc = add_list(f, kill, killed, sizeof killed / sizeof killed[0],
                      false);
    if (!rc && nosuid)
        rc = add_nosuid(f);
    if (!rc)
        rc = add_conditional(f, kill);
    if (!rc && net)
        rc = add_net(f);
    if (rc) {
        wb_err_set(e, WB_E_IO, "seccomp: cannot build the filter: %s",
                   strerror(-rc));
        seccomp_release(f);
        return NULL;
    }
    return f;
}

/* The compiled program, read back through a memory file. */
static program *export_program(scmp_filter_ctx f, wb_error *e)
{
    program *p = calloc(1, sizeof *p);
    int fd = memfd_create("wasmbox-seccomp", MFD_CLOEXEC);
    struct stat st;
    int rc = !p || fd < 0 ? -errno : seccomp_export_bpf(f, fd);
    if (!rc && fstat(fd, &st) != 0)
        rc = -errno;
    size_t n = rc ? 0 : (size_t)st.st_size / sizeof *p->insns;
    struct sock_filter *insns = NULL;
    if (!rc && (n == 0 || n > BPF_MAXINSNS))
        rc = -E2BIG;
    if (!rc && !(p->insns = insns = malloc(n * sizeof *p->insns)))
        rc = -ENOMEM;
    if (!rc && pread(fd, insns, n * sizeof *p->insns, 0) !=
               (ssize_t)(n * sizeof *p->insns))
        rc = -EIO;
    if (fd >= 0)
        close(fd);
    if (rc) {
        wb_err_set(e, WB_E_IO, "seccomp: cannot compile the filter: %s",
                   strerror(-rc));
        wb_oslock_seccomp_free(p);
        return NULL;
    }
    p->len = (unsigned short)n;
    return p;
}

void *wb_oslock_seccomp_compile(bool trap, bool nosuid, bool net,
                                wb_error *e)
{
    scmp_filter_ctx f = build_rules(trap, nosuid, net, e);
    program *p = f ? export_program(f, e) : NULL;
    if (f)
        seccomp_release(f);
    return p;
}

#ifdef WB_SECCOMP_BUILTIN
/* wb_seccomp_builtin[trap][nosuid][net], programs written by the
 * generator at build time: libseccomp took 0.7 ms and ~45 page faults
 * (its rule database on fresh heap) of every start. test_seccomp checks
 * that they are what libseccomp makes of the rules above on the machine
 * it runs on. */
#include "seccomp_builtin.h"

void *wb_oslock_seccomp_build(bool trap, bool nosuid, bool net, wb_error *e)
{
    return (void *)&wb_seccomp_builtin[trap][nosuid][net];
}
#else
void *wb_oslock_seccomp_build(bool trap, bool nosuid, bool net, wb_error *e)
{
    return wb_oslock_seccomp_compile(trap, nosuid, net, e);
}
#endif

const void *wb_oslock_seccomp_insns(const void *filter, unsigned *len)
{
    const program *p = filter;
    *len = p->len;
    return p->insns;
}

int wb_oslock_seccomp_apply(void *filter, bool *missing, wb_error *e)
{
    /* EINVAL: a kernel built without seccomp */
    *missing = prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0 && errno == EINVAL;
    if (*missing)
        return 0;
    const program *p = filter;
    struct sock_filter *insns = malloc(p->len * sizeof *insns);
    if (!insns)
        return wb_err_set(e, WB_E_NOMEM, "seccomp: out of memory"), ENOMEM;
    memcpy(insns, p->insns, p->len * sizeof *insns);
    unsigned slots = 0;
    for (unsigned i = 0; i < p->len; i++)
        if (insns[i].code == (BPF_JMP | BPF_JEQ | BPF_K) &&
            insns[i].k == PID_SLOT) {
            insns[i].k = (uint32_t)getpid();
            slots++;
        }
    struct sock_fprog prog = { p->len, insns };
    /* every thread, a watchdog's too, gets it (no_new_privs is set) */
    /* kill's and tgkill's tests may share one block: at least one */
    int rc = !slots ? EPROTO
           : syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                     SECCOMP_FILTER_FLAG_TSYNC, &prog) == 0 ? 0 : errno;
    free(insns);
    if (rc)
        wb_err_set(e, WB_E_IO, "seccomp: cannot load the filter: %s",
                   rc == EPROTO ? "the pid rule is missing"
                                : strerror(rc));
    return rc;
}

void wb_oslock_seccomp_free(void *filter)
{
    program *p = filter;
    if (p && !p->builtin) {
        free((void *)p->insns);
        free(p);
    }
}
