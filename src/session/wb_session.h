/* wb_session.h: internals of src/session/. Not installed.
 *
 *   wb_session_store.c   state dir, ids, session.json (atomic), list,
 *                        delete, expire, open/close
 *   wb_session_files.c   workspace paths (no escape), file put/get/list,
 *                        the workspace quota
 *   wb_session_guest.c   guest images (module cache) and step configs
 *   wb_session_step.c    wb_session_run(_ex): step options, one-shot
 *                        steps and dispatch
 *   wb_session_kernel.c  long-lived Python/JavaScript guests (notebook
 *                        state) on their own thread
 *   wb_session_driver.c  the in-guest drivers (driver.py, driver.js),
 *                        embedded and written into the state dir
 *   wb_session_copy.c    tree copies for forks (no link followed)
 *   wb_session_fork.c    wb_session_fork: a new session from a live one
 *   wb_session_zygote.c  isolation: the zygote process that forks the
 *                        workers (wb_isolation_start)
 *   wb_session_worker.c  a session's worker process: the server's side
 *                        (steps sent over a socketpair) and the worker's
 *   wb_session_wire.c    the framed protocol between them
 *   wb_session_fence.c   what a shared session may still commit (the
 *                        lease its replica holds, shared with the worker)
 *   wb_session_ckpt.c    a shared session's checkpoint generations
 */
#ifndef WB_SESSION_H
#define WB_SESSION_H

#include "wasmbox/session.h"
#include "wasmbox/snapshot.h"
#include "common/error.h"
#include <jansson.h>
#include <pthread.h>
#include <sys/stat.h>

typedef struct wb_kernel wb_kernel;
typedef struct wb_fence wb_fence;
typedef struct wb_ckpt wb_ckpt;

struct wb_session {
    char id[64];
    char *state_dir, *root, *ws, *guests_dir, *runtime_dir;
    const wb_sandbox_config *policy;    /* borrowed, or &own_policy */
    wb_sandbox_config own_policy;
    wb_session_settings settings;
    wb_kernel *kernel[WB_LANG_COUNT];
    /* a kernel of this language ran before and its state is gone */
    bool lost[WB_LANG_COUNT];
    char lost_why[WB_LANG_COUNT][96];
    int64_t created, last_used;
    uint64_t steps;
    int lock_fd;                        /* its directory, flock'd shared */
    pthread_mutex_t mu;
    /* isolation (server side): steps run in a worker process */
    wb_isolation *iso;
    int wk_fd;                          /* socketpair to it; -1: none */
    pid_t wk_pid;
    uint32_t wk_kernels;                /* WB_LANG_BIT of kernels in it */
    bool in_worker;                     /* this is the worker's copy */
    /* a throw-away one-shot session whose worker comes from, and goes
       back to, its tenant's pool (wb_session_pool.c) */
    bool wk_pooled;
    bool wk_dirty;                      /* a step may have left state in
                                           the worker: it is not reused */
    uint32_t wk_runs;                   /* sessions the worker served */
    char tenant[64];
    bool shared;                        /* wb_session_options.shared */
    /* shared: the lease this process holds, as its server publishes it
       (wb_session_fence.c): mapped read-write in the server (fence_fd
       its memfd), read-only in the worker (fence_fd -1); NULL when not
       shared */
    wb_fence *fence;
    int fence_fd;
    bool (*fence_check)(void *user);    /* the server's look at the lease
                                           files, or NULL */
    void *fence_user;
    bool committed;                     /* the step's checkpoint (or its
                                           "none") is in */
    int64_t forgot_gen;                 /* the generation in which the
                                           checkpoint was forgotten (its
                                           "none" goes in at the step's
                                           end), or 0 */
};

/* store */
int64_t wb_sess_now(void);
/* Another process stepped shared session s since this copy last did
 * (the caller holds the session's lease, no step of s runs): end its
 * interpreters (and worker) without forgetting their checkpoint on
 * disk, and read its times and step count again, so that the next step
 * starts from that checkpoint, as a reopened session does. */
