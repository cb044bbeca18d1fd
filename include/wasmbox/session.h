/*
 * wasmbox/session.h: sessions for agents (src/session).
 *
 * A session owns a workspace directory under a state directory; each step
 * runs Python, JavaScript, Lua, SQL or a raw wasm module with the
 * workspace granted read-write at guest /work (the working directory).
 * Python and JavaScript steps share interpreter state like a notebook
 * kernel: one long-lived guest per language and session (a one-shot step,
 * wb_step_options.one_shot, runs a fresh interpreter instead).
 *
 * Include <wasmbox.h> rather than this header: it includes every layer.
 */
#ifndef WASMBOX_SESSION_H
#define WASMBOX_SESSION_H

#include "wasmbox/policy.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wb_session wb_session;
typedef struct wb_isolation wb_isolation;

typedef struct wb_session_options {
    const char *state_dir;   /* NULL: $WASMBOX_STATE_DIR, else
                                $XDG_STATE_HOME/wasmbox, else
                                ~/.local/state/wasmbox */
    const char *guests_dir;  /* NULL: $WASMBOX_GUESTS, else build/guests
                                beside the running executable */
    const wb_sandbox_config *policy;      /* grants, env, budget; NULL:
                                             nothing + default budget */
    const wb_session_settings *settings;  /* NULL: defaults */
    wb_isolation *isolation;  /* NULL: steps run in this process; else in
                                 a locked-down worker process of this
                                 isolation (wb_isolation_start) */
    const char *oneshot_tenant;  /* with an isolation: the session (id
                                 NULL) is a throw-away one for one-shot
                                 steps of this tenant (an API key's name):
                                 its steps may run in a warm worker that
                                 ran this tenant's earlier such sessions,
                                 never another tenant's, and
                                 wb_session_close deletes it. Ignored
                                 without an isolation */
    bool shared;             /* other processes (replicas of `wasmbox
                                 serve`, docs/scale-out.md) serve this
                                 state directory too, and the caller
                                 serializes a session's steps between them
                                 (a lease): opening an existing session
                                 creates and rewrites nothing (a deleted one
                                 is WB_E_NOT_FOUND), closing writes nothing
                                 (another process may have stepped it
                                 since), and wb_session_delete does not
                                 wait for other processes' opens */
} wb_session_options;

/* ---- isolation: every session's guests in a worker process ------------
 *
 * wb_isolation_start forks a zygote: a small single-threaded process that
 * holds the guest images and the options' policy and forks one worker
 * process per session (on its first step). A worker locks itself down
 * before any guest code runs (rlimits, the uid drop as root, no new
 * privileges, Landlock to its own session's workspace and the guest
 * images, a seccomp allowlist; the zygote enters new mount, network and
 * IPC namespaces, and a user namespace when not root) and runs that session's
 * steps; the session's interpreters live in it. A worker that dies fails
 * only its own step: wb_session_run_ex returns WB_E_CRASH with
 * wb_error.incident, an id also written to stderr with the signal (or the
 * system call seccomp refused).
 *
 * Call it before the process starts threads and before it reads anything
 * a guest must not see (API keys): the zygote is a copy of the process at
 * that moment. `o` gives the state and guests directories, the policy
 * whose grants and env every session of the isolation uses (sessions may
 * change only its budget) and the settings; `user`: as root, the workers'
 * user (NULL: "nobody"; see docs/os-sandbox.md). The options' strings and
 * policy must outlive the isolation. */
WB_API wb_status wb_isolation_start(const wb_session_options *o,
                                    const char *user, wb_isolation **out,
                                    wb_error *err);
/* Close every session of it first. Kills the zygote and its workers. */
WB_API void wb_isolation_stop(wb_isolation *iso);
/* Workers that died or were killed outside a guest's own limits. */
WB_API uint64_t wb_isolation_crashes(const wb_isolation *iso);

/* The state directory the options resolve to (`o` may be NULL), malloc'd:
 * the caller frees it; NULL when there is none (no $HOME) or memory ran
 * out. */
WB_API char *wb_session_state_dir(const wb_session_options *o);

/* Open session `id`, creating it when it does not exist (id NULL: a new
 * random id), into *out, owned by the caller until wb_session_close.
 * `o` may be NULL (the defaults); its strings are copied, but its
 * `policy` is borrowed and must outlive the session. A session reopened
 * after a restart keeps its files; its interpreter state was lost
 * (wb_step_result.note says so at the next step). Errors: WB_E_ARG (a bad
 * id or policy), WB_E_IO (the state directory), WB_E_NOMEM. */
WB_API wb_status wb_session_open(const wb_session_options *o, const char *id,
                                 wb_session **out, wb_error *err);
/* Kill the interpreters (code left for their exit never runs) and free
 * `s`; the session stays on disk. */
