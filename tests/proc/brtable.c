/* brtable PATH MIB: write a valid module of about MIB MiB of function
 * bodies at PATH, spawn it, wait for it and print how it ended.
 * Each function is one br_table of 60,000 one-byte targets, each a loop
 * whose two parameters need copying: the interpreter translates each
 * target byte into 8 cells (64 bytes), ten times what a module file is
 * charged per byte of body up front. The module's _start calls every
 * function once (each returns at once, translated) and returns.
 * Before the translations were charged, 8 MiB of it under --max-memory
 * 64M took 530 MB of host RSS (tests/attack/README.md, round 2). */
#include "wbproc.h"
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

enum { TARGETS = 60000 };

static unsigned char buf[64];
static size_t n;

static void put(const void *s, size_t k) { memcpy(buf + n, s, k); n += k; }

static void leb(uint32_t v)
{
    do {
        unsigned char c = v & 0x7f;
        v >>= 7;
        buf[n++] = c | (v ? 0x80 : 0);
    } while (v);
}

static uint32_t leb_len(uint32_t v)
{
    uint32_t k = 1;
    while (v >>= 7)
        k++;
    return k;
}

static int flush(int fd)
{
    int ok = write(fd, buf, n) == (ssize_t)n;
    n = 0;
    return ok;
}

/* if (p0) return; 0 0 loop (type 1) p0 p0 p0 br_table 0 x TARGETS 0 */
static unsigned char body[TARGETS + 32];

static uint32_t make_body(void)
{
    static const unsigned char pre[] = {
        0, 0x20, 0, 0x04, 0x40, 0x0f, 0x0b, 0x41, 0, 0x41, 0, 0x03, 1,
        0x20, 0, 0x20, 0, 0x20, 0, 0x0e };
    uint32_t b = sizeof pre;
    memcpy(body, pre, b);
    uint32_t v = TARGETS;
    for (; v >= 0x80; v >>= 7)
        body[b++] = (unsigned char)(v & 0x7f) | 0x80;
    body[b++] = (unsigned char)v;
    b += TARGETS + 1;                  /* the targets and default: 0 */
    body[b++] = 0x0b;
    body[b++] = 0x0b;
    return b;
}

static int write_module(int fd, uint32_t size)
{
    uint32_t blen = make_body(), count = size / (blen + 3), start = 2;
    count = count ? count : 1;
    for (uint32_t i = 0; i < count; i++)
        start += 3 + leb_len(i + 1);
    put("\0asm\1\0\0\0", 8);
    put("\1\x0d\3\x60\0\0\x60\2\x7f\x7f\0\x60\1\x7f\0", 15);
    buf[n++] = 3;                      /* functions: _start, count of t2 */
    leb(leb_len(count + 1) + count + 1);
    leb(count + 1);
    buf[n++] = 0;
    int ok = flush(fd);
    for (uint32_t i = 0; ok && i < count; i++)
        ok = write(fd, "\2", 1) == 1;
    put("\7\12\1\6_start\0\0", 12);
    buf[n++] = 10;
    leb(leb_len(count + 1) + leb_len(start) + start +
        count * (leb_len(blen) + blen));
    leb(count + 1);
    leb(start);
    put("\0", 1);
    ok = ok && flush(fd);
    for (uint32_t i = 0; ok && i < count; i++) {
        put("\x41\1\x10", 3);          /* i32.const 1; call i + 1 */
        leb(i + 1);
        ok = flush(fd);
    }
    put("\x0b", 1);
    ok = ok && flush(fd);
    for (uint32_t i = 0; ok && i < count; i++) {
        leb(blen);
        ok = flush(fd) && write(fd, body, blen) == (ssize_t)blen;
    }
    return ok;
}

int main(int argc, char **argv)
{
    if (argc < 3)
        return 2;
    const char *path = argv[1];
    int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
    if (fd < 0 || !write_module(fd, (uint32_t)atoi(argv[2]) << 20) ||
        close(fd)) {
        perror(path);
        return 1;
    }
    static const int32_t fds[3] = { 0, 1, 2 };
    int32_t pid, st;
    int rc = wbp_spawn(path, strlen(path), "x", 2, "", 0, "", 0, fds, &pid);
    if (rc) {
        printf("spawn: %d\n", rc);
        return 0;
    }
    if (wbp_wait(pid, 0, &st) != pid)
        return 3;
    if (st & 0x7f)
        printf("signal %d\n", st & 0x7f);
    else
        printf("exit %d\n", (st >> 8) & 0xff);
    return 0;
}