void wb_sess_reload(wb_session *s);
/* The same with s->mu held. */
void wb_sess_reload_locked(wb_session *s);
/* session.json; a shared session's only while it may commit. */
wb_status wb_sess_save(wb_session *s, wb_error *err);
/* Write `data` to dirfd/name via a temp file + fsync + rename. */
int wb_sess_write_atomic(int dirfd, const char *name, const void *data,
                         size_t len);
/* The same, renamed only if `s` (NULL: any) may still commit, checked
 * right before the rename: else -1 with errno ENOLCK (the lease is lost:
 * wb_sess_fenced says so). */
int wb_sess_write_fenced(const wb_session *s, int dirfd, const char *name,
                         const void *data, size_t len);
/* j (stolen; NULL: out of memory) as dir/name, atomically. */
wb_status wb_sess_write_json(const char *dir, const char *name, json_t *j,
                             wb_error *err);
/* Set by this thread around an open whose metadata need not be on disk
 * before it returns (a fork: its first step's save syncs it): the write
 * above is atomic but not synced (the syncs cost 20 to 30 ms here). */
extern _Thread_local bool wb_sess_lazy_sync;
bool wb_sess_valid_id(const char *id);

/* fence (wb_session_fence.c). Server: make s's fence (an open of a
 * shared session), publish the lease held (gen, and until_ms: the wall
 * clock time until which commits are allowed, 0: none), and the check of
 * the lease files that its commits add. Worker: map the server's fence
 * from fd (taken). */
wb_status wb_sess_fence_new(wb_session *s, wb_error *err);
void wb_sess_fence_set(wb_session *s, int64_t gen, int64_t until_ms);
void wb_sess_fence_on_check(wb_session *s, bool (*check)(void *user),
                            void *user);
bool wb_sess_fence_map(wb_session *s, int fd);
void wb_sess_fence_free(wb_session *s);
/* The fence's generation (0: NULL), and whether it allows a commit now
 * (always when NULL). */
int64_t wb_fence_gen(const wb_fence *f);
bool wb_fence_open(const wb_fence *f);
/* The write gate of a shared session's sandbox configs (user: the
 * fence). */
bool wb_sess_fence_gate(void *user);
/* May s commit now (not shared: yes)? WB_E_BUSY with the message that
 * the lease was lost otherwise; wb_sess_fenced sets that message. */
wb_status wb_sess_commit_ok(const wb_session *s, wb_error *err);
wb_status wb_sess_fenced(const wb_session *s, wb_error *err);

/* checkpoint generations (wb_session_ckpt.c), in the ckpt directory dfd.
 * names: generation gen's file and base (0: the legacy python.snap and
 * python.base.snap). best: the checkpoint to go on from (1, its names
 * set), none (0), -1 on error; find: best, whatever the session's mode.
 * top: the highest generation named by a regular file (0: none; -1 on
 * error), the entries of other kinds counted in *damaged (may be NULL).
 * persist / forget: a session that is not shared writes c / forgets its
 * checkpoint under the legacy names while no generation is named, above
 * the highest otherwise. commit: c as the fence's generation; commit_none:
 * the "none" record (the state was lost); WB_E_BUSY when the fence is
 * closed or the generation was sealed. seal: generation gen of a lease
 * taken over after it lapsed, so that its holder's late commit fails
 * (made first by that holder: it stays). drop_temps: what a killed
 * writer left. */
void wb_sess_ckpt_names(int64_t gen, char *name, char *base, size_t cap);
int wb_sess_ckpt_best(int dfd, char *name, char *base, size_t cap);
int wb_sess_ckpt_find(const wb_session *s, int dfd, char *name, char *base,
                      size_t cap);
wb_status wb_sess_ckpt_commit(int dfd, const wb_fence *f, const wb_ckpt *c,
                              wb_error *err);
wb_status wb_sess_ckpt_commit_none(int dfd, const wb_fence *f,
                                   wb_error *err);
