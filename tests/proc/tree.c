/* tree.c: a guest that starts copies of itself as /bin/tree (run with
 * --image tree=tree.wasm) to test the process tree: tree MODE [ARGS].
 * Each mode prints what it saw, one fact a line. */
#define WBP_PIPE
#include "wbproc.h"
#include <dirent.h>
#include <sys/stat.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SELF "/bin/tree"

static int quiet;               /* no line for a refused spawn */

static void sleep_forever(void)
{
    for (;;)
        sleep(100);
}

static int32_t start(const char *mode, const char *arg)
{
    const char *argv[] = { "tree", mode, arg };
    int32_t pid = 0;
    int rc = wbp_run(SELF, argv, arg ? 3 : 2, &pid);
    if (rc && !quiet) {
        printf("spawn %s: errno %d\n", mode, rc);
        fflush(stdout);
    }
    return rc ? -rc : pid;
}

/* spawn a child that exits 7, wait for it */
static int spawn_wait(void)
{
    int32_t pid = start("exit", "7"), status = 0;
    int32_t got = wbp_wait(pid, 0, &status);
    printf("waited %s, exit %d\n", got == pid ? "for it" : "wrong",
           status >> 8);
    printf("again: %d\n", wbp_wait(pid, 0, &status));
    return 0;
}

/* max_processes: spawn sleepers until refused, then kill them all */
static int max(void)
{
    int n;
    int32_t pids[64];
    for (n = 0; n < 64; n++) {
        pids[n] = start("sleep", NULL);
        if (pids[n] < 0)
            break;
    }
    printf("started %d\n", n);
    for (int i = 0; i < n; i++) {
        int32_t status;
        wbp_kill(pids[i], 9);
        if (wbp_wait(pids[i], 0, &status) != pids[i] || status != 9)
            printf("child %d: status %d\n", i, status);
    }
    printf("after the kills: %d\n", start("exit", "0") > 0);
    return 0;
}

static int kill_wnohang(void)
{
    int32_t pid = start("sleep", NULL), status = -1;
    printf("wnohang: %d\n", wbp_wait(pid, 1, &status));
    printf("kill: %d\n", wbp_kill(pid, 15));
    printf("wait: %s, status %d\n",
           wbp_wait(-1, 0, &status) == pid ? "it" : "other", status);
    printf("no child: %d\n", wbp_wait(-1, 0, &status));
    printf("kill gone: %d\n", wbp_kill(pid, 9));
    printf("kill bad sig: %d\n", wbp_kill(wbp_getpid(), 999));
    return 0;
}

static int ids(void)
{
    int32_t pid = start("ppid", NULL), status;
    wbp_wait(pid, 0, &status);
    printf("pid %d ppid %d; child %s, exit %d\n", wbp_getpid(),
           wbp_getppid(), pid > 1 ? "pid > 1" : "bad", status >> 8);
    return 0;
}

/* exits with 1 when its parent's pid is not its ppid */
static int ppid(void)
{
    return wbp_getppid() > 0 && wbp_getppid() != wbp_getpid() ? 3 : 1;
}

static int do_exec(void)
{
    char argv[64], env[64];
    const char *a[] = { "tree", "show", "x y" };
    const char *e[] = { "X=1", "Y=two" };
    uint32_t al = wbp_list(argv, a, 3), el = wbp_list(env, e, 2);
    printf("before exec\n");
    fflush(stdout);
    int rc = wbp_exec(SELF, 9, argv, al, env, el, "/tmp", 4);
    printf("exec returned %d\n", rc);
    return 1;
}

extern char **environ;

static int show(int argc, char **argv)
{
    char cwd[64];
    uint32_t len = 0;
    for (int i = 0; i < argc; i++)
        printf("argv[%d]=%s\n", i, argv[i]);
    for (char **e = environ; *e; e++)
        printf("env %s\n", *e);
    if (wbp_cwd(cwd, sizeof cwd, &len) == 0)
        printf("cwd %.*s\n", (int)len, cwd);
    printf("pid %d\n", wbp_getpid());
    return 4;
}

