/* physical.c: the physical name of a path in the guest's tree, as Linux
 * resolves it: chdir stores it (getcwd() and a shell's "pwd -P" answer
 * the directory reached, not the link taken to it), and cwd.c resolves
 * with it the directories of a path whose ".." climbs out of its grant.
 *
 * The walk keeps the part resolved so far, which never holds a link, a
 * "." or a "..", and asks the runtime about one more name at a time
 * through the preopen that holds it, so a grant's limits apply to every
 * step and the runtime never meets a link of ours. A symbolic link is
 * replaced by its target: a relative one from the link's directory, an
 * absolute one from the guest's root (the guest's tree is its whole
 * world, as a chroot is: a target that names nothing granted fails with
 * ENOENT, where the runtime itself refuses to follow a host's absolute
 * link). At most 40 links (ELOOP, the kernel's MAXSYMLINKS); a ".." climbs
 * from where the walk is, so after a link from its target, and needs a
 * directory there (ENOTDIR after a file), as does a ".". */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>
#include <wasi/libc-find-relpath.h>
#include "wb_compat.h"

#define MAX_LINKS 40

typedef struct walk {
    char *done;        /* resolved so far: "" (the root) or "/a/b" */
    size_t len, cap;
    char *rest;        /* what is left to resolve */
    int links;
} walk;

/* errno = e; -1 */
static int fail(int e)
{
    errno = e;
    return -1;
}

/* The preopen holding the resolved part and the path below it. */
static int runtime_fd(const walk *w, const char **rel)
{
    const char *prefix;
    int fd = __wasilibc_find_abspath(w->len ? w->done : "/", &prefix, rel);
    return fd < 0 ? fail(ENOENT) : fd;
}

/* Is the resolved part a directory? 0, or -1 with errno. */
static int is_dir(const walk *w)
{
    const char *rel;
    __wasi_filestat_t st;
    if (w->len == 0)
        return 0;
    int fd = runtime_fd(w, &rel);
    if (fd < 0)
        return -1;
    __wasi_errno_t e = __wasi_path_filestat_get(fd, 0, rel, &st);
    if (e)
        return fail(e);
    return st.filetype == __WASI_FILETYPE_DIRECTORY ? 0 : fail(ENOTDIR);
}

static int append(walk *w, const char *c, size_t n)
{
    if (w->len + 1 + n + 1 > w->cap) {
        size_t cap = (w->len + 1 + n + 1) * 2;
        char *d = realloc(w->done, cap);
        if (!d)
            return fail(ENOMEM);
        w->done = d;
        w->cap = cap;
    }
    w->done[w->len++] = '/';
    memcpy(w->done + w->len, c, n);
    w->len += n;
    w->done[w->len] = '\0';
    return 0;
}

static void drop_last(walk *w)
{
    while (w->len > 0 && w->done[--w->len] != '/')
        ;
    w->done[w->len] = '\0';
}

/* The target of the link just appended comes before what is left. */
static int follow(walk *w, const char *target, size_t n, const char *left)
{
    if (++w->links > MAX_LINKS)
        return fail(ELOOP);
    size_t l = strlen(left);
    char *rest = malloc(n + 1 + l + 1);
    if (!rest)
        return fail(ENOMEM);
    memcpy(rest, target, n);
    rest[n] = '/';
    memcpy(rest + n + 1, left, l + 1);
    free(w->rest);
    w->rest = rest;
    drop_last(w);
    if (target[0] == '/')
        w->len = 0;
    return 0;
}

/* Resolves the name just appended; left: what follows it in w->rest.
 * 1: it was a link, and w->rest now starts with its target. */
static int look_up(walk *w, const char *left)
{
    const char *rel;
    char target[PATH_MAX];
    __wasi_size_t n;
    int fd = runtime_fd(w, &rel);
    if (fd < 0)
        return -1;
    __wasi_errno_t e = __wasi_path_readlink(fd, rel, (uint8_t *)target,
                                            sizeof target, &n);
    if (e == __WASI_ERRNO_INVAL)
        return 0;               /* there, and not a link */
    if (e)
        return fail(e);
    if (n == 0 || n >= sizeof target)
        return fail(n ? ENAMETOOLONG : ENOENT);
    return follow(w, target, n, left) < 0 ? -1 : 1;
}

/* One component c of length n; *p: what follows it in w->rest. */
static int step(walk *w, const char *c, size_t n, const char **p)
{
    if (n == 1 && c[0] == '.')
        return is_dir(w);
    if (n == 2 && c[0] == '.' && c[1] == '.') {
        if (is_dir(w) < 0)
            return -1;
        drop_last(w);
        return 0;
    }
    if (append(w, c, n) < 0)
        return -1;
    int rc = look_up(w, *p);
    if (rc == 1)
        *p = w->rest;           /* a link: its target comes next */
    return rc < 0 ? -1 : 0;
}

/* The walk of w->rest: 0, or -1 with errno and w->done the resolved part
 * followed by the step that failed and what came after it. */
static int run(walk *w)
{
    const char *p = w->rest;
    for (;;) {
        while (*p == '/')
            p++;
        if (!*p)
            return w->len == 0 ? append(w, "", 0) : 0;    /* "/" */
        const char *c = p;
        size_t before = w->len;
        p += strcspn(p, "/");
        if (step(w, c, (size_t)(p - c), &p) < 0) {
            int e = errno;
            w->len = before;
            if (append(w, c, strlen(c)) < 0)
                return -1;
            errno = e;
            return -1;
        }
    }
}

int wb_compat_physical(const char *path, char **out)
{
    walk w = { 0 };
    *out = NULL;
    if (!path[0])
        return fail(ENOENT);    /* "" names nothing */
    const char *abs = wb_compat_absolute(path);
    if (!abs)
        return -1;
    size_t n = strlen(abs);
    w.rest = malloc(n + 2);
    if (!w.rest)
        return fail(ENOMEM);
    memcpy(w.rest, abs, n + 1);
    /* a trailing slash asks for a directory, as a trailing "." does */
    if (n > 1 && abs[n - 1] == '/')
        strcat(w.rest, ".");
    int rc = run(&w);
    free(w.rest);
    /* a fresh walk by the runtime would not meet the 41st link */
    if (rc < 0 && (errno == ENOMEM || errno == ELOOP)) {
        free(w.done);
        return -1;
    }
    *out = w.done;
    return rc;
}
