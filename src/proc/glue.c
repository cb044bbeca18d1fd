/* glue.c: the WASI side of processes (proc.h). */
#include "proc/proc.h"
#include "wasi/wasi.h"
#include <stdlib.h>
#include <string.h>

int wb_proc_ctx_spawn(wb_proc *parent, wb_proc *child, const wb_pimage *im,
                      const int fds[3])
{
    (void)parent;
    (void)fds;
    wb_sandbox_config cfg = *child->tree->cfg;
    cfg.args = im->argv;
    cfg.nargs = im->argc;
    cfg.env = im->env;
    cfg.nenv = im->envc;
    wb_error e = { 0 };
    wb_status st = wb_wasi_new(&cfg, &child->wasi, &e);
    return st == WB_OK ? WE_SUCCESS : st == WB_E_NOMEM ? WE_NOMEM : WE_IO;
}

static char **copy_list(char *const *v, size_t n)
{
    char **out = calloc(n + 1, sizeof *out);
    for (size_t i = 0; out && i < n; i++)
        if (!(out[i] = strdup(v[i]))) {
            while (i--)
                free(out[i]);
            free(out);
            return NULL;
        }
    return out;
}

int wb_proc_ctx_exec(wb_proc *p, const wb_pimage *im)
{
    wb_wasi *w = p->wasi;
    char **args = copy_list(im->argv, im->argc);
    char **env = copy_list(im->env, im->envc);
    if (!args || !env) {
        free(args);
        free(env);
        return WE_NOMEM;
    }
    for (size_t i = 0; i < w->nargs; i++) free(w->args[i]);
    for (size_t i = 0; i < w->nenv; i++) free(w->env[i]);
    free(w->args);
    free(w->env);
    w->args = args;
    w->nargs = im->argc;
    w->env = env;
    w->nenv = im->envc;
    return WE_SUCCESS;
}

int wb_proc_load_file(wb_proc *p, const char *path, wb_module **out)
{
    (void)p;
    (void)path;
    *out = NULL;
    return WE_NOENT;
}

int wb_proc_ctx_fork(wb_proc *parent, wb_proc *child)
{
    wb_wasi *w = parent->wasi;
    wb_pimage im = { .argv = w->args, .argc = w->nargs, .env = w->env,
                     .envc = w->nenv };
    static const int fds[3] = { 0, 1, 2 };
    return wb_proc_ctx_spawn(parent, child, &im, fds);
}
