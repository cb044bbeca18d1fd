/* mix.c: a WASI program whose output must not depend on the tier:
 * integer and float arithmetic, indirect calls, recursion, a switch
 * (br_table), memory growth, strings and formatted output. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static uint64_t fib(unsigned n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

static const char *kind(int c)
{
    switch (c % 7) {
    case 0: return "zero";
    case 1: return "one";
    case 2: return "two";
    case 3: return "three";
    case 4: return "four";
    case 5: return "five";
    default: return "six";
    }
}

static double (*const funcs[])(double) = { cbrt, floor, ceil, trunc, round, fabs };

int main(int argc, char **argv)
{
    enum { N = 200000 };
    int *v = malloc(N * sizeof *v);           /* grows memory */
    uint32_t x = 12345;
    for (int i = 0; i < N; i++) {
        x = x * 1103515245u + 12345u;
        v[i] = (int)(x >> 3) - (1 << 27);
    }
    qsort(v, N, sizeof *v, cmp_int);
    printf("sorted: %d %d %d\n", v[0], v[N / 2], v[N - 1]);
    int64_t acc = 0;
    for (int i = 0; i < N; i++)
        acc += (int64_t)v[i] * (i % 13) - (v[i] >> (i % 31)) + ((uint32_t)v[i] % 97u);
    printf("acc: %lld\n", (long long)acc);
    printf("fib(27): %llu\n", (unsigned long long)fib(27));
    double d = 0;
    for (int i = 1; i < 1000; i++)
        d += funcs[i % 6](i * 0.37 - 100.0) / i;
    printf("floats: %.12g %.6f %g %g\n", d, sin(1.0) * exp(0.5), fmin(-0.0, 0.0),
           (double)(float)1e40);
    char buf[64];
    int n = 0;
    for (int i = 0; i < 20; i++)
        n += strlen(kind(i * 3));
    snprintf(buf, sizeof buf, "%s-%s-%d", kind(argc), kind(12), n);
    printf("strings: %s %zu\n", buf, strlen(argv[0]));
    printf("conv: %d %u %lld %d\n", (int)-3.99, (unsigned)3.99e9,
           (long long)-9.2e18, (int)(float)16777217);
    free(v);
    return 0;
}
