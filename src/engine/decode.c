/*
 * decode.c: the binary format -> wb_module.
 *
 * Every read is bounded by the end of the current section, and every
 * vector count is checked against the bytes left before anything is
 * allocated, so hostile sizes fail fast. Messages start with the text the
 * spec's reference interpreter uses, then add context.
 *
 * Errors are ordered like the reference: any malformed encoding wins over
 * validation errors found while decoding (constant expressions, limits on
 * locals), which are deferred until the whole binary has been read.
 */
#include "engine.h"
#include "native.h"
#include "opcodes.h"
#include "prefault.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* Caps for index spaces engine.h leaves open; real modules are far below. */
#define MAX_TABLES   100000u
#define MAX_MEMS     100000u
#define MAX_GLOBALS  1000000u

typedef struct dec {
    wb_module *m;
    const uint8_t *p;          /* m->bytes */
    size_t pos, end, len;      /* end: end of the current section */
    const char *sec;           /* current section, for messages */
    wb_error *err;
    bool quiet;                /* name section: errors are ignored */
    bool bodies;               /* false: bodies are checked when compiled */
    wb_error deferred;         /* a validation error to report at the end */
    bool has_funcsec, has_code;
    uint32_t nfunc_decls;
    bool has_names;
    size_t names_pos, names_end;
    uint64_t elem_items;       /* over all segments, for the limit */
} dec;

static const char *const sec_name[] = {
    "custom", "type", "import", "function", "table", "memory", "global",
    "export", "start", "element", "code", "data", "data count",
};

/* ---- errors ------------------------------------------------------------ */

/* The message names the section and offset where decoding stopped. */
static void vreport(const dec *d, wb_error *err, wb_status st, size_t off,
                    const char *fmt, va_list ap)
{
    wb_err_vset(err, st, fmt, ap);
    if (d->sec)
        wb_err_addf(err, " (%s section, offset 0x%zx)", d->sec, off);
    else
        wb_err_addf(err, " (offset 0x%zx)", off);
}

