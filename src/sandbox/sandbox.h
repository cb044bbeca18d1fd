/* sandbox.h: internals of src/sandbox/ (watchdog). Not installed. */
#ifndef WB_SANDBOX_H
#define WB_SANDBOX_H

#include "wasmbox/sandbox.h"
#include "common/error.h"
#include <pthread.h>

/* A thread that, at the deadline, interrupts the store (wasm code stops at
 * its next loop or call) and cancels the WASI context (blocking host calls
 * wake). */
typedef struct wb_watchdog {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool started, done, fired;
    uint64_t ms;
    wb_store *store;
    wb_wasi *wasi;
} wb_watchdog;

/* ms == 0: no thread, never fires. Returns false if no thread could be
 * started (the caller must not run the guest unbounded). */
bool wb_watchdog_start(wb_watchdog *wd, wb_store *s, wb_wasi *w, uint64_t ms);
/* Stops the thread; true if the deadline had passed. */
bool wb_watchdog_stop(wb_watchdog *wd);

#endif
