/*
 * compile.c: validates a function body and translates it to internal code.
 *
 * One pass, one algorithm for both jobs (the spec's validation algorithm
 * with an explicit control stack, so deeply nested code never recurses on
 * the native stack). At load time it runs with emission off; on a
 * function's first call it runs again with emission on.
 *
 * Every operand-stack entry has a canonical slot, fixed by its depth. Values
 * are read from `src`, which is the canonical slot, or the slot of a local
 * when a local.get was not copied yet ("lazy"). A lazy entry is copied to
 * its canonical slot before anything could change that local and at every
 * block entry, so control-flow joins only ever see canonical slots.
 * Constants are deferred the same way: an op that can take an immediate
 * operand absorbs them, others get them written just before.
 */
#include "compile.h"
#include "runtime.h"
#include "ops.h"
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

#define NONE UINT32_MAX
#define T_ANY 0                 /* the polymorphic stack's unknown type */
#define BT_EMPTY UINT32_MAX
#define BT_VAL (UINT32_MAX - 1)

/* src == KSRC: a constant not written anywhere yet; its bits are in k. */
#define KSRC UINT32_MAX
typedef struct vent { uint8_t type; uint32_t cslot, src; uint64_t k; } vent;

typedef struct ctl {
    uint8_t kind;               /* 0 func, WB_WASM_BLOCK, _LOOP, _IF or _ELSE */
    bool unreachable, dead;     /* dead: entered inside unreachable code */
    uint32_t height;            /* stack height below the params */
    uint32_t slot_base;         /* canonical slot of the first param/result */
    uint32_t bt; uint8_t bt_val;/* block type: BT_EMPTY, BT_VAL or type index */
    uint32_t loop_pc;           /* loop: cell index of the header */
    uint32_t loop_instr;        /* loop: instruction count at the header */
    uint32_t fix;               /* chain of forward jumps to the end */
    uint32_t else_fix;          /* if: the jump taken when false */
} ctl;

typedef struct cx {
    const wb_module *m;
    const wb_functype *ft;
    wb_reader r;
    bool emit, live;
    wb_error *err;              /* the first failure; never NULL */

    uint32_t nlocals, local_slots;
    uint8_t *ltype;
    uint32_t *lslot;
    uint32_t *lazy;             /* per slot: lazy stack entries reading it */

    vent *vs; uint32_t nvs, capvs, lazy_lo;
    ctl *cs; uint32_t ncs, capcs;
    wb_cell *code; uint32_t ncode, capcode, maxcode;
    uint32_t max_slot;
    uint32_t ninstr;            /* wasm instructions read so far */
    const void *const *labels;

    /* The last emitted op that wrote the stack top, for local.set fusion,
     * and (last_op >= 0) the compare it was, for branch fusion. */
    uint32_t last_end, last_cell, last_slot, last_start; uint8_t last_half;
    int last_op;
    uint32_t k32_end;           /* end of a CONST32 just emitted, or NONE */
} cx;

static wb_status fail(cx *c, wb_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* run() adds the function and offset to the message. */
static wb_status fail(cx *c, wb_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    wb_err_vset(c->err, st, fmt, ap);
    va_end(ap);
    return st;
}

#define INVALID(...) fail(c, WB_E_INVALID, __VA_ARGS__)

/* ---- growable arrays ---------------------------------------------------- */

static wb_status grow_slow(cx *c, void **p, uint32_t *cap, uint32_t need,
                           size_t sz)
{
    uint64_t n = *cap ? (uint64_t)*cap * 2 : 64;
    while (n < need) n *= 2;
    if (n > UINT32_MAX / 2) return fail(c, WB_E_IMPL_LIMIT, "function too large");
    void *q = realloc(*p, n * sz);
    if (!q) return fail(c, WB_E_NOMEM, "out of memory translating function");
    *p = q;
    *cap = (uint32_t)n;
    return WB_OK;
}

/* Room for `need` entries: the check inline (it runs for every cell and
 * stack entry a translation emits), the reallocation not. */
static inline wb_status grow(cx *c, void **p, uint32_t *cap, uint32_t need,
                            size_t sz)
{
    return need <= *cap ? WB_OK : grow_slow(c, p, cap, need, sz);
}

/* ---- emission ----------------------------------------------------------- */

static wb_status cell(cx *c, wb_cell v)
{
    if (c->ncode >= c->maxcode)
        return fail(c, WB_E_IMPL_LIMIT, "function too large to translate");
    WB_TRY(grow(c, (void **)&c->code, &c->capcode, c->ncode + 1, sizeof(wb_cell)));
    c->code[c->ncode++] = v;
    return WB_OK;
}

static wb_status e_op(cx *c, int op) { return cell(c, (wb_cell){ .op = c->labels[op] }); }
static wb_status e_2(cx *c, uint32_t a, uint32_t b)
{
    wb_cell v; v.u32[0] = a; v.u32[1] = b;
    return cell(c, v);
}
static wb_status e_64(cx *c, uint64_t x) { return cell(c, (wb_cell){ .u64 = x }); }

/* Remember that the op just emitted writes the stack-top slot from the
 * given cell half, so a following local.set may redirect it. */
static void set_last(cx *c, uint32_t cellidx, uint8_t half, uint32_t slot)
{
    c->last_cell = cellidx; c->last_half = half; c->last_slot = slot;
    c->last_end = c->ncode;
    c->last_op = -1;
}

/* Called at every label and rewrite: nothing emitted before may be
 * changed or merged with what follows. */
static void kill_last(cx *c) { c->last_end = NONE; c->k32_end = NONE; }

/* ---- block types -------------------------------------------------------- */

static uint32_t bt_nparams(const cx *c, const ctl *f)
{
    return f->bt < BT_VAL ? c->m->types[f->bt].nparams : 0;
}
static uint8_t bt_param(const cx *c, const ctl *f, uint32_t i)
{
    return c->m->types[f->bt].types[i];
}
static uint32_t bt_nresults(const cx *c, const ctl *f)
{
    if (f->bt == BT_EMPTY) return 0;
    if (f->bt == BT_VAL) return 1;
    return c->m->types[f->bt].nresults;
}
static uint8_t bt_result(const cx *c, const ctl *f, uint32_t i)
{
    if (f->bt == BT_VAL) return f->bt_val;
    const wb_functype *t = &c->m->types[f->bt];
    return t->types[t->nparams + i];
}
/* A branch to a loop carries its params; to anything else, its results. */
static uint32_t lb_arity(const cx *c, const ctl *f)
{
    return f->kind == WB_WASM_LOOP ? bt_nparams(c, f) : bt_nresults(c, f);
}
static uint8_t lb_type(const cx *c, const ctl *f, uint32_t i)
{
    return f->kind == WB_WASM_LOOP ? bt_param(c, f, i) : bt_result(c, f, i);
}

/* ---- operand stack ------------------------------------------------------ */

static ctl *top(cx *c) { return &c->cs[c->ncs - 1]; }

static void update_live(cx *c)
{
    ctl *f = top(c);
    c->live = c->emit && !f->unreachable && !f->dead;
}

static uint32_t next_slot(const cx *c)
{
    if (!c->nvs) return c->local_slots;
    const vent *v = &c->vs[c->nvs - 1];
    return v->cslot + wb_slots_of(v->type);
}

static wb_status push(cx *c, uint8_t t)
{
    WB_TRY(grow(c, (void **)&c->vs, &c->capvs, c->nvs + 1, sizeof(vent)));
    uint32_t s = next_slot(c);
    if (s + 2 > WB_MAX_FRAME_SLOTS)
        return fail(c, WB_E_IMPL_LIMIT, "function needs too many stack slots");
    c->vs[c->nvs++] = (vent){ t, s, s, 0 };
    if (s + wb_slots_of(t) > c->max_slot) c->max_slot = s + wb_slots_of(t);
    return WB_OK;
}

static bool is_lazy(const cx *c, const vent *v) { return v->src < c->local_slots; }

static wb_status pop_any(cx *c, vent *out)
{
    ctl *f = top(c);
    if (c->nvs == f->height) {
        if (!f->unreachable) return INVALID("type mismatch");
        *out = (vent){ T_ANY, next_slot(c), next_slot(c), 0 };
        return WB_OK;
    }
    *out = c->vs[--c->nvs];
    if (is_lazy(c, out)) c->lazy[out->src]--;
    if (c->lazy_lo > c->nvs) c->lazy_lo = c->nvs;
    return WB_OK;
}

static wb_status pop(cx *c, uint8_t want, vent *out)
{
    WB_TRY(pop_any(c, out));
    if (out->type != want && out->type != T_ANY && want != T_ANY)
        return INVALID("type mismatch");
    return WB_OK;
}

static wb_status e_copy(cx *c, uint8_t t, uint32_t from, uint32_t to)
{
    if (from == to || !c->live) return WB_OK;
    WB_TRY(e_op(c, t == WB_V128 ? WB_OP_COPY128 : WB_OP_COPY));
    return e_2(c, from * 8, to * 8);
}

static wb_status e_kconst(cx *c, uint8_t t, uint64_t k, uint32_t slot)
{
    if (!c->live) return WB_OK;
    if (t == WB_I64 || t == WB_F64 || wb_is_ref(t)) {
        WB_TRY(e_op(c, WB_OP_CONST64));
        WB_TRY(e_2(c, slot * 8, 0));
        return e_64(c, k);
    }
    if (c->k32_end == c->ncode) {
        /* Two constants in a row become one op. */
        c->code[c->ncode - 2].op = c->labels[WB_OP_CONST32X2];
        c->k32_end = NONE;
        return e_2(c, slot * 8, (uint32_t)k);
    }
    WB_TRY(e_op(c, WB_OP_CONST32));
    WB_TRY(e_2(c, slot * 8, (uint32_t)k));
    c->k32_end = c->ncode;
    return WB_OK;
}

/* Put v's value in `to` (a copy, or the deferred constant itself). */
static wb_status e_move(cx *c, const vent *v, uint32_t to)
{
    if (v->src == KSRC) return e_kconst(c, v->type, v->k, to);
    return e_copy(c, v->type, v->src, to);
}

/* The byte offset to read v from; writes a deferred constant first. Call
 * before emitting the op that reads it. */
static wb_status rs(cx *c, vent *v, uint32_t *off)
{
    if (v->src == KSRC) {
        WB_TRY(e_kconst(c, v->type, v->k, v->cslot));
        v->src = v->cslot;
        c->last_end = NONE;     /* a constant, not the stack top's producer, was last */
    }
    *off = v->src * 8;
    return WB_OK;
}

/* Move a lazy or constant entry to its canonical slot. */
static wb_status materialize(cx *c, uint32_t i)
{
    vent *v = &c->vs[i];
    uint32_t off;
    if (v->src == KSRC) return rs(c, v, &off);
    if (!is_lazy(c, v)) return WB_OK;
    WB_TRY(e_copy(c, v->type, v->src, v->cslot));
    c->lazy[v->src]--;
    v->src = v->cslot;
    c->last_end = NONE;
    return WB_OK;
}

static wb_status materialize_all(cx *c)
{
    for (uint32_t i = c->lazy_lo; i < c->nvs; i++) WB_TRY(materialize(c, i));
    c->lazy_lo = c->nvs;
    return WB_OK;
}

/* Before local slot `s` is written, entries still reading it must move. */
static wb_status protect_local(cx *c, uint32_t s)
{
    for (uint32_t i = c->nvs; i-- > c->lazy_lo && c->lazy[s];)
        if (c->vs[i].src == s) WB_TRY(materialize(c, i));
    return WB_OK;
}

/* ---- control frames ----------------------------------------------------- */

static wb_status push_ctl(cx *c, uint8_t kind, uint32_t bt, uint8_t btv)
{
    bool dead = c->ncs && (top(c)->unreachable || top(c)->dead);
    WB_TRY(grow(c, (void **)&c->cs, &c->capcs, c->ncs + 1, sizeof(ctl)));
    ctl *f = &c->cs[c->ncs++];
    *f = (ctl){ .kind = kind, .dead = dead, .bt = bt, .bt_val = btv,
                .fix = NONE, .else_fix = NONE, .loop_pc = NONE };
    uint32_t np = bt_nparams(c, f);
    f->height = c->nvs - np;
    f->slot_base = np ? c->vs[f->height].cslot : next_slot(c);
    update_live(c);
    return WB_OK;
}

static void set_unreachable(cx *c)
{
    ctl *f = top(c);
    while (c->nvs > f->height) {
        vent *v = &c->vs[--c->nvs];
        if (is_lazy(c, v)) c->lazy[v->src]--;
    }
    if (c->lazy_lo > c->nvs) c->lazy_lo = c->nvs;
    f->unreachable = true;
    update_live(c);
}

/* Emit the jump target cell for label l: backward offset for loops, or a
 * link in l's chain of forward jumps. */
static wb_status e_target(cx *c, ctl *l)
{
    if (!c->live) return WB_OK;
    uint32_t here = c->ncode;
    if (l->kind == WB_WASM_LOOP) return e_64(c, (uint64_t)((int64_t)l->loop_pc - here));
    WB_TRY(e_64(c, l->fix));
    l->fix = here;
    return WB_OK;
}

static void patch_chain(cx *c, uint32_t link, uint32_t target)
{
    while (link != NONE) {
        uint32_t next = (uint32_t)c->code[link].u64;
        c->code[link].i64 = (int64_t)target - link;
        link = next;
    }
}

/* Canonical destination slot of value i of label l. */
static uint32_t label_slot(const cx *c, const ctl *l, uint32_t i)
{
    uint32_t s = l->slot_base;
    for (uint32_t k = 0; k < i; k++) s += wb_slots_of(lb_type(c, l, k));
    return s;
}

/* Do the top n values need copying to reach label l's slots? */
static bool needs_copies(const cx *c, const ctl *l, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (c->vs[c->nvs - n + i].src != label_slot(c, l, i)) return true;
    return false;
}

static wb_status e_copies_to_label(cx *c, const ctl *l, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        const vent *v = &c->vs[c->nvs - n + i];
        WB_TRY(e_move(c, v, label_slot(c, l, i)));
    }
    return WB_OK;
}

