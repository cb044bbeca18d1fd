/* argvbomb: an argv list of N MiB of NULs (N million empty strings) to
 * spawn of a path that does not exist. The host copies the list before
 * it looks for the image: a pointer and a malloc per string. */
#include "../proc/wbproc.h"
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv)
{
    size_t mib = argc > 1 ? (size_t)atoi(argv[1]) : 100;
    int reps = argc > 2 ? atoi(argv[2]) : 1;
    char *buf = calloc(mib << 20, 1);
    if (!buf) { puts("calloc failed"); return 1; }
    static const int32_t fds[3] = { 0, 1, 2 };
    int32_t pid;
    for (int i = 0; i < reps; i++) {
        int rc = wbp_spawn("/nonexistent", 12, buf, (uint32_t)(mib << 20),
                           "", 0, "", 0, fds, &pid);
        printf("spawn rc %d\n", rc);
    }
    return 0;
}
