/* serve.c: `wasmbox serve`, the command line of the HTTP API
 * (src/server/http*.c): options, key files, then wb_http_serve. */
#include "cli.h"
#include "server/http.h"
#include "sandbox/oslock.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* src/wasi/resolve.c (as in run.c): the component walk even where
 * openat2(2) exists; set before the zygote, so every worker inherits it. */
void wb_resolve_force_walk(bool on);

static const char serve_help[] =
    "usage: wasmbox serve --listen ADDR:PORT [OPTIONS]\n"
    "\n"
    "Serve the HTTP API (docs/openapi.json): POST /v1/run runs Python,\n"
    "JavaScript, Lua, SQL or a wasm module once; /v1/sessions/... keeps a\n"
    "workspace and interpreter state between steps. Every request runs in\n"
    "its own sandbox under the policy's budget; a request's \"limits\" can\n"
    "only tighten it (asking for more is a 400 naming the field).\n"
    "\n"
    "options:\n"
    "  --listen ADDR:PORT      address to listen on (port 0: any free port;\n"
    "                          the chosen one is printed on stderr)\n"
    "  --policy FILE           deny-by-default policy (docs/policy.example.yaml)\n"
    "  --api-keys FILE         API keys, one per line, optionally 'name:KEY';\n"
    "                          '#' starts a comment. Also read from\n"
    "                          $WASMBOX_API_KEYS (comma-separated). Clients\n"
    "                          send 'Authorization: Bearer KEY'. Sessions\n"
    "                          belong to the key's name: a key without one is\n"
    "                          keyN (the N-th key); names and keys must be\n"
    "                          unique, and keyN cannot be given as a name\n"
    "  --insecure-no-auth      no API keys (only on a loopback address)\n"
    "  --workers N             requests run at once (default: CPUs, min 2)\n"
    "  --max-body BYTES        largest request body (default 16M) -> 413\n"
    "  --max-concurrent-per-key N\n"
    "                          requests in flight per key (default 8) -> 429\n"
    "  --max-running-per-key N requests of one key on workers at once; the\n"
    "                          others wait in the key's queue, and the keys'\n"
    "                          queues are served round-robin (default: the\n"
    "                          workers, minus one when there are several keys)\n"
    "  --max-sessions N        open sessions in this server (default 64) -> 429\n"
    "  --max-sessions-per-key N\n"
    "                          open sessions per key (default: --max-sessions\n"
    "                          divided by the number of keys, by 4 when there\n"
    "                          are more) -> 429\n"
    "  --header-timeout DURATION\n"
    "                          the longest a connection may wait for its\n"
    "                          request's headers (from its start, or the end\n"
    "                          of its previous request); closed past it\n"
    "                          (default 10s; 0: none)\n"
    "  --request-timeout DURATION\n"
    "                          the longest a request may take to arrive\n"
    "                          (headers and body; a kept-alive connection's\n"
    "                          wait for it counts) and its answer to leave,\n"
    "                          not counting its run; the connection is closed\n"
    "                          past it (default 60s; 0: none)\n"
    "  --max-connections N     connections open at once (default 1000, less\n"
    "                          when ulimit -n is too low for it). Past it, a\n"
    "                          new connection closes the one that has waited\n"
    "                          longest for its request, never one whose\n"
    "                          request has an API key's slot: idle\n"
    "                          connections cannot lock clients out\n"
    "  --max-connections-per-client N\n"
    "                          connections open at once from one client\n"
    "                          address; more are closed at once (default: 0,\n"
    "                          none, on a loopback address, where every\n"
    "                          client is 127.0.0.1; 64 on others; behind a\n"
    "                          proxy, every client is the proxy)\n"
    "  --state-dir DIR         where sessions live (default $WASMBOX_STATE_DIR,\n"
    "                          $XDG_STATE_HOME/wasmbox, ~/.local/state/wasmbox)\n"
    "  --drain-delay DURATION  after SIGTERM, keep listening and serving\n"
    "                          this long while GET /healthz answers 503, so\n"
    "                          that a load balancer stops sending requests\n"
    "                          first; then drain (default 0: stop listening\n"
    "                          at once; at most 1h; a second signal ends it)\n"
    "  --shared-state          other replicas of wasmbox serve share the state\n"
    "                          directory (NFS, CephFS...): every replica serves\n"
    "                          every session, one request that changes it at a\n"
    "                          time under a lease (docs/scale-out.md); one busy\n"
    "                          on another replica past --lease-wait -> 409\n"
    "                          with Retry-After\n"
    "  --lease-ttl DURATION    a lease's life without renewal: how long a\n"
    "                          session stays locked by a replica that died on\n"
    "                          another machine (default 15s; at least 1s); a\n"
    "                          replica stalled past it, less a quarter,\n"
    "                          commits nothing more of its request (409)\n"
    "  --lease-wait DURATION   how long a request waits for another replica's\n"
    "                          lease (default 2s; at most 60s)\n"
    "  --scratch-dir DIR       where the throw-away workspaces of /v1/run live\n"
    "                          (default: a private directory in /dev/shm,\n"
    "                          removed at exit; else STATE/oneshot)\n"
    "  --guests DIR            guest runtimes (default $WASMBOX_GUESTS, or\n"
    "                          guests/ beside this executable)\n"
    "  --tier cached|interp    cached (default; the policy's session.tier):\n"
    "                          runtimes whose machine code is in the native\n"
    "                          code cache run it (loaded at start-up, before\n"
    "                          any worker's lock-down); interp: always the\n"
    "                          interpreter. Never compiles (make\n"
    "                          guests-native; docs/native-tier.md)\n"
    "  --list-routes           print the routes served, one per line, and exit\n"
    WB_CLI_ISOLATION_HELP
    "  --require-landlock      refuse to start (status 1) unless the workers\n"
    "                          can be confined with Landlock: without it a\n"
    "                          worker whose guest broke the engine could read\n"
    "                          what the server's user can (its API keys,\n"
    "                          other sessions; docs/os-sandbox.md)\n"
    "\n"
    "A session's workspace (files from steps and uploads) stays within the\n"
    "policy's budget.disk (each file and directory also counts 4 KiB): a\n"
    "step may write only what is left, an upload past it gets 413.\n"
    "Sessions idle longer than the policy's session.idle_expiry are\n"
    "deleted at start-up and every quarter of the expiry (1 s to 1 min).\n"
    "Each session (and each /v1/run) runs in its own worker process,\n"
    "locked down before guest code runs; a worker that crashes fails only\n"
    "its request (500, \"outcome\": \"internal\", an incident id in the log).\n"
    "GET /healthz (readiness: 503 once SIGTERM came) and GET /livez\n"
    "(liveness) need no key. SIGTERM or SIGINT: --drain-delay, then stop\n"
    "accepting, finish the requests under way (each bounded by its\n"
    "timeout), exit 0. Exit status 2: a bad command line, key file or\n"
    "policy (one line on stderr names the file and line); 1: cannot\n"
    "listen.\n";

