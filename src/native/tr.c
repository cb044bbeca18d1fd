/*
 * tr.c: translates one validated function body into LLVM IR: control flow
 * (blocks become basic blocks, block results phi nodes), locals (allocas
 * that mem2reg promotes), calls, and the checks every function and loop
 * makes: call depth, native stack, fuel and the interrupt flag.
 *
 * The body was validated when the module was loaded, so the translator
 * trusts its types and only tracks values. Code after an unconditional
 * branch is skipped up to the end of its block (it cannot run).
 */
#include "nt.h"
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Storage for single-valtype block types: k_types[t] == t. */
static const uint8_t k_types[256] = {
#define T(x) [x] = x
    T(WB_I32), T(WB_I64), T(WB_F32), T(WB_F64), T(WB_V128),
    T(WB_FUNCREF), T(WB_EXTERNREF),
#undef T
};

LLVMValueRef nt_i32(nt_mod *m, uint64_t v) { return LLVMConstInt(m->i32, v, 0); }
LLVMValueRef nt_i64(nt_mod *m, uint64_t v) { return LLVMConstInt(m->i64, v, 0); }

LLVMTypeRef nt_type(nt_mod *m, uint8_t t)
{
    switch (t) {
    case WB_I32: return m->i32;
    case WB_F32: return m->f32;
    case WB_F64: return m->f64;
    case WB_V128: return m->v128;
    default: return m->i64;
    }
}

static LLVMTypeRef results_type(nt_mod *m, const uint8_t *types, uint32_t n)
{
    if (n == 0)
        return m->vt;
    if (n == 1)
        return nt_type(m, types[0]);
    LLVMTypeRef *el = malloc(n * sizeof *el);
    for (uint32_t i = 0; i < n; i++)
        el[i] = nt_type(m, types[i]);
    LLVMTypeRef st = LLVMStructTypeInContext(m->C, el, n, 0);
    free(el);
    return st;
}

/* (context, the caller's call depth, the Wasm parameters...) */
LLVMTypeRef nt_functype(nt_mod *m, const wb_functype *t)
{
    LLVMTypeRef *ps = malloc((t->nparams + NT_ARG0) * sizeof *ps);
    ps[0] = m->ptr;
    ps[1] = m->i32;
    for (uint32_t i = 0; i < t->nparams; i++)
        ps[i + NT_ARG0] = nt_type(m, t->types[i]);
    LLVMTypeRef ft = LLVMFunctionType(results_type(m, t->types + t->nparams,
                                                   t->nresults),
                                      ps, t->nparams + NT_ARG0, 0);
    free(ps);
    return ft;
}

wb_status nt_unsupported(nt_fn *f, const char *what)
{
    if (f->m->err->status == WB_OK)
        wb_err_set(f->m->err, WB_E_IMPL_LIMIT,
                   "native tier: %s not supported yet", what);
    return WB_E_IMPL_LIMIT;
}

/* ---- operand stack -------------------------------------------------------- */

void nt_push(nt_fn *f, LLVMValueRef v)
{
    if (f->sp == f->cap) {
        f->cap = f->cap ? 2 * f->cap : 64;
        f->stack = realloc(f->stack, f->cap * sizeof *f->stack);
        if (!f->stack)
            abort();
    }
    f->stack[f->sp++] = v;
}

LLVMValueRef nt_pop(nt_fn *f) { return f->stack[--f->sp]; }

/* ---- small emitters ----------------------------------------------------- */

static LLVMBasicBlockRef new_block(nt_fn *f)
{
    return LLVMAppendBasicBlockInContext(f->m->C, f->fn, "");
}

/* Guest memory and the runtime's state (fuel, depth, frames, globals)
 * never overlap: with TBAA, LLVM keeps the fuel counter or a global in a
 * register across the guest's stores. */
static void meta_init(nt_mod *m)
{
    if (m->md_empty)
        return;
    m->k_inv = LLVMGetMDKindIDInContext(m->C, "invariant.load", 14);
    m->k_tbaa = LLVMGetMDKindIDInContext(m->C, "tbaa", 4);
    m->md_empty = LLVMMetadataAsValue(m->C, LLVMMDNodeInContext2(m->C, NULL, 0));
    LLVMMetadataRef root_ops[] = { LLVMMDStringInContext2(m->C, "wasmbox", 7) };
    LLVMMetadataRef root = LLVMMDNodeInContext2(m->C, root_ops, 1);
    LLVMMetadataRef zero = LLVMValueAsMetadata(nt_i64(m, 0));
    const char *names[2] = { "guest memory", "runtime" };
    LLVMValueRef *tags[2] = { &m->tbaa_mem, &m->tbaa_rt };
    for (int i = 0; i < 2; i++) {
        LLVMMetadataRef ty_ops[] = {
            LLVMMDStringInContext2(m->C, names[i], strlen(names[i])), root, zero };
        LLVMMetadataRef ty = LLVMMDNodeInContext2(m->C, ty_ops, 3);
        LLVMMetadataRef tag_ops[] = { ty, ty, zero };
        *tags[i] = LLVMMetadataAsValue(m->C, LLVMMDNodeInContext2(m->C, tag_ops, 3));
    }
}

LLVMValueRef nt_invariant(nt_mod *m, LLVMValueRef load)
{
    meta_init(m);
    LLVMSetMetadata(load, m->k_inv, m->md_empty);
    return nt_tag_rt(m, load);
}

LLVMValueRef nt_tag_mem(nt_mod *m, LLVMValueRef access)
{
    meta_init(m);
    LLVMSetMetadata(access, m->k_tbaa, m->tbaa_mem);
    return access;
}

LLVMValueRef nt_tag_rt(nt_mod *m, LLVMValueRef access)
{
    meta_init(m);
    LLVMSetMetadata(access, m->k_tbaa, m->tbaa_rt);
    return access;
}

/* The context's fields do not change while compiled code runs (max_depth
 * and stack_limit are set before each entry, to the same values). */
LLVMValueRef nt_ctx_load(nt_fn *f, size_t off, LLVMTypeRef t)
{
    nt_mod *m = f->m;
    LLVMValueRef p = LLVMBuildGEP2(m->B, m->i8, f->ctx,
                                   (LLVMValueRef[]){ nt_i64(m, off) }, 1, "");
    return nt_invariant(m, LLVMBuildLoad2(m->B, t, p, ""));
}

