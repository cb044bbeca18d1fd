/* test_api.c: the embedding API of include/wasmbox.h: stores, memories,
 * tables, globals, host functions, linking, instantiation and calls.
 * The modules are small binaries assembled by hand; their text form is in
 * the comment above each one. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wasmbox.h"

/* (module
 *   (import "env" "host" (func $host (param i32) (result i32)))
 *   (import "env" "mem" (memory 1))
 *   (func (export "add") (param i32 i32) (result i32)
 *     local.get 0 local.get 1 i32.add)
 *   (func (export "div") (param i32 i32) (result i32)
 *     local.get 0 local.get 1 i32.div_s)
 *   (func (export "call_host") (param i32) (result i32)
 *     local.get 0 call $host)
 *   (export "host" (func $host))
 *   (export "mem" (memory 0))
 *   (data (i32.const 16) "hi")) */
static const uint8_t mod_a[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x0c, 0x02, 0x60,
    0x01, 0x7f, 0x01, 0x7f, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f, 0x02, 0x17,
    0x02, 0x03, 0x65, 0x6e, 0x76, 0x04, 0x68, 0x6f, 0x73, 0x74, 0x00, 0x00,
    0x03, 0x65, 0x6e, 0x76, 0x03, 0x6d, 0x65, 0x6d, 0x02, 0x00, 0x01, 0x03,
    0x04, 0x03, 0x01, 0x01, 0x00, 0x07, 0x26, 0x05, 0x03, 0x61, 0x64, 0x64,
    0x00, 0x01, 0x03, 0x64, 0x69, 0x76, 0x00, 0x02, 0x09, 0x63, 0x61, 0x6c,
    0x6c, 0x5f, 0x68, 0x6f, 0x73, 0x74, 0x00, 0x03, 0x04, 0x68, 0x6f, 0x73,
    0x74, 0x00, 0x00, 0x03, 0x6d, 0x65, 0x6d, 0x02, 0x00, 0x0a, 0x18, 0x03,
    0x07, 0x00, 0x20, 0x00, 0x20, 0x01, 0x6a, 0x0b, 0x07, 0x00, 0x20, 0x00,
    0x20, 0x01, 0x6d, 0x0b, 0x06, 0x00, 0x20, 0x00, 0x10, 0x00, 0x0b, 0x0b,
    0x08, 0x01, 0x00, 0x41, 0x10, 0x0b, 0x02, 0x68, 0x69,
};

/* (module
 *   (memory (export "mem") 1)
 *   (global (export "g") (mut i32) (i32.const 7))
 *   (func (export "add") (param i32 i32) (result i32)
 *     local.get 0 local.get 1 i32.add)) */
static const uint8_t mod_b[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x07, 0x01, 0x60,
    0x02, 0x7f, 0x7f, 0x01, 0x7f, 0x03, 0x02, 0x01, 0x00, 0x05, 0x03, 0x01,
    0x00, 0x01, 0x06, 0x06, 0x01, 0x7f, 0x01, 0x41, 0x07, 0x0b, 0x07, 0x11,
    0x03, 0x03, 0x6d, 0x65, 0x6d, 0x02, 0x00, 0x01, 0x67, 0x03, 0x00, 0x03,
    0x61, 0x64, 0x64, 0x00, 0x00, 0x0a, 0x09, 0x01, 0x07, 0x00, 0x20, 0x00,
    0x20, 0x01, 0x6a, 0x0b,
};

/* (module (import "env" "tick" (func $t)) (start $t)) */
static const uint8_t mod_start[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60,
    0x00, 0x00, 0x02, 0x0c, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x04, 0x74, 0x69,
    0x63, 0x6b, 0x00, 0x00, 0x08, 0x01, 0x00,
};

/* (module (table 1 funcref) (func $f) (elem (i32.const 1) $f)) */
static const uint8_t mod_elem_oob[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60,
    0x00, 0x00, 0x03, 0x02, 0x01, 0x00, 0x04, 0x04, 0x01, 0x70, 0x00, 0x01,
    0x09, 0x07, 0x01, 0x00, 0x41, 0x01, 0x0b, 0x01, 0x00, 0x0a, 0x04, 0x01,
    0x02, 0x00, 0x0b,
};

/* (module (import "env" "mem" (memory 1))
 *   (data (i32.const 0) "ok") (data (i32.const 65535) "xx")) */
static const uint8_t mod_data_oob[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x02, 0x0c, 0x01, 0x03,
    0x65, 0x6e, 0x76, 0x03, 0x6d, 0x65, 0x6d, 0x02, 0x00, 0x01, 0x0b, 0x11,
    0x02, 0x00, 0x41, 0x00, 0x0b, 0x02, 0x6f, 0x6b, 0x00, 0x41, 0xff, 0xff,
    0x03, 0x0b, 0x02, 0x78, 0x78,
};

/* (module (import "a" "add" (func (param i32 i32) (result i32)))
 *   (export "add2" (func 0))) */
static const uint8_t mod_reexport[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x07, 0x01, 0x60,
    0x02, 0x7f, 0x7f, 0x01, 0x7f, 0x02, 0x09, 0x01, 0x01, 0x61, 0x03, 0x61,
    0x64, 0x64, 0x00, 0x00, 0x07, 0x08, 0x01, 0x04, 0x61, 0x64, 0x64, 0x32,
    0x00, 0x00,
};

/* (module (import "env" "tab" (table 2 10 funcref))
 *   (import "env" "g" (global i32))) */
