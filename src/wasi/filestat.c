/* filestat.c: metadata calls on fds (fdstat, filestat, prestat) plus the
 * small per-fd operations: advise, allocate, datasync, sync. */
#include "wasi/wasi.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

uint8_t wb_filetype_mode(mode_t m)
{
    if (S_ISREG(m)) return WF_REG;
    if (S_ISDIR(m)) return WF_DIR;
    if (S_ISLNK(m)) return WF_SYMLINK;
    if (S_ISCHR(m)) return WF_CHAR;
    if (S_ISBLK(m)) return WF_BLOCK;
    if (S_ISSOCK(m)) return WF_SOCK_STREAM;
    return WF_UNKNOWN;                      /* FIFOs have no WASI type */
}

static uint64_t ns_of(struct timespec t)
{
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

void wb_fstat_host(const struct stat *st, wb_fstat *o)
{
    o->dev = st->st_dev;
    o->ino = st->st_ino;
    o->type = wb_filetype_mode(st->st_mode);
    o->nlink = st->st_nlink;
    o->size = (uint64_t)st->st_size;
    o->atim = ns_of(st->st_atim);
    o->mtim = ns_of(st->st_mtim);
    o->ctim = ns_of(st->st_ctim);
}

void wb_fstat_put(uint8_t *p, const wb_fstat *st)
{
    memset(p, 0, 64);
    wb_st64(p, st->dev);
    wb_st64(p + 8, st->ino);
    p[16] = st->type;
    wb_st64(p + 24, st->nlink);
    wb_st64(p + 32, st->size);
    wb_st64(p + 40, st->atim);
    wb_st64(p + 48, st->mtim);
    wb_st64(p + 56, st->ctim);
}

int wb_times(uint64_t atim, uint64_t mtim, uint16_t fst,
             struct timespec ts[2])
{
    if ((fst & WT_ATIM && fst & WT_ATIM_NOW) ||
        (fst & WT_MTIM && fst & WT_MTIM_NOW) || fst > 15)
        return WE_INVAL;
    uint64_t v[2] = { atim, mtim };
    for (int i = 0; i < 2; i++) {
        uint16_t set = i ? WT_MTIM : WT_ATIM, now = i ? WT_MTIM_NOW : WT_ATIM_NOW;
        ts[i].tv_sec = 0;
        ts[i].tv_nsec = fst & now ? UTIME_NOW : fst & set ? 0 : UTIME_OMIT;
        if (fst & set) {
            ts[i].tv_sec = (time_t)(v[i] / 1000000000u);
            ts[i].tv_nsec = (long)(v[i] % 1000000000u);
        }
    }
    return WE_SUCCESS;
}

WB_WASI_FN(fd_fdstat_get)
{
    wb_fdent *e = wb_fd_get(WASI, A32(0));
    if (!e)
        return wb_ret(r, WE_BADF);
    uint8_t *p = wb_gptr(c, A32(1), 24);
    if (!p)
        return wb_ret(r, WE_FAULT);
    memset(p, 0, 24);
    p[0] = e->kind == WB_FD_TMPFS
         ? (wb_tnode_is_dir(e->node) ? WF_DIR : WF_REG) : e->type;
    wb_st16(p + 2, e->flags);
    wb_st64(p + 8, e->rights);
    wb_st64(p + 16, e->inherit);
    return wb_ret(r, WE_SUCCESS);
}

/* Only APPEND and NONBLOCK can change after open, as on Linux. stdio
 * flags live in the table only: the host's fds are never altered. */
WB_WASI_FN(fd_fdstat_set_flags)
{
    wb_fdent *e;
    uint16_t fl = (uint16_t)A32(1);
    int rc = wb_fd_need(WASI, A32(0), WR_FD_FDSTAT_SET_FLAGS, &e);
    if (rc)
        return wb_ret(r, rc);
    if (fl & ~(WFD_APPEND | WFD_NONBLOCK | WFD_DSYNC | WFD_RSYNC | WFD_SYNC))
        return wb_ret(r, WE_INVAL);
    if ((fl ^ e->flags) & (WFD_DSYNC | WFD_RSYNC | WFD_SYNC))
        return wb_ret(r, WE_NOTSUP);
    /* NONBLOCK lives in the table only: FIFOs and devices are always
     * non-blocking on the host, sockets use MSG_DONTWAIT (a borrowed
     * socket's flags are never changed), and fd.c reads the flag to decide
     * whether to wait (hostio.c). */
    if (e->kind == WB_FD_HOST) {
        int hf = fcntl(e->host, F_GETFL);
        if (hf < 0 || fcntl(e->host, F_SETFL, (hf & ~O_APPEND) |
                            (fl & WFD_APPEND ? O_APPEND : 0)) != 0)
            return wb_ret(r, wb_wasi_errno(errno));
    }
    e->flags = fl;
    return wb_ret(r, WE_SUCCESS);
}

WB_WASI_FN(fd_fdstat_set_rights)
{
    wb_fdent *e = wb_fd_get(WASI, A32(0));
    if (!e)
        return wb_ret(r, WE_BADF);
    if ((A64(1) & ~e->rights) || (A64(2) & ~e->inherit))
        return wb_ret(r, WE_NOTCAPABLE);    /* rights only ever shrink */
    e->rights = A64(1);
    e->inherit = A64(2);
    return wb_ret(r, WE_SUCCESS);
}

WB_WASI_FN(fd_filestat_get)
{
    wb_fdent *e;
    wb_fstat st = { 0 };
    struct stat hs;
    int rc = wb_fd_need(WASI, A32(0), WR_FD_FILESTAT_GET, &e);
    if (rc)
        return wb_ret(r, rc);
    uint8_t *p = wb_gptr(c, A32(1), 64);
    if (!p)
        return wb_ret(r, WE_FAULT);
    if (e->kind == WB_FD_TMPFS) {
        wb_tfs_stat(e->node, &st);
    } else if (e->kind == WB_FD_VROOT) {
        wb_vroot_stat(e->vnode, &st);
    } else if (e->kind == WB_FD_HOST || e->kind == WB_FD_SOCK) {
        if (fstat(e->host, &hs) != 0)
            return wb_ret(r, wb_wasi_errno(errno));
        wb_fstat_host(&hs, &st);
    } else {
        st.type = WF_CHAR;                  /* stdio: reveal nothing */
    }
    wb_fstat_put(p, &st);
    return wb_ret(r, WE_SUCCESS);
}

/* Writes to a file the guest may change: EROFS under read-only grants,
 * ENOTCAPABLE without the right (an fd opened for reading: the host fd
 * could not do it either), EINVAL for non-files. */
static int writable(wb_wasi *w, uint32_t fd, uint64_t right, wb_fdent **out)
{
    int rc = wb_fd_need(w, fd, right, out);
    wb_fdent *e = *out;
    if (rc)
        return rc;
    if (e->ro)
        return WE_ROFS;
    if (e->kind == WB_FD_TMPFS)
        return wb_tnode_is_dir(e->node) ? WE_ISDIR : WE_SUCCESS;
    if (e->kind != WB_FD_HOST)
        return WE_INVAL;
    return e->type == WF_DIR ? WE_ISDIR : WE_SUCCESS;
}

static uint64_t cur_size(wb_fdent *e)
{
    struct stat st;
    if (e->kind == WB_FD_TMPFS)
        return wb_tnode_size(e->node);
    return fstat(e->host, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/* The disk budget a write of `total` bytes at `off` (< 0: the fd's
 * position) costs: the bytes, plus the hole it opens past the end of the
 * file, so a file's apparent size is always paid for, as fd_allocate and
 * fd_filestat_set_size pay for growth. Under APPEND both kinds write at
 * the end (Linux ignores pwrite's offset there too). */
uint64_t wb_write_cost(wb_fdent *e, int64_t off, size_t total)
{
    if (total == 0)
        return 0;                         /* changes nothing, even past EOF */
    uint64_t size = cur_size(e), at = size;
    if (e->flags & WFD_APPEND)
        at = size;
    else if (off >= 0)
        at = (uint64_t)off;
    else if (e->kind == WB_FD_TMPFS)
        at = e->of->pos;
    else if ((off = lseek(e->host, 0, SEEK_CUR)) >= 0)
        at = (uint64_t)off;
    return total + (at > size ? at - size : 0);
}

/* Does growing e take disk? A file does; a device, FIFO or socket
 * (/dev/null among them) answers the call itself (EINVAL, ENODEV) and
 * must not be charged for it. */
static bool holds_data(const wb_fdent *e)
{
    return e->kind == WB_FD_TMPFS || e->type == WF_REG;
}

WB_WASI_FN(fd_filestat_set_size)
{
    wb_fdent *e;
    uint64_t size = A64(1);
    int rc = writable(WASI, A32(0), WR_FD_FILESTAT_SET_SIZE, &e);
    if (rc)
        return wb_ret(r, rc);
    if (size > INT64_MAX)
        return wb_ret(r, WE_INVAL);
    uint64_t old = cur_size(e);
    if (holds_data(e) && size > old && !wb_disk_charge(WASI, size - old))
        return wb_wasi_stop(WASI, c, WB_OUTCOME_DISK_LIMIT,
                            "disk limit exceeded");
    if (e->kind == WB_FD_TMPFS)
        return wb_ret(r, wb_tfs_truncate(e->node, size));
    return wb_ret(r, ftruncate(e->host, (off_t)size) ? wb_wasi_errno(errno) : 0);
}

WB_WASI_FN(fd_filestat_set_times)
{
    wb_fdent *e;
    struct timespec ts[2];
    int rc = wb_fd_need(WASI, A32(0), WR_FD_FILESTAT_SET_TIMES, &e);
    if (rc)
        return wb_ret(r, rc);
    if (e->ro)
        return wb_ret(r, WE_ROFS);
    rc = wb_times(A64(1), A64(2), (uint16_t)A32(3), ts);
    if (rc)
        return wb_ret(r, rc);
    if (e->kind == WB_FD_TMPFS) {
        wb_tfs_set_times(e->node, ts);
        return wb_ret(r, WE_SUCCESS);
    }
    if (e->kind != WB_FD_HOST)
        return wb_ret(r, WE_BADF);
    return wb_ret(r, futimens(e->host, ts) ? wb_wasi_errno(errno) : 0);
}

WB_WASI_FN(fd_prestat_get)
{
    wb_fdent *e = wb_fd_get(WASI, A32(0));
    if (!e || !e->preopen)
        return wb_ret(r, WE_BADF);
    uint8_t *p = wb_gptr(c, A32(1), 8);
    if (!p)
        return wb_ret(r, WE_FAULT);
    memset(p, 0, 8);
    wb_st32(p + 4, (uint32_t)strlen(e->preopen));
    return wb_ret(r, WE_SUCCESS);
}

WB_WASI_FN(fd_prestat_dir_name)
{
    wb_fdent *e = wb_fd_get(WASI, A32(0));
    if (!e || !e->preopen)
        return wb_ret(r, WE_BADF);
    size_t len = strlen(e->preopen);
    if (A32(2) < len)
        return wb_ret(r, WE_NAMETOOLONG);
    uint8_t *p = wb_gptr(c, A32(1), len);
    if (!p)
        return wb_ret(r, WE_FAULT);
    memcpy(p, e->preopen, len);
    return wb_ret(r, WE_SUCCESS);
}

WB_WASI_FN(fd_advise)
{
    wb_fdent *e;
    int rc = wb_fd_need(WASI, A32(0), WR_FD_ADVISE, &e);
    if (rc)
        return wb_ret(r, rc);
    if (A32(3) > 5)
        return wb_ret(r, WE_INVAL);
    if (e->kind == WB_FD_TMPFS || e->kind == WB_FD_VROOT)
        return wb_ret(r, WE_SUCCESS);
    if (e->kind != WB_FD_HOST)
        return wb_ret(r, WE_SPIPE);
    static const int adv[] = { POSIX_FADV_NORMAL, POSIX_FADV_SEQUENTIAL,
                               POSIX_FADV_RANDOM, POSIX_FADV_WILLNEED,
                               POSIX_FADV_DONTNEED, POSIX_FADV_NOREUSE };
    rc = posix_fadvise(e->host, (off_t)A64(1), (off_t)A64(2), adv[A32(3)]);
    return wb_ret(r, wb_wasi_errno(rc));
}

WB_WASI_FN(fd_allocate)
{
    wb_fdent *e;
    uint64_t off = A64(1), len = A64(2);
    int rc = writable(WASI, A32(0), WR_FD_ALLOCATE, &e);
    if (rc)
        return wb_ret(r, rc);
    if (off > INT64_MAX || len > INT64_MAX - off || len == 0)
        return wb_ret(r, WE_INVAL);
    uint64_t old = cur_size(e);
    if (holds_data(e) && off + len > old &&
        !wb_disk_charge(WASI, off + len - old))
        return wb_wasi_stop(WASI, c, WB_OUTCOME_DISK_LIMIT,
                            "disk limit exceeded");
    if (e->kind == WB_FD_TMPFS)
        return wb_ret(r, wb_tfs_allocate(e->node, off, len));
    return wb_ret(r, wb_wasi_errno(posix_fallocate(e->host, (off_t)off,
                                                   (off_t)len)));
}

/* A disk may take seconds: the other processes of the tree go on
 * meanwhile (the fd is this process's own). */
static int sync_fd(wb_wasi *w, wb_fdent *e, bool data)
{
    if (e->kind == WB_FD_TMPFS || e->kind == WB_FD_VROOT)
        return WE_SUCCESS;
    if (e->kind != WB_FD_HOST)
        return WE_INVAL;
    bool held = wb_wasi_release(w);
    int rc = data ? fdatasync(e->host) : fsync(e->host);
    int er = errno;
    wb_wasi_reacquire(w, held);
    return rc ? wb_wasi_errno(er) : WE_SUCCESS;
}

WB_WASI_FN(fd_datasync)
{
    wb_fdent *e;
    int rc = wb_fd_need(WASI, A32(0), WR_FD_DATASYNC, &e);
    return wb_ret(r, rc ? rc : sync_fd(WASI, e, true));
}

WB_WASI_FN(fd_sync)
{
    wb_fdent *e;
    int rc = wb_fd_need(WASI, A32(0), WR_FD_SYNC, &e);
    return wb_ret(r, rc ? rc : sync_fd(WASI, e, false));
}
