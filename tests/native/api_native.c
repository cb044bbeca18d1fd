/* api_native.c: the native tier through the public C API only
 * (wb_module_compile_native): a compiled module computes, traps with the
 * interpreter's message and backtrace, and a NULL module is refused.
 * Usage: api_native MODULE.wasm (exports fib and crash); prints "ok". */
#include <wasmbox.h>
#include <stdio.h>
#include <string.h>

static int fail(const char *what, const wb_error *e)
{
    printf("%s: %s\n", what, e ? e->message : "");
    return 1;
}

int main(int argc, char **argv)
{
    wb_module *m;
    wb_store *s;
    wb_instance *inst;
    wb_error e = { 0 };
    wb_linker *l = wb_linker_new();
    if (argc != 2 || !l)
        return fail("usage: api_native MODULE", NULL);
    if (wb_module_compile_native(NULL, 0, &e) != WB_E_ARG)
        return fail("NULL module accepted", &e);
    if (wb_module_load(argv[1], &m, &e) || wb_module_compile_native(m, 2, &e) ||
        wb_store_new(NULL, &s, &e) || wb_instantiate(s, m, l, &inst, &e))
        return fail("set-up", &e);
    wb_val arg = { .type = WB_I32, .of.i32 = 20 }, res;
    if (wb_func_call(s, wb_instance_func(inst, "fib"), &arg, 1, &res, 1, &e) ||
        res.of.i32 != 6765)
        return fail("fib(20)", &e);
    if (wb_func_call(s, wb_instance_func(inst, "crash"), &arg, 1, &res, 1, &e) !=
            WB_E_TRAP || e.trap != WB_TRAP_DIV_ZERO ||
        !strstr(e.message, "integer divide by zero") || !strstr(e.backtrace, "#0 crash"))
        return fail("crash: want a division trap with a backtrace", &e);
    wb_store_free(s);
    wb_module_release(m);
    wb_linker_free(l);
    puts("ok");
    return 0;
}
