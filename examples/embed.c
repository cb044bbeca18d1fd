/* embed.c: libwasmbox from the outside, through <wasmbox.h> alone.
 *
 *   cc -Iinclude examples/embed.c -Lbuild -lwasmbox -Wl,-rpath,build
 *   ./a.out [COMMAND.wasm [ARG...]]
 *
 * Part 1 uses the engine: a module that imports a host function, linked,
 * instantiated and called. Part 2 runs a WASI command in the sandbox under
 * the default budget, with nothing granted (the module named on the
 * command line, else a built-in one that prints a line), and prints the
 * run's JSON report on stderr. Exit status: that of `wasmbox run` for the
 * run (docs/exit-codes.md), or 1 when part 1 fails.
 * scripts/check-api.sh builds this against libwasmbox.so only and runs it. */
#include <stdio.h>
#include <stdlib.h>

#include <wasmbox.h>

/* (module
 *   (import "env" "twice" (func $twice (param i32) (result i32)))
 *   (func (export "add_twice") (param i32 i32) (result i32)
 *     local.get 0 local.get 1 i32.add call $twice)) */
static const uint8_t add_twice_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x0c, 0x02, 0x60,
    0x01, 0x7f, 0x01, 0x7f, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f, 0x02, 0x0d,
    0x01, 0x03, 0x65, 0x6e, 0x76, 0x05, 0x74, 0x77, 0x69, 0x63, 0x65, 0x00,
    0x00, 0x03, 0x02, 0x01, 0x01, 0x07, 0x0d, 0x01, 0x09, 0x61, 0x64, 0x64,
    0x5f, 0x74, 0x77, 0x69, 0x63, 0x65, 0x00, 0x01, 0x0a, 0x0b, 0x01, 0x09,
    0x00, 0x20, 0x00, 0x20, 0x01, 0x6a, 0x10, 0x00, 0x0b,
};

/* (module
 *   (import "wasi_snapshot_preview1" "fd_write"
 *     (func $fd_write (param i32 i32 i32 i32) (result i32)))
 *   (memory (export "memory") 1)
 *   (data (i32.const 16) "hello from the sandbox\n")
 *   (func (export "_start")
 *     (i32.store (i32.const 0) (i32.const 16))
 *     (i32.store (i32.const 4) (i32.const 23))
 *     (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1)
 *                           (i32.const 8))))) */
static const uint8_t hello_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x0c, 0x02, 0x60,
    0x04, 0x7f, 0x7f, 0x7f, 0x7f, 0x01, 0x7f, 0x60, 0x00, 0x00, 0x02, 0x23,
    0x01, 0x16, 0x77, 0x61, 0x73, 0x69, 0x5f, 0x73, 0x6e, 0x61, 0x70, 0x73,
    0x68, 0x6f, 0x74, 0x5f, 0x70, 0x72, 0x65, 0x76, 0x69, 0x65, 0x77, 0x31,
    0x08, 0x66, 0x64, 0x5f, 0x77, 0x72, 0x69, 0x74, 0x65, 0x00, 0x00, 0x03,
    0x02, 0x01, 0x01, 0x05, 0x03, 0x01, 0x00, 0x01, 0x07, 0x13, 0x02, 0x06,
    0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x00, 0x06, 0x5f, 0x73, 0x74,
    0x61, 0x72, 0x74, 0x00, 0x01, 0x0a, 0x1d, 0x01, 0x1b, 0x00, 0x41, 0x00,
    0x41, 0x10, 0x36, 0x02, 0x00, 0x41, 0x04, 0x41, 0x17, 0x36, 0x02, 0x00,
    0x41, 0x01, 0x41, 0x00, 0x41, 0x01, 0x41, 0x08, 0x10, 0x00, 0x1a, 0x0b,
    0x0b, 0x1d, 0x01, 0x00, 0x41, 0x10, 0x0b, 0x17, 0x68, 0x65, 0x6c, 0x6c,
    0x6f, 0x20, 0x66, 0x72, 0x6f, 0x6d, 0x20, 0x74, 0x68, 0x65, 0x20, 0x73,
    0x61, 0x6e, 0x64, 0x62, 0x6f, 0x78, 0x0a,
};

