/*
 * run.c: `wasmbox run [OPTIONS] MODULE [ARGS...]`. Parses grants and the
 * budget into a wb_sandbox_config, runs the module with wb_sandbox_run and
 * turns the outcome into the exit statuses of docs/exit-codes.md.
 */
#include "cli.h"
#include "common/path.h"
#include "engine/native.h"
#include "proc/proc.h"
#include "sandbox/oslock.h"
#include "sandbox/preinit.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* src/wasi/resolve.c: resolve paths by the component walk even where
 * openat2(2) exists, so tests can exercise the fallback. Undocumented. */
void wb_resolve_force_walk(bool on);

enum { RUN_USAGE = 125, RUN_REJECTED = 126, RUN_UNREADABLE = 127,
       RUN_OS_SANDBOX = 122 };

static const char run_help[] =
    "usage: wasmbox run [OPTIONS] MODULE [ARGS...]\n"
    "\n"
    "Run a WASI (wasi_snapshot_preview1) command module in the sandbox.\n"
    "The guest starts with nothing: no files, no environment variables,\n"
    "empty stdin. Options grant exactly what it may use. Options stop at\n"
    "MODULE; everything after it is passed to the guest as arguments.\n"
    "\n"
    "capabilities:\n"
    "  --dir HOST[:GUEST][:ro]  grant host directory HOST at guest path GUEST\n"
    "                           (default: same as HOST); ':ro' refuses every\n"
    "                           write with EROFS. Paths never resolve outside\n"
    "                           it ('..', symlinks, /proc links), and symlinks\n"
    "                           the guest makes must point inside it\n"
    "                           (docs/grants.md). FIFOs and devices in it\n"
    "                           work, within --timeout.\n"
    "  --tmpfs GUEST[:SIZE]     an empty in-memory writable directory at GUEST,\n"
    "                           gone after the run (default SIZE: 64M of host\n"
    "                           memory: 4K per page of file data, holes free,\n"
    "                           and 256 bytes per file, directory or link;\n"
    "                           when full, writes fail with ENOSPC); links\n"
    "                           and symlinks work as in --dir, inside it\n"
    "  --env NAME=VALUE         set a guest environment variable\n"
    "  --env NAME               pass the host's NAME (nothing else passes)\n"
    "  --allow-host RULE        let the guest make HTTP(S) requests (the\n"
    "                           wasmbox_http imports, docs/network.md) to\n"
    "                           what RULE names; repeatable. RULE is\n"
    "                           [http://]HOST[:PORT]: a name, *.SUFFIX, an\n"
    "                           address or a CIDR range ([IPv6]); https on\n"
    "                           443 unless it says http:// (port 80) or a\n"
    "                           port. Loopback, private, link-local and\n"
    "                           other non-public addresses are refused\n"
    "                           unless an address or range rule names them.\n"
    "                           Without a rule there is no network\n"
    "  --stdin FILE|-           guest stdin from FILE, or '-' for the host's\n"
    "                           stdin; without it stdin is empty\n"
    "  --argv0 NAME             guest argv[0] (default: MODULE's basename)\n"
    "  --image NAME=MODULE      the module file MODULE as /bin/NAME: the\n"
    "                           guest may start it as a process (spawn,\n"
    "                           exec; docs/processes.md) under the same\n"
    "                           grants and budget; repeatable\n"
    "  --cwd DIR                the working directory of a guest that asks\n"
    "                           for one (the shell and tools: wasmbox_proc.cwd,\n"
    "                           docs/processes.md) [/]\n"
    "  --policy FILE            grants and budget from a policy file\n"
    "                           (docs/policy.example.yaml); the other options\n"
    "                           add grants and override its budget values\n"
    "  '/' lists the grants, read-only; paths outside them are not found,\n"
    "  but /dev/null (writes vanish, reads are at end of file).\n"
    "  Relative guest paths resolve from '/': grant a directory at '/'\n"
    "  (e.g. --dir .:/) for programs that use relative paths.\n"
    "\n"
    "budget (every run is bounded; defaults in brackets):\n"
    "  --max-memory SIZE        linear memory + tables [256M]\n"
    "  --fuel N                 instructions' fuel; bulk memory and table\n"
    "                           operations also pay 1 per 64 bytes [unlimited]\n"
    "  --timeout DURATION       wall clock, also ends sleeps, polls, reads\n"
    "                           and writes (stdio, FIFOs, devices, sockets);\n"
    "                           0 means none [10s]\n"
    "  --max-output SIZE        stdout + stderr bytes; the run ends at the\n"
    "                           limit with outcome output-limit [16M]\n"
    "  --max-disk SIZE          bytes written into --dir and --tmpfs grants,\n"
    "                           plus any hole a write opens past the end of\n"
    "                           a file (and growth by truncate or allocate);\n"
    "                           each file, directory or link made: 4K; the\n"
    "                           run ends with outcome disk-limit [64M]\n"
    "  --max-files N            open guest fds, stdio included; at most\n"
    "                           1024, and fd numbers stay below 1024 [256]\n"
    "  --max-stack N            nested wasm calls [10000]\n"
    "  --max-processes N        guest processes at once, the guest itself\n"
    "                           and zombies included (wasmbox_proc spawn\n"
    "                           and fork, docs/processes.md); one more is\n"
    "                           refused with EAGAIN. Every process shares\n"
    "                           this budget: memory summed, one fuel pool,\n"
    "                           output and disk counted once, one deadline\n"
    "                           [16]\n"
    "  --max-requests N         HTTP requests, each redirect counting [64]\n"
    "  --max-response SIZE      body bytes of one HTTP response; read\n"
    "                           answers TOO_LARGE past it [16M]\n"
    "  --net-timeout DURATION   one HTTP request, to the end of its body;\n"
    "                           the guest gets TIMEOUT [30s]\n"
    "  SIZE takes K, M, G, T (x1024; KB/KiB alike); DURATION ms, s, m, h\n"
    "  (a bare number means seconds).\n"
    "\n"
    "OS sandbox (on by default; see below for this kernel):\n"
    "  Once the module is loaded and the grants are open, before any guest\n"
    "  code runs, wasmbox locks itself down, so that a guest which broke\n"
    "  the engine still cannot leave the grants: rlimits, privileges,\n"
    "  no_new_privs, Landlock, a seccomp allowlist (docs/os-sandbox.md).\n"
    "  If a layer this kernel has fails to apply, the guest does not run\n"
    "  (exit status 122); a layer the kernel lacks is skipped with one\n"
    "  warning line.\n"
    "  --no-os-sandbox          do not lock the process down (debugging;\n"
    "                           the grants and budget still hold)\n"
    "  --os-user USER           started as root: the user to drop to when\n"
    "                           it can use every grant [nobody]; 'root'\n"
    "                           keeps uid 0 (capabilities are still reduced)\n"
    "\n"
    "tier (docs/native-tier.md):\n"
    "  --tier auto|interp|native|cached\n"
    "                           auto (default): machine code from the code\n"
    "                           cache when it holds the module's, else the\n"
    "                           interpreter now and a compilation in the\n"
    "                           background (lowest priority) for later runs;\n"
    "                           interp: the interpreter only; native: the\n"
    "                           cached code, else compile now with LLVM\n"
    "                           (libwasmbox-native.so) and cache it; a module\n"
    "                           it cannot compile is rejected (126); cached:\n"
    "                           the cached code, else the interpreter, and\n"
    "                           no compilation (the language commands'\n"
    "                           default)\n"
    "  --native-code FILE       the machine code `wasmbox compile -o FILE`\n"
    "                           wrote, instead of the cache\n"
    "  A cache file or FILE that is stale, foreign, corrupted or writable by\n"
    "  other users is refused with one line; the run goes on in the\n"
    "  interpreter (native: compiles afresh).\n"
    "\n"    "report:\n"
    "  --report FILE|-          write a JSON report (outcome, exit_code, trap,\n"
    "                           backtrace, fuel_used, peak_memory,\n"
    "                           wall_time_ms, stdout/stderr/disk bytes,\n"
    "                           truncation flags, processes, killed, tier)\n"
    "                           to FILE, or '-' for stderr\n"
    "\n"
    "exit status:\n"
    "  0-255  the guest's exit code (proc_exit, or 0 when _start returns)\n"
    "  118    disk-limit       119  output-limit     120  memory\n"
    "  121    fuel             124  timeout          134  trap\n"
    "  122    the OS sandbox could not be applied (the guest did not run)\n"
    "  123    internal error   125  bad usage or grant\n"
    "  159    killed by the OS sandbox (SIGSYS: a forbidden system call)\n"
    "  126    module rejected (malformed, invalid, over an implementation\n"
    "         limit such as too many locals, unknown import, no _start)\n"
    "  127    module file cannot be read\n"
    "  128+N  killed by signal N sent by another process of its tree\n"
    "         (outcome exited; one line on stderr says which)\n"
    "  A guest may exit with any of these codes itself; the report's\n"
    "  \"outcome\" always tells which it was.\n";

