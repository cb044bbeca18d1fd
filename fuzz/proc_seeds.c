/*
 * proc_seeds.c: the process fuzzer's seed corpus, written by the target
 * (WB_PROCFUZZ_SEEDS=dir) in the decoder's format (proc_decode.c,
 * hostcall_decode.c), so that it never goes stale: each seed is one
 * scenario of docs/processes.md that runs to its end, from which the
 * fuzzer mutates. Objects go in separate 1 KiB slots (address byte v:
 * slot v).
 */
#include "proc.h"
#include <string.h>

typedef struct seed {
    hc_enc e;
    uint8_t slot;              /* the next free slot */
} seed;

static void b8(seed *s, uint8_t v) { hc_b8(&s->e, v); }
static void op(seed *s, int o) { b8(s, (uint8_t)o); }
static void addr(seed *s) { b8(s, (uint8_t)(++s->slot & 63)); }

/* A table entry at its own length and address. */
static void entry(seed *s, const char *const *t, size_t n, const char *v)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(t[i], v)) {
            b8(s, (uint8_t)i);
            b8(s, 0);                  /* its length */
            addr(s);
            return;
        }
    hc_die("seed: %s is in no table", v);
}

static void path(seed *s, const char *p) { entry(s, pf_paths, pf_npaths, p); }
static void cwd(seed *s, const char *p) { entry(s, pf_cwds, pf_ncwds, p); }

/* An agent program (proc_decode.c's program()). */
static void program(seed *s, const char *prog)
{
    uint8_t n = 0;                     /* operations, not their digits */
    for (const char *c = prog; *c; c++)
        n += !(*c >= '0' && *c <= '9');
    b8(s, n);                          /* at most 19 */
    for (const char *c = prog; *c; c++) {
        const char *at = strchr(pf_agent_ops, *c);
        if (!at)
            hc_die("seed: no agent op %c", *c);
        b8(s, (uint8_t)(at - pf_agent_ops));
        if (strchr("xkK", *c))
            b8(s, (uint8_t)(*++c - '0'));
    }
}

/* argv ["agent", prog] (prog NULL: no argv at all) and an empty env. */
static void lists(seed *s, const char *prog)
{
    b8(s, prog ? 2 : 0);
    if (prog) {
        b8(s, 3);                      /* "agent" */
        b8(s, 0);
        program(s, prog);
    }
    b8(s, 0);
    addr(s);
    b8(s, 0);                          /* env: no strings */
    b8(s, 0);
    addr(s);
}

/* fds: three of fd_of's small values. */
static void fds(seed *s, uint8_t a, uint8_t b, uint8_t c)
{
    b8(s, a);
    b8(s, b);
    b8(s, c);
    addr(s);
}

static void spawn(seed *s, const char *image, const char *prog)
{
    op(s, PF_SPAWN);
    path(s, image);
    lists(s, prog);
    cwd(s, "");
    fds(s, 0, 1, 2);
    addr(s);                           /* pid_out */
}

/* wait(pid byte of pid_arg, options index) */
static void wait_(seed *s, uint8_t pid, uint8_t options)
{
    op(s, PF_WAIT);
    b8(s, pid);
    b8(s, options);
    addr(s);
}

enum { PID_ANY = 0, PID_ROOT = 2, PID_FIRST = 0x80, PID_SECOND = 0x81 };

static void kill_(seed *s, uint8_t pid, uint8_t sig)
{
    op(s, PF_KILL);
    b8(s, pid);
    b8(s, sig);                        /* index: 0 0, 1 9, 2 15 */
}

static seed *start(seed *s, uint8_t cfg)
{
    memset(s, 0, sizeof *s);
    b8(s, cfg);
    return s;
}

static void basic(seed *s)
{
    spawn(start(s, 2), "/bin/agent", "o");
    wait_(s, PID_FIRST, 0);
    spawn(s, "/bin/exit3", NULL);
    wait_(s, PID_ANY, 1);
    wait_(s, PID_ANY, 0);
    wait_(s, PID_ANY, 0);              /* ECHILD */
}

/* pipe; a child copies its read end to stdout; the root writes, closes */
static void pipe_cat(seed *s)
{
    start(s, 2);
    op(s, PF_PIPE);
    addr(s);
    op(s, PF_SPAWN);
    path(s, "/bin/agent");
    lists(s, "c");
    cwd(s, "");
    fds(s, 15, 1, 2);                  /* the pipe's read end */
    addr(s);
    op(s, PF_CLOSE);
    b8(s, 0xe0 | 10);                  /* the last fd: the write end */
    wait_(s, PID_FIRST, 0);
}

static void agents(seed *s)
{
    spawn(start(s, 3), "/bin/agent", "fo;w");
    spawn(s, "/bin/a0", "so;Po;Qo;w");
    wait_(s, PID_ANY, 0);
    wait_(s, PID_ANY, 0);
}

