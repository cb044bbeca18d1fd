/* layer.c: a snapshot file that holds only the pages differing from
 * another snapshot file, its base (format 2, its runs packed; format 3
 * in a checkpoint's memfd, each run at its memory offset; snapshot.h).
 *
 * A fork's kernel starts from its parent's checkpoint file, which it
 * shares with the parent and every other fork through the page cache;
 * its own checkpoint keeps those pages shared by holding only the runs
 * of pages that differ (written since, or past the base's memory). A
 * restore maps the base, then each run of the layer on top (MAP_FIXED),
 * so a run is one mapping: their number is bounded
 * (WB_SNAPLAYER_MAX_RUNS). A layer always has a whole file (format 1)
 * as its base, never another layer: a layer of a fork's fork holds the
 * runs of its parent's layer too (copied, they are few), so a restore
 * maps two files at most however deep the forks go, and a base is never
 * needed by more than one level.
 *
 * The record names its base by the checksum of the base's header,
 * which covers the checksums of all of the base's bytes, and by its
 * size: another file put in the base's place, or a damaged one (whose
 * own checksums fail when it is opened), is refused with one line. */
#include "snapshot/snapshot.h"
#include "snapshot/pagehash.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xxhash.h>

#define REC_HEAD 28u                   /* base id, size, memory, count */
#define REC_RUN 16u

bool wb_snaplayer_encode(const wb_snaplayer *l, uint8_t **out, size_t *len)
{
    size_t n = REC_HEAD + (size_t)l->nruns * REC_RUN;
    uint8_t *p = malloc(n);
    if (!p)
        return false;
    wb_snap_put64(p, l->base_id);
    wb_snap_put64(p + 8, l->base_size);
    wb_snap_put64(p + 16, l->base_mem);
    wb_snap_put32(p + 24, l->nruns);
    for (uint32_t i = 0; i < l->nruns; i++) {
        wb_snap_put64(p + REC_HEAD + i * REC_RUN, l->runs[i].off);
        wb_snap_put64(p + REC_HEAD + i * REC_RUN + 8, l->runs[i].len);
    }
    *out = p;
    *len = n;
    return true;
}

static wb_status malformed(wb_error *err, const char *what)
{
    return wb_err_set(err, WB_E_SNAPSHOT, "snapshot refused: damaged "
                      "layer record (%s)", what);
}

/* Runs page aligned, sorted, apart, inside data_len, covering every
 * byte past the base's memory; their places in the file (packed: one
 * after the other, `stored` bytes in all). */
static wb_status check_runs(wb_snaplayer *l, uint64_t data_len,
                            bool packed, uint64_t stored, wb_error *err)
{
    const uint64_t pg = WB_PAGEHASH_PAGE;
    uint64_t end = 0, cover = l->base_mem, at = 0;
    if (l->base_mem % pg)
        return malformed(err, "base memory size");
    for (uint32_t i = 0; i < l->nruns; i++) {
        wb_mem_run *r = &l->runs[i];
        if (r->off % pg || r->len % pg || !r->len || r->off < end ||
            r->len > data_len || r->off > data_len - r->len)
            return malformed(err, "runs");
        end = r->off + r->len;
        if (r->off <= cover && end > cover)
            cover = end;
        l->runs[i].at = packed ? at : r->off;
        at += r->len;
    }
    if (cover < data_len)
        return malformed(err, "memory past its base's not in it");
    if (packed && at != stored)
        return malformed(err, "runs and stored bytes disagree");
    return WB_OK;
}

wb_status wb_snaplayer_decode(const uint8_t *in, size_t len,
                              uint64_t data_len, bool packed,
                              uint64_t stored, wb_snaplayer *l,
                              wb_error *err)
{
    memset(l, 0, sizeof *l);
    if (!in || len < REC_HEAD)
        return malformed(err, "missing or short");
    uint32_t n = wb_snap_get32(in + 24);
    if (n > WB_SNAPLAYER_MAX_RUNS || len != REC_HEAD + (size_t)n * REC_RUN)
        return malformed(err, "count of runs");
    l->base_id = wb_snap_get64(in);
    l->base_size = wb_snap_get64(in + 8);
    l->base_mem = wb_snap_get64(in + 16);
    l->runs = calloc(n + 1, sizeof *l->runs);
    if (!l->runs)
        return wb_err_set(err, WB_E_NOMEM, "out of memory for a snapshot");
    l->nruns = n;
    for (uint32_t i = 0; i < n; i++) {
        l->runs[i].off = wb_snap_get64(in + REC_HEAD + i * REC_RUN);
        l->runs[i].len = wb_snap_get64(in + REC_HEAD + i * REC_RUN + 8);
    }
    wb_status rc = check_runs(l, data_len, packed, stored, err);
    if (rc)
        wb_snaplayer_free(l);
    return rc;
}

void wb_snaplayer_free(wb_snaplayer *l)
{
    free(l->runs);
    memset(l, 0, sizeof *l);
}

/* Through a read-only shared mapping of each run (its pages are the
 * page cache's, or the memfd's, already there: no copy). */
bool wb_snaplayer_hash(int fd, uint64_t data_off, const wb_snaplayer *l,
                       uint64_t *out)
{
    XXH3_state_t *hs = XXH3_createState();
    bool ok = hs && XXH3_64bits_reset(hs) == XXH_OK;
    if (!ok)
        errno = ENOMEM;
    for (uint32_t i = 0; ok && i < l->nruns; i++) {
        size_t n = (size_t)l->runs[i].len;
        void *p = mmap(NULL, n, PROT_READ, MAP_SHARED, fd,
                       (off_t)(data_off + l->runs[i].at));
        ok = p != MAP_FAILED;
        if (ok) {
            XXH3_64bits_update(hs, p, n);
            munmap(p, n);
        }
    }
    if (ok)
        *out = XXH3_64bits_digest(hs);
    XXH3_freeState(hs);
    return ok;
}

static wb_status refuse(wb_error *err, const char *why)
{
    return wb_err_set(err, WB_E_SNAPSHOT, "snapshot refused: %s", why);
}

wb_status wb_snaplayer_attach(wb_snapshot *sn, wb_snapshot *base,
                              wb_error *err)
{
    const wb_snaplayer *l = &sn->layer;
    if (sysconf(_SC_PAGESIZE) > (long)WB_PAGEHASH_PAGE)
        return refuse(err, "a layer of 4 KiB pages, on a host of larger "
                      "pages");
    if (base->hdr.format != WB_SNAP_FORMAT)
        return refuse(err, "its base is itself a layer");
    if (base->hdr.self_hash != l->base_id ||
        base->hdr.data_off + base->hdr.data_len != l->base_size)
        return refuse(err, "its base is not the file it was made over "
                      "(replaced or damaged)");
    if (sn->state.nmems != 1 || base->state.nmems != 1 ||
        (uint64_t)base->state.mems[0].pages * WB_PAGE_SIZE != l->base_mem)
        return refuse(err, "its base holds another memory");
    wb_state_mem *m = &sn->state.mems[0];
    m->run_fd = sn->fd;
    m->run_offset = m->offset;
    m->runs = l->runs;
    m->nruns = l->nruns;
    m->fd = base->fd;
    m->offset = base->state.mems[0].offset;
    m->base_len = l->base_mem;
    sn->base = base;
    return WB_OK;
}
