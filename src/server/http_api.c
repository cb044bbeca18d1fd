/* http_api.c: the endpoints of `wasmbox serve` (run on worker threads).
 *
 * POST /v1/run is a throw-away session (under <state>/oneshot) that is
 * deleted after its one step, a one-shot step (Python and JavaScript run
 * their runtime directly, not a kernel) that may take args and stdin.
 * Sessions created through the API belong to the API key (its name) that
 * created them; other keys get 404. Owner and budget are also kept on
 * disk (http_store.c), so a restarted server serves them again. A request's
 * "limits" only tighten the budget it runs under (wb_http_limits,
 * http_limits.c): asking for more than the policy (or the session)
 * allows is a 400 naming the field. */
#include "server/http.h"
#include "common/b64.h"
#include "common/error.h"
#include "common/json.h"
#include "sandbox/sandbox.h"
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "session/wb_session.h"

#define MAX_GET_FILE (64u << 20)

static json_t *budget_json(const wb_budget *b)
{
    return json_pack("{s:I, s:I, s:o, s:I, s:I}",
                     "timeout_ms", (json_int_t)b->timeout_ms,
                     "memory", (json_int_t)b->max_memory,
                     "fuel", b->fuel < 0 ? json_null()
                                         : json_integer((json_int_t)b->fuel),
                     "output", (json_int_t)b->max_output,
                     "disk", (json_int_t)b->max_disk);
}

/* ---- requests -------------------------------------------------------- */

static json_t *parse_body(wb_http_req *r, bool optional)
{
    if (r->len == 0 && optional)
        return json_object();
    json_error_t je;
    json_t *j = json_loadb((const char *)r->body, r->len, 0, &je);
    if (!j) {
        wb_http_error(r, 400, "malformed JSON: line %d column %d: %s",
                      je.line, je.column, je.text);
        return NULL;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        wb_http_error(r, 400, "the request body must be a JSON object");
        return NULL;
    }
    return j;
}

static bool only_fields(wb_http_req *r, json_t *j, const char *const *ok)
{
    const char *k;
    json_t *v;
    json_object_foreach(j, k, v) {
        const char *const *f = ok;
        while (*f && strcmp(*f, k))
            f++;
        if (!*f) {
            wb_http_error(r, 400, "%s: unknown field", k);
            return false;
        }
    }
    return true;
}

static unsigned status_of(wb_status st)
{
    if (st == WB_E_NOT_FOUND)
        return 404;
    if (st == WB_E_ARG)
        return 400;
    if (st == WB_E_BUSY)
        return 409;
    if (st == WB_E_LIMIT)
        return 413;
    if (st == WB_E_MALFORMED || st == WB_E_INVALID || st == WB_E_LINK ||
        st == WB_E_IMPL_LIMIT)
        return 400;
    return 500;
}

/* A run or step request, validated. */
typedef struct step_req {
    wb_lang lang;
    const char *code;
    size_t len;
    uint8_t *module;               /* wasm, decoded */
    const char *db;
    json_t *files;
    wb_budget budget;
    char **args;                   /* borrowed from the JSON; array malloc'd */
    size_t nargs;
    const uint8_t *stdin_data;     /* the JSON string, or stdin_buf */
    size_t stdin_len;
    uint8_t *stdin_buf;            /* decoded base64 */
} step_req;

static void step_req_free(step_req *q)
{
    free(q->module);
    free(q->args);
    free(q->stdin_buf);
}

/* "args" (strings) and "stdin" (a string or {"base64": ...}) of a run. */
static bool parse_io(wb_http_req *r, json_t *j, step_req *q)
{
    json_t *args = json_object_get(j, "args");
    if (args && !json_is_array(args)) {
        wb_http_error(r, 400, "args: expected an array of strings");
        return false;
    }
    size_t n = json_array_size(args);
    if (n && q->lang == WB_LANG_SQL) {
        wb_http_error(r, 400, "args: sql runs take no arguments");
        return false;
    }
    if (n && !(q->args = calloc(n, sizeof *q->args))) {
        wb_http_error(r, 500, "out of memory");
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *a = json_array_get(args, i);
        if (!json_is_string(a) ||
            strlen(json_string_value(a)) != json_string_length(a)) {
            wb_http_error(r, 400, "args[%zu]: expected a string without "
                          "NUL characters", i);
            return false;
        }
        q->args[i] = (char *)json_string_value(a);
    }
    q->nargs = n;
    json_t *in = json_object_get(j, "stdin");
    if (!in || json_is_null(in))
        return true;
    if (q->lang == WB_LANG_LUA || q->lang == WB_LANG_SQL) {
        wb_http_error(r, 400, "stdin: not available to %s runs (their "
                      "program is read from stdin)", wb_lang_name(q->lang));
        return false;
    }
    json_t *b64 = json_is_object(in) ? json_object_get(in, "base64") : NULL;
    if (json_is_string(in)) {
        q->stdin_data = (const uint8_t *)json_string_value(in);
        q->stdin_len = json_string_length(in);
    } else if (json_is_string(b64) && json_object_size(in) == 1) {
        char why[100];
        q->stdin_buf = wb_b64_decode(json_string_value(b64),
                                     json_string_length(b64), &q->stdin_len,
                                     why, sizeof why);
        if (!q->stdin_buf) {
            wb_http_error(r, 400, "stdin: not valid base64: %s", why);
            return false;
        }
        q->stdin_data = q->stdin_buf;
    } else {
        wb_http_error(r, 400, "stdin: expected a string or "
                      "{\"base64\": \"...\"}");
        return false;
    }
    return true;
}