static void report(dec *d, wb_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void report(dec *d, wb_status st, const char *fmt, ...)
{
    va_list ap;
    if (d->quiet)
        return;
    va_start(ap, fmt);
    vreport(d, d->err, st, d->pos, fmt, ap);
    va_end(ap);
}

/* Both yield their status, visibly to the compiler, so callers can
 * `return fail(...)` and outputs are known set on success. */
#define fail_st(d, st, ...) (report((d), (st), __VA_ARGS__), (st))
#define fail(d, ...) fail_st((d), WB_E_MALFORMED, __VA_ARGS__)

static wb_status nomem(dec *d)
{
    return fail_st(d, WB_E_NOMEM, "out of memory while decoding");
}

/* Record a validation error found mid-decode; reported only if the rest
 * of the binary turns out well-formed. */
static void defer(dec *d, wb_status st, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void defer(dec *d, wb_status st, size_t off, const char *fmt, ...)
{
    va_list ap;
    if (d->deferred.status != WB_OK || d->quiet)
        return;
    va_start(ap, fmt);
    vreport(d, &d->deferred, st, off, fmt, ap);
    va_end(ap);
}

/* ---- primitive readers --------------------------------------------------- */

static wb_status rd_byte(dec *d, uint8_t *b)
{
    if (d->pos >= d->end)
        return fail(d, "unexpected end of section or function");
    *b = d->p[d->pos++];
    return WB_OK;
}

/* LEB bytes may run past the section into the file, as in the reference
 * decoder, so an overlong number is reported as such; the caller checks
 * the section bound once the number is complete. */
static wb_status leb_byte(dec *d, uint8_t *b)
{
    if (d->pos >= d->len)
        return d->sec ? fail(d, "unexpected end of section or function")
                      : fail(d, "unexpected end");
    *b = d->p[d->pos++];
    return WB_OK;
}

static wb_status leb_done(dec *d)
{
    if (d->pos > d->end)
        return fail(d, "unexpected end of section or function");
    return WB_OK;
}

/* LEB128 limited to `bits` bits, checked exactly like the reference
 * decoder: a byte past the last allowed one is "too long", unused bits
 * set in the last byte are "too large". */
static wb_status rd_uleb(dec *d, int bits, uint64_t *out)
{
    uint64_t v = 0;
    int shift = 0;
    for (int n = bits;; n -= 7, shift += 7) {
        uint8_t b;
        if (n <= 0)
            return fail(d, "integer representation too long");
        WB_TRY(leb_byte(d, &b));
        if (n < 7 && (b & 0x7f) >= (1u << n))
            return fail(d, "integer too large");
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            break;
    }
    *out = v;
    return leb_done(d);
}

/* Signed: the unused bits of the last byte must repeat the sign bit. */
static wb_status rd_sleb(dec *d, int bits, int64_t *out)
{
    uint64_t v = 0;
    int shift = 0;
    for (int n = bits;; n -= 7) {
        uint8_t b;
        if (n <= 0)
            return fail(d, "integer representation too long");
        WB_TRY(leb_byte(d, &b));
        if (n < 7) {
            uint8_t mask = (uint8_t)((0xffu << (n - 1)) & 0x7f);
            if ((b & mask) != 0 && (b & mask) != mask)
                return fail(d, "integer too large");
        }
        v |= (uint64_t)(b & 0x7f) << shift;
        shift += 7;
        if (!(b & 0x80)) {
            if (shift < 64 && (b & 0x40))
                v |= ~(uint64_t)0 << shift;
            break;
        }
    }
    *out = (int64_t)v;
    return leb_done(d);
}

static wb_status rd_u32(dec *d, uint32_t *out)
{
    uint64_t v;
    WB_TRY(rd_uleb(d, 32, &v));
    *out = (uint32_t)v;
    return WB_OK;
}

/* A byte length that must fit in what is left of the section. */
static wb_status rd_len(dec *d, uint32_t *n)
{
    size_t at = d->pos;
    WB_TRY(rd_u32(d, n));
    if (*n > d->end - d->pos) {
        d->pos = at;
        return fail(d, "length out of bounds (%u bytes, %zu left)", *n,
                    d->end - at);
    }
    return WB_OK;
}

/* A vector count: every item takes at least one byte, so the count is
 * bounded by the bytes left before anything is allocated. */
static wb_status rd_vec(dec *d, uint32_t *n)
{
    size_t at = d->pos;
    WB_TRY(rd_u32(d, n));
    if (*n > d->end - d->pos) {
        d->pos = at;
        return fail(d, "unexpected end of section or function (%u items "
                    "declared, %zu bytes left)", *n, d->end - at);
    }
    return WB_OK;
}

static wb_status rd_count(dec *d, uint32_t *n, uint32_t limit, const char *what)
{
    WB_TRY(rd_vec(d, n));
    if (*n > limit)
        return fail_st(d, WB_E_IMPL_LIMIT, "too many %s (%u, limit %u)", what, *n,
                       limit);
    return WB_OK;
}

/* ---- names ---------------------------------------------------------------- */

/* Strict UTF-8: no overlong forms, surrogates or code points > 0x10FFFF. */
static bool utf8_ok(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        uint32_t cp, min;
        size_t k;
        if (c < 0x80) { i++; continue; }
        if ((c & 0xe0) == 0xc0) { k = 1; cp = c & 0x1f; min = 0x80; }
        else if ((c & 0xf0) == 0xe0) { k = 2; cp = c & 0x0f; min = 0x800; }
        else if ((c & 0xf8) == 0xf0) { k = 3; cp = c & 0x07; min = 0x10000; }
        else return false;
        if (n - i - 1 < k)
            return false;
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (s[i + j] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += k + 1;
    }
    return true;
}

/* Reads a name; with `out` copies it NUL-terminated. */
static wb_status rd_name(dec *d, char **out, uint32_t *outlen)
{
    uint32_t n;
    WB_TRY(rd_len(d, &n));
    if (!utf8_ok(d->p + d->pos, n))
        return fail(d, "malformed UTF-8 encoding");
    if (out) {
        char *s = malloc((size_t)n + 1);
        if (!s)
            return nomem(d);
        memcpy(s, d->p + d->pos, n);
        s[n] = 0;
        *out = s;
    }
    if (outlen)
        *outlen = n;
    d->pos += n;
    return WB_OK;
}

/* ---- types --------------------------------------------------------------- */

/* Type bytes are one-byte signed LEBs in the reference, hence "too long"
 * for a byte with the continuation bit. */
static wb_status rd_typebyte(dec *d, uint8_t *t)
{
    WB_TRY(rd_byte(d, t));
    if (*t & 0x80) {
        d->pos--;
        return fail(d, "integer representation too long");
    }
    return WB_OK;
}

static wb_status rd_valtype(dec *d, uint8_t *t)
{
    WB_TRY(rd_typebyte(d, t));
    if (!wb_is_num(*t) && !wb_is_ref(*t)) {
        d->pos--;
        return fail(d, "malformed value type 0x%02x", *t);
    }
    return WB_OK;
}

static wb_status rd_reftype(dec *d, uint8_t *t)
{
    WB_TRY(rd_typebyte(d, t));
    if (!wb_is_ref(*t)) {
        d->pos--;
        return fail(d, "malformed reference type 0x%02x", *t);
    }
    return WB_OK;
}

static wb_status rd_limits(dec *d, wb_limits32 *l)
{
    uint64_t flags;
    WB_TRY(rd_uleb(d, 1, &flags));
    l->has_max = flags == 1;
    l->max = 0;
    WB_TRY(rd_u32(d, &l->min));
    return l->has_max ? rd_u32(d, &l->max) : WB_OK;
}

static wb_status rd_tabletype(dec *d, wb_tabletype *t)
{
    WB_TRY(rd_reftype(d, &t->elem));
    return rd_limits(d, &t->lim);
}

static wb_status rd_globaltype(dec *d, wb_globaltype *g)
{
    uint8_t mut;
    WB_TRY(rd_valtype(d, &g->type));
    WB_TRY(rd_byte(d, &mut));
    if (mut > 1) {
        d->pos--;
        return fail(d, "malformed mutability 0x%02x", mut);
    }
    g->mut = mut;
    return WB_OK;
}

static wb_status rd_valtypes(dec *d, uint8_t *dst, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        WB_TRY(rd_valtype(d, &dst[i]));
    return WB_OK;
}

static wb_status rd_functype(dec *d, wb_functype *ft)
{
    uint8_t form, params[WB_MAX_PARAMS];
    uint32_t np, nr;
    WB_TRY(rd_typebyte(d, &form));
    if (form != 0x60) {
        d->pos--;
        return fail(d, "malformed function type 0x%02x", form);
    }
    /* Params go to a buffer first: one allocation once both counts are
     * known. */
    WB_TRY(rd_count(d, &np, WB_MAX_PARAMS, "parameters"));
    WB_TRY(rd_valtypes(d, params, np));
    WB_TRY(rd_count(d, &nr, WB_MAX_RESULTS, "results"));
    ft->types = malloc((size_t)np + nr + 1);
    if (!ft->types)
        return nomem(d);
    memcpy(ft->types, params, np);
    ft->nparams = np;
    ft->nresults = nr;
    WB_TRY(rd_valtypes(d, ft->types + np, nr));
    for (uint32_t i = 0; i < np; i++)
        ft->param_slots += wb_slots_of(ft->types[i]);
    for (uint32_t i = 0; i < nr; i++)
        ft->result_slots += wb_slots_of(ft->types[np + i]);
    return WB_OK;
}

/* ---- growing arrays ------------------------------------------------------ */

/* Resizes *arr from `oldn` to `newn` elements, zeroing the new tail. */
static wb_status grow(dec *d, void *arrp, size_t el, size_t oldn, size_t newn)
{
    void **arr = arrp;
    void *p = realloc(*arr, (newn ? newn : 1) * el);
    if (!p)
        return nomem(d);
    if (newn > oldn)
        memset((char *)p + oldn * el, 0, (newn - oldn) * el);
    *arr = p;
    return WB_OK;
}

/* ---- constant expressions ------------------------------------------------ */

static wb_status rd_bits(dec *d, uint64_t *dst, unsigned nbytes)
{
    if (d->end - d->pos < nbytes) {
        d->pos = d->end;
        uint8_t b;
        return rd_byte(d, &b);      /* reports the unexpected end */
    }
    for (unsigned i = 0; i < nbytes; i++)
        dst[i / 8] |= (uint64_t)d->p[d->pos + i] << (8 * (i % 8));
    d->pos += nbytes;
    return WB_OK;
}

/* A literal immediate (opcodes.h's WB_IMM_I32 ... WB_IMM_V128) as bits. */
static wb_status rd_literal(dec *d, uint8_t imm, uint64_t *bits)
{
    int64_t s;
    switch (imm) {
    case WB_IMM_I32:
        WB_TRY(rd_sleb(d, 32, &s));
        bits[0] = (uint32_t)s;
        return WB_OK;
    case WB_IMM_I64:
        WB_TRY(rd_sleb(d, 64, &s));
        bits[0] = (uint64_t)s;
        return WB_OK;
    case WB_IMM_F32: return rd_bits(d, bits, 4);
    case WB_IMM_F64: return rd_bits(d, bits, 8);
    default: return rd_bits(d, bits, 16);
    }
}

/* Skips a non-constant instruction whose immediates are simple, so that
 * decoding can go on and a later malformation still wins. Returns false
 * (with err set) when it cannot; `in` is NULL for the 0xFC prefix. */
static wb_status skip_nonconst(dec *d, uint8_t op, const wb_opdef *in)
{
    uint32_t x;
    uint8_t b;
    switch (in ? in->imm : WB_IMM_NONE) {
    case WB_IMM_NONE:
        if (in)
            return WB_OK;
        break;
    case WB_IMM_LABEL: case WB_IMM_FUNC: case WB_IMM_LOCAL:
    case WB_IMM_GLOBAL: case WB_IMM_TABLE:
        return rd_u32(d, &x);
    case WB_IMM_ZERO:
        return rd_byte(d, &b);
    case WB_IMM_MEMARG: case WB_IMM_TYPE_TABLE:
        WB_TRY(rd_u32(d, &x));
        return rd_u32(d, &x);
    default:
        break;
    }
    d->pos--;
    return fail_st(d, WB_E_INVALID, "constant expression required "
                   "(opcode 0x%02x)", op);
}

/* One instruction. *is_const says whether it may appear in a constant
 * expression; if so it is decoded into *c. */
static wb_status rd_const_instr(dec *d, uint8_t op, wb_const *c, bool *is_const)
{
    const wb_opdef *in = wb_opdef_of(0, op);
    uint32_t sub;
    *is_const = true;
    switch (op) {
    case WB_WASM_I32_CONST: case WB_WASM_I64_CONST:
    case WB_WASM_F32_CONST: case WB_WASM_F64_CONST:
        c->kind = WB_CONST_VALUE;
        c->type = in->sig.result;
        return rd_literal(d, in->imm, c->bits);
    case WB_WASM_REF_NULL:
        c->kind = WB_CONST_REF_NULL;
        return rd_reftype(d, &c->type);
    case WB_WASM_REF_FUNC:
        c->kind = WB_CONST_REF_FUNC; c->type = WB_FUNCREF;
        return rd_u32(d, &c->index);
    case WB_WASM_GLOBAL_GET:
        c->kind = WB_CONST_GLOBAL;    /* type resolved by modcheck */
        return rd_u32(d, &c->index);
    case WB_PREFIX_FD:
        WB_TRY(rd_u32(d, &sub));
        in = wb_opdef_of(WB_PREFIX_FD, sub);
        if (in && in->code == WB_WASM_V128_CONST) {
            c->kind = WB_CONST_VALUE;
            c->type = in->sig.result;
            return rd_literal(d, in->imm, c->bits);
        }
        return fail_st(d, WB_E_INVALID, "constant expression required "
                       "(SIMD opcode %u)", sub);
    default:
        break;
    }
    *is_const = false;
    if (!in && op != WB_PREFIX_FC) {
        d->pos--;
        return fail(d, "illegal opcode 0x%02x", op);
    }
    return skip_nonconst(d, op, in);
}

/* A constant expression up to its `end`. Wasm 2.0 allows exactly one
 * constant instruction; other shapes are validation errors, deferred. */
static wb_status rd_const(dec *d, wb_const *c, const char *what, uint32_t idx)
{
    size_t start = d->pos;
    uint32_t n = 0;
    bool nonconst = false;
    memset(c, 0, sizeof *c);
    for (;;) {
        uint8_t op;
        bool is_const;
        wb_const tmp = {0};
        WB_TRY(rd_byte(d, &op));
        if (op == WB_WASM_END)
            break;
        WB_TRY(rd_const_instr(d, op, &tmp, &is_const));
        if (!is_const)
            nonconst = true;
        else if (n++ == 0)
            *c = tmp;
    }
    if (nonconst)
        defer(d, WB_E_INVALID, start, "constant expression required "
              "(%s %u)", what, idx);
    else if (n != 1)
        defer(d, WB_E_INVALID, start, "type mismatch (%s %u: expected one "
              "constant instruction, got %u)", what, idx, n);
    return WB_OK;
}

/* ---- sections ------------------------------------------------------------ */

static wb_status sec_type(dec *d)
{
    wb_module *m = d->m;
    uint32_t n;
    WB_TRY(rd_count(d, &n, WB_MAX_TYPES, "types"));
    m->types = calloc(n ? n : 1, sizeof *m->types);
    if (!m->types)
        return nomem(d);
    while (m->ntypes < n)
        WB_TRY(rd_functype(d, &m->types[m->ntypes++]));
    return WB_OK;
}

/* Appends an import to its index space; arrays were sized for all imports. */
static void add_import_index(wb_module *m, const wb_import *im)
{
    switch (im->kind) {
    case WB_EXTERN_FUNC: m->func_types[m->nfuncs++] = im->u.typeidx; break;
    case WB_EXTERN_TABLE: m->tables[m->ntables++] = im->u.table; break;
    case WB_EXTERN_MEMORY: m->mems[m->nmems++] = im->u.mem; break;
    default: m->globals[m->nglobals++] = im->u.global; break;
    }
}

static wb_status rd_import_desc(dec *d, wb_import *im)
{
    uint8_t kind;
    WB_TRY(rd_byte(d, &kind));
    im->kind = kind;
    switch (kind) {
    case 0: return rd_u32(d, &im->u.typeidx);
    case 1: return rd_tabletype(d, &im->u.table);
    case 2: return rd_limits(d, &im->u.mem);
    case 3: return rd_globaltype(d, &im->u.global);
    default:
        d->pos--;
        return fail(d, "malformed import kind 0x%02x", kind);
    }
}

static wb_status sec_import(dec *d)
{
    wb_module *m = d->m;
    uint32_t n;
    WB_TRY(rd_count(d, &n, WB_MAX_IMPORTS, "imports"));
    size_t cap = n ? n : 1;
    m->imports = calloc(cap, sizeof *m->imports);
    m->func_types = calloc(cap, sizeof *m->func_types);
    m->tables = calloc(cap, sizeof *m->tables);
    m->mems = calloc(cap, sizeof *m->mems);
    m->globals = calloc(cap, sizeof *m->globals);
    if (!m->imports || !m->func_types || !m->tables || !m->mems ||
        !m->globals)
        return nomem(d);
    while (m->nimports < n) {
        wb_import *im = &m->imports[m->nimports++];
        WB_TRY(rd_name(d, &im->module, &im->module_len));
        WB_TRY(rd_name(d, &im->name, &im->name_len));
        WB_TRY(rd_import_desc(d, im));
        add_import_index(m, im);
    }
    m->nfunc_imports = m->nfuncs;
    m->ntable_imports = m->ntables;
    m->nmem_imports = m->nmems;
    m->nglobal_imports = m->nglobals;
    return WB_OK;
}

static wb_status sec_function(dec *d)
{
    wb_module *m = d->m;
    uint32_t n;
    WB_TRY(rd_count(d, &n, WB_MAX_FUNCS - m->nfunc_imports, "functions"));
    WB_TRY(grow(d, &m->func_types, sizeof *m->func_types, m->nfuncs,
              (size_t)m->nfuncs + n));
    m->funcdefs = wb_calloc_prefault(n ? n : 1, sizeof *m->funcdefs);
    if (!m->funcdefs)
        return nomem(d);
    d->has_funcsec = true;
    d->nfunc_decls = n;
    for (uint32_t i = 0; i < n; i++) {
        WB_TRY(rd_u32(d, &m->funcdefs[i].typeidx));
        m->func_types[m->nfuncs++] = m->funcdefs[i].typeidx;
    }
    return WB_OK;
}

static wb_status sec_table(dec *d)
{
    wb_module *m = d->m;
    uint32_t n;
    WB_TRY(rd_count(d, &n, MAX_TABLES - m->ntables, "tables"));
    WB_TRY(grow(d, &m->tables, sizeof *m->tables, m->ntables,
              (size_t)m->ntables + n));
    for (uint32_t i = 0; i < n; i++)
        WB_TRY(rd_tabletype(d, &m->tables[m->ntables++]));
    return WB_OK;
}

static wb_status sec_memory(dec *d)
{
    wb_module *m = d->m;
    uint32_t n;
    WB_TRY(rd_count(d, &n, MAX_MEMS - m->nmems, "memories"));
    WB_TRY(grow(d, &m->mems, sizeof *m->mems, m->nmems, (size_t)m->nmems + n));
    for (uint32_t i = 0; i < n; i++)
        WB_TRY(rd_limits(d, &m->mems[m->nmems++]));
    return WB_OK;
}

static wb_status sec_global(dec *d)
{
    wb_module *m = d->m;
    uint32_t n;
    WB_TRY(rd_count(d, &n, MAX_GLOBALS - m->nglobals, "globals"));
    WB_TRY(grow(d, &m->globals, sizeof *m->globals, m->nglobals,
              (size_t)m->nglobals + n));
    m->global_inits = calloc(n ? n : 1, sizeof *m->global_inits);
    if (!m->global_inits)
        return nomem(d);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t idx = m->nglobals;
        WB_TRY(rd_globaltype(d, &m->globals[idx]));
        m->nglobals++;
        WB_TRY(rd_const(d, &m->global_inits[i], "global", idx));
    }
    return WB_OK;
}

static wb_status sec_export(dec *d)
{
    wb_module *m = d->m;
    uint32_t n;
    WB_TRY(rd_count(d, &n, WB_MAX_EXPORTS, "exports"));
    m->exports = calloc(n ? n : 1, sizeof *m->exports);
    if (!m->exports)
        return nomem(d);
    while (m->nexports < n) {
        wb_export *e = &m->exports[m->nexports++];
        WB_TRY(rd_name(d, &e->name, &e->name_len));
        WB_TRY(rd_byte(d, &e->kind));
        if (e->kind > 3) {
            d->pos--;
            return fail(d, "malformed export kind 0x%02x", e->kind);
        }
        WB_TRY(rd_u32(d, &e->index));
    }
    return WB_OK;
}

static wb_status sec_start(dec *d)
{
    d->m->has_start = true;
    return rd_u32(d, &d->m->start);
}

static wb_status rd_elemkind(dec *d)
{
    uint8_t k;
    WB_TRY(rd_byte(d, &k));
    if (k != 0) {
        d->pos--;
        return fail(d, "malformed elements segment kind 0x%02x", k);
    }
    return WB_OK;
}

/* The items of a segment: function indices or expressions. */
static wb_status rd_elem_items(dec *d, wb_elem *e, uint32_t segidx, bool exprs)
{
    uint32_t n;
    WB_TRY(rd_vec(d, &n));
    d->elem_items += n;
    if (d->elem_items > WB_MAX_TABLE_SIZE)
        return fail_st(d, WB_E_IMPL_LIMIT, "too many element segment items "
                       "(limit %u)", WB_MAX_TABLE_SIZE);
    e->items = calloc(n ? n : 1, sizeof *e->items);
    if (!e->items)
        return nomem(d);
    for (; e->count < n; e->count++) {
        wb_const *c = &e->items[e->count];
        if (exprs) {
            WB_TRY(rd_const(d, c, "element segment", segidx));
            continue;
        }
        c->kind = WB_CONST_REF_FUNC;
        c->type = WB_FUNCREF;
        WB_TRY(rd_u32(d, &c->index));
    }
    return WB_OK;
}

/* The eight encodings: bit 0 passive/declarative, bit 1 explicit table
 * index (active) or declarative (otherwise), bit 2 expressions. */
static wb_status rd_elem(dec *d, wb_elem *e, uint32_t segidx)
{
    uint32_t flags;
    WB_TRY(rd_u32(d, &flags));
    if (flags > 7)
        return fail(d, "malformed elements segment kind %u", flags);
    bool exprs = flags & 4;
    e->type = WB_FUNCREF;
    if (flags & 1)
        e->mode = flags & 2 ? WB_SEG_DECLARATIVE : WB_SEG_PASSIVE;
    else {
        e->mode = WB_SEG_ACTIVE;
        if (flags & 2)
            WB_TRY(rd_u32(d, &e->table));
        WB_TRY(rd_const(d, &e->offset, "element segment offset", segidx));
    }
    if (flags & 3)
        WB_TRY(exprs ? rd_reftype(d, &e->type) : rd_elemkind(d));
    return rd_elem_items(d, e, segidx, exprs);
}

static wb_status sec_elem(dec *d)
{
    wb_module *m = d->m;
    uint32_t n;
    WB_TRY(rd_count(d, &n, WB_MAX_SEGMENTS, "element segments"));
    m->elems = calloc(n ? n : 1, sizeof *m->elems);
    if (!m->elems)
        return nomem(d);
    while (m->nelems < n) {
        m->nelems++;
        WB_TRY(rd_elem(d, &m->elems[m->nelems - 1], m->nelems - 1));
    }
    return WB_OK;
}

static wb_status sec_datacount(dec *d)
{
    d->m->has_datacount = true;
    return rd_u32(d, &d->m->datacount);
}

/* The local declarations: only their total is checked here (compile.c
 * decodes them again). Also checks the body ends with `end`. */
static wb_status rd_locals(dec *d, uint32_t defidx)
{
    uint32_t n;
    uint64_t total = 0;
    size_t at = d->pos;
    WB_TRY(rd_vec(d, &n));
    for (uint32_t i = 0; i < n; i++) {
        uint32_t k;
        uint8_t t;
        WB_TRY(rd_u32(d, &k));
        WB_TRY(rd_valtype(d, &t));
        total += k;
    }
    if (total > UINT32_MAX) {
        d->pos = at;
        return fail(d, "too many locals (function %u declares %llu)",
                    d->m->nfunc_imports + defidx, (unsigned long long)total);
    }
    if (total > WB_MAX_LOCALS)
        defer(d, WB_E_IMPL_LIMIT, at, "too many locals (function %u declares "
              "%llu, limit %u)", d->m->nfunc_imports + defidx,
              (unsigned long long)total, WB_MAX_LOCALS);
    return WB_OK;
}

static wb_status rd_body(dec *d, uint32_t defidx)
{
    wb_funcdef *f = &d->m->funcdefs[defidx];
    uint32_t size;
    size_t sec_end = d->end;
    WB_TRY(rd_len(d, &size));
    f->body = d->p + d->pos;
    f->body_len = size;
    f->body_offset = (uint32_t)d->pos;
    if (!d->bodies && size) {
        /* deferred: the locals and the final END are the translator's to
         * check (wb_compile), before the body's first call; reading them
         * here was a cache miss per function, 9,300 for CPython */
        d->pos += size;
        return WB_OK;
    }
    d->end = d->pos + size;
    wb_status st = rd_locals(d, defidx);
    if (st == WB_OK && d->pos == d->end)
        st = fail(d, "unexpected end of section or function (function %u "
                  "has no body)", d->m->nfunc_imports + defidx);
    else if (st == WB_OK && d->p[d->end - 1] != WB_WASM_END) {
        d->pos = d->end - 1;
        st = fail(d, "unexpected end of section or function (function %u: "
                  "END opcode expected)", d->m->nfunc_imports + defidx);
    }
    d->pos = d->end;
    d->end = sec_end;
    return st;
}

/* The bodies of a deferred load are found later (wb_decode_bodies):
 * only the count is checked here. */
static wb_status sec_code(dec *d)
{
    uint32_t n;
    WB_TRY(rd_u32(d, &n));
    if (n != d->nfunc_decls)
        return fail(d, "function and code section have inconsistent lengths "
                    "(%u functions, %u bodies)", d->nfunc_decls, n);
    d->has_code = true;
    if (!d->bodies) {
        d->m->bodies_pending = true;
        d->m->code_pos = d->pos;
        d->m->code_end = d->end;
        d->pos = d->end;
        return WB_OK;
    }
    for (uint32_t i = 0; i < n; i++)
        WB_TRY(rd_body(d, i));
    return WB_OK;
}

wb_status wb_decode_bodies(wb_module *m, wb_error *err)
{
    dec d = { .m = m, .p = m->bytes, .pos = m->code_pos, .end = m->code_end,
              .len = m->len, .sec = "code", .err = err };
    for (uint32_t i = 0; i < m->nfuncs - m->nfunc_imports; i++)
        WB_TRY(rd_body(&d, i));
    if (d.pos != d.end)
        return fail(&d, "section size mismatch (%zu bytes left over)",
                    d.end - d.pos);
    return WB_OK;
}

static wb_status rd_data(dec *d, wb_data *s, uint32_t segidx)
{
    uint32_t flags, n;
    WB_TRY(rd_u32(d, &flags));
    if (flags > 2)
        return fail(d, "malformed data segment kind %u", flags);
    s->mode = flags == 1 ? WB_SEG_PASSIVE : WB_SEG_ACTIVE;
    if (flags == 2)
        WB_TRY(rd_u32(d, &s->memory));
    if (flags != 1)
        WB_TRY(rd_const(d, &s->offset, "data segment offset", segidx));
    WB_TRY(rd_u32(d, &n));
    if (n > d->end - d->pos)
        return fail(d, "unexpected end of section or function (data segment "
                    "%u: %u bytes declared, %zu left)", segidx, n,
                    d->end - d->pos);
    s->bytes = d->p + d->pos;
    s->len = n;
    d->pos += n;
    return WB_OK;
}

static wb_status sec_data(dec *d)
{
    wb_module *m = d->m;
    uint32_t n;
    WB_TRY(rd_count(d, &n, WB_MAX_SEGMENTS, "data segments"));
    if (m->has_datacount && n != m->datacount)
        return fail(d, "data count and data section have inconsistent "
                    "lengths (count %u, %u segments)", m->datacount, n);
    m->datas = calloc(n ? n : 1, sizeof *m->datas);
    if (!m->datas)
        return nomem(d);
    for (; m->ndatas < n; m->ndatas++)
        WB_TRY(rd_data(d, &m->datas[m->ndatas], m->ndatas));
    return WB_OK;
}

/* Custom sections: only the header is checked; "name" is parsed at the
 * end, once the function index space is known. */
static wb_status sec_custom(dec *d)
{
    size_t at;
    uint32_t n;
    WB_TRY(rd_name(d, NULL, &n));
    at = d->pos - n;
    if (!d->has_names && n == 4 && memcmp(d->p + at, "name", 4) == 0) {
        d->has_names = true;
        d->names_pos = d->pos;
        d->names_end = d->end;
    }
    d->pos = d->end;
    return WB_OK;
}

/* ---- name section -------------------------------------------------------- */

/* The function names subsection. The names go into one buffer (a
 * malloc each was a quarter of a restored python start: 9,400 names):
 * each entry holds at least an index byte and a length byte besides its
 * name, so the subsection's size bounds the names with their NULs. */
static wb_status names_funcs(dec *d)
{
    wb_module *m = d->m;
    uint32_t n;
    if (m->func_names)
        return fail(d, "repeated function names");
    WB_TRY(rd_vec(d, &n));
    m->func_names = calloc(m->nfuncs ? m->nfuncs : 1, sizeof(char *));
    m->func_names_buf = malloc(d->end - d->pos + 1);
    if (!m->func_names || !m->func_names_buf)
        return nomem(d);
    char *buf = m->func_names_buf;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t idx, len;
        WB_TRY(rd_u32(d, &idx));
        WB_TRY(rd_name(d, NULL, &len));
        if (idx >= m->nfuncs || m->func_names[idx])
            continue;
        memcpy(buf, d->p + d->pos - len, len);
        buf[len] = 0;
        m->func_names[idx] = buf;
        buf += len + 1;
    }
    return d->pos == d->end ? WB_OK : fail(d, "section size mismatch");
}

