/* start.c: a process's image: its store (under the tree's budget), its
 * linker (WASI and wasmbox_proc bound to the process), its instance and
 * _start; exec, which replaces the image on the process's own thread;
 * and the wait status a guest's end makes. */
#include "proc/proc.h"
#include "wasi/wasi.h"
#include <signal.h>
#include <stdlib.h>
#include <string.h>

wb_status wb_proc_link(wb_proc *p, wb_store *s, wb_linker *l, wb_error *e)
{
    WB_TRY(wb_wasi_define(p->wasi, s, l, e));
    WB_TRY(wb_wasi_define_fdops(p->wasi, s, l, e));
    return wb_proc_define(p, s, l, e);
}

wb_status wb_proc_store(wb_proc *p, wb_error *e)
{
    wb_ptree *t = p->tree;
    wb_store *s = NULL;
    wb_linker *l = NULL;
    wb_status st = wb_store_new(&t->limits, &s, e);
    if (st == WB_OK)
        st = wb_store_join_group(s, t->group, e);
    if (st == WB_OK && !(l = wb_linker_new()))
        st = wb_err_set(e, WB_E_NOMEM, "out of memory");
    if (st == WB_OK)
        st = wb_proc_link(p, s, l, e);
    if (st != WB_OK) {
        wb_linker_free(l);
        wb_store_free(s);
        return st;
    }
    wb_store_set_user(s, p->wasi);
    pthread_mutex_lock(&t->mu);
    if (p->killed || atomic_load(&t->cancelled))
        wb_store_interrupt(s);        /* ended before it started */
    p->store = s;
    p->linker = l;
    pthread_mutex_unlock(&t->mu);
    return WB_OK;
}

wb_status wb_proc_run_image(wb_proc *p, wb_module *m, wb_error *e)
{
    wb_instance *inst;
    wb_status st = wb_instantiate(p->store, m, p->linker, &inst, e);
    if (st != WB_OK)
        return st;
    wb_func *f = wb_instance_func(inst, "_start");
    if (!f || wb_func_param_count(f) || wb_func_result_count(f))
        return wb_err_set(e, WB_E_LINK, "module has no function _start "
                          "[] -> []");
    return wb_func_call(p->store, f, NULL, 0, NULL, 0, e);
}

wb_status wb_proc_follow_execs(wb_proc *p, wb_status st, wb_error *e)
{
    while (st == WB_E_EXIT && p->exec_pending) {
        wb_pimage im = p->next;
        memset(&p->next, 0, sizeof p->next);
        p->exec_pending = false;
        wb_proc_drop_store(p, p->owns_store);
        p->owns_store = true;
        wb_proc_ctx_exec(p, &im);
        wb_pmod_put(p->mod);           /* the image it replaces */
        p->mod = im.mod;
        im.mod = NULL;
        free(p->cwd);
        p->cwd = im.cwd;
        im.cwd = NULL;
        memset(e, 0, sizeof *e);
        st = wb_proc_store(p, e);
        if (st == WB_OK)
            st = wb_proc_run_image(p, im.m, e);
        wb_pimage_clear(&im);
    }
    return st;
}

int wb_proc_wait_status(wb_proc *p, wb_status st, const wb_error *e,
                        int *stop)
{
    *stop = -1;
    switch (st) {
    case WB_OK: return 0;
    case WB_E_EXIT: return (e->exit_code & 0xff) << 8;
    case WB_E_LIMIT:                  /* memory at instantiation */
        *stop = WB_OUTCOME_MEMORY;
        return SIGKILL;
    case WB_E_TRAP: break;
    default: return 126 << 8;          /* the image could not start */
    }
    int why = p->wasi ? wb_wasi_stop_reason(p->wasi) : -1;
    if (why >= 0 && why != WB_OUTCOME_TIMEOUT)
        *stop = why;                   /* output, disk: the tree's */
    else if (e->trap == WB_TRAP_FUEL)
        *stop = WB_OUTCOME_FUEL;
    if (*stop >= 0 || e->trap == WB_TRAP_INTERRUPT ||
        (why == WB_OUTCOME_TIMEOUT))
        return SIGKILL;                /* the tree ends (or p was killed) */
    return SIGABRT;                    /* a trap of its own */
}
