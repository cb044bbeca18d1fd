/* instance.c: instantiation in Wasm 2.0 order (resolve imports, allocate,
 * evaluate element segments, run active element then data segments, run
 * the start function) and export lookup. */
#include "runtime.h"
#include <stdlib.h>
#include <string.h>

/* Wasm 2.0 constant expressions are one instruction; global.get refers to
 * a global that is already initialised. */
static void const_eval(const wb_instance *inst, const wb_const *c,
                       uint64_t out[2])
{
    out[0] = out[1] = 0;
    switch (c->kind) {
    case WB_CONST_VALUE:
        out[0] = c->bits[0];
        out[1] = c->bits[1];
        break;
    case WB_CONST_GLOBAL:
        memcpy(out, inst->globals[c->index]->val, 2 * sizeof *out);
        break;
    case WB_CONST_REF_FUNC:
        out[0] = (uintptr_t)inst->funcs[c->index];
        break;
    }
}

static wb_status nomem(wb_error *err)
{
    return wb_err_set(err, WB_E_NOMEM, "out of memory for an instance");
}

/* Every import resolved before anything is allocated: a link error leaves
 * the store untouched. */
static wb_status resolve_imports(wb_store *s, const wb_module *m,
                                 const wb_linker *l, wb_extern *ext,
                                 wb_error *err)
{
    for (uint32_t i = 0; i < m->nimports; i++) {
        wb_status st = wb_rt_resolve_import(s, m, &m->imports[i], l,
                                            &ext[i], err);
        if (st != WB_OK)
            return st;
    }
    return WB_OK;
}

static wb_instance *alloc_instance(wb_store *s, wb_module *m)
{
    wb_instance *inst = wb_rt_alloc(s, sizeof *inst);
    if (!inst)
        return NULL;
    inst->module = m;
    inst->store = s;
    if (!wb_rt_own_instance(s, inst))
        return NULL;
    inst->funcs = wb_rt_alloc(s, m->nfuncs * sizeof *inst->funcs);
    inst->tables = wb_rt_alloc(s, m->ntables * sizeof *inst->tables);
    inst->mems = wb_rt_alloc(s, m->nmems * sizeof *inst->mems);
    inst->globals = wb_rt_alloc(s, m->nglobals * sizeof *inst->globals);
    inst->elem_refs = wb_rt_alloc(s, m->nelems * sizeof *inst->elem_refs);
    inst->elem_len = wb_rt_alloc(s, m->nelems * sizeof *inst->elem_len);
    inst->data_len = wb_rt_alloc(s, m->ndatas * sizeof *inst->data_len);
    if (!inst->funcs || !inst->tables || !inst->mems || !inst->globals ||
        !inst->elem_refs || !inst->elem_len || !inst->data_len)
        return NULL;
    return inst;
}

/* Imports fill the front of each index space, in import order. */
static void bind_imports(wb_instance *inst, const wb_extern *ext)
{
    const wb_module *m = inst->module;
    uint32_t nf = 0, nt = 0, nm = 0, ng = 0;
    for (uint32_t i = 0; i < m->nimports; i++) {
        switch (ext[i].kind) {
        case WB_EXTERN_FUNC: inst->funcs[nf++] = ext[i].of.func; break;
        case WB_EXTERN_TABLE: inst->tables[nt++] = ext[i].of.table; break;
        case WB_EXTERN_MEMORY: inst->mems[nm++] = ext[i].of.memory; break;
        case WB_EXTERN_GLOBAL: inst->globals[ng++] = ext[i].of.global; break;
        }
    }
}

static wb_status make_funcs(wb_store *s, wb_instance *inst)
{
    wb_module *m = inst->module;
    uint32_t ndef = m->nfuncs - m->nfunc_imports;
    wb_func *f = wb_rt_alloc(s, (size_t)ndef * sizeof *f);
    if (!f)
        return WB_E_NOMEM;
    for (uint32_t i = 0; i < ndef; i++) {
        uint32_t idx = m->nfunc_imports + i;
        f[i].type = wb_module_functype(m, idx);
        f[i].inst = inst;
        f[i].funcidx = idx;
        f[i].def = &m->funcdefs[i];
        inst->funcs[idx] = &f[i];
    }
    return WB_OK;
}

static wb_status make_tables(wb_store *s, wb_instance *inst, wb_error *err)
{
    const wb_module *m = inst->module;
    for (uint32_t i = m->ntable_imports; i < m->ntables; i++) {
        wb_table *t = wb_rt_alloc(s, sizeof *t);
        if (!t)
            return nomem(err);
        wb_status st = wb_rt_table_init(s, t, &m->tables[i], err);
        if (st != WB_OK)
            return st;
        inst->tables[i] = t;
    }
    return WB_OK;
}

