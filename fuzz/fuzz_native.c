/*
 * fuzz_native.c: differential libFuzzer target (`make fuzz-native`, part
 * of `make fuzz`). Each input that is a module with no imports runs in
 * both tiers: one copy interpreted, one compiled with
 * wb_module_compile_native. Every exported function with numeric
 * parameters is called with zero arguments in both; the statuses, trap
 * kinds, results and exported memories must agree, or the target aborts
 * (a finding).
 *
 * Where Wasm lets the tiers differ, they are not compared: NaN payloads
 * (any two NaNs of a float result, or of an aligned 4- or 8-byte word of
 * memory, are equal), and a call that ran out of fuel or of stack in
 * either tier ends the comparison of that module (the tiers charge fuel
 * at different points, and compiled frames use the native stack), as
 * does a call after which the interpreter's value stack was charged to
 * the memory budget (compiled frames are not).
 */
#include "wasmbox.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WB_FUZZ_FUEL 200000

typedef struct tier {
    wb_module *m;
    wb_store *s;
    wb_instance *inst;
} tier;

static bool numeric(wb_valtype t)
{
    return t == WB_I32 || t == WB_I64 || t == WB_F32 || t == WB_F64 ||
           t == WB_V128;
}

static __attribute__((noreturn)) void finding(const char *export, const char *what)
{
    fprintf(stderr, "fuzz_native: %s: the tiers differ: %s\n", export, what);
    abort();
}

static bool nan32(uint32_t b) { return (b & 0x7f800000u) == 0x7f800000u && (b & 0x7fffffu); }
static bool nan64(uint64_t b)
{
    return (b & 0x7ff0000000000000ull) == 0x7ff0000000000000ull &&
           (b & 0xfffffffffffffull);
}

/* Equal, or both NaN where a float may be: v128 and memory are compared
 * by 4-byte words, then by the 8-byte word holding a differing one. */
static bool same_bytes(const uint8_t *a, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i + 4 <= n; i += 4) {
        uint32_t x, y;
        memcpy(&x, a + i, 4);
        memcpy(&y, b + i, 4);
        if (x == y || (nan32(x) && nan32(y)))
            continue;
        size_t k = i & ~(size_t)7;
        uint64_t p, q;
        if (k + 8 > n)
            return false;
        memcpy(&p, a + k, 8);
        memcpy(&q, b + k, 8);
        if (!(nan64(p) && nan64(q)))
            return false;
    }
    return n % 4 == 0 || !memcmp(a + n - n % 4, b + n - n % 4, n % 4);
}

static bool same_val(const wb_val *a, const wb_val *b)
{
    switch (a->type) {
    case WB_F32: return a->of.f32_bits == b->of.f32_bits ||
                        (nan32(a->of.f32_bits) && nan32(b->of.f32_bits));
    case WB_F64: return a->of.f64_bits == b->of.f64_bits ||
                        (nan64(a->of.f64_bits) && nan64(b->of.f64_bits));
    case WB_V128: return same_bytes(a->of.v128, b->of.v128, 16);
    case WB_I32: return a->of.i32 == b->of.i32;
    default: return a->of.i64 == b->of.i64;
    }
}

static bool ends_comparison(wb_status st, const wb_error *e)
{
    return st == WB_E_TRAP && (e->trap == WB_TRAP_FUEL ||
                               e->trap == WB_TRAP_STACK_EXHAUSTED);
}