typedef struct serve_opts {
    const char *listen, *policy, *keys, *state, *scratch, *os_user, *tier;
    bool no_auth, no_os_sandbox, require_landlock;
} serve_opts;

enum {
    O_LISTEN = 256, O_POLICY, O_KEYS, O_STATE, O_GUESTS, O_SCRATCH, O_WORKERS,
    O_PER_KEY, O_SESSIONS, O_RUNNING, O_SESSIONS_PER_KEY, O_REQUEST_TMO,
    O_HEADER_TMO, O_CONNS, O_CONNS_PER_CLIENT, O_BODY, O_NO_AUTH, O_ROUTES,
    O_NO_OS_SANDBOX, O_OS_USER, O_RESOLVE_WALK, O_TIER, O_DRAIN_DELAY,
    O_SHARED, O_LEASE_TTL, O_LEASE_WAIT, O_REQUIRE_LANDLOCK
};

static const struct option longopts[] = {
    { "help", no_argument, NULL, 'h' },
    { "list-routes", no_argument, NULL, O_ROUTES },
    { "insecure-no-auth", no_argument, NULL, O_NO_AUTH },
    { "listen", required_argument, NULL, O_LISTEN },
    { "policy", required_argument, NULL, O_POLICY },
    { "api-keys", required_argument, NULL, O_KEYS },
    { "state-dir", required_argument, NULL, O_STATE },
    { "guests", required_argument, NULL, O_GUESTS },
    { "scratch-dir", required_argument, NULL, O_SCRATCH },
    { "workers", required_argument, NULL, O_WORKERS },
    { "max-concurrent-per-key", required_argument, NULL, O_PER_KEY },
    { "max-sessions", required_argument, NULL, O_SESSIONS },
    { "max-running-per-key", required_argument, NULL, O_RUNNING },
    { "max-sessions-per-key", required_argument, NULL, O_SESSIONS_PER_KEY },
    { "request-timeout", required_argument, NULL, O_REQUEST_TMO },
    { "header-timeout", required_argument, NULL, O_HEADER_TMO },
    { "max-connections", required_argument, NULL, O_CONNS },
    { "max-connections-per-client", required_argument, NULL,
      O_CONNS_PER_CLIENT },
    { "max-body", required_argument, NULL, O_BODY },
    { "drain-delay", required_argument, NULL, O_DRAIN_DELAY },
    { "no-os-sandbox", no_argument, NULL, O_NO_OS_SANDBOX },
    { "require-landlock", no_argument, NULL, O_REQUIRE_LANDLOCK },
    { "os-user", required_argument, NULL, O_OS_USER },
    { "tier", required_argument, NULL, O_TIER },
    { "shared-state", no_argument, NULL, O_SHARED },
    { "lease-ttl", required_argument, NULL, O_LEASE_TTL },
    { "lease-wait", required_argument, NULL, O_LEASE_WAIT },
    /* tests (tests/escape/serve.sh): the workers resolve by the walk */
    { "x-resolve-walk", no_argument, NULL, O_RESOLVE_WALK },
    { NULL, 0, NULL, 0 }
};

