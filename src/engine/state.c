/*
 * state.c: an instance's state in a form that outlives the process
 * (wb_inst_state, engine.h): captured from a live instance at rest, and
 * put back into a new instance of the same module, whose memories are then
 * mapped copy-on-write from the snapshot file. src/snapshot gives it a file
 * format; nothing here knows about files but the fd to map.
 *
 * Pointers never leave: a function reference becomes its index in the
 * instance's function space, which the module fixes and the linker fills
 * the same way at every instantiation.
 */
#include "runtime.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static wb_status refuse(wb_error *err, const char *what)
{
    return wb_err_set(err, WB_E_ARG, "cannot snapshot this instance: %s",
                      what);
}

/* Index + 1 of `f` in inst's function space, 0 for NULL; false when `f`
 * is not in it (a function of another instance reached through a host
 * call, which no later instantiation would reproduce). */
static bool func_index(const wb_instance *inst, const wb_func *f,
                       uint32_t *out)
{
    const wb_module *m = inst->module;
    if (!f) {
        *out = 0;
        return true;
    }
    if (f->inst == inst && !f->host && f->funcidx < m->nfuncs) {
        *out = f->funcidx + 1;
        return true;
    }
    for (uint32_t i = 0; i < m->nfunc_imports; i++) {
        if (inst->funcs[i] == f) {
            *out = i + 1;
            return true;
        }
    }
    return false;
}

static wb_status ref_bits(const wb_instance *inst, uint8_t type, void *ref,
                          uint64_t *out, wb_error *err)
{
    uint32_t idx;
    if (type == WB_EXTERNREF) {
        if (ref)
            return refuse(err, "it holds a host reference (externref)");
        *out = 0;
        return WB_OK;
    }
    if (!func_index(inst, ref, &idx))
        return refuse(err, "it holds a reference to a function of "
                      "another instance");
    *out = idx;
    return WB_OK;
}

static wb_status check_imports(const wb_module *m, wb_error *err)
{
    if (m->nmem_imports)
        return refuse(err, "it imports a memory");
    if (m->ntable_imports)
        return refuse(err, "it imports a table");
    for (uint32_t i = 0; i < m->nglobal_imports; i++)
        if (m->globals[i].mut)
            return refuse(err, "it imports a mutable global");
    return WB_OK;
}

bool wb_state_alloc(wb_inst_state *st)
{
    st->mems = calloc(st->nmems + 1, sizeof *st->mems);
    st->tables = calloc(st->ntables + 1, sizeof *st->tables);
    st->globals = calloc(st->nglobals + 1, sizeof *st->globals);
    st->elem_live = calloc(st->nelems + 1, 1);
    st->data_live = calloc(st->ndatas + 1, 1);
    for (uint32_t i = 0; i < st->nmems; i++)
        st->mems[i].fd = -1;
    return st->mems && st->tables && st->globals && st->elem_live &&
           st->data_live;
}

void wb_state_free(wb_inst_state *st)
{
    if (!st)
        return;
    for (uint32_t i = 0; st->tables && i < st->ntables; i++)
        free(st->tables[i].refs);
    free(st->mems);
    free(st->tables);
    free(st->globals);
    free(st->elem_live);
    free(st->data_live);
    memset(st, 0, sizeof *st);
}

static wb_status capture_table(const wb_instance *inst, const wb_table *t,
                               wb_state_table *out, wb_error *err)
{
    out->elem = t->type.elem;
    out->size = t->size;
    out->refs = malloc(((size_t)t->size + 1) * sizeof *out->refs);
    if (!out->refs)
        return wb_err_set(err, WB_E_NOMEM, "out of memory for a snapshot");
    for (uint32_t i = 0; i < t->size; i++) {
        uint64_t bits;
        WB_TRY(ref_bits(inst, t->type.elem, t->elems[i], &bits, err));
        out->refs[i] = (uint32_t)bits;
    }
    return WB_OK;
}

static wb_status capture_global(const wb_instance *inst, const wb_global *g,
                                wb_state_global *out, wb_error *err)
{
    out->type = g->type.type;
    memcpy(out->bits, g->val, sizeof out->bits);
    if (wb_is_ref(g->type.type)) {
        out->bits[1] = 0;
        return ref_bits(inst, g->type.type, (void *)(uintptr_t)g->val[0],
                        &out->bits[0], err);
    }
    return WB_OK;
}

