/* futimens.c: futimens (and Python's os.utime on a descriptor) with NULL and
 * UTIME_NOW/UTIME_OMIT (times.c). */
#include <errno.h>
#include <sys/stat.h>
#include "wb_compat.h"

int futimens(int fd, const struct timespec times[2])
{
    __wasi_timestamp_t a, m;
    __wasi_fstflags_t f;
    int e = wb_compat_times(times, &a, &m, &f);
    if (!e)
        e = __wasi_fd_filestat_set_times(fd, a, m, f);
    if (e) {
        errno = e;
        return -1;
    }
    return 0;
}
