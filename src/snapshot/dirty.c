/* dirty.c: written pages by userfaultfd's asynchronous write-protect
 * and the PAGEMAP_SCAN ioctl (Linux 6.7+).
 *
 * Why this way: soft-dirty bits (/proc/self/clear_refs) are cleared for
 * the whole process at once, so two trackers in one process (a Python
 * and a JavaScript kernel) would erase each other's record, and kernels
 * built without CONFIG_MEM_SOFT_DIRTY (this test machine's) never set
 * them. Comparing page hashes reads every page of every checkpoint. With
 * UFFD_FEATURE_WP_ASYNC the kernel resolves a write to a protected page
 * by itself (no handler thread, no signal): it only clears the page's
 * protection bit, and PAGEMAP_SCAN with PM_SCAN_WP_MATCHING lists the
 * unprotected pages of a range and protects them again atomically. The
 * range is ours alone, and the cost of a scan follows the page tables of
 * the range, not its bytes.
 *
 * The userfaultfd is opened with UFFD_USER_MODE_ONLY, allowed without
 * privilege even where vm.unprivileged_userfaultfd is 0; asynchronous
 * write-protect faults never reach the descriptor, so kernel-mode writes
 * are tracked all the same. WP_UNPOPULATED marks pages never touched, so
 * a first write to one counts too. The ABI numbers are defined here when
 * the build host's headers predate them (they are fixed by the kernel's
 * ABI). */
#include "snapshot/dirty.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1
#endif
#define WB_UFFD_WP_UNPOPULATED (1ull << 13)
#define WB_UFFD_WP_ASYNC (1ull << 15)

struct wb_page_region {
    uint64_t start, end, categories;
};

struct wb_pm_scan_arg {
    uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages;
    uint64_t category_inverted, category_mask, category_anyof_mask;
    uint64_t return_mask;
};

#define WB_PAGEMAP_SCAN _IOWR('f', 16, struct wb_pm_scan_arg)
#define WB_PAGE_IS_WRITTEN (1ull << 1)
#define WB_PM_SCAN_WP_MATCHING (1ull << 0)
#define WB_PM_SCAN_CHECK_WPASYNC (1ull << 1)
#define RUNS 256u                      /* runs returned per ioctl */

struct wb_dirty {
    int uffd, pagemap;
    uint8_t *base;
    size_t reserve, size;              /* size: protected so far */
    struct wb_page_region vec[RUNS];
};

static wb_status unsupported(wb_error *err, const char *what)
{
    return wb_err_set(err, WB_E_IMPL_LIMIT, "cannot track written pages: "
                      "%s: %s", what, strerror(errno));
}

static int protect(wb_dirty *d, size_t from, size_t to)
{
    if (from >= to)
        return 0;
    struct uffdio_writeprotect wp = {
        .range = { (uintptr_t)(d->base + from), to - from },
        .mode = UFFDIO_WRITEPROTECT_MODE_WP,
    };
    return ioctl(d->uffd, UFFDIO_WRITEPROTECT, &wp);
}

static wb_status open_uffd(wb_dirty *d, wb_error *err)
{
    /* The OS lock-down's seccomp filter kills a process that calls
     * userfaultfd (src/sandbox/oslock_seccomp.c): under any filter, do
     * not try. */
    if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) != 0) {
        errno = EPERM;
        return unsupported(err, "userfaultfd under a seccomp filter");
    }
    d->uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK |
                           UFFD_USER_MODE_ONLY);
    if (d->uffd < 0)
        return unsupported(err, "userfaultfd");
    struct uffdio_api api = {
        .api = UFFD_API,
        .features = WB_UFFD_WP_ASYNC | WB_UFFD_WP_UNPOPULATED,
    };
    if (ioctl(d->uffd, UFFDIO_API, &api))
        return unsupported(err, "asynchronous write-protect");
    struct uffdio_register reg = {
        .range = { (uintptr_t)d->base, d->reserve },
        .mode = UFFDIO_REGISTER_MODE_WP,
    };
    if (ioctl(d->uffd, UFFDIO_REGISTER, &reg))
        return unsupported(err, "registering the memory");
    d->pagemap = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    if (d->pagemap < 0)
        return unsupported(err, "/proc/self/pagemap");
    return WB_OK;
}

wb_status wb_dirty_new(void *base, size_t reserve, size_t size,
                       wb_dirty **out, wb_error *err)
{
    long pg = sysconf(_SC_PAGESIZE);
    if (!base || !reserve || size > reserve || (uintptr_t)base % pg ||
        reserve % pg || size % pg)
        return wb_err_set(err, WB_E_ARG, "dirty page tracking: a range "
                          "that is not page aligned");
    wb_dirty *d = calloc(1, sizeof *d);
    if (!d)
        return wb_err_set(err, WB_E_NOMEM, "out of memory");
    d->uffd = d->pagemap = -1;
    d->base = base;
    d->reserve = reserve;
    wb_status st = open_uffd(d, err);
    if (!st && protect(d, 0, size))
        st = unsupported(err, "write-protecting the memory");
    if (st) {
        wb_dirty_free(d);
        return st;
    }
    d->size = size;
    *out = d;
    return WB_OK;
}

/* The written runs of [from, to), protected again as they are listed. */
static wb_status scan_range(wb_dirty *d, size_t from, size_t to,
                            wb_dirty_fn fn, void *user, wb_error *err)
{
    uint64_t at = (uintptr_t)(d->base + from), end = (uintptr_t)(d->base + to);
    while (at < end) {
        struct wb_pm_scan_arg a = {
            .size = sizeof a,
            .flags = WB_PM_SCAN_WP_MATCHING | WB_PM_SCAN_CHECK_WPASYNC,
            .start = at, .end = end,
            .vec = (uintptr_t)d->vec, .vec_len = RUNS,
            .category_mask = WB_PAGE_IS_WRITTEN,
            .return_mask = WB_PAGE_IS_WRITTEN,
        };
        long n = ioctl(d->pagemap, WB_PAGEMAP_SCAN, &a);
        if (n < 0)
            return unsupported(err, "PAGEMAP_SCAN");
        for (long i = 0; i < n; i++) {
            size_t off = (size_t)(d->vec[i].start - (uintptr_t)d->base);
            if (fn(user, off, (size_t)(d->vec[i].end - d->vec[i].start)))
                return wb_err_set(err, WB_E_IO, "dirty page scan stopped");
        }
        if (a.walk_end <= at)
            break;                     /* no progress: the kernel's answer */
        at = a.walk_end;
    }
    return WB_OK;
}

wb_status wb_dirty_scan(wb_dirty *d, size_t size, wb_dirty_fn fn, void *user,
                        wb_error *err)
{
    if (size > d->reserve || size % (size_t)sysconf(_SC_PAGESIZE))
        return wb_err_set(err, WB_E_ARG, "dirty page scan: bad size");
    size_t old = d->size < size ? d->size : size;
    wb_status st = scan_range(d, 0, old, fn, user, err);
    if (st || size <= d->size)
        return st;
    if (protect(d, d->size, size))
        return unsupported(err, "write-protecting grown memory");
    d->size = size;
    return fn(user, old, size - old)
               ? wb_err_set(err, WB_E_IO, "dirty page scan stopped") : WB_OK;
}

void wb_dirty_free(wb_dirty *d)
{
    if (!d)
        return;
    if (d->uffd >= 0)
        close(d->uffd);                /* unregisters the range */
    if (d->pagemap >= 0)
        close(d->pagemap);
    free(d);
}
