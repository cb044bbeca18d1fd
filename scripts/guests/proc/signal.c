/* signal.c: the signal calls a shell and its tools make, over a sandbox
 * that never delivers a signal to a handler (wasmbox_proc.kill ends the
 * process). Handlers are recorded; raise() runs one synchronously (or
 * ends the process as the default action would); sigsuspend() and
 * pause() wait for a child to end and run the SIGCHLD handler, which is
 * how a shell waiting for "any child" with WNOHANG learns of one. This
 * file defines everything of wasi-libc's emulated signal.o, so that
 * object is not linked (its table would disagree with this one). */
#include <errno.h>
#include <string.h>
#include <sys/wait.h>
#include "wb_proc.h"
#include "imports.h"

void __SIG_ERR(int sig) { (void)sig; }
void __SIG_IGN(int sig) { (void)sig; }

static struct sigaction actions[_NSIG];

static int bad_signal(int sig)
{
    return sig <= 0 || sig >= _NSIG;
}

void (*wb_proc_handler(int sig))(int)
{
    if (bad_signal(sig))
        return NULL;
    return actions[sig].sa_handler;
}

int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    if (bad_signal(sig) || (act && (sig == SIGKILL || sig == SIGSTOP)))
        return wb_proc_fail(EINVAL);
    if (old)
        *old = actions[sig];
    if (act)
        actions[sig] = *act;
    return 0;
}

void (*signal(int sig, void (*handler)(int)))(int)
{
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    if (sigaction(sig, &sa, &old) < 0)
        return SIG_ERR;
    return old.sa_handler;
}

void (*bsd_signal(int sig, void (*handler)(int)))(int)
{
    return signal(sig, handler);
}

/* The signals whose default action is to do nothing. */
static int ignored_by_default(int sig)
{
    return sig == SIGCHLD || sig == SIGURG || sig == SIGWINCH || sig == SIGCONT;
}

int raise(int sig)
{
    void (*h)(int) = wb_proc_handler(sig);
    if (bad_signal(sig))
        return wb_proc_fail(EINVAL);
    if (h == SIG_IGN || (h == SIG_DFL && ignored_by_default(sig)))
        return 0;
    if (h != SIG_DFL) {
        h(sig);
        return 0;
    }
    return kill(getpid(), sig);
}

/* wasi-libc's sigset_t is one byte: sets hold signals 1-8 exactly, and a
 * full set says yes to every signal. Masks have no effect here anyway. */
int sigemptyset(sigset_t *set) { *set = 0; return 0; }
int sigfillset(sigset_t *set) { *set = (sigset_t)~0; return 0; }

int sigaddset(sigset_t *set, int sig)
{
    if (bad_signal(sig))
        return wb_proc_fail(EINVAL);
    if (sig <= 8)
        *set |= (sigset_t)(1u << (sig - 1));
    return 0;
}

int sigdelset(sigset_t *set, int sig)
{
    if (bad_signal(sig))
        return wb_proc_fail(EINVAL);
    if (sig <= 8)
        *set &= (sigset_t)~(1u << (sig - 1));
    return 0;
}

int sigismember(const sigset_t *set, int sig)
{
    if (bad_signal(sig))
        return wb_proc_fail(EINVAL);
    if (*set == (sigset_t)~0)
        return 1;
    return sig <= 8 && (*set >> (sig - 1) & 1);
}

static sigset_t blocked;

int sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
    if (old)
        *old = blocked;
    if (!set)
        return 0;
    switch (how) {
    case SIG_BLOCK: blocked |= *set; return 0;
    case SIG_UNBLOCK: blocked &= (sigset_t)~*set; return 0;
    case SIG_SETMASK: blocked = *set; return 0;
    default: return wb_proc_fail(EINVAL);
    }
}

int sigpending(sigset_t *set)
{
    return sigemptyset(set);
}

int siginterrupt(int sig, int flag)
{
    (void)flag;
    return bad_signal(sig) ? wb_proc_fail(EINVAL) : 0;
}

/* The only event that can come: a child ends. Wait for one, keep its
 * status for the program's own wait, and run the SIGCHLD handler. With
 * no child there is nothing to wait for: return at once. */
int sigsuspend(const sigset_t *mask)
{
    (void)mask;
    int status;
    pid_t pid = waitpid(-1, &status, 0);
    if (pid > 0) {
        wb_proc_stash_put(pid, status);
        void (*h)(int) = wb_proc_handler(SIGCHLD);
        if (h != SIG_DFL && h != SIG_IGN)
            h(SIGCHLD);
    }
    return wb_proc_fail(EINTR);
}

int pause(void)
{
    sigset_t none = 0;
    return sigsuspend(&none);
}

/* No timer signals in the sandbox: a program that needs one is told. */
unsigned alarm(unsigned seconds)
{
    if (seconds)
        errno = ENOSYS;
    return 0;
}
