/* wasi.c: the WASI context (built from a wb_sandbox_config) and the
 * registration of every wasi_snapshot_preview1 function in a linker. */
#include "wasi/wasi.h"
#include "net/net.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

/* Every function, with its signature: one char per parameter, 'i' i32,
 * 'I' i64; all but proc_exit return one i32 errno. */
#define WB_WASI_LIST(F)                                                    \
    F(args_get, "ii") F(args_sizes_get, "ii")                              \
    F(environ_get, "ii") F(environ_sizes_get, "ii")                        \
    F(clock_res_get, "ii") F(clock_time_get, "iIi")                        \
    F(random_get, "ii")                                                    \
    F(fd_advise, "iIIi") F(fd_allocate, "iII") F(fd_close, "i")            \
    F(fd_datasync, "i") F(fd_fdstat_get, "ii")                             \
    F(fd_fdstat_set_flags, "ii") F(fd_fdstat_set_rights, "iII")            \
    F(fd_filestat_get, "ii") F(fd_filestat_set_size, "iI")                 \
    F(fd_filestat_set_times, "iIIi") F(fd_pread, "iiiIi")                  \
    F(fd_prestat_get, "ii") F(fd_prestat_dir_name, "iii")                  \
    F(fd_pwrite, "iiiIi") F(fd_read, "iiii") F(fd_readdir, "iiiIi")        \
    F(fd_renumber, "ii") F(fd_seek, "iIii") F(fd_sync, "i")                \
    F(fd_tell, "ii") F(fd_write, "iiii")                                   \
    F(path_create_directory, "iii") F(path_filestat_get, "iiiii")          \
    F(path_filestat_set_times, "iiiiIIi") F(path_link, "iiiiiii")          \
    F(path_open, "iiiiiIIii") F(path_readlink, "iiiiii")                   \
    F(path_remove_directory, "iii") F(path_rename, "iiiiii")               \
    F(path_symlink, "iiiii") F(path_unlink_file, "iii")                    \
    F(poll_oneoff, "iiii") F(proc_exit, "i") F(proc_raise, "i")            \
    F(sched_yield, "")                                                     \
    F(sock_accept, "iii") F(sock_recv, "iiiiii") F(sock_send, "iiiii")     \
    F(sock_shutdown, "ii")

/* Each runs under the tree lock (tree.c): the functions of the processes
 * of one tree are serialised, and those that wait release it. */
WB_WASI_LIST(WB_WASI_LOCKED)

static const wb_wasi_func wb_wasi_funcs[] = {
#define F(n, s) { #n, s, locked_##n },
    WB_WASI_LIST(F)
#undef F
};

wb_status wb_wasi_define_funcs(wb_wasi *w, wb_store *s, wb_linker *l,
                               const char *module, const wb_wasi_func *fns,
                               size_t n, wb_error *err)
{
    static const wb_valtype res[1] = { WB_I32 };
    for (size_t i = 0; i < n; i++) {
        wb_valtype params[16];
        const char *sig = fns[i].sig;
        size_t np = strlen(sig);
        for (size_t k = 0; k < np; k++)
            params[k] = sig[k] == 'I' ? WB_I64 : WB_I32;
        bool noret = !strcmp(fns[i].name, "proc_exit");
        wb_func *f = wb_func_new_host(s, params, np, res, noret ? 0 : 1,
                                      fns[i].fn, w);
        if (!f)
            return wb_err_set(err, WB_E_NOMEM, "cannot create host function "
                              "%s.%s", module, fns[i].name);
        wb_extern ext = { .kind = WB_EXTERN_FUNC, .of.func = f };
        wb_status st = wb_linker_define(l, module, fns[i].name, ext);
        if (st != WB_OK)
            return wb_err_set(err, st, "cannot define %s.%s", module,
                              fns[i].name);
    }
    return WB_OK;
}

wb_status wb_wasi_define(wb_wasi *w, wb_store *s, wb_linker *l,
                         wb_error *err)
{
    wb_status st = wb_wasi_define_funcs(w, s, l, "wasi_snapshot_preview1",
                                        wb_wasi_funcs,
                                        sizeof wb_wasi_funcs /
                                            sizeof *wb_wasi_funcs, err);
    if (st == WB_OK)
        st = wb_wasi_define_http(w, s, l, err);
    if (st == WB_OK)
        st = wb_wasi_define_noproc(w, s, l, err);
    return st != WB_OK ? st : wb_wasi_define_fdops(w, s, l, err);
}

