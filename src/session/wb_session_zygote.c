/* wb_session_zygote.c: isolation's zygote, the process that forks the
 * workers (include/wasmbox/session.h, docs/os-sandbox.md).
 *
 * Why a zygote: a server is multi-threaded, and a fork of a threaded
 * process copies only the calling thread, with every lock another thread
 * held left locked for ever (malloc's, our mutexes, libmicrohttpd's). The
 * zygote is forked once, before the server starts threads and before it
 * reads its API keys, so it is single-threaded and holds no secret; it
 * loads the guest images once (the workers share their pages) and forks a
 * worker per request. It enters the new namespaces (user when not root,
 * mount, network, IPC) once for all workers:
 * creating a network namespace per run would cost more than the run.
 *
 * Control protocol (a stream socketpair, wb_session_wire.c), one request
 * at a time under iso->mu, each answered:
 *   Z_SPAWN { state dir, pooled, id, budget, settings } + the worker's
 *           socket                                   -> Z_PID { pid }
 *                                                          or Z_ERR { msg }
 *   Z_END { pid, kill }                                    -> Z_STATUS { status }
 * and, once, unasked: Z_STATUS {} when the zygote is ready.
 * Only the zygote reaps its children, and only in Z_END, so a pid the
 * server names is never a recycled one. When the server goes away the
 * zygote reads EOF and exits, and its workers die with it (PDEATHSIG). */
#include "session/wb_session.h"
#include "sandbox/oslock.h"
#include "sandbox/sandbox.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pwd.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { Z_SPAWN = 1, Z_END, Z_PID, Z_ERR, Z_STATUS };
#define Z_MAX (64u << 10)

struct wb_isolation {
    int ctl;
    pid_t pid;
    pthread_mutex_t mu;
    bool broken;                /* an answer was lost: answers could now
                                   belong to other requests, so none is
                                   trusted again (fail closed) */
    _Atomic uint64_t crashes;
    wb_pool *pool;              /* warm workers (wb_session_pool.c) */
    /* started as root: the workers' user, who must own their workspaces
       (wb_zyg_owner) */
    bool chown;
    uid_t uid;
    gid_t gid;
};

/* ---- the zygote's side ------------------------------------------------- */

/* The uid/gid decision (as root) for the workers of one state directory:
 * made once, since it forks to let the kernel check each path. */
typedef struct zplan {
    char state_dir[4096];
    wb_oslock_ids ids;
    char err[512];              /* "" or why no worker may start */
} zplan;

typedef struct zygote {
    int ctl;
    const wb_session_options *o;
    const char *user;
    char *guests_dir;
    zplan plans[4];
    size_t nplans;
    void *seccomp;              /* the workers' filter, built once */
    char seccomp_err[512];
    struct kid *kids;           /* forked, and not yet both reaped and
                                   asked about */
    size_t nkids, capkids;
} zygote;

/* A worker: live until reaped; then its status waits for the server's
 * Z_END (a crash asks for it), unless the server has let it go. */
struct kid {
    pid_t pid;
    bool dead, abandoned;
    int status;
};

static struct kid *kid_find(zygote *z, pid_t pid)
{
    for (size_t i = 0; i < z->nkids; i++)
        if (z->kids[i].pid == pid)
            return &z->kids[i];
    return NULL;
}

static bool kid_add(zygote *z, pid_t pid)
{
    if (z->nkids == z->capkids) {
        size_t cap = z->capkids ? z->capkids * 2 : 64;
        struct kid *k = realloc(z->kids, cap * sizeof *k);
        if (!k)
            return false;
        z->kids = k;
        z->capkids = cap;
    }
    z->kids[z->nkids++] = (struct kid){ .pid = pid };
    return true;
}

static void kid_del(zygote *z, struct kid *k)
{
    *k = z->kids[--z->nkids];
}

/* Reap every worker that has exited, keeping the status of those the
 * server has not let go of. */
static void reap_all(zygote *z)
{
    pid_t pid;
    int status;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        struct kid *k = kid_find(z, pid);
        if (k && k->abandoned)
            kid_del(z, k);
        else if (k) {
            k->dead = true;
            k->status = status;
        }
    }
}

static void zreply_err(int ctl, const char *msg)
{
    wb_wbuf w = { 0 };
    wb_wput_str(&w, msg);
    wb_frame_send(ctl, Z_ERR, &w, -1);
    wb_wbuf_free(&w);
}

