/* http_cli.c: `wasmbox serve`. */
#include "cli/cli.h"
#include "server/http.h"
#include "session/wb_session.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define MIN_KEY 16
#define MAX_KEY 256

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
    "  --scratch-dir DIR       where the throw-away workspaces of /v1/run live\n"
    "                          (default: a private directory in /dev/shm,\n"
    "                          removed at exit; else STATE/oneshot)\n"
    "  --guests DIR            guest runtimes (default $WASMBOX_GUESTS, or\n"
    "                          guests/ beside this executable)\n"
    "  --list-routes           print the routes served, one per line, and exit\n"
    "\n"
    "A session's workspace (files from steps and uploads) stays within the\n"
    "policy's budget.disk (each file and directory also counts 4 KiB): a\n"
    "step may write only what is left, an upload past it gets 413.\n"
    "GET /healthz needs no key. SIGTERM or SIGINT: stop accepting, finish\n"
    "the requests under way (each bounded by its timeout), exit 0. Exit\n"
    "status 2: a bad command line, key file or policy (one line on stderr\n"
    "names the file and line); 1: cannot listen.\n";

/* A name as written: no spaces or control characters (it is quoted in
 * messages), and not "key" and digits, the form given to unnamed keys. */
static bool name_ok(const char *name, const char *what, unsigned line,
                    char *msg, size_t cap)
{
    for (const char *p = name; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == 0x7f) {
            snprintf(msg, cap, "%s:%u: a key name cannot contain spaces or "
                     "control characters", what, line);
            return false;
        }
    if (!strncmp(name, "key", 3) && name[3] &&
        strspn(name + 3, "0123456789") == strlen(name + 3)) {
        snprintf(msg, cap, "%s:%u: key name '%s' is reserved: a key without "
                 "a name is called keyN (the N-th key); choose another name",
                 what, line, name);
        return false;
    }
    return true;
}

/* Is the name, or the key, already taken? */
static bool unique(const wb_http_server *srv, const char *name,
                   const char *key, size_t klen, const char *what,
                   unsigned line, char *msg, size_t cap)
{
    for (size_t i = 0; i < srv->nkeys; i++) {
        const wb_http_key *k = &srv->keys[i];
        if (!strcmp(k->name, name)) {
            snprintf(msg, cap, "%s:%u: duplicate key name '%s' (also %s:%u); "
                     "sessions belong to the name, so names must be unique",
                     what, line, name, k->src, k->line);
            return false;
        }
        if (k->len == klen && !memcmp(k->key, key, klen)) {
            snprintf(msg, cap, "%s:%u: the same key as %s:%u; every key must "
                     "be different", what, line, k->src, k->line);
            return false;
        }
    }
    return true;
}

static bool key_ok(const char *key, size_t klen, const char *what,
                   unsigned line, char *msg, size_t cap)
{
    if (klen < MIN_KEY || klen > MAX_KEY) {
        snprintf(msg, cap, "%s:%u: a key must have %d to %d characters",
                 what, line, MIN_KEY, MAX_KEY);
        return false;
    }
    for (size_t i = 0; i < klen; i++)
        if ((unsigned char)key[i] <= ' ' || key[i] == 0x7f) {
            snprintf(msg, cap, "%s:%u: a key cannot contain spaces or "
                     "control characters", what, line);
            return false;
        }
    return true;
}

