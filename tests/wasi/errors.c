// RUN errors: -- $WASM
// Error paths of the raw WASI calls: bad fds, bad pointers, no grants
// (then only the empty read-only root: ENOENT, EROFS).
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <wasi/api.h>

#define SHOW(label, expr) printf("%-26s %d\n", label, (int)(expr))

int main(void)
{
    __wasi_size_t n = 0;
    __wasi_ciovec_t iov = { (const uint8_t *)"x", 1 };
    __wasi_fdstat_t fs;
    __wasi_prestat_t ps;
    __wasi_filesize_t off;
    __wasi_fd_t nfd;

    SHOW("write bad fd", __wasi_fd_write(99, &iov, 1, &n));
    SHOW("write bad iovec", __wasi_fd_write(1, (void *)0xfffffff8, 1, &n));
    __wasi_ciovec_t wild = { (const uint8_t *)0xffffff00, 4096 };
    SHOW("write wild buffer", __wasi_fd_write(1, &wild, 1, &n));
    SHOW("write bad nwritten", __wasi_fd_write(1, &iov, 0, (void *)0xfffffffe));
    SHOW("read stdout", __wasi_fd_read(1, (__wasi_iovec_t *)&iov, 1, &n));
    SHOW("close bad fd", __wasi_fd_close(42));
    SHOW("seek stdout", __wasi_fd_seek(1, 0, __WASI_WHENCE_CUR, &off));
    SHOW("seek bad whence", __wasi_fd_seek(1, 0, 7, &off));
    SHOW("fdstat stdout", __wasi_fd_fdstat_get(1, &fs));
    SHOW("stdout filetype", fs.fs_filetype);
    SHOW("fdstat bad ptr", __wasi_fd_fdstat_get(1, (void *)0xfffffff0));
    /* no grants: fd 3 is the virtual root "/", empty */
    SHOW("prestat root", __wasi_fd_prestat_get(3, &ps));
    SHOW("prestat none", __wasi_fd_prestat_get(4, &ps));
    SHOW("path_open no grant", __wasi_path_open(3, 0, "etc/passwd", 0, 0, 0, 0, &nfd));
    SHOW("open /etc/passwd", open("/etc/passwd", O_RDONLY) < 0 ? errno : 0);
    SHOW("creat /x", open("/x", O_CREAT | O_WRONLY, 0644) < 0 ? errno : 0);
    SHOW("sock_accept stdin", __wasi_sock_accept(0, 0, &nfd));
    SHOW("sock_shutdown bad fd", __wasi_sock_shutdown(77, __WASI_SDFLAGS_WR));
    SHOW("renumber bad", __wasi_fd_renumber(1, 55));
    SHOW("set rights grow", __wasi_fd_fdstat_set_rights(1, ~0ull, 0));
    SHOW("readdir stdout", __wasi_fd_readdir(1, (uint8_t *)&fs, sizeof fs, 0, &n));
    __wasi_subscription_t sub = { .userdata = 7, .u = { .tag = __WASI_EVENTTYPE_CLOCK,
        .u.clock = { .id = __WASI_CLOCKID_MONOTONIC, .timeout = 10000000 } } };
    __wasi_event_t ev;
    SHOW("poll clock", __wasi_poll_oneoff(&sub, &ev, 1, &n));
    SHOW("poll nevents", n);
    SHOW("poll userdata", ev.userdata);
    SHOW("poll zero subs", __wasi_poll_oneoff(&sub, &ev, 0, &n));
    SHOW("sched_yield", __wasi_sched_yield());
    return 0;
}
