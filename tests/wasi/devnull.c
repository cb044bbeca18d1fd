// RUN devnull: -- $WASM
// RUN devnull_rootgrant: --dir $T:/ -- $WASM
// SETUP: mkdir -p dev
/* The virtual root's /dev/null (vroot.c): opened for writing, created or
 * truncated, it swallows every byte; read, it is at its end; it is a
 * character device; nothing else can be made beside it. A grant at "/"
 * hides it (devnull_rootgrant: its own, empty dev directory). */
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
    return 0;
}
