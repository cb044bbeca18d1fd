/* zombies N: spawn N children that exit at once and never wait for
 * them: each stays a zombie in the table (host memory, list walks). */
#include "../proc/wbproc.h"
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "x")) return 0;
    int n = argc > 1 ? atoi(argv[1]) : 1000, ok = 0, again = 0;
    const char *v[] = { "me", "x" };
    int32_t pid;
    for (int i = 0; i < n; i++) {
        int rc = wbp_run("/bin/me", v, 2, &pid);
        if (!rc) ok++; else again++;
        if ((i + 1) % 20000 == 0) { printf("%d: ok %d again %d\n", i + 1, ok, again); fflush(stdout); }
    }
    printf("ok %d again %d\n", ok, again);
    return 0;
}
