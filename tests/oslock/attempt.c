/* attempt.c: the test hook of tests/oslock/run.sh, linked only into
 * build/tests/wasmbox-attempt (with src/sandbox/run.c compiled with
 * -DWB_TEST_HOOKS), never into wasmbox. Right after the lock-down, before
 * the guest, it does what $WB_TEST_ATTEMPT names, standing for a guest
 * that has already broken the engine, and prints one line on stderr:
 *   "attempt KIND: allowed" or "attempt KIND: refused: <errno text>"
 * (or nothing: the process was killed). Then the run goes on.
 *   open:PATH     open PATH for reading
 *   write:PATH    create PATH and write to it
 *   exec          execve("/bin/sh", "-c", "echo attempt exec: allowed")
 *   connect:PORT  TCP connect to 127.0.0.1:PORT
 *   ptrace        PTRACE_SEIZE of the parent process
 *   mprotect      make an anonymous page executable
 *   uffd          userfaultfd(O_CLOEXEC | O_NONBLOCK): a descriptor that
 *                 can stall the kernel's own faults on guest pages
 *   uffd-user     the same with UFFD_USER_MODE_ONLY (the lock-down kills
 *                 both: docs/os-sandbox.md)
 *   memfd:FLAGS   memfd_create with FLAGS (a number): the lock-down allows
 *                 MFD_CLOEXEC and MFD_ALLOW_SEALING only
 *   segv          write to address 16 from host code (the process dies)
 * and, in a server's worker process (tests/isolation/attack.sh), attacks
 * on the server through what the worker holds:
 *   env:NAME      NAME is in the environment ("allowed": it is)
 *   memfind:TEXT  TEXT is in the process's argument/environment strings
 *                 (the top of the first stack), even after clearenv
 *   fdpass:N      N frames on the channel, each carrying two descriptors
 *                 (SCM_RIGHTS), that the server must not keep
 *   badbool       a W_RESULT whose raw bools hold 0x55, sent in place of
 *                 the worker's own (which then follows: the server must
 *                 have ended the worker already)
 *   hang          never answer
 *   hdr:TYPE:LEN  a frame header only, then never answer
 *   closechan     close the channel, then spin
 *   sigio:PID     make SIGIO of a pipe a SIGKILL to PID, then trigger it
 *   kill:PID      kill(PID, SIGKILL)
 *   ptrace:PID    PTRACE_SEIZE of PID (another tenant's worker)
 *   vmread:PID    process_vm_readv of PID's memory (the same)
 *   stdout        write a line to descriptor 1
 *   stderr:TEXT   write the line TEXT to descriptor 2 (the server's log)
 *   suid:PATH     create PATH and make it set-user-ID ("allowed": the
 *                 bit is set)
 *   whoami        the line is "attempt whoami: pid P uid U gid G" (which
 *                 worker ran the step, and as whom)
 * and, for sanitizer builds (their reports must still work under the
 * lock-down):
 *   leak          lose a malloc'd block (LeakSanitizer at exit)
 *   overflow      write past a malloc'd block (AddressSanitizer) */
#include "sandbox/oslock.h"
#include "session/wb_session.h"
#include <signal.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <linux/userfaultfd.h>
#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1
#endif
#include <sys/socket.h>
#include <unistd.h>

static void said(const char *kind, int rc, char *line, size_t cap)
{
    if (rc == 0)
        snprintf(line, cap, "attempt %s: allowed\n", kind);
    else
        snprintf(line, cap, "attempt %s: refused: %s\n", kind,
                 strerror(rc));
}

static int try_open(const char *path, bool write)
{
    int fd = write ? open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)
                   : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    int rc = 0;
    char c;
    if (write ? (size_t)pwrite(fd, "escaped\n", 8, 0) != 8
              : pread(fd, &c, 1, 0) < 0)
        rc = errno;
    close(fd);
    return rc;
}

static int try_exec(void)
{
    char *argv[] = { "sh", "-c", "echo 'attempt exec: allowed' >&2", NULL };
    char *envp[] = { NULL };
    execve("/bin/sh", argv, envp);
    return errno;
}

