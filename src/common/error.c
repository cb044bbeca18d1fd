/* error.c: filling a wb_error (error.h); statuses and traps in words. */
#include "common/error.h"
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

/* Messages are one line: a host's or a guest's newlines would break
 * reports and the CLI's "wasmbox: <what>: <message>". */
static void one_line(char *s)
{
    for (; *s; s++)
        if (*s == '\n' || *s == '\r')
            *s = ' ';
}

wb_status wb_err_vset(wb_error *err, wb_status st, const char *fmt,
                      va_list ap)
{
    if (err) {
        err->status = st;
        err->trap = WB_TRAP_NONE;
        err->exit_code = 0;
        err->backtrace[0] = 0;
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        one_line(err->message);
    }
    return st;
}

wb_status wb_err_set(wb_error *err, wb_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    wb_err_vset(err, st, fmt, ap);
    va_end(ap);
    return st;
}

wb_status wb_err_trap(wb_error *err, wb_trap_kind k)
{
    wb_err_set(err, WB_E_TRAP, "%s", wb_trap_message(k));
    if (err)
        err->trap = k;
    return WB_E_TRAP;
}

void wb_err_addf(wb_error *err, const char *fmt, ...)
{
    if (!err)
        return;
    size_t n = strlen(err->message);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message + n, sizeof err->message - n, fmt, ap);
    va_end(ap);
    one_line(err->message + n);
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
    case WB_E_NOT_FOUND: return "not found";
    case WB_E_BUSY: return "in use";
    case WB_E_CRASH: return "worker crashed";
    case WB_E_SNAPSHOT: return "snapshot refused";
    }
    return "unknown status";
}
