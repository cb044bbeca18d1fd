/* group_native.c: compiled code draws its fuel from a group (group.c)
 * like the interpreter: two stores of one group, each on its own thread,
 * spin in a loop and a recursion until the group's budget is spent; both
 * end with the fuel trap, and the fuel they used adds up to the budget
 * (every unit drawn, none twice). The engine's internals, so linked with
 * libwasmbox.a, and run from beside the native plugin, which the engine
 * looks for beside the program. Usage: group_native SPIN.wasm (exports
 * spin and rec); prints "ok". */
#include "wasmbox.h"
#include "engine/engine.h"
#include "engine/native.h"
#include <pthread.h>
#include <stdio.h>
#include <string.h>

typedef struct runner {
    wb_store *s;
    wb_func *f;
    wb_status st;
    wb_error e;
} runner;

static void *run(void *arg)
{
    runner *r = arg;
    r->st = wb_func_call(r->s, r->f, NULL, 0, NULL, 0, &r->e);
    return NULL;
}

static int fail(const char *what, const wb_error *e)
{
    printf("%s: %s\n", what, e ? e->message : "");
    return 1;
}

int main(int argc, char **argv)
{
    wb_module *m;
    wb_error e = { 0 };
    if (argc != 2)
        return fail("usage: group_native MODULE", NULL);
    if (wb_module_load(argv[1], &m, &e) || wb_native_compile_module(m, 1, &e))
        return fail("set-up", &e);
    const int64_t budget = 7 * WB_GROUP_FUEL_SLICE + 999;
    wb_group *g = wb_group_new(1ull << 30, budget);
    const char *fn[2] = { "spin", "rec" };
    runner r[2];
    pthread_t t[2];
    for (int i = 0; i < 2; i++) {
        wb_instance *inst;
        wb_linker *l = wb_linker_new();
        memset(&r[i], 0, sizeof r[i]);
        if (!g || !l || wb_store_new(NULL, &r[i].s, &e) ||
            wb_store_join_group(r[i].s, g, &e) ||
            wb_instantiate(r[i].s, m, l, &inst, &e))
            return fail("store", &e);
        wb_linker_free(l);
        r[i].f = wb_instance_func(inst, fn[i]);
        if (pthread_create(&t[i], NULL, run, &r[i]))
            return fail("thread", NULL);
    }
    int64_t used = 0;
    for (int i = 0; i < 2; i++) {
        pthread_join(t[i], NULL);
        if (r[i].st != WB_E_TRAP || r[i].e.trap != WB_TRAP_FUEL)
            return fail(fn[i], &r[i].e);
        used += wb_store_fuel_used(r[i].s);
    }
    if (used != budget || wb_group_fuel_used(g) != budget) {
        printf("fuel used %lld by the stores, %lld by the group, budget %lld\n",
               (long long)used, (long long)wb_group_fuel_used(g),
               (long long)budget);
        return 1;
    }
    for (int i = 0; i < 2; i++)
        wb_store_free(r[i].s);
    wb_group_release(g);
    wb_module_release(m);
    puts("ok");
    return 0;
}
