/* link.c: the linker (a (module, name) -> extern map) and import matching
 * with Wasm 2.0 subtyping of limits. */
#include "runtime.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct entry {
    char *mod, *name;          /* owned copies; may hold NULs */
    size_t mlen, nlen;
    wb_extern ext;
} entry;

/* Open addressing keeps define_instance of a large export list linear. */
struct wb_linker {
    entry *ents; size_t n, cap;
    uint32_t *index;           /* entry number + 1; 0 is an empty slot */
    size_t nindex;             /* power of two, more than twice n */
};

static uint64_t hash_bytes(uint64_t h, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)p[i]) * 1099511628211ull;
    return h;
}

static uint64_t hash_key(const char *mod, size_t mlen, const char *name,
                         size_t nlen)
{
    uint64_t h = hash_bytes(1469598103934665603ull, mod, mlen);
    h = (h ^ 0x100) * 1099511628211ull;    /* separator: not a byte value */
    return hash_bytes(h, name, nlen);
}

static bool same_key(const entry *e, const char *mod, size_t mlen,
                     const char *name, size_t nlen)
{
    return e->mlen == mlen && e->nlen == nlen &&
           !memcmp(e->mod, mod, mlen) && !memcmp(e->name, name, nlen);
}

/* The slot holding the key, or the empty slot where it would go. */
static uint32_t *find_slot(const wb_linker *l, const char *mod, size_t mlen,
                           const char *name, size_t nlen)
{
    size_t mask = l->nindex - 1;
    size_t i = hash_key(mod, mlen, name, nlen) & mask;
    while (l->index[i] &&
           !same_key(&l->ents[l->index[i] - 1], mod, mlen, name, nlen))
        i = (i + 1) & mask;
    return &l->index[i];
}

static bool rehash(wb_linker *l)
{
    size_t n = l->nindex ? l->nindex * 2 : 64;
    uint32_t *idx = calloc(n, sizeof *idx);
    if (!idx)
        return false;
    free(l->index);
    l->index = idx;
    l->nindex = n;
    for (size_t k = 0; k < l->n; k++) {
        const entry *e = &l->ents[k];
        *find_slot(l, e->mod, e->mlen, e->name, e->nlen) = (uint32_t)k + 1;
    }
    return true;
}

wb_linker *wb_linker_new(void)
{
    return calloc(1, sizeof(wb_linker));
}

void wb_linker_free(wb_linker *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++) {
        free(l->ents[i].mod);
        free(l->ents[i].name);
    }
    free(l->ents);
    free(l->index);
    free(l);
}

static char *copy_bytes(const char *p, size_t n)
{
    char *c = malloc(n + 1);
    if (c) {
        memcpy(c, p, n);
        c[n] = 0;
    }
    return c;
}

static bool extern_ok(const wb_extern *e)
{
    switch (e->kind) {
    case WB_EXTERN_FUNC: return e->of.func != NULL;
    case WB_EXTERN_TABLE: return e->of.table != NULL;
    case WB_EXTERN_MEMORY: return e->of.memory != NULL;
    case WB_EXTERN_GLOBAL: return e->of.global != NULL;
    }
    return false;
}

static wb_status append(wb_linker *l, uint32_t *slot, const char *mod,
                        size_t mlen, const char *name, size_t nlen,
                        wb_extern ext)
{
    if (l->n >= UINT32_MAX - 1)
        return WB_E_LIMIT;
    entry *ents = wb_rt_grow_array(l->ents, l->n, &l->cap, sizeof *ents);
    if (!ents)
        return WB_E_NOMEM;
    l->ents = ents;
    entry e = { copy_bytes(mod, mlen), copy_bytes(name, nlen), mlen, nlen,
                ext };
    if (!e.mod || !e.name) {
        free(e.mod);
        free(e.name);
        return WB_E_NOMEM;
    }
    l->ents[l->n++] = e;
    *slot = (uint32_t)l->n;
    return WB_OK;
}

/* A later definition of the same name replaces the earlier one. */
static wb_status define(wb_linker *l, const char *mod, size_t mlen,
                        const char *name, size_t nlen, wb_extern ext)
{
    if (!extern_ok(&ext))
        return WB_E_ARG;
    if ((l->n + 1) * 2 > l->nindex && !rehash(l))
        return WB_E_NOMEM;
    uint32_t *slot = find_slot(l, mod, mlen, name, nlen);
    if (*slot) {
        l->ents[*slot - 1].ext = ext;
        return WB_OK;
    }
    return append(l, slot, mod, mlen, name, nlen, ext);
}

wb_status wb_linker_define(wb_linker *l, const char *module,
                           const char *name, wb_extern ext)
{
    if (!l || !module || !name)
        return WB_E_ARG;
    return define(l, module, strlen(module), name, strlen(name), ext);
}

