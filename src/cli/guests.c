/*
 * guests.c: `wasmbox python|js|lua|sqlite3 [SANDBOX OPTIONS] [ARGS...]`.
 *
 * Each command runs a language runtime built for wasm32-wasi (see
 * scripts/guests/) through `wasmbox run`: the runtime's own files are
 * granted read-only, then the user's options, then the runtime's module
 * and ARGS. So the guest gets the same sandbox, budget and exit statuses
 * as with `wasmbox run`.
 *
 * Guest images: $WASMBOX_GUESTS, else <directory of the wasmbox binary>/
 * guests (build/guests after `make guests`):
 *   python/python.wasm + python/lib (the standard library, seen at /lib)
 *   js/qjs.wasm   lua/lua.wasm   sqlite/sqlite3.wasm
 *
 * Leading options that `wasmbox run` knows (--dir, --tmpfs, --env,
 * --stdin, --report, --timeout, --fuel, --max-*) are sandbox options;
 * everything from the first other argument (or after "--") goes to the
 * runtime, e.g. `wasmbox python --timeout 30s -c 'print(1)'`.
 *
 * Differences from `wasmbox run`, so each command behaves like its native
 * counterpart:
 *   - stdin is the host's stdin (as --stdin -) unless --stdin is given;
 *   - the script file: if the runtime's script argument names an existing
 *     host file, its directory is granted read-only at the same absolute
 *     path and the argument becomes that absolute path (imports of
 *     sibling modules work, tracebacks show host paths). Not done when
 *     the argument is an absolute path inside a GUEST path of a --dir or
 *     --tmpfs given by the user (it then means the guest's file), nor for
 *     the directories / and /lib. Nothing else of the host is visible;
 *     data files need --dir.
 */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef enum { SCAN_PYTHON, SCAN_LUA, SCAN_JS, SCAN_NONE } scan_kind;

typedef struct guest_def {
    const char *name;       /* command name */
    const char *dir;        /* image directory under the guests dir */
    const char *module;     /* module file in it */
    const char *lib;        /* directory in it granted at /lib, or NULL */
    const char *argv0;
    scan_kind scan;
} guest_def;

static const guest_def guests[] = {
    { "python", "python", "python.wasm", "lib", "python3", SCAN_PYTHON },
    { "js", "js", "qjs.wasm", NULL, "qjs", SCAN_JS },
    { "lua", "lua", "lua.wasm", NULL, "lua", SCAN_LUA },
    { "sqlite3", "sqlite", "sqlite3.wasm", NULL, "sqlite3", SCAN_NONE },
};

/* `wasmbox run` options that take a value. */
static const char *const run_value_opts[] = {
    "--dir", "--tmpfs", "--env", "--stdin", "--report", "--argv0",
    "--max-memory", "--fuel", "--timeout", "--max-output", "--max-disk",
    "--max-files", "--max-stack", NULL,
};

static const char *run_opt_name(const char *a, size_t *namelen)
{
    for (const char *const *o = run_value_opts; *o; o++) {
        size_t n = strlen(*o);
        if (!strncmp(a, *o, n) && (a[n] == 0 || a[n] == '=')) {
            *namelen = n;
            return *o;
        }
    }
    return NULL;
}

/* The directory holding the guest images. */
static int guests_dir(char *out, size_t outlen)
{
    const char *env = getenv("WASMBOX_GUESTS");
    if (env && *env) {
        snprintf(out, outlen, "%s", env);
        return 0;
    }
    char exe[PATH_MAX - 16];    /* room for "/guests" in out */
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return -1;
    exe[n] = 0;
    char *slash = strrchr(exe, '/');
    if (!slash)
        return -1;
    *slash = 0;
    snprintf(out, outlen, "%s/guests", exe);
    return 0;
}

