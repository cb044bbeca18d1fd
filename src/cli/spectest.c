/*
 * spectest.c: `wasmbox spectest`, a runner for wast2json command scripts
 * (the format is described in shared/wasm-spec-2.0/FORMAT.md).
 *
 * Each JSON file runs in a forked child by default, so an engine crash or
 * hang costs one failure for that file instead of the whole run; the child
 * sends its counts back through a pipe. --no-fork runs in-process (for
 * debuggers).
 */
#include "cli.h"
#include "engine/native.h"
#include "common/error.h"
#include "common/path.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct wb_st_opts {
    bool quiet, verbose, skip_simd, fork;
    bool native;                /* --tier native */
    unsigned timeout;           /* seconds per file when forking; 0: none */
} wb_st_opts;

typedef struct wb_st_counts {
    unsigned long passed, failed, skipped;
    unsigned long unsupported;  /* of skipped: the native tier cannot
                                   compile the module yet */
} wb_st_counts;

typedef struct wb_st_named {
    const char *name;           /* borrowed from the JSON tree */
    wb_instance *inst;          /* NULL: failed to instantiate */
} wb_st_named;

/* State of one JSON file: the commands share the store, the linker and
 * the current/named modules. */
typedef struct wb_st_file {
    const wb_st_opts *opts;
    char *dir;                  /* directory of the JSON file */
    char *src;                  /* the .wast, for messages */
    wb_store *store;
    wb_linker *linker;
    bool have_current;
    wb_instance *current;
    wb_st_named *named;
    size_t nnamed;
    wb_st_counts n;
    bool native_gap;            /* a module the native tier cannot compile:
                                   the rest of the file is skipped */
    long line;
    const char *kind;
} wb_st_file;

/* ---- small helpers -------------------------------------------------------- */

typedef struct wb_sbuf {
    char s[2048];
    size_t n;
} wb_sbuf;

/* Append to a bounded buffer; output past the end is dropped. */
__attribute__((format(printf, 2, 3)))
static void wb_sb(wb_sbuf *b, const char *fmt, ...)
{
    if (b->n >= sizeof b->s - 1)
        return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(b->s + b->n, sizeof b->s - b->n, fmt, ap);
    va_end(ap);
    if (k > 0)
        b->n += (size_t)k < sizeof b->s - b->n ? (size_t)k
                                               : sizeof b->s - 1 - b->n;
}

/* Export names may hold anything, NUL included: escape for one line. */
static void wb_sb_name(wb_sbuf *b, const char *s, size_t len)
{
    wb_sb(b, "\"");
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            wb_sb(b, "\\%c", c);
        else if (c < 0x20 || c == 0x7f)
            wb_sb(b, "\\%02x", c);
        else
            wb_sb(b, "%c", c);
    }
    wb_sb(b, "\"");
}

/* Runner-side problems travel as WB_E_ARG (see wb_st_bad): say "error". */
static const char *wb_st_stname(wb_status st)
{
    return st == WB_E_ARG ? "error" : wb_status_name(st);
}

static void wb_sb_status(wb_sbuf *b, wb_status st, const wb_error *err)
{
    if (st == WB_OK)
        wb_sb(b, "success");
    else
        wb_sb(b, "%s: %s", wb_st_stname(st), err->message);
}

static void wb_st_fail(wb_st_file *f, const char *detail, const char *fmt,
                       ...) __attribute__((format(printf, 3, 4)));

static void wb_st_fail(wb_st_file *f, const char *detail, const char *fmt,
                       ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    wb_cli_vline(msg, sizeof msg, fmt, ap);
    va_end(ap);
    printf("%s:%ld: %s %s: %s\n", f->src, f->line, f->kind, detail, msg);
    f->n.failed++;
}

/* -v only: a pass whose reason differs from the reference interpreter's. */
static void wb_st_note(wb_st_file *f, const char *detail, const char *what,
                       const char *expected, wb_status st,
                       const wb_error *err)
{
    if (!f->opts->verbose)
        return;
    wb_sbuf got = {0};
    wb_sb_status(&got, st, err);
    printf("%s:%ld: note: %s %s: %s \"%s\", got %s\n", f->src, f->line,
           f->kind, detail, what, expected ? expected : "", got.s);
}

