/* stat.c: file status for the shell and tools, replacing wasi-libc's
 * fstat.o and fstatat.o (__wasilibc_nocwd_fstatat, behind stat, lstat and
 * fstatat) whole. WASI reports no permission bits and no block count, so
 * wasi-libc's st_mode held the file type only (`ls -l` printed
 * "----------", `find -perm` matched nothing) and st_blocks was 0 (`du`
 * said 0 for everything). Here a file has the modes it would have after
 * a umask of 022 (directories 0755, regular files 0644, links 0777) and
 * the 512-byte blocks its size needs; ids stay 0 (wb_posix.c's user). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <wasi/api.h>

static struct timespec to_timespec(__wasi_timestamp_t t)
{
    return (struct timespec){ .tv_sec = (time_t)(t / 1000000000u),
                              .tv_nsec = (long)(t % 1000000000u) };
}

static mode_t to_mode(__wasi_filetype_t type)
{
    switch (type) {
    case __WASI_FILETYPE_BLOCK_DEVICE: return S_IFBLK | 0644;
    case __WASI_FILETYPE_CHARACTER_DEVICE: return S_IFCHR | 0666;
    case __WASI_FILETYPE_DIRECTORY: return S_IFDIR | 0755;
    case __WASI_FILETYPE_REGULAR_FILE: return S_IFREG | 0644;
    case __WASI_FILETYPE_SOCKET_DGRAM:
    case __WASI_FILETYPE_SOCKET_STREAM: return S_IFSOCK | 0666;
    case __WASI_FILETYPE_SYMBOLIC_LINK: return S_IFLNK | 0777;
    default: return 0;
    }
}

static void to_stat(const __wasi_filestat_t *in, struct stat *out)
{
    memset(out, 0, sizeof *out);
    out->st_dev = in->dev;
    out->st_ino = in->ino;
    out->st_nlink = in->nlink;
    out->st_size = (off_t)in->size;
    out->st_mode = to_mode(in->filetype);
    out->st_blksize = 4096;
    out->st_blocks = (blkcnt_t)((in->size + 511) / 512);
    out->st_atim = to_timespec(in->atim);
    out->st_mtim = to_timespec(in->mtim);
    out->st_ctim = to_timespec(in->ctim);
}

int fstat(int fd, struct stat *st)
{
    __wasi_filestat_t in;
    __wasi_errno_t e = __wasi_fd_filestat_get(fd, &in);
    if (e) {
        errno = e;
        return -1;
    }
    to_stat(&in, st);
    return 0;
}

int __wasilibc_nocwd_fstatat(int fd, const char *path, struct stat *st,
                             int flag)
{
    if (flag & ~AT_SYMLINK_NOFOLLOW) {
        errno = EINVAL;
        return -1;
    }
    __wasi_lookupflags_t lookup =
        flag & AT_SYMLINK_NOFOLLOW ? 0 : __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW;
    __wasi_filestat_t in;
    __wasi_errno_t e = __wasi_path_filestat_get(fd, lookup, path, &in);
    if (e) {
        errno = e;
        return -1;
    }
    to_stat(&in, st);
    return 0;
}