static const uint8_t mod_tab_glob[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x02, 0x17, 0x02, 0x03,
    0x65, 0x6e, 0x76, 0x03, 0x74, 0x61, 0x62, 0x01, 0x70, 0x01, 0x02, 0x0a,
    0x03, 0x65, 0x6e, 0x76, 0x01, 0x67, 0x03, 0x7f, 0x00,
};

/* (module
 *   (import "env" "t" (table 0 externref))
 *   (func (export "grow") (param externref i32) (result i32)
 *     local.get 0 local.get 1 table.grow 0)
 *   (func (export "get") (param i32) (result externref)
 *     local.get 0 table.get 0)) */
static const uint8_t mod_table[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x0c, 0x02, 0x60,
    0x02, 0x6f, 0x7f, 0x01, 0x7f, 0x60, 0x01, 0x7f, 0x01, 0x6f, 0x02, 0x0b,
    0x01, 0x03, 0x65, 0x6e, 0x76, 0x01, 0x74, 0x01, 0x6f, 0x00, 0x00, 0x03,
    0x03, 0x02, 0x00, 0x01, 0x07, 0x0e, 0x02, 0x04, 0x67, 0x72, 0x6f, 0x77,
    0x00, 0x00, 0x03, 0x67, 0x65, 0x74, 0x00, 0x01, 0x0a, 0x12, 0x02, 0x09,
    0x00, 0x20, 0x00, 0x20, 0x01, 0xfc, 0x0f, 0x00, 0x0b, 0x06, 0x00, 0x20,
    0x00, 0x25, 0x00, 0x0b,
};

#define PAGE 65536u

/* ---- helpers ----------------------------------------------------------- */

static wb_store *new_store(void)
{
    wb_store *s = NULL;
    assert_int_equal(wb_store_new(NULL, &s, NULL), WB_OK);
    assert_non_null(s);
    return s;
}

static wb_module *new_module(const uint8_t *b, size_t n)
{
    wb_module *m = NULL;
    wb_error err;
    wb_status st = wb_module_new(b, n, &m, &err);
    if (st != WB_OK)
        fail_msg("wb_module_new: %s", err.message);
    return m;
}

static wb_val i32v(int32_t v)
{
    wb_val x;
    memset(&x, 0, sizeof x);
    x.type = WB_I32;
    x.of.i32 = v;
    return x;
}

static wb_extern ext_func(wb_func *f)
{
    wb_extern e = { .kind = WB_EXTERN_FUNC, .of.func = f };
    return e;
}

static wb_extern ext_mem(wb_memory *m)
{
    wb_extern e = { .kind = WB_EXTERN_MEMORY, .of.memory = m };
    return e;
}

static void assert_contains(const char *s, const char *sub)
{
    if (!strstr(s, sub))
        fail_msg("\"%s\" does not contain \"%s\"", s, sub);
}

/* host(x) = x * 10 + env */
static wb_status host_scale(wb_caller *c, void *env, const wb_val *args,
                            wb_val *results)
{
    results[0].of.i32 = args[0].of.i32 * 10 + (int32_t)(intptr_t)env;
    return WB_OK;
}

static wb_status host_trap(wb_caller *c, void *env, const wb_val *args,
                           wb_val *results)
{
    return wb_caller_trap(c, "bad value %d", args[0].of.i32);
}

static wb_status host_exit(wb_caller *c, void *env, const wb_val *args,
                           wb_val *results)
{
    return wb_caller_exit(c, args[0].of.i32);
}

static wb_status host_tick(wb_caller *c, void *env, const wb_val *args,
                           wb_val *results)
{
    (*(int *)env)++;
    return WB_OK;
}

static const wb_valtype t_i32[] = { WB_I32 };

/* Linker with env.host (i32)->i32 and env.mem (1 page). */
static wb_linker *env_linker(wb_store *s, wb_func **host, wb_memory **mem)
{
    wb_linker *l = wb_linker_new();
    assert_non_null(l);
    *host = wb_func_new_host(s, t_i32, 1, t_i32, 1, host_scale, (void *)3);
    assert_non_null(*host);
    assert_int_equal(wb_memory_new(s, 1, 2, true, mem, NULL), WB_OK);
    assert_int_equal(wb_linker_define(l, "env", "host", ext_func(*host)),
                     WB_OK);
    assert_int_equal(wb_linker_define(l, "env", "mem", ext_mem(*mem)), WB_OK);
    return l;
}

/* ---- stores ------------------------------------------------------------- */

static void test_store_lifecycle(void **state)
{
    wb_limits l;
    wb_limits_default(&l);
    assert_int_equal(l.max_memory, 4ull << 30);
    assert_int_equal(l.max_call_depth, 10000);
    assert_int_equal(l.max_instances, 10000);
    assert_true(l.fuel < 0);

    wb_store *s = new_store();
    int x;
    assert_null(wb_store_user(s));
    wb_store_set_user(s, &x);
    assert_ptr_equal(wb_store_user(s), &x);
    assert_int_equal(wb_store_fuel_used(s), 0);
    wb_store_set_fuel(s, 1000);
    assert_int_equal(wb_store_fuel_used(s), 0);
    wb_store_interrupt(s);
    wb_store_clear_interrupt(s);
    assert_int_equal(wb_store_peak_memory(s), 0);
    wb_store_free(s);
    wb_store_free(NULL);

    assert_int_equal(wb_store_new(NULL, NULL, NULL), WB_E_ARG);
}

/* ---- memories ----------------------------------------------------------- */

