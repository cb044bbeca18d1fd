/* write.c: capturing an instance into a snapshot file. The state section
 * is encoded in memory; memories are written straight from the live
 * instance, 64 KiB at a time, leaving holes for pages of zeros (so a
 * guest's untouched memory costs no disk and no page cache).
 *
 * Pages the guest never touched are not even read: reading an untouched
 * anonymous page maps it, which would charge the whole reservation to
 * the live instance's RSS. /proc/self/pagemap says which pages were ever
 * touched (present, or swapped out); where it cannot be read, every page
 * is read. A restored memory's file-backed part is always read: its
 * untouched pages hold the image's bytes, not zeros. */
#include "snapshot/snapshot.h"
#include "wasi/wasi.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xxhash.h>

static wb_status io_error(wb_error *err, const char *what)
{
    return wb_err_set(err, WB_E_IO, "cannot write a snapshot: %s: %s", what,
                      strerror(errno));
}

bool wb_snap_all_zero(const uint8_t *p, size_t n)
{
    static const uint8_t zero[WB_SNAP_ALIGN];
    return !memcmp(p, zero, n);
}

bool wb_snap_pwrite_all(int fd, const uint8_t *p, size_t n, uint64_t off)
{
    while (n) {
        ssize_t k = pwrite(fd, p, n, (off_t)off);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return false;
        p += k;
        n -= (size_t)k;
        off += (uint64_t)k;
    }
    return true;
}

#define PM_BATCH 4096u                 /* pagemap entries read at once */

typedef struct pagemap {
    int fd;                            /* -1: unknown, read everything */
    long page;
    uint64_t first, n;                 /* host pages of the batch in buf */
    uint64_t buf[PM_BATCH];
} pagemap;

/* Was any host page of [p, p + len) ever touched? */
static bool touched(pagemap *pm, const uint8_t *p, size_t len)
{
    if (pm->fd < 0)
        return true;
    uint64_t first = (uintptr_t)p / (uint64_t)pm->page;
    uint64_t last = ((uintptr_t)p + len - 1) / (uint64_t)pm->page;
    for (uint64_t pg = first; pg <= last; pg++) {
        if (pg < pm->first || pg >= pm->first + pm->n) {
            ssize_t k = pread(pm->fd, pm->buf, sizeof pm->buf,
                              (off_t)(pg * 8));
            if (k < 8)
                return true;
            pm->first = pg;
            pm->n = (uint64_t)k / 8;
        }
        if (pm->buf[pg - pm->first] & (3ull << 62))   /* present, swapped */
            return true;
    }
    return false;
}

static wb_status write_mem(int fd, const wb_state_mem *m, uint64_t at_file,
                           pagemap *pm, XXH3_state_t *hs, wb_error *err)
{
    static const uint8_t zero[WB_SNAP_ALIGN];
    uint64_t bytes = (uint64_t)m->pages * WB_PAGE_SIZE;
    for (uint64_t at = 0; at < bytes; at += WB_SNAP_ALIGN) {
        const uint8_t *chunk = m->bytes + at;
        if (at >= m->image && !touched(pm, chunk, WB_SNAP_ALIGN))
            chunk = zero;
        XXH3_64bits_update(hs, chunk, WB_SNAP_ALIGN);
        if (chunk != zero && !wb_snap_all_zero(chunk, WB_SNAP_ALIGN) &&
            !wb_snap_pwrite_all(fd, chunk, WB_SNAP_ALIGN, at_file + at))
            return io_error(err, "memory");
    }
    return WB_OK;
}

/* Each memory's bytes at data_off + its offset, into the checksum too. */
static wb_status write_mems(int fd, const wb_inst_state *st,
                            uint64_t data_off, XXH3_state_t *hs,
                            wb_error *err)
{
    pagemap *pm = malloc(sizeof *pm);
    if (!pm)
        return wb_err_set(err, WB_E_NOMEM, "out of memory for a snapshot");
    pm->fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    pm->page = sysconf(_SC_PAGESIZE);
    pm->first = pm->n = 0;
    wb_status rc = WB_OK;
    for (uint32_t i = 0; i < st->nmems && rc == WB_OK; i++)
        rc = write_mem(fd, &st->mems[i], data_off + st->mems[i].offset, pm,
                       hs, err);
    if (pm->fd >= 0)
        close(pm->fd);
    free(pm);
    return rc;
}

static uint64_t assign_offsets(wb_inst_state *st)
{
    uint64_t at = 0;
    for (uint32_t i = 0; i < st->nmems; i++) {
        st->mems[i].offset = at;
        at += (uint64_t)st->mems[i].pages * WB_PAGE_SIZE;
    }
    return at;
}

/* The state section padded with zeros to the data region; its checksum
 * covers the padding too, so no byte of the file goes unchecked. A data
 * region already placed (h->data_off set) stays: WB_E_LIMIT when the
 * section no longer fits before it. */
