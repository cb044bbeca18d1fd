/* error.c: one place that turns statuses and trap kinds into words. */
#include "engine.h"
#include <stdio.h>
#include <string.h>

static const char *const trap_text[] = {
    [WB_TRAP_NONE] = "no trap",
    [WB_TRAP_UNREACHABLE] = "unreachable",
    [WB_TRAP_MEMORY_OOB] = "out of bounds memory access",
    [WB_TRAP_TABLE_OOB] = "out of bounds table access",
    [WB_TRAP_DIV_ZERO] = "integer divide by zero",
    [WB_TRAP_INT_OVERFLOW] = "integer overflow",
    [WB_TRAP_BAD_CONVERSION] = "invalid conversion to integer",
    [WB_TRAP_UNDEFINED_ELEMENT] = "undefined element",
    [WB_TRAP_UNINITIALIZED_ELEMENT] = "uninitialized element",
    [WB_TRAP_INDIRECT_TYPE] = "indirect call type mismatch",
    [WB_TRAP_STACK_EXHAUSTED] = "call stack exhausted",
    [WB_TRAP_FUEL] = "fuel exhausted",
    [WB_TRAP_INTERRUPT] = "interrupted",
    [WB_TRAP_MEMORY_LIMIT] = "memory limit exceeded",
    [WB_TRAP_HOST] = "host trap",
};

const char *wb_trap_message(wb_trap_kind k)
{
    if ((size_t)k >= sizeof trap_text / sizeof *trap_text || !trap_text[k])
        return "unknown trap";
    return trap_text[k];
}

wb_status wb_err_set(wb_error *err, wb_status st, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->status = st;
        err->trap = WB_TRAP_NONE;
        err->backtrace[0] = 0;
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return st;
}

wb_status wb_err_trap(wb_error *err, wb_trap_kind k)
{
    if (err) {
        err->status = WB_E_TRAP;
        err->trap = k;
        err->backtrace[0] = 0;
        snprintf(err->message, sizeof err->message, "%s", wb_trap_message(k));
    }
    return WB_E_TRAP;
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

const char *wb_status_name(wb_status s)
{
    switch (s) {
    case WB_OK: return "ok";
    case WB_E_MALFORMED: return "malformed module";
    case WB_E_INVALID: return "invalid module";
    case WB_E_LINK: return "link error";
    case WB_E_TRAP: return "trap";
    case WB_E_EXIT: return "exit";
    case WB_E_LIMIT: return "limit exceeded";
    case WB_E_NOMEM: return "out of memory";
    case WB_E_ARG: return "bad argument";
    case WB_E_IO: return "i/o error";
    case WB_E_IMPL_LIMIT: return "implementation limit";
    }
    return "unknown status";
}
