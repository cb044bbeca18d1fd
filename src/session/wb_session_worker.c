/* wb_session_worker.c: a session's worker process (isolation, see
 * include/wasmbox/session.h and docs/os-sandbox.md).
 *
 * The server's side keeps the session: its lock, session.json, the quota,
 * files put and read by the API. The worker holds only what its steps
 * need: the session's workspace, the guest images, the policy's grants,
 * and the interpreters (kernels) whose state lives between steps. It is
 * started on the session's first step and ended with the session, by
 * wb_session_reset, or when it dies.
 *
 * Protocol on the session's socketpair (wb_session_wire.c):
 *   worker -> server  W_READY {} once locked down, or W_ERR { message }
 *   server -> worker  W_STEP { session id, lang, kernel, budget, lost,
 *                              why, code, db, args, discard } + the
 *                              program's
 *                              stdin (a descriptor); a pooled worker
 *                              (wb_session_pool.c) takes a new id as its
 *                              next throw-away session, any other must
 *                              always get its own
 *   server -> worker  W_FENCE {} + the session's fence (a memfd, shared
 *                              sessions only: wb_session_fence.c), once
 *                              after W_READY
 *   worker -> server  W_RESULT { status, error, run result, stdout,
 *                                stderr, state flags, note, lost, why,
 *                                committed }
 *   worker -> server  W_CRASH { system call }: seccomp refused a call that
 *                     kills (its SIGSYS handler writes it, then dies)
 * The server trusts nothing it reads: the worker stands for a guest that
 * may have broken the engine. Lengths are bounded by the step's output
 * budget, strings are cut and terminated, enums checked; a reply that
 * breaks any of this, or none by the step's deadline, ends the worker and
 * counts as a crash. */
#include "session/wb_session.h"
#include "sandbox/oslock.h"
#include "common/tree.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <unistd.h>

enum { W_READY = 1, W_ERR, W_STEP, W_RESULT, W_CRASH, W_FENCE };

/* Time a step may take beyond its own timeout: starting an interpreter
 * (the kernel's start-up has its own 60 s limit) and the replies. */
#define GRACE_MS 70000
#define READY_MS 30000

/* ---- server side -------------------------------------------------------- */

static void incident_id(char *out, size_t cap)
{
    uint32_t r = 0;
    if (getrandom(&r, sizeof r, 0) != sizeof r)
        r = (uint32_t)wb_wire_now_ms() ^ (uint32_t)getpid();
    snprintf(out, cap, "%08x", r);
}

/* How the worker ended, from its wait status and a reported syscall. */
static void describe_end(int status, int syscall_nr, const char *why,
                         char *out, size_t cap)
{
    if (syscall_nr >= 0) {
        char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE,
                                                      syscall_nr);
        snprintf(out, cap, "was stopped by seccomp at system call %d (%s)",
                 syscall_nr, name ? name : "?");
        free(name);
    } else if (why) {
        snprintf(out, cap, "%s", why);
    } else if (status != -1 && WIFSIGNALED(status)) {
        snprintf(out, cap, "was killed by signal %d (SIG%s)",
                 WTERMSIG(status), sigabbrev_np(WTERMSIG(status))
                 ? sigabbrev_np(WTERMSIG(status)) : "?");
    } else if (status != -1 && WIFEXITED(status)) {
        snprintf(out, cap, "exited with status %d", WEXITSTATUS(status));
    } else {
        snprintf(out, cap, "was lost");
    }
}

/* The worker is gone or must go: reap it, log, count, mark the kernels
 * it held lost, and fail the step. */
static wb_status crashed(wb_session *s, int syscall_nr, const char *why,
                         wb_error *err)
{
    char id[16], how[160];
    int status = wb_zyg_end(s->iso, s->wk_pid, why != NULL);
    describe_end(status, syscall_nr, why, how, sizeof how);
    incident_id(id, sizeof id);
    fprintf(stderr, "wasmbox: incident %s: session %s: worker process %d "
            "%s\n", id, s->id, (int)s->wk_pid, how);
    wb_zyg_count_crash(s->iso);
    for (int l = 0; l < WB_LANG_COUNT; l++)
        if (s->wk_kernels & WB_LANG_BIT(l)) {
            s->lost[l] = true;
            snprintf(s->lost_why[l], sizeof s->lost_why[l], "its worker "
                     "process crashed (incident %s)", id);
        }
    close(s->wk_fd);
    s->wk_fd = -1;
    s->wk_pid = 0;
    s->wk_kernels = 0;
    wb_status st = wb_err_set(err, WB_E_CRASH, "the worker process running "
                              "this step %s (incident %s in the server's "
                              "log)", how, id);
    if (err)
        snprintf(err->incident, sizeof err->incident, "%s", id);
    return st;
}

