/* ckpt.c: incremental checkpoints in memory.
 *
 * A checkpoint is a snapshot file in a memfd of its own, not sealed: it
 * is updated in place. After a full capture, the instance's one memory
 * is tracked (dirty.c), and an update writes only the pages written
 * since, then the header and state section (the data region stays where
 * it is). An instance restored from the memfd maps it MAP_PRIVATE;
 * rewriting a page of it there is safe only because the page is
 * rewritten when, and only when, that same instance wrote it, so it
 * reads its own copy, never the file's. A full capture therefore always
 * goes to a new memfd (the old one may be mapped). The data region's
 * checksum is left 0: the file is opened without checking it
 * (wb_snapshot_open_own), as wb_snapshot_capture's own memfd is.
 *
 * Where the kernel cannot track writes (wb_dirty_new refuses: an older
 * kernel, or a worker's lock-down), the pages are found by comparing
 * page hashes with those of the checkpoint (pagehash.c): the same copies,
 * for a read of the whole memory per update. The hashes describe the
 * checkpoint's bytes, so they stay valid for an instance restored from
 * it (whose pages read those bytes until it writes them).
 *
 * A checkpoint of an instance restored from a snapshot file on disk
 * (wb_ckpt_new_over: a fork's kernel, a session reopened after a
 * restart) is a layer over that file instead (layer.c): its memfd holds
 * only the pages written since the restore (and, over a layer, that
 * layer's own pages), the rest being the file's, which every fork of the
 * same parent shares through the page cache. Pages written are the
 * tracker's or the page hashes' as above; one bit per page says which
 * the memfd holds. Too many runs of them (WB_SNAPLAYER_MAX_RUNS) and the
 * next update captures all into a whole file again. */
#include "snapshot/ckpt.h"
#include "snapshot/dirty.h"
#include "snapshot/pagehash.h"
#include "snapshot/snapshot.h"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct wb_ckpt {
    int fd;
    wb_module *module;               /* one reference */
    uint64_t data_off;
    wb_dirty *dirty;                 /* the kernel tracks writes */
    wb_pagehash *hashes;             /* of the checkpoint's memory, or NULL */
    bool by_hash;                    /* else: compare with hashes */
    const uint8_t *base;             /* of the tracked memory */
    /* a layer over the file base_fd (-1: a whole file) */
    int base_fd;
    wb_snaplayer layer;              /* runs: of `own`, at the last write */
    uint8_t *own;                    /* a bit per page the memfd holds */
    size_t own_pages;                /* bits of room in own */
};

#define PG WB_PAGEHASH_PAGE

static wb_status io_error(wb_error *err, const char *what)
{
    return wb_err_set(err, WB_E_IO, "cannot write a checkpoint: %s: %s",
                      what, strerror(errno));
}

void wb_ckpt_unbind(wb_ckpt *c)
{
    if (!c)
        return;
    wb_dirty_free(c->dirty);
    c->dirty = NULL;
    c->by_hash = false;              /* the hashes still describe c */
}

static void drop_hashes(wb_ckpt *c)
{
    wb_pagehash_free(c->hashes);
    c->hashes = NULL;
    c->by_hash = false;
}

void wb_ckpt_bind(wb_ckpt *c, const wb_instance *inst)
{
    wb_ckpt_unbind(c);
    const wb_module *m = inst->module;
    if (m->nmems != 1 || m->nmem_imports) {
        drop_hashes(c);
        return;
    }
    const wb_memory *mem = inst->mems[0];
    wb_error e = {0};
    c->base = mem->base;
    if (wb_dirty_new(mem->base, (size_t)mem->reserved, (size_t)mem->size,
                     &c->dirty, &e) == WB_OK)
        drop_hashes(c);                /* not needed, and not kept up */
    else
        c->by_hash = c->hashes != NULL;
}

/* After a full capture without the kernel's tracker: the hashes of what
 * was written (no call of the store is in progress: the memory is as it
 * was written). Without them the next update captures all again. */
