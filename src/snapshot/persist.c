/* persist.c: a checkpoint's copy on disk (wb_ckpt_persist, ckpt.h).
 *
 * The checkpoint's memfd already holds a snapshot file but for the data
 * region's checksum (0: updated in place, ckpt.c). The copy is that file
 * with the checksum computed, so wb_snapshot_open checks every byte of
 * it like any snapshot: a damaged or truncated copy, or one of another
 * module or wasmbox version, is refused with one line. It is written to
 * a temporary file beside its name, synced, and renamed over the old
 * copy (then the directory is synced): a kill -9 or a crash at any
 * moment leaves the old copy or the new one, never a mix, and instances
 * that map the old one keep reading its bytes (its inode lives on).
 * Zero chunks of 64 KiB stay holes. The file is known to this process
 * as checked (trust.c): it wrote every byte.
 *
 * A layer's copy (ckpt.c, layer.c) is a layer too: its header, state
 * section and the runs of pages it holds packed one after the other
 * (format 2), nothing else, so a fork's step writes and syncs what it
 * changed, not the memory it shares, and replacing the copy frees one
 * small file (a sparse one of the memory's size took up to 400 ms to
 * free on ext4 with `discard`: a trim per scattered extent). Its
 * base must stay on disk under `base_name`: the file the kernel was
 * restored from, which is linked there (or copied, where it cannot be
 * linked) before the first copy that needs it, the directory synced
 * before the copy is renamed into place. A whole copy removes the base
 * after its rename; a crash between the two leaves a base no copy
 * needs, which costs only disk until the next whole copy.
 *
 * wb_ckpt_commit links the copy to its name instead of renaming it
 * there: the name must be new, and of two processes that write it only
 * the first succeeds (a shared session's generations, docs/scale-out.md
 * "Fencing"). */
#include "snapshot/ckpt.h"
#include "common/file.h"
#include "snapshot/snapshot.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

static wb_status io_fail(wb_error *err, const char *what)
{
    return wb_err_set(err, WB_E_IO, "cannot write a checkpoint to disk: "
                      "%s: %s", what, strerror(errno));
}

/* Non-zero 64 KiB chunks of [at, end) of `map` to fd. */
static bool write_chunks(int fd, const uint8_t *map, uint64_t at,
                         uint64_t end)
{
    for (; at < end; at += WB_SNAP_ALIGN) {
        size_t n = end - at < WB_SNAP_ALIGN ? (size_t)(end - at)
                                            : WB_SNAP_ALIGN;
        if (!wb_snap_all_zero(map + at, n) &&
            !wb_snap_pwrite_all(fd, map + at, n, at))
            return false;
    }
    return true;
}

/* The file of `map` (`size` bytes, header `h` with the data checksum
 * filled in) into fd: all of its data region, or a layer's runs packed
 * one after the other (format 2: the file is as large as they are, one
 * extent to free when it is replaced; in the memfd they are at their
 * memory offsets, and the rest is holes, which a read would fill). */
static bool write_copy(int fd, const uint8_t *map, uint64_t size,
                       const wb_snaphdr *h, const wb_snaplayer *l)
{
    uint8_t hdr[WB_SNAP_HDR];
    wb_snaphdr_encode(h, hdr);
    uint64_t file = l ? h->data_off + h->data_stored : size;
    if (ftruncate(fd, (off_t)file) != 0 ||
        !wb_snap_pwrite_all(fd, hdr, sizeof hdr, 0) ||
        !wb_snap_pwrite_all(fd, map + WB_SNAP_HDR, h->data_off - WB_SNAP_HDR,
                            WB_SNAP_HDR))
        return false;
    bool ok = true;
    uint64_t at = h->data_off;
    for (uint32_t i = 0; l && ok && i < l->nruns; i++) {
        ok = wb_snap_pwrite_all(fd, map + h->data_off + l->runs[i].at,
                                (size_t)l->runs[i].len, at);
        at += l->runs[i].len;
    }
    if (!l)
        ok = write_chunks(fd, map, h->data_off, size);
    return ok && fdatasync(fd) == 0;
}

/* A temporary name beside `name`. */
static void temp_name(char *out, size_t cap, const char *name)
{
    uint32_t r = 0;
    if (getrandom(&r, sizeof r, 0) != sizeof r)
        r = (uint32_t)getpid();
    snprintf(out, cap, ".%s.%08x", name, r);
}

/* All of `in` into the new file `out` (where it cannot be linked). */
static bool copy_all(int in, int out)
{
    struct stat sb;
    if (fstat(in, &sb) != 0)
        return false;
    off_t off = 0;
    while (off < sb.st_size) {
        ssize_t n = copy_file_range(in, &off, out, NULL,
                                    (size_t)(sb.st_size - off), 0);
        if (n <= 0) {
            uint8_t buf[65536];
            ssize_t k = pread(in, buf, sizeof buf, off);
            if (k <= 0 || !wb_snap_pwrite_all(out, buf, (size_t)k,
                                              (uint64_t)off))
                return false;
            off += k;
        }
    }
    return fsync(out) == 0;
}