/* The host function env.twice: (i32) -> i32. */
static wb_status twice(wb_caller *caller, void *env, const wb_val *args,
                       wb_val *results)
{
    (void)caller;
    (void)env;
    results[0].of.i32 = args[0].of.i32 * 2;
    return WB_OK;
}

static int fail(const char *what, const wb_error *err)
{
    fprintf(stderr, "embed: %s: %s\n", what, err->message);
    return 1;
}

/* Part 1: add_twice(2, 3) through the host function: 10. */
static int call_add_twice(void)
{
    wb_error err = { 0 };
    wb_module *m = NULL;
    wb_store *s = NULL;
    wb_instance *inst = NULL;
    int rc = 1;
    if (wb_module_new(add_twice_wasm, sizeof add_twice_wasm, &m, &err))
        return fail("module", &err);
    if (wb_store_new(NULL, &s, &err)) {
        wb_module_release(m);
        return fail("store", &err);
    }
    const wb_valtype i32 = WB_I32;
    wb_func *host = wb_func_new_host(s, &i32, 1, &i32, 1, twice, NULL);
    wb_linker *l = wb_linker_new();
    wb_extern ext = { .kind = WB_EXTERN_FUNC, .of.func = host };
    if (!host || !l || wb_linker_define(l, "env", "twice", ext))
        fprintf(stderr, "embed: cannot define env.twice\n");
    else if (wb_instantiate(s, m, l, &inst, &err))
        fail("instantiate", &err);
    else {
        wb_val args[2] = { { .type = WB_I32, .of.i32 = 2 },
                           { .type = WB_I32, .of.i32 = 3 } };
        wb_val res[1];
        wb_func *f = wb_instance_func(inst, "add_twice");
        if (!f)
            fprintf(stderr, "embed: no export add_twice\n");
        else if (wb_func_call(s, f, args, 2, res, 1, &err))
            fail("add_twice", &err);
        else {
            printf("add_twice(2, 3) = %d\n", res[0].of.i32);
            rc = 0;
        }
    }
    wb_linker_free(l);
    wb_store_free(s);           /* the instance and the host function too */
    wb_module_release(m);       /* the store released the instance's */
    return rc;
}

/* Part 2: a WASI command in the sandbox; returns its exit status. */
static int run_command(int argc, char **argv)
{
    wb_error err = { 0 };
    wb_module *m = NULL;
    wb_status st = argc > 1 ? wb_module_load(argv[1], &m, &err)
                            : wb_module_new(hello_wasm, sizeof hello_wasm,
                                            &m, &err);
    if (st) {
        fail(argc > 1 ? argv[1] : "hello", &err);
        return st == WB_E_NOT_FOUND || st == WB_E_IO ? 127 : 126;
    }
    wb_sandbox_config cfg;
    wb_sandbox_config_init(&cfg);
    st = wb_config_add_arg(&cfg, argc > 1 ? argv[1] : "hello");
    for (int i = 2; st == WB_OK && i < argc; i++)
        st = wb_config_add_arg(&cfg, argv[i]);
    wb_run_result res = { .outcome = WB_OUTCOME_ERROR, .status = st };
    if (st == WB_OK)
        st = wb_sandbox_run(&cfg, m, &res, &err);
    else                        /* the wb_config_* helpers set no message */
        snprintf(err.message, sizeof err.message, "%s", wb_status_name(st));
    wb_sandbox_config_free(&cfg);
    wb_module_release(m);
    if (st)                     /* the guest did not start: res says why */
        fail("run", &err);
    size_t n = wb_run_result_json(&res, NULL, 0);     /* the size first */
    char *report = n ? malloc(n + 1) : NULL;
    if (report && wb_run_result_json(&res, report, n + 1) == n)
        fputs(report, stderr);
    free(report);
    return wb_run_exit_status(&res);
}

int main(int argc, char **argv)
{
    printf("libwasmbox %s\n", WB_VERSION);
    if (call_add_twice() != 0)
        return 1;
    fflush(stdout);             /* before the guest writes to fd 1 */
    return run_command(argc, argv);
}