/* One line s[0..n) (trimmed, not a comment): "KEY" or "name:KEY". */
static bool add_key(wb_http_server *srv, const char *s, size_t n,
                    const char *what, unsigned line, char *msg, size_t cap)
{
    const char *colon = memchr(s, ':', n);
    char name[64];
    const char *key = s;
    size_t klen = n;
    if (colon) {
        size_t nl = (size_t)(colon - s);
        if (nl == 0 || nl >= sizeof name) {
            snprintf(msg, cap, "%s:%u: bad key name", what, line);
            return false;
        }
        memcpy(name, s, nl);
        name[nl] = 0;
        key = colon + 1;
        klen = n - nl - 1;
        if (!name_ok(name, what, line, msg, cap))
            return false;
    } else {
        snprintf(name, sizeof name, "key%zu", srv->nkeys + 1);
    }
    if (!key_ok(key, klen, what, line, msg, cap) ||
        !unique(srv, name, key, klen, what, line, msg, cap))
        return false;
    wb_http_key *k = realloc(srv->keys, (srv->nkeys + 1) * sizeof *k);
    if (!k) {
        snprintf(msg, cap, "out of memory");
        return false;
    }
    srv->keys = k;
    k = &srv->keys[srv->nkeys];
    memset(k, 0, sizeof *k);
    snprintf(k->name, sizeof k->name, "%s", name);
    k->key = strndup(key, klen);
    k->len = klen;
    k->src = what;
    k->line = line;
    if (!k->key) {
        snprintf(msg, cap, "out of memory");
        return false;
    }
    srv->nkeys++;
    return true;
}

bool wb_http_add_keys(wb_http_server *srv, const char *text, char sep,
                      const char *what, char *msg, size_t cap)
{
    const char *p = text;
    unsigned line = 0;
    while (*p) {
        const char *e = strchr(p, sep);
        size_t n = e ? (size_t)(e - p) : strlen(p);
        line++;
        const char *s = p;
        p += n + (e ? 1 : 0);
        while (n && (*s == ' ' || *s == '\t'))
            s++, n--;
        while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'
                     || s[n - 1] == '\n'))
            n--;
        if (n == 0 || *s == '#')
            continue;
        if (!add_key(srv, s, n, what, line, msg, cap))
            return false;
    }
    return true;
}

static bool parse_uint(const char *s, unsigned min, unsigned max,
                       unsigned *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        return false;
    *out = (unsigned)v;
    return true;
}

/* Per-key limits left unset: with one key (or none), the whole server;
 * with several, leave room for the others. */
static void default_shares(wb_http_server *srv)
{
    size_t keys = srv->no_auth || !srv->nkeys ? 1 : srv->nkeys;
    if (!srv->max_running_per_key)
        srv->max_running_per_key = keys > 1 && srv->workers > 1
                                   ? srv->workers - 1 : srv->workers;
    if (!srv->max_sessions_per_key) {
        unsigned share = srv->max_sessions / (unsigned)(keys < 4 ? keys : 4);
        srv->max_sessions_per_key = share ? share : 1;
    }
}

static void free_server(wb_http_server *srv)
{
    for (size_t i = 0; i < srv->nkeys; i++) {
        if (srv->keys[i].key)
            memset(srv->keys[i].key, 0, srv->keys[i].len);
        free(srv->keys[i].key);
    }
    free(srv->keys);
    wb_sandbox_config_free(&srv->policy);
    free(srv->state_dir);
    free(srv->run_state_dir);
}

