/* api.c: module creation, loading from a file and reference counting. */
#include "runtime.h"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

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
    if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 65536 &&
        sb.st_size <= (off_t)WB_MAX_MODULE_SIZE &&
        read_mapped(fd, (size_t)sb.st_size, &buf, &map)) {
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
