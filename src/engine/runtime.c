/* runtime.c: tables, globals, host functions, typed calls and the host
 * side of wb_caller. */
#include "runtime.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Values ------------------------------------------------------------ */

static bool valid_type(int t)
{
    return t >= 0 && t <= 0xff && (wb_is_num((uint8_t)t) || wb_is_ref((uint8_t)t));
}

/* Slots hold values zero-extended; floats as raw bits, refs as pointers. */
void wb_rt_val_to_bits(const wb_val *v, uint64_t bits[2])
{
    bits[0] = bits[1] = 0;
    switch (v->type) {
    case WB_I32: bits[0] = (uint32_t)v->of.i32; break;
    case WB_I64: bits[0] = (uint64_t)v->of.i64; break;
    case WB_F32: bits[0] = v->of.f32_bits; break;
    case WB_F64: bits[0] = v->of.f64_bits; break;
    case WB_V128: memcpy(bits, v->of.v128, 16); break;
    case WB_FUNCREF: bits[0] = (uintptr_t)v->of.funcref; break;
    case WB_EXTERNREF: bits[0] = (uintptr_t)v->of.externref; break;
    }
}

wb_val wb_rt_bits_to_val(uint8_t type, const uint64_t bits[2])
{
    wb_val v;
    memset(&v, 0, sizeof v);
    v.type = (wb_valtype)type;
    switch (type) {
    case WB_I32: v.of.i32 = (int32_t)(uint32_t)bits[0]; break;
    case WB_I64: v.of.i64 = (int64_t)bits[0]; break;
    case WB_F32: v.of.f32_bits = (uint32_t)bits[0]; break;
    case WB_F64: v.of.f64_bits = bits[0]; break;
    case WB_V128: memcpy(v.of.v128, bits, 16); break;
    case WB_FUNCREF: v.of.funcref = (wb_func *)(uintptr_t)bits[0]; break;
    case WB_EXTERNREF: v.of.externref = (void *)(uintptr_t)bits[0]; break;
    }
    return v;
}

/* ---- Tables ------------------------------------------------------------ */

wb_status wb_rt_table_init(wb_store *s, wb_table *t, const wb_tabletype *tt,
                           wb_error *err)
{
    uint32_t min = tt->lim.min;
    t->store = s;
    t->type = *tt;
    t->size = 0;
    if (min > WB_MAX_TABLE_SIZE)
        return wb_err_set(err, WB_E_IMPL_LIMIT, "table limit exceeded: %u "
                          "elements requested, at most %u allowed", min,
                          WB_MAX_TABLE_SIZE);
    t->max = tt->lim.has_max && tt->lim.max < WB_MAX_TABLE_SIZE
             ? tt->lim.max : WB_MAX_TABLE_SIZE;
    int64_t bytes = (int64_t)min * 8;
    if (wb_rt_account(s, bytes) != WB_OK)
        return wb_err_set(err, WB_E_LIMIT, "memory limit exceeded: table "
                          "of %u elements", min);
    t->elems = calloc(min ? min : 1, sizeof *t->elems);
    if (!t->elems || !wb_rt_own_table(s, t)) {
        free(t->elems);
        t->elems = NULL;
        wb_rt_account(s, -bytes);
        return wb_err_set(err, WB_E_NOMEM, "out of memory for a table");
    }
    t->size = min;
    return WB_OK;
}

int64_t wb_table_grow(wb_table *t, uint32_t delta, void *init)
{
    uint32_t old = t->size;
    if (delta == 0)
        return old;
    if ((uint64_t)old + delta > t->max)
        return -1;
    int64_t bytes = (int64_t)delta * 8;
    if (wb_rt_account(t->store, bytes) != WB_OK)
        return -1;
    void **e = realloc(t->elems, ((size_t)old + delta) * sizeof *e);
    if (!e) {
        wb_rt_account(t->store, -bytes);
        return -1;
    }
    for (uint32_t i = 0; i < delta; i++)
        e[old + i] = init;
    t->elems = e;
    t->size = old + delta;
    return old;
}

