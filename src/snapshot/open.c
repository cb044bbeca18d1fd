/* open.c: opening a snapshot file, verifying all of it once, and
 * restoring instances from it (each one a set of copy-on-write mappings
 * of the same file). */
#include "snapshot/ckpt.h"
#include "snapshot/snapshot.h"
#include "wasi/wasi.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#define CHUNK (1u << 20)

static wb_status io_error(wb_error *err, const char *what)
{
    return wb_err_set(err, errno == ENOENT ? WB_E_NOT_FOUND : WB_E_IO,
                      "cannot read snapshot: %s: %s", what, strerror(errno));
}

static bool pread_all(int fd, uint8_t *p, size_t n, uint64_t off)
{
    while (n) {
        ssize_t k = pread(fd, p, n, (off_t)off);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            if (k == 0)
                errno = EIO;
            return false;
        }
        p += k;
        n -= (size_t)k;
        off += (uint64_t)k;
    }
    return true;
}

static void hash_zeros(XXH3_state_t *hs, uint64_t n)
{
    static const uint8_t zero[CHUNK];
    for (; n; n -= n < CHUNK ? n : CHUNK)
        XXH3_64bits_update(hs, zero, n < CHUNK ? (size_t)n : CHUNK);
}

/* Hash [at, end) through a read-only mapping made present at once, not
 * by copying it out with pread: for a guest's snapshot of megabytes the
 * copy and its page faults were most of a start (the pages are the page
 * cache's either way, and restores map them anyway). false: no mapping
 * (hash_data reads instead). */
static bool hash_mapped(int fd, XXH3_state_t *hs, uint64_t at, uint64_t end)
{
    uint64_t pg = (uint64_t)sysconf(_SC_PAGESIZE), base = at - at % pg;
    size_t len = (size_t)(end - base);
    uint8_t *p = mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd,
                      (off_t)base);
    if (p == MAP_FAILED)
        return false;
    XXH3_64bits_update(hs, p + (at - base), (size_t)(end - at));
    munmap(p, len);
    return true;
}

static bool hash_data(int fd, XXH3_state_t *hs, uint8_t *buf, uint64_t at,
                      uint64_t end)
{
    if (end - at >= CHUNK && hash_mapped(fd, hs, at, end))
        return true;
    while (at < end) {
        size_t n = end - at < CHUNK ? (size_t)(end - at) : CHUNK;
        if (!pread_all(fd, buf, n, at))
            return false;
        XXH3_64bits_update(hs, buf, n);
        at += n;
    }
    return true;
}

/* XXH3 of `len` bytes at `off`. Holes are hashed as the zeros they read
 * as without reading them: reading a hole of a memfd would allocate it. */
static bool hash_range(int fd, uint64_t off, uint64_t len, uint64_t *out)
{
    XXH3_state_t *hs = XXH3_createState();
    uint8_t *buf = malloc(CHUNK);
    bool ok = hs && buf && XXH3_64bits_reset(hs) == XXH_OK;
    if (!ok)
        errno = ENOMEM;
    for (uint64_t at = off, end = off + len; ok && at < end;) {
        /* No SEEK_DATA on this file system: read everything. */
        off_t d = lseek(fd, (off_t)at, SEEK_DATA);
        uint64_t data = d >= 0 ? ((uint64_t)d < end ? (uint64_t)d : end)
                        : errno == ENXIO ? end : at;
        hash_zeros(hs, data - at);
        off_t hole = data < end ? lseek(fd, (off_t)data, SEEK_HOLE)
                                : (off_t)end;
        uint64_t stop = hole < 0 || (uint64_t)hole > end ? end : (uint64_t)hole;
        ok = hash_data(fd, hs, buf, data, stop);
        at = stop;
    }
    if (ok)
        *out = XXH3_64bits_digest(hs);
    XXH3_freeState(hs);
    free(buf);
    return ok;
}

static wb_status refuse(wb_error *err, const char *why)
{
    return wb_err_set(err, WB_E_SNAPSHOT, "snapshot refused: %s", why);
}

static wb_status read_meta(wb_snapshot *sn, const wb_snaphdr *h,
                           wb_error *err)
{
    size_t padded = (size_t)(h->data_off - WB_SNAP_HDR);
    sn->meta = malloc(padded ? padded : 1);
    if (!sn->meta)
        return wb_err_set(err, WB_E_NOMEM, "out of memory for a snapshot");
    if (!pread_all(sn->fd, sn->meta, padded, WB_SNAP_HDR))
        return io_error(err, "state");
    if (XXH3_64bits(sn->meta, padded) != h->meta_hash)
        return refuse(err, "damaged (checksum of its state section)");
    return WB_OK;
}

