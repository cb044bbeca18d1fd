/* tree.c: the process table of a run (docs/processes.md, "Model").
 *
 * Each process but the root runs on its own host thread, which starts
 * its image (or resumes a fork), follows its execs, and at the end frees
 * its store and closes its context (so that the readers of its pipes see
 * end of file) before it becomes a zombie: its wait status stays until
 * its parent waits for it. A process that ends leaves its children to
 * the root. The root is the run's own store and context, on the caller's
 * thread; when it ends, wb_ptree_end kills every other process and joins
 * every thread, so no guest code outlives the run. */
#include "proc/proc.h"
#include "engine/runtime.h"
#include "wasi/wasi.h"
#include <signal.h>
#include <stdlib.h>
#include <string.h>

/* Interpreted guests keep their frames on the heap; compiled ones use
 * the thread's stack, as deep as the main thread's. */
#define PROC_STACK (8u << 20)

wb_status wb_ptree_new(const wb_sandbox_config *cfg, wb_ptree **out,
                       wb_error *err)
{
    wb_ptree *t = calloc(1, sizeof *t);
    if (t && (!(t->root_cwd = strdup(cfg->cwd ? cfg->cwd : "/")) ||
              !(t->group = wb_group_new(cfg->budget.max_memory,
                                        cfg->budget.fuel)))) {
        free(t->root_cwd);
        free(t);
        t = NULL;
    }
    if (!t)
        return wb_err_set(err, WB_E_NOMEM, "processes: out of memory");
    pthread_mutex_init(&t->mu, NULL);
    pthread_cond_init(&t->cv, NULL);
    t->next_pid = 1;                   /* the root's */
    t->max_processes = cfg->budget.max_processes ? cfg->budget.max_processes
                                                 : 1;
    wb_limits_default(&t->limits);
    t->limits.max_memory = cfg->budget.max_memory;
    t->limits.max_call_depth = cfg->budget.max_stack;
    t->limits.fuel = cfg->budget.fuel;
    t->images = cfg->images;
    atomic_init(&t->stop, -1);
    atomic_init(&t->cancelled, false);
    *out = t;
    return WB_OK;
}

void wb_pimage_clear(wb_pimage *im)
{
    for (size_t i = 0; i < im->argc; i++)
        free(im->argv[i]);
    for (size_t i = 0; i < im->envc; i++)
        free(im->env[i]);
    free(im->argv);
    free(im->env);
    free(im->cwd);
    wb_module_release(im->m);
    wb_pmod_put(im->mod);
    memset(im, 0, sizeof *im);
}

static void proc_free(wb_proc *p)
{
    wb_pmod_put(p->mod);
    free(p->cwd);
    wb_pimage_clear(&p->next);
    free(p);
}

wb_proc *wb_proc_add(wb_ptree *t, int ppid)
{
    wb_proc *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->tree = t;
    p->pid = t->next_pid++;
    p->ppid = ppid;
    p->state = WB_PROC_RUNNING;
    p->link = t->procs;
    t->procs = p;
    t->live++;                         /* counted as started once it runs */
    return p;
}

/* One more process runs (t->mu held). */
static void count_started(wb_ptree *t)
{
    t->started++;
    if (t->live > t->max_live)
        t->max_live = t->live;
}

/* Take p out of the list (t->mu held). */
static void unlink_proc(wb_ptree *t, wb_proc *p)
{
    for (wb_proc **q = &t->procs; *q; q = &(*q)->link)
        if (*q == p) {
            *q = p->link;
            return;
        }
}

/* Zombies count, as Linux counts them against RLIMIT_NPROC: a guest that
 * never waits cannot grow the table (and every walk of it) past
 * max_processes (tests/attack/zombies.c). */
bool wb_ptree_admit(wb_ptree *t)
{
    if (atomic_load(&t->cancelled))
        return false;      /* the tree is ending: not a max_processes refusal */
    if (t->live + t->zombies < t->max_processes)
        return true;
    t->refused++;
    return false;
}

wb_proc *wb_ptree_find(wb_ptree *t, int pid)
{
    for (wb_proc *p = t->procs; p; p = p->link)
        if (p->pid == pid)
            return p;
    return NULL;
}

