/*
 * proc.h: internals of src/proc/, the tree of guest processes of one run
 * (docs/processes.md). Not installed.
 *
 *   tree.c    the process table: pids, parents, threads, zombies, the
 *             life cycle, the end of the tree and its usage
 *   host.c    the wasmbox_proc host functions (spawn, exec, fork, wait,
 *             kill, getpid, getppid, cwd)
 *   start.c   a process's image: its store, linker and instance, _start
 *   images.c  the registry of images (wb_images_*, public)
 *
 * Locking: one mutex per tree guards the table (states, statuses, the
 * stores and contexts of the processes, counts); a waiter waits on its
 * condition variable. It is never held while guest code runs nor while
 * a thread is joined. The watchdog (src/sandbox/watchdog.c) calls
 * wb_ptree_cancel with its own mutex held: nothing here takes the
 * watchdog's mutex.
 */
#ifndef WB_PROC_H
#define WB_PROC_H

#include "wasmbox/sandbox.h"
#include "common/error.h"
#include "engine/engine.h"
#include "proc/ptree.h"
#include <pthread.h>
#include <stdatomic.h>

typedef struct wb_proc wb_proc;

/* ---- images.c ----------------------------------------------------------- */

/* The module registered as `name` (one reference for the caller), the
 * argv[0] it forces (NULL: the caller's) into *argv0; WB_E_NOT_FOUND when
 * there is none, or the load's error. */
wb_status wb_images_get(wb_images *r, const char *name, wb_module **out,
                        const char **argv0, wb_error *err);
/* Does module m import wasmbox_proc.fork (so that it must stay in the
 * interpreter)? */
bool wb_module_imports_fork(const wb_module *m);

/* ---- modules.c ------------------------------------------------------------ */

/* A module file's entry in its tree: decoded once, shared by the
 * processes running it, charged to the tree's memory budget. */
typedef struct wb_pmod wb_pmod;
/* One load of a module file in progress. */
typedef struct wb_pload {
    uint64_t id[5], size;      /* the file's identity (wb_image_file) */
    uint8_t *buf;              /* its bytes read (a mapping of map bytes) */
    size_t len, map;
    uint64_t charged;          /* to the tree's budget, for buf */
    uint64_t read_at;          /* realtime (ns) when it was read */
    wb_pmod *hit;              /* the entry that holds it already */
} wb_pload;
/* Under the WASI tree lock: the entry of file f, or f read (its size
 * charged first: WE_NOMEM when it does not fit). On failure ld is
 * clear. */
struct wb_image_file;
int wb_pmod_open(wb_ptree *t, struct wb_image_file *f, wb_pload *ld);
/* Without any lock: the module (a reference) and its entry (a reference:
 * wb_pmod_put), decoded now unless shared; ld is cleared. WE_NOEXEC: not
 * a valid module; WE_NOMEM: its host memory does not fit the budget;
 * WE_CANCELED: *cancel became true while it was validated (the loading
 * process was killed, or the tree stopped). */
int wb_pmod_finish(wb_ptree *t, wb_pload *ld, const atomic_bool *cancel,
                   wb_module **out, wb_pmod **ent);
void wb_pload_clear(wb_ptree *t, wb_pload *ld);
/* Another reference to e (a fork runs its parent's image); NULL: NULL. */
wb_pmod *wb_pmod_share(wb_pmod *e);
/* Drop a reference (NULL: nothing); the last frees e and gives its
 * memory back to the budget. */
void wb_pmod_put(wb_pmod *e);

/* ---- shared between tree.c, host.c and start.c ----------------------------- */

enum { WB_PROC_RUNNING, WB_PROC_ZOMBIE };

/* An image to start: module, argv, env, cwd (owned). */
typedef struct wb_pimage {
    wb_module *m;
    wb_pmod *mod;              /* m's entry when a module file, or NULL */
    char **argv; size_t argc;
    char **env; size_t envc;
    char *cwd;
} wb_pimage;
void wb_pimage_clear(wb_pimage *im);

struct wb_proc {
    wb_ptree *tree;
    int pid, ppid;             /* ppid 0: the root */
    int state;                 /* WB_PROC_* */
    int status;                /* wait status once a zombie */
    int killed;                /* the signal that ends it, or 0 */
    int killer;                /* the pid that sent it (0: the tree's end) */
    bool root, has_thread;
    bool owns_store;           /* false for the root's first: the run's */
    pthread_t thread;
    wb_store *store;           /* NULL once it ended */
    wb_linker *linker;
    wb_wasi *wasi;
    char *cwd;                 /* the cwd of its image */
    bool exec_pending;
    wb_pimage next;            /* the image exec asked for */
    wb_pmod *mod;              /* the module file it runs (a reference), or
                                  NULL: a registered image, the run's */
    bool forked;               /* its thread resumes a fork */
    atomic_bool stopping;      /* killed or the tree stopped: a module
                                  being validated for it gives up */
    bool adopted;              /* the root's since its parent ended */
    wb_proc *link;             /* the tree's list */
};

