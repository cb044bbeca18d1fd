/* wb_mcp_cli.c: `wasmbox mcp` and `wasmbox session`. */
#include "cli/cli.h"
#include "server/wb_mcp.h"
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
    "  --max-sessions N    --http: connections (MCP sessions) open at once\n"
    "                      (default 256); past it initialize gets 503\n"
    "  --max-sessions-per-client N\n"
    "                      --http: the same per client address (default 64);\n"
    "                      past it initialize gets 429\n"
    "  --idle-timeout DURATION\n"
    "                      --http: close a connection idle this long (default\n"
    "                      30m; 0: never); its files stay and its session id\n"
    "                      resumes it\n"
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
    "Sessions idle longer than the policy's session.idle_expiry are\n"
    "deleted (at start-up, and every minute with --http). A session's\n"
    "workspace stays within the policy's budget.disk (each file and\n"
    "directory also counts 4 KiB). --http: SIGTERM, SIGINT or SIGHUP stop\n"
    "accepting, finish the tool calls under way, then exit 0.\n";

static const char session_help[] =
    "usage: wasmbox session [--state-dir DIR] [--policy FILE] COMMAND\n"
    "\n"
    "commands:\n"
    "  list         one line per session: id, created, last used, steps\n"
    "  delete ID    delete a session and its workspace\n"
    "  expire       delete sessions idle longer than the policy's\n"
    "               session.idle_expiry (default 24h)\n";

typedef struct common {
    const char *policy, *state, *http, *session, *guests;
    const char *max_sessions, *max_per_client, *idle;   /* --http */
    const char *max_conns, *header, *request;
} common;

/* Returns -1 on --help, index of the first non-option, or -2 on error. */
static int parse_common(int argc, char **argv, common *o, bool mcp)
{
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h"))
            return -1;
        const char **slot = !strcmp(a, "--policy") ? &o->policy
                          : !strcmp(a, "--state-dir") ? &o->state
                          : mcp && !strcmp(a, "--http") ? &o->http
                          : mcp && !strcmp(a, "--session") ? &o->session
                          : mcp && !strcmp(a, "--max-sessions")
                              ? &o->max_sessions
                          : mcp && !strcmp(a, "--max-sessions-per-client")
                              ? &o->max_per_client
                          : mcp && !strcmp(a, "--idle-timeout") ? &o->idle
                          : mcp && !strcmp(a, "--max-connections")
                              ? &o->max_conns
                          : mcp && !strcmp(a, "--header-timeout")
                              ? &o->header
                          : mcp && !strcmp(a, "--request-timeout")
                              ? &o->request
                          : !strcmp(a, "--guests") ? &o->guests : NULL;
        if (!slot) {
            wb_cli_error(mcp ? "mcp" : "session", "unknown option '%s'", a);
            return -2;
        }
        if (i + 1 >= argc) {
            wb_cli_error(mcp ? "mcp" : "session", "option '%s' needs a "
                         "value", a);
            return -2;
        }
        *slot = argv[++i];
    }
    return i;
}

static int setup(wb_mcp_server *srv, const common *o)
{
    memset(srv, 0, sizeof *srv);
    wb_sandbox_config_init(&srv->policy);
    wb_session_settings_default(&srv->settings);
    if (o->policy) {
        wb_error err = { 0 };
        if (wb_policy_load(o->policy, &srv->policy, &srv->settings, &err)) {
            wb_cli_error(NULL, "%s", err.message);
            return WB_EXIT_USAGE;
        }
    }
    srv->opts.state_dir = o->state;
    srv->opts.guests_dir = o->guests;
    srv->opts.policy = &srv->policy;
    srv->opts.settings = &srv->settings;
    srv->resume_id = o->session;
    return 0;
}

static bool parse_count(const char *s, unsigned *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || v < 1 || v > 100000 || s[0] == '-')
        return false;
    *out = (unsigned)v;
    return true;
}

/* The --http limits (defaults: 256 sessions, 64 per client, 30 min idle;
 * 256 connections, 10 s for headers, 60 s for a request). */
