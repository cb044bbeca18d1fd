/*
 * interp.c: runs internal code with direct threading (computed goto).
 *
 * Each instruction is a handler address followed by operand cells; the
 * handler reads frame slots by byte offset and jumps straight to the next
 * handler. Calls between wasm functions never recurse on the native stack:
 * frames live in store->frames, values in store->stack, and a callee's
 * frame starts where its caller placed the arguments.
 *
 * Traps jump to one exit path. The only longjmp is from the SIGSEGV
 * handler, when a guest access lands in a memory's guard region (64-bit
 * hosts reserve 8 GiB + 64 KiB per memory, so no bounds check is needed).
 */
#include "engine.h"
#include "native.h"
#include "ops.h"
#include "simd_lanes.h"
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- guard-region faults ------------------------------------------------ */

static _Thread_local sigjmp_buf *tl_jmp;       /* innermost wasm activation */
static _Thread_local uintptr_t tl_mem_lo, tl_mem_hi;
static _Thread_local bool tl_in_host;
#if !WB_BOUNDS_CHECKS
static struct sigaction old_segv, old_bus;

static void on_fault(int sig, siginfo_t *si, void *uc)
{
    uintptr_t a = (uintptr_t)si->si_addr;
    if (tl_jmp && !tl_in_host && a >= tl_mem_lo && a < tl_mem_hi)
        siglongjmp(*tl_jmp, 1);
    /* Not a guest access: hand over to whoever handled it before. */
    wb_fault_forward(sig, si, uc, sig == SIGSEGV ? &old_segv : &old_bus);
}

static pthread_once_t fault_once = PTHREAD_ONCE_INIT;

static void install_fault_handler(void)
{
    wb_fault_install(on_fault, &old_segv, &old_bus);
}
#endif

void wb_fault_forward(int sig, siginfo_t *si, void *uc,
                      const struct sigaction *old)
{
    if (old->sa_flags & SA_SIGINFO && old->sa_sigaction) { old->sa_sigaction(sig, si, uc); return; }
    if (old->sa_handler != SIG_DFL && old->sa_handler != SIG_IGN && old->sa_handler) { old->sa_handler(sig); return; }
    signal(sig, SIG_DFL);                    /* re-raised on return */
}

void wb_fault_install(void (*fn)(int, siginfo_t *, void *),
                      struct sigaction *old_segv, struct sigaction *old_bus)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = fn;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, old_segv);
    sigaction(SIGBUS, &sa, old_bus);
}

static void set_mem_range(const wb_instance *inst)
{
    if (inst && inst->module->nmems) {
        const wb_memory *m = inst->mems[0];
        tl_mem_lo = (uintptr_t)m->base;
        tl_mem_hi = (uintptr_t)m->base + m->reserved;
    } else {
        tl_mem_lo = tl_mem_hi = 0;
    }
}

/* ---- helpers called from handlers --------------------------------------- */

static bool functype_eq(const wb_functype *a, const wb_functype *b)
{
    return a == b || (a->nparams == b->nparams && a->nresults == b->nresults &&
                      !memcmp(a->types, b->types, a->nparams + a->nresults));
}

static void slots_to_vals(const uint8_t *types, uint32_t n, const uint64_t *slots, wb_val *v)
{
    for (uint32_t i = 0; i < n; i++) {
        v[i].type = (wb_valtype)types[i];
        if (types[i] == WB_V128) { memcpy(v[i].of.v128, slots, 16); slots += 2; }
        else { memcpy(&v[i].of, slots, 8); slots++; }
    }
}

static void vals_to_slots(const uint8_t *types, uint32_t n, const wb_val *v, uint64_t *slots)
{
    for (uint32_t i = 0; i < n; i++) {
        if (types[i] == WB_V128) { memcpy(slots, v[i].of.v128, 16); slots += 2; }
        else if (types[i] == WB_I32 || types[i] == WB_F32) { *slots++ = (uint32_t)v[i].of.i32; }
        else { memcpy(slots, &v[i].of, 8); slots++; }
    }
}

/* A host call from wasm. Arguments are at `args`; results go there too.
 * From the interpreter, `ip` (after the call) and `fp` (the calling frame)
 * say where the guest resumes: a call from the store's outermost
 * activation (no host function below, stack_top NULL) leaves them in
 * s->site for wb_fork, which copies the guest from there. */
static __attribute__((noinline)) wb_status call_host(wb_store *s, wb_instance *inst,
                                                     wb_func *f, uint64_t *args,
                                                     const wb_cell *ip, uint64_t *fp)
{
    const wb_functype *t = f->type;
    wb_val small[16];
    wb_val *v = small;
    size_t n = (size_t)t->nparams + t->nresults;
    if (n > 16 && !(v = malloc(n * sizeof *v)))
        return wb_err_set(&s->pending, WB_E_NOMEM, "out of memory");
    slots_to_vals(t->types, t->nparams, args, v);
    wb_val *res = v + t->nparams;
    for (uint32_t i = 0; i < t->nresults; i++) {
        memset(&res[i], 0, sizeof res[i]);
        res[i].type = (wb_valtype)t->types[t->nparams + i];
    }
    wb_caller caller = { s, inst };
    uint32_t used = t->param_slots > t->result_slots ? t->param_slots : t->result_slots;
    uint64_t *saved_top = s->stack_top;
    const struct wb_host_site saved_site = s->site;
    uintptr_t lo = tl_mem_lo, hi = tl_mem_hi;
    s->site = (struct wb_host_site){ saved_top ? NULL : ip, fp, args, f, s->depth };
    s->stack_top = args + used;
    tl_in_host = true;
    wb_status st = f->host(&caller, f->env, v, res);
    tl_in_host = false;
    tl_mem_lo = lo; tl_mem_hi = hi;
    s->stack_top = saved_top;
    s->site = saved_site;
    if (st == WB_OK) vals_to_slots(t->types + t->nparams, t->nresults, res, args);
    else if (s->pending.status == WB_OK) {
        wb_err_set(&s->pending, st, "host function failed: %s", wb_status_name(st));
        s->pending.trap = WB_TRAP_HOST;
    }
    if (v != small) free(v);
    return st;
}

/* A function's name as a backtrace line shows it. The name section is the
 * module's to write: control bytes become \xNN, so a name can neither
 * break its line in two (forging frames in the report) nor send escape
 * sequences to the terminal that shows the message. */
static const char *shown_name(const char *name, char *buf, size_t cap)
{
    size_t o = 0;
    if (!name) return "?";
    for (const unsigned char *p = (const unsigned char *)name; *p && o + 5 < cap; p++) {
        if (*p < 0x20 || *p == 0x7f) o += (size_t)snprintf(buf + o, cap - o, "\\x%02x", *p);
        else buf[o++] = (char)*p;
    }
    buf[o] = 0;
    return buf;
}

