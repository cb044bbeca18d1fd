/*
 * main.c: the `wasmbox` command. Dispatches subcommands and implements the
 * small ones (inspect, invoke). Exit statuses are the WB_EXIT_* of cli.h.
 */
#include "cli.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* `run` lives in src/cli/run.c, which a build may leave out: resolve it
 * weakly so this file links either way. */
__attribute__((weak)) int wb_cli_run(int argc, char **argv);

static const char wb_usage[] =
    "usage: wasmbox <command> [args]\n"
    "\n"
    "commands:\n"
    "  run [OPTIONS] MODULE [ARGS...]\n"
    "                                run a WASI program in the sandbox\n"
    "                                (see 'wasmbox run --help')\n"
    "  invoke [--fuel N] [--from-snapshot FILE] [--save-snapshot FILE]\n"
    "         MODULE FUNC [ARGS...]\n"
    "                                instantiate MODULE (no imports), call the\n"
    "                                exported FUNC with ARGS parsed per its\n"
    "                                parameter types, print results one per line;\n"
    "                                start from a snapshot of MODULE instead of\n"
    "                                instantiating, save one after the call\n"
    "  inspect MODULE                print the imports and exports of MODULE\n"
    "  compile [-o FILE] MODULE      native code for MODULE into the code\n"
    "                                cache or FILE (see 'wasmbox compile\n"
    "                                --help', docs/native-tier.md)\n"
    "  python|js|lua|sqlite3 [RUN OPTIONS] [ARGS...]\n"
    "                                run CPython 3.11, QuickJS, Lua 5.4 or the\n"
    "                                SQLite shell in the sandbox (see README);\n"
    "                                a script file is granted alone, read-only:\n"
    "                                grant its directory with --dir DIR:/app:ro\n"
    "                                (RUN OPTIONS: those of 'wasmbox run --help',\n"
    "                                e.g. --allow-host HOST for HTTP(S); python\n"
    "                                also takes --packages DIR: pure-Python\n"
    "                                packages, read-only at /packages, on\n"
    "                                sys.path)\n"
    "  sh [RUN OPTIONS] [-c CMD | SCRIPT] [ARGS...]\n"
    "                                a POSIX shell (dash) with busybox's tools\n"
    "                                in /bin, and python3, qjs, lua, sqlite3 by\n"
    "                                name; it starts in the first --dir or\n"
    "                                --tmpfs (or --cwd DIR); docs/processes.md\n"
    "  mcp [--policy FILE] [--http ADDR:PORT]\n"
    "                                serve MCP tools that run code in sandboxed\n"
    "                                sessions (see 'wasmbox mcp --help')\n"
    "  session list|delete ID|expire manage the sessions on disk\n"
    "  serve --listen ADDR:PORT [--api-keys FILE] [--policy FILE]\n"
    "                                HTTP API for running code (see 'wasmbox\n"
    "                                serve --help', docs/openapi.json)\n"
    "  sandbox-info                  the OS lock-down layers of 'run' on\n"
    "                                this kernel: which are active, what\n"
    "                                each stops, which the kernel lacks\n"
    "  spectest [-q] [-v] [--skip-simd] FILE.json|DIR...\n"
    "                                run wast2json spec test scripts\n"
    "  help, --help, -h              show this help\n"
    "  version, --version            show the version\n"
    "\n"
    "exit status:\n"
    "  0  success\n"
    "  1  test failures, or a subcommand failed for another reason\n"
    "  2  bad command-line usage\n"
    "  3  cannot read a file (or it does not exist)\n"
    "  4  malformed module (cannot be decoded)\n"
    "  5  invalid module (fails validation)\n"
    "  6  link error (unknown or incompatible import)\n"
    "  7  trap\n"
    "  8  resource limit (memory, fuel, interrupt) or implementation\n"
    "     limit of the engine (too many locals, br_table too large...)\n"
    "  ('run' exits with the guest's code; see 'wasmbox run --help')\n"
    "Errors are reported as one line on stderr: wasmbox: <file>: <message>\n";

/* Read and decode a module, reporting errors. Returns an exit status. */
int wb_cli_load_module(const char *path, wb_module **out)
{
    char why[256];
    size_t len = 0;
    uint8_t *bytes = wb_cli_read_file(path, &len, why, sizeof why);
    if (!bytes) {
        wb_cli_error(path, "%s", why);
        return WB_EXIT_IO;
    }
    wb_error err = {0};
    wb_status st = wb_module_new(bytes, len, out, &err);
    free(bytes);
    if (st != WB_OK) {
        wb_cli_error(path, "%s: %s", wb_status_name(st), err.message);
        return wb_cli_exit(&err);
    }
    return WB_EXIT_OK;
}

