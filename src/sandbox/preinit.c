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

/* A guest being driven. */
typedef struct guest {
    wb_store *s;
    wb_instance *inst;
    wb_error *e;
    /* functions found by name: a lookup is a pass over the name section,
     * and a run calls malloc and free several times */
    struct { const char *name; wb_func *f; } found[16];
    size_t nfound;
} guest;

/* The functions a run from the snapshot calls, found in one pass. */
static const char *const run_funcs[] = {
    "malloc", "free", "__wasilibc_populate_preopens",
    "__wasilibc_initialize_environ", "PyRun_SimpleStringFlags",
    "Py_FinalizeEx", "__wasm_call_dtors",
};
#define NRUN_FUNCS (sizeof run_funcs / sizeof run_funcs[0])

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

/* The ready point's own code, run once when the snapshot is made, in a
 * dictionary of its own so __main__ stays as a cold start leaves it (no
 * names a script could come to depend on): the imports, and the setup
 * of a run, compiled now so that a run does not compile it again. The
 * setup sets what differs between a run and the ready point before the
 * command: argv as `python3 -c` sets it, sys.path[0] '' as for -c, the
 * run's environment (the C library's was read again just before), stdio
 * as PYTHONIOENCODING makes it at initialization (ENC alone: errors
 * strict; stderr keeps backslashreplace), and fresh seeds for the
 * generators seeded at start-up (random's; docs/snapshots.md). A run
 * takes it from sys (see run_setup), so the guest never sees it. Then
 * gc.freeze(): the ready point's objects leave the collector's
 * generations, so collections (and the finalization at exit, two thirds
 * of whose instructions they were) no longer walk them, and a collection
 * does not write to their pages. Except __main__, which a copy made after
 * the freeze replaces: at exit the collector must still find a script's
 * module in a cycle and free it while print() and its modules work, as
 * it does in a cold start (which is when a global's __del__ runs). */
static const char warm_src[] =
    "exec(\"\"\"\n"
    "import sys, gc\n"
    "import " WB_PREINIT_IMPORTS "\n"
    "def setup(A, E, K):\n"
    "    sys.orig_argv = [a.decode('utf-8', 'surrogateescape') for a in A]\n"
    "    if K:\n"
    "        sys.argv = sys.orig_argv[2:]\n"
    "        main = sys.modules['__main__'].__dict__\n"
    "        main['__file__'] = sys.argv[0]\n"
    "        main['__cached__'] = None\n"
    "    else:\n"
    "        sys.argv = ['-c'] + sys.orig_argv[3:]\n"
    "        sys.path.insert(0, '')\n"
    "    env = sys.modules['os'].environ._data\n"
    "    env.clear()\n"
    "    for kv in E:\n"
    "        k, _, v = kv.partition(b'=')\n"
    "        env[k] = v\n"
    "    v = env.get(b'PYTHONIOENCODING', b'').decode('utf-8', 'surrogateescape')\n"
    "    if v and not K:\n"
    "        enc, _, err = v.partition(':')\n"
    "        import codecs\n"
    "        kw = {'encoding': codecs.lookup(enc).name} if enc else {}\n"
    "        for f in (sys.stdin, sys.stdout):\n"
    "            f.reconfigure(errors=err or 'strict', **kw)\n"
    "        if enc:\n"
    "            sys.stderr.reconfigure(errors='backslashreplace', **kw)\n"
    "    r = sys.modules.get('random')\n"
    "    if r is not None:\n"
    "        r.seed()\n"
    "sys." WB_PREINIT_SETUP " = setup\n"
    "gc.freeze()\n"
    "main = sys.modules['__main__']\n"
    "fresh = type(sys)('__main__')\n"
    "fresh.__dict__.update(main.__dict__)\n"
    "sys.modules['__main__'] = fresh\n"
    "\"\"\", {'__builtins__': __builtins__})\n";

typedef struct build_job {
    const char *out;
    wb_module *m;
} build_job;