wb_status wb_linker_define_instance(wb_linker *l, const char *module,
                                    wb_instance *inst)
{
    if (!l || !module || !inst)
        return WB_E_ARG;
    const wb_module *m = inst->module;
    size_t mlen = strlen(module);
    for (uint32_t i = 0; i < m->nexports; i++) {
        const wb_export *e = &m->exports[i];
        wb_extern ext;
        wb_rt_export_extern(inst, e, &ext);
        wb_status st = define(l, module, mlen, e->name, e->name_len, ext);
        if (st != WB_OK)
            return st;
    }
    return WB_OK;
}

/* ---- Import matching --------------------------------------------------- */

bool wb_rt_functype_eq(const wb_functype *a, const wb_functype *b)
{
    return a == b ||
           (a->nparams == b->nparams && a->nresults == b->nresults &&
            !memcmp(a->types, b->types, a->nparams + a->nresults));
}

/* Names come from the module: escape anything that is not printable. */
static void quote(char *out, size_t cap, const char *s, size_t n)
{
    size_t k = 0, i = 0;
    for (; i < n && k + 8 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
            out[k++] = (char)c;
        else
            k += (size_t)snprintf(out + k, cap - k, "\\%02x", c);
    }
    if (i < n)
        k += (size_t)snprintf(out + k, cap - k, "...");
    out[k] = 0;
}

static const char *kind_name(unsigned k)
{
    static const char *const names[] = { "func", "table", "memory", "global" };
    return k < 4 ? names[k] : "?";
}

/* Actual limits match declared ones if they are at least as tight. */
static bool limits_match(uint64_t min, bool has_max, uint32_t max,
                         const wb_limits32 *decl)
{
    if (min < decl->min)
        return false;
    return !decl->has_max || (has_max && max <= decl->max);
}

static const char *func_mismatch(wb_store *s, const wb_module *m,
                                 const wb_import *im, const wb_func *f)
{
    if (f->inst && f->inst->store != s)
        return "function from another store";
    if (!wb_rt_functype_eq(&m->types[im->u.typeidx], f->type))
        return "function type mismatch";
    return NULL;
}

static const char *table_mismatch(wb_store *s, const wb_import *im,
                                  const wb_table *t)
{
    if (t->store != s)
        return "table from another store";
    if (t->type.elem != im->u.table.elem)
        return "element type mismatch";
    if (!limits_match(t->size, t->type.lim.has_max, t->type.lim.max,
                      &im->u.table.lim))
        return "table limits mismatch";
    return NULL;
}

static const char *memory_mismatch(wb_store *s, const wb_import *im,
                                   const wb_memory *mem)
{
    if (mem->store != s)
        return "memory from another store";
    if (!limits_match(mem->size / WB_PAGE_SIZE, mem->type.has_max,
                      mem->type.max, &im->u.mem))
        return "memory limits mismatch";
    return NULL;
}

static const char *global_mismatch(const wb_import *im, const wb_global *g)
{
    if (g->type.type != im->u.global.type)
        return "global type mismatch";
    if (g->type.mut != im->u.global.mut)
        return "global mutability mismatch";
    return NULL;
}

/* NULL when `ext` satisfies the import, else why not. */
static const char *mismatch(wb_store *s, const wb_module *m,
                            const wb_import *im, const wb_extern *ext)
{
    if (ext->kind != im->kind)
        return "kind mismatch";
    switch (ext->kind) {
    case WB_EXTERN_FUNC: return func_mismatch(s, m, im, ext->of.func);
    case WB_EXTERN_TABLE: return table_mismatch(s, im, ext->of.table);
    case WB_EXTERN_MEMORY: return memory_mismatch(s, im, ext->of.memory);
    case WB_EXTERN_GLOBAL: return global_mismatch(im, ext->of.global);
    }
    return "kind mismatch";
}

static const wb_extern *lookup(const wb_linker *l, const wb_import *im)
{
    if (!l || !l->n)
        return NULL;
    uint32_t *slot = find_slot(l, im->module, im->module_len, im->name,
                               im->name_len);
    return *slot ? &l->ents[*slot - 1].ext : NULL;
}

wb_status wb_rt_resolve_import(wb_store *s, const wb_module *m,
                               const wb_import *im, const wb_linker *l,
                               wb_extern *out, wb_error *err)
{
    char mq[160], nq[160];
    const wb_extern *ext = lookup(l, im);
    const char *why = ext ? mismatch(s, m, im, ext) : NULL;
    if (ext && !why) {
        *out = *ext;
        return WB_OK;
    }
    quote(mq, sizeof mq, im->module, im->module_len);
    quote(nq, sizeof nq, im->name, im->name_len);
    if (!ext)
        return wb_err_set(err, WB_E_LINK, "unknown import: \"%s\" \"%s\"",
                          mq, nq);
    return wb_err_set(err, WB_E_LINK, "incompatible import type: \"%s\" "
                      "\"%s\": expected %s, got %s (%s)", mq, nq,
                      kind_name(im->kind), kind_name(ext->kind), why);
}
