/*
 * memory.c: a linear memory is one address-space reservation that never
 * moves. Pages become read-write as the memory grows; the rest stays
 * PROT_NONE.
 *
 * Guard mode (x86-64 without WB_BOUNDS_CHECKS): an effective address is a
 * u32 index plus a u32 offset (< 2^33) and an access is at most 16 bytes,
 * so reserving 2^33 + 64 KiB puts every out-of-bounds access on PROT_NONE
 * pages. The interpreter then skips bounds checks and turns the SIGSEGV
 * into a trap. Otherwise only the effective maximum is reserved and the
 * interpreter checks every access.
 */
#include "runtime.h"
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sysinfo.h>

#ifndef WB_BOUNDS_CHECKS
#define WB_BOUNDS_CHECKS 0
#endif
#if !WB_BOUNDS_CHECKS && defined(__x86_64__)
#define WB_GUARD_RESERVE WB_GUARD_RESERVE_BYTES
#endif

/* Base of a memory that can never hold a byte: any non-NULL pointer. */
static uint8_t empty_base[16];

static uint32_t limit_pages(const wb_store *s)
{
    uint64_t p = s->limits.max_memory / WB_PAGE_SIZE;
    return p < WB_MAX_PAGES ? (uint32_t)p : WB_MAX_PAGES;
}

static uint64_t reserve_size(uint32_t max_pages)
{
#ifdef WB_GUARD_RESERVE
    (void)max_pages;
    return WB_GUARD_RESERVE;
#else
    return (uint64_t)max_pages * WB_PAGE_SIZE;
#endif
}

