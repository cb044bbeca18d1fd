/* resolve.c: path resolution that can never leave a grant.
 *
 * Preferred: openat2(2) with RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS, which
 * the kernel enforces atomically ("..", absolute symlinks, symlinks made by
 * anyone, /proc magic links, concurrent renames). Without openat2 (ENOSYS,
 * or EPERM from a seccomp filter) the same rules are applied by walking one
 * component at a time with O_PATH|O_NOFOLLOW, reading symlinks ourselves;
 * each step is relative to an fd we already hold, so renames cannot move
 * the walk outside. Escapes answer WE_NOTCAPABLE. */
#include "wasi/wasi.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <stdio.h>
#include <unistd.h>

#define WB_MAX_LINKS 40            /* like the kernel's MAXSYMLINKS */
#define WB_MAX_DEPTH 2048

static atomic_int wb_mode;         /* 0 unknown, 1 openat2, 2 walk */

void wb_resolve_force_walk(bool on)
{
    atomic_store(&wb_mode, on ? 2 : 0);
}

static bool use_openat2(void)
{
    int m = atomic_load(&wb_mode);
    if (m == 0) {
        struct open_how how = { .flags = O_PATH | O_CLOEXEC,
                                .resolve = RESOLVE_BENEATH };
        int fd = (int)syscall(SYS_openat2, AT_FDCWD, ".", &how, sizeof how);
        m = fd >= 0 ? 1 : 2;
        if (fd >= 0)
            close(fd);
        atomic_store(&wb_mode, m);
    }
    return m == 1;
}

static int via_openat2(int dirfd, const char *path, int flags, mode_t mode,
                       int *out)
{
    struct open_how how = {
        .flags = (uint64_t)(flags | O_CLOEXEC),
        .mode = (flags & O_CREAT) ? mode : 0,
        .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
    };
    for (int tries = 0; tries < 16; tries++) {
        int fd = (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);
        if (fd >= 0) {
            *out = fd;
            return WE_SUCCESS;
        }
        if (errno == EAGAIN)        /* a concurrent rename: try again */
            continue;
        return errno == EXDEV ? WE_NOTCAPABLE : wb_wasi_errno(errno);
    }
    return WE_AGAIN;
}

/* ---- fallback walk ------------------------------------------------------ */

typedef struct walk {
    int stack[WB_MAX_DEPTH];       /* fds of the directories passed */
    int depth;
    int cur;
    char rest[2 * WB_PATH_MAX];    /* what is left to resolve */
    int links;
} walk;

static void walk_done(walk *k)
{
    while (k->depth > 0)
        close(k->stack[--k->depth]);
    if (k->cur >= 0)
        close(k->cur);
}

/* Pop the next component of k->rest into comp (NAME_MAX + 2 bytes); false
 * at the end. A longer name is cut to NAME_MAX + 1 bytes: still too long
 * for the caller, and never past the end of comp.
 * *slashed: comp is the last name but a '/' followed it. */
static bool next_comp(walk *k, char *comp, bool *last, bool *slashed)
{
    char *s = k->rest;
    while (*s == '/')
        s++;
    if (!*s)
        return false;
    size_t n = strcspn(s, "/"), keep = n > NAME_MAX ? NAME_MAX + 1 : n;
    memcpy(comp, s, keep);
    comp[keep] = 0;
    char *t = s + n;
    while (*t == '/')
        t++;
    *last = *t == 0 && s[n] != '/';
    *slashed = *t == 0 && s[n] == '/';
    memmove(k->rest, t, strlen(t) + 1);
    if (*slashed)                  /* "a/": behaves like "a/." */
        strcpy(k->rest, ".");
    return true;
}

/* Splice the target of symlink `name` (in k->cur) before k->rest. */
static int splice_link(walk *k, int at, const char *name)
{
    char target[WB_PATH_MAX];
    size_t n;
    if (++k->links > WB_MAX_LINKS)
        return WE_LOOP;
    int rc = wb_symlink_read(at, name, target, &n);
    if (rc)
        return rc;
    if (target[0] == '/')
        return WE_NOTCAPABLE;
    if (n + strlen(k->rest) + 2 > sizeof k->rest)
        return WE_NAMETOOLONG;
    size_t rl = strlen(k->rest);
    memmove(k->rest + n + 1, k->rest, rl + 1);
    memcpy(k->rest, target, n);
    k->rest[n] = rl ? '/' : 0;
    return WE_SUCCESS;
}

static int step_dotdot(walk *k)
{
    if (k->depth == 0)
        return WE_NOTCAPABLE;
    close(k->cur);
    k->cur = k->stack[--k->depth];
    return WE_SUCCESS;
}

