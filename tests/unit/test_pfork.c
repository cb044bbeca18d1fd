/* test_pfork.c: the engine's side of guest processes (src/engine/fork.c,
 * group.c). A guest (wat/pfork.wat) forks through the host import
 * env.fork, several frames deep, with an operand, a function reference
 * and a grown memory live: parent and child go on from the same point
 * with different results and never see each other's writes. A fork from
 * a host -> guest -> host re-entry is refused. A child traps (a backtrace
 * through the copied frames), runs out of fuel, is interrupted from
 * another thread and exits. Stores of one group share its fuel from two
 * threads (their uses add up to the budget) and its memory (summed, a
 * grow past it fails as past a store's own limit). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wasmbox.h"
#include "engine/engine.h"

#define PARENT_PID 42
/* pfork.wat's function indices (imports fork, exit, reenter first) */
#define F_AT_FORK 4
#define F_REC 5
#define F_CHILD 7
#define F_RUN_CHILD 8

/* The host side of one store: its env.* functions' state. */
typedef struct host {
    wb_store *s;
    wb_instance *inst;
    wb_limits child_lim;      /* a fork's child gets these */
    struct host *child;       /* made by env.fork */
    bool can_fork;            /* what env.fork saw */
    wb_status fork_st;
    wb_error fork_err;
} host;

static wb_linker *make_linker(host *h);

static wb_status h_fork(wb_caller *c, void *env, const wb_val *args,
                        wb_val *res)
{
    host *h = env;
    h->can_fork = wb_caller_can_fork(c);
    host *k = calloc(1, sizeof *k);
    assert_non_null(k);
    assert_int_equal(wb_store_new(&h->child_lim, &k->s, NULL), WB_OK);
    wb_linker *l = make_linker(k);
    h->fork_st = wb_fork(c, k->s, l, &h->fork_err);
    wb_linker_free(l);
    if (h->fork_st != WB_OK) {
        wb_store_free(k->s);
        free(k);
        res[0].of.i32 = -1;
        return WB_OK;
    }
    k->inst = wb_fork_instance(k->s);
    h->child = k;
    res[0].of.i32 = PARENT_PID;
    return WB_OK;
}

static wb_status h_exit(wb_caller *c, void *env, const wb_val *args,
                        wb_val *res)
{
    return wb_caller_exit(c, args[0].of.i32);
}

/* Calls the guest's probe, which calls env.fork: host -> guest -> host. */
static wb_status h_reenter(wb_caller *c, void *env, const wb_val *args,
                           wb_val *res)
{
    host *h = env;
    wb_val r;
    return wb_func_call(h->s, wb_instance_func(h->inst, "probe"), NULL, 0,
                        &r, 1, NULL);
}

static void define(wb_linker *l, const char *name, wb_func *f)
{
    assert_non_null(f);
    wb_extern e = { .kind = WB_EXTERN_FUNC, .of.func = f };
    assert_int_equal(wb_linker_define(l, "env", name, e), WB_OK);
}

static wb_linker *make_linker(host *h)
{
    static const wb_valtype i32 = WB_I32;
    wb_linker *l = wb_linker_new();
    assert_non_null(l);
    wb_limits_default(&h->child_lim);
    define(l, "fork", wb_func_new_host(h->s, NULL, 0, &i32, 1, h_fork, h));
    define(l, "exit", wb_func_new_host(h->s, &i32, 1, NULL, 0, h_exit, h));
    define(l, "reenter", wb_func_new_host(h->s, NULL, 0, NULL, 0,
                                          h_reenter, h));
    return l;
}

static wb_module *load(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", WB_TEST_WASM, name);
    wb_module *m = NULL;
    assert_int_equal(wb_module_load(path, &m, NULL), WB_OK);
    return m;
}

/* A store running pfork.wasm, in group g unless NULL. */
static host *start(wb_module *m, wb_group *g)
{
    host *h = calloc(1, sizeof *h);
    assert_non_null(h);
    assert_int_equal(wb_store_new(NULL, &h->s, NULL), WB_OK);
    if (g)
        assert_int_equal(wb_store_join_group(h->s, g, NULL), WB_OK);
    wb_linker *l = make_linker(h);
    assert_int_equal(wb_instantiate(h->s, m, l, &h->inst, NULL), WB_OK);
    wb_linker_free(l);
    return h;
}