/* Reserve the address space and open the first `bytes` of it. */
static wb_status map_memory(wb_memory *m, uint64_t bytes, wb_error *err)
{
    uint64_t res = reserve_size(m->max_pages);
    if (res == 0) {
        m->base = empty_base;
        return WB_OK;
    }
    size_t open;
    void *p = wb_pool_take((size_t)res, WB_POOL_MEMORY, &open);
    if (!p)
        p = mmap(NULL, (size_t)res, PROT_NONE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return wb_err_set(err, WB_E_NOMEM,
                          "cannot reserve %llu bytes for a memory: %s",
                          (unsigned long long)res, strerror(errno));
    /* what an earlier memory left open beyond this one's size closes:
       the guard region starts at the size */
    if (open > bytes && mprotect((uint8_t *)p + bytes, open - (size_t)bytes,
                                 PROT_NONE) != 0) {
        munmap(p, (size_t)res);
        return wb_err_set(err, WB_E_NOMEM, "cannot close a reused "
                          "reservation: %s", strerror(errno));
    }
    if (bytes > open && mprotect((uint8_t *)p + open, (size_t)bytes - open,
                                 PROT_READ | PROT_WRITE) != 0) {
        int e = errno;
        munmap(p, (size_t)res);
        return wb_err_set(err, WB_E_NOMEM, "cannot commit %llu bytes: %s",
                          (unsigned long long)bytes, strerror(e));
    }
    m->base = p;
    m->reserved = res;
    return WB_OK;
}

wb_status wb_mem_init(wb_store *s, wb_memory *m, uint32_t min, uint32_t max,
                      bool has_max, wb_error *err)
{
    m->store = s;
    m->type = (wb_limits32){ min, max, has_max };
    m->base = NULL;
    m->size = m->reserved = m->image = 0;
    uint32_t cap = has_max && max < WB_MAX_PAGES ? max : WB_MAX_PAGES;
    uint32_t lim = limit_pages(s);
    m->max_pages = cap < lim ? cap : lim;
    if (min > m->max_pages)
        return wb_err_set(err, WB_E_LIMIT,
                          "memory limit exceeded: %u pages requested, "
                          "at most %u allowed", min, m->max_pages);
    uint64_t bytes = (uint64_t)min * WB_PAGE_SIZE;
    if (wb_rt_account(s, (int64_t)bytes) != WB_OK)
        return wb_err_set(err, WB_E_LIMIT,
                          "memory limit exceeded: %llu more bytes, %llu of "
                          "%llu in use", (unsigned long long)bytes,
                          (unsigned long long)s->mem_used,
                          (unsigned long long)s->limits.max_memory);
    wb_status st = map_memory(m, bytes, err);
    if (st != WB_OK) {
        wb_rt_account(s, -(int64_t)bytes);
        return st;
    }
    m->size = bytes;
    if (!wb_rt_own_memory(s, m)) {
        wb_mem_release(m);
        return wb_err_set(err, WB_E_NOMEM, "out of memory");
    }
    return WB_OK;
}

int64_t wb_mem_grow(wb_memory *m, uint32_t delta_pages)
{
    uint64_t old = m->size / WB_PAGE_SIZE;
    if (delta_pages == 0)
        return (int64_t)old;
    if (old + delta_pages > m->max_pages)
        return -1;
    uint64_t add = (uint64_t)delta_pages * WB_PAGE_SIZE;
    if (wb_rt_account(m->store, (int64_t)add) != WB_OK)
        return -1;
    /* Anonymous NORESERVE pages read as zero on first touch. */
    if (mprotect(m->base + m->size, (size_t)add,
                 PROT_READ | PROT_WRITE) != 0) {
        wb_rt_account(m->store, -(int64_t)add);
        return -1;
    }
    m->size += add;
    return (int64_t)old;
}

wb_status wb_mem_map_image(wb_memory *m, int fd, uint64_t offset,
                           wb_error *err)
{
    if (m->size == 0)
        return WB_OK;
    /* MAP_FIXED replaces the anonymous pages in place: the reservation,
     * its guard region and everything the interpreter cached stay. */
    void *p = mmap(m->base, (size_t)m->size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_FIXED | MAP_NORESERVE, fd,
                   (off_t)offset);
    if (p == MAP_FAILED)
        return wb_err_set(err, WB_E_IO, "cannot map a memory image of "
                          "%llu bytes: %s", (unsigned long long)m->size,
                          strerror(errno));
    m->image = m->size;
    return WB_OK;
}

static bool map_at(wb_memory *m, uint64_t at, uint64_t len, int fd,
                   uint64_t offset)
{
    return !len || mmap(m->base + at, (size_t)len, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_FIXED | MAP_NORESERVE, fd,
                        (off_t)offset) != MAP_FAILED;
}

wb_status wb_mem_map_layers(wb_memory *m, int fd, uint64_t offset,
                            uint64_t base_len, int run_fd,
                            uint64_t run_offset, const wb_mem_run *runs,
                            uint32_t nruns, wb_error *err)
{
    if (m->size == 0)
        return WB_OK;
    if (base_len > m->size)
        base_len = m->size;
    bool ok = map_at(m, 0, base_len, fd, offset);
    for (uint32_t i = 0; ok && i < nruns; i++)
        ok = runs[i].off <= m->size && runs[i].len <= m->size - runs[i].off
             && map_at(m, runs[i].off, runs[i].len, run_fd,
                       run_offset + runs[i].at);
    /* what is mapped so far goes back to anonymous pages on release */
    m->image = m->size;
    if (!ok)
        return wb_err_set(err, WB_E_IO, "cannot map a layered memory image "
                          "of %llu bytes: %s", (unsigned long long)m->size,
                          strerror(errno));
    return WB_OK;
}

void wb_mem_prefault_image(wb_memory *m)
{
#ifdef MADV_POPULATE_WRITE
    if (m && m->image)
        madvise(m->base, (size_t)m->image, MADV_POPULATE_WRITE);
#endif
}

/* 4 KiB, the smallest host page: a memory's size is a multiple of it. */
#define COPY_PAGE 4096u
/* Pages mincore asks about at once (its vector is on the stack). */
#define COPY_CHUNK 4096u

static bool zero_page(const uint8_t *p)
{
    for (size_t i = 0; i < COPY_PAGE; i += 64) {
        uint64_t w[8];
        memcpy(w, p + i, sizeof w);
        if (w[0] | w[1] | w[2] | w[3] | w[4] | w[5] | w[6] | w[7])
            return false;
    }
    return true;
}

/* Whether an anonymous page that is not resident can only be zero: true
 * when the host has no swap (else it may be swapped out). */
static bool no_swap(void)
{
    struct sysinfo si;
    return sysinfo(&si) == 0 && si.totalswap == 0;
}

/* Copy pages [from, to) of src that hold something: in runs, each made
 * present with one call (MADV_POPULATE_WRITE) rather than a page fault
 * per page, which costs tens of microseconds on a paravirtualized VM. */
static void copy_run(uint8_t *dst, const uint8_t *src, size_t len)
{
#ifdef MADV_POPULATE_WRITE
    madvise(dst, len, MADV_POPULATE_WRITE);
#endif
    memcpy(dst, src, len);
}

static void copy_pages(uint8_t *dst, const uint8_t *src, uint64_t from,
                       uint64_t to, const unsigned char *absent)
{
    uint64_t run = to;
    for (uint64_t off = from; off < to; off += COPY_PAGE) {
        bool skip = (absent && (absent[(off - from) / COPY_PAGE] & 1) == 0)
                    || zero_page(src + off);
        if (skip && run < off) {
            copy_run(dst + run, src + run, (size_t)(off - run));
            run = to;
        } else if (!skip && run == to) {
            run = off;
        }
    }
    if (run < to)
        copy_run(dst + run, src + run, (size_t)(to - run));
}

/* Past the image (anonymous memory), a page that is not resident was
 * never written, unless it is in swap: mincore says which are, so that a
 * 100 MiB memory holding 1 MiB is not read whole. The image's pages hold
 * its file's bytes whether resident or not. */
void wb_mem_copy_nonzero(wb_memory *m, const uint8_t *src, uint64_t image)
{
    uint64_t anon = image < m->size ? image : m->size;
    anon = (anon + COPY_PAGE - 1) / COPY_PAGE * COPY_PAGE;
    copy_pages(m->base, src, 0, anon, NULL);
    bool sparse = no_swap();
    unsigned char vec[COPY_CHUNK];
    for (uint64_t off = anon; off < m->size; off += COPY_CHUNK * COPY_PAGE) {
        uint64_t end = m->size - off < COPY_CHUNK * COPY_PAGE
                       ? m->size : off + COPY_CHUNK * COPY_PAGE;
        bool known = sparse && mincore((void *)(src + off),
                                       (size_t)(end - off), vec) == 0;
        copy_pages(m->base, src, off, end, known ? vec : NULL);
    }
}

/* The pool hands reservations out as zero-filled anonymous memory; a
 * file mapping would read back the image after MADV_DONTNEED, so it is
 * replaced first. false: the reservation cannot be reused. */
static bool unmap_image(wb_memory *m)
{
    if (!m->image)
        return true;
    void *p = mmap(m->base, (size_t)m->image, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE,
                   -1, 0);
    m->image = 0;
    return p != MAP_FAILED;
}

/* Idempotent: the store calls it for every memory it owns. */
void wb_mem_release(wb_memory *m)
{
    bool had_image = m->image != 0;  /* then its pages are PROT_NONE now */
    if (m->reserved && !unmap_image(m))
        munmap(m->base, (size_t)m->reserved);
    else if (m->reserved)
        wb_pool_give(m->base, (size_t)m->reserved, (size_t)m->size,
                     WB_POOL_MEMORY, !had_image);
    if (m->store)
        wb_rt_account(m->store, -(int64_t)m->size);
    m->base = NULL;
    m->size = m->reserved = 0;
}

uint8_t *wb_memory_data(const wb_memory *m)
{
    return m ? m->base : NULL;
}

uint64_t wb_memory_size(const wb_memory *m)
{
    return m ? m->size : 0;
}

int64_t wb_memory_grow(wb_memory *m, uint32_t delta_pages)
{
    return m && m->base ? wb_mem_grow(m, delta_pages) : -1;
}

wb_status wb_memory_new(wb_store *s, uint32_t min_pages, uint32_t max_pages,
                        bool has_max, wb_memory **out, wb_error *err)
{
    if (!s || !out)
        return wb_err_set(err, WB_E_ARG, "wb_memory_new: NULL argument");
    if (min_pages > WB_MAX_PAGES || (has_max && max_pages > WB_MAX_PAGES))
        return wb_err_set(err, WB_E_ARG,
                          "memory size must be at most 65536 pages");
    if (has_max && min_pages > max_pages)
        return wb_err_set(err, WB_E_ARG,
                          "size minimum must not be greater than maximum");
    wb_memory *m = wb_rt_alloc(s, sizeof *m);
    if (!m)
        return wb_err_set(err, WB_E_NOMEM, "out of memory");
    wb_status st = wb_mem_init(s, m, min_pages, max_pages, has_max, err);
    if (st == WB_OK)
        *out = m;
    return st;
}

/* Pieces of 16 MiB: a few ms each, first touches of the pages included. */
#define BULK_PIECE ((uint64_t)16 << 20)

static bool interrupted(const atomic_int *interrupt)
{
    return atomic_load_explicit(interrupt, memory_order_relaxed) != 0;
}

bool wb_mem_bulk_fill(const atomic_int *interrupt, uint8_t *d, int v,
                      uint64_t n)
{
    for (uint64_t off = 0; off < n; off += BULK_PIECE) {
        if (off && interrupted(interrupt))
            return false;
        uint64_t k = n - off < BULK_PIECE ? n - off : BULK_PIECE;
        memset(d + off, v, (size_t)k);
    }
    return true;
}

/* Overlapping ranges: pieces from the start when d is below s, from the
 * end when above, so that no piece writes what a later one reads. */
bool wb_mem_bulk_move(const atomic_int *interrupt, uint8_t *d,
                      const uint8_t *s, uint64_t n)
{
    bool up = d <= s;
    for (uint64_t done = 0; done < n; done += BULK_PIECE) {
        if (done && interrupted(interrupt))
            return false;
        uint64_t k = n - done < BULK_PIECE ? n - done : BULK_PIECE;
        uint64_t off = up ? done : n - done - k;
        memmove(d + off, s + off, (size_t)k);
    }
    return true;
}
