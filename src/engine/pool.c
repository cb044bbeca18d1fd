/*
 * pool.c: a small process-wide cache of address-space reservations.
 *
 * A guard-mode memory reserves 8 GiB; mapping and unmapping that for every
 * short-lived instance costs more than running it (page-table teardown).
 * Released reservations are returned to the kernel's zero state instead
 * (MADV_DONTNEED, PROT_NONE) and kept for the next store, up to a bound.
 *
 * A small memory (at most CLEAR_IN_PLACE bytes used) is zeroed with
 * memset and stays read-write: MADV_DONTNEED and taking write access away
 * flush the TLBs of every CPU the process ran on (an IPI each, dear on a
 * paravirtualized VM: it was a large part of a tiny run's CPU time). Its
 * next user opens or closes the difference to its own size (memory.c), so
 * everything past a memory's size is PROT_NONE as before. It is zeroed
 * when it is taken again, not when it is given back: a one-shot run gives
 * its memory back just before the process exits, and the memset then
 * touched every page of it, even those the guest never did (a page fault
 * each, about 15 us on a paravirtualized VM: 20 of a hello-world's 225).
 */
#include "engine.h"
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>

#define POOL_SLOTS 8

#define CLEAR_IN_PLACE (256 * 1024)

typedef struct { void *p; size_t size, open, dirty; int kind; } slot;
static slot pool[POOL_SLOTS];
static unsigned npool;
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;

/* A reservation of exactly `size` bytes given back with the same kind, or
 * NULL. Memories come back PROT_NONE and zero-filled; stacks as they were
 * (read-write, contents undefined: frames zero their locals on entry). */
void *wb_pool_take(size_t size, int kind, size_t *open)
{
    void *p = NULL;
    size_t dirty = 0;
    if (open)
        *open = 0;
    pthread_mutex_lock(&pool_lock);
    for (unsigned i = 0; i < npool; i++) {
        if (pool[i].size == size && pool[i].kind == kind) {
            p = pool[i].p;
            dirty = pool[i].dirty;
            if (open)
                *open = pool[i].open;
            pool[i] = pool[--npool];
            break;
        }
    }
    pthread_mutex_unlock(&pool_lock);
    if (dirty)
        memset(p, 0, dirty);           /* the previous user's bytes */
    return p;
}

/* Give back a reservation. For memories the first `used` bytes may hold
 * data and are cleared (a small one's when it is taken again); stacks are
 * kept as they are. */
void wb_pool_give(void *p, size_t size, size_t used, int kind, bool rw)
{
    size_t open = 0, dirty = 0;
    if (kind == WB_POOL_MEMORY && used && rw && used <= CLEAR_IN_PLACE)
        open = dirty = used;           /* cleared by wb_pool_take */
    else if (kind == WB_POOL_MEMORY && used &&
        (madvise(p, used, MADV_DONTNEED) != 0 || mprotect(p, used, PROT_NONE) != 0)) {
        munmap(p, size);
        return;
    }
    pthread_mutex_lock(&pool_lock);
    if (npool < POOL_SLOTS) {
        pool[npool++] = (slot){ p, size, open, dirty, kind };
        p = NULL;
    }
    pthread_mutex_unlock(&pool_lock);
    if (p)
        munmap(p, size);
}