typedef struct run_opts {
    wb_sandbox_config cfg;
    const char *module;
    const char *report;
    const char *stdin_path;
    const char *argv0;
    const char *os_user;
    const char *preinit;       /* --x-preinit SNAPSHOT, or NULL */
    bool no_os_sandbox;
    wb_cli_tier tier;
    const char *native_code;
    bool ran_native;            /* machine code, not the interpreter */
    wb_oslock *lock;
    FILE *report_fp;
    const char **images;        /* --image NAME=MODULE, in order */
    const char *guests_dir;     /* --x-guest-images DIR: its standard
                                   images (wb_images_add_guests) */
    bool guest_tools;           /* --x-guest-tools DIR: the same, with
                                   the shell and tools decoded before the
                                   lock-down and run from cached machine
                                   code when there is some (wasmbox sh;
                                   the tools do not fork) */
    size_t nimages;
} run_opts;

static int usage(const char *fmt, const char *a, const char *b)
{
    char msg[512];
    snprintf(msg, sizeof msg, fmt, a, b);
    wb_cli_error("run", "%s (try 'wasmbox run --help')", msg);
    return RUN_USAGE;
}

/* "HOST[:GUEST][:ro]"; a trailing ":rw" is accepted too. */
static int opt_dir(run_opts *o, const char *v)
{
    char *s = strdup(v);
    bool ro = false;
    if (!s)
        return usage("out of memory", "", "");
    size_t n = strlen(s);
    if (n > 3 && (!strcmp(s + n - 3, ":ro") || !strcmp(s + n - 3, ":rw"))) {
        ro = s[n - 2] == 'r' && s[n - 1] == 'o';
        s[n - 3] = 0;
    }
    char *colon = strchr(s, ':');
    const char *guest = colon ? colon + 1 : s;
    if (colon)
        *colon = 0;
    struct stat st;
    int rc = 0;
    if (!*s || !*guest)
        rc = usage("--dir '%s': expected HOST[:GUEST][:ro]", v, "");
    else if (stat(s, &st) != 0)
        rc = usage("--dir %s: %s", s, strerror(errno));
    else if (!S_ISDIR(st.st_mode))
        rc = usage("--dir %s: %s", s, strerror(ENOTDIR));
    else if (wb_config_add_dir(&o->cfg, s, guest, ro) != WB_OK)
        rc = usage("out of memory", "", "");
    free(s);
    return rc;
}

