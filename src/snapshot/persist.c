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
 * Zero chunks of 64 KiB stay holes. */
#include "snapshot/ckpt.h"
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

/* The file of `map` (`size` bytes, header `h` with the data checksum
 * filled in) into fd. */
static bool write_copy(int fd, const uint8_t *map, uint64_t size,
                       const wb_snaphdr *h)
{
    uint8_t hdr[WB_SNAP_HDR];
    wb_snaphdr_encode(h, hdr);
    if (ftruncate(fd, (off_t)size) != 0 ||
        !wb_snap_pwrite_all(fd, hdr, sizeof hdr, 0) ||
        !wb_snap_pwrite_all(fd, map + WB_SNAP_HDR, h->data_off - WB_SNAP_HDR,
                            WB_SNAP_HDR))
        return false;
    for (uint64_t at = h->data_off; at < size; at += WB_SNAP_ALIGN) {
        size_t n = size - at < WB_SNAP_ALIGN ? (size_t)(size - at)
                                             : WB_SNAP_ALIGN;
        if (!wb_snap_all_zero(map + at, n) &&
            !wb_snap_pwrite_all(fd, map + at, n, at))
            return false;
    }
    return fdatasync(fd) == 0;
}

wb_status wb_ckpt_persist(const wb_ckpt *c, int dirfd, const char *name,
                          wb_error *err)
{
    int src = wb_ckpt_fd(c);
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
    char tmp[64];
    uint32_t r = 0;
    if (getrandom(&r, sizeof r, 0) != sizeof r)
        r = (uint32_t)getpid();
    snprintf(tmp, sizeof tmp, ".%s.%08x", name, r);
    int fd = -1;
    if (!st) {
        h.data_hash = XXH3_64bits(map + h.data_off, (size_t)h.data_len);
        fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
                    O_NOFOLLOW, 0600);
        if (fd < 0)
            st = io_fail(err, "create");
    }
    if (!st && !write_copy(fd, map, size, &h))
        st = io_fail(err, "write");
    if (fd >= 0)
        close(fd);
    if (!st && renameat(dirfd, tmp, dirfd, name) != 0)
        st = io_fail(err, "rename");
    if (st && fd >= 0)
        unlinkat(dirfd, tmp, 0);
    if (!st && fsync(dirfd) != 0)
        st = io_fail(err, "sync the directory");
    munmap((void *)map, (size_t)size);
    return st;
}
