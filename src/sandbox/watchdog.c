/* watchdog.c: the wall-clock budget. A condition variable on the
 * monotonic clock lets the run end the thread early without waiting. */
#include "sandbox/sandbox.h"
#include <string.h>
#include <time.h>

static void *watch(void *arg)
{
    wb_watchdog *wd = arg;
    struct timespec end;
    clock_gettime(CLOCK_MONOTONIC, &end);
    end.tv_sec += (time_t)(wd->ms / 1000);
    end.tv_nsec += (long)(wd->ms % 1000) * 1000000;
    if (end.tv_nsec >= 1000000000) {
        end.tv_sec++;
        end.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&wd->mu);
    while (!wd->done) {
        if (pthread_cond_timedwait(&wd->cv, &wd->mu, &end) != 0) {
            struct timespec now;
            clock_gettime(CLOCK_MONOTONIC, &now);
            if (now.tv_sec > end.tv_sec ||
                (now.tv_sec == end.tv_sec && now.tv_nsec >= end.tv_nsec))
                break;
        }
    }
    if (!wd->done) {
        wd->fired = true;
        wb_store_interrupt(wd->store);
        wb_wasi_cancel(wd->wasi);
    }
    pthread_mutex_unlock(&wd->mu);
    return NULL;
}

bool wb_watchdog_start(wb_watchdog *wd, wb_store *s, wb_wasi *w, uint64_t ms)
{
    memset(wd, 0, sizeof *wd);
    wd->ms = ms;
    wd->store = s;
    wd->wasi = w;
    if (ms == 0)
        return true;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&wd->cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&wd->mu, NULL);
    if (pthread_create(&wd->thread, NULL, watch, wd) != 0) {
        pthread_cond_destroy(&wd->cv);
        pthread_mutex_destroy(&wd->mu);
        return false;
    }
    wd->started = true;
    return true;
}

bool wb_watchdog_stop(wb_watchdog *wd)
{
    if (!wd->started)
        return false;
    pthread_mutex_lock(&wd->mu);
    wd->done = true;
    pthread_cond_signal(&wd->cv);
    pthread_mutex_unlock(&wd->mu);
    pthread_join(wd->thread, NULL);
    pthread_cond_destroy(&wd->cv);
    pthread_mutex_destroy(&wd->mu);
    wd->started = false;
    return wd->fired;
}
