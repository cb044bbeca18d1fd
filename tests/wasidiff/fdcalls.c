// RUN fdcalls: --dir $T/a:/a --dir $T/b:/b -- $WASM
// SETUP: mkdir -p a b && echo b-file > b/inside
// The fd_* calls on a file, ordinary and edge-case arguments: reads and
// writes at positions, seeks, sizes, flags, times, advice, renumbering onto
// a preopen and closing one.
#include <stdio.h>
#include <string.h>
#include <wasi/api.h>

#define SHOW(label, expr) printf("%-34s %d\n", label, (int)(expr))
#define FILE_RIGHTS 0x8e001ffull

static __wasi_ciovec_t civ(const char *s)
{
    return (__wasi_ciovec_t){ (const uint8_t *)s, strlen(s) };
}

static void size_of(const char *label, __wasi_fd_t fd)
{
    __wasi_filestat_t st;
    int rc = __wasi_fd_filestat_get(fd, &st);
    printf("%-34s rc %d type %d size %llu nlink %llu\n", label, rc, st.filetype,
           (unsigned long long)st.size, (unsigned long long)st.nlink);
}

int main(void)
{
    __wasi_fd_t f, g;
    __wasi_size_t n = 0;
    __wasi_filesize_t pos = 0;
    char buf[64];
    __wasi_iovec_t iv = { (uint8_t *)buf, sizeof buf };
    SHOW("create", __wasi_path_open(3, 0, "f", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC,
                                    FILE_RIGHTS, 0, 0, &f));
    __wasi_ciovec_t two[2] = { civ("hello "), civ("world") };
    SHOW("write two iovecs", __wasi_fd_write(f, two, 2, &n));
    SHOW("  written", n);
    SHOW("write no iovecs", __wasi_fd_write(f, two, 0, &n));
    SHOW("  written", n);
    SHOW("tell", __wasi_fd_tell(f, &pos));
    SHOW("  at", pos);
    SHOW("seek set 6", __wasi_fd_seek(f, 6, __WASI_WHENCE_SET, &pos));
    SHOW("  at", pos);
    memset(buf, 0, sizeof buf);
    SHOW("read", __wasi_fd_read(f, &iv, 1, &n));
    printf("%-34s %lu [%.*s]\n", "  got", (unsigned long)n, (int)n, buf);
    SHOW("read at end", __wasi_fd_read(f, &iv, 1, &n));
    SHOW("  got", n);
    SHOW("seek cur -5", __wasi_fd_seek(f, -5, __WASI_WHENCE_CUR, &pos));
    SHOW("  at", pos);
    SHOW("seek end +10", __wasi_fd_seek(f, 10, __WASI_WHENCE_END, &pos));
    SHOW("  at", pos);
    SHOW("seek before start", __wasi_fd_seek(f, -100, __WASI_WHENCE_SET, &pos));
    SHOW("seek bad whence", __wasi_fd_seek(f, 0, 3, &pos));
    SHOW("pread at 0", __wasi_fd_pread(f, &iv, 1, 0, &n));
    printf("%-34s %lu [%.*s]\n", "  got", (unsigned long)n, (int)n, buf);
    SHOW("pread past end", __wasi_fd_pread(f, &iv, 1, 1000, &n));
    SHOW("  got", n);
    __wasi_ciovec_t x = civ("XY");
    SHOW("pwrite at 2", __wasi_fd_pwrite(f, &x, 1, 2, &n));
    SHOW("pwrite past end (hole)", __wasi_fd_pwrite(f, &x, 1, 20, &n));
    size_of("  stat", f);
    SHOW("pread whole", __wasi_fd_pread(f, &iv, 1, 0, &n));
    for (unsigned i = 0; i < n; i++)
        if (!buf[i]) buf[i] = '.';
    printf("%-34s %lu [%.*s]\n", "  got", (unsigned long)n, (int)n, buf);
    SHOW("tell after pwrite", __wasi_fd_tell(f, &pos));
    SHOW("  at", pos);
    SHOW("set size 4", __wasi_fd_filestat_set_size(f, 4));
    size_of("  stat", f);
    SHOW("set size 100", __wasi_fd_filestat_set_size(f, 100));
    size_of("  stat", f);
    SHOW("allocate 0+200", __wasi_fd_allocate(f, 0, 200));
    size_of("  stat", f);
    SHOW("advise normal", __wasi_fd_advise(f, 0, 0, __WASI_ADVICE_NORMAL));
    SHOW("advise dontneed", __wasi_fd_advise(f, 0, 10, __WASI_ADVICE_DONTNEED));
    SHOW("advise bad", __wasi_fd_advise(f, 0, 0, 9));
    SHOW("sync", __wasi_fd_sync(f));
    SHOW("datasync", __wasi_fd_datasync(f));

    /* flags */
    __wasi_fdstat_t fs;
    SHOW("fdstat", __wasi_fd_fdstat_get(f, &fs));
    printf("%-34s type %d flags %d base %#llx\n", "  is", fs.fs_filetype, fs.fs_flags,
           (unsigned long long)fs.fs_rights_base);
    SHOW("set append", __wasi_fd_fdstat_set_flags(f, __WASI_FDFLAGS_APPEND));
    SHOW("seek set 0", __wasi_fd_seek(f, 0, __WASI_WHENCE_SET, &pos));
    x = civ("END");
    SHOW("write appends", __wasi_fd_write(f, &x, 1, &n));
    SHOW("tell", __wasi_fd_tell(f, &pos));
    SHOW("  at", pos);
    SHOW("fdstat", __wasi_fd_fdstat_get(f, &fs));
    SHOW("  flags", fs.fs_flags);
    SHOW("set nonblock", __wasi_fd_fdstat_set_flags(f, __WASI_FDFLAGS_NONBLOCK));
    SHOW("fdstat", __wasi_fd_fdstat_get(f, &fs));
    SHOW("  flags", fs.fs_flags);
    SHOW("set none", __wasi_fd_fdstat_set_flags(f, 0));
    SHOW("fdstat", __wasi_fd_fdstat_get(f, &fs));
    SHOW("  flags", fs.fs_flags);
    SHOW("open with append", __wasi_path_open(3, 0, "f", 0, FILE_RIGHTS, 0,
                                              __WASI_FDFLAGS_APPEND, &g));
    SHOW("fdstat", __wasi_fd_fdstat_get(g, &fs));
    SHOW("  flags", fs.fs_flags);
    SHOW("close", __wasi_fd_close(g));

    /* times: a fixed value each, both, neither, a contradiction */
    __wasi_filestat_t st;
    SHOW("set times atim+mtim", __wasi_fd_filestat_set_times(f, 111000000000ull,
         222000000000ull, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM));
    __wasi_fd_filestat_get(f, &st);
    printf("%-34s %llu %llu\n", "  atim mtim", (unsigned long long)st.atim,
           (unsigned long long)st.mtim);
    SHOW("set times mtim only", __wasi_fd_filestat_set_times(f, 5, 333000000000ull,
         __WASI_FSTFLAGS_MTIM));
    __wasi_fd_filestat_get(f, &st);
    printf("%-34s %llu %llu\n", "  atim mtim", (unsigned long long)st.atim,
           (unsigned long long)st.mtim);
    SHOW("set times none", __wasi_fd_filestat_set_times(f, 1, 1, 0));
    __wasi_fd_filestat_get(f, &st);
    printf("%-34s %llu %llu\n", "  atim mtim", (unsigned long long)st.atim,
           (unsigned long long)st.mtim);
    SHOW("set times atim+atim_now", __wasi_fd_filestat_set_times(f, 1, 1,
         __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_ATIM_NOW));
    SHOW("set times mtim+mtim_now", __wasi_fd_filestat_set_times(f, 1, 1,
         __WASI_FSTFLAGS_MTIM | __WASI_FSTFLAGS_MTIM_NOW));
    __wasi_timestamp_t now = 0;
    __wasi_clock_time_get(__WASI_CLOCKID_REALTIME, 1, &now);
    SHOW("set times now", __wasi_fd_filestat_set_times(f, 0, 0,
         __WASI_FSTFLAGS_ATIM_NOW | __WASI_FSTFLAGS_MTIM_NOW));
    __wasi_fd_filestat_get(f, &st);
    printf("%-34s %d\n", "  mtim near now", st.mtim + 5000000000ull > now &&
           st.mtim < now + 5000000000ull);

    /* renumbering and closing */
    SHOW("renumber onto itself", __wasi_fd_renumber(f, f));
    SHOW("open second", __wasi_path_open(3, 0, "f", 0, FILE_RIGHTS, 0, 0, &g));
    SHOW("renumber onto file", __wasi_fd_renumber(g, f));
    SHOW("old number closed", __wasi_fd_close(g));
    SHOW("renumber from closed", __wasi_fd_renumber(g, f));
    SHOW("renumber onto closed", __wasi_fd_renumber(f, 77));
    __wasi_prestat_t ps;
    SHOW("prestat /b", __wasi_fd_prestat_get(4, &ps));
    SHOW("renumber onto preopen /b", __wasi_fd_renumber(f, 4));
    SHOW("prestat 4", __wasi_fd_prestat_get(4, &ps));
    SHOW("fdstat 4", __wasi_fd_fdstat_get(4, &fs));
    SHOW("  type", fs.fs_filetype);
    SHOW("read 4", __wasi_fd_pread(4, &iv, 1, 0, &n));
    SHOW("open beneath 4", __wasi_path_open(4, 0, "inside", 0, FILE_RIGHTS, 0, 0, &g));
    SHOW("close preopen /a", __wasi_fd_close(3));
    SHOW("prestat 3", __wasi_fd_prestat_get(3, &ps));
    SHOW("open beneath 3", __wasi_path_open(3, 0, "f", 0, FILE_RIGHTS, 0, 0, &g));
    SHOW("close again", __wasi_fd_close(3));
    SHOW("close stdin", __wasi_fd_close(0));
    SHOW("read stdin", __wasi_fd_read(0, &iv, 1, &n));
    return 0;
}
