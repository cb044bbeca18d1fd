/* wb_session_step.c: wb_session_run(_ex). Python and JavaScript steps go
 * to the session's kernels (wb_session_kernel.c) unless the step is
 * one-shot; Lua, SQL, raw wasm and one-shot Python/JavaScript steps are
 * wb_sandbox_run calls (see one_shot for each argv) with output captured
 * through the output callback. The step's budget is the policy's,
 * tightened by the options, and its disk budget at most what is left of
 * the workspace quota (the policy's budget.disk, wb_session_files.c). */
#include "net/net.h"
#include "session/wb_session.h"
#include "sandbox/preinit.h"
#ifdef WB_TEST_HOOKS
#include "sandbox/oslock.h"
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int capture_cb(void *user, int stream, const uint8_t *d, size_t n)
{
    return wb_capture_append(user, stream, d, n);
}

/* An fd reading `data` from its start (memfd, else an unlinked file). */
static int data_fd(const char *data, size_t len)
{
    int fd = memfd_create("wasmbox-step", MFD_CLOEXEC);
    if (fd < 0) {
        char tmpl[] = "/tmp/wasmbox-step-XXXXXX";
        fd = mkostemp(tmpl, O_CLOEXEC);
        if (fd < 0)
            return -1;
        unlink(tmpl);
    }
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            close(fd);
            return -1;
        }
        off += (size_t)w;
    }
    lseek(fd, 0, SEEK_SET);
    return fd;
}

/* Append an argv entry: `len` bytes (not NUL-terminated), or all of `a`
 * when len is SIZE_MAX. */
static wb_status arg(wb_sandbox_config *c, const char *a, size_t len,
                     wb_error *err)
{
    char *dup = len == SIZE_MAX ? NULL : strndup(a, len);
    wb_status st = len != SIZE_MAX && !dup ? WB_E_NOMEM
                 : wb_config_add_arg(c, dup ? dup : a);
    free(dup);
    return st ? wb_err_set(err, st, "out of memory") : WB_OK;
}
#define ARG(a) arg(&c, (a), SIZE_MAX, err)

/* One wb_sandbox_run of the language's runtime (or the raw module):
 *   python      python3 -c CODE ARGS...          stdin: the step's
 *   javascript  qjs --std -e CODE -- ARGS...     stdin: the step's
 *   lua         lua - ARGS...                    the program on stdin
 *   sql         sqlite3 -batch -bail -header DB  the program on stdin
 *   wasm        module.wasm ARGS...              stdin: the step's */
static wb_status one_shot(wb_session *s, wb_lang lang, const char *code,
                          size_t len, const wb_step_options *o,
                          const wb_budget *b, int fd, wb_step_result *res,
                          wb_error *err)
{
    wb_sandbox_config c;
    wb_module *m = NULL;
    wb_capture cap = { 0 };
    bool code_arg = lang == WB_LANG_PYTHON || lang == WB_LANG_JAVASCRIPT ||
                    lang == WB_LANG_SHELL;
    const wb_snapshot *pre = NULL;
    wb_status st = wb_sess_config(s, lang, false, &c, err);
    if (st)
        return st;
    c.budget = *b;
    if (code_arg && len && memchr(code, 0, len))
        st = wb_err_set(err, WB_E_ARG, "the program contains a NUL byte");
    else if (lang == WB_LANG_WASM)
        st = wb_module_new((const uint8_t *)code, len, &m, err);
    else if (lang != WB_LANG_PYTHON ||
             !(pre = wb_sess_pre(s)))
        st = wb_sess_module(s, lang, &m, err);
    if (!st && (lang == WB_LANG_PYTHON || lang == WB_LANG_SHELL)) {
        if (!(st = ARG("-c")))
            st = arg(&c, code, len, err);
    } else if (!st && lang == WB_LANG_JAVASCRIPT) {
        if (!(st = ARG("--std")) &&
            !(st = ARG("-e")) &&
            !(st = arg(&c, code, len, err)))
            st = ARG("--");
    } else if (!st && lang == WB_LANG_LUA) {
        st = ARG("-");
    } else if (!st && lang == WB_LANG_SQL) {
        char rel[PATH_MAX], guest[PATH_MAX + 8];
        const char *db = o->db;
        st = wb_sess_rel_path(db && *db ? db : "session.db", rel, sizeof rel,
                              err);
        if (!st && !*rel)
            st = wb_err_set(err, WB_E_ARG, "the database must be a file "
                            "in the workspace");
        snprintf(guest, sizeof guest, "/work/%s", rel);
        if (!st && !(st = ARG("-batch")) &&
            !(st = ARG("-bail")) &&
            !(st = ARG("-header")))
            st = ARG(guest);
    }
    for (size_t i = 0; !st && i < o->nargs; i++)
        st = ARG(o->args[i]);
    if (!st && pre && wb_preinit_unfit(&c)) {     /* start it cold */
        pre = NULL;
        st = wb_sess_module(s, lang, &m, err);
    }
    if (!st) {
        c.stdin_fd = fd;
        c.output = capture_cb;
        c.output_user = &cap;
        if (pre)   /* a throw-away run ends quickly (preinit.h) */
            wb_preinit_run_ex(&c, pre, o->one_shot && o->discard, &res->run,
                              NULL);
        else
            wb_sandbox_run(&c, m, &res->run, NULL);
        res->native = wb_sess_ran_native(pre ? wb_snapshot_module(pre) : m);
        res->out = cap.buf[1] ? cap.buf[1] : strdup("");
        res->err = cap.buf[2] ? cap.buf[2] : strdup("");
        res->out_len = cap.len[1];
        res->err_len = cap.len[2];
        cap.buf[1] = cap.buf[2] = NULL;
        if (!res->out || !res->err)
            st = wb_err_set(err, WB_E_NOMEM, "out of memory");
    }
    free(cap.buf[1]);
    free(cap.buf[2]);
    if (m)
        wb_module_release(m);
    c.stdin_fd = -1;
    wb_sandbox_config_free(&c);
    return st;
}
#undef ARG

