/* strings: text processing. Builds a large text of pseudo-random words,
 * splits it into words, counts them in a chained hash table (strcmp on
 * collisions), upper-cases and reverses words, formats "WORD:count"
 * records and searches with strstr/strchr. Measures byte loops, branches
 * and the libc string functions of each platform. (No stdio, so the
 * import-free variant for wasm-interp links too.) */
#define BENCH_NAME "strings"
#define BENCH_SIZE_FULL 2
#define BENCH_SIZE_QUICK 1
#include "bench.h"
#include <stdlib.h>
#include <string.h>

#ifdef BENCH_QUICK
#define TEXT_WORDS 30000u
#else
#define TEXT_WORDS 300000u
#endif
#define NBUCKETS 4096u

static const char *const syll[16] = {
    "ka", "lo", "mi", "ne", "ru", "sa", "to", "vi",
    "qua", "zen", "bor", "fyl", "gri", "tho", "wex", "ju",
};

typedef struct entry {
    struct entry *next;
    uint32_t count;
    char word[];
} entry;

static uint32_t hash_str(const char *s)
{
    uint32_t h = 2166136261u;
    while (*s)
        h = (h ^ (uint8_t)*s++) * 16777619u;
    return h;
}

/* "WORD:count" into out; returns the length. */
static size_t format_record(char *out, const char *word, uint32_t count)
{
    char digits[12];
    size_t n = strlen(word), d = 0;
    memcpy(out, word, n);
    out[n++] = ':';
    do {
        digits[d++] = (char)('0' + count % 10);
        count /= 10;
    } while (count);
    while (d)
        out[n++] = digits[--d];
    out[n] = 0;
    return n;
}

static uint64_t one_round(const char *text, size_t textlen, uint32_t round)
{
    entry *bucket[NBUCKETS] = { 0 };
    char word[64], up[64], num[80];
    uint64_t h = round;
    uint32_t distinct = 0;
    const char *p = text, *end = text + textlen;

    while (p < end) {
        while (p < end && (*p == ' ' || *p == '\n' || *p == ','))
            p++;
        size_t n = 0;
        while (p < end && *p != ' ' && *p != '\n' && *p != ',' && n < 63)
            word[n++] = *p++;
        if (!n)
            continue;
        word[n] = 0;
        uint32_t b = hash_str(word) % NBUCKETS;
        entry *e = bucket[b];
        while (e && strcmp(e->word, word) != 0)
            e = e->next;
        if (!e) {
            e = malloc(sizeof *e + n + 1);
            memcpy(e->word, word, n + 1);
            e->count = 0;
            e->next = bucket[b];
            bucket[b] = e;
            distinct++;
        }
        e->count++;
    }
    /* Every distinct word: upper-case, reverse, format, search. */
    for (uint32_t b = 0; b < NBUCKETS; b++) {
        for (entry *e = bucket[b], *next; e; e = next) {
            next = e->next;
            size_t n = strlen(e->word);
            for (size_t i = 0; i < n; i++) {
                char c = e->word[n - 1 - i];
                up[i] = (c >= 'a' && c <= 'z') ? (char)(c - 32) : c;
            }
            up[n] = 0;
            size_t len = format_record(num, up, e->count);
            h = bench_mix(h, hash_str(num) ^ (uint32_t)len);
            if (strstr(e->word, "zenzen") || strchr(e->word, 'q'))
                h = bench_mix(h, e->count);
            free(e);
        }
    }
    return bench_mix(h, distinct);
}

static uint64_t workload(uint32_t rounds)
{
    size_t cap = TEXT_WORDS * 24 + 16, len = 0;
    char *text = malloc(cap);
    bench_rng rng = { 0xabcdef0123456789ull };
    uint64_t h = 0;
    if (!text)
        return 0;
    for (uint32_t w = 0; w < TEXT_WORDS; w++) {
        uint64_t x = bench_next(&rng);
        /* Skewed word lengths: many short words, some long ones. */
        int nsyl = 1 + (int)(x & 3) + ((x >> 2) & 1) * (int)((x >> 3) & 3);
        for (int s = 0; s < nsyl; s++) {
            const char *sy = syll[(x >> (8 + 4 * s)) & 15];
            size_t sl = strlen(sy);
            memcpy(text + len, sy, sl);
            len += sl;
        }
        text[len++] = (w % 13 == 12) ? '\n' : (w % 7 == 6) ? ',' : ' ';
    }
    text[len] = 0;
    for (uint32_t r = 0; r < rounds; r++)
        h = bench_mix(h, one_round(text, len, r));
    free(text);
    return h;
}