/* The WASI layer's stop hook (under the tree lock): a limit reached in
 * one process, or the deadline, ends every process. */
static void on_stop(void *user, int outcome)
{
    wb_ptree_cancel(user, outcome);
}

/* /bin and /usr/bin list the registered images. */
static wb_status show_images(wb_ptree *t, wb_wasi *w, wb_error *err)
{
    size_t n = wb_images_count(t->images);
    if (!n)
        return WB_OK;                  /* no /bin at all */
    const char **names = calloc(n + 1, sizeof *names);
    if (!names)
        return wb_err_set(err, WB_E_NOMEM, "processes: out of memory");
    for (size_t i = 0; i < n; i++)
        names[i] = wb_images_name(t->images, i);
    wb_wasi_lock(w);
    int rc = wb_wasi_set_images(w, names, n);
    wb_wasi_unlock(w);
    free(names);
    return rc ? wb_err_set(err, WB_E_ARG, "images: cannot list them under "
                           "/bin (errno %d)", rc) : WB_OK;
}

wb_status wb_ptree_root(wb_ptree *t, wb_store *s, wb_linker *l, wb_wasi *w,
                        wb_error *err)
{
    pthread_mutex_lock(&t->mu);
    wb_proc *p = wb_proc_add(t, 0);
    if (p) {
        p->root = true;
        p->store = s;
        p->linker = l;
        p->wasi = w;
        p->cwd = strdup(t->root_cwd);
        t->root = p;
        count_started(t);
    }
    pthread_mutex_unlock(&t->mu);
    if (!p || !p->cwd)
        return wb_err_set(err, WB_E_NOMEM, "processes: out of memory");
    WB_TRY(wb_store_join_group(s, t->group, err));
    WB_TRY(wb_wasi_define_fdops(w, s, l, err));
    wb_wasi_set_stop_hook(w, on_stop, t);
    WB_TRY(show_images(t, w, err));
    return wb_proc_define(p, s, l, err);
}

/* ---- ending ------------------------------------------------------------------ */

/* Stop p's guest (t->mu held): its store traps at its next loop or call,
 * its blocking calls wake. */
void wb_proc_interrupt(wb_proc *p)
{
    atomic_store(&p->stopping, true);
    if (p->store)
        wb_store_interrupt(p->store);
    if (p->wasi)
        wb_wasi_kill(p->wasi);
}

void wb_ptree_cancel(wb_ptree *t, int outcome)
{
    int none = -1;
    if (outcome >= 0)
        atomic_compare_exchange_strong(&t->stop, &none, outcome);
    atomic_store(&t->cancelled, true);
    pthread_mutex_lock(&t->mu);
    /* the deadline: every context's calls end as "timeout" */
    if (outcome == WB_OUTCOME_TIMEOUT && t->root && t->root->wasi)
        wb_wasi_cancel(t->root->wasi);
    for (wb_proc *p = t->procs; p; p = p->link)
        if (p->state == WB_PROC_RUNNING)
            wb_proc_interrupt(p);
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->mu);
}

int wb_ptree_stop(const wb_ptree *t)
{
    return atomic_load(&t->stop);
}

int wb_ptree_root_signal(const wb_ptree *t, int *sender)
{
    *sender = t->root ? t->root->killer : 0;
    return t->root ? t->root->killed : 0;
}

/* Free store s and its linker unless
 * they are the run's (the root's first, which only leaves the budget's
 * group). Called without t->mu, after p's guest ended: the group
 * counted what s used. */
static void release_store(wb_store *s, wb_linker *l, bool owned)
{
    if (!owned) {
        /* the run frees it; the budget no longer counts its memory */
        if (s)
            wb_group_leave(s);
        return;
    }
    wb_linker_free(l);
    wb_store_free(s);
}

void wb_proc_drop_store(wb_proc *p, bool owned)
{
    pthread_mutex_lock(&p->tree->mu);
    wb_store *s = p->store;
    wb_linker *l = p->linker;
    p->store = NULL;
    p->linker = NULL;
    pthread_mutex_unlock(&p->tree->mu);
    release_store(s, l, owned);
}

