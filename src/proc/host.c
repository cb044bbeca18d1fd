/* host.c: the wasmbox_proc host functions of docs/processes.md (spawn,
 * exec, fork, wait, kill, getpid, getppid, cwd; pipe, dup, dup2 and
 * cloexec are the WASI layer's). Each is bound to its process (env).
 * Everything read from guest memory is copied before anything is
 * written back, and a result pointer is checked before the call acts
 * (a spawn whose pid_out is out of range starts nothing). */
#include "proc/proc.h"
#include "wasi/wasi.h"
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#define P ((wb_proc *)env)
#define WNOHANG_ 1
#define MAX_SIG 64
/* A string list's bytes plus a pointer per string, as Linux counts
 * execve's ARG_MAX: the host copies each string, so an unbounded list (a
 * guest memory of NULs) would cost the host 40 bytes a byte, outside the
 * budget and in one call the deadline cannot end. */
#define LIST_MAX (2u << 20)

/* ---- arguments ------------------------------------------------------------ */

/* A (ptr, len) string copied out of guest memory, NUL-terminated, with
 * no NUL inside. */
static int guest_string(wb_caller *c, uint32_t ptr, uint32_t len, char **out)
{
    *out = NULL;
    if (len >= WB_PATH_MAX)
        return WE_NAMETOOLONG;
    const uint8_t *g = wb_gptr(c, ptr, len);
    if (!g)
        return WE_FAULT;
    if (memchr(g, 0, len))
        return WE_INVAL;
    if (!(*out = malloc((size_t)len + 1)))
        return WE_NOMEM;
    memcpy(*out, g, len);
    (*out)[len] = 0;
    return WE_SUCCESS;
}

/* A string list (NUL-terminated strings back to back) copied out. */
static int guest_list(wb_caller *c, uint32_t ptr, uint32_t len, char ***out,
                      size_t *n)
{
    *out = NULL;
    *n = 0;
    const uint8_t *g = wb_gptr(c, ptr, len);
    if (!g)
        return WE_FAULT;
    if (len && g[len - 1])
        return WE_INVAL;               /* the last string is unterminated */
    if (len > LIST_MAX)
        return WE_2BIG;
    size_t count = 0;
    for (uint32_t i = 0; i < len; i++)
        count += !g[i];
    if (len + count * sizeof(char *) > LIST_MAX)
        return WE_2BIG;
    char **v = calloc(count + 1, sizeof *v);
    if (!v)
        return WE_NOMEM;
    const char *s = (const char *)g;
    for (size_t i = 0; i < count; i++) {
        if (!(v[i] = strdup(s))) {
            while (i--)
                free(v[i]);
            free(v);
            return WE_NOMEM;
        }
        s += strlen(s) + 1;
    }
    *out = v;
    *n = count;
    return WE_SUCCESS;
}

/* argv[0] forced to `name` (busybox's applets). */
static int force_argv0(wb_pimage *im, const char *name)
{
    char *s = strdup(name);
    if (!s)
        return WE_NOMEM;
    if (!im->argc) {
        char **v = realloc(im->argv, 2 * sizeof *v);
        if (!v) {
            free(s);
            return WE_NOMEM;
        }
        im->argv = v;
        im->argv[im->argc++] = NULL;
        im->argv[1] = NULL;
    }
    free(im->argv[0]);
    im->argv[0] = s;
    return WE_SUCCESS;
}

/* The module `path` names into im->m. */
static int find_image(wb_proc *p, const char *path, wb_pimage *im)
{
    const char *argv0 = NULL;
    int rc = wb_proc_load_image(p, path, &im->m, &im->mod, &argv0);
    return !rc && argv0 ? force_argv0(im, argv0) : rc;
}

/* A relative path is the call's cwd's (the image's working directory,
 * where Linux would look after a posix_spawn's chdir or in execve's
 * caller): joined as wasi-libc joins its cwd for open(), so a spawn finds
 * what the guest's own stat() found. */
static int from_cwd(const char *cwd, char **path)
{
    if (**path == '/')
        return WE_SUCCESS;
    size_t nc = strlen(cwd), np = strlen(*path);
    size_t slash = cwd[nc - 1] != '/';
    if (nc + slash + np >= WB_PATH_MAX)
        return WE_NAMETOOLONG;
    char *abs = malloc(nc + slash + np + 1);
    if (!abs)
        return WE_NOMEM;
    memcpy(abs, cwd, nc);
    abs[nc] = '/';
    memcpy(abs + nc + slash, *path, np + 1);
    free(*path);
    *path = abs;
    return WE_SUCCESS;
}

/* exec's and spawn's first eight arguments: path, argv, env, cwd (an
 * empty cwd: the caller's). */
