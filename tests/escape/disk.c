// Writes up to 100 MiB into argv[1]; --max-disk must stop it.
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char chunk[64 * 1024];

int main(int argc, char **argv)
{
    memset(chunk, 'x', sizeof chunk);
    int fd = open(argv[1], O_CREAT | O_WRONLY | O_TRUNC, 0644);
    if (fd < 0) { perror("open"); return 2; }
    for (int i = 0; i < 1600; i++)
        if (write(fd, chunk, sizeof chunk) != sizeof chunk) {
            perror("write");
            return 3;
        }
    printf("wrote everything\n");
    return 1;
}
