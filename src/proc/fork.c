/* fork.c: wasmbox_proc.fork (docs/processes.md). The engine copies the
 * calling guest inside this host call (wb_fork: memories, tables,
 * globals, the interpreter's frames) into a new store, linked against
 * the child's own host functions: WASI bound to the child's context
 * (the parent's fd table copied) and wasmbox_proc bound to the child.
 * The child's thread resumes the copy as if fork had returned 0. Only interpreted code can be copied:
 * a native caller, or one inside a host callback, gets ENOSYS. */
#include "proc/proc.h"
#include "wasi/wasi.h"
#include <stdlib.h>
#include <string.h>

/* child: a copy of the caller of c, ready to resume; a WASI errno. Its
 * store is made here, with its host functions in it (its own context),
 * and filled by wb_fork, which also joins it to the tree's group. */
static int copy(wb_caller *c, wb_proc *p, wb_proc *child)
{
    wb_ptree *t = p->tree;
    wb_error e = { 0 };
    wb_store *s = NULL;
    wb_linker *l = NULL;
    child->owns_store = true;
    child->mod = wb_pmod_share(p->mod);    /* it runs the same module */
    if (!(child->cwd = strdup(p->cwd)))
        return WE_NOMEM;
    int rc = wb_proc_ctx_fork(p, child);
    if (rc)
        return rc;
    wb_status st = wb_store_new(&t->limits, &s, &e);
    if (st == WB_OK && !(l = wb_linker_new()))
        st = WB_E_NOMEM;
    if (st == WB_OK)
        st = wb_proc_link(child, s, l, &e);
    if (st == WB_OK)
        st = wb_fork(c, s, l, &e);
    if (st != WB_OK) {
        wb_linker_free(l);
        wb_store_free(s);
        return st == WB_E_ARG ? WE_NOSYS : WE_NOMEM;
    }
    wb_store_set_user(s, child->wasi);
    pthread_mutex_lock(&t->mu);
    if (child->killed || atomic_load(&t->cancelled))
        wb_store_interrupt(s);
    child->store = s;
    child->linker = l;
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
    wb_ptree_join_ended(t);
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
