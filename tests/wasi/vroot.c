// RUN vroot: --dir $T/d:/data --dir $T/n:/data/sub --tmpfs /tmp --dir $T/w:/work/x:ro -- $WASM
// RUN vroot_rootgrant: --dir $T/d:/ --dir $T/n:/data -- $WASM root
// RUN vroot_dotdot: --dir $T/d:/a/../b -- $WASM
// EXIT vroot_dotdot: 125
// SETUP: mkdir -p d/sub n w && echo data > d/f && echo real > d/sub/real && echo nested > n/g && echo w > w/file
// The virtual root "/" (issue 22): after the grants, a read-only directory
// listing their top-level names; paths outside them are ENOENT, changes
// EROFS; through it the grants are reachable read-only; a grant at "/"
// replaces it; guest paths with ".." are refused.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wasi/api.h>

#define SHOW(label, expr) printf("%-28s %d\n", label, (int)(expr))
#define ERR(expr) ((expr) < 0 ? errno : 0)

static const __wasi_rights_t R = __WASI_RIGHTS_FD_READ |
    __WASI_RIGHTS_FD_READDIR | __WASI_RIGHTS_PATH_OPEN |
    __WASI_RIGHTS_FD_FILESTAT_GET | __WASI_RIGHTS_PATH_FILESTAT_GET;

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list(const char *path)
{
    char *names[64];
    int n = 0;
    DIR *d = opendir(path);
    struct dirent *e;
    printf("ls %-25s", path);
    if (!d) {
        printf(" errno %d\n", errno);
        return;
    }
    while ((e = readdir(d)) && n < 64)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, n, sizeof *names, cmp);
    for (int i = 0; i < n; i++) {
        printf(" %s", names[i]);
        free(names[i]);
    }
    printf("\n");
}

/* What fd (opened through the root) reads, and whether it is the same
 * file as `path` (through its own preopen). */
static void read_through(__wasi_fd_t root, const char *rel, const char *path)
{
    __wasi_fd_t fd;
    char buf[32] = { 0 };
    __wasi_iovec_t v = { (uint8_t *)buf, sizeof buf - 1 };
    __wasi_size_t n = 0;
    __wasi_filestat_t a;
    struct stat b;
    __wasi_errno_t e = __wasi_path_open(root, 0, rel, 0, R, R, 0, &fd);
    printf("root %-23s", rel);
    if (e) {
        printf(" errno %d\n", e);
        return;
    }
    (void)__wasi_fd_read(fd, &v, 1, &n);
    (void)__wasi_fd_filestat_get(fd, &a);
    printf(" read '%.*s' same=%d", (int)strcspn(buf, "\n"), buf,
           stat(path, &b) == 0 && b.st_ino == a.ino && b.st_dev == a.dev);
    __wasi_fdstat_t st;
    (void)__wasi_fd_fdstat_get(fd, &st);
    printf(" can write=%d", !!(st.fs_rights_base & __WASI_RIGHTS_FD_WRITE));
    __wasi_ciovec_t w = { (const uint8_t *)"x", 1 };
    printf(" write=%d\n", __wasi_fd_write(fd, &w, 1, &n));
    (void)__wasi_fd_close(fd);
}

static void preopens(void)
{
    __wasi_prestat_t ps;
    char name[64];
    for (__wasi_fd_t fd = 3; fd < 10; fd++) {
        if (__wasi_fd_prestat_get(fd, &ps))
            break;
        memset(name, 0, sizeof name);
        (void)__wasi_fd_prestat_dir_name(fd, (uint8_t *)name, ps.u.dir.pr_name_len);
        printf("preopen %u %s\n", fd, name);
    }
}

