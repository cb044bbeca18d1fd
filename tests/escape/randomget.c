// random_get of a large buffer, forever: every call is a long host call
// (tens of milliseconds per 240 MiB), and the run must still end at its
// deadline, not at the end of the call in progress.
#include <stdio.h>
#include <stdlib.h>
#include <wasi/api.h>

int main(int argc, char **argv)
{
    size_t n = (size_t)atol(argv[1]) << 20;
    unsigned char *p = malloc(n);
    if (!p)
        return 3;
    for (;;)
        (void)__wasi_random_get(p, n);
}