static void rehash(wb_ckpt *c, const wb_instance *inst)
{
    drop_hashes(c);
    if (c->dirty || inst->module->nmems != 1 || inst->module->nmem_imports)
        return;
    const wb_memory *mem = inst->mems[0];
    wb_error e = {0};
    c->by_hash = wb_pagehash_new(mem->base, (size_t)mem->size, &c->hashes,
                                 &e) == WB_OK;
}

static void drop_layer(wb_ckpt *c)
{
    if (c->base_fd >= 0)
        close(c->base_fd);
    c->base_fd = -1;
    wb_snaplayer_free(&c->layer);
    free(c->own);
    c->own = NULL;
    c->own_pages = 0;
}

/* All of inst into a new memfd, tracked from before it is read. */
static wb_status capture_all(wb_ckpt *c, const wb_instance *inst,
                             const wb_wasi *wasi, wb_error *err)
{
    int fd = memfd_create("wasmbox-checkpoint", MFD_CLOEXEC);
    if (fd < 0)
        return io_error(err, "memfd_create");
    wb_ckpt_bind(c, inst);
    wb_status rc = wb_snapshot_write(inst, wasi, fd, err);
    uint8_t raw[WB_SNAP_HDR];
    wb_snaphdr h;
    if (rc == WB_OK && pread(fd, raw, sizeof raw, 0) != (ssize_t)sizeof raw)
        rc = io_error(err, "header");
    struct stat sb;
    if (rc == WB_OK && fstat(fd, &sb) != 0)
        rc = io_error(err, "stat");
    if (rc == WB_OK)
        rc = wb_snaphdr_decode(raw, (uint64_t)sb.st_size, c->module, &h,
                               err);
    if (rc != WB_OK) {
        close(fd);
        wb_ckpt_unbind(c);
        return rc;
    }
    if (c->fd >= 0)
        close(c->fd);
    c->fd = fd;
    c->data_off = h.data_off;
    drop_layer(c);
    rehash(c, inst);
    return WB_OK;
}

/* ---- layers --------------------------------------------------------------- */

/* Room for the bits of `pages` pages. */
static bool own_room(wb_ckpt *c, size_t pages)
{
    if (pages <= c->own_pages)
        return true;
    size_t have = (c->own_pages + 7) / 8, want = (pages + 7) / 8;
    uint8_t *p = realloc(c->own, want ? want : 1);
    if (!p)
        return false;
    memset(p + have, 0, want - have);
    c->own = p;
    c->own_pages = want * 8;
    return true;
}

static bool own_bit(const wb_ckpt *c, size_t pg)
{
    return pg < c->own_pages && (c->own[pg / 8] >> (pg % 8) & 1);
}

static void own_set(wb_ckpt *c, size_t off, size_t len)
{
    for (size_t pg = off / PG; pg < (off + len + PG - 1) / PG; pg++)
        c->own[pg / 8] |= (uint8_t)(1u << (pg % 8));
}

/* c->layer.runs from the bits, for a memory of `size` bytes. false: too
 * many runs (or out of memory): a whole capture instead. */
static bool own_runs(wb_ckpt *c, size_t size)
{
    uint32_t n = 0;
    wb_mem_run *runs = malloc(WB_SNAPLAYER_MAX_RUNS * sizeof *runs);
    if (!runs)
        return false;
    for (size_t pg = 0; pg < size / PG;) {
        if (!own_bit(c, pg)) {
            pg++;
            continue;
        }
        size_t end = pg;
        while (end < size / PG && own_bit(c, end))
            end++;
        if (n == WB_SNAPLAYER_MAX_RUNS) {
            free(runs);
            return false;
        }
        uint64_t off = (uint64_t)pg * PG;
        runs[n++] = (wb_mem_run){ off, (uint64_t)(end - pg) * PG, off };
        pg = end;
    }
    free(c->layer.runs);
    c->layer.runs = runs;
    c->layer.nruns = n;
    return true;
}

