/* agent.c: the image the process fuzzer's children run (/bin/agent and
 * its copies; fuzz/fuzz_proc.c). argv[1] is a small program, one byte an
 * operation, that the fuzzer composed from its input, so that children
 * fork, spawn, exec, wait, kill and pass data through pipes in orders no
 * fixed test takes. A block is the program up to its matching ';' (the
 * openers s f e m P Q nest). Bytes that are no operation are skipped,
 * so a hostile argv still runs to its end; nothing here checks results:
 * the host's invariants are the fuzzer's.
 *
 *   x D   exit with code D (a digit)     z  sleep until killed
 *   n     sleep 1 ms                     l  loop until interrupted
 *   t     trap                           c  copy stdin to stdout to EOF
 *   o     a line to stdout               r  a line to stderr
 *   w     wait for any child             W  the same with WNOHANG
 *   j     kill the last child (9)        k D  kill the parent with D
 *   K D   kill every other process       i  kill itself (15)
 *   g     getpid, getppid and cwd        u  close fd 0
 *   d     dup2(1, 2)                     D  dup(1, 10), then close it
 *   C     stdout close-on-exec
 *   s B;  spawn /bin/agent B             m B;  the same from /data/agent.wasm
 *   f B;  fork: the child runs B, exits  e B;  exec /bin/agent B
 *   P B;  spawn /bin/agent B reading a pipe the agent writes and closes
 *   Q B;  spawn /bin/agent B writing a pipe the agent reads to EOF
 */
#define WBP_FORK
#define WBP_PIPE
#include "../../tests/proc/wbproc.h"
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

WBP(dup) int32_t wbp_dup(int32_t fd, int32_t min, int32_t *out);
WBP(cloexec) int32_t wbp_cloexec(int32_t fd, int32_t on);

static int32_t last_child;

static const char *block_end(const char *p)
{
    int depth = 0;
    for (; *p; p++) {
        if (strchr("sfemPQ", *p))
            depth++;
        else if (*p == ';' && depth-- == 0)
            return p;
    }
    return p;
}

/* Spawn `path` with argv ["agent", the block b..end] and stdio fds. */
static void start(const char *path, const char *b, const char *end,
                  const int32_t fds[3])
{
    static char list[4096];
    size_t n = (size_t)(end - b);
    if (n > sizeof list - 8)
        n = sizeof list - 8;
    memcpy(list, "agent", 6);
    memcpy(list + 6, b, n);
    list[6 + n] = 0;
    int32_t pid = 0;
    if (!wbp_spawn(path, (uint32_t)strlen(path), list, (uint32_t)(n + 7),
                   "", 0, "", 0, fds, &pid))
        last_child = pid;
}

static void write_all(int fd, const char *s)
{
    size_t n = strlen(s);
    while (n) {
        ssize_t k = write(fd, s, n);
        if (k <= 0)
            return;
        s += k;
        n -= (size_t)k;
    }
}

static void copy(int from, int to)
{
    char buf[256];
    ssize_t k;
    while ((k = read(from, buf, sizeof buf)) > 0)
        if (to >= 0)
            write(to, buf, (size_t)k);
}

static void piped(const char *b, const char *end, bool child_reads)
{
    int32_t p[2];
    if (wbp_pipe(p))
        return;
    int32_t fds[3] = { child_reads ? p[0] : 0, child_reads ? 1 : p[1], 2 };
    start("/bin/agent", b, end, fds);
    if (child_reads) {
        close(p[0]);
        write_all(p[1], "through the pipe\n");
        close(p[1]);
    } else {
        close(p[1]);
        copy(p[0], -1);
        close(p[0]);
    }
}

static int digit(const char **p)
{
    if (**p >= '0' && **p <= '9')
        return *(*p)++ - '0';
    return 0;
}

static void sleep_ms(int ms)
{
    poll(NULL, 0, ms);
}

/* Run the block p..end; returns only when it ends without exiting. */
static void run(const char *p, const char *end);

static void block(char op, const char **p, const char *end)
{
    const char *b = *p, *e = block_end(b);
    if (e > end)
        e = end;
    *p = *e ? e + 1 : e;
    static const int32_t std[3] = { 0, 1, 2 };
    switch (op) {
    case 's': start("/bin/agent", b, e, std); break;
    case 'm': start("/data/agent.wasm", b, e, std); break;
    case 'P': piped(b, e, true); break;
    case 'Q': piped(b, e, false); break;
    case 'f': {
        int32_t pid = wbp_fork();
        if (pid == 0) {
            run(b, e);
            _exit(0);
        }
        if (pid > 0)
            last_child = pid;
        break;
    }
    default: {                          /* 'e' */
        static char list[4096];
        size_t n = (size_t)(e - b) < sizeof list - 8 ? (size_t)(e - b)
                                                     : sizeof list - 8;
        memcpy(list, "agent", 6);
        memcpy(list + 6, b, n);
        list[6 + n] = 0;
        wbp_exec("/bin/agent", 10, list, (uint32_t)(n + 7), "A=1", 4, "/",
                 1);
    }
    }
}

static void one(char op, const char **p, const char *end)
{
    int32_t st, fd;
    char cwd[64];
    uint32_t len;
    switch (op) {
    case 'x': _exit(digit(p));
    case 'z': for (;;) sleep_ms(10000);
    case 'n': sleep_ms(1); break;
    case 'l': for (volatile int i = 0;; i++) ; break;
    case 't': __builtin_trap();
    case 'c': copy(0, 1); break;
    case 'o': write_all(1, "o\n"); break;
    case 'r': write_all(2, "r\n"); break;
    case 'w': wbp_wait(-1, 0, &st); break;
    case 'W': wbp_wait(-1, 1, &st); break;
    case 'j': if (last_child) wbp_kill(last_child, 9); break;
    case 'k': wbp_kill(wbp_getppid(), digit(p)); break;
    case 'K': wbp_kill(-1, digit(p)); break;
    case 'i': wbp_kill(wbp_getpid(), 15); break;
    case 'g': wbp_getpid(); wbp_getppid(); wbp_cwd(cwd, sizeof cwd, &len);
              break;
    case 'u': close(0); break;
    case 'd': wbp_dup2(1, 2); break;
    case 'D': if (!wbp_dup(1, 10, &fd)) close(fd); break;
    case 'C': wbp_cloexec(1, 1); break;
    default:
        if (strchr("sfemPQ", op))
            block(op, p, end);
    }
}

static void run(const char *p, const char *end)
{
    while (p < end && *p) {
        char op = *p++;
        one(op, &p, end);
    }
}

int main(int argc, char **argv)
{
    if (argc > 1)
        run(argv[1], argv[1] + strlen(argv[1]));
    return 0;
}