/* Index in argv (from `first`) of the runtime's script argument, or -1. */
static int find_script(scan_kind kind, int first, int argc, char **argv)
{
    for (int i = first; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--"))
            return i + 1 < argc ? i + 1 : -1;
        if (a[0] != '-' || !a[1])
            return a[0] == '-' ? -1 : i;       /* "-" is stdin */
        switch (kind) {
        case SCAN_PYTHON:
            if (a[1] == '-')
                continue;                      /* --version, --help... */
            /* -c CMD and -m MOD end the options: no script file.
             * -W ARG and -X OPT take a value. Flags combine (-Bc). */
            for (const char *p = a + 1; *p; p++) {
                if (*p == 'c' || *p == 'm')
                    return -1;
                if (*p == 'W' || *p == 'X') {
                    if (!p[1])
                        i++;
                    break;
                }
            }
            break;
        case SCAN_LUA:
            if (!strcmp(a, "-e") || !strcmp(a, "-l"))
                i++;
            break;
        case SCAN_JS:
            if (!strcmp(a, "-e") || !strcmp(a, "--eval"))
                return -1;
            if (!strcmp(a, "-I") || !strcmp(a, "--include") ||
                !strcmp(a, "--memory-limit") || !strcmp(a, "--stack-size"))
                i++;
            break;
        case SCAN_NONE:
            return -1;
        }
    }
    return -1;
}

/* Is absolute `path` inside the GUEST side of a user --dir/--tmpfs? */
static int under_user_mount(const char *path, int argc, char **argv, int end)
{
    for (int i = 0; i < end; i++) {
        size_t nl;
        const char *o = run_opt_name(argv[i], &nl);
        if (!o || (strcmp(o, "--dir") && strcmp(o, "--tmpfs")))
            continue;
        const char *v = argv[i][nl] == '=' ? argv[i] + nl + 1
                        : (i + 1 < argc ? argv[i + 1] : "");
        char spec[PATH_MAX];
        snprintf(spec, sizeof spec, "%s", v);
        size_t n = strlen(spec);
        if (n > 3 && (!strcmp(spec + n - 3, ":ro") || !strcmp(spec + n - 3, ":rw")))
            spec[n - 3] = 0;
        const char *guest = spec;
        if (!strcmp(o, "--dir")) {
            char *c = strchr(spec, ':');
            guest = c ? c + 1 : spec;
        } else {
            char *c = strchr(spec, ':');
            if (c)
                *c = 0;
        }
        size_t gl = strlen(guest);
        while (gl > 1 && guest[gl - 1] == '/')
            gl--;
        if (gl == 1 && guest[0] == '/')
            return 1;
        if (!strncmp(path, guest, gl) && (path[gl] == '/' || path[gl] == 0))
            return 1;
    }
    return 0;
}

