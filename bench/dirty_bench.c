/*
 * dirty_bench.c: what finding the pages a session step wrote costs
 * (src/snapshot/dirty.c; docs/snapshots.md, "Checkpointed sessions").
 *
 *   dirty_bench [MIB]          (default 100; `make bench-dirty`)
 *
 * A populated anonymous region of MIB MiB stands for a kernel's heap.
 * Measured, medians of 9 rounds, in microseconds: write-protecting all
 * of it (once per tracker, and for grown memory), a scan after 10 pages
 * were written, a scan after every page was written, the writes
 * themselves with and without tracking (each first write to a protected
 * page takes a fault), the first touch of as much fresh memory (the
 * cost of a plain page fault on this host, to compare), XXH3 of the
 * whole region, and the page-hash fallback (src/snapshot/pagehash.c,
 * where the kernel's tracker is refused): recording the hashes, a scan
 * after 10 pages were written and one after every page was written
 * (its cost is per checkpoint, whatever was written; writes take no
 * fault).
 * Output: one "key value" per line.
 */
#include "snapshot/dirty.h"
#include "snapshot/pagehash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <xxhash.h>

#define ROUNDS 9
#define PG 4096u

static double now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v)
{
    qsort(v, ROUNDS, sizeof *v, cmp);
    return v[ROUNDS / 2];
}

static int count(void *user, size_t off, size_t len)
{
    *(size_t *)user += len / PG;
    return 0;
}

static void touch_all(volatile uint8_t *p, size_t n, uint8_t v)
{
    for (size_t i = 0; i < n; i += PG)
        p[i] = v;
}

int main(int argc, char **argv)
{
    size_t n = (size_t)(argc > 1 ? atol(argv[1]) : 100) << 20;
    uint8_t *p = mmap(NULL, n, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return 1;
    memset(p, 1, n);
    double prot[ROUNDS], few[ROUNDS], all[ROUNDS], wr[ROUNDS], wr0[ROUNDS];
    double hash[ROUNDS], fresh[ROUNDS], hrec[ROUNDS], hfew[ROUNDS];
    double hall[ROUNDS];
    size_t pages = 0, hpages = 0;
    for (int r = 0; r < ROUNDS; r++) {
        wb_dirty *d = NULL;
        wb_error err = {0};
        double t = now_us();
        if (wb_dirty_new(p, n, n, &d, &err)) {
            fprintf(stderr, "dirty_bench: %s\n", err.message);
            return 1;
        }
        prot[r] = now_us() - t;
        for (int i = 0; i < 10; i++)
            p[(size_t)i * 997 * PG % n] = (uint8_t)r;
        pages = 0;
        t = now_us();
        wb_dirty_scan(d, n, count, &pages, &err);
        few[r] = now_us() - t;
        t = now_us();
        touch_all(p, n, (uint8_t)r);
        wr[r] = now_us() - t;
        pages = 0;
        t = now_us();
        wb_dirty_scan(d, n, count, &pages, &err);
        all[r] = now_us() - t;
        wb_dirty_free(d);
        t = now_us();
        touch_all(p, n, (uint8_t)(r + 1));
        wr0[r] = now_us() - t;
        t = now_us();
        volatile XXH64_hash_t h = XXH3_64bits(p, n);
        (void)h;
        hash[r] = now_us() - t;
        wb_pagehash *ph = NULL;
        t = now_us();
        if (wb_pagehash_new(p, n, &ph, &err)) {
            fprintf(stderr, "dirty_bench: %s\n", err.message);
            return 1;
        }
        hrec[r] = now_us() - t;
        for (int i = 0; i < 10; i++)
            p[(size_t)i * 997 * PG % n] = (uint8_t)(r + 2);
        t = now_us();
        wb_pagehash_scan(ph, p, n, count, &hpages, &err);
        hfew[r] = now_us() - t;
        touch_all(p, n, (uint8_t)(r + 3));
        hpages = 0;
        t = now_us();
        wb_pagehash_scan(ph, p, n, count, &hpages, &err);
        hall[r] = now_us() - t;
        wb_pagehash_free(ph);
        uint8_t *q = mmap(NULL, n, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (q == MAP_FAILED)
            return 1;
        t = now_us();
        touch_all(q, n, 1);
        fresh[r] = now_us() - t;
        munmap(q, n);
    }
    printf("region_mib %zu\n", n >> 20);
    printf("protect_all_us %.0f\n", median(prot));
    printf("scan_10_pages_us %.0f\n", median(few));
    printf("scan_all_pages_us %.0f\n", median(all));
    printf("scan_all_pages_reported %zu\n", pages);
    printf("write_every_page_tracked_us %.0f\n", median(wr));
    printf("write_every_page_untracked_us %.0f\n", median(wr0));
    printf("first_touch_fresh_region_us %.0f\n", median(fresh));
    printf("xxh3_whole_region_us %.0f\n", median(hash));
    printf("pagehash_record_us %.0f\n", median(hrec));
    printf("pagehash_scan_10_pages_us %.0f\n", median(hfew));
    printf("pagehash_scan_all_pages_us %.0f\n", median(hall));
    printf("pagehash_scan_all_pages_reported %zu\n", hpages);
    return 0;
}
