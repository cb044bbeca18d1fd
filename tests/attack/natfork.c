/* natfork: fork from native code (must be ENOSYS), and fork deep in
 * recursion with a big stack (copying the frames), fork many times. */
#define WBP_FORK
#include "../proc/wbproc.h"
#include <stdio.h>
#include <stdlib.h>
static int deep(int n)
{
    volatile char pad[256];
    pad[0] = (char)n;
    if (n == 0) {
        int r = wbp_fork();
        if (r == 0) { printf("child at depth, pad %d\n", pad[0]); exit(5); }
        return r;
    }
    return deep(n - 1) + pad[0] * 0;
}
int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    int depth = argc > 1 ? atoi(argv[1]) : 0;
    int r = deep(depth);
    printf("fork returned %d\n", r);
    int32_t st;
    if (r > 0) printf("wait %d status %x\n", wbp_wait(r, 0, &st), st);
    return 0;
}