static wb_status py_main(guest *g, const wb_sandbox_config *cfg, bool kernel,
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
    if (!st && (st = py_main(&t, &c, false, false)) != WB_OK) {
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
        st = py_run(&g, warm_src, strlen(warm_src), 0, &ret);
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
    if (c->nargs < 3 || strcmp(c->args[0], "python3") ||
        strcmp(c->args[1], "-c"))
        return "not python3 -c CODE";
    if (!wb_utf8_valid(c->args[2], strlen(c->args[2])))
        return "the code is not UTF-8";
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

/* The call of the ready point's setup with this run's argv and
 * environment; it is taken out of sys first. */
static char *setup_src(const wb_sandbox_config *c, bool kernel)
{
    char *a = py_bytes_list(c->args, c->nargs);
    char *e = py_bytes_list(c->env, c->nenv);
    char *out = NULL;
    if (a && e && asprintf(&out, "__import__('sys').__dict__.pop('"
                           WB_PREINIT_SETUP "')(%s, %s, %d)\n", a, e,
                           kernel) < 0)
        out = NULL;
    free(a);
    free(e);
    return out;
}

/* PyCompilerFlags of `python3 -c`: { PyCF_IGNORE_COOKIE, 11 }. */
static wb_status cmd_flags(guest *g, int32_t *at)
{
    const int32_t f[2] = { 0x0800, 11 };
    return gput(g, f, sizeof f, at);
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

/* What follows the restore of a run (-c CODE) or of a kernel (-I
 * SCRIPT): see docs/snapshots.md, "A run from it". */
static wb_status py_setup(guest *g, const wb_sandbox_config *cfg,
                          bool kernel)
{
    int32_t ret = 0;
    wb_error *e = g->e;
    /* The preopens after /lib (fd 3) are this run's: wasi-libc reads them
     * again (re-registering fd 3 too, as the same /lib); so is the
     * environment. */
    wb_status st = gcall(g, "__wasilibc_populate_preopens", NULL, 0, NULL);
    if (!st)
        st = gcall(g, "__wasilibc_initialize_environ", NULL, 0, NULL);
    char *setup = st ? NULL : setup_src(cfg, kernel);
    if (!st && !setup)
        st = wb_err_set(e, WB_E_NOMEM, "out of memory");
    if (!st)
        st = py_run(g, setup, strlen(setup), 0, &ret);
    free(setup);
    if (!st && ret)
        st = wb_err_set(e, WB_E_TRAP, "python.wasm: the pre-initialized "
                        "start failed to set up the run");
    return st;
}

/* The end of a run whose instance and workspace are thrown away after it
 * (wb_preinit_run_ex, `quick`): what Py_FinalizeEx does that the run's
 * output can show, in its order, and not the teardown of the interpreter
 * (freeing every object of every module: most of a restored run's
 * instructions), which the instance's end makes moot: threads and atexit
 * functions, the collection of cycles, __main__'s globals cleared as
 * finalize_modules clears a module (names with one leading underscore
 * first), a second collection, then stdout and stderr flushed (120 if
 * stdout cannot be, as Py_FinalizeEx fails). Objects left reachable only
 * from other modules are not finalized (docs/snapshots.md, "A run from
 * it"). In a dictionary of its own: __main__ gets no name. */
static const char quick_exit_src[] =
    "exec(\"\"\"\n"
    "import sys, gc\n"
    "for n, f in (('threading', '_shutdown'), ('atexit', '_run_exitfuncs')):\n"
    "    m = sys.modules.get(n)\n"
    "    if m is not None and hasattr(m, f):\n"
    "        getattr(m, f)()\n"
    "gc.collect()\n"
    "main = sys.modules.get('__main__')\n"
    "d = getattr(main, '__dict__', None)\n"
    "if type(d) is dict:\n"
    "    for first in (True, False):\n"
    "        for k in list(d):\n"
    "            if type(k) is str and k != '__builtins__' and \\\n"
    "                    (k[:1] == '_' and k[:2] != '__') == first:\n"
    "                d[k] = None\n"
    "    del d, main\n"
    "gc.collect()\n"
    "ok = True\n"
    "for f in ('stdout', 'stderr'):\n"
    "    try:\n"
    "        getattr(sys, f).flush()\n"
    "    except BaseException:\n"
    "        ok = ok and f != 'stdout'\n"
    "if not ok:\n"
    "    sys.modules['os']._exit(120)\n"
    "\"\"\", {'__builtins__': __builtins__})\n";

/* Py_FinalizeEx, or the quick end above; its result into *fin (< 0:
 * failed). */
static wb_status py_end(guest *g, bool quick, int32_t *fin)
{
    int32_t ret = 0;
    if (!quick)
        return gcall(g, "Py_FinalizeEx", NULL, 0, fin);
    wb_status st = py_run(g, quick_exit_src, sizeof quick_exit_src - 1, 0,
                          &ret);
    *fin = ret;
    return st;
}

static wb_status py_main(guest *g, const wb_sandbox_config *cfg, bool kernel,
                         bool quick)
{
    int32_t ret = 0, fin = 0, flags = 0;
    wb_error *e = g->e;
    wb_status st = py_setup(g, cfg, kernel);
    if (st)
        return st;
    char *prog = kernel ? script_src(cfg) : NULL;
    if (kernel && !prog)
        return wb_err_set(e, WB_E_NOMEM, "out of memory");
    if (!kernel)
        st = cmd_flags(g, &flags);
    if (!st)
        st = kernel ? py_run(g, prog, strlen(prog), 0, &ret)
                    : py_run(g, cfg->args[2], strlen(cfg->args[2]), flags,
                             &ret);
    free(prog);
    if (!st)
        st = py_end(g, quick, &fin);
    if (!st)
        st = gcall(g, "__wasm_call_dtors", NULL, 0, NULL);
    int code = fin < 0 ? 120 : ret != 0;
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
    return py_main(&g, cfg, false, job->quick);
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
    return st ? st : py_main(&g, cfg, true, false);
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
        st = py_setup(&g, cfg, true);
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
