// RUN devnull: -- $WASM
// RUN devnull_rootgrant: --dir $T:/ -- $WASM
// SETUP: mkdir -p dev
/* The virtual root's /dev/null (vroot.c): opened for writing, created or
 * truncated, it swallows every byte; read, it is at its end; it is a
 * character device; nothing else can be made beside it. Its open flags,
 * and the names of the root, answer as on Linux (O_DIRECTORY: ENOTDIR;
 * mkdir or symlink of a name that exists: EEXIST before the read-only
 * root's EROFS). A grant at "/" hides it (devnull_rootgrant: its own,
 * empty dev directory, where the host answers). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void show(const char *what, int rc)
{
    printf("%-28s %s\n", what, rc < 0 ? strerror(errno) : "ok");
}

int main(void)
{
    int fd = open("/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0666);
    show("open > /dev/null", fd);
    printf("%-28s %zd\n", "write 3 bytes", write(fd, "abc", 3));
    close(fd);
    FILE *f = fopen("/dev/null", "a");
    show("fopen(\"a\")", f ? 0 : -1);
    if (f)
        fclose(f);
    fd = open("/dev/null", O_RDONLY);
    char b[4];
    printf("%-28s %zd\n", "read", fd < 0 ? -1 : read(fd, b, sizeof b));
    struct stat st;
    int rc = stat("/dev/null", &st);
    printf("%-28s %s\n", "stat is a char device",
           rc == 0 && S_ISCHR(st.st_mode) ? "yes" : "no");
    show("open O_EXCL", open("/dev/null", O_WRONLY | O_CREAT | O_EXCL, 0666));
    show("unlink", unlink("/dev/null"));
    show("create /dev/x", open("/dev/x", O_WRONLY | O_CREAT, 0666));
    show("open /dev/null/", open("/dev/null/", O_RDONLY));
    show("open O_DIRECTORY", open("/dev/null", O_RDONLY | O_DIRECTORY));
    show("open O_WRONLY|O_DIRECTORY", open("/dev/null",
                                           O_WRONLY | O_DIRECTORY));
    show("open O_CREAT|O_DIRECTORY", open("/dev/null", O_RDONLY | O_CREAT |
                                          O_DIRECTORY, 0666));
    show("open O_RDWR", open("/dev/null", O_RDWR));
    show("open O_WRONLY|O_APPEND", open("/dev/null", O_WRONLY | O_APPEND));
    show("open O_WRONLY|O_TRUNC", open("/dev/null", O_WRONLY | O_TRUNC));
    rc = stat("/dev", &st);
    printf("%-28s %s\n", "stat /dev is a directory",
           rc == 0 && S_ISDIR(st.st_mode) ? "yes" : "no");
    show("mkdir /dev", mkdir("/dev", 0777));
    show("mkdir /", mkdir("/", 0777));
    show("symlink to /dev/null", symlink("/x", "/dev/null"));
    show("mkdir /dev/null", mkdir("/dev/null", 0777));
    return 0;
}
