// RUN paths: --dir $T/d:/d -- $WASM
// SETUP: mkdir -p d && echo data > d/file && mkdir d/dir && echo in > d/dir/inner
// The path_* calls, ordinary and edge-case arguments: O_EXCL and O_TRUNC
// combinations, trailing slashes, dot names, symlinks and their loops,
// hard links, renames, filestat and times with each FSTFLAGS combination.
#include <stdio.h>
#include <string.h>
#include <wasi/api.h>

#define SHOW(label, expr) printf("%-36s %d\n", label, (int)(expr))
#define FILE_RIGHTS 0x8e001ffull
#define RD (__WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_SEEK | __WASI_RIGHTS_FD_FILESTAT_GET)
#define FOLLOW __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW
enum { D = 3 };

static int op(const char *path, __wasi_oflags_t of, __wasi_rights_t r)
{
    __wasi_fd_t fd;
    int rc = __wasi_path_open(D, FOLLOW, path, of, r, 0, 0, &fd);
    if (rc == 0)
        (void)__wasi_fd_close(fd);
    return rc;
}

static void stat_of(const char *label, const char *path, int follow)
{
    __wasi_filestat_t st;
    int rc = __wasi_path_filestat_get(D, follow ? FOLLOW : 0, path, &st);
    if (rc) { printf("%-36s rc %d\n", label, rc); return; }
    printf("%-36s type %d size %llu nlink %llu\n", label, st.filetype,
           st.filetype == __WASI_FILETYPE_DIRECTORY ? 0ull : (unsigned long long)st.size,
           st.filetype == __WASI_FILETYPE_DIRECTORY ? 0ull : (unsigned long long)st.nlink);
}

