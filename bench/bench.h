/*
 * bench.h: the common driver of every wasmbox benchmark workload.
 *
 * A workload file defines BENCH_NAME, BENCH_SIZE_FULL, BENCH_SIZE_QUICK and
 * then includes this header, and defines
 *
 *     static uint64_t workload(uint32_t size);
 *
 * which does the work and returns a 64-bit checksum of its result. The size
 * is read from a volatile so the compiler cannot fold the work away.
 *
 * Build variants (all from the same source):
 *   default            main() prints "NAME CHECKSUM" (native and wasm32-wasi)
 *   -DBENCH_QUICK      the smaller size, for smoke tests
 *   -DBENCH_EXPORT     no main: exports `bench() -> i64` for runtimes without
 *                      WASI (wabt's wasm-interp as built by Debian)
 */
#ifndef WB_BENCH_H
#define WB_BENCH_H

#include <stdint.h>
#include <stddef.h>

#ifdef BENCH_QUICK
static volatile uint32_t bench_size = BENCH_SIZE_QUICK;
#else
static volatile uint32_t bench_size = BENCH_SIZE_FULL;
#endif

static uint64_t workload(uint32_t size);

/* Small helpers shared by the workloads. */
static inline uint64_t bench_mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    return h;
}

static inline uint64_t bench_double_bits(double d)
{
    union { double d; uint64_t u; } u = { d };
    return u.u;
}

/* xorshift64*: deterministic input data everywhere. */
typedef struct { uint64_t s; } bench_rng;
static inline uint64_t bench_next(bench_rng *r)
{
    uint64_t x = r->s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    r->s = x;
    return x * 0x2545f4914f6cdd1dull;
}

#ifdef BENCH_EXPORT
#if defined(__wasm__)
__attribute__((export_name("bench")))
#endif
uint64_t bench(void);
uint64_t bench(void) { return workload(bench_size); }
#else
#include <stdio.h>
int main(void)
{
    uint64_t c = workload(bench_size);
    printf("%s %016llx\n", BENCH_NAME, (unsigned long long)c);
    return 0;
}
#endif

#endif
