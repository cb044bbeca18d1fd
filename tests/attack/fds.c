/* fds MODE: fd-table edge cases of pipe, dup, dup2, cloexec, spawn. */
#define WBP_PIPE
#include "../proc/wbproc.h"
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/stat.h>
WBP(dup) int32_t wbp_dup(int32_t fd, int32_t min, int32_t *out);
WBP(cloexec) int32_t wbp_cloexec(int32_t fd, int32_t on);
int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    const char *m = argc > 1 ? argv[1] : "top";
    if (!strcmp(m, "probe")) {        /* after exec: which fds are open */
        char b[1];
        for (int fd = 0; fd < 1024; fd++) {
            struct stat st;
            if (fstat(fd, &st) == 0) printf("open %d\n", fd);
        }
        return 0;
    }
    int32_t p[2], out;
    printf("dup2 1->1023: %d\n", wbp_dup2(1, 1023));
    printf("dup2 1->1024: %d\n", wbp_dup2(1, 1024));
    printf("dup2 1->-1: %d\n", wbp_dup2(1, -1));
    printf("dup2 -1->5: %d\n", wbp_dup2(-1, 5));
    printf("dup 1 min 1023: %d", wbp_dup(1, 1023, &out)); printf(" -> %d\n", out);
    printf("dup 1 min 1023 again: %d\n", wbp_dup(1, 1023, &out));
    printf("dup 1 min -1: %d\n", wbp_dup(1, -1, &out));
    printf("dup 1 out bad ptr: %d\n", wbp_dup(1, 0, (int32_t *)0xfffffffc));
    printf("pipe bad ptr: %d\n", wbp_pipe((int32_t *)0xfffffffc));
    printf("cloexec 99999: %d\n", wbp_cloexec(99999, 1));
    int n = 0, rc;
    while ((rc = wbp_pipe(p)) == 0) n++;
    printf("pipes: %d then rc %d\n", n, rc);
    /* close them all but 0..2, 1023 */
    for (int fd = 3; fd < 1023; fd++) close(fd);
    int32_t fds[3] = { 1023, 777, 1 };
    int32_t pid;
    const char *v[] = { "me", "probe" };
    char buf[64]; uint32_t len = wbp_list(buf, v, 2);
    printf("spawn with closed fd 777: %d\n", wbp_spawn("/bin/me", 7, buf, len, "", 0, "", 0, fds, &pid));
    fds[1] = 0x7fffffff;
    printf("spawn with fd INT_MAX: %d\n", wbp_spawn("/bin/me", 7, buf, len, "", 0, "", 0, fds, &pid));
    fds[1] = 1023; fds[0] = -1; fds[2] = -1;
    printf("spawn 1023 as stdout: %d\n", wbp_spawn("/bin/me", 7, buf, len, "", 0, "", 0, fds, &pid));
    int32_t st; wbp_wait(pid, 0, &st);
    /* exec with a cloexec fd and a not-cloexec fd */
    wbp_pipe(p);
    printf("pipe %d %d cloexec %d\n", p[0], p[1], wbp_cloexec(p[0], 1));
    printf("exec: %d\n", wbp_exec("/bin/me", 7, buf, len, "", 0, "", 0));
    return 1;
}