static int try_connect(const char *port)
{
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return errno;
    struct sockaddr_in a = { .sin_family = AF_INET,
                             .sin_port = htons((uint16_t)atoi(port)) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int rc = connect(s, (struct sockaddr *)&a, sizeof a) ? errno : 0;
    close(s);
    return rc;
}

static int try_ptrace(void)
{
    return ptrace(PTRACE_SEIZE, getppid(), NULL, NULL) ? errno : 0;
}

/* Another process's memory (another tenant's worker): PTRACE_SEIZE and
 * process_vm_readv. The workers are forks of one zygote, so the address of
 * our own static buffer is mapped in theirs too: a read that seccomp let
 * through would succeed, not fail with EFAULT. */
static int try_ptrace_pid(const char *pid)
{
    return ptrace(PTRACE_SEIZE, atoi(pid), NULL, NULL) ? errno : 0;
}

static int try_vmread(const char *pid)
{
    static char there[64] = "wb-test-vmread";
    char here[sizeof there];
    struct iovec l = { here, sizeof here }, r = { there, sizeof there };
    return syscall(SYS_process_vm_readv, atoi(pid), &l, 1ul, &r, 1ul, 0ul) < 0
           ? errno : 0;
}

static int try_mprotect(void)
{
    long pg = sysconf(_SC_PAGESIZE);
    void *p = mmap(NULL, (size_t)pg, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return errno;
    int rc = mprotect(p, (size_t)pg, PROT_READ | PROT_EXEC) ? errno : 0;
    munmap(p, (size_t)pg);
    return rc;
}

/* Raw system calls (the C library may lack the wrappers); a descriptor
 * made is closed at once: only whether the call is allowed matters. */
static int closed(long fd)
{
    if (fd < 0)
        return errno;
    close((int)fd);
    return 0;
}

static int try_uffd(bool user_mode_only)
{
    return closed(syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK |
                          (user_mode_only ? UFFD_USER_MODE_ONLY : 0)));
}

static int try_memfd(const char *flags)
{
    return closed(syscall(SYS_memfd_create, "attempt",
                          strtoul(flags, NULL, 0)));
}

/* volatile: the compiler must not drop the block nor the write */
static void *volatile lost;

static int try_leak(void)
{
    lost = malloc(4096);
    lost = NULL;
    return 0;
}

static int try_overflow(size_t n)
{
    volatile char *p = malloc(n);      /* n: a size the compiler cannot see */
    p[n] = 1;
    free((void *)p);
    return 0;
}

/* A fault in host code, outside any guest memory: the process dies. */
static int try_segv(void)
{
    int *volatile p = (int *)(uintptr_t)16;
    *p = 1;
    return EFAULT;
}

/* ---- a server's worker: attacks through its channel -------------------- */

enum { W_RESULT = 4, W_CRASH = 5 };   /* wb_session_worker.c's frame types */

/* The worker's channel: its first socket (a step's stdin is a memfd). */
static int channel(void)
{
    for (int fd = 0; fd < 1024; fd++) {
        struct stat st;
        if (fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode))
            return fd;
    }
    return -1;
}

static int try_env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? 0 : ENOENT;
}

/* The argument and environment strings lie between argv[0] and the
 * executable's name at the top of the first stack. */
static int try_memfind(const char *text)
{
    const char *lo = program_invocation_name;
    const char *hi = (const char *)getauxval(AT_EXECFN);
    size_t n = strlen(text);
    if (!lo || !hi || hi < lo || !n)
        return EINVAL;
    hi += strlen(hi);
    for (const char *p = lo; p + n <= hi; p++)
        if (!memcmp(p, text, n))
            return 0;
    return ENOENT;
}

static int try_fdpass(long n)
{
    int ch = channel(), pfd[2];
    if (ch < 0 || pipe2(pfd, O_CLOEXEC))
        return ch < 0 ? ENOTSOCK : errno;
    int rc = 0;
    for (long i = 0; i < n && !rc; i++) {
        uint32_t frame[3] = { W_CRASH, 4, (uint32_t)-1 };
        struct iovec iov = { frame, sizeof frame };
        union { struct cmsghdr h; char b[CMSG_SPACE(2 * sizeof(int))]; } cm;
        memset(&cm, 0, sizeof cm);
        struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
                            .msg_control = cm.b, .msg_controllen = sizeof cm.b };
        struct cmsghdr *c = CMSG_FIRSTHDR(&m);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(2 * sizeof(int));
        memcpy(CMSG_DATA(c), pfd, sizeof pfd);
        if (sendmsg(ch, &m, MSG_NOSIGNAL) != (ssize_t)sizeof frame)
            rc = errno ? errno : EIO;
    }
    close(pfd[0]);
    close(pfd[1]);
    return rc;
}

/* A well-formed W_RESULT but for the run result's bools. */
static int try_badbool(void)
{
    int ch = channel();
    if (ch < 0)
        return ENOTSOCK;
    wb_run_result run;
    memset(&run, 0, sizeof run);
    run.outcome = WB_OUTCOME_EXITED;
    memset(&run.stdout_truncated, 0x55, 1);
    memset(&run.stderr_truncated, 0x55, 1);
    wb_wbuf w = { 0 };
    wb_wput_u32(&w, 0);
    wb_wput_str(&w, "");
    wb_wput_u32(&w, 0);
    wb_wput_u32(&w, 0);
    wb_wput_raw(&w, &run, sizeof run);
    wb_wput_bytes(&w, "forged\n", 7);
    wb_wput_bytes(&w, "", 0);
    for (int i = 0; i < 3; i++)
        wb_wput_u32(&w, 0);
    wb_wput_str(&w, "");
    wb_wput_u32(&w, 0);
    wb_wput_str(&w, "");
    int rc = wb_frame_send(ch, W_RESULT, &w, -1);
    wb_wbuf_free(&w);
    return rc;
}

static _Noreturn void forever(bool spin)
{
    for (;;)
        if (!spin)
            pause();
}

