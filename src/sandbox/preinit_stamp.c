/* preinit_stamp.c: a record that a pre-initialized snapshot and its
 * module were checked whole, so that later starts need not read all of
 * them again (docs/snapshots.md, "Checked once").
 *
 * Checking a snapshot of python.wasm reads every byte of both files (the
 * memory images' checksum, the module's hash) and restores a scratch
 * instance (the contract), which was most of a start. Once that passed,
 * a stamp file in $XDG_CACHE_HOME/wasmbox/verified/ (the cache's
 * directories, checked as the native cache's are) records the two files'
 * identities: device, inode, size, mtime and ctime in nanoseconds, with
 * the wasmbox version and the contract's name. A later start whose files
 * have the same identities skips those checks; a file written since (in
 * place or replaced) has another ctime or inode, so it is checked whole
 * again, and a damaged one refused. Not covered: a change that bypasses
 * the file system (a disk that flips a bit under it). */
#include "sandbox/preinit.h"
#include "engine/native.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

static int ident(char *p, size_t cap, const struct stat *s)
{
    return snprintf(p, cap, "%llu:%llu:%lld:%lld.%09ld:%lld.%09ld",
                    (unsigned long long)s->st_dev,
                    (unsigned long long)s->st_ino, (long long)s->st_size,
                    (long long)s->st_mtim.tv_sec, s->st_mtim.tv_nsec,
                    (long long)s->st_ctim.tv_sec, s->st_ctim.tv_nsec);
}

bool wb_preinit_stamp_key(const struct stat *module, const struct stat *snap,
                          char *key, size_t cap)
{
    if (!module->st_ino || !snap->st_ino || !S_ISREG(snap->st_mode))
        return false;
    char a[160], b[160];
    ident(a, sizeof a, module);
    ident(b, sizeof b, snap);
    int n = snprintf(key, cap, "wasmbox %s %s module %s snapshot %s\n",
                     WB_VERSION, WB_PREINIT_SETUP, a, b);
    return n > 0 && (size_t)n < cap;
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

bool wb_preinit_stamped(const char *key)
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

void wb_preinit_stamp(const char *key)
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