static void test_memory_grow(void **state)
{
    wb_store *s = new_store();
    wb_memory *m = NULL;
    assert_int_equal(wb_memory_new(s, 1, 3, true, &m, NULL), WB_OK);
    assert_int_equal(wb_memory_size(m), PAGE);
    uint8_t *d = wb_memory_data(m);
    assert_non_null(d);
    d[0] = 1;
    d[PAGE - 1] = 2;

    assert_int_equal(wb_memory_grow(m, 1), 1);
    assert_int_equal(wb_memory_size(m), 2 * PAGE);
    assert_ptr_equal(wb_memory_data(m), d);         /* memories never move */
    assert_int_equal(d[PAGE], 0);                    /* new pages are zero */
    d[2 * PAGE - 1] = 3;
    assert_int_equal(wb_memory_grow(m, 0), 2);
    assert_int_equal(wb_memory_grow(m, 2), -1);     /* beyond max */
    assert_int_equal(wb_memory_grow(m, 1), 2);
    assert_int_equal(wb_memory_grow(m, 1), -1);
    assert_int_equal(wb_memory_size(m), 3 * PAGE);
    assert_int_equal(d[0] + d[PAGE - 1] + d[2 * PAGE - 1], 6);
    assert_int_equal(wb_store_peak_memory(s), 3 * PAGE);

    /* No maximum: up to 65536 pages. */
    wb_memory *m2 = NULL;
    assert_int_equal(wb_memory_new(s, 0, 0, false, &m2, NULL), WB_OK);
    assert_int_equal(wb_memory_size(m2), 0);
    assert_int_equal(wb_memory_grow(m2, 65537), -1);
    assert_int_equal(wb_memory_grow(m2, 1), 0);
    wb_memory_data(m2)[PAGE - 1] = 9;

    /* A memory with maximum 0 can never hold a byte. */
    wb_memory *m3 = NULL;
    assert_int_equal(wb_memory_new(s, 0, 0, true, &m3, NULL), WB_OK);
    assert_non_null(wb_memory_data(m3));
    assert_int_equal(wb_memory_grow(m3, 1), -1);
    wb_store_free(s);
}

static void test_memory_limit(void **state)
{
    wb_limits l;
    wb_limits_default(&l);
    l.max_memory = 2 * PAGE;
    wb_store *s = NULL;
    assert_int_equal(wb_store_new(&l, &s, NULL), WB_OK);

    wb_memory *m = NULL;
    wb_error err;
    assert_int_equal(wb_memory_new(s, 3, 0, false, &m, &err), WB_E_LIMIT);
    assert_int_equal(err.status, WB_E_LIMIT);
    assert_contains(err.message, "memory limit exceeded");

    assert_int_equal(wb_memory_new(s, 1, 0, false, &m, NULL), WB_OK);
    assert_int_equal(wb_memory_grow(m, 1), 1);
    assert_int_equal(wb_memory_grow(m, 1), -1);     /* store limit */
    wb_memory *m2 = NULL;
    assert_int_equal(wb_memory_new(s, 1, 0, false, &m2, &err), WB_E_LIMIT);
    assert_contains(err.message, "memory limit exceeded");
    assert_int_equal(wb_memory_new(s, 0, 0, false, &m2, &err), WB_OK);
    assert_int_equal(wb_memory_grow(m2, 1), -1);
    assert_int_equal(wb_store_peak_memory(s), 2 * PAGE);
    wb_store_free(s);
}

/* The value stack counts against max_memory past its first 64 KiB
 * (store.c, wb_rt_stack_grow): recursion as deep as the budget allows,
 * then "call stack exhausted", the peak never over the budget. */
static int32_t rec_call(wb_store *s, wb_func *f, int32_t n, wb_status *st,
                        wb_error *err)
{
    wb_val a = i32v(n), r = { 0 };
    *st = wb_func_call(s, f, &a, 1, &r, 1, err);
    return r.of.i32;
}

static void test_stack_charged(void **state)
{
    char path[512];
    snprintf(path, sizeof path, "%s/deep.wasm", WB_TEST_WASM);
    wb_module *m = NULL;
    assert_int_equal(wb_module_load(path, &m, NULL), WB_OK);
    wb_limits l;
    wb_limits_default(&l);
    l.max_memory = 1 << 20;
    for (int round = 0; round < 2; round++) {
        wb_store *s = NULL;
        wb_instance *inst = NULL;
        wb_status st;
        wb_error err;
        assert_int_equal(wb_store_new(round ? NULL : &l, &s, NULL), WB_OK);
        assert_int_equal(wb_instantiate(s, m, NULL, &inst, NULL), WB_OK);
        wb_func *f = wb_instance_func(inst, "rec");
        assert_int_equal(rec_call(s, f, 20, &st, &err), 20);  /* free part */
        assert_int_equal(wb_store_peak_memory(s), 0);
        int32_t r = rec_call(s, f, 5000, &st, &err);   /* ~8 MB deep */
        if (round == 0) {
            assert_int_equal(st, WB_E_TRAP);
            assert_contains(err.message, "call stack exhausted");
            assert_true(wb_store_peak_memory(s) <= l.max_memory);
            assert_true(wb_store_peak_memory(s) > l.max_memory - (64 << 10));
        } else {
            assert_int_equal(st, WB_OK);
            assert_int_equal(r, 5000);
            assert_true(wb_store_peak_memory(s) >= 5000ull * 200 * 8 - (64 << 10));
            assert_true(wb_store_peak_memory(s) <= 16u << 20);
        }
        wb_store_free(s);
    }
    wb_module_release(m);
}