void wb_interp_backtrace(const wb_store *s, uint32_t from, uint32_t to, wb_error *err)
{
    size_t len = 0;
    char shown[256];
    err->backtrace[0] = 0;
    for (uint32_t d = to, k = 0; d >= from && d > 0 && k < 16; d--, k++) {
        const wb_func *f = s->frames[d].func;
        if (!f || !f->inst) continue;
        const char *name = wb_module_func_name(f->inst->module, f->funcidx);
        int w = snprintf(err->backtrace + len, sizeof err->backtrace - len,
                         "#%u %s (func %u)\n", k,
                         shown_name(name, shown, sizeof shown), f->funcidx);
        if (w < 0 || (size_t)w >= sizeof err->backtrace - len) break;
        len += (size_t)w;
    }
}

/* ---- float semantics that C does not give directly ---------------------- */

static inline float f32_min(float a, float b)
{
    if (a != a || b != b) return a + b;            /* a quiet NaN */
    if (a == b) return signbit(a) ? a : b;         /* min(-0, +0) = -0 */
    return a < b ? a : b;
}
static inline float f32_max(float a, float b)
{
    if (a != a || b != b) return a + b;
    if (a == b) return signbit(a) ? b : a;
    return a > b ? a : b;
}
static inline double f64_min(double a, double b)
{
    if (a != a || b != b) return a + b;
    if (a == b) return signbit(a) ? a : b;
    return a < b ? a : b;
}
static inline double f64_max(double a, double b)
{
    if (a != a || b != b) return a + b;
    if (a == b) return signbit(a) ? b : a;
    return a > b ? a : b;
}

/* libm's rounding functions return a signalling NaN unchanged; wasm wants
 * it quieted. */
static inline float f32_round(float a, float (*fn)(float)) { return a != a ? a + a : fn(a); }
static inline double f64_round(double a, double (*fn)(double)) { return a != a ? a + a : fn(a); }

static inline uint32_t rotl32(uint32_t x, uint32_t n) { n &= 31; return n ? (x << n) | (x >> (32 - n)) : x; }
static inline uint32_t rotr32(uint32_t x, uint32_t n) { n &= 31; return n ? (x >> n) | (x << (32 - n)) : x; }
static inline uint64_t rotl64(uint64_t x, uint64_t n) { n &= 63; return n ? (x << n) | (x >> (64 - n)) : x; }
static inline uint64_t rotr64(uint64_t x, uint64_t n) { n &= 63; return n ? (x >> n) | (x << (64 - n)) : x; }

/* Saturating truncations (non-trapping float-to-int). */
#define SAT(name, FT, IT, lo, hi, minv, maxv) \
    static inline IT name(FT x) { \
        if (x != x) return 0; \
        if (!(x > (FT)(lo))) return minv; \
        if (!(x < (FT)(hi))) return maxv; \
        return (IT)x; }
SAT(sat_i32_f32_s, float, int32_t, -2147483904.0, 2147483648.0, INT32_MIN, INT32_MAX)
SAT(sat_i32_f32_u, float, uint32_t, -1.0, 4294967296.0, 0, UINT32_MAX)
SAT(sat_i32_f64_s, double, int32_t, -2147483649.0, 2147483648.0, INT32_MIN, INT32_MAX)
SAT(sat_i32_f64_u, double, uint32_t, -1.0, 4294967296.0, 0, UINT32_MAX)
SAT(sat_i64_f32_s, float, int64_t, -9223373136366403584.0, 9223372036854775808.0, INT64_MIN, INT64_MAX)
SAT(sat_i64_f32_u, float, uint64_t, -1.0, 18446744073709551616.0, 0, UINT64_MAX)
SAT(sat_i64_f64_s, double, int64_t, -9223372036854777856.0, 9223372036854775808.0, INT64_MIN, INT64_MAX)
SAT(sat_i64_f64_u, double, uint64_t, -1.0, 18446744073709551616.0, 0, UINT64_MAX)

/* ---- the interpreter ---------------------------------------------------- */

static const void *const *g_labels;

#define SLOT(off) ((uint8_t *)fp + (off))
#define I32(off) (*(int32_t *)SLOT(off))
#define U32(off) (*(uint32_t *)SLOT(off))
#define I64(off) (*(int64_t *)SLOT(off))
#define U64(off) (*(uint64_t *)SLOT(off))
#define F32(off) (*(float *)SLOT(off))
#define F64(off) (*(double *)SLOT(off))
#define A0 ip[1].u32[0]
#define A1 ip[1].u32[1]
#define B0 ip[2].u32[0]
#define B1 ip[2].u32[1]
#define C0 ip[3].u32[0]
#ifdef WB_PROFILE
/* Profiling build (make OPT="-O2 -DWB_PROFILE"): counts executed pairs of
 * ops, printed at exit, to choose fusions from data. */
#include "profile.inc"
#define NEXT() do { wb_prof_hit(ip->op); goto *ip->op; } while (0)
#else
#define NEXT() goto *ip->op
#endif
#define TRAP(k) do { trap = (k); goto L_TRAP; } while (0)

/* [op][a|b][d|0] */
#define BINOP(L, T, R, expr) \
    L: { T a = *(T *)SLOT(A0), b = *(T *)SLOT(A1); *(R *)SLOT(B0) = (R)(expr); ip += 3; NEXT(); }
/* Division traps on zero; signed division also on MIN / -1 (whose
 * remainder is 0, which C leaves undefined). [op][a|b][d|0] */
#define DIV_S(L, T, MIN) \
    L: { T a = *(T *)SLOT(A0), b = *(T *)SLOT(A1); \
         if (WB_UNLIKELY(b == 0)) TRAP(WB_TRAP_DIV_ZERO); \
         if (WB_UNLIKELY(a == (MIN) && b == -1)) TRAP(WB_TRAP_INT_OVERFLOW); \
         *(T *)SLOT(B0) = a / b; ip += 3; NEXT(); }
#define DIV_U(L, T) \
    L: { T a = *(T *)SLOT(A0), b = *(T *)SLOT(A1); \
         if (WB_UNLIKELY(b == 0)) TRAP(WB_TRAP_DIV_ZERO); \
         *(T *)SLOT(B0) = a / b; ip += 3; NEXT(); }
#define REM_S(L, T) \
    L: { T a = *(T *)SLOT(A0), b = *(T *)SLOT(A1); \
         if (WB_UNLIKELY(b == 0)) TRAP(WB_TRAP_DIV_ZERO); \
         *(T *)SLOT(B0) = b == -1 ? 0 : a % b; ip += 3; NEXT(); }
