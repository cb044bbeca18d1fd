/*
 * preinit.h: pre-initialized CPython (src/sandbox/preinit.c). Not
 * installed.
 *
 * The ready point: CPython initialized (site imported) and the modules
 * agents import most already imported, with no guest call in progress,
 * so the instance can be captured as a snapshot (docs/snapshots.md,
 * "Pre-initialized guests"). The host gets there by calling the guest's
 * own functions, found by the module's name section, instead of _start:
 * __wasm_call_ctors, PyConfig_InitPythonConfig, PyConfig_SetBytesArgv,
 * Py_InitializeFromConfig, PyRun_SimpleStringFlags. A run from the
 * snapshot does what `python3 -c CODE ARGS...` does after its
 * initialization, the same way: PyRun_SimpleStringFlags(CODE), then
 * Py_FinalizeEx (or the ready point's finish(), where nothing can tell
 * the two apart: preinit_src.c) and the destructors.
 */
#ifndef WB_PREINIT_H
#define WB_PREINIT_H

#include "wasmbox/snapshot.h"
#include "common/error.h"

/* The guest path of Python's standard library: the first grant of a
 * build and of every run from its snapshot (fd 3). */
#define WB_PREINIT_LIB "/lib"
/* The names in sys of the functions a run calls, setup and finish, and
 * of the bytes setup reads (the contract between a snapshot and the
 * wasmbox that runs from it; change the number with their parameters or
 * meaning: preinit_src.c). */
#define WB_PREINIT_SETUP "_wasmbox_setup_4"
#define WB_PREINIT_FINISH "_wasmbox_finish_4"
#define WB_PREINIT_RUN "_wasmbox_run_4"
/* The snapshot's file name, beside python.wasm. */
#define WB_PREINIT_FILE "python.snap"
/* The modules imported at the ready point. */
#define WB_PREINIT_IMPORTS "json, re, csv, math, statistics, datetime, " \
    "collections, itertools, pathlib, decimal, sqlite3"

/* Initialize python.wasm `module_path` with its standard library at host
 * directory `lib` (granted read-only at /lib) to the ready point and save
 * the snapshot to `out` (beside it, renamed over it). Errors: those of
 * wb_module_load and wb_snapshot_save; WB_E_LINK when the module lacks
 * a function the ready point needs; WB_E_TRAP/WB_E_EXIT when CPython
 * fails to initialize (the message says where). */
wb_status wb_preinit_build(const char *module_path, const char *lib,
                           const char *out, wb_error *err);

/* Open snapshot `snap_path` of python.wasm `module_path`. The module is
 * loaded without validating its bodies up front (the snapshot is bound
 * to its exact bytes, which validated when the snapshot was made; each
 * body is still validated before its first call). Errors: those of
 * wb_snapshot_open (WB_E_SNAPSHOT: stale, foreign, damaged) and of
 * wb_module_load. */
wb_status wb_preinit_open(const char *module_path, const char *snap_path,
                          wb_snapshot **out, wb_error *err);

/* preinit_stamp.c: the key of the stamp that snapshot `snap` of module
 * `module` (their fstat) was checked whole, into `key` (false: the files
 * have no identity to stamp); wb_cache_stamped and wb_cache_stamp
 * (src/engine/native.h) look it up and write it. */
struct stat;
bool wb_preinit_stamp_key(const struct stat *module, const struct stat *snap,
                          char *key, size_t cap);

/* NULL if a run of `cfg` (args: python3 -c CODE ARGS...) can start from a
 * snapshot and behave as a cold start would; else why not (a static
 * string): other interpreter options, PYTHON* environment variables that
 * change initialization, code that is not UTF-8, or a first grant that is
 * not the standard library at /lib. */
const char *wb_preinit_unfit(const wb_sandbox_config *cfg);

/* wb_sandbox_run of `cfg` (wb_preinit_unfit(cfg) == NULL) from `snap`:
 * the same budget, grants, output and outcomes. The guest gets its own
 * argv, environment, preopens and fresh randomness (random reseeded).
 * It ends as Py_FinalizeEx ends it, without tearing the interpreter down
 * when nothing the run made can observe that (finish, preinit_src.c). */
wb_status wb_preinit_run(const wb_sandbox_config *cfg,
                         const wb_snapshot *snap, wb_run_result *res,
                         wb_error *err);
/* The same; `quick`: a run whose instance and workspace are thrown away
 * after it (POST /v1/run) ends without tearing the interpreter down:
 * atexit functions, cycles collected, __main__'s globals finalized and
 * stdio flushed as Py_FinalizeEx does, then nothing more (objects held
 * only by other modules are not finalized; docs/snapshots.md). */
wb_status wb_preinit_run_ex(const wb_sandbox_config *cfg,
                            const wb_snapshot *snap, bool quick,
                            wb_run_result *res, wb_error *err);

/* preinit_src.c: the ready point's code (setup and finish defined, the
 * modules imported, gc.freeze()) and the quick end. */
extern const char wb_preinit_warm_src[];
extern const char wb_preinit_quick_src[];

/* The same for a session's kernel, `python3 -I SCRIPT` (a persistent
 * driver reading requests on stdin): NULL if `cfg` fits; -I ignores the
 * PYTHON* variables, so any environment does. */
const char *wb_preinit_unfit_kernel(const wb_sandbox_config *cfg);
/* Run the kernel of `cfg` (wb_preinit_unfit_kernel(cfg) == NULL) from
 * `snap` in store `s` (imports from `l`: the WASI context's): what
 * wb_func_call of _start does for a cold one, until the script returns
 * and Python is finalized. Errors as wb_func_call. */
wb_status wb_preinit_kernel(wb_store *s, const wb_linker *l,
                            const wb_snapshot *snap,
                            const wb_sandbox_config *cfg, wb_error *err);

/* Checkpointable kernels (docs/snapshots.md, "Checkpointed sessions"):
 * the driver returns to the host between steps, so no guest call is in
 * progress there and the instance can be captured.
 *
 * Set up the kernel of `cfg` as wb_preinit_kernel does, with
 * WB_PREINIT_STEPS_ENV=1 in cfg's environment: its driver script sets
 * itself up, says it is ready and returns. *inst: the instance (also on
 * failure, when it was made). Errors as wb_func_call. */
#define WB_PREINIT_STEPS_ENV "WASMBOX_KERNEL_STEPS"
#define WB_PREINIT_STEP "_wasmbox_kernel_step"
wb_status wb_preinit_kernel_open(wb_store *s, const wb_linker *l,
                                 const wb_snapshot *snap,
                                 const wb_sandbox_config *cfg,
                                 wb_instance **inst, wb_error *err);
/* One step of such a kernel: sys._wasmbox_kernel_step() reads one
 * request from stdin, runs it and returns. Errors as wb_func_call. */
wb_status wb_preinit_kernel_step(wb_store *s, wb_instance *inst,
                                 wb_error *err);

#endif
