/*
 * error.h: the one way every layer reports a failure.
 *
 * A function that can fail returns a wb_status. The function that finds
 * the failure fills the caller's wb_error (NULL is allowed) with
 * wb_err_set() and returns the status it set; every caller above passes
 * that status on unchanged (WB_TRY) and may add what it knows with
 * wb_err_addf() (the function, the file, the offset). So an error is one
 * status plus one line, written once where it happened.
 *
 * Depends on nothing but the public wasmbox/common.h: engine, WASI, sandbox,
 * policy, sessions, servers and the CLI all include it.
 */
#ifndef WB_COMMON_ERROR_H
#define WB_COMMON_ERROR_H

#include "wasmbox/common.h"
#include <stdarg.h>

/* Sets status and message (one line: newlines become spaces), clears the
 * trap kind, exit code and backtrace; returns st. err may be NULL. */
wb_status wb_err_set(wb_error *err, wb_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
wb_status wb_err_vset(wb_error *err, wb_status st, const char *fmt,
                      va_list ap) __attribute__((format(printf, 3, 0)));
/* A trap of kind k, with the spec's text for it; returns WB_E_TRAP. */
wb_status wb_err_trap(wb_error *err, wb_trap_kind k);
/* Appends to the message of an error already set (cut at its size). */
void wb_err_addf(wb_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Return the status of x from the calling function unless it is WB_OK. */
#define WB_TRY(x) do { wb_status wb_try_ = (x); \
    if (wb_try_ != WB_OK) return wb_try_; } while (0)

/* The spec's text for a trap kind ("integer divide by zero"). */
const char *wb_trap_message(wb_trap_kind k);

#endif
