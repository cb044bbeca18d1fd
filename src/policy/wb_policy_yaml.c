/* wb_policy_yaml.c: the policy file (YAML, via libyaml's document API)
 * -> wb_sandbox_config + wb_session_settings.
 *
 * Deny by default: only the keys below exist; anything else, a malformed
 * value, a duplicate key or two grants at one guest path is an error
 * naming the file, line and key.
 *
 *   version: 1
 *   grants:  dirs: [{host, guest, mode: ro|rw}]  tmpfs: [{guest, size}]
 *            env: {NAME: VALUE}
 *   budget:  memory fuel timeout output disk files stack
 *   network: allow: [RULE, ...]  max_requests  max_response  timeout
 *            (docs/network.md; no allow rule: no network)
 *   session: idle_expiry  languages: [python, javascript, lua, sql, wasm]
 *            tier: cached|interp
 *   python:  packages: DIR (a read-only grant at /packages, on sys.path)
 */
#include "wasmbox/policy.h"
#include "common/error.h"
#include "common/file.h"
#include "common/path.h"
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#define WB_POLICY_MAX_FILE (1u << 20)

typedef struct pctx {
    yaml_document_t *doc;
    const char *name, *base;
    wb_sandbox_config *cfg;
    wb_session_settings *ss;
    wb_error *err;
    /* guest paths granted so far, with their lines (contradictions) */
    char **guests;
    size_t *glines;
    size_t nguests;
} pctx;

static unsigned long line_of(const yaml_node_t *n)
{
    return n ? (unsigned long)n->start_mark.line + 1 : 1;
}

