/* config.c: wb_sandbox_config defaults and the helpers that fill it. The
 * defaults are the documented ones of `wasmbox run --help`. */
#include "wasmbox/sandbox.h"
#include <stdlib.h>
#include <string.h>

void wb_budget_default(wb_budget *b)
{
    b->max_memory = 256ull << 20;
    b->fuel = -1;
    b->timeout_ms = 10000;
    b->max_output = 16ull << 20;
    b->max_disk = 64ull << 20;
    b->max_files = 256;
    b->max_stack = 10000;
    b->max_processes = 16;
    memset(&b->net, 0, sizeof b->net);
    b->net.max_requests = 64;
    b->net.max_response = 16ull << 20;
    b->net.timeout_ms = 30000;
}

void wb_sandbox_config_init(wb_sandbox_config *c)
{
    memset(c, 0, sizeof *c);
    wb_budget_default(&c->budget);
    c->stdin_fd = -1;
    c->stdout_fd = 1;
    c->stderr_fd = 2;
}

void wb_sandbox_config_free(wb_sandbox_config *c)
{
    for (size_t i = 0; i < c->nargs; i++) free(c->args[i]);
    for (size_t i = 0; i < c->nenv; i++) free(c->env[i]);
    for (size_t i = 0; i < c->ngrants; i++) {
        free(c->grants[i].host);
        free(c->grants[i].guest);
    }
    free(c->args);
    free(c->env);
    free(c->grants);
    free(c->cwd);
    c->cwd = NULL;
    c->args = c->env = NULL;
    c->grants = NULL;
    c->nargs = c->nenv = c->ngrants = 0;
}

static wb_status push_str(char ***v, size_t *n, char *s)
{
    char **t = s ? realloc(*v, (*n + 1) * sizeof *t) : NULL;
    if (!t) {
        free(s);
        return WB_E_NOMEM;
    }
    t[(*n)++] = s;
    *v = t;
    return WB_OK;
}

wb_status wb_config_set_cwd(wb_sandbox_config *c, const char *dir)
{
    if (dir[0] != '/')
        return WB_E_ARG;
    char *d = strdup(dir);
    if (!d)
        return WB_E_NOMEM;
    free(c->cwd);
    c->cwd = d;
    return WB_OK;
}

wb_status wb_config_add_arg(wb_sandbox_config *c, const char *arg)
{
    return push_str(&c->args, &c->nargs, strdup(arg));
}

wb_status wb_config_add_env(wb_sandbox_config *c, const char *name,
                            const char *value)
{
    if (!value)
        return strchr(name, '=') ? push_str(&c->env, &c->nenv, strdup(name))
                                 : WB_E_ARG;
    if (!*name || strchr(name, '='))
        return WB_E_ARG;
    size_t n = strlen(name) + strlen(value) + 2;
    char *s = malloc(n);
    if (s) {
        strcpy(s, name);
        strcat(s, "=");
        strcat(s, value);
    }
    return push_str(&c->env, &c->nenv, s);
}

static wb_status push_grant(wb_sandbox_config *c, const wb_grant *g)
{
    wb_grant *t = realloc(c->grants, (c->ngrants + 1) * sizeof *t);
    if (!t)
        return WB_E_NOMEM;
    c->grants = t;
    c->grants[c->ngrants++] = *g;
    return WB_OK;
}

wb_status wb_config_add_dir(wb_sandbox_config *c, const char *host,
                            const char *guest, bool read_only)
{
    wb_grant g = { .kind = WB_GRANT_DIR, .host = strdup(host),
                   .guest = strdup(guest), .read_only = read_only, .fd = -1 };
    if (!g.host || !g.guest || push_grant(c, &g) != WB_OK) {
        free(g.host);
        free(g.guest);
        return WB_E_NOMEM;
    }
    return WB_OK;
}

wb_status wb_config_add_tmpfs(wb_sandbox_config *c, const char *guest,
                              uint64_t size)
{
    wb_grant g = { .kind = WB_GRANT_TMPFS, .guest = strdup(guest),
                   .size = size, .fd = -1 };
    if (!g.guest || push_grant(c, &g) != WB_OK) {
        free(g.guest);
        return WB_E_NOMEM;
    }
    return WB_OK;
}

wb_status wb_config_add_socket(wb_sandbox_config *c, int fd,
                               const char *guest)
{
    wb_grant g = { .kind = WB_GRANT_SOCKET, .fd = fd,
                   .guest = strdup(guest ? guest : "socket") };
    if (!g.guest || push_grant(c, &g) != WB_OK) {
        free(g.guest);
        return WB_E_NOMEM;
    }
    return WB_OK;
}
