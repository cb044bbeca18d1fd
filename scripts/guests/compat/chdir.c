/* chdir.c: the current directory is kept (in wasi-libc's __wasilibc_cwd,
 * which getcwd returns) in normal form: wasi-libc stored the argument as
 * given, so getcwd() could say "/..", "/tmp/a/../b/." and every later
 * relative path carried those pieces. The target is checked as given (a
 * ".." after a file still fails), then stored lexically cleaned, as a
 * shell's "cd" does: WASI has no way to ask the runtime for the real
 * path of a directory. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <wasi/libc-find-relpath.h>
#include "wb_compat.h"

int chdir(const char *path)
{
    static char *rel;
    static size_t rel_len;
    static int cwd_is_ours;   /* the first one is getcwd.o's static "/" */
    const char *prefix;
    struct stat st;
    int fd = __wasilibc_find_relpath_alloc(path, &prefix, &rel, &rel_len, 1);
    if (fd < 0 || fstatat(fd, rel, &st, 0) < 0)
        return -1;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    char *abs = wb_compat_absolute(path);
    char *cwd = abs ? strdup(abs) : NULL;
    if (!cwd) {
        errno = ENOMEM;
        return -1;
    }
    wb_compat_normalize(cwd);
    size_t n = strlen(cwd);
    if (n > 1 && cwd[n - 1] == '/')
        cwd[n - 1] = '\0';
    if (cwd_is_ours)
        free(__wasilibc_cwd);
    __wasilibc_cwd = cwd;
    cwd_is_ours = 1;
    return 0;
}
