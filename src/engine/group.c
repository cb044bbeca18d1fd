/*
 * group.c: a budget shared by several stores (a tree of guest processes,
 * each running on its own thread): their memories and tables are summed
 * against one limit, and their fuel comes from one budget.
 *
 * Nothing here is on the interpreter's path. Memory is charged when a
 * store grows (wb_rt_account), with a compare-and-swap on the group's
 * total. Fuel is drawn in slices: a store runs on its own counter as
 * before, and only when that counter goes below zero does it take the
 * next slice from the group (wb_store_refuel, from the trap paths of both
 * tiers). A store can therefore run at most one slice past the moment the
 * budget is spent by the others, and the group's budget is never
 * exceeded by more than what the last instruction charged; a store freed
 * gives back what it had not used of its slice.
 */
#include "runtime.h"
#include <stdlib.h>

struct wb_group {
    _Atomic uint32_t refs;
    uint64_t max_memory;
    _Atomic uint64_t mem_used, mem_peak;
    bool fuel_limited;
    int64_t fuel_budget;
    _Atomic int64_t fuel_left;         /* not yet drawn by a store */
};

wb_group *wb_group_new(uint64_t max_memory, int64_t fuel)
{
    wb_group *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    atomic_init(&g->refs, 1);
    g->max_memory = max_memory;
    g->fuel_limited = fuel >= 0;
    g->fuel_budget = fuel < 0 ? 0 : fuel;
    atomic_init(&g->fuel_left, g->fuel_budget);
    return g;
}

void wb_group_release(wb_group *g)
{
    if (g && atomic_fetch_sub(&g->refs, 1) == 1)
        free(g);
}

static void raise_peak(wb_group *g, uint64_t used)
{
    uint64_t peak = atomic_load(&g->mem_peak);
    while (used > peak &&
           !atomic_compare_exchange_weak(&g->mem_peak, &peak, used))
        ;
}

bool wb_group_charge(wb_group *g, int64_t delta)
{
    uint64_t cur = atomic_load(&g->mem_used), next;
    do {
        if (delta >= 0) {
            if (cur > g->max_memory || (uint64_t)delta > g->max_memory - cur)
                return false;
            next = cur + (uint64_t)delta;
        } else {
            uint64_t d = (uint64_t)0 - (uint64_t)delta;
            next = d > cur ? 0 : cur - d;
        }
    } while (!atomic_compare_exchange_weak(&g->mem_used, &cur, next));
    raise_peak(g, next);
    return true;
}

/* Up to `want` units from the budget; 0 once it is spent. */
static int64_t draw(wb_group *g, int64_t want)
{
    int64_t cur = atomic_load(&g->fuel_left), take;
    do {
        if (cur <= 0)
            return 0;
        take = cur < want ? cur : want;
    } while (!atomic_compare_exchange_weak(&g->fuel_left, &cur, cur - take));
    return take;
}

bool wb_store_refuel(wb_store *s, int64_t need)
{
    wb_group *g = s->group;
    if (g && g->fuel_limited) {
        /* what the store lacks for the charge in progress (a bulk
         * operation may charge more than a slice at once), then a slice */
        int64_t lack = need - s->fuel;
        int64_t want = lack > INT64_MAX - WB_GROUP_FUEL_SLICE
                       ? INT64_MAX : lack + WB_GROUP_FUEL_SLICE;
        int64_t got = draw(g, want);
        s->fuel_start += got;
        s->fuel += got;
        if (s->fuel >= need)
            return true;
    }
    s->fuel = 0;
    return false;
}

wb_status wb_store_join_group(wb_store *s, wb_group *g, wb_error *err)
{
    if (!s || !g)
        return wb_err_set(err, WB_E_ARG, "wb_store_join_group: NULL "
                          "argument");
    if (s->group == g)
        return WB_OK;
    if (s->group)
        return wb_err_set(err, WB_E_ARG, "the store is in another group");
    if (!wb_group_charge(g, (int64_t)s->mem_used))
        return wb_err_set(err, WB_E_LIMIT, "memory limit exceeded: %llu "
                          "more bytes, %llu of %llu in use",
                          (unsigned long long)s->mem_used,
                          (unsigned long long)wb_group_memory(g),
                          (unsigned long long)g->max_memory);
    atomic_fetch_add(&g->refs, 1);
    s->group = g;
    if (g->fuel_limited)        /* the first slice is drawn at first use */
        s->fuel = s->fuel_start = 0;
    return WB_OK;
}

void wb_group_leave(wb_store *s)
{
    wb_group *g = s->group;
    if (!g)
        return;
    wb_group_charge(g, -(int64_t)s->mem_used);
    if (g->fuel_limited && s->fuel > 0)
        atomic_fetch_add(&g->fuel_left, s->fuel);
    s->group = NULL;
    wb_group_release(g);
}

uint64_t wb_group_memory(const wb_group *g)
{
    return g ? atomic_load(&((wb_group *)g)->mem_used) : 0;
}

uint64_t wb_group_peak_memory(const wb_group *g)
{
    return g ? atomic_load(&((wb_group *)g)->mem_peak) : 0;
}

void wb_group_reset_peak(wb_group *g)
{
    if (g)
        atomic_store(&g->mem_peak, atomic_load(&g->mem_used));
}

int64_t wb_group_fuel_used(const wb_group *g)
{
    if (!g || !g->fuel_limited)
        return 0;
    return g->fuel_budget - atomic_load(&((wb_group *)g)->fuel_left);
}

bool wb_group_fuel_limited(const wb_group *g)
{
    return g && g->fuel_limited;
}
