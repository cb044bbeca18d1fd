/* sieve: the sieve of Eratosthenes over a byte array, repeated. Measures
 * tight loops with byte loads and stores. */
#define BENCH_NAME "sieve"
#define BENCH_SIZE_FULL 20
#define BENCH_SIZE_QUICK 1
#include "bench.h"
#include <stdlib.h>
#include <string.h>

#ifdef BENCH_QUICK
#define LIMIT 400000u
#else
#define LIMIT 4000000u
#endif

static uint64_t workload(uint32_t rounds)
{
    uint8_t *composite = malloc(LIMIT + 1);
    uint64_t h = 0;
    if (!composite)
        return 0;
    for (uint32_t r = 0; r < rounds; r++) {
        uint32_t limit = LIMIT - r * 1000u;
        uint32_t count = 0;
        uint64_t sum = 0;
        for (uint32_t i = 0; i <= limit; i++)
            composite[i] = 0;
        for (uint32_t i = 2; (uint64_t)i * i <= limit; i++)
            if (!composite[i])
                for (uint32_t j = i * i; j <= limit; j += i)
                    composite[j] = 1;
        for (uint32_t i = 2; i <= limit; i++)
            if (!composite[i]) {
                count++;
                sum += i;
            }
        h = bench_mix(h, count);
        h = bench_mix(h, sum);
    }
    free(composite);
    return h;
}
