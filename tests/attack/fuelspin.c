/* fuelspin N: N children spin; one --fuel pool must end them all. */
#include "../proc/wbproc.h"
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "spin")) { volatile unsigned x = 0; for (;;) x++; }
    int n = argc > 1 ? atoi(argv[1]) : 10;
    const char *v[] = { "me", "spin" };
    int32_t pid, st;
    for (int i = 0; i < n; i++) wbp_run("/bin/me", v, 2, &pid);
    while (wbp_wait(-1, 0, &st) > 0) ;
    return 0;
}
