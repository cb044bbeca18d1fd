/* mcp.c: `wasmbox mcp`, the command line of the MCP server
 * (src/server/wb_mcp*.c). */
#include "cli.h"
#include "server/wb_mcp.h"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char mcp_help[] =
    "usage: wasmbox mcp [OPTIONS]\n"
    "\n"
    "Serve the Model Context Protocol: tools that run Python, JavaScript,\n"
    "SQL and Lua in a sandboxed session (run_python, run_javascript,\n"
    "run_sql, run_lua, write_file, read_file, list_files, reset_session).\n"
    "Each client connection gets its own session: a workspace seen as\n"
    "/work, kept on disk; Python and JavaScript keep variables between\n"
    "calls.\n"
    "\n"
    "options:\n"
    "  --policy FILE       deny-by-default policy (docs/policy.example.yaml);\n"
    "                      without it: no grants, the default budget, and\n"
    "                      python, javascript, lua, sql\n"
    "  --http ADDR:PORT    Streamable HTTP on a loopback address, endpoint\n"
    "                      /mcp (default: JSON-RPC over stdin/stdout)\n"
    "  --session ID        stdio: resume (or create) session ID instead of\n"
    "                      a new one; its files are kept across restarts\n"
    "  --max-stored-sessions N\n"
    "                      sessions on disk in the state directory (any\n"
    "                      maker's) past which fork_session, and with --http\n"
    "                      a new connection's first tool call, are refused\n"
    "                      (default 256)\n"
    "  --max-sessions N    --http: connections (MCP sessions) open at once\n"
    "                      (default 256); past it initialize gets 503\n"
    "  --max-sessions-per-client N\n"
    "                      --http: the same per client address (default 64);\n"
    "                      past it initialize gets 429\n"
    "  --idle-timeout DURATION\n"
    "                      --http: close a connection idle this long (default\n"
    "                      30m; 0: never); its files stay and its session id\n"
    "                      resumes it\n"
    "  --workers N         --http: tool calls run at once (default 16); more\n"
    "                      wait their turn. Each holds its answer, up to a\n"
    "                      few times the policy's budget.output\n"
    "  --max-connections N --http: TCP connections open at once, one thread\n"
    "                      each (default 256). Past it, a new connection\n"
    "                      closes the one that has waited longest for a\n"
    "                      request, never one whose tool call is running\n"
    "  --header-timeout DURATION\n"
    "                      --http: close a TCP connection that has not sent\n"
    "                      its request's headers this long after it opened\n"
    "                      or its previous request ended (default 10s; 0:\n"
    "                      never); its MCP session stays\n"
    "  --request-timeout DURATION\n"
    "                      --http: the longest a request may take to arrive\n"
    "                      and its answer to leave, its tool call not\n"
    "                      counted (default 60s; 0: none)\n"
    "  --state-dir DIR     where sessions live (default $WASMBOX_STATE_DIR,\n"
    "                      $XDG_STATE_HOME/wasmbox, ~/.local/state/wasmbox)\n"
    "  --guests DIR        guest runtimes (default $WASMBOX_GUESTS, or\n"
    "                      guests/ beside this executable)\n"
    "  --tier cached|interp\n"
    "                      cached (default; the policy's session.tier):\n"
    "                      runtimes whose machine code is in the native\n"
    "                      code cache run it (loaded at start-up, before\n"
    "                      any worker's lock-down); interp: always the\n"
    "                      interpreter. Never compiles (make guests-native;\n"
    "                      docs/native-tier.md)\n"
    "  --no-os-sandbox     run guests on this process's threads, not in\n"
    "                      locked-down worker processes (to debug; the\n"
    "                      grants and budgets still hold)\n"
    "  --os-user USER      started as root: the workers' user (default\n"
    "                      nobody; see docs/os-sandbox.md)\n"
    "Each session runs in its own worker process, locked down before guest\n"
    "code runs; a worker that crashes fails only its own tool call (a tool\n"
    "error naming an incident id in the log).\n"
    "Sessions idle longer than the policy's session.idle_expiry are\n"
    "deleted at start-up and, with --http, every quarter of the expiry\n"
    "(1 s to 1 min); one open in any process never is. A session's\n"
    "workspace stays within the policy's budget.disk (each file and\n"
    "directory also counts 4 KiB). --http: SIGTERM, SIGINT or SIGHUP stop\n"
    "accepting, finish the tool calls under way, then exit 0.\n";

