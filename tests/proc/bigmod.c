/* bigmod PATH KIND MIB N: write a valid module of about MIB MiB at PATH
 * (a tmpfs or a --dir grant), spawn it N times without waiting, print
 * how the spawns went, then kill and wait for them all. KIND "-": spawn
 * the module already there.
 *   KIND data: _start loops; one passive data segment of MIB MiB, a hole
 *              in the file (its bytes are zeros);
 *   KIND code: functions of straight-line code (i32.const 0; drop), to
 *              make decoding and validating it long.
 * The host reads and decodes a module file: what it holds counts against
 * max_memory, once per file however many processes run it
 * (docs/processes.md, "Module files and the memory budget"). */
#include "wbproc.h"
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static unsigned char head[64];
static size_t n;

static void put(const char *s, size_t k) { memcpy(head + n, s, k); n += k; }

static void leb(uint32_t v)
{
    do {
        unsigned char c = v & 0x7f;
        v >>= 7;
        head[n++] = c | (v ? 0x80 : 0);
    } while (v);
}

static size_t leb_len(uint32_t v)
{
    size_t k = 1;
    while (v >>= 7)
        k++;
    return k;
}

static int flush(int fd)
{
    int ok = write(fd, head, n) == (ssize_t)n;
    n = 0;
    return ok;
}

/* type () -> (), the given function and memory sections, export _start */
static void start(int funcs)
{
    put("\0asm\1\0\0\0", 8);
    put("\1\4\1\x60\0\0", 6);
    head[n++] = 3;
    leb((uint32_t)(leb_len((uint32_t)funcs) + funcs));
    leb((uint32_t)funcs);
}

static int write_data(int fd, uint32_t size)
{
    start(1);
    head[n++] = 0;                              /* func 0: type 0 */
    put("\5\3\1\0\1", 5);                       /* memory 1 page */
    put("\7\12\1\6_start\0\0", 12);
    put("\14\1\1", 3);                          /* datacount 1 */
    put("\12\11\1\7\0\3\x40\x0c\0\x0b\x0b", 11); /* loop br 0 */
    head[n++] = 11;
    leb((uint32_t)(2 + leb_len(size) + size));
    head[n++] = 1;
    head[n++] = 1;                              /* passive */
    leb(size);
    off_t at = (off_t)n;
    return flush(fd) && ftruncate(fd, at + size) == 0;
}

static int write_code(int fd, uint32_t size)
{
    enum { K = 60000 };                         /* pairs per body */
    static unsigned char body[3 * K + 8];
    size_t b = 0;
    body[b++] = 0;                              /* no locals */
    for (int i = 0; i < K; i++) {
        body[b++] = 0x41; body[b++] = 0; body[b++] = 0x1a;
    }
    body[b++] = 0x0b;
    uint32_t blen = (uint32_t)b, count = size / (blen + 3);
    count = count ? count : 1;
    start((int)count);
    if (!flush(fd))
        return 0;
    for (uint32_t i = 0; i < count; i++)        /* function i: type 0 */
        if (write(fd, "", 1) != 1)
            return 0;
    put("\7\12\1\6_start\0\0", 12);
    head[n++] = 10;
    leb((uint32_t)(leb_len(count) + count * (leb_len(blen) + blen)));
    leb(count);
    if (!flush(fd))
        return 0;
    for (uint32_t i = 0; i < count; i++) {
        leb(blen);
        if (!flush(fd) || write(fd, body, blen) != (ssize_t)blen)
            return 0;
    }
    return 1;
}

int main(int argc, char **argv)
{
    if (argc < 5)
        return 2;
    const char *path = argv[1];
    uint32_t size = (uint32_t)atoi(argv[3]) << 20;
    int count = atoi(argv[4]);
    if (strcmp(argv[2], "-")) {
        int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
        int ok = fd >= 0 && (strcmp(argv[2], "code") ? write_data(fd, size)
                                                     : write_code(fd, size));
        if (!ok || close(fd)) {
            perror(path);
            return 1;
        }
    }
    static const int32_t fds[3] = { 0, 1, 2 };
    int started = 0, nomem = 0, other = 0;
    for (int i = 0; i < count; i++) {
        int32_t pid;
        int rc = wbp_spawn(path, strlen(path), "x", 2, "", 0, "", 0, fds,
                           &pid);
        started += !rc;
        nomem += rc == 48;                      /* ENOMEM */
        other += rc && rc != 48;
    }
    printf("started %d, ENOMEM %d, other %d\n", started, nomem, other);
    fflush(stdout);
    wbp_kill(-1, 9);
    int32_t st;
    while (wbp_wait(-1, 0, &st) > 0)
        ;
    return 0;
}