static wb_status write_meta(int fd, wb_snapmeta *mb, wb_snaphdr *h,
                            wb_error *err)
{
    uint64_t need = (WB_SNAP_HDR + mb->len + WB_SNAP_ALIGN - 1) /
                    WB_SNAP_ALIGN * WB_SNAP_ALIGN;
    if (h->data_off && need > h->data_off)
        return wb_err_set(err, WB_E_LIMIT, "the state section outgrew its "
                          "room");
    h->meta_len = mb->len;
    if (!h->data_off)
        h->data_off = need;
    size_t padded = (size_t)(h->data_off - WB_SNAP_HDR);
    uint8_t *p = realloc(mb->buf, padded ? padded : 1);
    if (!p)
        return wb_err_set(err, WB_E_NOMEM, "out of memory for a snapshot");
    mb->buf = p;
    memset(p + mb->len, 0, padded - mb->len);
    h->meta_hash = XXH3_64bits(p, padded);
    if (!wb_snap_pwrite_all(fd, p, padded, WB_SNAP_HDR))
        return io_error(err, "state");
    return WB_OK;
}

/* The memories' places and the state section. */
static wb_status put_meta(int fd, wb_inst_state *st, const wb_snapextra *x,
                          wb_snaphdr *h, wb_error *err)
{
    wb_snapmeta mb = {0};
    h->data_len = assign_offsets(st);
    wb_status rc = wb_snapmeta_encode(st, x, &mb) ? WB_OK
        : wb_err_set(err, WB_E_NOMEM, "out of memory for a snapshot");
    if (rc == WB_OK)
        rc = write_meta(fd, &mb, h, err);
    free(mb.buf);
    return rc;
}

static wb_status write_body(int fd, wb_inst_state *st, const wb_snapextra *x,
                            wb_snaphdr *h, wb_error *err)
{
    wb_status rc = put_meta(fd, st, x, h, err);
    XXH3_state_t *hs = rc == WB_OK ? XXH3_createState() : NULL;
    if (rc == WB_OK && (!hs || XXH3_64bits_reset(hs) != XXH_OK))
        rc = wb_err_set(err, WB_E_NOMEM, "out of memory for a snapshot");
    if (rc == WB_OK)
        rc = write_mems(fd, st, h->data_off, hs, err);
    if (rc == WB_OK)
        h->data_hash = XXH3_64bits_digest(hs);
    XXH3_freeState(hs);
    if (rc == WB_OK && ftruncate(fd, (off_t)(h->data_off + h->data_len)))
        rc = io_error(err, "size");
    return rc;
}

/* The state section of a file whose data region stays where it is and
 * already holds the memory's bytes (ckpt.c): no data checksum (0). */
static wb_status write_state_only(int fd, wb_inst_state *st,
                                  const wb_snapextra *x, wb_snaphdr *h,
                                  wb_error *err)
{
    wb_status rc = put_meta(fd, st, x, h, err);
    if (rc == WB_OK && ftruncate(fd, (off_t)(h->data_off + h->data_len)))
        rc = io_error(err, "size");
    return rc;
}

/* Where a new layer's data region goes: after its state section and
 * room for a record of WB_SNAPLAYER_MAX_RUNS runs (16 bytes each), so
 * that later updates rewrite the section in place. */
static uint64_t layer_room(const wb_inst_state *st, const wb_snapextra *x)
{
    wb_snapmeta mb = {0};
    size_t len = wb_snapmeta_encode(st, x, &mb) ? mb.len : 0;
    free(mb.buf);
    uint64_t need = WB_SNAP_HDR + len + 16u * WB_SNAPLAYER_MAX_RUNS + 64;
    return (need + WB_SNAP_ALIGN - 1) / WB_SNAP_ALIGN * WB_SNAP_ALIGN;
}

/* The whole file (data_off 0), or only its header and state section
 * (write_state_only) with the data region at *data_off. `add` holds the
 * extra sections other than WASI's (NULL ones: none); a layer record
 * makes the file a layer (format 2), whose data region, when placed
 * here, leaves room for the record to grow. */