static wb_status capture_objects(const wb_instance *inst, wb_inst_state *st,
                                 wb_error *err)
{
    const wb_module *m = inst->module;
    for (uint32_t i = 0; i < st->nmems; i++) {
        const wb_memory *mem = inst->mems[m->nmem_imports + i];
        st->mems[i].pages = (uint32_t)(mem->size / WB_PAGE_SIZE);
        st->mems[i].bytes = mem->base;
        st->mems[i].image = mem->image;
    }
    for (uint32_t i = 0; i < st->ntables; i++)
        WB_TRY(capture_table(inst, inst->tables[m->ntable_imports + i],
                             &st->tables[i], err));
    for (uint32_t i = 0; i < st->nglobals; i++)
        WB_TRY(capture_global(inst, inst->globals[m->nglobal_imports + i],
                              &st->globals[i], err));
    for (uint32_t i = 0; i < st->nelems; i++)
        st->elem_live[i] = inst->elem_len[i] != 0;
    for (uint32_t i = 0; i < st->ndatas; i++)
        st->data_live[i] = inst->data_len[i] != 0;
    return WB_OK;
}

wb_status wb_state_capture(const wb_instance *inst, wb_inst_state *st,
                           wb_error *err)
{
    memset(st, 0, sizeof *st);
    if (!inst)
        return wb_err_set(err, WB_E_ARG, "snapshot: NULL instance");
    const wb_store *s = inst->store;
    if (s->depth != 0 || s->stack_top)
        return refuse(err, "a call is in progress (guest frames are live)");
    return wb_state_capture_live(inst, st, err);
}

wb_status wb_state_capturable(const wb_module *m, wb_error *err)
{
    return check_imports(m, err);
}

wb_status wb_state_capture_live(const wb_instance *inst, wb_inst_state *st,
                                wb_error *err)
{
    memset(st, 0, sizeof *st);
    const wb_module *m = inst->module;
    WB_TRY(check_imports(m, err));
    st->nmems = m->nmems;
    st->ntables = m->ntables;
    st->nglobals = m->nglobals - m->nglobal_imports;
    st->nelems = m->nelems;
    st->ndatas = m->ndatas;
    if (!wb_state_alloc(st)) {
        wb_state_free(st);
        return wb_err_set(err, WB_E_NOMEM, "out of memory for a snapshot");
    }
    wb_status rc = capture_objects(inst, st, err);
    if (rc != WB_OK)
        wb_state_free(st);
    return rc;
}

/* ---- checking a state against its module --------------------------------- */

static wb_status bad(wb_error *err, const char *fmt, uint32_t i)
{
    char what[160];
    snprintf(what, sizeof what, fmt, i);
    return wb_err_set(err, WB_E_SNAPSHOT, "snapshot does not fit its "
                      "module: %s", what);
}

static wb_status check_table(const wb_module *m, uint32_t i,
                             const wb_state_table *t, wb_error *err)
{
    const wb_tabletype *tt = &m->tables[i];
    if (t->elem != tt->elem)
        return bad(err, "table %u has another element type", i);
    if (t->size < tt->lim.min || t->size > WB_MAX_TABLE_SIZE ||
        (tt->lim.has_max && t->size > tt->lim.max))
        return bad(err, "table %u has a size outside its type's limits", i);
    for (uint32_t k = 0; k < t->size; k++) {
        if (t->refs[k] > m->nfuncs)
            return bad(err, "table %u names a function that does not "
                       "exist", i);
        if (t->refs[k] && t->elem == WB_EXTERNREF)
            return bad(err, "table %u holds a non-null externref", i);
    }
    return WB_OK;
}

static wb_status check_global(const wb_module *m, uint32_t i,
                              const wb_state_global *g, wb_error *err)
{
    if (g->type != m->globals[m->nglobal_imports + i].type)
        return bad(err, "global %u has another type", i);
    if (g->type == WB_FUNCREF && (g->bits[0] > m->nfuncs || g->bits[1]))
        return bad(err, "global %u names a function that does not exist", i);
    if (g->type == WB_EXTERNREF && (g->bits[0] || g->bits[1]))
        return bad(err, "global %u holds a non-null externref", i);
    return WB_OK;
}

static wb_status check_mem(const wb_module *m, uint32_t i,
                           const wb_state_mem *sm, wb_error *err)
{
    const wb_limits32 *lim = &m->mems[i];
    if (sm->pages < lim->min || sm->pages > WB_MAX_PAGES ||
        (lim->has_max && sm->pages > lim->max))
        return bad(err, "memory %u has a size outside its type's limits", i);
    return WB_OK;
}

