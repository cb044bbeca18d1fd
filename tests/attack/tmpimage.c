/* tmpimage MIB N: with only a --tmpfs grant and default limits, write a
 * valid module holding a passive data segment of MIB MiB (a hole: it
 * costs the tmpfs nothing, the disk budget its size), then spawn it N
 * times. Each child is its own decoded copy of the segment on the host,
 * outside --max-memory; the children loop until the deadline. */
#include "../proc/wbproc.h"
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
static unsigned char m[256];
static size_t n;
static void b(const char *s, size_t k) { memcpy(m + n, s, k); n += k; }
static void leb(uint32_t v) { do { unsigned char c = v & 0x7f; v >>= 7; m[n++] = c | (v ? 0x80 : 0); } while (v); }
int main(int argc, char **argv)
{
    uint32_t size = (uint32_t)atoi(argv[1]) << 20;
    int count = atoi(argv[2]);
    b("\0asm\1\0\0\0", 8);
    b("\1\4\1\x60\0\0", 6);                 /* type () -> () */
    b("\3\2\1\0", 4);                       /* func 0 */
    b("\5\3\1\0\1", 5);                     /* memory 1 page */
    b("\7\12\1\6_start\0\0", 12);           /* export _start */
    b("\14\1\1", 3);                        /* datacount 1 */
    b("\12\11\1\7\0\3\x40\x0c\0\x0b\x0b", 11); /* loop br 0 */
    unsigned char tmp[8]; size_t lsz = 0;
    for (uint32_t v = size; ; ) { unsigned char c = v & 0x7f; v >>= 7; tmp[lsz++] = c | (v ? 0x80 : 0); if (!v) break; }
    m[n++] = 11; leb((uint32_t)(2 + lsz + size)); m[n++] = 1; m[n++] = 1;
    memcpy(m + n, tmp, lsz); n += lsz;
    int fd = open("/t/img.wasm", O_CREAT | O_WRONLY | O_TRUNC, 0644);
    if (fd < 0 || write(fd, m, n) != (ssize_t)n || ftruncate(fd, (off_t)(n + size))) { perror("write"); return 1; }
    close(fd);
    static const int32_t fds[3] = { 0, 1, 2 };
    for (int i = 0; i < count; i++) {
        int32_t pid;
        printf("spawn %d: %d\n", i, wbp_spawn("/t/img.wasm", 11, "x", 2, "", 0, "", 0, fds, &pid));
        fflush(stdout);
    }
    int32_t st;
    while (wbp_wait(-1, 0, &st) > 0) ;
    return 0;
}
