// Files and directories that were removed or moved while open (issue 11,
// finding 1): a tmpfs must keep every node alive while an fd holds it and
// never touch one it freed. Run on a tmpfs and on a host grant at /data
// (found by name: preopen.h): both must give the kernel's answers. Runs
// the cases named in argv (or "all"); exits 0, or prints the first check
// that failed and exits 1.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>
#include "preopen.h"

static __wasi_fd_t ROOT;
#define RW (__WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE | \
            __WASI_RIGHTS_FD_SEEK | __WASI_RIGHTS_FD_FILESTAT_GET | \
            __WASI_RIGHTS_FD_FILESTAT_SET_SIZE)
#define DIRR (__WASI_RIGHTS_FD_READDIR | __WASI_RIGHTS_FD_FILESTAT_GET | \
              __WASI_RIGHTS_PATH_CREATE_DIRECTORY | \
              __WASI_RIGHTS_PATH_SYMLINK | \
              __WASI_RIGHTS_PATH_CREATE_FILE | __WASI_RIGHTS_PATH_OPEN | \
              __WASI_RIGHTS_PATH_RENAME_SOURCE | \
              __WASI_RIGHTS_PATH_RENAME_TARGET | \
              __WASI_RIGHTS_PATH_FILESTAT_GET)

static int line;
#define CHECK(cond) do { line = __LINE__; if (!(cond)) fail(#cond); } while (0)

static void fail(const char *what)
{
    printf("line %d: %s\n", line, what);
    exit(1);
}

static __wasi_fd_t open_at(__wasi_fd_t at, const char *path,
                           __wasi_oflags_t of, __wasi_rights_t rights)
{
    __wasi_fd_t fd = 0;
    __wasi_errno_t e = __wasi_path_open(at, 0, path, of, rights, rights, 0,
                                        &fd);
    if (e)
        printf("open %s: errno %d\n", path, e);
    CHECK(e == 0);
    return fd;
}

static __wasi_errno_t put(__wasi_fd_t fd, const void *buf, size_t n,
                          size_t *done)
{
    __wasi_ciovec_t v = { buf, n };
    return __wasi_fd_write(fd, &v, 1, done);
}

static size_t readdir_bytes(__wasi_fd_t fd)
{
    static uint8_t buf[4096];
    __wasi_size_t used = 0;
    CHECK(__wasi_fd_readdir(fd, buf, sizeof buf, 0, &used) == 0);
    return used;
}

static __wasi_filestat_t stat_fd(__wasi_fd_t fd)
{
    __wasi_filestat_t st;
    CHECK(__wasi_fd_filestat_get(fd, &st) == 0);
    return st;
}

/* The Python repro: move an open file into a removed, open directory,
 * close that directory, then keep writing to the file. */
static void into_removed_dir(void)
{
    size_t done;
    static char block[65536];
    CHECK(__wasi_path_create_directory(ROOT, "d") == 0);
    __wasi_fd_t f = open_at(ROOT, "f", __WASI_OFLAGS_CREAT, RW);
    CHECK(put(f, "hello", 5, &done) == 0 && done == 5);
    __wasi_fd_t d = open_at(ROOT, "d", __WASI_OFLAGS_DIRECTORY, DIRR);
    CHECK(__wasi_path_remove_directory(ROOT, "d") == 0);
    CHECK(__wasi_path_rename(ROOT, "f", d, "f") == __WASI_ERRNO_NOENT);
    CHECK(__wasi_path_create_directory(d, "x") == __WASI_ERRNO_NOENT);
    __wasi_fd_t g;
    CHECK(__wasi_path_open(d, 0, "g", __WASI_OFLAGS_CREAT, RW, RW, 0, &g) ==
          __WASI_ERRNO_NOENT);
    CHECK(__wasi_fd_close(d) == 0);
    memset(block, 'A', sizeof block);
    for (int i = 0; i < 64; i++)
        CHECK(put(f, block, sizeof block, &done) == 0 && done == sizeof block);
    CHECK(stat_fd(f).size == 5 + 64 * sizeof block);
    __wasi_filestat_t st;
    CHECK(__wasi_path_filestat_get(ROOT, 0, "f", &st) == 0);
    CHECK(st.size == 5 + 64 * sizeof block && st.nlink == 1);
    CHECK(__wasi_fd_close(f) == 0);
    CHECK(__wasi_path_unlink_file(ROOT, "f") == 0);
}

/* fd_readdir of a directory whose parent was removed after it: no
 * entries at all, not even "." and ".." (which named a freed node). */
