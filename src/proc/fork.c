/* fork.c: wasmbox_proc.fork (docs/processes.md). The engine copies the
 * calling guest inside this host call (wb_fork: memories, tables,
 * globals, the interpreter's frames) into a new store, linked against
 * the child's own host functions: WASI bound to the child's context
 * (the parent's fd table copied) and wasmbox_proc bound to the child.
 * Those functions belong to a small store of the child's own, since its
 * real store is only made by wb_fork. The child's thread resumes the
 * copy as if fork had returned 0. Only interpreted code can be copied:
 * a native caller, or one inside a host callback, gets ENOSYS. */
#include "proc/proc.h"
#include "wasi/wasi.h"
#include <stdlib.h>
#include <string.h>

/* The child's host functions into p->linker, owned by p->host_store. */
static wb_status child_linker(wb_proc *p, wb_error *e)
{
    wb_limits lim;
    wb_limits_default(&lim);
    WB_TRY(wb_store_new(&lim, &p->host_store, e));
    if (!(p->linker = wb_linker_new()))
        return wb_err_set(e, WB_E_NOMEM, "out of memory");
    return wb_proc_link(p, p->host_store, p->linker, e);
}

/* child: a copy of the caller of c, ready to resume; a WASI errno. */
static int copy(wb_caller *c, wb_proc *p, wb_proc *child)
{
    wb_ptree *t = p->tree;
    wb_error e = { 0 };
    wb_store *s = NULL;
    child->owns_store = true;
    if (!(child->cwd = strdup(p->cwd)))
        return WE_NOMEM;
    int rc = wb_proc_ctx_fork(p, child);
    if (rc)
        return rc;
    if (child_linker(child, &e) != WB_OK ||
        wb_fork(c, &t->limits, child->linker, &s, &e) != WB_OK)
        return e.status == WB_E_LIMIT ? WE_NOMEM
               : e.status == WB_E_ARG ? WE_NOSYS : WE_NOMEM;
    wb_store_set_user(s, child->wasi);
    pthread_mutex_lock(&t->mu);
    if (child->killed || atomic_load(&t->cancelled))
        wb_store_interrupt(s);
    child->store = s;
    child->forked = true;
    pthread_mutex_unlock(&t->mu);
    return WE_SUCCESS;
}

wb_status wb_proc_h_fork(wb_caller *c, void *env, const wb_val *a,
                         wb_val *r)
{
    wb_proc *p = env;
    wb_ptree *t = p->tree;
    if (!wb_caller_can_fork(c))
        return wb_ret(r, -WE_NOSYS);
    pthread_mutex_lock(&t->mu);
    bool admitted = wb_ptree_admit(t);
    wb_proc *child = admitted ? wb_proc_add(t, p->pid) : NULL;
    pthread_mutex_unlock(&t->mu);
    if (!child)
        return wb_ret(r, admitted ? -WE_NOMEM : -WE_AGAIN);
    int rc = copy(c, p, child);
    if (rc) {
        wb_proc_abort(child);
        return wb_ret(r, -rc);
    }
    int pid = child->pid;
    if (wb_proc_start(child, NULL))
        return wb_ret(r, -WE_AGAIN);
    return wb_ret(r, pid);
}

wb_status wb_proc_resume_fork(wb_proc *p, wb_error *e)
{
    wb_val zero = { .type = WB_I32, .of.i32 = 0 };
    return wb_fork_resume(p->store, &zero, 1, e);
}