/* The step's stdin as a descriptor (-1: empty): Lua's and SQL's program,
 * else the step's. Made here, in the server, so a worker (which may not
 * create files) gets it ready. */
static wb_status stage_stdin(wb_lang lang, const char *code, size_t len,
                             const wb_step_options *o, bool kernel, int *fd,
                             wb_error *err)
{
    bool prog_in = lang == WB_LANG_LUA || lang == WB_LANG_SQL;
    const char *in = prog_in ? code : (const char *)o->stdin_data;
    size_t in_len = prog_in ? len : o->stdin_len;
    *fd = -1;
    if (kernel || !in || (*fd = data_fd(in, in_len)) >= 0)
        return WB_OK;
    return wb_err_set(err, WB_E_IO, "cannot stage the %s: %s",
                      prog_in ? "program" : "stdin", strerror(errno));
}

#ifdef WB_TEST_HOOKS
/* tests/oslock/attempt.c: a step whose code is "#wb-test-attempt:KIND"
 * makes the process that runs it (a server's worker, or the server itself
 * with --no-os-sandbox) attempt KIND itself (standing for a guest that has
 * broken the engine); the line it gives is the step's stderr. */
static bool test_hook(const char *code, size_t len, wb_step_result *res)
{
    static const char tag[] = "#wb-test-attempt:";
    if (len < sizeof tag || memcmp(code, tag, sizeof tag - 1))
        return false;
    char what[256], line[400];
    snprintf(what, sizeof what, "%.*s", (int)(len - sizeof tag + 1),
             code + sizeof tag - 1);
    what[strcspn(what, "\n")] = 0;
    wb_oslock_test_attempt_line(what, line, sizeof line);
    res->out = strdup("");
    res->err = strdup(line);
    res->err_len = strlen(line);
    res->run.outcome = WB_OUTCOME_EXITED;
    return true;
}
#endif

wb_status wb_sess_exec(wb_session *s, wb_lang lang, bool kernel,
                       const char *code, size_t len, const wb_step_options *o,
                       const wb_budget *b, int in_fd, wb_step_result *res,
                       wb_error *err)
{
    s->committed = false;
#ifdef WB_TEST_HOOKS
    if (test_hook(code, len, res))
        return WB_OK;
#endif
    return kernel ? wb_kernel_step(s, lang, code, len, b, res, err)
                  : one_shot(s, lang, code, len, o, b, in_fd, res, err);
}

/* The step's network: o's rules that lie within b's (a rule of o that
 * b does not cover is dropped, never added), the lower limits. */
static void tighten_net(wb_net_budget *b, const wb_net_budget *o)
{
    wb_net_budget n = *b;
    char msg[300];
    n.nallow = 0;
    for (uint32_t i = 0; i < o->nallow && i < WB_NET_MAX_RULES; i++)
        if (wb_net_budget_covers(b, o->allow[i], msg, sizeof msg))
            snprintf(n.allow[n.nallow++], WB_NET_RULE_MAX, "%s", o->allow[i]);
    if (o->max_requests < n.max_requests)
        n.max_requests = o->max_requests;
    if (o->max_response < n.max_response)
        n.max_response = o->max_response;
    if (o->timeout_ms && (!n.timeout_ms || o->timeout_ms < n.timeout_ms))
        n.timeout_ms = o->timeout_ms;
    *b = n;
}

/* The tighter of each limit (timeout 0: none; fuel < 0: unlimited). */
static void tighten(wb_budget *b, const wb_budget *o)
{
    tighten_net(&b->net, &o->net);
#define LOWER(f) if (o->f < b->f) b->f = o->f
    LOWER(max_memory);
    LOWER(max_output);
    LOWER(max_disk);
    LOWER(max_files);
    LOWER(max_stack);
    LOWER(max_processes);
#undef LOWER
    if (o->fuel >= 0 && (b->fuel < 0 || o->fuel < b->fuel))
        b->fuel = o->fuel;
    if (o->timeout_ms && (!b->timeout_ms || o->timeout_ms < b->timeout_ms))
        b->timeout_ms = o->timeout_ms;
}