void wb_worker_stop(wb_session *s)
{
    if (s->wk_fd < 0)
        return;
    close(s->wk_fd);
    wb_zyg_end(s->iso, s->wk_pid, true);
    s->wk_fd = -1;
    s->wk_pid = 0;
    s->wk_kernels = 0;
}

/* ---- started as root: workspaces the workers' user owns ------------------
 *
 * The workers drop to an unprivileged user (--os-user, default nobody)
 * when it can use the guest images and the grants and reach the state
 * directory (the zygote's plan). The server, still root, makes the rest
 * usable by that user and by nobody else: the directories above a
 * workspace are 0711 (entered, never listed: a session's id is its
 * secret), the runtime directory 0755, and the workspace and what is in
 * it belong to the user. The key file, session.json files and every
 * other file of the server stay root's own. */

static int give_leaf(void *u, int dfd, const char *name, const struct stat *sb)
{
    const uid_t *ids = u;
    /* only what the server made (root's), never through a link another
       name shares: a hard link to a file outside would hand it over */
    if (sb->st_uid != 0 || (!S_ISDIR(sb->st_mode) && sb->st_nlink != 1))
        return 0;
    return fchownat(dfd, name, ids[0], (gid_t)ids[1], AT_SYMLINK_NOFOLLOW);
}

/* Before each step: the workspace and what the server put in it belong
 * to the workers' user (walked without following a symlink: neither the
 * workspace nor the session's directory is followed, whatever another
 * writer of a shared state directory put in their place). */
static void own_workspace(wb_session *s)
{
    uid_t ids[2];
    gid_t gid;
    if (!wb_zyg_owner(s->iso, &ids[0], &gid))
        return;
    ids[1] = (uid_t)gid;
    wb_tree_ops ops = { give_leaf, give_leaf, ids };
    const int dir = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
    /* a pooled one's root is not on the way to its workspace */
    int root = s->wk_pooled ? -1 : open(s->root, dir);
    int ws = s->wk_pooled ? open(s->ws, dir)
           : root < 0 ? -1 : openat(root, "work", dir);
    if (root >= 0)
        fchmod(root, 0711);
    if (ws >= 0 && fchown(ws, ids[0], gid) == 0)
        wb_tree_walk(ws, ".", &ops);
    if (ws >= 0)
        close(ws);
    if (root >= 0)
        close(root);
}

/* Before a worker starts: the directories it must enter. */
static void open_dirs(wb_session *s)
{
    uid_t uid;
    gid_t gid;
    char path[4096];
    if (!wb_zyg_owner(s->iso, &uid, &gid))
        return;
    snprintf(path, sizeof path, "%s/sessions", s->state_dir);
    chmod(s->state_dir, 0711);
    if (s->wk_pooled) {
        char *slash = strrchr(s->state_dir, '/');
        snprintf(path, sizeof path, "%.*s", slash ? (int)(slash -
                 s->state_dir) : 0, s->state_dir);
        if (*path)
            chmod(path, 0711);          /* the scratch directory */
    } else {
        chmod(path, 0711);
    }
}

/* Before a worker starts: the directory of its kernels' checkpoint
 * copies (wb_session_kernel.c), outside the workspace, which its guests
 * write, and the workers' user's, the copies in it too. */
static void ckpt_dir(wb_session *s)
{
    char path[4096];
    uid_t uid;
    gid_t gid;
    if (s->wk_pooled)
        return;                          /* one-shot runs: no kernels */
    snprintf(path, sizeof path, "%s/ckpt", s->root);
    if (mkdir(path, 0700) && errno != EEXIST)
        return;
    if (!wb_zyg_owner(s->iso, &uid, &gid))
        return;
    lchown(path, uid, gid);
    /* and a copy written in-process (a server run with --no-os-sandbox
       before), which the worker must read to go on from it */
    uid_t ids[2] = { uid, (uid_t)gid };
    wb_tree_ops ops = { give_leaf, give_leaf, ids };
    wb_tree_walk(AT_FDCWD, path, &ops);
}