static void test_memory_args(void **state)
{
    wb_store *s = new_store();
    wb_memory *m = NULL;
    wb_error err;
    assert_int_equal(wb_memory_new(s, 2, 1, true, &m, &err), WB_E_ARG);
    assert_int_equal(wb_memory_new(s, 65537, 0, false, &m, &err), WB_E_ARG);
    assert_int_equal(wb_memory_new(s, 0, 65537, true, &m, &err), WB_E_ARG);
    assert_int_equal(wb_memory_new(s, 0, 0, false, NULL, &err), WB_E_ARG);
    assert_null(m);
    wb_store_free(s);
}

/* ---- tables and globals ------------------------------------------------- */

/* A table of store s driven through mod_table's exports. */
typedef struct table_guest {
    wb_store *s;
    wb_module *m;
    wb_func *grow, *get;
} table_guest;

static table_guest table_guest_new(wb_store *s, wb_table *t)
{
    table_guest g = { s, new_module(mod_table, sizeof mod_table), 0, 0 };
    wb_linker *l = wb_linker_new();
    wb_extern e = { .kind = WB_EXTERN_TABLE, .of.table = t };
    wb_instance *inst = NULL;
    wb_error err;
    assert_int_equal(wb_linker_define(l, "env", "t", e), WB_OK);
    if (wb_instantiate(s, g.m, l, &inst, &err) != WB_OK)
        fail_msg("wb_instantiate: %s", err.message);
    wb_linker_free(l);
    assert_non_null(g.grow = wb_instance_func(inst, "grow"));
    assert_non_null(g.get = wb_instance_func(inst, "get"));
    return g;
}

/* table.grow of `delta` elements set to `init`: the old size or -1. */
static int32_t table_grow(table_guest *g, void *init, int32_t delta)
{
    wb_val args[2] = { { .type = WB_EXTERNREF, .of.externref = init },
                       i32v(delta) };
    wb_val r;
    assert_int_equal(wb_func_call(g->s, g->grow, args, 2, &r, 1, NULL),
                     WB_OK);
    return r.of.i32;
}

static void *table_get(table_guest *g, int32_t i)
{
    wb_val arg = i32v(i), r;
    assert_int_equal(wb_func_call(g->s, g->get, &arg, 1, &r, 1, NULL), WB_OK);
    assert_int_equal(r.type, WB_EXTERNREF);
    return r.of.externref;
}

static void test_table(void **state)
{
    wb_store *s = new_store();
    wb_table *t = NULL;
    wb_error err;
    assert_int_equal(wb_table_new(s, WB_FUNCREF, 2, 4, true, &t, &err), WB_OK);
    assert_int_equal(wb_table_size(t), 2);
    assert_int_equal(wb_table_new(s, WB_EXTERNREF, 2, 4, true, &t, &err),
                     WB_OK);
    table_guest g = table_guest_new(s, t);
    assert_null(table_get(&g, 0));
    int marker;
    assert_int_equal(table_grow(&g, &marker, 1), 2);
    assert_int_equal(wb_table_size(t), 3);
    assert_ptr_equal(table_get(&g, 2), &marker);
    assert_int_equal(table_grow(&g, NULL, 2), -1);      /* beyond max */
    assert_int_equal(table_grow(&g, NULL, 0), 3);
    assert_int_equal(table_grow(&g, NULL, 1), 3);
    assert_int_equal(wb_table_size(t), 4);
    assert_null(table_get(&g, 3));

    assert_int_equal(wb_table_new(s, WB_I32, 0, 0, false, &t, &err),
                     WB_E_ARG);
    assert_int_equal(wb_table_new(s, WB_EXTERNREF, 5, 4, true, &t, &err),
                     WB_E_ARG);
    assert_int_equal(wb_table_new(s, WB_EXTERNREF, 20000000, 0, false, &t,
                                  &err), WB_E_IMPL_LIMIT);
    wb_store_free(s);
    wb_module_release(g.m);

    /* Tables count against the memory limit at 8 bytes per element. */
    wb_limits l;
    wb_limits_default(&l);
    l.max_memory = 800;
    assert_int_equal(wb_store_new(&l, &s, NULL), WB_OK);
    assert_int_equal(wb_table_new(s, WB_EXTERNREF, 101, 0, false, &t, &err),
                     WB_E_LIMIT);
    assert_int_equal(wb_table_new(s, WB_EXTERNREF, 99, 0, false, &t, &err),
                     WB_OK);
    g = table_guest_new(s, t);
    assert_int_equal(table_grow(&g, NULL, 2), -1);
    assert_int_equal(table_grow(&g, NULL, 1), 99);
    assert_int_equal(wb_table_size(t), 100);
    wb_store_free(s);
    wb_module_release(g.m);
}

static void test_global(void **state)
{
    wb_store *s = new_store();
    wb_global *g = NULL;
    assert_int_equal(wb_global_new(s, i32v(-5), true, &g, NULL), WB_OK);
    wb_val v = wb_global_get(g);
    assert_int_equal(v.type, WB_I32);
    assert_int_equal(v.of.i32, -5);

    /* Floats keep their NaN payload bit for bit. */
    wb_val f;
    memset(&f, 0, sizeof f);
    f.type = WB_F64;
    f.of.f64_bits = 0x7ff4000000000123ull;
    assert_int_equal(wb_global_new(s, f, false, &g, NULL), WB_OK);
    v = wb_global_get(g);
    assert_int_equal(v.type, WB_F64);
    assert_int_equal(v.of.f64_bits, 0x7ff4000000000123ull);

    wb_val x;
    memset(&x, 0, sizeof x);
    x.type = WB_V128;
    for (int i = 0; i < 16; i++)
        x.of.v128[i] = (uint8_t)(i * 17);
    assert_int_equal(wb_global_new(s, x, false, &g, NULL), WB_OK);
    v = wb_global_get(g);
    assert_memory_equal(v.of.v128, x.of.v128, 16);

    x.type = WB_EXTERNREF;
    x.of.externref = &x;
    assert_int_equal(wb_global_new(s, x, false, &g, NULL), WB_OK);
    assert_ptr_equal(wb_global_get(g).of.externref, &x);

    x.type = (wb_valtype)0x40;
    assert_int_equal(wb_global_new(s, x, false, &g, NULL), WB_E_ARG);
    wb_store_free(s);
}