/* Where the helpers find the guest's call stack (native_rt.c
 * frames_sync): this frame's address, its depth and its function. A
 * function that failed its entry check has not entered: it names its
 * caller instead (def UINT32_MAX, depth the caller's). */
static void sync_frames(nt_fn *f, bool entered)
{
    nt_mod *m = f->m;
    LLVMValueRef fa = nt_call_intrinsic(f, "llvm.frameaddress", &m->ptr, 1,
                                        (LLVMValueRef[]){ nt_i32(m, 0) }, 1);
    LLVMValueRef vals[3] = {
        fa, entered ? f->depth : LLVMGetParam(f->fn, 1),
        nt_i32(m, entered ? f->defidx : UINT32_MAX) };
    static const size_t offs[3] = { offsetof(wb_nctx, top_fp),
        offsetof(wb_nctx, top_depth), offsetof(wb_nctx, top_def) };
    for (int i = 0; i < 3; i++) {
        LLVMValueRef o = nt_i64(m, offs[i]);
        LLVMValueRef p = LLVMBuildGEP2(m->B, m->i8, f->ctx, &o, 1, "");
        nt_tag_rt(m, LLVMBuildStore(m->B, vals[i], p));
    }
}

LLVMValueRef nt_helper(nt_fn *f, size_t off, LLVMTypeRef ret,
                       LLVMTypeRef *params, unsigned n, LLVMValueRef *args)
{
    nt_mod *m = f->m;
    if (f->depth)
        sync_frames(f, true);
    LLVMTypeRef ps[8];
    LLVMValueRef as[8];
    ps[0] = m->ptr;
    as[0] = f->ctx;
    for (unsigned i = 0; i < n; i++) {
        ps[i + 1] = params[i];
        as[i + 1] = args[i];
    }
    /* through ctx->helpers, not an absolute address: the code must run
     * wherever the code cache maps it */
    LLVMValueRef tab = nt_ctx_load(f, offsetof(wb_nctx, helpers), m->ptr);
    LLVMValueRef slot = LLVMBuildGEP2(m->B, m->i8, tab,
                                      (LLVMValueRef[]){ nt_i64(m, off) }, 1, "");
    LLVMValueRef fp = LLVMBuildLoad2(m->B, m->ptr, slot, "");
    LLVMTypeRef ft = LLVMFunctionType(ret, ps, n + 1, 0);
    return LLVMBuildCall2(m->B, ft, fp, as, n + 1, "");
}

static LLVMBasicBlockRef trap_block(nt_fn *f, int kind)
{
    nt_mod *m = f->m;
    if (f->trapbb[kind])
        return f->trapbb[kind];
    LLVMBasicBlockRef cur = LLVMGetInsertBlock(m->B);
    LLVMBasicBlockRef bb = new_block(f);
    LLVMPositionBuilderAtEnd(m->B, bb);
    /* only the entry check traps before the function has entered */
    LLVMValueRef entered = f->depth;
    if (kind == WB_TRAP_STACK_EXHAUSTED) {
        sync_frames(f, false);
        f->depth = NULL;
    }
    LLVMValueRef c = nt_helper(f, offsetof(wb_native_helpers, trap), m->vt,
                               (LLVMTypeRef[]){ m->i32 }, 1,
                               (LLVMValueRef[]){ nt_i32(m, (uint32_t)kind) });
    unsigned k = LLVMGetEnumAttributeKindForName("noreturn", 8);
    LLVMAddCallSiteAttribute(c, LLVMAttributeFunctionIndex,
                             LLVMCreateEnumAttribute(m->C, k, 0));
    LLVMBuildUnreachable(m->B);
    f->depth = entered;
    LLVMPositionBuilderAtEnd(m->B, cur);
    f->trapbb[kind] = bb;
    return bb;
}

void nt_trap_if(nt_fn *f, LLVMValueRef cond, int kind)
{
    LLVMBasicBlockRef next = new_block(f);
    LLVMBuildCondBr(f->m->B, cond, trap_block(f, kind), next);
    LLVMPositionBuilderAtEnd(f->m->B, next);
}

LLVMValueRef nt_call_intrinsic(nt_fn *f, const char *name, LLVMTypeRef *tys,
                               unsigned ntys, LLVMValueRef *args, unsigned n)
{
    nt_mod *m = f->m;
    unsigned id = LLVMLookupIntrinsicID(name, strlen(name));
    LLVMValueRef decl = LLVMGetIntrinsicDeclaration(m->M, id, tys, ntys);
    LLVMTypeRef ft = LLVMIntrinsicGetType(m->C, id, tys, ntys);
    return LLVMBuildCall2(m->B, ft, decl, args, n, "");
}

/* An alloca in the entry block (so that a loop does not grow the stack). */
static LLVMValueRef entry_alloca(nt_fn *f, LLVMTypeRef t)
{
    nt_mod *m = f->m;
    LLVMBasicBlockRef cur = LLVMGetInsertBlock(m->B);
    LLVMPositionBuilderAtEnd(m->B, f->entry);
    LLVMValueRef a = LLVMBuildAlloca(m->B, t, "");
    LLVMPositionBuilderAtEnd(m->B, cur);
    return a;
}

/* Fuel and the interrupt flag: at function entry (cost 1, as the
 * interpreter charges a call) and at every loop header. One branch for
 * both, to a cold call of the poll helper (it refuels from the store's
 * group or traps, then checks the flag): a predicted branch on the hot
 * path, and two blocks fewer per check for LLVM to compile. */
static LLVMValueRef poll(nt_fn *f, uint64_t cost)
{
    nt_mod *m = f->m;
    LLVMValueRef fp = nt_ctx_load(f, offsetof(wb_nctx, fuel), m->ptr);
    LLVMValueRef fuel = nt_tag_rt(m, LLVMBuildLoad2(m->B, m->i64, fp, ""));
    LLVMValueRef sub = LLVMBuildSub(m->B, fuel, nt_i64(m, cost), "");
    nt_tag_rt(m, LLVMBuildStore(m->B, sub, fp));
    LLVMValueRef ip = nt_ctx_load(f, offsetof(wb_nctx, interrupt), m->ptr);
    LLVMValueRef flag = LLVMBuildLoad2(m->B, m->i32, ip, "");
    LLVMSetOrdering(flag, LLVMAtomicOrderingMonotonic);
    LLVMSetAlignment(flag, 4);
    LLVMValueRef cond = LLVMBuildOr(m->B,
        LLVMBuildICmp(m->B, LLVMIntSLT, sub, nt_i64(m, 0), ""),
        LLVMBuildICmp(m->B, LLVMIntNE, flag, nt_i32(m, 0), ""), "");
    LLVMBasicBlockRef cold = new_block(f), next = new_block(f);
    LLVMBuildCondBr(m->B, cond, cold, next);
    LLVMPositionBuilderAtEnd(m->B, cold);
    LLVMValueRef c = nt_helper(f, offsetof(wb_native_helpers, poll), m->vt,
                               NULL, 0, NULL);
    unsigned k = LLVMGetEnumAttributeKindForName("cold", 4);
    LLVMAddCallSiteAttribute(c, LLVMAttributeFunctionIndex,
                             LLVMCreateEnumAttribute(m->C, k, 0));
    LLVMBuildBr(m->B, next);
    LLVMPositionBuilderAtEnd(m->B, next);
    return sub;
}

