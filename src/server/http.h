/* http.h: `wasmbox serve`, the HTTP API (src/server/http*.c). Not
 * installed.
 *
 *   http.c        libmicrohttpd daemon: routing, API keys, per-key
 *                 concurrency, body limit, metrics, graceful shutdown
 *   http_sched.c  the worker pool and its fair queue (per key,
 *                 round-robin, a cap on each key's running requests)
 *   wb_conn.c     connections: deadlines, and the connection cap
 *   http_api.c    the endpoints: /v1/run, /v1/sessions/... (JSON in and
 *                 out); every run goes through the session layer
 *   http_config.c defaults, API keys, start-up checks and directories
 *   http_route.c  the routes and how a URL matches one
 *   http_limits.c a request's "limits": they only tighten the budget
 *   http_store.c  what a session keeps on disk for the server (owner,
 *                 budget), and restoring the sessions at start-up
 *   http_health.c readiness and liveness, the drain delay, the metrics
 *                 an autoscaler reads
 *   http_lease.c  --shared-state: the lease a replica holds on a session
 *                 while it changes it (docs/scale-out.md)
 * (the command line, src/cli/serve.c, fills a wb_http_server through
 * these and calls wb_http_serve; nothing here prints errors: they come
 * back as messages).
 *
 * The HTTP layer holds no sandbox logic: a one-shot run is a throw-away
 * session and one one-shot step (wb_session_run_ex, one_shot: a fresh
 * interpreter, no kernel), a session step is wb_session_run_ex through
 * the session's kernel, and a request's limits only ever tighten the
 * policy's budget (wb_http_limits); they reach the step as its options'
 * budget. */
#ifndef WB_HTTP_H
#define WB_HTTP_H

#include "wasmbox.h"
#include "common/addr.h"
#include "server/wb_conn.h"
#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define WB_HTTP_OUTCOMES (WB_OUTCOME_ERROR + 1)
#define WB_HTTP_BUCKETS 14
#define WB_HTTP_ID_MAX 128         /* a URL's {id}, its NUL included */
#define WB_HTTP_PATH_MAX 4096      /* a URL's {path} */

typedef struct wb_http_key {
    char name[64];                 /* unique; sessions belong to it */
    char *key;
    size_t len;
    const char *src;               /* where it was read: a file name or */
    unsigned line;                 /* WASMBOX_API_KEYS, and the line */
    unsigned active;               /* requests in flight (srv->mu) */
    unsigned sessions;             /* sessions open or being opened (mu) */
    /* the scheduler's (srv->qmu) */
    struct wb_http_req *qhead, *qtail;
    unsigned running;
} wb_http_key;

/* A session opened through the API, owned by one key. */
typedef struct wb_http_sess {
    char id[64];
    char owner[64];
    wb_http_key *key;              /* the owner */
    wb_session *s;
    wb_sandbox_config policy;      /* shallow copy of the server's policy
                                      with this session's budget (constant
                                      while the session is open); never
                                      freed (its pointers are the server's) */
    wb_budget budget;              /* the session's budget */
    pthread_mutex_t mu;            /* one request at a time touches s */
    unsigned refs;                 /* srv->mu */
    bool gone;                     /* deleted or expired (srv->mu) */
    uint64_t last_used_ms;         /* srv->mu */
    /* --shared-state (http_lease.c) */
    struct wb_http_server *srv;
    pthread_mutex_t lease_mu;      /* the lease's fields and its file */
    int64_t lease_n;               /* the lease held now; 0: none */
    int64_t lease_last;            /* the last one this replica took */
    int64_t lease_expires;         /* lease_n's expiry as written (wall ms) */
    bool lease_lost;               /* lease_n lapsed or was taken over */
    bool ckpt_damage_said;         /* its ckpt/ damage was logged */
    uint64_t renewed;              /* the keeper's round (srv->mu) */
    struct wb_http_sess *next;
} wb_http_sess;

