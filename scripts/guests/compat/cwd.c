/* cwd.c: relative and absolute paths to (preopen, relative path) once
 * chdir is linked. wasi-libc picks the preopen with the longest matching
 * prefix and hands the rest to the runtime, which refuses a ".." above
 * that preopen: "/tmp/../lib/x", or "../lib" with the current directory
 * in /tmp, failed with ENOTCAPABLE although "/lib/x" is granted. Such a
 * path is resolved lexically against the guest's directory tree instead
 * (the grants' mount points are directories of the virtual root, not
 * links, so their ".." is the parent of their guest path). Paths that
 * stay inside their preopen still go to the runtime unchanged, so links
 * inside a grant resolve as on the host. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <wasi/libc-find-relpath.h>
#include "wb_compat.h"

char *wb_compat_absolute(const char *path)
{
    static char *buf;
    static size_t cap;
    int rel = path[0] != '/';
    size_t cwd_len = rel ? strlen(__wasilibc_cwd) : 0;
    size_t need = cwd_len + 1 + strlen(path) + 1;
    if (need > cap) {
        char *b = realloc(buf, need);
        if (!b) {
            errno = ENOMEM;
            return NULL;
        }
        buf = b;
        cap = need;
    }
    buf[0] = '\0';
    if (rel) {
        memcpy(buf, __wasilibc_cwd, cwd_len + 1);
        if (cwd_len == 0 || buf[cwd_len - 1] != '/')
            strcat(buf, "/");
    }
    strcat(buf, path);
    return buf;
}

int __wasilibc_find_relpath_alloc(const char *path, const char **abs_prefix,
                                  char **relative, size_t *relative_len,
                                  int can_realloc)
{
    /* "" names nothing (ENOENT on Linux; wasi-libc took it for the
     * current directory): the runtime says so for an empty path */
    char *abs = wb_compat_absolute(path[0] ? path : ".");
    if (!abs)
        return -1;
    const char *rel;
    int fd = __wasilibc_find_abspath(abs, abs_prefix, &rel);
    if (fd < 0 || wb_compat_escapes(rel)) {
        wb_compat_normalize(abs);
        fd = __wasilibc_find_abspath(abs, abs_prefix, &rel);
    }
    if (fd < 0)
        return -1;
    if (!path[0])
        rel = "";
    size_t n = strlen(rel) + 1;
    if (*relative_len < n) {
        if (!can_realloc) {
            errno = ERANGE;
            return -1;
        }
        char *r = realloc(*relative, n);
        if (!r) {
            errno = ENOMEM;
            return -1;
        }
        *relative = r;
        *relative_len = n;
    }
    memcpy(*relative, rel, n);
    return fd;
}