wb_status wb_state_check(const wb_module *m, const wb_inst_state *st,
                         wb_error *err)
{
    if (check_imports(m, NULL) != WB_OK)
        return bad(err, "the module imports memories, tables or mutable "
                   "globals (%u imports)", m->nimports);
    if (st->nmems != m->nmems || st->ntables != m->ntables ||
        st->nglobals != m->nglobals - m->nglobal_imports ||
        st->nelems != m->nelems || st->ndatas != m->ndatas)
        return bad(err, "it holds other numbers of memories, tables, "
                   "globals or segments (module of %u functions)",
                   m->nfuncs);
    for (uint32_t i = 0; i < st->nmems; i++)
        WB_TRY(check_mem(m, i, &st->mems[i], err));
    for (uint32_t i = 0; i < st->ntables; i++)
        WB_TRY(check_table(m, i, &st->tables[i], err));
    for (uint32_t i = 0; i < st->nglobals; i++)
        WB_TRY(check_global(m, i, &st->globals[i], err));
    return WB_OK;
}

/* ---- restoring ----------------------------------------------------------- */

static void *ref_ptr(const wb_instance *inst, uint32_t idx)
{
    return idx ? (void *)inst->funcs[idx - 1] : NULL;
}

static wb_status apply_table(wb_instance *inst, wb_table *t,
                             const wb_state_table *st, wb_error *err)
{
    if (wb_table_grow(t, st->size - t->size, NULL) < 0)
        return wb_err_set(err, WB_E_LIMIT, "memory limit exceeded: a "
                          "restored table of %u elements", st->size);
    for (uint32_t k = 0; k < st->size; k++)
        t->elems[k] = ref_ptr(inst, st->refs[k]);
    return WB_OK;
}

static wb_status apply_mem(wb_memory *mem, const wb_state_mem *st,
                           wb_error *err)
{
    uint32_t have = (uint32_t)(mem->size / WB_PAGE_SIZE);
    if (wb_mem_grow(mem, st->pages - have) < 0)
        return wb_err_set(err, WB_E_LIMIT, "memory limit exceeded: the "
                          "snapshot's memory holds %u pages, at most %u "
                          "allowed", st->pages, mem->max_pages);
    if (st->fd >= 0 && st->nruns)
        return wb_mem_map_layers(mem, st->fd, st->offset, st->base_len,
                                 st->run_fd, st->run_offset, st->runs,
                                 st->nruns, err);
    if (st->fd >= 0)
        return wb_mem_map_image(mem, st->fd, st->offset, err);
    if (st->bytes && mem->size)
        wb_mem_copy_nonzero(mem, st->bytes, st->image);
    return WB_OK;
}

static wb_status apply_state(wb_instance *inst, const void *arg,
                             wb_error *err)
{
    const wb_inst_state *st = arg;
    const wb_module *m = inst->module;
    for (uint32_t i = 0; i < st->ntables; i++)
        WB_TRY(apply_table(inst, inst->tables[i], &st->tables[i], err));
    for (uint32_t i = 0; i < st->nmems; i++)
        WB_TRY(apply_mem(inst->mems[i], &st->mems[i], err));
    for (uint32_t i = 0; i < st->nglobals; i++) {
        wb_global *g = inst->globals[m->nglobal_imports + i];
        memcpy(g->val, st->globals[i].bits, sizeof g->val);
        if (wb_is_ref(g->type.type))
            g->val[0] = (uintptr_t)ref_ptr(inst, (uint32_t)g->val[0]);
    }
    for (uint32_t i = 0; i < st->nelems; i++) {
        if (!st->elem_live[i]) {
            inst->elem_refs[i] = NULL;
            inst->elem_len[i] = 0;
        }
    }
    for (uint32_t i = 0; i < st->ndatas; i++)
        inst->data_len[i] = st->data_live[i] ? m->datas[i].len : 0;
    return WB_OK;
}

wb_status wb_state_instantiate(wb_store *s, wb_module *m, const wb_linker *l,
                               const wb_inst_state *st, wb_instance **out,
                               wb_error *err)
{
    if (!st)
        return wb_err_set(err, WB_E_ARG, "restore: NULL state");
    WB_TRY(wb_state_check(m, st, err));
    return wb_rt_instantiate_with(s, m, l, apply_state, st, out, err);
}