static void times_of(const char *label, const char *path)
{
    __wasi_filestat_t st;
    int rc = __wasi_path_filestat_get(D, 0, path, &st);
    printf("%-36s rc %d atim %llu mtim %llu\n", label, rc,
           (unsigned long long)st.atim, (unsigned long long)st.mtim);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);    /* all of it, should a runtime hang */
    /* oflags */
    SHOW("open existing", op("file", 0, RD));
    SHOW("open missing", op("nope", 0, RD));
    SHOW("creat new", op("new", __WASI_OFLAGS_CREAT, FILE_RIGHTS));
    SHOW("creat existing", op("new", __WASI_OFLAGS_CREAT, FILE_RIGHTS));
    SHOW("creat|excl existing", op("new", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL, FILE_RIGHTS));
    SHOW("creat|excl new", op("new2", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL, FILE_RIGHTS));
    SHOW("excl alone existing", op("file", __WASI_OFLAGS_EXCL, RD));
    SHOW("creat|excl dir", op("dir", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL, FILE_RIGHTS));
    SHOW("creat dir", op("dir", __WASI_OFLAGS_CREAT, FILE_RIGHTS));
    SHOW("creat|directory", op("nd", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_DIRECTORY, FILE_RIGHTS));
    SHOW("trunc", op("file", __WASI_OFLAGS_TRUNC, FILE_RIGHTS));
    stat_of("  file", "file", 1);
    SHOW("creat|trunc existing", op("new2", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC, FILE_RIGHTS));
    SHOW("creat|excl|trunc", op("new3", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL | __WASI_OFLAGS_TRUNC, FILE_RIGHTS));
    SHOW("trunc dir", op("dir", __WASI_OFLAGS_TRUNC, RD));
    SHOW("directory on file", op("file", __WASI_OFLAGS_DIRECTORY, RD));
    SHOW("directory on dir", op("dir", __WASI_OFLAGS_DIRECTORY, __WASI_RIGHTS_FD_READDIR));
    SHOW("dir for writing", op("dir", 0, FILE_RIGHTS));
    /* trailing slashes and dot names */
    SHOW("open file/", op("file/", 0, RD));
    SHOW("open dir/", op("dir/", 0, __WASI_RIGHTS_FD_READDIR));
    SHOW("open dir//", op("dir//", 0, __WASI_RIGHTS_FD_READDIR));
    SHOW("open dir/.", op("dir/.", 0, __WASI_RIGHTS_FD_READDIR));
    SHOW("open dir/..", op("dir/..", 0, __WASI_RIGHTS_FD_READDIR));
    SHOW("open ./file", op("./file", 0, RD));
    SHOW("open dir/../file", op("dir/../file", 0, RD));
    SHOW("creat x/", op("x/", __WASI_OFLAGS_CREAT, FILE_RIGHTS));
    SHOW("filestat file/", __wasi_path_filestat_get(D, FOLLOW, "file/", &(__wasi_filestat_t){0}));
    SHOW("mkdir", __wasi_path_create_directory(D, "m"));
    SHOW("mkdir again", __wasi_path_create_directory(D, "m"));
    SHOW("mkdir m2/", __wasi_path_create_directory(D, "m2/"));
    SHOW("mkdir over file", __wasi_path_create_directory(D, "file"));
    SHOW("mkdir missing parent", __wasi_path_create_directory(D, "no/such"));
    SHOW("mkdir .", __wasi_path_create_directory(D, "."));
    SHOW("mkdir through file", __wasi_path_create_directory(D, "file/sub"));
    SHOW("rmdir m2/", __wasi_path_remove_directory(D, "m2/"));
    SHOW("rmdir nonempty", __wasi_path_remove_directory(D, "dir"));
    SHOW("rmdir file", __wasi_path_remove_directory(D, "file"));
    SHOW("rmdir missing", __wasi_path_remove_directory(D, "gone"));
    SHOW("unlink dir", __wasi_path_unlink_file(D, "m"));
    SHOW("unlink file/", __wasi_path_unlink_file(D, "new3/"));
    SHOW("unlink missing", __wasi_path_unlink_file(D, "gone"));
    SHOW("unlink", __wasi_path_unlink_file(D, "new3"));
    /* renames */
    SHOW("rename file", __wasi_path_rename(D, "new2", D, "renamed"));
    SHOW("rename over file", __wasi_path_rename(D, "renamed", D, "new"));
    SHOW("rename missing", __wasi_path_rename(D, "renamed", D, "x"));
    SHOW("rename file over dir", __wasi_path_rename(D, "new", D, "m"));
    SHOW("rename dir over file", __wasi_path_rename(D, "m", D, "new"));
    SHOW("rename dir into itself", __wasi_path_rename(D, "m", D, "m/in"));
    SHOW("rename dir over empty dir", __wasi_path_create_directory(D, "e") ||
         __wasi_path_rename(D, "m", D, "e"));
    SHOW("rename dir over nonempty", __wasi_path_rename(D, "e", D, "dir"));
    SHOW("rename file to x/", __wasi_path_rename(D, "new", D, "x/"));
    SHOW("rename dir to e2/", __wasi_path_rename(D, "e", D, "e2/"));
    /* symlinks */
    SHOW("symlink", __wasi_path_symlink("file", D, "ln"));
    SHOW("symlink exists", __wasi_path_symlink("file", D, "ln"));
    SHOW("symlink to dir", __wasi_path_symlink("dir", D, "dln"));
    SHOW("symlink dangling", __wasi_path_symlink("nowhere", D, "dangle"));
    SHOW("symlink loop a", __wasi_path_symlink("loop_b", D, "loop_a"));
    SHOW("symlink loop b", __wasi_path_symlink("loop_a", D, "loop_b"));
    SHOW("symlink self", __wasi_path_symlink("self", D, "self"));
    char buf[64];
    __wasi_size_t n = 0;
    SHOW("readlink", __wasi_path_readlink(D, "ln", (uint8_t *)buf, sizeof buf, &n));
    printf("%-36s %lu [%.*s]\n", "  got", (unsigned long)n, (int)n, buf);
    SHOW("readlink short buffer", __wasi_path_readlink(D, "dln", (uint8_t *)buf, 2, &n));
    printf("%-36s %lu [%.*s]\n", "  got", (unsigned long)n, (int)n, buf);
    SHOW("readlink file", __wasi_path_readlink(D, "file", (uint8_t *)buf, sizeof buf, &n));
    SHOW("readlink missing", __wasi_path_readlink(D, "gone", (uint8_t *)buf, sizeof buf, &n));
    stat_of("stat ln follow", "ln", 1);
    stat_of("stat ln nofollow", "ln", 0);
    stat_of("stat dln follow", "dln", 1);
    stat_of("stat dangle follow", "dangle", 1);
    stat_of("stat dangle nofollow", "dangle", 0);
    stat_of("stat loop follow", "loop_a", 1);
    stat_of("stat loop nofollow", "loop_a", 0);
    stat_of("stat through loop", "loop_a/x", 0);
    SHOW("open loop", op("loop_a", 0, RD));
    SHOW("open self", op("self", 0, RD));
    SHOW("open ln", op("ln", 0, RD));
    SHOW("open dln/inner", op("dln/inner", 0, RD));
    SHOW("creat|excl through dangling", op("dangle", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL, FILE_RIGHTS));
    (void)__wasi_path_unlink_file(D, "nowhere");    /* made if it was followed */
    SHOW("unlink loop", __wasi_path_unlink_file(D, "loop_b"));
    SHOW("rmdir symlink to dir", __wasi_path_remove_directory(D, "dln"));
    SHOW("unlink dln/", __wasi_path_unlink_file(D, "dln/"));
    /* hard links */
    SHOW("link", __wasi_path_link(D, 0, "file", D, "hard"));
    stat_of("  file", "file", 1);
    SHOW("link exists", __wasi_path_link(D, 0, "file", D, "hard"));
    SHOW("link dir", __wasi_path_link(D, 0, "dir", D, "hdir"));
    SHOW("link missing", __wasi_path_link(D, 0, "gone", D, "hgone"));
    SHOW("link symlink nofollow", __wasi_path_link(D, 0, "ln", D, "hln"));
    stat_of("  hln", "hln", 0);
    SHOW("link symlink follow", __wasi_path_link(D, FOLLOW, "ln", D, "hln2"));
    stat_of("  hln2", "hln2", 0);
    /* times through paths */
    SHOW("times atim+mtim", __wasi_path_filestat_set_times(D, FOLLOW, "file",
         100000000000ull, 200000000000ull, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM));
    times_of("  file", "file");
    SHOW("times atim only", __wasi_path_filestat_set_times(D, FOLLOW, "file",
         300000000000ull, 7, __WASI_FSTFLAGS_ATIM));
    times_of("  file", "file");
    SHOW("times mtim only", __wasi_path_filestat_set_times(D, FOLLOW, "file",
         7, 400000000000ull, __WASI_FSTFLAGS_MTIM));
    times_of("  file", "file");
    SHOW("times none", __wasi_path_filestat_set_times(D, FOLLOW, "file", 1, 1, 0));
    times_of("  file", "file");
    SHOW("times on dir", __wasi_path_filestat_set_times(D, FOLLOW, "dir",
         500000000000ull, 600000000000ull, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM));
    times_of("  dir", "dir");
    SHOW("times via link follow", __wasi_path_filestat_set_times(D, FOLLOW, "ln",
         700000000000ull, 800000000000ull, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM));
    times_of("  file", "file");
    SHOW("times link nofollow", __wasi_path_filestat_set_times(D, 0, "ln",
         900000000000ull, 910000000000ull, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM));
    times_of("  ln", "ln");
    times_of("  file", "file");
    SHOW("times missing", __wasi_path_filestat_set_times(D, FOLLOW, "gone", 1, 1,
         __WASI_FSTFLAGS_ATIM));
    /* out of the grant */
    SHOW("open ..", op("..", 0, RD));
    SHOW("open dir/../..", op("dir/../..", 0, RD));
    SHOW("open absolute", op("/etc/passwd", 0, RD));
    SHOW("mkdir ../x", __wasi_path_create_directory(D, "../x"));
    SHOW("empty path", op("", 0, RD));
    /* Last, each through a directory fd of its own: after refusing one of
     * these, node:wasi never returns from the next call on the same fd. */
    static const __wasi_fstflags_t bad[] = {
        __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_ATIM_NOW,
        __WASI_FSTFLAGS_MTIM | __WASI_FSTFLAGS_MTIM_NOW, 16 };
    for (int i = 0; i < 3; i++) {
        __wasi_fd_t dfd = 0;
        char label[40];
        int rc = __wasi_path_open(D, 0, ".", __WASI_OFLAGS_DIRECTORY,
                                  0xfbffe98ull, 0xfffffffull, 0, &dfd);
        snprintf(label, sizeof label, "times fstflags %d", bad[i]);
        SHOW(label, rc ? -rc : __wasi_path_filestat_set_times(dfd, FOLLOW, "file",
                                                              1, 1, bad[i]));
    }
    return 0;
}
