/*
 * ptree.h: the tree of guest processes of one run as the layers above
 * src/proc/ use it (src/sandbox/run.c, a session kernel); proc.h has the
 * rest. Apart from proc.h so that a user need not see the engine's
 * internals (docs/processes.md). Not installed.
 */
#ifndef WB_PTREE_H
#define WB_PTREE_H

#include "wasmbox/sandbox.h"
#include "common/error.h"

typedef struct wb_ptree wb_ptree;

/* ---- tree.c --------------------------------------------------------------- */

/* The tree of a run under cfg's budget (copied: max_processes, limits of
 * each store, the group's memory and fuel); its images borrowed. */
wb_status wb_ptree_new(const wb_sandbox_config *cfg, wb_ptree **out,
                       wb_error *err);
/* The root (pid 1) is the run's store, linker and context (borrowed: the
 * run frees them); defines wasmbox_proc in l for it. */
wb_status wb_ptree_root(wb_ptree *t, wb_store *s, wb_linker *l, wb_wasi *w,
                        wb_error *err);
/* The root's entry returned with st/e: runs the images it exec'd, on this
 * thread, until one ends otherwise; returns how the last one ended. */
wb_status wb_ptree_root_done(wb_ptree *t, wb_status st, wb_error *e);
/* Thread-safe (the watchdog, a kill): every process is interrupted and
 * every blocking call wakes; `outcome` (a wb_outcome, or -1) is the
 * tree's stop reason unless one was set before. */
void wb_ptree_cancel(wb_ptree *t, int outcome);
/* Why the tree stopped (a wb_outcome), or -1. */
int wb_ptree_stop(const wb_ptree *t);
/* The signal that killed the root (a kill from a process of the tree),
 * or 0; the pid that sent it into *sender. */
int wb_ptree_root_signal(const wb_ptree *t, int *sender);
/* After the root ended: every other process is ended and its thread
 * joined. */
void wb_ptree_end(wb_ptree *t);
/* Fuel and peak memory of the whole tree, and its process counts. */
void wb_ptree_usage(wb_ptree *t, wb_run_result *res);
/* Its process counts alone (procs_*). */
void wb_ptree_counts(wb_ptree *t, wb_run_result *res);

/* A session kernel's tree (src/session/wb_session_kernel.c), whose root
 * lives from step to step. A step begins: its children draw `fuel` each
 * (< 0: unlimited), at most `max_processes` live at once, and the counts
 * start again (the root counted as started). */
void wb_ptree_step(wb_ptree *t, int64_t fuel, uint32_t max_processes);
/* The most memory its processes held at once since the step began (since
 * it was made, before the first). */
uint64_t wb_ptree_peak_memory(const wb_ptree *t);
/* The step's code returned (or the kernel parks): every process but the
 * root is killed (SIGKILL) and its thread joined; the root's own
 * children stay zombies for it to wait for, those it adopted are reaped.
 * Without t->mu, from a thread that runs no guest of the tree. */
void wb_ptree_end_children(wb_ptree *t);
void wb_ptree_free(wb_ptree *t);

#endif