wb_status wb_sess_ckpt_seal(wb_session *s, int64_t gen, wb_error *err);
int64_t wb_sess_ckpt_top(int dfd, unsigned *damaged);
wb_status wb_sess_ckpt_persist(int dfd, const wb_ckpt *c, wb_error *err);
wb_status wb_sess_ckpt_forget(int dfd, wb_error *err);
void wb_sess_ckpt_drop_temps(int dfd);

/* files: lexical check of a workspace path; out gets it relative */
wb_status wb_sess_rel_path(const char *path, char *out, size_t cap,
                           wb_error *err);

/* The workspace quota (the policy's budget.disk) counts each file's size
 * plus this much per file, directory or link: what a step is charged for
 * creating one (src/wasi/path.c), so a step can never store more than its
 * disk budget lets it write. */
#define WB_SESS_ENTRY_COST 4096u
/* The quota left to a step (0 when it is used up or cannot be measured). */
uint64_t wb_sess_quota_left(wb_session *s);

/* Bytes below `dir` as the workspace quota counts them
 * (wb_session_files.c). */
int wb_sess_tree_usage(const char *dir, uint64_t *bytes);

/* a checkpoint's copy on disk: <session>/ckpt/python.snap (Python is the
 * one checkpointed kernel; wb_session_kernel.c, wb_session_fork.c) */
#define WB_SESS_CKPT_DIR "ckpt"
#define WB_SESS_CKPT_FILE "python.snap"
/* ... and the file it is a layer over, when it is one (snapshot/layer.c):
 * the whole checkpoint a kernel was restored from */
#define WB_SESS_CKPT_BASE "python.base.snap"

/* fork (wb_session_copy.c): copies that follow no link */
typedef struct wb_copy_stats {
    uint64_t files, dirs, links, skipped, cloned, bytes;
} wb_copy_stats;
/* Regular file sdfd/sname to a new file ddfd/dname (O_EXCL), cloned
 * (FICLONE, *cloned) where the filesystem can, else copied; a name that
 * is no regular file (a symlink included) is refused: -1, errno. */
int wb_sess_copy_file(int sdfd, const char *sname, int ddfd,
                      const char *dname, bool *cloned);
/* The same from an open fd (a regular file, else EINVAL). */
int wb_sess_copy_fd(int in, int ddfd, const char *dname, bool *cloned);
/* Everything below directory sfd into directory dfd: files cloned or
 * copied, directories made, symlinks copied as links (never followed),
 * FIFOs, sockets, devices and mounts below skipped; at most 64 levels
 * (ELOOP past them), at most `limit` bytes as the disk quota counts
 * them (EDQUOT past it: every name, hard links each in full). -1 with
 * errno (and `where` the name that failed) at the first failure, which
 * ends the copy; what was copied is left for the caller to delete. */
int wb_sess_copy_tree(int sfd, int dfd, uint64_t limit, wb_copy_stats *stats,
                      char *where, size_t cap);

/* guests */
wb_status wb_sess_module(wb_session *s, wb_lang lang, wb_module **out,
                         wb_error *err);
/* A step config: the policy's budget, env and grants, the workspace at
 * /work, the runtime's own read-only files, argv. A step that is not a
 * kernel also gets the workspace at "/" (its working directory). */
wb_status wb_sess_config(wb_session *s, wb_lang lang, bool kernel,
                         wb_sandbox_config *c, wb_error *err);
/* Runtime argv[0] of a language. */
const char *wb_sess_argv0(wb_lang lang);
/* The directory holding driver.py / driver.js (written on first use). */
wb_status wb_sess_drivers(wb_session *s, wb_error *err);

/* kernels */
bool wb_kernel_supported(wb_lang lang);
/* A kernel step under budget `b` (fuel, timeout and output apply per
 * step; the rest are the kernel's whole-life budgets). */
wb_status wb_kernel_step(wb_session *s, wb_lang lang, const char *code,
                         size_t len, const wb_budget *b, wb_step_result *res,
                         wb_error *err);