struct wb_ptree {
    pthread_mutex_t mu;
    pthread_cond_t cv;         /* a process ended, or the tree stopped */
    wb_proc *procs;            /* every process not reaped, and the root */
    wb_proc *root;
    int next_pid;
    uint32_t live, max_live, started, refused, max_processes;
    uint32_t zombies;          /* ended, not yet waited for (the root's
                                  own end aside): they count against
                                  max_processes, as under Linux */
    uint32_t unjoined;         /* zombies whose threads are not joined */
    atomic_int stop;           /* wb_outcome, -1 */
    atomic_bool cancelled;
    wb_limits limits;
    wb_images *images;
    char *root_cwd;
    wb_group *group;           /* every store's: memory summed, one fuel
                                  pool (src/engine/group.c) */
    wb_pmod *mods;             /* module files shared now (modules.c) */
    uint32_t refused_memory;   /* spawns and execs whose module file did
                                  not fit max_memory */
};

/* tree.c: a new process, child of `parent`, in the table (the caller
 * holds t->mu and checked max_processes). */
wb_proc *wb_proc_add(wb_ptree *t, int ppid);
/* Start p's thread running `image` (taken) or resuming a fork; on failure
 * p is removed. Called without t->mu. */
int wb_proc_start(wb_proc *p, wb_pimage *image);
/* End p (t->mu held): its store traps at its next loop or call, its
 * blocking calls wake, a module load of its own gives up. */
void wb_proc_interrupt(wb_proc *p);
/* Is another process allowed (under t->mu)? Counts a refusal when
 * max_processes is the reason, not when the tree is being ended. */
bool wb_ptree_admit(wb_ptree *t);
/* Join the threads of the zombies (their guests ended: the threads are
 * at their last lines), so that processes nobody waits for hold no host
 * thread; spawn and fork call it first. Without t->mu. */
void wb_ptree_join_ended(wb_ptree *t);
wb_proc *wb_ptree_find(wb_ptree *t, int pid);

/* start.c: define WASI (with wasmbox_proc's fd functions) and
 * wasmbox_proc for p's context and p in l, with host functions of s. */
wb_status wb_proc_link(wb_proc *p, wb_store *s, wb_linker *l, wb_error *e);
/* start.c: make p's store and linker (WASI and wasmbox_proc defined) for
 * its context p->wasi. */
wb_status wb_proc_store(wb_proc *p, wb_error *e);
/* Instantiate im->m in p's store and call its _start. */
wb_status wb_proc_run_image(wb_proc *p, wb_module *m, wb_error *e);
/* How a process's guest call ended -> wait status; a budget outcome of
 * the whole tree (timeout, fuel, memory, output, disk) into *stop (-1:
 * none). */
int wb_proc_wait_status(wb_proc *p, wb_status st, const wb_error *e,
                        int *stop);

/* Swap p's store and linker for none (under t->mu, so that no kill
 * touches them while they are freed); free them when `owned`. */
void wb_proc_drop_store(wb_proc *p, bool owned);
/* Reap zombie p (t->mu held; released while its thread is joined):
 * returns its wait status; p is freed. */
int wb_proc_reap(wb_ptree *t, wb_proc *p);
/* Undo wb_proc_add for a process whose thread never started. */
void wb_proc_abort(wb_proc *p);
/* Run p's image after an exec (st WB_E_EXIT with exec_pending), and so
 * on; returns how the last image ended. */
wb_status wb_proc_follow_execs(wb_proc *p, wb_status st, wb_error *e);
/* fork: continue the child p (its store made by wb_fork) with result 0. */
wb_status wb_proc_resume_fork(wb_proc *p, wb_error *e);

/* ctx.c: the WASI side (WASI errnos). A child's context for `im` (argv,
 * env) with the parent's fds[0..2] as its stdio (-1: closed), or a copy
 * of the parent's for a fork, into child->wasi; a context's argv and env
 * replaced (and its close-on-exec fds closed) by an exec; the module a
 * guest path names (a registered image under /bin or /usr/bin, whose
 * forced argv[0] goes to *argv0, or a module file read through p's own
 * grants). */
int wb_proc_ctx_spawn(wb_proc *parent, wb_proc *child, const wb_pimage *im,
                      const int fds[3]);
int wb_proc_ctx_fork(wb_proc *parent, wb_proc *child);
int wb_proc_ctx_exec(wb_proc *p, const wb_pimage *im);
int wb_proc_load_image(wb_proc *p, const char *path, wb_module **out,
                       wb_pmod **ent, const char **argv0);

/* fork.c: wasmbox_proc.fork, bound to the calling process (env). */
wb_status wb_proc_h_fork(wb_caller *c, void *env, const wb_val *a,
                         wb_val *r);

/* host.c: define the wasmbox_proc functions for p in l. */
wb_status wb_proc_define(wb_proc *p, wb_store *s, wb_linker *l,
                         wb_error *err);

#endif