/* stdio: streams without seek/tell rights, like a terminal. */
static void add_stdio(wb_wasi *w, const wb_sandbox_config *cfg)
{
    uint64_t common = WR_POLL_FD_READWRITE | WR_FD_FDSTAT_SET_FLAGS |
                      WR_FD_FILESTAT_GET;
    /* A stream is a terminal to the guest only when the host's is one:
     * interpreters choose between a REPL and reading a script from it. */
    int host[3] = { cfg->stdin_fd, cfg->output ? -1 : cfg->stdout_fd,
                    cfg->output ? -1 : cfg->stderr_fd };
    for (int i = 0; i < 3; i++) {
        wb_fdent *e = &w->fds[i];
        e->kind = i == 0 ? WB_FD_STDIN : WB_FD_OUT;
        e->type = host[i] >= 0 && isatty(host[i]) ? WF_CHAR : WF_UNKNOWN;
        e->host = -1;
        e->stream = i;
        e->rights = common | (i == 0 ? WR_FD_READ : WR_FD_WRITE);
    }
    if (cfg->stdin_fd >= 0)
        w->fds[0].host = fcntl(cfg->stdin_fd, F_DUPFD_CLOEXEC, 3);
    w->t->out_fd[1] = cfg->stdout_fd;
    w->t->out_fd[2] = cfg->stderr_fd;
    w->nopen = 3;
}

