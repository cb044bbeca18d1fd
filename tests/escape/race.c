// While the host keeps moving directories around inside the grant, keep
// trying paths whose ".." would lead out if resolution followed the moves.
// Exit 0 if nothing outside the grant was ever opened.
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
    const char *paths[] = {
        "/data/a/b/../../../outside/secret",
        "/data/a/b/c/../../../../outside/secret",
        "/data/b/../../outside/secret",
    };
    int escaped = 0, tries = 0;
    for (int i = 0; i < 3000; i++)
        for (int k = 0; k < 3; k++, tries++) {
            int fd = open(paths[k], O_RDONLY);
            if (fd >= 0) {
                char buf[16] = {0};
                read(fd, buf, 10);
                if (!strncmp(buf, "top secret", 10)) escaped++;
                close(fd);
            }
        }
    printf("tries=%d escaped=%d\n", tries, escaped);
    return escaped != 0;
}