static int read_image(wb_caller *c, wb_proc *p, const wb_val *a,
                      wb_pimage *im)
{
    char *path = NULL;
    memset(im, 0, sizeof *im);
    int rc = guest_string(c, A32(0), A32(1), &path);
    if (!rc)
        rc = guest_list(c, A32(2), A32(3), &im->argv, &im->argc);
    if (!rc)
        rc = guest_list(c, A32(4), A32(5), &im->env, &im->envc);
    if (!rc)
        rc = guest_string(c, A32(6), A32(7), &im->cwd);
    if (!rc && !im->cwd[0]) {
        free(im->cwd);
        im->cwd = strdup(p->cwd);
        rc = im->cwd ? WE_SUCCESS : WE_NOMEM;
    }
    if (!rc && *path)
        rc = from_cwd(im->cwd, &path);
    if (!rc)
        rc = find_image(p, path, im);
    free(path);
    if (rc)
        wb_pimage_clear(im);
    return rc;
}

/* The end of the calling guest when its process was killed or the tree
 * stopped while it waited in a host call. */
static wb_status ended(wb_caller *c, wb_proc *p, int killed)
{
    int stop = atomic_load(&p->tree->stop);
    if (killed)
        return wb_caller_trap(c, "killed by signal %d", killed);
    if (stop == WB_OUTCOME_TIMEOUT)
        return wb_wasi_stop(p->wasi, c, WB_OUTCOME_TIMEOUT, "timeout");
    return wb_caller_trap(c, "another process of the tree spent the "
                          "budget (%s)", stop == WB_OUTCOME_FUEL ? "fuel"
                          : stop == WB_OUTCOME_MEMORY ? "memory"
                          : stop == WB_OUTCOME_OUTPUT_LIMIT ? "output"
                          : stop == WB_OUTCOME_DISK_LIMIT ? "disk"
                          : "ended");
}

/* ---- spawn, exec ------------------------------------------------------------ */

/* A new child of p running `im` (taken) with stdio `fds`. */
static int spawn(wb_proc *p, wb_pimage *im, const int fds[3], int *pid)
{
    wb_ptree *t = p->tree;
    wb_ptree_join_ended(t);
    pthread_mutex_lock(&t->mu);
    bool admitted = wb_ptree_admit(t);
    wb_proc *child = admitted ? wb_proc_add(t, p->pid) : NULL;
    pthread_mutex_unlock(&t->mu);
    if (!child)
        return admitted ? WE_NOMEM : WE_AGAIN;
    child->owns_store = true;
    int rc = (child->cwd = strdup(im->cwd)) ? WE_SUCCESS : WE_NOMEM;
    if (!rc)
        rc = wb_proc_ctx_spawn(p, child, im, fds);
    wb_error e = { 0 };
    if (!rc && wb_proc_store(child, &e) != WB_OK)
        rc = e.status == WB_E_LIMIT ? WE_AGAIN : WE_NOMEM;
    if (rc) {
        wb_proc_abort(child);
        return rc;
    }
    *pid = child->pid;
    return wb_proc_start(child, im) ? WE_AGAIN : WE_SUCCESS;
}

static wb_status h_spawn(wb_caller *c, void *env, const wb_val *a, wb_val *r)
{
    wb_pimage im;
    uint8_t *fdp = wb_gptr(c, A32(8), 12);
    if (!fdp || !wb_gptr(c, A32(9), 4))
        return wb_ret(r, WE_FAULT);
    int fds[3] = { (int)wb_ld32(fdp), (int)wb_ld32(fdp + 4),
                   (int)wb_ld32(fdp + 8) };
    int rc = read_image(c, P, a, &im), pid = 0;
    if (!rc)
        rc = spawn(P, &im, fds, &pid);
    wb_pimage_clear(&im);
    if (!rc)
        wb_put32(c, A32(9), (uint32_t)pid);
    return wb_ret(r, rc);
}

/* The image is found now, so that a failure returns to the caller;
 * the rest happens once the guest's call has unwound (start.c). */
static wb_status h_exec(wb_caller *c, void *env, const wb_val *a, wb_val *r)
{
    wb_pimage im;
    int rc = read_image(c, P, a, &im);
    if (rc)
        return wb_ret(r, rc);
    wb_pimage_clear(&P->next);
    P->next = im;
    P->exec_pending = true;
    return wb_caller_exit(c, 0);
}

/* ---- wait, kill ------------------------------------------------------------- */

/* A child of p that `pid` names (-1 or 0: any) into *any; the first
 * zombie among them, or NULL. t->mu held. */
static wb_proc *ended_child(wb_proc *p, int pid, bool *any)
{
    *any = false;
    for (wb_proc *q = p->tree->procs; q; q = q->link) {
        if (q->ppid != p->pid || q == p || (pid > 0 && q->pid != pid))
            continue;
        *any = true;
        if (q->state == WB_PROC_ZOMBIE)
            return q;
    }
    return NULL;
}