#define REM_U(L, T) \
    L: { T a = *(T *)SLOT(A0), b = *(T *)SLOT(A1); \
         if (WB_UNLIKELY(b == 0)) TRAP(WB_TRAP_DIV_ZERO); \
         *(T *)SLOT(B0) = a % b; ip += 3; NEXT(); }
/* [op][a|d] */
#define UNOP(L, T, R, expr) \
    L: { T a = *(T *)SLOT(A0); *(R *)SLOT(A1) = (R)(expr); ip += 2; NEXT(); }

#if WB_BOUNDS_CHECKS
#define BOUNDS(ea, n) if (WB_UNLIKELY((ea) + (n) > inst->mems[0]->size)) TRAP(WB_TRAP_MEMORY_OOB)
#else
#define BOUNDS(ea, n)
#endif
/* Loads: the type in memory, the type in the slot, the bytes read. */
#define LOADS(X) \
    X(I32_LOAD, uint32_t, uint32_t, 4) X(I64_LOAD, uint64_t, uint64_t, 8) \
    X(F32_LOAD, uint32_t, uint32_t, 4) X(F64_LOAD, uint64_t, uint64_t, 8) \
    X(I32_LOAD8_S, int8_t, int32_t, 1) X(I32_LOAD8_U, uint8_t, uint32_t, 1) \
    X(I32_LOAD16_S, int16_t, int32_t, 2) X(I32_LOAD16_U, uint16_t, uint32_t, 2) \
    X(I64_LOAD8_S, int8_t, int64_t, 1) X(I64_LOAD8_U, uint8_t, uint64_t, 1) \
    X(I64_LOAD16_S, int16_t, int64_t, 2) X(I64_LOAD16_U, uint16_t, uint64_t, 2) \
    X(I64_LOAD32_S, int32_t, int64_t, 4) X(I64_LOAD32_U, uint32_t, uint64_t, 4)
/* Stores: the bytes written, the low ones of the slot. */
#define STORES(X) \
    X(I32_STORE, 4) X(I64_STORE, 8) X(F32_STORE, 4) X(F64_STORE, 8) \
    X(I32_STORE8, 1) X(I32_STORE16, 2) \
    X(I64_STORE8, 1) X(I64_STORE16, 2) X(I64_STORE32, 4)
/* [op][a|d][offset] */
#define LOAD(n, T, R, N) \
    L_##n: { uint64_t ea = (uint64_t)U32(A0) + ip[2].u64; BOUNDS(ea, N); \
             T v; memcpy(&v, mem + ea, N); *(R *)SLOT(A1) = (R)v; ip += 3; NEXT(); }
/* [op][a|v][offset] */
#define STORE(n, N) \
    L_##n: { uint64_t ea = (uint64_t)U32(A0) + ip[2].u64; BOUNDS(ea, N); \
             memcpy(mem + ea, SLOT(A1), N); ip += 3; NEXT(); }
/* Trapping float-to-int: [op][a|d] */
#define TRUNC(L, FT, IT, R, lo, hi) \
    L: { FT a = *(FT *)SLOT(A0); \
         if (a != a) TRAP(WB_TRAP_BAD_CONVERSION); \
         if (!(a > (FT)(lo) && a < (FT)(hi))) TRAP(WB_TRAP_INT_OVERFLOW); \
         *(R *)SLOT(A1) = (R)(IT)a; ip += 2; NEXT(); }

/* Runs until the entry frame returns. `fp` holds the arguments. With
 * `resume` (a forked store, fork.c), the frames above the entry frame are
 * in place and the guest goes on at resume->ip in frame resume->fp, at
 * depth `rdepth`. */
