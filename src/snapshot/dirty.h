/* dirty.h: which pages of a memory were written since the last look
 * (dirty.c), the first part of checkpointed sessions (docs/snapshots.md,
 * "Checkpointed sessions"): a checkpoint copies only those pages. */
#ifndef WB_SNAPSHOT_DIRTY_H
#define WB_SNAPSHOT_DIRTY_H

#include "common/error.h"
#include <stddef.h>
#include <stdint.h>

typedef struct wb_dirty wb_dirty;

/* Called for each run [off, off + len) of written bytes, page aligned,
 * offsets from the tracked base; non-zero stops the scan with WB_E_IO. */
typedef int (*wb_dirty_fn)(void *user, size_t off, size_t len);

/* Track writes to [base, base + reserve) of this process, host-page
 * aligned; the first `size` bytes are live now and are write-protected
 * here (the rest, until a scan grows `size`, is not looked at). The
 * mapping must stay in place while tracked: a new mmap over the range
 * ends the tracking silently (free and make a new tracker after one).
 * Writes by the kernel on our behalf (read(2) into guest memory) count.
 * WB_E_IMPL_LIMIT: this kernel or its settings do not allow it (the
 * message says why; the caller falls back to copying every page). */
wb_status wb_dirty_new(void *base, size_t reserve, size_t size,
                       wb_dirty **out, wb_error *err);
/* Report every run of pages written since wb_dirty_new or the last scan
 * within the first `size` bytes (at most the reserve), oldest size
 * first, and write-protect them again in the same step, so a write that
 * races with the scan is reported now or by the next one, never lost.
 * Pages past the previous size are reported whole (they are new) and
 * protected from now on. */
wb_status wb_dirty_scan(wb_dirty *d, size_t size, wb_dirty_fn fn, void *user,
                        wb_error *err);
/* Stop tracking; the memory stays as it is. NULL: nothing. */
void wb_dirty_free(wb_dirty *d);

#endif
