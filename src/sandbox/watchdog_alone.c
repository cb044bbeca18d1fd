/* watchdog_alone.c: the deadline of a run alone in its process, without
 * the watchdog thread (watchdog.c).
 *
 * A run whose process ends right after it (exits_after: `wasmbox run`)
 * and whose guest can never start another process (its module imports
 * nothing of wasmbox_proc, where spawn, fork and exec are) needs no
 * thread: at its deadline a POSIX timer's signal, delivered to the
 * thread that runs the guest, does what the thread would for a run
 * without a process tree: sets the store's interrupt flag (wasm code
 * stops at its next loop or call) and cancels the WASI context
 * (blocking host calls wake): an atomic store and an eventfd write, both
 * safe in a signal handler. The tree's outcome (wb_ptree_cancel takes a
 * mutex) is recorded when the run stops. Starting and ending a thread
 * cost ~120 us of CPU here, 6% of a cached hello-world's whole process.
 *
 * The timer is made before the OS lock-down, which lets the process arm
 * and delete its own timers (timer_settime, timer_delete), not make one.
 * The signal handler stays installed after the run and does nothing then:
 * a signal already sent finds no armed run. */
#include "sandbox/sandbox.h"
#include "proc/proc.h"
#include "wasi/wasi.h"
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ALONE_SIGNAL SIGALRM

static struct {
    timer_t id;
    bool made;
    _Atomic(wb_watchdog *) wd;          /* the armed run, or NULL */
} alone;

static void on_deadline(int sig, siginfo_t *si, void *uc)
{
    (void)sig, (void)uc;
    int saved = errno;
    wb_watchdog *wd = atomic_load(&alone.wd);
    if (wd && si->si_code == SI_TIMER && si->si_value.sival_ptr == &alone) {
        wd->rang = 1;
        wb_store_interrupt(wd->store);
        wb_wasi_cancel(wd->wasi);
    }
    errno = saved;
}

bool wb_watchdog_prepare_alone(void)
{
    if (alone.made)
        return true;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_deadline;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_THREAD_ID;      /* this thread runs the guest */
    ev.sigev_signo = ALONE_SIGNAL;
    ev.sigev_value.sival_ptr = &alone;
    ev._sigev_un._tid = gettid();
    alone.made = sigaction(ALONE_SIGNAL, &sa, NULL) == 0 &&
                 timer_create(CLOCK_MONOTONIC, &ev, &alone.id) == 0;
    return alone.made;
}

static void delete_timer(void)
{
    if (alone.made)
        timer_delete(alone.id);
    alone.made = false;
}

bool wb_watchdog_start_alone(wb_watchdog *wd, wb_store *s, wb_wasi *w,
                             struct wb_ptree *tree, uint64_t ms)
{
    if (ms == 0 || !alone.made || atomic_load(&alone.wd)) {
        delete_timer();
        return wb_watchdog_start(wd, s, w, tree, ms);
    }
    memset(wd, 0, sizeof *wd);
    wd->store = s;
    wd->wasi = w;
    wd->tree = tree;
    struct itimerspec it;
    memset(&it, 0, sizeof it);
    it.it_value.tv_sec = (time_t)(ms / 1000);
    it.it_value.tv_nsec = (long)(ms % 1000) * 1000000;
    atomic_store(&alone.wd, wd);
    if (timer_settime(alone.id, 0, &it, NULL) != 0) {
        atomic_store(&alone.wd, NULL);
        delete_timer();
        return wb_watchdog_start(wd, s, w, tree, ms);
    }
    wd->active = wd->alone = true;
    return true;
}

/* On the thread the signal goes to: once alone.wd is NULL, the handler
 * has run to its end or will do nothing. */
bool wb_watchdog_stop_alone(wb_watchdog *wd)
{
    atomic_store(&alone.wd, NULL);
    delete_timer();
    wd->active = false;
    wd->fired = wd->rang;
    if (wd->fired && wd->tree)
        wb_ptree_cancel(wd->tree, WB_OUTCOME_TIMEOUT);
    return wd->fired;
}