static wb_status make_mems(wb_store *s, wb_instance *inst, wb_error *err)
{
    const wb_module *m = inst->module;
    for (uint32_t i = m->nmem_imports; i < m->nmems; i++) {
        wb_memory *mem = wb_rt_alloc(s, sizeof *mem);
        if (!mem)
            return nomem(err);
        const wb_limits32 *lim = &m->mems[i];
        wb_status st = wb_mem_init(s, mem, lim->min, lim->max, lim->has_max,
                                   err);
        if (st != WB_OK)
            return st;
        inst->mems[i] = mem;
    }
    inst->mem0_base = m->nmems ? inst->mems[0]->base : NULL;
    return WB_OK;
}

static wb_status make_globals(wb_store *s, wb_instance *inst)
{
    const wb_module *m = inst->module;
    uint32_t ndef = m->nglobals - m->nglobal_imports;
    wb_global *g = wb_rt_alloc(s, (size_t)ndef * sizeof *g);
    if (!g)
        return WB_E_NOMEM;
    for (uint32_t i = 0; i < ndef; i++) {
        uint32_t idx = m->nglobal_imports + i;
        g[i].type = m->globals[idx];
        const_eval(inst, &m->global_inits[i], g[i].val);
        inst->globals[idx] = &g[i];
    }
    return WB_OK;
}

/* Element segments become arrays of references before any table write. */
static wb_status eval_elems(wb_store *s, wb_instance *inst)
{
    const wb_module *m = inst->module;
    for (uint32_t i = 0; i < m->nelems; i++) {
        const wb_elem *e = &m->elems[i];
        void **refs = wb_rt_alloc(s, (size_t)e->count * sizeof *refs);
        if (!refs)
            return WB_E_NOMEM;
        for (uint32_t k = 0; k < e->count; k++) {
            uint64_t v[2];
            const_eval(inst, &e->items[k], v);
            refs[k] = (void *)(uintptr_t)v[0];
        }
        bool keep = e->mode == WB_SEG_PASSIVE || e->mode == WB_SEG_ACTIVE;
        inst->elem_refs[i] = keep ? refs : NULL;
        inst->elem_len[i] = keep ? e->count : 0;
    }
    return WB_OK;
}

/* Writes of earlier segments stay when a later one traps (Wasm 2.0). */
static wb_status init_tables(wb_instance *inst, wb_error *err)
{
    const wb_module *m = inst->module;
    for (uint32_t i = 0; i < m->nelems; i++) {
        const wb_elem *e = &m->elems[i];
        if (e->mode != WB_SEG_ACTIVE)
            continue;
        uint64_t off[2];
        const_eval(inst, &e->offset, off);
        wb_table *t = inst->tables[e->table];
        uint64_t start = (uint32_t)off[0];
        if (start + e->count > t->size)
            return wb_err_trap(err, WB_TRAP_TABLE_OOB);
        if (e->count)
            memcpy(t->elems + start, inst->elem_refs[i],
                   (size_t)e->count * sizeof *t->elems);
        inst->elem_refs[i] = NULL;
        inst->elem_len[i] = 0;
    }
    return WB_OK;
}

static wb_status init_memories(wb_instance *inst, wb_error *err)
{
    const wb_module *m = inst->module;
    for (uint32_t i = 0; i < m->ndatas; i++)
        inst->data_len[i] = m->datas[i].len;
    for (uint32_t i = 0; i < m->ndatas; i++) {
        const wb_data *d = &m->datas[i];
        if (d->mode != WB_SEG_ACTIVE)
            continue;
        uint64_t off[2];
        const_eval(inst, &d->offset, off);
        wb_memory *mem = inst->mems[d->memory];
        uint64_t start = (uint32_t)off[0];
        if (start + d->len > mem->size)
            return wb_err_trap(err, WB_TRAP_MEMORY_OOB);
        if (d->len)
            memcpy(mem->base + start, d->bytes, d->len);
        inst->data_len[i] = 0;
    }
    return WB_OK;
}

/* The objects of an instance at their initial sizes, before any segment
 * is applied. */
static wb_status build(wb_store *s, wb_instance *inst, const wb_extern *ext,
                       wb_error *err)
{
    bind_imports(inst, ext);
    if (make_funcs(s, inst) != WB_OK)
        return nomem(err);
    wb_status st = make_tables(s, inst, err);
    if (st == WB_OK)
        st = make_mems(s, inst, err);
    if (st == WB_OK && make_globals(s, inst) != WB_OK)
        st = nomem(err);
    if (st == WB_OK && eval_elems(s, inst) != WB_OK)
        st = nomem(err);
    return st;
}