static wb_status perr(pctx *p, const yaml_node_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static wb_status perr(pctx *p, const yaml_node_t *n, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return wb_err_set(p->err, WB_E_ARG, "%s:%lu: %s", p->name, line_of(n),
                      msg);
}

static const char *scalar(const yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value
                                           : NULL;
}

static yaml_node_t *node(pctx *p, int id)
{
    return yaml_document_get_node(p->doc, id);
}

/* Check that `map` is a mapping whose keys are scalars from `allowed`
 * (NULL: any) and unique. `where` names it in messages. */
static wb_status check_map(pctx *p, yaml_node_t *map, const char *where,
                           const char *const *allowed)
{
    if (!map || map->type != YAML_MAPPING_NODE)
        return perr(p, map, "%s must be a mapping", where);
    yaml_node_pair_t *b = map->data.mapping.pairs.start;
    yaml_node_pair_t *e = map->data.mapping.pairs.top;
    for (yaml_node_pair_t *i = b; i < e; i++) {
        yaml_node_t *k = node(p, i->key);
        const char *ks = scalar(k);
        if (!ks)
            return perr(p, k, "a key in %s is not a plain name", where);
        if (allowed) {
            bool ok = false;
            for (const char *const *a = allowed; *a && !ok; a++)
                ok = !strcmp(*a, ks);
            if (!ok)
                return perr(p, k, "unknown key '%s' in %s", ks, where);
        }
        for (yaml_node_pair_t *j = b; j < i; j++)
            if (!strcmp(scalar(node(p, j->key)), ks))
                return perr(p, k, "duplicate key '%s' in %s (first at line "
                            "%lu)", ks, where, line_of(node(p, j->key)));
    }
    return WB_OK;
}

/* A non-empty scalar value, or an error naming `key` in `where`. */
static wb_status want_scalar(pctx *p, yaml_node_t *v, const char *where,
                             const char *key, const char **out)
{
    const char *s = scalar(v);
    if (!s || !*s)
        return perr(p, v, "'%s' in %s needs a value", key, where);
    *out = s;
    return WB_OK;
}

/* ---- grants ------------------------------------------------------------- */

/* Absolute, no "." or ".." components; trailing slashes dropped. */
static wb_status guest_path(pctx *p, yaml_node_t *v, const char *where,
                            char *out, size_t cap)
{
    const char *s = NULL;
    if (want_scalar(p, v, where, "guest", &s))
        return WB_E_ARG;
    if (s[0] != '/')
        return perr(p, v, "'guest' in %s must be an absolute guest path, "
                    "got '%s'", where, s);
    if (strlen(s) >= cap)
        return perr(p, v, "'guest' in %s is too long", where);
    for (const char *c = s; *c; ) {
        while (*c == '/')
            c++;
        size_t n = strcspn(c, "/");
        if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
            return perr(p, v, "'guest' in %s may not contain '.' or '..' "
                        "components: '%s'", where, s);
        c += n;
    }
    snprintf(out, cap, "%s", s);
    size_t n = strlen(out);
    while (n > 1 && out[n - 1] == '/')
        out[--n] = 0;
    return WB_OK;
}

static wb_status claim_guest(pctx *p, yaml_node_t *v, const char *path,
                             const char *where)
{
    for (size_t i = 0; i < p->nguests; i++)
        if (!strcmp(p->guests[i], path))
            return perr(p, v, "contradiction in %s: guest path '%s' is "
                        "already granted at line %zu", where, path,
                        p->glines[i]);
    char **g = realloc(p->guests, (p->nguests + 1) * sizeof *g);
    if (g)
        p->guests = g;
    size_t *l = realloc(p->glines, (p->nguests + 1) * sizeof *l);
    if (l)
        p->glines = l;
    if (!g || !l || !(p->guests[p->nguests] = strdup(path)))
        return perr(p, v, "out of memory");
    p->glines[p->nguests++] = line_of(v);
    return WB_OK;
}

/* Grant host directory `h` (relative: to the policy file; the value of
 * key `key` of node `hv`) at guest path `guest` (node `gv`). */
static wb_status add_dir(pctx *p, yaml_node_t *hv, const char *key,
                         const char *h, const char *where, yaml_node_t *gv,
                         const char *guest, bool ro)
{
    char full[PATH_MAX * 2];
    if (h[0] == '/' || !p->base)
        snprintf(full, sizeof full, "%s", h);
    else
        snprintf(full, sizeof full, "%s/%s", p->base, h);
    struct stat st;
    if (stat(full, &st) != 0)
        return perr(p, hv, "'%s' in %s: %s: %s", key, where, full,
                    strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return perr(p, hv, "'%s' in %s: %s: %s", key, where, full,
                    strerror(ENOTDIR));
    if (claim_guest(p, gv, guest, where))
        return WB_E_ARG;
    if (wb_config_add_dir(p->cfg, full, guest, ro))
        return perr(p, hv, "out of memory");
    return WB_OK;
}

static wb_status grant_dir(pctx *p, yaml_node_t *m, size_t idx)
{
    static const char *const keys[] = { "host", "guest", "mode", NULL };
    char where[64], guest[PATH_MAX];
    snprintf(where, sizeof where, "grants.dirs[%zu]", idx);
    if (check_map(p, m, where, keys))
        return WB_E_ARG;
    yaml_node_t *host = NULL, *gv = NULL, *mode = NULL;
    for (yaml_node_pair_t *i = m->data.mapping.pairs.start;
         i < m->data.mapping.pairs.top; i++) {
        const char *k = scalar(node(p, i->key));
        yaml_node_t *v = node(p, i->value);
        *(!strcmp(k, "host") ? &host : !strcmp(k, "guest") ? &gv : &mode) = v;
    }
    if (!host || !gv)
        return perr(p, m, "%s needs 'host' and 'guest'", where);
    const char *h = NULL, *ms = "ro";
    if (want_scalar(p, host, where, "host", &h) ||
        guest_path(p, gv, where, guest, sizeof guest) ||
        (mode && want_scalar(p, mode, where, "mode", &ms)))
        return WB_E_ARG;
    if (strcmp(ms, "ro") && strcmp(ms, "rw"))
        return perr(p, mode, "'mode' in %s must be ro or rw, got '%s'",
                    where, ms);
    return add_dir(p, host, "host", h, where, gv, guest,
                   strcmp(ms, "rw") != 0);
}

static wb_status grant_tmpfs(pctx *p, yaml_node_t *m, size_t idx)
{
    static const char *const keys[] = { "guest", "size", NULL };
    char where[64], guest[PATH_MAX];
    snprintf(where, sizeof where, "grants.tmpfs[%zu]", idx);
    if (check_map(p, m, where, keys))
        return WB_E_ARG;
    yaml_node_t *gv = NULL, *sz = NULL;
    for (yaml_node_pair_t *i = m->data.mapping.pairs.start;
         i < m->data.mapping.pairs.top; i++)
        *(!strcmp(scalar(node(p, i->key)), "guest") ? &gv : &sz) =
            node(p, i->value);
    if (!gv)
        return perr(p, m, "%s needs 'guest'", where);
    uint64_t size = 64ull << 20;
    const char *s = NULL;
    if (guest_path(p, gv, where, guest, sizeof guest))
        return WB_E_ARG;
    if (sz && (want_scalar(p, sz, where, "size", &s) ||
               !wb_parse_size(s, &size)))
        return perr(p, sz, "'size' in %s: bad size '%s' (e.g. 64M)", where,
                    scalar(sz) ? scalar(sz) : "");
    if (claim_guest(p, gv, guest, where))
        return WB_E_ARG;
    if (wb_config_add_tmpfs(p->cfg, guest, size))
        return perr(p, m, "out of memory");
    return WB_OK;
}

static wb_status grant_env(pctx *p, yaml_node_t *m)
{
    if (check_map(p, m, "grants.env", NULL))
        return WB_E_ARG;
    for (yaml_node_pair_t *i = m->data.mapping.pairs.start;
         i < m->data.mapping.pairs.top; i++) {
        yaml_node_t *k = node(p, i->key), *v = node(p, i->value);
        const char *name = scalar(k), *val = scalar(v);
        if (!*name || strchr(name, '='))
            return perr(p, k, "bad environment variable name '%s' in "
                        "grants.env", name);
        for (size_t j = 0; j < p->cfg->nenv; j++) {
            size_t n = strlen(name);
            if (!strncmp(p->cfg->env[j], name, n) && p->cfg->env[j][n] == '=')
                return perr(p, k, "contradiction in grants.env: '%s' is "
                            "already set", name);
        }
        if (!val)
            return perr(p, v, "'%s' in grants.env must be a string", name);
        if (wb_config_add_env(p->cfg, name, val))
            return perr(p, k, "out of memory");
    }
    return WB_OK;
}

static wb_status grants(pctx *p, yaml_node_t *m)
{
    static const char *const keys[] = { "dirs", "tmpfs", "env", NULL };
    if (check_map(p, m, "grants", keys))
        return WB_E_ARG;
    for (yaml_node_pair_t *i = m->data.mapping.pairs.start;
         i < m->data.mapping.pairs.top; i++) {
        const char *k = scalar(node(p, i->key));
        yaml_node_t *v = node(p, i->value);
        if (!strcmp(k, "env")) {
            if (grant_env(p, v))
                return WB_E_ARG;
            continue;
        }
        if (v->type == YAML_SCALAR_NODE && !*scalar(v))
            continue;                              /* "dirs:" (empty) */
        if (v->type != YAML_SEQUENCE_NODE)
            return perr(p, v, "'%s' in grants must be a list", k);
        size_t idx = 0;
        for (yaml_node_item_t *it = v->data.sequence.items.start;
             it < v->data.sequence.items.top; it++, idx++)
            if ((!strcmp(k, "dirs") ? grant_dir : grant_tmpfs)(
                    p, node(p, *it), idx))
                return WB_E_ARG;
    }
    return WB_OK;
}

/* ---- budget and session ------------------------------------------------- */

static bool count(const char *s, uint64_t max, uint64_t *out)
{
    char *end;
    errno = 0;
    if (!(*s >= '0' && *s <= '9'))
        return false;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v > max)
        return false;
    *out = v;
    return true;
}

static wb_status budget(pctx *p, yaml_node_t *m)
{
    static const char *const keys[] = { "memory", "fuel", "timeout",
        "output", "disk", "files", "stack", "processes", NULL };
    if (check_map(p, m, "budget", keys))
        return WB_E_ARG;
    wb_budget *b = &p->cfg->budget;
    for (yaml_node_pair_t *i = m->data.mapping.pairs.start;
         i < m->data.mapping.pairs.top; i++) {
        const char *k = scalar(node(p, i->key)), *s = NULL;
        yaml_node_t *v = node(p, i->value);
        if (want_scalar(p, v, "budget", k, &s))
            return WB_E_ARG;
        uint64_t n;
        bool ok;
        if (!strcmp(k, "memory") || !strcmp(k, "output") ||
            !strcmp(k, "disk")) {
            ok = wb_parse_size(s, &n);
            if (ok)
                *(k[0] == 'm' ? &b->max_memory : k[0] == 'o' ? &b->max_output
                                                              : &b->max_disk) = n;
            if (!ok)
                return perr(p, v, "bad size '%s' for '%s' in budget "
                            "(e.g. 256M)", s, k);
        } else if (!strcmp(k, "timeout")) {
            if (!wb_parse_duration(s, &b->timeout_ms))
                return perr(p, v, "bad duration '%s' for 'timeout' in budget "
                            "(e.g. 10s, 500ms)", s);
        } else if (!strcmp(k, "fuel")) {
            if (!strcmp(s, "unlimited"))
                b->fuel = -1;
            else if (count(s, INT64_MAX, &n))
                b->fuel = (int64_t)n;
            else
                return perr(p, v, "bad number '%s' for 'fuel' in budget "
                            "(a count or 'unlimited')", s);
        } else {
            if (!count(s, UINT32_MAX, &n) || n == 0)
                return perr(p, v, "bad number '%s' for '%s' in budget", s, k);
            if (k[0] == 'f' && n > 1024)   /* fd numbers stay below 1024 */
                return perr(p, v, "bad number '%s' for 'files' in budget "
                            "(at most 1024)", s);
            *(k[0] == 'f' ? &b->max_files : k[0] == 's' ? &b->max_stack
                                          : &b->max_processes) = (uint32_t)n;
        }
    }
    return WB_OK;
}

/* network: the allowlist and its limits (into the budget, which carries
 * them to sessions and workers). */
static wb_status network_allow(pctx *p, yaml_node_t *v)
{
    if (v->type != YAML_SEQUENCE_NODE)
        return perr(p, v, "'allow' in network must be a list of rules, e.g. "
                    "[api.example.com, \"*.example.org\"]");
    for (yaml_node_item_t *it = v->data.sequence.items.start;
         it < v->data.sequence.items.top; it++) {
        yaml_node_t *r = node(p, *it);
        char msg[300];
        if (!scalar(r) || !*scalar(r))
            return perr(p, r, "a rule in network.allow must be a string");
        if (wb_net_allow(&p->cfg->budget.net, scalar(r), msg, sizeof msg))
            return perr(p, r, "%s", msg);
    }
    return WB_OK;
}

static wb_status network(pctx *p, yaml_node_t *m)
{
    static const char *const keys[] = { "allow", "max_requests",
                                        "max_response", "timeout", NULL };
    if (check_map(p, m, "network", keys))
        return WB_E_ARG;
    wb_net_budget *b = &p->cfg->budget.net;
    for (yaml_node_pair_t *i = m->data.mapping.pairs.start;
         i < m->data.mapping.pairs.top; i++) {
        const char *k = scalar(node(p, i->key)), *s = NULL;
        yaml_node_t *v = node(p, i->value);
        uint64_t n;
        if (!strcmp(k, "allow")) {
            if (network_allow(p, v))
                return WB_E_ARG;
            continue;
        }
        if (want_scalar(p, v, "network", k, &s))
            return WB_E_ARG;
        if (!strcmp(k, "max_requests")) {
            if (!count(s, UINT32_MAX, &n))
                return perr(p, v, "bad number '%s' for 'max_requests' in "
                            "network", s);
            b->max_requests = (uint32_t)n;
        } else if (!strcmp(k, "max_response")) {
            if (!wb_parse_size(s, &b->max_response))
                return perr(p, v, "bad size '%s' for 'max_response' in "
                            "network (e.g. 1M)", s);
        } else if (!wb_parse_duration(s, &b->timeout_ms)) {
            return perr(p, v, "bad duration '%s' for 'timeout' in network "
                        "(e.g. 10s)", s);
        }
    }
    return WB_OK;
}

static wb_status session(pctx *p, yaml_node_t *m)
{
    static const char *const keys[] = { "idle_expiry", "languages", "tier",
                                        NULL };
    if (check_map(p, m, "session", keys))
        return WB_E_ARG;
    for (yaml_node_pair_t *i = m->data.mapping.pairs.start;
         i < m->data.mapping.pairs.top; i++) {
        const char *k = scalar(node(p, i->key)), *s = NULL;
        yaml_node_t *v = node(p, i->value);
        if (!strcmp(k, "idle_expiry")) {
            if (want_scalar(p, v, "session", k, &s))
                return WB_E_ARG;
            uint64_t ms = 0;
            if (strcmp(s, "never") && !wb_parse_duration(s, &ms))
                return perr(p, v, "bad duration '%s' for 'idle_expiry' in "
                            "session (e.g. 1h, or never)", s);
            if (p->ss)
                p->ss->idle_expiry_ms = ms;
            continue;
        }
        if (!strcmp(k, "tier")) {
            if (want_scalar(p, v, "session", k, &s))
                return WB_E_ARG;
            if (strcmp(s, "cached") && strcmp(s, "interp"))
                return perr(p, v, "bad tier '%s' in session (cached or "
                            "interp)", s);
            if (p->ss)
                p->ss->interp = s[0] == 'i';
            continue;
        }
        if (v->type != YAML_SEQUENCE_NODE)
            return perr(p, v, "'languages' in session must be a list, e.g. "
                        "[python, sql]");
        uint32_t bits = 0;
        for (yaml_node_item_t *it = v->data.sequence.items.start;
             it < v->data.sequence.items.top; it++) {
            yaml_node_t *l = node(p, *it);
            wb_lang lang;
            if (!scalar(l) || !wb_lang_parse(scalar(l), &lang))
                return perr(p, l, "unknown language '%s' in session.languages"
                            " (python, javascript, lua, sql, wasm)",
                            scalar(l) ? scalar(l) : "?");
            if (bits & WB_LANG_BIT(lang))
                return perr(p, l, "language '%s' listed twice in "
                            "session.languages", scalar(l));
            bits |= WB_LANG_BIT(lang);
        }
        if (p->ss)
            p->ss->languages = bits;
    }
    return WB_OK;
}

/* python: packages: a directory of pure-Python packages, granted
 * read-only at WB_PYTHON_PACKAGES_GUEST for every run (Python puts it
 * on sys.path; other languages just see a read-only directory). */
static wb_status python(pctx *p, yaml_node_t *m)
{
    static const char *const keys[] = { "packages", NULL };
    if (check_map(p, m, "python", keys))
        return WB_E_ARG;
    for (yaml_node_pair_t *i = m->data.mapping.pairs.start;
         i < m->data.mapping.pairs.top; i++) {
        yaml_node_t *v = node(p, i->value);
        const char *s = NULL;
        if (want_scalar(p, v, "python", "packages", &s) ||
            add_dir(p, v, "packages", s, "python", v,
                    WB_PYTHON_PACKAGES_GUEST, true))
            return WB_E_ARG;
    }
    return WB_OK;
}

static wb_status top(pctx *p, yaml_node_t *root)
{
    static const char *const keys[] = { "version", "grants", "budget",
                                        "session", "network", "python",
                                        NULL };
    if (check_map(p, root, "the policy (top level)", keys))
        return WB_E_ARG;
    for (yaml_node_pair_t *i = root->data.mapping.pairs.start;
         i < root->data.mapping.pairs.top; i++) {
        const char *k = scalar(node(p, i->key));
        yaml_node_t *v = node(p, i->value);
        wb_status st = WB_OK;
        if (!strcmp(k, "version")) {
            if (!scalar(v) || strcmp(scalar(v), "1"))
                return perr(p, v, "unsupported policy version '%s' (only 1)",
                            scalar(v) ? scalar(v) : "?");
        } else if (v->type == YAML_SCALAR_NODE && !*scalar(v)) {
            continue;                                   /* "budget:" */
        } else if (!strcmp(k, "grants")) {
            st = grants(p, v);
        } else if (!strcmp(k, "budget")) {
            st = budget(p, v);
        } else if (!strcmp(k, "network")) {
            st = network(p, v);
        } else if (!strcmp(k, "python")) {
            st = python(p, v);
        } else {
            st = session(p, v);
        }
        if (st)
            return st;
    }
    return WB_OK;
}

wb_status wb_policy_parse(const char *text, size_t len, const char *name,
                          const char *base_dir, wb_sandbox_config *cfg,
                          wb_session_settings *ss, wb_error *err)
{
    pctx p = { .name = name ? name : "policy", .base = base_dir, .cfg = cfg,
               .ss = ss, .err = err };
    if (ss)
        ss->languages = 0, ss->idle_expiry_ms = 24ull * 3600 * 1000,
        ss->interp = false;
    yaml_parser_t parser;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&parser))
        return perr(&p, NULL, "out of memory");
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    wb_status st = WB_OK;
    if (!yaml_parser_load(&parser, &doc)) {
        yaml_node_t at = { 0 };
        at.start_mark = parser.problem_mark;
        st = perr(&p, &at, "YAML syntax error: %s%s%s",
                  parser.problem ? parser.problem : "malformed",
                  parser.context ? " " : "",
                  parser.context ? parser.context : "");
        yaml_parser_delete(&parser);
        return st;
    }
    p.doc = &doc;
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (root && !(root->type == YAML_SCALAR_NODE && !*scalar(root)))
        st = top(&p, root);
    if (st == WB_OK) {
        /* a second document would be silently ignored: refuse it */
        yaml_document_t more;
        if (yaml_parser_load(&parser, &more)) {
            yaml_node_t *r2 = yaml_document_get_root_node(&more);
            if (r2)
                st = perr(&p, r2, "only one YAML document is allowed");
            yaml_document_delete(&more);
        }
    }
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    for (size_t i = 0; i < p.nguests; i++)
        free(p.guests[i]);
    free(p.guests);
    free(p.glines);
    return st;
}

wb_status wb_policy_load(const char *path, wb_sandbox_config *cfg,
                         wb_session_settings *ss, wb_error *err)
{
    uint8_t *buf;
    size_t len;
    char base[PATH_MAX];
    int e = wb_file_read(path, WB_POLICY_MAX_FILE, &buf, &len);
    if (e == EFBIG)
        return wb_err_set(err, WB_E_IO,
                          "%s: policy file too large (over 1 MiB)", path);
    if (e)
        return wb_err_set(err, e == ENOENT ? WB_E_NOT_FOUND : WB_E_IO,
                          "%s: cannot read: %s", path, strerror(e));
    if (!wb_path_dirname(path, base, sizeof base))
        snprintf(base, sizeof base, ".");
    wb_status st = wb_policy_parse((const char *)buf, len, path, base, cfg,
                                   ss, err);
    free(buf);
    return st;
}
