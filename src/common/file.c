/* file.c: whole-file reads (file.h). */
#include "common/file.h"
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

int wb_file_read_fd(int fd, size_t max, uint8_t **out, size_t *len)
{
    struct stat st;
    *out = NULL;
    *len = 0;
    if (max > SIZE_MAX / 2)
        max = SIZE_MAX / 2;
    if (fstat(fd, &st) != 0)
        return errno;
    if (S_ISDIR(st.st_mode))
        return EISDIR;
    if (st.st_size > 0 && (uint64_t)st.st_size > max)
        return EFBIG;
    /* room for the NUL, and one byte more to see the end of the file */
    size_t cap = st.st_size > 0 ? (size_t)st.st_size + 2 : 4096, n = 0;
    uint8_t *b = malloc(cap);
    for (;;) {
        if (!b)
            return ENOMEM;
        ssize_t r = read(fd, b + n, cap - 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            free(b);
            return e;
        }
        if (r == 0)
            break;
        n += (size_t)r;
        if (n > max) {
            free(b);
            return EFBIG;
        }
        if (n == cap - 1) {
            size_t nc = cap - 1 > max / 2 ? max + 2 : cap * 2;
            uint8_t *nb = realloc(b, nc);
            if (!nb)
                free(b);
            b = nb;
            cap = nc;
        }
    }
    b[n] = 0;
    *out = b;
    *len = n;
    return 0;
}

int wb_file_read(const char *path, size_t max, uint8_t **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    int e = wb_file_read_fd(fd, max, out, len);
    close(fd);
    return e;
}

int wb_file_link_new(int dfd, const char *tmp, const char *name)
{
    struct stat a, b;
    if (linkat(dfd, tmp, dfd, name, 0) == 0)
        return 0;
    int e = errno;
    if (e == EEXIST && fstatat(dfd, tmp, &a, AT_SYMLINK_NOFOLLOW) == 0 &&
        fstatat(dfd, name, &b, AT_SYMLINK_NOFOLLOW) == 0 &&
        a.st_dev == b.st_dev && a.st_ino == b.st_ino)
        return 0;
    errno = e;
    return -1;
}
