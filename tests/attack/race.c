#define WBP_FORK
#include "../proc/wbproc.h"
#include <stdio.h>
#include <stdlib.h>
/* race PATH K N: K forked children each spawn PATH N times at once and
 * wait for them: loads of one module file racing, with translations. */
int main(int argc, char **argv)
{
    const char *path = argv[1];
    int k = atoi(argv[2]), n = atoi(argv[3]);
    static const int32_t fds[3] = { 0, 1, 2 };
    for (int i = 0; i < k; i++) {
        if (wbp_fork() == 0) {
            int ok = 0, bad = 0;
            for (int j = 0; j < n; j++) {
                int32_t pid, st;
                int rc = wbp_spawn(path, strlen(path), "x", 2, "", 0, "", 0, fds, &pid);
                if (rc) { bad++; continue; }
                wbp_wait(pid, 0, &st);
                ok += st == 0;
            }
            printf("child %d: %d ok, %d refused\n", i, ok, bad);
            return 0;
        }
    }
    int32_t st;
    while (wbp_wait(-1, 0, &st) > 0)
        ;
    return 0;
}
