/* wb_session_files.c: files in a session's workspace, from the host side.
 *
 * A path is relative to the workspace; "/work/x" (the guest's view) means
 * "x". Any other absolute path, "..", and every symlink component are
 * refused: each component is opened with O_NOFOLLOW relative to the fd of
 * its parent, so nothing the guest put in the workspace can redirect us
 * outside it. */
#include "session/wb_session.h"
#include "common/file.h"
#include "common/tree.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define WB_MAX_LIST 10000
#define WB_MAX_DEPTH 64

/* Lexical check; copies the workspace-relative path (maybe "") to out. */
wb_status wb_sess_rel_path(const char *path, char *out, size_t cap,
                          wb_error *err)
{
    if (!path)
        path = "";
    const char *p = path;
    if (p[0] == '/') {
        if (strncmp(p, "/work", 5) || (p[5] != '/' && p[5] != 0))
            return wb_err_set(err, WB_E_ARG, "path '%s' is outside the "
                              "workspace (use a relative path, or one "
                              "under /work)", path);
        p += 5;
    }
    while (*p == '/')
        p++;
    if (strlen(p) >= cap)
        return wb_err_set(err, WB_E_ARG, "path too long");
    size_t n = 0;
    for (const char *c = p; *c; ) {
        size_t k = strcspn(c, "/");
        if (k == 2 && c[0] == '.' && c[1] == '.')
            return wb_err_set(err, WB_E_ARG, "path '%s' is outside the "
                              "workspace ('..' is not allowed)", path);
        if (k && !(k == 1 && c[0] == '.')) {
            if (n)
                out[n++] = '/';
            memcpy(out + n, c, k);
            n += k;
        }
        c += k;
        while (*c == '/')
            c++;
    }
    out[n] = 0;
    return WB_OK;
}

static wb_status io_fail(wb_error *err, const char *path, int e)
{
    if (e == ELOOP || e == ENOTDIR)
        return wb_err_set(err, WB_E_ARG, "path '%s': a component is a "
                          "symlink or not a directory (symlinks are not "
                          "followed)", path);
    if (e == ENOENT)
        return wb_err_set(err, WB_E_NOT_FOUND, "path '%s': no such file or "
                          "directory", path);
    return wb_err_set(err, WB_E_IO, "path '%s': %s", path, strerror(e));
}

/* Open the directory holding the last component of rel (creating
 * directories when `create`); *last points at that component. */