/* Call depth and native stack. The depth travels as an argument and
 * nothing is written per call: the helpers rebuild the frame records
 * that backtraces, host functions and the interpreter read from the
 * frame pointers when they need them (native_rt.c frames_sync). */
static void prologue(nt_fn *f)
{
    nt_mod *m = f->m;
    LLVMValueRef d1 = LLVMBuildAdd(m->B, LLVMGetParam(f->fn, 1), nt_i32(m, 1), "");
    /* the call depth and the native stack: one branch, one trap */
    LLVMValueRef maxd = nt_ctx_load(f, offsetof(wb_nctx, max_depth), m->i32);
    LLVMValueRef deep = LLVMBuildICmp(m->B, LLVMIntUGE, d1, maxd, "");
    LLVMValueRef fa = nt_call_intrinsic(f, "llvm.frameaddress", &m->ptr, 1,
                                        (LLVMValueRef[]){ nt_i32(m, 0) }, 1);
    LLVMValueRef lim = nt_ctx_load(f, offsetof(wb_nctx, stack_limit), m->i64);
    LLVMValueRef low = LLVMBuildICmp(m->B, LLVMIntULT,
                                     LLVMBuildPtrToInt(m->B, fa, m->i64, ""),
                                     lim, "");
    nt_trap_if(f, LLVMBuildOr(m->B, deep, low, ""), WB_TRAP_STACK_EXHAUSTED);
    f->depth = d1;
    poll(f, 1);
    if (m->wm->nmems) {
        f->mem = nt_ctx_load(f, offsetof(wb_nctx, mem), m->ptr);
        LLVMValueRef bo = nt_i64(m, offsetof(wb_memory, base));
        /* a memory never moves (memory.c) */
        f->membase = nt_invariant(m, LLVMBuildLoad2(m->B, m->ptr,
                                    LLVMBuildGEP2(m->B, m->i8, f->mem, &bo, 1, ""), ""));
    }
}

/* ---- control ---------------------------------------------------------------- */

static nt_ctl *top(nt_fn *f) { return &f->ctl[f->nctl - 1]; }

static wb_status read_blocktype(nt_fn *f, nt_ctl *c)
{
    int64_t v;
    WB_TRY(wb_read_sleb(&f->r, 33, &v));
    c->nparams = c->nresults = 0;
    c->ptypes = c->rtypes = NULL;
    if (v == -64)
        return WB_OK;
    if (v < 0) {
        uint8_t t = (uint8_t)(v + 0x80);
        c->nresults = 1;
        c->rtypes = &k_types[t];
        return WB_OK;
    }
    const wb_functype *ft = &f->m->wm->types[v];
    c->nparams = ft->nparams;
    c->ptypes = ft->types;
    c->nresults = ft->nresults;
    c->rtypes = ft->types + ft->nparams;
    return WB_OK;
}

static LLVMValueRef *make_phis(nt_fn *f, LLVMBasicBlockRef bb,
                               const uint8_t *types, uint32_t n)
{
    nt_mod *m = f->m;
    if (!n)
        return NULL;
    LLVMValueRef *p = malloc(n * sizeof *p);
    LLVMBasicBlockRef cur = LLVMGetInsertBlock(m->B);
    LLVMPositionBuilderAtEnd(m->B, bb);
    for (uint32_t i = 0; i < n; i++)
        p[i] = LLVMBuildPhi(m->B, nt_type(m, types[i]), "");
    LLVMPositionBuilderAtEnd(m->B, cur);
    return p;
}

static nt_ctl *push_ctl(nt_fn *f, uint8_t kind)
{
    if (f->nctl == f->capctl) {
        f->capctl = f->capctl ? 2 * f->capctl : 16;
        f->ctl = realloc(f->ctl, f->capctl * sizeof *f->ctl);
        if (!f->ctl)
            abort();
    }
    nt_ctl *c = &f->ctl[f->nctl++];
    memset(c, 0, sizeof *c);
    c->kind = kind;
    return c;
}

/* Values for an edge to label c: the top of the stack. */
static void add_edge(nt_fn *f, nt_ctl *c)
{
    bool loop = c->kind == NT_LOOP;
    uint32_t n = loop ? c->nparams : c->nresults;
    LLVMValueRef *phis = loop ? c->hphis : c->phis;
    LLVMBasicBlockRef cur = LLVMGetInsertBlock(f->m->B);
    for (uint32_t i = 0; i < n; i++)
        LLVMAddIncoming(phis[i], &f->stack[f->sp - n + i], &cur, 1);
    if (!loop)
        c->reached = true;
}

/* The fall-through edge at else/end: results to cont, whatever the kind. */
static void add_end_edge(nt_fn *f, nt_ctl *c)
{
    LLVMBasicBlockRef cur = LLVMGetInsertBlock(f->m->B);
    for (uint32_t i = 0; i < c->nresults; i++)
        LLVMAddIncoming(c->phis[i], &f->stack[f->sp - c->nresults + i], &cur, 1);
    c->reached = true;
    LLVMBuildBr(f->m->B, c->cont);
}

static LLVMBasicBlockRef target(nt_ctl *c)
{
    return c->kind == NT_LOOP ? c->header : c->cont;
}