static int opt_tmpfs(run_opts *o, const char *v)
{
    char *s = strdup(v);
    uint64_t size = 64ull << 20;
    int rc = 0;
    if (!s)
        return usage("out of memory", "", "");
    char *colon = strchr(s, ':');
    if (colon)
        *colon = 0;
    if (!*s || (colon && !wb_parse_size(colon + 1, &size)))
        rc = usage("--tmpfs '%s': expected GUEST[:SIZE]", v, "");
    else if (wb_config_add_tmpfs(&o->cfg, s, size) != WB_OK)
        rc = usage("out of memory", "", "");
    free(s);
    return rc;
}

static int opt_env(run_opts *o, const char *v)
{
    if (!*v || *v == '=')
        return usage("--env '%s': expected NAME=VALUE or NAME", v, "");
    if (strchr(v, '='))
        return wb_config_add_env(&o->cfg, v, NULL) ? usage("bad --env", "", "") : 0;
    const char *host = getenv(v);
    if (!host)
        return 0;                       /* unset on the host: stays unset */
    return wb_config_add_env(&o->cfg, v, host) ? usage("bad --env", "", "") : 0;
}

static int opt_allow(run_opts *o, const char *v)
{
    char msg[300];
    if (wb_net_allow(&o->cfg.budget.net, v, msg, sizeof msg) != WB_OK)
        return usage("--allow-host: %s", msg, "");
    return 0;
}