static wb_status init_segments(wb_instance *inst, const void *arg,
                               wb_error *err)
{
    (void)arg;
    WB_TRY(init_tables(inst, err));
    return init_memories(inst, err);
}

static wb_status run_start(wb_store *s, wb_instance *inst, wb_error *err)
{
    const wb_module *m = inst->module;
    if (!m->has_start)
        return WB_OK;
    uint64_t slots[2] = { 0, 0 };     /* start functions are [] -> [] */
    inst->starting = true;
    wb_status st = wb_interp_call(s, inst->funcs[m->start], slots, err);
    inst->starting = false;
    return st;
}

wb_status wb_instantiate(wb_store *s, wb_module *m, const wb_linker *l,
                         wb_instance **out, wb_error *err)
{
    wb_instance *inst = NULL;
    wb_status st = wb_rt_instantiate_with(s, m, l, init_segments, NULL,
                                          &inst, err);
    if (st == WB_OK)
        st = run_start(s, inst, err);
    if (st == WB_OK)
        *out = inst;
    return st;
}

wb_status wb_rt_instantiate_with(wb_store *s, wb_module *m,
                                 const wb_linker *l,
                                 wb_status (*apply)(wb_instance *inst,
                                                    const void *arg,
                                                    wb_error *err),
                                 const void *arg, wb_instance **out,
                                 wb_error *err)
{
    if (!s || !m || !out)
        return wb_err_set(err, WB_E_ARG, "wb_instantiate: NULL argument");
    if (s->ninsts >= s->limits.max_instances)
        return wb_err_set(err, WB_E_LIMIT, "instance limit exceeded: %u",
                          s->limits.max_instances);
    wb_extern *ext = calloc(m->nimports ? m->nimports : 1, sizeof *ext);
    if (!ext)
        return nomem(err);
    wb_status st = resolve_imports(s, m, l, ext, err);
    wb_instance *inst = NULL;
    if (st == WB_OK) {
        inst = alloc_instance(s, m);
        st = inst ? build(s, inst, ext, err) : nomem(err);
    }
    free(ext);
    if (st == WB_OK)
        st = apply(inst, arg, err);
    if (st == WB_OK)
        *out = inst;
    return st;
}

/* ---- Exports ----------------------------------------------------------- */

void wb_rt_export_extern(const wb_instance *inst, const wb_export *e,
                         wb_extern *out)
{
    out->kind = (wb_extern_kind)e->kind;
    switch (e->kind) {
    case WB_EXTERN_FUNC: out->of.func = inst->funcs[e->index]; break;
    case WB_EXTERN_TABLE: out->of.table = inst->tables[e->index]; break;
    case WB_EXTERN_MEMORY: out->of.memory = inst->mems[e->index]; break;
    case WB_EXTERN_GLOBAL: out->of.global = inst->globals[e->index]; break;
    }
}

const wb_module *wb_instance_module(const wb_instance *inst)
{
    return inst ? inst->module : NULL;
}

bool wb_instance_export(const wb_instance *inst, const char *name,
                        size_t len, wb_extern *out)
{
    if (!inst || !name || !out)
        return false;
    const wb_module *m = inst->module;
    for (uint32_t i = 0; i < m->nexports; i++) {
        const wb_export *e = &m->exports[i];
        if (e->name_len == len && !memcmp(e->name, name, len)) {
            wb_rt_export_extern(inst, e, out);
            return true;
        }
    }
    return false;
}

static bool export_of_kind(const wb_instance *inst, const char *name,
                           wb_extern_kind kind, wb_extern *out)
{
    return name && wb_instance_export(inst, name, strlen(name), out) &&
           out->kind == kind;
}

wb_func *wb_instance_func(const wb_instance *inst, const char *name)
{
    wb_extern e;
    return export_of_kind(inst, name, WB_EXTERN_FUNC, &e) ? e.of.func : NULL;
}

void wb_instance_funcs_named(const wb_instance *inst,
                             const char *const *names, size_t n,
                             wb_func **out)
{
    uint32_t idx[16];
    for (size_t at = 0; at < n; at += 16) {
        size_t k = n - at < 16 ? n - at : 16;
        wb_module_find_names(inst->module, names + at, k, idx);
        for (size_t i = 0; i < k; i++)
            out[at + i] = idx[i] < inst->module->nfuncs
                          ? inst->funcs[idx[i]] : NULL;
    }
}

wb_func *wb_instance_func_named(const wb_instance *inst, const char *name)
{
    wb_func *f;
    wb_instance_funcs_named(inst, &name, 1, &f);
    return f;
}

wb_memory *wb_instance_memory(const wb_instance *inst, const char *name)
{
    wb_extern e;
    return export_of_kind(inst, name, WB_EXTERN_MEMORY, &e) ? e.of.memory
                                                           : NULL;
}
