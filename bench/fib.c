/* fib: naive doubly recursive Fibonacci. Measures calls and returns. */
#define BENCH_NAME "fib"
#define BENCH_SIZE_FULL 38
#define BENCH_SIZE_QUICK 24
#include "bench.h"

__attribute__((noinline)) static uint32_t fib(uint32_t n)
{
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

static uint64_t workload(uint32_t n)
{
    uint64_t h = 0;
    h = bench_mix(h, fib(n));
    h = bench_mix(h, fib(n - 3));
    return h;
}