/* p's guest ended with wait status `status`: its context is closed, it
 * becomes a zombie, its children go to the root. */
static void become_zombie(wb_proc *p, int status)
{
    wb_ptree *t = p->tree;
    pthread_mutex_lock(&t->mu);
    wb_wasi *w = p->wasi;
    p->wasi = NULL;
    pthread_mutex_unlock(&t->mu);
    wb_wasi_free(w);
    pthread_mutex_lock(&t->mu);
    p->state = WB_PROC_ZOMBIE;
    p->status = p->killed ? p->killed : status;
    t->live--;
    t->zombies++;
    t->unjoined++;
    for (wb_proc *c = t->procs; c; c = c->link)
        if (c->ppid == p->pid) {
            c->ppid = 1;
            c->adopted = true;
        }
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->mu);
}

static void *proc_main(void *arg)
{
    wb_proc *p = arg;
    wb_error e = { 0 };
    wb_module *m = p->next.m;
    p->next.m = NULL;
    if (!p->forked) {                  /* a fork's is its parent's */
        p->mod = p->next.mod;
        p->next.mod = NULL;
    }
    wb_pimage_clear(&p->next);
    wb_status st = p->forked ? wb_proc_resume_fork(p, &e)
                             : wb_proc_run_image(p, m, &e);
    wb_module_release(m);
    st = wb_proc_follow_execs(p, st, &e);
    int stop;
    int status = wb_proc_wait_status(p, st, &e, &stop);
    wb_proc_drop_store(p, true);
    wb_pmod_put(p->mod);               /* its module's memory, if the last */
    p->mod = NULL;
    if (stop >= 0)
        wb_ptree_cancel(p->tree, stop);
    become_zombie(p, status);
    return NULL;
}

int wb_proc_start(wb_proc *p, wb_pimage *image)
{
    wb_ptree *t = p->tree;
    if (image) {
        p->next = *image;
        memset(image, 0, sizeof *image);
    }
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setstacksize(&a, PROC_STACK);
    pthread_mutex_lock(&t->mu);
    int rc = pthread_create(&p->thread, &a, proc_main, p);
    p->has_thread = rc == 0;
    if (rc == 0)
        count_started(t);
    pthread_mutex_unlock(&t->mu);
    pthread_attr_destroy(&a);
    if (rc == 0)
        return 0;
    wb_proc_abort(p);
    return -1;
}

void wb_proc_abort(wb_proc *p)
{
    wb_ptree *t = p->tree;
    wb_proc_drop_store(p, true);
    pthread_mutex_lock(&t->mu);
    wb_wasi *w = p->wasi;
    p->wasi = NULL;
    unlink_proc(t, p);
    t->live--;
    pthread_cond_broadcast(&t->cv);    /* wb_ptree_end counts them */
    pthread_mutex_unlock(&t->mu);
    wb_wasi_free(w);
    proc_free(p);
}

void wb_ptree_join_ended(wb_ptree *t)
{
    for (;;) {
        pthread_t th;
        bool found = false;
        pthread_mutex_lock(&t->mu);
        for (wb_proc *p = t->procs; p && t->unjoined && !found; p = p->link)
            if (p->state == WB_PROC_ZOMBIE && p->has_thread) {
                th = p->thread;        /* p may be reaped meanwhile */
                p->has_thread = false;
                t->unjoined--;
                found = true;
            }
        pthread_mutex_unlock(&t->mu);
        if (!found)
            return;
        pthread_join(th, NULL);
    }
}

int wb_proc_reap(wb_ptree *t, wb_proc *p)
{
    int status = p->status;
    unlink_proc(t, p);
    t->zombies -= p != t->root;
    t->unjoined -= p->has_thread;
    pthread_mutex_unlock(&t->mu);
    if (p->has_thread)
        pthread_join(p->thread, NULL);
    proc_free(p);
    pthread_mutex_lock(&t->mu);
    return status;
}

wb_status wb_ptree_root_done(wb_ptree *t, wb_status st, wb_error *e)
{
    return wb_proc_follow_execs(t->root, st, e);
}

