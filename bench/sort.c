/* sort: a generic quicksort (median of three, insertion sort below 16
 * elements) written for this suite, calling its comparator through a
 * function pointer, as qsort does (call_indirect in wasm). Sorts records by
 * key, then a string-ish key. The suite's own sort rather than the libc's
 * qsort keeps the algorithm the same on every runtime. */
#define BENCH_NAME "sort"
#define BENCH_SIZE_FULL 300000
#define BENCH_SIZE_QUICK 20000
#include "bench.h"
#include <stdlib.h>
#include <string.h>

typedef int (*cmp_fn)(const void *, const void *);

typedef struct {
    uint32_t key;
    uint32_t id;
    char tag[8];
} record;

static void swap_bytes(char *a, char *b, size_t size)
{
    while (size--) {
        char t = *a;
        *a++ = *b;
        *b++ = t;
    }
}

static void gsort(void *base, size_t n, size_t size, cmp_fn cmp)
{
    char *a = base;
    while (n > 16) {
        char *lo = a, *mid = a + (n / 2) * size, *hi = a + (n - 1) * size;
        if (cmp(mid, lo) < 0) swap_bytes(mid, lo, size);
        if (cmp(hi, mid) < 0) {
            swap_bytes(hi, mid, size);
            if (cmp(mid, lo) < 0) swap_bytes(mid, lo, size);
        }
        /* Hoare partition around the median, kept at `mid`'s value. */
        swap_bytes(mid, a, size);
        size_t i = 0, j = n;
        for (;;) {
            do i++; while (i < n && cmp(a + i * size, a) < 0);
            do j--; while (cmp(a + j * size, a) > 0);
            if (i >= j) break;
            swap_bytes(a + i * size, a + j * size, size);
        }
        swap_bytes(a, a + j * size, size);
        /* Recurse into the smaller side, loop on the larger. */
        size_t left = j, right = n - j - 1;
        if (left < right) {
            gsort(a, left, size, cmp);
            a += (j + 1) * size;
            n = right;
        } else {
            gsort(a + (j + 1) * size, right, size, cmp);
            n = left;
        }
    }
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && cmp(a + (j - 1) * size, a + j * size) > 0;
             j--)
            swap_bytes(a + (j - 1) * size, a + j * size, size);
}

static int by_key(const void *x, const void *y)
{
    const record *a = x, *b = y;
    if (a->key != b->key) return a->key < b->key ? -1 : 1;
    return a->id < b->id ? -1 : a->id > b->id;
}

static int by_tag(const void *x, const void *y)
{
    const record *a = x, *b = y;
    int c = memcmp(a->tag, b->tag, sizeof a->tag);
    if (c) return c;
    return a->id < b->id ? -1 : a->id > b->id;
}

static int by_u32(const void *x, const void *y)
{
    uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
    return a < b ? -1 : a > b;
}

/* Through volatiles so the comparators are not inlined into gsort. */
static cmp_fn volatile cmp_table[3] = { by_key, by_tag, by_u32 };

static uint64_t workload(uint32_t n)
{
    record *r = malloc(sizeof *r * n);
    uint32_t *v = malloc(sizeof *v * n);
    bench_rng rng = { 0x0123456789abcdefull };
    uint64_t h = 0;
    if (!r || !v)
        return 0;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t x = bench_next(&rng);
        r[i].key = (uint32_t)(x % (n / 4 + 1));
        r[i].id = i;
        for (int k = 0; k < 8; k++)
            r[i].tag[k] = (char)('a' + (x >> (8 + 5 * k)) % 6);
        v[i] = (uint32_t)(x >> 32);
    }
    gsort(r, n, sizeof *r, cmp_table[0]);
    for (uint32_t i = 0; i < n; i += 97)
        h = bench_mix(h, r[i].id);
    gsort(r, n, sizeof *r, cmp_table[1]);
    for (uint32_t i = 0; i < n; i += 89)
        h = bench_mix(h, r[i].id);
    gsort(v, n, sizeof *v, cmp_table[2]);
    for (uint32_t i = 1; i < n; i++)
        if (v[i - 1] > v[i])
            h = bench_mix(h, 0xbad);
    h = bench_mix(h, v[n / 2]);
    free(r);
    free(v);
    return h;
}