static void finish(host *h)
{
    if (h->child)
        finish(h->child);
    wb_store_free(h->s);
    free(h);
}

static int32_t peek(const host *h, uint32_t at)
{
    int32_t v;
    memcpy(&v, wb_memory_data(wb_instance_memory(h->inst, "mem")) + at, 4);
    return v;
}

static int32_t global_g(const host *h)
{
    wb_extern e;
    assert_true(wb_instance_export(h->inst, "g", 1, &e));
    return wb_global_get(e.of.global).of.i32;
}

static wb_status call2(host *h, const char *fn, int32_t a, int32_t b,
                       size_t n)
{
    wb_val args[2] = { { .type = WB_I32, .of.i32 = a },
                       { .type = WB_I32, .of.i32 = b } };
    wb_val r;
    return wb_func_call(h->s, wb_instance_func(h->inst, fn), args, n, &r,
                        1, NULL);
}

/* ---- resuming a child on its own thread ------------------------------- */

typedef struct resumed {
    host *k;
    wb_status st;
    wb_error err;
} resumed;

static void *resume_main(void *arg)
{
    resumed *r = arg;
    wb_val zero = { .type = WB_I32, .of.i32 = 0 };
    memset(&r->err, 0, sizeof r->err);
    r->st = wb_fork_resume(r->k->s, &zero, 1, &r->err);
    return NULL;
}

static resumed resume_on_thread(host *k)
{
    resumed r = { .k = k };
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, resume_main, &r), 0);
    pthread_join(t, NULL);
    return r;
}

/* ---- fork ------------------------------------------------------------- */

static void test_parent_and_child_diverge(void **state)
{
    wb_module *m = load("pfork.wasm");
    host *p = start(m, NULL);
    /* 5 frames of $rec add 10 * (1 + ... + 5); $at_fork 5000 + pid + 7 */
    assert_int_equal(call2(p, "run", 5, 0, 1), WB_OK);
    assert_true(p->can_fork);
    assert_int_equal(p->fork_st, WB_OK);
    assert_non_null(p->child);
    assert_int_equal(peek(p, 0), PARENT_PID);
    assert_int_equal(global_g(p), PARENT_PID);
    assert_int_equal(peek(p, 8), 150 + 5007 + PARENT_PID);

    host *k = p->child;
    assert_int_equal(peek(k, 0), 0);             /* not run yet */
    assert_int_equal(peek(k, 65540), 77);        /* the grown page */
    resumed r = resume_on_thread(k);
    assert_int_equal(r.st, WB_OK);
    assert_int_equal(peek(k, 0), 0);
    assert_int_equal(global_g(k), 0);
    assert_int_equal(peek(k, 8), 150 + 5007);
    assert_int_equal(wb_memory_size(wb_instance_memory(k->inst, "mem")),
                     2 * 65536);
    /* neither saw the other's writes */
    assert_int_equal(peek(p, 0), PARENT_PID);
    assert_int_equal(global_g(p), PARENT_PID);
    assert_int_equal(peek(p, 8), 150 + 5007 + PARENT_PID);
    /* once only */
    wb_val zero = { .type = WB_I32, .of.i32 = 0 };
    assert_int_equal(wb_fork_resume(k->s, &zero, 1, NULL), WB_E_ARG);
    finish(p);
    wb_module_release(m);
}

/* The copy skips what the parent never wrote, in chunks of 16 MiB: bytes
 * written before and after a long untouched stretch, in the last page
 * and across chunks all reach the child; untouched pages stay zero. */
