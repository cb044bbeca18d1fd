/*
 * native_rt.c: the run-time side of the native tier (native.h): entering
 * compiled code, and the helpers it calls for what is not arithmetic or
 * control flow. Helpers follow the interpreter's handlers (interp.c) so
 * both tiers trap, charge fuel and report the same way.
 *
 * A trap unwinds with siglongjmp to the innermost wb_native_call: compiled
 * frames hold no host state (no locks, no allocations), so dropping them
 * is safe. Memory accesses use the guard regions (memory.c) unless the
 * build checks bounds (WB_BOUNDS_CHECKS): a fault inside the activation's
 * memory reservation, while compiled code (not a host function) runs,
 * unwinds the same way as the trap "out of bounds memory access".
 */
#include "native.h"
#include "runtime.h"
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <ucontext.h>
#include <unistd.h>

/* One activation of compiled code on this thread. */
typedef struct nat_act {
    sigjmp_buf jb;
    wb_status st;
    wb_error e;
    uint32_t base_depth;        /* s->depth at entry */
    wb_nctx *ctx;
    uintptr_t mem_lo, mem_hi;   /* memory 0's reservation */
    volatile sig_atomic_t out;  /* in a host or interpreted callee */
    volatile sig_atomic_t fault;
} nat_act;

static _Thread_local nat_act *tl_act;
static _Thread_local uintptr_t tl_stack_limit;

/* The initial thread's stack, as pthread_getattr_np finds it, without
 * reading /proc/self/maps (which that does for this thread: about 5% of
 * the CPU time of a cached hello-world's whole process). The mapping
 * ends at the first page above the initial stack pointer that mincore
 * says is unmapped (one to three calls: the arguments and environment
 * lie above it); the stack may grow down to RLIMIT_STACK below that end.
 * False (the caller asks glibc) for another thread's stack, a limit of
 * 64 MiB or more (the kernel keeps 128 MiB below the stack free of other
 * mappings, so a smaller stack never meets one; glibc also checks the
 * mapping below), or when mincore is refused. */
extern void *__libc_stack_end;

static bool initial_stack(void **lo, size_t *size)
{
    struct rlimit rl;
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t here = (uintptr_t)&rl;
    uintptr_t end = ((uintptr_t)__libc_stack_end & -page) + page;
    if (getrlimit(RLIMIT_STACK, &rl) || rl.rlim_cur >= (64u << 20) ||
        here >= end || here < end - rl.rlim_cur)
        return false;
    uintptr_t top = end;
    unsigned char in;
    while (top - end < rl.rlim_cur && mincore((void *)top, page, &in) == 0)
        top += page;
    if (top - end >= rl.rlim_cur || errno != ENOMEM)
        return false;
    *size = (rl.rlim_cur - (top - end)) & -page;
    *lo = (void *)(end - *size);
    return true;
}

bool wb_native_stack_bounds(void **lo, size_t *size)
{
    *lo = NULL;
    *size = 0;
    if (initial_stack(lo, size))
        return true;
    pthread_attr_t a;
    if (pthread_getattr_np(pthread_self(), &a) != 0)
        return false;
    pthread_attr_getstack(&a, lo, size);
    pthread_attr_destroy(&a);
    return *lo != NULL;
}

/* Compiled frames live on the thread's stack: the code checks its frame
 * address against this limit at every function entry, which leaves room
 * for host functions (and the C library under them) below the deepest
 * guest frame. */
static uintptr_t stack_limit(void)
{
    if (tl_stack_limit)
        return tl_stack_limit;
    void *lo;
    size_t size;
    /* another thread than the first reads /proc/self/maps: callers
     * prime it before the OS lock-down can hide /proc */
    wb_native_stack_bounds(&lo, &size);
    size_t margin = size / 8 > (256u << 10) ? size / 8 : (256u << 10);
    /* Unknown bounds: a limit that never trips would let recursion run
     * into the guard page, so refuse compiled code any depth instead. */
    tl_stack_limit = lo && size > margin ? (uintptr_t)lo + margin
                                         : UINTPTR_MAX;
    return tl_stack_limit;
}

void wb_native_prime_thread(void)
{
    stack_limit();
}

static __attribute__((noreturn)) void unwind(wb_status st)
{
    nat_act *a = tl_act;
    a->st = st;
    siglongjmp(a->jb, 1);
}

