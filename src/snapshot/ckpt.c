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
 * it (whose pages read those bytes until it writes them). */
#include "snapshot/ckpt.h"
#include "snapshot/dirty.h"
#include "snapshot/pagehash.h"
#include "snapshot/snapshot.h"
#include <errno.h>
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
};

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
    rehash(c, inst);
    return WB_OK;
}

wb_status wb_ckpt_new(const wb_instance *inst, const wb_wasi *wasi,
                      wb_ckpt **out, wb_error *err)
{
    wb_ckpt *c = calloc(1, sizeof *c);
    if (!c)
        return wb_err_set(err, WB_E_NOMEM, "out of memory");
    c->fd = -1;
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

typedef struct copy_job {
    int fd;
    const uint8_t *base;
    uint64_t at;
} copy_job;

/* One written run: from the live memory to the data region. */
static int copy_run(void *user, size_t off, size_t len)
{
    copy_job *j = user;
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

wb_status wb_ckpt_update(wb_ckpt *c, const wb_instance *inst,
                         const wb_wasi *wasi, wb_error *err)
{
    if ((!c->dirty && !c->by_hash) || c->base != inst->mems[0]->base)
        return capture_all(c, inst, wasi, err);
    copy_job j = { c->fd, c->base, c->data_off };
    size_t size = (size_t)inst->mems[0]->size;
    WB_TRY(c->dirty ? wb_dirty_scan(c->dirty, size, copy_run, &j, err)
                    : wb_pagehash_scan(c->hashes, c->base, size, copy_run,
                                       &j, err));
    wb_status rc = wb_snapshot_write_state(inst, wasi, c->fd, c->data_off,
                                           err);
    if (rc == WB_E_LIMIT)
        rc = capture_all(c, inst, wasi, err);
    return rc;
}

wb_status wb_ckpt_open(const wb_ckpt *c, wb_snapshot **out, wb_error *err)
{
    return wb_snapshot_open_own(c->fd, c->module, false, out, err);
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
    if (c->fd >= 0)
        close(c->fd);
    if (c->module)
        wb_module_release(c->module);
    free(c);
}
