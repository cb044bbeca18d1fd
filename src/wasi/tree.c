/* tree.c: the processes of a run share one wb_wtree (wasi.h): the output
 * sinks and counters, the disk counter, the tmpfs grants, the virtual
 * root, the network, the stop reason and the deadline's cancel. Each
 * process has its own context (fd table, argv, env) on its own thread.
 *
 * The tree lock serialises every host call of the tree, so the shared
 * state needs no other locking; a call that waits releases it (wb_wait,
 * wb_wasi_wait_event) so that the others go on meanwhile. Whether the
 * calling thread holds it is known from `holder` (the address of a
 * thread-local byte), so that waits, wb_wasi_free and the cancels work
 * from any thread, locked or not: a fuzzer calling a host function
 * directly, the watchdog, or the proc layer inside a host call.
 *
 * Cancelling is two-level: the tree's eventfd and flag (the deadline,
 * wb_wasi_cancel) wake every context; a context's own (wb_wasi_kill)
 * wake that one. Every wait polls both. A context's eventfd also
 * carries wb_wasi_post's events (a child ended) to wb_wasi_wait_event. */
#include "wasi/wasi.h"
#include "net/net.h"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

static _Thread_local char self;

char **wb_strv_copy(char *const *v, size_t n)
{
    char **out = calloc(n + 1, sizeof *out);
    for (size_t i = 0; out && i < n; i++)
        if (!(out[i] = strdup(v[i]))) {
            while (i--) free(out[i]);
            free(out);
            return NULL;
        }
    return out;
}

void wb_strv_free(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

/* ---- the lock ------------------------------------------------------------- */

void wb_wasi_lock(wb_wasi *w)
{
    pthread_mutex_lock(&w->t->mu);
    atomic_store_explicit(&w->t->holder, &self, memory_order_relaxed);
}

void wb_wasi_unlock(wb_wasi *w)
{
    atomic_store_explicit(&w->t->holder, NULL, memory_order_relaxed);
    pthread_mutex_unlock(&w->t->mu);
}

/* Only this thread stores its own address there, and clears it before
 * unlocking: the answer is exact for the calling thread. */
bool wb_wasi_locked(const wb_wasi *w)
{
    return atomic_load_explicit(&w->t->holder, memory_order_relaxed) == &self;
}

bool wb_wasi_release(wb_wasi *w)
{
    bool held = wb_wasi_locked(w);
    if (held)
        wb_wasi_unlock(w);
    return held;
}

void wb_wasi_reacquire(wb_wasi *w, bool held)
{
    if (held)
        wb_wasi_lock(w);
}

/* ---- cancelling and events ------------------------------------------------- */

static void kick(int fd)
{
    uint64_t one = 1;
    if (fd >= 0 && write(fd, &one, sizeof one) < 0) {
        /* the counter is at its maximum: waiters wake anyway */
    }
}

void wb_wasi_cancel(wb_wasi *w)
{
    atomic_store(&w->t->cancelled, 1);
    kick(w->t->wake);
}

void wb_wasi_kill(wb_wasi *w)
{
    atomic_store(&w->killed, 1);
    kick(w->wake);
}

bool wb_wasi_cancelled(const wb_wasi *w)
{
    return atomic_load(&w->t->cancelled) || atomic_load(&w->killed);
}

void wb_wasi_post(wb_wasi *w)
{
    kick(w->wake);
}

int wb_wasi_wait_event(wb_wasi *w, int64_t ns)
{
    if (wb_wasi_cancelled(w))
        return -1;
    if (!w->posted && wb_wait(w, NULL, 0, ns) != 0)
        return wb_wasi_cancelled(w) ? -1 : WE_IO;
    w->posted = false;
    return 0;
}

void wb_wasi_set_stop_hook(wb_wasi *w, void (*fn)(void *user, int outcome),
                           void *user)
{
    w->t->on_stop = fn;
    w->t->on_stop_user = user;
}

/* A killed context's calls end without a reason for the tree: the proc
 * layer knows why. A timeout never replaces another reason: it is what
 * every other process of the tree sees once a limit ended the run. The
 * reason is the tree's: it is set under the tree lock, taken here for a
 * caller that does not hold it (wasmbox_http, the proc layer's waits). */
wb_status wb_wasi_stop(wb_wasi *w, wb_caller *c, int outcome, const char *msg)
{
    wb_wtree *t = w->t;
    if (outcome == WB_OUTCOME_TIMEOUT && atomic_load(&w->killed) &&
        !atomic_load(&t->cancelled))
        return wb_caller_trap(c, "killed");
    bool took = !wb_wasi_locked(w);
    if (took)
        wb_wasi_lock(w);
    bool first = t->stop < 0;
    if (first || outcome != WB_OUTCOME_TIMEOUT)
        t->stop = outcome;
    if (first && t->on_stop)
        t->on_stop(t->on_stop_user, outcome);
    if (took)
        wb_wasi_unlock(w);
    return wb_caller_trap(c, "%s", msg);
}

/* ---- contexts --------------------------------------------------------------- */

static int null_fd = -1;
static void open_null(void)
{
    null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
}

int wb_wasi_null_fd(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, open_null);
    return null_fd;
}