int wb_cli_serve(int argc, char **argv)
{
    const char *listen = NULL, *policy = NULL, *keys = NULL, *state = NULL,
               *guests = NULL, *scratch = NULL;
    char own_scratch[64] = "";
    bool no_auth = false;
    wb_http_server srv;
    memset(&srv, 0, sizeof srv);
    wb_sandbox_config_init(&srv.policy);
    long nproc = sysconf(_SC_NPROCESSORS_ONLN);
    srv.workers = nproc > 2 ? (unsigned)nproc : 2;
    srv.max_body = 16u << 20;
    srv.max_per_key = 8;
    srv.max_sessions = 64;
    srv.guard.max = 1000;
    srv.guard.header_ms = 10000;
    srv.guard.request_ms = 60000;
    srv.max_per_client = UINT_MAX;        /* by the address, below */
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(serve_help, stdout);
            return WB_EXIT_OK;
        }
        if (!strcmp(a, "--list-routes")) {
            wb_http_list_routes(stdout);
            return WB_EXIT_OK;
        }
        if (!strcmp(a, "--insecure-no-auth")) {
            no_auth = true;
            continue;
        }
        if (a[0] != '-') {
            wb_cli_error("serve", "unexpected argument '%s'", a);
            return WB_EXIT_USAGE;
        }
        if (i + 1 >= argc) {
            wb_cli_error("serve", "option '%s' needs a value (try 'wasmbox "
                         "serve --help')", a);
            return WB_EXIT_USAGE;
        }
        const char *v = argv[++i];
        bool ok = true;
        if (!strcmp(a, "--listen"))
            listen = v;
        else if (!strcmp(a, "--policy"))
            policy = v;
        else if (!strcmp(a, "--api-keys"))
            keys = v;
        else if (!strcmp(a, "--state-dir"))
            state = v;
        else if (!strcmp(a, "--guests"))
            guests = v;
        else if (!strcmp(a, "--scratch-dir"))
            scratch = v;
        else if (!strcmp(a, "--workers"))
            ok = parse_uint(v, 1, 256, &srv.workers);
        else if (!strcmp(a, "--max-concurrent-per-key"))
            ok = parse_uint(v, 1, 100000, &srv.max_per_key);
        else if (!strcmp(a, "--max-sessions"))
            ok = parse_uint(v, 1, 100000, &srv.max_sessions);
        else if (!strcmp(a, "--max-running-per-key"))
            ok = parse_uint(v, 1, 256, &srv.max_running_per_key);
        else if (!strcmp(a, "--max-sessions-per-key"))
            ok = parse_uint(v, 1, 100000, &srv.max_sessions_per_key);
        else if (!strcmp(a, "--request-timeout"))
            ok = wb_parse_duration(v, &srv.guard.request_ms);
        else if (!strcmp(a, "--header-timeout"))
            ok = wb_parse_duration(v, &srv.guard.header_ms);
        else if (!strcmp(a, "--max-connections"))
            ok = parse_uint(v, 1, 100000, &srv.guard.max);
        else if (!strcmp(a, "--max-connections-per-client"))
            ok = parse_uint(v, 0, 100000, &srv.max_per_client);
        else if (!strcmp(a, "--max-body"))
            ok = wb_parse_size(v, &srv.max_body) && srv.max_body > 0;
        else {
            wb_cli_error("serve", "unknown option '%s' (try 'wasmbox serve "
                         "--help')", a);
            return WB_EXIT_USAGE;
        }
        if (!ok) {
            wb_cli_error("serve", "%s: bad value '%s'", a, v);
            return WB_EXIT_USAGE;
        }
    }
    if (!listen) {
        wb_cli_error("serve", "--listen ADDR:PORT is required (e.g. "
                     "--listen 127.0.0.1:8080)");
        return WB_EXIT_USAGE;
    }
    struct sockaddr_storage ss;
    unsigned sl = 0;
    bool loopback = false;
    char msg[512];
    if (wb_http_resolve(listen, &ss, &sl, &loopback, msg, sizeof msg)) {
        wb_cli_error("serve", "%s", msg);
        return WB_EXIT_USAGE;
    }
    if (srv.max_per_client == UINT_MAX)
        srv.max_per_client = loopback ? 0 : 64;

    /* authentication */
    int rc = WB_EXIT_USAGE;
    const char *env = getenv("WASMBOX_API_KEYS");
    if (no_auth) {
        if (keys) {
            wb_cli_error("serve", "--insecure-no-auth and --api-keys "
                         "contradict each other");
            goto out;
        }
        if (!loopback) {
            wb_cli_error("serve", "refusing to serve without authentication "
                         "on '%s', which is not a loopback address: "
                         "--insecure-no-auth is only allowed on 127.0.0.0/8 "
                         "or [::1]; use --api-keys FILE", listen);
            goto out;
        }
        if (env && *env)
            fprintf(stderr, "wasmbox serve: warning: --insecure-no-auth: "
                    "ignoring WASMBOX_API_KEYS\n");
        srv.no_auth = true;
    } else {
        if (keys) {
            size_t n;
            char why[256];
            uint8_t *text = wb_cli_read_file(keys, &n, why, sizeof why);
            if (!text) {
                wb_cli_error(keys, "%s", why);
                goto out;
            }
            struct stat sb;
            if (stat(keys, &sb) == 0 && (sb.st_mode & 077))
                fprintf(stderr, "wasmbox serve: warning: %s is readable by "
                        "other users (chmod 600 it)\n", keys);
            char *z = memchr(text, 0, n) ? NULL : strndup((char *)text, n);
            bool ok = z && wb_http_add_keys(&srv, z, '\n', keys, msg,
                                            sizeof msg);
            if (!z)
                snprintf(msg, sizeof msg, "%s: not a text file", keys);
            memset(text, 0, n);
            free(text);
            if (z) {
                memset(z, 0, n);
                free(z);
            }
            if (!ok) {
                wb_cli_error("serve", "%s", msg);
                goto out;
            }
        }
        if (env && *env && !wb_http_add_keys(&srv, env, ',',
                                             "WASMBOX_API_KEYS", msg,
                                             sizeof msg)) {
            wb_cli_error("serve", "%s", msg);
            goto out;
        }
        if (srv.nkeys == 0) {
            wb_cli_error("serve", "no API keys: pass --api-keys FILE or set "
                         "WASMBOX_API_KEYS (for local development only: "
                         "--insecure-no-auth on a loopback address)");
            goto out;
        }
    }
    snprintf(srv.anon.name, sizeof srv.anon.name, "anonymous");
    default_shares(&srv);

    /* policy and state */
    wb_session_settings_default(&srv.settings);
    if (policy) {
        wb_error err = { 0 };
        if (wb_policy_load(policy, &srv.policy, &srv.settings, &err)) {
            wb_cli_error(NULL, "%s", err.message);
            goto out;
        }
    }
    srv.opts.state_dir = state;
    srv.opts.guests_dir = guests;
    srv.opts.policy = &srv.policy;
    srv.opts.settings = &srv.settings;
    srv.state_dir = wb_session_state_dir(&srv.opts);
    if (!srv.state_dir) {
        wb_cli_error("serve", "no state directory: pass --state-dir or set "
                     "WASMBOX_STATE_DIR");
        goto out;
    }
    /* One-shot workspaces are deleted after each run: nothing there needs
       to survive a crash, and on a tmpfs the session layer's fsyncs cost
       nothing (20x the throughput of ext4 for small runs). Their files
       count against the run's disk budget, so memory use is bounded by
       workers x budget.disk. */
    if (!scratch) {
        snprintf(own_scratch, sizeof own_scratch,
                 "/dev/shm/wasmbox-serve-XXXXXX");
        if (mkdtemp(own_scratch))
            scratch = own_scratch;
        else
            own_scratch[0] = 0;
    }
    size_t sn = strlen(scratch ? scratch : srv.state_dir) + 16;
    srv.run_state_dir = malloc(sn);
    if (!srv.run_state_dir)
        goto out;
    if (scratch)
        snprintf(srv.run_state_dir, sn, "%s", scratch);
    else
        snprintf(srv.run_state_dir, sn, "%s/oneshot", srv.state_dir);
    srv.opts.state_dir = srv.state_dir;
    srv.run_opts = srv.opts;
    srv.run_opts.state_dir = srv.run_state_dir;
    wb_session_expire(&srv.opts, NULL, NULL);
    (void)sl;
    rc = wb_http_serve(&srv, &ss) ? WB_EXIT_FAIL : WB_EXIT_OK;
out:
    if (own_scratch[0])
        wb_sess_rm_tree(AT_FDCWD, own_scratch);
    free_server(&srv);
    return rc;
}