static void kills(seed *s)
{
    spawn(start(s, 2), "/bin/agent", "z");
    kill_(s, PID_FIRST, 2);
    wait_(s, PID_FIRST, 0);
    kill_(s, PID_FIRST, 1);            /* ESRCH */
    kill_(s, 0, 0);                    /* -1, 0 */
    spawn(s, "/bin/agent", "k9");      /* kills the root */
    wait_(s, PID_ANY, 0);
}

static void execs(seed *s)
{
    start(s, 2);
    op(s, PF_EXEC);
    path(s, "/bin/agent");
    lists(s, "so;wx4");
    cwd(s, "/tmp");
}

static void images(seed *s)
{
    static const char *const bad[] = {
        "/bin/junk", "/bin/nostart", "/bin/badimport", "/data/agent.wasm",
        "/data/out.wasm", "/data/fifo", "/data/sub", "/data/empty",
        "/bin/nope", "/data/link.wasm", "/bin/lazy",
        "/bin/bigmem",                 /* last: it ends the run (memory) */
    };
    start(s, 3);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        spawn(s, bad[i], "x1");
        wait_(s, PID_ANY, 0);
    }
}

static void fdops(seed *s)
{
    start(s, 0);
    op(s, PF_DUP); b8(s, 1); b8(s, 2); addr(s);     /* dup(1, 10) */
    op(s, PF_DUP2); b8(s, 0xe0 | 10); b8(s, 0xe0);  /* to 1023 */
    op(s, PF_DUP2); b8(s, 1); b8(s, 0xe1);          /* to 1024 */
    op(s, PF_CLOEXEC); b8(s, 0xe0 | 10); b8(s, 1);
    op(s, PF_DUP); b8(s, 0); b8(s, 5); addr(s);     /* min 1024 */
    op(s, PF_PIPE); addr(s);
    op(s, PF_DUP2); b8(s, 0xe0 | 10); b8(s, 1);     /* stdout a pipe */
    op(s, PF_CLOSE); b8(s, 0xe0 | 10);
    spawn(s, "/bin/agent", "Cdoeo;");
    wait_(s, PID_ANY, 0);
}

static void ids(seed *s)
{
    start(s, 32);                       /* cwd /tmp */
    op(s, PF_GETPID);
    op(s, PF_GETPPID);
    op(s, PF_CWD); b8(s, 64); addr(s); addr(s);
    op(s, PF_CWD); b8(s, 0); addr(s); addr(s);
    op(s, PF_FORK);
}

static void hostile(seed *s)
{
    start(s, 2);
    op(s, PF_SPAWN);                    /* an unterminated argv */
    path(s, "/bin/agent");
    b8(s, 1); b8(s, 3); b8(s, 0xc1); addr(s);
    b8(s, 0); b8(s, 0); addr(s);
    cwd(s, "");
    fds(s, 0, 1, 2);
    addr(s);
    op(s, PF_SPAWN);                    /* env past the list limit */
    path(s, "/bin/agent");
    b8(s, 0); b8(s, 0); addr(s);
    b8(s, 0); b8(s, 0xc5); addr(s);
    cwd(s, "");
    fds(s, 0, 1, 2);
    addr(s);
    op(s, PF_SPAWN);                    /* a cwd of 4096 bytes */
    path(s, "/bin/agent");
    lists(s, "x2");
    b8(s, (uint8_t)(pf_ncwds + 2)); b8(s, 0); addr(s);
    fds(s, 0, 1, 2);
    addr(s);
    op(s, PF_SPAWN);                    /* fds not open */
    path(s, "/bin/agent");
    lists(s, "x2");
    cwd(s, "/data");
    fds(s, 9, 12, 0xe1);
    addr(s);
}

static void bomb(seed *s)
{
    spawn(start(s, 0), "/bin/agent", "ssffw");
    spawn(s, "/bin/agent", "l");
    spawn(s, "/bin/agent", "z");
    op(s, PF_NAP); b8(s, 3);
    kill_(s, 0, 1);                     /* everyone else */
    wait_(s, PID_ANY, 0);
}

static void modules(seed *s)
{
    spawn(start(s, 3 | 128), "/bin/agent", "mo;mex3;;w");
    wait_(s, PID_ANY, 0);
    spawn(s, "/data/exit3.wasm", NULL);
    wait_(s, PID_ANY, 0);
}

int pf_write_seeds(const char *dir)
{
    static const struct { const char *name; void (*fn)(seed *); } t[] = {
        { "basic", basic }, { "pipe-cat", pipe_cat }, { "agents", agents },
        { "kills", kills }, { "exec", execs }, { "images", images },
        { "fdops", fdops }, { "ids", ids }, { "hostile", hostile },
        { "bomb", bomb }, { "modules", modules },
    };
    static seed s;
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        t[i].fn(&s);
        if (!hc_write_seed(dir, t[i].name, &s.e))
            return -1;
    }
    return (int)(sizeof t / sizeof *t);
}