wb_status wb_table_new(wb_store *s, wb_valtype elem, uint32_t min,
                       uint32_t max, bool has_max, wb_table **out,
                       wb_error *err)
{
    if (!s || !out)
        return wb_err_set(err, WB_E_ARG, "wb_table_new: NULL argument");
    if (elem != WB_FUNCREF && elem != WB_EXTERNREF)
        return wb_err_set(err, WB_E_ARG, "table element type must be a "
                          "reference type");
    if (has_max && min > max)
        return wb_err_set(err, WB_E_ARG,
                          "size minimum must not be greater than maximum");
    wb_table *t = wb_rt_alloc(s, sizeof *t);
    if (!t)
        return wb_err_set(err, WB_E_NOMEM, "out of memory");
    wb_tabletype tt = { (uint8_t)elem, { min, max, has_max } };
    wb_status st = wb_rt_table_init(s, t, &tt, err);
    if (st == WB_OK)
        *out = t;
    return st;
}

uint32_t wb_table_size(const wb_table *t)
{
    return t ? t->size : 0;
}

/* ---- Globals ----------------------------------------------------------- */

wb_status wb_global_new(wb_store *s, wb_val init, bool mutable_,
                        wb_global **out, wb_error *err)
{
    if (!s || !out)
        return wb_err_set(err, WB_E_ARG, "wb_global_new: NULL argument");
    if (!valid_type((int)init.type))
        return wb_err_set(err, WB_E_ARG, "bad value type 0x%x",
                          (unsigned)init.type);
    wb_global *g = wb_rt_alloc(s, sizeof *g);
    if (!g)
        return wb_err_set(err, WB_E_NOMEM, "out of memory");
    g->type = (wb_globaltype){ (uint8_t)init.type, mutable_ };
    wb_rt_val_to_bits(&init, g->val);
    *out = g;
    return WB_OK;
}

wb_val wb_global_get(const wb_global *g)
{
    return wb_rt_bits_to_val(g->type.type, g->val);
}

/* ---- Functions --------------------------------------------------------- */

static uint32_t count_slots(const uint8_t *types, size_t n)
{
    uint32_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += wb_slots_of(types[i]);
    return k;
}

static bool valid_types(const wb_valtype *t, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!valid_type((int)t[i]))
            return false;
    return true;
}

wb_func *wb_func_new_host(wb_store *s, const wb_valtype *params,
                          size_t nparams, const wb_valtype *results,
                          size_t nresults, wb_host_fn fn, void *env)
{
    if (!s || !fn || nparams > WB_MAX_PARAMS || nresults > WB_MAX_RESULTS ||
        (nparams && !params) || (nresults && !results) ||
        !valid_types(params, nparams) || !valid_types(results, nresults))
        return NULL;
    wb_func *f = wb_rt_alloc(s, sizeof *f);
    uint8_t *types = wb_rt_alloc(s, nparams + nresults);
    if (!f || !types)
        return NULL;
    for (size_t i = 0; i < nparams; i++)
        types[i] = (uint8_t)params[i];
    for (size_t i = 0; i < nresults; i++)
        types[nparams + i] = (uint8_t)results[i];
    f->own_type.nparams = (uint32_t)nparams;
    f->own_type.nresults = (uint32_t)nresults;
    f->own_type.types = types;
    f->own_type.param_slots = count_slots(types, nparams);
    f->own_type.result_slots = count_slots(types + nparams, nresults);
    f->type = &f->own_type;
    f->host = fn;
    f->env = env;
    return f;
}

size_t wb_func_param_count(const wb_func *f)
{
    return f->type->nparams;
}

size_t wb_func_result_count(const wb_func *f)
{
    return f->type->nresults;
}

wb_valtype wb_func_param_type(const wb_func *f, size_t i)
{
    const wb_functype *t = f->type;
    return i < t->nparams ? (wb_valtype)t->types[i] : (wb_valtype)0;
}

wb_valtype wb_func_result_type(const wb_func *f, size_t i)
{
    const wb_functype *t = f->type;
    return i < t->nresults ? (wb_valtype)t->types[t->nparams + i]
                           : (wb_valtype)0;
}

