/* preinit.c: CPython started from a snapshot at its ready point (see
 * preinit.h). The host drives the guest through its own functions, by
 * the names of the module's name section, each call made with no other
 * guest call in progress; every call runs under the run's store, so
 * fuel, the timeout and the memory limit hold as for _start. */
#include "sandbox/preinit.h"
#include "sandbox/sandbox.h"
#include "common/utf8.h"
#include "engine.h"
#include "engine/native.h"
#include "snapshot/snapshot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The functions a run from the snapshot calls, found in one pass. */
static const char *const run_funcs[] = {
    "malloc", "free", "__wasilibc_populate_preopens",
    "__wasilibc_initialize_environ", "PyRun_SimpleStringFlags",
    "PyBytes_FromStringAndSize", "PySys_SetObject", "PySys_GetObject",
    "PyObject_CallNoArgs", "PyObject_IsTrue", "Py_FinalizeEx",
    "__wasm_call_dtors", "chdir", "write", "_Py_Dealloc", "PyErr_Print",
    "PyErr_Clear", "PyCallable_Check", "PyLong_AsLong", "_Py_fopen_obj",
    "_PyRun_AnyFileObject", "PyEval_GetBuiltins",
    "_PyDict_GetItemStringWithError",
};
#define NRUN_FUNCS (sizeof run_funcs / sizeof run_funcs[0])

/* A guest being driven. */
typedef struct guest {
    wb_store *s;
    wb_instance *inst;
    wb_error *e;
    /* functions found by name: a lookup is a pass over the name section,
     * and a run calls malloc and free several times (run_funcs, and room
     * for a few more) */
    struct { const char *name; wb_func *f; } found[NRUN_FUNCS + 4];
    size_t nfound;
    int32_t finish;                    /* the ready point's finish() */
} guest;

static void find_run_funcs(guest *g)
{
    wb_func *f[NRUN_FUNCS];
    wb_instance_funcs_named(g->inst, run_funcs, NRUN_FUNCS, f);
    for (size_t i = 0; i < NRUN_FUNCS; i++)
        if (f[i]) {
            g->found[g->nfound].name = run_funcs[i];
            g->found[g->nfound++].f = f[i];
        }
}

static wb_func *gfunc(guest *g, const char *name)
{
    if (!g->nfound)
        find_run_funcs(g);
    for (size_t i = 0; i < g->nfound; i++)
        if (!strcmp(g->found[i].name, name))
            return g->found[i].f;
    wb_func *f = wb_instance_func_named(g->inst, name);
    if (f && g->nfound < sizeof g->found / sizeof g->found[0]) {
        g->found[g->nfound].name = name;
        g->found[g->nfound++].f = f;
    }
    return f;
}

/* Call the guest's function `name` with i32 arguments; its i32 result, if
 * it has one, into *ret (may be NULL). */
static wb_status gcall(guest *g, const char *name, const int32_t *args,
                       size_t n, int32_t *ret)
{
    wb_func *f = gfunc(g, name);
    if (!f)
        return wb_err_set(g->e, WB_E_LINK, "python.wasm has no function "
                          "'%s' (a pre-initialized start needs it)", name);
    size_t nr = wb_func_result_count(f);
    if (n > 4 || wb_func_param_count(f) != n || nr > 1)
        return wb_err_set(g->e, WB_E_LINK, "python.wasm: '%s' has an "
                          "unexpected type", name);
    wb_val a[4], r = { 0 };
    for (size_t i = 0; i < n && i < 4; i++)
        a[i] = (wb_val){ .type = WB_I32, .of.i32 = args[i] };
    wb_status st = wb_func_call(g->s, f, a, n, &r, nr, g->e);
    if (ret)
        *ret = nr ? r.of.i32 : 0;
    return st;
}

static uint8_t *gmem(guest *g, uint32_t at, size_t len)
{
    wb_memory *m = wb_instance_memory(g->inst, "memory");
    if (!m || at == 0 || (uint64_t)at + len > wb_memory_size(m))
        return NULL;
    return wb_memory_data(m) + at;
}

/* `len` bytes (zeros when `bytes` is NULL) plus a NUL, in guest memory
 * from its malloc; the address into *at. */
static wb_status gput(guest *g, const void *bytes, size_t len, int32_t *at)
{
    int32_t n = (int32_t)(len + 1);
    if (len >= INT32_MAX)
        return wb_err_set(g->e, WB_E_NOMEM, "argument too large");
    wb_status st = gcall(g, "malloc", &n, 1, at);
    uint8_t *p = st ? NULL : gmem(g, (uint32_t)*at, len + 1);
    if (st)
        return st;
    if (!p)
        return wb_err_set(g->e, WB_E_LIMIT, "out of guest memory");
    if (bytes)
        memcpy(p, bytes, len);
    else
        memset(p, 0, len);
    p[len] = 0;
    return WB_OK;
}