static const char *wb_jstr(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static bool wb_parse_u64(const char *s, uint64_t *out)
{
    if (!s || *s < '0' || *s > '9')
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    *out = v;
    return !errno && !*end;
}

/* ---- values --------------------------------------------------------------- */

enum { WB_NAN_NONE, WB_NAN_CANONICAL, WB_NAN_ARITHMETIC };

/* An expected value: raw bits plus, per float lane, an optional NaN
 * pattern. Scalars use lane 0. */
typedef struct wb_st_expect {
    wb_val val;
    unsigned lane_bits;         /* v128 lane width; scalar width otherwise */
    bool lane_float;
    bool nonnull;               /* a funcref that is not null */
    uint8_t nan[16];
} wb_st_expect;

static bool wb_st_type(const char *s, wb_valtype *t)
{
    static const struct { const char *name; wb_valtype t; } map[] = {
        {"i32", WB_I32}, {"i64", WB_I64}, {"f32", WB_F32}, {"f64", WB_F64},
        {"v128", WB_V128}, {"funcref", WB_FUNCREF},
        {"externref", WB_EXTERNREF},
    };
    for (size_t i = 0; s && i < sizeof map / sizeof *map; i++)
        if (!strcmp(s, map[i].name)) {
            *t = map[i].t;
            return true;
        }
    return false;
}

/* A float lane/scalar: bits, or (in expected values) a NaN pattern. */
static bool wb_st_num(const char *s, bool expect, bool is_float, uint64_t *bits,
                      uint8_t *nan)
{
    *nan = WB_NAN_NONE;
    if (expect && is_float && s && !strcmp(s, "nan:canonical")) {
        *nan = WB_NAN_CANONICAL;
        return true;
    }
    if (expect && is_float && s && !strcmp(s, "nan:arithmetic")) {
        *nan = WB_NAN_ARITHMETIC;
        return true;
    }
    return wb_parse_u64(s, bits);
}

static bool wb_st_v128(const json_t *jv, bool expect, wb_st_expect *e)
{
    const char *lt = wb_jstr(jv, "lane_type");
    const json_t *lanes = json_object_get(jv, "value");
    if (!lt || (lt[0] != 'i' && lt[0] != 'f') || !json_is_array(lanes))
        return false;
    unsigned bits = (unsigned)atoi(lt + 1);
    if (bits != 8 && bits != 16 && bits != 32 && bits != 64)
        return false;
    if ((lt[0] == 'f' && bits < 32) || json_array_size(lanes) != 128 / bits)
        return false;
    e->lane_bits = bits;
    e->lane_float = lt[0] == 'f';
    for (size_t i = 0; i < 128 / bits; i++) {
        uint64_t v = 0;
        const char *s = json_string_value(json_array_get(lanes, i));
        if (!wb_st_num(s, expect, e->lane_float, &v, &e->nan[i]))
            return false;
        if (bits < 64 && (v >> bits))
            return false;
        for (unsigned b = 0; b < bits / 8; b++)
            e->val.of.v128[i * bits / 8 + b] = (uint8_t)(v >> (8 * b));
    }
    return true;
}

static bool wb_st_ref(const char *s, wb_st_expect *e)
{
    uint64_t n;
    if (!s)
        return false;
    if (!strcmp(s, "null")) {
        e->val.of.externref = NULL;   /* also clears funcref */
        return true;
    }
    if (e->val.type == WB_FUNCREF) {
        e->nonnull = true;            /* not in this tree; any non-null */
        return true;
    }
    /* (ref.extern N) -> a distinct non-null host pointer, N + 1. */
    if (!wb_parse_u64(s, &n) || n == UINT64_MAX)
        return false;
    e->val.of.externref = (void *)(uintptr_t)(n + 1);
    return true;
}

/* Parse {"type": T, "value": V}. `expect` admits NaN patterns. */
static bool wb_st_value(const json_t *jv, bool expect, wb_st_expect *e)
{
    memset(e, 0, sizeof *e);
    if (!wb_st_type(wb_jstr(jv, "type"), &e->val.type))
        return false;
    const char *s = wb_jstr(jv, "value");
    uint64_t v = 0;
    switch (e->val.type) {
    case WB_I32:
    case WB_F32:
        e->lane_bits = 32;
        e->lane_float = e->val.type == WB_F32;
        if (!wb_st_num(s, expect, e->lane_float, &v, &e->nan[0]) || v >> 32)
            return false;
        e->val.of.f32_bits = (uint32_t)v;
        return true;
    case WB_I64:
    case WB_F64:
        e->lane_bits = 64;
        e->lane_float = e->val.type == WB_F64;
        if (!wb_st_num(s, expect, e->lane_float, &v, &e->nan[0]))
            return false;
        e->val.of.f64_bits = v;
        return true;
    case WB_V128:
        return wb_st_v128(jv, expect, e);
    case WB_FUNCREF:
    case WB_EXTERNREF:
        return wb_st_ref(s, e);
    }
    return false;
}

static uint64_t wb_lane(const wb_val *v, unsigned bits, size_t i)
{
    uint64_t x = 0;
    for (unsigned b = 0; b < bits / 8; b++)
        x |= (uint64_t)v->of.v128[i * bits / 8 + b] << (8 * b);
    return x;
}

static bool wb_nan_ok(uint64_t bits, unsigned width, uint8_t pat)
{
    uint64_t quiet = width == 32 ? 0x7fc00000u : 0x7ff8000000000000u;
    uint64_t abs = width == 32 ? 0x7fffffffu : 0x7fffffffffffffffu;
    if (pat == WB_NAN_CANONICAL)
        return (bits & abs) == quiet;
    return (bits & quiet) == quiet;
}

static bool wb_st_match(const wb_st_expect *e, const wb_val *got)
{
    if (got->type != e->val.type)
        return false;
    switch (e->val.type) {
    case WB_I32:
    case WB_F32:
        if (e->nan[0])
            return wb_nan_ok(got->of.f32_bits, 32, e->nan[0]);
        return got->of.f32_bits == e->val.of.f32_bits;
    case WB_I64:
    case WB_F64:
        if (e->nan[0])
            return wb_nan_ok(got->of.f64_bits, 64, e->nan[0]);
        return got->of.f64_bits == e->val.of.f64_bits;
    case WB_V128:
        for (size_t i = 0; i < 128 / e->lane_bits; i++) {
            uint64_t g = wb_lane(got, e->lane_bits, i);
            if (e->nan[i] ? !wb_nan_ok(g, e->lane_bits, e->nan[i])
                          : g != wb_lane(&e->val, e->lane_bits, i))
                return false;
        }
        return true;
    case WB_FUNCREF:
        return e->nonnull ? got->of.funcref != NULL
                          : got->of.funcref == NULL;
    case WB_EXTERNREF:
        return got->of.externref == e->val.of.externref;
    }
    return false;
}

static void wb_sb_bits(wb_sbuf *b, uint64_t bits, unsigned width,
                       bool is_float, uint8_t nan)
{
    static const char *const pat[] = {"", "nan:canonical", "nan:arithmetic"};
    if (nan) {
        wb_sb(b, "%s", pat[nan]);
    } else if (is_float && width == 32) {
        float x;
        uint32_t u = (uint32_t)bits;
        memcpy(&x, &u, 4);
        wb_sb(b, "%.9g(0x%08x)", x, u);
    } else if (is_float) {
        double x;
        memcpy(&x, &bits, 8);
        wb_sb(b, "%.17g(0x%016llx)", x, (unsigned long long)bits);
    } else {
        wb_sb(b, "%llu", (unsigned long long)bits);
    }
}

/* Format a value; `shape` (may be NULL) gives the v128 lane layout, so
 * results print in the expected value's terms, and with `patterns` its
 * NaN patterns (for printing the expected value itself). */
static void wb_sb_val(wb_sbuf *b, const wb_val *v, const wb_st_expect *shape,
                      bool patterns)
{
    static const uint8_t none[16];
    const uint8_t *nan = patterns && shape && shape->val.type == v->type
                         ? shape->nan : none;
    wb_sb(b, "%s:", wb_valtype_name(v->type));
    switch (v->type) {
    case WB_I32:
    case WB_F32:
        wb_sb_bits(b, v->of.f32_bits, 32, v->type == WB_F32, nan[0]);
        break;
    case WB_I64:
    case WB_F64:
        wb_sb_bits(b, v->of.f64_bits, 64, v->type == WB_F64, nan[0]);
        break;
    case WB_V128: {
        bool sh = shape && shape->val.type == WB_V128;
        unsigned bits = sh ? shape->lane_bits : 32;
        bool fl = sh && shape->lane_float;
        wb_sb(b, "%c%ux%u", fl ? 'f' : 'i', bits, 128 / bits);
        for (size_t i = 0; i < 128 / bits; i++) {
            wb_sb(b, " ");
            wb_sb_bits(b, wb_lane(v, bits, i), bits, fl, nan[i]);
        }
        break;
    }
    case WB_FUNCREF:
        wb_sb(b, "%s", v->of.funcref ? "non-null" : "null");
        break;
    case WB_EXTERNREF:
        if (v->of.externref)
            wb_sb(b, "%llu",
                  (unsigned long long)((uintptr_t)v->of.externref - 1));
        else
            wb_sb(b, "null");
        break;
    }
}

/* ---- the spectest host module -------------------------------------------- */

static wb_status wb_st_print(wb_caller *c, void *env, const wb_val *args,
                             wb_val *results)
{
    return WB_OK;   /* printing would only slow the run down */
}

static wb_status wb_st_def(wb_st_file *f, const char *name, wb_extern ext)
{
    return wb_linker_define(f->linker, "spectest", name, ext);
}

static wb_status wb_st_host_funcs(wb_st_file *f)
{
    static const struct {
        const char *name;
        wb_valtype params[2];
        size_t n;
    } fns[] = {
        {"print", {WB_I32}, 0},         {"print_i32", {WB_I32}, 1},
        {"print_i64", {WB_I64}, 1},     {"print_f32", {WB_F32}, 1},
        {"print_f64", {WB_F64}, 1},     {"print_i32_f32", {WB_I32, WB_F32}, 2},
        {"print_f64_f64", {WB_F64, WB_F64}, 2},
    };
    for (size_t i = 0; i < sizeof fns / sizeof *fns; i++) {
        wb_extern e = {.kind = WB_EXTERN_FUNC};
        e.of.func = wb_func_new_host(f->store, fns[i].params, fns[i].n, NULL,
                                     0, wb_st_print, NULL);
        if (!e.of.func)
            return WB_E_NOMEM;
        wb_status st = wb_st_def(f, fns[i].name, e);
        if (st != WB_OK)
            return st;
    }
    return WB_OK;
}

static wb_status wb_st_host_global(wb_st_file *f, const char *name,
                                   wb_val v, wb_error *err)
{
    wb_extern e = {.kind = WB_EXTERN_GLOBAL};
    wb_status st = wb_global_new(f->store, v, false, &e.of.global, err);
    return st != WB_OK ? st : wb_st_def(f, name, e);
}

static wb_status wb_st_host_globals(wb_st_file *f, wb_error *err)
{
    float f32 = 666.6f;
    double f64 = 666.6;
    wb_val v[4] = {{.type = WB_I32}, {.type = WB_I64}, {.type = WB_F32},
                   {.type = WB_F64}};
    v[0].of.i32 = 666;
    v[1].of.i64 = 666;
    memcpy(&v[2].of.f32_bits, &f32, 4);
    memcpy(&v[3].of.f64_bits, &f64, 8);
    static const char *const names[4] = {"global_i32", "global_i64",
                                         "global_f32", "global_f64"};
    for (int i = 0; i < 4; i++) {
        wb_status st = wb_st_host_global(f, names[i], v[i], err);
        if (st != WB_OK)
            return st;
    }
    return WB_OK;
}

static wb_status wb_st_spectest(wb_st_file *f, wb_error *err)
{
    wb_status st = wb_st_host_funcs(f);
    if (st == WB_OK)
        st = wb_st_host_globals(f, err);
    wb_extern t = {.kind = WB_EXTERN_TABLE}, m = {.kind = WB_EXTERN_MEMORY};
    if (st == WB_OK)
        st = wb_table_new(f->store, WB_FUNCREF, 10, 20, true, &t.of.table,
                          err);
    if (st == WB_OK)
        st = wb_st_def(f, "table", t);
    if (st == WB_OK)
        st = wb_memory_new(f->store, 1, 2, true, &m.of.memory, err);
    if (st == WB_OK)
        st = wb_st_def(f, "memory", m);
    return st;
}

/* ---- modules --------------------------------------------------------------- */

/* Read and decode cmd.filename. A read failure is WB_E_IO, which callers
 * never count as the rejection an assertion expects. */
static wb_status wb_st_decode(wb_st_file *f, const json_t *cmd,
                              wb_module **m, wb_error *err)
{
    const char *name = wb_jstr(cmd, "filename");
    char why[256];
    size_t len = 0;
    *m = NULL;
    memset(err, 0, sizeof *err);
    if (!name)
        return wb_err_set(err, WB_E_IO, "no filename");
    char *path = malloc(strlen(f->dir) + strlen(name) + 2);
    if (!path)
        return wb_err_set(err, WB_E_NOMEM, "out of memory");
    sprintf(path, "%s/%s", f->dir, name);
    uint8_t *bytes = wb_cli_read_file(path, &len, why, sizeof why);
    free(path);
    if (!bytes)
        return wb_err_set(err, WB_E_IO, "%s", why);
    wb_status st = wb_module_new(bytes, len, m, err);
    free(bytes);
    if (st == WB_OK && f->opts->native &&
        (st = wb_native_compile_module(*m, 0, err)) != WB_OK) {
        wb_module_release(*m);
        f->native_gap = strstr(err->message, "not supported yet") != NULL;
    }
    if (st != WB_OK)
        *m = NULL;
    return st;
}

static wb_status wb_st_instantiate(wb_st_file *f, wb_module *m,
                                   wb_instance **inst, wb_error *err)
{
    *inst = NULL;
    wb_status st = wb_instantiate(f->store, m, f->linker, inst, err);
    wb_module_release(m);   /* the instance keeps its own reference */
    if (st != WB_OK)
        *inst = NULL;
    return st;
}

static const char *wb_st_fname(const json_t *cmd)
{
    const char *s = wb_jstr(cmd, "filename");
    return s ? s : "(no filename)";
}

static void wb_st_bind(wb_st_file *f, const char *name, wb_instance *inst)
{
    wb_st_named *n = realloc(f->named, (f->nnamed + 1) * sizeof *n);
    if (!n)
        return;
    f->named = n;
    n[f->nnamed++] = (wb_st_named){name, inst};
}

static void wb_cmd_module(wb_st_file *f, const json_t *cmd)
{
    wb_module *m;
    wb_instance *inst = NULL;
    wb_error err;
    wb_status st = wb_st_decode(f, cmd, &m, &err);
    if (st == WB_OK)
        st = wb_st_instantiate(f, m, &inst, &err);
    f->have_current = true;
    f->current = inst;
    const char *name = wb_jstr(cmd, "name");
    if (name)
        wb_st_bind(f, name, inst);
    if (f->native_gap)
        f->n.skipped++, f->n.unsupported++;
    else if (st != WB_OK)
        wb_st_fail(f, wb_st_fname(cmd), "expected success, got %s: %s",
                   wb_status_name(st), err.message);
    else
        f->n.passed++;
}

/* Find a module by optional name; NULL with `why` set if unavailable. */
static wb_instance *wb_st_find(wb_st_file *f, const char *name,
                               const char **why)
{
    if (!name) {
        *why = f->have_current ? "the current module failed to instantiate"
                               : "no current module";
        return f->current;
    }
    for (size_t i = f->nnamed; i-- > 0;)
        if (!strcmp(f->named[i].name, name)) {
            *why = "that module failed to instantiate";
            return f->named[i].inst;
        }
    *why = "unknown module name";
    return NULL;
}

static void wb_cmd_register(wb_st_file *f, const json_t *cmd)
{
    const char *as = wb_jstr(cmd, "as"), *name = wb_jstr(cmd, "name"), *why;
    wb_instance *inst = wb_st_find(f, name, &why);
    char detail[256];
    snprintf(detail, sizeof detail, "%s as %s", name ? name : "current",
             as ? as : "?");
    /* register is not counted, except that a failure must show. */
    if (!as)
        wb_st_fail(f, detail, "no \"as\" field");
    else if (!inst)
        wb_st_fail(f, detail, "%s", why);
    else if (wb_linker_define_instance(f->linker, as, inst) != WB_OK)
        wb_st_fail(f, detail, "wb_linker_define_instance failed");
}

/* ---- actions ---------------------------------------------------------------- */

typedef struct wb_st_run {
    wb_sbuf desc;               /* e.g. invoke "add"(i32:1, i32:2) */
    wb_status st;
    wb_error err;
    wb_val *res;
    size_t nres;
} wb_st_run;

/* Runner-side errors (bad JSON, missing export) use WB_E_ARG so that no
 * assertion mistakes them for the outcome it expects. */
static void wb_st_bad(wb_st_run *r, const char *msg)
{
    r->st = wb_err_set(&r->err, WB_E_ARG, "%s", msg);
}

static bool wb_st_args(wb_st_run *r, const json_t *args, wb_func *fn,
                       wb_val *vals)
{
    size_t n = json_array_size(args);
    wb_sb(&r->desc, "(");
    for (size_t i = 0; i < n; i++) {
        wb_st_expect e;
        if (!wb_st_value(json_array_get(args, i), false, &e)) {
            wb_st_bad(r, "unparsable argument");
            return false;
        }
        vals[i] = e.val;
        wb_sb(&r->desc, "%s", i ? ", " : "");
        wb_sb_val(&r->desc, &vals[i], &e, false);
    }
    wb_sb(&r->desc, ")");
    if (n != wb_func_param_count(fn)) {
        wb_st_bad(r, "argument count differs from the function's type");
        return false;
    }
    for (size_t i = 0; i < n; i++)
        if (vals[i].type != wb_func_param_type(fn, i)) {
            wb_st_bad(r, "argument type differs from the function's type");
            return false;
        }
    return true;
}

static void wb_st_invoke(wb_st_file *f, wb_st_run *r, const json_t *act,
                         wb_func *fn)
{
    const json_t *args = json_object_get(act, "args");
    size_t n = json_array_size(args), nr = wb_func_result_count(fn);
    wb_val *vals = calloc(n + 1, sizeof *vals);
    r->res = calloc(nr + 1, sizeof *r->res);
    if (!vals || !r->res) {
        wb_st_bad(r, "out of memory");
    } else if (wb_st_args(r, args, fn, vals)) {
        for (size_t i = 0; i < nr; i++)
            r->res[i].type = wb_func_result_type(fn, i);
        r->st = wb_func_call(f->store, fn, vals, n, r->res, nr, &r->err);
        if (r->st == WB_OK)
            r->nres = nr;
    }
    free(vals);
}

static void wb_st_get(wb_st_run *r, const wb_extern *ext)
{
    if (ext->kind != WB_EXTERN_GLOBAL) {
        wb_st_bad(r, "export is not a global");
        return;
    }
    r->res = calloc(1, sizeof *r->res);
    if (!r->res) {
        wb_st_bad(r, "out of memory");
        return;
    }
    r->res[0] = wb_global_get(ext->of.global);
    r->nres = 1;
    r->st = WB_OK;
}

/* Perform cmd.action; r->st is WB_OK with results, or the failure. */
static void wb_st_action(wb_st_file *f, const json_t *cmd, wb_st_run *r)
{
    const json_t *act = json_object_get(cmd, "action");
    const json_t *field = json_object_get(act, "field");
    const char *type = wb_jstr(act, "type"), *why;
    memset(r, 0, sizeof *r);
    wb_sb(&r->desc, "%s ", type ? type : "?");
    if (wb_jstr(act, "module"))
        wb_sb(&r->desc, "%s.", wb_jstr(act, "module"));
    if (!json_is_string(field) || !type) {
        wb_st_bad(r, "malformed action");
        return;
    }
    wb_sb_name(&r->desc, json_string_value(field), json_string_length(field));
    wb_instance *inst = wb_st_find(f, wb_jstr(act, "module"), &why);
    wb_extern ext;
    if (!inst)
        wb_st_bad(r, why);
    else if (!wb_instance_export(inst, json_string_value(field),
                                 json_string_length(field), &ext))
        wb_st_bad(r, "no such export");
    else if (!strcmp(type, "get"))
        wb_st_get(r, &ext);
    else if (strcmp(type, "invoke"))
        wb_st_bad(r, "unknown action type");
    else if (ext.kind != WB_EXTERN_FUNC)
        wb_st_bad(r, "export is not a function");
    else
        wb_st_invoke(f, r, act, ext.of.func);
}

static void wb_sb_results(wb_sbuf *b, const wb_st_run *r,
                          const wb_st_expect *shape, size_t nshape)
{
    wb_sb(b, "(");
    for (size_t i = 0; i < r->nres; i++) {
        wb_sb(b, "%s", i ? ", " : "");
        wb_sb_val(b, &r->res[i], i < nshape ? &shape[i] : NULL, false);
    }
    wb_sb(b, ")");
}

static void wb_cmd_action(wb_st_file *f, const json_t *cmd)
{
    wb_st_run r;
    wb_st_action(f, cmd, &r);
    if (r.st != WB_OK)
        wb_st_fail(f, r.desc.s, "expected success, got %s: %s",
                   wb_st_stname(r.st), r.err.message);
    else
        f->n.passed++;
    free(r.res);
}

/* Compare results with cmd.expected; on mismatch explain into `why`. */
static bool wb_st_compare(const json_t *expected, const wb_st_run *r,
                          wb_sbuf *why)
{
    size_t n = json_array_size(expected);
    wb_st_expect *e = calloc(n + 1, sizeof *e);
    bool ok = e != NULL && n == r->nres;
    for (size_t i = 0; e && i < n; i++)
        if (!wb_st_value(json_array_get(expected, i), true, &e[i])) {
            wb_sb(why, "unparsable expected value %zu", i);
            free(e);
            return false;
        }
    for (size_t i = 0; ok && i < n; i++)
        ok = wb_st_match(&e[i], &r->res[i]);
    if (!ok && e) {
        wb_sb(why, "expected (");
        for (size_t i = 0; i < n; i++) {
            wb_sb(why, "%s", i ? ", " : "");
            wb_sb_val(why, &e[i].val, &e[i], true);
        }
        wb_sb(why, "), got ");
        wb_sb_results(why, r, e, n);
    }
    free(e);
    return ok;
}

static void wb_cmd_assert_return(wb_st_file *f, const json_t *cmd)
{
    wb_st_run r;
    wb_sbuf why = {0};
    wb_st_action(f, cmd, &r);
    if (r.st != WB_OK)
        wb_st_fail(f, r.desc.s, "expected a result, got %s: %s",
                   wb_st_stname(r.st), r.err.message);
    else if (!wb_st_compare(json_object_get(cmd, "expected"), &r, &why))
        wb_st_fail(f, r.desc.s, "%s", why.s);
    else
        f->n.passed++;
    free(r.res);
}

/* assert_trap and assert_exhaustion: the action must trap. */
static void wb_cmd_assert_trap(wb_st_file *f, const json_t *cmd)
{
    const char *text = wb_jstr(cmd, "text");
    bool exhaust = !strcmp(f->kind, "assert_exhaustion");
    wb_st_run r;
    wb_sbuf got = {0};
    wb_st_action(f, cmd, &r);
    if (r.st == WB_OK)
        wb_sb_results(&got, &r, NULL, 0);
    else
        wb_sb_status(&got, r.st, &r.err);
    if (r.st != WB_E_TRAP ||
        (exhaust && r.err.trap != WB_TRAP_STACK_EXHAUSTED)) {
        wb_st_fail(f, r.desc.s, "expected trap \"%s\", got %s",
                   text ? text : "", got.s);
    } else {
        f->n.passed++;
        if (text && !strstr(r.err.message, text))
            wb_st_note(f, r.desc.s, "trap message differs from", text, r.st,
                       &r.err);
    }
    free(r.res);
}

static bool wb_st_is_text(const json_t *cmd)
{
    const char *t = wb_jstr(cmd, "module_type");
    return t && !strcmp(t, "text");
}

/* assert_malformed / assert_invalid: decoding must fail. Any rejection
 * passes; -v reports category or message differences. */
static void wb_cmd_assert_reject(wb_st_file *f, const json_t *cmd)
{
    bool malformed = !strcmp(f->kind, "assert_malformed");
    const char *text = wb_jstr(cmd, "text");
    wb_status want = malformed ? WB_E_MALFORMED : WB_E_INVALID;
    if (wb_st_is_text(cmd)) {
        f->n.skipped++;   /* quoted WAT: this is a binary-only runtime */
        return;
    }
    wb_module *m;
    wb_error err;
    wb_status st = wb_st_decode(f, cmd, &m, &err);
    if (st == WB_OK) {
        wb_module_release(m);
        wb_st_fail(f, wb_st_fname(cmd), "expected %s \"%s\", got a valid "
                   "module", wb_status_name(want), text ? text : "");
    } else if (st == WB_E_IO) {
        wb_st_fail(f, wb_st_fname(cmd), "%s", err.message);
    } else {
        f->n.passed++;
        if (st != want)
            wb_st_note(f, wb_st_fname(cmd), "category differs from", text,
                       st, &err);
        else if (text && !strstr(err.message, text))
            wb_st_note(f, wb_st_fname(cmd), "message differs from", text, st,
                       &err);
    }
}

/* assert_unlinkable / assert_uninstantiable: instantiation must fail (with
 * a trap, for uninstantiable). The instance is never registered. */
static void wb_cmd_assert_inst(wb_st_file *f, const json_t *cmd)
{
    bool link = !strcmp(f->kind, "assert_unlinkable");
    const char *text = wb_jstr(cmd, "text");
    wb_module *m;
    wb_instance *inst = NULL;
    wb_error err;
    if (wb_st_is_text(cmd)) {
        f->n.skipped++;
        return;
    }
    wb_status st = wb_st_decode(f, cmd, &m, &err);
    if (f->native_gap) {            /* this module only: state is unchanged */
        f->native_gap = false;
        f->n.skipped++, f->n.unsupported++;
        return;
    }
    if (st == WB_OK)
        st = wb_st_instantiate(f, m, &inst, &err);
    wb_sbuf got = {0};
    wb_sb_status(&got, st, &err);
    bool ok = link ? st != WB_OK && st != WB_E_IO : st == WB_E_TRAP;
    if (!ok) {
        wb_st_fail(f, wb_st_fname(cmd), "expected %s \"%s\", got %s",
                   link ? "link error" : "trap", text ? text : "", got.s);
        return;
    }
    f->n.passed++;
    if (link && st != WB_E_LINK)
        wb_st_note(f, wb_st_fname(cmd), "category differs from", text, st,
                   &err);
    else if (text && !strstr(err.message, text))
        wb_st_note(f, wb_st_fname(cmd), "message differs from", text, st,
                   &err);
}

/* ---- files ----------------------------------------------------------------- */

typedef void (*wb_st_cmd_fn)(wb_st_file *f, const json_t *cmd);

static const struct {
    const char *kind;
    wb_st_cmd_fn fn;
} wb_st_cmds[] = {
    {"module", wb_cmd_module},
    {"register", wb_cmd_register},
    {"action", wb_cmd_action},
    {"assert_return", wb_cmd_assert_return},
    {"assert_trap", wb_cmd_assert_trap},
    {"assert_exhaustion", wb_cmd_assert_trap},
    {"assert_malformed", wb_cmd_assert_reject},
    {"assert_invalid", wb_cmd_assert_reject},
    {"assert_unlinkable", wb_cmd_assert_inst},
    {"assert_uninstantiable", wb_cmd_assert_inst},
};

static void wb_st_command(wb_st_file *f, const json_t *cmd)
{
    const char *kind = wb_jstr(cmd, "type");
    f->line = (long)json_integer_value(json_object_get(cmd, "line"));
    f->kind = kind ? kind : "(no type)";
    if (f->native_gap) {
        if (!kind || strcmp(kind, "register"))
            f->n.skipped++, f->n.unsupported++;
        return;
    }
    for (size_t i = 0; kind && i < sizeof wb_st_cmds / sizeof *wb_st_cmds;
         i++)
        if (!strcmp(kind, wb_st_cmds[i].kind)) {
            wb_st_cmds[i].fn(f, cmd);
            return;
        }
    wb_st_fail(f, "", "unknown command kind");
}

/* Set up the store and the spectest module, then run every command. */
static void wb_st_commands(wb_st_file *f, const char *path,
                           const json_t *cmds)
{
    wb_limits lim;
    wb_error err = {0};
    wb_limits_default(&lim);
    f->linker = wb_linker_new();
    wb_status st = f->linker ? wb_store_new(&lim, &f->store, &err)
                             : WB_E_NOMEM;
    if (st == WB_OK)
        st = wb_st_spectest(f, &err);
    if (st != WB_OK) {
        wb_cli_error(path, "cannot set up the spectest module: %s: %s",
                     wb_status_name(st), err.message);
        f->n.failed++;
        return;
    }
    for (size_t i = 0; i < json_array_size(cmds); i++)
        wb_st_command(f, json_array_get(cmds, i));
}

static wb_st_counts wb_st_file_run(const wb_st_opts *o, const char *path)
{
    wb_st_file f = {.opts = o};
    json_error_t jerr;
    json_t *root = json_load_file(path, JSON_ALLOW_NUL, &jerr);
    const json_t *cmds = json_object_get(root, "commands");
    if (!json_is_array(cmds)) {
        wb_cli_error(path, "cannot load spec test: %s",
                     root ? "no \"commands\" array" : jerr.text);
        json_decref(root);
        f.n.failed = 1;
        return f.n;
    }
    const char *src = wb_jstr(root, "source_filename");
    char dir[PATH_MAX];
    f.dir = wb_path_dirname(path, dir, sizeof dir) ? strdup(dir) : NULL;
    f.src = malloc(strlen(f.dir) + (src ? strlen(src) : 0) + 2);
    if (f.dir && f.src && src)
        sprintf(f.src, "%s/%s", f.dir, src);
    else if (f.src)
        strcpy(f.src, path);
    if (f.dir && f.src)
        wb_st_commands(&f, path, cmds);
    else
        f.n.failed++;
    wb_linker_free(f.linker);   /* before the store: it borrows externs */
    if (f.store)
        wb_store_free(f.store);
    free(f.named);
    free(f.dir);
    free(f.src);
    json_decref(root);
    return f.n;
}

/* Run one file in a child process so that a crash, hang or sanitizer
 * report counts as a failure of that file only. */
static wb_st_counts wb_st_file_fork(const wb_st_opts *o, const char *path)
{
    wb_st_counts n = {0};
    int fd[2];
    fflush(NULL);
    if (pipe(fd) != 0)
        return wb_st_file_run(o, path);
    pid_t pid = fork();
    if (pid < 0) {
        close(fd[0]);
        close(fd[1]);
        return wb_st_file_run(o, path);
    }
    if (pid == 0) {
        close(fd[0]);
        alarm(o->timeout);
        n = wb_st_file_run(o, path);
        ssize_t w = write(fd[1], &n, sizeof n);
        fflush(NULL);
        exit(w == (ssize_t)sizeof n ? 0 : 1);
    }
    close(fd[1]);
    ssize_t got = read(fd[0], &n, sizeof n);
    close(fd[0]);
    int ws = 0;
    while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
        ;
    if (got != (ssize_t)sizeof n)
        memset(&n, 0, sizeof n);
    if (WIFSIGNALED(ws) && WTERMSIG(ws) == SIGPIPE)
        raise(SIGPIPE);   /* our reader went away (e.g. `| head`): stop */
    if (WIFSIGNALED(ws)) {
        wb_cli_error(path, "runner died: %s", WTERMSIG(ws) == SIGALRM
                     ? "timed out" : strsignal(WTERMSIG(ws)));
        n.failed++;
    } else if (WEXITSTATUS(ws) != 0) {
        wb_cli_error(path, "runner exited with status %d (sanitizer "
                     "report?)", WEXITSTATUS(ws));
        n.failed++;
    }
    return n;
}

/* ---- command line ------------------------------------------------------------ */

typedef struct wb_paths {
    char **v;
    size_t n, cap;
} wb_paths;

static bool wb_paths_add(wb_paths *p, const char *s)
{
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 64;
        char **v = realloc(p->v, cap * sizeof *v);
        if (!v)
            return false;
        p->v = v;
        p->cap = cap;
    }
    return (p->v[p->n] = strdup(s)) != NULL && ++p->n;
}

