/* pagehash.h: which pages of a memory changed since the last look, by
 * comparing a hash of each page with the one recorded then (pagehash.c).
 * The fallback of dirty.h where the kernel cannot track writes (before
 * Linux 6.7, or under the OS lock-down of a worker, whose seccomp filter
 * kills userfaultfd): it needs no kernel support, but reads every page
 * of the memory at each look (docs/snapshots.md, "Finding the written
 * pages"). */
#ifndef WB_SNAPSHOT_PAGEHASH_H
#define WB_SNAPSHOT_PAGEHASH_H

#include "snapshot/dirty.h"

#define WB_PAGEHASH_PAGE 4096u

typedef struct wb_pagehash wb_pagehash;

/* Record the hashes of [base, base + size) as it is now (size a
 * multiple of WB_PAGEHASH_PAGE). */
wb_status wb_pagehash_new(const void *base, size_t size, wb_pagehash **out,
                          wb_error *err);
/* Report, in order, every run of pages of [base, base + size) whose bytes
 * differ from what was recorded (pages past the recorded size are all
 * reported), and record the new hashes. `base` may be another mapping
 * than the last look's, holding the same bytes where it was not written
 * (an instance restored from the checkpoint these hashes describe). A
 * memory never shrinks: a smaller size is refused (WB_E_ARG). If `fn`
 * stops the scan (WB_E_IO), the record is only partly updated: free it. */
wb_status wb_pagehash_scan(wb_pagehash *h, const void *base, size_t size,
                           wb_dirty_fn fn, void *user, wb_error *err);
/* NULL: nothing. */
void wb_pagehash_free(wb_pagehash *h);

#endif