static void test_sparse_memory_copied(void **state)
{
    const uint32_t at[] = { 100, 5 * 65536 + 7, 255 * 65536 + 4093,
                            256 * 65536, 300 * 65536 - 4 };
    wb_module *m = load("pfork.wasm");
    host *p = start(m, NULL);
    wb_memory *mem = wb_instance_memory(p->inst, "mem");
    assert_int_equal(wb_memory_grow(mem, 299), 1);     /* run grows 1 more */
    for (size_t i = 0; i < sizeof at / sizeof *at; i++)
        memcpy(wb_memory_data(mem) + at[i], &at[i], 4);
    assert_int_equal(call2(p, "run", 1, 0, 1), WB_OK);
    host *k = p->child;
    assert_int_equal(wb_memory_size(wb_instance_memory(k->inst, "mem")),
                     301ull * 65536);
    for (size_t i = 0; i < sizeof at / sizeof *at; i++)
        assert_int_equal(peek(k, at[i]), (int32_t)at[i]);
    assert_int_equal(peek(k, 100 * 65536), 0);
    assert_int_equal(peek(k, 65540), 77);
    finish(p);
    wb_module_release(m);
}

static void test_child_of_child(void **state)
{
    wb_module *m = load("pfork.wasm");
    host *p = start(m, NULL);
    assert_int_equal(call2(p, "run", 2, 0, 1), WB_OK);
    host *k = p->child;
    wb_val zero = { .type = WB_I32, .of.i32 = 0 };
    assert_int_equal(wb_fork_resume(k->s, &zero, 1, NULL), WB_OK);
    /* the child's own store runs the guest again and forks it */
    assert_int_equal(call2(k, "run", 3, 0, 1), WB_OK);
    assert_int_equal(k->fork_st, WB_OK);
    assert_int_equal(wb_fork_resume(k->child->s, &zero, 1, NULL), WB_OK);
    assert_int_equal(peek(k->child, 8), 60 + 5007);
    assert_int_equal(peek(k, 8), 60 + 5007 + PARENT_PID);
    assert_int_equal(peek(p, 8), 30 + 5007 + PARENT_PID);
    finish(p);
    wb_module_release(m);
}

static void test_refused_from_reentry(void **state)
{
    wb_module *m = load("pfork.wasm");
    host *p = start(m, NULL);
    wb_val r;
    assert_int_equal(wb_func_call(p->s, wb_instance_func(p->inst, "outer"),
                                  NULL, 0, &r, 0, NULL), WB_OK);
    assert_false(p->can_fork);
    assert_int_equal(p->fork_st, WB_E_ARG);
    assert_non_null(strstr(p->fork_err.message, "cannot fork"));
    assert_null(p->child);
    /* called from the host, not from a guest's host call */
    wb_caller *none = NULL;
    assert_false(wb_caller_can_fork(none));
    finish(p);
    wb_module_release(m);
}

/* run_child: the child (only) ends as `how` says, 3 frames deep. */
static host *fork_child(wb_module *m, int how, int64_t child_fuel)
{
    host *p = start(m, NULL);
    p->child_lim.fuel = child_fuel;
    assert_int_equal(call2(p, "run_child", how, 3, 2), WB_OK);
    assert_int_equal(p->fork_st, WB_OK);
    return p;
}

static void assert_frames(const wb_error *e)
{
    char want[32];
    const int funcs[] = { F_CHILD, F_AT_FORK, F_REC, F_RUN_CHILD };
    for (size_t i = 0; i < sizeof funcs / sizeof *funcs; i++) {
        snprintf(want, sizeof want, "(func %d)", funcs[i]);
        assert_non_null(strstr(e->backtrace, want));
    }
}

static void test_child_traps(void **state)
{
    wb_module *m = load("pfork.wasm");
    host *p = fork_child(m, 1, -1);
    resumed r = resume_on_thread(p->child);
    assert_int_equal(r.st, WB_E_TRAP);
    assert_int_equal(r.err.trap, WB_TRAP_UNREACHABLE);
    assert_frames(&r.err);
    finish(p);
    wb_module_release(m);
}

static void test_child_runs_out_of_fuel(void **state)
{
    wb_module *m = load("pfork.wasm");
    host *p = fork_child(m, 2, 100000);
    resumed r = resume_on_thread(p->child);
    assert_int_equal(r.st, WB_E_TRAP);
    assert_int_equal(r.err.trap, WB_TRAP_FUEL);
    assert_frames(&r.err);
    assert_int_equal(wb_store_fuel_used(p->child->s), 100000);
    finish(p);
    wb_module_release(m);
}