static wb_wtree *tree_new(void)
{
    wb_wtree *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->stop = -1;
    t->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    t->out_fd[0] = t->out_fd[1] = t->out_fd[2] = -1;
    pthread_mutex_init(&t->mu, NULL);
    pthread_mutex_init(&t->net_mu, NULL);
    if (t->wake < 0) {
        pthread_mutex_destroy(&t->mu);
        pthread_mutex_destroy(&t->net_mu);
        free(t);
        return NULL;
    }
    return t;
}

static void tree_free(wb_wtree *t)
{
    for (uint32_t i = 0; i < t->npre; i++)
        wb_fd_release(&t->pre[i]);
    free(t->pre);
    for (size_t i = 0; i < t->ntfs; i++)
        wb_tfs_free(t->tfs[i]);
    free(t->tfs);
    wb_vroot_free(t->vroot);
    wb_net_free(t->net);
    wb_strv_free(t->images, t->nimages);
    close(t->wake);
    pthread_mutex_destroy(&t->mu);
    pthread_mutex_destroy(&t->net_mu);
    free(t);
}

/* A context of tree t (a new tree when NULL; under t's lock otherwise),
 * with no fds, args or env yet. */
wb_wasi *wb_wasi_alloc(wb_wtree *t)
{
    wb_wasi *w = calloc(1, sizeof *w);
    wb_wtree *nt = w && !t ? tree_new() : NULL;
    if (!w || (!t && !nt)) {
        free(w);
        return NULL;
    }
    w->t = t ? t : nt;
    w->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (w->wake < 0) {
        if (nt)
            tree_free(nt);
        free(w);
        return NULL;
    }
    w->t->refs++;
    return w;
}

void wb_wasi_free(wb_wasi *w)
{
    if (!w)
        return;
    wb_wtree *t = w->t;
    bool took = !wb_wasi_locked(w);
    if (took)
        wb_wasi_lock(w);
    for (uint32_t i = 0; w->fds && i < w->nfds; i++)
        wb_fd_release(&w->fds[i]);
    bool last = --t->refs == 0;
    if (took)
        wb_wasi_unlock(w);
    wb_strv_free(w->args, w->nargs);
    wb_strv_free(w->env, w->nenv);
    free(w->fds);
    close(w->wake);
    free(w);
    if (last)
        tree_free(t);
}

/* ---- fd entries ------------------------------------------------------------ */

int wb_fd_dup_ent(const wb_fdent *from, wb_fdent *to)
{
    wb_fdent e = *from;
    e.cloexec = false;
    e.dir = NULL;                       /* a stream of its own, lazily */
    e.dir_idx = 0;
    e.preopen = NULL;
    e.host = -1;
    if (from->host >= 0 &&
        (e.host = fcntl(from->host, F_DUPFD_CLOEXEC, 3)) < 0)
        return wb_wasi_errno(errno);
    if (from->preopen && !(e.preopen = strdup(from->preopen))) {
        if (e.host >= 0)
            close(e.host);
        return WE_NOMEM;
    }
    if (e.node)
        wb_tnode_ref(e.node);
    if (e.of)
        e.of->refs++;
    *to = e;
    return WE_SUCCESS;
}

/* Entry fd of child context w made a copy of `from`; w's slot must be
 * free. A stdin whose reads a hook watches (a session kernel's: its
 * requests come that way) is the root's alone: a child's copy reads as
 * empty, so that no child takes a request or looks like the kernel
 * waiting for one. */
static int put_dup(wb_wasi *w, uint32_t fd, const wb_fdent *from)
{
    int rc = wb_fd_table_cover(w, fd + 1);
    if (rc == WE_SUCCESS)
        rc = wb_fd_dup_ent(from, &w->fds[fd]);
    if (rc != WE_SUCCESS)
        return rc;
    wb_fdent *e = &w->fds[fd];
    if (e->kind == WB_FD_STDIN && w->t->stdin_wait && e->host >= 0) {
        close(e->host);
        e->host = -1;
    }
    w->nopen++;
    return rc;
}

/* The grants' preopens as the root has them after wb_wasi_new: what
 * every spawned child gets (the root may close or replace its own). */