/* The checksum of the memory images: of the runs for a layer (packed
 * one after the other, so no byte goes unchecked), of the whole region (skipped for a file this process checked whole
 * before and that has not changed since, trust.c) for a whole file. */
static wb_status check_data(wb_snapshot *sn, const struct stat *sb,
                            wb_error *err)
{
    const wb_snaphdr *h = &sn->hdr;
    uint64_t sum = h->data_hash;
    bool layer = WB_SNAP_IS_LAYER(h->format);
    if (!layer && wb_snaptrust_known(sn->fd, h->self_hash))
        return WB_OK;
    /* a memfd's layout: its other bytes would go unchecked */
    if (h->format == WB_SNAP_FORMAT_INPLACE)
        return refuse(err, "a checkpoint's memory layout (format 3), "
                      "not a file");
    if (layer ? !wb_snaplayer_hash(sn->fd, h->data_off, &sn->layer, &sum)
              : !hash_range(sn->fd, h->data_off, h->data_len, &sum))
        return io_error(err, "memory images");
    if (sum != h->data_hash)
        return refuse(err, "damaged (checksum of its memory images)");
    if (!layer)
        wb_snaptrust_add(sb, h->self_hash);
    return WB_OK;
}

/* `data`: check the memory images' checksum too (not for a memfd this
 * process has just written: nothing else can have touched it);
 * `module`: check that the file was made from sn->module (not for a file
 * a stamp says was checked: wb_snapshot_open_trusted). */
static wb_status verify(wb_snapshot *sn, bool data, bool module,
                        wb_error *err)
{
    struct stat sb;
    uint8_t raw[WB_SNAP_HDR] = {0};
    wb_snaphdr *h = &sn->hdr;
    wb_snapextra x;
    if (fstat(sn->fd, &sb) != 0)
        return io_error(err, "stat");
    if (!S_ISREG(sb.st_mode))
        return refuse(err, "not a regular file");
    uint64_t size = (uint64_t)sb.st_size;
    size_t head = size < WB_SNAP_HDR ? (size_t)size : WB_SNAP_HDR;
    if (!pread_all(sn->fd, raw, head, 0))
        return io_error(err, "header");
    WB_TRY(wb_snaphdr_decode(raw, size, module ? sn->module : NULL, h,
                             err));
    /* trusted: the module is the one the header names (a stamp says so),
     * so its hash is known without reading 8 MiB again (the native code
     * cache's key) */
    if (!module && h->module_len == sn->module->len)
        wb_module_hash_known(sn->module, h->module_hash);
    WB_TRY(read_meta(sn, h, err));
    WB_TRY(wb_snapmeta_decode(sn->meta, (size_t)h->meta_len, h->data_len,
                              &sn->state, &x, err));
    sn->wasi = x.wasi;
    sn->wasi_len = x.wasi_len;
    if (WB_SNAP_IS_LAYER(h->format))
        WB_TRY(wb_snaplayer_decode(x.layer, x.layer_len, h->data_len,
                                   h->format == WB_SNAP_FORMAT_LAYER,
                                   h->data_stored, &sn->layer, err));
    WB_TRY(wb_snaphot_decode(x.hot, x.hot_len, &sn->state, sn, err));
    if (data)
        WB_TRY(check_data(sn, &sb, err));
    for (uint32_t i = 0; i < sn->state.nmems; i++) {
        sn->state.mems[i].fd = sn->fd;
        sn->state.mems[i].offset += h->data_off;
    }
    return wb_state_check(sn->module, &sn->state, err);
}

static wb_status open_one(int fd, wb_module *m, bool data, bool module,
                          wb_snapshot **out, wb_error *err)
{
    if (fd < 0 || !m || !out)
        return wb_err_set(err, WB_E_ARG, "wb_snapshot_open: bad argument");
    wb_snapshot *sn = calloc(1, sizeof *sn);
    if (!sn)
        return wb_err_set(err, WB_E_NOMEM, "out of memory for a snapshot");
    sn->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    sn->module = m;
    wb_module_retain(m);
    wb_status rc = sn->fd < 0 ? io_error(err, "dup")
                              : verify(sn, data, module, err);
    if (rc != WB_OK) {
        wb_snapshot_free(sn);
        return rc;
    }
    *out = sn;
    return WB_OK;
}