/* Results of the function go to slots 0.. of the frame. A lazy result
 * whose local would be overwritten by an earlier result moves first. */
static wb_status e_return(cx *c)
{
    const wb_functype *ft = c->ft;
    uint32_t n = ft->nresults, base = c->nvs - n;
    if (n == 0) return e_op(c, WB_OP_RETURN);     /* vs may still be NULL */
    const vent *r = &c->vs[base];
    if (n == 1 && c->last_end == c->ncode && r->src == c->last_slot &&
        r->src == r->cslot && wb_slots_of(r->type) == 1) {
        /* The op that computed the result writes it to slot 0 itself. */
        c->code[c->last_cell].u32[c->last_half] = 0;
        kill_last(c);
        return e_op(c, WB_OP_RETURN);
    }
    if (n == 1 && wb_slots_of(r->type) == 1) {
        /* One result: the return op carries it (a slot or a constant). */
        if (r->src == KSRC) {
            WB_TRY(e_op(c, WB_OP_RETURN_K));
            WB_TRY(e_2(c, 0, 0));
            return e_64(c, r->k);
        }
        if (r->src == 0) return e_op(c, WB_OP_RETURN);
        WB_TRY(e_op(c, WB_OP_RETURN1));
        return e_2(c, r->src * 8, 0);
    }
    for (uint32_t i = 0; i < n; i++) {
        vent *v = &c->vs[base + i];
        if (is_lazy(c, v) && v->src < ft->result_slots) WB_TRY(materialize(c, base + i));
    }
    uint32_t d = 0;
    for (uint32_t i = 0; i < n; i++) {
        const vent *v = &c->vs[base + i];
        WB_TRY(e_move(c, v, d));
        d += wb_slots_of(v->type);
    }
    return e_op(c, WB_OP_RETURN);
}

/* The values of a branch are on the stack (validated by the caller). */
static wb_status e_branch(cx *c, ctl *l)
{
    if (!c->live) return WB_OK;
    if (l == &c->cs[0]) return e_return(c);
    WB_TRY(e_copies_to_label(c, l, lb_arity(c, l)));
    if (l->kind == WB_WASM_LOOP) {
        /* Fuel: the instructions of the loop body up to this branch. */
        uint32_t cost = c->ninstr - l->loop_instr;
        WB_TRY(e_op(c, WB_OP_BR_LOOP));
        WB_TRY(e_64(c, cost ? cost : 1));
    } else {
        WB_TRY(e_op(c, WB_OP_BR));
    }
    return e_target(c, l);
}

static wb_status get_label(cx *c, uint32_t depth, ctl **out)
{
    if (depth >= c->ncs) return INVALID("unknown label");
    *out = &c->cs[c->ncs - 1 - depth];
    return WB_OK;
}

/* The types a branch to l carries, as a pointer and a count. */
static const uint8_t *lb_types(const cx *c, const ctl *l, uint32_t *n)
{
    *n = lb_arity(c, l);
    if (l->bt == BT_VAL) return &l->bt_val;
    if (l->bt >= BT_VAL) return NULL;
    const wb_functype *t = &c->m->types[l->bt];
    return l->kind == WB_WASM_LOOP ? t->types : t->types + t->nparams;
}

/* Check that the stack top has these types, leaving it in place. In
 * unreachable code missing entries become typed ones, as the spec's
 * pop-then-push does. */
static wb_status check_top(cx *c, const uint8_t *types, uint32_t n)
{
    ctl *f = top(c);
    if (!f->unreachable) {
        if (c->nvs - f->height < n) return INVALID("type mismatch");
        for (uint32_t i = 0; i < n; i++) {
            uint8_t t = c->vs[c->nvs - n + i].type;
            if (t != types[i] && t != T_ANY) return INVALID("type mismatch");
        }
        return WB_OK;
    }
    vent v;
    for (uint32_t i = n; i-- > 0;) WB_TRY(pop(c, types[i], &v));
    for (uint32_t i = 0; i < n; i++) WB_TRY(push(c, types[i]));
    return WB_OK;
}

static wb_status check_label_top(cx *c, ctl *l, uint32_t *n)
{
    const uint8_t *types = lb_types(c, l, n);
    return check_top(c, types, *n);
}

