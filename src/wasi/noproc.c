/* noproc.c: the `wasmbox_proc` import module (docs/processes.md) for a
 * context that belongs to no process tree: the ready point of a guest
 * snapshot, or any host that has not made one. A guest that imports
 * wasmbox_proc (python.wasm does, for subprocess) must still link and
 * start there; it is a lone process: pid 1, no parent, started in "/",
 * and every call that would start, wait for or signal a process, or
 * make a pipe, answers ENOSYS. wb_wasi_define defines these; a tree
 * (src/proc/) defines its own after it, and the linker keeps the last
 * definition of a name. */
#include "wasi/wasi.h"
#include <string.h>

static wb_status nosys(wb_caller *c, void *env, const wb_val *a, wb_val *r)
{
    (void)c; (void)env; (void)a;
    return wb_ret(r, WE_NOSYS);
}

/* fork and wait return -errno, not an errno. */
static wb_status nosys_neg(wb_caller *c, void *env, const wb_val *a,
                           wb_val *r)
{
    (void)c; (void)env; (void)a;
    r[0].of.i32 = -WE_NOSYS;
    return WB_OK;
}

static wb_status pid_one(wb_caller *c, void *env, const wb_val *a, wb_val *r)
{
    (void)c; (void)env; (void)a;
    r[0].of.i32 = 1;
    return WB_OK;
}

static wb_status ppid_none(wb_caller *c, void *env, const wb_val *a,
                           wb_val *r)
{
    (void)c; (void)env; (void)a;
    r[0].of.i32 = 0;
    return WB_OK;
}

/* cwd(buf, cap, len_out): "/", where a root starts. */
static wb_status cwd_root(wb_caller *c, void *env, const wb_val *a,
                          wb_val *r)
{
    (void)env;
    uint8_t *buf = wb_gptr(c, A32(0), A32(1));
    if (!buf || !wb_put32(c, A32(2), 1))
        return wb_ret(r, WE_FAULT);
    if (A32(1) < 1)
        return wb_ret(r, WE_RANGE);
    buf[0] = '/';
    return wb_ret(r, WE_SUCCESS);
}

static const struct {
    const char *name;
    size_t np;
    wb_host_fn fn;
} noproc_funcs[] = {
    { "fork", 0, nosys_neg }, { "exec", 8, nosys },
    { "spawn", 10, nosys }, { "wait", 3, nosys_neg },
    { "kill", 2, nosys }, { "getpid", 0, pid_one },
    { "getppid", 0, ppid_none }, { "cwd", 3, cwd_root },
    { "pipe", 1, nosys }, { "dup", 3, nosys },
    { "dup2", 2, nosys }, { "cloexec", 2, nosys },
};

wb_status wb_wasi_define_noproc(wb_wasi *w, wb_store *s, wb_linker *l,
                                wb_error *err)
{
    static const wb_valtype i32[10] = { WB_I32, WB_I32, WB_I32, WB_I32,
                                        WB_I32, WB_I32, WB_I32, WB_I32,
                                        WB_I32, WB_I32 };
    for (size_t i = 0; i < sizeof noproc_funcs / sizeof *noproc_funcs; i++) {
        wb_func *f = wb_func_new_host(s, i32, noproc_funcs[i].np, i32, 1,
                                      noproc_funcs[i].fn, w);
        if (!f)
            return wb_err_set(err, WB_E_NOMEM, "cannot create host function "
                              "wasmbox_proc.%s", noproc_funcs[i].name);
        wb_extern ext = { .kind = WB_EXTERN_FUNC, .of.func = f };
        wb_status st = wb_linker_define(l, "wasmbox_proc",
                                        noproc_funcs[i].name, ext);
        if (st != WB_OK)
            return wb_err_set(err, st, "cannot define wasmbox_proc.%s",
                              noproc_funcs[i].name);
    }
    return WB_OK;
}