static wb_status op_block(nt_fn *f, uint8_t kind)
{
    nt_mod *m = f->m;
    nt_ctl tmp;
    WB_TRY(read_blocktype(f, &tmp));
    LLVMValueRef cond = kind == NT_IF ? nt_pop(f) : NULL;
    nt_ctl *c = push_ctl(f, kind);
    c->nparams = tmp.nparams; c->ptypes = tmp.ptypes;
    c->nresults = tmp.nresults; c->rtypes = tmp.rtypes;
    c->height = f->sp - c->nparams;
    c->cont = new_block(f);
    c->phis = make_phis(f, c->cont, c->rtypes, c->nresults);
    if (kind == NT_IF) {
        LLVMBasicBlockRef then = new_block(f);
        c->elsebb = new_block(f);
        LLVMBuildCondBr(m->B, LLVMBuildICmp(m->B, LLVMIntNE, cond, nt_i32(m, 0), ""),
                        then, c->elsebb);
        LLVMPositionBuilderAtEnd(m->B, then);
        if (c->nparams) {
            c->else_args = malloc(c->nparams * sizeof *c->else_args);
            memcpy(c->else_args, &f->stack[c->height], c->nparams * sizeof *c->else_args);
        }
    } else if (kind == NT_LOOP) {
        c->header = new_block(f);
        c->hphis = make_phis(f, c->header, c->ptypes, c->nparams);
        add_edge(f, c);
        LLVMBuildBr(m->B, c->header);
        LLVMPositionBuilderAtEnd(m->B, c->header);
        for (uint32_t i = 0; i < c->nparams; i++)
            f->stack[c->height + i] = c->hphis[i];
        c->fuel_cost = poll(f, 1);
        c->loop_instr = f->ninstr;
    }
    return WB_OK;
}

static void op_else(nt_fn *f)
{
    nt_mod *m = f->m;
    nt_ctl *c = top(f);
    if (!f->dead)
        add_end_edge(f, c);
    f->sp = c->height;
    for (uint32_t i = 0; i < c->nparams; i++)
        nt_push(f, c->else_args[i]);
    c->has_else = true;
    LLVMPositionBuilderAtEnd(m->B, c->elsebb);
    f->dead = false;
}

static void epilogue(nt_fn *f, nt_ctl *c)
{
    nt_mod *m = f->m;
    if (c->nresults == 0) {
        LLVMBuildRetVoid(m->B);
    } else if (c->nresults == 1) {
        LLVMBuildRet(m->B, c->phis[0]);
    } else {
        LLVMTypeRef st = results_type(m, c->rtypes, c->nresults);
        LLVMValueRef agg = LLVMGetUndef(st);
        for (uint32_t i = 0; i < c->nresults; i++)
            agg = LLVMBuildInsertValue(m->B, agg, c->phis[i], i, "");
        LLVMBuildRet(m->B, agg);
    }
}

static void free_ctl(nt_ctl *c)
{
    free(c->phis);
    free(c->hphis);
    free(c->else_args);
}

static void op_end(nt_fn *f)
{
    nt_mod *m = f->m;
    nt_ctl *c = top(f);
    if (!f->dead)
        add_end_edge(f, c);
    if (c->kind == NT_IF && !c->has_else) {
        /* the false edge: the parameters are the results */
        LLVMPositionBuilderAtEnd(m->B, c->elsebb);
        for (uint32_t i = 0; i < c->nresults; i++)
            LLVMAddIncoming(c->phis[i], &c->else_args[i], &c->elsebb, 1);
        LLVMBuildBr(m->B, c->cont);
        c->reached = true;
    }
    if (c->kind == NT_LOOP) {
        uint32_t cost = f->ninstr - c->loop_instr;
        LLVMValueRef sub = c->fuel_cost;
        if (LLVMIsAInstruction(sub))
            LLVMSetOperand(sub, 1, nt_i64(m, cost ? cost : 1));
    }
    f->sp = c->height;
    if (c->reached) {
        LLVMPositionBuilderAtEnd(m->B, c->cont);
        if (c->kind == NT_FUNC)
            epilogue(f, c);
        else
            for (uint32_t i = 0; i < c->nresults; i++)
                nt_push(f, c->phis[i]);
        f->dead = false;
    } else {
        LLVMDeleteBasicBlock(c->cont);
        f->dead = true;
        f->dead_depth = 0;
    }
    free_ctl(c);
    f->nctl--;
}

static void op_br(nt_fn *f, uint32_t depth)
{
    nt_ctl *c = &f->ctl[f->nctl - 1 - depth];
    add_edge(f, c);
    LLVMBuildBr(f->m->B, target(c));
    f->dead = true;
    f->dead_depth = 0;
}

static void op_br_if(nt_fn *f, uint32_t depth)
{
    nt_mod *m = f->m;
    LLVMValueRef cond = nt_pop(f);
    nt_ctl *c = &f->ctl[f->nctl - 1 - depth];
    add_edge(f, c);
    LLVMBasicBlockRef next = new_block(f);
    LLVMBuildCondBr(m->B, LLVMBuildICmp(m->B, LLVMIntNE, cond, nt_i32(m, 0), ""),
                    target(c), next);
    LLVMPositionBuilderAtEnd(m->B, next);
}

static wb_status op_br_table(nt_fn *f)
{
    nt_mod *m = f->m;
    uint32_t n, l;
    WB_TRY(wb_read_u32(&f->r, &n));
    LLVMValueRef idx = nt_pop(f);
    uint32_t *labels = malloc(((size_t)n + 1) * sizeof *labels);
    if (!labels)
        return wb_err_set(m->err, WB_E_NOMEM, "out of memory");
    for (uint32_t i = 0; i <= n; i++) {
        if (wb_read_u32(&f->r, &l) != WB_OK) {
            free(labels);
            return WB_E_MALFORMED;
        }
        labels[i] = l;
    }
    nt_ctl *def = &f->ctl[f->nctl - 1 - labels[n]];
    add_edge(f, def);
    LLVMValueRef sw = LLVMBuildSwitch(m->B, idx, target(def), n);
    for (uint32_t i = 0; i < n; i++) {
        nt_ctl *c = &f->ctl[f->nctl - 1 - labels[i]];
        add_edge(f, c);            /* one phi entry per edge */
        LLVMAddCase(sw, nt_i32(m, i), target(c));
    }
    free(labels);
    f->dead = true;
    f->dead_depth = 0;
    return WB_OK;
}

/* ---- calls ----------------------------------------------------------------- */

static void push_results(nt_fn *f, LLVMValueRef r, uint32_t n)
{
    if (n == 1)
        nt_push(f, r);
    else
        for (uint32_t i = 0; i < n; i++)
            nt_push(f, LLVMBuildExtractValue(f->m->B, r, i, ""));
}