static bool parse_step(wb_http_req *r, json_t *j, step_req *q, bool oneshot)
{
    static const char *const run_fields[] = { "language", "code", "module",
        "files", "limits", "db", "args", "stdin", NULL };
    static const char *const exec_fields[] = { "language", "code", "module",
        "limits", "db", NULL };
    if (!only_fields(r, j, oneshot ? run_fields : exec_fields))
        return false;
    json_t *lang = json_object_get(j, "language");
    if (!json_is_string(lang)) {
        wb_http_error(r, 400, "language: required, one of python, "
                      "javascript, lua, sql, wasm");
        return false;
    }
    if (!wb_lang_parse(json_string_value(lang), &q->lang)) {
        wb_http_error(r, 400, "language: unknown language '%s' (python, "
                      "javascript, lua, sql, wasm)", json_string_value(lang));
        return false;
    }
    if (!(r->srv->settings.languages & WB_LANG_BIT(q->lang))) {
        wb_http_error(r, 400, "language: the server policy does not allow "
                      "%s", wb_lang_name(q->lang));
        return false;
    }
    json_t *code = json_object_get(j, "code");
    json_t *mod = json_object_get(j, "module");
    if (q->lang == WB_LANG_WASM) {
        if (code) {
            wb_http_error(r, 400, "code: a wasm run takes 'module' (the "
                          "binary, base64), not 'code'");
            return false;
        }
        if (!json_is_string(mod)) {
            wb_http_error(r, 400, "module: required for wasm: the module "
                          "binary in base64");
            return false;
        }
        char why[100];
        q->module = wb_b64_decode(json_string_value(mod),
                                  json_string_length(mod), &q->len, why,
                                  sizeof why);
        if (!q->module) {
            wb_http_error(r, 400, "module: not valid base64: %s", why);
            return false;
        }
        q->code = (const char *)q->module;
    } else {
        if (mod) {
            wb_http_error(r, 400, "module: only for language wasm");
            return false;
        }
        if (!json_is_string(code)) {
            wb_http_error(r, 400, "code: required, a string");
            return false;
        }
        q->code = json_string_value(code);
        q->len = json_string_length(code);
    }
    json_t *db = json_object_get(j, "db");
    if (db && (!json_is_string(db) || q->lang != WB_LANG_SQL)) {
        wb_http_error(r, 400, "db: a string, for language sql only");
        return false;
    }
    q->db = db ? json_string_value(db) : NULL;
    q->files = json_object_get(j, "files");
    if (q->files && !json_is_object(q->files)) {
        wb_http_error(r, 400, "files: expected an object {path: content}");
        return false;
    }
    const char *k;
    json_t *v;
    json_object_foreach(q->files, k, v) {
        json_t *b64 = json_is_object(v) ? json_object_get(v, "base64") : NULL;
        if (!json_is_string(v) && !(json_is_string(b64) &&
                                    json_object_size(v) == 1)) {
            wb_http_error(r, 400, "files.%s: expected a string or "
                          "{\"base64\": \"...\"}", k);
            return false;
        }
    }
    char msg[512];
    if (!wb_http_limits(json_object_get(j, "limits"), &q->budget, msg,
                        sizeof msg)) {
        wb_http_error(r, 400, "%s", msg);
        return false;
    }
    return !oneshot || parse_io(r, j, q);
}

/* A failed file write: 413 naming the workspace quota, 400 for a bad
 * path (also a missing directory), else by status. */
static void put_error(wb_http_req *r, wb_status st, const char *what,
                      const char *msg)
{
    unsigned code = status_of(st);
    if (st == WB_E_BUSY)
        r->retry_after = 1;         /* the lease was lost: nothing done */
    if (st == WB_E_LIMIT)
        wb_http_limit_error(r, 413, "workspace-quota", "%s%s", what, msg);
    else
        wb_http_error(r, code == 404 ? 400 : code, "%s%s", what, msg);
}

static bool put_files(wb_http_req *r, wb_session *s, json_t *files)
{
    const char *k;
    json_t *v;
    json_object_foreach(files, k, v) {
        wb_error err = { 0 };
        wb_status st;
        if (json_is_string(v)) {
            st = wb_session_put_file(s, k, (const uint8_t *)json_string_value(v),
                                     json_string_length(v), &err);
        } else {
            json_t *b = json_object_get(v, "base64");
            size_t n;
            char why[100];
            uint8_t *d = wb_b64_decode(json_string_value(b),
                                       json_string_length(b), &n, why,
                                       sizeof why);
            if (!d) {
                wb_http_error(r, 400, "files.%s: not valid base64: %s", k,
                              why);
                return false;
            }
            st = wb_session_put_file(s, k, d, n, &err);
            free(d);
        }
        if (st) {
            char what[300];
            snprintf(what, sizeof what, "files.%s: ", k);
            put_error(r, st, what, err.message);
            return false;
        }
    }
    return true;
}

