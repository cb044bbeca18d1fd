/* bulk_guest (tests/cli/timeout.sh; built with -mbulk-memory): memory.copy
 * and memory.fill over more than one of the 16 MiB pieces the engine
 * does them in (so that the deadline can stop them), the copies
 * overlapping both ways; every byte checked. Prints "ok". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define N (40u << 20)
#define K (33u << 20)
static unsigned char *m;
static void pattern(void) { for (unsigned i = 0; i < N; i++) m[i] = (unsigned char)(i * 7 + (i >> 13)); }
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
    pattern(); __builtin_memmove(m + (20u << 20), m, K / 2); bad |= check(20u << 20, 0, K / 2, "apart");
    __builtin_memset(m, 0x5a, N);
    for (unsigned i = 0; i < N; i++) if (m[i] != 0x5a) { printf("fill: byte %u\n", i); bad = 1; break; }
    printf(bad ? "bad\n" : "ok\n");
    return bad;
}