static const char *wb_kind_name(wb_extern_kind k)
{
    switch (k) {
    case WB_EXTERN_FUNC: return "func";
    case WB_EXTERN_TABLE: return "table";
    case WB_EXTERN_MEMORY: return "memory";
    case WB_EXTERN_GLOBAL: return "global";
    }
    return "?";
}

/* Names are arbitrary UTF-8: quote them and escape what a terminal would
 * interpret. */
static void wb_put_name(const char *s)
{
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            printf("\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f)
            printf("\\%02x", *p);
        else
            putchar(*p);
    }
    putchar('"');
}

static int wb_cmd_inspect(int argc, char **argv)
{
    if (argc != 2) {
        wb_cli_error(NULL, "usage: wasmbox inspect MODULE");
        return WB_EXIT_USAGE;
    }
    wb_module *m = NULL;
    int rc = wb_cli_load_module(argv[1], &m);
    if (rc != WB_EXIT_OK)
        return rc;
    size_t ni = wb_module_import_count(m), ne = wb_module_export_count(m);
    printf("imports: %zu\n", ni);
    for (size_t i = 0; i < ni; i++) {
        const char *mod = "", *name = "";
        wb_extern_kind k = WB_EXTERN_FUNC;
        wb_module_import(m, i, &mod, &name, &k);
        printf("  %-6s ", wb_kind_name(k));
        wb_put_name(mod);
        putchar(' ');
        wb_put_name(name);
        putchar('\n');
    }
    printf("exports: %zu\n", ne);
    for (size_t i = 0; i < ne; i++) {
        const char *name = "";
        wb_extern_kind k = WB_EXTERN_FUNC;
        wb_module_export(m, i, &name, &k);
        printf("  %-6s ", wb_kind_name(k));
        wb_put_name(name);
        putchar('\n');
    }
    wb_module_release(m);
    return WB_EXIT_OK;
}

/* ---- invoke: argument parsing and result printing ---------------------- */

static bool wb_parse_int(const char *s, int64_t lo, uint64_t hi,
                         uint64_t *out)
{
    char *end;
    errno = 0;
    if (*s == '-') {
        long long v = strtoll(s, &end, 0);
        if (errno || *end || end == s || v < lo)
            return false;
        *out = (uint64_t)v;
        return true;
    }
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || *end || end == s || *s == '+' || v > hi)
        return false;
    *out = v;
    return true;
}

static int wb_hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* v128 as "0x" and up to 32 hex digits, a 128-bit little-endian integer. */
static bool wb_parse_v128(const char *s, uint8_t out[16])
{
    if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
        return false;
    s += 2;
    size_t n = strlen(s);
    if (n == 0 || n > 32)
        return false;
    memset(out, 0, 16);
    for (size_t i = 0; i < n; i++) {
        int d = wb_hexval(s[n - 1 - i]);
        if (d < 0)
            return false;
        out[i / 2] |= (uint8_t)(d << (4 * (i % 2)));
    }
    return true;
}

static bool wb_parse_arg(const char *s, wb_valtype t, wb_val *v)
{
    char *end;
    uint64_t u;
    v->type = t;
    errno = 0;
    switch (t) {
    case WB_I32:
        if (!wb_parse_int(s, INT32_MIN, UINT32_MAX, &u))
            return false;
        v->of.i32 = (int32_t)(uint32_t)u;
        return true;
    case WB_I64:
        if (!wb_parse_int(s, INT64_MIN, UINT64_MAX, &u))
            return false;
        v->of.i64 = (int64_t)u;
        return true;
    case WB_F32: {
        float f = strtof(s, &end);
        memcpy(&v->of.f32_bits, &f, 4);
        return *s && !*end;
    }
    case WB_F64: {
        double d = strtod(s, &end);
        memcpy(&v->of.f64_bits, &d, 8);
        return *s && !*end;
    }
    case WB_V128:
        return wb_parse_v128(s, v->of.v128);
    case WB_FUNCREF:
        v->of.funcref = NULL;
        return strcmp(s, "null") == 0;
    case WB_EXTERNREF:
        v->of.externref = NULL;
        return strcmp(s, "null") == 0;
    }
    return false;
}

/* Shortest %g precision that reads back to the same value. */
static void wb_print_float(double d, int maxprec, bool single)
{
    char buf[64];
    for (int p = 1; p <= maxprec; p++) {
        snprintf(buf, sizeof buf, "%.*g", p, d);
        if (isnan(d) || (single ? strtof(buf, NULL) == (float)d
                                : strtod(buf, NULL) == d))
            break;
    }
    puts(buf);
}