static int http_limits(wb_mcp_server *srv, const common *o)
{
    srv->max_sessions = 256;
    srv->max_per_client = 64;
    srv->idle_ms = 30u * 60u * 1000u;
    srv->max_conns = 256;
    srv->header_ms = 10000;
    srv->request_ms = 60000;
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
    };
    for (size_t i = 0; i < sizeof opts / sizeof *opts; i++) {
        const char *v = opts[i].value;
        if (!v)
            continue;
        if (!o->http) {
            wb_cli_error("mcp", "%s is only for --http", opts[i].name);
            return WB_EXIT_USAGE;
        }
        if (opts[i].count ? !parse_count(v, opts[i].count)
                          : !wb_parse_duration(v, opts[i].ms)) {
            wb_cli_error("mcp", "%s: bad value '%s'", opts[i].name, v);
            return WB_EXIT_USAGE;
        }
    }
    return 0;
}

int wb_cli_mcp(int argc, char **argv)
{
    common o = { 0 };
    int i = parse_common(argc, argv, &o, true);
    if (i == -1) {
        fputs(mcp_help, stdout);
        return 0;
    }
    if (i == -2)
        return WB_EXIT_USAGE;
    if (i < argc) {
        wb_cli_error("mcp", "unexpected argument '%s'", argv[i]);
        return WB_EXIT_USAGE;
    }
    wb_mcp_server srv;
    int rc = setup(&srv, &o);
    if (!rc && (rc = http_limits(&srv, &o)))
        wb_sandbox_config_free(&srv.policy);
    if (rc)
        return rc;
    signal(SIGPIPE, SIG_IGN);
    wb_session_expire(&srv.opts, NULL, NULL);
    rc = o.http ? wb_mcp_http(&srv, o.http) : wb_mcp_stdio(&srv);
    wb_sandbox_config_free(&srv.policy);
    return rc;
}

int wb_cli_session(int argc, char **argv)
{
    common o = { 0 };
    int i = parse_common(argc, argv, &o, false);
    if (i == -1) {
        fputs(session_help, stdout);
        return 0;
    }
    if (i == -2)
        return WB_EXIT_USAGE;
    if (i >= argc) {
        wb_cli_error("session", "missing command (list, delete ID, expire)");
        return WB_EXIT_USAGE;
    }
    wb_mcp_server srv;
    int rc = setup(&srv, &o);
    if (rc)
        return rc;
    wb_error err = { 0 };
    const char *cmd = argv[i];
    if (!strcmp(cmd, "list") && i + 1 == argc) {
        wb_session_info *list;
        size_t n;
        if (wb_session_list(&srv.opts, &list, &n, &err) == WB_OK) {
            for (size_t k = 0; k < n; k++) {
                char c[32], u[32];
                time_t tc = (time_t)list[k].created, tu = (time_t)list[k].last_used;
                strftime(c, sizeof c, "%Y-%m-%dT%H:%M:%S", localtime(&tc));
                strftime(u, sizeof u, "%Y-%m-%dT%H:%M:%S", localtime(&tu));
                printf("%s  created %s  last used %s  steps %llu\n",
                       list[k].id, c, u, (unsigned long long)list[k].steps);
            }
            free(list);
        }
    } else if (!strcmp(cmd, "delete") && i + 2 == argc) {
        wb_session_delete(&srv.opts, argv[i + 1], &err);
    } else if (!strcmp(cmd, "expire") && i + 1 == argc) {
        size_t n = 0;
        if (wb_session_expire(&srv.opts, &n, &err) == WB_OK)
            printf("%zu session%s deleted\n", n, n == 1 ? "" : "s");
    } else {
        wb_cli_error("session", "bad command (list, delete ID, expire)");
        rc = WB_EXIT_USAGE;
    }
    if (!rc && err.status) {
        wb_cli_error("session", "%s", err.message);
        rc = WB_EXIT_FAIL;
    }
    wb_sandbox_config_free(&srv.policy);
    return rc;
}