static json_t *step_json(const wb_step_result *sr, bool session)
{
    const wb_run_result *rr = &sr->run;
    json_t *j = json_pack(
        "{s:o, s:o, s:o, s:s, s:o, s:{s:I, s:I, s:I, s:I, s:I, s:I},"
        " s:{s:b, s:b}, s:s}",
        "stdout", wb_json_text(sr->out ? sr->out : "", sr->out_len),
        "stderr", wb_json_text(sr->err ? sr->err : "", sr->err_len),
        "exit_code", rr->outcome == WB_OUTCOME_EXITED
                         ? json_integer(rr->exit_code) : json_null(),
        "outcome", wb_outcome_name(rr->outcome),
        "message", wb_json_text(rr->message, strlen(rr->message)),
        "usage",
        "fuel_used", (json_int_t)rr->fuel_used,
        "peak_memory", (json_int_t)rr->peak_memory,
        "wall_time_ms", (json_int_t)rr->wall_time_ms,
        "stdout_bytes", (json_int_t)rr->stdout_bytes,
        "stderr_bytes", (json_int_t)rr->stderr_bytes,
        "disk_bytes", (json_int_t)rr->disk_bytes,
        "truncated", "stdout", rr->stdout_truncated,
        "stderr", rr->stderr_truncated,
        "tier", sr->native ? "native" : "interp");
    if (j && rr->net_requests) {           /* docs/network.md */
        json_object_set_new(j, "requests", wb_run_requests_json(rr));
        json_object_set_new(j, "requests_total",
                            json_integer(rr->net_requests));
    }
    json_t *procs = j ? wb_run_processes_json(rr) : NULL;
    if (procs)                             /* docs/processes.md */
        json_object_set_new(j, "processes", procs);
    if (j && session) {
        json_object_set_new(j, "state", json_pack(
            "{s:b, s:b, s:b, s:b, s:I}", "persistent", sr->persistent,
            "kept", sr->state_kept, "lost_after", sr->state_lost_after,
            "rolled_back", sr->rolled_back,
            "live_step", (json_int_t)sr->live_step));
        json_object_set_new(j, "note", json_string(sr->note));
    }
    return j;
}

/* A /v1/run (one-shot: a fresh interpreter, with args and stdin) or a
 * session step (Python/JavaScript in the session's interpreter), under
 * the request's budget. */
static void run_step(wb_http_req *r, wb_session *s, const step_req *q,
                     bool session)
{
    wb_step_result sr;
    wb_error err = { 0 };
    wb_step_options o = {
        .db = q->db, .budget = &q->budget, .args = q->args,
        .nargs = q->nargs, .stdin_data = q->stdin_data,
        .stdin_len = q->stdin_len, .one_shot = !session,
        .discard = !session,            /* h_run deletes it after */
    };
    wb_status st = wb_session_run_ex(s, q->lang, q->code, q->len, &o, &sr,
                                     &err);
    if (st == WB_E_CRASH) {
        /* the worker died: only this request fails; the log has the rest */
        wb_http_json(r, 500, json_pack("{s:o, s:s, s:s}", "error",
                     wb_json_text(err.message, strlen(err.message)),
                     "outcome", "internal", "id", err.incident));
        return;
    }
    if (st) {
        wb_http_error(r, status_of(st), "%s", err.message);
        if (st == WB_E_BUSY)
            r->retry_after = 1;     /* the lease was lost: not committed */
        return;
    }
    wb_http_count_run(r->srv, sr.run.outcome);
    wb_http_json(r, 200, step_json(&sr, session));
    wb_step_result_free(&sr);
}

static void h_run(wb_http_req *r)
{
    wb_http_server *srv = r->srv;
    json_t *j = parse_body(r, false);
    if (!j)
        return;
    step_req q = { 0 };
    q.budget = srv->policy.budget;
    if (parse_step(r, j, &q, true)) {
        /* the server's policy; the request's budget is the step's */
        wb_session_options o = srv->run_opts;
        o.policy = &srv->policy;
        /* with isolation: a warm worker of this key's earlier runs may
           run it, and closing deletes it */
        o.oneshot_tenant = r->key->name;
        wb_session *s = NULL;
        wb_error err = { 0 };
        wb_status st = wb_session_open(&o, NULL, &s, &err);
        if (st) {
            wb_http_error(r, 500, "cannot create a workspace: %s",
                          err.message);
        } else {
            char id[64];
            snprintf(id, sizeof id, "%s", wb_session_id(s));
            if (put_files(r, s, q.files))
                run_step(r, s, &q, false);
            wb_session_close(s);
            if (!o.isolation)
                wb_session_delete(&o, id, NULL);
        }
    }
    step_req_free(&q);
    json_decref(j);
}

/* ---- sessions -------------------------------------------------------- */

/* r's session in the table, referenced; NULL if it is not there. */
static wb_http_sess *sess_lookup(wb_http_req *r)
{
    wb_http_server *srv = r->srv;
    wb_http_sess *e;
    pthread_mutex_lock(&srv->mu);
    for (e = srv->sessions; e; e = e->next)
        if (!e->gone && !strcmp(e->id, r->id) &&
            !strcmp(e->owner, r->key->name))
            break;
    if (e) {
        e->refs++;
        e->last_used_ms = wb_http_now_ms();
    }
    pthread_mutex_unlock(&srv->mu);
    return e;
}

static void sess_free(wb_http_sess *e)
{
    pthread_mutex_destroy(&e->mu);
    pthread_mutex_destroy(&e->lease_mu);
    free(e);
}

