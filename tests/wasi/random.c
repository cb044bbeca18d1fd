// RUN random: -- $WASM
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <wasi/api.h>

static unsigned char big[1 << 20];

int main(void)
{
    unsigned char a[32] = {0}, b[32] = {0};
    getentropy(a, sizeof a);
    getentropy(b, sizeof b);
    printf("differ=%d\n", memcmp(a, b, sizeof a) != 0);
    printf("big=%d\n", __wasi_random_get(big, sizeof big) == 0);
    int nz = 0;
    for (size_t i = 0; i < sizeof big; i++) nz += big[i] != 0;
    printf("filled=%d\n", nz > (1 << 19));
    /* a buffer reaching past the end of memory is a fault, not a crash */
    printf("fault=%d\n", __wasi_random_get((uint8_t *)0xfffffff0, 64));
    return 0;
}
