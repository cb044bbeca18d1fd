/* api.c: module creation, loading from a file and reference counting. */
#include "runtime.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

static wb_status module_new(const uint8_t *bytes, size_t len, bool bodies,
                            wb_module **out, wb_error *err)
{
    if (!out)
        return wb_err_set(err, WB_E_ARG, "wb_module_new: out is NULL");
    /* wb_decode checks the rest and copies the bytes. */
    wb_module *m = NULL;
    wb_status st = wb_decode(bytes, len, bodies, &m, err);
    if (st != WB_OK)
        return st;
    atomic_store(&m->refs, 1);
    *out = m;
    return WB_OK;
}

wb_status wb_module_new(const uint8_t *bytes, size_t len, wb_module **out,
                        wb_error *err)
{
    return module_new(bytes, len, true, out, err);
}

static wb_status io_error(const char *path, int e, wb_error *err)
{
    return wb_err_set(err, e == ENOENT ? WB_E_NOT_FOUND : WB_E_IO,
                      "cannot read %s: %s", path, strerror(e));
}

static wb_status too_large(const char *path, wb_error *err)
{
    return wb_err_set(err, WB_E_IMPL_LIMIT, "cannot read %s: larger than %u "
                      "bytes", path, WB_MAX_MODULE_SIZE);
}

/* Reads to end of file, so pipes and /proc files work too; the size from
 * fstat is only a first guess. */
static wb_status read_fd(int fd, const char *path, uint8_t **buf,
                         size_t *len, wb_error *err)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return io_error(path, errno, err);
    if (S_ISDIR(st.st_mode))
        return io_error(path, EISDIR, err);
    if (st.st_size > (off_t)WB_MAX_MODULE_SIZE)
        return too_large(path, err);
    size_t cap = st.st_size > 0 ? (size_t)st.st_size + 1 : 65536, n = 0;
    uint8_t *b = malloc(cap);
    for (;;) {
        if (!b)
            return wb_err_set(err, WB_E_NOMEM, "out of memory reading %s",
                              path);
        ssize_t r = read(fd, b + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            free(b);
            return io_error(path, e, err);
        }
        if (r == 0)
            break;
        n += (size_t)r;
        if (n > WB_MAX_MODULE_SIZE) {
            free(b);
            return too_large(path, err);
        }
        if (n == cap) {
            uint8_t *nb = realloc(b, cap *= 2);
            if (!nb)
                free(b);
            b = nb;
        }
    }
    *buf = b;
    *len = n;
    return WB_OK;
}

/* A regular file of `size` bytes read into an anonymous mapping made
 * present in one call (MAP_POPULATE): for a module of megabytes, one
 * page fault per page costs more than reading it. false (nothing
 * allocated, fd rewound) when that fails or the size changed meanwhile:
 * read_fd then reads it the ordinary way. */
static bool read_mapped(int fd, size_t size, uint8_t **buf, size_t *map)
{
    size_t cap = size + 1, n = 0;
    uint8_t *b = mmap(NULL, cap, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (b == MAP_FAILED)
        return false;
    ssize_t r;
    while (n < cap && ((r = read(fd, b + n, cap - n)) > 0 ||
                       (r < 0 && errno == EINTR)))
        n += r > 0 ? (size_t)r : 0;
    if (n != size) {
        munmap(b, cap);
        lseek(fd, 0, SEEK_SET);
        return false;
    }
    mprotect(b, cap, PROT_READ);       /* nothing writes a module's bytes */
    *buf = b;
    *map = cap;
    return true;
}

/* A deferred load's module file of `size` bytes mapped privately, read
 * in place (no copy into fresh pages: 8 MiB of CPython cost about 20 ms
 * of a start on this virtual machine, more than the rest of it), or
 * NULL. The bodies are made private before any is read
 * (wb_module_bodies_ready); until then only the sections are decoded
 * from it, into structures of their own. */
static uint8_t *map_file(int fd, size_t size)
{
    void *p = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    return p == MAP_FAILED ? NULL : p;
}

static pthread_mutex_t bodies_lock = PTHREAD_MUTEX_INITIALIZER;

/* Every page of m's file mapping a private copy. */
static bool make_private(wb_module *m)
{
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    if (mprotect(m->bytes, m->len, PROT_READ | PROT_WRITE) != 0)
        return false;
    /* a write to each page copies it (MADV_POPULATE_WRITE does it in one
     * call where the kernel has it) */
#ifdef MADV_POPULATE_WRITE
    if (madvise(m->bytes, m->len, MADV_POPULATE_WRITE) != 0)
#endif
        for (size_t at = 0; at < m->len; at += pg) {
            volatile uint8_t *b = m->bytes + at;
            *b = *b;
        }
    return mprotect(m->bytes, m->len, PROT_READ) == 0;
}

wb_status wb_module_bodies_ready(wb_module *m, wb_error *err)
{
    if (atomic_load(&m->bodies_ready) || (!m->bytes_file && !m->bodies_pending))
        return WB_OK;
    pthread_mutex_lock(&bodies_lock);
    wb_status st = WB_OK;
    if (!atomic_load(&m->bodies_ready)) {
        if (m->bytes_file && !make_private(m))
            st = wb_err_set(err, WB_E_NOMEM, "cannot copy the module's "
                            "pages: %s", strerror(errno));
        /* bytes_file: from the private copy, which cannot change */
        if (st == WB_OK && m->bodies_pending)
            st = wb_decode_bodies(m, err);
        atomic_store(&m->bodies_ready, st == WB_OK);
    }
    pthread_mutex_unlock(&bodies_lock);
    return st;
}

static wb_status module_load(const char *path, bool bodies, wb_module **out,
                             struct stat *after, wb_error *err)
{
    if (!path || !out)
        return wb_err_set(err, WB_E_ARG, "wb_module_load: NULL argument");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return io_error(path, errno, err);
    uint8_t *buf = NULL;
    size_t len = 0, map = 0;
    struct stat sb;
    bool big = fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) &&
               sb.st_size > 65536 && sb.st_size <= (off_t)WB_MAX_MODULE_SIZE;
    if (big && !bodies && (buf = map_file(fd, (size_t)sb.st_size))) {
        if (after && fstat(fd, after) != 0)
            memset(after, 0, sizeof *after);
        close(fd);
        wb_status st = wb_decode_adopt(buf, (size_t)sb.st_size,
                                       (size_t)sb.st_size, false, out, err);
        if (st == WB_OK)
            (*out)->bytes_file = true;
        return st;
    }
    if (big && read_mapped(fd, (size_t)sb.st_size, &buf, &map)) {
        if (after && fstat(fd, after) != 0)
            memset(after, 0, sizeof *after);
        close(fd);
        return wb_decode_adopt(buf, (size_t)sb.st_size, map, bodies, out,
                               err);
    }
    wb_status st = read_fd(fd, path, &buf, &len, err);
    if (after && fstat(fd, after) != 0)
        memset(after, 0, sizeof *after);
    close(fd);
    if (st != WB_OK)
        return st;
    st = module_new(buf, len, bodies, out, err);
    free(buf);
    return st;
}

