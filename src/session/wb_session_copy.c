/* wb_session_copy.c: a copy of a workspace tree for a forked session
 * (wb_sess_copy_tree, wb_session.h).
 *
 * The source is a tree a guest wrote, so it may hold anything a guest can
 * make: symlinks to anywhere, FIFOs, deep nesting, names swapped while we
 * walk. Nothing is ever followed: every name is opened relative to its
 * directory's fd with O_NOFOLLOW, a directory is entered only through
 * O_DIRECTORY | O_NOFOLLOW and only on the tree's own filesystem, a file
 * is read only when the fd we opened is a regular file (O_NONBLOCK, so a
 * FIFO put in its place cannot block us). A symlink is copied as a link
 * (its target text, never resolved here: in the fork the guest's WASI
 * layer resolves it beneath the grant, as in the parent); FIFOs, sockets
 * and devices are skipped. A file's bytes are shared with the filesystem's
 * copy-on-write clone (FICLONE) where it has one, else copied in the
 * kernel (copy_file_range), else read and written.
 *
 * The copy stops (EDQUOT) once what it made passes a limit, counted as
 * the disk quota counts a workspace (each name, and a regular file's
 * size, wb_sess_tree_usage): a guest's step charges a hard link as one
 * new name, so a workspace within its quota can name one large file a
 * thousand times, and a copy that wrote each name in full before the
 * fork's budget was checked would write a thousand times the budget to
 * the host's disk. The first failure ends the walk. */
#include "session/wb_session.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/fs.h>
#include <unistd.h>

/* deeper trees are refused (each level holds three fds open) */
#define COPY_MAX_DEPTH 64

typedef struct copy_ctx {
    dev_t dev;
    wb_copy_stats *stats;
    uint64_t limit, used;             /* as the disk quota counts them */
    int err;                          /* first failure's errno */
    char where[256];
} copy_ctx;

static void fail(copy_ctx *c, const char *name)
{
    if (!c->err) {
        c->err = errno ? errno : EIO;
        snprintf(c->where, sizeof c->where, "%.200s", name);
    }
}

/* All of `in` into `out` (both at offset 0) without FICLONE. */
static int copy_bytes(int in, int out)
{
    for (;;) {
        ssize_t n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);
        if (n == 0)
            return 0;
        if (n > 0)
            continue;
        if (errno == EINTR)
            continue;
        if (errno != EXDEV && errno != EINVAL && errno != ENOSYS &&
            errno != EOPNOTSUPP)
            return -1;
        break;                        /* no kernel copy here: by hand */
    }
    char buf[65536];
    for (;;) {
        ssize_t n = read(in, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return (int)n;
        for (ssize_t off = 0; off < n; ) {
            ssize_t w = write(out, buf + off, (size_t)(n - off));
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                return -1;
            off += w;
        }
    }
}

