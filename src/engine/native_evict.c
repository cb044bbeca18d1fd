/*
 * native_evict.c: keeps the native code cache under a size cap by
 * removing the least recently used files (docs/native-tier.md, "The code
 * cache").
 *
 * A use is recorded beside the file, as the modification time of
 * <file>.used (touched on every cache hit): touching the code file itself
 * would change its ctime, and with it the identity its stamp records
 * (native_stamp.c), so every load would check the whole file again. A
 * file's last use is the later of its own mtime (when it was written) and
 * its .used file's.
 *
 * After a file is stored, its directory is trimmed: the files (*.wbn,
 * counted by length) are added up and, while the sum is above the cap,
 * the least recently used are unlinked, never the one just written.
 * Concurrent processes are safe: unlinking a file that another process
 * has open or mapped leaves its code in place for it (the inode lives
 * until its last user is gone), writers only ever rename whole files in,
 * and a file replaced between the scan and the unlink (its inode
 * changed) is skipped; one process trims at a time (an flock on
 * .trim.lock), another that finds it busy leaves the work to it. The
 * worst a race can do is remove a file that was just used, which costs
 * its next run a compilation.
 */
#include "native.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct ev_file {
    char *name;
    uint64_t size;
    int64_t used;               /* ns since the epoch */
    dev_t dev;
    ino_t ino;
} ev_file;

static int64_t ns_of(const struct timespec *t)
{
    return (int64_t)t->tv_sec * 1000000000 + t->tv_nsec;
}

static bool ends_with(const char *s, const char *suf)
{
    size_t n = strlen(s), k = strlen(suf);
    return n >= k && !strcmp(s + n - k, suf);
}

uint64_t wb_native_cache_cap(void)
{
    const char *s = getenv("WASMBOX_NATIVE_CACHE_MAX");
    if (!s || !*s)
        return WB_NCACHE_DEFAULT_MAX;
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    static const struct { const char *suf; unsigned shift; } units[] = {
        { "", 0 }, { "K", 10 }, { "KiB", 10 }, { "M", 20 }, { "MiB", 20 },
        { "G", 30 }, { "GiB", 30 }, { "T", 40 }, { "TiB", 40 },
    };
    if (errno || end == s || *s == '-')
        return WB_NCACHE_DEFAULT_MAX;
    for (size_t i = 0; i < sizeof units / sizeof *units; i++)
        if (!strcasecmp(end, units[i].suf))
            return v > (UINT64_MAX >> units[i].shift) ? UINT64_MAX
                                                      : v << units[i].shift;
    return WB_NCACHE_DEFAULT_MAX;
}

void wb_native_cache_touch(const char *path)
{
    char used[4400];
    int n = snprintf(used, sizeof used, "%s.used", path);
    if (n < 0 || (size_t)n >= sizeof used)
        return;
    if (utimensat(AT_FDCWD, used, NULL, AT_SYMLINK_NOFOLLOW) == 0 ||
        errno != ENOENT)
        return;
    int fd = open(used, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd >= 0)
        close(fd);
}

/* One *.wbn file of the directory into f; false to skip it. */
static bool scan_one(int dfd, const char *name, ev_file *f)
{
    struct stat sb, ub;
    char used[NAME_MAX + 8];
    if (!ends_with(name, ".wbn") || fstatat(dfd, name, &sb,
                                            AT_SYMLINK_NOFOLLOW) != 0 ||
        !S_ISREG(sb.st_mode))
        return false;
    f->name = strdup(name);
    f->size = (uint64_t)sb.st_size;
    f->used = ns_of(&sb.st_mtim);
    f->dev = sb.st_dev;
    f->ino = sb.st_ino;
    snprintf(used, sizeof used, "%s.used", name);
    if (fstatat(dfd, used, &ub, AT_SYMLINK_NOFOLLOW) == 0 &&
        ns_of(&ub.st_mtim) > f->used)
        f->used = ns_of(&ub.st_mtim);
    return f->name != NULL;
}

static wb_status scan(int dfd, ev_file **out, size_t *n, wb_error *err)
{
    int fd2 = dup(dfd);
    DIR *d = fd2 >= 0 ? fdopendir(fd2) : NULL;
    if (!d) {
        if (fd2 >= 0)
            close(fd2);
        return wb_err_set(err, WB_E_IO, "cache directory: %s",
                          strerror(errno));
    }
    size_t cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 64;
            ev_file *g = realloc(*out, cap * sizeof *g);
            if (!g)
                break;
            *out = g;
        }
        if (*n < cap && scan_one(dfd, e->d_name, &(*out)[*n]))
            (*n)++;
    }
    closedir(d);
    return WB_OK;
}

static int by_use(const void *a, const void *b)
{
    const ev_file *x = a, *y = b;
    return (x->used > y->used) - (x->used < y->used);
}

/* Unlinks f (and its .used) unless it was replaced since the scan. */
static bool evict(int dfd, const ev_file *f)
{
    struct stat sb;
    char used[NAME_MAX + 8];
    if (fstatat(dfd, f->name, &sb, AT_SYMLINK_NOFOLLOW) != 0 ||
        sb.st_dev != f->dev || sb.st_ino != f->ino ||
        unlinkat(dfd, f->name, 0) != 0)
        return false;
    snprintf(used, sizeof used, "%s.used", f->name);
    unlinkat(dfd, used, 0);
    return true;
}

wb_status wb_native_cache_trim(const char *dir, uint64_t cap,
                               const char *keep, unsigned *evicted,
                               wb_error *err)
{
    if (evicted)
        *evicted = 0;
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (dfd < 0)
        return wb_err_set(err, WB_E_IO, "%s: %s", dir, strerror(errno));
    int lk = openat(dfd, ".trim.lock", O_RDWR | O_CREAT | O_CLOEXEC |
                    O_NOFOLLOW, 0600);
    if (lk < 0 || flock(lk, LOCK_EX | LOCK_NB) != 0) {
        if (lk >= 0)
            close(lk);
        close(dfd);
        return WB_OK;               /* another process is trimming */
    }
    ev_file *fs = NULL;
    size_t n = 0;
    uint64_t total = 0;
    wb_status st = scan(dfd, &fs, &n, err);
    for (size_t i = 0; i < n; i++)
        total += fs[i].size;
    qsort(fs, n, sizeof *fs, by_use);
    for (size_t i = 0; i < n && total > cap; i++) {
        if (keep && !strcmp(fs[i].name, keep))
            continue;
        if (evict(dfd, &fs[i])) {
            total -= fs[i].size;
            if (evicted)
                (*evicted)++;
        }
    }
    for (size_t i = 0; i < n; i++)
        free(fs[i].name);
    free(fs);
    close(lk);
    close(dfd);
    return st;
}

void wb_native_cache_trim_after(const char *path)
{
    uint64_t cap = wb_native_cache_cap();
    const char *slash = strrchr(path, '/');
    char dir[4400];
    if (!cap || !slash || (size_t)(slash - path) >= sizeof dir)
        return;
    memcpy(dir, path, (size_t)(slash - path));
    dir[slash - path] = 0;
    wb_error err = { 0 };
    wb_native_cache_trim(dir[0] ? dir : "/", cap, slash + 1, NULL, &err);
}