static int exec_missing(void)
{
    printf("missing: %d\n", wbp_exec("/bin/nope", 9, "", 0, "", 0, "", 0));
    printf("not bin: %d\n", wbp_exec("/nope.wasm", 10, "", 0, "", 0, "", 0));
    char bad[2] = { 'a', 'b' };   /* unterminated list */
    printf("bad argv: %d\n", wbp_exec(SELF, 9, bad, 2, "", 0, "", 0));
    printf("fault: %d\n", wbp_exec(SELF, 9, (char *)0xfffffff0, 64, "", 0,
                                   "", 0));
    return 0;
}

/* each child spawns two more, forever */
static int bomb(void)
{
    quiet = 1;
    for (;;) {
        start("bomb", NULL);
        int32_t status;
        wbp_wait(-1, 1, &status);
    }
}

static int sleepers(int n)
{
    for (int i = 0; i < n; i++)
        if (start("sleep", NULL) < 0)
            return 1;
    printf("%d sleeping\n", n);
    fflush(stdout);
    sleep_forever();
    return 0;
}

/* children that write `n` bytes each */
static int output(int kids, int n)
{
    char arg[16];
    snprintf(arg, sizeof arg, "%d", n);
    for (int i = 0; i < kids; i++)
        start("write", arg);
    int32_t status;
    while (wbp_wait(-1, 0, &status) > 0)
        ;
    return 0;
}

static int write_n(int n)
{
    static char buf[1 << 16];
    memset(buf, 'x', sizeof buf);
    while (n > 0) {
        int k = n < (int)sizeof buf ? n : (int)sizeof buf;
        if (write(1, buf, (size_t)k) != k)
            return 1;
        n -= k;
    }
    return 0;
}

/* the root waits for a child that loops */
static int loop_child(void)
{
    int32_t status;
    int32_t pid = start("loop", NULL);
    wbp_wait(pid, 0, &status);
    printf("loop child ended: %d\n", status);
    return 0;
}

/* a child kills the root */
static int killer(void)
{
    start("kill1", NULL);
    sleep_forever();
    return 0;
}

/* grandchildren outlive their parent: reparented to the root */
static int orphans(void)
{
    int32_t status, pid = start("parent", NULL);
    wbp_wait(pid, 0, &status);
    int n = 0;
    while (wbp_wait(-1, 0, &status) > 0)
        n += status >> 8 == 3;
    printf("reaped %d orphans whose ppid was the root\n", n);
    return 0;
}

static int parent(void)
{
    start("orphan", NULL);
    start("orphan", NULL);
    return 0;
}

static int orphan(void)
{
    struct timespec ts = { 0, 200 * 1000 * 1000 };
    nanosleep(&ts, NULL);
    return wbp_getppid() == 1 ? 3 : 1;
}

/* spawn path with stdio fds, argv (n strings): pid, or -errno */
static int32_t start_fds(const char *path, const int32_t fds[3],
                         const char *const *argv, int n)
{
    char buf[256];
    uint32_t len = wbp_list(buf, argv, n);
    int32_t pid = 0;
    int rc = wbp_spawn(path, (uint32_t)strlen(path), buf, len, "", 0, "", 0,
                       fds, &pid);
    return rc ? -rc : pid;
}

/* gen | count, through a pipe */
static int pipeline(void)
{
    int32_t p[2], status, sum = 0;
    if (wbp_pipe(p))
        return 1;
    const int32_t gen_fds[3] = { 0, p[1], 2 }, count_fds[3] = { p[0], 1, 2 };
    const char *gen[] = { "tree", "gen", "1000" }, *count[] = { "tree",
                                                                "count" };
    int32_t a = start_fds(SELF, gen_fds, gen, 3);
    int32_t b = start_fds(SELF, count_fds, count, 2);
    close(p[0]);
    close(p[1]);
    wbp_wait(a, 0, &status);
    sum += status;
    wbp_wait(b, 0, &status);
    printf("pipeline: %d %d\n", sum, status >> 8);
    const int32_t bad[3] = { 0, 57, 2 };
    printf("bad fd: %d\n", start_fds(SELF, bad, gen, 3));
    return 0;
}