/* ---- host functions ----------------------------------------------------- */

static void test_host_func_types(void **state)
{
    wb_store *s = new_store();
    const wb_valtype p[] = { WB_I32, WB_I64, WB_V128 };
    const wb_valtype r[] = { WB_F32 };
    wb_func *f = wb_func_new_host(s, p, 3, r, 1, host_scale, NULL);
    assert_non_null(f);
    assert_int_equal(wb_func_param_count(f), 3);
    assert_int_equal(wb_func_result_count(f), 1);
    assert_int_equal(wb_func_param_type(f, 0), WB_I32);
    assert_int_equal(wb_func_param_type(f, 1), WB_I64);
    assert_int_equal(wb_func_param_type(f, 2), WB_V128);
    assert_int_equal(wb_func_result_type(f, 0), WB_F32);
    assert_int_equal(wb_func_result_type(f, 1), 0);
    assert_int_equal(wb_func_param_type(f, 3), 0);

    wb_func *g = wb_func_new_host(s, NULL, 0, NULL, 0, host_tick, NULL);
    assert_non_null(g);
    assert_int_equal(wb_func_param_count(g), 0);
    assert_int_equal(wb_func_result_count(g), 0);

    assert_null(wb_func_new_host(s, p, 1, r, 1, NULL, NULL));
    const wb_valtype bad[] = { (wb_valtype)0x40 };
    assert_null(wb_func_new_host(s, bad, 1, NULL, 0, host_tick, NULL));
    wb_store_free(s);
}

static void test_host_call(void **state)
{
    wb_store *s = new_store();
    wb_func *f = wb_func_new_host(s, t_i32, 1, t_i32, 1, host_scale,
                                  (void *)1);
    wb_val arg = i32v(4), res;
    wb_error err;
    assert_int_equal(wb_func_call(s, f, &arg, 1, &res, 1, &err), WB_OK);
    assert_int_equal(res.type, WB_I32);
    assert_int_equal(res.of.i32, 41);

    /* Argument checking happens before any call. */
    assert_int_equal(wb_func_call(s, f, &arg, 0, &res, 1, &err), WB_E_ARG);
    assert_int_equal(wb_func_call(s, f, &arg, 1, &res, 0, &err), WB_E_ARG);
    wb_val bad = arg;
    bad.type = WB_I64;
    assert_int_equal(wb_func_call(s, f, &bad, 1, &res, 1, &err), WB_E_ARG);
    assert_contains(err.message, "expected i32");

    wb_func *t = wb_func_new_host(s, t_i32, 1, NULL, 0, host_trap, NULL);
    assert_int_equal(wb_func_call(s, t, &arg, 1, NULL, 0, &err), WB_E_TRAP);
    assert_int_equal(err.trap, WB_TRAP_HOST);
    assert_string_equal(err.message, "bad value 4");

    wb_func *x = wb_func_new_host(s, t_i32, 1, NULL, 0, host_exit, NULL);
    arg = i32v(3);
    assert_int_equal(wb_func_call(s, x, &arg, 1, NULL, 0, &err), WB_E_EXIT);
    assert_int_equal(err.exit_code, 3);
    wb_store_free(s);
}

/* ---- linking and instances ---------------------------------------------- */

static void test_linker_define(void **state)
{
    wb_store *s = new_store();
    wb_linker *l = wb_linker_new();
    wb_func *f = wb_func_new_host(s, NULL, 0, NULL, 0, host_tick, NULL);
    wb_extern none = { .kind = WB_EXTERN_FUNC, .of.func = NULL };
    assert_int_equal(wb_linker_define(l, "env", "f", none), WB_E_ARG);
    assert_int_equal(wb_linker_define(l, NULL, "f", ext_func(f)), WB_E_ARG);
    /* Many names force the index to grow; redefinition replaces. */
    char name[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(name, sizeof name, "f%d", i);
        assert_int_equal(wb_linker_define(l, "env", name, ext_func(f)),
                         WB_OK);
    }
    int ticks = 0;
    wb_func *tick = wb_func_new_host(s, NULL, 0, NULL, 0, host_tick, &ticks);
    assert_int_equal(wb_linker_define(l, "env", "tick", ext_func(f)), WB_OK);
    assert_int_equal(wb_linker_define(l, "env", "tick", ext_func(tick)),
                     WB_OK);
    wb_module *m = new_module(mod_start, sizeof mod_start);
    wb_instance *inst = NULL;
    wb_error err;
    assert_int_equal(wb_instantiate(s, m, l, &inst, &err), WB_OK);
    assert_int_equal(ticks, 1);                      /* start ran once */
    wb_module_release(m);
    wb_linker_free(l);
    wb_linker_free(NULL);
    wb_store_free(s);
}

