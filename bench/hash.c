/* hash: FNV-1a (bytewise) and a 64-bit multiply-rotate block hash (word
 * at a time, written for this suite) over a large pseudo-random buffer.
 * Measures byte and word loads, 64-bit multiplies and rotates. */
#define BENCH_NAME "hash"
#define BENCH_SIZE_FULL 40
#define BENCH_SIZE_QUICK 1
#include "bench.h"
#include <stdlib.h>
#include <string.h>

#define BUF_BYTES (8u << 20)

static uint64_t fnv1a(const uint8_t *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

static inline uint64_t rotl64(uint64_t x, int r)
{
    return (x << r) | (x >> (64 - r));
}

static inline uint64_t load64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* Four independent lanes, then a fold: the shape of the fast hashes. */
static uint64_t lanehash(const uint8_t *p, size_t n, uint64_t seed)
{
    const uint64_t k1 = 0x9fb21c651e98df25ull, k2 = 0xc2b2ae3d27d4eb4full;
    uint64_t v[4] = { seed + k1, seed ^ k2, seed - k1, ~seed };
    size_t i = 0;
    for (; i + 32 <= n; i += 32)
        for (int l = 0; l < 4; l++) {
            v[l] += load64(p + i + 8 * l) * k2;
            v[l] = rotl64(v[l], 31) * k1;
        }
    uint64_t h = rotl64(v[0], 1) + rotl64(v[1], 7) + rotl64(v[2], 12) +
                 rotl64(v[3], 18);
    for (; i < n; i++)
        h = rotl64(h ^ (p[i] * k1), 11) * k2;
    h ^= h >> 33;
    h *= k2;
    h ^= h >> 29;
    return h;
}

static uint64_t workload(uint32_t rounds)
{
    uint8_t *buf = malloc(BUF_BYTES);
    bench_rng rng = { 0xfeedfacecafebeefull };
    uint64_t h = 0;
    if (!buf)
        return 0;
    for (size_t i = 0; i < BUF_BYTES; i += 8) {
        uint64_t v = bench_next(&rng);
        memcpy(buf + i, &v, 8);
    }
    for (uint32_t r = 0; r < rounds; r++) {
        size_t len = BUF_BYTES - r * 7u;
        if (r % 4 == 0)
            h = bench_mix(h, fnv1a(buf + r, len));
        else
            h = bench_mix(h, lanehash(buf + r, len, h));
    }
    free(buf);
    return h;
}