static int open_parent(wb_session *s, char *rel, bool create,
                       const char **last)
{
    int fd = open(s->ws, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    char *c = rel;
    for (;;) {
        char *slash = strchr(c, '/');
        if (!slash || fd < 0)
            break;
        *slash = 0;
        if (create && mkdirat(fd, c, 0755) != 0 && errno != EEXIST) {
            close(fd);
            return -1;
        }
        int nfd = openat(fd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
                         O_CLOEXEC);
        int e = errno;
        close(fd);
        errno = e;
        *slash = '/';
        fd = nfd;
        c = slash + 1;
    }
    *last = c;
    return fd;
}

static int add_leaf(void *u, int dfd, const char *name, const struct stat *sb)
{
    (void)dfd; (void)name;
    uint64_t *total = u;
    *total += WB_SESS_ENTRY_COST + (S_ISREG(sb->st_mode) ?
                                    (uint64_t)sb->st_size : 0);
    return 0;
}

static int add_dir(void *u, int dfd, const char *name, const struct stat *sb)
{
    (void)dfd; (void)name; (void)sb;
    *(uint64_t *)u += WB_SESS_ENTRY_COST;
    return 0;
}

int wb_sess_tree_usage(const char *dir, uint64_t *bytes)
{
    *bytes = 0;
    wb_tree_ops ops = { add_leaf, add_dir, bytes };
    return wb_tree_walk(AT_FDCWD, dir, &ops);
}

uint64_t wb_sess_quota_left(wb_session *s)
{
    uint64_t used, quota = s->policy->budget.max_disk;
    if (wb_sess_tree_usage(s->ws, &used) != 0)
        return 0;
    return used < quota ? quota - used : 0;
}

/* What writing `len` bytes at rel adds to the workspace as the quota
 * counts it: the file (less the one it replaces) and each directory that
 * open_parent will create. */
static uint64_t put_cost(wb_session *s, const char *rel, size_t len,
                         uint64_t *freed)
{
    uint64_t cost = WB_SESS_ENTRY_COST + len;
    *freed = 0;
    int fd = open(s->ws, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    const char *c = rel;
    for (;;) {
        const char *slash = strchr(c, '/');
        char name[NAME_MAX + 1];
        size_t n = slash ? (size_t)(slash - c) : strlen(c);
        snprintf(name, sizeof name, "%.*s", (int)(n < NAME_MAX ? n : NAME_MAX),
                 c);
        if (!slash) {
            struct stat sb;
            if (fd >= 0 && fstatat(fd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
                S_ISREG(sb.st_mode))
                *freed = WB_SESS_ENTRY_COST + (uint64_t)sb.st_size;
            break;
        }
        int nfd = fd < 0 ? -1 : openat(fd, name, O_RDONLY | O_DIRECTORY |
                                       O_NOFOLLOW | O_CLOEXEC);
        if (fd >= 0)
            close(fd);
        fd = nfd;
        if (fd < 0)
            cost += WB_SESS_ENTRY_COST;       /* to be created */
        c = slash + 1;
    }
    if (fd >= 0)
        close(fd);
    return cost;
}

/* Refuse a write that would take the workspace past its quota. */
static wb_status check_quota(wb_session *s, const char *path, const char *rel,
                             size_t len, wb_error *err)
{
    uint64_t quota = s->policy->budget.max_disk, used, freed;
    if (wb_sess_tree_usage(s->ws, &used) != 0)
        return wb_err_set(err, WB_E_IO, "cannot measure the workspace: %s",
                          strerror(errno));
    uint64_t cost = put_cost(s, rel, len, &freed);
    uint64_t after = used - (freed < used ? freed : used) + cost;
    if (after <= quota && cost >= len)
        return WB_OK;
    return wb_err_set(err, WB_E_LIMIT, "writing %zu bytes to '%s' would "
                      "take the workspace to %llu bytes, over its quota of "
                      "%llu bytes (budget.disk; each file and directory "
                      "also counts %u bytes); it holds %llu", len, path,
                      (unsigned long long)after, (unsigned long long)quota,
                      WB_SESS_ENTRY_COST, (unsigned long long)used);
}

wb_status wb_session_put_file(wb_session *s, const char *path,
                              const uint8_t *data, size_t len, wb_error *err)
{
    char rel[PATH_MAX];
    const char *last;
    wb_status st = wb_sess_rel_path(path, rel, sizeof rel, err);
    if (st)
        return st;
    if (!*rel)
        return wb_err_set(err, WB_E_ARG, "path '%s' names the workspace "
                          "itself, not a file", path);
    /* s->mu: a step of another thread cannot fill the quota meanwhile */
    pthread_mutex_lock(&s->mu);
    if ((st = check_quota(s, path, rel, len, err))) {
        pthread_mutex_unlock(&s->mu);
        return st;
    }
    int dfd = open_parent(s, rel, true, &last);
    if (dfd < 0) {
        pthread_mutex_unlock(&s->mu);
        return io_fail(err, path, errno);
    }
    struct stat sb;
    if (fstatat(dfd, last, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
        !S_ISREG(sb.st_mode)) {
        close(dfd);
        pthread_mutex_unlock(&s->mu);
        return wb_err_set(err, WB_E_ARG, "path '%s' exists and is not a "
                          "regular file", path);
    }
    int rc = wb_sess_write_fenced(s, dfd, last, data, len);
    int e = errno;
    close(dfd);
    pthread_mutex_unlock(&s->mu);
    if (rc && e == ENOLCK)
        return wb_sess_fenced(s, err);
    return rc ? io_fail(err, path, e) : WB_OK;
}

wb_status wb_session_get_file(wb_session *s, const char *path, uint64_t max,
                              uint8_t **data, size_t *len, wb_error *err)
{
    char rel[PATH_MAX];
    const char *last;
    *data = NULL;
    *len = 0;
    wb_status st = wb_sess_rel_path(path, rel, sizeof rel, err);
    if (st)
        return st;
    if (!*rel)
        return wb_err_set(err, WB_E_ARG, "path '%s' is a directory", path);
    int dfd = open_parent(s, rel, false, &last);
    if (dfd < 0)
        return io_fail(err, path, errno);
    int fd = openat(dfd, last, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
                    O_NONBLOCK);
    int e = errno;
    close(dfd);
    if (fd < 0)
        return io_fail(err, path, e);
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return wb_err_set(err, WB_E_ARG, "path '%s' is not a regular file",
                          path);
    }
    uint8_t *buf = NULL;
    size_t n = 0;
    int e2 = (uint64_t)sb.st_size > max ? EFBIG
             : wb_file_read_fd(fd, max > SIZE_MAX ? SIZE_MAX : (size_t)max,
                               &buf, &n);
    close(fd);
    if (e2 == EFBIG)
        return wb_err_set(err, WB_E_LIMIT, "file '%s' has %llu bytes, more "
                          "than the %llu allowed", path,
                          (unsigned long long)sb.st_size,
                          (unsigned long long)max);
    if (e2)
        return io_fail(err, path, e2);
    *data = buf;
    *len = n;
    return WB_OK;
}

typedef struct lister {
    wb_file_entry *e;
    size_t n, cap;
} lister;

static int add(lister *l, const char *path, uint64_t size, bool dir)
{
    if (l->n >= WB_MAX_LIST)
        return 0;
    if (l->n == l->cap) {
        wb_file_entry *g = realloc(l->e, (l->cap = l->cap * 2 + 16) *
                                   sizeof *g);
        if (!g)
            return -1;
        l->e = g;
    }
    wb_file_entry *e = &l->e[l->n];
    if (!(e->path = strdup(path)))
        return -1;
    e->size = size;
    e->is_dir = dir;
    l->n++;
    return 0;
}

static int walk(lister *l, int fd, const char *prefix, int depth)
{
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return -1;
    }
    struct dirent *de;
    int rc = 0;
    while (!rc && (de = readdir(d))) {
        const char *nm = de->d_name;
        if (!strcmp(nm, ".") || !strcmp(nm, "..") || !strncmp(nm, ".wbtmp-", 7))
            continue;
        struct stat sb;
        if (fstatat(dirfd(d), nm, &sb, AT_SYMLINK_NOFOLLOW) != 0)
            continue;
        char p[PATH_MAX];
        snprintf(p, sizeof p, "%s%s%s", prefix, *prefix ? "/" : "", nm);
        bool dir = S_ISDIR(sb.st_mode);
        rc = add(l, p, dir ? 0 : (uint64_t)sb.st_size, dir);
        if (!rc && dir && depth < WB_MAX_DEPTH) {
            int sub = openat(dirfd(d), nm, O_RDONLY | O_DIRECTORY |
                             O_NOFOLLOW | O_CLOEXEC);
            if (sub >= 0)
                rc = walk(l, sub, p, depth + 1);
        }
    }
    closedir(d);
    return rc;
}

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const wb_file_entry *)a)->path,
                  ((const wb_file_entry *)b)->path);
}

