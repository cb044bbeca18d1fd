/*
 * wasmbox/snapshot.h: snapshots of instances (src/snapshot): capture the
 * state of an instance at rest into a file, and start new instances of
 * the same module from it in microseconds.
 *
 * What a snapshot holds
 *   The instance's own memories, tables (function references as indices
 *   into the module's function space) and globals, which element and data
 *   segments were dropped, and, when a WASI context is given, its state
 *   (see wb_snapshot_restore_wasi). Not the call stack: a snapshot is taken
 *   when no call of the store is in progress. Instances that import
 *   memories, tables or mutable globals, or hold externrefs, cannot be
 *   captured.
 *
 * Restoring
 *   Memories are mapped copy-on-write (MAP_PRIVATE) from the file: pages
 *   the guest never writes cost no memory and are shared by every
 *   instance restored from the same file. The new instance is charged to
 *   its store like any other; a store whose limits are too small for the
 *   snapshot refuses it (WB_E_LIMIT). Untouched pages read the file as it
 *   is: never rewrite a snapshot file in place while instances use it
 *   (save a new one: wb_snapshot_save renames it over the old).
 *
 * Trust
 *   A file is versioned, checksummed (XXH3) and bound to the exact bytes
 *   of its module and to the wasmbox version that wrote it; anything else
 *   is refused with WB_E_SNAPSHOT and one line saying why. The checksums
 *   catch damage, not forgery: a snapshot is as trusted as the guest's own
 *   memory, and a crafted one can only give the guest a state it could
 *   have reached itself (every index and size is checked on load).
 *
 * Include <wasmbox.h> rather than this header: it includes every layer.
 */
#ifndef WASMBOX_SNAPSHOT_H
#define WASMBOX_SNAPSHOT_H

#include "wasmbox/sandbox.h"

#ifdef __cplusplus
extern "C" {
#endif

/* An opened, verified snapshot: immutable, so several threads may
 * instantiate from one at the same time. */
typedef struct wb_snapshot wb_snapshot;

/* Write the state of `inst` and, unless `wasi` is NULL, of the WASI
 * context its imports come from, to a new file `path` (mode 0600; written
 * beside it, synced, then renamed over it, so a reader never sees half a
 * file). Errors: WB_E_ARG (a call in progress, or state a snapshot cannot
 * hold: the message says which), WB_E_IO, WB_E_NOMEM. */
WB_API wb_status wb_snapshot_save(const wb_instance *inst,
                                  const wb_wasi *wasi, const char *path,
                                  wb_error *err);
/* The same into `fd` (borrowed): an empty regular file or memfd, written
 * from offset 0. Errors as wb_snapshot_save. */
WB_API wb_status wb_snapshot_write(const wb_instance *inst,
                                   const wb_wasi *wasi, int fd,
                                   wb_error *err);
/* Capture into an anonymous in-memory file and open it, for restores in
 * this process (forks of a live instance). Errors as wb_snapshot_save. */
WB_API wb_status wb_snapshot_capture(const wb_instance *inst,
                                     const wb_wasi *wasi, wb_snapshot **out,
                                     wb_error *err);
/* Open snapshot file `path`, made from module `m` (retained by the
 * snapshot), and verify all of it; *out is owned by the caller. Errors:
 * WB_E_SNAPSHOT (not a snapshot, truncated, damaged, another format,
 * wasmbox version or module), WB_E_NOT_FOUND, WB_E_IO, WB_E_NOMEM. */
WB_API wb_status wb_snapshot_open(const char *path, wb_module *m,
                                  wb_snapshot **out, wb_error *err);
/* The same for open file `fd` (borrowed; the snapshot keeps a duplicate). */
WB_API wb_status wb_snapshot_open_fd(int fd, wb_module *m, wb_snapshot **out,
                                     wb_error *err);
/* A new instance of the snapshot's module in store `s`, imports resolved
 * through `l` as by wb_instantiate, in the captured state. No segment is
 * applied and no start function runs. Errors: those of wb_instantiate,
 * WB_E_LIMIT when the store's limits do not hold the snapshot's memories
 * and tables. */
WB_API wb_status wb_snapshot_instantiate(wb_store *s, const wb_snapshot *snap,
                                         const wb_linker *l,
                                         wb_instance **out, wb_error *err);
/* Give WASI context `w` (new, not yet used by a guest) the captured WASI
 * state: argv and environment, and the descriptor table checked against
 * w's own (the same preopens by guest name and kind at the same fds; the
 * files the guest had open under directory grants reopened by their path
 * inside the grant, at their offsets). Errors: WB_E_SNAPSHOT (no WASI
 * state in the snapshot, or it does not fit `w`'s grants: a file that
 * cannot be reopened too), WB_E_NOMEM; `w` may then be partly changed:
 * free it. */
WB_API wb_status wb_snapshot_restore_wasi(const wb_snapshot *snap,
                                          wb_wasi *w, wb_error *err);
/* The module the snapshot was opened for (borrowed). */
WB_API wb_module *wb_snapshot_module(const wb_snapshot *snap);
/* Free the snapshot; instances restored from it stay valid (their
 * mappings keep the file). NULL: nothing. */
WB_API void wb_snapshot_free(wb_snapshot *snap);

#ifdef __cplusplus
}
#endif
#endif