void wb_kernel_stop(wb_kernel *k);
/* Remove the copy on disk of `lang`'s checkpoint (a reset, a lost
 * state): the next kernel starts afresh. */
void wb_kernel_forget(wb_session *s, wb_lang lang);

/* A step, once its options are checked and its budget final: a kernel
 * step or a one-shot run; in_fd is the program's stdin (-1: empty),
 * borrowed. The session's worker runs exactly this. */
wb_status wb_sess_exec(wb_session *s, wb_lang lang, bool kernel,
                       const char *code, size_t len, const wb_step_options *o,
                       const wb_budget *b, int in_fd, wb_step_result *res,
                       wb_error *err);
/* A worker's copy of session `id`: paths only, no lock, never saved. */
wb_status wb_sess_init_copy(wb_session *s, const char *state_dir,
                            const char *guests_dir, const char *id,
                            wb_error *err);
/* The module of a language's guest image (cached). */
/* wb_session_guest.c: the pre-initialized Python of a guests directory
 * (python.snap), opened once per process; NULL: none, runs start cold.
 * warm_up (a zygote, before it forks workers): also run `pass` from it
 * once, so the code a run needs is compiled before the fork. `native`:
 * its module with machine code from the cache when there is some
 * (wb_sess_native_attach); the interpreter's and the native one are
 * kept apart. */
const wb_snapshot *wb_sess_preinit(const char *guests_dir, bool native,
                                   bool warm_up);
/* wb_sess_preinit for session s (its settings say the tier). */
const wb_snapshot *wb_sess_pre(wb_session *s);
/* The session's guests directory (NULL: none found). */
const char *wb_sess_guests_dir(wb_session *s);
wb_status wb_sess_image(const char *guests_dir, wb_lang lang, bool native,
                        wb_module **out, wb_error *err);
/* Did `m` (a step's module, or NULL) run machine code? */
static inline bool wb_sess_ran_native(const wb_module *m)
{
    return m && wb_module_is_native(m);
}

/* wb_session_native.c: machine code from the native code cache for a
 * runtime's module, unless loading is frozen (a zygote freezes it before
 * it forks workers, whose lock-down forbids executable mappings); true
 * when m now runs it. A refused cache file: one line on stderr. */
bool wb_sess_native_attach(wb_module *m);
void wb_sess_native_freeze(void);
/* The code cache's base directory as this process's environment gives it
 * ($XDG_CACHE_HOME, else $HOME/.cache; "" when neither): a zygote keeps
 * it when it clears its environment. */
void wb_sess_native_cache_base(char *out, size_t cap);

/* ---- isolation: worker processes --------------------------------------- */

/* The wire (wb_session_wire.c). */
typedef struct wb_wbuf {
    uint8_t *p;
    size_t len, cap;
    bool oom;
} wb_wbuf;
typedef struct wb_rbuf {
    const uint8_t *p;
    size_t len, off;
    bool bad;
} wb_rbuf;
typedef struct wb_frame {
    uint32_t type;
    uint8_t *data;
    size_t len;
    int fd;                 /* a descriptor that came with it, or -1 */
} wb_frame;
void wb_wput_u32(wb_wbuf *w, uint32_t v);
void wb_wput_u64(wb_wbuf *w, uint64_t v);
void wb_wput_raw(wb_wbuf *w, const void *d, size_t n);
void wb_wput_bytes(wb_wbuf *w, const void *d, size_t n);
void wb_wput_str(wb_wbuf *w, const char *s);
void wb_wbuf_free(wb_wbuf *w);
uint32_t wb_rget_u32(wb_rbuf *r);
uint64_t wb_rget_u64(wb_rbuf *r);
void wb_rget_raw(wb_rbuf *r, void *out, size_t n);
const uint8_t *wb_rget_bytes(wb_rbuf *r, size_t *n);
void wb_rget_str(wb_rbuf *r, char *out, size_t cap);
char *wb_rget_dup(wb_rbuf *r, size_t *len);
/* 0 or an errno (EPIPE: the other side is gone). */
int wb_frame_send(int sock, uint32_t type, const wb_wbuf *w, int fd);
/* deadline: CLOCK_MONOTONIC ms (wb_wire_now_ms), < 0: none. ETIMEDOUT,
 * EMSGSIZE (longer than max), EPIPE (closed), ... */