WB_API void wb_session_close(wb_session *s);
/* The session's id (borrowed from `s`). */
WB_API const char *wb_session_id(const wb_session *s);
/* The host path of the session's workspace (borrowed from `s`). */
WB_API const char *wb_session_workspace(const wb_session *s);
/* Restart the interpreters (forget variables); files stay. */
WB_API void wb_session_reset(wb_session *s);

/* Fork: a new session (a new random id) from `parent` as it is between
 * steps, into *out, owned by the caller until wb_session_close. It gets a
 * copy of the parent's workspace (cloned where the filesystem can, else
 * copied; symlinks are copied as links and never followed, FIFOs, sockets
 * and devices are left out) and the state of its Python interpreter (the
 * checkpoint after its last step, shared copy-on-write: see
 * docs/snapshots.md, "Fork"); a JavaScript interpreter, or a Python one
 * without a checkpoint, starts afresh in the fork (its first step's note
 * says so). The parent is not changed; a step of it waits until the fork
 * is made. `o` NULL: the parent's options (its policy, which must then
 * outlive the fork too, settings, guests directory and isolation); else
 * `o`, whose state_dir is ignored (always the parent's). Errors: WB_E_ARG
 * (a throw-away session), WB_E_LIMIT (the workspace exceeds the fork's
 * disk budget), WB_E_IO, WB_E_NOMEM; nothing is left on failure. */
WB_API wb_status wb_session_fork(wb_session *parent,
                                 const wb_session_options *o,
                                 wb_session **out, wb_error *err);

typedef struct wb_step_result {
    wb_run_result run;       /* outcome, exit code, usage, truncation */
    char *out, *err;         /* captured stdout / stderr, NUL-terminated */
    size_t out_len, err_len;
    bool persistent;         /* this language keeps state between steps */
    bool state_kept;         /* persistent, and the earlier steps' state
                                was there and survives this step */
    bool state_lost_after;   /* the interpreter died in this step: the
                                next step starts afresh */
    bool rolled_back;        /* the interpreter was stopped in this step
                                and restored from its checkpoint: the
                                state is that after step live_step */
    uint32_t live_step;      /* with rolled_back: the last step (counted
                                by the interpreter, from 1) whose end
                                state is live */
    char note[256];          /* a sentence about state, or "" */
    bool native;             /* the runtime ran as machine code from the
                                native code cache (tier "cached"), not in
                                the interpreter (docs/native-tier.md,
                                "Sessions") */
} wb_step_result;

/* Options of one step; zero-initialise, then set what is needed. */
typedef struct wb_step_options {
    const char *db;          /* SQL only: the database file in the
                                workspace; NULL: "session.db" */
    const wb_budget *budget; /* this step's budget (a copy of the
                                policy's with limits lowered); NULL: the
                                policy's. It only tightens: each limit is
                                the tighter of this and the policy's
                                (timeout 0 and fuel < 0 count as none,
                                other zeros as zero). A Python or
                                JavaScript kernel keeps memory, disk,
                                files and stack for its whole life: a
                                kernel step asking for less of those
                                fails with WB_E_ARG */
    char **args;             /* the program's arguments (sys.argv[1:],
                                scriptArgs, Lua's arg, a module's argv
                                after argv[0]); one-shot steps only, not
                                SQL */
    size_t nargs;
    const uint8_t *stdin_data;  /* the program's stdin (NULL: empty);
                                   one-shot steps only, not Lua or SQL
                                   (their program is read from stdin) */
    size_t stdin_len;
    bool one_shot;           /* Python/JavaScript: run the runtime directly
                                (python3 -c CODE, qjs --std -e CODE) in a
                                fresh interpreter, like `wasmbox python`;
                                the kernel's state is neither used nor
                                changed, and the working directory is "/",
                                which is the workspace too, as for Lua.
                                Other languages are always one-shot */
    bool discard;            /* with one_shot: the session is thrown away
                                after this step, files and all (POST
                                /v1/run), so a Python run from the
                                pre-initialized snapshot ends without
                                tearing its interpreter down: atexit
                                functions, cycles, __main__'s globals and
                                stdio are finalized as at a normal exit,
                                objects held only by other modules are
                                not (docs/snapshots.md, "A run from it") */
} wb_step_options;

/* Run one step: `code` is the program text (for WB_LANG_WASM the module
 * bytes). `o` may be NULL (the defaults). Returns WB_OK whenever the step
 * ran, whatever its outcome (in res->run); `res` then owns its captured
 * output: free it with wb_step_result_free. Errors: WB_E_ARG for options
 * the step cannot take or a language the policy does not allow, WB_E_IO
 * (a guest image is not installed), WB_E_NOMEM. */
WB_API wb_status wb_session_run_ex(wb_session *s, wb_lang lang,
                                   const char *code, size_t len,
                                   const wb_step_options *o,
                                   wb_step_result *res, wb_error *err);
/* wb_session_run_ex with only `db` (SQL only, NULL: "session.db") set:
 * the policy's budget; Python and JavaScript through the kernel. */
WB_API wb_status wb_session_run(wb_session *s, wb_lang lang, const char *code,
                                size_t len, const char *db, wb_step_result *res,
                                wb_error *err);