static LLVMValueRef to_slot(nt_mod *m, LLVMValueRef v, uint8_t t)
{
    switch (t) {
    case WB_I32: return LLVMBuildZExt(m->B, v, m->i64, "");
    case WB_F32: return LLVMBuildZExt(m->B, LLVMBuildBitCast(m->B, v, m->i32, ""), m->i64, "");
    case WB_F64: return LLVMBuildBitCast(m->B, v, m->i64, "");
    default: return v;
    }
}

static LLVMValueRef slot_ptr(nt_mod *m, LLVMValueRef slots, uint32_t i)
{
    LLVMValueRef k = nt_i64(m, i);
    return LLVMBuildGEP2(m->B, m->i64, slots, &k, 1, "");
}

/* The slot of each value: one per value, two for a v128. */
static void put_slots(nt_mod *m, LLVMValueRef slots, const uint8_t *types,
                      uint32_t n, LLVMValueRef (*get)(void *, uint32_t),
                      void *arg)
{
    for (uint32_t i = 0, k = 0; i < n; k += wb_slots_of(types[i]), i++) {
        LLVMValueRef v = get(arg, i);
        LLVMValueRef st = LLVMBuildStore(m->B, to_slot(m, v, types[i]), slot_ptr(m, slots, k));
        LLVMSetAlignment(st, 8);
    }
}

static LLVMValueRef get_arg(void *arg, uint32_t i) { return ((LLVMValueRef *)arg)[i]; }

static LLVMValueRef load_slot(nt_mod *m, LLVMValueRef slots, uint32_t k, uint8_t t)
{
    LLVMValueRef v = LLVMBuildLoad2(m->B, nt_type(m, t), slot_ptr(m, slots, k), "");
    LLVMSetAlignment(v, 8);
    return v;
}

/* Arguments (already popped, in `args`) to a slot array; the results
 * come back in it. */
static LLVMValueRef spill(nt_fn *f, const wb_functype *t, LLVMValueRef *args)
{
    nt_mod *m = f->m;
    uint32_t n = t->param_slots > t->result_slots ? t->param_slots : t->result_slots;
    LLVMValueRef slots = entry_alloca(f, LLVMArrayType2(m->i64, n ? n : 1));
    put_slots(m, slots, t->types, t->nparams, get_arg, args);
    return slots;
}

static void unspill(nt_fn *f, const wb_functype *t, LLVMValueRef slots)
{
    const uint8_t *rt = t->types + t->nparams;
    for (uint32_t i = 0, k = 0; i < t->nresults; k += wb_slots_of(rt[i]), i++)
        nt_push(f, load_slot(f->m, slots, k, rt[i]));
}

/* A call's arguments: the context, this call's depth, the operands. */
static LLVMValueRef *pop_args(nt_fn *f, uint32_t n)
{
    LLVMValueRef *a = malloc((n + NT_ARG0) * sizeof *a);
    f->sp -= n;
    a[0] = f->ctx;
    a[1] = f->depth;
    if (n)
        memcpy(a + NT_ARG0, &f->stack[f->sp], n * sizeof *a);
    return a;
}

static wb_status op_call(nt_fn *f, uint32_t idx)
{
    nt_mod *m = f->m;
    const wb_module *wm = m->wm;
    const wb_functype *t = &wm->types[wm->func_types[idx]];
    LLVMValueRef *a = pop_args(f, t->nparams);
    if (idx < wm->nfunc_imports) {
        LLVMValueRef slots = spill(f, t, a + NT_ARG0);
        nt_helper(f, offsetof(wb_native_helpers, call_import), m->vt,
                  (LLVMTypeRef[]){ m->i32, m->ptr }, 2,
                  (LLVMValueRef[]){ nt_i32(m, idx), slots });
        unspill(f, t, slots);
    } else {
        uint32_t d = idx - wm->nfunc_imports;
        LLVMValueRef callee = m->fns[d];
        if (!callee) {
            LLVMValueRef tab = nt_ctx_load(f, offsetof(wb_nctx, fns), m->ptr);
            LLVMValueRef off = nt_i64(m, (uint64_t)d * sizeof(void *));
            callee = nt_invariant(m, LLVMBuildLoad2(m->B, m->ptr,
                                    LLVMBuildGEP2(m->B, m->i8, tab, &off, 1, ""), ""));
        }
        LLVMValueRef r = LLVMBuildCall2(m->B, nt_functype(m, t), callee, a,
                                        t->nparams + NT_ARG0, "");
        push_results(f, r, t->nresults);
    }
    free(a);
    return WB_OK;
}

/* A load from `base + off` of what never changes while code runs. */
static LLVMValueRef load_fixed(nt_fn *f, LLVMValueRef base, LLVMValueRef off,
                               LLVMTypeRef t)
{
    nt_mod *m = f->m;
    LLVMValueRef p = LLVMBuildGEP2(m->B, m->i8, base, &off, 1, "");
    return nt_invariant(m, LLVMBuildLoad2(m->B, t, p, ""));
}

/* A load of the runtime's changing state (a table's size and elements). */
static LLVMValueRef load_state(nt_fn *f, LLVMValueRef base, LLVMValueRef off,
                               LLVMTypeRef t)
{
    nt_mod *m = f->m;
    LLVMValueRef p = LLVMBuildGEP2(m->B, m->i8, base, &off, 1, "");
    return nt_tag_rt(m, LLVMBuildLoad2(m->B, t, p, ""));
}

static void branch_to(nt_fn *f, LLVMValueRef cond, LLVMBasicBlockRef no)
{
    LLVMBasicBlockRef yes = new_block(f);
    LLVMBuildCondBr(f->m->B, cond, yes, no);
    LLVMPositionBuilderAtEnd(f->m->B, yes);
}

/* call_indirect's common case without a C call: the element is one of
 * this instance's compiled functions and its type is the expected one
 * itself (the module's types are usually distinct, so equal types are
 * one). Anything else goes to `slow`, where the helper (h_indirect)
 * checks it again in full: a trap, a host function or another
 * instance's, a type equal in structure only. A wb_func's fields never
 * change; a table's size and elements do (table.grow, table.set). */
