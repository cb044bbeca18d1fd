/* wb_session_pool.c: warm workers for throw-away one-shot sessions
 * (wb_session_options.oneshot_tenant; docs/os-sandbox.md, "Reused
 * workers").
 *
 * Forking, locking down and tearing down a worker per one-shot run costs
 * milliseconds of CPU (page-table copies and faults), far more than a
 * small run. So a throw-away session's worker, once its session is
 * closed, waits idle for the next throw-away session of the same tenant
 * and runs it on a fresh instance in the same, already locked-down
 * process. What that process may touch is fixed at its lock-down: its
 * own workspace (<base>/w-<random>/work, Landlock: read-write), its
 * runtime/ (read-only) and the guest images; each of its sessions uses
 * that workspace in turn, and the server empties it before the next one
 * comes. The sessions' own directories (session.json, the lock) are in
 * <base>/w-<random>/sessions, out of the worker's reach: a worker that
 * could rename them could make the server follow a link of its choice. A guest that broke the engine in one run can therefore
 * reach the later runs of the same tenant in that worker, and nothing of
 * any other tenant's. A worker is not reused after a step that did not
 * end with the guest's own exit (a trap, a limit, an error, a crash: the
 * engine was interrupted somewhere), after a kernel step (its
 * interpreter state lives on), after POOL_RUNS sessions, or once idle
 * for POOL_IDLE_MS; idle workers are kept at most POOL_PER_TENANT per
 * tenant and POOL_IDLE in all. */
#include "session/wb_session.h"
#include "common/tree.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define POOL_RUNS 1000
#define POOL_PER_TENANT 4
#define POOL_IDLE 16
#define POOL_IDLE_MS 60000

typedef struct idle {
    char tenant[64];
    const wb_sandbox_config *policy;
    wb_session_settings settings;
    char *dir;                  /* its own state directory */
    pid_t pid;
    int fd;
    uint32_t runs;
    int64_t since;
} idle;

struct wb_pool {
    pthread_mutex_t mu;
    idle w[POOL_IDLE];          /* oldest first */
    size_t n;
};

wb_pool *wb_pool_new(void)
{
    wb_pool *p = calloc(1, sizeof *p);
    if (p)
        pthread_mutex_init(&p->mu, NULL);
    return p;
}

/* End a worker that left the pool and remove its directory. */
static void retire(wb_isolation *iso, idle *w)
{
    if (w->fd >= 0) {
        close(w->fd);
        wb_zyg_end(iso, w->pid, true);
    }
    if (w->dir)
        wb_tree_rm(AT_FDCWD, w->dir);
    free(w->dir);
    w->dir = NULL;
}

void wb_pool_free(wb_pool *p, wb_isolation *iso)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++)
        retire(iso, &p->w[i]);
    pthread_mutex_destroy(&p->mu);
    free(p);
}

static void drop_at(wb_pool *p, size_t i, idle *out)
{
    *out = p->w[i];
    memmove(&p->w[i], &p->w[i + 1], (p->n - i - 1) * sizeof p->w[0]);
    p->n--;
}

/* An idle worker has nothing to say: one whose channel is readable or
 * closed died or misbehaved meanwhile, and runs nothing more. */
static bool quiet(int fd)
{
    struct pollfd q = { .fd = fd, .events = POLLIN | POLLRDHUP };
    return poll(&q, 1, 0) == 0;
}

/* Take the warmest idle worker that fits s (into *got); the stale and
 * the misbehaving go to `gone` (*ngone of them) to be retired. */
static bool take(wb_pool *p, const wb_session *s, idle *got, idle *gone,
                 size_t *ngone)
{
    int64_t now = wb_wire_now_ms();
    bool found = false;
    pthread_mutex_lock(&p->mu);
    for (size_t i = p->n; i-- > 0;) {
        idle *w = &p->w[i];
        bool fits = !found && !strcmp(w->tenant, s->tenant) &&
                    w->policy == s->policy &&
                    !memcmp(&w->settings, &s->settings, sizeof s->settings);
        if (now - w->since > POOL_IDLE_MS || (fits && !quiet(w->fd)))
            drop_at(p, i, &gone[(*ngone)++]);
        else if (fits) {
            drop_at(p, i, got);
            found = true;
        }
    }
    pthread_mutex_unlock(&p->mu);
    return found;
}

/* mkdir, 0700; an existing directory will do. */
static int mkdir_ok(const char *path)
{
    return mkdir(path, 0700) == 0 || errno == EEXIST ? 0 : -1;
}

/* A new worker's own state directory under `base`, with its sessions/
 * (the server's: session.json, the lock), work/ (the workspace of each
 * session it runs, in turn: the only directory it may write) and
 * runtime/ (the drivers go there before the worker starts). */