static __attribute__((noinline)) wb_status exec(wb_store *s, wb_func *entry, uint64_t *fp,
                                                const struct wb_host_site *resume,
                                                uint32_t rdepth, wb_error *err)
{
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"
    static const void *const labels[WB_OP_COUNT] = {
        [0 ... WB_OP_COUNT - 1] = &&L_ILLEGAL,
#define WB_LABEL_DIRECT(n, code, run, imm, arg, sig) \
        WB_IF_DIRECT(run, [WB_OP_##n] = &&L_##n,)
        WB_OPCODES(WB_LABEL_DIRECT)
#undef WB_LABEL_DIRECT
#define WB_LABEL(n) [WB_OP_##n] = &&L_##n,
        WB_XOPS(WB_LABEL)
#undef WB_LABEL
#define WB_LABEL_ADDR(n) [WB_OP_X_##n] = &&L_X_##n, [WB_OP_K_##n] = &&L_K_##n,
        WB_ADDR_OPS(WB_LABEL_ADDR)
#undef WB_LABEL_ADDR
#define WB_LABEL_M(n, T, ld, e) [WB_OP_M_##n] = &&L_M_##n,
        WB_LOADOP_OPS(WB_LABEL_M)
#undef WB_LABEL_M
#define WB_LABEL_MK(n, T, ld, e) [WB_OP_MK_##n] = &&L_MK_##n,
        WB_LOADRI_OPS(WB_LABEL_MK)
#undef WB_LABEL_MK
#define WB_LABEL_RI(n, T, R, e) [WB_OP_##n##_RI] = &&L_##n##_RI,
        WB_RI_OPS(WB_LABEL_RI)
#undef WB_LABEL_RI
#define WB_LABEL_CMP(n, T, e, sw, ng) [WB_OP_##n##_RI] = &&L_##n##_RI, \
        [WB_OP_BR_##n] = &&L_BR_##n, [WB_OP_BR_##n##_RI] = &&L_BR_##n##_RI, \
        [WB_OP_BRL_##n] = &&L_BRL_##n, [WB_OP_BRL_##n##_RI] = &&L_BRL_##n##_RI,
        WB_CMP_OPS(WB_LABEL_CMP)
#undef WB_LABEL_CMP
    };
#pragma GCC diagnostic pop
    if (!s) { g_labels = labels; return WB_OK; }
#ifdef WB_PROFILE
    wb_prof_init(labels);
#endif

    const wb_code *code = atomic_load_explicit(&entry->def->code, memory_order_acquire);
    wb_cell exit_code[1] = { { .op = &&L_EXIT } };
    wb_frame *frames = s->frames;
    const uint32_t entry_depth = s->depth;
    const uint32_t maxd = s->max_depth ? s->max_depth : s->limits.max_call_depth;
    uint64_t *const base_fp = fp;
    wb_instance *inst = entry->inst;
    uint8_t *mem = inst->mem0_base;
    const wb_cell *ip = code->cells;
    wb_trap_kind trap = WB_TRAP_NONE;
    wb_status st = WB_OK;
    wb_func *callee;
    uint32_t argoff;
    int64_t fuel_need;

    frames[entry_depth].ret_ip = exit_code;
    frames[entry_depth].fp = NULL;
    frames[entry_depth].func = entry;
    if (WB_UNLIKELY(resume != NULL)) {
        ip = resume->ip;
        fp = resume->fp;
        s->depth = rdepth;
        inst = frames[rdepth].func->inst;
        mem = inst->mem0_base;
    } else {
        memset(fp + code->param_slots, 0, (size_t)(code->local_slots - code->param_slots) * 8);
    }
    set_mem_range(inst);
    NEXT();

    /* ---- copies and constants ---- */
L_COPY:       U64(A1) = U64(A0); ip += 2; NEXT();               /* [op][s|d] */
L_COPY128:    memmove(SLOT(A1), SLOT(A0), 16); ip += 2; NEXT();  /* may overlap by a slot */
L_CONST32:    U32(A0) = A1; ip += 2; NEXT();                    /* [op][d|imm] */
L_CONST32X2:  U32(A0) = A1; U32(B0) = B1; ip += 3; NEXT();      /* [op][d|imm][d|imm] */
L_CONST64:    U64(A0) = ip[2].u64; ip += 3; NEXT();             /* [op][d|0][imm] */
L_CONST128:   memcpy(SLOT(A0), &ip[2], 16); ip += 4; NEXT();

    /* ---- control ---- */
L_BR:         ip = &ip[1] + ip[1].i64; NEXT();                  /* [op][rel] */
L_BR_IF:      if (U32(A0)) ip = &ip[2] + ip[2].i64; else ip += 3; NEXT();   /* [op][c|0][rel] */
L_BR_UNLESS:  if (!U32(A0)) ip = &ip[2] + ip[2].i64; else ip += 3; NEXT();
L_BR_TABLE: {                                                   /* [op][i|n][rel]*(n+1) */
        uint32_t i = U32(A0), n = A1;
        if (i > n) i = n;
        ip = &ip[2 + i] + ip[2 + i].i64;
        NEXT();
    }
/* Out of fuel: the charge is undone and the instruction at `restart`
 * (whose work before the charge has no effect) runs again once the store
 * has `amount` fuel, a slice of its group's (group.c); or it traps. No
 * call on the handlers' paths: in this one big function, a call that
 * returns into a handler costs the hot paths their registers. */
#define FUEL_OUT(amount, restart) do { \
        fuel_need = (amount); ip = (restart); goto L_FUEL_OUT; } while (0)
/* Every backward edge pays for the loop body (cost cell k) and polls for
 * an interrupt, so no loop runs past the budget or the deadline. */
#define LOOP_EDGE(k) do { \
        if (WB_UNLIKELY((s->fuel -= ip[k].i64) < 0)) FUEL_OUT(ip[k].i64, ip); \
        if (WB_UNLIKELY(atomic_load_explicit(&s->interrupt, memory_order_relaxed))) \
            TRAP(WB_TRAP_INTERRUPT); \
        ip = &ip[(k) + 1] + ip[(k) + 1].i64; } while (0)
/* Bulk memory and table operations pay for their length before they do
 * any work: one fuel per 64 bytes written or moved (a table element is 8
 * bytes), on top of the instruction itself, so fuel stays close to time. */
#define BULK_FUEL(bytes) do { \
        if (WB_UNLIKELY((s->fuel -= (int64_t)((bytes) >> 6)) < 0)) \
            FUEL_OUT((int64_t)((bytes) >> 6), ip); \
    } while (0)
L_BR_LOOP:    LOOP_EDGE(1); NEXT();                              /* [op][cost][rel] */
L_BRL_IF:     if (U32(A0)) LOOP_EDGE(2); else ip += 4; NEXT();   /* [op][c|0][cost][rel] */
L_BRL_UNLESS: if (!U32(A0)) LOOP_EDGE(2); else ip += 4; NEXT();
L_UNREACHABLE: TRAP(WB_TRAP_UNREACHABLE);
L_ILLEGAL:    TRAP(WB_TRAP_UNREACHABLE);

L_CALL:                                                          /* [op][f|0][base|0] */
        callee = inst->funcs[A0];
        argoff = B0;
        ip += 3;
        goto do_call;
L_CALL_INDIRECT: {                                               /* [op][type|table][idx|base] */
        wb_table *t = inst->tables[A1];
        uint32_t i = U32(B0);
        if (WB_UNLIKELY(i >= t->size)) TRAP(WB_TRAP_UNDEFINED_ELEMENT);
        callee = t->elems[i];
        if (WB_UNLIKELY(!callee)) TRAP(WB_TRAP_UNINITIALIZED_ELEMENT);
        if (WB_UNLIKELY(!functype_eq(callee->type, &inst->module->types[A0])))
            TRAP(WB_TRAP_INDIRECT_TYPE);
        argoff = B1;
        ip += 3;
        goto do_call;
    }
do_call: {
        uint64_t *nfp = (uint64_t *)SLOT(argoff);
        if (callee->host) {
            st = call_host(s, inst, callee, nfp, ip, fp);
            if (WB_UNLIKELY(st != WB_OK)) goto L_HOST_FAIL;
            NEXT();
        }
        const wb_code *c = atomic_load_explicit(&callee->def->code, memory_order_acquire);
        if (WB_UNLIKELY(!c)) {
            wb_instance *ci = callee->inst;
            const wb_code *nc;
            st = wb_compile(ci->module, callee->funcidx - ci->module->nfunc_imports, &nc, err);
            if (st != WB_OK) goto L_UNWIND;
            c = nc;
        }
        /* the value stack's part charged to the budget (store.c) */
        if (WB_UNLIKELY(s->depth + 1 >= maxd ||
                        (nfp + c->frame_slots > s->stack_limit &&
                         !wb_rt_stack_grow(s, nfp + c->frame_slots))))
            TRAP(WB_TRAP_STACK_EXHAUSTED);
        if (WB_UNLIKELY(--s->fuel < 0)) FUEL_OUT(1, ip - 3);   /* both calls are 3 cells */
        if (WB_UNLIKELY(atomic_load_explicit(&s->interrupt, memory_order_relaxed))) TRAP(WB_TRAP_INTERRUPT);
        wb_frame *fr = &frames[++s->depth];
        fr->ret_ip = ip;
        fr->fp = fp;
        fr->func = callee;
        fp = nfp;
        for (uint32_t k = c->param_slots; k < c->local_slots; k++) fp[k] = 0;
        ip = c->cells;
        if (callee->inst != inst) {
            inst = callee->inst;
            mem = inst->mem0_base;
            set_mem_range(inst);
        }
        NEXT();
    }
L_RETURN1:    U64(0) = U64(A0); goto L_RETURN;                  /* [op][s|0] */
L_RETURN_K:   U64(0) = ip[2].u64; goto L_RETURN;                /* [op][0|0][k] */
L_MOVES: {                      /* [op][ncopy|nconst] [s|d]*ncopy ([d|0][k])*nconst */
        uint32_t nc = A0, nk = A1;
        const wb_cell *q = ip + 2;
        for (uint32_t i = 0; i < nc; i++, q++) U64(q->u32[1]) = U64(q->u32[0]);
        for (uint32_t i = 0; i < nk; i++, q += 2) U64(q[0].u32[0]) = q[1].u64;
        ip = q;
        NEXT();
    }
L_RETURN: {
        wb_frame *fr = &frames[s->depth--];
        ip = fr->ret_ip;
        fp = fr->fp;
        wb_instance *ci = frames[s->depth].func->inst;
        if (ci != inst) {
            inst = ci;
            mem = inst->mem0_base;
            set_mem_range(inst);
        }
        NEXT();
    }
L_EXIT:
        (void)base_fp;              /* results are at base_fp[0..] */
        return WB_OK;

    /* ---- parametric and variables ---- */
L_SELECT:     U64(B1) = U32(A0) ? U64(A1) : U64(B0); ip += 3; NEXT();   /* [op][c|a][b|d] */
L_SELECT128:  memmove(SLOT(B1), U32(A0) ? SLOT(A1) : SLOT(B0), 16); ip += 3; NEXT();
L_GLOBAL_GET: U64(A1) = inst->globals[A0]->val[0]; ip += 2; NEXT();    /* [op][x|d] */
L_GLOBAL_SET: inst->globals[A0]->val[0] = U64(A1); ip += 2; NEXT();    /* [op][x|v] */
L_GLOBAL_GET128: memcpy(SLOT(A1), inst->globals[A0]->val, 16); ip += 2; NEXT();
L_GLOBAL_SET128: memcpy(inst->globals[A0]->val, SLOT(A1), 16); ip += 2; NEXT();
L_REF_IS_NULL: U32(A1) = U64(A0) == 0; ip += 2; NEXT();               /* [op][a|d] */
L_REF_FUNC:   U64(A1) = (uint64_t)(uintptr_t)inst->funcs[A0]; ip += 2; NEXT();

    /* ---- tables ---- */
L_TABLE_GET: {                                                   /* [op][x|0][i|d] */
        wb_table *t = inst->tables[A0];
        uint32_t i = U32(B0);
        if (WB_UNLIKELY(i >= t->size)) TRAP(WB_TRAP_TABLE_OOB);
        U64(B1) = (uint64_t)(uintptr_t)t->elems[i];
        ip += 3; NEXT();
    }
L_TABLE_SET: {                                                   /* [op][x|0][i|v] */
        wb_table *t = inst->tables[A0];
        uint32_t i = U32(B0);
        if (WB_UNLIKELY(i >= t->size)) TRAP(WB_TRAP_TABLE_OOB);
        t->elems[i] = (void *)(uintptr_t)U64(B1);
        ip += 3; NEXT();
    }
L_TABLE_SIZE: U32(B0) = inst->tables[A0]->size; ip += 3; NEXT();   /* [op][x|0][d|0] */
L_TABLE_GROW: {                                                  /* [op][x|0][init|n][d|0] */
        wb_table *t = inst->tables[A0];
        if ((uint64_t)t->size + U32(B1) <= t->max)    /* else refused at once */
            BULK_FUEL((uint64_t)U32(B1) * sizeof(void *));
        int64_t r = wb_table_grow(t, U32(B1), (void *)(uintptr_t)U64(B0));
        U32(C0) = (uint32_t)r;
        ip += 4; NEXT();
    }
L_TABLE_FILL: {                                                  /* [op][x|0][i|v][n|0] */
        wb_table *t = inst->tables[A0];
        uint64_t i = U32(B0), n = U32(C0);
        if (WB_UNLIKELY(i + n > t->size)) TRAP(WB_TRAP_TABLE_OOB);
        BULK_FUEL(n * sizeof(void *));
        void *v = (void *)(uintptr_t)U64(B1);
        for (uint64_t k = 0; k < n; k++) t->elems[i + k] = v;
        ip += 4; NEXT();
    }
L_TABLE_COPY: {                                                  /* [op][dst|src][d|s][n|0] */
        wb_table *td = inst->tables[A0], *ts = inst->tables[A1];
        uint64_t d = U32(B0), sidx = U32(B1), n = U32(C0);
        if (WB_UNLIKELY(sidx + n > ts->size || d + n > td->size)) TRAP(WB_TRAP_TABLE_OOB);
        BULK_FUEL(n * sizeof(void *));
        if (n) memmove(td->elems + d, ts->elems + sidx, n * sizeof(void *));
        ip += 4; NEXT();
    }
L_TABLE_INIT: {                                                  /* [op][table|elem][d|s][n|0] */
        wb_table *t = inst->tables[A0];
        uint64_t d = U32(B0), sidx = U32(B1), n = U32(C0);
        if (WB_UNLIKELY(sidx + n > inst->elem_len[A1] || d + n > t->size)) TRAP(WB_TRAP_TABLE_OOB);
        BULK_FUEL(n * sizeof(void *));
        if (n) memcpy(t->elems + d, inst->elem_refs[A1] + sidx, n * sizeof(void *));
        ip += 4; NEXT();
    }
L_ELEM_DROP:  inst->elem_len[A0] = 0; ip += 2; NEXT();

    /* ---- memory ---- */
    LOADS(LOAD)
    STORES(STORE)
/* Address `i32.add x, k` folded in: [op][x|d or v][offset][k] */
#define XADDR(N) uint64_t ea = (uint64_t)(uint32_t)(U32(A0) + (uint32_t)ip[3].u64) + ip[2].u64; \
    BOUNDS(ea, N)
#define XLOAD(n, T, R, N) \
    L_X_##n: { XADDR(N); T v; memcpy(&v, mem + ea, N); *(R *)SLOT(A1) = (R)v; ip += 4; NEXT(); }
#define XSTORE(n, N) \
    L_X_##n: { XADDR(N); memcpy(mem + ea, SLOT(A1), N); ip += 4; NEXT(); }
    LOADS(XLOAD)
    STORES(XSTORE)

/* A constant address (plus offset) in the cell: [op][0|d or v][ea] */
#define KLOAD(n, T, R, N) \
    L_K_##n: { uint64_t ea = ip[2].u64; BOUNDS(ea, N); \
               T v; memcpy(&v, mem + ea, N); *(R *)SLOT(A1) = (R)v; ip += 3; NEXT(); }
#define KSTORE(n, N) \
    L_K_##n: { uint64_t ea = ip[2].u64; BOUNDS(ea, N); \
               memcpy(mem + ea, SLOT(A1), N); ip += 3; NEXT(); }
    LOADS(KLOAD)
    STORES(KSTORE)

