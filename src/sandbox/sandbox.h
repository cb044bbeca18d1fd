/* sandbox.h: internals of src/sandbox/ (watchdog). Not installed. */
#ifndef WB_SANDBOX_H
#define WB_SANDBOX_H

#include "wasmbox/sandbox.h"
#include "common/error.h"
#include "common/json.h"
#include <pthread.h>
#include <signal.h>
#include <time.h>

/* A run's wall-clock deadline, watched by the process's watchdog thread
 * (watchdog.c), which at the deadline interrupts the store (wasm code
 * stops at its next loop or call) and cancels the WASI context (blocking
 * host calls wake). Lives on the run's stack while armed. */
typedef struct wb_watchdog {
    struct wb_watchdog *next;   /* in the armed list (the service's) */
    struct timespec end;        /* CLOCK_MONOTONIC */
    bool active, listed, fired;
    bool alone;                 /* watched by a timer (watchdog_alone.c) */
    volatile sig_atomic_t rang; /* its signal came */
    wb_store *store;
    wb_wasi *wasi;
    struct wb_ptree *tree;      /* or NULL: the run's processes, every one
                                   of which the deadline ends */
} wb_watchdog;

/* Arms a deadline ms from now (ms == 0: none, never fires) for store s
 * and context w, or, when `tree` is not NULL, for every process of it
 * (src/proc/). Returns false if the watchdog thread could not be started
 * (the caller must not run the guest unbounded). */
bool wb_watchdog_start(wb_watchdog *wd, wb_store *s, wb_wasi *w,
                       struct wb_ptree *tree, uint64_t ms);
/* Disarms it; true if the deadline had passed (the run was interrupted).
 * After it returns the watchdog no longer touches the store or WASI. */
bool wb_watchdog_stop(wb_watchdog *wd);
/* watchdog_alone.c: for a run whose process ends after it (exits_after)
 * and whose guest can never start another process, the deadline as a
 * timer signal to the calling thread instead of the watchdog thread.
 * _prepare, before the OS lock-down: makes the timer (false: it cannot,
 * _start_alone will use the thread). _start_alone: as wb_watchdog_start,
 * on the thread that prepared and will run the guest and stop it.
 * wb_watchdog_stop stops it. */
bool wb_watchdog_prepare_alone(void);
bool wb_watchdog_start_alone(wb_watchdog *wd, wb_store *s, wb_wasi *w,
                             struct wb_ptree *tree, uint64_t ms);
bool wb_watchdog_stop_alone(wb_watchdog *wd);
/* Ends this process's watchdog thread when no run is armed (the next
 * arm starts a new one): after an OS lock-down, so that the next run's
 * thread starts under the lock; before a process forks (the zygote), so
 * that it forks with one thread. */
void wb_watchdog_join(void);

/* run.c: wb_sandbox_run with another way of starting the guest. `entry`
 * gets the store, linker and WASI context made from `cfg` (budget,
 * watchdog and OS lock in place) and runs the guest: *ran says whether
 * guest code ran (then its status is classified as the run's outcome;
 * otherwise it is a setup error). wb_sandbox_run's entry instantiates a
 * module and calls its _start; src/sandbox/preinit.c's restores a
 * snapshot. */
typedef wb_status (*wb_sandbox_entry)(void *user,
                                      const wb_sandbox_config *cfg,
                                      wb_store *s, wb_linker *l, wb_wasi *w,
                                      wb_error *e, bool *ran);
wb_status wb_sandbox_run_entry(const wb_sandbox_config *cfg,
                               wb_sandbox_entry entry, void *user,
                               wb_run_result *res, wb_error *err);

/* report.c: the run's HTTP requests as the report's "requests" array
 * (docs/network.md); the servers' answers use it too. */
json_t *wb_run_requests_json(const wb_run_result *res);
/* The tree of processes of a run or step (docs/processes.md): {started,
 * max_live, refused}, or NULL when the root started and was refused
 * none. */
json_t *wb_run_processes_json(const wb_run_result *res);

#endif