static wb_status new_dir(const char *base, char **out, wb_error *err)
{
    uint8_t r[8];
    char dir[PATH_MAX], sub[PATH_MAX + 16];
    if (getrandom(r, sizeof r, 0) != sizeof r)
        return wb_err_set(err, WB_E_IO, "no randomness for a directory");
    int n = snprintf(dir, sizeof dir, "%s/w-", base);
    for (int i = 0; i < 8 && n > 0 && (size_t)n < sizeof dir - 3; i++)
        n += snprintf(dir + n, sizeof dir - (size_t)n, "%02x", r[i]);
    if (mkdir_ok(base) || mkdir(dir, 0700))
        return wb_err_set(err, WB_E_IO, "%s: cannot create: %s", dir,
                          strerror(errno));
    int rc = 0;
    static const char *const subs[] = { "sessions", "work", "runtime" };
    for (size_t i = 0; i < 3 && !rc; i++) {
        snprintf(sub, sizeof sub, "%s/%s", dir, subs[i]);
        rc = mkdir(sub, 0700);
    }
    if (rc || !(*out = strdup(dir))) {
        int e = rc ? errno : ENOMEM;
        wb_tree_rm(AT_FDCWD, dir);
        return wb_err_set(err, WB_E_IO, "%s: cannot create: %s", dir,
                          strerror(e));
    }
    return WB_OK;
}

wb_status wb_pool_attach(wb_session *s, const wb_session_options *o,
                         wb_error *err)
{
    wb_isolation *iso = o->isolation;
    wb_pool *p = wb_zyg_pool(iso);
    idle got = { .fd = -1 }, gone[POOL_IDLE];
    size_t ngone = 0;
    s->wk_pooled = true;
    snprintf(s->tenant, sizeof s->tenant, "%s", o->oneshot_tenant);
    bool warm = take(p, s, &got, gone, &ngone);
    for (size_t i = 0; i < ngone; i++)
        retire(iso, &gone[i]);
    if (warm) {
        s->state_dir = got.dir;
        s->wk_fd = got.fd;
        s->wk_pid = got.pid;
        s->wk_runs = got.runs;
        return WB_OK;
    }
    char *base = wb_session_state_dir(o);
    if (!base)
        return wb_err_set(err, WB_E_ARG, "no state directory");
    wb_status st = new_dir(base, &s->state_dir, err);
    free(base);
    return st;
}

wb_status wb_pool_paths(wb_session *s, bool make, wb_error *err)
{
    char ws[PATH_MAX];
    snprintf(ws, sizeof ws, "%s/work", s->state_dir);
    free(s->ws);
    if (!(s->ws = strdup(ws)))
        return wb_err_set(err, WB_E_NOMEM, "out of memory");
    if (make && mkdir(s->root, 0700) && errno != EEXIST)
        return wb_err_set(err, WB_E_IO, "%s: cannot create: %s", s->root,
                          strerror(errno));
    return WB_OK;
}

/* Empty the workspace for the worker's next session. The directory
 * itself stays: the worker's Landlock rule holds its inode. Never
 * follows a link the guest made (wb_tree_rm). */
static bool empty_workspace(const char *ws)
{
    int fd = open(ws, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    DIR *d = fd < 0 ? NULL : fdopendir(fd);
    if (!d) {
        if (fd >= 0)
            close(fd);
        return false;
    }
    bool ok = true;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
            wb_tree_rm(dirfd(d), e->d_name))
            ok = false;
    closedir(d);
    return ok;
}

/* Make room for one more of `tenant` (the oldest go to `gone`), then
 * keep `w`. */
static void put(wb_pool *p, const idle *w, idle *gone, size_t *ngone)
{
    pthread_mutex_lock(&p->mu);
    size_t mine = 0;
    for (size_t i = 0; i < p->n; i++)
        mine += !strcmp(p->w[i].tenant, w->tenant);
    for (size_t i = 0; i < p->n && mine >= POOL_PER_TENANT;)
        if (!strcmp(p->w[i].tenant, w->tenant)) {
            drop_at(p, i, &gone[(*ngone)++]);
            mine--;
        } else {
            i++;
        }
    if (p->n == POOL_IDLE)
        drop_at(p, 0, &gone[(*ngone)++]);
    p->w[p->n++] = *w;
    pthread_mutex_unlock(&p->mu);
}

void wb_pool_release(wb_session *s)
{
    wb_isolation *iso = s->iso;
    if (!s->state_dir)
        return;
    /* the session goes first: the worker never sees it again */
    if (s->lock_fd >= 0)
        close(s->lock_fd);
    s->lock_fd = -1;
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/sessions", s->state_dir);
    int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    bool gone_ok = dfd >= 0 && wb_tree_rm(dfd, s->id) == 0 && s->ws &&
                   empty_workspace(s->ws);
    if (dfd >= 0)
        close(dfd);
    idle w = { .policy = s->policy, .settings = s->settings,
               .dir = s->state_dir, .pid = s->wk_pid, .fd = s->wk_fd,
               .runs = s->wk_runs + 1, .since = wb_wire_now_ms() };
    snprintf(w.tenant, sizeof w.tenant, "%s", s->tenant);
    s->state_dir = NULL;                /* the pool's, or gone */
    s->wk_fd = -1;
    s->wk_pid = 0;
    idle gone[POOL_IDLE + 1];
    size_t ngone = 0;
    if (gone_ok && w.fd >= 0 && !s->wk_dirty && !s->wk_kernels &&
        w.runs < POOL_RUNS)
        put(wb_zyg_pool(iso), &w, gone, &ngone);
    else
        gone[ngone++] = w;
    s->wk_kernels = 0;
    for (size_t i = 0; i < ngone; i++)
        retire(iso, &gone[i]);
}
