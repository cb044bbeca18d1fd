// Tries to open each argument for reading (and, with -w, for writing).
// Exit 0 when every attempt was refused, 1 if anything opened.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    int flags = O_RDONLY, escaped = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-w")) { flags = O_WRONLY | O_CREAT | O_TRUNC; continue; }
        int fd = open(argv[i], flags, 0644);
        if (fd >= 0) {
            char buf[32] = {0};
            ssize_t n = read(fd, buf, sizeof buf - 1);
            printf("%s: OPENED (%zd bytes: %.20s)\n", argv[i], n, buf);
            escaped = 1;
            close(fd);
        } else {
            printf("%s: refused (%s)\n", argv[i], strerror(errno));
        }
    }
    return escaped;
}