static void sess_unlink(wb_http_server *srv, wb_http_sess *e);
static wb_status sess_end(wb_http_server *srv, wb_http_sess *e, bool del,
                          wb_error *err);
static void make_room(wb_http_server *srv, const wb_http_key *key);

/* --shared-state: is session e still on disk? Another replica may have
 * deleted it (or its idle expiry did); then this replica's copy goes. */
static bool sess_on_disk(wb_http_server *srv, wb_http_sess *e)
{
    char path[PATH_MAX];
    struct stat sb;
    snprintf(path, sizeof path, "%s/sessions/%s/serve.json",
             srv->state_dir, e->id);
    if (stat(path, &sb) == 0 || errno != ENOENT)
        return true;
    pthread_mutex_lock(&srv->mu);
    bool mine = !e->gone;
    if (mine) {
        sess_unlink(srv, e);
        e->refs++;                      /* sess_end's */
    }
    pthread_mutex_unlock(&srv->mu);
    if (mine)
        sess_end(srv, e, false, NULL);
    return false;
}

/* r's session, referenced: in the table, or (--shared-state) found on
 * disk; NULL with 404 (or 500) answered. */
static wb_http_sess *sess_get(wb_http_req *r)
{
    wb_http_server *srv = r->srv;
    wb_http_sess *e = sess_lookup(r);
    if (e && srv->shared && !sess_on_disk(srv, e)) {
        wb_http_sess_put(srv, e);
        e = NULL;
    } else if (!e && srv->shared && wb_sess_valid_id(r->id)) {
        /* twice: a copy just found may be evicted (it is idle until
           referenced) by another request making room */
        wb_status st = WB_OK;
        for (int tries = 0; !e && !st && tries < 2; tries++) {
            wb_error err = { 0 };
            make_room(srv, r->key);
            pthread_mutex_lock(&srv->adopt_mu);
            e = sess_lookup(r);     /* another request found it first? */
            st = e ? WB_OK : wb_http_sess_find(srv, r->id, r->key, &err);
            if (!e && !st)
                e = sess_lookup(r);
            pthread_mutex_unlock(&srv->adopt_mu);
            if (st && st != WB_E_NOT_FOUND) {
                wb_http_error(r, 500, "session '%s': %s", r->id,
                              err.message);
                return NULL;
            }
        }
    }
    if (!e)
        wb_http_error(r, 404, "no session '%s'", r->id);
    else
        snprintf(r->session, sizeof r->session, "%s", e->id);
    return e;
}

/* Drop a reference. A session is idle from the end of its last request:
 * a step that ran longer than the idle expiry must not have its session
 * deleted right after it. */
void wb_http_sess_put(wb_http_server *srv, wb_http_sess *e)
{
    pthread_mutex_lock(&srv->mu);
    e->last_used_ms = wb_http_now_ms();
    bool last = --e->refs == 0 && e->gone;
    pthread_mutex_unlock(&srv->mu);
    if (last)
        sess_free(e);
}

#define sess_put wb_http_sess_put

/* --shared-state: e's lease was taken over from a holder that did not
 * release it (e->mu held): seal that holder's generation of the
 * checkpoint before anything is read, so that nothing it still writes
 * can land (wb_session_ckpt.c); false with the answer set (500, the
 * lease given back) when it cannot be. */
static bool seal(wb_http_req *r, wb_http_sess *e, int64_t lapsed)
{
    wb_error err = { 0 };
    if (!lapsed || !wb_sess_ckpt_seal(e->s, lapsed, &err))
        return true;
    /* not released: the next taker, finding it lapsed, seals it */
    wb_http_lease_drop(r->srv, e, true);
    wb_http_error(r, 500, "session '%s': %s", r->id, err.message);
    return false;
}

/* --shared-state: take e's lease (e->mu held), and reload e's session
 * when another replica changed it since; false with the answer set (409
 * and Retry-After while another replica holds it). */
static bool sess_lease(wb_http_req *r, wb_http_sess *e)
{
    bool stale = false;
    int64_t lapsed = 0;
    unsigned retry = 1;
    char msg[300];
    switch (wb_http_lease_take(r->srv, e, &stale, &lapsed, &retry, msg,
                               sizeof msg)) {
    case WB_LEASE_OK:
        if (!seal(r, e, lapsed))
            return false;
        if (stale)
            wb_sess_reload(e->s);
        return true;
    case WB_LEASE_BUSY:
        wb_http_error(r, 409, "%s", msg);
        r->retry_after = retry;
        return false;
    case WB_LEASE_GONE:
        wb_http_error(r, 404, "no session '%s'", r->id);
        return false;
    default:
        wb_http_error(r, 500, "session '%s': %s", r->id, msg);
        return false;
    }
}

/* Lock e for use; false (404 set) when it was closed meanwhile. `change`:
 * the request changes the session, which with --shared-state takes its
 * lease too (reads do not: they see the files as they are). */
static bool sess_lock(wb_http_req *r, wb_http_sess *e, bool change)
{
    pthread_mutex_lock(&e->mu);
    if (e->s && (!change || !r->srv->shared || sess_lease(r, e)))
        return true;
    if (!e->s)
        wb_http_error(r, 404, "no session '%s'", r->id);
    pthread_mutex_unlock(&e->mu);
    return false;
}