typedef struct wb_http_server {
    /* configuration */
    wb_sandbox_config policy;
    wb_session_settings settings;
    wb_session_options opts;       /* sessions */
    wb_session_options run_opts;   /* throw-away sessions of /v1/run */
    char *state_dir, *run_state_dir;
    char own_scratch[64];          /* made by prepare, removed by free */
    wb_http_key *keys;
    size_t nkeys;
    bool no_auth;
    wb_http_key anon;              /* the caller when auth is off */
    unsigned workers;
    uint64_t max_body;
    unsigned max_per_key;          /* requests in flight per key */
    unsigned max_running_per_key;  /* requests on a worker per key */
    unsigned max_sessions;
    unsigned max_sessions_per_key;
    unsigned max_per_client;       /* connections per client address; 0:
                                      no limit */
    /* connections: --max-connections, --header-timeout,
       --request-timeout (receiving a request, sending its answer, not
       running it), and their state */
    wb_conn_guard guard;
    uint64_t drain_delay_ms;       /* --drain-delay: not ready, still
                                      serving, after SIGTERM */
    /* --shared-state: replicas share the state directory; leases of
       --lease-ttl, a request waits --lease-wait for one */
    bool shared;
    uint64_t lease_ttl_ms, lease_wait_ms;

    /* running state */
    struct MHD_Daemon *daemon;
    pthread_mutex_t mu;            /* keys' active, sessions, metrics */
    wb_http_sess *sessions;
    unsigned nsessions;
    bool unready;                  /* SIGTERM came: /healthz says 503 */
    bool draining;                 /* not accepting: new requests 503 */

    pthread_mutex_t qmu;           /* the scheduler */
    pthread_cond_t qcv;
    size_t rr;                     /* the key served next */
    unsigned queued;
    bool stop;
    pthread_t *threads;
    unsigned nthreads;

    /* metrics (mu) */
    uint64_t runs[WB_HTTP_OUTCOMES];
    uint64_t hist[WB_HTTP_BUCKETS + 1];   /* last: +Inf */
    uint64_t hist_count;
    double hist_sum;
    uint64_t in_flight;
    uint64_t responses[6];         /* 1xx..5xx by class; [0] unused */

    /* the lease keeper (http_lease.c) */
    pthread_mutex_t lease_kmu;
    pthread_cond_t lease_kcv;
    pthread_t lease_keeper;
    bool lease_keeper_on, lease_stop;
    uint64_t lease_round;          /* the keeper's own */
    pthread_mutex_t adopt_mu;      /* one session found on disk at a time */
} wb_http_server;

/* Route ids (the table is in http_route.c; `wasmbox serve
 * --list-routes`). */
enum {
    WB_R_HEALTH, WB_R_LIVE, WB_R_METRICS, WB_R_RUN, WB_R_SESS_CREATE, WB_R_SESS_LIST,
    WB_R_SESS_GET, WB_R_SESS_DELETE, WB_R_EXEC, WB_R_FILES_LIST,
    WB_R_FILE_PUT, WB_R_FILE_GET, WB_R_SESS_FORK, WB_R_COUNT
};

/* One request (the libmicrohttpd connection's context). */
typedef struct wb_http_req {
    wb_http_server *srv;
    struct MHD_Connection *conn;
    int route;                     /* WB_R_*, -1 before it is known */
    char id[WB_HTTP_ID_MAX];       /* {id} */
    char path[WB_HTTP_PATH_MAX];   /* {path} */
    char dir[4096];                /* ?dir= of the file list */
    bool has_dir;
    wb_http_key *key;              /* holds a concurrency slot when set */
    uint8_t *body;
    size_t len, cap;
    bool too_big;
    bool nul_in_url;               /* the raw URI holds %00 */
    bool queued, answered;
    uint64_t t0_us;
    /* the answer */
    unsigned status;
    unsigned retry_after;          /* seconds; 0: no Retry-After */
    char *resp;                    /* malloc'd */
    size_t resp_len;
    const char *ctype;
    char allow[64];                /* 405: the Allow header */
    char session[64];              /* X-Wasmbox-Session: the session the
                                      answer is about (affinity) */
    struct wb_http_req *next;
} wb_http_req;

