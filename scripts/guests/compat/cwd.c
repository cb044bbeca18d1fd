/* cwd.c: relative and absolute paths to (preopen, relative path) once
 * chdir is linked. wasi-libc picks the preopen with the longest matching
 * prefix and hands the rest to the runtime, which refuses a ".." above
 * that preopen: "/tmp/../lib/x", or "../lib" with the current directory
 * in /tmp, failed with ENOTCAPABLE although "/lib/x" is granted. Such a
 * path has its directories resolved against the guest's directory tree
 * instead, physically as the kernel does (physical.c: a ".." after a
 * link climbs from the link's target; the grants' mount points are
 * directories of the virtual root, not links, so their ".." is the parent
 * of their guest path), and its last name kept as given, for the call to
 * follow or not. Paths that stay inside their preopen still go to the
 * runtime unchanged, so links inside a grant resolve as on the host. */
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

/* The absolute path abs, whose ".." climbs out of its grant, with its
 * directories resolved physically (or as far as they resolve: the
 * runtime then fails on the same step, with the errno Linux gives): a
 * string to free, or NULL after ENOMEM. */
static char *climbing(const char *abs)
{
    size_t len = strlen(abs), end = len;
    char *dir;
    while (end > 1 && abs[end - 1] == '/')
        end--;
    size_t start = end;
    while (start > 0 && abs[start - 1] != '/')
        start--;
    size_t n = end - start;
    if (n == 0 || (n == 1 && abs[start] == '.') ||
        (n == 2 && abs[start] == '.' && abs[start + 1] == '.')) {
        wb_compat_physical(abs, &dir);      /* no name to leave alone */
        return dir;
    }
    /* "dir/\0name": abs is wb_compat_absolute's buffer, which the walk
     * reuses */
    char *parts = malloc(len + 2), *out = NULL;
    if (!parts) {
        errno = ENOMEM;
        return NULL;
    }
    memcpy(parts, abs, start);
    parts[start] = '\0';
    memcpy(parts + start + 1, abs + start, len - start + 1);
    wb_compat_physical(parts, &dir);
    if (dir) {
        size_t dl = strlen(dir), tl = len - start;
        out = malloc(dl + 1 + tl + 1);
        if (out) {
            memcpy(out, dir, dl);
            if (out[dl - 1] != '/')
                out[dl++] = '/';
            memcpy(out + dl, parts + start + 1, tl + 1);
        } else {
            errno = ENOMEM;
        }
    }
    free(dir);
    free(parts);
    return out;
}

/* rel into the caller's buffer *relative (of *relative_len bytes). */
static int copy_relative(const char *rel, char **relative,
                         size_t *relative_len, int can_realloc)
{
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
    return 0;
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
    char *phys = NULL;
    int fd = __wasilibc_find_abspath(abs, abs_prefix, &rel);
    if (fd >= 0 && wb_compat_escapes(rel)) {
        phys = climbing(abs);
        fd = phys ? __wasilibc_find_abspath(phys, abs_prefix, &rel) : -1;
    } else if (fd < 0) {
        wb_compat_normalize(abs);
        fd = __wasilibc_find_abspath(abs, abs_prefix, &rel);
    }
    if (fd >= 0 && copy_relative(path[0] ? rel : "", relative, relative_len,
                                 can_realloc) < 0)
        fd = -1;
    free(phys);
    return fd;
}
