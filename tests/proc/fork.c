/* fork.c: wasmbox_proc.fork in the interpreter: fork MODE. The parent
 * and the child diverge from the same memory; a fork bomb ends at
 * max_processes and the deadline. */
#define WBP_FORK
#include "wbproc.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int counter = 10;
static char *volatile held[2];          /* kept: not optimized away */

static int basic(void)
{
    char *heap = malloc(32);
    strcpy(heap, "parent's");
    int32_t pid = wbp_fork();
    if (pid < 0) {
        printf("fork: %d\n", pid);
        return 1;
    }
    if (pid == 0) {
        counter++;
        printf("child: counter %d, heap %s, ppid is parent %d\n", counter,
               heap, wbp_getppid() == 1);
        fflush(stdout);
        return 5;
    }
    int32_t status;
    int32_t got = wbp_wait(pid, 0, &status);
    strcpy(heap, "changed");
    printf("parent: counter %d, heap %s, child %d exit %d\n", counter, heap,
           got == pid, status >> 8);
    return 0;
}

/* two children in turn, each forks a grandchild */
static int nested(void)
{
    for (int i = 0; i < 2; i++) {
        int32_t pid = wbp_fork();
        if (pid == 0) {
            int32_t g = wbp_fork(), st;
            if (g == 0)
                return 40 + i;
            wbp_wait(g, 0, &st);
            return st >> 8;
        }
        int32_t status;
        wbp_wait(pid, 0, &status);
        printf("child %d: %d\n", i, status >> 8);
    }
    return 0;
}

static int bomb(void)
{
    for (;;) {
        wbp_fork();
        int32_t status;
        wbp_wait(-1, 1, &status);
    }
}

/* Each child holds `mb` MiB more than its copy of the parent's `mb`
 * until it is killed: the tree's memory is summed against max_memory,
 * so only the first children can allocate (a child that cannot exits 3
 * at once). */
static int memory(int mb)
{
    size_t n = (size_t)mb << 20;
    char *p = held[0] = malloc(n);
    if (!p)
        return 1;
    memset(p, 1, n);
    int forked = 0, failed = 0;
    int32_t pids[4], status;
    for (int i = 0; i < 4; i++) {
        int32_t pid = wbp_fork();
        if (pid == 0) {
            char *q = held[1] = malloc(n);
            if (!q)
                return 3;
            memset(q, 2, n);
            for (;;)
                sleep(100);
        }
        if (pid < 0) {
            printf("fork %d: %d\n", i, pid);
            break;
        }
        pids[forked++] = pid;
        usleep(300 * 1000);            /* the child allocates */
        if (wbp_wait(pid, 1, &status) == pid)
            failed += status >> 8 == 3;
    }
    for (int i = 0; i < forked; i++)
        wbp_kill(pids[i], 9);
    while (wbp_wait(-1, 0, &status) > 0)
        ;
    printf("forked %d, %d could not allocate\n", forked, failed);
    return 0;
}

int main(int argc, char **argv)
{
    const char *m = argc > 1 ? argv[1] : "";
    if (!strcmp(m, "basic")) return basic();
    if (!strcmp(m, "nested")) return nested();
    if (!strcmp(m, "bomb")) return bomb();
    if (!strcmp(m, "memory")) return memory(atoi(argv[2]));
    fprintf(stderr, "fork: unknown mode '%s'\n", m);
    return 2;
}
