/* biglist MIB: spawn with an argv list of MIB MiB of NULs (a million
 * empty strings a MiB). The host copies each string of a list, so a list
 * past 2 MiB (a pointer counted per string) is refused with E2BIG before
 * any copy: the run stays small and quick. */
#include "wbproc.h"
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    size_t len = (size_t)(argc > 1 ? atoi(argv[1]) : 100) << 20;
    char *buf = calloc(len, 1);
    static const int32_t fds[3] = { 0, 1, 2 };
    int32_t pid;
    if (!buf)
        return 1;
    printf("spawn: %d\n", wbp_spawn("/nonexistent", 12, buf, (uint32_t)len,
                                    "", 0, "", 0, fds, &pid));
    printf("exec: %d\n", wbp_exec("/nonexistent", 12, "", 0, buf,
                                  (uint32_t)len, "", 0));
    return 0;
}
