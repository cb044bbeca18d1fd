/*
 * modcheck.c: module-level validation (Wasm 2.0, section 3.4), everything
 * but instruction sequences, which wb_compile_validate checks afterwards.
 * Messages begin with the spec's assert_invalid texts.
 */
#include "engine.h"
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define invalid(err, ...) wb_err_set((err), WB_E_INVALID, __VA_ARGS__)

static const char *const kind_name[] = { "function", "table", "memory",
                                         "global" };

/* Export names may hold any bytes; messages must stay one printable line. */
static const char *safe_name(const wb_export *e, char *buf, size_t n)
{
    size_t j = 0;
    for (uint32_t i = 0; i < e->name_len && j + 4 < n; i++) {
        unsigned char c = (unsigned char)e->name[i];
        buf[j++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
    }
    if (e->name_len && j + 4 >= n) {
        memcpy(buf + j, "...", 3);
        j += 3;
    }
    buf[j] = 0;
    return buf;
}

static wb_status check_typeidx(const wb_module *m, uint32_t t,
                               uint32_t funcidx, wb_error *err)
{
    if (t >= m->ntypes)
        return invalid(err, "unknown type %u (function %u)", t, funcidx);
    return WB_OK;
}

static wb_status check_limits(const wb_limits32 *l, bool is_mem,
                              uint32_t idx, wb_error *err)
{
    if (is_mem && (l->min > WB_MAX_PAGES ||
                   (l->has_max && l->max > WB_MAX_PAGES)))
        return invalid(err, "memory size must be at most 65536 pages (4GiB) "
                       "(memory %u)", idx);
    if (l->has_max && l->min > l->max)
        return invalid(err, "size minimum must not be greater than maximum "
                       "(%s %u: %u > %u)", is_mem ? "memory" : "table", idx,
                       l->min, l->max);
    return WB_OK;
}

/* Types, imports, function, table and memory declarations. */
static wb_status check_decls(const wb_module *m, wb_error *err)
{
    wb_status st;
    for (uint32_t i = 0; i < m->nfuncs; i++)
        if ((st = check_typeidx(m, m->func_types[i], i, err)) != WB_OK)
            return st;
    for (uint32_t i = 0; i < m->ntables; i++)
        if ((st = check_limits(&m->tables[i].lim, false, i, err)) != WB_OK)
            return st;
    for (uint32_t i = 0; i < m->nmems; i++)
        if ((st = check_limits(&m->mems[i], true, i, err)) != WB_OK)
            return st;
    if (m->nmems > 1)
        return invalid(err, "multiple memories (%u declared)", m->nmems);
    return WB_OK;
}

/* Types a constant expression and checks it against `want`. In Wasm 2.0
 * global.get may name only imported, immutable globals. */
static wb_status check_const(const wb_module *m, wb_const *c, uint8_t want,
                             const char *what, uint32_t idx, wb_error *err)
{
    if (c->kind == WB_CONST_GLOBAL) {
        if (c->index >= m->nglobal_imports)
            return invalid(err, "unknown global %u (%s %u: constant "
                           "expressions may only read imported globals)",
                           c->index, what, idx);
        if (m->globals[c->index].mut)
            return invalid(err, "constant expression required (%s %u reads "
                           "mutable global %u)", what, idx, c->index);
        c->type = m->globals[c->index].type;
    } else if (c->kind == WB_CONST_REF_FUNC && c->index >= m->nfuncs) {
        return invalid(err, "unknown function %u (%s %u)", c->index, what,
                       idx);
    }
    if (c->type != want)
        return invalid(err, "type mismatch (%s %u: expected %s, got %s)",
                       what, idx, wb_valtype_name(want), wb_valtype_name(c->type));
    return WB_OK;
}

static wb_status check_globals(wb_module *m, wb_error *err)
{
    for (uint32_t i = m->nglobal_imports; i < m->nglobals; i++) {
        wb_status st = check_const(m, &m->global_inits[i - m->nglobal_imports],
                                   m->globals[i].type, "global", i, err);
        if (st != WB_OK)
            return st;
    }
    return WB_OK;
}

static uint32_t space_size(const wb_module *m, uint8_t kind)
{
    switch (kind) {
    case WB_EXTERN_FUNC: return m->nfuncs;
    case WB_EXTERN_TABLE: return m->ntables;
    case WB_EXTERN_MEMORY: return m->nmems;
    default: return m->nglobals;
    }
}

static int cmp_export(const void *a, const void *b)
{
    const wb_export *x = *(const wb_export *const *)a;
    const wb_export *y = *(const wb_export *const *)b;
    size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
    int c = memcmp(x->name, y->name, n);
    if (c)
        return c;
    return (x->name_len > y->name_len) - (x->name_len < y->name_len);
}

/* Names are compared after sorting, so many exports stay cheap. */
static wb_status check_export_names(const wb_module *m, wb_error *err)
{
    const wb_export **v;
    wb_status st = WB_OK;
    if (m->nexports < 2)
        return WB_OK;
    v = malloc(m->nexports * sizeof *v);
    if (!v)
        return wb_err_set(err, WB_E_NOMEM, "out of memory while validating");
    for (uint32_t i = 0; i < m->nexports; i++)
        v[i] = &m->exports[i];
    qsort(v, m->nexports, sizeof *v, cmp_export);
    for (uint32_t i = 1; i < m->nexports && st == WB_OK; i++) {
        char buf[104];
        if (cmp_export(&v[i - 1], &v[i]) == 0)
            st = invalid(err, "duplicate export name \"%s\"",
                         safe_name(v[i], buf, sizeof buf));
    }
    free(v);
    return st;
}

static wb_status check_exports(const wb_module *m, wb_error *err)
{
    for (uint32_t i = 0; i < m->nexports; i++) {
        const wb_export *e = &m->exports[i];
        char buf[104];
        if (e->index >= space_size(m, e->kind))
            return invalid(err, "unknown %s %u (export \"%s\")",
                           kind_name[e->kind], e->index,
                           safe_name(e, buf, sizeof buf));
    }
    return check_export_names(m, err);
}

static wb_status check_start(const wb_module *m, wb_error *err)
{
    const wb_functype *ft;
    if (!m->has_start)
        return WB_OK;
    if (m->start >= m->nfuncs)
        return invalid(err, "unknown function %u (start)", m->start);
    ft = wb_module_functype(m, m->start);
    if (ft->nparams || ft->nresults)
        return invalid(err, "start function %u must have type [] -> []",
                       m->start);
    return WB_OK;
}

static wb_status check_elem(wb_module *m, wb_elem *e, uint32_t i,
                            wb_error *err)
{
    wb_status st;
    for (uint32_t j = 0; j < e->count; j++)
        if ((st = check_const(m, &e->items[j], e->type, "element segment", i,
                              err)) != WB_OK)
            return st;
    if (e->mode != WB_SEG_ACTIVE)
        return WB_OK;
    if (e->table >= m->ntables)
        return invalid(err, "unknown table %u (element segment %u)", e->table,
                       i);
    if ((st = check_const(m, &e->offset, WB_I32, "element segment offset", i,
                          err)) != WB_OK)
        return st;
    if (m->tables[e->table].elem != e->type)
        return invalid(err, "type mismatch (element segment %u is %s, table "
                       "%u holds %s)", i, wb_valtype_name(e->type), e->table,
                       wb_valtype_name(m->tables[e->table].elem));
    return WB_OK;
}

static wb_status check_segments(wb_module *m, wb_error *err)
{
    wb_status st;
    for (uint32_t i = 0; i < m->nelems; i++)
        if ((st = check_elem(m, &m->elems[i], i, err)) != WB_OK)
            return st;
    for (uint32_t i = 0; i < m->ndatas; i++) {
        wb_data *s = &m->datas[i];
        if (s->mode != WB_SEG_ACTIVE)
            continue;
        if (s->memory >= m->nmems)
            return invalid(err, "unknown memory %u (data segment %u)",
                           s->memory, i);
        if ((st = check_const(m, &s->offset, WB_I32, "data segment offset",
                              i, err)) != WB_OK)
            return st;
    }
    return WB_OK;
}

static wb_status check_bodies(const wb_module *m, wb_error *err)
{
    for (uint32_t i = 0; i < m->nfuncs - m->nfunc_imports; i++) {
        if (m->cancel && atomic_load(m->cancel))
            return wb_err_set(err, WB_E_LIMIT, "cancelled while "
                              "validating");
        wb_status st = wb_compile_validate(m, i, err);
        if (st != WB_OK)
            return st;
    }
    return WB_OK;
}

wb_status wb_modcheck(wb_module *m, bool bodies, wb_error *err)
{
    wb_status st;
    if ((st = check_decls(m, err)) != WB_OK ||
        (st = check_globals(m, err)) != WB_OK ||
        (st = check_exports(m, err)) != WB_OK ||
        (st = check_start(m, err)) != WB_OK ||
        (st = check_segments(m, err)) != WB_OK)
        return st;
    return bodies ? check_bodies(m, err) : WB_OK;
}
