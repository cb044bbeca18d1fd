/* memops: memcpy, memmove and memset heavy code: copies of many sizes
 * between and within buffers, as buffer management and serialisation do.
 * Measures each platform's libc memory routines and bulk byte moves. */
#define BENCH_NAME "memops"
#define BENCH_SIZE_FULL 200
#define BENCH_SIZE_QUICK 1
#include "bench.h"
#include <stdlib.h>
#include <string.h>

#define BUF (4u << 20)

static uint64_t workload(uint32_t rounds)
{
    uint8_t *a = malloc(BUF), *b = malloc(BUF);
    bench_rng rng = { 0x5555aaaa3333ccccull };
    uint64_t h = 0;
    if (!a || !b)
        return 0;
    for (size_t i = 0; i < BUF; i++)
        a[i] = (uint8_t)(i * 131 + (i >> 9));
    memset(b, 0, BUF);
    for (uint32_t r = 0; r < rounds; r++) {
        /* Large block copies and fills. */
        memcpy(b, a, BUF);
        memset(a + (r & 4095), (int)r, BUF / 2);
        memmove(a + 17, a, BUF / 2);
        /* Many small and medium copies at odd offsets. */
        for (int k = 0; k < 20000; k++) {
            uint64_t x = bench_next(&rng);
            size_t len = (x & 7) == 0 ? (x >> 8) % 4096 : (x >> 8) % 64;
            size_t from = (x >> 24) % (BUF - 4096);
            size_t to = (x >> 44) % (BUF - 4096);
            if (x & 0x10)
                memcpy(a + to, b + from, len);
            else if (x & 0x20)
                memmove(b + to, b + from, len);
            else
                memset(b + to, (int)(x >> 3), len);
        }
        /* Checksum a sample of both buffers. */
        for (size_t i = 0; i < BUF; i += 4093)
            h = bench_mix(h, (uint64_t)a[i] << 8 | b[i]);
    }
    free(a);
    free(b);
    return h;
}
