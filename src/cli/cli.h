/*
 * cli.h: shared pieces of the `wasmbox` command (src/cli/).
 *
 * Exit statuses 0-9 are fixed and documented in README.md and
 * docs/exit-codes.md; subcommands map library statuses with wb_cli_exit().
 * Every error is one line on stderr: "wasmbox: <file>: <message>".
 */
#ifndef WB_CLI_H
#define WB_CLI_H

#include "wasmbox.h"

enum {
    WB_EXIT_OK = 0,
    WB_EXIT_FAIL = 1,        /* test failures, subcommand-level failure */
    WB_EXIT_USAGE = 2,       /* bad command line */
    WB_EXIT_IO = 3,          /* cannot read a file (or it does not exist) */
    WB_EXIT_MALFORMED = 4,
    WB_EXIT_INVALID = 5,
    WB_EXIT_LINK = 6,
    WB_EXIT_TRAP = 7,
    WB_EXIT_LIMIT = 8        /* a resource limit (memory, fuel, size) */
};

/* Library status (and trap kind) -> exit status. Fuel, interrupts and the
 * memory limit are resource limits, not guest bugs, so they map to 8. */
static inline int wb_cli_exit(const wb_error *err)
{
    switch (err->status) {
    case WB_OK: return WB_EXIT_OK;
    case WB_E_MALFORMED: return WB_EXIT_MALFORMED;
    case WB_E_INVALID: return WB_EXIT_INVALID;
    case WB_E_LINK: return WB_EXIT_LINK;
    case WB_E_TRAP:
        if (err->trap == WB_TRAP_FUEL || err->trap == WB_TRAP_INTERRUPT ||
            err->trap == WB_TRAP_MEMORY_LIMIT)
            return WB_EXIT_LIMIT;
        return WB_EXIT_TRAP;
    case WB_E_EXIT: return err->exit_code;
    case WB_E_LIMIT:
    case WB_E_IMPL_LIMIT:
    case WB_E_NOMEM: return WB_EXIT_LIMIT;
    case WB_E_IO:
    case WB_E_NOT_FOUND: return WB_EXIT_IO;
    case WB_E_ARG: return WB_EXIT_FAIL;
    }
    return WB_EXIT_FAIL;
}

/* Print "wasmbox: <what>: <message>" (one line) to stderr. `what` may be
 * NULL for errors that concern no file. */
void wb_cli_error(const char *what, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Read a whole file (at most 1 GiB). On failure returns NULL and writes a
 * reason ("cannot read: ...") to why. The caller frees the buffer. */
uint8_t *wb_cli_read_file(const char *path, size_t *len, char *why,
                          size_t whylen);

/* Subcommands. Each returns the process exit status. */
int wb_cli_spectest(int argc, char **argv);
/* src/cli/run.c; absent from builds without the sandbox (weak in main.c). */
int wb_cli_run(int argc, char **argv);
/* src/cli/guests.c: `wasmbox python|js|lua|sqlite3 ...`; `name` is the
 * command, argv[0] too. Runs the guest image through wb_cli_run. */
int wb_cli_guest(const char *name, int argc, char **argv);

/* src/server/wb_mcp_cli.c: `wasmbox mcp` (MCP server) and `wasmbox
 * session` (list, delete, expire sessions). */
int wb_cli_mcp(int argc, char **argv);
int wb_cli_session(int argc, char **argv);

/* src/server/http_cli.c: `wasmbox serve` (the HTTP API). */
int wb_cli_serve(int argc, char **argv);

#endif