/* A shared session's fence to its new worker, which maps it. */
static wb_status send_fence(wb_session *s, wb_error *err)
{
    wb_wbuf w = { 0 };
    int rc = s->fence_fd < 0 ? 0 : wb_frame_send(s->wk_fd, W_FENCE, &w,
                                                 s->fence_fd);
    if (rc)
        return crashed(s, -1, NULL, err);
    return WB_OK;
}

/* A running, locked-down worker for `s`. */
static wb_status ensure(wb_session *s, wb_error *err)
{
    if (s->wk_fd >= 0)
        return WB_OK;
    open_dirs(s);
    ckpt_dir(s);
    wb_status st = wb_sess_drivers(s, err);  /* the worker cannot write them */
    uid_t uid;
    gid_t gid;
    if (!st && wb_zyg_owner(s->iso, &uid, &gid))
        chmod(s->runtime_dir, 0755);    /* read by the workers' user */
    if (!st)
        st = wb_zyg_spawn(s->iso, s, &s->wk_pid, &s->wk_fd, err);
    if (st)
        return st;
    wb_frame f;
    int rc = wb_frame_recv(s->wk_fd, 4096, &f, wb_wire_now_ms() + READY_MS);
    if (rc)
        return crashed(s, -1, rc == ETIMEDOUT ? "did not start in time"
                       : NULL, err);
    if (f.type == W_READY) {
        wb_frame_free(&f);
        return send_fence(s, err);
    }
    char msg[400] = "sent a malformed greeting";
    wb_rbuf r = { f.data, f.len, 0, false };
    if (f.type == W_ERR)
        wb_rget_str(&r, msg, sizeof msg);
    wb_frame_free(&f);
    wb_worker_stop(s);
    /* fail closed: no lock-down, no guest */
    return wb_err_set(err, WB_E_IO, "the worker process cannot run the "
                      "step: %s", msg);
}

static void put_step(wb_wbuf *w, wb_session *s, wb_lang lang, bool kernel,
                     const char *code, size_t len, const wb_step_options *o,
                     const wb_budget *b)
{
    wb_wput_str(w, s->id);
    wb_wput_u32(w, lang);
    wb_wput_u32(w, kernel);
    wb_wput_raw(w, b, sizeof *b);
    wb_wput_u32(w, s->lost[lang]);
    wb_wput_str(w, s->lost_why[lang]);
    wb_wput_bytes(w, code, len);
    wb_wput_u32(w, o->db != NULL);
    wb_wput_str(w, o->db);
    wb_wput_u64(w, o->nargs);
    for (size_t i = 0; i < o->nargs; i++)
        wb_wput_str(w, o->args[i]);
    wb_wput_u32(w, o->discard);
}

/* A bool that came as raw bytes holds 0 or 1: any other byte is not a
 * value of the type (reading it is undefined), so it is not looked at as
 * a bool before it is checked. */
static bool raw_bool_ok(const bool *b)
{
    unsigned char c;
    memcpy(&c, b, 1);
    return c <= 1;
}

/* The result, checked: false when the worker broke the protocol. */
bool wb_worker_result(wb_rbuf *r, wb_session *s, wb_lang lang,
                      wb_status *st, wb_step_result *res, wb_error *err)
{
    wb_error e = { 0 };
    *st = (wb_status)wb_rget_u32(r);
    wb_rget_str(r, e.message, sizeof e.message);
    e.trap = (wb_trap_kind)wb_rget_u32(r);
    e.exit_code = (int)wb_rget_u32(r);
    wb_rget_raw(r, &res->run, sizeof res->run);
    res->run.message[sizeof res->run.message - 1] = 0;
    res->run.backtrace[sizeof res->run.backtrace - 1] = 0;
    res->out = wb_rget_dup(r, &res->out_len);
    res->err = wb_rget_dup(r, &res->err_len);
    res->persistent = wb_rget_u32(r);
    res->state_kept = wb_rget_u32(r);
    res->state_lost_after = wb_rget_u32(r);
    res->rolled_back = wb_rget_u32(r);
    res->live_step = wb_rget_u32(r);
    wb_rget_str(r, res->note, sizeof res->note);
    res->native = wb_rget_u32(r) != 0;
    bool lost = wb_rget_u32(r);
    char why[sizeof s->lost_why[0]];
    wb_rget_str(r, why, sizeof why);
    bool committed = wb_rget_u32(r) != 0;
    /* (WB_E_SNAPSHOT: the last status; a crash is ours to declare) */
    if (r->bad || r->off != r->len || *st > WB_E_SNAPSHOT ||
        *st == WB_E_CRASH ||
        !raw_bool_ok(&res->run.stdout_truncated) ||
        !raw_bool_ok(&res->run.stderr_truncated) ||
        (unsigned)res->run.outcome > WB_OUTCOME_ERROR ||
        (unsigned)res->run.status > WB_E_SNAPSHOT ||
        (unsigned)e.trap > WB_TRAP_HOST)
        return false;
    s->lost[lang] = lost;
    snprintf(s->lost_why[lang], sizeof s->lost_why[lang], "%s", why);
    s->committed = committed;
    if (*st && err) {
        e.status = *st;
        *err = e;
    }
    return true;
}