/* The header and state section with the layer record of c's runs. */
static wb_status write_layer_state(wb_ckpt *c, const wb_instance *inst,
                                   const wb_wasi *wasi, wb_error *err)
{
    uint8_t *rec = NULL;
    size_t len = 0;
    if (!wb_snaplayer_encode(&c->layer, &rec, &len))
        return wb_err_set(err, WB_E_NOMEM, "out of memory for a checkpoint");
    wb_status rc = wb_snapshot_write_layer(inst, wasi, c->fd, &c->data_off,
                                           rec, len, err);
    free(rec);
    return rc;
}

typedef struct copy_job {
    wb_ckpt *c;
    int fd;
    const uint8_t *base;
    uint64_t at;
} copy_job;

/* One written run: from the live memory to the data region (and, in a
 * layer, marked as the memfd's). */
static int copy_run(void *user, size_t off, size_t len)
{
    copy_job *j = user;
    if (j->c && j->c->own)
        own_set(j->c, off, len);
    while (len) {
        ssize_t n = pwrite(j->fd, j->base + off, len, (off_t)(j->at + off));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        off += (size_t)n;
        len -= (size_t)n;
    }
    return 0;
}

/* The layer's first write: its state, then the runs it starts with
 * (those of the layer restored from, and the memory past its base). */
static wb_status start_layer(wb_ckpt *c, const wb_instance *inst,
                             const wb_wasi *wasi, wb_error *err)
{
    const wb_memory *mem = inst->mems[0];
    size_t size = (size_t)mem->size;
    if (!own_room(c, size / PG))
        return wb_err_set(err, WB_E_NOMEM, "out of memory for a checkpoint");
    if (c->layer.base_mem < size)
        own_set(c, (size_t)c->layer.base_mem, size - (size_t)c->layer.base_mem);
    for (uint32_t i = 0; i < c->layer.nruns; i++)
        own_set(c, (size_t)c->layer.runs[i].off, (size_t)c->layer.runs[i].len);
    if (!own_runs(c, size))
        return wb_err_set(err, WB_E_LIMIT, "too many runs for a layer");
    WB_TRY(write_layer_state(c, inst, wasi, err));
    copy_job j = { NULL, c->fd, mem->base, c->data_off };
    for (uint32_t i = 0; i < c->layer.nruns; i++)
        if (copy_run(&j, (size_t)c->layer.runs[i].off,
                     (size_t)c->layer.runs[i].len))
            return io_error(err, "memory");
    return WB_OK;
}

wb_status wb_ckpt_new_over(const wb_instance *inst, const wb_wasi *wasi,
                           const wb_snapshot *from, wb_ckpt **out,
                           wb_error *err)
{
    const wb_snapshot *base = from->base ? from->base : from;
    if (inst->module->nmems != 1 || inst->module->nmem_imports ||
        base->hdr.format != WB_SNAP_FORMAT || base->state.nmems != 1 ||
        sysconf(_SC_PAGESIZE) > (long)PG)
        return wb_ckpt_new(inst, wasi, out, err);
    wb_ckpt *c = calloc(1, sizeof *c);
    if (!c)
        return wb_err_set(err, WB_E_NOMEM, "out of memory");
    c->module = inst->module;
    wb_module_retain(c->module);
    c->fd = memfd_create("wasmbox-checkpoint", MFD_CLOEXEC);
    c->base_fd = fcntl(base->fd, F_DUPFD_CLOEXEC, 0);
    c->layer.base_id = base->hdr.self_hash;
    c->layer.base_size = base->hdr.data_off + base->hdr.data_len;
    c->layer.base_mem = (uint64_t)base->state.mems[0].pages * WB_PAGE_SIZE;
    const wb_snaplayer *from_l = from->base ? &from->layer : NULL;
    wb_status rc = c->fd < 0 || c->base_fd < 0 ? io_error(err, "memfd")
                 : WB_OK;
    if (!rc && from_l && from_l->nruns) {
        c->layer.runs = malloc(from_l->nruns * sizeof *c->layer.runs);
        if (!c->layer.runs)
            rc = wb_err_set(err, WB_E_NOMEM, "out of memory");
        else
            memcpy(c->layer.runs, from_l->runs,
                   from_l->nruns * sizeof *c->layer.runs);
        c->layer.nruns = from_l->nruns;
    }
    if (!rc) {
        wb_ckpt_bind(c, inst);        /* tracked from before it is read */
        rc = start_layer(c, inst, wasi, err);
    }
    if (!rc)
        rehash(c, inst);
    if (rc == WB_E_LIMIT) {            /* too many runs: a whole one */
        wb_ckpt_free(c);
        return wb_ckpt_new(inst, wasi, out, err);
    }
    if (rc) {
        wb_ckpt_free(c);
        return rc;
    }
    *out = c;
    return WB_OK;
}

