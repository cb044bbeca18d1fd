/* hot.c: the pages of a snapshot's memory that a run from it writes
 * (the "hot" extra section), recorded when the snapshot is made and made
 * private at once by a one-shot run restored from it.
 *
 * Why: a restored memory maps the file copy-on-write, and every first
 * write to one of its pages costs a read fault, a write fault and a TLB
 * flush (each a hypercall on a paravirtualized VM); making the whole
 * image private in one call (wb_mem_prefault_image) avoids those but
 * copies every page, and CPython's `python -c pass` writes 764 of its
 * 2,560. The record lists the runs of pages a trial run wrote, so a run
 * copies those and leaves the rest shared with the page cache (faulted
 * in for reading, or never touched). It is a hint: a run that writes
 * other pages faults them in as before, and a snapshot without it makes
 * the whole image private. Its runs are checked like a layer's (page
 * aligned, sorted, apart, inside memory 0), so a damaged record is
 * refused with the rest of the state section. */
#include "snapshot/snapshot.h"
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define REC_COUNT 4u
#define REC_RUN 16u
#define PM_PRESENT (1ull << 63)
#define PM_FILE (1ull << 61)           /* a page-cache (or shmem) page */

/* The host pages [first, first + n) as pagemap entries, into pm. */
static bool read_pagemap(int fd, uint64_t first, uint64_t n, uint64_t *pm)
{
    size_t want = (size_t)n * sizeof *pm;
    return pread(fd, pm, want, (off_t)(first * sizeof *pm)) == (ssize_t)want;
}

/* Runs of pm's present private pages (written: copied out of the file)
 * into runs (room for WB_SNAPHOT_MAX_RUNS); their count, or -1 past it. */
static long private_runs(const uint64_t *pm, uint64_t n, uint64_t pg,
                         wb_mem_run *runs)
{
    long nr = 0;
    for (uint64_t i = 0; i < n; i++) {
        bool written = (pm[i] & PM_PRESENT) && !(pm[i] & PM_FILE);
        if (!written)
            continue;
        if (nr && runs[nr - 1].off + runs[nr - 1].len == i * pg) {
            runs[nr - 1].len += pg;
            continue;
        }
        if (nr == WB_SNAPHOT_MAX_RUNS)
            return -1;
        runs[nr++] = (wb_mem_run){ i * pg, pg, 0 };
    }
    return nr;
}

static bool encode(const wb_mem_run *runs, long n, uint8_t **out,
                   size_t *len)
{
    size_t size = REC_COUNT + (size_t)n * REC_RUN;
    uint8_t *p = malloc(size);
    if (!p)
        return false;
    wb_snap_put32(p, (uint32_t)n);
    for (long i = 0; i < n; i++) {
        wb_snap_put64(p + REC_COUNT + i * REC_RUN, runs[i].off);
        wb_snap_put64(p + REC_COUNT + i * REC_RUN + 8, runs[i].len);
    }
    *out = p;
    *len = size;
    return true;
}

bool wb_snaphot_record(const wb_memory *m, uint8_t **out, size_t *len)
{
    uint64_t pg = (uint64_t)sysconf(_SC_PAGESIZE);
    uint64_t n = m && m->image ? m->image / pg : 0;
    if (!n || pg % WB_SNAPHOT_PAGE || (uintptr_t)m->base % pg)
        return false;
    int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    uint64_t *pm = malloc((size_t)n * sizeof *pm);
    wb_mem_run *runs = malloc(WB_SNAPHOT_MAX_RUNS * sizeof *runs);
    long nr = fd >= 0 && pm && runs &&
              read_pagemap(fd, (uintptr_t)m->base / pg, n, pm)
              ? private_runs(pm, n, pg, runs) : -1;
    bool ok = nr > 0 && encode(runs, nr, out, len);
    if (fd >= 0)
        close(fd);
    free(pm);
    free(runs);
    return ok;
}

static wb_status malformed(wb_error *err)
{
    return wb_err_set(err, WB_E_SNAPSHOT, "snapshot refused: damaged "
                      "hot-page record");
}

wb_status wb_snaphot_decode(const uint8_t *in, size_t len,
                            const wb_inst_state *st, wb_snapshot *sn,
                            wb_error *err)
{
    if (!in)
        return WB_OK;
    uint32_t n = len >= REC_COUNT ? wb_snap_get32(in) : 0;
    if (!n || n > WB_SNAPHOT_MAX_RUNS || len != REC_COUNT + n * REC_RUN ||
        !st->nmems)
        return malformed(err);
    uint64_t size = (uint64_t)st->mems[0].pages * WB_PAGE_SIZE, end = 0;
    sn->hot = calloc(n, sizeof *sn->hot);
    if (!sn->hot)
        return wb_err_set(err, WB_E_NOMEM, "out of memory for a snapshot");
    sn->nhot = n;
    for (uint32_t i = 0; i < n; i++) {
        wb_mem_run *r = &sn->hot[i];
        r->off = wb_snap_get64(in + REC_COUNT + i * REC_RUN);
        r->len = wb_snap_get64(in + REC_COUNT + i * REC_RUN + 8);
        if (r->off % WB_SNAPHOT_PAGE || r->len % WB_SNAPHOT_PAGE ||
            !r->len || r->off < end || r->len > size ||
            r->off > size - r->len)
            return malformed(err);
        end = r->off + r->len;
    }
    return WB_OK;
}

void wb_snapshot_prefault(const wb_snapshot *sn, wb_memory *m)
{
    if (!sn || !m || !sn->nhot) {
        wb_mem_prefault_image(m);
        return;
    }
#ifdef MADV_POPULATE_WRITE
    uint64_t pg = (uint64_t)sysconf(_SC_PAGESIZE);
    for (uint32_t i = 0; i < sn->nhot && m->image; i++) {
        /* whole host pages around the run, inside the image */
        uint64_t lo = sn->hot[i].off / pg * pg;
        uint64_t hi = (sn->hot[i].off + sn->hot[i].len + pg - 1) / pg * pg;
        if (hi > m->image)
            hi = m->image / pg * pg;
        if (lo < hi)
            madvise(m->base + lo, (size_t)(hi - lo), MADV_POPULATE_WRITE);
    }
#endif
}
