/* wasi-compat.h: force-included (-include) when building SQLite for
 * wasm32-wasi. wasi-libc lacks POSIX advisory locks and ownership calls;
 * SQLite is built to use its "unix-none" VFS (no file locking: a sandboxed
 * guest is the only process touching its files), so these are only
 * needed to compile and are never reached for locking. */
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
