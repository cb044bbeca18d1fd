/*
 * wasmbox/common.h: what every layer of libwasmbox shares: the export
 * macro, the version, and how a call reports failure (src/common).
 *
 * Errors
 *   Every fallible call returns a wb_status and fills a caller-provided
 *   wb_error (which may be NULL) with a one-line message. The library never
 *   exits the process and never prints.
 *
 * Include <wasmbox.h> rather than this header: it includes every layer.
 */
#ifndef WASMBOX_COMMON_H
#define WASMBOX_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Marks the declarations libwasmbox.so exports. The library is built with
 * -fvisibility=hidden, so a function without it stays internal;
 * scripts/check-api.sh compares this list with the symbols of the .so. */
#if defined(__GNUC__) || defined(__clang__)
#define WB_API __attribute__((visibility("default")))
#else
#define WB_API
#endif

#define WB_VERSION "0.1.0"

typedef enum wb_status {
    WB_OK = 0,
    WB_E_MALFORMED,   /* the binary cannot be decoded */
    WB_E_INVALID,     /* decoded, but fails validation */
    WB_E_LINK,        /* unknown or incompatible import */
    WB_E_TRAP,        /* a trap at run time; wb_error.trap says which */
    WB_E_EXIT,        /* the guest asked to exit; wb_error.exit_code */
    WB_E_LIMIT,       /* a configured limit refuses the request */
    WB_E_NOMEM,       /* the host is out of memory */
    WB_E_ARG,         /* bad argument from the embedder */
    WB_E_IO,          /* a host file could not be read */
    WB_E_IMPL_LIMIT,  /* the module exceeds a limit of this engine (too
                         many locals, br_table too large...): rejected */
    WB_E_NOT_FOUND,   /* what was named does not exist: a module or policy
                         file, a session, a file in a session's workspace
                         (`wasmbox` exits 3, `wasmbox run` 127) */
    WB_E_BUSY,        /* in use elsewhere: deleting a session that another
                         process has open (`wasmbox` exits 1, HTTP 409) */
    WB_E_CRASH,       /* the worker process running the guest died or
                         stopped answering (wb_error.incident names the
                         log line; HTTP 500, outcome "internal") */
    WB_E_SNAPSHOT     /* a snapshot refused: damaged, truncated, or made
                         from another module or wasmbox version
                         (`wasmbox` exits 1) */
} wb_status;

typedef enum wb_trap_kind {
    WB_TRAP_NONE = 0,
    WB_TRAP_UNREACHABLE,          /* "unreachable" */
    WB_TRAP_MEMORY_OOB,           /* "out of bounds memory access" */
    WB_TRAP_TABLE_OOB,            /* "out of bounds table access" */
    WB_TRAP_DIV_ZERO,             /* "integer divide by zero" */
    WB_TRAP_INT_OVERFLOW,         /* "integer overflow" */
    WB_TRAP_BAD_CONVERSION,       /* "invalid conversion to integer" */
    WB_TRAP_UNDEFINED_ELEMENT,    /* "undefined element" */
    WB_TRAP_UNINITIALIZED_ELEMENT,/* "uninitialized element" */
    WB_TRAP_INDIRECT_TYPE,        /* "indirect call type mismatch" */
    WB_TRAP_STACK_EXHAUSTED,      /* "call stack exhausted" */
    WB_TRAP_FUEL,                 /* "fuel exhausted" */
    WB_TRAP_INTERRUPT,            /* "interrupted" (wb_store_interrupt) */
    WB_TRAP_MEMORY_LIMIT,         /* a grow or allocation past the limit */
    WB_TRAP_HOST                  /* a host function reported a trap */
} wb_trap_kind;

typedef struct wb_error {
    wb_status status;
    wb_trap_kind trap;
    int exit_code;                /* valid when status == WB_E_EXIT */
    char message[512];            /* one line, no trailing newline */
    char backtrace[1024];         /* for traps: "#0 name\n#1 name\n..." */
    char incident[16];            /* WB_E_CRASH: the id in the log */
} wb_error;

/* Short English name of a status, e.g. "malformed module" ("unknown
 * status" for a value that is none); a static string. */
WB_API const char *wb_status_name(wb_status s);

#ifdef __cplusplus
}
#endif
#endif