static void removed_parent(void)
{
    CHECK(__wasi_path_create_directory(ROOT, "p") == 0);
    CHECK(__wasi_path_create_directory(ROOT, "p/c") == 0);
    __wasi_fd_t c = open_at(ROOT, "p/c", __WASI_OFLAGS_DIRECTORY, DIRR);
    CHECK(readdir_bytes(c) > 0);
    CHECK(__wasi_path_remove_directory(ROOT, "p/c") == 0);
    CHECK(__wasi_path_remove_directory(ROOT, "p") == 0);
    CHECK(readdir_bytes(c) == 0);
    __wasi_filestat_t st = stat_fd(c);
    CHECK(st.filetype == __WASI_FILETYPE_DIRECTORY && st.nlink == 0);
    CHECK(__wasi_path_create_directory(c, "x") == __WASI_ERRNO_NOENT);
    CHECK(__wasi_path_filestat_get(c, 0, "..", &st) == __WASI_ERRNO_NOTCAPABLE);
    CHECK(__wasi_path_filestat_get(c, 0, "x/..", &st) == __WASI_ERRNO_NOENT);
    CHECK(__wasi_fd_close(c) == 0);
}

/* A directory renamed over an open empty one: the open one is removed. */
static void renamed_over(void)
{
    CHECK(__wasi_path_create_directory(ROOT, "a") == 0);
    CHECK(__wasi_path_create_directory(ROOT, "a/in") == 0);
    CHECK(__wasi_path_create_directory(ROOT, "b") == 0);
    __wasi_fd_t b = open_at(ROOT, "b", __WASI_OFLAGS_DIRECTORY, DIRR);
    __wasi_fd_t in = open_at(ROOT, "a/in", __WASI_OFLAGS_DIRECTORY, DIRR);
    CHECK(__wasi_path_rename(ROOT, "a", ROOT, "b") == 0);
    CHECK(readdir_bytes(b) == 0);
    CHECK(stat_fd(b).nlink == 0);
    CHECK(__wasi_path_create_directory(b, "x") == __WASI_ERRNO_NOENT);
    /* the moved directory's child still works through its fd */
    CHECK(__wasi_path_create_directory(in, "deep") == 0);
    __wasi_filestat_t st;
    CHECK(__wasi_path_filestat_get(ROOT, 0, "b/in/deep", &st) == 0);
    CHECK(__wasi_path_filestat_get(in, 0, "deep/..", &st) == 0);
    /* over an ancestor of the source; into the source's own subtree */
    CHECK(__wasi_path_rename(in, "deep", ROOT, "b") == __WASI_ERRNO_NOTEMPTY);
    CHECK(__wasi_path_rename(ROOT, "b", in, "deep/x") == __WASI_ERRNO_INVAL);
    CHECK(__wasi_path_remove_directory(ROOT, "b/in/deep") == 0);
    CHECK(__wasi_path_remove_directory(ROOT, "b/in") == 0);
    CHECK(readdir_bytes(in) == 0);
    CHECK(__wasi_path_remove_directory(ROOT, "b") == 0);
    CHECK(__wasi_fd_close(b) == 0);
    CHECK(__wasi_fd_close(in) == 0);
}

/* Removed files stay usable through their fds; moved ones too. */
static void removed_file(void)
{
    size_t done;
    char buf[16] = { 0 };
    __wasi_iovec_t v = { (uint8_t *)buf, sizeof buf };
    __wasi_fd_t f = open_at(ROOT, "k", __WASI_OFLAGS_CREAT, RW);
    __wasi_fd_t g = open_at(ROOT, "k2", __WASI_OFLAGS_CREAT, RW);
    CHECK(__wasi_path_rename(ROOT, "k2", ROOT, "k") == 0);   /* over f */
    CHECK(stat_fd(f).nlink == 0);
    CHECK(put(f, "abc", 3, &done) == 0 && done == 3);
    CHECK(__wasi_fd_filestat_set_size(f, 10000) == 0);
    CHECK(__wasi_fd_pread(f, &v, 1, 0, &done) == 0 && done == sizeof buf);
    CHECK(!memcmp(buf, "abc\0\0\0", 6));
    CHECK(stat_fd(f).size == 10000);
    CHECK(put(g, "xyz", 3, &done) == 0);
    CHECK(__wasi_path_rename(ROOT, "k", ROOT, "k3") == 0);   /* g moves */
    CHECK(put(g, "!", 1, &done) == 0);
    __wasi_filestat_t st;
    CHECK(__wasi_path_filestat_get(ROOT, 0, "k3", &st) == 0 && st.size == 4);
    CHECK(__wasi_path_unlink_file(ROOT, "k3") == 0);
    CHECK(stat_fd(g).nlink == 0 && stat_fd(g).size == 4);
    CHECK(__wasi_fd_close(f) == 0);
    /* g stays open past the end of the run: released after the fs or
     * before it, it must be freed exactly once */
}

/* Hard links (issue 22): a file lives while any name or fd holds it;
 * rename between two names of one file changes nothing; a symlink to a
 * directory removed while open through it. */