wb_status wb_worker_step(wb_session *s, wb_lang lang, bool kernel,
                         const char *code, size_t len,
                         const wb_step_options *o, const wb_budget *b,
                         int in_fd, wb_step_result *res, wb_error *err)
{
    wb_status st = ensure(s, err);
    if (st)
        return st;
    own_workspace(s);
    wb_wbuf w = { 0 };
    put_step(&w, s, lang, kernel, code, len, o, b);
    int rc = wb_frame_send(s->wk_fd, W_STEP, &w, in_fd);
    wb_wbuf_free(&w);
    if (rc == ENOMEM)
        return wb_err_set(err, WB_E_NOMEM, "out of memory");
    if (kernel)
        s->wk_kernels |= WB_LANG_BIT(lang);
    int64_t dl = b->timeout_ms ? wb_wire_now_ms() + (int64_t)b->timeout_ms
                                 + GRACE_MS : -1;
    uint64_t out_max = b->max_output < (1ull << 30) ? b->max_output
                                                    : (1ull << 30);
    int syscall_nr = -1;
    wb_frame f = { .fd = -1 };
    while (!rc) {
        rc = wb_frame_recv(s->wk_fd, 2 * out_max + (1u << 20), &f, dl);
        if (rc || f.type != W_CRASH)
            break;
        wb_rbuf r = { f.data, f.len, 0, false };
        syscall_nr = (int)wb_rget_u32(&r);
        wb_frame_free(&f);
    }
    if (rc)
        return crashed(s, syscall_nr, rc == ETIMEDOUT ? "did not answer by "
                       "the step's deadline and was killed" : rc == EPIPE
                       ? NULL : "broke the protocol and was killed", err);
    wb_rbuf r = { f.data, f.len, 0, false };
    bool ok = f.type == W_RESULT && wb_worker_result(&r, s, lang, &st, res, err);
    wb_frame_free(&f);
    if (!ok) {
        wb_step_result_free(res);
        memset(res, 0, sizeof *res);
        return crashed(s, -1, "broke the protocol and was killed", err);
    }
    /* only a guest's own exit ends a run where the engine expects it */
    if (st || res->run.outcome != WB_OUTCOME_EXITED)
        s->wk_dirty = true;
    return st;
}

/* ---- worker side -------------------------------------------------------- */

static int report_fd = -1;

/* seccomp's SIGSYS (SECCOMP_RET_TRAP, see oslock_seccomp.c): tell the
 * server which call it was, then die of the signal. Async-signal-safe. */
static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    uint32_t frame[3] = { W_CRASH, 4, (uint32_t)si->si_syscall };
    (void)!write(report_fd, frame, sizeof frame);
    signal(sig, SIG_DFL);
    raise(sig);                         /* delivered when we return */
}

/* The guests' directories and files a worker opens after its lock-down:
 * each image's folder (busybox's tools and applet list, Python's
 * snapshot), module and standard library too, because each may be a
 * symbolic link out of the guests directory, and Landlock judges where a
 * path leads, not how it is spelt. */
static size_t guest_paths(const char *gd, wb_oslock_path *p,
                          char (*buf)[PATH_MAX], size_t max)
{
    size_t n = 0;
    if (access(gd, F_OK) != 0)
        return 0;
    p[n++] = (wb_oslock_path){ gd, false };
    for (int l = 0; l < WB_LANG_COUNT && n + 3 <= max; l++) {
        const wb_guest_image *im = wb_guest_image_of((wb_lang)l);
        if (!im || !im->dir)
            continue;
        const char *sub[3] = { ".", im->module, im->lib };
        for (int i = 0; i < 3; i++) {
            if (!sub[i])
                continue;
            snprintf(buf[n], PATH_MAX, "%s/%s/%s", gd, im->dir, sub[i]);
            if (access(buf[n], F_OK) == 0)
                p[n] = (wb_oslock_path){ buf[n], false }, n++;
        }
    }
    return n;
}