static void wb_print_val(const wb_val *v)
{
    switch (v->type) {
    case WB_I32: printf("%" PRId32 "\n", v->of.i32); break;
    case WB_I64: printf("%" PRId64 "\n", v->of.i64); break;
    case WB_F32: {
        float f;
        memcpy(&f, &v->of.f32_bits, 4);
        wb_print_float(f, 9, true);
        break;
    }
    case WB_F64: {
        double d;
        memcpy(&d, &v->of.f64_bits, 8);
        wb_print_float(d, 17, false);
        break;
    }
    case WB_V128:
        printf("0x");
        for (int i = 15; i >= 0; i--)
            printf("%02x", v->of.v128[i]);
        putchar('\n');
        break;
    case WB_FUNCREF:
        puts(v->of.funcref ? "funcref" : "null");
        break;
    case WB_EXTERNREF:
        if (v->of.externref)
            printf("externref:%p\n", v->of.externref);
        else
            puts("null");
        break;
    }
}

typedef struct wb_invoke_opts {
    const char *path, *func;
    char **args;
    int nargs;
    int64_t fuel;
    const char *from, *save;           /* snapshot files, or NULL */
} wb_invoke_opts;

static int wb_invoke_usage(void)
{
    wb_cli_error(NULL, "usage: wasmbox invoke [--fuel N] [--from-snapshot "
                 "FILE] [--save-snapshot FILE] MODULE FUNC [ARGS...]");
    return WB_EXIT_USAGE;
}

static int wb_invoke_parse(int argc, char **argv, wb_invoke_opts *o)
{
    static const struct option longopts[] = {
        { "fuel", required_argument, NULL, 'f' },
        { "from-snapshot", required_argument, NULL, 'i' },
        { "save-snapshot", required_argument, NULL, 'o' },
        { NULL, 0, NULL, 0 }
    };
    wb_cli_opts g;
    uint64_t u;
    int c;
    o->fuel = -1;
    o->from = o->save = NULL;
    wb_cli_opts_begin(&g, argc, argv, "+:", longopts);
    while ((c = wb_cli_opt(&g)) != -1) {
        if (c == 'i')
            o->from = optarg;
        else if (c == 'o')
            o->save = optarg;
        else if (c != 'f' || !wb_parse_int(optarg, 0, INT64_MAX, &u))
            return wb_invoke_usage();
        else
            o->fuel = (int64_t)u;
    }
    if (argc - optind < 2)
        return wb_invoke_usage();
    o->path = argv[optind];
    o->func = argv[optind + 1];
    o->args = argv + optind + 2;
    o->nargs = argc - optind - 2;
    return WB_EXIT_OK;
}

/* Type-check and convert the command-line arguments for f. */
static int wb_invoke_args(const wb_invoke_opts *o, wb_func *f, wb_val *vals)
{
    size_t np = wb_func_param_count(f);
    if ((size_t)o->nargs != np) {
        wb_cli_error(o->path, "'%s' takes %zu argument%s, got %d", o->func,
                     np, np == 1 ? "" : "s", o->nargs);
        return WB_EXIT_USAGE;
    }
    for (size_t i = 0; i < np; i++) {
        wb_valtype t = wb_func_param_type(f, i);
        if (!wb_parse_arg(o->args[i], t, &vals[i])) {
            wb_cli_error(o->path, "argument %zu of '%s': '%s' is not a "
                         "valid %s", i + 1, o->func, o->args[i],
                         wb_valtype_name(t));
            return WB_EXIT_USAGE;
        }
    }
    return WB_EXIT_OK;
}

static int wb_invoke_call(const wb_invoke_opts *o, wb_store *s, wb_func *f)
{
    size_t np = wb_func_param_count(f), nr = wb_func_result_count(f);
    wb_val *args = calloc(np + 1, sizeof *args);
    wb_val *res = calloc(nr + 1, sizeof *res);
    int rc = WB_EXIT_LIMIT;
    if (!args || !res)
        wb_cli_error(o->path, "out of memory");
    else
        rc = wb_invoke_args(o, f, args);
    if (rc == WB_EXIT_OK) {
        for (size_t i = 0; i < nr; i++)
            res[i].type = wb_func_result_type(f, i);
        wb_error err = {0};
        wb_status st = wb_func_call(s, f, args, np, res, nr, &err);
        if (st != WB_OK) {
            wb_cli_error(o->path, "%s: %s (calling '%s')", wb_status_name(st),
                         err.message, o->func);
            rc = wb_cli_exit(&err);
        } else {
            for (size_t i = 0; i < nr; i++)
                wb_print_val(&res[i]);
        }
    }
    free(args);
    free(res);
    return rc;
}

/* A new instance of m, or one restored from --from-snapshot. */
static wb_status wb_invoke_new(const wb_invoke_opts *o, wb_store *s,
                               wb_module *m, const wb_linker *l,
                               wb_instance **inst, wb_error *err)
{
    if (!o->from)
        return wb_instantiate(s, m, l, inst, err);
    wb_snapshot *sn = NULL;
    wb_status st = wb_snapshot_open(o->from, m, &sn, err);
    if (st == WB_OK)
        st = wb_snapshot_instantiate(s, sn, l, inst, err);
    wb_snapshot_free(sn);
    return st;
}

