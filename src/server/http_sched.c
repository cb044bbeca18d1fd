/* http_sched.c: the worker pool of `wasmbox serve` and its fair queue.
 *
 * A run holds its worker for as long as the guest runs, so with one FIFO
 * a key that queues many busy runs makes every other key wait behind all
 * of them. Instead:
 *
 *   - each key has its own FIFO queue;
 *   - a free worker takes the head of the next key, round-robin, that has
 *     something queued, so a newly arriving key is served as soon as any
 *     worker is free: at most one run's worth of waiting, however much
 *     another key has queued;
 *   - a key has at most max_running_per_key requests on workers. With
 *     several keys the default is one less than the workers, so a worker
 *     is left for the other keys: another key's request starts at once
 *     while a key's busy runs keep the rest busy (http_config.c).
 *
 * Requests wait in the queue with their connection suspended; each key
 * also has at most max_per_key requests in flight (http.c: 429), which
 * bounds the queues. */
#include "server/http.h"
#include "server/mhd.h"

static wb_http_key *key_at(wb_http_server *srv, size_t i)
{
    return i < srv->nkeys ? &srv->keys[i] : &srv->anon;
}

/* The next request to run (srv->qmu held), round-robin over the keys
 * that have one queued and are under their running cap; NULL if none. */
static wb_http_req *pick(wb_http_server *srv)
{
    size_t n = srv->nkeys + 1;
    for (size_t k = 0; k < n; k++) {
        size_t i = (srv->rr + k) % n;
        wb_http_key *key = key_at(srv, i);
        if (!key->qhead || key->running >= srv->max_running_per_key)
            continue;
        wb_http_req *r = key->qhead;
        key->qhead = r->next;
        if (!key->qhead)
            key->qtail = NULL;
        key->running++;
        srv->queued--;
        srv->rr = (i + 1) % n;
        return r;
    }
    return NULL;
}

void wb_http_sched_submit(wb_http_server *srv, wb_http_req *r)
{
    wb_http_key *k = r->key;
    pthread_mutex_lock(&srv->qmu);
    r->next = NULL;
    if (k->qtail)
        k->qtail->next = r;
    else
        k->qhead = r;
    k->qtail = r;
    srv->queued++;
    /* every waiter re-checks: only some may take this key's request */
    pthread_cond_broadcast(&srv->qcv);
    pthread_mutex_unlock(&srv->qmu);
}

static void *worker_main(void *arg)
{
    wb_http_server *srv = arg;
    pthread_mutex_lock(&srv->qmu);
    for (;;) {
        wb_http_req *r = pick(srv);
        if (!r) {
            if (srv->stop && srv->queued == 0)
                break;
            pthread_cond_wait(&srv->qcv, &srv->qmu);
            continue;
        }
        pthread_mutex_unlock(&srv->qmu);
        wb_http_handle(r);
        if (!r->resp && r->status == 0)
            wb_http_error(r, 500, "internal error: no answer");
        pthread_mutex_lock(&srv->qmu);
        r->key->running--;
        pthread_cond_broadcast(&srv->qcv);     /* its key may run again */
        pthread_mutex_unlock(&srv->qmu);
        /* after this, r belongs to the polling thread again */
        MHD_resume_connection(r->conn);
        pthread_mutex_lock(&srv->qmu);
    }
    pthread_mutex_unlock(&srv->qmu);
    return NULL;
}

bool wb_http_sched_start(wb_http_server *srv)
{
    pthread_mutex_init(&srv->qmu, NULL);
    pthread_cond_init(&srv->qcv, NULL);
    srv->threads = calloc(srv->workers, sizeof *srv->threads);
    srv->nthreads = 0;
    while (srv->threads && srv->nthreads < srv->workers &&
           pthread_create(&srv->threads[srv->nthreads], NULL, worker_main,
                          srv) == 0)
        srv->nthreads++;
    return srv->nthreads > 0;
}

void wb_http_sched_stop(wb_http_server *srv)
{
    pthread_mutex_lock(&srv->qmu);
    srv->stop = true;
    pthread_cond_broadcast(&srv->qcv);
    pthread_mutex_unlock(&srv->qmu);
    for (unsigned i = 0; i < srv->nthreads; i++)
        pthread_join(srv->threads[i], NULL);
    free(srv->threads);
    srv->threads = NULL;
    srv->nthreads = 0;
}
