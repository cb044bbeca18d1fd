/*
 * plan.c: splits a module's definitions into work units and orders them.
 *
 * A unit is one LLVM module, optimised and emitted as one object by one
 * thread; the threads take units from a shared queue, largest first, so
 * that the most expensive one never starts last and leaves one core busy
 * alone at the end (the old split into one module per thread did that:
 * a huge function, such as an Asyncify'd interpreter loop, kept its
 * thread busy for minutes after the other had finished). Units are runs
 * of consecutive definitions, which are usually one source file's, so
 * most calls stay direct within a unit; a definition of NT_BIG_BYTES or
 * more is a unit of its own, and is optimised with a lighter pipeline
 * (nt_unit_pipeline, passes.c).
 *
 * Knobs for whoever measures the compiler (docs/native-tier.md):
 * WB_NT_UNIT_BYTES sets the target unit size (1: one function per unit),
 * WB_NT_PIPELINE and WB_NT_BIG_PIPELINE the pipelines (passes.c),
 * WB_NT_PROFILE=N
 * prints the N most expensive units to stderr.
 */
#include "nt.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A definition's cost estimate: its body, plus a little per function
 * (prologue, entry wrapper). */
static uint64_t cost(const wb_module *wm, uint32_t d)
{
    return wm->funcdefs[d].body_len + 64;
}

static uint64_t env_u64(const char *name, uint64_t dflt)
{
    const char *s = getenv(name);
    char *end = NULL;
    unsigned long long v = s && *s ? strtoull(s, &end, 10) : 0;
    return s && *s && end && !*end && v ? v : dflt;
}

/* The unit size: enough units for the queue to balance the threads (about
 * eight per thread), few enough that calls mostly stay direct. */
static uint64_t unit_target(uint64_t total, unsigned nthreads)
{
    uint64_t t = total / ((uint64_t)nthreads * 8 + 1);
    uint64_t share = (total + nthreads - 1) / nthreads;
    t = t < 16384 ? 16384 : t > 262144 ? 262144 : t;
    t = t > share ? share : t;      /* at least a unit per thread */
    return env_u64("WB_NT_UNIT_BYTES", t);
}

static int by_cost_desc(const void *a, const void *b)
{
    const nt_unit *x = *(nt_unit *const *)a, *y = *(nt_unit *const *)b;
    return x->bytes < y->bytes ? 1 : x->bytes > y->bytes ? -1
         : (x->first > y->first) - (x->first < y->first);
}

wb_status nt_plan(nt_plan_t *p, const wb_module *wm, unsigned nthreads,
                  wb_error *err)
{
    uint32_t ndefs = wm->nfuncs - wm->nfunc_imports;
    uint64_t total = 0;
    for (uint32_t d = 0; d < ndefs; d++)
        total += cost(wm, d);
    uint64_t target = unit_target(total, nthreads);
    p->units = calloc(ndefs ? ndefs : 1, sizeof *p->units);
    p->queue = calloc(ndefs ? ndefs : 1, sizeof *p->queue);
    if (!p->units || !p->queue)
        return wb_err_set(err, WB_E_NOMEM, "out of memory");
    p->nunits = 0;
    for (uint32_t d = 0; d < ndefs; d++) {
        uint64_t c = cost(wm, d);
        nt_unit *u = p->nunits ? &p->units[p->nunits - 1] : NULL;
        bool big = wm->funcdefs[d].body_len >= NT_BIG_BYTES;
        if (!u || big || u->big || u->bytes + c > target) {
            u = &p->units[p->nunits++];
            u->first = d;
            u->big = big;
        }
        u->count++;
        u->bytes += c;
    }
    for (uint32_t i = 0; i < p->nunits; i++)
        p->queue[i] = &p->units[i];
    qsort(p->queue, p->nunits, sizeof *p->queue, by_cost_desc);
    return WB_OK;
}

void nt_plan_free(nt_plan_t *p)
{
    free(p->units);
    free(p->queue);
}

static int by_time_desc(const void *a, const void *b)
{
    const nt_unit *x = *(nt_unit *const *)a, *y = *(nt_unit *const *)b;
    uint64_t tx = x->ns[0] + x->ns[1] + x->ns[2];
    uint64_t ty = y->ns[0] + y->ns[1] + y->ns[2];
    return tx < ty ? 1 : tx > ty ? -1 : 0;
}

static double ms(uint64_t ns) { return (double)ns / 1e6; }

/* WB_NT_PROFILE=N: the phases' totals and the N most expensive units
 * (CPU time of the thread that compiled each), on stderr. */
void nt_plan_report(nt_plan_t *p, const wb_module *wm, uint64_t code_len)
{
    uint64_t n = env_u64("WB_NT_PROFILE", 0), sum[3] = { 0 };
    if (!n)
        return;
    for (uint32_t i = 0; i < p->nunits; i++)
        for (int k = 0; k < 3; k++)
            sum[k] += p->units[i].ns[k];
    fprintf(stderr, "native compile: %u units, CPU ms: translate %.0f, "
            "optimise %.0f, emit %.0f; code %llu bytes; LLVM options:",
            p->nunits, ms(sum[0]), ms(sum[1]), ms(sum[2]),
            (unsigned long long)code_len);
    for (const char *const *o = nt_target_llvm_options(); *o; o++)
        fprintf(stderr, " %s", *o);
    fputc('\n', stderr);
    qsort(p->queue, p->nunits, sizeof *p->queue, by_time_desc);
    fprintf(stderr, "%8s %6s %8s %8s %8s %9s %9s %9s  %s\n", "ms", "funcs",
            "bytes", "wasm-ins", "ir-ins", "translate", "optimise", "emit",
            "first function");
    for (uint32_t i = 0; i < p->nunits && i < n; i++) {
        const nt_unit *u = p->queue[i];
        uint32_t fi = u->first + wm->nfunc_imports;
        const char *name = wm->func_names ? wm->func_names[fi] : NULL;
        char big[96] = "";
        if (u->big)
            snprintf(big, sizeof big, " [big: %s]", nt_unit_pipeline_name(u));
        fprintf(stderr, "%8.0f %6u %8llu %8llu %8llu %9.0f %9.0f %9.0f  "
                "%u %s%s\n", ms(u->ns[0] + u->ns[1] + u->ns[2]), u->count,
                (unsigned long long)u->bytes, (unsigned long long)u->ninstr,
                (unsigned long long)u->ir_instr, ms(u->ns[0]), ms(u->ns[1]),
                ms(u->ns[2]), fi, name ? name : "", big);
    }
}
