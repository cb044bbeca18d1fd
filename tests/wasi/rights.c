// RUN rights_host: --dir $T/d:/d -- $WASM
// RUN rights_tmpfs: --tmpfs /d -- $WASM
// RUN rights_ro: --dir $T/d:/d:ro -- $WASM
// SETUP: mkdir -p d/sub && echo hello > d/f
// Issue 13: reopening a preopened directory with the rights it reports
// (as Rust's WASI test helpers do) must work; what rights each kind of fd
// holds, that requested rights are cut to what may be handed down, and
// that every call checks the rights it needs.
#include <stdio.h>
#include <string.h>
#include <wasi/api.h>

#define SHOW(label, expr) printf("%-30s %d\n", label, (int)(expr))

static void rights(const char *label, __wasi_fd_t fd)
{
    __wasi_fdstat_t st;
    int rc = __wasi_fd_fdstat_get(fd, &st);
    if (rc) { printf("%-30s fdstat %d\n", label, rc); return; }
    printf("%-30s type %d base %#llx inheriting %#llx\n", label, st.fs_filetype,
           (unsigned long long)st.fs_rights_base,
           (unsigned long long)st.fs_rights_inheriting);
}

/* fd_readdir works through the new fd: its entries but "." and "..",
 * which some runtimes leave out (*dots counts those). */
static int entries(__wasi_fd_t fd, int *dots)
{
    uint8_t buf[512];
    __wasi_size_t used = 0;
    int rc = __wasi_fd_readdir(fd, buf, sizeof buf, 0, &used);
    if (rc) return -rc;
    int n = 0;
    *dots = 0;
    for (size_t off = 0; off + 24 <= used;) {
        __wasi_dirent_t de;
        memcpy(&de, buf + off, sizeof de);
        const char *name = (const char *)buf + off + 24;
        if ((de.d_namlen == 1 && name[0] == '.') ||
            (de.d_namlen == 2 && !memcmp(name, "..", 2)))
            ++*dots;
        else
            n++;
        off += 24 + de.d_namlen;
    }
    return n;
}

int main(void)
{
    __wasi_fdstat_t st;
    __wasi_filestat_t fst;
    __wasi_fd_t fd = 99, f = 99, cut = 99;
    int dots;
    if (__wasi_path_filestat_get(3, 0, "f", &fst)) {     /* tmpfs */
        (void)__wasi_path_create_directory(3, "sub");
        (void)__wasi_path_open(3, 0, "f", __WASI_OFLAGS_CREAT, 0, 0, 0, &f);
        (void)__wasi_fd_close(f);
        f = 99;
    }
    SHOW("fdstat preopen", __wasi_fd_fdstat_get(3, &st));
    rights("preopen", 3);
    /* the three variants of the issue */
    SHOW("reopen . O_DIRECTORY", __wasi_path_open(3, 0, ".", __WASI_OFLAGS_DIRECTORY,
         st.fs_rights_base, st.fs_rights_inheriting, 0, &fd));
    rights("  reopened", fd);
    SHOW("  entries", entries(fd, &dots));
    SHOW("  dots", dots);
    SHOW("reopen . no oflags", __wasi_path_open(3, 0, ".", 0,
         st.fs_rights_base, st.fs_rights_inheriting, 0, &fd));
    rights("  reopened", fd);
    SHOW("reopen . readdir|path_open", __wasi_path_open(3, 0, ".", __WASI_OFLAGS_DIRECTORY,
         __WASI_RIGHTS_FD_READDIR | __WASI_RIGHTS_PATH_OPEN, 0, 0, &fd));
    rights("  reopened", fd);
    SHOW("  entries", entries(fd, &dots));
    SHOW("subdir, parent's rights", __wasi_path_open(3, 0, "sub", __WASI_OFLAGS_DIRECTORY,
         st.fs_rights_base, st.fs_rights_inheriting, 0, &fd));
    rights("  sub", fd);
    /* more than may be handed down: cut, not refused */
    SHOW("dir, every right", __wasi_path_open(3, 0, "sub", __WASI_OFLAGS_DIRECTORY,
         __WASI_RIGHTS_FD_READDIR | (1ull << 40), ~0ull, 0, &cut));
    rights("  cut to", cut);
    /* asking to write a directory is opening it for writing */
    SHOW("dir, fd_write", __wasi_path_open(3, 0, "sub", __WASI_OFLAGS_DIRECTORY,
         __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE, 0, 0, &fd));
    /* a file gets file rights out of the directory's inheriting ones */
    SHOW("file, inheriting rights", __wasi_path_open(3, 0, "f", 0,
         st.fs_rights_inheriting, st.fs_rights_inheriting, 0, &f));
    rights("  f", f);
    SHOW("file, read only", __wasi_path_open(3, 0, "f", 0,
         st.fs_rights_inheriting & ~(__WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_DATASYNC |
         __WASI_RIGHTS_FD_ALLOCATE | __WASI_RIGHTS_FD_FILESTAT_SET_SIZE), 0, 0, &f));
    rights("  f", f);
    __wasi_ciovec_t iov = { (const uint8_t *)"x", 1 };
    __wasi_size_t n;
    SHOW("  write", __wasi_fd_write(f, &iov, 1, &n));
    SHOW("  datasync", __wasi_fd_datasync(f));
    SHOW("  set size", __wasi_fd_filestat_set_size(f, 0));
    SHOW("  set times", __wasi_fd_filestat_set_times(f, 0, 0, __WASI_FSTFLAGS_MTIM_NOW));
    SHOW("  readdir", __wasi_fd_readdir(f, (uint8_t *)&st, 8, 0, &n));
    /* dropped rights are checked */
    SHOW("drop fd_seek", __wasi_fd_fdstat_set_rights(f, __WASI_RIGHTS_FD_READ, 0));
    __wasi_filesize_t pos;
    SHOW("  seek", __wasi_fd_seek(f, 0, __WASI_WHENCE_SET, &pos));
    SHOW("  tell", __wasi_fd_tell(f, &pos));
    SHOW("  filestat", __wasi_fd_filestat_get(f, &fst));
    SHOW("  grow back", __wasi_fd_fdstat_set_rights(f, __WASI_RIGHTS_FD_SEEK, 0));
    SHOW("drop path_open", __wasi_fd_fdstat_set_rights(fd, __WASI_RIGHTS_FD_READDIR,
         st.fs_rights_inheriting));
    SHOW("  path_open", __wasi_path_open(fd, 0, ".", 0, 0, 0, 0, &f));
    SHOW("  mkdir", __wasi_path_create_directory(fd, "x"));
    SHOW("  readdir", entries(fd, &dots));
    /* changes through the preopen: EROFS on a read-only grant */
    SHOW("mkdir", __wasi_path_create_directory(3, "new"));
    SHOW("create", __wasi_path_open(3, 0, "g", __WASI_OFLAGS_CREAT, 0, 0, 0, &f));
    SHOW("unlink", __wasi_path_unlink_file(3, "g"));
    SHOW("rmdir", __wasi_path_remove_directory(3, "new"));
    return 0;
}