/* An update of a layer: the written pages (copied by the scan) become
 * the memfd's; then the state with the new list of runs. */
static wb_status update_layer(wb_ckpt *c, const wb_instance *inst,
                              const wb_wasi *wasi, wb_error *err)
{
    size_t size = (size_t)inst->mems[0]->size;
    if (!own_runs(c, size))
        return capture_all(c, inst, wasi, err);
    wb_status rc = write_layer_state(c, inst, wasi, err);
    if (rc == WB_E_LIMIT)
        rc = capture_all(c, inst, wasi, err);
    return rc;
}

wb_status wb_ckpt_new(const wb_instance *inst, const wb_wasi *wasi,
                      wb_ckpt **out, wb_error *err)
{
    wb_ckpt *c = calloc(1, sizeof *c);
    if (!c)
        return wb_err_set(err, WB_E_NOMEM, "out of memory");
    c->fd = -1;
    c->base_fd = -1;
    c->module = inst->module;
    wb_module_retain(c->module);
    wb_status rc = capture_all(c, inst, wasi, err);
    if (rc != WB_OK) {
        wb_ckpt_free(c);
        return rc;
    }
    *out = c;
    return WB_OK;
}

wb_status wb_ckpt_update(wb_ckpt *c, const wb_instance *inst,
                         const wb_wasi *wasi, wb_error *err)
{
    if ((!c->dirty && !c->by_hash) || c->base != inst->mems[0]->base)
        return capture_all(c, inst, wasi, err);
    copy_job j = { c, c->fd, c->base, c->data_off };
    size_t size = (size_t)inst->mems[0]->size;
    if (c->own && !own_room(c, size / PG))
        return wb_err_set(err, WB_E_NOMEM, "out of memory for a checkpoint");
    WB_TRY(c->dirty ? wb_dirty_scan(c->dirty, size, copy_run, &j, err)
                    : wb_pagehash_scan(c->hashes, c->base, size, copy_run,
                                       &j, err));
    if (c->own)
        return update_layer(c, inst, wasi, err);
    wb_status rc = wb_snapshot_write_state(inst, wasi, c->fd, c->data_off,
                                           err);
    if (rc == WB_E_LIMIT)
        rc = capture_all(c, inst, wasi, err);
    return rc;
}

wb_status wb_ckpt_open(const wb_ckpt *c, wb_snapshot **out, wb_error *err)
{
    return wb_snapshot_open_layered(c->fd, c->base_fd, c->module, false,
                                    out, err);
}

const wb_snaplayer *wb_ckpt_layer(const wb_ckpt *c)
{
    return c->own ? &c->layer : NULL;
}

int wb_ckpt_base_fd(const wb_ckpt *c)
{
    return c->base_fd;
}

bool wb_ckpt_tracked(const wb_ckpt *c)
{
    return c->dirty != NULL || c->by_hash;
}

int wb_ckpt_fd(const wb_ckpt *c)
{
    return c->fd;
}

wb_module *wb_ckpt_module(const wb_ckpt *c)
{
    return c->module;
}

bool wb_ckpt_hashed(const wb_ckpt *c)
{
    return c->by_hash;
}

void wb_ckpt_free(wb_ckpt *c)
{
    if (!c)
        return;
    wb_ckpt_unbind(c);
    drop_hashes(c);
    drop_layer(c);
    if (c->fd >= 0)
        close(c->fd);
    if (c->module)
        wb_module_release(c->module);
    free(c);
}