static wb_status check_call(wb_store *s, const wb_func *f,
                            const wb_val *args, size_t nargs,
                            const wb_val *results, size_t nresults,
                            wb_error *err)
{
    const wb_functype *t = f->type;
    if (f->inst && f->inst->store != s)
        return wb_err_set(err, WB_E_ARG, "function belongs to another store");
    if (nargs != t->nparams || (nargs && !args))
        return wb_err_set(err, WB_E_ARG, "expected %u arguments, got %zu",
                          t->nparams, nargs);
    if (nresults < t->nresults || (t->nresults && !results))
        return wb_err_set(err, WB_E_ARG, "expected room for %u results, "
                          "got %zu", t->nresults, nresults);
    for (size_t i = 0; i < nargs; i++)
        if ((int)args[i].type != t->types[i])
            return wb_err_set(err, WB_E_ARG, "argument %zu: expected %s, "
                              "got %s", i, wb_valtype_name(t->types[i]),
                              wb_valtype_name((uint8_t)args[i].type));
    return WB_OK;
}

static void pack_args(const wb_val *args, size_t n, uint64_t *slots)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t b[2];
        wb_rt_val_to_bits(&args[i], b);
        *slots++ = b[0];
        if (args[i].type == WB_V128)
            *slots++ = b[1];
    }
}

static void unpack_results(const wb_functype *t, const uint64_t *slots,
                           wb_val *results)
{
    const uint8_t *types = t->types + t->nparams;
    for (uint32_t i = 0; i < t->nresults; i++) {
        results[i] = wb_rt_bits_to_val(types[i], slots);
        slots += wb_slots_of(types[i]);
    }
}

wb_status wb_func_call(wb_store *s, wb_func *f, const wb_val *args,
                       size_t nargs, wb_val *results, size_t nresults,
                       wb_error *err)
{
    if (!s || !f)
        return wb_err_set(err, WB_E_ARG, "wb_func_call: NULL argument");
    wb_status st = check_call(s, f, args, nargs, results, nresults, err);
    if (st != WB_OK)
        return st;
    const wb_functype *t = f->type;
    uint32_t np = count_slots(t->types, t->nparams);
    uint32_t nr = count_slots(t->types + t->nparams, t->nresults);
    size_t n = np > nr ? np : nr;
    uint64_t local[16] = { 0 };
    uint64_t *slots = n <= 16 ? local : calloc(n, sizeof *slots);
    if (!slots)
        return wb_err_set(err, WB_E_NOMEM, "out of memory for arguments");
    pack_args(args, nargs, slots);
    st = wb_interp_call(s, f, slots, err);
    if (st == WB_OK)
        unpack_results(t, slots, results);
    if (slots != local)
        free(slots);
    return st;
}

/* ---- Host side of a call ----------------------------------------------- */

wb_store *wb_caller_store(wb_caller *c)
{
    return c ? c->store : NULL;
}

wb_memory *wb_caller_memory(wb_caller *c)
{
    if (!c || !c->inst || !c->inst->module->nmems)
        return NULL;
    return c->inst->mems[0];
}

wb_status wb_caller_trap(wb_caller *c, const char *fmt, ...)
{
    wb_error *e = &c->store->pending;
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        wb_err_vset(e, WB_E_TRAP, fmt, ap);
        va_end(ap);
    } else {
        wb_err_set(e, WB_E_TRAP, "%s", wb_trap_message(WB_TRAP_HOST));
    }
    e->trap = WB_TRAP_HOST;
    return WB_E_TRAP;
}

wb_status wb_caller_exit(wb_caller *c, int code)
{
    wb_error *e = &c->store->pending;
    wb_err_set(e, WB_E_EXIT, "exit %d", code);
    e->exit_code = code;
    return WB_E_EXIT;
}

const char *wb_valtype_name(wb_valtype t)
{
    switch (t) {
    case WB_I32: return "i32";
    case WB_I64: return "i64";
    case WB_F32: return "f32";
    case WB_F64: return "f64";
    case WB_V128: return "v128";
    case WB_FUNCREF: return "funcref";
    case WB_EXTERNREF: return "externref";
    }
    return "?";
}