/* A constant stored: [op][a|0][offset][bits] */
#define STOREK(L, N) \
    L: { uint64_t ea = (uint64_t)U32(A0) + ip[2].u64; BOUNDS(ea, N); \
         memcpy(mem + ea, &ip[3], N); ip += 4; NEXT(); }
    STOREK(L_STOREK1, 1)
    STOREK(L_STOREK2, 2)
    STOREK(L_STOREK4, 4)
    STOREK(L_STOREK8, 8)
L_MEMORY_SIZE: U32(A0) = (uint32_t)(inst->mems[0]->size / WB_PAGE_SIZE); ip += 2; NEXT();
L_MEMORY_GROW: {                                                 /* [op][n|d] */
        int64_t r = wb_mem_grow(inst->mems[0], U32(A0));
        U32(A1) = (uint32_t)r;
        ip += 2; NEXT();
    }
L_MEMORY_INIT: {                                                 /* [op][x|0][d|s][n|0] */
        uint64_t d = U32(B0), sidx = U32(B1), n = U32(C0);
        if (WB_UNLIKELY(sidx + n > inst->data_len[A0] || d + n > inst->mems[0]->size))
            TRAP(WB_TRAP_MEMORY_OOB);
        BULK_FUEL(n);
        if (n && !wb_mem_bulk_move(&s->interrupt, inst->mems[0]->base + d,
                                   inst->module->datas[A0].bytes + sidx, n))
            TRAP(WB_TRAP_INTERRUPT);
        ip += 4; NEXT();
    }