/* base_name in dirfd: the inode of base_fd, linked (or copied) there
 * under a temporary name and renamed into place, the directory synced.
 * Nothing when it already is. */
static bool place_base(int base_fd, int dirfd, const char *base_name)
{
    struct stat a, b;
    if (fstat(base_fd, &a) != 0)
        return false;
    if (fstatat(dirfd, base_name, &b, AT_SYMLINK_NOFOLLOW) == 0 &&
        a.st_dev == b.st_dev && a.st_ino == b.st_ino)
        return true;
    char tmp[300], self[64];
    temp_name(tmp, sizeof tmp, base_name);
    snprintf(self, sizeof self, "/proc/self/fd/%d", base_fd);
    bool ok = linkat(AT_FDCWD, self, dirfd, tmp, AT_SYMLINK_FOLLOW) == 0;
    if (!ok) {
        int out = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL |
                         O_CLOEXEC | O_NOFOLLOW, 0600);
        ok = out >= 0 && copy_all(base_fd, out);
        if (out >= 0)
            close(out);
    }
    if (ok)
        ok = renameat(dirfd, tmp, dirfd, base_name) == 0;
    if (!ok)
        unlinkat(dirfd, tmp, 0);
    return ok && fsync(dirfd) == 0;
}

/* The data checksum of the copy, into h (a layer's: format 2, its runs
 * packed). */
static bool data_hash(int src, const uint8_t *map, wb_snaphdr *h,
                      const wb_snaplayer *l)
{
    if (l) {
        h->format = WB_SNAP_FORMAT_LAYER;
        h->data_stored = 0;
        for (uint32_t i = 0; i < l->nruns; i++)
            h->data_stored += l->runs[i].len;
        return wb_snaplayer_hash(src, h->data_off, l, &h->data_hash);
    }
    h->data_hash = XXH3_64bits(map + h->data_off, (size_t)h->data_len);
    return true;
}

/* The copy under a temporary name, renamed over `name` (or, `excl`,
 * linked to it: WB_E_BUSY when it exists). */
static wb_status write_named(int src, const uint8_t *map, uint64_t size,
                             wb_snaphdr *h, const wb_snaplayer *l, int dirfd,
                             const char *name, bool excl, wb_error *err)
{
    char tmp[300];
    temp_name(tmp, sizeof tmp, name);
    if (!data_hash(src, map, h, l))
        return io_fail(err, "read");
    int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
                    O_NOFOLLOW, 0600);
    if (fd < 0)
        return io_fail(err, "create");
    wb_status st = write_copy(fd, map, size, h, l) ? WB_OK
                                                   : io_fail(err, "write");
    struct stat sb;
    if (!st && !l && fstat(fd, &sb) == 0) {
        uint8_t hdr[WB_SNAP_HDR];
        wb_snaphdr_encode(h, hdr);
        wb_snaptrust_add(&sb, wb_snap_get64(hdr + WB_SNAP_HDR - 8));
    }
    close(fd);
    if (!st && excl && wb_file_link_new(dirfd, tmp, name) != 0)
        st = errno == EEXIST ? wb_err_set(err, WB_E_BUSY, "%s exists", name)
                             : io_fail(err, "link");
    else if (!st && !excl && renameat(dirfd, tmp, dirfd, name) != 0)
        st = io_fail(err, "rename");
    if (st || excl)
        unlinkat(dirfd, tmp, 0);
    return st;
}

static wb_status persist(const wb_ckpt *c, int dirfd, const char *name,
                         const char *base_name, bool excl, wb_error *err)
{
    int src = wb_ckpt_fd(c);
    const wb_snaplayer *l = wb_ckpt_layer(c);
    struct stat sb;
    if (fstat(src, &sb) != 0)
        return io_fail(err, "stat");
    uint64_t size = (uint64_t)sb.st_size;
    const uint8_t *map = size ? mmap(NULL, (size_t)size, PROT_READ,
                                     MAP_SHARED, src, 0) : MAP_FAILED;
    if (map == MAP_FAILED)
        return io_fail(err, "map");
    wb_snaphdr h;
    wb_status st = wb_snaphdr_decode(map, size, wb_ckpt_module(c), &h, err);
    if (!st && l && !place_base(wb_ckpt_base_fd(c), dirfd, base_name))
        st = io_fail(err, "its base");
    if (!st)
        st = write_named(src, map, size, &h, l, dirfd, name, excl, err);
    if (!st && !l)
        unlinkat(dirfd, base_name, 0);
    if (!st && fsync(dirfd) != 0)
        st = io_fail(err, "sync the directory");
    munmap((void *)map, (size_t)size);
    return st;
}

wb_status wb_ckpt_persist(const wb_ckpt *c, int dirfd, const char *name,
                          const char *base_name, wb_error *err)
{
    return persist(c, dirfd, name, base_name, false, err);
}

wb_status wb_ckpt_commit(const wb_ckpt *c, int dirfd, const char *name,
                         const char *base_name, wb_error *err)
{
    return persist(c, dirfd, name, base_name, true, err);
}
