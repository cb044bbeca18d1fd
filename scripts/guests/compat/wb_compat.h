/* wb_compat.h: shared declarations of libwbcompat.a, the corrections to
 * Debian's wasi-libc (0.0~git20220510) linked ahead of it into every
 * guest (scripts/guests/compat/README.md says what each file fixes). */
#ifndef WB_COMPAT_H
#define WB_COMPAT_H
#include <stddef.h>
#include <time.h>
#include <wasi/api.h>

/* The two timestamps and fst_flags of fd/path_filestat_set_times for a
 * utimensat/futimens `times` argument (NULL: both "now"). Returns 0, or
 * EINVAL for a tv_nsec out of range or a time WASI cannot hold. */
int wb_compat_times(const struct timespec *times, __wasi_timestamp_t *atim,
                    __wasi_timestamp_t *mtim, __wasi_fstflags_t *flags);

/* Rewrites the absolute path in buf in place without ".", ".." and
 * repeated slashes; a ".." of "/" is "/". A trailing slash is kept. */
void wb_compat_normalize(char *buf);

/* Does the relative path climb above its starting directory? */
int wb_compat_escapes(const char *rel);

/* The absolute form of path against the current directory, in a buffer
 * owned by the library (valid until the next call); NULL with errno set. */
char *wb_compat_absolute(const char *path);

/* The physical absolute form of path (physical.c): every symbolic link
 * followed, "." and ".." applied where the walk is, each step asked of
 * the runtime. 0 with *out that form, or -1 with errno (ENOENT, ENOTDIR,
 * ELOOP, or what the runtime answered) and *out the path with the part
 * before the step that failed resolved, for the runtime to fail on the
 * same step (NULL after ENOMEM or ELOOP). *out is the caller's to free. */
int wb_compat_physical(const char *path, char **out);

/* wasi-libc's record of the current directory (getcwd.o). */
extern char *__wasilibc_cwd;
#endif