L_DATA_DROP:  inst->data_len[A0] = 0; ip += 2; NEXT();
L_MEMORY_COPY: {                                                 /* [op][0|0][d|s][n|0] */
        uint64_t d = U32(B0), sidx = U32(B1), n = U32(C0), size = inst->mems[0]->size;
        if (WB_UNLIKELY(sidx + n > size || d + n > size)) TRAP(WB_TRAP_MEMORY_OOB);
        BULK_FUEL(n);
        if (!wb_mem_bulk_move(&s->interrupt, inst->mems[0]->base + d,
                              inst->mems[0]->base + sidx, n))
            TRAP(WB_TRAP_INTERRUPT);
        ip += 4; NEXT();
    }
L_MEMORY_FILL: {                                                 /* [op][0|0][d|v][n|0] */
        uint64_t d = U32(B0), n = U32(C0);
        if (WB_UNLIKELY(d + n > inst->mems[0]->size)) TRAP(WB_TRAP_MEMORY_OOB);
        BULK_FUEL(n);
        if (!wb_mem_bulk_fill(&s->interrupt, inst->mems[0]->base + d,
                              (int)(uint8_t)U32(B1), n))
            TRAP(WB_TRAP_INTERRUPT);
        ip += 4; NEXT();
    }

    /* ---- i32 / i64 comparisons ---- */
    UNOP(L_I32_EQZ, uint32_t, uint32_t, a == 0)
    UNOP(L_I64_EQZ, uint64_t, uint32_t, a == 0)
    BINOP(L_F32_EQ, float, uint32_t, a == b)
    BINOP(L_F32_NE, float, uint32_t, a != b)
    BINOP(L_F32_LT, float, uint32_t, a < b)
    BINOP(L_F32_GT, float, uint32_t, a > b)
    BINOP(L_F32_LE, float, uint32_t, a <= b)
    BINOP(L_F32_GE, float, uint32_t, a >= b)
    BINOP(L_F64_EQ, double, uint32_t, a == b)
    BINOP(L_F64_NE, double, uint32_t, a != b)
    BINOP(L_F64_LT, double, uint32_t, a < b)
    BINOP(L_F64_GT, double, uint32_t, a > b)
    BINOP(L_F64_LE, double, uint32_t, a <= b)
    BINOP(L_F64_GE, double, uint32_t, a >= b)

    /* ---- i32 arithmetic ---- */
    UNOP(L_I32_CLZ, uint32_t, uint32_t, a ? __builtin_clz(a) : 32)
    UNOP(L_I32_CTZ, uint32_t, uint32_t, a ? __builtin_ctz(a) : 32)
    UNOP(L_I32_POPCNT, uint32_t, uint32_t, __builtin_popcount(a))
    DIV_S(L_I32_DIV_S, int32_t, INT32_MIN)
    DIV_U(L_I32_DIV_U, uint32_t)
    REM_S(L_I32_REM_S, int32_t)
    REM_U(L_I32_REM_U, uint32_t)
    BINOP(L_I32_ROTL, uint32_t, uint32_t, rotl32(a, b))
    BINOP(L_I32_ROTR, uint32_t, uint32_t, rotr32(a, b))

    /* ---- i64 arithmetic ---- */
    UNOP(L_I64_CLZ, uint64_t, uint64_t, a ? __builtin_clzll(a) : 64)
    UNOP(L_I64_CTZ, uint64_t, uint64_t, a ? __builtin_ctzll(a) : 64)
    UNOP(L_I64_POPCNT, uint64_t, uint64_t, __builtin_popcountll(a))
    DIV_S(L_I64_DIV_S, int64_t, INT64_MIN)
    DIV_U(L_I64_DIV_U, uint64_t)
    REM_S(L_I64_REM_S, int64_t)
    REM_U(L_I64_REM_U, uint64_t)
    BINOP(L_I64_ROTL, uint64_t, uint64_t, rotl64(a, b))
    BINOP(L_I64_ROTR, uint64_t, uint64_t, rotr64(a, b))

    /* ---- f32 ---- (sign ops are bitwise: NaN payloads must survive) */
    UNOP(L_F32_ABS, uint32_t, uint32_t, a & 0x7fffffffu)
    UNOP(L_F32_NEG, uint32_t, uint32_t, a ^ 0x80000000u)
    UNOP(L_F32_CEIL, float, float, f32_round(a, ceilf))
    UNOP(L_F32_FLOOR, float, float, f32_round(a, floorf))
    UNOP(L_F32_TRUNC, float, float, f32_round(a, truncf))
    UNOP(L_F32_NEAREST, float, float, f32_round(a, rintf))
    UNOP(L_F32_SQRT, float, float, sqrtf(a))
    BINOP(L_F32_ADD, float, float, a + b)
    BINOP(L_F32_SUB, float, float, a - b)
    BINOP(L_F32_MUL, float, float, a * b)
    BINOP(L_F32_DIV, float, float, a / b)
    BINOP(L_F32_MIN, float, float, f32_min(a, b))
    BINOP(L_F32_MAX, float, float, f32_max(a, b))
    BINOP(L_F32_COPYSIGN, uint32_t, uint32_t, (a & 0x7fffffffu) | (b & 0x80000000u))

    /* ---- f64 ---- */
    UNOP(L_F64_ABS, uint64_t, uint64_t, a & 0x7fffffffffffffffull)
    UNOP(L_F64_NEG, uint64_t, uint64_t, a ^ 0x8000000000000000ull)
    UNOP(L_F64_CEIL, double, double, f64_round(a, ceil))
    UNOP(L_F64_FLOOR, double, double, f64_round(a, floor))
    UNOP(L_F64_TRUNC, double, double, f64_round(a, trunc))
    UNOP(L_F64_NEAREST, double, double, f64_round(a, rint))
    UNOP(L_F64_SQRT, double, double, sqrt(a))
    BINOP(L_F64_ADD, double, double, a + b)
    BINOP(L_F64_SUB, double, double, a - b)
    BINOP(L_F64_MUL, double, double, a * b)
    BINOP(L_F64_DIV, double, double, a / b)
    BINOP(L_F64_MIN, double, double, f64_min(a, b))
    BINOP(L_F64_MAX, double, double, f64_max(a, b))
    BINOP(L_F64_COPYSIGN, uint64_t, uint64_t, (a & 0x7fffffffffffffffull) | (b & 0x8000000000000000ull))

    /* ---- conversions ---- */
    TRUNC(L_I32_TRUNC_F32_S, float, int32_t, int32_t, -2147483904.0, 2147483648.0)
    TRUNC(L_I32_TRUNC_F32_U, float, uint32_t, uint32_t, -1.0, 4294967296.0)
    TRUNC(L_I32_TRUNC_F64_S, double, int32_t, int32_t, -2147483649.0, 2147483648.0)
    TRUNC(L_I32_TRUNC_F64_U, double, uint32_t, uint32_t, -1.0, 4294967296.0)
    UNOP(L_I64_EXTEND_I32_S, int32_t, int64_t, a)
    UNOP(L_I64_EXTEND_I32_U, uint32_t, uint64_t, a)
    TRUNC(L_I64_TRUNC_F32_S, float, int64_t, int64_t, -9223373136366403584.0, 9223372036854775808.0)
    TRUNC(L_I64_TRUNC_F32_U, float, uint64_t, uint64_t, -1.0, 18446744073709551616.0)
    TRUNC(L_I64_TRUNC_F64_S, double, int64_t, int64_t, -9223372036854777856.0, 9223372036854775808.0)
    TRUNC(L_I64_TRUNC_F64_U, double, uint64_t, uint64_t, -1.0, 18446744073709551616.0)
    UNOP(L_F32_CONVERT_I32_S, int32_t, float, a)
    UNOP(L_F32_CONVERT_I32_U, uint32_t, float, a)
    UNOP(L_F32_CONVERT_I64_S, int64_t, float, a)
    UNOP(L_F32_CONVERT_I64_U, uint64_t, float, a)
    UNOP(L_F32_DEMOTE_F64, double, float, a)
    UNOP(L_F64_CONVERT_I32_S, int32_t, double, a)
    UNOP(L_F64_CONVERT_I32_U, uint32_t, double, a)
    UNOP(L_F64_CONVERT_I64_S, int64_t, double, a)
    UNOP(L_F64_CONVERT_I64_U, uint64_t, double, a)
    UNOP(L_F64_PROMOTE_F32, float, double, a)
    UNOP(L_I32_EXTEND8_S, int8_t, int32_t, a)
    UNOP(L_I32_EXTEND16_S, int16_t, int32_t, a)
    UNOP(L_I64_EXTEND8_S, int8_t, int64_t, a)
    UNOP(L_I64_EXTEND16_S, int16_t, int64_t, a)
    UNOP(L_I64_EXTEND32_S, int32_t, int64_t, a)
    UNOP(L_I32_TRUNC_SAT_F32_S, float, int32_t, sat_i32_f32_s(a))
    UNOP(L_I32_TRUNC_SAT_F32_U, float, uint32_t, sat_i32_f32_u(a))
    UNOP(L_I32_TRUNC_SAT_F64_S, double, int32_t, sat_i32_f64_s(a))
    UNOP(L_I32_TRUNC_SAT_F64_U, double, uint32_t, sat_i32_f64_u(a))
    UNOP(L_I64_TRUNC_SAT_F32_S, float, int64_t, sat_i64_f32_s(a))
    UNOP(L_I64_TRUNC_SAT_F32_U, float, uint64_t, sat_i64_f32_u(a))
    UNOP(L_I64_TRUNC_SAT_F64_S, double, int64_t, sat_i64_f64_s(a))
    UNOP(L_I64_TRUNC_SAT_F64_U, double, uint64_t, sat_i64_f64_u(a))

    /* ---- 128-bit SIMD (simd_exec.inc) ---- */
