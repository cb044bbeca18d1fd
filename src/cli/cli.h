/*
 * cli.h: shared pieces of the `wasmbox` command (src/cli/, the top
 * layer: it calls the servers and the library, nothing calls it).
 *
 * Exit statuses 0-9 are fixed and documented in README.md and
 * docs/exit-codes.md; subcommands map library statuses with wb_cli_exit().
 * Every error is one line on stderr: "wasmbox: <file>: <message>".
 */
#ifndef WB_CLI_H
#define WB_CLI_H

#include "wasmbox.h"
#include <getopt.h>
#include <stdarg.h>

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
    case WB_E_ARG:
    case WB_E_BUSY:
    case WB_E_CRASH:
    case WB_E_SNAPSHOT: return WB_EXIT_FAIL;
    }
    return WB_EXIT_FAIL;
}

/* vsnprintf into buf, line breaks turned into spaces: one line. */
void wb_cli_vline(char *buf, size_t cap, const char *fmt, va_list ap);

/* Print "wasmbox: <what>: <message>" (one line) to stderr. `what` may be
 * NULL for errors that concern no file. */
void wb_cli_error(const char *what, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Read a whole file (at most 1 GiB), NUL-terminated. On failure returns
 * NULL and writes a reason ("cannot read: ...") to why. The caller frees
 * the buffer. */
uint8_t *wb_cli_read_file(const char *path, size_t *len, char *why,
                          size_t whylen);

/* Command lines: getopt_long, with every long option spelled out in
 * full (no abbreviations: a language command must not take a runtime's
 * option for one of ours) and without getopt's own messages. Start with
 * wb_cli_opts_begin; wb_cli_opt returns like getopt_long (the option's
 * val, -1 at the end), and for an unknown or incomplete option '?' or
 * ':' with o->bad naming it; o->at is then the index of the argument
 * that holds it (where a language command's runtime arguments start). */
typedef struct wb_cli_opts {
    int argc;
    char **argv;
    const char *shortopts;         /* begin with "+:" or ":" */
    const struct option *longopts;
    const char *bad;
    int at;
    char shortbad[3];
} wb_cli_opts;
void wb_cli_opts_begin(wb_cli_opts *o, int argc, char **argv,
                       const char *shortopts, const struct option *longopts);
int wb_cli_opt(wb_cli_opts *o);
/* The one line for a '?' or ':' of wb_cli_opt ("wasmbox: CMD: unknown
 * option '--x' (try 'wasmbox CMD --help')"); returns `status`. */
int wb_cli_opt_error(const wb_cli_opts *o, int c, const char *cmd,
                     int status);
/* A decimal count in [min, max] (no sign, no spaces). */
bool wb_cli_count(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* Subcommands. Each returns the process exit status. */
int wb_cli_spectest(int argc, char **argv);
/* src/cli/run.c; absent from builds without the sandbox (weak in main.c). */
int wb_cli_run(int argc, char **argv);
/* src/cli/guests.c: `wasmbox python|js|lua|sqlite3 ...`; `name` is the
 * command, argv[0] too. Runs the guest image through wb_cli_run. */
int wb_cli_guest(const char *name, int argc, char **argv);
/* `wasmbox guest-snapshot [python]` (guests.c). */
int wb_cli_guest_snapshot(int argc, char **argv);
/* The options of `wasmbox run` that the language commands take too, all
 * of them long and with a value but --no-os-sandbox: entries of a struct
 * option table. */
enum {
    WB_RUN_DIR = 256, WB_RUN_TMPFS, WB_RUN_ENV, WB_RUN_STDIN, WB_RUN_REPORT,
    WB_RUN_ARGV0, WB_RUN_POLICY, WB_RUN_MAX_MEMORY, WB_RUN_FUEL,
    WB_RUN_TIMEOUT, WB_RUN_MAX_OUTPUT, WB_RUN_MAX_DISK, WB_RUN_MAX_FILES,
    WB_RUN_MAX_STACK, WB_RUN_NO_OS_SANDBOX, WB_RUN_OS_USER, WB_RUN_ALLOW_HOST,
    WB_RUN_MAX_REQUESTS, WB_RUN_MAX_RESPONSE, WB_RUN_NET_TIMEOUT,
    WB_RUN_MAX_PROCESSES,
    WB_RUN_CWD
};
#define WB_RUN_OPTIONS \
    { "dir", required_argument, NULL, WB_RUN_DIR }, \
    { "tmpfs", required_argument, NULL, WB_RUN_TMPFS }, \
    { "env", required_argument, NULL, WB_RUN_ENV }, \
    { "stdin", required_argument, NULL, WB_RUN_STDIN }, \
    { "report", required_argument, NULL, WB_RUN_REPORT }, \
    { "argv0", required_argument, NULL, WB_RUN_ARGV0 }, \
    { "policy", required_argument, NULL, WB_RUN_POLICY }, \
    { "max-memory", required_argument, NULL, WB_RUN_MAX_MEMORY }, \
    { "fuel", required_argument, NULL, WB_RUN_FUEL }, \
    { "timeout", required_argument, NULL, WB_RUN_TIMEOUT }, \
    { "max-output", required_argument, NULL, WB_RUN_MAX_OUTPUT }, \
    { "max-disk", required_argument, NULL, WB_RUN_MAX_DISK }, \
    { "max-files", required_argument, NULL, WB_RUN_MAX_FILES }, \
    { "max-stack", required_argument, NULL, WB_RUN_MAX_STACK }, \
    { "no-os-sandbox", no_argument, NULL, WB_RUN_NO_OS_SANDBOX }, \
    { "os-user", required_argument, NULL, WB_RUN_OS_USER }, \
    { "allow-host", required_argument, NULL, WB_RUN_ALLOW_HOST }, \
    { "max-requests", required_argument, NULL, WB_RUN_MAX_REQUESTS }, \
    { "max-response", required_argument, NULL, WB_RUN_MAX_RESPONSE }, \
    { "net-timeout", required_argument, NULL, WB_RUN_NET_TIMEOUT }, \
    { "max-processes", required_argument, NULL, WB_RUN_MAX_PROCESSES }, \
    { "cwd", required_argument, NULL, WB_RUN_CWD }
/* src/cli/tier.c: prepares module m (read from `module`) for its tier
 * before the lock-down: cached or given native code, compiled now, or a
 * compilation started in the background (see there). */
typedef enum {
    WB_TIER_AUTO, WB_TIER_INTERP, WB_TIER_NATIVE,
    WB_TIER_CACHED              /* auto without the background compile */
} wb_cli_tier;
wb_status wb_cli_tier_prepare(wb_module *m, const char *module,
                              wb_cli_tier tier, const char *code_file,
                              wb_error *err);
/* --tier of `serve` and `mcp` (NULL: the policy's session.tier stays):
 * "cached" or "interp" into ss; 0, or WB_EXIT_USAGE after one line. The
 * servers never compile (docs/native-tier.md, "Sessions"). */
int wb_cli_session_tier(const char *cmd, const char *v,
                        wb_session_settings *ss);
/* src/cli/main.c: reads and decodes a module, one line on failure;
 * returns an exit status. */
int wb_cli_load_module(const char *path, wb_module **out);
/* src/cli/compile.c: `wasmbox compile`. */
int wb_cli_compile(int argc, char **argv);
/* src/cli/run.c: `wasmbox sandbox-info`: the lock-down's layers on this
 * kernel. */
int wb_cli_sandbox_info(int argc, char **argv);
/* src/cli/mcp.c: `wasmbox mcp` (the MCP server). */
int wb_cli_mcp(int argc, char **argv);
/* src/cli/session.c: `wasmbox session` (list, delete, expire). */
int wb_cli_session(int argc, char **argv);
/* src/cli/serve.c: `wasmbox serve` (the HTTP API). */
int wb_cli_serve(int argc, char **argv);

/* The servers' isolation (--no-os-sandbox, --os-user): start it for the
 * sessions of `o` (then o->isolation is set) unless `off`; 0 or an exit
 * status after one line on stderr (fail closed: no isolation, no
 * server). Call before starting threads or reading API keys. */
int wb_cli_isolate(const char *cmd, wb_session_options *o, bool off,
                   const char *user, wb_isolation **iso);
#define WB_CLI_ISOLATION_HELP \
    "  --no-os-sandbox         run guests on this process's threads, not in\n" \
    "                          locked-down worker processes (to debug; the\n" \
    "                          grants and budgets still hold)\n" \
    "  --os-user USER          started as root: the workers' user (default\n" \
    "                          nobody; see docs/os-sandbox.md)\n"


#endif