static bool wb_has_suffix(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcmp(s + a - b, suf);
}

/* Collect the .json files under dir (recursively, bounded depth). */
static void wb_collect(wb_paths *p, const char *dir, int depth)
{
    DIR *d = depth < 8 ? opendir(dir) : NULL;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char *sub = malloc(strlen(dir) + strlen(e->d_name) + 2);
        struct stat st;
        if (!sub)
            break;
        sprintf(sub, "%s/%s", dir, e->d_name);
        if (stat(sub, &st) == 0 && S_ISDIR(st.st_mode))
            wb_collect(p, sub, depth + 1);
        else if (wb_has_suffix(e->d_name, ".json"))
            wb_paths_add(p, sub);
        free(sub);
    }
    if (d)
        closedir(d);
}

static int wb_cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int wb_st_usage(const char *why)
{
    wb_cli_error(NULL, "spectest: %s (usage: wasmbox spectest [-q] [-v] "
                 "[--skip-simd] [--no-fork] [--timeout SECS] [--tier interp|native] "
                 "FILE.json|DIR...)",
                 why);
    return WB_EXIT_USAGE;
}

/* Parse options; files and directories go to `p`. */
static int wb_st_parse(int argc, char **argv, wb_st_opts *o, wb_paths *p)
{
    static const struct option longopts[] = {
        { "skip-simd", no_argument, NULL, 'S' },
        { "no-fork", no_argument, NULL, 'F' },
        { "timeout", required_argument, NULL, 't' },
        { "tier", required_argument, NULL, 'T' },
        { NULL, 0, NULL, 0 }
    };
    wb_cli_opts g;
    uint64_t secs;
    int c;
    wb_cli_opts_begin(&g, argc, argv, ":qv", longopts);
    while ((c = wb_cli_opt(&g)) != -1) {
        switch (c) {
        case 'q': o->quiet = true; break;
        case 'v': o->verbose = true; break;
        case 'S': o->skip_simd = true; break;
        case 'F': o->fork = false; break;
        case 't':
            if (!wb_cli_count(optarg, 0, 86400, &secs))
                return wb_st_usage("--timeout: bad number of seconds");
            o->timeout = (unsigned)secs;
            break;
        case 'T':
            if (strcmp(optarg, "interp") && strcmp(optarg, "native"))
                return wb_st_usage("--tier: expected interp or native");
            o->native = !strcmp(optarg, "native");
            break;
        default:
            return wb_st_usage(c == ':' ? "option needs a value"
                                        : "unknown option");
        }
    }
    for (int i = optind; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            size_t before = p->n;
            wb_collect(p, argv[i], 0);
            qsort(p->v + before, p->n - before, sizeof *p->v, wb_cmp_str);
        } else {
            wb_paths_add(p, argv[i]);   /* missing files fail when loaded */
        }
    }
    return p->n ? WB_EXIT_OK : wb_st_usage("no test files");
}