static void *interrupt_later(void *arg)
{
    struct timespec ts = { 0, 20 * 1000 * 1000 };
    nanosleep(&ts, NULL);
    wb_store_interrupt(arg);
    return NULL;
}

static void test_child_interrupted(void **state)
{
    wb_module *m = load("pfork.wasm");
    host *p = fork_child(m, 2, -1);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, interrupt_later,
                                    p->child->s), 0);
    resumed r = resume_on_thread(p->child);
    pthread_join(t, NULL);
    assert_int_equal(r.st, WB_E_TRAP);
    assert_int_equal(r.err.trap, WB_TRAP_INTERRUPT);
    assert_frames(&r.err);
    finish(p);
    wb_module_release(m);
}

static void test_child_exits(void **state)
{
    wb_module *m = load("pfork.wasm");
    host *p = fork_child(m, 3, -1);
    resumed r = resume_on_thread(p->child);
    assert_int_equal(r.st, WB_E_EXIT);
    assert_int_equal(r.err.exit_code, 3);
    finish(p);
    wb_module_release(m);
}

static void test_resume_checks_results(void **state)
{
    wb_module *m = load("pfork.wasm");
    host *p = start(m, NULL);
    assert_int_equal(call2(p, "run", 1, 0, 1), WB_OK);
    wb_val wrong = { .type = WB_I64, .of.i64 = 0 };
    wb_error e = { 0 };
    assert_int_equal(wb_fork_resume(p->child->s, &wrong, 1, &e), WB_E_ARG);
    assert_int_equal(wb_fork_resume(p->child->s, NULL, 0, &e), WB_E_ARG);
    finish(p);
    wb_module_release(m);
}

/* ---- groups ------------------------------------------------------------ */

typedef struct spinner {
    wb_store *s;
    wb_func *f;
    wb_status st;
    wb_error err;
} spinner;

static void *spin_main(void *arg)
{
    spinner *sp = arg;
    sp->st = wb_func_call(sp->s, sp->f, NULL, 0, NULL, 0, &sp->err);
    return NULL;
}

static void test_group_fuel_from_two_threads(void **state)
{
    const int64_t budget = 5 * WB_GROUP_FUEL_SLICE + 12345;
    wb_group *g = wb_group_new(1ull << 30, budget);
    assert_non_null(g);
    wb_module *m = load("spin.wasm");
    spinner sp[2];
    pthread_t t[2];
    for (int i = 0; i < 2; i++) {
        memset(&sp[i], 0, sizeof sp[i]);
        assert_int_equal(wb_store_new(NULL, &sp[i].s, NULL), WB_OK);
        assert_int_equal(wb_store_join_group(sp[i].s, g, NULL), WB_OK);
        wb_instance *inst;
        wb_linker *l = wb_linker_new();
        assert_int_equal(wb_instantiate(sp[i].s, m, l, &inst, NULL), WB_OK);
        wb_linker_free(l);
        sp[i].f = wb_instance_func(inst, "_start");
    }
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, spin_main, &sp[i]), 0);
    int64_t used = 0;
    for (int i = 0; i < 2; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(sp[i].st, WB_E_TRAP);
        assert_int_equal(sp[i].err.trap, WB_TRAP_FUEL);
        used += wb_store_fuel_used(sp[i].s);
    }
    /* every unit drawn was used, none twice, and no more than the budget */
    assert_int_equal(used, budget);
    assert_int_equal(wb_group_fuel_used(g), budget);
    for (int i = 0; i < 2; i++)
        wb_store_free(sp[i].s);
    assert_int_equal(wb_group_fuel_used(g), budget);
    wb_group_release(g);
    wb_module_release(m);
}

