/* tree.c: walk a directory tree with a bounded number of open fds,
 * whatever its depth, never following symlinks (tree.h); deleting
 * sessions and measuring workspaces go through it.
 *
 * A recursive walk holds one fd per level, so a deep tree (a guest can
 * nest thousands of directories) runs a process out of fds half way and
 * leaves the rest behind. Here only the current directory is open: each
 * level of the path keeps the names it still has to visit (read in one
 * pass) and its (st_dev, st_ino). Descending opens the child relative to
 * the current fd (O_NOFOLLOW), checks it is the entry that was stat'ed,
 * and closes the parent; ascending opens ".." and checks it is the
 * recorded parent, so a directory moved under the walk stops it with an
 * error instead of leading it outside the tree. At most three fds are
 * open at once. */
#include "common/tree.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct level {
    char **names;                  /* entries left to visit (from i) */
    size_t n, i;
    char *name;                    /* this directory's name in its parent */
    struct stat sb;                /* this directory */
} level;

typedef struct walk {
    level *lv;
    size_t depth, cap;
    int fd;                        /* the directory of lv[depth - 1] */
    int err;                       /* errno of the first failure, or 0 */
} walk;

static void note(walk *w, int e)
{
    if (!w->err)
        w->err = e ? e : EIO;
}

static void level_free(level *l)
{
    for (size_t k = l->i; k < l->n; k++)
        free(l->names[k]);
    free(l->names);
    free(l->name);
    memset(l, 0, sizeof *l);
}

/* All entry names of directory fd (not "." or ".."). */
static int read_names(int fd, level *l)
{
    int rfd = dup(fd);
    DIR *d = rfd < 0 ? NULL : fdopendir(rfd);
    if (!d) {
        int e = errno;
        if (rfd >= 0)
            close(rfd);
        errno = e;
        return -1;
    }
    size_t cap = 0;
    struct dirent *de;
    int rc = 0;
    while (!rc && (errno = 0, de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        if (l->n == cap) {
            char **g = realloc(l->names, (cap = cap * 2 + 16) * sizeof *g);
            if (!g) {
                rc = -1;
                break;
            }
            l->names = g;
        }
        if (!(l->names[l->n] = strdup(de->d_name)))
            rc = -1;
        else
            l->n++;
    }
    if (!rc && errno)
        rc = -1;
    int e = rc ? (errno ? errno : ENOMEM) : 0;
    closedir(d);
    errno = e;
    return rc;
}

/* Make fd (an open directory, `sb` its stat) the new current level. */
static int push(walk *w, int fd, const char *name, const struct stat *sb)
{
    if (w->depth == w->cap) {
        level *g = realloc(w->lv, (w->cap = w->cap * 2 + 8) * sizeof *g);
        if (!g)
            return -1;
        w->lv = g;
    }
    level *l = &w->lv[w->depth];
    memset(l, 0, sizeof *l);
    l->sb = *sb;
    if (!(l->name = strdup(name)) || read_names(fd, l) != 0) {
        int e = errno;
        level_free(l);
        errno = e;
        return -1;
    }
    w->depth++;
    if (w->fd >= 0)
        close(w->fd);
    w->fd = fd;
    return 0;
}

/* Open entry `name` of the current directory as a directory, if it is
 * still the one `sb` describes; -1 otherwise. */
static int open_child(walk *w, const char *name, const struct stat *sb)
{
    int fd = openat(w->fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
                    O_CLOEXEC);
    struct stat now;
    if (fd >= 0 && (fstat(fd, &now) != 0 || now.st_dev != sb->st_dev ||
                    now.st_ino != sb->st_ino)) {
        close(fd);
        errno = ESTALE;
        return -1;
    }
    return fd;
}

/* Back to the parent of the current level; the finished directory is
 * then handed to ops->dir. -1 when the parent is not where it was. */
static int pop(walk *w, const wb_tree_ops *ops)
{
    level *done = &w->lv[w->depth - 1];
    level *up = &w->lv[w->depth - 2];
    int fd = openat(w->fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) != 0 || sb.st_dev != up->sb.st_dev ||
        sb.st_ino != up->sb.st_ino) {
        int e = fd < 0 ? errno : ESTALE;
        if (fd >= 0)
            close(fd);
        errno = e;
        return -1;
    }
    close(w->fd);
    w->fd = fd;
    if (ops->dir && ops->dir(ops->user, fd, done->name, &done->sb) != 0)
        note(w, errno);
    level_free(done);
    w->depth--;
    return 0;
}

/* One entry of the current directory: a leaf, or a directory to enter. */
static void visit(walk *w, const wb_tree_ops *ops, char *name)
{
    struct stat sb;
    if (fstatat(w->fd, name, &sb, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno != ENOENT)
            note(w, errno);
    } else if (!S_ISDIR(sb.st_mode)) {
        if (ops->leaf && ops->leaf(ops->user, w->fd, name, &sb) != 0)
            note(w, errno);
    } else if (sb.st_dev != w->lv[0].sb.st_dev) {
        note(w, EXDEV);                /* a mount point: not ours */
    } else {
        int fd = open_child(w, name, &sb);
        if (fd < 0 || push(w, fd, name, &sb) != 0) {
            note(w, errno);
            if (fd >= 0 && w->fd != fd)
                close(fd);
        }
    }
    free(name);
}

int wb_tree_walk(int dfd, const char *name, const wb_tree_ops *ops)
{
    walk w = { .fd = -1 };
    int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
                    O_CLOEXEC);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) != 0 || push(&w, fd, name, &sb) != 0) {
        int e = errno;
        if (fd >= 0 && w.fd != fd)
            close(fd);
        free(w.lv);
        errno = e;
        return -1;
    }
    bool lost = false;
    while (w.depth > 0 && !lost) {
        level *l = &w.lv[w.depth - 1];
        if (l->i < l->n)
            visit(&w, ops, l->names[l->i++]);
        else if (w.depth == 1)
            break;
        else if (pop(&w, ops) != 0) {
            note(&w, errno);
            lost = true;
        }
    }
    while (w.depth > 0)
        level_free(&w.lv[--w.depth]);
    free(w.lv);
    if (w.fd >= 0)
        close(w.fd);
    errno = w.err;
    return w.err ? -1 : 0;
}

/* ---- deleting ---------------------------------------------------------- */

static int rm_leaf(void *u, int dfd, const char *name, const struct stat *sb)
{
    (void)u; (void)sb;
    return unlinkat(dfd, name, 0) == 0 || errno == ENOENT ? 0 : -1;
}

static int rm_dir(void *u, int dfd, const char *name, const struct stat *sb)
{
    (void)u; (void)sb;
    return unlinkat(dfd, name, AT_REMOVEDIR) == 0 || errno == ENOENT ? 0
                                                                     : -1;
}

int wb_tree_rm(int dfd, const char *name)
{
    static const wb_tree_ops ops = { rm_leaf, rm_dir, NULL };
    struct stat sb;
    if (fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) != 0)
        return errno == ENOENT ? 0 : -1;
    if (!S_ISDIR(sb.st_mode))
        return rm_leaf(NULL, dfd, name, &sb);
    int rc = wb_tree_walk(dfd, name, &ops);
    int e = errno;
    if (rm_dir(NULL, dfd, name, &sb) != 0) {
        /* the first failure says more than "not empty" */
        if (!rc)
            e = errno;
        rc = -1;
    }
    errno = e;
    return rc;
}