static void zreply_u64(int ctl, uint32_t type, uint64_t v)
{
    wb_wbuf w = { 0 };
    wb_wput_u64(&w, v);
    wb_frame_send(ctl, type, &w, -1);
    wb_wbuf_free(&w);
}

/* Can the workers' user reach `dir` (search rights on it and every
 * directory above)? The kernel's own check, with our file-system ids
 * set to theirs (and the file capabilities thus dropped) for the call:
 * no fork. */
static bool can_enter(const wb_oslock_ids *ids, const char *dir)
{
    setfsgid(ids->gid);
    setfsuid(ids->uid);
    bool ok = faccessat(AT_FDCWD, dir, X_OK, AT_EACCESS) == 0;
    setfsuid(0);
    setfsgid(0);
    return ok;
}

static const zplan *plan_for(zygote *z, const char *state_dir)
{
    for (size_t i = 0; i < z->nplans; i++)
        if (!strcmp(z->plans[i].state_dir, state_dir))
            return &z->plans[i];
    zplan *p = &z->plans[z->nplans < 4 ? z->nplans++ : 3];
    memset(p, 0, sizeof *p);
    snprintf(p->state_dir, sizeof p->state_dir, "%s", state_dir);
    const wb_sandbox_config *pol = z->o->policy;
    wb_oslock_path *paths = calloc(pol->ngrants + 2, sizeof *paths);
    size_t n = 0;
    if (!paths) {
        snprintf(p->err, sizeof p->err, "out of memory");
        return p;
    }
    /* the workspaces are the server's to make usable (wb_zyg_owner: the
       workers' user owns them, the directories above are 0711) */
    if (access(z->guests_dir, F_OK) == 0)
        paths[n++] = (wb_oslock_path){ z->guests_dir, false };
    for (size_t i = 0; i < pol->ngrants; i++)
        if (pol->grants[i].kind == WB_GRANT_DIR)
            paths[n++] = (wb_oslock_path){ pol->grants[i].host,
                                           !pol->grants[i].read_only };
    wb_error e = { 0 };
    if (wb_oslock_privs_plan(z->user, paths, n, &p->ids, &e))
        snprintf(p->err, sizeof p->err, "%s", e.message);
    free(paths);
    if (p->ids.drop && !can_enter(&p->ids, state_dir))
        p->ids.drop = false;            /* keep uid 0, file caps only */
    if (geteuid() == 0 && !*p->err && !p->ids.drop && p->ids.uid)
        fprintf(stderr, "wasmbox: warning: the workers keep uid 0 (with "
                "the file capabilities only): their user cannot use the "
                "guest images or a grant, or enter %s (see "
                "docs/os-sandbox.md)\n", state_dir);
    return p;
}

static void z_spawn(zygote *z, wb_frame *f)
{
    if (f->fd < 0) {
        zreply_err(z->ctl, "no socket came with the request");
        return;
    }
    wb_rbuf spec = { f->data, f->len, 0, false };
    char state_dir[4096], plan_dir[4096];
    wb_rget_str(&spec, state_dir, sizeof state_dir);
    bool pooled = wb_rget_u32(&spec);
    /* a pooled worker's directory is new each time: its plan is that of
       the directory it is made in (the same owner and modes) */
    snprintf(plan_dir, sizeof plan_dir, "%s", state_dir);
    char *slash = strrchr(plan_dir, '/');
    if (pooled && slash && slash != plan_dir)
        *slash = 0;
    const zplan *plan = plan_for(z, plan_dir);
    pid_t pid = fork();
    if (pid == 0) {
        close(z->ctl);
        /* the server's log is the server's: a worker's own writes (a
           guest that broke the engine could forge lines) go nowhere */
        dup2(1, 2);                     /* /dev/null, see zygote_main */
        wb_worker_env env = {
            .base = z->o->policy, .guests_dir = z->guests_dir,
            .state_dir = state_dir, .ids = &plan->ids, .seccomp = z->seccomp,
            .plan_err = *plan->err ? plan->err : z->seccomp_err,
            .pooled = pooled,
        };
        wb_worker_main(f->fd, &env, &spec);
    }
    if (pid > 0 && !kid_add(z, pid)) {
        kill(pid, SIGKILL);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            ;
        pid = -1;
        errno = ENOMEM;
    }
    if (pid < 0) {
        char msg[128];
        snprintf(msg, sizeof msg, "cannot start a worker process: %s",
                 strerror(errno));
        zreply_err(z->ctl, msg);
        return;
    }
    zreply_u64(z->ctl, Z_PID, (uint64_t)pid);
}