static wb_status lock_down(wb_session *s, const wb_worker_env *env,
                           wb_error *err)
{
    enum { MAXP = 3 + 1 + 3 * WB_LANG_COUNT };
    static char buf[MAXP][PATH_MAX];
    wb_oslock_path paths[MAXP] = {
        { s->ws, true },
        { s->runtime_dir, false },
    };
    size_t npaths = 2;
    /* the copies of the kernels' checkpoints (the server made it) */
    snprintf(buf[npaths], PATH_MAX, "%s/ckpt", s->root);
    if (access(buf[npaths], F_OK) == 0) {
        paths[npaths] = (wb_oslock_path){ buf[npaths], true };
        npaths++;
    }
    /* no images installed: raw wasm steps still run */
    npaths += guest_paths(s->guests_dir, paths + npaths, buf + npaths,
                          MAXP - npaths);
    /* two kernels and a one-shot run at most, each within max_files */
    unsigned files = s->policy->budget.max_files;
    wb_oslock_opts o = {
        .paths = paths, .npaths = npaths, .ids = env->ids,
        .seccomp = env->seccomp, .trap = true,
        .net = &s->policy->budget.net,    /* its ports and resolver files */
        .max_files = files < 4096 ? files * 3 + 64 : 12352,
    };
    struct sigaction sa = { .sa_sigaction = on_sigsys,
                            .sa_flags = SA_SIGINFO };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSYS, &sa, NULL);
    wb_oslock *l;
    wb_status st = wb_oslock_new(&o, s->policy->grants, s->policy->ngrants,
                                 &l, err);
    if (!st)
        st = wb_oslock_apply(l, err);
    /* the lock stays for the process's life; its rules are not needed */
    return st;
}

static void send_err(int chan, const char *msg)
{
    wb_wbuf w = { 0 };
    wb_wput_str(&w, msg);
    wb_frame_send(chan, W_ERR, &w, -1);
    wb_wbuf_free(&w);
}

static void put_result(wb_wbuf *w, wb_session *s, wb_lang lang,
                       wb_status st, const wb_error *e,
                       const wb_step_result *res)
{
    wb_wput_u32(w, st);
    wb_wput_str(w, st ? e->message : "");
    wb_wput_u32(w, st ? e->trap : 0);
    wb_wput_u32(w, st ? (uint32_t)e->exit_code : 0);
    wb_wput_raw(w, &res->run, sizeof res->run);
    wb_wput_bytes(w, res->out ? res->out : "", res->out ? res->out_len : 0);
    wb_wput_bytes(w, res->err ? res->err : "", res->err ? res->err_len : 0);
    wb_wput_u32(w, res->persistent);
    wb_wput_u32(w, res->state_kept);
    wb_wput_u32(w, res->state_lost_after);
    wb_wput_u32(w, res->rolled_back);
    wb_wput_u32(w, res->live_step);
    wb_wput_str(w, res->note);
    wb_wput_u32(w, res->native);
    wb_wput_u32(w, s->lost[lang]);
    wb_wput_str(w, s->lost_why[lang]);
    wb_wput_u32(w, s->committed);
}


/* A pooled worker's next session: `id`, in its own state directory
 * (its Landlock rules already cover it). False when it may not take it:
 * a worker that is not pooled, or one that holds an interpreter. */
static bool rebind(wb_session *s, const wb_worker_env *env, const char *id)
{
    if (!strcmp(id, s->id))
        return true;
    for (int l = 0; l < WB_LANG_COUNT; l++)
        if (s->kernel[l])
            return false;
    if (!env->pooled || !wb_sess_valid_id(id))
        return false;
    free(s->state_dir);
    free(s->root);
    free(s->ws);
    free(s->guests_dir);
    free(s->runtime_dir);
    s->root = s->ws = s->guests_dir = s->runtime_dir = NULL;
    memset(s->lost, 0, sizeof s->lost);
    memset(s->lost_why, 0, sizeof s->lost_why);
    pthread_mutex_destroy(&s->mu);
    wb_error e = { 0 };
    return wb_sess_init_copy(s, env->state_dir, env->guests_dir, id,
                             &e) == WB_OK && !wb_pool_paths(s, false, &e);
}