static void test_group_gives_back_unused_fuel(void **state)
{
    wb_group *g = wb_group_new(1ull << 30, 10 * WB_GROUP_FUEL_SLICE);
    wb_module *m = load("pfork.wasm");
    host *p = start(m, g);
    assert_int_equal(call2(p, "run", 1, 0, 1), WB_OK);
    int64_t used = wb_store_fuel_used(p->s) + wb_store_fuel_used(p->child->s);
    assert_true(used > 0 && used < 1000);
    /* a slice drawn by the parent, none yet by the child */
    assert_int_equal(wb_group_fuel_used(g), wb_store_fuel_used(p->s) +
                     (WB_GROUP_FUEL_SLICE - wb_store_fuel_used(p->s)) + 1);
    finish(p);
    assert_int_equal(wb_group_fuel_used(g), used);
    wb_group_release(g);
    wb_module_release(m);
}

static void test_group_memory_summed(void **state)
{
    const uint64_t page = 65536, table = 2 * 8;  /* pfork: 1 page, 2 refs */
    wb_group *g = wb_group_new(3 * page, -1);
    wb_module *m = load("pfork.wasm");
    host *a = start(m, g), *b = start(m, g);
    assert_int_equal(wb_group_memory(g), 2 * (page + table));
    wb_memory *ma = wb_instance_memory(a->inst, "mem");
    /* a's own limit (4 GiB) allows it; the group's does not */
    assert_int_equal(wb_memory_grow(ma, 1), -1);
    assert_int_equal(wb_group_memory(g), 2 * (page + table));
    finish(b);
    assert_int_equal(wb_group_memory(g), page + table);
    assert_int_equal(wb_memory_grow(ma, 1), 1);
    assert_int_equal(wb_group_memory(g), 2 * page + table);
    /* a store that does not fit is refused whole */
    wb_store *c;
    wb_memory *big;
    assert_int_equal(wb_store_new(NULL, &c, NULL), WB_OK);
    assert_int_equal(wb_memory_new(c, 2, 0, false, &big, NULL), WB_OK);
    assert_int_equal(wb_store_join_group(c, g, NULL), WB_E_LIMIT);
    wb_store_free(c);
    assert_int_equal(wb_group_peak_memory(g), 2 * (page + table));
    finish(a);
    assert_int_equal(wb_group_memory(g), 0);
    wb_group_release(g);
    wb_module_release(m);
}

static void test_fork_charges_the_group(void **state)
{
    const uint64_t page = 65536, table = 2 * 8;
    wb_group *g = wb_group_new(5 * page, -1);
    wb_module *m = load("pfork.wasm");
    host *p = start(m, g);
    assert_int_equal(call2(p, "run", 2, 0, 1), WB_OK);
    assert_int_equal(p->fork_st, WB_OK);
    /* parent and child: 2 pages each (run grows by one) */
    assert_int_equal(wb_group_memory(g), 2 * (2 * page + table));
    finish(p->child);
    p->child = NULL;
    assert_int_equal(wb_group_memory(g), 2 * page + table);
    /* a second child would not fit beside a third copy */
    wb_memory *mp = wb_instance_memory(p->inst, "mem");
    assert_int_equal(wb_memory_grow(mp, 1), 2);
    assert_int_equal(call2(p, "run", 2, 0, 1), WB_OK);
    assert_int_equal(p->fork_st, WB_E_LIMIT);
    assert_null(p->child);
    assert_int_equal(wb_group_memory(g), 4 * page + table);
    finish(p);
    wb_group_release(g);
    wb_module_release(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parent_and_child_diverge),
        cmocka_unit_test(test_sparse_memory_copied),
        cmocka_unit_test(test_child_of_child),
        cmocka_unit_test(test_refused_from_reentry),
        cmocka_unit_test(test_child_traps),
        cmocka_unit_test(test_child_runs_out_of_fuel),
        cmocka_unit_test(test_child_interrupted),
        cmocka_unit_test(test_child_exits),
        cmocka_unit_test(test_resume_checks_results),
        cmocka_unit_test(test_group_fuel_from_two_threads),
        cmocka_unit_test(test_group_gives_back_unused_fuel),
        cmocka_unit_test(test_group_memory_summed),
        cmocka_unit_test(test_fork_charges_the_group),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