typedef struct mcp_opts {
    const char *policy, *state, *http, *session, *guests;
    const char *max_sessions, *max_per_client, *idle;   /* --http */
    const char *max_conns, *header, *request, *os_user, *tier;
    const char *max_stored, *workers;
    bool no_os_sandbox;
} mcp_opts;

static const struct option longopts[] = {
    { "help", no_argument, NULL, 'h' },
    { "policy", required_argument, NULL, 'p' },
    { "state-dir", required_argument, NULL, 's' },
    { "guests", required_argument, NULL, 'g' },
    { "http", required_argument, NULL, 'H' },
    { "session", required_argument, NULL, 'S' },
    { "max-sessions", required_argument, NULL, 'm' },
    { "max-sessions-per-client", required_argument, NULL, 'c' },
    { "idle-timeout", required_argument, NULL, 'i' },
    { "max-connections", required_argument, NULL, 'C' },
    { "header-timeout", required_argument, NULL, 'T' },
    { "request-timeout", required_argument, NULL, 'R' },
    { "no-os-sandbox", no_argument, NULL, 'N' },
    { "os-user", required_argument, NULL, 'U' },
    { "tier", required_argument, NULL, 't' },
    { "max-stored-sessions", required_argument, NULL, 'D' },
    { "workers", required_argument, NULL, 'W' },
    { NULL, 0, NULL, 0 }
};

/* -1 for --help, 0, or an exit status. */
static int parse(int argc, char **argv, mcp_opts *o)
{
    wb_cli_opts g;
    int c;
    wb_cli_opts_begin(&g, argc, argv, ":h", longopts);
    while ((c = wb_cli_opt(&g)) != -1) {
        const char **slot = NULL;
        switch (c) {
        case 'h': return -1;
        case 'p': slot = &o->policy; break;
        case 's': slot = &o->state; break;
        case 'g': slot = &o->guests; break;
        case 'H': slot = &o->http; break;
        case 'S': slot = &o->session; break;
        case 'm': slot = &o->max_sessions; break;
        case 'c': slot = &o->max_per_client; break;
        case 'i': slot = &o->idle; break;
        case 'C': slot = &o->max_conns; break;
        case 'T': slot = &o->header; break;
        case 'R': slot = &o->request; break;
        case 'U': slot = &o->os_user; break;
        case 't': slot = &o->tier; break;
        case 'D': slot = &o->max_stored; break;
        case 'W': slot = &o->workers; break;
        case 'N': o->no_os_sandbox = true; continue;
        default: return wb_cli_opt_error(&g, c, "mcp", WB_EXIT_USAGE);
        }
        *slot = optarg;
    }
    if (optind < argc) {
        wb_cli_error("mcp", "unexpected argument '%s'", argv[optind]);
        return WB_EXIT_USAGE;
    }
    return 0;
}

static int setup(wb_mcp_server *srv, const mcp_opts *o)
{
    memset(srv, 0, sizeof *srv);
    /* checked before any use: a long one was cut to 63 characters (a
     * session other than the one asked for) */
    if (o->session && !wb_mcp_session_id_ok(o->session)) {
        wb_cli_error("mcp", "--session '%.80s': not a session id (letters, "
                     "digits, '-', '_', '.', not first; at most 63)",
                     o->session);
        return WB_EXIT_USAGE;
    }
    wb_sandbox_config_init(&srv->policy);
    wb_session_settings_default(&srv->settings);
    if (o->policy) {
        wb_error err = { 0 };
        if (wb_policy_load(o->policy, &srv->policy, &srv->settings, &err)) {
            wb_cli_error(NULL, "%s", err.message);
            return WB_EXIT_USAGE;
        }
    }
    if (wb_cli_session_tier("mcp", o->tier, &srv->settings))
        return WB_EXIT_USAGE;
    srv->opts.state_dir = o->state;
    srv->opts.guests_dir = o->guests;
    srv->opts.policy = &srv->policy;
    srv->opts.settings = &srv->settings;
    srv->resume_id = o->session;
    srv->http = o->http != NULL;
    srv->max_stored = 256;
    uint64_t n;
    if (o->max_stored && !wb_cli_count(o->max_stored, 1, 1000000, &n)) {
        wb_cli_error("mcp", "--max-stored-sessions: bad value '%s'",
                     o->max_stored);
        return WB_EXIT_USAGE;
    }
    if (o->max_stored)
        srv->max_stored = (unsigned)n;
    return 0;
}

