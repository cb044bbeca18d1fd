/* store.c: the store owns every runtime object and the execution stack;
 * everything is released in one place, wb_store_free. */
#include "runtime.h"
#include "prefault.h"
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* Value stack of the interpreter. NORESERVE: untouched slots cost nothing,
 * so a generous size is free for shallow programs. */
#define WB_STACK_BYTES (16u << 20)
#define WB_STACK_FREE (64u << 10)       /* see wb_rt_stack_grow */

void wb_limits_default(wb_limits *l)
{
    if (!l)
        return;
    l->max_memory = 4ull << 30;
    l->max_call_depth = 10000;
    l->max_instances = 10000;
    l->fuel = -1;
}

void *wb_rt_grow_array(void *arr, size_t n, size_t *cap, size_t elsize)
{
    if (n < *cap)
        return arr;
    size_t ncap = *cap ? *cap * 2 : 8;
    if (ncap > SIZE_MAX / elsize)
        return NULL;
    void *p = realloc(arr, ncap * elsize);
    if (p)
        *cap = ncap;
    return p;
}

static bool alloc_stack(wb_store *s)
{
    void *p = wb_pool_take(WB_STACK_BYTES, WB_POOL_STACK, NULL);
    if (!p)
        p = mmap(NULL, WB_STACK_BYTES, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return false;
    s->stack = p;
    s->stack_end = s->stack + WB_STACK_BYTES / sizeof *s->stack;
    s->stack_limit = s->stack + WB_STACK_FREE / sizeof *s->stack;
    return true;
}

/* The value stack is the guest's memory once deep calls reach into it:
 * past its first WB_STACK_FREE bytes (left uncharged like the store's
 * other bookkeeping, so that a budget of a few pages still runs calls),
 * the part up to `need` is charged to the store's budget (its group's
 * too) in steps of WB_STACK_FREE, and stays charged until the store is
 * freed, as touched pages stay resident. False when `need` is past the
 * stack or the budget refuses: the caller traps "call stack exhausted". */
bool wb_rt_stack_grow(wb_store *s, const uint64_t *need)
{
    if (need <= s->stack_limit)
        return true;
    if (need > s->stack_end)
        return false;
    size_t used = (size_t)(need - s->stack) * sizeof *s->stack;
    size_t want = (used + WB_STACK_FREE - 1) / WB_STACK_FREE * WB_STACK_FREE;
    size_t have = (size_t)(s->stack_limit - s->stack) * sizeof *s->stack;
    if (want > WB_STACK_BYTES)
        want = WB_STACK_BYTES;
    if (wb_rt_account(s, (int64_t)(want - have)) != WB_OK)
        return false;
    s->stack_limit = s->stack + want / sizeof *s->stack;
    return true;
}

wb_status wb_store_new(const wb_limits *limits, wb_store **out,
                       wb_error *err)
{
    if (!out)
        return wb_err_set(err, WB_E_ARG, "wb_store_new: out is NULL");
    wb_store *s = calloc(1, sizeof *s);
    if (!s)
        return wb_err_set(err, WB_E_NOMEM, "out of memory for a store");
    if (limits)
        s->limits = *limits;
    else
        wb_limits_default(&s->limits);
    atomic_init(&s->interrupt, 0);
    wb_store_set_fuel(s, s->limits.fuel);
    s->max_depth = s->limits.max_call_depth;
    /* Spare frames let host re-entries unwind without a bounds check. */
    /* Frames are written before they are read; only frame 0 (the caller
     * of a top-level call) needs a defined value. */
    s->frames = malloc(((size_t)s->max_depth + 16) * sizeof *s->frames);
    if (s->frames)
        memset(&s->frames[0], 0, sizeof s->frames[0]);
    if (!s->frames || !alloc_stack(s)) {
        wb_store_free(s);
        return wb_err_set(err, WB_E_NOMEM, "out of memory for a store stack");
    }
    *out = s;
    return WB_OK;
}

static void release_resources(wb_store *s)
{
    for (size_t i = 0; i < s->nmems; i++)
        wb_mem_release(s->mems[i]);
    for (size_t i = 0; i < s->ntables; i++)
        free(s->tables[i]->elems);
    for (size_t i = 0; i < s->ninsts; i++)
        wb_module_release(s->insts[i]->module);
    for (size_t i = 0; i < s->nobjs; i++)
        free(s->objs[i]);
}

void wb_store_free(wb_store *s)
{
    if (!s)
        return;
    wb_group_leave(s);
    release_resources(s);
    free(s->mems);
    free(s->tables);
    free(s->insts);
    free(s->objs);
    if (s->stack) {
        /* the charged pages past the first ones leave with the charge */
        size_t deep = (size_t)(s->stack_limit - s->stack) * sizeof *s->stack;
        if (deep > WB_STACK_FREE)
            madvise((char *)s->stack + WB_STACK_FREE, deep - WB_STACK_FREE,
                    MADV_DONTNEED);
        wb_pool_give(s->stack, WB_STACK_BYTES, 0, WB_POOL_STACK, false);
    }
    free(s->frames);
    free(s);
}

/* Large objects (an instance's function records, a table's elements) are
 * written whole right away: their pages are mapped in one call. */
void *wb_rt_alloc(wb_store *s, size_t n)
{
    void **objs = wb_rt_grow_array(s->objs, s->nobjs, &s->cap_objs,
                                   sizeof *s->objs);
    if (!objs)
        return NULL;
    s->objs = objs;
    void *p = wb_calloc_prefault(1, n ? n : 1);
    if (p)
        s->objs[s->nobjs++] = p;
    return p;
}

bool wb_rt_own_memory(wb_store *s, wb_memory *m)
{
    wb_memory **a = wb_rt_grow_array(s->mems, s->nmems, &s->cap_mems,
                                     sizeof *s->mems);
    if (!a)
        return false;
    s->mems = a;
    s->mems[s->nmems++] = m;
    return true;
}

bool wb_rt_own_table(wb_store *s, wb_table *t)
{
    wb_table **a = wb_rt_grow_array(s->tables, s->ntables, &s->cap_tables,
                                    sizeof *s->tables);
    if (!a)
        return false;
    s->tables = a;
    s->tables[s->ntables++] = t;
    return true;
}

bool wb_rt_own_instance(wb_store *s, wb_instance *inst)
{
    wb_instance **a = wb_rt_grow_array(s->insts, s->ninsts, &s->cap_insts,
                                       sizeof *s->insts);
    if (!a)
        return false;
    s->insts = a;
    s->insts[s->ninsts++] = inst;
    wb_module_retain(inst->module);
    return true;
}

/* A refused charge leaves mem_used untouched, so callers just bail out. */
wb_status wb_rt_account(wb_store *s, int64_t delta)
{
    if (delta > 0) {
        uint64_t d = (uint64_t)delta;
        if (s->mem_used > s->limits.max_memory ||
            d > s->limits.max_memory - s->mem_used)
            return WB_E_LIMIT;
        if (s->group && !wb_group_charge(s->group, delta))
            return WB_E_LIMIT;
        s->mem_used += d;
        if (s->mem_used > s->mem_peak)
            s->mem_peak = s->mem_used;
    } else {
        uint64_t d = (uint64_t)0 - (uint64_t)delta;
        if (d > s->mem_used)
            d = s->mem_used;
        if (s->group)
            wb_group_charge(s->group, -(int64_t)d);
        s->mem_used -= d;
    }
    return WB_OK;
}

void wb_store_interrupt(wb_store *s)
{
    if (s)
        atomic_store(&s->interrupt, 1);
}

void wb_store_clear_interrupt(wb_store *s)
{
    if (s)
        atomic_store(&s->interrupt, 0);
}

/* A store whose fuel comes from a group (wb_store_join_group) keeps
 * drawing from it: a budget of its own would escape the group's. */
void wb_store_set_fuel(wb_store *s, int64_t fuel)
{
    if (!s || wb_group_fuel_limited(s->group))
        return;
    s->fuel = fuel < 0 ? INT64_MAX : fuel;
    s->fuel_start = s->fuel;
}

int64_t wb_store_fuel_used(const wb_store *s)
{
    if (!s || s->fuel_start == INT64_MAX)
        return 0;
    return s->fuel_start - s->fuel;
}

uint64_t wb_store_peak_memory(const wb_store *s)
{
    return s ? s->mem_peak : 0;
}

void wb_store_set_user(wb_store *s, void *user)
{
    if (s)
        s->user = user;
}

void *wb_store_user(const wb_store *s)
{
    return s ? s->user : NULL;
}