/* A count option into *out, within [min, max]. */
static bool count(const char *v, unsigned min, unsigned max, unsigned *out)
{
    uint64_t n;
    if (!wb_cli_count(v, min, max, &n))
        return false;
    *out = (unsigned)n;
    return true;
}

/* A limit option into srv; false when its value is bad. */
static bool limit(wb_http_server *srv, int c, const char *v)
{
    switch (c) {
    case O_WORKERS: return count(v, 1, 256, &srv->workers);
    case O_PER_KEY: return count(v, 1, 100000, &srv->max_per_key);
    case O_SESSIONS: return count(v, 1, 100000, &srv->max_sessions);
    case O_RUNNING: return count(v, 1, 256, &srv->max_running_per_key);
    case O_SESSIONS_PER_KEY:
        return count(v, 1, 100000, &srv->max_sessions_per_key);
    case O_REQUEST_TMO: return wb_parse_duration(v, &srv->guard.request_ms);
    case O_HEADER_TMO: return wb_parse_duration(v, &srv->guard.header_ms);
    case O_CONNS: return count(v, 1, 100000, &srv->guard.max);
    case O_CONNS_PER_CLIENT: return count(v, 0, 100000, &srv->max_per_client);
    case O_BODY: return wb_parse_size(v, &srv->max_body) && srv->max_body > 0;
    case O_DRAIN_DELAY:
        return wb_parse_duration(v, &srv->drain_delay_ms) &&
               srv->drain_delay_ms <= 3600000u;
    case O_LEASE_TTL:
        return wb_parse_duration(v, &srv->lease_ttl_ms) &&
               srv->lease_ttl_ms >= 1000;
    case O_LEASE_WAIT:
        return wb_parse_duration(v, &srv->lease_wait_ms) &&
               srv->lease_wait_ms <= 60000;
    }
    return false;
}

/* -1 for --help or --list-routes (done), 0, or an exit status. */
static int parse(int argc, char **argv, serve_opts *o, wb_http_server *srv)
{
    wb_cli_opts g;
    int c;
    wb_cli_opts_begin(&g, argc, argv, ":h", longopts);
    while ((c = wb_cli_opt(&g)) != -1) {
        switch (c) {
        case 'h': fputs(serve_help, stdout); return -1;
        case O_ROUTES: wb_http_list_routes(stdout); return -1;
        case O_NO_AUTH: o->no_auth = true; break;
        case O_LISTEN: o->listen = optarg; break;
        case O_POLICY: o->policy = optarg; break;
        case O_KEYS: o->keys = optarg; break;
        case O_STATE: o->state = optarg; break;
        case O_GUESTS: srv->opts.guests_dir = optarg; break;
        case O_SCRATCH: o->scratch = optarg; break;
        case O_NO_OS_SANDBOX: o->no_os_sandbox = true; break;
        case O_REQUIRE_LANDLOCK: o->require_landlock = true; break;
        case O_OS_USER: o->os_user = optarg; break;
        case O_TIER: o->tier = optarg; break;
        case O_SHARED: srv->shared = true; break;
        case O_RESOLVE_WALK: wb_resolve_force_walk(true); break;
        case '?':
        case ':': return wb_cli_opt_error(&g, c, "serve", WB_EXIT_USAGE);
        default:
            if (!limit(srv, c, optarg)) {
                wb_cli_error("serve", "%s: bad value '%s'", argv[optind - 1]
                             == optarg ? argv[optind - 2] : argv[optind - 1],
                             optarg);
                return WB_EXIT_USAGE;
            }
        }
    }
    if (optind < argc) {
        wb_cli_error("serve", "unexpected argument '%s'", argv[optind]);
        return WB_EXIT_USAGE;
    }
    if (!o->listen) {
        wb_cli_error("serve", "--listen ADDR:PORT is required (e.g. "
                     "--listen 127.0.0.1:8080)");
        return WB_EXIT_USAGE;
    }
    return 0;
}