/* The --http limits (defaults: 256 sessions, 64 per client, 30 min idle;
 * 256 connections, 10 s for headers, 60 s for a request; 16 tool calls
 * at once). */
static int http_limits(wb_mcp_server *srv, const mcp_opts *o)
{
    srv->max_sessions = 256;
    srv->max_per_client = 64;
    srv->idle_ms = 30u * 60u * 1000u;
    srv->max_conns = 256;
    srv->header_ms = 10000;
    srv->request_ms = 60000;
    srv->max_running = o->http ? 16 : 0;
    const struct {
        const char *name, *value;
        unsigned *count;           /* a count, or else */
        uint64_t *ms;              /* a duration */
    } opts[] = {
        { "--max-sessions", o->max_sessions, &srv->max_sessions, NULL },
        { "--max-sessions-per-client", o->max_per_client,
          &srv->max_per_client, NULL },
        { "--idle-timeout", o->idle, NULL, &srv->idle_ms },
        { "--max-connections", o->max_conns, &srv->max_conns, NULL },
        { "--header-timeout", o->header, NULL, &srv->header_ms },
        { "--request-timeout", o->request, NULL, &srv->request_ms },
        { "--workers", o->workers, &srv->max_running, NULL },
    };
    for (size_t i = 0; i < sizeof opts / sizeof *opts; i++) {
        const char *v = opts[i].value;
        if (!v)
            continue;
        if (!o->http) {
            wb_cli_error("mcp", "%s is only for --http", opts[i].name);
            return WB_EXIT_USAGE;
        }
        uint64_t n = 0;
        bool ok = opts[i].count ? wb_cli_count(v, 1, 100000, &n)
                                : wb_parse_duration(v, opts[i].ms);
        if (opts[i].count && ok)
            *opts[i].count = (unsigned)n;
        if (!ok) {
            wb_cli_error("mcp", "%s: bad value '%s'", opts[i].name, v);
            return WB_EXIT_USAGE;
        }
    }
    return 0;
}

/* --http ADDR:PORT: loopback only (an empty host is 127.0.0.1). */
static int http_addr(const char *text, wb_addr *a)
{
    char msg[300];
    if (wb_addr_parse(text, "127.0.0.1", a, msg, sizeof msg)) {
        wb_cli_error("mcp", "--http %s", msg);
        return WB_EXIT_USAGE;
    }
    if (!a->loopback) {
        wb_cli_error("mcp", "--http '%s': only loopback addresses are "
                     "served (127.0.0.1:PORT, [::1]:PORT)", text);
        return WB_EXIT_USAGE;
    }
    return 0;
}

int wb_cli_mcp(int argc, char **argv)
{
    mcp_opts o = { 0 };
    wb_addr addr;
    int rc = parse(argc, argv, &o);
    if (rc == -1) {
        fputs(mcp_help, stdout);
        return 0;
    }
    if (rc || (o.http && (rc = http_addr(o.http, &addr))))
        return rc;
    wb_mcp_server srv;
    rc = setup(&srv, &o);
    if (!rc && (rc = http_limits(&srv, &o)))
        wb_sandbox_config_free(&srv.policy);
    wb_isolation *iso = NULL;
    if (!rc && (rc = wb_cli_isolate("mcp", &srv.opts, o.no_os_sandbox,
                                    o.os_user, &iso)))
        wb_sandbox_config_free(&srv.policy);
    if (rc)
        return rc;
    signal(SIGPIPE, SIG_IGN);
    wb_session_expire(&srv.opts, NULL, NULL);
    char msg[512] = "";
    if (o.http && wb_mcp_http(&srv, &addr, msg, sizeof msg)) {
        wb_cli_error("mcp", "%s", msg);
        rc = WB_EXIT_FAIL;
    } else if (!o.http) {
        rc = wb_mcp_stdio(&srv);
    }
    wb_isolation_stop(iso);
    wb_sandbox_config_free(&srv.policy);
    return rc;
}
