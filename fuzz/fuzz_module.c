/*
 * fuzz_module.c: libFuzzer target (`make fuzz`). Decodes and validates the
 * input; if it is a module, instantiates it in a small sandbox with no
 * imports and calls every exported function whose parameters are all
 * numeric, with zero arguments. Limits keep each input fast and bounded:
 * a hang or huge allocation is a finding, not a fuzzer timeout.
 */
#include "wasmbox.h"

#include <stdlib.h>
#include <string.h>

#define WB_FUZZ_FUEL 100000

static bool wb_numeric(wb_valtype t)
{
    return t == WB_I32 || t == WB_I64 || t == WB_F32 || t == WB_F64 ||
           t == WB_V128;
}

static void wb_fuzz_call(wb_store *s, wb_func *f)
{
    size_t np = wb_func_param_count(f), nr = wb_func_result_count(f);
    for (size_t i = 0; i < np; i++)
        if (!wb_numeric(wb_func_param_type(f, i)))
            return;
    wb_val *args = calloc(np + 1, sizeof *args);
    wb_val *res = calloc(nr + 1, sizeof *res);
    if (args && res) {
        for (size_t i = 0; i < np; i++)
            args[i].type = wb_func_param_type(f, i);
        for (size_t i = 0; i < nr; i++)
            res[i].type = wb_func_result_type(f, i);
        wb_error err;
        wb_store_set_fuel(s, WB_FUZZ_FUEL);   /* a fresh budget per call */
        wb_func_call(s, f, args, np, res, nr, &err);
    }
    free(args);
    free(res);
}

static void wb_fuzz_exports(wb_store *s, const wb_module *m,
                            wb_instance *inst)
{
    for (size_t i = 0; i < wb_module_export_count(m); i++) {
        const char *name = NULL;
        wb_extern_kind kind;
        wb_extern ext;
        wb_module_export(m, i, &name, &kind);
        if (kind == WB_EXTERN_FUNC && name &&
            wb_instance_export(inst, name, strlen(name), &ext) &&
            ext.kind == WB_EXTERN_FUNC)
            wb_fuzz_call(s, ext.of.func);
    }
}

static void wb_fuzz_run(wb_module *m)
{
    wb_limits lim;
    wb_error err;
    wb_store *s = NULL;
    wb_limits_default(&lim);
    lim.max_memory = 64u << 20;
    lim.fuel = WB_FUZZ_FUEL;
    lim.max_call_depth = 500;
    if (wb_store_new(&lim, &s, &err) != WB_OK)
        return;
    wb_linker *l = wb_linker_new();
    wb_instance *inst = NULL;
    /* Modules with imports fail to link here; that is fine. */
    if (l && wb_instantiate(s, m, l, &inst, &err) == WB_OK)
        wb_fuzz_exports(s, m, inst);
    wb_linker_free(l);
    wb_store_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wb_module *m = NULL;
    wb_error err;
    if (wb_module_new(data, size, &m, &err) != WB_OK)
        return 0;
    /* The listing API walks every import and export name. */
    for (size_t i = 0; i < wb_module_import_count(m); i++) {
        const char *mod, *name;
        wb_extern_kind kind;
        wb_module_import(m, i, &mod, &name, &kind);
    }
    wb_fuzz_run(m);
    wb_module_release(m);
    return 0;
}
