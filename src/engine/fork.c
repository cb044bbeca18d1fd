/*
 * fork.c: a copy of a running interpreted guest, made inside a host call
 * it makes (wasmbox_proc.fork, src/proc/), that goes on in a new store
 * from just after that call.
 *
 * All of an interpreted guest's state is in its store and instance: the
 * memories, tables and globals (copied as a snapshot copies them,
 * state.c: function references become indices, then the child's
 * functions), the frames in store->frames and the values in store->stack.
 * What exec() keeps in registers at the host call (the instruction after
 * the call, the calling frame) call_host leaves in store->site. Frames
 * hold the code's addresses (ret_ip), which are the module's and so the
 * child's too, frame pointers into the stack (rebased onto the child's),
 * and functions (mapped by index). Values on the stack are raw bits:
 * those that are the address of one of the parent's functions are the
 * function references the guest holds in locals and operands, and become
 * the child's function of the same index (an integer equal to such an
 * address would change too, but a guest cannot learn one).
 *
 * Compiled code cannot be copied: its frames and values live on the
 * thread's stack. A host function below the guest (a host -> guest ->
 * host re-entry) cannot be either: its C frame is not ours to copy.
 */
#include "runtime.h"
#include <stdlib.h>
#include <string.h>

/* Why the guest calling `c` cannot be forked, or NULL. */
static const char *refusal(const wb_caller *c)
{
    if (!c || !c->store || !c->inst)
        return "no guest is calling";
    const wb_store *s = c->store;
    const wb_instance *inst = c->inst;
    if (!s->site.ip)
        return "the caller is not interpreted code at the guest's outermost "
               "level (native code, a host callback, or a call from the "
               "host)";
    if (atomic_load(&inst->module->native))
        return "the module runs as native code";
    if (inst->starting)
        return "the module's start function is running (instantiation has "
               "not returned: a child would resume it and never reach its "
               "entry)";
    for (uint32_t d = 0; d <= s->site.depth; d++)
        if (!s->frames[d].func || s->frames[d].func->inst != inst)
            return "a frame belongs to another instance";
    if (wb_state_capturable(inst->module, NULL) != WB_OK)
        return "the module imports a memory, a table or a mutable global";
    return NULL;
}

bool wb_caller_can_fork(wb_caller *c)
{
    return refusal(c) == NULL;
}

/* ---- function references on the stack ------------------------------------ */

/* The parent's functions, to recognise their addresses: the defined ones
 * are one array (instance.c, make_funcs), the imported ones are sorted. */
typedef struct import_ref {
    uintptr_t addr;                   /* the parent's function */
    uint32_t idx;                     /* its index */
} import_ref;

typedef struct funcmap {
    const wb_instance *to;
    uintptr_t def_lo, def_hi;
    import_ref *imports;              /* sorted by address */
    uint32_t nimports;
} funcmap;

static int cmp_ref(const void *a, const void *b)
{
    uintptr_t x = ((const import_ref *)a)->addr;
    uintptr_t y = ((const import_ref *)b)->addr;
    return x < y ? -1 : x > y;
}

static bool funcmap_init(funcmap *fm, const wb_instance *from,
                         const wb_instance *to)
{
    const wb_module *m = from->module;
    memset(fm, 0, sizeof *fm);
    fm->to = to;
    if (m->nfuncs > m->nfunc_imports) {
        fm->def_lo = (uintptr_t)from->funcs[m->nfunc_imports];
        fm->def_hi = fm->def_lo + (uintptr_t)(m->nfuncs - m->nfunc_imports)
                                  * sizeof(wb_func);
    }
    fm->nimports = m->nfunc_imports;
    fm->imports = malloc((fm->nimports + 1) * sizeof *fm->imports);
    if (!fm->imports)
        return false;
    for (uint32_t i = 0; i < fm->nimports; i++)
        fm->imports[i] = (import_ref){ (uintptr_t)from->funcs[i], i };
    qsort(fm->imports, fm->nimports, sizeof *fm->imports, cmp_ref);
    return true;
}

/* The child's function for the parent's function at address v, or NULL
 * when v is not one. */
static wb_func *funcmap_get(const funcmap *fm, uint64_t v)
{
    if (v >= fm->def_lo && v < fm->def_hi &&
        (v - fm->def_lo) % sizeof(wb_func) == 0)
        return fm->to->funcs[((const wb_func *)(uintptr_t)v)->funcidx];
    const import_ref key = { (uintptr_t)v, 0 };
    const import_ref *hit = bsearch(&key, fm->imports, fm->nimports,
                                    sizeof *fm->imports, cmp_ref);
    return hit ? fm->to->funcs[hit->idx] : NULL;
}

/* ---- frames and stack ----------------------------------------------------- */

static uint32_t site_slots(const wb_func *callee)
{
    const wb_functype *t = callee->type;
    return t->param_slots > t->result_slots ? t->param_slots
                                            : t->result_slots;
}

static uint64_t *rebase(const wb_store *from, wb_store *to, uint64_t *p)
{
    return p ? to->stack + (p - from->stack) : NULL;
}

/* The highest slot the copied frames may use: the child resumes them
 * whole, each up to its frame's end (locals and operands), above the
 * host call's arguments too. Frame d runs frames[d].func on the frame
 * pointer the next frame saved (the innermost: the call site's). */
