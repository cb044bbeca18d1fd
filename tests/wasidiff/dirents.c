// RUN dirents: --dir $T/d:/d -- $WASM
// SETUP: mkdir -p d/dir/sub && cd d/dir && for n in a bb ccc dddd-long-name-of-an-entry e5 f6 g7 h8 i9 j10; do echo $n > $n; done && ln -s a link && mkfifo pipe
// fd_readdir: every entry exactly once whatever the buffer (down to less
// than one header), resuming from cookies, a cookie past the end; the
// entry types; seeking and reading a directory fd.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>

#define SHOW(label, expr) printf("%-30s %d\n", label, (int)(expr))

static char *names[64];
static int nnames, dots;

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Read the whole directory with buffers of `cap` bytes, resuming from the
 * cookie of the last entry that fit whole. */
static int walk(__wasi_fd_t fd, size_t cap, int types)
{
    static uint8_t buf[4096];
    __wasi_dircookie_t cookie = 0;
    int calls = 0;
    nnames = dots = 0;
    for (;;) {
        __wasi_size_t used = 0;
        int rc = __wasi_fd_readdir(fd, buf, cap, cookie, &used);
        if (rc) return -rc;
        if (++calls > 1000) return -1000;
        size_t off = 0;
        int whole = 0;
        while (off + sizeof(__wasi_dirent_t) <= used) {
            __wasi_dirent_t de;
            memcpy(&de, buf + off, sizeof de);
            if (off + sizeof de + de.d_namlen > used)
                break;                              /* cut off: read again */
            char name[300];
            snprintf(name, sizeof name, types ? "%.*s:%d" : "%.*s", (int)de.d_namlen,
                     (const char *)buf + off + sizeof de, de.d_type);
            if (!strncmp(name, ".:", 2) || !strcmp(name, ".") ||
                !strncmp(name, "..:", 3) || !strcmp(name, ".."))
                dots++;
            else if (nnames < 64)
                names[nnames++] = strdup(name);
            cookie = de.d_next;
            off += sizeof de + de.d_namlen;
            whole++;
        }
        if (used < cap)
            break;                                  /* the end */
        if (!whole)
            return -2000;                           /* buffer too small */
    }
    return calls;
}

static void list(const char *label)
{
    qsort(names, nnames, sizeof *names, cmp);
    printf("%-30s %d:", label, nnames);
    for (int i = 0; i < nnames; i++) { printf(" %s", names[i]); free(names[i]); }
    printf("\n");
}

int main(void)
{
    __wasi_fd_t fd, f;
    SHOW("open dir", __wasi_path_open(3, 0, "dir", __WASI_OFLAGS_DIRECTORY,
                                      0xfbffe98ull, 0xfffffffull, 0, &fd));
    SHOW("big buffer calls", walk(fd, 4096, 1) > 0);
    list("  entries:type");
    SHOW("  dots", dots);
    int small[] = { 24 + 40, 24 + 12, 24 + 5, 24 + 1 };
    for (int i = 0; i < 4; i++) {
        char label[40];
        snprintf(label, sizeof label, "buffer %d", small[i]);
        int calls = walk(fd, small[i], 0);
        SHOW(label, calls > 0 ? 0 : calls);
        list("  entries");
    }
    uint8_t tiny[16];
    __wasi_size_t used = 99;
    SHOW("buffer 10", __wasi_fd_readdir(fd, tiny, 10, 0, &used));
    SHOW("  used", used);
    SHOW("buffer 0", __wasi_fd_readdir(fd, tiny, 0, 0, &used));
    SHOW("  used", used);
    SHOW("cookie past end", __wasi_fd_readdir(fd, tiny, sizeof tiny, 100000, &used));
    SHOW("  used", used);
    /* a change between reads shows up on a read from cookie 0 */
    SHOW("unlink bb", __wasi_path_unlink_file(fd, "bb"));
    SHOW("create zz", __wasi_path_open(fd, 0, "zz", __WASI_OFLAGS_CREAT, 0, 0, 0, &f));
    walk(fd, 4096, 0);
    list("  after change");
    /* an empty directory */
    __wasi_fd_t sub;
    SHOW("open sub", __wasi_path_open(fd, 0, "sub", __WASI_OFLAGS_DIRECTORY,
                                      __WASI_RIGHTS_FD_READDIR, 0, 0, &sub));
    walk(sub, 4096, 0);
    list("  sub");
    /* what a directory fd cannot do */
    __wasi_filesize_t pos;
    char b[8];
    __wasi_iovec_t iv = { (uint8_t *)b, sizeof b };
    __wasi_size_t n;
    SHOW("seek dir", __wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &pos));
    SHOW("seek dir end", __wasi_fd_seek(fd, 0, __WASI_WHENCE_END, &pos));
    SHOW("tell dir", __wasi_fd_tell(fd, &pos));
    SHOW("read dir", __wasi_fd_read(fd, &iv, 1, &n));
    SHOW("pread dir", __wasi_fd_pread(fd, &iv, 1, 0, &n));
    SHOW("write dir", __wasi_fd_write(fd, (__wasi_ciovec_t *)&iv, 1, &n));
    SHOW("readdir file", __wasi_fd_readdir(f, tiny, sizeof tiny, 0, &used));
    SHOW("readdir stdin", __wasi_fd_readdir(0, tiny, sizeof tiny, 0, &used));
    SHOW("readdir closed", __wasi_fd_readdir(99, tiny, sizeof tiny, 0, &used));
    return 0;
}
