/* ckpt.h: incremental checkpoints of a live instance in memory
 * (ckpt.c; docs/snapshots.md, "Checkpointed sessions"). Not installed. */
#ifndef WB_SNAPSHOT_CKPT_H
#define WB_SNAPSHOT_CKPT_H

#include "wasmbox/snapshot.h"
#include "common/error.h"

typedef struct wb_ckpt wb_ckpt;
typedef struct wb_snaplayer wb_snaplayer;       /* snapshot.h */

/* The state of `inst` (and of `wasi`, unless NULL) now, as by
 * wb_snapshot_capture, into a memfd of its own; from here on the pages
 * `inst` writes are tracked, so that wb_ckpt_update copies only those.
 * No call of inst's store may be in progress. Errors as
 * wb_snapshot_capture. */
wb_status wb_ckpt_new(const wb_instance *inst, const wb_wasi *wasi,
                      wb_ckpt **out, wb_error *err);
/* The same for `inst` restored from the snapshot file `from` (opened
 * from disk, kept open by the caller while inst lives: its base's fd is
 * dup'd) and not run since: a layer over from's whole file (layer.c)
 * holding only the pages inst writes from now on (and from's own, when
 * it is a layer). Where a layer cannot be (several memories, a host of
 * pages over 4 KiB, too many runs), as wb_ckpt_new. */
wb_status wb_ckpt_new_over(const wb_instance *inst, const wb_wasi *wasi,
                           const wb_snapshot *from, wb_ckpt **out,
                           wb_error *err);
/* Bring `c` to the state of `inst` now: the pages written since the last
 * update or bind (found by the kernel's tracker, else by page hashes),
 * and the state section. Where changes are not found (an instance with
 * other than one memory, a state section that outgrew its room, an
 * instance not bound) it captures all of it into a new memfd instead. On failure `c` is unusable: free it. */
wb_status wb_ckpt_update(wb_ckpt *c, const wb_instance *inst,
                         const wb_wasi *wasi, wb_error *err);
/* The checkpoint as a snapshot to restore from (its memfd is mapped
 * MAP_PRIVATE by the instances made from it; pages are rewritten there
 * only where the tracked instance wrote them, i.e. holds its own copy:
 * restore at most one instance to go on from, and bind it). */
wb_status wb_ckpt_open(const wb_ckpt *c, wb_snapshot **out, wb_error *err);
/* Track `inst`, restored from wb_ckpt_open(c) and not run since; the
 * next update copies what it writes (what differs from the checkpoint,
 * where the kernel's tracker is refused). */
void wb_ckpt_bind(wb_ckpt *c, const wb_instance *inst);
/* Stop tracking (before the tracked instance's store is freed). */
void wb_ckpt_unbind(wb_ckpt *c);
/* Are the instance's changes found (the next update copies only them)? */
bool wb_ckpt_tracked(const wb_ckpt *c);
/* ... by comparing page hashes, the kernel's tracker being refused? */
bool wb_ckpt_hashed(const wb_ckpt *c);
/* A copy of the checkpoint as it is now, as a snapshot file with every
 * checksum (wb_snapshot_open checks it), written atomically to `name`
 * in directory `dirfd`: a temporary file, synced, renamed over the old
 * one, the directory synced (persist.c). A layer's copy is a layer too,
 * over its base linked (or copied) as `base_name` there first; a whole
 * copy removes `base_name`. */
wb_status wb_ckpt_persist(const wb_ckpt *c, int dirfd, const char *name,
                          const char *base_name, wb_error *err);
/* The same, but the copy is linked to `name`, which must not exist yet:
 * WB_E_BUSY when it does (another process made it first), nothing
 * written under it then. */
wb_status wb_ckpt_commit(const wb_ckpt *c, int dirfd, const char *name,
                         const char *base_name, wb_error *err);
/* A checkpoint's copy on disk: `name` in directory dirfd, checked as by
 * wb_snapshot_open; when it is a layer, over `base_name` there (checked
 * too, unless this process checked that same file before). Refused
 * with one line: a damaged copy or base, a missing base, or a base that
 * is not the one the layer was made over (open.c, layer.c). */
wb_status wb_snapshot_open_at(int dirfd, const char *name,
                              const char *base_name, wb_module *m,
                              wb_snapshot **out, wb_error *err);
/* Its memfd and module (borrowed; persist.c). */
int wb_ckpt_fd(const wb_ckpt *c);
wb_module *wb_ckpt_module(const wb_ckpt *c);
/* A layer's record (runs as of the last write) and base (borrowed); NULL
 * and -1 for a whole checkpoint. */
const wb_snaplayer *wb_ckpt_layer(const wb_ckpt *c);
int wb_ckpt_base_fd(const wb_ckpt *c);
/* Free (unbinds). NULL: nothing. */
void wb_ckpt_free(wb_ckpt *c);

#endif