static void hard_links(void)
{
    size_t done;
    char buf[16] = { 0 };
    __wasi_iovec_t v = { (uint8_t *)buf, sizeof buf };
    __wasi_filestat_t st;
    CHECK(__wasi_path_create_directory(ROOT, "hd") == 0);
    __wasi_fd_t f = open_at(ROOT, "hf", __WASI_OFLAGS_CREAT, RW);
    CHECK(put(f, "hello", 5, &done) == 0);
    CHECK(__wasi_path_link(ROOT, 0, "hf", ROOT, "hd/hg") == 0);
    CHECK(__wasi_path_link(ROOT, 0, "hf", ROOT, "hh") == 0);
    CHECK(__wasi_path_link(ROOT, 0, "hd", ROOT, "hdl") == __WASI_ERRNO_PERM);
    CHECK(stat_fd(f).nlink == 3);
    CHECK(__wasi_path_unlink_file(ROOT, "hf") == 0);
    CHECK(put(f, " you", 4, &done) == 0);
    __wasi_fd_t h = open_at(ROOT, "hh", 0, RW);
    CHECK(__wasi_fd_read(h, &v, 1, &done) == 0 && done == 9);
    CHECK(!memcmp(buf, "hello you", 9));
    CHECK(__wasi_path_rename(ROOT, "hh", ROOT, "hd/hg") == 0);
    CHECK(__wasi_path_filestat_get(ROOT, 0, "hh", &st) == 0 && st.nlink == 2);
    CHECK(__wasi_path_unlink_file(ROOT, "hd/hg") == 0);
    CHECK(__wasi_path_unlink_file(ROOT, "hh") == 0);
    CHECK(stat_fd(f).nlink == 0 && stat_fd(h).nlink == 0);
    CHECK(put(h, "!", 1, &done) == 0);
    CHECK(stat_fd(f).size == 10);
    CHECK(__wasi_fd_close(f) == 0);
    CHECK(__wasi_path_remove_directory(ROOT, "hd") == 0);
    /* through a symlink, a directory removed while open */
    CHECK(__wasi_path_create_directory(ROOT, "he") == 0);
    CHECK(__wasi_path_symlink("he", ROOT, "hl") == 0);
    __wasi_fd_t e;
    CHECK(__wasi_path_open(ROOT, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "hl",
                           __WASI_OFLAGS_DIRECTORY, DIRR, DIRR, 0, &e) == 0);
    CHECK(__wasi_path_open(ROOT, 0, "hl", __WASI_OFLAGS_DIRECTORY, DIRR,
                           DIRR, 0, &f) == __WASI_ERRNO_NOTDIR);
    CHECK(__wasi_path_open(ROOT, 0, "hl", 0, DIRR, DIRR, 0, &f) ==
          __WASI_ERRNO_LOOP);
    CHECK(__wasi_path_remove_directory(ROOT, "he") == 0);
    CHECK(__wasi_path_create_directory(e, "x") == __WASI_ERRNO_NOENT);
    CHECK(__wasi_path_symlink("x", e, "y") == __WASI_ERRNO_NOENT);
    CHECK(readdir_bytes(e) == 0);
    CHECK(__wasi_path_filestat_get(ROOT, 1, "hl", &st) == __WASI_ERRNO_NOENT);
    CHECK(__wasi_path_filestat_get(ROOT, 0, "hl", &st) == 0 &&
          st.filetype == __WASI_FILETYPE_SYMBOLIC_LINK);
    CHECK(__wasi_path_unlink_file(ROOT, "hl") == 0);
    CHECK(__wasi_fd_close(e) == 0);
    /* h stays open past the end of the run, its file nameless */
}

/* Left open at exit: a removed directory and a linked one. */
static void left_open(void)
{
    CHECK(__wasi_path_create_directory(ROOT, "keep") == 0);
    CHECK(__wasi_path_create_directory(ROOT, "gone") == 0);
    open_at(ROOT, "keep", __WASI_OFLAGS_DIRECTORY, DIRR);
    open_at(ROOT, "gone", __WASI_OFLAGS_DIRECTORY, DIRR);
    CHECK(__wasi_path_remove_directory(ROOT, "gone") == 0);
    open_at(ROOT, "keep/file", __WASI_OFLAGS_CREAT, RW);
}

int main(int argc, char **argv)
{
    static const struct { const char *name; void (*fn)(void); } cases[] = {
        { "into-removed-dir", into_removed_dir },
        { "removed-parent", removed_parent },
        { "renamed-over", renamed_over },
        { "removed-file", removed_file },
        { "left-open", left_open },
        { "hard-links", hard_links },
    };
    if (!(ROOT = preopen("/data", 0)))
        return 1;
    for (int i = 1; i < argc; i++)
        for (size_t k = 0; k < sizeof cases / sizeof *cases; k++)
            if (!strcmp(argv[i], cases[k].name) || !strcmp(argv[i], "all"))
                cases[k].fn();
    printf("ok\n");
    return 0;
}
