/* bulk_guest (tests/cli/timeout.sh; built with -mbulk-memory): memory.copy
 * and memory.fill over more than one of the 16 MiB pieces the engine
 * does them in (so that the deadline can stop them), the copies
 * overlapping both ways; every byte checked. Prints "ok". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define K (17u << 20)            /* a copy: one piece and a bit */
#define N (2 * K)                 /* the fill: two pieces and a bit */
static unsigned char *m;
/* only what the copies read is patterned: an interpreter in an ASan build
 * on a loaded machine takes a minute for 100M byte stores */
static void pattern(void) { for (unsigned i = 0; i < K + 1000; i++) m[i] = (unsigned char)(i * 7 + (i >> 13)); }
static unsigned char at(unsigned i) { return (unsigned char)(i * 7 + (i >> 13)); }
static int check(unsigned d, unsigned s, unsigned n, const char *what)
{
    for (unsigned k = 0; k < n; k++)
        if (m[d + k] != at(s + k)) { printf("%s: byte %u wrong\n", what, k); return 1; }
    return 0;
}
int main(void)
{
    m = malloc(N);
    if (!m) return 2;
    int bad = 0;
    pattern(); __builtin_memmove(m + 1000, m, K); bad |= check(1000, 0, K, "up");
    pattern(); __builtin_memmove(m, m + 1000, K); bad |= check(0, 1000, K, "down");
    pattern(); __builtin_memmove(m + K + 1000, m, K - 1000); bad |= check(K + 1000, 0, K - 1000, "apart");
    __builtin_memset(m, 0x5a, N);
    for (unsigned i = 0; i < N; i++) if (m[i] != 0x5a) { printf("fill: byte %u\n", i); bad = 1; break; }
    printf(bad ? "bad\n" : "ok\n");
    return bad;
}
