/* spawnmany PATH N: spawn PATH N times without waiting, then report and
 * wait for them all (they are expected to run until the deadline). */
#include "../proc/wbproc.h"
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv)
{
    const char *path = argv[1];
    int n = atoi(argv[2]);
    static const int32_t fds[3] = { 0, 1, 2 };
    for (int i = 0; i < n; i++) {
        int32_t pid = 0;
        int rc = wbp_spawn(path, strlen(path), "x", 2, "", 0, "", 0, fds, &pid);
        printf("spawn %d rc %d pid %d\n", i, rc, pid);
        fflush(stdout);
    }
    int32_t st;
    while (wbp_wait(-1, 0, &st) > 0)
        ;
    return 0;
}