/* ---- the guest's call stack ------------------------------------------ */

static const wb_native_code *code_of(const wb_nctx *ctx)
{
    return atomic_load(&ctx->inst->module->native);
}

/* Compiled code is about to trap or call out: the store's frame records
 * and depth, from what it wrote into ctx (tr.c sync_frames). A function
 * that failed its entry check names no definition: its caller is the
 * top. */
static void frames_sync(wb_nctx *ctx)
{
    const wb_native_code *c = code_of(ctx);
    uint32_t def = ctx->top_def;
    uintptr_t fp = ctx->top_fp;
    if (def == UINT32_MAX && ctx->top_depth > tl_act->base_depth) {
        def = wb_native_def_at(c, ((const uintptr_t *)fp)[1]);
        fp = ((const uintptr_t *)fp)[0];
    }
    wb_native_frames(ctx->store, ctx->funcs, ctx->inst->module->nfunc_imports,
                     c, tl_act->base_depth, ctx->top_depth, def, fp);
}

/* ---- guard-region faults ------------------------------------------------ */

#if !WB_BOUNDS_CHECKS
/* The faulting instruction's address and frame pointer. */
static bool fault_regs(void *uc, uintptr_t *pc, uintptr_t *fp)
{
#if defined(__x86_64__)
    const mcontext_t *mc = &((ucontext_t *)uc)->uc_mcontext;
    *pc = (uintptr_t)mc->gregs[REG_RIP];
    *fp = (uintptr_t)mc->gregs[REG_RBP];
    return true;
#elif defined(__aarch64__)
    const mcontext_t *mc = &((ucontext_t *)uc)->uc_mcontext;
    *pc = (uintptr_t)mc->pc;
    *fp = (uintptr_t)mc->regs[29];
    return true;
#else
    (void)uc, (void)pc, (void)fp;
    return false;
#endif
}

/* The records of the frames from the faulting function up. */
static void fault_frames(nat_act *a, void *uc)
{
    uintptr_t pc, fp;
    const wb_native_code *c = code_of(a->ctx);
    uint32_t def = fault_regs(uc, &pc, &fp) ? wb_native_def_at(c, pc)
                                            : UINT32_MAX;
    if (def == UINT32_MAX)
        return;
    uint32_t n = wb_native_frames_count(c, fp, a->ctx->max_depth);
    wb_native_frames(a->ctx->store, a->ctx->funcs,
                     a->ctx->inst->module->nfunc_imports, c, a->base_depth,
                     a->base_depth + n, def, fp);
}
#endif

#if !WB_BOUNDS_CHECKS
static struct sigaction old_segv, old_bus;

static void on_fault(int sig, siginfo_t *si, void *uc)
{
    nat_act *a = tl_act;
    uintptr_t p = (uintptr_t)si->si_addr;
    if (a && !a->out && p >= a->mem_lo && p < a->mem_hi) {
        fault_frames(a, uc);
        a->st = WB_E_TRAP;
        a->fault = 1;
        siglongjmp(a->jb, 1);
    }
    /* Not compiled code's access: whoever handled it before (the
     * interpreter's handler, or the default action). */
    wb_fault_forward(sig, si, uc, sig == SIGSEGV ? &old_segv : &old_bus);
}

static pthread_once_t fault_once = PTHREAD_ONCE_INIT;

static void install_fault_handler(void)
{
    wb_fault_install(on_fault, &old_segv, &old_bus);
}
#endif

/* Compiled code calls out (a host function, another instance's code):
 * a fault there is not this activation's. */
static void leave(void) { tl_act->out = 1; }
static void back(void) { tl_act->out = 0; }

static __attribute__((noreturn)) void h_trap(wb_nctx *ctx, int kind)
{
    nat_act *a = tl_act;
    if (kind == WB_TRAP_FUEL)
        ctx->store->fuel = 0;
    frames_sync(ctx);
    wb_err_trap(&a->e, (wb_trap_kind)kind);
    wb_interp_backtrace(ctx->store, a->base_depth + 1, ctx->store->depth,
                        &a->e);
    unwind(WB_E_TRAP);
}

/* The fuel counter went below zero: a store of a group takes its next
 * slice (group.c) and goes on; otherwise the budget is spent. */
static void h_refuel(wb_nctx *ctx)
{
    if (!wb_store_refuel(ctx->store, 0))
        h_trap(ctx, WB_TRAP_FUEL);
}