static LLVMValueRef indirect_inline(nt_fn *f, uint32_t table, uint32_t type,
                                    LLVMValueRef idx, LLVMBasicBlockRef slow)
{
    nt_mod *m = f->m;
    LLVMValueRef tabs = nt_ctx_load(f, offsetof(wb_nctx, tables), m->ptr);
    LLVMValueRef t = load_fixed(f, tabs, nt_i64(m, (uint64_t)table * sizeof(void *)),
                                m->ptr);
    LLVMValueRef size = load_state(f, t, nt_i64(m, offsetof(wb_table, size)), m->i32);
    branch_to(f, LLVMBuildICmp(m->B, LLVMIntULT, idx, size, ""), slow);
    LLVMValueRef elems = load_state(f, t, nt_i64(m, offsetof(wb_table, elems)), m->ptr);
    LLVMValueRef at = LLVMBuildMul(m->B, LLVMBuildZExt(m->B, idx, m->i64, ""),
                                   nt_i64(m, sizeof(void *)), "");
    LLVMValueRef fn = load_state(f, elems, at, m->ptr);
    branch_to(f, LLVMBuildIsNotNull(m->B, fn, ""), slow);
    LLVMValueRef ft = load_fixed(f, fn, nt_i64(m, offsetof(wb_func, type)), m->ptr);
    LLVMValueRef fi = load_fixed(f, fn, nt_i64(m, offsetof(wb_func, inst)), m->ptr);
    LLVMValueRef types = nt_ctx_load(f, offsetof(wb_nctx, types), m->ptr);
    LLVMValueRef tofs = nt_i64(m, (uint64_t)type * sizeof(wb_functype));
    LLVMValueRef want = LLVMBuildGEP2(m->B, m->i8, types, &tofs, 1, "");
    LLVMValueRef inst = nt_ctx_load(f, offsetof(wb_nctx, inst), m->ptr);
    branch_to(f, LLVMBuildAnd(m->B, LLVMBuildICmp(m->B, LLVMIntEQ, ft, want, ""),
                              LLVMBuildICmp(m->B, LLVMIntEQ, fi, inst, ""), ""),
              slow);
    LLVMValueRef idx32 = load_fixed(f, fn, nt_i64(m, offsetof(wb_func, funcidx)), m->i32);
    LLVMValueRef d = LLVMBuildZExt(m->B, LLVMBuildSub(m->B, idx32,
                                   nt_i32(m, m->wm->nfunc_imports), ""), m->i64, "");
    LLVMValueRef fns = nt_ctx_load(f, offsetof(wb_nctx, fns), m->ptr);
    return load_fixed(f, fns, LLVMBuildMul(m->B, d, nt_i64(m, sizeof(void *)), ""),
                      m->ptr);
}

/* call_indirect: inline when it can (above), else the helper checks the
 * element and its type; a callee of this instance is called directly,
 * any other through h_call_func. */
static wb_status op_call_indirect(nt_fn *f, uint32_t type, uint32_t table)
{
    nt_mod *m = f->m;
    const wb_functype *t = &m->wm->types[type];
    LLVMValueRef idx = nt_pop(f);
    LLVMValueRef *a = pop_args(f, t->nparams);
    LLVMBasicBlockRef slow = new_block(f), call = new_block(f),
                      other = new_block(f), join = new_block(f);
    LLVMValueRef quick = indirect_inline(f, table, type, idx, slow);
    LLVMBasicBlockRef quick_end = LLVMGetInsertBlock(m->B);
    LLVMBuildBr(m->B, call);
    LLVMPositionBuilderAtEnd(m->B, slow);
    LLVMValueRef out = entry_alloca(f, m->ptr);
    LLVMValueRef fp = nt_helper(f, offsetof(wb_native_helpers, indirect), m->ptr,
                                (LLVMTypeRef[]){ m->i32, m->i32, m->i32, m->ptr }, 4,
                                (LLVMValueRef[]){ nt_i32(m, table), nt_i32(m, type), idx, out });
    LLVMBasicBlockRef slow_end = LLVMGetInsertBlock(m->B);
    LLVMBuildCondBr(m->B, LLVMBuildIsNull(m->B, fp, ""), other, call);
    LLVMPositionBuilderAtEnd(m->B, call);
    LLVMValueRef code = LLVMBuildPhi(m->B, m->ptr, "");
    LLVMAddIncoming(code, (LLVMValueRef[]){ quick, fp },
                    (LLVMBasicBlockRef[]){ quick_end, slow_end }, 2);
    LLVMValueRef r = LLVMBuildCall2(m->B, nt_functype(m, t), code, a,
                                    t->nparams + NT_ARG0, "");
    uint32_t base = f->sp;
    push_results(f, r, t->nresults);
    LLVMBasicBlockRef call_end = LLVMGetInsertBlock(m->B);
    LLVMBuildBr(m->B, join);
    LLVMPositionBuilderAtEnd(m->B, other);
    LLVMValueRef slots = spill(f, t, a + NT_ARG0);
    nt_helper(f, offsetof(wb_native_helpers, call_func), m->vt,
              (LLVMTypeRef[]){ m->ptr, m->ptr }, 2,
              (LLVMValueRef[]){ LLVMBuildLoad2(m->B, m->ptr, out, ""), slots });
    unspill(f, t, slots);
    LLVMBasicBlockRef other_end = LLVMGetInsertBlock(m->B);
    LLVMBuildBr(m->B, join);
    LLVMPositionBuilderAtEnd(m->B, join);
    for (uint32_t i = 0; i < t->nresults; i++) {
        LLVMValueRef v[2] = { f->stack[base + i], f->stack[base + t->nresults + i] };
        LLVMBasicBlockRef b[2] = { call_end, other_end };
        LLVMValueRef phi = LLVMBuildPhi(m->B, nt_type(m, t->types[t->nparams + i]), "");
        LLVMAddIncoming(phi, v, b, 2);
        f->stack[base + i] = phi;
    }
    f->sp = base + t->nresults;
    free(a);
    return WB_OK;
}

/* ---- variables -------------------------------------------------------------- */