static void test_instantiate_imports(void **state)
{
    wb_store *s = new_store();
    wb_func *host;
    wb_memory *mem;
    wb_linker *l = env_linker(s, &host, &mem);
    wb_module *m = new_module(mod_a, sizeof mod_a);
    assert_int_equal(wb_module_import_count(m), 2);
    assert_int_equal(wb_module_export_count(m), 5);

    wb_instance *inst = NULL;
    wb_error err;
    assert_int_equal(wb_instantiate(s, m, l, &inst, &err), WB_OK);
    assert_ptr_equal(wb_instance_module(inst), m);
    assert_ptr_equal(wb_instance_memory(inst, "mem"), mem);
    assert_ptr_equal(wb_instance_func(inst, "host"), host);
    assert_null(wb_instance_func(inst, "mem"));      /* wrong kind */
    assert_null(wb_instance_func(inst, "nope"));
    assert_memory_equal(wb_memory_data(mem) + 16, "hi", 2);

    wb_extern e;
    assert_true(wb_instance_export(inst, "add", 3, &e));
    assert_int_equal(e.kind, WB_EXTERN_FUNC);
    assert_false(wb_instance_export(inst, "ad", 2, &e));

    /* The host function re-exported by the instance. */
    wb_val arg = i32v(5), res;
    assert_int_equal(wb_func_call(s, wb_instance_func(inst, "host"), &arg, 1,
                                  &res, 1, &err), WB_OK);
    assert_int_equal(res.of.i32, 53);
    wb_module_release(m);
    wb_linker_free(l);
    wb_store_free(s);
}

static void test_unknown_import(void **state)
{
    wb_store *s = new_store();
    wb_linker *l = wb_linker_new();
    wb_func *host = wb_func_new_host(s, t_i32, 1, t_i32, 1, host_scale, NULL);
    assert_int_equal(wb_linker_define(l, "env", "host", ext_func(host)),
                     WB_OK);
    wb_module *m = new_module(mod_a, sizeof mod_a);
    wb_instance *inst = NULL;
    wb_error err;
    assert_int_equal(wb_instantiate(s, m, l, &inst, &err), WB_E_LINK);
    assert_int_equal(err.status, WB_E_LINK);
    assert_string_equal(err.message, "unknown import: \"env\" \"mem\"");
    assert_null(inst);
    /* No linker at all. */
    assert_int_equal(wb_instantiate(s, m, NULL, &inst, &err), WB_E_LINK);
    assert_string_equal(err.message, "unknown import: \"env\" \"host\"");
    wb_module_release(m);

    /* Names are escaped in messages: "t\0\"k" */
    uint8_t odd[sizeof mod_start];
    memcpy(odd, mod_start, sizeof odd);
    memcpy(odd + 22, "t\0\"k", 4);
    m = new_module(odd, sizeof odd);
    assert_int_equal(wb_instantiate(s, m, l, &inst, &err), WB_E_LINK);
    assert_string_equal(err.message,
                        "unknown import: \"env\" \"t\\00\\22k\"");
    wb_module_release(m);
    wb_linker_free(l);
    wb_store_free(s);
}

static void expect_incompatible(wb_store *s, wb_module *m, wb_linker *l)
{
    wb_instance *inst = NULL;
    wb_error err;
    assert_int_equal(wb_instantiate(s, m, l, &inst, &err), WB_E_LINK);
    assert_contains(err.message, "incompatible import type");
    assert_null(inst);
}

static void test_incompatible_import(void **state)
{
    wb_store *s = new_store();
    wb_func *host;
    wb_memory *mem;
    wb_linker *l = env_linker(s, &host, &mem);
    wb_module *m = new_module(mod_a, sizeof mod_a);

    /* Function type: (i32) -> () instead of (i32) -> i32. */
    wb_func *f = wb_func_new_host(s, t_i32, 1, NULL, 0, host_trap, NULL);
    assert_int_equal(wb_linker_define(l, "env", "host", ext_func(f)), WB_OK);
    expect_incompatible(s, m, l);
    /* Kind: a memory where a function is expected. */
    assert_int_equal(wb_linker_define(l, "env", "host", ext_mem(mem)), WB_OK);
    expect_incompatible(s, m, l);
    assert_int_equal(wb_linker_define(l, "env", "host", ext_func(host)),
                     WB_OK);
    /* Memory limits: 0 pages is below the declared minimum of 1. */
    wb_memory *small;
    assert_int_equal(wb_memory_new(s, 0, 0, false, &small, NULL), WB_OK);
    assert_int_equal(wb_linker_define(l, "env", "mem", ext_mem(small)),
                     WB_OK);
    expect_incompatible(s, m, l);
    /* Grown to the minimum, it matches (current size counts). */
    assert_int_equal(wb_memory_grow(small, 1), 0);
    wb_instance *inst = NULL;
    assert_int_equal(wb_instantiate(s, m, l, &inst, NULL), WB_OK);
    wb_module_release(m);

    /* Tables: declared (table 2 10); globals: immutable i32. */
    m = new_module(mod_tab_glob, sizeof mod_tab_glob);
    wb_table *t;
    wb_global *g;
    assert_int_equal(wb_global_new(s, i32v(1), false, &g, NULL), WB_OK);
    wb_extern eg = { .kind = WB_EXTERN_GLOBAL, .of.global = g };
    assert_int_equal(wb_linker_define(l, "env", "g", eg), WB_OK);
    struct { uint32_t min, max; bool has_max, ok; } cases[] = {
        { 2, 10, true, true }, { 3, 5, true, true }, { 1, 10, true, false },
        { 2, 0, false, false }, { 2, 11, true, false },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        assert_int_equal(wb_table_new(s, WB_FUNCREF, cases[i].min,
                                      cases[i].max, cases[i].has_max, &t,
                                      NULL), WB_OK);
        wb_extern et = { .kind = WB_EXTERN_TABLE, .of.table = t };
        assert_int_equal(wb_linker_define(l, "env", "tab", et), WB_OK);
        if (cases[i].ok)
            assert_int_equal(wb_instantiate(s, m, l, &inst, NULL), WB_OK);
        else
            expect_incompatible(s, m, l);
    }
    assert_int_equal(wb_table_new(s, WB_EXTERNREF, 2, 10, true, &t, NULL),
                     WB_OK);
    wb_extern et = { .kind = WB_EXTERN_TABLE, .of.table = t };
    assert_int_equal(wb_linker_define(l, "env", "tab", et), WB_OK);
    expect_incompatible(s, m, l);                    /* element type */
    assert_int_equal(wb_table_new(s, WB_FUNCREF, 2, 10, true, &t, NULL),
                     WB_OK);
    et.of.table = t;
    assert_int_equal(wb_linker_define(l, "env", "tab", et), WB_OK);
    assert_int_equal(wb_global_new(s, i32v(1), true, &g, NULL), WB_OK);
    eg.of.global = g;
    assert_int_equal(wb_linker_define(l, "env", "g", eg), WB_OK);
    expect_incompatible(s, m, l);                    /* mutability */
    wb_module_release(m);
    wb_linker_free(l);
    wb_store_free(s);
}

