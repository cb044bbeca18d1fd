/* watchdog.c: the wall-clock budget. One thread per process watches
 * every armed run's deadline: at a deadline it interrupts that run's
 * store (wasm code stops at its next loop or call) and cancels its WASI
 * context (blocking host calls wake), for every process of the run's
 * tree (src/proc/: wb_ptree_cancel, which takes the tree's mutex under
 * ours; the tree never takes ours).
 *
 * Why one long-lived thread and not one per run: creating and ending a
 * thread per run costs a clone, an exit and the release of the thread's
 * stack (madvise), whose TLB shootdown sends an IPI to every CPU the
 * process ran on; on a paravirtualized VM that was the largest part of
 * a small run's CPU time (BENCHMARKS.md, "HTTP API load"). Arming and
 * disarming here take the mutex and, most of the time, no system call:
 * the thread is only woken when a new deadline comes before the one it
 * sleeps until, and a disarmed run's deadline just wakes it once for
 * nothing.
 *
 * The thread starts on the first armed run, which comes after the run's
 * OS lock-down (run.c), so it is under the same Landlock domain as the
 * guest's thread; wb_watchdog_join ends a thread started before a
 * lock-down, or before a fork. A forked child has no thread: the first
 * arm there starts its own. A run alone in its process may use a timer
 * signal instead (watchdog_alone.c). */
#include "sandbox/sandbox.h"
#include "proc/proc.h"
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define WATCH_STACK (64 * 1024)

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    wb_watchdog *armed;         /* unordered list */
    pthread_t thread;
    bool running, quit;
    struct timespec until;      /* what the thread sleeps until; 0: none */
} svc = { .mu = PTHREAD_MUTEX_INITIALIZER };
static atomic_int owner;        /* pid whose svc this is; 0: not set up */

static bool before(const struct timespec *a, const struct timespec *b)
{
    return a->tv_sec < b->tv_sec ||
           (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* Fire the runs whose deadline passed; the earliest one left into *next
 * (false: none left). Called with the mutex held. */
static bool fire_due(struct timespec *next)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    bool any = false;
    for (wb_watchdog **p = &svc.armed; *p;) {
        wb_watchdog *wd = *p;
        if (!before(&now, &wd->end)) {
            wd->fired = true;
            wd->listed = false;
            *p = wd->next;
            if (wd->tree) {
                wb_ptree_cancel(wd->tree, WB_OUTCOME_TIMEOUT);
            } else {
                wb_store_interrupt(wd->store);
                wb_wasi_cancel(wd->wasi);
            }
            continue;
        }
        if (!any || before(&wd->end, next))
            *next = wd->end;
        any = true;
        p = &wd->next;
    }
    return any;
}

static void *watch(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&svc.mu);
    while (!svc.quit || svc.armed) {
        struct timespec next;
        if (fire_due(&next)) {
            svc.until = next;
            pthread_cond_timedwait(&svc.cv, &svc.mu, &next);
        } else {
            memset(&svc.until, 0, sizeof svc.until);
            pthread_cond_wait(&svc.cv, &svc.mu);
        }
    }
    svc.running = false;
    pthread_mutex_unlock(&svc.mu);
    return NULL;
}

/* This process's service, set up once per process: a child forked while
 * another thread held the mutex gets a fresh one (it has no thread). */
static void setup(void)
{
    int pid = (int)getpid();
    if (atomic_load(&owner) == pid)
        return;
    pthread_mutex_init(&svc.mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&svc.cv, &ca);
    pthread_condattr_destroy(&ca);
    svc.armed = NULL;
    svc.running = svc.quit = false;
    memset(&svc.until, 0, sizeof svc.until);
    atomic_store(&owner, pid);
}

/* With the mutex held: a running thread. */
static bool ensure_thread(void)
{
    if (svc.running)
        return true;
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setstacksize(&a, WATCH_STACK);
    svc.quit = false;
    svc.running = pthread_create(&svc.thread, &a, watch, NULL) == 0;
    pthread_attr_destroy(&a);
    return svc.running;
}

bool wb_watchdog_start(wb_watchdog *wd, wb_store *s, wb_wasi *w,
                       struct wb_ptree *tree, uint64_t ms)
{
    memset(wd, 0, sizeof *wd);
    wd->store = s;
    wd->wasi = w;
    wd->tree = tree;
    if (ms == 0)
        return true;
    wd->active = true;
    clock_gettime(CLOCK_MONOTONIC, &wd->end);
    wd->end.tv_sec += (time_t)(ms / 1000);
    wd->end.tv_nsec += (long)(ms % 1000) * 1000000;
    if (wd->end.tv_nsec >= 1000000000) {
        wd->end.tv_sec++;
        wd->end.tv_nsec -= 1000000000;
    }
    setup();
    pthread_mutex_lock(&svc.mu);
    bool ok = ensure_thread();
    wd->active = ok;
    if (ok) {
        wd->next = svc.armed;
        svc.armed = wd;
        wd->listed = true;
        /* wake the thread only when it would sleep past this deadline */
        if ((!svc.until.tv_sec && !svc.until.tv_nsec) ||
            before(&wd->end, &svc.until))
            pthread_cond_signal(&svc.cv);
    }
    pthread_mutex_unlock(&svc.mu);
    return ok;
}

bool wb_watchdog_stop(wb_watchdog *wd)
{
    if (!wd->active)
        return false;
    if (wd->alone)
        return wb_watchdog_stop_alone(wd);
    pthread_mutex_lock(&svc.mu);
    for (wb_watchdog **p = &svc.armed; *p; p = &(*p)->next)
        if (*p == wd) {
            *p = wd->next;
            break;
        }
    wd->listed = false;
    wd->active = false;
    bool fired = wd->fired;
    if (svc.quit)
        pthread_cond_signal(&svc.cv);   /* wb_watchdog_join waits */
    pthread_mutex_unlock(&svc.mu);
    return fired;
}

void wb_watchdog_join(void)
{
    if (atomic_load(&owner) != (int)getpid())
        return;                 /* no thread in this process */
    pthread_mutex_lock(&svc.mu);
    bool join = svc.running && !svc.armed;
    if (join) {
        svc.quit = true;
        pthread_cond_signal(&svc.cv);
    }
    pthread_t t = svc.thread;
    pthread_mutex_unlock(&svc.mu);
    if (join)
        pthread_join(t, NULL);
}