static wb_status read_locals(nt_fn *f)
{
    nt_mod *m = f->m;
    const wb_functype *t = f->type;
    uint32_t groups, n;
    uint8_t ty;
    uint64_t total = t->nparams;
    const uint8_t *save = f->r.p;
    WB_TRY(wb_read_u32(&f->r, &groups));
    for (uint32_t g = 0; g < groups; g++) {
        WB_TRY(wb_read_u32(&f->r, &n));
        WB_TRY(wb_read_u8(&f->r, &ty));
        total += n;
    }
    f->nlocals = (uint32_t)total;
    f->locals = malloc((total + 1) * sizeof *f->locals);
    f->ltypes = malloc(total + 1);
    f->r.p = save;
    WB_TRY(wb_read_u32(&f->r, &groups));
    uint32_t k = 0;
    for (; k < t->nparams; k++) {
        f->ltypes[k] = t->types[k];
        f->locals[k] = entry_alloca(f, nt_type(m, t->types[k]));
        LLVMBuildStore(m->B, LLVMGetParam(f->fn, k + NT_ARG0), f->locals[k]);
    }
    for (uint32_t g = 0; g < groups; g++) {
        WB_TRY(wb_read_u32(&f->r, &n));
        WB_TRY(wb_read_u8(&f->r, &ty));
        for (uint32_t i = 0; i < n; i++, k++) {
            f->ltypes[k] = ty;
            f->locals[k] = entry_alloca(f, nt_type(m, ty));
            LLVMBuildStore(m->B, LLVMConstNull(nt_type(m, ty)), f->locals[k]);
        }
    }
    return WB_OK;
}

static wb_status op_local(nt_fn *f, uint8_t op)
{
    nt_mod *m = f->m;
    uint32_t i;
    WB_TRY(wb_read_u32(&f->r, &i));
    if (op == WB_WASM_LOCAL_GET) {
        nt_push(f, LLVMBuildLoad2(m->B, nt_type(m, f->ltypes[i]), f->locals[i], ""));
    } else {
        LLVMValueRef v = op == WB_WASM_LOCAL_SET ? nt_pop(f) : f->stack[f->sp - 1];
        LLVMBuildStore(m->B, v, f->locals[i]);
    }
    return WB_OK;
}

/* ---- the instruction loop ------------------------------------------------------ */

/* Skips an instruction's immediates (dead code). */
static wb_status skip_imm(nt_fn *f, const wb_opdef *d)
{
    wb_reader *r = &f->r;
    uint32_t u, n;
    uint64_t q;
    int64_t s;
    const uint8_t *b;
    switch (d->imm) {
    case WB_IMM_NONE: return WB_OK;
    case WB_IMM_BLOCKTYPE: return wb_read_sleb(r, 33, &s);
    case WB_IMM_LABEL: case WB_IMM_FUNC: case WB_IMM_LOCAL: case WB_IMM_GLOBAL:
    case WB_IMM_TABLE: case WB_IMM_DATA: case WB_IMM_ELEM:
        return wb_read_u32(r, &u);
    case WB_IMM_LABELS:
        WB_TRY(wb_read_u32(r, &n));
        for (uint64_t i = 0; i <= n; i++)
            WB_TRY(wb_read_u32(r, &u));
        return WB_OK;
    case WB_IMM_TYPE_TABLE: case WB_IMM_ELEM_TABLE: case WB_IMM_TABLE_TABLE:
        WB_TRY(wb_read_u32(r, &u));
        return wb_read_u32(r, &u);
    case WB_IMM_VALTYPES:
        WB_TRY(wb_read_u32(r, &n));
        return wb_read_bytes(r, n, &b);
    case WB_IMM_MEMARG:
        WB_TRY(wb_read_u32(r, &u));
        return wb_read_uleb(r, 64, &q);
    case WB_IMM_ZERO: case WB_IMM_REFTYPE: case WB_IMM_LANE:
        return wb_read_bytes(r, 1, &b);
    case WB_IMM_ZERO_ZERO: return wb_read_bytes(r, 2, &b);
    case WB_IMM_I32: return wb_read_sleb(r, 32, &s);
    case WB_IMM_I64: return wb_read_sleb(r, 64, &s);
    case WB_IMM_F32: return wb_read_bytes(r, 4, &b);
    case WB_IMM_F64: return wb_read_bytes(r, 8, &b);
    case WB_IMM_V128: case WB_IMM_LANES16: return wb_read_bytes(r, 16, &b);
    case WB_IMM_DATA_ZERO:
        WB_TRY(wb_read_u32(r, &u));
        return wb_read_bytes(r, 1, &b);
    case WB_IMM_MEMARG_LANE:
        WB_TRY(wb_read_u32(r, &u));
        WB_TRY(wb_read_uleb(r, 64, &q));
        return wb_read_bytes(r, 1, &b);
    }
    return WB_OK;
}

static wb_status dead_op(nt_fn *f, unsigned prefix, uint32_t op, const wb_opdef *d)
{
    if (prefix == 0 && (op == WB_WASM_BLOCK || op == WB_WASM_LOOP || op == WB_WASM_IF)) {
        f->dead_depth++;
        return skip_imm(f, d);
    }
    if (prefix == 0 && op == WB_WASM_END) {
        if (f->dead_depth)
            f->dead_depth--;
        else
            op_end(f);
        return WB_OK;
    }
    if (prefix == 0 && op == WB_WASM_ELSE && !f->dead_depth) {
        op_else(f);
        return WB_OK;
    }
    return skip_imm(f, d);
}

static wb_status control_op(nt_fn *f, uint32_t op)
{
    nt_mod *m = f->m;
    uint32_t a, b;
    switch (op) {
    case WB_WASM_UNREACHABLE:
        LLVMBuildBr(m->B, trap_block(f, WB_TRAP_UNREACHABLE));
        f->dead = true;
        f->dead_depth = 0;
        return WB_OK;
    case WB_WASM_NOP: return WB_OK;
    case WB_WASM_BLOCK: return op_block(f, NT_BLOCK);
    case WB_WASM_LOOP: return op_block(f, NT_LOOP);
    case WB_WASM_IF: return op_block(f, NT_IF);
    case WB_WASM_ELSE: op_else(f); return WB_OK;
    case WB_WASM_END: op_end(f); return WB_OK;
    case WB_WASM_BR: WB_TRY(wb_read_u32(&f->r, &a)); op_br(f, a); return WB_OK;
    case WB_WASM_BR_IF: WB_TRY(wb_read_u32(&f->r, &a)); op_br_if(f, a); return WB_OK;
    case WB_WASM_BR_TABLE: return op_br_table(f);
    case WB_WASM_RETURN: op_br(f, f->nctl - 1); return WB_OK;
    case WB_WASM_CALL: WB_TRY(wb_read_u32(&f->r, &a)); return op_call(f, a);
    case WB_WASM_CALL_INDIRECT:
        WB_TRY(wb_read_u32(&f->r, &a));
        WB_TRY(wb_read_u32(&f->r, &b));
        return op_call_indirect(f, a, b);
    case WB_WASM_DROP: nt_pop(f); return WB_OK;
    case WB_WASM_SELECT_T:
        WB_TRY(wb_read_u32(&f->r, &a));
        f->r.p += a;            /* validated: one value type */
        /* fall through */
    case WB_WASM_SELECT: {
        LLVMValueRef c = nt_pop(f), y = nt_pop(f), x = nt_pop(f);
        nt_push(f, LLVMBuildSelect(m->B, LLVMBuildICmp(m->B, LLVMIntNE, c, nt_i32(m, 0), ""),
                                   x, y, ""));
        return WB_OK;
    }
    case WB_WASM_LOCAL_GET: case WB_WASM_LOCAL_SET: case WB_WASM_LOCAL_TEE:
        return op_local(f, (uint8_t)op);
    }
    return WB_E_NOT_FOUND;
}