static wb_status gputs(guest *g, const char *s, int32_t *at)
{
    return gput(g, s, strlen(s), at);
}

/* Check a PyStatus (struct { int _type; ... }) at `at`: 0 is ok. */
static wb_status pystatus(guest *g, int32_t at, const char *what)
{
    uint8_t *p = gmem(g, (uint32_t)at, 16);
    int32_t type;
    if (!p)
        return wb_err_set(g->e, WB_E_LIMIT, "out of guest memory");
    memcpy(&type, p, 4);
    return type ? wb_err_set(g->e, WB_E_TRAP, "python.wasm: %s failed "
                             "(status %d)", what, type) : WB_OK;
}

/* ---- the ready point ----------------------------------------------------- */

/* What `python3` does up to running its command: C constructors (among
 * them wasi-libc's table of preopens), a Python configuration with argv
 * ["python3"], Py_InitializeFromConfig. */
static wb_status py_init(guest *g)
{
    int32_t conf, status, arg0, argv;
    wb_status st = gcall(g, "__wasm_call_ctors", NULL, 0, NULL);
    if (!st)
        st = gput(g, NULL, 8192, &conf);     /* sizeof(PyConfig) < 1 KiB */
    if (!st)
        st = gput(g, NULL, 16, &status);
    if (!st)
        st = gputs(g, "python3", &arg0);
    if (!st)
        st = gput(g, &arg0, 4, &argv);
    if (!st)
        st = gcall(g, "PyConfig_InitPythonConfig", &conf, 1, NULL);
    if (!st) {
        int32_t a[4] = { status, conf, 1, argv };
        st = gcall(g, "PyConfig_SetBytesArgv", a, 4, NULL);
    }
    if (!st)
        st = pystatus(g, status, "PyConfig_SetBytesArgv");
    if (!st) {
        int32_t a[2] = { status, conf };
        st = gcall(g, "Py_InitializeFromConfig", a, 2, NULL);
    }
    if (!st)
        st = pystatus(g, status, "Py_InitializeFromConfig");
    if (!st)
        st = gcall(g, "PyConfig_Clear", &conf, 1, NULL);
    int32_t bufs[] = { conf, status, arg0, argv };
    for (size_t i = 0; !st && i < sizeof bufs / sizeof bufs[0]; i++)
        st = gcall(g, "free", &bufs[i], 1, NULL);
    return st;
}

/* PyRun_SimpleStringFlags(src, flags); its result (0, or -1 after it
 * printed the exception) into *ret. */
static wb_status py_run(guest *g, const char *src, size_t len, int32_t flags,
                        int32_t *ret)
{
    int32_t at;
    wb_status st = gput(g, src, len, &at);
    if (st)
        return st;
    int32_t a[2] = { at, flags };
    st = gcall(g, "PyRun_SimpleStringFlags", a, 2, ret);
    if (!st)
        st = gcall(g, "free", &at, 1, NULL);
    return st;
}

typedef struct build_job {
    const char *out;
    wb_module *m;
} build_job;

/* What a run from the ready point runs (setup's first byte): `python3
 * -c CODE`, a kernel's `python3 -I SCRIPT`, `python3 SCRIPT`. */
enum { RUN_CMD, RUN_KERNEL, RUN_SCRIPT };

static wb_status py_main(guest *g, const wb_sandbox_config *cfg, int mode,
                         bool quick);

/* The pages a run from the ready point writes (snapshot/hot.c): a
 * capture of g's instance restored in the same store, where `python3 -c
 * pass` runs to its end as `wasmbox python` runs it; *hot stays NULL
 * where the page map cannot be read. A failed run fails the build: a
 * run from the snapshot would fail the same way. */
static wb_status trial_run(guest *g, const wb_linker *l, uint8_t **hot,
                           size_t *hot_len)
{
    wb_snapshot *snap = NULL;
    wb_sandbox_config c;
    guest t = { .s = g->s, .inst = NULL, .e = g->e };
    wb_sandbox_config_init(&c);
    wb_status st = wb_config_add_arg(&c, "python3") ||
                   wb_config_add_arg(&c, "-c") || wb_config_add_arg(&c, "pass")
                   ? wb_err_set(g->e, WB_E_NOMEM, "out of memory") : WB_OK;
    if (!st)
        st = wb_snapshot_capture(g->inst, NULL, &snap, g->e);
    if (!st)
        st = wb_snapshot_instantiate(g->s, snap, l, &t.inst, g->e);
    if (!st && (st = py_main(&t, &c, RUN_CMD, false)) != WB_OK) {
        char why[sizeof g->e->message];
        snprintf(why, sizeof why, "%s", g->e->message);
        st = wb_err_set(g->e, WB_E_TRAP, "python.wasm: python -c pass from "
                        "the new ready point failed: %s", why);
    }
    if (!st)
        wb_snaphot_record(wb_instance_memory(t.inst, "memory"), hot, hot_len);
    wb_snapshot_free(snap);
    wb_sandbox_config_free(&c);
    return st;
}