static void free_func_names(wb_module *m)
{
    free(m->func_names);
    free(m->func_names_buf);
    m->func_names = NULL;
    m->func_names_buf = NULL;
}

/* Errors in a custom section's content are ignored (spec), so a broken
 * name section just leaves no names. */
static void parse_names(dec *d)
{
    size_t sec_end = d->names_end;
    wb_status st = WB_OK;
    d->quiet = true;
    d->pos = d->names_pos;
    d->end = sec_end;
    d->sec = "custom";
    while (st == WB_OK && d->pos < sec_end) {
        uint8_t id;
        uint32_t size;
        if ((st = rd_byte(d, &id)) || (st = rd_len(d, &size)))
            break;
        d->end = d->pos + size;
        if (id == 1)
            st = names_funcs(d);
        d->pos = d->end;
        d->end = sec_end;
    }
    if (st != WB_OK)
        free_func_names(d->m);
    d->quiet = false;
}

/* ---- module -------------------------------------------------------------- */

typedef wb_status (*sec_fn)(dec *);

static const sec_fn sec_fns[] = {
    sec_custom, sec_type, sec_import, sec_function, sec_table, sec_memory,
    sec_global, sec_export, sec_start, sec_elem, sec_code, sec_data,
    sec_datacount,
};

/* Position of each section id in the required order (datacount before
 * code). */
