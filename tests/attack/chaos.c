/* chaos: every process spawns, forks, kills random pids, waits, pipes,
 * execs and exits at random until the deadline; for races in the
 * process table (run under ASan/TSan with a short --timeout). */
#define WBP_FORK
#define WBP_PIPE
#include "../proc/wbproc.h"
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
static unsigned seed;
static unsigned rnd(void) { seed = seed * 1103515245u + 12345u; return seed >> 16; }
int main(int argc, char **argv)
{
    seed = (unsigned)wbp_getpid() * 7919u + (argc > 1 ? (unsigned)atoi(argv[1]) : 0);
    const char *v[] = { "me", "1" };
    char buf[32]; uint32_t len = wbp_list(buf, v, 2);
    static const int32_t fds[3] = { 0, 1, 2 };
    for (int i = 0; wbp_getpid() == 1 || i < 100000; i++) {
        int32_t st, pid, p[2];
        switch (rnd() % 9) {
        case 0: wbp_spawn("/bin/me", 7, buf, len, "", 0, "", 0, fds, &pid); break;
        case 1: { int r = wbp_fork(); if (r == 0) seed += 17; } break;
        case 2: wbp_kill(2 + (int32_t)(rnd() % 60), (int32_t)(rnd() % 3) * 9); break;
        case 3: wbp_wait(-1, 1, &st); break;
        case 4: if (rnd() % 8 == 0) wbp_wait(-1, 0, &st); break;
        case 5: if (wbp_getpid() != 1 && rnd() % 20 == 0) return 0; break;
        case 6: if (wbp_pipe(p) == 0) { write(p[1], "x", 1); close(p[0]); close(p[1]); } break;
        case 7: if (wbp_getpid() != 1 && rnd() % 30 == 0) wbp_exec("/bin/me", 7, buf, len, "", 0, "", 0); break;
        case 8: if (wbp_getpid() == 1 && rnd() % 50 == 0) wbp_kill(-1, 9); break;
        }
    }
    return 0;
}