/* Unlock e, and release its lease when one is held. */
static void sess_unlock(wb_http_server *srv, wb_http_sess *e)
{
    if (srv->shared)
        wb_http_lease_drop(srv, e, false);
    pthread_mutex_unlock(&e->mu);
}

/* Unlink e from the table (srv->mu held); the caller then closes it. */
static void sess_unlink(wb_http_server *srv, wb_http_sess *e)
{
    for (wb_http_sess **p = &srv->sessions; *p; p = &(*p)->next)
        if (*p == e) {
            *p = e->next;
            e->gone = true;
            srv->nsessions--;
            e->key->sessions--;
            return;
        }
}

/* Close (and, when `del`, delete) a session already unlinked, and drop
 * the caller's reference; the last reference frees it. A failed delete
 * returns its status with err set. */
static wb_status sess_end(wb_http_server *srv, wb_http_sess *e, bool del,
                          wb_error *err)
{
    wb_status st = WB_OK;
    pthread_mutex_lock(&e->mu);
    if (e->s) {
        wb_session_close(e->s);
        e->s = NULL;
        if (del)
            st = wb_session_delete(&srv->opts, e->id, err);
    }
    pthread_mutex_unlock(&e->mu);
    sess_put(srv, e);
    return st;
}

/* A table entry of key's with budget b, not yet open nor linked. */
static wb_http_sess *sess_new(wb_http_server *srv, wb_http_key *key,
                              const wb_budget *b)
{
    wb_http_sess *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    pthread_mutex_init(&e->mu, NULL);
    pthread_mutex_init(&e->lease_mu, NULL);
    e->policy = srv->policy;
    e->policy.budget = *b;
    e->budget = *b;
    snprintf(e->owner, sizeof e->owner, "%s", key->name);
    e->key = key;
    e->srv = srv;
    return e;
}

/* Open e's session: `id` (a restored one), or a new one (NULL). */
static wb_status sess_open(wb_http_server *srv, wb_http_sess *e,
                           const char *id, wb_error *err)
{
    wb_session_options o = srv->opts;
    o.policy = &e->policy;
    wb_status st = wb_session_open(&o, id, &e->s, err);
    if (!st)
        snprintf(e->id, sizeof e->id, "%s", wb_session_id(e->s));
    return st;
}

/* Put e, open, in the table (srv->mu held), idle for idle_ms. */
static void sess_link(wb_http_server *srv, wb_http_sess *e, uint64_t idle_ms)
{
    uint64_t now = wb_http_now_ms();
    if (srv->shared)            /* its commits look at the lease files */
        wb_sess_fence_on_check(e->s, wb_http_lease_held, e);
    e->last_used_ms = idle_ms < now ? now - idle_ms : 0;
    e->next = srv->sessions;
    srv->sessions = e;
}

json_t *wb_http_info_json(const char *id, const wb_budget *b,
                          const wb_session_info *in)
{
    json_t *j = json_pack("{s:s, s:o}", "id", id, "limits", budget_json(b));
    if (j && in) {
        json_object_set_new(j, "created", json_integer(in->created));
        json_object_set_new(j, "last_used", json_integer(in->last_used));
        json_object_set_new(j, "steps", json_integer((json_int_t)in->steps));
    }
    return j;
}

/* --shared-state: close (not delete) the idle copy (of `key`'s, or any
 * key's when NULL) this replica used least recently, to make room: the
 * session stays on disk for any replica. False when none is idle. */
static bool evict_idle(wb_http_server *srv, const wb_http_key *key)
{
    pthread_mutex_lock(&srv->mu);
    wb_http_sess *old = NULL;
    for (wb_http_sess *e = srv->sessions; e; e = e->next)
        if (!e->refs && (!key || e->key == key) &&
            (!old || e->last_used_ms < old->last_used_ms))
            old = e;
    if (old) {
        sess_unlink(srv, old);
        old->refs++;
    }
    pthread_mutex_unlock(&srv->mu);
    if (old)
        sess_end(srv, old, false, NULL);
    return old != NULL;
}

/* --shared-state: room for one more open session of `key` (its idle
 * copies of other replicas' sessions are evicted first). */
static void make_room(wb_http_server *srv, const wb_http_key *key)
{
    for (int i = 0; i < 4; i++) {
        pthread_mutex_lock(&srv->mu);
        bool full = srv->nsessions >= srv->max_sessions;
        bool quota = key->sessions >= srv->max_sessions_per_key;
        pthread_mutex_unlock(&srv->mu);
        if ((!full && !quota) || !evict_idle(srv, quota ? key : NULL))
            return;
    }
}

/* A new entry of r's key with budget b and its slots reserved; NULL
 * (the error answered) past a session limit. */