static wb_status build_entry(void *user, const wb_sandbox_config *cfg,
                             wb_store *s, wb_linker *l, wb_wasi *w,
                             wb_error *e, bool *ran)
{
    build_job *job = user;
    guest g = { .s = s, .inst = NULL, .e = e };
    int32_t ret = 0;
    uint8_t *hot = NULL;
    size_t hot_len = 0;
    *ran = false;
    wb_status st = wb_instantiate(s, job->m, l, &g.inst, e);
    if (!st)
        st = py_init(&g);
    if (!st)
        st = py_run(&g, wb_preinit_warm_src, strlen(wb_preinit_warm_src), 0,
                    &ret);
    if (!st && ret)
        st = wb_err_set(e, WB_E_TRAP, "python.wasm: importing %s failed",
                        WB_PREINIT_IMPORTS);
    if (!st)
        st = trial_run(&g, l, &hot, &hot_len);
    if (!st)
        st = wb_snapshot_save_hot(g.inst, job->out, hot, hot_len, e);
    free(hot);
    return st;
}

wb_status wb_preinit_build(const char *module_path, const char *lib,
                           const char *out, wb_error *err)
{
    build_job job = { out, NULL };
    wb_run_result res;
    wb_sandbox_config c;
    wb_sandbox_config_init(&c);
    c.budget.timeout_ms = 600000;      /* sanitizer builds are slow */
    c.budget.max_memory = 1ull << 30;
    c.stdout_fd = 2;                   /* messages of a failed start */
    c.no_root = true;                  /* preopens: /lib alone, at fd 3 */
    wb_status st = wb_module_load(module_path, &job.m, err);
    if (!st && (wb_config_add_arg(&c, "python3") ||
                wb_config_add_dir(&c, lib, WB_PREINIT_LIB, true)))
        st = wb_err_set(err, WB_E_NOMEM, "out of memory");
    if (!st)
        st = wb_sandbox_run_entry(&c, build_entry, &job, &res, err);
    if (!st && (res.outcome != WB_OUTCOME_EXITED || res.exit_code))
        st = wb_err_set(err, res.status ? res.status : WB_E_TRAP,
                        "python.wasm did not reach its ready point: %s %s",
                        wb_outcome_name(res.outcome), res.message);
    wb_module_release(job.m);
    wb_sandbox_config_free(&c);
    return st;
}

/* Is `snap` a ready point of this wasmbox's contract with it (the setup
 * function a run calls, by its versioned name)? The wasmbox version a
 * snapshot is bound to does not change with every build. Asked of a
 * scratch instance, without imports: PySys_GetObject calls none. */
static wb_status check_contract(const wb_snapshot *snap, wb_error *err)
{
    wb_limits lim;
    wb_store *s = NULL;
    wb_wasi *w = NULL;
    wb_sandbox_config c;
    wb_linker *l = wb_linker_new();
    guest g = { .s = NULL, .inst = NULL, .e = err };
    int32_t name = 0, found = 0;
    wb_limits_default(&lim);
    lim.max_memory = 1ull << 32;
    wb_sandbox_config_init(&c);
    c.stdout_fd = c.stderr_fd = -1;
    wb_status st = l ? wb_store_new(&lim, &s, err)
                     : wb_err_set(err, WB_E_NOMEM, "out of memory");
    g.s = s;
    if (!st)
        st = wb_wasi_new(&c, &w, err);
    if (!st)
        st = wb_wasi_define(w, s, l, err);
    if (!st)
        st = wb_snapshot_instantiate(s, snap, l, &g.inst, err);
    if (!st)
        st = gputs(&g, WB_PREINIT_SETUP, &name);
    if (!st)
        st = gcall(&g, "PySys_GetObject", &name, 1, &found);
    if (!st && !found)
        st = wb_err_set(err, WB_E_SNAPSHOT, "snapshot refused: made by "
                        "another wasmbox (no sys.%s)", WB_PREINIT_SETUP);
    else if (st && st != WB_E_SNAPSHOT && st != WB_E_NOMEM) {
        char why[sizeof err->message];
        snprintf(why, sizeof why, "%s", err->message);
        st = wb_err_set(err, WB_E_SNAPSHOT, "snapshot refused: not a "
                        "pre-initialized python.wasm (%s)", why);
    }
    if (s)
        wb_store_free(s);
    wb_wasi_free(w);
    wb_linker_free(l);
    return st;
}