static wb_status write_file(const wb_instance *inst, const wb_wasi *wasi,
                            int fd, uint64_t *data_off,
                            const wb_snapextra *add, wb_error *err)
{
    wb_inst_state st;
    uint8_t *ws = NULL;
    size_t wlen = 0;
    const uint8_t *layer = add->layer;
    WB_TRY(wb_state_capture(inst, &st, err));
    wb_status rc = wasi ? wb_wasi_state_encode(wasi, &ws, &wlen, err) : WB_OK;
    wb_snaphdr h = { .format = layer ? WB_SNAP_FORMAT_INPLACE : WB_SNAP_FORMAT,
                     .data_off = *data_off };
    wb_snapextra x = *add;
    x.wasi = ws;
    x.wasi_len = wlen;
    snprintf(h.version, sizeof h.version, "%s", WB_VERSION);
    wb_snaphdr_module_hash(wb_instance_module(inst), &h);
    /* Zero pages are skipped, not written: nothing old may show there. */
    if (rc == WB_OK && !*data_off && ftruncate(fd, 0) != 0)
        rc = io_error(err, "truncate");
    if (rc == WB_OK && layer && !*data_off)
        h.data_off = layer_room(&st, &x);
    if (rc == WB_OK)
        rc = *data_off || layer ? write_state_only(fd, &st, &x, &h, err)
                                : write_body(fd, &st, &x, &h, err);
    if (rc == WB_OK) {
        uint8_t hdr[WB_SNAP_HDR];
        wb_snaphdr_encode(&h, hdr);
        if (!wb_snap_pwrite_all(fd, hdr, sizeof hdr, 0))
            rc = io_error(err, "header");
    }
    if (rc == WB_OK)
        *data_off = h.data_off;
    free(ws);
    wb_state_free(&st);
    return rc;
}

wb_status wb_snapshot_write_state(const wb_instance *inst,
                                  const wb_wasi *wasi, int fd,
                                  uint64_t data_off, wb_error *err)
{
    const wb_snapextra none = { 0 };
    if (!data_off)
        return wb_err_set(err, WB_E_ARG, "no data region");
    return write_file(inst, wasi, fd, &data_off, &none, err);
}

wb_status wb_snapshot_write_layer(const wb_instance *inst,
                                  const wb_wasi *wasi, int fd,
                                  uint64_t *data_off, const uint8_t *layer,
                                  size_t layer_len, wb_error *err)
{
    const wb_snapextra add = { .layer = layer, .layer_len = layer_len };
    return write_file(inst, wasi, fd, data_off, &add, err);
}

wb_status wb_snapshot_write(const wb_instance *inst, const wb_wasi *wasi,
                            int fd, wb_error *err)
{
    const wb_snapextra none = { 0 };
    uint64_t data_off = 0;
    return write_file(inst, wasi, fd, &data_off, &none, err);
}

/* wb_snapshot_save with the extra sections `add` besides WASI's. */
static wb_status save_file(const wb_instance *inst, const wb_wasi *wasi,
                           const char *path, const wb_snapextra *add,
                           wb_error *err)
{
    uint64_t data_off = 0;
    if (!path)
        return wb_err_set(err, WB_E_ARG, "wb_snapshot_save: NULL path");
    size_t n = strlen(path) + 16;
    char *tmp = malloc(n);
    if (!tmp)
        return wb_err_set(err, WB_E_NOMEM, "out of memory");
    snprintf(tmp, n, "%s.tmpXXXXXX", path);
    int fd = mkostemp(tmp, O_CLOEXEC);
    wb_status rc = fd < 0 ? io_error(err, path)
                          : write_file(inst, wasi, fd, &data_off, add, err);
    if (rc == WB_OK && fsync(fd) != 0)
        rc = io_error(err, path);
    if (fd >= 0 && close(fd) != 0 && rc == WB_OK)
        rc = io_error(err, path);
    if (rc == WB_OK && rename(tmp, path) != 0)
        rc = io_error(err, path);
    if (rc != WB_OK && fd >= 0)
        unlink(tmp);
    free(tmp);
    return rc;
}

wb_status wb_snapshot_save(const wb_instance *inst, const wb_wasi *wasi,
                           const char *path, wb_error *err)
{
    const wb_snapextra none = { 0 };
    return save_file(inst, wasi, path, &none, err);
}

wb_status wb_snapshot_save_hot(const wb_instance *inst, const char *path,
                               const uint8_t *hot, size_t hot_len,
                               wb_error *err)
{
    const wb_snapextra add = { .hot = hot, .hot_len = hot_len };
    return save_file(inst, NULL, path, &add, err);
}

wb_status wb_snapshot_capture(const wb_instance *inst, const wb_wasi *wasi,
                              wb_snapshot **out, wb_error *err)
{
    if (!inst || !out)
        return wb_err_set(err, WB_E_ARG, "wb_snapshot_capture: NULL "
                          "argument");
    int fd = memfd_create("wasmbox-snapshot", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0)
        return io_error(err, "memfd_create");
    wb_status rc = wb_snapshot_write(inst, wasi, fd, err);
    /* Instances map it MAP_PRIVATE: their untouched pages read the file
     * as it is now, so it must never change (and a shrink would turn
     * their reads into SIGBUS). */
    if (rc == WB_OK && fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
                             F_SEAL_WRITE | F_SEAL_SEAL) != 0)
        rc = io_error(err, "sealing");
    if (rc == WB_OK)
        rc = wb_snapshot_open_own(fd, inst->module, false, out, err);
    close(fd);
    return rc;
}