static const uint8_t sec_rank[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 10 };

static wb_status rd_header(dec *d)
{
    static const uint8_t magic[4] = { 0, 'a', 's', 'm' };
    static const uint8_t version[4] = { 1, 0, 0, 0 };
    if (d->len < 4)
        return fail(d, "unexpected end (module is %zu bytes)", d->len);
    if (memcmp(d->p, magic, 4) != 0)
        return fail(d, "magic header not detected");
    d->pos = 4;
    if (d->len < 8)
        return fail(d, "unexpected end (no binary version)");
    if (memcmp(d->p + 4, version, 4) != 0)
        return fail(d, "unknown binary version");
    d->pos = 8;
    return WB_OK;
}

/* Reads id and size of the next section and sets d->end to its end. */
static wb_status rd_section_head(dec *d, uint8_t *id)
{
    size_t size_at;
    uint32_t size;
    WB_TRY(rd_byte(d, id));
    if (*id > 12) {
        d->pos--;
        return fail(d, "malformed section id %u", *id);
    }
    d->sec = sec_name[*id];
    size_at = d->pos;
    WB_TRY(rd_u32(d, &size));
    /* The reference measures from the size field itself. */
    if (size > d->len - size_at)
        return fail(d, "length out of bounds (section size %u, %zu bytes "
                    "left)", size, d->len - d->pos);
    if (size > d->len - d->pos)
        return fail(d, "unexpected end (section size %u, %zu bytes left)",
                    size, d->len - d->pos);
    d->end = d->pos + size;
    return WB_OK;
}

