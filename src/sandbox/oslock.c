/* oslock.c: the lock-down's two steps and its description (oslock.h).
 * The layers live in oslock_landlock.c, oslock_seccomp.c and
 * oslock_privs.c; this file orders them. */
#include "sandbox/oslock.h"
#include "wasi/wasi.h"
#include "net/net.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

struct wb_oslock {
    unsigned max_files;
    wb_oslock_ids ids;
    wb_ll_rules *rules;
    void *filter;
    bool own_filter;
    bool applied, failed;
};

/* The grants' directories and the extra paths, as one list. */
static wb_oslock_path *all_paths(const wb_oslock_opts *o, const wb_grant *g,
                                 size_t ng, size_t *n)
{
    wb_oslock_path *p = calloc(ng + o->npaths + 2 + WB_OSLOCK_NET_FILES,
                               sizeof *p);
    *n = 0;
    if (!p)
        return NULL;
    for (size_t i = 0; i < ng; i++)
        if (g[i].kind == WB_GRANT_DIR)
            p[(*n)++] = (wb_oslock_path){ g[i].host, !g[i].read_only };
    for (size_t i = 0; i < o->npaths; i++)
        p[(*n)++] = o->paths[i];
    if (o->net && o->net->nallow)
        *n += wb_oslock_net_files(p + *n);
#ifdef WB_OSLOCK_SANITIZER
    /* LeakSanitizer reads /proc/PID/task and maps at exit */
    p[(*n)++] = (wb_oslock_path){ "/proc/self", false };
#endif
    return p;
}

wb_status wb_oslock_new(const wb_oslock_opts *o, const wb_grant *grants,
                        size_t ngrants, wb_oslock **out, wb_error *e)
{
    *out = NULL;
    size_t n;
    wb_oslock_path *p = all_paths(o, grants, ngrants, &n);
    wb_oslock *l = calloc(1, sizeof *l);
    if (!p || !l) {
        free(p);
        free(l);
        return wb_err_set(e, WB_E_NOMEM, "out of memory");
    }
    l->max_files = o->max_files;
    int err = 0;
    if (o->ids)
        l->ids = *o->ids;
    else
        err = wb_oslock_privs_plan(o->user, p, n, &l->ids, e);
    if (!err)
        err = wb_oslock_landlock_prepare(p, n, &l->rules, e);
    bool net = o->net && o->net->nallow;
    char why[256];
    if (!err && net && !wb_net_load(why, sizeof why))   /* reads /usr/lib */
        err = wb_err_set(e, WB_E_IO, "%s", why);
    if (!err && net) {
        uint16_t ports[WB_OSLOCK_PORTS];
        wb_oslock_landlock_ports(l->rules, ports,
                                 wb_oslock_net_ports(o->net, ports));
    }
    l->own_filter = !o->seccomp;
    l->filter = (void *)o->seccomp;
    if (!err && !l->filter &&
        !(l->filter = wb_oslock_seccomp_build(o->trap, wb_oslock_nosuid(),
                                              net, e)))
        err = EINVAL;
    free(p);
    if (err) {
        wb_oslock_free(l);
        return e->status;
    }
    *out = l;
    return WB_OK;
}

/* One line, once per process, for a layer the kernel lacks. */
static void warn_missing(wb_oslock_layer layer)
{
    static bool warned[WB_OSLOCK_NLAYERS];
    if (!warned[layer])
        fprintf(stderr, "wasmbox: warning: this kernel has no %s (see "
                "'wasmbox sandbox-info')\n", layer == WB_OSLOCK_LANDLOCK
                ? "Landlock: files are confined by the grants' descriptors "
                  "only" : "seccomp: every system call stays available");
    warned[layer] = true;
}

static int set_prctl(int option, unsigned long value, const char *what,
                     wb_error *e)
{
    if (prctl(option, value, 0, 0, 0) == 0)
        return 0;
    int err = errno;
    wb_err_set(e, WB_E_IO, "%s: %s", what, strerror(err));
    return err;
}

/* Release builds: no other process of this user may read our memory or
 * /proc files. Sanitizer builds: LeakSanitizer's helper must (and a uid
 * change made us not dumpable). */
#ifdef WB_OSLOCK_SANITIZER
enum { DUMPABLE = 1 };
#else
enum { DUMPABLE = 0 };
#endif

bool wb_oslock_nosuid(void)
{
    return geteuid() == 0;
}

/* The layers in order; 0 or the errno of the first that failed. */
static int apply_layers(wb_oslock *l, wb_error *e)
{
    bool missing = false;
    /* the nosuid rules refuse openat2: resolve paths by walking */
    if (wb_oslock_nosuid())
        wb_resolve_force_walk(true);
    int err = wb_oslock_rlimits(l->max_files, e);
    if (!err)
        err = wb_oslock_privs_drop(&l->ids, e);
    if (!err)
        err = set_prctl(PR_SET_DUMPABLE, DUMPABLE, "dumpable", e);
    if (!err)
        err = set_prctl(PR_SET_NO_NEW_PRIVS, 1, "no_new_privs", e);
    if (!err)
        err = wb_oslock_landlock_apply(l->rules, &missing, e);
    if (!err && missing)
        warn_missing(WB_OSLOCK_LANDLOCK);
    if (!err)
        err = wb_oslock_seccomp_apply(l->filter, &missing, e);
    if (!err && missing)
        warn_missing(WB_OSLOCK_SECCOMP);
    return err;
}

/* The guest runs only if every layer the kernel has is in place. */
wb_status wb_oslock_apply(wb_oslock *l, wb_error *e)
{
    if (l->applied)
        return WB_OK;           /* the process stays locked down */
    l->failed = true;
    wb_wasi_null_fd();          /* the guests' /dev/null: open it now */
    if (apply_layers(l, e))
        return e->status ? e->status : wb_err_set(e, WB_E_IO, "lock-down");
    l->applied = true;
    l->failed = false;
    return WB_OK;
}

bool wb_oslock_failed(const wb_oslock *l)
{
    return l && l->failed;
}

bool wb_oslock_applied(const wb_oslock *l)
{
    return l && l->applied;
}

void wb_oslock_free(wb_oslock *l)
{
    if (!l)
        return;
    wb_oslock_landlock_free(l->rules);
    if (l->own_filter)
        wb_oslock_seccomp_free(l->filter);
    free(l);
}