typedef struct wb_http_route {
    const char *method, *pattern;
    bool auth;
    bool in_place;     /* answered by the polling thread, no worker */
} wb_http_route;

/* http_route.c */
/* The route (WB_R_*) that METHOD URL matches, or -1; its {id} and {path}
 * go to id (WB_HTTP_ID_MAX bytes) and path (WB_HTTP_PATH_MAX), each
 * of which may be NULL. */
int wb_http_route_find(const char *method, const char *url, char *id,
                       char *path);
const wb_http_route *wb_http_route_get(int route);
/* The methods of the routes URL matches ("GET, DELETE") into buf, for a
 * 405's Allow header; NULL when it matches none (a 404). */
const char *wb_http_allowed(const char *url, char *buf, size_t cap);
void wb_http_list_routes(FILE *out);

/* http.c */
/* Serve on `addr` until SIGTERM/SIGINT (then drain); 0, or -1 with msg
 * set when it cannot start (libmicrohttpd missing, cannot listen). */
int wb_http_serve(wb_http_server *srv, const wb_addr *addr, char *msg,
                  size_t cap);
/* Set the answer: a JSON value (stolen), or {"error": msg}. */
void wb_http_json(wb_http_req *r, unsigned status, json_t *j);
void wb_http_error(wb_http_req *r, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The same with "limit": the name of the limit that refused the request
 * (its command-line option, or "workspace-quota"). */
void wb_http_limit_error(wb_http_req *r, unsigned status, const char *limit,
                         const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void wb_http_count_run(wb_http_server *srv, wb_outcome o);
uint64_t wb_http_now_ms(void);

/* http_sched.c */
/* Start the workers; false when none could start. */
bool wb_http_sched_start(wb_http_server *srv);
/* Queue r (its connection is suspended) on its key's queue. */
void wb_http_sched_submit(wb_http_server *srv, wb_http_req *r);
/* Let the workers finish the queue, then join them. */
void wb_http_sched_stop(wb_http_server *srv);

/* http_api.c: run request r's route (a worker thread). */
void wb_http_handle(wb_http_req *r);
/* Close and forget every open session (shutdown). */
void wb_http_sessions_close_all(wb_http_server *srv);
/* Close and delete sessions idle past the policy's expiry. */
void wb_http_sessions_expire(wb_http_server *srv);

/* Open session `id` (left on disk by an earlier server) for `key`, under
 * budget b, idle for idle_ms already, and put it in the table (start-up,
 * before any request). */
wb_status wb_http_sess_adopt(wb_http_server *srv, const char *id,
                             wb_http_key *key, const wb_budget *b,
                             uint64_t idle_ms, wb_error *err);

/* http_store.c */
/* Write e's record, <state>/sessions/<id>/serve.json (owner, creation
 * time, budget), atomically. */
wb_status wb_http_sess_record(const wb_http_server *srv,
                              const wb_http_sess *e, int64_t created,
                              wb_error *err);
/* Serve again the sessions an earlier server left in the state
 * directory (start-up, before any request); each one refused (a
 * missing, damaged or foreign record, an owner that is no key here)
 * gets one line on stderr and is not served. */
void wb_http_sessions_restore(wb_http_server *srv);

/* http_health.c */
/* Answer GET /healthz (readiness: 503 from SIGTERM on) or GET /livez. */
void wb_http_health(wb_http_req *r);
/* The metrics of http_health.c: runs in flight, workers, draining. */
void wb_http_health_metrics(FILE *f, wb_http_server *srv);
/* After SIGTERM: mark the server not ready, then keep serving for
 * drain_delay_ms (a second signal of `set` ends it). */
void wb_http_drain_delay(wb_http_server *srv, const sigset_t *set);
/* Drop a reference to e (the last one of an unlinked entry frees it). */
void wb_http_sess_put(wb_http_server *srv, wb_http_sess *e);
/* --shared-state: find session `id` of key on disk (made or last used
 * by another replica) and put it in the table; WB_E_NOT_FOUND when there
 * is none of that key's (http_store.c). */
wb_status wb_http_sess_find(wb_http_server *srv, const char *id,
                            wb_http_key *key, wb_error *err);
/* --shared-state: the sessions of `key` on disk, as GET /v1/sessions
 * lists them (http_store.c); NULL: out of memory. */
json_t *wb_http_sess_list_disk(wb_http_server *srv, const wb_http_key *key);
json_t *wb_http_info_json(const char *id, const wb_budget *b,
                          const wb_session_info *in);

/* http_lease.c */
typedef enum {
    WB_LEASE_OK, WB_LEASE_BUSY, WB_LEASE_GONE, WB_LEASE_ERROR
} wb_lease_result;
/* This process's holder identity; false without randomness. */
bool wb_http_lease_init(void);
const char *wb_http_lease_self(void);
/* Take e's lease (e->mu held), waiting up to --lease-wait: OK (*stale:
 * another replica changed the session since this one last held it;
 * *lapsed: the number of the lease taken over, which was not released,
 * else 0), BUSY (*retry_after: seconds to suggest), GONE (the session's
 * directory is not there), ERROR; msg says why when not OK. */
wb_lease_result wb_http_lease_take(wb_http_server *srv, wb_http_sess *e,
                                   bool *stale, int64_t *lapsed,
                                   unsigned *retry_after, char *msg,
                                   size_t cap);
/* Does e (user) still hold its lease: unexpired by a margin, the
 * highest number, this process's record as written? (The check of the
 * lease files before each commit of a shared session.) */
bool wb_http_lease_held(void *user);
/* Release e's lease, if held (`gone`: the session was deleted with it). */
void wb_http_lease_drop(wb_http_server *srv, wb_http_sess *e, bool gone);
/* The keeper thread that renews held leases. */
bool wb_http_lease_start(wb_http_server *srv);
void wb_http_lease_stop(wb_http_server *srv);

/* http_limits.c */
/* Tighten `b` with a request's "limits" object; false with msg set (the
 * field named) when a limit is malformed or wider than `b`. */
bool wb_http_limits(json_t *limits, wb_budget *b, char *msg, size_t cap);

/* http_config.c */
/* The defaults: workers = CPUs (at least 2), 16 MiB bodies, 8 requests in
 * flight per key, 64 sessions, 1000 connections, 10 s for headers, 60 s
 * for a request; connections per client by the address (prepare). */
void wb_http_server_init(wb_http_server *srv);
/* Parse key lines ("KEY" or "name:KEY"; '#' comments) into srv->keys;
 * `what` (kept, not copied) names the source in messages. A key without
 * a name is called keyN (the N-th key); an explicit name of that form, a
 * name or a key seen before, is refused ("what:line: ..." in msg). */
bool wb_http_add_keys(wb_http_server *srv, const char *text, char sep,
                      const char *what, char *msg, size_t cap);
/* After the options, keys and policy: check authentication (keys, or
 * no_auth on a loopback address only), fill the limits left to their
 * defaults, resolve the state directory (`state` or the default) and the
 * scratch directory of one-shot runs, expire old sessions. False with
 * msg set. */
bool wb_http_server_prepare(wb_http_server *srv, const wb_addr *addr,
                            const char *state, const char *scratch,
                            char *msg, size_t cap);
/* Everything init, add_keys and prepare made (keys are wiped). */
void wb_http_server_free(wb_http_server *srv);

#endif
