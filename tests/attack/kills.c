/* kills MODE: kill/wait edge cases. Re-spawns itself as /bin/me. */
#define WBP_PIPE
#include "../proc/wbproc.h"
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
static int32_t sp(const char *arg)
{
    const char *v[] = { "me", arg };
    int32_t pid = -1;
    int rc = wbp_run("/bin/me", v, 2, &pid);
    if (rc) printf("spawn %s rc %d\n", arg, rc);
    return pid;
}
int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    const char *m = argc > 1 ? argv[1] : "top";
    int32_t st = 0;
    if (!strcmp(m, "sleep")) { sleep(30); return 3; }
    if (!strcmp(m, "grand")) {         /* child that has a child, exits */
        int32_t g = sp("sleep");
        printf("grandchild %d\n", g); fflush(stdout);
        return 0;
    }
    if (!strcmp(m, "waitsib")) {       /* wait for a sibling's pid */
        int sib = atoi(getenv("SIB") ? getenv("SIB") : "2");
        printf("child wait sibling: %d\n", wbp_wait(2, 0, &st));
        printf("child wait any: %d\n", wbp_wait(-1, 1, &st));
        printf("child wait 1 (root): %d\n", wbp_wait(1, 1, &st));
        printf("child wait 0: %d\n", wbp_wait(0, 1, &st));
        printf("child wait -2: %d\n", wbp_wait(-2, 1, &st));
        printf("child kill 0 sig0: %d\n", wbp_kill(0, 0));
        printf("child kill -5: %d\n", wbp_kill(-5, 9));
        printf("child kill big: %d\n", wbp_kill(0x7fffffff, 9));
        printf("child kill INT_MIN: %d\n", wbp_kill((int32_t)0x80000000, 9));
        printf("child kill sig 64: %d\n", wbp_kill(2, 64));
        fflush(stdout);
        return 0;
    }
    if (!strcmp(m, "killroot")) {
        sleep(1);
        printf("child kill -1: %d\n", wbp_kill(-1, 9)); fflush(stdout);
        return 0;
    }
    /* top */
    int32_t a = sp("sleep");
    int32_t b = sp("waitsib");
    printf("root: a %d b %d, wait b: %d status %x\n", a, b, wbp_wait(b, 0, &st), st);
    int32_t c = sp("grand");
    printf("root: wait grand: %d status %x\n", wbp_wait(c, 0, &st), st);
    /* the orphaned grandchild is now the root's */
    printf("root: wait any nohang: %d\n", wbp_wait(-1, 1, &st));
    printf("root kill a 9: %d\n", wbp_kill(a, 9));
    printf("root kill -1 9: %d\n", wbp_kill(-1, 9)); fflush(stdout);
    int r;
    while ((r = wbp_wait(-1, 0, &st)) > 0) printf("root reaped %d status %d\n", r, st);
    printf("root: last wait %d\n", r);
    int32_t k = sp("killroot");
    sleep(5);
    printf("root survived kill -1?\n");
    return 0;
}
