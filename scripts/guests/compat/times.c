/* times.c: the "times" argument of utimensat/futimens as WASI sees it.
 * wasi-libc of 2022 reads times[0] even when times is NULL (so "now"
 * became an explicit time 0, written to host files as 1970) and turns
 * UTIME_NOW/UTIME_OMIT into EINVAL; WASI has a flag for each. */
#include <errno.h>
#include <stdint.h>
#include <sys/stat.h>
#include "wb_compat.h"

/* One timestamp: its "set" and "now" flag bits, or neither (omit). */
static int one_time(const struct timespec *t, __wasi_timestamp_t *out,
                    __wasi_fstflags_t *flags, __wasi_fstflags_t set,
                    __wasi_fstflags_t now)
{
    *out = 0;
    if (t->tv_nsec == UTIME_OMIT)
        return 0;
    if (t->tv_nsec == UTIME_NOW) {
        *flags |= now;
        return 0;
    }
    /* WASI times are unsigned nanoseconds since 1970 */
    if (t->tv_nsec < 0 || t->tv_nsec >= 1000000000L || t->tv_sec < 0 ||
        (uint64_t)t->tv_sec > (UINT64_MAX - (uint64_t)t->tv_nsec) / 1000000000u)
        return EINVAL;
    *out = (uint64_t)t->tv_sec * 1000000000u + (uint64_t)t->tv_nsec;
    *flags |= set;
    return 0;
}

int wb_compat_times(const struct timespec *times, __wasi_timestamp_t *atim,
                    __wasi_timestamp_t *mtim, __wasi_fstflags_t *flags)
{
    *flags = 0;
    if (!times) {
        *atim = *mtim = 0;
        *flags = __WASI_FSTFLAGS_ATIM_NOW | __WASI_FSTFLAGS_MTIM_NOW;
        return 0;
    }
    int e = one_time(&times[0], atim, flags, __WASI_FSTFLAGS_ATIM,
                     __WASI_FSTFLAGS_ATIM_NOW);
    return e ? e : one_time(&times[1], mtim, flags, __WASI_FSTFLAGS_MTIM,
                            __WASI_FSTFLAGS_MTIM_NOW);
}