static int root_grant(void)
{
    preopens();
    list("/");
    list("/data");
    struct stat st;
    SHOW("stat /xyzzy", ERR(stat("/xyzzy", &st)));
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        return root_grant();
    preopens();
    __wasi_fd_t root = 7;
    struct stat st, st2;

    /* the root and its own directories exist, read-only */
    SHOW("stat /", ERR(stat("/", &st)));
    SHOW("  is dir", S_ISDIR(st.st_mode));
    SHOW("stat /.. is /", stat("/..", &st2) == 0 && st2.st_ino == st.st_ino);
    SHOW("stat /work", ERR(stat("/work", &st2)));
    SHOW("  is dir", S_ISDIR(st2.st_mode));
    list("/");
    list("/work");
    list("/data");
    list("/data/sub");
    /* outside every grant: not there */
    SHOW("open /xyzzy", ERR(open("/xyzzy", O_RDONLY)));
    SHOW("stat /xyzzy/a", ERR(stat("/xyzzy/a", &st2)));
    SHOW("stat /work/y", ERR(stat("/work/y", &st2)));
    SHOW("open /etc/passwd", ERR(open("/etc/passwd", O_RDONLY)));
    /* nothing changes there */
    SHOW("creat /newfile", ERR(open("/newfile", O_CREAT | O_WRONLY, 0644)));
    SHOW("creat /work/new", ERR(open("/work/new", O_CREAT | O_WRONLY, 0644)));
    SHOW("open / for writing", ERR(open("/", O_WRONLY)));
    SHOW("mkdir /data2", ERR(mkdir("/data2", 0755)));
    SHOW("mkdir /work/y", ERR(mkdir("/work/y", 0755)));
    SHOW("rmdir /work", ERR(rmdir("/work")));
    SHOW("unlink /work", ERR(unlink("/work")));
    SHOW("rename /work", ERR(rename("/work", "/w2")));
    SHOW("rename /data/f to /f", ERR(rename("/data/f", "/f")));
    SHOW("symlink /lnk", ERR(symlink("data", "/lnk")));
    SHOW("link /data/f to /f2", ERR(link("/data/f", "/f2")));
    SHOW("root: mkdir data/new", __wasi_path_create_directory(root, "data/new"));
    SHOW("root: unlink data/f", __wasi_path_unlink_file(root, "data/f"));
    SHOW("root: open data/f to write", ({ __wasi_fd_t f;
        __wasi_path_open(root, 0, "data/f", 0, __WASI_RIGHTS_FD_WRITE, 0, 0,
                         &f); }));
    SHOW("root: times", __wasi_path_filestat_set_times(root, 0, "work", 0, 0,
        __WASI_FSTFLAGS_ATIM_NOW));
    /* cwd "/" */
    SHOW("chdir /", ERR(chdir("/")));
    char cwd[64];
    printf("getcwd %s\n", getcwd(cwd, sizeof cwd) ? cwd : "?");
    int fd = open("data/f", O_RDONLY);
    char buf[16] = { 0 };
    SHOW("read data/f (relative)", fd >= 0 ? read(fd, buf, 4) : -errno);
    close(fd);
    /* through the root: the grants read-only, the deepest mount point */
    read_through(root, "data/f", "/data/f");
    read_through(root, "data/sub/g", "/data/sub/g");
    read_through(root, "data/sub/real", "/data/sub/real");
    read_through(root, "work/x/file", "/work/x/file");
    read_through(root, "./work/../data//f", "/data/f");
    read_through(root, "../../data/f", "/data/f");
    read_through(root, "data/../../data/f", "/data/f");
    read_through(root, "data/sub/../f", "/data/f");
    read_through(root, "data/x/../f", "/data/f");
    read_through(root, "data/../xyzzy", "/xyzzy");
    __wasi_filestat_t a, b;
    SHOW("root: stat tmp", __wasi_path_filestat_get(root, 0, "tmp", &a));
    SHOW("  same as /tmp", stat("/tmp", &st2) == 0 && st2.st_ino == a.ino &&
                           st2.st_dev == a.dev);
    char lnk[8];
    __wasi_size_t n;
    SHOW("root: readlink work", __wasi_path_readlink(root, "work", (uint8_t *)lnk,
                                                     sizeof lnk, &n));
    SHOW("root: readlink xyzzy", __wasi_path_readlink(root, "xyzzy", (uint8_t *)lnk,
                                                      sizeof lnk, &n));
    /* a directory of the root's own: ".." stays beneath it */
    __wasi_fd_t work;
    SHOW("root: open work", __wasi_path_open(root, 0, "work",
         __WASI_OFLAGS_DIRECTORY, R, R, 0, &work));
    SHOW("work: stat ..", __wasi_path_filestat_get(work, 0, "..", &b));
    SHOW("work: stat x/file", __wasi_path_filestat_get(work, 0, "x/file", &b));
    SHOW("work: stat x/..", __wasi_path_filestat_get(work, 0, "x/..", &b));
    SHOW("work: filestat is dir", __wasi_fd_filestat_get(work, &b) == 0 &&
         b.filetype == __WASI_FILETYPE_DIRECTORY && b.nlink == 3);
    __wasi_fd_t x;
    SHOW("work: open x", __wasi_path_open(work, 0, "x", __WASI_OFLAGS_DIRECTORY,
                                          R, R, 0, &x));
    SHOW("x: stat ..", __wasi_path_filestat_get(x, 0, "..", &b));
    /* readdir of the root through the raw call, with cookies */
    uint8_t dbuf[256];
    __wasi_size_t used;
    SHOW("root: readdir", __wasi_fd_readdir(root, dbuf, sizeof dbuf, 3, &used));
    for (size_t at = 0; at + sizeof(__wasi_dirent_t) <= used;) {
        __wasi_dirent_t d;
        memcpy(&d, dbuf + at, sizeof d);
        at += sizeof d;
        printf("  entry %.*s type %d next %llu\n", (int)d.d_namlen,
               (char *)dbuf + at, d.d_type, (unsigned long long)d.d_next);
        at += d.d_namlen;
    }
    return 0;
}
