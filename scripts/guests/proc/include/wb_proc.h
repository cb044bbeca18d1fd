/* wb_proc.h: the POSIX process calls that scripts/guests/proc/ (libwbproc.a)
 * gives a wasm32-wasi guest on top of the host module `wasmbox_proc`
 * (docs/processes.md). Debian's wasi-libc (0.0~git20220510) hides these
 * declarations ("WASI has no fork/exec"); this header declares them, and
 * the wrappers next to it (unistd.h, signal.h, fcntl.h, stdio.h: the
 * libc header, then this one) put it where programs look, so their own
 * #includes need no change.
 *
 * Signals are never delivered to handlers (the host ends a process on any
 * signal but 0); sigaction/sigprocmask keep their state, raise() runs a
 * handler synchronously, sigsuspend() waits for a child to end and runs
 * the SIGCHLD handler. O_CLOEXEC is 0 in wasi-libc, so close-on-exec is
 * set only by fcntl(F_SETFD) and F_DUPFD_CLOEXEC. */
#ifndef WB_PROC_H
#define WB_PROC_H

#ifndef _WASI_EMULATED_SIGNAL
#define _WASI_EMULATED_SIGNAL 1
#endif
#ifndef _WASI_EMULATED_PROCESS_CLOCKS
#define _WASI_EMULATED_PROCESS_CLOCKS 1
#endif
#ifndef _WASI_EMULATED_GETPID   /* getpid() is ours, not the placeholder */
#define _WASI_EMULATED_GETPID 1
#endif
#include <sys/types.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#ifdef __cplusplus
extern "C" {
#endif

/* processes */
pid_t fork(void);
pid_t vfork(void);
int execve(const char *path, char *const argv[], char *const envp[]);
int execv(const char *path, char *const argv[]);
int execvp(const char *file, char *const argv[]);
int execvpe(const char *file, char *const argv[], char *const envp[]);
int execl(const char *path, const char *arg, ...);
int execlp(const char *file, const char *arg, ...);
int execle(const char *path, const char *arg, ...);
pid_t getppid(void);
pid_t getpgrp(void);
pid_t getpgid(pid_t pid);
int setpgid(pid_t pid, pid_t pgid);
pid_t setsid(void);
pid_t getsid(pid_t pid);
pid_t tcgetpgrp(int fd);
int tcsetpgrp(int fd, pid_t pgrp);
FILE *popen(const char *command, const char *mode);
int pclose(FILE *f);
int system(const char *command);

/* file descriptors */
int pipe(int fds[2]);
int pipe2(int fds[2], int flags);
int dup(int fd);
int dup2(int fd, int to);
int dup3(int fd, int to, int flags);

/* signals: state kept, never delivered (see above) */
#ifndef SIG_BLOCK
#define SIG_BLOCK 0
#define SIG_UNBLOCK 1
#define SIG_SETMASK 2
#endif
#ifndef SA_RESTART
#define SA_NOCLDSTOP 1
#define SA_NOCLDWAIT 2
#define SA_SIGINFO 4
#define SA_ONSTACK 0x08000000
#define SA_RESTART 0x10000000
#define SA_NODEFER 0x40000000
#define SA_RESETHAND 0x80000000
#endif
#ifndef F_DUPFD
#define F_DUPFD 0
#endif
#ifndef F_DUPFD_CLOEXEC
#define F_DUPFD_CLOEXEC 1030
#endif
/* wasi-libc hides these types ("WASI has no sigaction"); musl's layout */
typedef struct {
    int si_signo, si_errno, si_code;
    pid_t si_pid;
    uid_t si_uid;
    int si_status;
    void *si_addr;
} siginfo_t;
struct sigaction {
    union {
        void (*sa_handler)(int);
        void (*sa_sigaction)(int, siginfo_t *, void *);
    } __sa_handler;
    sigset_t sa_mask;
    int sa_flags;
    void (*sa_restorer)(void);
};
#define sa_handler __sa_handler.sa_handler
#define sa_sigaction __sa_handler.sa_sigaction
int kill(pid_t pid, int sig);
int killpg(pid_t pgrp, int sig);
int sigaction(int sig, const struct sigaction *act, struct sigaction *old);
int sigprocmask(int how, const sigset_t *set, sigset_t *old);
int sigsuspend(const sigset_t *mask);
int sigpending(sigset_t *set);
int siginterrupt(int sig, int flag);
int sigemptyset(sigset_t *set);
int sigfillset(sigset_t *set);
int sigaddset(sigset_t *set, int sig);
int sigdelset(sigset_t *set, int sig);
int sigismember(const sigset_t *set, int sig);
int pause(void);
unsigned alarm(unsigned seconds);

/* the start-up working directory (also run by a constructor) */
int wb_proc_enter_cwd(void);

#ifdef __cplusplus
}
#endif
#endif