/* Open the snapshot at `fd` of module `m` (whose file's status is `ms`):
 * checked whole (every byte, the module's hash, the contract) unless a
 * stamp says these files were (preinit_stamp.c); a stamp is written
 * after a whole check of files that did not change meanwhile. */
static wb_status open_checked(int fd, wb_module *m, const struct stat *ms,
                              wb_snapshot **out, wb_error *err)
{
    struct stat before, after;
    char key[600];
    bool keyed = fstat(fd, &before) == 0 &&
                 wb_preinit_stamp_key(ms, &before, key, sizeof key);
    if (keyed && wb_cache_stamped(key))
        return wb_snapshot_open_trusted(fd, m, out, err);
    wb_status st = wb_snapshot_open_fd(fd, m, out, err);
    if (!st && (st = check_contract(*out, err))) {
        wb_snapshot_free(*out);
        *out = NULL;
    }
    if (!st && keyed && fstat(fd, &after) == 0 &&
        !memcmp(&before.st_ctim, &after.st_ctim, sizeof after.st_ctim))
        wb_cache_stamp(key);
    return st;
}

wb_status wb_preinit_open(const char *module_path, const char *snap_path,
                          wb_snapshot **out, wb_error *err)
{
    wb_module *m;
    struct stat ms;
    wb_status st = wb_module_load_deferred_stat(module_path, &m, &ms, err);
    if (st)
        return st;
    int fd = open(snap_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        st = wb_err_set(err, errno == ENOENT ? WB_E_NOT_FOUND : WB_E_IO,
                        "cannot read snapshot: %s: %s", snap_path,
                        strerror(errno));
    else
        st = open_checked(fd, m, &ms, out, err);
    if (fd >= 0)
        close(fd);
    wb_module_release(m);              /* the snapshot holds its own */
    return st;
}

/* ---- runs from the snapshot ---------------------------------------------- */

const char *wb_preinit_unfit(const wb_sandbox_config *c)
{
    /* argv[0] is the ready point's: sys.executable was computed from it */
    if (c->nargs < 2 || strcmp(c->args[0], "python3"))
        return "not python3 -c CODE or python3 SCRIPT";
    bool cmd = !strcmp(c->args[1], "-c");
    if ((cmd && c->nargs < 3) || (!cmd && (!c->args[1][0] ||
                                           c->args[1][0] == '-')))
        return "not python3 -c CODE or python3 SCRIPT";
    const char *code = c->args[cmd ? 2 : 1];
    if (!wb_utf8_valid(code, strlen(code)))
        return cmd ? "the code is not UTF-8" : "the script's name is not UTF-8";
    /* PYTHONIOENCODING only sets up stdio, which the setup redoes */
    for (size_t i = 0; i < c->nenv; i++)
        if (!strncmp(c->env[i], "PYTHON", 6) &&
            strncmp(c->env[i], "PYTHONIOENCODING=", 17))
            return "a PYTHON* environment variable";
    if (!c->ngrants || c->grants[0].kind != WB_GRANT_DIR ||
        strcmp(c->grants[0].guest, WB_PREINIT_LIB) || !c->grants[0].read_only)
        return "the standard library is not the first grant";
    if (c->entry)
        return "another entry point";
    return NULL;
}

/* Python source for a list of byte strings (\xNN escapes: parsing a
 * literal costs the guest far less than any code that decodes one). */
static char *py_bytes_list(char **v, size_t n)
{
    size_t cap = 8;
    for (size_t i = 0; i < n; i++)
        cap += 4 * strlen(v[i]) + 8;
    char *out = malloc(cap), *p = out;
    if (!out)
        return NULL;
    *p++ = '[';
    for (size_t i = 0; i < n; i++) {
        *p++ = 'b';
        *p++ = '\'';
        for (const unsigned char *q = (const unsigned char *)v[i]; *q; q++)
            p += (*q >= '0' && *q <= '9') || ((*q | 32) >= 'a' &&
                  (*q | 32) <= 'z') || *q == ' ' ? sprintf(p, "%c", *q)
                 : sprintf(p, "\\x%02x", *q);
        p += sprintf(p, "',");
    }
    strcpy(p, "]");
    return out;
}

/* The bytes setup reads from sys (preinit_src.c): the mode, the count
 * of argv, argv, the environment, each ending with a NUL (none of them
 * holds one). */
static char *run_bytes(const wb_sandbox_config *c, int mode, size_t *len)
{
    size_t cap = 32;
    for (size_t i = 0; i < c->nargs; i++)
        cap += strlen(c->args[i]) + 1;
    for (size_t i = 0; i < c->nenv; i++)
        cap += strlen(c->env[i]) + 1;
    char *out = malloc(cap), *p = out;
    if (!out)
        return NULL;
    p += sprintf(p, "%d%c%zu%c", mode, 0, c->nargs, 0);
    for (size_t i = 0; i < c->nargs + c->nenv; i++) {
        const char *v = i < c->nargs ? c->args[i] : c->env[i - c->nargs];
        size_t n = strlen(v) + 1;
        memcpy(p, v, n);
        p += n;
    }
    *len = (size_t)(p - out);
    return out;
}

/* Py_DECREF of `obj` as CPython's release build does it: the count (the
 * first word of every PyObject) down by one, _Py_Dealloc at zero. */
static wb_status gdecref(guest *g, int32_t obj)
{
    uint8_t *p = gmem(g, (uint32_t)obj, 4);
    int32_t n;
    if (!p)
        return wb_err_set(g->e, WB_E_LIMIT, "out of guest memory");
    memcpy(&n, p, 4);
    if (n <= 0)
        return wb_err_set(g->e, WB_E_TRAP, "python.wasm: an object's "
                          "reference count is %d", n);
    n--;
    memcpy(p, &n, 4);
    return n ? WB_OK : gcall(g, "_Py_Dealloc", &obj, 1, NULL);
}

/* sys.NAME (a borrowed reference, 0 when it has none) into *obj. */
static wb_status gsys(guest *g, const char *name, int32_t *obj)
{
    int32_t at;
    wb_status st = gputs(g, name, &at);
    if (!st)
        st = gcall(g, "PySys_GetObject", &at, 1, obj);
    if (!st)
        st = gcall(g, "free", &at, 1, NULL);
    return st;
}

/* This run's argv and environment into sys as one bytes object. */
static wb_status put_run(guest *g, const wb_sandbox_config *cfg, int mode)
{
    size_t len = 0;
    char *run = run_bytes(cfg, mode, &len);
    int32_t at = 0, name = 0, obj = 0, bad = 0;
    wb_status st = run ? gput(g, run, len, &at)
                       : wb_err_set(g->e, WB_E_NOMEM, "out of memory");
    free(run);
    if (!st) {
        int32_t a[2] = { at, (int32_t)len };
        st = gcall(g, "PyBytes_FromStringAndSize", a, 2, &obj);
    }
    if (!st)
        st = gputs(g, WB_PREINIT_RUN, &name);
    if (!st && obj) {
        int32_t a[2] = { name, obj };
        st = gcall(g, "PySys_SetObject", a, 2, &bad);
    }
    if (!st && (!obj || bad))
        st = wb_err_set(g->e, WB_E_NOMEM, "python.wasm: cannot pass the "
                        "run's arguments");
    if (!st)
        st = gdecref(g, obj);          /* sys holds it now */
    int32_t bufs[2] = { at, name };
    for (size_t i = 0; !st && i < 2; i++)
        st = gcall(g, "free", &bufs[i], 1, NULL);
    return st;
}

/* setup(), which takes what put_run left in sys; g->finish noted for the
 * end (referred to by setup's globals, it outlives its name in sys). No
 * code is compiled: both were at the ready point. Its result (a new
 * reference) into *res. */
static wb_status call_setup(guest *g, const wb_sandbox_config *cfg,
                            int mode, int32_t *res)
{
    int32_t fn = 0;
    wb_status st = put_run(g, cfg, mode);
    if (!st)
        st = gsys(g, WB_PREINIT_FINISH, &g->finish);
    if (!st)
        st = gsys(g, WB_PREINIT_SETUP, &fn);
    if (!st && (!fn || !g->finish))
        st = wb_err_set(g->e, WB_E_LINK, "python.wasm: the snapshot has no "
                        "sys.%s", WB_PREINIT_SETUP);
    if (!st)
        st = gcall(g, "PyObject_CallNoArgs", &fn, 1, res);
    if (!st && !*res) {
        gcall(g, "PyErr_Print", NULL, 0, NULL);
        return wb_err_set(g->e, WB_E_TRAP, "python.wasm: the pre-initialized "
                          "start failed to set up the run");
    }
    return st;
}

/* PyCompilerFlags { cf_flags, 11 }: `python3 -c` compiles with
 * PyCF_IGNORE_COOKIE, a script with none. */
static wb_status compiler_flags(guest *g, int32_t cf_flags, int32_t *at)
{
    const int32_t f[2] = { cf_flags, 11 };
    return gput(g, f, sizeof f, at);
}

/* A script file run as pymain_run_file_obj runs it once it is open:
 * _PyRun_AnyFileObject(fp, filename, closeit 1, flags), `name` the
 * filename (a str); *code 1 after an exception (printed; SystemExit
 * exits through proc_exit). */
static wb_status run_file(guest *g, int32_t name, int *code)
{
    int32_t mode = 0, fp = 0, flags = 0, ret = 0;
    wb_status st = gputs(g, "rb", &mode);
    if (!st)
        st = gcall(g, "_Py_fopen_obj", (int32_t[]){ name, mode }, 2, &fp);
    if (!st && !fp) {           /* gone since setup() opened it */
        *code = 2;
        st = gcall(g, "PyErr_Print", NULL, 0, NULL);
    } else if (!st && !(st = compiler_flags(g, 0, &flags))) {
        st = gcall(g, "_PyRun_AnyFileObject",
                   (int32_t[]){ fp, name, 1, flags }, 4, &ret);
        *code = ret != 0;
    }
    if (!st)
        st = gcall(g, "free", &mode, 1, NULL);
    if (!st && flags)
        st = gcall(g, "free", &flags, 1, NULL);
    return st;
}

/* `python3 SCRIPT` after setup() did what pymain_run_python does first
 * (the script's name made absolute, its importer, sys.path[0], the
 * audit event; SCRIPT opened, or the error said). setup's result `res`
 * (taken): a callable that runs a directory's or zip archive's __main__
 * (runpy's, as pymain_run_module), an exit status, or the name of the
 * file to run. */
static wb_status run_script(guest *g, int32_t res, int *code)
{
    int32_t yes = 0, n = 0, r = 0;
    wb_status st = gcall(g, "PyCallable_Check", &res, 1, &yes);
    if (!st && yes) {
        st = gcall(g, "PyObject_CallNoArgs", &res, 1, &r);
        *code = !r;
        if (!st)
            st = r ? gdecref(g, r) : gcall(g, "PyErr_Print", NULL, 0, NULL);
    } else if (!st && !(st = gcall(g, "PyLong_AsLong", &res, 1, &n))) {
        *code = n;
        if (n < 0 && !(st = gcall(g, "PyErr_Clear", NULL, 0, NULL)))
            st = run_file(g, res, code);      /* a str: no int */
    }
    return st ? st : gdecref(g, res);
}

/* `python3 -I SCRIPT` runs its script in __main__ (whose __file__ the
 * setup set), by the source of a line that binds no name. */
static char *script_src(const wb_sandbox_config *c)
{
    char *f = py_bytes_list(&c->args[2], 1), *out = NULL;
    if (f && asprintf(&out, "exec(compile(open(%s[0].decode('utf-8', "
                      "'surrogateescape'), 'rb').read(), %s[0].decode("
                      "'utf-8', 'surrogateescape'), 'exec'), __import__("
                      "'sys').modules['__main__'].__dict__)\n", f, f) < 0)
        out = NULL;
    free(f);
    return out;
}

/* write(2, s) in the guest, as its own code would. */
static wb_status gstderr(guest *g, const char *s)
{
    int32_t at = 0;
    wb_status st = gputs(g, s, &at);
    int32_t a[3] = { 2, at, (int32_t)strlen(s) };
    if (!st)
        st = gcall(g, "write", a, 3, NULL);
    return st ? st : gcall(g, "free", &at, 1, NULL);
}

/* The run's working directory (cfg->cwd; a one-shot step of a session
 * asks for /work): a cold start's constructor enters it (python.wasm's
 * _wasmbox_proc, from wasmbox_proc.cwd), but the snapshot ran its
 * constructors at the ready point, in "/". wasi-libc keeps the cwd in
 * guest memory: its chdir() sets it. An image whose constructor is
 * wb_enter_start_cwd has it called now, so a directory it cannot enter
 * is handled as in a cold start: said, and its name kept (a relative
 * name must not become the root's). Older images: said, and the run
 * goes on in "/". */
static wb_status enter_cwd(guest *g, const wb_sandbox_config *cfg)
{
    int32_t at = 0, ret = 0;
    if (!cfg->cwd || !strcmp(cfg->cwd, "/"))
        return WB_OK;
    if (gfunc(g, "wb_enter_start_cwd"))
        return gcall(g, "wb_enter_start_cwd", NULL, 0, NULL);
    wb_status st = gputs(g, cfg->cwd, &at);
    if (!st)
        st = gcall(g, "chdir", &at, 1, &ret);
    if (!st)
        st = gcall(g, "free", &at, 1, NULL);
    if (!st && ret != 0)
        st = gstderr(g, "python: cannot enter the working directory given "
                     "by the parent\n");
    return st;
}

/* What follows the restore of a run (-c CODE, SCRIPT) or of a kernel (-I
 * SCRIPT): see docs/snapshots.md, "A run from it". setup's result into
 * *res (a new reference), or dropped when res is NULL. */
static wb_status py_setup(guest *g, const wb_sandbox_config *cfg, int mode,
                          int32_t *res)
{
    int32_t r = 0;
    /* The preopens after /lib (fd 3) are this run's: wasi-libc reads them
     * again (re-registering fd 3 too, as the same /lib); so is the
     * environment. */
    wb_status st = gcall(g, "__wasilibc_populate_preopens", NULL, 0, NULL);
    if (!st)
        st = gcall(g, "__wasilibc_initialize_environ", NULL, 0, NULL);
    if (!st)
        st = enter_cwd(g, cfg);
    if (!st)
        st = call_setup(g, cfg, mode, &r);
    if (!st && res)
        *res = r;
    return st || res ? st : gdecref(g, r);
}

/* How a run ends: Py_FinalizeEx (a kernel); the quick end of a
 * throw-away run (wb_preinit_run_ex); finish() where it can stand for
 * Py_FinalizeEx, else Py_FinalizeEx (preinit_src.c). */
enum { END_FULL, END_QUICK, END_CHECKED };

/* finish(): *done when it ended the run (an exception in it: not done,
 * cleared). */
static wb_status finished(guest *g, bool *done)
{
    int32_t res = 0, yes = 0;
    *done = false;
    wb_status st = gcall(g, "PyObject_CallNoArgs", &g->finish, 1, &res);
    if (!st && !res)
        return gcall(g, "PyErr_Clear", NULL, 0, NULL);
    if (!st)
        st = gcall(g, "PyObject_IsTrue", &res, 1, &yes);
    *done = !st && yes == 1;
    return st ? st : gdecref(g, res);
}

/* The end; Py_FinalizeEx's result, or what stands for it, into *fin (< 0:
 * failed). */
static wb_status py_end(guest *g, int end, int32_t *fin)
{
    int32_t ret = 0;
    bool done = false;
    wb_status st = WB_OK;
    *fin = 0;
    if (end == END_QUICK) {
        st = py_run(g, wb_preinit_quick_src, strlen(wb_preinit_quick_src),
                    0, &ret);
        *fin = ret;
        return st;
    }
    if (end == END_CHECKED && ((st = finished(g, &done)) || done))
        return st;
    return gcall(g, "Py_FinalizeEx", NULL, 0, fin);
}

/* The run's program after setup; its exit status into *code. */
static wb_status py_program(guest *g, const wb_sandbox_config *cfg, int mode,
                            int *code)
{
    int32_t ret = 0, flags = 0;
    char *prog = mode == RUN_KERNEL ? script_src(cfg) : NULL;
    if (mode == RUN_KERNEL && !prog)
        return wb_err_set(g->e, WB_E_NOMEM, "out of memory");
    wb_status st = mode == RUN_CMD ? compiler_flags(g, 0x0800, &flags) : WB_OK;
    if (!st)
        st = prog ? py_run(g, prog, strlen(prog), 0, &ret)
                  : py_run(g, cfg->args[2], strlen(cfg->args[2]), flags, &ret);
    free(prog);
    *code = ret != 0;
    return st;
}

/* Did the program end with an uncaught KeyboardInterrupt (the exact
 * type: sys.last_type, which PyErr_Print set)? Py_RunMain then exits 130
 * (exit_sigint), whatever finalization returned. */
static wb_status interrupted(guest *g, bool *yes)
{
    int32_t b = 0, name = 0, ki = 0, last = 0;
    *yes = false;
    wb_status st = gcall(g, "PyEval_GetBuiltins", NULL, 0, &b);
    if (!st && b && !(st = gputs(g, "KeyboardInterrupt", &name)))
        st = gcall(g, "_PyDict_GetItemStringWithError", (int32_t[]){ b, name }, 2, &ki);
    if (!st && name)
        st = gcall(g, "free", &name, 1, NULL);
    if (!st && ki)
        st = gsys(g, "last_type", &last);
    *yes = !st && ki && last == ki;
    return st;
}

static wb_status py_main(guest *g, const wb_sandbox_config *cfg, int mode,
                         bool quick)
{
    bool sigint = false;
    int32_t fin = 0, res = 0;
    int code = 0;
    wb_error *e = g->e;
    wb_status st = py_setup(g, cfg, mode, mode == RUN_SCRIPT ? &res : NULL);
    if (st)
        return st;
    st = mode == RUN_SCRIPT ? run_script(g, res, &code)
                            : py_program(g, cfg, mode, &code);
    if (!st && code == 1 && mode != RUN_KERNEL)
        st = interrupted(g, &sigint);
    if (!st)
        st = py_end(g, mode == RUN_KERNEL ? END_FULL
                       : quick ? END_QUICK : END_CHECKED, &fin);
    if (!st)
        st = gcall(g, "__wasm_call_dtors", NULL, 0, NULL);
    code = sigint ? 130 : fin < 0 ? 120 : code;
    if (!st && code) {
        wb_err_set(e, WB_E_EXIT, "exit %d", code);
        e->exit_code = code;
        st = WB_E_EXIT;
    }
    return st;
}

typedef struct run_job {
    const wb_snapshot *snap;
    bool quick;
} run_job;

static wb_status run_entry(void *user, const wb_sandbox_config *cfg,
                           wb_store *s, wb_linker *l, wb_wasi *w,
                           wb_error *e, bool *ran)
{
    const run_job *job = user;
    guest g = { .s = s, .inst = NULL, .e = e };
    *ran = false;
    wb_status st = wb_snapshot_instantiate(s, job->snap, l, &g.inst, e);
    if (st == WB_E_LIMIT)
        *ran = true;                   /* over the memory budget */
    if (st)
        return st;
    /* a one-shot run: the pages it writes private at once (hot.c) */
    wb_snapshot_prefault(job->snap, wb_instance_memory(g.inst, "memory"));
    *ran = true;                       /* guest code runs from here on */
    return py_main(&g, cfg, strcmp(cfg->args[1], "-c") ? RUN_SCRIPT : RUN_CMD,
                   job->quick);
}

const char *wb_preinit_unfit_kernel(const wb_sandbox_config *c)
{
    if (c->nargs != 3 || strcmp(c->args[0], "python3") ||
        strcmp(c->args[1], "-I"))
        return "not python3 -I SCRIPT";
    if (!c->ngrants || c->grants[0].kind != WB_GRANT_DIR ||
        strcmp(c->grants[0].guest, WB_PREINIT_LIB) || !c->grants[0].read_only)
        return "the standard library is not the first grant";
    return NULL;
}

wb_status wb_preinit_kernel(wb_store *s, const wb_linker *l,
                            const wb_snapshot *snap,
                            const wb_sandbox_config *cfg, wb_error *err)
{
    guest g = { .s = s, .inst = NULL, .e = err };
    wb_status st = wb_snapshot_instantiate(s, snap, l, &g.inst, err);
    return st ? st : py_main(&g, cfg, RUN_KERNEL, false);
}

wb_status wb_preinit_run_ex(const wb_sandbox_config *cfg,
                            const wb_snapshot *snap, bool quick,
                            wb_run_result *res, wb_error *err)
{
    run_job job = { snap, quick };
    return wb_sandbox_run_entry(cfg, run_entry, &job, res, err);
}

wb_status wb_preinit_run(const wb_sandbox_config *cfg,
                         const wb_snapshot *snap, wb_run_result *res,
                         wb_error *err)
{
    return wb_preinit_run_ex(cfg, snap, false, res, err);
}

/* The kernel's script, run to its end: with WASMBOX_KERNEL_STEPS=1 in
 * its environment the driver sets itself up and returns (driver.py). */
wb_status wb_preinit_kernel_open(wb_store *s, const wb_linker *l,
                                 const wb_snapshot *snap,
                                 const wb_sandbox_config *cfg,
                                 wb_instance **inst, wb_error *err)
{
    guest g = { .s = s, .inst = NULL, .e = err };
    int32_t ret = 0;
    wb_status st = wb_snapshot_instantiate(s, snap, l, &g.inst, err);
    if (!st)
        st = py_setup(&g, cfg, RUN_KERNEL, NULL);
    char *prog = st ? NULL : script_src(cfg);
    if (!st && !prog)
        st = wb_err_set(err, WB_E_NOMEM, "out of memory");
    if (!st)
        st = py_run(&g, prog, strlen(prog), 0, &ret);
    free(prog);
    if (!st && ret)
        st = wb_err_set(err, WB_E_TRAP, "python.wasm: the kernel's driver "
                        "failed to start");
    *inst = g.inst;
    return st;
}

wb_status wb_preinit_kernel_step(wb_store *s, wb_instance *inst,
                                 wb_error *err)
{
    static const char line[] =
        "__import__('sys')." WB_PREINIT_STEP "()\n";
    guest g = { .s = s, .inst = inst, .e = err };
    int32_t ret = 0;
    wb_status st = py_run(&g, line, sizeof line - 1, 0, &ret);
    if (!st && ret)
        st = wb_err_set(err, WB_E_TRAP, "python.wasm: the kernel's step "
                        "function failed");
    return st;
}
