/* blocked: children blocked in every way at the deadline (a whole 8 MiB
 * write into a pipe nobody reads, a read of a pipe nobody writes, a wait
 * for a sleeping grandchild, a read of stdin); the run must end at
 * --timeout. */
#define WBP_PIPE
#include "../proc/wbproc.h"
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
static int32_t sp(const char *arg, int32_t in, int32_t out)
{
    const char *v[] = { "me", arg };
    char buf[64]; uint32_t len = wbp_list(buf, v, 2);
    int32_t fds[3] = { in, out, 2 }, pid = -1;
    int rc = wbp_spawn("/bin/me", 7, buf, len, "", 0, "", 0, fds, &pid);
    if (rc) fprintf(stderr, "spawn %s: %d\n", arg, rc);
    return pid;
}
int main(int argc, char **argv)
{
    const char *m = argc > 1 ? argv[1] : "top";
    int32_t st;
    if (!strcmp(m, "write")) { static char big[8 << 20]; return write(1, big, sizeof big) < 0; }
    if (!strcmp(m, "read")) { char b[10]; return read(0, b, 10) < 0; }
    if (!strcmp(m, "sleep")) { sleep(100); return 0; }
    if (!strcmp(m, "waiter")) { sp("sleep", 0, 1); return wbp_wait(-1, 0, &st) < 0; }
    int32_t p[2], q[2];
    wbp_pipe(p); wbp_pipe(q);
    sp("write", 0, p[1]);     /* nobody reads p[0] but it stays open */
    sp("read", q[0], 1);      /* nobody writes q[1] but it stays open */
    sp("waiter", 0, 1);
    sp("read", 0, 1);         /* the embedder's stdin */
    if (argc > 1 && !strcmp(m, "early")) return 0;  /* the root ends first */
    sleep(1000);
    return 0;
}
