/* matmul: dense double-precision matrix multiply (i-k-j order), repeated.
 * Measures f64 loads, multiply-adds and strided loops. */
#define BENCH_NAME "matmul"
#define BENCH_SIZE_FULL 512
#define BENCH_SIZE_QUICK 64
#include "bench.h"
#include <stdlib.h>

static uint64_t workload(uint32_t n)
{
    double *a = malloc(sizeof(double) * n * n);
    double *b = malloc(sizeof(double) * n * n);
    double *c = malloc(sizeof(double) * n * n);
    bench_rng rng = { 0x1234567887654321ull };
    uint64_t h = 0;
    if (!a || !b || !c)
        return 0;
    for (uint32_t i = 0; i < n * n; i++) {
        a[i] = (double)(bench_next(&rng) % 2001) / 1000.0 - 1.0;
        b[i] = (double)(bench_next(&rng) % 2001) / 1000.0 - 1.0;
    }
    for (int rep = 0; rep < 2; rep++) {
        for (uint32_t i = 0; i < n * n; i++)
            c[i] = 0.0;
        for (uint32_t i = 0; i < n; i++)
            for (uint32_t k = 0; k < n; k++) {
                double aik = a[i * n + k];
                double *ci = c + (size_t)i * n;
                const double *bk = b + (size_t)k * n;
                for (uint32_t j = 0; j < n; j++)
                    ci[j] += aik * bk[j];
            }
        double trace = 0.0, total = 0.0;
        for (uint32_t i = 0; i < n; i++)
            trace += c[i * n + i];
        for (uint32_t i = 0; i < n * n; i++)
            total += c[i];
        h = bench_mix(h, bench_double_bits(trace));
        h = bench_mix(h, bench_double_bits(total));
        /* Feed the result back so the two rounds differ. */
        double *t = a; a = c; c = t;
        for (uint32_t i = 0; i < n * n; i++)
            a[i] *= 0.01;
    }
    free(a);
    free(b);
    free(c);
    return h;
}