int wb_frame_recv(int sock, size_t max, wb_frame *f, int64_t deadline);
void wb_frame_free(wb_frame *f);
int64_t wb_wire_now_ms(void);

/* The zygote (wb_session_zygote.c). */
wb_status wb_zyg_spawn(wb_isolation *iso, wb_session *s, pid_t *pid,
                       int *fd, wb_error *err);
/* End worker `pid` (kill: at once; else wait a moment for it to exit,
 * then kill) and reap it: its wait status, or -1. */
int wb_zyg_end(wb_isolation *iso, pid_t pid, bool kill);
void wb_zyg_count_crash(wb_isolation *iso);
/* Started as root: the uid/gid the workers drop to (true), who must own
 * their workspaces. */
bool wb_zyg_owner(const wb_isolation *iso, uid_t *uid, gid_t *gid);

/* The pool of warm workers of throw-away one-shot sessions
 * (wb_session_pool.c). attach: s's state directory is a worker's own
 * (a warm worker of o->oneshot_tenant when one is idle, else a new
 * directory whose worker ensure() starts); release, at its close: its
 * workspace is deleted and its worker goes back to the pool, or ends
 * when it may hold state. */
typedef struct wb_pool wb_pool;
wb_pool *wb_pool_new(void);
/* Ends every idle worker (before the zygote goes). */
void wb_pool_free(wb_pool *p, wb_isolation *iso);
wb_pool *wb_zyg_pool(wb_isolation *iso);
wb_status wb_pool_attach(wb_session *s, const wb_session_options *o,
                         wb_error *err);
/* A pooled session's workspace is its worker's, <dir>/work (the one
 * directory the worker may write); its own directory, made here when
 * `make`, holds only what the server keeps. */
wb_status wb_pool_paths(wb_session *s, bool make, wb_error *err);
void wb_pool_release(wb_session *s);

/* The worker (wb_session_worker.c). */
wb_status wb_worker_step(wb_session *s, wb_lang lang, bool kernel,
                         const char *code, size_t len,
                         const wb_step_options *o, const wb_budget *b,
                         int in_fd, wb_step_result *res, wb_error *err);
void wb_worker_stop(wb_session *s);
/* A W_RESULT's payload, decoded and checked (res and *err filled, s's
 * lost flags of `lang` updated): false when the worker broke the
 * protocol. On false res may hold allocations: wb_step_result_free.
 * (Not static: fuzz/fuzz_wire.c drives it.) */
bool wb_worker_result(wb_rbuf *r, wb_session *s, wb_lang lang,
                      wb_status *st, wb_step_result *res, wb_error *err);
/* In the zygote's child: lock down, then serve steps on `chan` until it
 * closes. Never returns. */
/* What the zygote hands a worker it forked. */
typedef struct wb_worker_env {
    const wb_sandbox_config *base;      /* the isolation's policy */
    const char *guests_dir, *state_dir;
    const struct wb_oslock_ids *ids;    /* the uid/gid decision */
    const void *seccomp;                /* the program, built once */
    const char *plan_err;               /* "" or why no worker may run */
    bool pooled;                        /* it serves one throw-away
                                           session after another */
} wb_worker_env;
/* spec: the rest of Z_SPAWN. */
_Noreturn void wb_worker_main(int chan, const wb_worker_env *env,
                              wb_rbuf *spec);

/* output capture shared by one-shot steps */
typedef struct wb_capture {
    char *buf[3];
    size_t len[3], cap[3];
} wb_capture;
int wb_capture_append(wb_capture *c, int stream, const uint8_t *d, size_t n);

/* drivers */
extern const char wb_driver_py[], wb_driver_js[];
extern const unsigned wb_driver_py_len, wb_driver_js_len;

#endif
