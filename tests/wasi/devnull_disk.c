// RUN devnull_disk: --max-disk 64K -- $WASM
/* Growing /dev/null (ftruncate, posix_fallocate) fails as on Linux and
 * takes nothing of the disk budget: 50 MB asked under --max-disk 64K do
 * not end the run (found by the issue-19 attack session). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
    int fd = open("/dev/null", O_WRONLY);
    int rc = ftruncate(fd, 50 << 20);
    printf("ftruncate        %s\n", rc ? strerror(errno) : "ok");
    rc = posix_fallocate(fd, 0, 50 << 20);
    printf("posix_fallocate  %s\n", rc ? "refused" : "ok");
    printf("still running\n");
    return 0;
}
