/*
 * native_cache.c: the native tier's code cache.
 *
 * Files live in $XDG_CACHE_HOME/wasmbox/native/ (~/.cache/wasmbox/native/
 * without it), one per module and configuration:
 *   <XXH3-128 of the module, 32 hex digits>-<key, 16 hex digits>.wbn
 * where the key hashes what the code depends on besides the module
 * (wasmbox version and build, native ABI, LLVM version, architecture, CPU
 * features). The file's header says the same again and is checked on
 * load (native_file.c), so a renamed or copied file is refused too. The
 * checksum of a file's body is checked at its first load only: a stamp
 * (native_stamp.c) records that the file, by its identity, passed.
 *
 * Native code runs with the rights of the process, so the cache is
 * trusted: its two directories (wasmbox/ and native/) must be ours and
 * not writable by group or others, and so must each file (opened without
 * following a symbolic link); the directory above them must be ours or
 * root's and, if others can write it, sticky. Anything else is refused
 * with one line and the run goes on without the cache.
 */
#include "native.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

static uint64_t config_key(void)
{
    char k[256];
    int n = snprintf(k, sizeof k, "%s|%u|%s|%u|%016llx",
                     wb_native_build_version(),
                     wb_native_abi_tag(), wb_native_llvm_version(),
                     wb_native_arch(),
                     (unsigned long long)wb_native_cpu_key());
    return XXH3_64bits(k, (size_t)n);
}

static wb_status dir_refused(wb_error *err, const char *dir, const char *why,
                             unsigned mode)
{
    return wb_err_set(err, WB_E_INVALID, "%s: %s (mode %04o)", dir, why,
                      mode & 07777);
}

/* A directory of the cache. The base ($XDG_CACHE_HOME or ~/.cache):
 * ours or root's, and sticky if others may write it. The cache's own
 * (`own`): ours, not a symbolic link, and writable by us alone. */
static wb_status check_dir(const char *dir, bool own, bool create,
                           wb_error *err)
{
    struct stat sb;
    int (*st)(const char *, struct stat *) = own ? lstat : stat;
    int rc = st(dir, &sb);              /* once, unless it is made now */
    if (rc != 0 && errno == ENOENT && create) {
        mkdir(dir, 0700);
        rc = st(dir, &sb);
    }
    if (rc != 0)
        return wb_err_set(err, WB_E_NOT_FOUND, "%s: %s", dir, strerror(errno));
    if (!S_ISDIR(sb.st_mode))
        return dir_refused(err, dir, "not a directory", sb.st_mode);
    if (sb.st_uid != geteuid() && (own || sb.st_uid != 0))
        return dir_refused(err, dir, "owned by another user", sb.st_mode);
    if ((sb.st_mode & 022) && (own || !(sb.st_mode & S_ISVTX)))
        return dir_refused(err, dir, "writable by other users", sb.st_mode);
    return WB_OK;
}

wb_status wb_cache_dir(const char *sub, bool create, char *dir, size_t cap,
                       wb_error *err)
{
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    char base[4096];
    if (xdg && xdg[0] == '/')
        snprintf(base, sizeof base, "%s", xdg);
    else if (home && home[0] == '/')
        snprintf(base, sizeof base, "%s/.cache", home);
    else
        return wb_err_set(err, WB_E_NOT_FOUND, "no cache directory (neither "
                          "XDG_CACHE_HOME nor HOME is set)");
    char own[4200];
    snprintf(own, sizeof own, "%s/wasmbox", base);
    int n = snprintf(dir, cap, "%s/%s", own, sub);
    if (n < 0 || (size_t)n >= cap)
        return wb_err_set(err, WB_E_NOT_FOUND, "%s: path too long", own);
    wb_status st = check_dir(base, false, create, err);
    if (st == WB_OK)
        st = check_dir(own, true, create, err);
    if (st == WB_OK)
        st = check_dir(dir, true, create, err);
    return st;
}

wb_status wb_native_cache_path(const wb_module *m, bool create, char *path,
                               size_t cap, wb_error *err)
{
    char dir[4300];
    wb_status st = wb_cache_dir("native", create, dir, sizeof dir, err);
    if (st != WB_OK)
        return st;
    uint64_t h[2];
    wb_module_hash128(m, h);
    int n = snprintf(path, cap, "%s/%016llx%016llx-%016llx.wbn", dir,
                     (unsigned long long)h[1], (unsigned long long)h[0],
                     (unsigned long long)config_key());
    if (n < 0 || (size_t)n >= cap)
        return wb_err_set(err, WB_E_NOT_FOUND, "%s: path too long", dir);
    return WB_OK;
}

/* Loads the cache file at fd (its status `sb`): its body's checksum,
 * which reads all of it (8 MiB for CPython), only when no stamp says this
 * file was checked whole already (native_stamp.c); a file that passed
 * and did not change meanwhile is stamped. */
static wb_status load_stamped(wb_module *m, int fd, const struct stat *sb,
                              wb_error *err)
{
    char key[400], id[160];
    struct stat after;
    wb_stamp_ident(id, sizeof id, sb);
    int n = snprintf(key, sizeof key, "wasmbox native %s %s\n",
                     wb_native_build_version(), id);
    bool keyed = n > 0 && (size_t)n < sizeof key;
    bool checked = keyed && wb_cache_stamped(key);
    wb_status st = wb_native_load_fd_checked(m, fd, checked, err);
    if (st == WB_OK && keyed && !checked && fstat(fd, &after) == 0 &&
        !memcmp(&sb->st_ctim, &after.st_ctim, sizeof after.st_ctim))
        wb_cache_stamp(key);
    return st;
}

wb_ncache_result wb_native_cache_load(wb_module *m, char *path, size_t cap,
                                      wb_error *err)
{
    wb_status st = wb_native_cache_path(m, false, path, cap, err);
    if (st != WB_OK && cap)
        path[0] = 0;            /* the message names the directory */
    if (st == WB_E_NOT_FOUND)
        return WB_NCACHE_MISS;
    if (st != WB_OK)
        return WB_NCACHE_REFUSED;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 && errno == ENOENT)
        return WB_NCACHE_MISS;
    if (fd < 0) {
        wb_err_set(err, WB_E_INVALID, "%s", strerror(errno));
        return WB_NCACHE_REFUSED;
    }
    struct stat sb = { 0 };
    if (fstat(fd, &sb) != 0 || sb.st_uid != geteuid() || (sb.st_mode & 022)) {
        wb_err_set(err, WB_E_INVALID, "owned or writable by another user "
                   "(mode %04o)", (unsigned)sb.st_mode & 07777);
        close(fd);
        return WB_NCACHE_REFUSED;
    }
    st = load_stamped(m, fd, &sb, err);
    close(fd);
    if (st == WB_OK)
        wb_native_cache_touch(path);
    return st == WB_OK ? WB_NCACHE_HIT : WB_NCACHE_REFUSED;
}

wb_status wb_native_cache_store(const wb_module *m, const wb_native_image *img,
                                wb_error *err)
{
    char path[4400];
    wb_status st = wb_native_cache_path(m, true, path, sizeof path, err);
    if (st == WB_OK)
        st = wb_native_write_file(m, img, path, 0600, err);
    if (st == WB_OK)
        wb_native_cache_trim_after(path);
    return st;
}