wb_status wb_module_load(const char *path, wb_module **out, wb_error *err)
{
    return module_load(path, true, out, NULL, err);
}

wb_status wb_module_load_deferred(const char *path, wb_module **out,
                                  wb_error *err)
{
    return module_load(path, false, out, NULL, err);
}

wb_status wb_module_load_deferred_stat(const char *path, wb_module **out,
                                       struct stat *after, wb_error *err)
{
    return module_load(path, false, out, after, err);
}

void wb_module_hash128(const wb_module *m, uint64_t out[2])
{
    wb_module *w = (wb_module *)m;      /* the memo only */
    if (!atomic_load(&w->hashed)) {
        XXH128_hash_t h = XXH3_128bits(m->bytes, m->len);
        wb_module_hash_known(w, (uint64_t[2]){ h.low64, h.high64 });
    }
    out[0] = atomic_load(&w->hash_lo);
    out[1] = atomic_load(&w->hash_hi);
}

void wb_module_hash_known(wb_module *m, const uint64_t h[2])
{
    atomic_store(&m->hash_lo, h[0]);
    atomic_store(&m->hash_hi, h[1]);
    atomic_store(&m->hashed, true);
}

void wb_module_retain(wb_module *m)
{
    if (m)
        atomic_fetch_add(&m->refs, 1);
}

void wb_module_release(wb_module *m)
{
    if (m && atomic_fetch_sub(&m->refs, 1) == 1)
        wb_module_destroy(m);
}

uint64_t wb_module_charge_code(wb_module *m, struct wb_group *g)
{
    atomic_store(&m->code_group, g);
    return atomic_load(&m->code_extra);
}

size_t wb_module_host_bytes(const wb_module *m)
{
    size_t n = sizeof *m + m->len, body = 0;
    uint32_t ndefs = m->nfuncs - m->nfunc_imports;
    for (uint32_t i = 0; i < m->ntypes; i++)
        n += sizeof m->types[i] + m->types[i].nparams +
             m->types[i].nresults;
    for (uint32_t i = 0; i < m->nimports; i++)
        n += sizeof m->imports[i] + m->imports[i].module_len +
             m->imports[i].name_len + 2;
    for (uint32_t i = 0; i < m->nexports; i++)
        n += sizeof m->exports[i] + m->exports[i].name_len + 1;
    for (uint32_t i = 0; i < m->nelems; i++)
        n += sizeof m->elems[i] + m->elems[i].count * sizeof(wb_const);
    for (uint32_t i = 0; i < ndefs; i++)
        body += m->funcdefs[i].body_len;
    n += (size_t)m->nfuncs * sizeof(uint32_t) +
         (size_t)ndefs * sizeof(wb_funcdef) +
         (size_t)m->ntables * sizeof(wb_tabletype) +
         (size_t)m->nmems * sizeof(wb_limits32) +
         (size_t)m->nglobals * (sizeof(wb_globaltype) + sizeof(wb_const)) +
         (size_t)m->ndatas * sizeof(wb_data) + m->nfuncs / 8 + 1;
    return n + body * WB_TRANSLATION_PER_BYTE;
}