/* The compiled code's one cold branch at a function entry or loop
 * header: the fuel check first, then the interrupt flag, in the order
 * the two checks had when each had a branch of its own. */
static void h_poll(wb_nctx *ctx)
{
    if (*ctx->fuel < 0)
        h_refuel(ctx);
    if (atomic_load_explicit(ctx->interrupt, memory_order_relaxed))
        h_trap(ctx, WB_TRAP_INTERRUPT);
}

/* Bulk operations pay for their length as in the interpreter. */
static void bulk_fuel(wb_nctx *ctx, uint64_t bytes)
{
    if ((ctx->store->fuel -= (int64_t)(bytes >> 6)) < 0)
        h_refuel(ctx);
}

/* ---- calls ---------------------------------------------------------------- */

/* A host function gets its arguments on the value stack, where the
 * interpreter would have them, so that a re-entry from the host finds
 * the stack as it expects (its frames start at stack_top). */
static void call_host(wb_nctx *ctx, wb_func *f, uint64_t *slots)
{
    wb_store *s = ctx->store;
    const wb_functype *t = f->type;
    uint32_t used = t->param_slots > t->result_slots ? t->param_slots
                                                     : t->result_slots;
    uint64_t *args = s->stack_top ? s->stack_top : s->stack;
    if (!wb_rt_stack_grow(s, args + used + 1))
        h_trap(ctx, WB_TRAP_STACK_EXHAUSTED);
    memcpy(args, slots, (size_t)t->param_slots * 8);
    frames_sync(ctx);
    leave();
    wb_status st = wb_interp_call_host(s, ctx->inst, f, args);
    back();
    if (st == WB_OK) {
        memcpy(slots, args, (size_t)t->result_slots * 8);
        return;
    }
    nat_act *a = tl_act;
    a->e = s->pending;
    if (a->e.status == WB_E_TRAP)
        wb_interp_backtrace(s, a->base_depth + 1, s->depth, &a->e);
    memset(&s->pending, 0, sizeof s->pending);
    unwind(st);
}

static void h_call_func(wb_nctx *ctx, wb_func *f, uint64_t *slots)
{
    if (f->host) {
        call_host(ctx, f, slots);
        return;
    }
    wb_error e = { 0 };
    frames_sync(ctx);
    leave();
    wb_status st = wb_interp_call(ctx->store, f, slots, &e);
    back();
    if (st != WB_OK) {
        tl_act->e = e;
        unwind(st);
    }
}

static void h_call_import(wb_nctx *ctx, uint32_t funcidx, uint64_t *slots)
{
    h_call_func(ctx, ctx->funcs[funcidx], slots);
}

static bool functype_eq(const wb_functype *a, const wb_functype *b)
{
    return a == b || (a->nparams == b->nparams && a->nresults == b->nresults &&
                      !memcmp(a->types, b->types, a->nparams + a->nresults));
}

/* call_indirect: the callee after the checks; its compiled function when
 * it is one of this instance's, else NULL (the caller goes through
 * h_call_func). */
static void *h_indirect(wb_nctx *ctx, uint32_t table, uint32_t type,
                        uint32_t idx, wb_func **out)
{
    wb_table *t = ctx->inst->tables[table];
    if (idx >= t->size)
        h_trap(ctx, WB_TRAP_UNDEFINED_ELEMENT);
    wb_func *f = t->elems[idx];
    if (!f)
        h_trap(ctx, WB_TRAP_UNINITIALIZED_ELEMENT);
    if (!functype_eq(f->type, &ctx->inst->module->types[type]))
        h_trap(ctx, WB_TRAP_INDIRECT_TYPE);
    *out = f;
    if (f->inst == ctx->inst && !f->host)
        return ctx->fns[f->funcidx - ctx->inst->module->nfunc_imports];
    return NULL;
}

/* ---- memory ------------------------------------------------------------- */

static uint32_t h_mem_grow(wb_nctx *ctx, uint32_t delta)
{
    return (uint32_t)wb_mem_grow(ctx->mem, delta);
}

static void h_mem_fill(wb_nctx *ctx, uint32_t d, uint32_t v, uint32_t n)
{
    if ((uint64_t)d + n > ctx->mem->size)
        h_trap(ctx, WB_TRAP_MEMORY_OOB);
    bulk_fuel(ctx, n);
    if (!wb_mem_bulk_fill(ctx->interrupt, ctx->mem->base + d,
                          (int)(uint8_t)v, n))
        h_trap(ctx, WB_TRAP_INTERRUPT);
}