/* Wait up to `ms` for child `pid`; its status, or -1 while it runs. */
static int reap_within(pid_t pid, int ms)
{
    for (int waited = 0;; waited++) {
        int status;
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            return status;
        if (r < 0 && errno != EINTR)
            return -1;
        if (waited >= ms)
            return -1;
        struct timespec t = { 0, 1000000 };
        nanosleep(&t, NULL);
    }
}

/* Z_END: a session's end kills its worker and answers at once (the
 * worker is reaped later, by reap_all: its exit can take milliseconds);
 * a crash waits a moment for the status. Only a pid that is still our
 * unreaped child is signalled, so never a recycled one. */
static void z_end(zygote *z, wb_frame *f)
{
    wb_rbuf r = { f->data, f->len, 0, false };
    pid_t pid = (pid_t)wb_rget_u64(&r);
    bool kill_now = wb_rget_u32(&r);
    int status = -1;
    struct kid *k = r.bad || pid <= 0 ? NULL : kid_find(z, pid);
    if (k && !k->dead && !kill_now && (status = reap_within(pid, 200)) != -1) {
        k->dead = true;
        k->status = status;
    }
    if (k && !k->dead) {
        kill(pid, SIGKILL);
        if (kill_now) {
            k->abandoned = true;        /* reap_all drops it */
        } else {
            while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
            kid_del(z, k);
        }
    } else if (k) {
        status = k->status;
        kid_del(z, k);
    }
    zreply_u64(z->ctl, Z_STATUS, (uint64_t)(int64_t)status);
}

static void write_proc(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
        (void)!write(fd, text, strlen(text));
        close(fd);
    }
}

/* One namespace flag at a time: whichever the kernel and our rights
 * allow (none is required: seccomp already denies sockets and SysV IPC
 * is harmless without shared keys; these are one more wall). The tests
 * read which ones from /proc/PID/ns. */
/* net: the policy grants outbound HTTP (docs/network.md): the workers
 * keep the host's network namespace, their lock-down then allows the
 * rules' ports only and src/net/ checks every address. */
static void enter_namespaces(bool net)
{
    uid_t uid = geteuid();
    gid_t gid = getegid();
    if (uid != 0 && unshare(CLONE_NEWUSER) == 0) {
        char map[64];
        /* the same ids inside: files keep their owner */
        snprintf(map, sizeof map, "%u %u 1", uid, uid);
        write_proc("/proc/self/uid_map", map);
        write_proc("/proc/self/setgroups", "deny");
        snprintf(map, sizeof map, "%u %u 1", gid, gid);
        write_proc("/proc/self/gid_map", map);
    }
    /* a private copy of the mount table: nothing the workers could do
       to it (seccomp kills mount calls) would reach the host's */
    unshare(CLONE_NEWNS);
    if (!net)
        unshare(CLONE_NEWNET);
    unshare(CLONE_NEWIPC);
}

/* The images the settings allow, loaded once: workers share them, with
 * their machine code from the cache (tier cached) mapped here, since a
 * worker may not map code (wb_session_native.c); then no more loading.
 * The log names the runtimes that run natively. */
static void preload(zygote *z)
{
    const wb_session_settings *ss = z->o->settings;
    bool native = !(ss && ss->interp);
    char names[128] = "";
    for (int l = 0; l < WB_LANG_COUNT; l++) {
        wb_module *m;
        if (ss && !(ss->languages & WB_LANG_BIT(l)))
            continue;
        if (wb_guest_image_of(l)->module &&
            wb_sess_image(z->guests_dir, (wb_lang)l, native, &m, NULL) ==
                WB_OK) {
            if (wb_module_is_native(m))
                snprintf(names + strlen(names), sizeof names - strlen(names),
                         "%s%s", *names ? ", " : "", wb_lang_name(l));
            wb_module_release(m);       /* the cache keeps one */
        }
        if (l == WB_LANG_PYTHON)        /* python.snap, if any */
            wb_sess_preinit(z->guests_dir, native, true);
    }
    wb_sess_native_freeze();
    /* python.snap's check ran the guest under a deadline, which started
       the watchdog thread: the zygote forks, so it must be one thread */
    wb_watchdog_join();
    if (*names)
        fprintf(stderr, "wasmbox: native code from the cache for: %s\n",
                names);
}