/* Free the captured output of `r` (not `r` itself). NULL: nothing. */
WB_API void wb_step_result_free(wb_step_result *r);

/* Files in the workspace. `path` is relative to it ("/work/x" means "x");
 * absolute paths elsewhere, "..", and symlinks are refused (WB_E_ARG).
 * The workspace has a quota, the policy's budget.disk: the sum of its
 * files' sizes plus 4 KiB per file, directory and link. A put that would
 * exceed it fails with WB_E_LIMIT (nothing written), and a step's disk
 * budget is at most what is left of it. A missing file or directory is
 * WB_E_NOT_FOUND. */

/* Write `len` bytes of `data` (copied) to workspace file `path`, creating
 * its directories and replacing the file atomically. Errors: WB_E_ARG,
 * WB_E_LIMIT, WB_E_IO. */
WB_API wb_status wb_session_put_file(wb_session *s, const char *path,
                                     const uint8_t *data, size_t len,
                                     wb_error *err);
/* Read workspace file `path` into *data (malloc'd: the caller frees it)
 * and *len. Errors: WB_E_ARG (a directory or no regular file),
 * WB_E_NOT_FOUND, WB_E_LIMIT (more than `max` bytes), WB_E_IO. */
WB_API wb_status wb_session_get_file(wb_session *s, const char *path,
                                     uint64_t max, uint8_t **data,
                                     size_t *len, wb_error *err);
typedef struct wb_file_entry {
    char *path;              /* relative to the workspace */
    uint64_t size;
    bool is_dir;
} wb_file_entry;
/* Every file and directory under workspace directory `dir` (NULL, "" or
 * "/work": all of it), recursively, sorted by path, into *out (free with
 * wb_file_entries_free) and *n. Errors: WB_E_ARG, WB_E_NOT_FOUND,
 * WB_E_IO, WB_E_NOMEM. */
WB_API wb_status wb_session_list_files(wb_session *s, const char *dir,
                                       wb_file_entry **out, size_t *n,
                                       wb_error *err);
/* Free `n` entries of wb_session_list_files and their array. */
WB_API void wb_file_entries_free(wb_file_entry *e, size_t n);

typedef struct wb_session_info {
    char id[64];
    int64_t created, last_used;    /* Unix seconds */
    uint64_t steps;
} wb_session_info;
/* The sessions on disk, any order, into *out (malloc'd: the caller frees
 * it) and *n. Errors: WB_E_IO (the state directory), WB_E_NOMEM. */
WB_API wb_status wb_session_list(const wb_session_options *o,
                                 wb_session_info **out, size_t *n,
                                 wb_error *err);
/* Delete session `id` and its files. Errors: WB_E_ARG (a bad id),
 * WB_E_NOT_FOUND, WB_E_BUSY when a wb_session handle has it open (in
 * this process or another: close it first), and WB_E_IO, with a message saying where the rest is,
 * when not everything could be removed (the session is gone from the list
 * either way; a later wb_session_expire removes what is left). */
WB_API wb_status wb_session_delete(const wb_session_options *o, const char *id,
                                   wb_error *err);
/* Delete sessions idle longer than the settings' expiry; returns how
 * many through `deleted` (may be NULL). A session open in any process
 * (it holds a shared lock on its directory) is never deleted, however
 * long it has been idle; each step refreshes its last use. */
WB_API wb_status wb_session_expire(const wb_session_options *o, size_t *deleted,
                                   wb_error *err);
/* How often a running server calls wb_session_expire: a quarter of the
 * settings' expiry, at least 1 s and at most 60 s (0 when sessions never
 * expire). */
WB_API uint64_t wb_session_expire_every_ms(const wb_session_settings *ss);
/* Is there a session `id` on disk (a valid id with its metadata)? */
WB_API bool wb_session_exists(const wb_session_options *o, const char *id);
/* A fresh random id (16 hex digits) of no session on disk into `id` (cap
 * bytes), for a server that hands out an id before it opens the session.
 * Errors: WB_E_ARG (cap too small), WB_E_IO (no randomness). */
WB_API wb_status wb_session_new_id(const wb_session_options *o, char *id,
                                   size_t cap, wb_error *err);

/* The guest image of a language (built by `make guests`): the module
 * DIR/MODULE under the guests directory, for Python also the standard
 * library DIR/LIB (granted at /lib), and the runtime's argv[0]. WB_LANG_WASM
 * has no image (dir NULL). */
typedef struct wb_guest_image {
    const char *dir, *module, *lib, *argv0;
} wb_guest_image;
/* The image of `lang` (static), or NULL when `lang` is no language. */
WB_API const wb_guest_image *wb_guest_image_of(wb_lang lang);
/* The guests directory: `dir` when set, else $WASMBOX_GUESTS, else
 * guests/ beside the running executable (malloc'd; NULL when none). */
WB_API char *wb_guests_dir(const char *dir);

#ifdef __cplusplus
}
#endif
#endif
