// RUN files_host: --dir $T/data:/data -- $WASM /data links
// RUN files_host_walk: --x-resolve-walk --dir $T/data:/data -- $WASM /data links
// RUN files_tmpfs: --tmpfs /data:1M -- $WASM /data nolinks
// SETUP: mkdir -p $T/data
// File and directory operations on a writable grant, with error paths.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

static char root[256];
static const char *P(const char *rel)
{
    static char buf[8][512];
    static int k;
    k = (k + 1) % 8;
    snprintf(buf[k], sizeof buf[k], "%s/%s", root, rel);
    return buf[k];
}

#define CHECK(label, expr) \
    printf("%-28s %s\n", label, (expr) ? "ok" : strerror(errno))
#define ERR(label, expr) \
    do { errno = 0; int r_ = (expr); \
         printf("%-28s %s\n", label, r_ < 0 ? strerror(errno) : "succeeded?!"); } while (0)

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list(const char *dir)
{
    DIR *d = opendir(dir);
    char *names[64];
    int n = 0;
    struct dirent *de;
    if (!d) { printf("opendir: %s\n", strerror(errno)); return; }
    while ((de = readdir(d)) && n < 64)
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            names[n++] = strdup(de->d_name);
    closedir(d);
    qsort(names, n, sizeof *names, cmp);
    printf("ls:");
    for (int i = 0; i < n; i++) { printf(" %s", names[i]); free(names[i]); }
    printf("\n");
}

int main(int argc, char **argv)
{
    snprintf(root, sizeof root, "%s", argv[1]);
    int links = argc > 2 && !strcmp(argv[2], "links");
    char buf[64] = {0};

    int fd = open(P("a.txt"), O_CREAT | O_RDWR | O_TRUNC, 0644);
    CHECK("create", fd >= 0);
    CHECK("write", write(fd, "hello world", 11) == 11);
    CHECK("lseek end", lseek(fd, 0, SEEK_END) == 11);
    CHECK("pwrite", pwrite(fd, "HELLO", 5, 0) == 5);
    CHECK("pread", pread(fd, buf, 11, 0) == 11 && !memcmp(buf, "HELLO world", 11));
    CHECK("lseek set+read", lseek(fd, 6, SEEK_SET) == 6 && read(fd, buf, 5) == 5 &&
          !memcmp(buf, "world", 5));
    CHECK("read at eof", read(fd, buf, 5) == 0);
    struct stat st;
    CHECK("fstat", fstat(fd, &st) == 0 && st.st_size == 11 && S_ISREG(st.st_mode));
    CHECK("ftruncate grow", ftruncate(fd, 20) == 0 && fstat(fd, &st) == 0 &&
          st.st_size == 20);
    CHECK("zero fill", pread(fd, buf, 9, 11) == 9 && buf[0] == 0 && buf[8] == 0);
    CHECK("ftruncate shrink", ftruncate(fd, 5) == 0 && fstat(fd, &st) == 0 &&
          st.st_size == 5);
    CHECK("close", close(fd) == 0);
    ERR("close again", close(fd));

    fd = open(P("a.txt"), O_WRONLY | O_APPEND);
    CHECK("append", fd >= 0 && write(fd, "+tail", 5) == 5 && close(fd) == 0);
    CHECK("stat", stat(P("a.txt"), &st) == 0 && st.st_size == 10);
    ERR("open excl", open(P("a.txt"), O_CREAT | O_EXCL | O_WRONLY, 0644));
    ERR("open missing", open(P("nope.txt"), O_RDONLY));
    ERR("open file as dir", open(P("a.txt/x"), O_RDONLY));
    ERR("open dir for write", open(P(""), O_WRONLY));

    CHECK("mkdir", mkdir(P("sub"), 0755) == 0);
    ERR("mkdir exists", mkdir(P("sub"), 0755));
    CHECK("mkdir nested", mkdir(P("sub/inner"), 0755) == 0);
    ERR("rmdir not empty", rmdir(P("sub")));
    ERR("unlink dir", unlink(P("sub")));
    ERR("rmdir file", rmdir(P("a.txt")));
    CHECK("rename file", rename(P("a.txt"), P("sub/b.txt")) == 0);
    ERR("stat old name", stat(P("a.txt"), &st));
    CHECK("stat new name", stat(P("sub/b.txt"), &st) == 0 && st.st_size == 10);
    CHECK("rename dir", rename(P("sub/inner"), P("inner2")) == 0);
    ERR("rename into self", rename(P("sub"), P("sub/x")));
    fd = open(P("sub/b.txt"), O_RDONLY);
    CHECK("read renamed", fd >= 0 && read(fd, buf, 10) == 10 &&
          !memcmp(buf, "HELLO+tail", 10) && close(fd) == 0);
    for (int i = 0; i < 3; i++) {
        char name[32];
        snprintf(name, sizeof name, "sub/f%d", i);
        close(open(P(name), O_CREAT | O_WRONLY, 0644));
    }
    list(P("sub"));
    list(P(""));
    struct timeval tv[2] = { { 1000000000, 0 }, { 1234567890, 0 } };
    CHECK("utimes", utimes(P("sub/b.txt"), tv) == 0 && stat(P("sub/b.txt"), &st) == 0 &&
          st.st_mtim.tv_sec == 1234567890);
    if (links) {
        CHECK("symlink", symlink("sub/b.txt", P("ln")) == 0);
        ssize_t n = readlink(P("ln"), buf, sizeof buf);
        CHECK("readlink", n == 9 && !memcmp(buf, "sub/b.txt", 9));
        fd = open(P("ln"), O_RDONLY);
        CHECK("open via symlink", fd >= 0 && read(fd, buf, 5) == 5 && close(fd) == 0);
        CHECK("lstat symlink", lstat(P("ln"), &st) == 0 && S_ISLNK(st.st_mode));
        ERR("open nofollow", open(P("ln"), O_RDONLY | O_NOFOLLOW));
        CHECK("link", link(P("sub/b.txt"), P("hard")) == 0 &&
              stat(P("hard"), &st) == 0 && st.st_nlink == 2);
        CHECK("unlink symlink", unlink(P("ln")) == 0 && unlink(P("hard")) == 0);
        ERR("absolute symlink", symlink("/etc/passwd", P("abs")));
    }
    ERR("unlink missing", unlink(P("nope")));
    ERR("file slash", unlink(P("sub/b.txt/")));
    for (int i = 0; i < 3; i++) {
        char name[32];
        snprintf(name, sizeof name, "sub/f%d", i);
        unlink(P(name));
    }
    CHECK("unlink", unlink(P("sub/b.txt")) == 0);
    CHECK("rmdir", rmdir(P("sub")) == 0 && rmdir(P("inner2")) == 0);
    /* an fd to a removed file keeps working */
    fd = open(P("tmp"), O_CREAT | O_RDWR, 0644);
    CHECK("unlink open file", fd >= 0 && unlink(P("tmp")) == 0 &&
          write(fd, "xyz", 3) == 3 && pread(fd, buf, 3, 0) == 3 && close(fd) == 0);
    list(P(""));
    return 0;
}