int wb_tree_keep_preopens(wb_wasi *w)
{
    wb_wtree *t = w->t;
    uint32_t n = 0;
    for (uint32_t i = 3; i < w->nfds; i++)
        if (w->fds[i].preopen)
            n = i + 1;
    if (n == 0)
        return WE_SUCCESS;
    if (!(t->pre = calloc(n, sizeof *t->pre)))
        return WE_NOMEM;
    t->npre = n;
    for (uint32_t i = 0; i < n; i++) {
        t->pre[i].host = -1;
        int rc = i >= 3 && w->fds[i].preopen
                 ? wb_fd_dup_ent(&w->fds[i], &t->pre[i]) : WE_SUCCESS;
        if (rc)
            return rc;
    }
    return WE_SUCCESS;
}

/* ---- fork, spawn, exec ------------------------------------------------------ */

static int fail(wb_error *err, int rc, const char *what)
{
    if (err)
        wb_err_set(err, WB_E_IO, "%s: %s", what,
                   rc == WE_NOMEM ? "out of memory"
                   : rc == WE_BADF ? "bad file descriptor"
                   : rc == WE_MFILE ? "too many open files" : "failed");
    return rc;
}

/* A new context of parent's tree with parent's limits and clocks and a
 * copy of argv and env. */
static int child_of(wb_wasi *parent, char *const *argv, size_t argc,
                    char *const *env, size_t envc, wb_wasi **out)
{
    wb_wasi *c = wb_wasi_alloc(parent->t);
    if (!c)
        return WE_NOMEM;
    c->max_files = parent->max_files;
    memcpy(c->clock_offset, parent->clock_offset, sizeof c->clock_offset);
    c->args = wb_strv_copy(argv, argc);
    c->env = wb_strv_copy(env, envc);
    c->nargs = argc;
    c->nenv = envc;
    if (!c->args || !c->env || wb_fd_table_cover(c, 8)) {
        wb_wasi_free(c);
        return WE_NOMEM;
    }
    *out = c;
    return WE_SUCCESS;
}

int wb_wasi_fork(wb_wasi *parent, wb_wasi **child, wb_error *err)
{
    wb_wasi *c = NULL;
    int rc = child_of(parent, parent->args, parent->nargs, parent->env,
                      parent->nenv, &c);
    for (uint32_t i = 0; rc == WE_SUCCESS && i < parent->nfds; i++) {
        const wb_fdent *e = &parent->fds[i];
        if (e->kind == WB_FD_FREE)
            continue;
        if ((rc = put_dup(c, i, e)) == WE_SUCCESS)
            c->fds[i].cloexec = e->cloexec;   /* kept by fork(2) */
    }
    if (rc != WE_SUCCESS) {
        wb_wasi_free(c);
        return fail(err, rc, "fork");
    }
    *child = c;
    return WE_SUCCESS;
}

int wb_wasi_spawn(wb_wasi *parent, const int32_t fds[3],
                  char *const *argv, size_t argc, char *const *env,
                  size_t envc, wb_wasi **child, wb_error *err)
{
    for (int i = 0; i < 3; i++)
        if (fds[i] != -1 && (fds[i] < 0 ||
                             !wb_fd_get(parent, (uint32_t)fds[i])))
            return fail(err, WE_BADF, "spawn");
    wb_wasi *c = NULL;
    int rc = child_of(parent, argv, argc, env, envc, &c);
    const wb_wtree *t = parent->t;
    for (uint32_t i = 3; rc == WE_SUCCESS && i < t->npre; i++)
        if (t->pre[i].kind != WB_FD_FREE)
            rc = put_dup(c, i, &t->pre[i]);
    for (int i = 0; rc == WE_SUCCESS && i < 3; i++)
        if (fds[i] != -1)
            rc = put_dup(c, (uint32_t)i, &parent->fds[fds[i]]);
    if (rc != WE_SUCCESS) {
        wb_wasi_free(c);
        return fail(err, rc, "spawn");
    }
    *child = c;
    return WE_SUCCESS;
}

int wb_wasi_exec(wb_wasi *w, char *const *argv, size_t argc,
                 char *const *env, size_t envc, wb_error *err)
{
    char **a = wb_strv_copy(argv, argc), **e = wb_strv_copy(env, envc);
    if (!a || !e) {
        wb_strv_free(a, argc);
        wb_strv_free(e, envc);
        return fail(err, WE_NOMEM, "exec");
    }
    wb_strv_free(w->args, w->nargs);
    wb_strv_free(w->env, w->nenv);
    w->args = a;
    w->nargs = argc;
    w->env = e;
    w->nenv = envc;
    for (uint32_t i = 0; i < w->nfds; i++)
        if (w->fds[i].kind != WB_FD_FREE && w->fds[i].cloexec) {
            wb_fd_release(&w->fds[i]);
            w->nopen--;
        }
    return WE_SUCCESS;
}
