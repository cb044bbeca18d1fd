/* http_health.c: what an orchestrator asks `wasmbox serve` (Kubernetes
 * probes and its autoscaler; deploy/kubernetes/), and the drain delay.
 *
 *   GET /healthz  readiness: 200 {"status":"ok"}, or 503
 *                 {"status":"draining"} from SIGTERM on, so that the
 *                 load balancer sends new requests elsewhere;
 *   GET /livez    liveness: 200 while the polling thread answers, also
 *                 while draining (a drain is not a hang: a liveness
 *                 probe that failed then would restart a server that is
 *                 finishing its runs);
 *   /metrics      adds the runs in flight (waiting for or holding a
 *                 worker), the workers, and whether the server drains.
 *
 * The drain delay (--drain-delay): a load balancer learns that a replica
 * is going away some time after the replica is told (Kubernetes removes
 * a terminating pod from the Service's endpoints while it sends the
 * SIGTERM, and every node's proxy catches up later). A server that
 * stopped listening at once would refuse the connections still sent to
 * it meanwhile. So for the delay it keeps listening and serving, its
 * readiness already 503, then stops accepting and drains (http.c). */
#include "server/http.h"
#include <signal.h>
#include <stdio.h>
#include <time.h>

static bool unready(wb_http_server *srv)
{
    pthread_mutex_lock(&srv->mu);
    bool u = srv->unready || srv->draining;
    pthread_mutex_unlock(&srv->mu);
    return u;
}

void wb_http_health(wb_http_req *r)
{
    bool going = unready(r->srv);
    if (r->route == WB_R_LIVE) {
        wb_http_json(r, 200, json_pack("{s:s}", "status",
                                       going ? "draining" : "ok"));
        return;
    }
    wb_http_json(r, going ? 503 : 200,
                 json_pack("{s:s}", "status", going ? "draining" : "ok"));
    if (going)
        r->retry_after = 1;
}

/* Requests of every key that wait for a worker or hold one. */
static unsigned runs_in_flight(wb_http_server *srv)
{
    unsigned n;
    pthread_mutex_lock(&srv->qmu);
    n = srv->queued + srv->anon.running;
    for (size_t i = 0; i < srv->nkeys; i++)
        n += srv->keys[i].running;
    pthread_mutex_unlock(&srv->qmu);
    return n;
}

void wb_http_health_metrics(FILE *f, wb_http_server *srv)
{
    fprintf(f, "# HELP wasmbox_runs_in_flight Runs and other API requests "
            "waiting for a worker thread or running on one (the load an "
            "autoscaler compares with wasmbox_workers).\n"
            "# TYPE wasmbox_runs_in_flight gauge\n"
            "wasmbox_runs_in_flight %u\n", runs_in_flight(srv));
    fprintf(f, "# HELP wasmbox_workers Worker threads: requests run at "
            "once (--workers).\n# TYPE wasmbox_workers gauge\n"
            "wasmbox_workers %u\n", srv->nthreads);
    fprintf(f, "# HELP wasmbox_draining 1 from SIGTERM on (/healthz "
            "answers 503), else 0.\n# TYPE wasmbox_draining gauge\n"
            "wasmbox_draining %d\n", unready(srv) ? 1 : 0);
}

/* After the first SIGTERM/SIGINT: not ready, still serving, for
 * --drain-delay; a second signal ends the delay at once. Connections'
 * deadlines are swept meanwhile, as in the main loop. */
void wb_http_drain_delay(wb_http_server *srv, const sigset_t *set)
{
    pthread_mutex_lock(&srv->mu);
    srv->unready = true;
    pthread_mutex_unlock(&srv->mu);
    if (!srv->drain_delay_ms)
        return;
    fprintf(stderr, "wasmbox serve: not ready; still serving for %llu ms "
            "(--drain-delay)\n", (unsigned long long)srv->drain_delay_ms);
    fflush(stderr);
    uint64_t end = wb_http_now_ms() + srv->drain_delay_ms;
    for (uint64_t now = wb_http_now_ms(); now < end;
         now = wb_http_now_ms()) {
        uint64_t left = end - now < 1000 ? end - now : 1000;
        struct timespec ts = { (time_t)(left / 1000),
                               (long)(left % 1000) * 1000000L };
        int sig = sigtimedwait(set, NULL, &ts);
        if (sig == SIGTERM || sig == SIGINT) {
            fprintf(stderr, "wasmbox serve: second signal: drain delay "
                    "cut short\n");
            break;
        }
        wb_conn_sweep(&srv->guard);
    }
}
