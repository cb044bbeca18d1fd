// Writes one byte far past the end of a new file argv[1], at offset
// argv[2], with pwrite or (argv[3] == "seek") lseek + write, then reads it
// back and a byte of the hole. --max-disk must count the hole (the file's
// apparent size), and a tmpfs must not spend host memory on it.
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    int fd = open(argv[1], O_CREAT | O_RDWR | O_TRUNC, 0644);
    if (fd < 0) { perror("open"); return 2; }
    off_t off = (off_t)strtoll(argv[2], 0, 0);
    ssize_t n;
    if (argc > 3 && !strcmp(argv[3], "seek"))
        n = lseek(fd, off, SEEK_SET) == off ? write(fd, "x", 1) : -1;
    else
        n = pwrite(fd, "x", 1, off);
    if (n != 1) { perror("write"); return 3; }
    char c[2] = { 1, 1 };
    if (pread(fd, &c[0], 1, off / 2) != 1 || pread(fd, &c[1], 1, off) != 1 ||
        c[0] != 0 || c[1] != 'x') {
        printf("read back %d %d\n", c[0], c[1]);
        return 4;
    }
    printf("ok\n");
    return 0;
}