wb_status wb_session_list_files(wb_session *s, const char *dir,
                                wb_file_entry **out, size_t *n,
                                wb_error *err)
{
    char rel[PATH_MAX], full[PATH_MAX + 2];
    *out = NULL;
    *n = 0;
    wb_status st = wb_sess_rel_path(dir, rel, sizeof rel, err);
    if (st)
        return st;
    int fd;
    if (*rel) {
        snprintf(full, sizeof full, "%s/.", rel);     /* last = "." */
        const char *last;
        int pfd = open_parent(s, full, false, &last);
        if (pfd < 0)
            return io_fail(err, dir, errno);
        fd = pfd;
    } else {
        fd = open(s->ws, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            return io_fail(err, "/work", errno);
    }
    lister l = { 0 };
    if (walk(&l, fd, rel, 0) != 0) {
        wb_file_entries_free(l.e, l.n);
        return wb_err_set(err, WB_E_IO, "cannot list '%s'", dir ? dir : "");
    }
    if (l.n)             /* an empty workspace: l.e is NULL, qsort's UB */
        qsort(l.e, l.n, sizeof *l.e, cmp_entry);
    *out = l.e;
    *n = l.n;
    return WB_OK;
}

void wb_file_entries_free(wb_file_entry *e, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(e[i].path);
    free(e);
}