/* --image NAME=MODULE: the file as /bin/NAME for the guest's spawn and
 * exec; the images are registered (and decoded) once the tier is known,
 * in prepare_images. */
static int opt_image(run_opts *o, const char *v)
{
    const char *eq = strchr(v, '=');
    if (!eq || eq == v || !eq[1] || memchr(v, '/', (size_t)(eq - v)))
        return usage("--image '%s': expected NAME=MODULE (a name without "
                     "'/')", v, "");
    const char **nv = realloc(o->images, (o->nimages + 1) * sizeof *nv);
    if (!nv)
        return usage("out of memory", "", "");
    o->images = nv;
    o->images[o->nimages++] = v;
    return 0;
}

/* indexed by wb_cli_tier */
static const char *const tier_names[] = { "auto", "interp", "native",
                                          "cached" };

static const struct option longopts[] = {
    WB_RUN_OPTIONS,
    { "help", no_argument, NULL, 'h' },
    { "x-resolve-walk", no_argument, NULL, 'W' },   /* tests: the fallback */
    { "tier", required_argument, NULL, 'T' },
    { "x-preinit", required_argument, NULL, 'P' },  /* `wasmbox python` */
    { "native-code", required_argument, NULL, 'N' },
    { "image", required_argument, NULL, 'I' },
    { "x-guest-images", required_argument, NULL, 'G' },  /* language cmds */
    { "x-guest-tools", required_argument, NULL, 'B' },   /* wasmbox sh */
    { NULL, 0, NULL, 0 }
};

/* The option's name as given ("--fuel"), for messages. */
static const char *opt_name(int c)
{
    static char name[32];
    for (const struct option *l = longopts; l->name; l++)
        if (l->val == c)
            snprintf(name, sizeof name, "--%s", l->name);
    return name;
}

static int opt_count(int c, const char *v, uint64_t max, uint64_t *out)
{
    if (!wb_cli_count(v, 0, max, out))
        return usage("%s: bad number '%s'", opt_name(c), v);
    return 0;
}

static int opt_size(int c, const char *v, uint64_t *out)
{
    return wb_parse_size(v, out) ? 0 : usage("%s: bad size '%s'",
                                             opt_name(c), v);
}

