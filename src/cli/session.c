/* session.c: `wasmbox session`: the sessions on disk (list, delete,
 * expire), through the session layer. */
#include "cli.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char session_help[] =
    "usage: wasmbox session [--state-dir DIR] [--policy FILE] COMMAND\n"
    "\n"
    "commands:\n"
    "  list         one line per session: id, created, last used, steps\n"
    "  delete ID    delete a session and its workspace\n"
    "  expire       delete sessions idle longer than the policy's\n"
    "               session.idle_expiry (default 24h)\n";

typedef struct sess_cmd {
    wb_sandbox_config policy;
    wb_session_settings settings;
    wb_session_options opts;
} sess_cmd;

static const struct option longopts[] = {
    { "help", no_argument, NULL, 'h' },
    { "policy", required_argument, NULL, 'p' },
    { "state-dir", required_argument, NULL, 's' },
    { "guests", required_argument, NULL, 'g' },
    { NULL, 0, NULL, 0 }
};

/* Options before the command (-1: --help); *first: the command. */
static int parse(int argc, char **argv, sess_cmd *sc, const char **policy,
                 int *first)
{
    wb_cli_opts g;
    int c;
    wb_cli_opts_begin(&g, argc, argv, "+:h", longopts);
    while ((c = wb_cli_opt(&g)) != -1) {
        switch (c) {
        case 'h': return -1;
        case 'p': *policy = optarg; break;
        case 's': sc->opts.state_dir = optarg; break;
        case 'g': sc->opts.guests_dir = optarg; break;
        default: return wb_cli_opt_error(&g, c, "session", WB_EXIT_USAGE);
        }
    }
    if (optind >= argc) {
        wb_cli_error("session", "missing command (list, delete ID, expire)");
        return WB_EXIT_USAGE;
    }
    *first = optind;
    return 0;
}

static wb_status list(const sess_cmd *sc, wb_error *err)
{
    wb_session_info *v;
    size_t n;
    wb_status st = wb_session_list(&sc->opts, &v, &n, err);
    for (size_t k = 0; !st && k < n; k++) {
        char c[32], u[32];
        time_t tc = (time_t)v[k].created, tu = (time_t)v[k].last_used;
        strftime(c, sizeof c, "%Y-%m-%dT%H:%M:%S", localtime(&tc));
        strftime(u, sizeof u, "%Y-%m-%dT%H:%M:%S", localtime(&tu));
        printf("%s  created %s  last used %s  steps %llu\n", v[k].id, c, u,
               (unsigned long long)v[k].steps);
    }
    if (!st)
        free(v);
    return st;
}

int wb_cli_session(int argc, char **argv)
{
    sess_cmd sc = { 0 };
    const char *policy = NULL;
    int i = 0, rc = parse(argc, argv, &sc, &policy, &i);
    if (rc == -1) {
        fputs(session_help, stdout);
        return 0;
    }
    if (rc)
        return rc;
    wb_sandbox_config_init(&sc.policy);
    wb_session_settings_default(&sc.settings);
    sc.opts.policy = &sc.policy;
    sc.opts.settings = &sc.settings;
    wb_error err = { 0 };
    const char *cmd = argv[i];
    if (policy && wb_policy_load(policy, &sc.policy, &sc.settings, &err)) {
        wb_cli_error(NULL, "%s", err.message);
        rc = WB_EXIT_USAGE;
    } else if (!strcmp(cmd, "list") && i + 1 == argc) {
        list(&sc, &err);
    } else if (!strcmp(cmd, "delete") && i + 2 == argc) {
        wb_session_delete(&sc.opts, argv[i + 1], &err);
    } else if (!strcmp(cmd, "expire") && i + 1 == argc) {
        size_t n = 0;
        if (wb_session_expire(&sc.opts, &n, &err) == WB_OK)
            printf("%zu session%s deleted\n", n, n == 1 ? "" : "s");
    } else {
        wb_cli_error("session", "bad command (list, delete ID, expire)");
        rc = WB_EXIT_USAGE;
    }
    if (!rc && err.status) {
        wb_cli_error("session", "%s", err.message);
        rc = WB_EXIT_FAIL;
    }
    wb_sandbox_config_free(&sc.policy);
    return rc;
}
