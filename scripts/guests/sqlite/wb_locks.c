/* wb_locks.c: SQLite's file locking inside one wasmbox guest.
 *
 * SQLite's "unix" VFS keeps, per open file identity (st_dev, st_ino), a
 * table of the locks its connections in this process hold (its
 * unixInodeInfo: SHARED counts, RESERVED, PENDING, EXCLUSIVE), and asks
 * fcntl(F_SETLK) only about other processes. WASI has no such call
 * (wasi-libc's fcntl refuses it), which is why the guests used the
 * "unix-none" VFS and two connections could write one file at once.
 *
 * A guest is a single process, and POSIX record locks never conflict
 * with the locks of their own process: so its answers are "granted"
 * (F_SETLK) and "nothing in the way" (F_GETLK). With them the "unix" VFS
 * works as on a host: a second writer gets SQLITE_BUSY. What this cannot
 * see is another process: another wasmbox run, or a host program, using
 * the same file through a --dir grant (README.md, scripts/guests).
 *
 * Installed by sqlite3_initialize() through SQLITE_EXTRA_INIT (common.sh
 * builds sqlite3.c with -DSQLITE_EXTRA_INIT=wb_sqlite_locks_init). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include "sqlite3.h"

static int wb_fcntl(int fd, int op, ...)
{
    va_list ap;
    va_start(ap, op);
    void *arg = va_arg(ap, void *);   /* SQLite always passes three */
    va_end(ap);
    struct flock *l = arg;
    switch (op) {
    case F_SETLK:
    case F_SETLKW:
    case F_GETLK:
        if (!l || (l->l_type != F_RDLCK && l->l_type != F_WRLCK &&
                   l->l_type != F_UNLCK)) {
            errno = EINVAL;
            return -1;
        }
        if (fcntl(fd, F_GETFL) < 0)   /* EBADF as fcntl would */
            return -1;
        if (op == F_GETLK)
            l->l_type = F_UNLCK;
        return 0;
    default:
        return fcntl(fd, op, (int)(intptr_t)arg);
    }
}

int wb_sqlite_locks_init(const char *unused)
{
    (void)unused;
    sqlite3_vfs *vfs = sqlite3_vfs_find("unix");
    if (!vfs || vfs->iVersion < 3 || !vfs->xSetSystemCall)
        return SQLITE_ERROR;
    return vfs->xSetSystemCall(vfs, "fcntl", (sqlite3_syscall_ptr)wb_fcntl);
}