static wb_status add_grant(wb_wasi *w, const wb_grant *g, wb_error *err)
{
    uint32_t fd;
    /* wasi-libc matches preopen names literally: "/a/../b" would be
     * reached only by that spelling, and the root could not place it */
    if (g->kind != WB_GRANT_SOCKET && g->guest &&
        wb_vroot_has_dotdot(g->guest))
        return wb_err_set(err, WB_E_ARG, "%s: a guest path may not contain "
                          "'..'", g->guest);
    if (wb_fd_alloc(w, &fd) != WE_SUCCESS)
        return wb_err_set(err, WB_E_ARG, "%s: max-files is too small for the "
                          "grants", g->guest);
    wb_fdent *e = &w->fds[fd];
    memset(e, 0, sizeof *e);
    e->host = -1;
    if (g->kind == WB_GRANT_DIR) {
        struct stat st;
        e->host = open(g->host, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (e->host < 0 || fstat(e->host, &st) != 0) {
            int er = errno;
            if (e->host >= 0)
                close(e->host);
            e->host = -1;
            return wb_err_set(err, WB_E_ARG, "%s: %s", g->host, strerror(er));
        }
        e->root = (wb_fileid){ st.st_dev, st.st_ino };
        e->kind = WB_FD_HOST;
        e->ro = g->read_only;
    } else if (g->kind == WB_GRANT_TMPFS) {
        wb_tfs *fs = wb_tfs_new(g->size);
        wb_wtree *t = w->t;
        wb_tfs **nt = fs ? realloc(t->tfs, (t->ntfs + 1) * sizeof *nt) : NULL;
        if (!nt) {
            wb_tfs_free(fs);
            return wb_err_set(err, WB_E_NOMEM, "%s: out of memory", g->guest);
        }
        t->tfs = nt;
        t->tfs[t->ntfs++] = fs;
        e->kind = WB_FD_TMPFS;
        e->node = wb_tfs_root(fs);
        wb_tnode_ref(e->node);
    } else {
        struct stat st;
        if (fstat(g->fd, &st) != 0 || !S_ISSOCK(st.st_mode))
            return wb_err_set(err, WB_E_ARG, "%s: not a socket",
                              g->guest ? g->guest : "socket");
        e->host = fcntl(g->fd, F_DUPFD_CLOEXEC, 3);
        e->kind = WB_FD_SOCK;
        e->type = WF_SOCK_STREAM;
        wb_rights_of(e->type, false, &e->rights, &e->inherit);
        w->nopen++;
        return WB_OK;
    }
    e->type = WF_DIR;
    wb_rights_of(WF_DIR, e->ro, &e->rights, &e->inherit);
    e->preopen = strdup(g->guest ? g->guest : "/");
    w->nopen++;
    return e->preopen ? WB_OK : wb_err_set(err, WB_E_NOMEM, "%s: no memory",
                                           g->guest);
}

/* The virtual root (vroot.c), after the grants: their fds stay 3, 4, ...
 * and wasi-libc matches preopens by their names, not their order. */
static wb_status add_root(wb_wasi *w, wb_error *err)
{
    uint32_t fd;
    if (wb_fd_alloc(w, &fd) != WE_SUCCESS)
        return wb_err_set(err, WB_E_ARG, "/: max-files is too small for "
                          "the grants and the root directory");
    if (wb_vroot_new(w, &w->t->vroot) != WE_SUCCESS)
        return wb_err_set(err, WB_E_NOMEM, "/: cannot make the root directory");
    wb_fdent *e = &w->fds[fd];
    memset(e, 0, sizeof *e);
    e->kind = WB_FD_VROOT;
    e->type = WF_DIR;
    e->ro = true;
    e->host = -1;
    e->vnode = w->t->vroot;
    wb_rights_of(WF_DIR, true, &e->rights, &e->inherit);
    if (!(e->preopen = strdup("/"))) {
        e->kind = WB_FD_FREE;
        return wb_err_set(err, WB_E_NOMEM, "/: out of memory");
    }
    w->nopen++;
    return WB_OK;
}

/* The context's own part; the tree's (budgets, sinks, network) is set
 * by the caller. */
static wb_status new_context(const wb_sandbox_config *cfg, wb_wasi *w,
                             wb_error *err)
{
    wb_wtree *t = w->t;
    t->max_output = cfg->budget.max_output;
    t->max_disk = cfg->budget.max_disk;
    t->output = cfg->output;
    t->output_user = cfg->output_user;
    t->write_gate = cfg->write_gate;
    t->write_gate_user = cfg->write_gate_user;
    w->max_files = cfg->budget.max_files;
    w->nfds = 8;
    w->fds = calloc(w->nfds, sizeof *w->fds);
    w->args = wb_strv_copy(cfg->args, cfg->nargs);
    w->env = wb_strv_copy(cfg->env, cfg->nenv);
    w->nargs = cfg->nargs;
    w->nenv = cfg->nenv;
    char why[256];
    if (cfg->budget.net.nallow && !wb_net_load(why, sizeof why))
        return wb_err_set(err, WB_E_IO, "%s", why);
    t->net = t->wake < 0 ? NULL : wb_net_new(&cfg->budget.net, t->wake,
                                             &t->cancelled);
    if (!w->fds || !w->args || !w->env || !t->net)
        return wb_err_set(err, WB_E_NOMEM, "wasi: cannot allocate the context");
    if (w->max_files < 3 || w->max_files > WB_FD_NUM_MAX)
        return wb_err_set(err, WB_E_ARG, "max-files: must be from 3 to %u "
                          "(fd numbers stay below %u)", WB_FD_NUM_MAX,
                          WB_FD_NUM_MAX);
    return WB_OK;
}

static wb_status add_grants(const wb_sandbox_config *cfg, wb_wasi *w,
                            wb_error *err)
{
    add_stdio(w, cfg);
    bool root = !cfg->no_root;
    for (size_t i = 0; i < cfg->ngrants; i++) {
        const wb_grant *g = &cfg->grants[i];
        wb_status st = add_grant(w, g, err);
        if (st != WB_OK)
            return st;
        if (g->kind != WB_GRANT_SOCKET && wb_vroot_is_root(g->guest ? g->guest
                                                                     : "/"))
            root = false;                 /* the grant is the root */
    }
    wb_status st = root ? add_root(w, err) : WB_OK;
    if (st == WB_OK && wb_tree_keep_preopens(w) != WE_SUCCESS)
        st = wb_err_set(err, WB_E_NOMEM, "wasi: cannot keep the preopens");
    return st;
}

wb_status wb_wasi_new(const wb_sandbox_config *cfg, wb_wasi **out,
                      wb_error *err)
{
    wb_wasi *w = wb_wasi_alloc(NULL);
    if (!w)
        return wb_err_set(err, WB_E_NOMEM, "wasi: out of memory");
    wb_status st = new_context(cfg, w, err);
    if (st == WB_OK)
        st = add_grants(cfg, w, err);
    if (st != WB_OK) {
        wb_wasi_free(w);
        return st;
    }
    *out = w;
    return WB_OK;
}

int wb_wasi_stop_reason(const wb_wasi *w)
{
    return w->t->stop;
}

void wb_wasi_usage(const wb_wasi *w, wb_run_result *res)
{
    const wb_wtree *t = w->t;
    res->stdout_bytes = t->out_bytes[1];
    res->stderr_bytes = t->out_bytes[2];
    res->stdout_truncated = t->truncated[1];
    res->stderr_truncated = t->truncated[2];
    res->disk_bytes = t->disk_bytes;
    wb_net_usage(t->net, res);
}

void wb_wasi_set_max_disk(wb_wasi *w, uint64_t max_disk)
{
    w->t->max_disk = max_disk;
}

void wb_wasi_set_net(wb_wasi *w, const wb_net_budget *b)
{
    wb_net_set_budget(w->t->net, b);
    wb_net_reset_log(w->t->net);
}