static int wb_invoke_save(const wb_invoke_opts *o, wb_instance *inst)
{
    wb_error err = {0};
    if (wb_snapshot_save(inst, NULL, o->save, &err) == WB_OK)
        return WB_EXIT_OK;
    wb_cli_error(o->save, "%s", err.message);
    return wb_cli_exit(&err);
}

static int wb_invoke_inst(const wb_invoke_opts *o, wb_store *s, wb_module *m)
{
    wb_linker *l = wb_linker_new();
    wb_instance *inst = NULL;
    wb_error err = {0};
    if (!l) {
        wb_cli_error(o->path, "out of memory");
        return WB_EXIT_LIMIT;
    }
    wb_status st = wb_invoke_new(o, s, m, l, &inst, &err);
    wb_linker_free(l);
    if (st != WB_OK) {
        wb_cli_error(st == WB_E_SNAPSHOT ? o->from : o->path, "%s%s%s",
                     st == WB_E_SNAPSHOT ? "" : wb_status_name(st),
                     st == WB_E_SNAPSHOT ? "" : ": ", err.message);
        return wb_cli_exit(&err);
    }
    wb_extern ext;
    if (!wb_instance_export(inst, o->func, strlen(o->func), &ext) ||
        ext.kind != WB_EXTERN_FUNC) {
        wb_cli_error(o->path, "no exported function '%s'", o->func);
        return WB_EXIT_FAIL;
    }
    int rc = wb_invoke_call(o, s, ext.of.func);
    if (rc == WB_EXIT_OK && o->save)
        rc = wb_invoke_save(o, inst);
    return rc;
}

static int wb_cmd_invoke(int argc, char **argv)
{
    wb_invoke_opts o;
    int rc = wb_invoke_parse(argc, argv, &o);
    if (rc != WB_EXIT_OK)
        return rc;
    wb_module *m = NULL;
    if ((rc = wb_cli_load_module(o.path, &m)) != WB_EXIT_OK)
        return rc;
    wb_limits lim;
    wb_limits_default(&lim);
    lim.fuel = o.fuel;
    wb_store *s = NULL;
    wb_error err = {0};
    if (wb_store_new(&lim, &s, &err) != WB_OK) {
        wb_cli_error(o.path, "%s", err.message);
        rc = wb_cli_exit(&err);
    } else {
        rc = wb_invoke_inst(&o, s, m);
        wb_store_free(s);
    }
    wb_module_release(m);
    return rc;
}

/* ---- dispatch ----------------------------------------------------------- */

static int wb_cmd_run(int argc, char **argv)
{
    if (!wb_cli_run) {
        wb_cli_error(NULL, "'run' is not available in this build");
        return WB_EXIT_FAIL;
    }
    return wb_cli_run(argc, argv);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        wb_cli_error(NULL, "missing command (try 'wasmbox --help')");
        return WB_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        fputs(wb_usage, stdout);
        return WB_EXIT_OK;
    }
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
        printf("wasmbox %s\n", WB_VERSION);
        return WB_EXIT_OK;
    }
    if (!strcmp(cmd, "spectest"))
        return wb_cli_spectest(argc - 1, argv + 1);
    if (!strcmp(cmd, "compile"))
        return wb_cli_compile(argc - 1, argv + 1);
    if (!strcmp(cmd, "inspect"))
        return wb_cmd_inspect(argc - 1, argv + 1);
    if (!strcmp(cmd, "invoke"))
        return wb_cmd_invoke(argc - 1, argv + 1);
    if (!strcmp(cmd, "run"))
        return wb_cmd_run(argc - 1, argv + 1);
    if (!strcmp(cmd, "sandbox-info"))
        return wb_cli_sandbox_info(argc - 1, argv + 1);
    if (!strcmp(cmd, "python") || !strcmp(cmd, "js") || !strcmp(cmd, "lua") ||
        !strcmp(cmd, "sqlite3") || !strcmp(cmd, "sh"))
        return wb_cli_guest(cmd, argc - 1, argv + 1);
    if (!strcmp(cmd, "guest-snapshot"))
        return wb_cli_guest_snapshot(argc - 1, argv + 1);
    if (!strcmp(cmd, "mcp"))
        return wb_cli_mcp(argc - 1, argv + 1);
    if (!strcmp(cmd, "session"))
        return wb_cli_session(argc - 1, argv + 1);
    if (!strcmp(cmd, "serve"))
        return wb_cli_serve(argc - 1, argv + 1);
    wb_cli_error(NULL, "unknown command '%s' (try 'wasmbox --help')", cmd);
    return WB_EXIT_USAGE;
}