static wb_status rd_sections(dec *d)
{
    unsigned last = 0;
    while (d->pos < d->len) {
        uint8_t id;
        size_t start = d->pos;
        WB_TRY(rd_section_head(d, &id));
        if (id != 0 && sec_rank[id] <= last) {
            d->pos = start;
            return fail(d, "unexpected content after last section "
                        "(duplicate or out-of-order section)");
        }
        if (id != 0)
            last = sec_rank[id];
        WB_TRY(sec_fns[id](d));
        if (d->pos != d->end)
            return fail(d, "section size mismatch (%zu bytes left over)",
                        d->end - d->pos);
        d->end = d->len;
        d->sec = NULL;
    }
    return WB_OK;
}

static wb_status check_counts(dec *d)
{
    wb_module *m = d->m;
    if (d->nfunc_decls && !d->has_code)
        return fail(d, "function and code section have inconsistent lengths "
                    "(%u functions, no code section)", d->nfunc_decls);
    if (m->has_datacount && m->datacount != m->ndatas)
        return fail(d, "data count and data section have inconsistent "
                    "lengths (count %u, %u segments)", m->datacount,
                    m->ndatas);
    return WB_OK;
}

static void declare(wb_module *m, const wb_const *c)
{
    if (c->kind == WB_CONST_REF_FUNC && c->index < m->nfuncs)
        m->declared_funcs[c->index / 8] |= (uint8_t)(1u << (c->index % 8));
}