static void test_define_instance(void **state)
{
    wb_store *s = new_store();
    wb_module *mb = new_module(mod_b, sizeof mod_b);
    wb_module *mr = new_module(mod_reexport, sizeof mod_reexport);
    wb_instance *ib = NULL, *ir = NULL;
    assert_int_equal(wb_instantiate(s, mb, NULL, &ib, NULL), WB_OK);
    wb_linker *l = wb_linker_new();
    assert_int_equal(wb_linker_define_instance(l, "a", ib), WB_OK);
    wb_error err;
    assert_int_equal(wb_instantiate(s, mr, l, &ir, &err), WB_OK);
    assert_ptr_equal(wb_instance_func(ir, "add2"), wb_instance_func(ib, "add"));

    wb_extern e;
    assert_true(wb_instance_export(ib, "g", 1, &e));
    assert_int_equal(e.kind, WB_EXTERN_GLOBAL);
    assert_int_equal(wb_global_get(e.of.global).of.i32, 7);
    wb_module_release(mb);
    wb_module_release(mr);
    wb_linker_free(l);
    wb_store_free(s);
}

static void test_init_traps(void **state)
{
    wb_store *s = new_store();
    wb_module *m = new_module(mod_elem_oob, sizeof mod_elem_oob);
    wb_instance *inst = NULL;
    wb_error err;
    assert_int_equal(wb_instantiate(s, m, NULL, &inst, &err), WB_E_TRAP);
    assert_int_equal(err.trap, WB_TRAP_TABLE_OOB);
    assert_string_equal(err.message, "out of bounds table access");
    assert_null(inst);
    wb_module_release(m);

    /* The first segment's write stays visible in the imported memory. */
    m = new_module(mod_data_oob, sizeof mod_data_oob);
    wb_memory *mem;
    assert_int_equal(wb_memory_new(s, 1, 0, false, &mem, NULL), WB_OK);
    wb_linker *l = wb_linker_new();
    assert_int_equal(wb_linker_define(l, "env", "mem", ext_mem(mem)), WB_OK);
    assert_int_equal(wb_instantiate(s, m, l, &inst, &err), WB_E_TRAP);
    assert_int_equal(err.trap, WB_TRAP_MEMORY_OOB);
    assert_string_equal(err.message, "out of bounds memory access");
    assert_memory_equal(wb_memory_data(mem), "ok", 2);
    /* With room for both segments it succeeds. */
    assert_int_equal(wb_memory_grow(mem, 1), 1);
    assert_int_equal(wb_instantiate(s, m, l, &inst, &err), WB_OK);
    assert_memory_equal(wb_memory_data(mem) + 65535, "xx", 2);
    wb_module_release(m);
    wb_linker_free(l);
    wb_store_free(s);
}

static void test_instance_limit(void **state)
{
    wb_limits lim;
    wb_limits_default(&lim);
    lim.max_instances = 2;
    wb_store *s = NULL;
    assert_int_equal(wb_store_new(&lim, &s, NULL), WB_OK);
    wb_module *m = new_module(mod_b, sizeof mod_b);
    wb_instance *inst;
    wb_error err;
    assert_int_equal(wb_instantiate(s, m, NULL, &inst, &err), WB_OK);
    assert_int_equal(wb_instantiate(s, m, NULL, &inst, &err), WB_OK);
    assert_int_equal(wb_instantiate(s, m, NULL, &inst, &err), WB_E_LIMIT);
    wb_module_release(m);
    wb_store_free(s);
}

static void test_module_load(void **state)
{
    char path[] = "/tmp/wb_test_api_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, mod_b, sizeof mod_b), (ssize_t)sizeof mod_b);
    close(fd);
    wb_module *m = NULL;
    wb_error err;
    assert_int_equal(wb_module_load(path, &m, &err), WB_OK);
    assert_int_equal(wb_module_export_count(m), 3);
    wb_module_release(m);
    unlink(path);
    assert_int_equal(wb_module_load(path, &m, &err), WB_E_NOT_FOUND);
    assert_contains(err.message, "cannot read");
    assert_int_equal(wb_module_load("/tmp", &m, &err), WB_E_IO);
}

/* ---- calls into wasm (need the interpreter) ----------------------------- */

