/* http_config.c: the configuration of `wasmbox serve` (the HTTP API):
 * defaults, API keys, and the checks and directories of its start. The
 * command line is src/cli/serve.c. */
#include "server/http.h"
#include "common/tree.h"
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

void wb_http_server_init(wb_http_server *srv)
{
    memset(srv, 0, sizeof *srv);
    wb_sandbox_config_init(&srv->policy);
    wb_session_settings_default(&srv->settings);
    long nproc = sysconf(_SC_NPROCESSORS_ONLN);
    srv->workers = nproc > 2 ? (unsigned)nproc : 2;
    srv->max_body = 16u << 20;
    srv->max_per_key = 8;
    srv->max_sessions = 64;
    srv->guard.max = 1000;
    srv->guard.header_ms = 10000;
    srv->guard.request_ms = 60000;
    srv->max_per_client = UINT_MAX;       /* by the address: prepare */
    snprintf(srv->anon.name, sizeof srv->anon.name, "anonymous");
    srv->lease_ttl_ms = 15000;
    srv->lease_wait_ms = 2000;
    pthread_mutex_init(&srv->adopt_mu, NULL);
}

/* Without keys, only on a loopback address; with keys, there must be
 * some. */
static bool auth_ok(const wb_http_server *srv, const wb_addr *addr,
                    char *msg, size_t cap)
{
    char where[80];
    wb_addr_format(&addr->ss, where, sizeof where);
    if (srv->no_auth && srv->nkeys) {
        snprintf(msg, cap, "--insecure-no-auth and API keys contradict "
                 "each other");
        return false;
    }
    if (srv->no_auth && !addr->loopback) {
        snprintf(msg, cap, "refusing to serve without authentication on "
                 "%s, which is not a loopback address: --insecure-no-auth "
                 "is only allowed on 127.0.0.0/8 or [::1]; use --api-keys "
                 "FILE", where);
        return false;
    }
    if (!srv->no_auth && !srv->nkeys) {
        snprintf(msg, cap, "no API keys: pass --api-keys FILE or set "
                 "WASMBOX_API_KEYS (for local development only: "
                 "--insecure-no-auth on a loopback address)");
        return false;
    }
    return true;
}

/* One-shot workspaces are deleted after each run: nothing there needs to
 * survive a crash, and on a tmpfs the session layer's fsyncs cost
 * nothing (20x the throughput of ext4 for small runs). Their files count
 * against the run's disk budget, so memory use is bounded by workers x
 * budget.disk. Without --scratch-dir: a private directory in /dev/shm,
 * else STATE/oneshot. */
static bool scratch_dir(wb_http_server *srv, const char *scratch)
{
    if (!scratch) {
        snprintf(srv->own_scratch, sizeof srv->own_scratch,
                 "/dev/shm/wasmbox-serve-XXXXXX");
        if (mkdtemp(srv->own_scratch))
            scratch = srv->own_scratch;
        else
            srv->own_scratch[0] = 0;
    }
    size_t n = strlen(scratch ? scratch : srv->state_dir) + 16;
    srv->run_state_dir = malloc(n);
    if (!srv->run_state_dir)
        return false;
    if (scratch)
        snprintf(srv->run_state_dir, n, "%s", scratch);
    else
        snprintf(srv->run_state_dir, n, "%s/oneshot", srv->state_dir);
    return true;
}

bool wb_http_server_prepare(wb_http_server *srv, const wb_addr *addr,
                            const char *state, const char *scratch,
                            char *msg, size_t cap)
{
    if (!auth_ok(srv, addr, msg, cap))
        return false;
    if (srv->max_per_client == UINT_MAX)
        srv->max_per_client = addr->loopback ? 0 : 64;
    default_shares(srv);
    srv->opts.state_dir = state;
    srv->opts.policy = &srv->policy;
    srv->opts.settings = &srv->settings;
    srv->state_dir = wb_session_state_dir(&srv->opts);
    if (!srv->state_dir) {
        snprintf(msg, cap, "no state directory: pass --state-dir or set "
                 "WASMBOX_STATE_DIR");
        return false;
    }
    if (!scratch_dir(srv, scratch)) {
        snprintf(msg, cap, "out of memory");
        return false;
    }
    srv->opts.state_dir = srv->state_dir;
    srv->opts.shared = srv->shared;
    srv->run_opts = srv->opts;
    srv->run_opts.state_dir = srv->run_state_dir;
    srv->run_opts.shared = false;       /* a throw-away one is ours alone */
    if (srv->shared && !wb_http_lease_init()) {
        snprintf(msg, cap, "no randomness for this replica's id");
        return false;
    }
    wb_session_expire(&srv->opts, NULL, NULL);
    return true;
}

void wb_http_server_free(wb_http_server *srv)
{
    if (srv->own_scratch[0])
        wb_tree_rm(AT_FDCWD, srv->own_scratch);
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