/* A prefix for what is wrong with a layer's base. */
static wb_status base_failed(wb_error *err)
{
    char msg[sizeof err->message];
    const char *p = err->message;
    if (!strncmp(p, "snapshot refused: ", 18))
        p += 18;
    snprintf(msg, sizeof msg, "%s", p);
    return wb_err_set(err, WB_E_SNAPSHOT, "snapshot refused: its base: %s",
                      msg);
}

/* A file, and for a layer its base from base_fd (`data`: the memory
 * images' checksums of both; the base's skipped when trusted). */
static wb_status open_fd(int fd, int base_fd, wb_module *m, bool data,
                         bool module, wb_snapshot **out, wb_error *err)
{
    wb_snapshot *sn = NULL, *base = NULL;
    WB_TRY(open_one(fd, m, data, module, &sn, err));
    wb_status rc = WB_OK;
    if (WB_SNAP_IS_LAYER(sn->hdr.format) && base_fd < 0)
        rc = refuse(err, "a layer over another file (its base), which "
                    "is missing");
    else if (WB_SNAP_IS_LAYER(sn->hdr.format) &&
             (rc = open_one(base_fd, m, data, module, &base, err)))
        rc = base_failed(err);
    if (!rc && base && (rc = wb_snaplayer_attach(sn, base, err)))
        wb_snapshot_free(base);
    if (rc) {
        wb_snapshot_free(sn);
        return rc;
    }
    *out = sn;
    return WB_OK;
}

wb_status wb_snapshot_open_fd(int fd, wb_module *m, wb_snapshot **out,
                              wb_error *err)
{
    return open_fd(fd, -1, m, true, true, out, err);
}

wb_status wb_snapshot_open_layered(int fd, int base_fd, wb_module *m,
                                   bool check_data, wb_snapshot **out,
                                   wb_error *err)
{
    return open_fd(fd, base_fd, m, check_data, true, out, err);
}

wb_status wb_snapshot_open_at(int dirfd, const char *name,
                              const char *base_name, wb_module *m,
                              wb_snapshot **out, wb_error *err)
{
    /* O_NONBLOCK: a FIFO in either's place is refused (verify: not a
     * regular file) instead of holding the open, and the session's step
     * before its watchdog runs, until something writes to it */
    int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW |
                    O_NONBLOCK);
    if (fd < 0)
        return io_error(err, name);
    int bfd = openat(dirfd, base_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW |
                     O_NONBLOCK);
    wb_status rc = wb_snapshot_open_layered(fd, bfd, m, true, out, err);
    close(fd);
    if (bfd >= 0)
        close(bfd);
    return rc;
}

wb_status wb_snapshot_open_own(int fd, wb_module *m, bool check_data,
                               wb_snapshot **out, wb_error *err)
{
    return open_fd(fd, -1, m, check_data, true, out, err);
}

wb_status wb_snapshot_open_trusted(int fd, wb_module *m, wb_snapshot **out,
                                   wb_error *err)
{
    return open_fd(fd, -1, m, false, false, out, err);
}

wb_status wb_snapshot_open(const char *path, wb_module *m, wb_snapshot **out,
                           wb_error *err)
{
    if (!path)
        return wb_err_set(err, WB_E_ARG, "wb_snapshot_open: NULL path");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return io_error(err, path);
    wb_status rc = wb_snapshot_open_fd(fd, m, out, err);
    close(fd);
    return rc;
}

wb_status wb_snapshot_instantiate(wb_store *s, const wb_snapshot *snap,
                                  const wb_linker *l, wb_instance **out,
                                  wb_error *err)
{
    if (!snap)
        return wb_err_set(err, WB_E_ARG, "wb_snapshot_instantiate: NULL "
                          "snapshot");
    return wb_state_instantiate(s, snap->module, l, &snap->state, out, err);
}

wb_status wb_snapshot_restore_wasi(const wb_snapshot *snap, wb_wasi *w,
                                   wb_error *err)
{
    if (!snap || !w)
        return wb_err_set(err, WB_E_ARG, "wb_snapshot_restore_wasi: NULL "
                          "argument");
    if (!snap->wasi)
        return refuse(err, "it holds no WASI state");
    return wb_wasi_state_apply(w, snap->wasi, snap->wasi_len, err);
}

wb_module *wb_snapshot_module(const wb_snapshot *snap)
{
    return snap ? snap->module : NULL;
}

void wb_snapshot_free(wb_snapshot *snap)
{
    if (!snap)
        return;
    if (snap->fd >= 0)
        close(snap->fd);
    wb_state_free(&snap->state);
    wb_snaplayer_free(&snap->layer);
    free(snap->hot);
    wb_snapshot_free(snap->base);
    wb_module_release(snap->module);
    free(snap->meta);
    free(snap);
}