/* Descend into directory `comp`, or splice it if it is a symlink. */
static int step_dir(walk *k, const char *comp)
{
    int fd = openat(k->cur, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (fd < 0)
        return wb_wasi_errno(errno);
    if (fstat(fd, &st) != 0) {
        close(fd);
        return wb_wasi_errno(errno);
    }
    if (S_ISLNK(st.st_mode)) {
        int rc = splice_link(k, fd, "");
        close(fd);
        return rc;
    }
    if (!S_ISDIR(st.st_mode)) {
        close(fd);
        return WE_NOTDIR;
    }
    if (k->depth == WB_MAX_DEPTH) {
        close(fd);
        return WE_NAMETOOLONG;
    }
    k->stack[k->depth++] = k->cur;
    k->cur = fd;
    return WE_SUCCESS;
}

/* The last component: open it without following; a symlink is spliced
 * (when following) and the walk continues. 1 means "continue". */
static int step_last(walk *k, const char *comp, int flags, mode_t mode,
                     bool follow, int *out)
{
    if (!strcmp(comp, "..")) {
        int rc = step_dotdot(k);
        comp = ".";
        if (rc)
            return rc;
    }
    int fd = openat(k->cur, comp, flags | O_NOFOLLOW | O_CLOEXEC, mode);
    struct stat st;
    bool is_link = false;
    if (fd >= 0 && (flags & O_PATH) && follow && fstat(fd, &st) == 0 &&
        S_ISLNK(st.st_mode)) {
        close(fd);
        fd = -1;
        is_link = true;
    } else if (fd < 0 && follow && (errno == ELOOP || errno == ENOTDIR) &&
               fstatat(k->cur, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
               S_ISLNK(st.st_mode)) {
        is_link = true;
    }
    if (fd >= 0) {
        *out = fd;
        return WE_SUCCESS;
    }
    if (!is_link)
        return wb_wasi_errno(errno);
    int rc = splice_link(k, k->cur, comp);
    return rc ? rc : 1;
}

static int via_walk(int dirfd, const char *path, int flags, mode_t mode,
                    bool follow, int *out)
{
    walk *k = malloc(sizeof *k);
    if (!k)
        return WE_NOMEM;
    k->depth = 0;
    k->links = 0;
    k->cur = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
    snprintf(k->rest, sizeof k->rest, "%s", path);
    if (path[0] == '/') {
        walk_done(k);
        free(k);
        return WE_NOTCAPABLE;
    }
    char comp[NAME_MAX + 2];
    bool last, slashed;
    int rc = k->cur < 0 ? wb_wasi_errno(errno) : 1;
    /* step_last: 0 opened, 1 go on (spliced a link); others: 0 go on */
    while (rc == 1) {
        if (!next_comp(k, comp, &last, &slashed)) {
            rc = step_last(k, ".", flags, mode, follow, out);
        } else if (strlen(comp) > NAME_MAX) {
            rc = WE_NAMETOOLONG;
        } else if (last) {
            rc = step_last(k, comp, flags, mode, follow, out);
        } else if (strcmp(comp, ".") != 0) {
            int e = !strcmp(comp, "..") ? step_dotdot(k) : step_dir(k, comp);
            /* O_CREAT of a missing "x/" (a link's target): as open(2) */
            if (e == WE_NOENT && slashed && (flags & O_CREAT))
                e = WE_ISDIR;
            rc = e ? e : 1;
        }
    }
    walk_done(k);
    free(k);
    return rc;
}

int wb_resolve_open(int dirfd, const char *path, int flags, mode_t mode,
                    bool follow, int *out)
{
    if (path[0] == '/')
        return WE_NOTCAPABLE;
    if (use_openat2())
        return via_openat2(dirfd, path, flags | (follow ? 0 : O_NOFOLLOW),
                           mode, out);
    return via_walk(dirfd, path, flags, mode, follow, out);
}

int wb_resolve_parent(int dirfd, const char *path, int *out, char *last,
                      bool *slash)
{
    char buf[WB_PATH_MAX];
    size_t n = strlen(path);
    if (n >= sizeof buf)
        return WE_NAMETOOLONG;
    if (path[0] == '/')
        return WE_NOTCAPABLE;
    memcpy(buf, path, n + 1);
    *slash = false;
    while (n > 0 && buf[n - 1] == '/') {
        buf[--n] = 0;
        *slash = true;
    }
    if (n == 0)
        return WE_NOENT;
    char *sep = strrchr(buf, '/');
    const char *name = sep ? sep + 1 : buf;
    if (strlen(name) > NAME_MAX)
        return WE_NAMETOOLONG;
    /* "x/.." and "x/.": the parent is the directory itself, so nothing
     * ever acts on a name outside the resolved directory. */
    if (!strcmp(name, ".") || !strcmp(name, "..")) {
        strcpy(last, ".");
        return wb_resolve_open(dirfd, buf, O_PATH | O_DIRECTORY, 0, true, out);
    }
    strcpy(last, name);
    if (!sep)
        return wb_resolve_open(dirfd, ".", O_PATH | O_DIRECTORY, 0, true, out);
    *sep = 0;
    return wb_resolve_open(dirfd, buf[0] ? buf : ".", O_PATH | O_DIRECTORY,
                           0, true, out);
}
