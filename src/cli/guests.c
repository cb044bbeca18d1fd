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
 * Leading options that `wasmbox run` takes with a value (--dir, --tmpfs,
 * --env, --stdin, --report, --argv0, --policy, --timeout, --fuel,
 * --max-*, --os-user, --allow-host, --net-timeout; cli.h's
 * WB_RUN_OPTIONS), --tier and --no-os-sandbox (and python's own
 * --packages DIR: packages_opt), spelled out in full, are sandbox
 * options; everything from the first other argument (or after "--") goes
 * to the runtime, e.g. `wasmbox python --timeout 30s -c 'print(1)'`.
 *
 * Differences from `wasmbox run`, so each command behaves like its native
 * counterpart:
 *   - stdin is the host's stdin (as --stdin -) unless --stdin is given;
 *   - the script file: if the runtime's script argument names an existing
 *     host file, that file alone is granted, read-only: a private copy is
 *     made in a new directory under $TMPDIR, granted at the script's own
 *     directory, and the argument becomes the script's absolute path
 *     (sys.argv[0], __file__ and tracebacks show the host path); the copy
 *     is removed when the run ends. Its sibling files are not visible, so
 *     a script in $HOME does not expose ~/.ssh. To grant the directory
 *     (sibling imports, data files), pass it with --dir: a script inside
 *     the HOST side of a --dir runs from there, e.g. `wasmbox python --dir
 *     .:/app:ro main.py` runs /app/main.py. Nothing is done when the
 *     argument is an absolute path inside a GUEST path of a --dir or
 *     --tmpfs (it then means the guest's file); the directories / and
 *     /lib are refused. Nothing else of the host is visible.
 */
#include "cli.h"
#include "common/path.h"
#include "sandbox/preinit.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

typedef enum { SCAN_PYTHON, SCAN_LUA, SCAN_JS, SCAN_SH, SCAN_NONE } scan_kind;

/* The commands; their images are the session layer's (wb_guest_image). */
typedef struct guest_def {
    const char *name;       /* command name */
    wb_lang lang;
    scan_kind scan;         /* how to find the script argument */
} guest_def;

static const guest_def guests[] = {
    { "python", WB_LANG_PYTHON, SCAN_PYTHON },
    { "js", WB_LANG_JAVASCRIPT, SCAN_JS },
    { "lua", WB_LANG_LUA, SCAN_LUA },
    { "sqlite3", WB_LANG_SQL, SCAN_NONE },
    { "sh", WB_LANG_SHELL, SCAN_SH },
};

/* The sandbox options given, in order. */
typedef struct sandbox_opt {
    int c;                  /* WB_RUN_* */
    const char *v;
} sandbox_opt;

typedef struct sandbox_opts {
    sandbox_opt *v;
    int n;
    int end;                /* argv index where the runtime's arguments start */
    char *packages;         /* --packages as a --dir value, or NULL */
} sandbox_opts;

/* --tier is `wasmbox run`'s option too (checked there; 'T' as in run.c).
 * --packages is `wasmbox python`'s own ('P'): see packages_opt. */
static const struct option longopts[] = {
    WB_RUN_OPTIONS,
    { "tier", required_argument, NULL, 'T' },
    { "packages", required_argument, NULL, 'P' },
    { NULL, 0, NULL, 0 }
};

/* `wasmbox python --packages DIR`: DIR granted read-only at /packages,
 * as the option "--dir DIR:/packages:ro" (the grant machinery of every
 * --dir: nothing is written, no symlink leaves it); the image's start-up
 * hook puts it on sys.path. Python only, once, and DIR must be a
 * directory whose name can be a --dir value. 0, or an exit status after
 * an error message. */
static int packages_opt(const guest_def *g, const char *dir, sandbox_opts *so)
{
    struct stat st;
    const char *why = NULL;
    if (g->lang != WB_LANG_PYTHON)
        why = "is an option of 'wasmbox python' only";
    else if (so->packages)
        why = "is given twice";
    else if (!*dir || strchr(dir, ':'))
        why = "needs a directory whose name has no ':'";
    else if (stat(dir, &st) != 0)
        why = strerror(errno);
    else if (!S_ISDIR(st.st_mode))
        why = strerror(ENOTDIR);
    if (why) {
        wb_cli_error(g->name, "--packages %s: %s", dir, why);
        return 125;
    }
    size_t n = strlen(dir) + sizeof ":" WB_PYTHON_PACKAGES_GUEST ":ro";
    if (!(so->packages = malloc(n))) {
        wb_cli_error(g->name, "out of memory");
        return 123;
    }
    snprintf(so->packages, n, "%s:%s:ro", dir, WB_PYTHON_PACKAGES_GUEST);
    so->v[so->n++] = (sandbox_opt){ WB_RUN_DIR, so->packages };
    return 0;
}

static bool mount_spec(const sandbox_opt *o, char *host, char *guest);

/* /packages may come from --packages alone: another grant there would
 * hide it or be hidden. 0, or 125 after an error message. */
static int packages_alone(const guest_def *g, const sandbox_opts *so)
{
    char host[PATH_MAX], guest[PATH_MAX];
    for (int i = 0; so->packages && i < so->n; i++)
        if (so->v[i].v != so->packages && mount_spec(&so->v[i], host, guest)
            && !strcmp(guest, WB_PYTHON_PACKAGES_GUEST)) {
            wb_cli_error(g->name, "--packages: %s is already granted by "
                         "--%s %s", WB_PYTHON_PACKAGES_GUEST,
                         so->v[i].c == WB_RUN_DIR ? "dir" : "tmpfs",
                         so->v[i].v);
            return 125;
        }
    return 0;
}

/* The sandbox options (argv[0] is the command), until the first argument
 * that is not one; 0, or an exit status after an error message. */
static int parse_sandbox(const guest_def *gd, int argc, char **argv,
                         sandbox_opts *so)
{
    wb_cli_opts g;
    int c, rc = 0;
    so->v = calloc((size_t)argc + 1, sizeof *so->v);
    if (!so->v) {
        wb_cli_error(gd->name, "out of memory");
        return 123;
    }
    wb_cli_opts_begin(&g, argc, argv, "+:", longopts);
    while (!rc && (c = wb_cli_opt(&g)) != -1 && c != '?') {
        if (c == ':') {
            wb_cli_error(gd->name, "option '%s' needs a value (see 'wasmbox "
                         "run --help')", g.bad);
            return 125;
        }
        if (c == 'P')
            rc = packages_opt(gd, optarg, so);
        else
            so->v[so->n++] = (sandbox_opt){ c, optarg };
    }
    if (rc)
        return rc;
    so->end = c == '?' ? g.at : optind;     /* '?': the runtime's option */
    return packages_alone(gd, so);
}

static bool has_opt(const sandbox_opts *so, int c, const char *prefix)
{
    size_t n = prefix ? strlen(prefix) : 0;
    for (int i = 0; i < so->n; i++)
        if (so->v[i].c == c && (!prefix || (!strncmp(so->v[i].v, prefix, n)
                                && (so->v[i].v[n] == '=' || !so->v[i].v[n]))))
            return true;
    return false;
}

/* A shell's -o or +o (also -eo): the option name is the next argument. */
static bool sh_takes_value(const char *a)
{
    const char *o = strchr(a + 1, 'o');
    return o && !o[1];
}

/* Index in argv (from `first`) of the runtime's script argument, or -1. */
static int find_script(scan_kind kind, int first, int argc, char **argv)
{
    for (int i = first; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--"))
            return i + 1 < argc ? i + 1 : -1;
        if (kind == SCAN_SH && a[0] == '+' && a[1]) {
            i += sh_takes_value(a);            /* +o OPT */
            continue;
        }
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
        case SCAN_SH:
            /* -c: a command string, -s: commands from stdin; -o/+o OPT
             * takes a value; flags combine (-ec) */
            if (strpbrk(a + 1, "cs"))
                return -1;
            i += sh_takes_value(a);
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

/* A --dir or --tmpfs of the user, split into host and guest sides (host
 * is "" for --tmpfs); false for other options. */
static bool mount_spec(const sandbox_opt *o, char *host, char *guest)
{
    if (o->c != WB_RUN_DIR && o->c != WB_RUN_TMPFS)
        return false;
    char spec[PATH_MAX];
    snprintf(spec, sizeof spec, "%s", o->v);
    size_t n = strlen(spec);
    if (n > 3 && (!strcmp(spec + n - 3, ":ro") || !strcmp(spec + n - 3, ":rw")))
        spec[n - 3] = 0;
    char *c = strchr(spec, ':');
    if (c)
        *c = 0;
    host[0] = 0;
    if (o->c == WB_RUN_DIR) {
        snprintf(host, PATH_MAX, "%s", spec);
        snprintf(guest, PATH_MAX, "%s", c ? c + 1 : spec);
    } else {
        snprintf(guest, PATH_MAX, "%s", spec);
    }
    size_t gl = strlen(guest);
    while (gl > 1 && guest[gl - 1] == '/')
        guest[--gl] = 0;
    return true;
}

/* Is path inside dir (or dir itself)? Returns the rest ("" or "/..."). */
static const char *inside(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    if (!strcmp(dir, "/"))
        return path;
    if (strncmp(path, dir, n) || (path[n] != '/' && path[n] != 0))
        return NULL;
    return path + n;
}

/* Is absolute `path` inside the GUEST side of a user --dir/--tmpfs? */
static int under_user_mount(const char *path, const sandbox_opts *so)
{
    char host[PATH_MAX], guest[PATH_MAX];
    for (int i = 0; i < so->n; i++)
        if (mount_spec(&so->v[i], host, guest) && inside(path, guest))
            return 1;
    return 0;
}

/* The guest path of host file `abs` under the HOST side of a user --dir
 * with an absolute guest path, into out; false if there is none. */
static bool in_user_dir(const char *abs, const sandbox_opts *so, char *out,
                        size_t outlen)
{
    char host[PATH_MAX], guest[PATH_MAX], real[PATH_MAX];
    for (int i = 0; i < so->n; i++) {
        const char *rest;
        if (!mount_spec(&so->v[i], host, guest) || !host[0] ||
            guest[0] != '/' || !realpath(host, real) ||
            !(rest = inside(abs, real)))
            continue;
        snprintf(out, outlen, "%s%s", strcmp(guest, "/") ? guest : "",
                 rest);
        return true;
    }
    return false;
}

/* The guest path of the user's first --dir or --tmpfs, into guest
 * (PATH_MAX); false when there is none. */
static bool first_mount(const sandbox_opts *so, char *guest)
{
    char host[PATH_MAX];
    for (int i = 0; i < so->n; i++)
        if (mount_spec(&so->v[i], host, guest))
            return true;
    return false;
}

/* ---- the script file --------------------------------------------------- */

/* How the guest sees the script: the argument it gets, and the grant of
 * a private directory holding a copy of it alone (removed afterwards). */
typedef struct script {
    int argi;                          /* index in argv, or -1 */
    char arg[PATH_MAX];
    char grant[PATH_MAX * 2 + 8];      /* "TMP:DIR:ro", or "" */
    char tmp[PATH_MAX];                /* the private directory, or "" */
    char copy[PATH_MAX + NAME_MAX + 2];
    pid_t reaper;                      /* see script_reaper, or 0 */
    int reaper_fd;                     /* its pipe's write end */
} script;

/* Removed on SIGINT/SIGTERM/SIGHUP too: the copy must not outlive us. */
static script *volatile live_script;

/* Async-signal-safe: on_signal calls it too. */
static void script_remove(script *s)
{
    live_script = NULL;
    if (s->tmp[0]) {
        unlink(s->copy);
        rmdir(s->tmp);
        s->tmp[0] = 0;
    }
    if (s->reaper > 0) {
        close(s->reaper_fd);
        while (waitpid(s->reaper, NULL, 0) < 0 && errno == EINTR)
            ;
        s->reaper = 0;
    }
}

/* The run locks itself down (docs/os-sandbox.md) and can then no longer
 * remove the copy, which is outside its grants. A process forked now
 * waits until its pipe closes, when we remove the copy ourselves or die
 * however (even killed by the seccomp filter), and removes it. */
static void script_reaper(script *s)
{
    int p[2];
    if (!s->tmp[0] || pipe2(p, O_CLOEXEC) != 0)
        return;
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGINT, SIG_IGN);        /* the terminal's ^C is for us */
        signal(SIGTERM, SIG_IGN);
        signal(SIGHUP, SIG_IGN);
        dup2(p[0], 0);
        close_range(1, ~0u, 0);         /* no one waits on our stdout */
        char c;
        while (read(0, &c, 1) != 0 && errno == EINTR)
            ;
        unlink(s->copy);
        rmdir(s->tmp);
        _exit(0);
    }
    close(p[0]);
    if (pid < 0) {
        close(p[1]);
        return;
    }
    s->reaper = pid;
    s->reaper_fd = p[1];
}

static void on_signal(int sig)
{
    script *s = live_script;
    if (s)
        script_remove(s);
    signal(sig, SIG_DFL);
    raise(sig);
}

static int copy_file(const char *from, const char *to)
{
    int in = open(from, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return -1;
    int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    char buf[65536];
    ssize_t n = -1;
    if (out >= 0)
        while ((n = read(in, buf, sizeof buf)) > 0 &&
               write(out, buf, (size_t)n) == n)
            ;
    int e = errno;
    close(in);
    if (out >= 0 && close(out) != 0 && n == 0) {
        e = errno;
        n = -1;
    }
    errno = e;
    return n == 0 ? 0 : -1;
}

/* Copy the script at host path abs into a new private directory and
 * grant that at abs's directory `dir`. */
static int script_private(script *s, const char *abs, const char *dir)
{
    const char *t = getenv("TMPDIR");
    if (!t || !*t || strchr(t, ':'))
        t = "/tmp";
    snprintf(s->tmp, sizeof s->tmp, "%s/wasmbox-script.XXXXXX", t);
    if (!mkdtemp(s->tmp)) {
        wb_cli_error(s->tmp, "cannot make a directory for the script: %s",
                     strerror(errno));
        s->tmp[0] = 0;
        return 123;
    }
    live_script = s;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGHUP, on_signal);
    char base[NAME_MAX + 1];
    wb_path_basename(abs, base, sizeof base);
    snprintf(s->copy, sizeof s->copy, "%s/%s", s->tmp, base);
    if (copy_file(abs, s->copy)) {
        wb_cli_error(abs, "cannot copy the script: %s", strerror(errno));
        return 127;
    }
    snprintf(s->grant, sizeof s->grant, "%s:%s:ro", s->tmp, dir);
    return 0;
}

/* Find the script argument and decide how the guest sees it. 0, or an
 * exit status after an error message. */
static int script_setup(script *s, scan_kind kind, const sandbox_opts *so,
                        int argc, char **argv)
{
    char abs[PATH_MAX], dir[PATH_MAX];
    struct stat st;
    memset(s, 0, sizeof *s);
    s->argi = find_script(kind, so->end, argc, argv);
    if (s->argi < 0 || stat(argv[s->argi], &st) != 0 ||
        !S_ISREG(st.st_mode) ||
        (argv[s->argi][0] == '/' && under_user_mount(argv[s->argi], so)) ||
        !realpath(argv[s->argi], abs)) {
        s->argi = -1;                  /* the argument goes as it is */
        return 0;
    }
    if (in_user_dir(abs, so, s->arg, sizeof s->arg))
        return 0;
    snprintf(s->arg, sizeof s->arg, "%s", abs);
    wb_path_dirname(abs, dir, sizeof dir);
    if (!strcmp(dir, "/") || inside(dir, "/lib")) {
        wb_cli_error(argv[s->argi], "cannot grant the script's directory %s "
                     "automatically; grant it with --dir HOST:GUEST:ro and "
                     "pass the guest path", dir);
        return 125;
    }
    if (strchr(dir, ':')) {            /* would confuse HOST:GUEST */
        s->argi = -1;
        return 0;
    }
    return script_private(s, abs, dir);
}

/* The image of g: its module, its library grant ("" when none), its
 * pre-initialized snapshot ("" when none, or $WASMBOX_COLD is set) and
 * the guests directory (whose images the guest may start as processes);
 * 0, or an exit status after an error message. */
static int image(const guest_def *g, char *module, size_t mcap, char *lib,
                 size_t lcap, char *snap, size_t scap, char *dir,
                 size_t dcap)
{
    const wb_guest_image *im = wb_guest_image_of(g->lang);
    char *gdir = wb_guests_dir(NULL);
    if (!gdir) {
        wb_cli_error(g->name, "cannot locate the guest images; set "
                     "WASMBOX_GUESTS");
        return 127;
    }
    snprintf(module, mcap, "%s/%s/%s", gdir, im->dir, im->module);
    snprintf(dir, dcap, "%s", gdir);
    lib[0] = 0;
    if (im->lib)
        snprintf(lib, lcap, "%s/%s/%s:/lib:ro", gdir, im->dir, im->lib);
    if (g->lang == WB_LANG_SHELL) {     /* for `python3` in the shell */
        const wb_guest_image *py = wb_guest_image_of(WB_LANG_PYTHON);
        snprintf(lib, lcap, "%s/%s/%s", gdir, py->dir, py->lib);
        if (access(lib, R_OK))
            lib[0] = 0;
        else
            snprintf(lib, lcap, "%s/%s/%s:/lib:ro", gdir, py->dir, py->lib);
    }
    snap[0] = 0;
    const char *cold = getenv("WASMBOX_COLD");
    if (g->lang == WB_LANG_PYTHON && (!cold || !*cold)) {
        snprintf(snap, scap, "%s/%s/%s", gdir, im->dir, WB_PREINIT_FILE);
        if (access(snap, R_OK))
            snap[0] = 0;
    }
    free(gdir);
    if (access(module, R_OK)) {
        wb_cli_error(module, "guest image missing (%s); build it with "
                     "'make guests' or set WASMBOX_GUESTS", strerror(errno));
        return 127;
    }
    return 0;
}

/* The name of a sandbox option ("--dir"). */
static const char *opt_flag(int c)
{
    for (const struct option *l = longopts; l->name; l++)
        if (l->val == c)
            return l->name;
    return "";
}

/* run --x-guest-images DIR --argv0 NAME [--dir LIB:/lib:ro]
 *     [--dir PRIVATE:SCRIPTDIR:ro]
 *     [--env HOME=/] [--stdin -] USER-OPTIONS -- MODULE ARGS...
 * into av (room for argc + 2 * options + 20 entries). */
static int build_argv(const guest_def *g, const sandbox_opts *so,
                      const script *sc, char *module, char *lib, char *snap,
                      char *gdir, int argc, char **argv, char **av,
                      char (*flags)[32], char *cwd)
{
    int n = 0;
    bool has_stdin = has_opt(so, WB_RUN_STDIN, NULL);
    av[n++] = "run";
    /* /bin: docs/processes.md; the shell's tools natively when cached */
    av[n++] = g->scan == SCAN_SH ? "--x-guest-tools" : "--x-guest-images";
    av[n++] = gdir;
    av[n++] = "--argv0";
    av[n++] = (char *)wb_guest_image_of(g->lang)->argv0;
    if (snap[0]) {                      /* used when the run fits it */
        av[n++] = "--x-preinit";
        av[n++] = snap;
    }
    if (lib[0]) {                       /* the first grant: fd 3 */
        av[n++] = "--dir";
        av[n++] = lib;
    }
    if (sc->grant[0]) {
        av[n++] = "--dir";
        av[n++] = (char *)sc->grant;
    }
    if (g->scan == SCAN_NONE && !has_opt(so, WB_RUN_ENV, "HOME")) {
        /* sqlite3 looks for ~/.sqliterc and warns when HOME is unset */
        av[n++] = "--env";
        av[n++] = "HOME=/";
    }
    if (!has_stdin) {
        av[n++] = "--stdin";
        av[n++] = "-";
    }
    if (g->scan == SCAN_SH && !has_opt(so, WB_RUN_ENV, "PATH")) {
        av[n++] = "--env";              /* where the tools are */
        av[n++] = "PATH=/bin";
    }
    if (g->scan == SCAN_SH && !has_opt(so, WB_RUN_CWD, NULL) &&
        first_mount(so, cwd)) {         /* start in the first grant */
        av[n++] = "--cwd";
        av[n++] = cwd;
    }
    if (!has_opt(so, 'T', NULL)) {      /* docs/native-tier.md "Guests" */
        av[n++] = "--tier";
        av[n++] = "cached";
    }
    for (int k = 0; k < so->n; k++) {
        snprintf(flags[k], sizeof flags[k], "--%s", opt_flag(so->v[k].c));
        av[n++] = flags[k];
        if (so->v[k].v)                 /* --no-os-sandbox has none */
            av[n++] = (char *)so->v[k].v;
    }
    av[n++] = "--";
    av[n++] = module;
    /* The sandbox shows stdio to the guest as terminals; the SQLite shell
     * would then prompt and print its banner for piped input. */
    if (g->scan == SCAN_NONE && (has_stdin || !isatty(0)))
        av[n++] = "-batch";
    for (int k = so->end; k < argc; k++)
        av[n++] = k == sc->argi ? (char *)sc->arg : argv[k];
    av[n] = NULL;
    return n;
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
    char module[PATH_MAX + 64], lib[PATH_MAX + 64], snap[PATH_MAX + 64];
    char gdir[PATH_MAX];
    sandbox_opts so = { 0 };
    script sc = { .argi = -1 };
    char **av = NULL;
    char (*flags)[32] = NULL;
    int rc = image(g, module, sizeof module, lib, sizeof lib, snap,
                   sizeof snap, gdir, sizeof gdir);
    if (!rc)
        rc = parse_sandbox(g, argc, argv, &so);
    if (!rc)
        rc = script_setup(&sc, g->scan, &so, argc, argv);
    if (!rc) {
        av = calloc((size_t)argc + 2 * (size_t)so.n + 20, sizeof *av);
        flags = calloc((size_t)so.n + 1, sizeof *flags);
        if (!av || !flags) {
            wb_cli_error(name, "out of memory");
            rc = 123;
        }
    }
    if (!rc) {
        char cwd[PATH_MAX];
        int n = build_argv(g, &so, &sc, module, lib, snap, gdir, argc, argv,
                           av, flags, cwd);
        script_reaper(&sc);
        rc = wb_cli_run(n, av);
    }
    free(av);
    free(flags);
    free(so.v);
    free(so.packages);
    script_remove(&sc);
    return rc;
}

/* `wasmbox guest-snapshot [python]`: python/python.snap from
 * python/python.wasm of the guests directory (make guests runs it). */
int wb_cli_guest_snapshot(int argc, char **argv)
{
    if (argc > 2 || (argc == 2 && strcmp(argv[1], "python"))) {
        wb_cli_error("guest-snapshot", "usage: wasmbox guest-snapshot "
                     "[python] (the only guest with a snapshot)");
        return 125;
    }
    const wb_guest_image *im = wb_guest_image_of(WB_LANG_PYTHON);
    char *gdir = wb_guests_dir(NULL);
    if (!gdir) {
        wb_cli_error("guest-snapshot", "cannot locate the guest images; "
                     "set WASMBOX_GUESTS");
        return 127;
    }
    char module[PATH_MAX + 64], lib[PATH_MAX + 64], out[PATH_MAX + 64];
    snprintf(module, sizeof module, "%s/%s/%s", gdir, im->dir, im->module);
    snprintf(lib, sizeof lib, "%s/%s/%s", gdir, im->dir, im->lib);
    snprintf(out, sizeof out, "%s/%s/%s", gdir, im->dir, WB_PREINIT_FILE);
    free(gdir);
    wb_error err = { 0 };
    if (wb_preinit_build(module, lib, out, &err) != WB_OK) {
        wb_cli_error(out, "%s", err.message);
        return err.status == WB_E_IO || err.status == WB_E_NOT_FOUND ? 127
               : 123;
    }
    printf("%s\n", out);
    return 0;
}
