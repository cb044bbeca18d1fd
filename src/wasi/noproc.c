/* noproc.c: the `wasmbox_proc` import module (docs/processes.md) for a
 * context that belongs to no process tree: a session's kernel, or any
 * host that has not made one. A guest that imports
 * wasmbox_proc (python.wasm does, for subprocess) must still link and
 * start there; it is a lone process: pid 1, no parent, started in "/",
 * and every call that would start, wait for or signal a process answers
 * ENOSYS (its fd operations, pipe, dup, dup2 and cloexec, are fdops.c's
 * and work). wb_wasi_define defines these; a tree (src/proc/) defines
 * its own after it, and the linker keeps the last definition of a
 * name. */
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

static const wb_wasi_func noproc_funcs[] = {
    { "fork", "", nosys_neg }, { "exec", "iiiiiiii", nosys },
    { "spawn", "iiiiiiiiii", nosys }, { "wait", "iii", nosys_neg },
    { "kill", "ii", nosys }, { "getpid", "", pid_one },
    { "getppid", "", ppid_none }, { "cwd", "iii", cwd_root },
};

wb_status wb_wasi_define_noproc(wb_wasi *w, wb_store *s, wb_linker *l,
                                wb_error *err)
{
    return wb_wasi_define_funcs(w, s, l, "wasmbox_proc", noproc_funcs,
                                sizeof noproc_funcs / sizeof *noproc_funcs,
                                err);
}