/* The server's environment is not the workers': it may hold secrets
 * ($WASMBOX_API_KEYS, credentials of the host). clearenv alone would
 * leave the strings where the kernel put them, on this process's stack,
 * for a worker that has broken the engine to read: wipe them first. */
static void scrub_environment(void)
{
    for (char **e = environ; e && *e; e++)
        memset(*e, 0, strlen(*e));
    clearenv();
}

static _Noreturn void zygote_main(zygote *z)
{
    /* where the native code cache is: all preload keeps of the
       environment (a path, no secret) */
    char cache[4096];
    wb_sess_native_cache_base(cache, sizeof cache);
    scrub_environment();
    if (*cache)
        setenv("XDG_CACHE_HOME", cache, 1);
    prctl(PR_SET_NAME, "wasmbox-zygote", 0, 0, 0);
    /* stdout may be the MCP client's channel: nothing of ours may reach
       it; stderr stays (the server's log) */
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null >= 0) {
        dup2(null, 0);
        dup2(null, 1);
        close(null);
    }
    signal(SIGPIPE, SIG_IGN);
    signal(SIGCHLD, SIG_DFL);
    bool net = z->o->policy->budget.net.nallow > 0;
    enter_namespaces(net);
    wb_frame_send(z->ctl, Z_STATUS, NULL, -1);     /* ready */
    /* workers cannot say it themselves (their stderr is /dev/null) */
    if (wb_oslock_landlock_abi() < 1)
        fprintf(stderr, "wasmbox: warning: this kernel has no Landlock: "
                "workers are confined to their grants by descriptors "
                "only (see 'wasmbox sandbox-info')\n");
    preload(z);
    wb_error e = { 0 };
    if (!(z->seccomp = wb_oslock_seccomp_build(true, wb_oslock_nosuid(), net,
                                                &e)))
        snprintf(z->seccomp_err, sizeof z->seccomp_err, "%s", e.message);
    for (;;) {
        wb_frame f;
        int rc = wb_frame_recv(z->ctl, Z_MAX, &f, -1);
        if (rc)
            _exit(0);                   /* the server is gone */
        reap_all(z);
        if (f.type == Z_SPAWN)
            z_spawn(z, &f);
        else if (f.type == Z_END)
            z_end(z, &f);
        else
            zreply_err(z->ctl, "unknown request");
        wb_frame_free(&f);
    }
}

/* ---- the server's side ------------------------------------------------- */

wb_status wb_isolation_start(const wb_session_options *o, const char *user,
                             wb_isolation **out, wb_error *err)
{
    *out = NULL;
    zygote z = { .o = o, .user = user };
    z.guests_dir = wb_guests_dir(o ? o->guests_dir : NULL);
    wb_isolation *iso = calloc(1, sizeof *iso);
    int sv[2] = { -1, -1 };
    wb_status st = WB_OK;
    if (!o || !o->policy)
        st = wb_err_set(err, WB_E_ARG, "isolation needs a policy");
    else if (!z.guests_dir || !iso || !(iso->pool = wb_pool_new()))
        st = wb_err_set(err, WB_E_NOMEM, "out of memory");
    else if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        st = wb_err_set(err, WB_E_IO, "socketpair: %s", strerror(errno));
    pid_t parent = getpid();
    pid_t pid = st ? -1 : fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        if (getppid() != parent)
            _exit(0);
        z.ctl = sv[1];
        /* nothing of the server's but the channel and stdio */
        syscall(SYS_close_range, 3, (unsigned)sv[1] - 1, 0);
        syscall(SYS_close_range, (unsigned)sv[1] + 1, ~0u, 0);
        zygote_main(&z);
    }
    free(z.guests_dir);
    if (sv[1] >= 0)
        close(sv[1]);
    if (!st && pid < 0)
        st = wb_err_set(err, WB_E_IO, "cannot start the zygote: %s",
                        strerror(errno));
    wb_frame f = { .fd = -1 };
    if (!st && wb_frame_recv(sv[0], Z_MAX, &f, wb_wire_now_ms() + 30000))
        st = wb_err_set(err, WB_E_IO, "the zygote did not start");
    if (st) {
        if (sv[0] >= 0)
            close(sv[0]);
        if (pid > 0) {
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
        }
        if (iso)
            wb_pool_free(iso->pool, NULL);
        free(iso);
        return st;
    }
    wb_frame_free(&f);
    iso->ctl = sv[0];
    iso->pid = pid;
    struct passwd *pw = geteuid() == 0 && (!user || strcmp(user, "root"))
                      ? getpwnam(user ? user : "nobody") : NULL;
    if (pw && pw->pw_uid != 0) {
        iso->chown = true;
        iso->uid = pw->pw_uid;
        iso->gid = pw->pw_gid;
    }
    pthread_mutex_init(&iso->mu, NULL);
    *out = iso;
    return WB_OK;
}

