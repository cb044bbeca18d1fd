// fd_advise, fd_allocate, fd_datasync, fd_sync and fd_filestat_set_times on
// a host grant and on a tmpfs, with their error paths.
// RUN sync_host: --dir $T:/d $WASM
// RUN sync_tmpfs: --tmpfs /d $WASM
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wasi/api.h>

#define SHOW(what, expr) printf("%-24s %d\n", what, (int)(expr))

int main(void)
{
    int fd = open("/d/f.txt", O_CREAT | O_RDWR | O_TRUNC, 0644);
    if (fd < 0) { printf("open failed: %s\n", strerror(errno)); return 1; }
    SHOW("write", write(fd, "hello", 5));
    SHOW("advise normal", __wasi_fd_advise(fd, 0, 5, __WASI_ADVICE_NORMAL));
    SHOW("advise dontneed", __wasi_fd_advise(fd, 0, 0, __WASI_ADVICE_DONTNEED));
    SHOW("advise bad advice", __wasi_fd_advise(fd, 0, 5, 99));
    SHOW("advise bad fd", __wasi_fd_advise(77, 0, 5, __WASI_ADVICE_NORMAL));
    SHOW("datasync", __wasi_fd_datasync(fd));
    SHOW("sync", __wasi_fd_sync(fd));
    SHOW("sync bad fd", __wasi_fd_sync(77));
    SHOW("datasync bad fd", __wasi_fd_datasync(77));
    SHOW("allocate", __wasi_fd_allocate(fd, 0, 4096));
    struct stat st;
    fstat(fd, &st);
    SHOW("size after allocate", st.st_size);
    SHOW("allocate bad fd", __wasi_fd_allocate(77, 0, 16));
    SHOW("set_times", __wasi_fd_filestat_set_times(fd, 1000000000ull, 2000000000ull,
                                                 __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM));
    fstat(fd, &st);
    SHOW("mtime seconds", st.st_mtim.tv_sec);
    SHOW("set_times both flags", __wasi_fd_filestat_set_times(fd, 0, 0,
                                 __WASI_FSTFLAGS_MTIM | __WASI_FSTFLAGS_MTIM_NOW));
    SHOW("close", close(fd));
    SHOW("sync closed fd", __wasi_fd_sync(fd));
    return 0;
}