int wb_cli_guest(const char *name, int argc, char **argv)
{
    const guest_def *g = NULL;
    for (size_t k = 0; k < sizeof guests / sizeof guests[0]; k++)
        if (!strcmp(guests[k].name, name))
            g = &guests[k];
    if (!g) {
        wb_cli_error(name, "unknown guest runtime");
        return 125;
    }

    char gdir[PATH_MAX], module[PATH_MAX + 64], lib[PATH_MAX + 64];
    if (guests_dir(gdir, sizeof gdir)) {
        wb_cli_error(name, "cannot locate the guest images; set WASMBOX_GUESTS");
        return 127;
    }
    snprintf(module, sizeof module, "%s/%s/%s", gdir, g->dir, g->module);
    if (access(module, R_OK)) {
        wb_cli_error(module, "guest image missing (%s); build it with "
                     "'make guests' or set WASMBOX_GUESTS", strerror(errno));
        return 127;
    }
    lib[0] = 0;
    if (g->lib)
        snprintf(lib, sizeof lib, "%s/%s/%s:/lib:ro", gdir, g->dir, g->lib);

    /* argv[0] is the command name; sandbox options come first. */
    int i = 1, has_stdin = 0, has_home = 0;
    while (i < argc) {
        size_t nl;
        const char *o = run_opt_name(argv[i], &nl);
        if (!strcmp(argv[i], "--")) {
            i++;
            break;
        }
        if (!o)
            break;
        const char *v = argv[i][nl] == '=' ? argv[i] + nl + 1
                        : (i + 1 < argc ? argv[i + 1] : NULL);
        if (!v) {
            wb_cli_error(name, "option '%s' needs a value", argv[i]);
            return 125;
        }
        if (!strcmp(o, "--stdin"))
            has_stdin = 1;
        if (!strcmp(o, "--env") && !strncmp(v, "HOME", 4) &&
            (v[4] == '=' || v[4] == 0))
            has_home = 1;
        i += argv[i][nl] == '=' ? 1 : 2;
    }
    int opt_end = i;            /* argv[1..opt_end) are sandbox options */

    /* The script's directory, granted read-only at its own path. */
    char script_abs[PATH_MAX], script_grant[PATH_MAX * 2 + 8];
    script_grant[0] = 0;
    int si = find_script(g->scan, opt_end, argc, argv);
    struct stat st;
    if (si >= 0 && stat(argv[si], &st) == 0 && S_ISREG(st.st_mode) &&
        !(argv[si][0] == '/' && under_user_mount(argv[si], argc, argv, opt_end)) &&
        realpath(argv[si], script_abs)) {
        char dir[PATH_MAX];
        snprintf(dir, sizeof dir, "%s", script_abs);
        char *slash = strrchr(dir, '/');
        if (slash == dir)
            dir[1] = 0;
        else if (slash)
            *slash = 0;
        if (!strcmp(dir, "/") || !strcmp(dir, "/lib") || !strncmp(dir, "/lib/", 5)) {
            wb_cli_error(argv[si], "cannot grant the script's directory %s "
                         "automatically; grant it with --dir HOST:GUEST:ro and "
                         "pass the guest path", dir);
            return 125;
        }
        /* a ':' in the path would confuse HOST:GUEST */
        if (!strchr(dir, ':'))
            snprintf(script_grant, sizeof script_grant, "%s:%s:ro", dir, dir);
        else
            si = -1;
    } else {
        si = -1;
    }

    /* run --argv0 NAME [--dir LIB:/lib:ro] [--dir SCRIPTDIR:SCRIPTDIR:ro]
     *     [--env HOME=/] [--stdin -] USER-OPTIONS -- MODULE ARGS... */
    int n = 0, cap = argc + 16;
    char **av = calloc((size_t)cap, sizeof *av);
    if (!av) {
        wb_cli_error(name, "out of memory");
        return 123;
    }
    av[n++] = "run";
    av[n++] = "--argv0";
    av[n++] = (char *)g->argv0;
    if (lib[0]) {
        av[n++] = "--dir";
        av[n++] = lib;
    }
    if (script_grant[0]) {
        av[n++] = "--dir";
        av[n++] = script_grant;
    }
    if (!has_home && g->scan == SCAN_NONE) {
        /* sqlite3 looks for ~/.sqliterc and warns when HOME is unset */
        av[n++] = "--env";
        av[n++] = "HOME=/";
    }
    if (!has_stdin) {
        av[n++] = "--stdin";
        av[n++] = "-";
    }
    for (int k = 1; k < opt_end; k++)
        if (strcmp(argv[k], "--"))
            av[n++] = argv[k];
    av[n++] = "--";
    av[n++] = module;
    /* The sandbox shows stdio to the guest as terminals; the SQLite shell
     * would then prompt and print its banner for piped input. */
    if (g->scan == SCAN_NONE && (has_stdin || !isatty(0)))
        av[n++] = "-batch";
    for (int k = opt_end; k < argc; k++)
        av[n++] = k == si ? script_abs : argv[k];
    av[n] = NULL;

    int rc = wb_cli_run(n, av);
    free(av);
    return rc;
}