static wb_http_sess *sess_reserve(wb_http_req *r, const wb_budget *b)
{
    wb_http_server *srv = r->srv;
    wb_http_sess *e = sess_new(srv, r->key, b);
    if (!e) {
        wb_http_error(r, 500, "out of memory");
        return NULL;
    }
    if (srv->shared)
        make_room(srv, r->key);
    pthread_mutex_lock(&srv->mu);
    unsigned mine = r->key->sessions;
    bool full = srv->nsessions >= srv->max_sessions;
    bool quota = mine >= srv->max_sessions_per_key;
    if (!full && !quota) {
        srv->nsessions++;                /* reserve the slots */
        r->key->sessions++;
    }
    pthread_mutex_unlock(&srv->mu);
    if (!full && !quota)
        return e;
    sess_free(e);
    if (quota)
        wb_http_limit_error(r, 429, "max-sessions-per-key", "this API "
                            "key has %u open sessions, its quota "
                            "(--max-sessions-per-key %u); delete one "
                            "(DELETE /v1/sessions/{id}) first", mine,
                            srv->max_sessions_per_key);
    else
        wb_http_limit_error(r, 429, "max-sessions", "the server has %u "
                            "open sessions, its limit (--max-sessions); "
                            "delete one first", srv->max_sessions);
    return NULL;
}

/* Enter e (its session opened: st WB_OK) into the table once its record
 * is on disk (a session that would not survive a restart is not made),
 * or give back its slots and free it. Returns the final status. */
static wb_status sess_enter(wb_http_req *r, wb_http_sess *e, wb_status st,
                            int64_t created, wb_error *err)
{
    wb_http_server *srv = r->srv;
    if (!st) {
        snprintf(e->id, sizeof e->id, "%s", wb_session_id(e->s));
        if ((st = wb_http_sess_record(srv, e, created, err))) {
            wb_session_close(e->s);
            e->s = NULL;
            wb_session_delete(&srv->opts, e->id, NULL);
        }
    }
    pthread_mutex_lock(&srv->mu);
    if (st) {
        srv->nsessions--;
        r->key->sessions--;
    } else {
        sess_link(srv, e, 0);
    }
    pthread_mutex_unlock(&srv->mu);
    if (st)
        sess_free(e);
    return st;
}

static void h_sess_create(wb_http_req *r)
{
    wb_http_server *srv = r->srv;
    json_t *j = parse_body(r, true);
    if (!j)
        return;
    static const char *const fields[] = { "limits", NULL };
    wb_budget b = srv->policy.budget;
    char msg[512];
    if (!only_fields(r, j, fields)) {
        json_decref(j);
        return;
    }
    if (!wb_http_limits(json_object_get(j, "limits"), &b, msg, sizeof msg)) {
        wb_http_error(r, 400, "%s", msg);
        json_decref(j);
        return;
    }
    json_decref(j);
    wb_http_sess *e = sess_reserve(r, &b);
    if (!e)
        return;
    wb_error err = { 0 };
    int64_t created = (int64_t)time(NULL);
    wb_status st = sess_open(srv, e, NULL, &err);
    if (sess_enter(r, e, st, created, &err)) {
        wb_http_error(r, 500, "cannot create the session: %s", err.message);
        return;
    }
    json_t *out = wb_http_info_json(e->id, &e->budget, NULL);
    snprintf(r->session, sizeof r->session, "%s", e->id);
    json_object_set_new(out, "created", json_integer((json_int_t)created));
    wb_http_json(r, 201, out);
}

wb_status wb_http_sess_adopt(wb_http_server *srv, const char *id,
                             wb_http_key *key, const wb_budget *b,
                             uint64_t idle_ms, wb_error *err)
{
    wb_http_sess *e = sess_new(srv, key, b);
    if (!e)
        return wb_err_set(err, WB_E_NOMEM, "out of memory");
    wb_status st = sess_open(srv, e, id, err);
    if (st) {
        sess_free(e);
        return st;
    }
    pthread_mutex_lock(&srv->mu);
    srv->nsessions++;
    key->sessions++;
    sess_link(srv, e, idle_ms);
    pthread_mutex_unlock(&srv->mu);
    return WB_OK;
}

/* POST /v1/sessions/{id}/fork: a new session of the same key with the
 * parent's limits, workspace and Python state (wb_session_fork); the
 * parent is not changed. No body (an empty object is accepted). */
static void h_sess_fork(wb_http_req *r)
{
    wb_http_server *srv = r->srv;
    wb_http_sess *p = sess_get(r);
    if (!p)
        return;
    static const char *const fields[] = { NULL };
    json_t *j = parse_body(r, true);
    bool ok = j && only_fields(r, j, fields);
    json_decref(j);
    wb_http_sess *e = ok ? sess_reserve(r, &p->budget) : NULL;
    wb_error err = { 0 };
    wb_status st = WB_E_NOT_FOUND;
    bool locked = e && sess_lock(r, p, true);
    if (locked) {
        wb_session_options o = srv->opts;
        o.policy = &e->policy;
        st = wb_session_fork(p->s, &o, &e->s, &err);
        sess_unlock(srv, p);
    }
    int64_t created = (int64_t)time(NULL);
    if (e)
        st = sess_enter(r, e, st, created, &err);
    if (locked && st) {
        wb_http_error(r, st == WB_E_LIMIT ? 413 : st == WB_E_BUSY ? 409
                      : 500, "cannot fork the session: %s", err.message);
        r->retry_after = st == WB_E_BUSY;
    } else if (e && !st) {
        json_t *out = wb_http_info_json(e->id, &e->budget, NULL);
        snprintf(r->session, sizeof r->session, "%s", e->id);
        json_object_set_new(out, "created", json_integer(created));
        json_object_set_new(out, "parent", json_string(p->id));
        wb_http_json(r, 201, out);
    }
    sess_put(srv, p);
}

