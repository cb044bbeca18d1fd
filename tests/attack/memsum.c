/* memsum: N children each allocating 40 MiB under one --max-memory. */
#include "../proc/wbproc.h"
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc > 1 && !strcmp(argv[1], "alloc")) {
        char *p = malloc(40 << 20);
        if (!p) { printf("pid %d: malloc failed\n", wbp_getpid()); return 2; }
        memset(p, 1, 40 << 20);
        printf("pid %d: holds 40 MiB (%d)\n", wbp_getpid(), p[(40 << 20) - 1]);
        sleep(3);
        return 0;
    }
    const char *v[] = { "me", "alloc" };
    int32_t pid, st;
    for (int i = 0; i < 6; i++)
        printf("spawn %d: %d\n", i, wbp_run("/bin/me", v, 2, &pid));
    int r;
    while ((r = wbp_wait(-1, 0, &st)) > 0) printf("reaped %d status %x\n", r, st);
    return 0;
}
