/* wasi-compat.h: force-included (-include) when building SQLite for
 * wasm32-wasi. wasi-libc lacks POSIX record locks and ownership calls:
 * the lock constants are those SQLite's "unix" VFS passes to the fcntl
 * that sqlite/wb_locks.c puts in its place (a guest is one process, so
 * its own locks never conflict); ownership and modes do not exist. */
#ifndef WASMBOX_WASI_COMPAT_H
#define WASMBOX_WASI_COMPAT_H
#include <errno.h>
#include <fcntl.h>
#include <sys/types.h>
#ifndef F_RDLCK
#define F_RDLCK 0
#define F_WRLCK 1
#define F_UNLCK 2
#endif
#ifndef F_GETLK
#define F_GETLK 5
#define F_SETLK 6
#define F_SETLKW 7
#endif
static inline int wb_fchmod(int fd, mode_t m) { (void)fd; (void)m; return 0; }
static inline int wb_fchown(int fd, uid_t u, gid_t g) { (void)fd; (void)u; (void)g; return 0; }
static inline uid_t wb_geteuid(void) { return 0; }
#define fchmod wb_fchmod
#define fchown wb_fchown
#define geteuid wb_geteuid
#endif