static int try_hdr(const char *arg)
{
    int ch = channel();
    uint32_t hdr[2] = { (uint32_t)strtoul(arg, NULL, 0), 0 };
    const char *colon = strchr(arg, ':');
    hdr[1] = colon ? (uint32_t)strtoul(colon + 1, NULL, 0) : 0;
    if (ch < 0 || write(ch, hdr, sizeof hdr) != sizeof hdr)
        return ch < 0 ? ENOTSOCK : errno;
    forever(false);
}

static int try_closechan(void)
{
    int ch = channel();
    if (ch < 0)
        return ENOTSOCK;
    close(ch);
    forever(true);
}

static int try_sigio(const char *pid)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC))
        return errno;
    int rc = 0;
    if (fcntl(p[0], F_SETOWN, atoi(pid)) || fcntl(p[0], F_SETSIG, SIGKILL) ||
        fcntl(p[0], F_SETFL, O_ASYNC | O_NONBLOCK) || write(p[1], "x", 1) != 1)
        rc = errno;
    close(p[0]);
    close(p[1]);
    return rc;
}

static int try_stdout(void)
{
    static const char line[] = "{\"jsonrpc\":\"2.0\",\"id\":1,"
                               "\"result\":\"forged by a worker\"}\n";
    return write(1, line, sizeof line - 1) == sizeof line - 1 ? 0 : errno;
}

static int try_suid(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0755);
    if (fd < 0)
        return errno;
    struct stat st;
    int rc = fchmod(fd, 04755) ? errno : fstat(fd, &st) ? errno
           : st.st_mode & S_ISUID ? 0 : EPERM;
    close(fd);
    return rc;
}

/* The worker's attempts; false: not one of them. */
static bool worker_attempt(const char *a, const char *arg, int *rc)
{
    if (!strncmp(a, "env:", 4))
        *rc = try_env(arg);
    else if (!strncmp(a, "memfind:", 8))
        *rc = try_memfind(arg);
    else if (!strncmp(a, "fdpass:", 7))
        *rc = try_fdpass(atol(arg));
    else if (!strcmp(a, "badbool"))
        *rc = try_badbool();
    else if (!strcmp(a, "hang"))
        forever(false);
    else if (!strncmp(a, "hdr:", 4))
        *rc = try_hdr(arg);
    else if (!strcmp(a, "closechan"))
        *rc = try_closechan();
    else if (!strncmp(a, "sigio:", 6))
        *rc = try_sigio(arg);
    else if (!strncmp(a, "ptrace:", 7))
        *rc = try_ptrace_pid(arg);
    else if (!strncmp(a, "vmread:", 7))
        *rc = try_vmread(arg);
    else if (!strncmp(a, "kill:", 5))
        *rc = kill(atoi(arg), SIGKILL) ? errno : 0;
    else if (!strcmp(a, "stdout"))
        *rc = try_stdout();
    else if (!strncmp(a, "stderr:", 7))
        *rc = dprintf(2, "%s\n", arg) > 0 ? 0 : errno;
    else if (!strncmp(a, "suid:", 5))
        *rc = try_suid(arg);
    else
        return false;
    return true;
}

void wb_oslock_test_attempt(const wb_sandbox_config *cfg)
{
    (void)cfg;
    const char *a = getenv("WB_TEST_ATTEMPT");
    char line[400];
    if (!a)
        return;
    wb_oslock_test_attempt_line(a, line, sizeof line);
    fputs(line, stderr);
}

void wb_oslock_test_attempt_line(const char *a, char *line, size_t cap)
{
    const char *arg = strchr(a, ':') ? strchr(a, ':') + 1 : "";
    int rc;
    if (!strcmp(a, "whoami")) {
        snprintf(line, cap, "attempt whoami: pid %d uid %u gid %u\n",
                 (int)getpid(), (unsigned)getuid(), (unsigned)getgid());
        return;
    }
    if (!strncmp(a, "open:", 5))
        rc = try_open(arg, false);
    else if (!strncmp(a, "write:", 6))
        rc = try_open(arg, true);
    else if (!strcmp(a, "exec"))
        rc = try_exec();
    else if (!strncmp(a, "connect:", 8))
        rc = try_connect(arg);
    else if (!strcmp(a, "ptrace"))
        rc = try_ptrace();
    else if (!strcmp(a, "mprotect"))
        rc = try_mprotect();
    else if (!strcmp(a, "uffd"))
        rc = try_uffd(false);
    else if (!strcmp(a, "uffd-user"))
        rc = try_uffd(true);
    else if (!strncmp(a, "memfd:", 6))
        rc = try_memfd(arg);
    else if (!strcmp(a, "leak"))
        rc = try_leak();
    else if (!strcmp(a, "overflow"))
        rc = try_overflow(strlen(a));
    else if (!strcmp(a, "segv"))
        rc = try_segv();
    else if (!worker_attempt(a, arg, &rc))
        rc = EINVAL;
    said(a, rc, line, cap);
}
