/* ctx.c: the WASI side of a process (src/wasi/tree.c): its context made
 * by spawn or fork from its parent's, changed by exec, and the module a
 * path names. Every call into the WASI layer here holds the tree lock,
 * and none holds the process table's mutex (the WASI layer's stop hook
 * takes that one under the tree lock). */
#include "proc/proc.h"
#include "wasi/wasi.h"
#include <stdlib.h>
#include <string.h>

/* Make w the child's context under the process table's mutex, as its
 * store is (fork.c): wb_proc_interrupt reads child->wasi under it, and a
 * child stopped before now gets its context killed here. */
static void publish(wb_proc *child, wb_wasi *w)
{
    wb_ptree *t = child->tree;
    pthread_mutex_lock(&t->mu);
    if (child->killed || atomic_load(&child->stopping) ||
        atomic_load(&t->cancelled))
        wb_wasi_kill(w);
    child->wasi = w;
    pthread_mutex_unlock(&t->mu);
}

int wb_proc_ctx_spawn(wb_proc *parent, wb_proc *child, const wb_pimage *im,
                      const int fds[3])
{
    int32_t f[3] = { fds[0], fds[1], fds[2] };
    wb_wasi *w = NULL;
    wb_wasi_lock(parent->wasi);
    int rc = wb_wasi_spawn(parent->wasi, f, im->argv, im->argc, im->env,
                           im->envc, &w, NULL);
    wb_wasi_unlock(parent->wasi);
    if (!rc)
        publish(child, w);
    return rc;
}

int wb_proc_ctx_fork(wb_proc *parent, wb_proc *child)
{
    wb_wasi *w = NULL;
    wb_wasi_lock(parent->wasi);
    int rc = wb_wasi_fork(parent->wasi, &w, NULL);
    wb_wasi_unlock(parent->wasi);
    if (!rc)
        publish(child, w);
    return rc;
}

int wb_proc_ctx_exec(wb_proc *p, const wb_pimage *im)
{
    wb_wasi_lock(p->wasi);
    int rc = wb_wasi_exec(p->wasi, im->argv, im->argc, im->env, im->envc,
                          NULL);
    wb_wasi_unlock(p->wasi);
    return rc;
}

int wb_proc_load_image(wb_proc *p, const char *path, wb_module **out,
                       wb_pmod **ent, const char **argv0)
{
    char *name = NULL;
    wb_image_file f;
    wb_pload ld;
    *out = NULL;
    *ent = NULL;
    *argv0 = NULL;
    wb_wasi_lock(p->wasi);
    int rc = wb_wasi_load_image(p->wasi, path, &name, &f);
    if (!rc && !name)
        rc = wb_pmod_open(p->tree, &f, &ld);
    wb_image_close(&f);
    wb_wasi_unlock(p->wasi);
    if (rc || !name)          /* decoded outside the lock: it may be big */
        return rc ? rc : wb_pmod_finish(p->tree, &ld, &p->stopping, out,
                                        ent);
    wb_error e = { 0 };
    wb_status st = wb_images_get(p->tree->images, name, out, argv0, &e);
    free(name);
    return st == WB_OK ? WE_SUCCESS : st == WB_E_NOT_FOUND ? WE_NOENT
           : st == WB_E_NOMEM ? WE_NOMEM : WE_NOEXEC;
}