/* For branches that end the block (br, br_table, return): entries missing
 * below an unreachable point match any type, and nothing is pushed back,
 * so labels of different types can share one polymorphic operand. */
static wb_status check_label_soft(cx *c, ctl *l, uint32_t *n)
{
    const uint8_t *types = lb_types(c, l, n);
    ctl *f = top(c);
    for (uint32_t i = 0; i < *n; i++) {
        uint32_t below = *n - i;                 /* depth from the top */
        if (c->nvs - f->height < below) {
            if (!f->unreachable) return INVALID("type mismatch");
            continue;
        }
        uint8_t t = c->vs[c->nvs - below].type;
        if (t != types[i] && t != T_ANY) return INVALID("type mismatch");
    }
    return WB_OK;
}

/* ---- instruction groups ------------------------------------------------- */

static wb_status rd_blocktype(cx *c, uint32_t *bt, uint8_t *btv)
{
    int64_t v;
    WB_TRY(wb_read_sleb(&c->r, 33, &v));
    if (v >= 0) {
        if ((uint64_t)v >= c->m->ntypes) return INVALID("unknown type");
        *bt = (uint32_t)v;
        return WB_OK;
    }
    uint8_t b = (uint8_t)(v & 0x7f);
    if (b == 0x40) { *bt = BT_EMPTY; return WB_OK; }
    if (!(wb_is_num(b) || wb_is_ref(b)) || v < -64)
        return fail(c, WB_E_MALFORMED, "malformed value type");
    *bt = BT_VAL; *btv = b;
    return WB_OK;
}

/* ---- immediate forms and compare-branch fusion --------------------- */

static int ri_op(int op)
{
    switch (op) {
#define RI_CASE(n, T, R, e) case WB_OP_##n: return WB_OP_##n##_RI;
    WB_RI_OPS(RI_CASE)
#undef RI_CASE
#define CMP_CASE(n, T, e, sw, ng) case WB_OP_##n: return WB_OP_##n##_RI;
    WB_CMP_OPS(CMP_CASE)
#undef CMP_CASE
    }
    return -1;
}

/* If v is the value written by the op just emitted, and that op is `want`
 * (a load or i32.add with an immediate: three cells), remove it and copy
 * its cells to ins, so the caller can emit one fused op instead. */
static bool take_last(cx *c, int want, const vent *v, wb_cell ins[3])
{
    if (c->last_end != c->ncode || c->last_op != want ||
        v->src != c->last_slot || v->src != v->cslot)
        return false;
    memcpy(ins, &c->code[c->last_start], 3 * sizeof *ins);
    c->ncode = c->last_start;
    kill_last(c);
    return true;
}

/* The op computing the same with operands swapped, or -1. */
static int swapped_op(int op)
{
    switch (op) {
    case WB_OP_I32_ADD: case WB_OP_I32_MUL: case WB_OP_I32_AND: case WB_OP_I32_OR:
    case WB_OP_I32_XOR: case WB_OP_I64_ADD: case WB_OP_I64_MUL: case WB_OP_I64_AND:
    case WB_OP_I64_OR: case WB_OP_I64_XOR:
        return op;
#define CMP_SWAP(n, T, e, sw, ng) case WB_OP_##n: return WB_OP_##sw;
    WB_CMP_OPS(CMP_SWAP)
#undef CMP_SWAP
    }
    return -1;
}

/* The comparison that is true exactly when `op` is false. */
static int negated_cmp(int op)
{
    switch (op) {
#define CMP_NEG(n, T, e, sw, ng) case WB_OP_##n: return WB_OP_##ng;
    WB_CMP_OPS(CMP_NEG)
#undef CMP_NEG
    }
    return -1;
}

/* `load; op` where the op's right operand is the value just loaded: emit
 * one M_ op that loads it itself. */
static wb_status fold_load_operand(cx *c, int op, vent *a, vent *b, uint32_t d,
                                   bool *done)
{
    int mop = -1, ld = -1;
    switch (op) {
#define M_CASE(n, T, l, e) case WB_OP_##n: mop = WB_OP_M_##n; ld = WB_OP_##l; break;
    WB_LOADOP_OPS(M_CASE)
#undef M_CASE
    }
    wb_cell ins[3];
    *done = mop >= 0 && a->src != KSRC && take_last(c, ld, b, ins);
    if (!*done)
        return WB_OK;
    WB_TRY(e_op(c, mop));
    WB_TRY(e_2(c, a->src * 8, d * 8));
    WB_TRY(e_2(c, ins[1].u32[0], 0));
    WB_TRY(e_64(c, ins[2].u64));
    set_last(c, c->ncode - 3, 1, d);
    return WB_OK;
}

/* `load; op k` where the op's left operand is the value just loaded by a
 * plain i32.load: one MK_ op loads and applies the constant. */
static wb_status fold_load_imm(cx *c, int op, const vent *a, const vent *b,
                               uint32_t d, bool *done)
{
    int mop = -1, ld = -1;
    switch (op) {
#define MK_CASE(n, T, l, e) case WB_OP_##n: mop = WB_OP_MK_##n; ld = WB_OP_##l; break;
    WB_LOADRI_OPS(MK_CASE)
#undef MK_CASE
    }
    wb_cell ins[3];
    *done = mop >= 0 && take_last(c, ld, a, ins);
    if (!*done)
        return WB_OK;
    WB_TRY(e_op(c, mop));
    WB_TRY(e_2(c, ins[1].u32[0], d * 8));
    WB_TRY(e_64(c, ins[2].u64));
    WB_TRY(e_64(c, b->k));
    set_last(c, c->ncode - 3, 1, d);
    return WB_OK;
}

/* Map a compare (register or immediate form) to its register form, or -1. */
static int cmp_of(int op, bool *imm)
{
    switch (op) {
#define CMP_BACK(n, T, e, sw, ng) \
    case WB_OP_##n: *imm = false; return op; \
    case WB_OP_##n##_RI: *imm = true; return WB_OP_##n;
    WB_CMP_OPS(CMP_BACK)
#undef CMP_BACK
    }
    return -1;
}