static void h_mem_copy(wb_nctx *ctx, uint32_t d, uint32_t s, uint32_t n)
{
    uint64_t size = ctx->mem->size;
    if ((uint64_t)s + n > size || (uint64_t)d + n > size)
        h_trap(ctx, WB_TRAP_MEMORY_OOB);
    bulk_fuel(ctx, n);
    if (!wb_mem_bulk_move(ctx->interrupt, ctx->mem->base + d,
                          ctx->mem->base + s, n))
        h_trap(ctx, WB_TRAP_INTERRUPT);
}

static void h_mem_init(wb_nctx *ctx, uint32_t seg, uint32_t d, uint32_t s,
                       uint32_t n)
{
    wb_instance *inst = ctx->inst;
    if ((uint64_t)s + n > inst->data_len[seg] ||
        (uint64_t)d + n > ctx->mem->size)
        h_trap(ctx, WB_TRAP_MEMORY_OOB);
    bulk_fuel(ctx, n);
    if (n && !wb_mem_bulk_move(ctx->interrupt, ctx->mem->base + d,
                               inst->module->datas[seg].bytes + s, n))
        h_trap(ctx, WB_TRAP_INTERRUPT);
}

static void h_data_drop(wb_nctx *ctx, uint32_t seg)
{
    ctx->inst->data_len[seg] = 0;
}

/* ---- tables --------------------------------------------------------------- */

static uint64_t h_table_get(wb_nctx *ctx, uint32_t ti, uint32_t i)
{
    wb_table *t = ctx->inst->tables[ti];
    if (i >= t->size)
        h_trap(ctx, WB_TRAP_TABLE_OOB);
    return (uint64_t)(uintptr_t)t->elems[i];
}

static void h_table_set(wb_nctx *ctx, uint32_t ti, uint32_t i, uint64_t v)
{
    wb_table *t = ctx->inst->tables[ti];
    if (i >= t->size)
        h_trap(ctx, WB_TRAP_TABLE_OOB);
    t->elems[i] = (void *)(uintptr_t)v;
}

static uint32_t h_table_size(wb_nctx *ctx, uint32_t ti)
{
    return ctx->inst->tables[ti]->size;
}

static uint32_t h_table_grow(wb_nctx *ctx, uint32_t ti, uint64_t init,
                             uint32_t n)
{
    wb_table *t = ctx->inst->tables[ti];
    if ((uint64_t)t->size + n <= t->max)   /* else refused at once */
        bulk_fuel(ctx, (uint64_t)n * sizeof(void *));
    return (uint32_t)wb_table_grow(t, n, (void *)(uintptr_t)init);
}

static void h_table_fill(wb_nctx *ctx, uint32_t ti, uint32_t i, uint64_t v,
                         uint32_t n)
{
    wb_table *t = ctx->inst->tables[ti];
    if ((uint64_t)i + n > t->size)
        h_trap(ctx, WB_TRAP_TABLE_OOB);
    bulk_fuel(ctx, (uint64_t)n * sizeof(void *));
    for (uint64_t k = 0; k < n; k++)
        t->elems[i + k] = (void *)(uintptr_t)v;
}

static void h_table_copy(wb_nctx *ctx, uint32_t dt, uint32_t st, uint32_t d,
                         uint32_t s, uint32_t n)
{
    wb_table *td = ctx->inst->tables[dt], *ts = ctx->inst->tables[st];
    if ((uint64_t)s + n > ts->size || (uint64_t)d + n > td->size)
        h_trap(ctx, WB_TRAP_TABLE_OOB);
    bulk_fuel(ctx, (uint64_t)n * sizeof(void *));
    if (n)
        memmove(td->elems + d, ts->elems + s, (size_t)n * sizeof(void *));
}

static void h_table_init(wb_nctx *ctx, uint32_t ti, uint32_t seg, uint32_t d,
                         uint32_t s, uint32_t n)
{
    wb_instance *inst = ctx->inst;
    wb_table *t = inst->tables[ti];
    if ((uint64_t)s + n > inst->elem_len[seg] || (uint64_t)d + n > t->size)
        h_trap(ctx, WB_TRAP_TABLE_OOB);
    bulk_fuel(ctx, (uint64_t)n * sizeof(void *));
    if (n)
        memcpy(t->elems + d, inst->elem_refs[seg] + s,
               (size_t)n * sizeof(void *));
}