/* The key file: keys are wiped from memory as soon as they are parsed. */
static bool key_file(wb_http_server *srv, const char *path)
{
    size_t n;
    char why[256], msg[512];
    uint8_t *text = wb_cli_read_file(path, &n, why, sizeof why);
    if (!text) {
        wb_cli_error(path, "%s", why);
        return false;
    }
    struct stat sb;
    if (stat(path, &sb) == 0 && (sb.st_mode & 077))
        fprintf(stderr, "wasmbox serve: warning: %s is readable by other "
                "users (chmod 600 it)\n", path);
    bool ok = !memchr(text, 0, n) &&
              wb_http_add_keys(srv, (char *)text, '\n', path, msg,
                               sizeof msg);
    if (memchr(text, 0, n))
        snprintf(msg, sizeof msg, "%s: not a text file", path);
    memset(text, 0, n);
    free(text);
    if (!ok)
        wb_cli_error("serve", "%s", msg);
    return ok;
}

/* --api-keys FILE and $WASMBOX_API_KEYS, or --insecure-no-auth. */
static int keys(wb_http_server *srv, const serve_opts *o)
{
    const char *env = getenv("WASMBOX_API_KEYS");
    char msg[512];
    srv->no_auth = o->no_auth;
    if (o->no_auth && o->keys) {
        wb_cli_error("serve", "--insecure-no-auth and --api-keys contradict "
                     "each other");
        return WB_EXIT_USAGE;
    }
    if (o->no_auth) {
        if (env && *env)
            fprintf(stderr, "wasmbox serve: warning: --insecure-no-auth: "
                    "ignoring WASMBOX_API_KEYS\n");
        return 0;
    }
    if (o->keys && !key_file(srv, o->keys))
        return WB_EXIT_USAGE;
    if (env && *env && !wb_http_add_keys(srv, env, ',', "WASMBOX_API_KEYS",
                                         msg, sizeof msg)) {
        wb_cli_error("serve", "%s", msg);
        return WB_EXIT_USAGE;
    }
    return 0;
}

int wb_cli_serve(int argc, char **argv)
{
    serve_opts o = { 0 };
    wb_http_server srv;
    wb_addr addr;
    char msg[512];
    wb_http_server_init(&srv);
    int rc = parse(argc, argv, &o, &srv);
    if (!rc && wb_addr_parse(o.listen, NULL, &addr, msg, sizeof msg)) {
        wb_cli_error("serve", "--listen %s", msg);
        rc = WB_EXIT_USAGE;
    }
    wb_error err = { 0 };
    if (!rc && o.policy &&
        wb_policy_load(o.policy, &srv.policy, &srv.settings, &err)) {
        wb_cli_error(NULL, "%s", err.message);
        rc = WB_EXIT_USAGE;
    }
    if (!rc)
        rc = wb_cli_session_tier("serve", o.tier, &srv.settings);
    if (!rc && o.require_landlock && (o.no_os_sandbox ||
                                      wb_oslock_landlock_abi() < 1)) {
        wb_cli_error("serve", "--require-landlock: %s", o.no_os_sandbox
                     ? "--no-os-sandbox runs guests without workers"
                     : "this kernel (or the seccomp profile it runs under) "
                       "has no Landlock; not starting");
        rc = WB_EXIT_FAIL;
    }
    /* the zygote is a copy of this process: before the keys are read */
    wb_isolation *iso = NULL;
    if (!rc) {
        srv.opts.policy = &srv.policy;
        srv.opts.settings = &srv.settings;
        rc = wb_cli_isolate("serve", &srv.opts, o.no_os_sandbox, o.os_user,
                            &iso);
    }
    if (!rc)
        rc = keys(&srv, &o);
    if (!rc && !wb_http_server_prepare(&srv, &addr, o.state, o.scratch, msg,
                                       sizeof msg)) {
        wb_cli_error("serve", "%s", msg);
        rc = WB_EXIT_USAGE;
    }
    if (!rc && wb_http_serve(&srv, &addr, msg, sizeof msg)) {
        wb_cli_error("serve", "%s", msg);
        rc = WB_EXIT_FAIL;
    }
    wb_http_server_free(&srv);
    wb_isolation_stop(iso);
    return rc == -1 ? WB_EXIT_OK : rc;
}
