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
 * the file system (a disk that flips a bit under it). The stamps
 * themselves are the engine's (src/engine/native_stamp.c). */
#include "sandbox/preinit.h"
#include "engine/native.h"

#include <stdio.h>
#include <sys/stat.h>

bool wb_preinit_stamp_key(const struct stat *module, const struct stat *snap,
                          char *key, size_t cap)
{
    if (!module->st_ino || !snap->st_ino || !S_ISREG(snap->st_mode))
        return false;
    char a[160], b[160];
    wb_stamp_ident(a, sizeof a, module);
    wb_stamp_ident(b, sizeof b, snap);
    int n = snprintf(key, cap, "wasmbox %s %s module %s snapshot %s\n",
                     WB_VERSION, WB_PREINIT_SETUP, a, b);
    return n > 0 && (size_t)n < cap;
}