/* C.refs: functions named by ref.func outside bodies, or exported. */
static wb_status build_declared(dec *d)
{
    wb_module *m = d->m;
    m->declared_funcs = calloc((size_t)m->nfuncs / 8 + 1, 1);
    if (!m->declared_funcs)
        return nomem(d);
    for (uint32_t i = 0; i < m->nglobals - m->nglobal_imports; i++)
        declare(m, &m->global_inits[i]);
    for (uint32_t i = 0; i < m->nelems; i++)
        for (uint32_t j = 0; j < m->elems[i].count; j++)
            declare(m, &m->elems[i].items[j]);
    for (uint32_t i = 0; i < m->nexports; i++) {
        wb_const c = { .kind = WB_CONST_REF_FUNC,
                       .index = m->exports[i].index };
        if (m->exports[i].kind == WB_EXTERN_FUNC)
            declare(m, &c);
    }
    return WB_OK;
}

/* Index-space arrays must exist even for modules without those sections. */
static wb_status ensure_arrays(dec *d)
{
    wb_module *m = d->m;
    void **arrs[] = { (void **)&m->func_types, (void **)&m->tables,
                      (void **)&m->mems, (void **)&m->globals };
    for (size_t i = 0; i < sizeof arrs / sizeof *arrs; i++)
        if (!*arrs[i] && !(*arrs[i] = calloc(1, 8)))
            return nomem(d);
    return WB_OK;
}