#include "simd_exec.inc"

    /* ---- immediate and fused forms, from the lists in ops.h ---- */
/* Register forms of the ops listed in ops.h, from the same expressions. */
#define RR_HANDLER(n, T, R, expr) BINOP(L_##n, T, R, expr)
    WB_RI_OPS(RR_HANDLER)
#undef RR_HANDLER
#define CMP_RR_HANDLER(n, T, expr, sw, ng) BINOP(L_##n, T, uint32_t, expr)
    WB_CMP_OPS(CMP_RR_HANDLER)
#undef CMP_RR_HANDLER
#define RI_HANDLER(n, T, R, expr) \
    L_##n##_RI: { T a = *(T *)SLOT(A0); T b = (T)ip[2].u64; \
                  *(R *)SLOT(A1) = (R)(expr); ip += 3; NEXT(); }
    WB_RI_OPS(RI_HANDLER)
#undef RI_HANDLER
/* [op][a|d][addr|0][offset]: b is loaded from addr + offset. */
#define M_HANDLER(n, T, ld, expr) \
    L_M_##n: { uint64_t ea = (uint64_t)U32(B0) + ip[3].u64; BOUNDS(ea, sizeof(T)); \
               T a = *(T *)SLOT(A0), b; memcpy(&b, mem + ea, sizeof b); \
               *(T *)SLOT(A1) = (T)(expr); ip += 4; NEXT(); }
    WB_LOADOP_OPS(M_HANDLER)