/* One budget option. */
static int opt_budget(run_opts *o, int c, const char *v)
{
    wb_budget *b = &o->cfg.budget;
    uint64_t n = 0;
    int rc;
    switch (c) {
    case WB_RUN_MAX_MEMORY: return opt_size(c, v, &b->max_memory);
    case WB_RUN_MAX_OUTPUT: return opt_size(c, v, &b->max_output);
    case WB_RUN_MAX_DISK: return opt_size(c, v, &b->max_disk);
    case WB_RUN_TIMEOUT:
        return wb_parse_duration(v, &b->timeout_ms) ? 0
               : usage("%s: bad duration '%s'", opt_name(c), v);
    case WB_RUN_FUEL:
        if (!(rc = opt_count(c, v, INT64_MAX, &n)))
            b->fuel = (int64_t)n;
        return rc;
    case WB_RUN_MAX_RESPONSE: return opt_size(c, v, &b->net.max_response);
    case WB_RUN_NET_TIMEOUT:
        return wb_parse_duration(v, &b->net.timeout_ms) ? 0
               : usage("%s: bad duration '%s'", opt_name(c), v);
    case WB_RUN_MAX_REQUESTS:
    case WB_RUN_MAX_FILES:
    case WB_RUN_MAX_STACK:
        if (!(rc = opt_count(c, v, UINT32_MAX, &n)))
            *(c == WB_RUN_MAX_FILES ? &b->max_files
              : c == WB_RUN_MAX_STACK ? &b->max_stack
              : &b->net.max_requests) = (uint32_t)n;
        return rc;
    case WB_RUN_MAX_PROCESSES:
        if (!(rc = opt_count(c, v, 4096, &n)) && n == 0)
            rc = usage("%s: must be at least 1 (the guest itself)",
                       opt_name(c), "");
        b->max_processes = (uint32_t)n;
        return rc;
    }
    return usage("unknown option '%s'", opt_name(c), "");
}

static int opt_one(run_opts *o, int c, const char *v)
{
    switch (c) {
    case WB_RUN_DIR: return opt_dir(o, v);
    case WB_RUN_TMPFS: return opt_tmpfs(o, v);
    case WB_RUN_ENV: return opt_env(o, v);
    case WB_RUN_STDIN: o->stdin_path = v; return 0;
    case WB_RUN_REPORT: o->report = v; return 0;
    case WB_RUN_ARGV0: o->argv0 = v; return 0;
    case WB_RUN_CWD:
        return wb_config_set_cwd(&o->cfg, v) == WB_OK ? 0
               : usage("%s: '%s' is not an absolute guest path",
                       opt_name(c), v);
    case WB_RUN_POLICY: return 0;               /* see apply_policy */
    case WB_RUN_NO_OS_SANDBOX: o->no_os_sandbox = true; return 0;
    case WB_RUN_OS_USER: o->os_user = v; return 0;
    case WB_RUN_ALLOW_HOST: return opt_allow(o, v);
    case 'W': wb_resolve_force_walk(true); return 0;
    case 'N': o->native_code = v; return 0;
    case 'T':
        for (int t = 0; t < 4; t++)
            if (!strcmp(v, tier_names[t])) {
                o->tier = (wb_cli_tier)t;
                return 0;
            }
        return usage("--tier: expected auto, interp, native or cached, got "
                     "'%s'", v, "");
    case 'P': o->preinit = v; return 0;
    case 'I': return opt_image(o, v);
    case 'G': o->guests_dir = v; return 0;
    case 'B': o->guests_dir = v; o->guest_tools = true; return 0;
    }
    return opt_budget(o, c, v);
}

/* --policy FILE is applied before every other option wherever it
 * appears, so the flags given with it override (or add to) the policy.
 * Returns -1 for --help, 0, or an exit status. */
static int apply_policy(run_opts *o, int argc, char **argv)
{
    wb_cli_opts g;
    int c;
    wb_cli_opts_begin(&g, argc, argv, "+:h", longopts);
    while ((c = wb_cli_opt(&g)) != -1) {
        if (c == '?' || c == ':')
            return wb_cli_opt_error(&g, c, "run", RUN_USAGE);
        if (c == 'h')
            return -1;
        wb_error err = { 0 };
        if (c == WB_RUN_POLICY &&
            wb_policy_load(optarg, &o->cfg, NULL, &err) != WB_OK) {
            wb_cli_error("run", "%s", err.message);
            return RUN_USAGE;
        }
    }
    return 0;
}