static wb_status h_wait(wb_caller *c, void *env, const wb_val *a, wb_val *r)
{
    wb_proc *p = P;
    wb_ptree *t = p->tree;
    int pid = a[0].of.i32, options = a[1].of.i32, status = 0, got = 0;
    if (!wb_gptr(c, A32(2), 4))
        return wb_ret(r, -WE_FAULT);
    bool any;
    pthread_mutex_lock(&t->mu);
    for (;;) {
        if (p->killed || atomic_load(&t->cancelled)) {
            int killed = p->killed;
            pthread_mutex_unlock(&t->mu);
            return ended(c, p, killed);
        }
        wb_proc *z = ended_child(p, pid, &any);
        if (z) {
            got = z->pid;
            status = wb_proc_reap(t, z);
            break;
        }
        if (!any || (options & WNOHANG_))
            break;
        pthread_cond_wait(&t->cv, &t->mu);
    }
    pthread_mutex_unlock(&t->mu);
    if (!any && !got)
        return wb_ret(r, -WE_CHILD);
    if (got)
        wb_put32(c, A32(2), (uint32_t)status);
    return wb_ret(r, got);
}

/* End q with signal `sig` from process `sender` (t->mu held). */
static void kill_one(wb_proc *q, int sig, int sender)
{
    if (q->state != WB_PROC_RUNNING || q->killed)
        return;
    q->killed = sig;
    q->killer = sender;
    wb_proc_interrupt(q);
}

static wb_status h_kill(wb_caller *c, void *env, const wb_val *a, wb_val *r)
{
    wb_proc *p = P;
    wb_ptree *t = p->tree;
    int pid = a[0].of.i32, sig = a[1].of.i32, found = 0;
    if (sig < 0 || sig > MAX_SIG)
        return wb_ret(r, WE_INVAL);
    pthread_mutex_lock(&t->mu);
    for (wb_proc *q = t->procs; q; q = q->link) {
        if (pid == -1 ? q == p : q->pid != pid)
            continue;
        found++;
        if (sig)
            kill_one(q, sig, p->pid);
    }
    int killed = p->killed;
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->mu);
    if (!found)
        return wb_ret(r, WE_SRCH);
    if (killed)
        return ended(c, p, killed);    /* it killed itself */
    return wb_ret(r, WE_SUCCESS);
}

/* ---- getpid, getppid, cwd ----------------------------------------------------- */

static wb_status h_getpid(wb_caller *c, void *env, const wb_val *a,
                          wb_val *r)
{
    return wb_ret(r, P->pid);
}

static wb_status h_getppid(wb_caller *c, void *env, const wb_val *a,
                           wb_val *r)
{
    pthread_mutex_lock(&P->tree->mu);
    int ppid = P->ppid;
    pthread_mutex_unlock(&P->tree->mu);
    return wb_ret(r, ppid);
}

static wb_status h_cwd(wb_caller *c, void *env, const wb_val *a, wb_val *r)
{
    size_t n = strlen(P->cwd);
    uint8_t *buf = wb_gptr(c, A32(0), A32(1));
    if (!buf || !wb_gptr(c, A32(2), 4))
        return wb_ret(r, WE_FAULT);
    if (n > A32(1))
        return wb_ret(r, WE_RANGE);
    memcpy(buf, P->cwd, n);
    wb_put32(c, A32(2), (uint32_t)n);
    return wb_ret(r, WE_SUCCESS);
}

/* ---- definition ----------------------------------------------------------------- */

typedef struct proc_fn {
    const char *name;
    wb_host_fn fn;
    uint8_t nparams;
} proc_fn;

static const proc_fn fns[] = {
    { "spawn", h_spawn, 10 }, { "exec", h_exec, 8 },
    { "fork", wb_proc_h_fork, 0 },
    { "wait", h_wait, 3 }, { "kill", h_kill, 2 },
    { "getpid", h_getpid, 0 }, { "getppid", h_getppid, 0 },
    { "cwd", h_cwd, 3 },
};

wb_status wb_proc_define(wb_proc *p, wb_store *s, wb_linker *l,
                         wb_error *err)
{
    static const wb_valtype i32s[10] = { WB_I32, WB_I32, WB_I32, WB_I32,
        WB_I32, WB_I32, WB_I32, WB_I32, WB_I32, WB_I32 };
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
        wb_func *f = wb_func_new_host(s, i32s, fns[i].nparams, i32s, 1,
                                      fns[i].fn, p);
        if (!f)
            return wb_err_set(err, WB_E_NOMEM, "out of memory");
        wb_extern ext = { .kind = WB_EXTERN_FUNC, .of.func = f };
        wb_status st = wb_linker_define(l, "wasmbox_proc", fns[i].name, ext);
        if (st != WB_OK)
            return wb_err_set(err, st, "wasmbox_proc.%s: cannot define",
                              fns[i].name);
    }
    return WB_OK;
}
