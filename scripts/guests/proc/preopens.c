/* preopens.c: the table of preopened directories, replacing wasi-libc's
 * preopens.o whole (it keeps its table private), so that a grant's fd can
 * move out of a program's way. The host numbers the grants from fd 3 up,
 * and shell scripts use fds 3-9 for themselves: `exec 3>&1` made fd 3, a
 * grant, a copy of stdout, and every later path in that grant failed
 * ("Capabilities insufficient"). dup2 onto a grant's fd, or its close,
 * first moves the grant to a new fd >= 10 (wb_proc_preopen_move, fd.c),
 * which this table then names. An image started by exec may find its
 * grants anywhere (the shell's redirections stay across exec), so the
 * scan at start-up goes on past fds that are not grants, up to 32 in a
 * row. Lookups are wasi-libc's: the longest matching prefix wins. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>
#include <wasi/libc.h>
#include <wasi/libc-find-relpath.h>
#include "imports.h"

#define SCAN_GAP 32        /* non-grant fds in a row that end the scan */
#define MOVE_MIN 10        /* where a grant moves: above a shell's 0-9 */

static struct preopen { int fd; char *prefix; } *table;
static size_t count, cap;

/* "/", "./" and a final "." lead nowhere: "/data" is "data", "/" is "". */
static const char *strip(const char *p)
{
    for (;;) {
        if (p[0] == '/')
            p++;
        else if (p[0] == '.' && (p[1] == '/' || !p[1]))
            p += 1 + (p[1] == '/');
        else
            return p;
    }
}

int __wasilibc_register_preopened_fd(int fd, const char *prefix)
{
    if (count == cap) {
        size_t n = cap ? 2 * cap : 8;
        struct preopen *t = realloc(table, n * sizeof *t);
        if (!t)
            return wb_proc_fail(ENOMEM);
        table = t;
        cap = n;
    }
    char *copy = strdup(strip(prefix));
    if (!copy)
        return wb_proc_fail(ENOMEM);
    table[count].fd = fd;
    table[count].prefix = copy;
    count++;
    return 0;
}

__attribute__((constructor(51))) static void populate(void)
{
    int gap = 0;
    for (int fd = 3; gap < SCAN_GAP; fd++) {
        __wasi_prestat_t ps;
        if (__wasi_fd_prestat_get(fd, &ps) || ps.tag != __WASI_PREOPENTYPE_DIR) {
            gap++;
            continue;
        }
        gap = 0;
        size_t len = ps.u.dir.pr_name_len;
        char *name = malloc(len + 1);
        if (!name || __wasi_fd_prestat_dir_name(fd, (uint8_t *)name, len)) {
            free(name);
            continue;
        }
        name[len] = '\0';
        __wasilibc_register_preopened_fd(fd, name);
        free(name);
    }
}

/* Does prefix (len bytes) name path or a directory above it? */
static bool matches(const char *prefix, size_t len, const char *path)
{
    if (path[0] != '/' && len == 0)
        return true;
    if (memcmp(path, prefix, len))
        return false;
    while (len > 0 && prefix[len - 1] == '/')
        len--;
    return path[len] == '/' || path[len] == '\0';
}

int __wasilibc_find_abspath(const char *path, const char **abs_prefix,
                            const char **relative)
{
    while (*path == '/')
        path++;
    size_t best = 0;
    int fd = -1;
    for (size_t i = count; i > 0; i--) {   /* later ones win ties */
        const struct preopen *p = &table[i - 1];
        size_t len = strlen(p->prefix);
        if ((fd == -1 || len > best) && matches(p->prefix, len, path)) {
            fd = p->fd;
            best = len;
            *abs_prefix = p->prefix;
        }
    }
    if (fd == -1)
        return wb_proc_fail(ENOENT);
    const char *rest = path + best;
    while (*rest == '/')
        rest++;
    *relative = *rest ? rest : ".";
    return fd;
}

int __wasilibc_find_relpath(const char *path, const char **abs_prefix,
                            char **relative, size_t relative_len)
{
    if (__wasilibc_find_relpath_alloc)
        return __wasilibc_find_relpath_alloc(path, abs_prefix, relative,
                                             &relative_len, 0);
    return __wasilibc_find_abspath(path, abs_prefix, (const char **)relative);
}

void wb_proc_preopen_move(int fd)
{
    for (size_t i = 0; i < count; i++) {
        if (table[i].fd != fd)
            continue;
        int32_t moved;
        if (wb_host_dup(fd, MOVE_MIN, &moved) == 0)
            table[i].fd = moved;
    }
}