static void h_sess_list(wb_http_req *r)
{
    wb_http_server *srv = r->srv;
    if (srv->shared) {          /* every replica's, from the disk */
        json_t *arr = wb_http_sess_list_disk(srv, r->key);
        if (!arr)
            wb_http_error(r, 500, "out of memory");
        else
            wb_http_json(r, 200, json_pack("{s:o}", "sessions", arr));
        return;
    }
    wb_session_info *list = NULL;
    size_t n = 0;
    wb_error err = { 0 };
    if (wb_session_list(&srv->opts, &list, &n, &err)) {
        wb_http_error(r, 500, "%s", err.message);
        return;
    }
    json_t *arr = json_array();
    pthread_mutex_lock(&srv->mu);
    for (wb_http_sess *e = srv->sessions; e; e = e->next) {
        if (e->gone || strcmp(e->owner, r->key->name))
            continue;
        const wb_session_info *in = NULL;
        for (size_t i = 0; i < n && !in; i++)
            if (!strcmp(list[i].id, e->id))
                in = &list[i];
        json_array_append_new(arr, wb_http_info_json(e->id, &e->budget, in));
    }
    pthread_mutex_unlock(&srv->mu);
    free(list);
    wb_http_json(r, 200, json_pack("{s:o}", "sessions", arr));
}

static void h_sess_get(wb_http_req *r)
{
    wb_http_sess *e = sess_get(r);
    if (!e)
        return;
    wb_session_info *list = NULL;
    size_t n = 0;
    wb_session_list(&r->srv->opts, &list, &n, NULL);
    const wb_session_info *in = NULL;
    for (size_t i = 0; i < n && !in; i++)
        if (!strcmp(list[i].id, e->id))
            in = &list[i];
    wb_http_json(r, 200, wb_http_info_json(e->id, &e->budget, in));
    free(list);
    sess_put(r->srv, e);
}

/* --shared-state: delete e under its lease (no other replica is
 * changing it), then drop it from the table; other replicas' copies go
 * at their next use (sess_on_disk). */
static void delete_shared(wb_http_req *r, wb_http_sess *e)
{
    wb_http_server *srv = r->srv;
    if (!sess_lock(r, e, true))
        return;
    wb_error err = { 0 };
    wb_sess_reload(e->s);         /* its worker goes: what is left is quick */
    wb_status st = wb_sess_commit_ok(e->s, &err);
    /* the lease is let go before the session: the keeper uses e->s
       while it is held */
    wb_http_lease_drop(srv, e, !st);
    if (!st) {
        wb_session_close(e->s);
        e->s = NULL;
        st = wb_session_delete(&srv->opts, e->id, &err);
    }
    pthread_mutex_unlock(&e->mu);
    pthread_mutex_lock(&srv->mu);
    if (!e->gone && st != WB_E_BUSY)
        sess_unlink(srv, e);
    pthread_mutex_unlock(&srv->mu);
    if (st) {
        wb_http_error(r, st == WB_E_BUSY ? 409 : 500, "%s", err.message);
        r->retry_after = st == WB_E_BUSY;
    } else
        wb_http_json(r, 200, json_pack("{s:s, s:b}", "id", r->id, "deleted",
                                       1));
}

static void h_sess_delete(wb_http_req *r)
{
    wb_http_server *srv = r->srv;
    wb_http_sess *e = sess_get(r);
    if (!e)
        return;
    if (srv->shared) {
        delete_shared(r, e);
        sess_put(srv, e);
        return;
    }
    pthread_mutex_lock(&srv->mu);
    bool mine = !e->gone;
    if (mine)
        sess_unlink(srv, e);
    pthread_mutex_unlock(&srv->mu);
    if (!mine) {
        sess_put(srv, e);
        wb_http_error(r, 404, "no session '%s'", r->id);
        return;
    }
    wb_error err = { 0 };
    if (sess_end(srv, e, true, &err))
        wb_http_error(r, 500, "%s", err.message);
    else
        wb_http_json(r, 200, json_pack("{s:s, s:b}", "id", r->id, "deleted",
                                       1));
}

static void h_exec(wb_http_req *r)
{
    wb_http_sess *e = sess_get(r);
    if (!e)
        return;
    json_t *j = parse_body(r, false);
    step_req q = { 0 };
    q.budget = e->budget;
    if (j && parse_step(r, j, &q, false)) {
        bool memory = q.budget.max_memory != e->budget.max_memory;
        if ((memory || q.budget.max_disk != e->budget.max_disk) &&
            (q.lang == WB_LANG_PYTHON || q.lang == WB_LANG_JAVASCRIPT)) {
            const char *f = memory ? "memory" : "disk";
            wb_http_error(r, 400, "limits.%s: a session's %s interpreter "
                          "keeps its %s limit for its whole life; set it "
                          "when creating the session (POST /v1/sessions "
                          "{\"limits\": {\"%s\": ...}})", f,
                          wb_lang_name(q.lang), f, f);
        } else if (sess_lock(r, e, true)) {
            run_step(r, e->s, &q, true);     /* q.budget: this step only */
            sess_unlock(r->srv, e);
        }
    }
    step_req_free(&q);
    json_decref(j);
    sess_put(r->srv, e);
}

