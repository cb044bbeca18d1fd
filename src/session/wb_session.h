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
 */
#ifndef WB_SESSION_H
#define WB_SESSION_H

#include "wasmbox/session.h"
#include "common/error.h"
#include <pthread.h>
#include <sys/stat.h>

typedef struct wb_kernel wb_kernel;

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
};

/* store */
int64_t wb_sess_now(void);
wb_status wb_sess_save(wb_session *s, wb_error *err);
/* Write `data` to dirfd/name via a temp file + fsync + rename. */
int wb_sess_write_atomic(int dirfd, const char *name, const void *data,
                         size_t len);
bool wb_sess_valid_id(const char *id);

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