/* The native tier says how many of the skips are its own. */
static void wb_st_print_counts(const char *base, const wb_st_counts *n,
                               bool native)
{
    if (base)
        printf("%s: ", base);
    printf("%lu passed, %lu failed, %lu skipped", n->passed, n->failed,
           n->skipped);
    if (native)
        printf(" (%lu of them: not compiled by the native tier yet)",
               n->unsupported);
    printf("\n");
}

int wb_cli_spectest(int argc, char **argv)
{
    wb_st_opts o = {.fork = true, .timeout = 600};
    wb_paths p = {0};
    wb_st_counts total = {0};
    /* Line buffering keeps failure lines when a forked runner dies. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    int rc = wb_st_parse(argc, argv, &o, &p);
    char why[512];
    /* loaded once here, not in every forked runner */
    if (rc == WB_EXIT_OK && o.native && !wb_native_load(why, sizeof why)) {
        wb_cli_error(NULL, "spectest: native tier unavailable: %s", why);
        rc = WB_EXIT_USAGE;
    }
    for (size_t i = 0; rc == WB_EXIT_OK && i < p.n; i++) {
        char base[PATH_MAX];
        wb_path_basename(p.v[i], base, sizeof base);
        if (o.skip_simd && !strncmp(base, "simd_", 5))
            continue;
        wb_st_counts n = o.fork ? wb_st_file_fork(&o, p.v[i])
                                : wb_st_file_run(&o, p.v[i]);
        if (!o.quiet)
            wb_st_print_counts(base, &n, o.native);
        total.passed += n.passed;
        total.failed += n.failed;
        total.skipped += n.skipped;
        total.unsupported += n.unsupported;
    }
    for (size_t i = 0; i < p.n; i++)
        free(p.v[i]);
    free(p.v);
    if (rc != WB_EXIT_OK)
        return rc;
    wb_st_print_counts(NULL, &total, o.native);
    return total.failed ? WB_EXIT_FAIL : WB_EXIT_OK;
}