#undef M_HANDLER
/* [op][addr|d][offset][k]: a is loaded from addr + offset, b = k. */
#define MK_HANDLER(n, T, ld, expr) \
    L_MK_##n: { uint64_t ea = (uint64_t)U32(A0) + ip[2].u64; BOUNDS(ea, sizeof(T)); \
                T a, b = (T)ip[3].u64; memcpy(&a, mem + ea, sizeof a); \
                *(T *)SLOT(A1) = (T)(expr); ip += 4; NEXT(); }
    WB_LOADRI_OPS(MK_HANDLER)
#undef MK_HANDLER
#define CMP_HANDLERS(n, T, expr, sw, ng) \
    L_##n##_RI: { T a = *(T *)SLOT(A0); T b = (T)ip[2].u64; \
                  U32(A1) = (expr); ip += 3; NEXT(); } \
    L_BR_##n: { T a = *(T *)SLOT(A0), b = *(T *)SLOT(A1); \
                if (expr) ip = &ip[2] + ip[2].i64; else ip += 3; NEXT(); } \
    L_BR_##n##_RI: { T a = *(T *)SLOT(A0); T b = (T)ip[2].u64; \
                     if (expr) ip = &ip[3] + ip[3].i64; else ip += 4; NEXT(); } \
    L_BRL_##n: { T a = *(T *)SLOT(A0), b = *(T *)SLOT(A1); \
                 if (expr) LOOP_EDGE(2); else ip += 4; NEXT(); } \
    L_BRL_##n##_RI: { T a = *(T *)SLOT(A0); T b = (T)ip[2].u64; \
                      if (expr) LOOP_EDGE(3); else ip += 5; NEXT(); }
    WB_CMP_OPS(CMP_HANDLERS)
#undef CMP_HANDLERS

L_FUEL_OUT:
    /* read back from memory: the handler's subtraction stays one
     * read-modify-write, its result kept in no register */
    __asm__ volatile("" ::: "memory");
    s->fuel += fuel_need;
    if (wb_store_refuel(s, fuel_need)) NEXT();
    TRAP(WB_TRAP_FUEL);
L_TRAP:
    st = wb_err_trap(err, trap);
    if (err) wb_interp_backtrace(s, entry_depth, s->depth, err);
    goto L_UNWIND;
L_HOST_FAIL:
    if (err) {
        *err = s->pending;
        if (err->status == WB_E_TRAP) wb_interp_backtrace(s, entry_depth, s->depth, err);
    }
    memset(&s->pending, 0, sizeof s->pending);
L_UNWIND:
    s->depth = entry_depth;
    return st;
}

static void labels_init(void)
{
    exec(NULL, NULL, NULL, NULL, 0, NULL);
}

/* Threads compiling their first functions at once (session kernels,
 * server workers) all ask for the table: it is set once. */
const void *const *wb_interp_labels(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, labels_init);
    return g_labels;
}

/* The native runtime calls host functions the same way. */
wb_status wb_interp_call_host(wb_store *s, wb_instance *inst, wb_func *f, uint64_t *args)
{
    return call_host(s, inst, f, args, NULL, NULL);
}

/* One activation of exec() under the fault handler: a guest access in a
 * guard region longjmps back here and becomes a trap. */
static wb_status activate(wb_store *s, wb_func *f, uint64_t *fp,
                          const struct wb_host_site *resume, wb_error *err)
{
    /* State the fault path must restore, fixed before sigsetjmp. */
    sigjmp_buf jb;
    sigjmp_buf *const saved_jmp = tl_jmp;
    const uintptr_t saved_lo = tl_mem_lo, saved_hi = tl_mem_hi;
    const uint32_t saved_depth = s->depth;
    const bool saved_in_host = tl_in_host;
    uint64_t *const saved_top = s->stack_top;
    if (s->depth == 0) s->frames[0].func = f;
    wb_status st;
    if (sigsetjmp(jb, 0) == 0) {
        tl_jmp = &jb;
        tl_in_host = false;
        s->depth = saved_depth + 1;
        st = exec(s, f, fp, resume, resume ? resume->depth : 0, err);
    } else {
        st = wb_err_trap(err, WB_TRAP_MEMORY_OOB);
        if (err) wb_interp_backtrace(s, saved_depth + 1, s->depth, err);
    }
    tl_jmp = saved_jmp;
    tl_mem_lo = saved_lo;
    tl_mem_hi = saved_hi;
    tl_in_host = saved_in_host;
    s->depth = saved_depth;
    s->stack_top = saved_top;
    return st;
}

/* Entry from the API, the instantiator and host re-entry. A module the
 * native tier compiled runs as machine code. */
wb_status wb_interp_call(wb_store *s, wb_func *f, uint64_t *slots, wb_error *err)
{
    if (f->host) {
        wb_status st = call_host(s, NULL, f, slots, NULL, NULL);
        if (st != WB_OK) {
            if (err) *err = s->pending;
            memset(&s->pending, 0, sizeof s->pending);
        }
        return st;
    }
    if (atomic_load_explicit(&f->inst->module->native, memory_order_acquire))
        return wb_native_call(s, f, slots, err);
    const wb_code *code = atomic_load_explicit(&f->def->code, memory_order_acquire);
    if (!code) {
        wb_module *m = f->inst->module;
        wb_status st = wb_compile(m, f->funcidx - m->nfunc_imports, &code, err);
        if (st != WB_OK) return st;
    }
#if !WB_BOUNDS_CHECKS
    pthread_once(&fault_once, install_fault_handler);
#endif
    uint32_t maxd = s->max_depth ? s->max_depth : s->limits.max_call_depth;
    uint64_t *fp = s->stack_top ? s->stack_top : s->stack;
    if (s->depth + 1 >= maxd || !wb_rt_stack_grow(s, fp + code->frame_slots))
        return wb_err_trap(err, WB_TRAP_STACK_EXHAUSTED);
    memcpy(fp, slots, (size_t)code->param_slots * 8);
    wb_status st = activate(s, f, fp, NULL, err);
    if (st == WB_OK) memcpy(slots, fp, (size_t)code->result_slots * 8);
    return st;
}

/* A forked store (fork.c) goes on where its parent's host call was: its
 * frames are in place, frame 1 runs the entry function. */
wb_status wb_interp_resume(wb_store *s, wb_error *err)
{
#if !WB_BOUNDS_CHECKS
    pthread_once(&fault_once, install_fault_handler);
#endif
    const struct wb_host_site r = s->resume;
    if (!r.ip || s->depth != 0 || s->stack_top)
        return wb_err_set(err, WB_E_ARG, "resume: not a forked store, or "
                          "resumed already");
    s->resume.ip = NULL;
    return activate(s, s->frames[1].func, s->stack, &r, err);
}