void wb_ptree_end(wb_ptree *t)
{
    atomic_store(&t->cancelled, true);     /* no process starts now */
    pthread_mutex_lock(&t->mu);
    wb_proc *root = t->root;
    if (root) {
        pthread_mutex_unlock(&t->mu);
        wb_proc_drop_store(root, root->owns_store);
        wb_pmod_put(root->mod);
        root->mod = NULL;
        pthread_mutex_lock(&t->mu);
    }
    if (root && root->state == WB_PROC_RUNNING) {
        root->state = WB_PROC_ZOMBIE;
        t->live--;
    }
    for (wb_proc *p = t->procs; p; p = p->link)
        if (p->state == WB_PROC_RUNNING) {
            p->killed = p->killed ? p->killed : SIGKILL;
            wb_proc_interrupt(p);
        }
    pthread_cond_broadcast(&t->cv);
    while (t->live)
        pthread_cond_wait(&t->cv, &t->mu);
    /* every guest ended: only zombies are left, whose threads end now */
    for (wb_proc *p = t->procs, *next; p; p = next) {
        next = p->link;
        if (p != t->root)
            wb_proc_reap(t, p);
    }
    pthread_mutex_unlock(&t->mu);
}

void wb_ptree_counts(wb_ptree *t, wb_run_result *res)
{
    pthread_mutex_lock(&t->mu);
    res->procs_started = t->started;
    res->procs_max_live = t->max_live;
    res->procs_refused = t->refused;
    res->procs_refused_memory = t->refused_memory;
    pthread_mutex_unlock(&t->mu);
}

void wb_ptree_usage(wb_ptree *t, wb_run_result *res)
{
    res->fuel_used = (uint64_t)wb_group_fuel_used(t->group);
    res->peak_memory = wb_group_peak_memory(t->group);
    wb_ptree_counts(t, res);
}

/* ---- a session kernel's steps --------------------------------------------- */

void wb_ptree_step(wb_ptree *t, int64_t fuel, uint32_t max_processes)
{
    pthread_mutex_lock(&t->mu);
    t->limits.fuel = fuel;
    t->max_processes = max_processes ? max_processes : 1;
    t->started = 1;                    /* the root, as in a run */
    t->max_live = t->live;
    t->refused = 0;
    t->refused_memory = 0;
    pthread_mutex_unlock(&t->mu);
    wb_group_reset_peak(t->group);
}

uint64_t wb_ptree_peak_memory(const wb_ptree *t)
{
    return wb_group_peak_memory(t->group);
}

/* Kill every running process but the root (t->mu held); how many there
 * were. A process a killed one spawns meanwhile is caught by the next
 * pass. */
static uint32_t kill_others(wb_ptree *t)
{
    uint32_t n = 0;
    for (wb_proc *p = t->procs; p; p = p->link)
        if (p != t->root && p->state == WB_PROC_RUNNING) {
            p->killed = p->killed ? p->killed : SIGKILL;
            wb_proc_interrupt(p);
            n++;
        }
    return n;
}

void wb_ptree_end_children(wb_ptree *t)
{
    pthread_mutex_lock(&t->mu);
    while (kill_others(t))
        pthread_cond_wait(&t->cv, &t->mu);
    pthread_mutex_unlock(&t->mu);
    wb_ptree_join_ended(t);
    /* the root never waits for what it did not start: an orphan's
     * status would stay until the kernel ends. From the list's head
     * after each reap, which releases t->mu (the root may reap too). */
    pthread_mutex_lock(&t->mu);
    for (wb_proc *p = t->procs; p; )
        if (p != t->root && p->adopted && p->state == WB_PROC_ZOMBIE) {
            wb_proc_reap(t, p);
            p = t->procs;
        } else {
            p = p->link;
        }
    pthread_mutex_unlock(&t->mu);
}

void wb_ptree_free(wb_ptree *t)
{
    if (!t)
        return;
    if (t->root) {
        unlink_proc(t, t->root);
        proc_free(t->root);
    }
    pthread_mutex_destroy(&t->mu);
    pthread_cond_destroy(&t->cv);
    wb_group_release(t->group);
    free(t->root_cwd);
    free(t);
}