static void test_call_add(void **state)
{
    wb_store *s = new_store();
    wb_func *host;
    wb_memory *mem;
    wb_linker *l = env_linker(s, &host, &mem);
    wb_module *m = new_module(mod_a, sizeof mod_a);
    wb_instance *inst = NULL;
    wb_error err;
    assert_int_equal(wb_instantiate(s, m, l, &inst, &err), WB_OK);
    wb_func *add = wb_instance_func(inst, "add");
    assert_non_null(add);
    assert_int_equal(wb_func_param_count(add), 2);
    assert_int_equal(wb_func_result_type(add, 0), WB_I32);

    wb_val args[2] = { i32v(2), i32v(40) }, res;
    assert_int_equal(wb_func_call(s, add, args, 2, &res, 1, &err), WB_OK);
    assert_int_equal(res.type, WB_I32);
    assert_int_equal(res.of.i32, 42);
    args[0] = i32v(INT32_MAX);
    args[1] = i32v(1);
    assert_int_equal(wb_func_call(s, add, args, 2, &res, 1, &err), WB_OK);
    assert_int_equal(res.of.i32, INT32_MIN);          /* wraps */

    wb_val a = i32v(7);
    assert_int_equal(wb_func_call(s, wb_instance_func(inst, "call_host"), &a,
                                  1, &res, 1, &err), WB_OK);
    assert_int_equal(res.of.i32, 73);
    assert_int_equal(wb_func_call(s, add, args, 1, &res, 1, &err), WB_E_ARG);
    wb_module_release(m);
    wb_linker_free(l);
    wb_store_free(s);
}

static void test_trap_message(void **state)
{
    wb_store *s = new_store();
    wb_func *host;
    wb_memory *mem;
    wb_linker *l = env_linker(s, &host, &mem);
    wb_module *m = new_module(mod_a, sizeof mod_a);
    wb_instance *inst = NULL;
    wb_error err;
    assert_int_equal(wb_instantiate(s, m, l, &inst, &err), WB_OK);
    wb_val args[2] = { i32v(1), i32v(0) }, res;
    wb_func *div = wb_instance_func(inst, "div");
    assert_int_equal(wb_func_call(s, div, args, 2, &res, 1, &err), WB_E_TRAP);
    assert_int_equal(err.status, WB_E_TRAP);
    assert_int_equal(err.trap, WB_TRAP_DIV_ZERO);
    assert_string_equal(err.message, "integer divide by zero");
    /* The store is usable after a trap. */
    args[0] = i32v(-9);
    args[1] = i32v(2);
    assert_int_equal(wb_func_call(s, div, args, 2, &res, 1, &err), WB_OK);
    assert_int_equal(res.of.i32, -4);
    wb_module_release(m);
    wb_linker_free(l);
    wb_store_free(s);
}

static void call_add(wb_store *s, wb_instance *inst, int32_t a, int32_t b)
{
    wb_val args[2] = { i32v(a), i32v(b) }, res;
    wb_error err;
    wb_status st = wb_func_call(s, wb_instance_func(inst, "add"), args, 2,
                                &res, 1, &err);
    if (st != WB_OK)
        fail_msg("add: %s", err.message);
    assert_int_equal(res.of.i32, a + b);
}

/* One module, many instances: each has its own memory. */
static void test_many_instances(void **state)
{
    wb_module *m = new_module(mod_b, sizeof mod_b);
    wb_store *s = new_store();
    wb_instance *insts[100];
    for (int i = 0; i < 100; i++) {
        wb_error err;
        wb_status st = wb_instantiate(s, m, NULL, &insts[i], &err);
        if (st != WB_OK)
            fail_msg("instance %d: %s", i, err.message);
        wb_memory_data(wb_instance_memory(insts[i], "mem"))[0] = (uint8_t)i;
    }
    for (int i = 0; i < 100; i++) {
        assert_int_equal(wb_memory_data(wb_instance_memory(insts[i],
                                                           "mem"))[0], i);
        call_add(s, insts[i], i, 1000);
    }
    assert_int_equal(wb_store_peak_memory(s), 100ull * PAGE);

    /* Several stores share the module; it outlives our reference. */
    wb_store *ss[4];
    for (int k = 0; k < 4; k++) {
        ss[k] = new_store();
        for (int i = 0; i < 5; i++) {
            wb_instance *inst = NULL;
            assert_int_equal(wb_instantiate(ss[k], m, NULL, &inst, NULL),
                             WB_OK);
            call_add(ss[k], inst, k, i);
        }
    }
    wb_module_release(m);
    for (int k = 0; k < 4; k++) {
        wb_instance *inst = NULL;
        assert_int_equal(wb_instantiate(ss[k], m, NULL, &inst, NULL), WB_OK);
        call_add(ss[k], inst, k, -k);
        wb_store_free(ss[k]);
    }
    wb_store_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_store_lifecycle),
        cmocka_unit_test(test_memory_grow),
        cmocka_unit_test(test_memory_limit),
        cmocka_unit_test(test_stack_charged),
        cmocka_unit_test(test_memory_args),
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_global),
        cmocka_unit_test(test_host_func_types),
        cmocka_unit_test(test_host_call),
        cmocka_unit_test(test_linker_define),
        cmocka_unit_test(test_instantiate_imports),
        cmocka_unit_test(test_unknown_import),
        cmocka_unit_test(test_incompatible_import),
        cmocka_unit_test(test_define_instance),
        cmocka_unit_test(test_init_traps),
        cmocka_unit_test(test_instance_limit),
        cmocka_unit_test(test_module_load),
        cmocka_unit_test(test_call_add),
        cmocka_unit_test(test_trap_message),
        cmocka_unit_test(test_many_instances),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
