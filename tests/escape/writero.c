// Every way of changing a read-only grant must fail with EROFS.
// Exit 0 when all were refused.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>
#include <wasi/api.h>

static int bad;

static void expect(const char *what, int rc)
{
    int e = errno;
    printf("%-22s %s\n", what, rc < 0 ? strerror(e) : "SUCCEEDED");
    if (rc >= 0) bad = 1;
}

int main(void)
{
    char buf[16];
    int fd = open("/ro/file.txt", O_RDONLY);
    printf("read allowed: %s\n", fd >= 0 && read(fd, buf, 5) == 5 ? "yes" : "no");
    errno = 0;
    expect("write via rdonly fd", fd >= 0 ? (int)write(fd, "x", 1) : -1);
    expect("ftruncate", ftruncate(fd, 0));
    struct timespec ts[2] = { { 0, UTIME_NOW }, { 0, UTIME_NOW } };
    expect("futimens", futimens(fd, ts));
    int e = __wasi_fd_allocate(fd, 0, 100);
    errno = e;
    expect("fd_allocate", e ? -1 : 0);
    close(fd);
    expect("open write", open("/ro/file.txt", O_WRONLY));
    expect("open rdwr", open("/ro/file.txt", O_RDWR));
    expect("open trunc", open("/ro/file.txt", O_RDONLY | O_TRUNC));
    expect("create", open("/ro/new.txt", O_CREAT | O_WRONLY, 0644));
    expect("mkdir", mkdir("/ro/newdir", 0755));
    expect("rmdir", rmdir("/ro/dir"));
    expect("unlink", unlink("/ro/file.txt"));
    expect("rename", rename("/ro/file.txt", "/ro/moved.txt"));
    expect("rename out", rename("/ro/file.txt", "/rw/moved.txt"));
    expect("symlink", symlink("file.txt", "/ro/ln"));
    expect("link", link("/ro/file.txt", "/ro/hard"));
    expect("link to rw grant", link("/ro/file.txt", "/rw/hard"));
    struct timeval tv[2] = { { 1, 0 }, { 1, 0 } };
    expect("utimes", utimes("/ro/file.txt", tv));
    expect("truncate", truncate("/ro/file.txt", 0));
    fd = open("/ro/dir", O_RDONLY | O_DIRECTORY);
    expect("openat create", openat(fd, "x", O_CREAT | O_WRONLY, 0644));
    return bad;
}
