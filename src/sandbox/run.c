/* run.c: wb_sandbox_run. Builds the store from the budget, links WASI,
 * starts the watchdog before instantiation (a start function may loop),
 * calls the entry and classifies how the run ended. */
#include "sandbox/sandbox.h"
#include "sandbox/oslock.h"
#include "proc/proc.h"
#include "wasi/wasi.h"
#include <stdio.h>
#include <string.h>
#include <time.h>

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

const char *wb_outcome_name(wb_outcome o)
{
    switch (o) {
    case WB_OUTCOME_EXITED: return "exited";
    case WB_OUTCOME_TRAP: return "trap";
    case WB_OUTCOME_TIMEOUT: return "timeout";
    case WB_OUTCOME_FUEL: return "fuel";
    case WB_OUTCOME_MEMORY: return "memory";
    case WB_OUTCOME_OUTPUT_LIMIT: return "output-limit";
    case WB_OUTCOME_DISK_LIMIT: return "disk-limit";
    case WB_OUTCOME_ERROR: return "error";
    }
    return "error";
}

/* The table of docs/exit-codes.md. */
int wb_run_exit_status(const wb_run_result *res)
{
    switch (res->outcome) {
    case WB_OUTCOME_EXITED: return res->exit_code & 0xff;
    case WB_OUTCOME_DISK_LIMIT: return 118;
    case WB_OUTCOME_OUTPUT_LIMIT: return 119;
    case WB_OUTCOME_MEMORY: return 120;
    case WB_OUTCOME_FUEL: return 121;
    case WB_OUTCOME_TIMEOUT: return 124;
    case WB_OUTCOME_TRAP: return 134;
    case WB_OUTCOME_ERROR: break;
    }
    switch (res->status) {
    case WB_E_ARG: return 125;
    case WB_E_MALFORMED: case WB_E_INVALID: case WB_E_LINK:
    case WB_E_IMPL_LIMIT: return 126;
    case WB_E_IO: case WB_E_NOT_FOUND: return 127;
    default: return 123;
    }
}

static void set_error(wb_run_result *res, wb_status st, const char *msg)
{
    res->outcome = WB_OUTCOME_ERROR;
    res->status = st;
    snprintf(res->message, sizeof res->message, "%s", msg);
}

/* How a call into the guest ended -> outcome. */
static void classify(wb_run_result *res, wb_status st, const wb_error *e,
                     bool fired, int stop)
{
    res->status = WB_OK;
    if (st == WB_OK || st == WB_E_EXIT) {
        res->outcome = WB_OUTCOME_EXITED;
        res->exit_code = st == WB_OK ? 0 : e->exit_code;
        return;
    }
    snprintf(res->message, sizeof res->message, "%s", e->message);
    snprintf(res->backtrace, sizeof res->backtrace, "%s", e->backtrace);
    if (st == WB_E_TRAP) {
        if (stop >= 0)
            res->outcome = (wb_outcome)stop;
        else if (e->trap == WB_TRAP_INTERRUPT)
            res->outcome = fired ? WB_OUTCOME_TIMEOUT : WB_OUTCOME_TRAP;
        else if (e->trap == WB_TRAP_FUEL)
            res->outcome = WB_OUTCOME_FUEL;
        else if (e->trap == WB_TRAP_MEMORY_LIMIT)
            res->outcome = WB_OUTCOME_MEMORY;
        else
            res->outcome = WB_OUTCOME_TRAP;
        if (res->outcome == WB_OUTCOME_TIMEOUT)
            snprintf(res->message, sizeof res->message, "timeout");
    } else if (st == WB_E_LIMIT) {
        res->outcome = WB_OUTCOME_MEMORY;
    } else {
        res->outcome = WB_OUTCOME_ERROR;
        res->status = st;
    }
}

/* What ended the run: a limit of the tree (a process over the output
 * or disk budget, fuel, the deadline) or of the root's own calls. */
static int stop_reason(const wb_ptree *t, const wb_wasi *w)
{
    int stop = wb_ptree_stop(t);
    return stop >= 0 ? stop : wb_wasi_stop_reason(w);
}

/* A root that a process of the tree killed exits as a shell reports it
 * (128 + the signal); the result says which signal and who sent it. */
static void root_killed(wb_run_result *res, const wb_ptree *t)
{
    int sender, sig = wb_ptree_root_signal(t, &sender);
    if (!sig || wb_ptree_stop(t) >= 0)
        return;
    res->outcome = WB_OUTCOME_EXITED;
    res->exit_code = 128 + sig;
    res->killed_signal = sig;
    res->killed_by = sender;
    const char *name = sigabbrev_np(sig);
    snprintf(res->message, sizeof res->message, "killed by signal %d%s%s%s "
             "sent by process %d", sig, name ? " (SIG" : "", name ? name : "",
             name ? ")" : "", sender);
    res->backtrace[0] = 0;
}

static wb_status setup_error(wb_run_result *res, wb_error *err,
                             const wb_error *e)
{
    set_error(res, e->status, e->message);
    if (err)
        *err = *e;
    return e->status;
}

