/* edges.c: edge cases of the process tree found by the issue-19 attack
 * session (tests/attack/), run as /bin/edges (--image edges=edges.wasm):
 * edges MODE [ARGS]. Each mode prints what it saw, one fact a line. */
#define WBP_PIPE
#include "wbproc.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SELF "/bin/edges"

WBP(dup) int32_t wbp_dup(int32_t fd, int32_t min, int32_t *out);
WBP(cloexec) int32_t wbp_cloexec(int32_t fd, int32_t on);

static void nap_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* spawn `path` with argv (n strings): 0 and *pid, or the errno */
static int spawn(const char *path, const char *const *argv, int n,
                 int32_t *pid)
{
    return wbp_run(path, argv, n, pid);
}

/* ---- refusals while the tree ends ------------------------------------------ */

/* Spawns forever with an fd that is not open: each spawn is admitted,
 * then fails (EBADF) before a process starts, so none is ever refused
 * for max_processes: every refusal is the tree's end. */
static int spinner(void)
{
    static const int32_t fds[3] = { 0, 57, 2 };
    const char *v[] = { "edges", "exit" };
    char buf[32];
    uint32_t len = wbp_list(buf, v, 2);
    for (;;) {
        int32_t pid;
        wbp_spawn(SELF, (uint32_t)strlen(SELF), buf, len, "", 0, "", 0,
                  fds, &pid);
    }
}

/* The root ends while `n` children spawn in a loop: the tree is marked
 * ending before they are interrupted, and the spawns they make then
 * are refused, but not for max_processes. */
static int respawn(int n)
{
    const char *v[] = { "edges", "spinner" };
    int32_t pid;
    for (int i = 0; i < n; i++)
        if (spawn(SELF, v, 2, &pid))
            return 1;
    nap_ms(100);
    return 0;
}

/* ---- fd numbers ------------------------------------------------------------ */

/* One limit for every way of making an fd: numbers below 1024 (dup's
 * minimum past it EINVAL, dup2's target EBADF, no number left EMFILE),
 * and at most --max-files of them. */
static int fdlimit(void)
{
    int32_t out = -1, p[2];
    int made, rc, top, fd;
    printf("dup2 1->1023: %d\n", wbp_dup2(1, 1023));
    printf("dup2 1->1024: %d\n", wbp_dup2(1, 1024));
    printf("dup 1 min 1023: %d\n", wbp_dup(1, 1023, &out));
    printf("dup 1 min 1024: %d\n", wbp_dup(1, 1024, &out));
    for (made = top = 0; (rc = wbp_dup(1, 1000, &out)) == 0; made++)
        top = out > top ? out : top;
    printf("dups from 1000: %d, highest %d, then %d\n", made, top, rc);
    for (made = top = 0; (fd = open("/dev/null", O_RDONLY)) >= 0; made++)
        top = fd > top ? fd : top;
    printf("opens: %d, highest %d, then %s\n", made, top, strerror(errno));
    for (int i = 0; i < 8; i++)
        close(top - i);
    for (made = top = 0; (rc = wbp_pipe(p)) == 0; made += 2)
        top = p[1] > top ? p[1] : top;
    printf("pipe ends: %d, highest %d, then %d\n", made, top, rc);
    return 0;
}

/* ---- paths naming images ------------------------------------------------------ */

/* spawn `path` from working directory `cwd` ("": the caller's) */
static int spawn_at(const char *cwd, const char *path, int32_t *pid)
{
    static const int32_t fds[3] = { 0, 1, 2 };
    const char *v[] = { "edges", "exit", "5" };
    char buf[32];
    uint32_t len = wbp_list(buf, v, 3);
    return wbp_spawn(path, (uint32_t)strlen(path), buf, len, "", 0, cwd,
                     (uint32_t)strlen(cwd), fds, pid);
}

static void try_path(const char *cwd, const char *path)
{
    int32_t pid, st = -1;
    int rc = spawn_at(cwd, path, &pid);
    if (!rc)
        wbp_wait(pid, 0, &st);
    struct stat sb;
    int s = stat(path, &sb);
    printf("%s%s%s spawn %d", cwd, *cwd ? ": " : "", path, rc);
    if (!rc)
        printf(" exit %d", st >> 8);
    if (!*cwd)                   /* stat's relative paths are from "/" */
        printf(", stat %s", s ? strerror(errno) : S_ISREG(sb.st_mode)
                                                  ? "regular" : "other");
    printf("\n");
}

static int paths(void)
{
    static const char *const p[] = {
        "/bin/edges", "/bin/edges/", "/bin/edges/.", "/bin/edges/..",
        "/bin/edges/x", "/usr/bin/edges/", "/bin/../bin/edges",
        "//bin/edges", "/bin/./edges", "/bin//edges", "/usr/bin/edges",
        "/usr/../bin/edges", "../bin/edges", "bin/edges", "/bin/nope",
        "/bin", "/bin/", "/usr/bin/.",
    };
    for (size_t i = 0; i < sizeof p / sizeof *p; i++)
        try_path("", p[i]);
    /* relative: from the cwd the call gives (stat: from the caller's) */
    try_path("/usr", "../bin/edges");
    try_path("/bin", "./edges");
    try_path("/bin", "edges");
    try_path("/usr/bin", "../../bin/edges");
    try_path("/data", "./t.wasm");
    try_path("/data", "t.wasm");
    try_path("/data/", "t.wasm");
    /* an image is a file of a read-only directory, as Linux answers */
    int fd = open("/bin/edges", O_WRONLY | O_DIRECTORY);
    printf("open O_WRONLY|O_DIRECTORY: %s\n", fd < 0 ? strerror(errno) : "ok");
    printf("mkdir /bin/edges: %s\n", mkdir("/bin/edges", 0777) ? strerror(errno)
                                                             : "ok");
    printf("mkdir /usr/bin: %s\n", mkdir("/usr/bin", 0777) ? strerror(errno)
                                                         : "ok");
    printf("rmdir /bin: %s\n", rmdir("/bin") ? strerror(errno) : "ok");
    return 0;
}

/* ---- killing the root ------------------------------------------------------------ */

static int kill_parent(int sig)
{
    nap_ms(100);
    return wbp_kill(wbp_getppid(), sig);
}

static int killed_root(const char *sig)
{
    const char *v[] = { "edges", "kill_parent", sig };
    int32_t pid;
    if (spawn(SELF, v, 3, &pid))
        return 1;
    for (;;)
        sleep(100);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    const char *m = argc > 1 ? argv[1] : "";
    const char *a = argc > 2 ? argv[2] : "0";
    if (!strcmp(m, "exit")) return atoi(a);
    if (!strcmp(m, "spinner")) return spinner();
    if (!strcmp(m, "respawn")) return respawn(atoi(a));
    if (!strcmp(m, "fdlimit")) return fdlimit();
    if (!strcmp(m, "paths")) return paths();
    if (!strcmp(m, "kill_parent")) return kill_parent(atoi(a));
    if (!strcmp(m, "killed_root")) return killed_root(a);
    fprintf(stderr, "edges: unknown mode '%s'\n", m);
    return 2;
}