int wb_sess_copy_fd(int in, int ddfd, const char *dname, bool *cloned)
{
    struct stat sb;
    if (fstat(in, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        errno = EINVAL;
        return -1;
    }
    int out = openat(ddfd, dname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
                     O_CLOEXEC, sb.st_mode & 0777);
    if (out < 0)
        return -1;
    int rc = 0;
    *cloned = ioctl(out, FICLONE, in) == 0;
    if (!*cloned && lseek(in, 0, SEEK_SET) != 0)
        rc = -1;
    if (!*cloned && !rc)
        rc = copy_bytes(in, out);
    int e = errno;
    if (close(out) != 0 && !rc) {
        rc = -1;
        e = errno;
    }
    if (rc)
        unlinkat(ddfd, dname, 0);
    errno = e;
    return rc;
}

int wb_sess_copy_file(int sdfd, const char *sname, int ddfd,
                      const char *dname, bool *cloned)
{
    int in = openat(sdfd, sname, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
                    O_CLOEXEC | O_NOCTTY);
    if (in < 0)
        return -1;
    int rc = wb_sess_copy_fd(in, ddfd, dname, cloned);
    int e = errno;
    close(in);
    errno = e;
    return rc;
}

static void copy_dir(copy_ctx *c, int sfd, int dfd, int depth);

/* Count n more bytes against the limit; false (EDQUOT noted at name)
 * past it. */
static bool charge(copy_ctx *c, uint64_t n, const char *name)
{
    if (c->used + n < n || c->used + n > c->limit) {
        errno = EDQUOT;
        fail(c, name);
        return false;
    }
    c->used += n;
    return true;
}

static void copy_link(copy_ctx *c, int sfd, int dfd, const char *name)
{
    char target[PATH_MAX];
    ssize_t n = readlinkat(sfd, name, target, sizeof target - 1);
    if (n < 0) {
        fail(c, name);
        return;
    }
    target[n] = 0;
    if (!charge(c, WB_SESS_ENTRY_COST, name))
        return;
    if (symlinkat(target, dfd, name) != 0)
        fail(c, name);
    else
        c->stats->links++;
}

static void copy_subdir(copy_ctx *c, int sfd, int dfd, const char *name,
                        const struct stat *sb, int depth)
{
    if (sb->st_dev != c->dev) {       /* a mount below: not entered */
        c->stats->skipped++;
        return;
    }
    if (depth >= COPY_MAX_DEPTH) {
        errno = ELOOP;
        fail(c, name);
        return;
    }
    if (!charge(c, WB_SESS_ENTRY_COST, name))
        return;
    if (mkdirat(dfd, name, (sb->st_mode & 0777) | 0700) != 0) {
        fail(c, name);
        return;
    }
    int s2 = openat(sfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
                    O_CLOEXEC);
    int d2 = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
                    O_CLOEXEC);
    if (s2 < 0 || d2 < 0)
        fail(c, name);
    else
        copy_dir(c, s2, d2, depth + 1);
    if (s2 >= 0)
        close(s2);
    if (d2 >= 0)
        close(d2);
    c->stats->dirs++;
}

static void copy_entry(copy_ctx *c, int sfd, int dfd, const char *name,
                       int depth)
{
    struct stat sb;
    bool cloned = false;
    if (fstatat(sfd, name, &sb, AT_SYMLINK_NOFOLLOW) != 0) {
        fail(c, name);
    } else if (S_ISDIR(sb.st_mode)) {
        copy_subdir(c, sfd, dfd, name, &sb, depth);
    } else if (S_ISLNK(sb.st_mode)) {
        copy_link(c, sfd, dfd, name);
    } else if (!S_ISREG(sb.st_mode)) {
        c->stats->skipped++;          /* FIFOs, sockets, devices */
    } else if (!charge(c, WB_SESS_ENTRY_COST + (uint64_t)sb.st_size,
                       name)) {
        return;
    } else if (wb_sess_copy_file(sfd, name, dfd, name, &cloned) != 0) {
        fail(c, name);
    } else {
        c->stats->files++;
        c->stats->bytes += (uint64_t)sb.st_size;
        c->stats->cloned += cloned;
    }
}

static void copy_dir(copy_ctx *c, int sfd, int dfd, int depth)
{
    int fd = dup(sfd);
    DIR *d = fd < 0 ? NULL : fdopendir(fd);
    if (!d) {
        if (fd >= 0)
            close(fd);
        fail(c, ".");
        return;
    }
    struct dirent *de;
    while (!c->err && (de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            copy_entry(c, sfd, dfd, de->d_name, depth);
    closedir(d);
}

int wb_sess_copy_tree(int sfd, int dfd, uint64_t limit, wb_copy_stats *stats,
                      char *where, size_t cap)
{
    struct stat sb;
    copy_ctx c = { .stats = stats, .limit = limit };
    memset(stats, 0, sizeof *stats);
    if (fstat(sfd, &sb) != 0)
        return -1;
    c.dev = sb.st_dev;
    copy_dir(&c, sfd, dfd, 0);
    if (where)
        snprintf(where, cap, "%s", c.where);
    errno = c.err;
    return c.err ? -1 : 0;
}
