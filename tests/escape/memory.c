// Allocates (and touches) 1 MiB blocks up to 2 GiB. The blocks are kept
// in a global so the compiler cannot elide the allocations.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *blocks[2048];

int main(void)
{
    for (int i = 0; i < 2048; i++) {
        blocks[i] = malloc(1 << 20);
        if (!blocks[i]) {
            printf("malloc failed after %d MiB\n", i);
            return 3;
        }
        memset(blocks[i], i, 1 << 20);
    }
    printf("allocated 2 GiB %d\n", blocks[2047][5]);
    return 1;
}