/* Instantiate and call the entry; st/e describe how it ended. */
static wb_status call_entry(void *user, const wb_sandbox_config *cfg,
                            wb_store *s, wb_linker *l, wb_wasi *w,
                            wb_error *e, bool *ran)
{
    wb_module *m = user;
    wb_instance *inst;
    *ran = false;
    wb_status st = wb_instantiate(s, m, l, &inst, e);
    if (st == WB_E_TRAP || st == WB_E_EXIT || st == WB_E_LIMIT)
        *ran = true;                      /* the start function ran */
    if (st != WB_OK)
        return st;
    const char *entry = cfg->entry ? cfg->entry : "_start";
    wb_func *f = wb_instance_func(inst, entry);
    if (!f)
        return wb_err_set(e, WB_E_LINK, "module has no exported function "
                          "'%s'", entry);
    if (wb_func_param_count(f) || wb_func_result_count(f))
        return wb_err_set(e, WB_E_LINK, "export '%s' is not a function "
                          "[] -> []", entry);
    *ran = true;
    return wb_func_call(s, f, NULL, 0, NULL, 0, e);
}

/* The grants are open (wb_wasi_new) and no thread runs yet: the last
 * moment before the guest, and the watchdog thread, started after it,
 * inherits the lock. */
static wb_status lock_down(const wb_sandbox_config *cfg, wb_error *e)
{
    wb_error le = { 0 };
    if (cfg->os_lock && wb_oslock_apply(cfg->os_lock, &le) != WB_OK)
        return wb_err_set(e, le.status, "os sandbox: %s", le.message);
    if (cfg->os_lock)
        wb_watchdog_join();       /* Landlock binds only later threads */
#ifdef WB_TEST_HOOKS
    wb_oslock_test_attempt(cfg);
#endif
    return WB_OK;
}

/* The guest can never be more than one process: its module imports
 * nothing of wasmbox_proc (spawn, fork and exec are there). */
static bool single_process(const wb_module *m)
{
    size_t n = wb_module_import_count(m);
    for (size_t i = 0; i < n; i++) {
        const char *mod, *name;
        wb_module_import(m, i, &mod, &name, NULL);
        if (mod && !strcmp(mod, "wasmbox_proc"))
            return false;
    }
    return true;
}

static wb_status run_entry(const wb_sandbox_config *cfg,
                           wb_sandbox_entry entry, void *user, bool alone,
                           wb_run_result *res, wb_error *err);

/* A run that its process ends after, of a guest that stays one process,
 * is watched by a timer signal instead of a thread (watchdog_alone.c). */
wb_status wb_sandbox_run(const wb_sandbox_config *cfg, wb_module *m,
                         wb_run_result *res, wb_error *err)
{
    bool alone = cfg->exits_after && single_process(m);
    return run_entry(cfg, call_entry, m, alone, res, err);
}

wb_status wb_sandbox_run_entry(const wb_sandbox_config *cfg,
                               wb_sandbox_entry entry, void *user,
                               wb_run_result *res, wb_error *err)
{
    return run_entry(cfg, entry, user, false, res, err);
}

static wb_status run_entry(const wb_sandbox_config *cfg,
                           wb_sandbox_entry entry, void *user, bool alone,
                           wb_run_result *res, wb_error *err)
{
    uint64_t t0 = now_ms();
    wb_error e = { 0 };
    wb_wasi *w = NULL;
    wb_store *s = NULL;
    wb_linker *l = NULL;
    wb_ptree *tree = NULL;
    memset(res, 0, sizeof *res);
    wb_limits lim;
    wb_limits_default(&lim);
    lim.max_memory = cfg->budget.max_memory;
    lim.max_call_depth = cfg->budget.max_stack;
    lim.fuel = cfg->budget.fuel;

    wb_status st = wb_wasi_new(cfg, &w, &e);
    if (st == WB_OK)
        st = wb_store_new(&lim, &s, &e);
    if (st == WB_OK && !(l = wb_linker_new()))
        st = wb_err_set(&e, WB_E_NOMEM, "out of memory");
    if (st == WB_OK)
        st = wb_wasi_define(w, s, l, &e);
    if (st == WB_OK && alone)
        alone = wb_watchdog_prepare_alone();    /* the lock-down forbids it */
    if (st == WB_OK)
        st = lock_down(cfg, &e);
    if (st == WB_OK)
        st = wb_ptree_new(cfg, &tree, &e);
    if (st == WB_OK)
        st = wb_ptree_root(tree, s, l, w, &e);
    wb_watchdog wd;
    uint64_t ms = cfg->budget.timeout_ms;
    if (st == WB_OK && !(alone ? wb_watchdog_start_alone(&wd, s, w, tree, ms)
                               : wb_watchdog_start(&wd, s, w, tree, ms)))
        st = wb_err_set(&e, WB_E_NOMEM, "cannot start the watchdog");
    if (st != WB_OK) {
        setup_error(res, err, &e);
    } else {
        bool ran;
        wb_store_set_user(s, w);
        st = entry(user, cfg, s, l, w, &e, &ran);
        if (ran)
            st = wb_ptree_root_done(tree, st, &e);
        wb_ptree_end(tree);
        bool fired = wb_watchdog_stop(&wd);
        if (ran || st == WB_OK) {
            classify(res, st, &e, fired, stop_reason(tree, w));
            root_killed(res, tree);
            st = WB_OK;
        } else {
            setup_error(res, err, &e);
        }
        wb_ptree_usage(tree, res);
        wb_wasi_usage(w, res);
    }
    res->wall_time_ms = now_ms() - t0;
    if (cfg->exits_after)
        return st;                     /* the exit frees it all at once */
    wb_ptree_free(tree);
    wb_linker_free(l);
    if (s)
        wb_store_free(s);
    wb_wasi_free(w);
    return st;
}