static void h_file_put(wb_http_req *r)
{
    wb_http_sess *e = sess_get(r);
    if (!e)
        return;
    if (sess_lock(r, e, true)) {
        wb_error err = { 0 };
        wb_status st = wb_session_put_file(e->s, r->path, r->body ? r->body
                                           : (const uint8_t *)"", r->len,
                                           &err);
        sess_unlock(r->srv, e);
        if (st)
            put_error(r, st, "", err.message);
        else                  /* a name need not be UTF-8: as listed */
            wb_http_json(r, 200, json_pack("{s:o, s:I}", "path",
                                           wb_json_text(r->path,
                                                        strlen(r->path)),
                                           "size", (json_int_t)r->len));
    }
    sess_put(r->srv, e);
}

static void h_file_get(wb_http_req *r)
{
    wb_http_sess *e = sess_get(r);
    if (!e)
        return;
    if (sess_lock(r, e, false)) {
        wb_error err = { 0 };
        uint8_t *data = NULL;
        size_t n = 0;
        wb_status st = wb_session_get_file(e->s, r->path, MAX_GET_FILE, &data,
                                           &n, &err);
        pthread_mutex_unlock(&e->mu);
        if (st) {
            wb_http_error(r, status_of(st), "%s", err.message);
        } else {
            free(r->resp);
            r->resp = data ? (char *)data : strdup("");
            r->resp_len = n;
            r->status = 200;
            r->ctype = "application/octet-stream";
        }
    }
    sess_put(r->srv, e);
}

static void h_files_list(wb_http_req *r)
{
    wb_http_sess *e = sess_get(r);
    if (!e)
        return;
    if (sess_lock(r, e, false)) {
        wb_error err = { 0 };
        wb_file_entry *fe = NULL;
        size_t n = 0;
        wb_status st = wb_session_list_files(e->s, r->has_dir ? r->dir : NULL,
                                             &fe, &n, &err);
        pthread_mutex_unlock(&e->mu);
        if (st) {
            wb_http_error(r, status_of(st), "%s", err.message);
        } else {
            json_t *arr = json_array();
            for (size_t i = 0; i < n; i++)
                json_array_append_new(arr, json_pack(
                    "{s:o, s:I, s:b}", "path",
                    wb_json_text(fe[i].path, strlen(fe[i].path)), "size",
                    (json_int_t)fe[i].size, "is_dir", fe[i].is_dir));
            wb_file_entries_free(fe, n);
            wb_http_json(r, 200, json_pack("{s:o}", "files", arr));
        }
    }
    sess_put(r->srv, e);
}

void wb_http_handle(wb_http_req *r)
{
    switch (r->route) {
    case WB_R_RUN: h_run(r); break;
    case WB_R_SESS_CREATE: h_sess_create(r); break;
    case WB_R_SESS_LIST: h_sess_list(r); break;
    case WB_R_SESS_GET: h_sess_get(r); break;
    case WB_R_SESS_DELETE: h_sess_delete(r); break;
    case WB_R_SESS_FORK: h_sess_fork(r); break;
    case WB_R_EXEC: h_exec(r); break;
    case WB_R_FILES_LIST: h_files_list(r); break;
    case WB_R_FILE_PUT: h_file_put(r); break;
    case WB_R_FILE_GET: h_file_get(r); break;
    default: wb_http_error(r, 404, "no such route"); break;
    }
}

void wb_http_sessions_close_all(wb_http_server *srv)
{
    for (;;) {
        pthread_mutex_lock(&srv->mu);
        wb_http_sess *e = srv->sessions;
        if (e) {
            sess_unlink(srv, e);
            e->refs++;
        }
        pthread_mutex_unlock(&srv->mu);
        if (!e)
            return;
        sess_end(srv, e, false, NULL);    /* stays on disk */
    }
}

void wb_http_sessions_expire(wb_http_server *srv)
{
    uint64_t idle = srv->settings.idle_expiry_ms;
    if (idle) {
        for (;;) {
            /* read under srv->mu, as every last_used_ms is written: it is
               never older than one of them (a session used while another
               was being deleted would otherwise look idle for ages) */
            pthread_mutex_lock(&srv->mu);
            uint64_t now = wb_http_now_ms();
            wb_http_sess *e = srv->sessions;
            while (e && (e->refs || now - e->last_used_ms < idle))
                e = e->next;
            if (e) {
                sess_unlink(srv, e);
                e->refs++;
            }
            pthread_mutex_unlock(&srv->mu);
            if (!e)
                break;
            wb_error err = { 0 };
            /* shared: only this replica's copy goes; the session on
               disk expires by its recorded last use (below) */
            if (sess_end(srv, e, !srv->shared, &err))
                fprintf(stderr, "wasmbox serve: expiry: %s\n", err.message);
        }
        /* sessions on disk that this server does not hold open (from an
           earlier process): by their recorded last use; also what failed
           deletions left */
        wb_session_expire(&srv->opts, NULL, NULL);
    }
    /* throw-away workspaces left behind (a failed delete); a run lasts at
       most its timeout */
    uint64_t tmo = srv->policy.budget.timeout_ms;
    if (tmo == 0)
        return;
    wb_session_settings ss = srv->settings;
    ss.idle_expiry_ms = tmo + 15u * 60u * 1000u;
    wb_session_options o = srv->run_opts;
    o.settings = &ss;
    wb_session_expire(&o, NULL, NULL);
}