static uint64_t *frames_top(const wb_store *s, uint64_t *end)
{
    const struct wb_host_site *site = &s->site;
    for (uint32_t d = 1; d <= site->depth; d++) {
        const wb_func *fn = s->frames[d].func;
        uint64_t *fp = d < site->depth ? s->frames[d + 1].fp : site->fp;
        const wb_code *c = fn && fn->def
            ? atomic_load_explicit(&fn->def->code, memory_order_acquire)
            : NULL;
        if (c && fp && fp + c->frame_slots > end)
            end = fp + c->frame_slots;
    }
    return end;
}

static wb_status copy_frames(const wb_store *s, wb_store *cs,
                             const funcmap *fm, wb_error *err)
{
    const struct wb_host_site *site = &s->site;
    uint32_t maxd = cs->max_depth ? cs->max_depth : cs->limits.max_call_depth;
    uint64_t *end = site->args + site_slots(site->callee);
    uint64_t *top = frames_top(s, end);
    if (site->depth + 1 >= maxd ||
        (size_t)(top - s->stack) > (size_t)(cs->stack_end - cs->stack) ||
        !wb_rt_stack_grow(cs, cs->stack + (top - s->stack)))
        return wb_err_set(err, WB_E_LIMIT, "fork: the guest's %u frames "
                          "exceed the child's call depth or memory budget",
                          site->depth);
    for (uint32_t d = 0; d <= site->depth; d++) {
        const wb_frame *f = &s->frames[d];
        cs->frames[d].ret_ip = f->ret_ip;
        cs->frames[d].fp = rebase(s, cs, f->fp);
        cs->frames[d].func = fm->to->funcs[f->func->funcidx];
    }
    size_t n = (size_t)(end - s->stack);
    memcpy(cs->stack, s->stack, n * sizeof *cs->stack);
    for (size_t i = 0; i < n; i++) {
        wb_func *f = cs->stack[i] ? funcmap_get(fm, cs->stack[i]) : NULL;
        if (f)
            cs->stack[i] = (uint64_t)(uintptr_t)f;
    }
    cs->resume = (struct wb_host_site){
        site->ip, rebase(s, cs, site->fp), rebase(s, cs, site->args),
        funcmap_get(fm, (uintptr_t)site->callee), site->depth };
    if (!cs->resume.callee)
        return wb_err_set(err, WB_E_ARG, "fork: the host function called "
                          "is not one of the instance's imports");
    return WB_OK;
}

/* ---- fork ----------------------------------------------------------------- */

static wb_status copy_instance(wb_caller *c, wb_store *cs, const wb_linker *l,
                               wb_error *err)
{
    wb_inst_state st;
    WB_TRY(wb_state_capture_live(c->inst, &st, err));
    wb_instance *ci = NULL;
    wb_status rc = wb_state_instantiate(cs, c->inst->module, l, &st, &ci,
                                        err);
    wb_state_free(&st);
    if (rc != WB_OK)
        return rc;
    funcmap fm;
    if (!funcmap_init(&fm, c->inst, ci))
        return wb_err_set(err, WB_E_NOMEM, "out of memory for a fork");
    rc = copy_frames(c->store, cs, &fm, err);
    free(fm.imports);
    cs->fork_inst = ci;
    return rc;
}

wb_status wb_fork(wb_caller *c, wb_store *child, const wb_linker *l,
                  wb_error *err)
{
    const char *why = refusal(c);
    if (why)
        return wb_err_set(err, WB_E_ARG, "cannot fork: %s", why);
    if (!child || child == c->store || child->ninsts || child->depth)
        return wb_err_set(err, WB_E_ARG, "wb_fork: the child must be a new "
                          "store");
    if (c->store->group)
        WB_TRY(wb_store_join_group(child, c->store->group, err));
    return copy_instance(c, child, l, err);
}

wb_instance *wb_fork_instance(const wb_store *child)
{
    return child ? child->fork_inst : NULL;
}

static wb_status put_results(wb_store *cs, const wb_val *results,
                             size_t n, wb_error *err)
{
    const wb_functype *t = cs->resume.callee->type;
    if (n != t->nresults || (n && !results))
        return wb_err_set(err, WB_E_ARG, "fork resume: expected %u results, "
                          "got %zu", t->nresults, n);
    uint64_t *slot = cs->resume.args;
    for (size_t i = 0; i < n; i++) {
        uint8_t type = t->types[t->nparams + i];
        if ((int)results[i].type != type)
            return wb_err_set(err, WB_E_ARG, "fork resume: result %zu: "
                              "expected %s", i, wb_valtype_name(type));
        uint64_t bits[2];
        wb_rt_val_to_bits(&results[i], bits);
        memcpy(slot, bits, wb_slots_of(type) * sizeof *slot);
        slot += wb_slots_of(type);
    }
    return WB_OK;
}

wb_status wb_fork_resume(wb_store *child, const wb_val *results,
                         size_t nresults, wb_error *err)
{
    if (!child || !child->resume.ip)
        return wb_err_set(err, WB_E_ARG, "fork resume: not a forked store, "
                          "or resumed already");
    WB_TRY(put_results(child, results, nresults, err));
    return wb_interp_resume(child, err);
}