/* The other options; `*first` is the index of MODULE. */
static int parse(run_opts *o, int argc, char **argv, int *first)
{
    wb_cli_opts g;
    int c, rc;
    wb_cli_opts_begin(&g, argc, argv, "+:h", longopts);
    while ((c = wb_cli_opt(&g)) != -1)
        if ((rc = opt_one(o, c, optarg)))
            return rc;
    if (optind >= argc)
        return usage("missing MODULE", "", "");
    *first = optind;
    return 0;
}

/* The report file is opened before the lock-down (it is outside the
 * grants); wb_cli_run closes it. */
static void open_report(run_opts *o)
{
    if (o->report && strcmp(o->report, "-") && !o->report_fp)
        o->report_fp = fopen(o->report, "w");
}

static void write_report(run_opts *o, const wb_run_result *res)
{
    if (!o->report)
        return;
    size_t n = wb_run_result_json(res, NULL, 0);
    char *buf = malloc(n + 32);
    if (!buf)
        return;
    wb_run_result_json(res, buf, n + 1);
    /* which tier ran: known here (tier.c), not to the library's report */
    if (n >= 2 && buf[n - 2] == '}')
        snprintf(buf + n - 2, 32, ",\"tier\":\"%s\"}\n",
                 o->ran_native ? "native" : "interp");
    if (!strcmp(o->report, "-")) {
        fputs(buf, stderr);
    } else {
        open_report(o);
        FILE *f = o->report_fp;
        if (!f || fputs(buf, f) < 0 || fflush(f) != 0)
            wb_cli_error(o->report, "cannot write report: %s", strerror(errno));
    }
    free(buf);
}



/* Load errors end here too, so a report exists for every run. */
static int fail_early(run_opts *o, wb_status st, const char *what,
                      const char *msg)
{
    wb_run_result res = { .outcome = WB_OUTCOME_ERROR, .status = st };
    snprintf(res.message, sizeof res.message, "%s", msg);
    wb_cli_error(what, "%s", msg);
    write_report(o, &res);
    return wb_run_exit_status(&res);
}

static int load_failed(run_opts *o, wb_status st, const wb_error *err)
{
    char msg[600];
    snprintf(msg, sizeof msg, "%s: %s", wb_status_name(st), err->message);
    return fail_early(o, st, o->module, msg);
}

/* The tier of module m (the module's own, or a snapshot's: a snapshot is
 * memory state, which either tier runs from), before the lock-down:
 * mapping code, compiling, forking the background compilation. */
static int prepare_tier(run_opts *o, wb_module *m)
{
    wb_error err = { 0 };
    /* only interpreted frames can be copied (docs/processes.md) */
    wb_cli_tier tier = wb_module_imports_fork(m) ? WB_TIER_INTERP : o->tier;
    wb_status st = wb_cli_tier_prepare(m, o->module, tier, o->native_code,
                                       &err);
    o->ran_native = st == WB_OK && wb_module_is_native(m);
    return st == WB_OK ? 0 : load_failed(o, st, &err);
}

static int load(run_opts *o, wb_module **m)
{
    char why[256];
    size_t len = 0;
    uint8_t *bytes = wb_cli_read_file(o->module, &len, why, sizeof why);
    if (!bytes)
        return fail_early(o, WB_E_IO, o->module, why);
    wb_error err = { 0 };
    wb_status st = wb_module_new(bytes, len, m, &err);
    free(bytes);
    return st == WB_OK ? prepare_tier(o, *m) : load_failed(o, st, &err);
}