static int br_cmp_op(int cmp, bool imm, bool loop)
{
    switch (cmp) {
#define CMP_BR(n, T, e, sw, ng) case WB_OP_##n: \
        return loop ? (imm ? WB_OP_BRL_##n##_RI : WB_OP_BRL_##n) \
                    : (imm ? WB_OP_BR_##n##_RI : WB_OP_BR_##n);
    WB_CMP_OPS(CMP_BR)
#undef CMP_BR
    }
    return -1;
}

/* Emit a branch taken when cond is non-zero (when_true) or zero, without
 * its target cell. When cond comes from the compare just emitted, the
 * compare is folded into the branch. A nonzero loop_cost makes it a loop's
 * backward edge, which pays that much fuel when taken. */
static wb_status e_cond_branch_to(cx *c, vent *cond, bool when_true, uint32_t loop_cost)
{
    bool loop = loop_cost != 0;
    if (c->last_end == c->ncode && cond->src == c->last_slot && c->last_op >= 0) {
        bool imm;
        int cmp = cmp_of(c->last_op, &imm);
        wb_cell *ins = &c->code[c->last_start];
        if (cmp >= 0) {
            uint32_t a = ins[1].u32[0], b = imm ? 0 : ins[1].u32[1];
            uint64_t k = imm ? ins[2].u64 : 0;
            c->ncode = c->last_start;
            kill_last(c);
            WB_TRY(e_op(c, br_cmp_op(when_true ? cmp : negated_cmp(cmp), imm, loop)));
            WB_TRY(e_2(c, a, b));
            if (imm) WB_TRY(e_64(c, k));
            return loop ? e_64(c, loop_cost) : WB_OK;
        }
        if (c->last_op == WB_OP_I32_EQZ || c->last_op == WB_OP_I64_EQZ) {
            uint32_t a = ins[1].u32[0];
            int op = c->last_op;
            c->ncode = c->last_start;
            kill_last(c);
            if (op == WB_OP_I32_EQZ) {
                WB_TRY(e_op(c, when_true ? (loop ? WB_OP_BRL_UNLESS : WB_OP_BR_UNLESS)
                                        : (loop ? WB_OP_BRL_IF : WB_OP_BR_IF)));
                WB_TRY(e_2(c, a, 0));
                return loop ? e_64(c, loop_cost) : WB_OK;
            }
            WB_TRY(e_op(c, br_cmp_op(when_true ? WB_OP_I64_EQ : WB_OP_I64_NE, true, loop)));
            WB_TRY(e_2(c, a, 0));
            WB_TRY(e_64(c, 0));
            return loop ? e_64(c, loop_cost) : WB_OK;
        }
    }
    uint32_t sc;
    WB_TRY(rs(c, cond, &sc));
    kill_last(c);
    WB_TRY(e_op(c, when_true ? (loop ? WB_OP_BRL_IF : WB_OP_BR_IF)
                            : (loop ? WB_OP_BRL_UNLESS : WB_OP_BR_UNLESS)));
    WB_TRY(e_2(c, sc, 0));
    return loop ? e_64(c, loop_cost) : WB_OK;
}

static wb_status e_cond_branch(cx *c, vent *cond, bool when_true)
{
    return e_cond_branch_to(c, cond, when_true, 0);
}

static wb_status op_block(cx *c, uint8_t kind)
{
    uint32_t bt = BT_EMPTY; uint8_t btv = 0;
    WB_TRY(rd_blocktype(c, &bt, &btv));
    vent cond = { 0 };
    if (kind == WB_WASM_IF) WB_TRY(pop(c, WB_I32, &cond));
    ctl probe = { .kind = WB_WASM_LOOP, .bt = bt, .bt_val = btv };
    uint32_t np;
    const uint8_t *params = lb_types(c, &probe, &np);
    WB_TRY(check_top(c, params, np));
    if (c->live) WB_TRY(materialize_all(c));
    bool was_live = c->live;
    WB_TRY(push_ctl(c, kind, bt, btv));
    ctl *f = top(c);
    if (kind == WB_WASM_LOOP) {
        f->loop_pc = c->ncode;
        f->loop_instr = c->ninstr;
        kill_last(c);
    } else if (kind == WB_WASM_IF && was_live) {
        WB_TRY(e_cond_branch(c, &cond, false));
        f->else_fix = c->ncode;
        WB_TRY(e_64(c, NONE));
    }
    return WB_OK;
}

/* At the end of a block's body (end or else): check and settle results. */
static wb_status close_body(cx *c, ctl *f)
{
    uint32_t n = bt_nresults(c, f);
    vent tmp[n ? n : 1];
    vent *heap = NULL, *t = tmp;
    if (n > 64) { heap = malloc(n * sizeof *heap); if (!heap) return fail(c, WB_E_NOMEM, "out of memory"); t = heap; }
    wb_status st = WB_OK;
    if (c->live) {
        for (uint32_t i = f->height > c->lazy_lo ? f->height : c->lazy_lo; i < c->nvs && !st; i++)
            st = materialize(c, i);
    }
    for (uint32_t i = n; i-- > 0 && !st;) st = pop(c, bt_result(c, f, i), &t[i]);
    free(heap);
    WB_TRY(st);
    if (c->nvs != f->height) return INVALID("type mismatch");
    return WB_OK;
}

static wb_status op_else(cx *c)
{
    ctl *f = top(c);
    if (f->kind != WB_WASM_IF) return INVALID("else without if");
    bool live = c->live;
    WB_TRY(close_body(c, f));
    if (live) { WB_TRY(e_op(c, WB_OP_BR)); WB_TRY(e_target(c, f)); }
    if (f->else_fix != NONE) {
        patch_chain(c, f->else_fix, c->ncode);
        f->else_fix = NONE;
    }
    kill_last(c);
    f->kind = WB_WASM_ELSE;
    f->unreachable = false;
    update_live(c);
    for (uint32_t i = 0; i < bt_nparams(c, f); i++) WB_TRY(push(c, bt_param(c, f, i)));
    return WB_OK;
}

static wb_status op_end(cx *c)
{
    ctl *f = top(c);
    if (f->kind == WB_WASM_IF) {
        /* if without else: the false path passes params through. */
        uint32_t np = bt_nparams(c, f), nr = bt_nresults(c, f);
        bool same = np == nr;
        for (uint32_t i = 0; same && i < np; i++)
            same = bt_param(c, f, i) == bt_result(c, f, i);
        if (!same) return INVALID("type mismatch");
    }
    if (c->ncs == 1) {
        uint32_t n;
        WB_TRY(check_label_top(c, f, &n));
        if (c->live) WB_TRY(e_return(c));
        c->live = false;
        WB_TRY(close_body(c, f));
        c->ncs = 0;
        return WB_OK;
    }
    WB_TRY(close_body(c, f));
    if (f->else_fix != NONE) patch_chain(c, f->else_fix, c->ncode);
    if (f->fix != NONE || f->else_fix != NONE) kill_last(c);
    patch_chain(c, f->fix, c->ncode);
    ctl done = *f;
    c->ncs--;
    update_live(c);
    for (uint32_t i = 0; i < bt_nresults(c, &done); i++) WB_TRY(push(c, bt_result(c, &done, i)));
    return WB_OK;
}

static wb_status op_br(cx *c)
{
    uint32_t d, n;
    ctl *l = NULL;
    WB_TRY(wb_read_u32(&c->r, &d));
    WB_TRY(get_label(c, d, &l));
    WB_TRY(check_label_soft(c, l, &n));
    WB_TRY(e_branch(c, l));
    set_unreachable(c);
    return WB_OK;
}

static wb_status op_br_if(cx *c)
{
    uint32_t d, n;
    ctl *l = NULL;
    vent cond;
    WB_TRY(wb_read_u32(&c->r, &d));
    WB_TRY(get_label(c, d, &l));
    WB_TRY(pop(c, WB_I32, &cond));
    WB_TRY(check_label_top(c, l, &n));
    if (!c->live) return WB_OK;
    if (l->kind == WB_WASM_LOOP && !needs_copies(c, l, n)) {
        uint32_t cost = c->ninstr - l->loop_instr;
        WB_TRY(e_cond_branch_to(c, &cond, true, cost ? cost : 1));
        return e_target(c, l);
    }
    if (l == &c->cs[0] || l->kind == WB_WASM_LOOP || needs_copies(c, l, n)) {
        WB_TRY(e_cond_branch(c, &cond, false));
        uint32_t skip = c->ncode;
        WB_TRY(e_64(c, NONE));
        WB_TRY(e_branch(c, l));
        patch_chain(c, skip, c->ncode);
        return WB_OK;
    }
    WB_TRY(e_cond_branch(c, &cond, true));
    return e_target(c, l);
}

static wb_status op_br_table(cx *c)
{
    uint32_t n, def, arity = 0;
    vent idx;
    WB_TRY(wb_read_u32(&c->r, &n));
    if (n > WB_MAX_BR_TABLE) return fail(c, WB_E_IMPL_LIMIT, "br_table too large");
    if ((size_t)(c->r.end - c->r.p) < n) return fail(c, WB_E_MALFORMED, "unexpected end");
    const uint8_t *list = c->r.p;
    for (uint32_t i = 0; i < n; i++) { uint32_t d; WB_TRY(wb_read_u32(&c->r, &d)); }
    WB_TRY(wb_read_u32(&c->r, &def));
    WB_TRY(pop(c, WB_I32, &idx));
    ctl *l = NULL;
    WB_TRY(get_label(c, def, &l));
    arity = lb_arity(c, l);
    uint32_t k;
    WB_TRY(check_label_soft(c, l, &k));
    wb_reader lr = { list, c->r.p, c->err };
    for (uint32_t i = 0; i < n; i++) {
        uint32_t d;
        WB_TRY(wb_read_u32(&lr, &d));
        WB_TRY(get_label(c, d, &l));
        if (lb_arity(c, l) != arity) return INVALID("type mismatch");
        WB_TRY(check_label_soft(c, l, &k));
    }
    if (c->live) {
        uint32_t si;
        WB_TRY(rs(c, &idx, &si));
        WB_TRY(e_op(c, WB_OP_BR_TABLE));
        WB_TRY(e_2(c, si, n));
        uint32_t first = c->ncode;
        for (uint32_t i = 0; i <= n; i++) WB_TRY(e_64(c, 0));
        lr = (wb_reader){ list, c->r.p, c->err };
        for (uint32_t i = 0; i <= n; i++) {
            uint32_t d;
            WB_TRY(wb_read_u32(&lr, &d));
            l = &c->cs[c->ncs - 1 - d];
            uint32_t slot = first + i;
            if (l != &c->cs[0] && l->kind != WB_WASM_LOOP && !needs_copies(c, l, arity)) {
                c->code[slot].u64 = l->fix;
                l->fix = slot;
                continue;
            }
            c->code[slot].i64 = (int64_t)c->ncode - slot;   /* a stub */
            WB_TRY(e_branch(c, l));
        }
    }
    set_unreachable(c);
    return WB_OK;
}

/* Arguments must sit in their canonical slots, where the callee's frame
 * begins. Two or more lazy locals or constants move in one MOVES op. */
static wb_status materialize_args(cx *c, uint32_t np)
{
    uint32_t nc = 0, nk = 0, first = c->nvs - np;
    for (uint32_t i = first; i < c->nvs; i++) {
        const vent *v = &c->vs[i];
        if (wb_slots_of(v->type) != 1) continue;
        if (v->src == KSRC) nk++;
        else if (is_lazy(c, v)) nc++;
    }
    if (nc + nk < 2) {
        for (uint32_t i = first; i < c->nvs; i++) WB_TRY(materialize(c, i));
        return WB_OK;
    }
    kill_last(c);
    WB_TRY(e_op(c, WB_OP_MOVES));
    WB_TRY(e_2(c, nc, nk));
    for (uint32_t i = first; i < c->nvs; i++) {
        vent *v = &c->vs[i];
        if (wb_slots_of(v->type) != 1 || !is_lazy(c, v)) continue;
        WB_TRY(e_2(c, v->src * 8, v->cslot * 8));
        c->lazy[v->src]--;
        v->src = v->cslot;
    }
    for (uint32_t i = first; i < c->nvs; i++) {
        vent *v = &c->vs[i];
        if (wb_slots_of(v->type) != 1 || v->src != KSRC) continue;
        WB_TRY(e_2(c, v->cslot * 8, 0));
        WB_TRY(e_64(c, v->k));
        v->src = v->cslot;
    }
    for (uint32_t i = first; i < c->nvs; i++) WB_TRY(materialize(c, i));  /* v128 */
    return WB_OK;
}

static wb_status op_call_common(cx *c, const wb_functype *ft, int op, uint32_t a,
                           uint32_t b, vent *extra)
{
    uint32_t np = ft->nparams;
    vent v;
    WB_TRY(check_top(c, ft->types, np));
    if (c->live) WB_TRY(materialize_args(c, np));
    for (uint32_t i = np; i-- > 0;) WB_TRY(pop(c, ft->types[i], &v));
    uint32_t base = next_slot(c);
    if (c->live) {
        uint32_t sx = 0;
        if (extra) WB_TRY(rs(c, extra, &sx));
        kill_last(c);
        WB_TRY(e_op(c, op));
        WB_TRY(e_2(c, a, b));
        if (extra) WB_TRY(e_2(c, sx, base * 8));
        else WB_TRY(e_2(c, base * 8, 0));
    }
    for (uint32_t i = 0; i < ft->nresults; i++) WB_TRY(push(c, ft->types[np + i]));
    /* The callee's frame may reach past this point; leave room for its
     * results at least. */
    if (base + ft->result_slots > c->max_slot) c->max_slot = base + ft->result_slots;
    return WB_OK;
}

static wb_status op_call(cx *c)
{
    uint32_t fi;
    WB_TRY(wb_read_u32(&c->r, &fi));
    if (fi >= c->m->nfuncs) return INVALID("unknown function %u", fi);
    return op_call_common(c, wb_module_functype(c->m, fi), WB_OP_CALL, fi, 0, NULL);
}

static wb_status op_call_indirect(cx *c)
{
    uint32_t ti, tab;
    vent idx;
    WB_TRY(wb_read_u32(&c->r, &ti));
    WB_TRY(wb_read_u32(&c->r, &tab));
    if (tab >= c->m->ntables) return INVALID("unknown table %u", tab);
    if (ti >= c->m->ntypes) return INVALID("unknown type");
    if (c->m->tables[tab].elem != WB_FUNCREF) return INVALID("type mismatch");
    WB_TRY(pop(c, WB_I32, &idx));
    return op_call_common(c, &c->m->types[ti], WB_OP_CALL_INDIRECT, ti, tab, &idx);
}

static wb_status op_return(cx *c)
{
    uint32_t n;
    WB_TRY(check_label_soft(c, &c->cs[0], &n));
    if (c->live) WB_TRY(e_return(c));
    set_unreachable(c);
    return WB_OK;
}

/* Generic shapes. */
static wb_status op_unary(cx *c, int op, uint8_t in, uint8_t out)
{
    vent a;
    WB_TRY(pop(c, in, &a));
    WB_TRY(push(c, out));
    if (!c->live) return WB_OK;
    uint32_t sa;
    WB_TRY(rs(c, &a, &sa));
    uint32_t start = c->ncode;
    const vent *d = &c->vs[c->nvs - 1];
    WB_TRY(e_op(c, op));
    WB_TRY(e_2(c, sa, d->cslot * 8));
    set_last(c, c->ncode - 1, 1, d->cslot);
    c->last_op = op;
    c->last_start = start;
    return WB_OK;
}

static wb_status op_binary(cx *c, int op, uint8_t in, uint8_t out)
{
    vent a, b;
    WB_TRY(pop(c, in, &b));
    WB_TRY(pop(c, in, &a));
    WB_TRY(push(c, out));
    if (!c->live) return WB_OK;
    uint32_t d = c->vs[c->nvs - 1].cslot;
    if (a.src == KSRC && b.src != KSRC && swapped_op(op) >= 0) {
        vent t = a; a = b; b = t;
        op = swapped_op(op);
    }
    bool done;
    WB_TRY(fold_load_operand(c, op, &a, &b, d, &done));
    if (done) return WB_OK;
    int ri = b.src == KSRC ? ri_op(op) : -1;
    if (ri >= 0) {
        WB_TRY(fold_load_imm(c, op, &a, &b, d, &done));
        if (done) return WB_OK;
        uint32_t sa;
        WB_TRY(rs(c, &a, &sa));
        uint32_t start = c->ncode;
        WB_TRY(e_op(c, ri));
        WB_TRY(e_2(c, sa, d * 8));
        WB_TRY(e_64(c, b.k));
        set_last(c, c->ncode - 2, 1, d);
        c->last_op = ri;
        c->last_start = start;
        return WB_OK;
    }
    uint32_t sa, sb;
    WB_TRY(rs(c, &a, &sa));
    WB_TRY(rs(c, &b, &sb));
    uint32_t start = c->ncode;
    WB_TRY(e_op(c, op));
    WB_TRY(e_2(c, sa, sb));
    WB_TRY(e_2(c, d * 8, 0));
    set_last(c, c->ncode - 1, 0, d);
    c->last_op = op;
    c->last_start = start;
    return WB_OK;
}

/* Type change only: slots hold raw bits (i32.wrap_i64, reinterpret). */
static wb_status op_retype(cx *c, uint8_t in, uint8_t out)
{
    vent v;
    WB_TRY(pop(c, in, &v));
    WB_TRY(push(c, out));
    if (c->live && (is_lazy(c, &v) || v.src == KSRC)) {
        c->vs[c->nvs - 1].src = v.src;
        c->vs[c->nvs - 1].k = v.k;
        if (v.src != KSRC) c->lazy[v.src]++;
    }
    return WB_OK;
}

static wb_status e_const(cx *c, uint8_t t, uint64_t bits)
{
    WB_TRY(push(c, t));
    if (c->live) {
        vent *v = &c->vs[c->nvs - 1];
        v->src = KSRC;
        v->k = bits;
    }
    return WB_OK;
}

static wb_status rd_local(cx *c, uint32_t *x)
{
    WB_TRY(wb_read_u32(&c->r, x));
    if (*x >= c->nlocals) return INVALID("unknown local %u", *x);
    return WB_OK;
}

static wb_status op_local_get(cx *c)
{
    uint32_t x;
    WB_TRY(rd_local(c, &x));
    WB_TRY(push(c, c->ltype[x]));
    if (c->live) {
        vent *v = &c->vs[c->nvs - 1];
        v->src = c->lslot[x];
        c->lazy[v->src]++;
    }
    return WB_OK;
}

static wb_status op_local_set(cx *c, bool tee)
{
    uint32_t x;
    vent v;
    WB_TRY(rd_local(c, &x));
    WB_TRY(pop(c, c->ltype[x], &v));
    uint32_t ls = c->lslot[x];
    if (c->live) {
        WB_TRY(protect_local(c, ls));
        if (c->last_end == c->ncode && v.src == c->last_slot && v.src == v.cslot &&
            wb_slots_of(v.type) == 1) {
            c->code[c->last_cell].u32[c->last_half] = ls * 8;
        } else {
            WB_TRY(e_move(c, &v, ls));
        }
        c->last_end = NONE;
    }
    if (!tee) return WB_OK;
    WB_TRY(push(c, c->ltype[x]));
    if (c->live) {
        vent *t = &c->vs[c->nvs - 1];
        t->src = ls;
        c->lazy[ls]++;
    }
    return WB_OK;
}

static wb_status op_global(cx *c, bool set)
{
    uint32_t x;
    WB_TRY(wb_read_u32(&c->r, &x));
    if (x >= c->m->nglobals) return INVALID("unknown global %u", x);
    wb_globaltype g = c->m->globals[x];
    bool wide = g.type == WB_V128;
    if (set) {
        vent v;
        if (!g.mut) return INVALID("global is immutable");
        WB_TRY(pop(c, g.type, &v));
        if (!c->live) return WB_OK;
        uint32_t sv;
        WB_TRY(rs(c, &v, &sv));
        WB_TRY(e_op(c, wide ? WB_OP_GLOBAL_SET128 : WB_OP_GLOBAL_SET));
        return e_2(c, x, sv);
    }
    WB_TRY(push(c, g.type));
    if (!c->live) return WB_OK;
    const vent *d = &c->vs[c->nvs - 1];
    WB_TRY(e_op(c, wide ? WB_OP_GLOBAL_GET128 : WB_OP_GLOBAL_GET));
    WB_TRY(e_2(c, x, d->cslot * 8));
    if (!wide) set_last(c, c->ncode - 1, 1, d->cslot);
    return WB_OK;
}

static wb_status op_select(cx *c, bool typed)
{
    uint8_t t = T_ANY;
    vent cond, a, b;
    if (typed) {
        uint32_t n;
        WB_TRY(wb_read_u32(&c->r, &n));
        if (n != 1) return INVALID("invalid result arity");
        WB_TRY(wb_read_u8(&c->r, &t));
        if (!wb_is_num(t) && !wb_is_ref(t)) return fail(c, WB_E_MALFORMED, "malformed value type");
    }
    WB_TRY(pop(c, WB_I32, &cond));
    WB_TRY(pop(c, t, &b));
    WB_TRY(pop(c, t, &a));
    if (!typed) {
        if (wb_is_ref(a.type) || wb_is_ref(b.type)) return INVALID("type mismatch");
        if (a.type != b.type && a.type != T_ANY && b.type != T_ANY) return INVALID("type mismatch");
        t = a.type != T_ANY ? a.type : b.type;
    }
    WB_TRY(push(c, t));
    if (!c->live) return WB_OK;
    const vent *d = &c->vs[c->nvs - 1];
    uint32_t sc, sa, sb;
    WB_TRY(rs(c, &cond, &sc));
    WB_TRY(rs(c, &a, &sa));
    WB_TRY(rs(c, &b, &sb));
    WB_TRY(e_op(c, t == WB_V128 ? WB_OP_SELECT128 : WB_OP_SELECT));
    WB_TRY(e_2(c, sc, sa));
    WB_TRY(e_2(c, sb, d->cslot * 8));
    if (t != WB_V128) set_last(c, c->ncode - 1, 1, d->cslot);
    return WB_OK;
}

static wb_status need_mem(cx *c)
{
    if (c->m->nmems == 0) return INVALID("unknown memory 0");
    return WB_OK;
}

/* The K_ form (constant address) of a load or store. */
static int kaddr_op(int op)
{
    static const int kop[] = {
#define KOP(n) WB_OP_K_##n,
        WB_ADDR_OPS(KOP)
#undef KOP
    };
    return kop[op - WB_OP_I32_LOAD];
}

/* If `a` (a load or store address) is the result of the `i32.add x, k`
 * just emitted, remove that add and return the op with it folded in, its
 * x operand and k; else -1. */
static int fold_addr(cx *c, const vent *a, int op, uint32_t *x, uint64_t *k)
{
    static const int xop[] = {
#define XOP(n) WB_OP_X_##n,
        WB_ADDR_OPS(XOP)
#undef XOP
    };
    wb_cell ins[3];
    if (!take_last(c, WB_OP_I32_ADD_RI, a, ins))
        return -1;
    *x = ins[1].u32[0];
    *k = ins[2].u64;
    return xop[op - WB_OP_I32_LOAD];
}

static wb_status rd_memarg(cx *c, uint8_t natural, uint32_t *off)
{
    uint32_t align;
    WB_TRY(wb_read_u32(&c->r, &align));
    WB_TRY(wb_read_u32(&c->r, off));
    WB_TRY(need_mem(c));
    if (align > natural) return INVALID("alignment must not be larger than natural");
    return WB_OK;
}

static wb_status op_load(cx *c, const wb_opdef *in)
{
    uint32_t off;
    vent a;
    int op = in->op;
    WB_TRY(rd_memarg(c, in->arg, &off));
    WB_TRY(pop(c, WB_I32, &a));
    WB_TRY(push(c, in->sig.result));
    if (!c->live) return WB_OK;
    const vent *d = &c->vs[c->nvs - 1];
    if (a.src == KSRC) {
        uint32_t start = c->ncode;
        WB_TRY(e_op(c, kaddr_op(op)));
        WB_TRY(e_2(c, 0, d->cslot * 8));
        WB_TRY(e_64(c, (uint64_t)(uint32_t)a.k + off));
        set_last(c, c->ncode - 2, 1, d->cslot);
        c->last_op = kaddr_op(op);
        c->last_start = start;
        return WB_OK;
    }
    uint32_t x;
    uint64_t k;
    int xop = fold_addr(c, &a, op, &x, &k);
    if (xop >= 0) {
        WB_TRY(e_op(c, xop));
        WB_TRY(e_2(c, x, d->cslot * 8));
        WB_TRY(e_64(c, off));
        WB_TRY(e_64(c, k));
        set_last(c, c->ncode - 3, 1, d->cslot);
        return WB_OK;
    }
    uint32_t sa;
    WB_TRY(rs(c, &a, &sa));
    uint32_t start = c->ncode;
    WB_TRY(e_op(c, op));
    WB_TRY(e_2(c, sa, d->cslot * 8));
    WB_TRY(e_64(c, off));
    set_last(c, c->ncode - 2, 1, d->cslot);
    c->last_op = op;
    c->last_start = start;
    return WB_OK;
}

static wb_status op_store(cx *c, const wb_opdef *in)
{
    uint32_t off;
    vent a, v;
    int op = in->op;
    WB_TRY(rd_memarg(c, in->arg, &off));
    WB_TRY(pop(c, in->sig.params[1], &v));
    WB_TRY(pop(c, WB_I32, &a));
    if (!c->live) return WB_OK;
    if (v.src == KSRC) {
        /* A constant stored: the width is the natural alignment. */
        static const int kop[4] = { WB_OP_STOREK1, WB_OP_STOREK2, WB_OP_STOREK4,
                                    WB_OP_STOREK8 };
        uint32_t sa;
        WB_TRY(rs(c, &a, &sa));
        WB_TRY(e_op(c, kop[in->arg]));
        WB_TRY(e_2(c, sa, 0));
        WB_TRY(e_64(c, off));
        return e_64(c, v.k);
    }
    if (a.src == KSRC) {
        uint32_t sv;
        WB_TRY(rs(c, &v, &sv));
        WB_TRY(e_op(c, kaddr_op(op)));
        WB_TRY(e_2(c, 0, sv));
        return e_64(c, (uint64_t)(uint32_t)a.k + off);
    }
    /* v is no constant here, so reading it emits nothing and the address's
     * i32.add may still be the last op. */
    uint32_t x, sv;
    WB_TRY(rs(c, &v, &sv));
    uint64_t k;
    int xop = fold_addr(c, &a, op, &x, &k);
    if (xop >= 0) {
        WB_TRY(e_op(c, xop));
        WB_TRY(e_2(c, x, sv));
        WB_TRY(e_64(c, off));
        return e_64(c, k);
    }
    uint32_t sa;
    WB_TRY(rs(c, &a, &sa));
    WB_TRY(e_op(c, op));
    WB_TRY(e_2(c, sa, sv));
    return e_64(c, off);
}

static wb_status zero_byte(cx *c)
{
    uint8_t b;
    WB_TRY(wb_read_u8(&c->r, &b));
    if (b != 0) return fail(c, WB_E_MALFORMED, "zero byte expected");
    return WB_OK;
}

static wb_status op_memory_size_grow(cx *c, bool grow_)
{
    WB_TRY(zero_byte(c));
    WB_TRY(need_mem(c));
    if (!grow_) {
        WB_TRY(push(c, WB_I32));
        if (!c->live) return WB_OK;
        WB_TRY(e_op(c, WB_OP_MEMORY_SIZE));
        return e_2(c, c->vs[c->nvs - 1].cslot * 8, 0);
    }
    return op_unary(c, WB_OP_MEMORY_GROW, WB_I32, WB_I32);
}

/* Pop n values of the given types; emit op with the immediates and their
 * slots: [op][i0|i1][s0|s1][s2|0]... */
static wb_status op_slots(cx *c, int op, uint32_t i0, uint32_t i1,
                     const uint8_t *types, uint32_t n, uint8_t result)
{
    vent v[4];
    for (uint32_t k = n; k-- > 0;) WB_TRY(pop(c, types[k], &v[k]));
    if (result) WB_TRY(push(c, result));
    if (!c->live) return WB_OK;
    uint32_t s[4] = { 0 };
    uint32_t m = 0;
    for (; m < n; m++) WB_TRY(rs(c, &v[m], &s[m]));
    if (result) s[m++] = c->vs[c->nvs - 1].cslot * 8;
    WB_TRY(e_op(c, op));
    WB_TRY(e_2(c, i0, i1));
    for (uint32_t k = 0; k < m; k += 2) WB_TRY(e_2(c, s[k], s[k + 1]));
    return WB_OK;
}

static wb_status rd_table(cx *c, uint32_t *t)
{
    WB_TRY(wb_read_u32(&c->r, t));
    if (*t >= c->m->ntables) return INVALID("unknown table %u", *t);
    return WB_OK;
}

static wb_status rd_elem(cx *c, uint32_t *e)
{
    WB_TRY(wb_read_u32(&c->r, e));
    if (*e >= c->m->nelems) return INVALID("unknown elem segment %u", *e);
    return WB_OK;
}

/* Without a data count section, data indices are only an error of form
 * when data segments exist; otherwise there are simply none to name. */
static wb_status check_data(cx *c, const uint32_t *d)
{
    if (!c->m->has_datacount && c->m->ndatas)
        return fail(c, WB_E_MALFORMED, "data count section required");
    if (*d >= (c->m->has_datacount ? c->m->datacount : 0))
        return INVALID("unknown data segment %u", *d);
    return WB_OK;
}

static wb_status rd_data(cx *c, uint32_t *d)
{
    WB_TRY(wb_read_u32(&c->r, d));
    return check_data(c, d);
}

/* A load, store or numeric op: one that runs as itself (opcodes.h). */
static inline __attribute__((always_inline)) wb_status op_direct(cx *c, const wb_opdef *in)
{
    if (in->imm == WB_IMM_MEMARG) return in->sig.result ? op_load(c, in) : op_store(c, in);
    if (in->sig.nparams == 2) return op_binary(c, in->op, in->sig.params[0], in->sig.result);
    return op_unary(c, in->op, in->sig.params[0], in->sig.result);
}

static wb_status op_prefix_fc(cx *c)
{
    uint32_t sub, x, y;
    WB_TRY(wb_read_u32(&c->r, &sub));
    const wb_opdef *in = wb_opdef_of(WB_PREFIX_FC, sub);
    if (!in) return fail(c, WB_E_MALFORMED, "illegal opcode 0xfc %u", sub);
    if (in->direct) return op_direct(c, in);       /* saturating truncations */
    const uint8_t *ts = in->sig.params, nts = in->sig.nparams;
    switch (in->code) {
    case WB_WASM_MEMORY_INIT:
        WB_TRY(wb_read_u32(&c->r, &x));
        WB_TRY(zero_byte(c));
        WB_TRY(need_mem(c));
        WB_TRY(check_data(c, &x));
        return op_slots(c, WB_OP_MEMORY_INIT, x, 0, ts, nts, 0);
    case WB_WASM_DATA_DROP:
        WB_TRY(rd_data(c, &x));
        if (!c->live) return WB_OK;
        WB_TRY(e_op(c, WB_OP_DATA_DROP));
        return e_2(c, x, 0);
    case WB_WASM_MEMORY_COPY:
        WB_TRY(zero_byte(c));
        WB_TRY(zero_byte(c));
        WB_TRY(need_mem(c));
        return op_slots(c, WB_OP_MEMORY_COPY, 0, 0, ts, nts, 0);
    case WB_WASM_MEMORY_FILL:
        WB_TRY(zero_byte(c));
        WB_TRY(need_mem(c));
        return op_slots(c, WB_OP_MEMORY_FILL, 0, 0, ts, nts, 0);
    case WB_WASM_TABLE_INIT:
        WB_TRY(rd_elem(c, &y));
        WB_TRY(rd_table(c, &x));
        if (c->m->elems[y].type != c->m->tables[x].elem) return INVALID("type mismatch");
        return op_slots(c, WB_OP_TABLE_INIT, x, y, ts, nts, 0);
    case WB_WASM_ELEM_DROP:
        WB_TRY(rd_elem(c, &x));
        if (!c->live) return WB_OK;
        WB_TRY(e_op(c, WB_OP_ELEM_DROP));
        return e_2(c, x, 0);
    case WB_WASM_TABLE_COPY:
        WB_TRY(rd_table(c, &x));
        WB_TRY(rd_table(c, &y));
        if (c->m->tables[x].elem != c->m->tables[y].elem) return INVALID("type mismatch");
        return op_slots(c, WB_OP_TABLE_COPY, x, y, ts, nts, 0);
    case WB_WASM_TABLE_GROW: {
        WB_TRY(rd_table(c, &x));
        uint8_t tt[2] = { c->m->tables[x].elem, WB_I32 };
        return op_slots(c, WB_OP_TABLE_GROW, x, 0, tt, 2, WB_I32);
    }
    case WB_WASM_TABLE_SIZE:
        WB_TRY(rd_table(c, &x));
        return op_slots(c, WB_OP_TABLE_SIZE, x, 0, NULL, 0, in->sig.result);
    case WB_WASM_TABLE_FILL: {
        WB_TRY(rd_table(c, &x));
        uint8_t tt[3] = { WB_I32, c->m->tables[x].elem, WB_I32 };
        return op_slots(c, WB_OP_TABLE_FILL, x, 0, tt, 3, 0);
    }
    }
    return fail(c, WB_E_MALFORMED, "illegal opcode 0xfc %u", sub);
}

static wb_status rd_reftype(cx *c, uint8_t *t)
{
    WB_TRY(wb_read_u8(&c->r, t));
    if (!wb_is_ref(*t)) return fail(c, WB_E_MALFORMED, "malformed reference type");
    return WB_OK;
}

static wb_status op_const(cx *c, const wb_opdef *in)
{
    int64_t v;
    const uint8_t *p;
    switch (in->imm) {
    case WB_IMM_I32: WB_TRY(wb_read_sleb(&c->r, 32, &v)); return e_const(c, WB_I32, (uint32_t)v);
    case WB_IMM_I64: WB_TRY(wb_read_sleb(&c->r, 64, &v)); return e_const(c, WB_I64, (uint64_t)v);
    case WB_IMM_F32: {
        WB_TRY(wb_read_bytes(&c->r, 4, &p));
        uint32_t b; memcpy(&b, p, 4);
        return e_const(c, WB_F32, b);
    }
    default: {
        WB_TRY(wb_read_bytes(&c->r, 8, &p));
        uint64_t b; memcpy(&b, p, 8);
        return e_const(c, WB_F64, b);
    }
    }
}

static wb_status op_ref(cx *c, uint8_t op)
{
    uint8_t t = 0;
    uint32_t x;
    vent v;
    switch (op) {
    case WB_WASM_REF_NULL:
        WB_TRY(rd_reftype(c, &t));
        return e_const(c, t, 0);
    case WB_WASM_REF_IS_NULL:
        WB_TRY(pop_any(c, &v));
        if (!wb_is_ref(v.type) && v.type != T_ANY) return INVALID("type mismatch");
        WB_TRY(push(c, WB_I32));
        if (!c->live) return WB_OK;
        uint32_t sv;
        WB_TRY(rs(c, &v, &sv));
        WB_TRY(e_op(c, WB_OP_REF_IS_NULL));
        return e_2(c, sv, c->vs[c->nvs - 1].cslot * 8);
    default:
        WB_TRY(wb_read_u32(&c->r, &x));
        if (x >= c->m->nfuncs) return INVALID("unknown function %u", x);
        if (!(c->m->declared_funcs[x / 8] & (1u << (x % 8))))
            return INVALID("undeclared function reference");
        WB_TRY(push(c, WB_FUNCREF));
        if (!c->live) return WB_OK;
        WB_TRY(e_op(c, WB_OP_REF_FUNC));
        return e_2(c, x, c->vs[c->nvs - 1].cslot * 8);
    }
}

static wb_status op_table_getset(cx *c, bool set)
{
    uint32_t x;
    WB_TRY(rd_table(c, &x));
    uint8_t et = c->m->tables[x].elem;
    if (set) {
        uint8_t ts[2] = { WB_I32, et };
        return op_slots(c, WB_OP_TABLE_SET, x, 0, ts, 2, 0);
    }
    static const uint8_t index[1] = { WB_I32 };
    return op_slots(c, WB_OP_TABLE_GET, x, 0, index, 1, et);
}

static wb_status step(cx *c)
{
    uint8_t op;
    WB_TRY(wb_read_u8(&c->r, &op));
    c->ninstr++;
    const wb_opdef *in = &wb_opdefs[0][op];
    switch (op) {
    case WB_WASM_UNREACHABLE:
        if (c->live) { kill_last(c); WB_TRY(e_op(c, WB_OP_UNREACHABLE)); }
        set_unreachable(c);
        return WB_OK;
    case WB_WASM_NOP: return WB_OK;
    case WB_WASM_BLOCK: case WB_WASM_LOOP: case WB_WASM_IF: return op_block(c, op);
    case WB_WASM_ELSE: return op_else(c);
    case WB_WASM_END: return op_end(c);
    case WB_WASM_BR: return op_br(c);
    case WB_WASM_BR_IF: return op_br_if(c);
    case WB_WASM_BR_TABLE: return op_br_table(c);
    case WB_WASM_RETURN: return op_return(c);
    case WB_WASM_CALL: return op_call(c);
    case WB_WASM_CALL_INDIRECT: return op_call_indirect(c);
    case WB_WASM_DROP: { vent v; return pop_any(c, &v); }
    case WB_WASM_SELECT: return op_select(c, false);
    case WB_WASM_SELECT_T: return op_select(c, true);
    case WB_WASM_LOCAL_GET: return op_local_get(c);
    case WB_WASM_LOCAL_SET: return op_local_set(c, false);
    case WB_WASM_LOCAL_TEE: return op_local_set(c, true);
    case WB_WASM_GLOBAL_GET: return op_global(c, false);
    case WB_WASM_GLOBAL_SET: return op_global(c, true);
    case WB_WASM_TABLE_GET: return op_table_getset(c, false);
    case WB_WASM_TABLE_SET: return op_table_getset(c, true);
    case WB_WASM_MEMORY_SIZE: return op_memory_size_grow(c, false);
    case WB_WASM_MEMORY_GROW: return op_memory_size_grow(c, true);
    case WB_WASM_I32_CONST: case WB_WASM_I64_CONST:
    case WB_WASM_F32_CONST: case WB_WASM_F64_CONST: return op_const(c, in);
    /* Type changes only: slots hold raw bits. */
    case WB_WASM_I32_WRAP_I64: case WB_WASM_I32_REINTERPRET_F32:
    case WB_WASM_I64_REINTERPRET_F64: case WB_WASM_F32_REINTERPRET_I32:
    case WB_WASM_F64_REINTERPRET_I64: return op_retype(c, in->sig.params[0], in->sig.result);
    case WB_WASM_REF_NULL: case WB_WASM_REF_IS_NULL: case WB_WASM_REF_FUNC: return op_ref(c, op);
    case WB_PREFIX_FC: return op_prefix_fc(c);
    case WB_PREFIX_FD: return wb_compile_simd(c);
    }
    if (in->direct) return op_direct(c, in);
    return fail(c, WB_E_MALFORMED, "illegal opcode 0x%02x", op);
}

/* ---- the extension interface (compile.h) ------------------------------- */

bool wb_cx_live(const cx *c) { return c->live; }
wb_reader *wb_cx_reader(cx *c) { return &c->r; }
const wb_module *wb_cx_module(const cx *c) { return c->m; }
wb_status wb_cx_fail(cx *c, wb_status st, const char *msg) { return fail(c, st, "%s", msg); }
wb_status wb_cx_op(cx *c, int op) { kill_last(c); return e_op(c, op); }
wb_status wb_cx_u32x2(cx *c, uint32_t a, uint32_t b) { return e_2(c, a, b); }
wb_status wb_cx_u64(cx *c, uint64_t v) { return e_64(c, v); }

wb_status wb_cx_pop(cx *c, uint8_t type, uint32_t *off)
{
    vent v;
    WB_TRY(pop(c, type, &v));
    *off = 0;
    return c->live ? rs(c, &v, off) : WB_OK;
}

wb_status wb_cx_push(cx *c, uint8_t type, uint32_t *off)
{
    WB_TRY(push(c, type));
    *off = c->vs[c->nvs - 1].cslot * 8;
    return WB_OK;
}

wb_status wb_cx_memarg(cx *c, uint32_t max_align, uint32_t *offset)
{
    return rd_memarg(c, (uint8_t)(max_align > 255 ? 255 : max_align), offset);
}

/* ---- locals and driver -------------------------------------------------- */

static wb_status read_locals(cx *c)
{
    const wb_functype *ft = c->ft;
    uint32_t ngroups;
    uint64_t total = ft->nparams;
    WB_TRY(wb_read_u32(&c->r, &ngroups));
    wb_reader save = c->r;
    for (uint32_t i = 0; i < ngroups; i++) {
        uint32_t n; uint8_t t;
        WB_TRY(wb_read_u32(&c->r, &n));
        WB_TRY(wb_read_u8(&c->r, &t));
        total += n;
        if (total > UINT32_MAX) return fail(c, WB_E_MALFORMED, "too many locals");
        if (!wb_is_num(t) && !wb_is_ref(t)) return fail(c, WB_E_MALFORMED, "malformed value type");
    }
    if (total > WB_MAX_LOCALS)
        return fail(c, WB_E_IMPL_LIMIT, "too many locals: %llu (limit %u)",
                    (unsigned long long)total, WB_MAX_LOCALS);
    c->nlocals = (uint32_t)total;
    c->ltype = malloc(total + 1);
    c->lslot = malloc((total + 1) * sizeof *c->lslot);
    if (!c->ltype || !c->lslot) return fail(c, WB_E_NOMEM, "out of memory");
    uint32_t k = 0, s = 0;
    for (; k < ft->nparams; k++) { c->ltype[k] = ft->types[k]; c->lslot[k] = s; s += wb_slots_of(ft->types[k]); }
    c->r = save;
    for (uint32_t i = 0; i < ngroups; i++) {
        uint32_t n; uint8_t t;
        WB_TRY(wb_read_u32(&c->r, &n));
        WB_TRY(wb_read_u8(&c->r, &t));
        for (uint32_t j = 0; j < n; j++, k++) { c->ltype[k] = t; c->lslot[k] = s; s += wb_slots_of(t); }
    }
    c->local_slots = s;
    c->max_slot = s;
    if (c->emit) {
        c->lazy = calloc(s + 1, sizeof *c->lazy);
        if (!c->lazy) return fail(c, WB_E_NOMEM, "out of memory");
    }
    return WB_OK;
}

static void cx_free(cx *c)
{
    free(c->ltype); free(c->lslot); free(c->lazy);
    free(c->vs); free(c->cs); free(c->code);
}

static bool cancelled(const wb_module *m)
{
    return m->cancel && atomic_load_explicit(m->cancel, memory_order_relaxed);
}

static wb_status run(cx *c, const wb_module *m, uint32_t defidx, wb_error *err)
{
    const wb_funcdef *d = &m->funcdefs[defidx];
    c->m = m;
    c->ft = &m->types[d->typeidx];
    c->err = err;
    c->r = (wb_reader){ d->body, d->body + d->body_len, err };
    c->last_end = NONE;
    c->k32_end = NONE;
    c->maxcode = d->body_len * 8u + 4096u;
    if (c->emit) c->labels = wb_interp_labels();
    wb_status st = read_locals(c);
    if (st == WB_OK) st = push_ctl(c, 0, BT_EMPTY, 0);
    if (st == WB_OK) c->cs[0].bt = d->typeidx;   /* the function's label: its results */
    while (st == WB_OK && c->ncs) {
        st = step(c);
        /* a validation of a huge body ends when the module's loader is
         * cancelled (a process's deadline): one check per 64 Ki steps */
        if (!(c->ninstr & 0xffff) && cancelled(m))
            st = fail(c, WB_E_LIMIT, "cancelled while validating");
    }
    if (st == WB_OK && c->r.p != c->r.end) st = fail(c, WB_E_MALFORMED, "section size mismatch");
    if (st != WB_OK)
        wb_err_addf(err, " (function %u, offset 0x%zx)", m->nfunc_imports + defidx,
                    (size_t)(c->r.p - m->bytes));
    return st;
}

wb_status wb_compile_validate(const wb_module *m, uint32_t defidx, wb_error *err)
{
    cx c = { 0 };
    wb_error local;
    wb_status st = run(&c, m, defidx, err ? err : &local);
    cx_free(&c);
    return st;
}

/* A translation of a charged module (code_group: a process tree's module
 * file) beyond what was charged for its body up front: its cells (the
 * array cut to them) into *extra, charged, or a memory-limit trap. A
 * br_table of loop targets makes up to 8 cells of a body byte, 10 times
 * the allowance (tests/proc/brtable.c). */
static wb_status charge_code(wb_module *m, const wb_funcdef *d, cx *c,
                             int64_t *extra, wb_error *err)
{
    wb_group *g = atomic_load(&m->code_group);
    if (!g) return WB_OK;
    if (c->ncode && c->ncode < c->capcode) {
        wb_cell *q = realloc(c->code, (size_t)c->ncode * sizeof *q);
        if (q) { c->code = q; c->capcode = c->ncode; }
    }
    uint64_t bytes = (uint64_t)c->capcode * sizeof(wb_cell) + sizeof(wb_code);
    uint64_t allowed = (uint64_t)d->body_len * WB_TRANSLATION_PER_BYTE;
    if (bytes <= allowed) return WB_OK;
    if (!wb_group_charge(g, (int64_t)(bytes - allowed)))
        return wb_err_trap(err, WB_TRAP_MEMORY_LIMIT);
    *extra = (int64_t)(bytes - allowed);
    atomic_fetch_add(&m->code_extra, (uint64_t)*extra);
    return WB_OK;
}

/* A charge_code whose translation was dropped. */
static void uncharge_code(wb_module *m, int64_t extra)
{
    wb_group *g = atomic_load(&m->code_group);
    if (!extra || !g) return;
    atomic_fetch_sub(&m->code_extra, (uint64_t)extra);
    wb_group_charge(g, -extra);
}

wb_status wb_compile(wb_module *m, uint32_t defidx, const wb_code **out, wb_error *err)
{
    wb_funcdef *d = &m->funcdefs[defidx];
    wb_code *code = atomic_load_explicit(&d->code, memory_order_acquire);
    if ((*out = code)) return WB_OK;
    cx c = { .emit = true };
    wb_error local;
    wb_status st = wb_module_bodies_ready(m, err ? err : &local);
    if (st != WB_OK) return st;
    st = run(&c, m, defidx, err ? err : &local);
    int64_t extra = 0;
    if (st == WB_OK) st = charge_code(m, d, &c, &extra, err ? err : &local);
    if (st != WB_OK) { cx_free(&c); return st; }
    code = calloc(1, sizeof *code);
    if (!code) {
        cx_free(&c);
        uncharge_code(m, extra);
        return wb_err_set(err, WB_E_NOMEM, "out of memory");
    }
    code->cells = c.code;
    code->ncells = c.ncode;
    c.code = NULL;
    code->param_slots = c.ft->param_slots;
    code->local_slots = c.local_slots;
    code->result_slots = c.ft->result_slots;
    code->frame_slots = c.max_slot > c.ft->result_slots ? c.max_slot : c.ft->result_slots;
    cx_free(&c);
    wb_code *expected = NULL;
    *out = code;
    if (!atomic_compare_exchange_strong_explicit(&d->code, &expected, code,
                                                 memory_order_acq_rel, memory_order_acquire)) {
        wb_code_free(code);
        uncharge_code(m, extra);
        *out = expected;
    }
    return WB_OK;
}

void wb_code_free(wb_code *c)
{
    if (!c) return;
    free(c->cells);
    free(c);
}
