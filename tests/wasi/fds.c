// RUN fds: --tmpfs /t --dir $T/h:/h:ro -- $WASM
// SETUP: mkdir -p $T/h && echo content > $T/h/f
// Preopens, fd_renumber, fdstat flags and rights, poll on files.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <wasi/api.h>

int main(void)
{
    __wasi_prestat_t ps;
    char name[64];
    for (int fd = 3; fd < 6; fd++) {
        int rc = __wasi_fd_prestat_get(fd, &ps);
        if (rc) { printf("fd %d: prestat %d\n", fd, rc); continue; }
        memset(name, 0, sizeof name);
        __wasi_fd_prestat_dir_name(fd, (uint8_t *)name, ps.u.dir.pr_name_len);
        printf("fd %d: preopen %s\n", fd, name);
    }
    printf("dir_name too short=%d\n", __wasi_fd_prestat_dir_name(3, (uint8_t *)name, 1));
    int a = open("/t/a", O_CREAT | O_RDWR, 0644);
    int b = open("/h/f", O_RDONLY);
    write(a, "AAAA", 4);
    printf("renumber=%d\n", __wasi_fd_renumber(b, a));
    char buf[16] = {0};
    printf("read renumbered=%zd %.7s\n", read(a, buf, 7), buf);
    printf("old fd closed=%d\n", __wasi_fd_close(b));
    __wasi_fdstat_t st;
    __wasi_fd_fdstat_get(a, &st);
    printf("type=%d can_write=%d\n", st.fs_filetype,
           (st.fs_rights_base & __WASI_RIGHTS_FD_WRITE) != 0);
    printf("drop rights=%d\n", __wasi_fd_fdstat_set_rights(a, __WASI_RIGHTS_FD_SEEK, 0));
    printf("read after drop=%d\n", read(a, buf, 1) < 0 ? errno : 0);
    int c = open("/t/c", O_CREAT | O_RDWR, 0644);
    printf("set append=%d\n", __wasi_fd_fdstat_set_flags(c, __WASI_FDFLAGS_APPEND));
    write(c, "12", 2);
    lseek(c, 0, SEEK_SET);
    write(c, "34", 2);
    printf("append pos=%lld\n", (long long)lseek(c, 0, SEEK_CUR));
    __wasi_subscription_t sub[2] = {
        { .userdata = 1, .u = { .tag = __WASI_EVENTTYPE_FD_READ, .u.fd_read = { c } } },
        { .userdata = 2, .u = { .tag = __WASI_EVENTTYPE_CLOCK,
          .u.clock = { .id = __WASI_CLOCKID_MONOTONIC, .timeout = 5000000000ull } } } };
    __wasi_event_t ev[2];
    __wasi_size_t n = 0;
    printf("poll file=%d n=%d user=%llu\n", __wasi_poll_oneoff(sub, ev, 2, &n), (int)n,
           (unsigned long long)ev[0].userdata);
    return 0;
}