static void h_elem_drop(wb_nctx *ctx, uint32_t seg)
{
    ctx->inst->elem_len[seg] = 0;
}

const wb_native_helpers wb_native_helper_table = {
#if !WB_BOUNDS_CHECKS
    .guard_reserve = WB_GUARD_RESERVE_BYTES,
#endif
    .trap = h_trap,
    .call_import = h_call_import,
    .call_func = h_call_func,
    .indirect = h_indirect,
    .mem_grow = h_mem_grow,
    .mem_fill = h_mem_fill,
    .mem_copy = h_mem_copy,
    .mem_init = h_mem_init,
    .data_drop = h_data_drop,
    .table_get = h_table_get,
    .table_set = h_table_set,
    .table_size = h_table_size,
    .table_grow = h_table_grow,
    .table_fill = h_table_fill,
    .table_copy = h_table_copy,
    .table_init = h_table_init,
    .elem_drop = h_elem_drop,
    .poll = h_poll,
};

/* ---- entry ------------------------------------------------------------- */

static wb_nctx *ctx_of(wb_store *s, wb_instance *inst)
{
    if (inst->native_ctx)
        return inst->native_ctx;
    wb_nctx *c = wb_rt_alloc(s, sizeof *c);
    if (!c)
        return NULL;
    c->store = s;
    c->inst = inst;
    c->mem = inst->module->nmems ? inst->mems[0] : NULL;
    c->fns = (void *const *)atomic_load(&inst->module->native)->fns;
    c->globals = inst->globals;
    c->funcs = inst->funcs;
    c->fuel = &s->fuel;
    c->interrupt = &s->interrupt;
    c->depth = &s->depth;
    c->tables = inst->tables;
    c->types = inst->module->types;
    c->helpers = &wb_native_helper_table;
    inst->native_ctx = c;
    return c;
}

wb_status wb_native_call(wb_store *s, wb_func *f, uint64_t *slots,
                         wb_error *err)
{
    wb_instance *inst = f->inst;
    wb_native_code *code = atomic_load(&inst->module->native);
    wb_nctx *ctx = ctx_of(s, inst);
    if (!ctx)
        return wb_err_set(err, WB_E_NOMEM, "out of memory");
    /* the code leaves bounds to the guard region: it must be there */
    if (ctx->mem && ctx->mem->reserved < wb_native_helper_table.guard_reserve)
        return wb_err_set(err, WB_E_IMPL_LIMIT, "native tier: memory "
                          "without its guard region");
    ctx->max_depth = s->max_depth ? s->max_depth : s->limits.max_call_depth;
    ctx->stack_limit = stack_limit();

    /* State the unwinding path restores, fixed before sigsetjmp. */
    nat_act act;
    nat_act *const saved_act = tl_act;
    const uint32_t saved_depth = s->depth;
    act.base_depth = saved_depth;
    act.ctx = ctx;
    act.out = act.fault = 0;
    act.mem_lo = act.mem_hi = 0;
    if (ctx->mem) {
        act.mem_lo = (uintptr_t)ctx->mem->base;
        act.mem_hi = act.mem_lo + ctx->mem->reserved;
    }
#if !WB_BOUNDS_CHECKS
    pthread_once(&fault_once, install_fault_handler);
#endif
    memset(&act.e, 0, sizeof act.e);
    if (s->depth == 0)
        s->frames[0].func = f;
    wb_status st = WB_OK;
    if (sigsetjmp(act.jb, 0) == 0) {
        tl_act = &act;
        code->entries[f->funcidx - inst->module->nfunc_imports](ctx, slots);
    } else {
        st = act.st;
        if (act.fault) {            /* a guard page, from the code itself */
            wb_err_trap(&act.e, WB_TRAP_MEMORY_OOB);
            wb_interp_backtrace(s, saved_depth + 1, s->depth, &act.e);
        }
        if (err)
            *err = act.e;
    }
    tl_act = saved_act;
    s->depth = saved_depth;
    return st;
}

void wb_native_release(wb_module *m)
{
    wb_native_code_free(atomic_load(&m->native));
    atomic_store(&m->native, NULL);
}