void wb_isolation_stop(wb_isolation *iso)
{
    if (!iso)
        return;
    wb_pool_free(iso->pool, iso);
    close(iso->ctl);                    /* the zygote exits on EOF */
    kill(iso->pid, SIGKILL);
    while (waitpid(iso->pid, NULL, 0) < 0 && errno == EINTR)
        ;
    pthread_mutex_destroy(&iso->mu);
    free(iso);
}

uint64_t wb_isolation_crashes(const wb_isolation *iso)
{
    return iso ? atomic_load(&((wb_isolation *)iso)->crashes) : 0;
}

wb_pool *wb_zyg_pool(wb_isolation *iso)
{
    return iso->pool;
}

bool wb_zyg_owner(const wb_isolation *iso, uid_t *uid, gid_t *gid)
{
    *uid = iso->uid;
    *gid = iso->gid;
    return iso->chown;
}

void wb_zyg_count_crash(wb_isolation *iso)
{
    atomic_fetch_add(&iso->crashes, 1);
}

/* One request and its answer. */
static int zcall(wb_isolation *iso, uint32_t type, wb_wbuf *w, int fd,
                 wb_frame *ans)
{
    pthread_mutex_lock(&iso->mu);
    int rc = iso->broken ? EPIPE : wb_frame_send(iso->ctl, type, w, fd);
    if (!rc)
        rc = wb_frame_recv(iso->ctl, Z_MAX, ans, wb_wire_now_ms() + 30000);
    if (rc && !iso->broken) {
        iso->broken = true;
        kill(iso->pid, SIGKILL);        /* and its workers with it */
        fprintf(stderr, "wasmbox: the zygote stopped answering (%s); no "
                "worker process can start now\n", strerror(rc));
    }
    pthread_mutex_unlock(&iso->mu);
    return rc;
}

wb_status wb_zyg_spawn(wb_isolation *iso, wb_session *s, pid_t *pid,
                       int *fd, wb_error *err)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        return wb_err_set(err, WB_E_IO, "socketpair: %s", strerror(errno));
    wb_wbuf w = { 0 };
    wb_wput_str(&w, s->state_dir);
    wb_wput_u32(&w, s->wk_pooled);
    wb_wput_str(&w, s->id);
    wb_wput_raw(&w, &s->policy->budget, sizeof s->policy->budget);
    wb_wput_raw(&w, &s->settings, sizeof s->settings);
    wb_frame f;
    int rc = zcall(iso, Z_SPAWN, &w, sv[1], &f);
    wb_wbuf_free(&w);
    close(sv[1]);
    wb_status st = WB_OK;
    if (rc) {
        st = wb_err_set(err, WB_E_IO, "the zygote does not answer: %s",
                        strerror(rc));
    } else if (f.type == Z_PID) {
        wb_rbuf r = { f.data, f.len, 0, false };
        *pid = (pid_t)wb_rget_u64(&r);
        *fd = sv[0];
    } else {
        char msg[256] = "a malformed answer";
        wb_rbuf r = { f.data, f.len, 0, false };
        if (f.type == Z_ERR)
            wb_rget_str(&r, msg, sizeof msg);
        st = wb_err_set(err, WB_E_IO, "zygote: %s", msg);
    }
    if (!rc)
        wb_frame_free(&f);
    if (st)
        close(sv[0]);
    return st;
}

int wb_zyg_end(wb_isolation *iso, pid_t pid, bool kill_now)
{
    wb_wbuf w = { 0 };
    wb_wput_u64(&w, (uint64_t)pid);
    wb_wput_u32(&w, kill_now);
    wb_frame f;
    int rc = zcall(iso, Z_END, &w, -1, &f);
    wb_wbuf_free(&w);
    if (rc)
        return -1;
    wb_rbuf r = { f.data, f.len, 0, false };
    int status = (int)(int64_t)wb_rget_u64(&r);
    bool ok = f.type == Z_STATUS && !r.bad;
    wb_frame_free(&f);
    return ok ? status : -1;
}
