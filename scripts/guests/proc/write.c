/* write.c: write and writev with SIGPIPE's default action. The host
 * answers a write to a pipe without readers with EPIPE and sends no
 * signal, so `yes | head -1` left yes printing "Broken pipe" where a
 * POSIX system ends it silently. These replace wasi-libc's write.o and
 * writev.o (stdio writes through writev): on EPIPE they raise SIGPIPE,
 * which ends the process as killed by it unless the program ignores or
 * handles the signal; then (and only then) the caller sees EPIPE. */
#include <errno.h>
#include <limits.h>
#include <sys/uio.h>
#include <wasi/api.h>
#include "wb_proc.h"

ssize_t writev(int fd, const struct iovec *iov, int iovcnt)
{
    if (iovcnt < 0 || iovcnt > IOV_MAX) {
        errno = EINVAL;
        return -1;
    }
    size_t written;
    __wasi_errno_t e = __wasi_fd_write(fd, (const __wasi_ciovec_t *)iov,
                                       (size_t)iovcnt, &written);
    if (e == __WASI_ERRNO_PIPE)
        raise(SIGPIPE);
    if (e) {
        errno = e;
        return -1;
    }
    return (ssize_t)written;
}

ssize_t write(int fd, const void *buf, size_t count)
{
    struct iovec v = { (void *)buf, count };
    return writev(fd, &v, 1);
}