static wb_status decode_all(dec *d)
{
    WB_TRY(rd_header(d));
    WB_TRY(rd_sections(d));
    d->pos = d->len;
    WB_TRY(check_counts(d));
    WB_TRY(ensure_arrays(d));
    WB_TRY(build_declared(d));
    if (d->has_names) {
        d->m->names_pos = d->names_pos;
        d->m->names_end = d->names_end;
    }
    if (d->deferred.status != WB_OK)
        *d->err = d->deferred;
    return d->deferred.status;
}

/* Decode and check m->bytes; m is freed on failure. */
static wb_status decode_module(wb_module *m, bool bodies, wb_module **out,
                               wb_error *err)
{
    atomic_init(&m->refs, 1);
    dec d = { .m = m, .p = m->bytes, .len = m->len, .end = m->len,
              .err = err, .bodies = bodies };
    wb_status st = decode_all(&d);
    if (st == WB_OK)
        st = wb_modcheck(m, bodies, err);
    if (st != WB_OK) {
        wb_module_destroy(m);
        return st;
    }
    *out = m;
    return WB_OK;
}

static wb_status too_large(size_t len, wb_error *err)
{
    return wb_err_set(err, WB_E_IMPL_LIMIT, "module too large (%zu bytes, "
                      "limit %u)", len, WB_MAX_MODULE_SIZE);
}

wb_status wb_decode(const uint8_t *bytes, size_t len, bool bodies,
                    wb_module **out, wb_error *err)
{
    wb_module *m;
    wb_error local;
    if (!err)
        err = &local;       /* the decoder's messages go somewhere */
    if (!out || (!bytes && len))
        return wb_err_set(err, WB_E_ARG, "wb_decode: NULL argument");
    *out = NULL;
    if (len > WB_MAX_MODULE_SIZE)
        return too_large(len, err);
    m = calloc(1, sizeof *m);
    if (!m || !(m->bytes = malloc(len ? len : 1))) {
        free(m);
        return wb_err_set(err, WB_E_NOMEM, "out of memory while decoding");
    }
    if (len)
        memcpy(m->bytes, bytes, len);
    m->len = len;
    return decode_module(m, bodies, out, err);
}

static wb_status adopt(uint8_t *bytes, size_t len, size_t map_len,
                       bool bodies, const _Atomic bool *cancel,
                       wb_module **out, wb_error *err)
{
    wb_error local;
    if (!err)
        err = &local;
    *out = NULL;
    wb_module *m = len <= WB_MAX_MODULE_SIZE ? calloc(1, sizeof *m) : NULL;
    if (!m) {
        munmap(bytes, map_len);
        return len > WB_MAX_MODULE_SIZE ? too_large(len, err)
               : wb_err_set(err, WB_E_NOMEM, "out of memory while decoding");
    }
    m->bytes = bytes;
    m->len = len;
    m->bytes_map = map_len;
    m->cancel = cancel;
    wb_status st = decode_module(m, bodies, out, err);
    if (st == WB_OK)
        m->cancel = NULL;
    return st;
}

wb_status wb_decode_adopt(uint8_t *bytes, size_t len, size_t map_len,
                          bool bodies, wb_module **out, wb_error *err)
{
    return adopt(bytes, len, map_len, bodies, NULL, out, err);
}

wb_status wb_decode_cancel(uint8_t *bytes, size_t len, size_t map_len,
                           const _Atomic bool *cancel, wb_module **out,
                           wb_error *err)
{
    return adopt(bytes, len, map_len, true, cancel, out, err);
}

/* ---- destruction and accessors ------------------------------------------- */