/* Options the step cannot take: WB_E_ARG with a message. */
static wb_status check_options(wb_session *s, wb_lang lang, bool kernel,
                               const wb_step_options *o, const wb_budget *b,
                               wb_error *err)
{
    const char *name = wb_lang_name(lang);
    if (o->nargs && !o->args)
        return wb_err_set(err, WB_E_ARG, "args: nargs without args");
    for (size_t i = 0; i < o->nargs; i++)
        if (!o->args[i])
            return wb_err_set(err, WB_E_ARG, "args: a NULL argument");
    if (kernel && (o->nargs || o->stdin_data))
        return wb_err_set(err, WB_E_ARG, "%s: only a one-shot step takes "
                          "it; a %s step in the session's interpreter "
                          "does not", o->nargs ? "args" : "stdin", name);
    if (o->nargs && lang == WB_LANG_SQL)
        return wb_err_set(err, WB_E_ARG, "args: sql steps take no "
                          "arguments");
    if (o->stdin_data && (lang == WB_LANG_LUA || lang == WB_LANG_SQL))
        return wb_err_set(err, WB_E_ARG, "stdin: not available to %s "
                          "steps (their program is read from stdin)",
                          name);
    const wb_budget *p = &s->policy->budget;
    if (kernel && (b->max_memory != p->max_memory ||
                   b->max_disk != p->max_disk ||
                   b->max_files != p->max_files ||
                   b->max_stack != p->max_stack))
        return wb_err_set(err, WB_E_ARG, "the %s interpreter keeps its "
                          "%s limit for its whole life: a step cannot "
                          "lower it (set it in the session's policy)",
                          name, b->max_memory != p->max_memory ? "memory"
                          : b->max_disk != p->max_disk ? "disk"
                          : b->max_files != p->max_files ? "open files"
                          : "stack");
    return WB_OK;
}

/* The step is over (s->mu held): is it in? A shared session's step is
 * when its checkpoint went in under the lease (the kernel's commit,
 * s->committed), else when the lease is still held now; one that is not
 * answers WB_E_BUSY, and what this process holds of the session (ahead
 * of the disk, or behind another replica's) goes: the next step starts
 * from the disk. session.json follows a step that is in. */
static wb_status fence_step(wb_session *s, wb_status st, wb_error *err)
{
    if (!st && !s->committed)
        st = wb_sess_commit_ok(s, err);         /* not shared: WB_OK */
    if (st == WB_E_BUSY && s->fence)
        wb_sess_reload_locked(s);
    else
        wb_sess_save(s, NULL);
    return st;
}

wb_status wb_session_run_ex(wb_session *s, wb_lang lang, const char *code,
                            size_t len, const wb_step_options *o,
                            wb_step_result *res, wb_error *err)
{
    static const wb_step_options defaults = { 0 };
    if (!o)
        o = &defaults;
    memset(res, 0, sizeof *res);
    if ((unsigned)lang >= WB_LANG_COUNT)
        return wb_err_set(err, WB_E_ARG, "unknown language");
    if (!(s->settings.languages & WB_LANG_BIT(lang)))
        return wb_err_set(err, WB_E_ARG, "the policy does not allow %s "
                          "steps", wb_lang_name(lang));
    bool kernel = wb_kernel_supported(lang) && !o->one_shot;
    wb_budget b = s->policy->budget;
    if (o->budget)
        tighten(&b, o->budget);
    wb_status st = check_options(s, lang, kernel, o, &b, err);
    if (st)
        return st;
    pthread_mutex_lock(&s->mu);
    s->committed = false;
    /* the workspace quota: a step may write only what is left of it */
    uint64_t left = wb_sess_quota_left(s);
    bool quota_bound = left < b.max_disk;
    if (quota_bound)
        b.max_disk = left;
    int fd;
    st = stage_stdin(lang, code, len, o, kernel, &fd, err);
    if (!st && s->iso)
        st = wb_worker_step(s, lang, kernel, code, len, o, &b, fd, res, err);
    else if (!st)
        st = wb_sess_exec(s, lang, kernel, code, len, o, &b, fd, res, err);
    if (fd >= 0)
        close(fd);
    if (!st && quota_bound && res->run.outcome == WB_OUTCOME_DISK_LIMIT)
        snprintf(res->run.message, sizeof res->run.message, "disk limit "
                 "exceeded: the workspace quota (budget.disk, %llu bytes) "
                 "had %llu bytes left for this step",
                 (unsigned long long)s->policy->budget.max_disk,
                 (unsigned long long)left);
    s->steps++;
    s->last_used = wb_sess_now();
    st = fence_step(s, st, err);
    pthread_mutex_unlock(&s->mu);
    if (st) {
        wb_step_result_free(res);
        memset(res, 0, sizeof *res);
    }
    return st;
}

wb_status wb_session_run(wb_session *s, wb_lang lang, const char *code,
                         size_t len, const char *db, wb_step_result *res,
                         wb_error *err)
{
    wb_step_options o = { .db = db };
    return wb_session_run_ex(s, lang, code, len, &o, res, err);
}

void wb_step_result_free(wb_step_result *r)
{
    if (!r)
        return;
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}