/* One step: run it, answer. */
static void serve_step(int chan, wb_session *s, const wb_worker_env *env,
                       wb_frame *f)
{
    wb_rbuf r = { f->data, f->len, 0, false };
    char id[64];
    wb_rget_str(&r, id, sizeof id);
    if (r.bad || !rebind(s, env, id))
        _exit(1);                       /* the server ends us */
    wb_lang lang = (wb_lang)wb_rget_u32(&r);
    bool kernel = wb_rget_u32(&r);
    wb_budget b;
    wb_rget_raw(&r, &b, sizeof b);
    bool lost = wb_rget_u32(&r);
    wb_rget_str(&r, s->lost_why[lang % WB_LANG_COUNT],
                sizeof s->lost_why[0]);
    size_t len;
    const char *code = (const char *)wb_rget_bytes(&r, &len);
    bool has_db = wb_rget_u32(&r);
    char *db = wb_rget_dup(&r, NULL);
    uint64_t nargs = wb_rget_u64(&r);
    char **args = !r.bad && nargs < (1u << 20)
                ? calloc(nargs + 1, sizeof *args) : NULL;
    for (uint64_t i = 0; args && i < nargs; i++)
        args[i] = wb_rget_dup(&r, NULL);
    bool discard = wb_rget_u32(&r) != 0;
    wb_step_result res = { 0 };
    wb_error e = { 0 };
    wb_status st;
    if (r.bad || !args || (unsigned)lang >= WB_LANG_COUNT) {
        st = wb_err_set(&e, WB_E_ARG, "a malformed step request");
        lang = 0;
    } else {
        wb_step_options o = { .db = has_db ? db : NULL, .args = args,
                              .nargs = (size_t)nargs, .one_shot = !kernel,
                              .discard = discard };
        s->lost[lang] = lost;
        st = wb_sess_exec(s, lang, kernel, code, len, &o, &b, f->fd, &res,
                          &e);
    }
    wb_wbuf w = { 0 };
    put_result(&w, s, lang, st, &e, &res);
    if (wb_frame_send(chan, W_RESULT, &w, -1))
        _exit(1);
    wb_wbuf_free(&w);
    wb_step_result_free(&res);
    for (uint64_t i = 0; args && i < nargs; i++)
        free(args[i]);
    free(args);
    free(db);
}

/* W_FENCE: map the session's fence (its descriptor is taken). */
static bool take_fence(wb_session *s, wb_frame *f)
{
    int fd = f->fd;
    f->fd = -1;
    return fd >= 0 && wb_sess_fence_map(s, fd);
}

_Noreturn void wb_worker_main(int chan, const wb_worker_env *env,
                              wb_rbuf *spec)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    prctl(PR_SET_NAME, "wasmbox-worker", 0, 0, 0);
    report_fd = chan;
    char id[64];
    wb_rget_str(spec, id, sizeof id);
    wb_session *s = calloc(1, sizeof *s);
    wb_error e = { 0 };
    wb_status st = s ? WB_OK : wb_err_set(&e, WB_E_NOMEM, "out of memory");
    if (!st) {
        s->own_policy = *env->base;         /* shared arrays: never freed */
        wb_rget_raw(spec, &s->own_policy.budget, sizeof s->own_policy.budget);
        wb_rget_raw(spec, &s->settings, sizeof s->settings);
        s->policy = &s->own_policy;
        s->in_worker = true;
        s->wk_fd = -1;
        st = spec->bad ? wb_err_set(&e, WB_E_ARG, "a malformed spawn request")
                       : wb_sess_init_copy(s, env->state_dir, env->guests_dir,
                                           id, &e);
        if (!st && env->pooled)
            st = wb_pool_paths(s, false, &e);
    }
    if (!st && *env->plan_err)
        st = wb_err_set(&e, WB_E_ARG, "%s", env->plan_err);
    if (!st)
        st = lock_down(s, env, &e);
    if (st) {
        send_err(chan, e.message);
        _exit(1);
    }
    wb_frame_send(chan, W_READY, NULL, -1);
    for (;;) {
        wb_frame f;
        if (wb_frame_recv(chan, SIZE_MAX, &f, -1))
            _exit(0);                   /* the session ended */
        if (f.type == W_STEP)
            serve_step(chan, s, env, &f);
        else if (f.type == W_FENCE && !take_fence(s, &f))
            _exit(1);                   /* the server ends us */
        wb_frame_free(&f);
    }
}
