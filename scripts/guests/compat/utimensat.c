/* utimensat.c: wasi-libc's utimensat, utimes, utime and futimesat resolve
 * the path to a preopen and call __wasilibc_nocwd_utimensat; this one
 * takes NULL and UTIME_NOW/UTIME_OMIT (times.c). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include "wb_compat.h"

int __wasilibc_nocwd_utimensat(int fd, const char *path,
                               const struct timespec times[2], int flag)
{
    __wasi_timestamp_t a, m;
    __wasi_fstflags_t f;
    int e = wb_compat_times(times, &a, &m, &f);
    if (!e && (flag & ~AT_SYMLINK_NOFOLLOW))
        e = EINVAL;
    if (!e)
        e = __wasi_path_filestat_set_times(fd,
                (flag & AT_SYMLINK_NOFOLLOW) ? 0 : __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW,
                path, a, m, f);
    if (e) {
        errno = e;
        return -1;
    }
    return 0;
}
