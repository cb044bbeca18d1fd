/* fd.c: pipe, dup and fcntl over wasmbox_proc's fd-table calls. The
 * host keeps the close-on-exec flags but has no getter, so the library
 * notes what it set (forked children copy the note with the memory; an
 * exec starts with every flag clear, as the host does). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <wasi/api.h>
#include "wb_proc.h"
#include "imports.h"

#define CLOEXEC_MAX 1024
static uint8_t cloexec_bits[CLOEXEC_MAX / 8];

int wb_proc_cloexec_get(int fd)
{
    return fd >= 0 && fd < CLOEXEC_MAX &&
           (cloexec_bits[fd / 8] >> (fd % 8) & 1);
}

void wb_proc_cloexec_note(int fd, int on)
{
    if (fd < 0 || fd >= CLOEXEC_MAX)
        return;
    if (on)
        cloexec_bits[fd / 8] |= (uint8_t)(1u << (fd % 8));
    else
        cloexec_bits[fd / 8] &= (uint8_t)~(1u << (fd % 8));
}

static int set_cloexec(int fd, int on)
{
    int e = wb_host_cloexec(fd, on);
    if (!e)
        wb_proc_cloexec_note(fd, on);
    return wb_proc_fail(e);
}

static int set_nonblock(int fd)
{
    __wasi_fdstat_t st;
    int e = __wasi_fd_fdstat_get(fd, &st);
    if (!e)
        e = __wasi_fd_fdstat_set_flags(fd, st.fs_flags | __WASI_FDFLAGS_NONBLOCK);
    return wb_proc_fail(e);
}

int pipe(int fds[2])
{
    int32_t out[2];
    int e = wb_host_pipe(out);
    if (e)
        return wb_proc_fail(e);
    fds[0] = out[0];
    fds[1] = out[1];
    wb_proc_cloexec_note(out[0], 0);
    wb_proc_cloexec_note(out[1], 0);
    return 0;
}

/* O_CLOEXEC is 0 in wasi-libc, so only O_NONBLOCK has an effect. */
int pipe2(int fds[2], int flags)
{
    if (flags & ~O_NONBLOCK)
        return wb_proc_fail(EINVAL);
    if (pipe(fds) < 0)
        return -1;
    if ((flags & O_NONBLOCK) && (set_nonblock(fds[0]) < 0 || set_nonblock(fds[1]) < 0)) {
        int e = errno;
        close(fds[0]);
        close(fds[1]);
        return wb_proc_fail(e);
    }
    return 0;
}

static int dup_min(int fd, int min)
{
    int32_t out;
    if (min < 0)
        return wb_proc_fail(EINVAL);
    int e = wb_host_dup(fd, min, &out);
    if (e)
        return wb_proc_fail(e);
    wb_proc_cloexec_note(out, 0);
    return out;
}

int dup(int fd)
{
    return dup_min(fd, 0);
}

int dup2(int fd, int to)
{
    if (fd == to) {   /* a no-op on a valid fd, EBADF otherwise */
        __wasi_fdstat_t st;
        return wb_proc_fail(__wasi_fd_fdstat_get(fd, &st)) < 0 ? -1 : to;
    }
    __wasi_fdstat_t st;
    if (wb_proc_fail(__wasi_fd_fdstat_get(fd, &st)) < 0)
        return -1;   /* EBADF before a grant at `to` moves for nothing */
    wb_proc_preopen_move(to);
    int e = wb_host_dup2(fd, to);
    if (e)
        return wb_proc_fail(e);
    wb_proc_cloexec_note(to, 0);
    return to;
}

/* close: a grant's fd (`exec 3>&-` in a script) moves the grant first,
 * so that its directory stays reachable; replaces wasi-libc's close.o. */
int close(int fd)
{
    wb_proc_preopen_move(fd);
    wb_proc_cloexec_note(fd, 0);
    return wb_proc_fail(__wasi_fd_close(fd));
}

int dup3(int fd, int to, int flags)
{
    if (fd == to || flags)
        return wb_proc_fail(EINVAL);
    return dup2(fd, to);
}

/* F_GETFL as wasi-libc's fcntl answers it: the access mode from the fd's
 * rights, the status flags from its fdflags. */
static int get_fl(int fd)
{
    __wasi_fdstat_t st;
    int e = __wasi_fd_fdstat_get(fd, &st);
    if (e)
        return wb_proc_fail(e);
    int fl = st.fs_flags;
    int rd = (st.fs_rights_base & (__WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_READDIR)) != 0;
    int wr = (st.fs_rights_base & __WASI_RIGHTS_FD_WRITE) != 0;
    return fl | (rd && wr ? O_RDWR : rd ? O_RDONLY : wr ? O_WRONLY : O_SEARCH);
}

static int set_fl(int fd, int flags)
{
    return wb_proc_fail(__wasi_fd_fdstat_set_flags(
        fd, flags & (O_APPEND | O_DSYNC | O_NONBLOCK | O_RSYNC | O_SYNC)));
}

int fcntl(int fd, int cmd, ...)
{
    va_list ap;
    va_start(ap, cmd);
    int arg = cmd == F_GETFD || cmd == F_GETFL ? 0 : va_arg(ap, int);
    va_end(ap);
    switch (cmd) {
    case F_DUPFD:
        return dup_min(fd, arg);
    case F_DUPFD_CLOEXEC: {
        int n = dup_min(fd, arg);
        if (n >= 0 && set_cloexec(n, 1) < 0) {
            int e = errno;
            close(n);
            return wb_proc_fail(e);
        }
        return n;
    }
    case F_GETFD: {
        __wasi_fdstat_t st;
        if (wb_proc_fail(__wasi_fd_fdstat_get(fd, &st)) < 0)
            return -1;
        return wb_proc_cloexec_get(fd) ? FD_CLOEXEC : 0;
    }
    case F_SETFD:
        return set_cloexec(fd, (arg & FD_CLOEXEC) != 0);
    case F_GETFL:
        return get_fl(fd);
    case F_SETFL:
        return set_fl(fd, arg);
    default:
        return wb_proc_fail(EINVAL);
    }
}