static wb_status one_op(nt_fn *f)
{
    uint8_t b;
    uint32_t op;
    unsigned prefix = 0;
    WB_TRY(wb_read_u8(&f->r, &b));
    op = b;
    if (b == WB_PREFIX_FC || b == WB_PREFIX_FD) {
        prefix = b;
        WB_TRY(wb_read_u32(&f->r, &op));
    }
    const wb_opdef *d = wb_opdef_of(prefix, op);
    if (!d)
        return nt_unsupported(f, "an unknown opcode");
    if (f->dead)
        return dead_op(f, prefix, op, d);
    f->ninstr++;
    static const nt_op_fn plain[] = { control_op, nt_mem_op, nt_num_op };
    static const nt_op_fn fc[] = { nt_mem_op, nt_num_op };
    static const nt_op_fn fd[] = { nt_simd_op };
    uint32_t code = d->code;            /* prefix << 8 | sub-opcode */
    wb_status st = prefix == 0 ? nt_first(f, code, plain, 3)
                 : prefix == WB_PREFIX_FC ? nt_first(f, code, fc, 2)
                 : nt_first(f, code, fd, 1);
    if (st == WB_E_NOT_FOUND)
        st = nt_unsupported(f, d->name);
    return st;
}

wb_status nt_first(nt_fn *f, uint32_t code, const nt_op_fn *fns, size_t n)
{
    wb_status st = WB_E_NOT_FOUND;
    for (size_t i = 0; i < n && st == WB_E_NOT_FOUND; i++)
        st = fns[i](f, code);
    return st;
}

wb_status nt_translate(nt_mod *m, uint32_t defidx)
{
    const wb_module *wm = m->wm;
    const wb_funcdef *def = &wm->funcdefs[defidx];
    nt_fn f = { .m = m, .defidx = defidx, .funcidx = defidx + wm->nfunc_imports,
                .type = &wm->types[def->typeidx], .fn = m->fns[defidx] };
    f.r = (wb_reader){ def->body, def->body + def->body_len, m->err };
    f.ctx = LLVMGetParam(f.fn, 0);
    f.entry = LLVMAppendBasicBlockInContext(m->C, f.fn, "entry");
    LLVMBasicBlockRef start = new_block(&f);
    LLVMPositionBuilderAtEnd(m->B, start);
    wb_status st = read_locals(&f);
    if (st == WB_OK) {
        prologue(&f);
        nt_ctl *c = push_ctl(&f, NT_FUNC);
        c->nresults = f.type->nresults;
        c->rtypes = f.type->types + f.type->nparams;
        c->cont = new_block(&f);
        c->phis = make_phis(&f, c->cont, c->rtypes, c->nresults);
    }
    while (st == WB_OK && f.nctl)
        st = one_op(&f);
    if (st == WB_OK) {
        LLVMPositionBuilderAtEnd(m->B, f.entry);
        LLVMBuildBr(m->B, start);
    }
    m->ninstr += f.ninstr;
    for (uint32_t i = 0; i < f.nctl; i++)
        free_ctl(&f.ctl[i]);
    free(f.ctl);
    free(f.stack);
    free(f.locals);
    free(f.ltypes);
    if (st != WB_OK && m->err->status == WB_OK)
        wb_err_set(m->err, st, "native tier: cannot translate function %u",
                   f.funcidx);
    return st;
}

/* void entry(ctx, slots): the interpreter's slot layout in and out. */
typedef struct result_src { nt_mod *m; LLVMValueRef r; uint32_t n; } result_src;

static LLVMValueRef get_result(void *arg, uint32_t i)
{
    result_src *s = arg;
    return s->n == 1 ? s->r : LLVMBuildExtractValue(s->m->B, s->r, i, "");
}

wb_status nt_entry_wrapper(nt_mod *m, uint32_t d)
{
    const wb_module *wm = m->wm;
    const wb_functype *t = &wm->types[wm->funcdefs[d].typeidx];
    LLVMValueRef fn = m->entries[d];
    LLVMPositionBuilderAtEnd(m->B, LLVMAppendBasicBlockInContext(m->C, fn, ""));
    LLVMValueRef ctx = LLVMGetParam(fn, 0), slots = LLVMGetParam(fn, 1);
    LLVMValueRef *a = malloc((t->nparams + NT_ARG0) * sizeof *a);
    a[0] = ctx;
    /* the depth wb_native_call starts from (the store's) */
    LLVMValueRef o = nt_i64(m, offsetof(wb_nctx, depth));
    LLVMValueRef dp = LLVMBuildLoad2(m->B, m->ptr,
                                     LLVMBuildGEP2(m->B, m->i8, ctx, &o, 1, ""), "");
    a[1] = nt_tag_rt(m, LLVMBuildLoad2(m->B, m->i32, dp, ""));
    for (uint32_t i = 0, k = 0; i < t->nparams; k += wb_slots_of(t->types[i]), i++)
        a[i + NT_ARG0] = load_slot(m, slots, k, t->types[i]);
    LLVMValueRef r = LLVMBuildCall2(m->B, nt_functype(m, t), m->fns[d], a,
                                    t->nparams + NT_ARG0, "");
    free(a);
    result_src src = { m, r, t->nresults };
    put_slots(m, slots, t->types + t->nparams, t->nresults, get_result, &src);
    LLVMBuildRetVoid(m->B);
    return WB_OK;
}