static int open_stdin(run_opts *o)
{
    if (!o->stdin_path)
        return 0;
    if (!strcmp(o->stdin_path, "-")) {
        o->cfg.stdin_fd = 0;
        return 0;
    }
    /* O_NONBLOCK only for the open itself: a FIFO must not hang us here */
    int fd = open(o->stdin_path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return usage("--stdin %s: %s", o->stdin_path, strerror(errno));
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    o->cfg.stdin_fd = fd;
    return 0;
}

/* The --image files, opened and decoded before the lock-down (their
 * paths are outside the grants), in the run's tier; after the standard
 * images of --x-guest-images, so that they can replace one. An image
 * that is the run's own module file (sh for `wasmbox sh`) is the module
 * m already decoded (NULL: a snapshot's run, none). */
static int prepare_images(run_opts *o, wb_module *m)
{
    if (!o->nimages && !o->guests_dir)
        return 0;
    if (!(o->cfg.images = wb_images_new()))
        return fail_early(o, WB_E_NOMEM, "--image", "out of memory");
    wb_error gerr = { 0 };
    if (m && wb_images_seed(o->cfg.images, o->module, m, &gerr) != WB_OK)
        return fail_early(o, gerr.status, o->module, gerr.message);
    /* the language commands' /bin: decoded when first started, so in
       the interpreter (no code is mapped after the lock-down) */
    unsigned gflags = o->guest_tools
        ? WB_IMAGE_PRELOAD | (o->tier == WB_TIER_INTERP ? 0 : WB_IMAGE_NATIVE)
        : 0;
    if (o->guests_dir && wb_images_add_guests(o->cfg.images, o->guests_dir,
                                              gflags, &gerr) != WB_OK &&
        gerr.status != WB_E_NOT_FOUND)
        return fail_early(o, gerr.status, o->guests_dir, gerr.message);
    unsigned flags = WB_IMAGE_PRELOAD |
                     (o->tier == WB_TIER_INTERP ? 0 : WB_IMAGE_NATIVE);
    for (size_t i = 0; i < o->nimages; i++) {
        char name[80];
        const char *eq = strchr(o->images[i], '=');
        snprintf(name, sizeof name, "%.*s", (int)(eq - o->images[i]),
                 o->images[i]);
        wb_error err = { 0 };
        wb_status st = wb_images_add(o->cfg.images, name, eq + 1, flags,
                                     &err);
        if (st != WB_OK)
            return fail_early(o, st, eq + 1, err.message);
    }
    return 0;
}

/* Prepared now, while /etc/passwd and the grants' paths can still be
 * read; wb_sandbox_run applies it once the grants are open. */
static int prepare_lock(run_opts *o)
{
    if (o->no_os_sandbox)
        return 0;
    open_report(o);
    /* each process of the tree has its own table of max_files */
    uint64_t files = (uint64_t)o->cfg.budget.max_files *
                     (o->cfg.budget.max_processes ? o->cfg.budget.max_processes
                                                  : 1) + 64;
    wb_oslock_opts lo = {
        .max_files = files > UINT32_MAX ? UINT32_MAX : (unsigned)files,
        .user = o->os_user,
        .net = &o->cfg.budget.net,
    };
    wb_error err = { 0 };
    if (wb_oslock_new(&lo, o->cfg.grants, o->cfg.ngrants, &o->lock, &err)) {
        wb_cli_error("os sandbox", "%s", err.message);
        return RUN_OS_SANDBOX;
    }
    o->cfg.os_lock = o->lock;
    return 0;
}

static int finish(run_opts *o, wb_run_result *res)
{
    if (wb_oslock_failed(o->lock)) {
        wb_cli_error(NULL, "%s (the guest did not run; --no-os-sandbox "
                     "runs without it)", res->message);
        write_report(o, res);
        return RUN_OS_SANDBOX;
    }
    if (res->outcome == WB_OUTCOME_ERROR) {
        const char *kind = res->status == WB_E_LINK ? "link error: "
                           : res->status == WB_E_IMPL_LIMIT
                           ? "implementation limit: " : "";
        wb_cli_error(o->module, "%s%s", kind, res->message);
    } else if (res->outcome != WB_OUTCOME_EXITED) {
        const char *name = wb_outcome_name(res->outcome);
        if (!strcmp(name, res->message))
            wb_cli_error(o->module, "%s", name);
        else
            wb_cli_error(o->module, "%s: %s", name, res->message);
        int shown = 0;                    /* deep recursion: keep it short */
        for (const char *bt = res->backtrace; *bt && shown < 12; shown++) {
            size_t n = strcspn(bt, "\n");
            fprintf(stderr, "  %.*s\n", (int)n, bt);
            bt += n + (bt[n] == '\n');
        }
    } else if (res->killed_signal) {
        wb_cli_error(o->module, "%s", res->message);
    }
    write_report(o, res);
    return wb_run_exit_status(res);
}

static int prepare_args(run_opts *o, int argc, char **argv, int first)
{
    char base[PATH_MAX];
    const char *a0 = o->argv0;
    if (!a0 && wb_path_basename(o->module, base, sizeof base))
        a0 = base;
    if (wb_config_add_arg(&o->cfg, a0 ? a0 : o->module))
        return usage("out of memory", "", "");
    for (int i = first + 1; i < argc; i++)
        if (wb_config_add_arg(&o->cfg, argv[i]))
            return usage("out of memory", "", "");
    return 0;
}

/* --x-preinit SNAPSHOT (given by `wasmbox python` when the image has
 * one): the module and its snapshot, or 0 with *snap NULL for a cold
 * start, after one line saying why when the snapshot is refused (stale:
 * another module or wasmbox version; damaged). */
static int load_preinit(run_opts *o, wb_snapshot **snap)
{
    wb_error err = { 0 };
    *snap = NULL;
    if (wb_preinit_unfit(&o->cfg))
        return 0;
    if (wb_preinit_open(o->module, o->preinit, snap, &err) == WB_OK)
        return 0;
    wb_cli_error(o->preinit, "%s; starting cold (rebuild it with 'make "
                 "guest-snapshots')", err.message);
    return 0;
}

int wb_cli_run(int argc, char **argv)
{
    run_opts o = { 0 };
    wb_module *m = NULL;
    int first = 0;
    wb_sandbox_config_init(&o.cfg);
    int rc = apply_policy(&o, argc, argv);
    if (!rc)
        rc = parse(&o, argc, argv, &first);
    if (rc == -1) {
        char layers[2048];
        wb_oslock_describe(layers, sizeof layers);
        printf("%s\nOS sandbox layers on this kernel:\n%s", run_help,
               layers);
        rc = 0;
        goto out;
    }
    if (rc)
        goto out;
    o.module = argv[first];
    wb_snapshot *snap = NULL;
    if ((rc = prepare_args(&o, argc, argv, first)) || (rc = open_stdin(&o)))
        goto out;
    if (o.preinit)
        load_preinit(&o, &snap);
    if ((snap && (rc = prepare_tier(&o, wb_snapshot_module(snap)))) ||
        (!snap && (rc = load(&o, &m))) || (rc = prepare_images(&o, m)) ||
        (rc = prepare_lock(&o)))
        goto out;
    /* a closed stdout must become EPIPE for the guest, not kill us */
    signal(SIGPIPE, SIG_IGN);
#ifndef WB_OSLOCK_SANITIZER
    /* this process ends soon after the run, which nothing after it uses; in
     * sanitizer builds everything is freed, so that LeakSanitizer checks
     * the run's own frees */
    o.cfg.exits_after = true;
#endif
    wb_run_result res;
    wb_error err = { 0 };
    if (snap)
        wb_preinit_run(&o.cfg, snap, &res, &err);
    else
        wb_sandbox_run(&o.cfg, m, &res, &err);
    rc = finish(&o, &res);
out:
    if (!o.cfg.exits_after) {          /* else the exit frees them */
        wb_snapshot_free(snap);
        if (m)
            wb_module_release(m);
    }
    wb_oslock_free(o.lock);
    if (!o.cfg.exits_after)
        wb_images_free(o.cfg.images);
    free(o.images);
    if (o.report_fp)
        fclose(o.report_fp);
    if (o.cfg.stdin_fd > 0)
        close(o.cfg.stdin_fd);
    wb_sandbox_config_free(&o.cfg);
    return rc;
}