/* Calls one export in both tiers; false: stop comparing this module. */
static bool call_both(tier *t, const char *name)
{
    wb_func *f[2];
    for (int k = 0; k < 2; k++) {
        wb_extern ext;
        /* a name with a NUL in it is looked up by its first part */
        if (!wb_instance_export(t[k].inst, name, strlen(name), &ext) ||
            ext.kind != WB_EXTERN_FUNC)
            return true;
        f[k] = ext.of.func;
    }
    size_t np = wb_func_param_count(f[0]), nr = wb_func_result_count(f[0]);
    for (size_t i = 0; i < np; i++)
        if (!numeric(wb_func_param_type(f[0], i)))
            return true;
    wb_val *args = calloc(np + 1, sizeof *args);
    wb_val *res = calloc(2 * (nr + 1), sizeof *res);
    wb_status st[2];
    wb_error e[2];
    bool go_on = false;
    if (!args || !res)
        goto out;
    for (size_t i = 0; i < np; i++)
        args[i].type = wb_func_param_type(f[0], i);
    for (int k = 0; k < 2; k++) {
        memset(&e[k], 0, sizeof e[k]);
        wb_store_set_fuel(t[k].s, WB_FUZZ_FUEL);
        st[k] = wb_func_call(t[k].s, f[k], args, np, res + k * (nr + 1), nr, &e[k]);
    }
    if (ends_comparison(st[0], &e[0]) || ends_comparison(st[1], &e[1]))
        goto out;
    /* The interpreter's value stack counts against max_memory past its
     * first 64 KiB, compiled frames do not (README): once a call was
     * charged for it, a memory.grow near the limit may fail in one tier
     * only, so the module is compared no further. */
    if (wb_store_peak_memory(t[0].s) != wb_store_peak_memory(t[1].s))
        goto out;
    if (st[0] != st[1])
        finding(name, "status");
    if (st[0] == WB_E_TRAP && e[0].trap != e[1].trap)
        finding(name, "trap kind");
    for (size_t i = 0; st[0] == WB_OK && i < nr; i++)
        if (!same_val(&res[i], &res[nr + 1 + i]))
            finding(name, "result");
    go_on = st[0] == WB_OK || st[0] == WB_E_TRAP;
out:
    free(args);
    free(res);
    return go_on;
}

static void same_memories(tier *t)
{
    const wb_module *m = t[0].m;
    for (size_t i = 0; i < wb_module_export_count(m); i++) {
        const char *name = NULL;
        wb_extern_kind kind;
        wb_module_export(m, i, &name, &kind);
        if (kind != WB_EXTERN_MEMORY || !name)
            continue;
        wb_memory *a = wb_instance_memory(t[0].inst, name);
        wb_memory *b = wb_instance_memory(t[1].inst, name);
        if (!a || !b)
            continue;
        if (wb_memory_size(a) != wb_memory_size(b))
            finding(name, "memory size");
        if (!same_bytes(wb_memory_data(a), wb_memory_data(b), wb_memory_size(a)))
            finding(name, "memory contents");
    }
}

/* WB_OK, or why the module cannot run in this tier (err says more). */
static wb_status start(tier *t, const uint8_t *data, size_t size, bool native,
                       wb_error *err)
{
    wb_limits lim;
    wb_limits_default(&lim);
    lim.max_memory = 16u << 20;
    lim.fuel = WB_FUZZ_FUEL;
    lim.max_call_depth = 300;
    wb_status st = wb_module_new(data, size, &t->m, err);
    if (st == WB_OK && wb_module_import_count(t->m))
        return WB_E_LINK;
    if (st == WB_OK && native && (st = wb_module_compile_native(t->m, 1, err)) != WB_OK)
        finding("(compilation)", err->message);
    if (st == WB_OK)
        st = wb_store_new(&lim, &t->s, err);
    wb_linker *l = wb_linker_new();
    if (st == WB_OK)
        st = l ? wb_instantiate(t->s, t->m, l, &t->inst, err) : WB_E_NOMEM;
    wb_linker_free(l);
    return st;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tier t[2];
    wb_error e[2];
    memset(t, 0, sizeof t);
    memset(e, 0, sizeof e);
    wb_status st0 = start(&t[0], data, size, false, &e[0]);
    wb_status st1 = st0 == WB_OK || st0 == WB_E_TRAP
                    ? start(&t[1], data, size, true, &e[1]) : st0;
    /* a start function: both instantiate, or both trap alike */
    bool cmp = !ends_comparison(st0, &e[0]) && !ends_comparison(st1, &e[1]);
    if (cmp && (st0 == WB_OK || st0 == WB_E_TRAP) &&
        (st0 != st1 || (st0 == WB_E_TRAP && e[0].trap != e[1].trap)))
        finding("(instantiation)", e[st0 == WB_OK ? 1 : 0].message);
    for (size_t i = 0; cmp && st0 == WB_OK && st1 == WB_OK &&
                       i < wb_module_export_count(t[0].m); i++) {
        const char *name = NULL;
        wb_extern_kind kind;
        wb_module_export(t[0].m, i, &name, &kind);
        if (kind == WB_EXTERN_FUNC && name && !call_both(t, name))
            break;
        same_memories(t);
    }
    for (int k = 0; k < 2; k++) {
        wb_store_free(t[k].s);
        wb_module_release(t[k].m);
    }
    return 0;
}
