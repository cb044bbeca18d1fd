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
 *   segv          write to address 16 from host code (the process dies)
 * and, for sanitizer builds (their reports must still work under the
 * lock-down):
 *   leak          lose a malloc'd block (LeakSanitizer at exit)
 *   overflow      write past a malloc'd block (AddressSanitizer) */
#include "sandbox/oslock.h"
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
    else if (!strcmp(a, "leak"))
        rc = try_leak();
    else if (!strcmp(a, "overflow"))
        rc = try_overflow(strlen(a));
    else if (!strcmp(a, "segv"))
        rc = try_segv();
    else
        rc = EINVAL;
    said(a, rc, line, cap);
}