void wb_module_destroy(wb_module *m)
{
    if (!m)
        return;
    for (uint32_t i = 0; i < m->ntypes; i++)
        free(m->types[i].types);
    free(m->types);
    for (uint32_t i = 0; i < m->nimports; i++) {
        free(m->imports[i].module);
        free(m->imports[i].name);
    }
    free(m->imports);
    free(m->func_types);
    if (m->funcdefs) {
        for (uint32_t i = 0; i < m->nfuncs - m->nfunc_imports; i++) {
            wb_code *c = atomic_load(&m->funcdefs[i].code);
            if (c)
                wb_code_free(c);
        }
    }
    free(m->funcdefs);
    wb_native_release(m);
    free(m->tables);
    free(m->mems);
    free(m->globals);
    free(m->global_inits);
    for (uint32_t i = 0; i < m->nexports; i++)
        free(m->exports[i].name);
    free(m->exports);
    for (uint32_t i = 0; i < m->nelems; i++)
        free(m->elems[i].items);
    free(m->elems);
    free(m->datas);
    free(m->declared_funcs);
    free_func_names(m);
    if (m->bytes_map)
        munmap(m->bytes, m->bytes_map);
    else
        free(m->bytes);
    free(m);
}

const wb_functype *wb_module_functype(const wb_module *m, uint32_t funcidx)
{
    return &m->types[m->func_types[funcidx]];
}

size_t wb_module_import_count(const wb_module *m)
{
    return m ? m->nimports : 0;
}

void wb_module_import(const wb_module *m, size_t i, const char **module,
                      const char **name, wb_extern_kind *kind)
{
    const wb_import *im = m && i < m->nimports ? &m->imports[i] : NULL;
    if (module)
        *module = im ? im->module : NULL;
    if (name)
        *name = im ? im->name : NULL;
    if (kind)
        *kind = im ? (wb_extern_kind)im->kind : WB_EXTERN_FUNC;
}

size_t wb_module_export_count(const wb_module *m)
{
    return m ? m->nexports : 0;
}

void wb_module_export(const wb_module *m, size_t i, const char **name,
                      wb_extern_kind *kind)
{
    const wb_export *e = m && i < m->nexports ? &m->exports[i] : NULL;
    if (name)
        *name = e ? e->name : NULL;
    if (kind)
        *kind = e ? (wb_extern_kind)e->kind : WB_EXTERN_FUNC;
}

/* The names are decoded on first need: the name section of CPython
 * holds 9,400 of them, which a run from its snapshot never prints. */
static pthread_mutex_t names_lock = PTHREAD_MUTEX_INITIALIZER;

char **wb_module_names(wb_module *m)
{
    if (atomic_load(&m->names_done))
        return m->func_names;
    pthread_mutex_lock(&names_lock);
    if (!atomic_load(&m->names_done) && m->names_end) {
        wb_error quiet;
        dec d = { .m = m, .p = m->bytes, .len = m->len, .err = &quiet,
                  .names_pos = m->names_pos, .names_end = m->names_end };
        parse_names(&d);
    }
    atomic_store(&m->names_done, true);
    pthread_mutex_unlock(&names_lock);
    return m->func_names;
}

const char *wb_module_func_name(const wb_module *m, uint32_t funcidx)
{
    char **names = m ? wb_module_names((wb_module *)m) : NULL;
    return names && funcidx < m->nfuncs ? names[funcidx] : NULL;
}

/* A LEB128 u32 at *p (before end); false when malformed or cut. */
static bool uleb32(const uint8_t **p, const uint8_t *end, uint32_t *v)
{
    uint32_t r = 0;
    for (int shift = 0; shift < 35 && *p < end; shift += 7) {
        uint8_t b = *(*p)++;
        r |= (uint32_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = r;
            return true;
        }
    }
    return false;
}

/* In the function names subsection [p, end): the index of the first
 * entry called names[i] into out[i], for the n names (out preset to
 * UINT32_MAX). One pass: a lookup is a pass over CPython's 9,400. */
static void scan_names(const wb_module *m, const uint8_t *p,
                       const uint8_t *end, const char *const *names,
                       size_t n, uint32_t *out)
{
    uint32_t count, idx, len;
    uint64_t lens = 0;                 /* the lengths wanted, below 64 */
    for (size_t i = 0; i < n; i++)
        lens |= strlen(names[i]) < 64 ? 1ull << strlen(names[i]) : 1ull;
    if (!uleb32(&p, end, &count))
        return;
    for (uint32_t e = 0; e < count; e++) {
        if (!uleb32(&p, end, &idx) || !uleb32(&p, end, &len) ||
            len > (size_t)(end - p))
            return;
        /* most names have none of the lengths wanted */
        bool maybe = len < 64 ? lens >> len & 1 : lens & 1;
        for (size_t i = 0; maybe && i < n && idx < m->nfuncs; i++)
            if (out[i] == UINT32_MAX && len && p[0] == (uint8_t)names[i][0] &&
                !strncmp((const char *)p, names[i], len) && !names[i][len])
                out[i] = idx;
        p += len;
    }
}

void wb_module_find_names(const wb_module *m, const char *const *names,
                          size_t n, uint32_t *out)
{
    for (size_t i = 0; i < n; i++)
        out[i] = UINT32_MAX;
    if (atomic_load(&((wb_module *)m)->names_done)) {
        /* decoded: the first byte is compared before calling strcmp */
        for (uint32_t f = 0; m->func_names && f < m->nfuncs; f++)
            for (size_t i = 0; i < n; i++)
                if (out[i] == UINT32_MAX && m->func_names[f] &&
                    m->func_names[f][0] == names[i][0] &&
                    !strcmp(m->func_names[f], names[i]))
                    out[i] = f;
        return;
    }
    const uint8_t *p = m->bytes + m->names_pos, *end = m->bytes + m->names_end;
    while (p < end) {
        uint8_t id = *p++;
        uint32_t size;
        if (!uleb32(&p, end, &size) || size > (size_t)(end - p))
            return;
        if (id == 1) {
            scan_names(m, p, p + size, names, n, out);
            return;
        }
        p += size;
    }
}

uint32_t wb_module_find_name(const wb_module *m, const char *name)
{
    uint32_t i;
    wb_module_find_names(m, &name, 1, &i);
    return i;
}