static int gen(int n)
{
    for (int i = 1; i <= n; i++)
        printf("%d\n", i);
    return 0;
}

static int count(void)
{
    char line[64];
    long lines = 0, sum = 0;
    while (fgets(line, sizeof line, stdin)) {
        lines++;
        sum += atol(line);
    }
    printf("lines %ld sum %ld\n", lines, sum);
    return 0;
}

/* /bin lists the images; a module file in a grant runs too */
static int bin(const char *file)
{
    DIR *d = opendir("/bin");
    struct stat st;
    for (struct dirent *e; d && (e = readdir(d));)
        if (e->d_name[0] != '.')
            printf("/bin/%s\n", e->d_name);
    printf("stat: %d regular %d\n", stat("/bin/tree", &st),
           S_ISREG(st.st_mode));
    const char *argv[] = { "x", "exit", "9" };
    int32_t status, pid = start_fds(file, (const int32_t[]){ 0, 1, 2 },
                                   argv, 3);
    wbp_wait(pid, 0, &status);
    printf("%s: %d\n", file, status >> 8);
    printf("not a module: %d\n", wbp_exec("/data/junk", 10, "", 0, "", 0,
                                          "", 0));
    return 0;
}

/* children that exit, never waited for: each zombie holds a slot of
 * max_processes (as Linux counts zombies against RLIMIT_NPROC), so once
 * the slots are taken a spawn is EAGAIN however long it retries (half a
 * second: the children have ended by then); waited for, they free them.
 * Without this a guest that never waits grew the table, and every spawn
 * walked it (tests/attack/zombies.c: quadratic). */
static int nowait(int n)
{
    int started = 0, refused = 0, reaped = 0;
    int32_t st;
    while (started < n && refused < 500) {
        int32_t pid = start("exit", "0");
        if (pid > 0) {
            started++;
            refused = 0;
        } else if (pid != -6) {
            break;
        } else {
            refused++;
            usleep(1000);
        }
    }
    while (wbp_wait(-1, 0, &st) > 0)
        reaped++;
    printf("started %d, reaped %d, then %s\n", started, reaped,
           start("exit", "0") > 0 ? "one more" : "none");
    return 0;
}

int main(int argc, char **argv)
{
    const char *m = argc > 1 ? argv[1] : "";
    int n = argc > 2 ? atoi(argv[2]) : 0;
    if (!strcmp(m, "exit")) return n;
    if (!strcmp(m, "sleep")) sleep_forever();
    if (!strcmp(m, "loop")) for (volatile int i = 0;; i++) ;
    if (!strcmp(m, "spawn_wait")) return spawn_wait();
    if (!strcmp(m, "max")) return max();
    if (!strcmp(m, "kill")) return kill_wnohang();
    if (!strcmp(m, "ids")) return ids();
    if (!strcmp(m, "ppid")) return ppid();
    if (!strcmp(m, "exec")) return do_exec();
    if (!strcmp(m, "show")) return show(argc, argv);
    if (!strcmp(m, "exec_missing")) return exec_missing();
    if (!strcmp(m, "bomb")) return bomb();
    if (!strcmp(m, "sleepers")) return sleepers(n);
    if (!strcmp(m, "output")) return output(n, atoi(argv[3]));
    if (!strcmp(m, "write")) return write_n(n);
    if (!strcmp(m, "loop_child")) return loop_child();
    if (!strcmp(m, "killer")) return killer();
    if (!strcmp(m, "kill1")) return wbp_kill(1, 9);
    if (!strcmp(m, "orphans")) return orphans();
    if (!strcmp(m, "parent")) return parent();
    if (!strcmp(m, "orphan")) return orphan();
    if (!strcmp(m, "pipeline")) return pipeline();
    if (!strcmp(m, "nowait")) { quiet = 1; return nowait(n); }
    if (!strcmp(m, "gen")) return gen(n);
    if (!strcmp(m, "count")) return count();
    if (!strcmp(m, "bin")) return bin(argv[2]);
    fprintf(stderr, "tree: unknown mode '%s'\n", m);
    return 2;
}
