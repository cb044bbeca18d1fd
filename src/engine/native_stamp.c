/* native_stamp.c: stamps, records that a file was checked whole, so that
 * later starts need not read all of it again: a cache file of native
 * code (native_cache.c) or a pre-initialized snapshot and its module
 * (src/sandbox/preinit_stamp.c; docs/snapshots.md, "Checked once").
 *
 * A stamp is a file in $XDG_CACHE_HOME/wasmbox/verified/ (the cache's
 * directories, checked as the native cache's are), named by a hash of
 * its key and holding the key: what was checked and the identities of
 * the files (device, inode, size, mtime and ctime in nanoseconds). A
 * file written since (in place or replaced) has another ctime or inode,
 * so its key differs and it is checked whole again. Not covered: a
 * change that bypasses the file system (a disk that flips a bit). */
#include "native.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

int wb_stamp_ident(char *p, size_t cap, const struct stat *s)
{
    return snprintf(p, cap, "%llu:%llu:%lld:%lld.%09ld:%lld.%09ld",
                    (unsigned long long)s->st_dev,
                    (unsigned long long)s->st_ino, (long long)s->st_size,
                    (long long)s->st_mtim.tv_sec, s->st_mtim.tv_nsec,
                    (long long)s->st_ctim.tv_sec, s->st_ctim.tv_nsec);
}

/* The stamp file of `key` (the directories made when `create`). */
static bool stamp_path(const char *key, bool create, char *path, size_t cap)
{
    char dir[4300];
    wb_error e;
    if (wb_cache_dir("verified", create, dir, sizeof dir, &e) != WB_OK)
        return false;
    XXH128_hash_t h = XXH3_128bits(key, strlen(key));
    int n = snprintf(path, cap, "%s/%016llx%016llx", dir,
                     (unsigned long long)h.high64,
                     (unsigned long long)h.low64);
    return n > 0 && (size_t)n < cap;
}

bool wb_cache_stamped(const char *key)
{
    char path[4400], buf[600];
    if (!stamp_path(key, false, path, sizeof path))
        return false;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return false;
    struct stat sb;
    size_t len = strlen(key);
    bool ok = fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) &&
              sb.st_uid == geteuid() && !(sb.st_mode & 022) &&
              len < sizeof buf && pread(fd, buf, sizeof buf, 0) == (ssize_t)len &&
              !memcmp(buf, key, len);
    close(fd);
    return ok;
}

void wb_cache_stamp(const char *key)
{
    char path[4400], tmp[4500];
    if (!stamp_path(key, true, path, sizeof path))
        return;
    snprintf(tmp, sizeof tmp, "%s.%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
                  0600);
    if (fd < 0)
        return;
    size_t len = strlen(key);
    bool ok = write(fd, key, len) == (ssize_t)len;
    ok = close(fd) == 0 && ok;
    if (!ok || rename(tmp, path) != 0)
        unlink(tmp);
}
