/*
 * fuzz_proc.c: libFuzzer target for processes in the sandbox
 * (docs/processes.md): the wasmbox_proc host calls (src/proc/host.c,
 * fork.c) and the fd operations (src/wasi/fdops.c) against a real tree.
 *
 * Each input is one run (wb_sandbox_run_entry, as `wasmbox run` makes
 * one: a tree, its watchdog, the root's store and context) whose entry
 * instantiates a module importing the ops of pf_ops and makes the
 * input's calls straight on their host functions, with hostile
 * pointers, lengths, lists, pids, signals and fds (proc_decode.c). The
 * children are real: /bin/agent (fuzz/proc/agent.c) runs the program
 * the decoder put in its argv[1], so children fork, spawn, exec, kill,
 * wait and pass data through pipes while the root does the same; a few
 * names are images that cannot start (junk, no _start, a missing
 * import, a memory past the budget). A run is bounded by max_processes
 * (2 to 6), a 50 or 200 ms deadline and a small memory budget, so every
 * input ends quickly; the root's exec runs the new image on this thread
 * (wb_ptree_root_done), as a run does.
 *
 * Checked after every call: a trap or exit only from the calls that may
 * end the caller (exec, wait, kill, reads and writes), with its error;
 * a result is a WASI errno, a pid, or a wait status of the documented
 * encoding; getpid is 1 and getppid 0 in the root, cwd gives the root's
 * cwd, fork from the host is ENOSYS; guest memory changed only where
 * the call's outputs are; the root's fd table counts what it holds,
 * within max_files; no call returns long after the deadline. After every
 * run: it ran (no setup error), no more processes lived at once than
 * max_processes, the output counted is what the host received and
 * within budget, the run ended soon after its deadline, and no thread or
 * descriptor of the run is left. A violation aborts (a crash to
 * libFuzzer); ASan, UBSan and LeakSanitizer report the rest.
 *
 * WB_PROCFUZZ_SEEDS=dir: write the seed corpus there and exit.
 * WB_PROCFUZZ_TRACE=1: print each call, its arguments and result.
 */
#include "proc.h"
#include "engine.h"
#include "proc/proc.h"
#include "sandbox/sandbox.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sanitizer/common_interface_defs.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef PF_IMAGES
#define PF_IMAGES "build/fuzz/proc"
#endif
#define PF_MAX_CALLS 64
#define PF_LATE_MS 2000        /* past the deadline: a call or run hangs */

/* Kinds: proc_decode.c's and hostcall_decode.c's. */
const hc_op pf_ops[PF_NOPS] = {
    [PF_SPAWN] = { "wasmbox_proc/spawn", "SAAWD4", 0 },
    [PF_EXEC] = { "wasmbox_proc/exec", "SAAW", 0 },
    [PF_FORK] = { "wasmbox_proc/fork", "", 0 },
    [PF_WAIT] = { "wasmbox_proc/wait", "po4", 0 },
    [PF_KILL] = { "wasmbox_proc/kill", "pg", 0 },
    [PF_GETPID] = { "wasmbox_proc/getpid", "", 0 },
    [PF_GETPPID] = { "wasmbox_proc/getppid", "", 0 },
    [PF_CWD] = { "wasmbox_proc/cwd", "B4", 0 },
    [PF_PIPE] = { "wasmbox_proc/pipe", "8", 0 },
    [PF_DUP] = { "wasmbox_proc/dup", "fm4", 0 },
    [PF_DUP2] = { "wasmbox_proc/dup2", "fF", 0 },
    [PF_CLOEXEC] = { "wasmbox_proc/cloexec", "fI", 0 },
    [PF_READ] = { "wasi_snapshot_preview1/fd_read", "fv4", 0 },
    [PF_WRITE] = { "wasi_snapshot_preview1/fd_write", "fV4", 0 },
    [PF_CLOSE] = { "wasi_snapshot_preview1/fd_close", "f", 0 },
    [PF_POKE] = { "@poke", "", 0 },      /* bytes of the input into memory */
    [PF_NAP] = { "@nap", "", 0 },        /* the root sleeps up to 3 ms */
};

static struct {
    wb_images *images;
    wb_module *mod;            /* the root's module of imports */
    wb_sandbox_config cfg;
    char base[64];             /* the host directories, removed at exit */
    atomic_ullong out_seen;    /* output bytes the callback received */
    bool trace;
    int threads;               /* threads of this process before the run */
    _Alignas(8) uint8_t before[HC_MEM];
} G;

/* One input's run. */
typedef struct pf_run {
    pf_state ps;
    const char *cwd;           /* the root's */
    int deadline_ms;
    struct timespec t0;
} pf_run;

static int64_t ms_since(const struct timespec *t0)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)(now.tv_sec - t0->tv_sec) * 1000 +
           (now.tv_nsec - t0->tv_nsec) / 1000000;
}

static int count_dir(const char *path)
{
    DIR *d = opendir(path);
    int n = 0;
    if (!d)
        hc_die("cannot list %s: %s", path, strerror(errno));
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

/* ---- checks --------------------------------------------------------------- */

static bool is_errno(int32_t v)
{
    return v >= 0 && v <= WE_NOTCAPABLE;
}

static void check_table(const wb_wasi *w, const char *op)
{
    uint32_t used = 0;
    for (uint32_t i = 0; i < w->nfds; i++)
        used += w->fds[i].kind != WB_FD_FREE;
    if (used != w->nopen || w->nopen > w->max_files)
        hc_die("after %s: %u fds in use, %u counted, max %u", op, used,
               w->nopen, w->max_files);
}

/* A new fd at guest address `at` must be open in the root's table. */
static uint32_t check_new_fd(pf_run *r, wb_wasi *w, const uint8_t *mem,
                             uint32_t at, const char *op)
{
    if (at > HC_MEM - 4)
        hc_die("%s succeeded with its output at %#x", op, at);
    uint32_t fd = wb_ld32(mem + at);
    if (!wb_fd_get(w, fd))
        hc_die("%s succeeded, but its fd %u is not open", op, fd);
    r->ps.d.last_fd = fd;
    return fd;
}

/* A wait status: exit code << 8, or a signal (1..64). */
static void check_status(uint32_t st)
{
    if ((st & 0xff) ? st > 64 : st > 0xff00)
        hc_die("wait status %#x is neither an exit code nor a signal", st);
}

static void check_wait(pf_run *r, const wb_val *a, int32_t got,
                       const uint8_t *mem)
{
    if (got < 0 && is_errno(-got))
        return;
    if (got == 0 && (a[1].of.i32 & 1))
        return;                        /* WNOHANG, nothing ended yet */
    if (got <= 1)
        hc_die("wait(%d, %d) returned %d", a[0].of.i32, a[1].of.i32, got);
    check_status(wb_ld32(mem + (uint32_t)a[2].of.i32));
}

static void check_spawn(pf_run *r, const wb_val *a, const uint8_t *mem)
{
    int32_t pid = (int32_t)wb_ld32(mem + (uint32_t)a[9].of.i32);
    if (pid <= 1)
        hc_die("spawn succeeded with pid %d", pid);
    for (int i = 0; i < r->ps.npids; i++)
        if (r->ps.pids[i] == pid)
            hc_die("spawn gave pid %d twice", pid);
    if (r->ps.npids < PF_MAX_PIDS)
        r->ps.pids[r->ps.npids++] = pid;
}

/* The bytes of buf that len_out (stored last) overlaps are the
 * length's. */
static void check_cwd(pf_run *r, const wb_val *a, const uint8_t *mem)
{
    uint32_t buf = (uint32_t)a[0].of.i32, at = (uint32_t)a[2].of.i32;
    uint32_t len = wb_ld32(mem + at);
    if (len != strlen(r->cwd))
        hc_die("cwd gave %u bytes, not the root's %s", len, r->cwd);
    for (uint32_t i = 0; i < len; i++)
        if ((buf + i < at || buf + i >= at + 4) && mem[buf + i] != r->cwd[i])
            hc_die("cwd gave byte %u %#x, not the root's %s", i,
                   mem[buf + i], r->cwd);
}

/* The result of a call that returned. */
static void check_result(pf_run *r, wb_wasi *w, int op, const wb_val *a,
                         int32_t v, const uint8_t *mem)
{
    const char *name = pf_ops[op].name;
    switch (op) {
    case PF_WAIT: check_wait(r, a, v, mem); return;
    case PF_FORK:
        if (v != -WE_NOSYS)
            hc_die("fork from the host returned %d, not -ENOSYS", v);
        return;
    case PF_GETPID:
        if (v != 1)
            hc_die("getpid of the root: %d", v);
        return;
    case PF_GETPPID:
        if (v != 0)
            hc_die("getppid of the root: %d", v);
        return;
    default: break;
    }
    if (!is_errno(v))
        hc_die("%s returned %d, not a WASI errno", name, v);
    if (v)
        return;
    if (op == PF_SPAWN)
        check_spawn(r, a, mem);
    else if (op == PF_CWD)
        check_cwd(r, a, mem);
    else if (op == PF_DUP)
        check_new_fd(r, w, mem, (uint32_t)a[2].of.i32, name);
    else if (op == PF_PIPE) {
        check_new_fd(r, w, mem, (uint32_t)a[0].of.i32, name);
        check_new_fd(r, w, mem, (uint32_t)a[0].of.i32 + 4, name);
    }
}

/* ---- the root's calls -------------------------------------------------------- */

static void trace(int op, const wb_val *a, size_t na, wb_status st,
                  int32_t v, const wb_store *s)
{
    fprintf(stderr, "%s(", pf_ops[op].name);
    for (size_t i = 0; i < na; i++)
        fprintf(stderr, "%s%#x", i ? ", " : "", (uint32_t)a[i].of.i32);
    if (st == WB_OK)
        fprintf(stderr, ") -> %d\n", v);
    else
        fprintf(stderr, ") -> %s: %s\n", wb_status_name(st),
                s->pending.message);
}

/* Calls that may end the caller: exec (its exit), a wait or a kill (the
 * root killed, the deadline), reads and writes (the deadline). */
static bool may_end(int op, wb_status st)
{
    if (op == PF_EXEC)
        return st == WB_E_EXIT;
    return st == WB_E_TRAP && (op == PF_WAIT || op == PF_KILL ||
                               op == PF_READ || op == PF_WRITE);
}

/* One call; WB_OK, or how it ended the root (into e). */
static wb_status one_call(pf_run *r, wb_caller *c, wb_wasi *w, wb_func *f,
                          int op, wb_error *e)
{
    wb_val a[HC_MAX_ARGS], res[1] = { { .type = WB_I32 } };
    wb_store *s = c->store;
    uint8_t *mem = wb_memory_data(c->inst->mems[0]);
    r->ps.d.nout = 0;
    size_t na = pf_decode_args(&r->ps, &pf_ops[op], a);
    /* a guest killed (or past its deadline) stops at its next call */
    if (atomic_load(&s->interrupt))
        return wb_err_trap(e, WB_TRAP_INTERRUPT);
    memcpy(G.before, mem, HC_MEM);
    wb_status st = f->host(c, f->env, a, res);
    if (ms_since(&r->t0) > r->deadline_ms + PF_LATE_MS)
        hc_die("%s returned %lld ms into a run of %d ms", pf_ops[op].name,
               (long long)ms_since(&r->t0), r->deadline_ms);
    if (G.trace)
        trace(op, a, na, st, res[0].of.i32, s);
    hc_check_memory(&r->ps.d, G.before, mem, pf_ops[op].name);
    check_table(w, pf_ops[op].name);
    if (st != WB_OK) {
        if (s->pending.status != st || !s->pending.message[0])
            hc_die("%s returned %s without its error", pf_ops[op].name,
                   wb_status_name(st));
        if (!may_end(op, st))
            hc_die("%s ended the root: %s", pf_ops[op].name,
                   s->pending.message);
        *e = s->pending;
        memset(&s->pending, 0, sizeof s->pending);
        return st;
    }
    check_result(r, w, op, a, res[0].of.i32, mem);
    return WB_OK;
}

static void nap(hc_dec *d)
{
    struct timespec ts = { 0, (hc_u8(d) % 4) * 1000000L };
    nanosleep(&ts, NULL);
}

/* The run's entry: the root's module, then the input's calls. */
static wb_status entry(void *user, const wb_sandbox_config *cfg,
                       wb_store *s, wb_linker *l, wb_wasi *w, wb_error *e,
                       bool *ran)
{
    pf_run *r = user;
    wb_instance *inst;
    wb_func *fn[PF_NOPS] = { 0 };
    (void)cfg;
    *ran = false;
    if (wb_instantiate(s, G.mod, l, &inst, e) != WB_OK)
        hc_die("the root's module: %s", e->message);
    *ran = true;
    for (int i = 0, k = 0; i < PF_NOPS; i++)
        if (pf_ops[i].name[0] != '@')
            fn[i] = inst->funcs[k++];
    r->ps.d.mem = wb_memory_data(inst->mems[0]);
    wb_caller c = { s, inst };
    for (int k = 0; k < PF_MAX_CALLS && r->ps.d.n > 0; k++) {
        int op = hc_u8(&r->ps.d) % PF_NOPS;
        wb_status st = WB_OK;
        if (op == PF_POKE)
            hc_poke(&r->ps.d);
        else if (op == PF_NAP)
            nap(&r->ps.d);
        else
            st = one_call(r, &c, w, fn[op], op, e);
        if (st != WB_OK)
            return st;
    }
    return WB_OK;
}

/* ---- per input ------------------------------------------------------------ */

static void configure(uint8_t cfg, pf_run *r)
{
    static const uint32_t procs[4] = { 2, 3, 4, 6 };
    wb_budget *b = &G.cfg.budget;
    b->max_processes = procs[cfg & PF_CFG_PROCS];
    b->fuel = cfg & PF_CFG_FUEL ? 3000000 : -1;
    b->max_output = cfg & PF_CFG_TINY_OUT ? 64 : 4096;
    b->max_memory = cfg & PF_CFG_SMALL_MEM ? (1u << 20) : (16u << 20);
    b->max_files = cfg & PF_CFG_FEW_FILES ? 8 : 32;
    r->deadline_ms = cfg & PF_CFG_LONG ? 200 : 50;
    b->timeout_ms = (uint64_t)r->deadline_ms;
    r->cwd = cfg & PF_CFG_CWD_TMP ? "/tmp" : "/";
    if (wb_config_set_cwd(&G.cfg, r->cwd) != WB_OK)
        hc_die("cannot set the cwd");
}

static void check_run(const pf_run *r, const wb_run_result *res)
{
    const wb_budget *b = &G.cfg.budget;
    uint64_t out = res->stdout_bytes + res->stderr_bytes;
    if (res->procs_max_live > b->max_processes)
        hc_die("%u processes alive at once, max %u", res->procs_max_live,
               b->max_processes);
    if (out != atomic_load(&G.out_seen) || out > b->max_output)
        hc_die("output: %llu counted, %llu received, budget %llu",
               (unsigned long long)out,
               (unsigned long long)atomic_load(&G.out_seen),
               (unsigned long long)b->max_output);
    if (res->wall_time_ms > (uint64_t)r->deadline_ms + PF_LATE_MS)
        hc_die("the run took %llu ms, its deadline %d ms",
               (unsigned long long)res->wall_time_ms, r->deadline_ms);
}

static void run_input(const uint8_t *data, size_t size)
{
    pf_run r = { .ps.d = { .p = data, .n = size } };
    wb_run_result res;
    wb_error err = { 0 };
    configure(hc_u8(&r.ps.d), &r);
    atomic_store(&G.out_seen, 0);
    clock_gettime(CLOCK_MONOTONIC, &r.t0);
    if (wb_sandbox_run_entry(&G.cfg, entry, &r, &res, &err) != WB_OK)
        hc_die("the run did not start: %s", err.message);
    if (G.trace)
        fprintf(stderr, "run: %s %d (%s), %u processes, %llu ms\n",
                wb_outcome_name(res.outcome), res.exit_code, res.message,
                res.procs_started, (unsigned long long)res.wall_time_ms);
    check_run(&r, &res);
}

/* Threads of this process once those the run joined are gone: a joined
 * thread's task can linger in /proc for a moment after pthread_join (the
 * kernel wakes the joiner before the task is reaped). */
static int settled_threads(void)
{
    int n = count_dir("/proc/self/task");
    for (int i = 0; i < 200 && n != G.threads; i++) {
        struct timespec ts = { 0, 1000000 };
        nanosleep(&ts, NULL);
        n = count_dir("/proc/self/task");
    }
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fds = hc_fd_count();
    G.threads = count_dir("/proc/self/task");
    run_input(data, size);
    int threads = settled_threads();
    if (threads != G.threads)
        hc_die("%d threads after the run, %d before", threads, G.threads);
    if (hc_fd_count() != fds)
        hc_die("fd leak: %d fds open before the run, %d after", fds,
               hc_fd_count());
    return 0;
}

/* ---- setup ------------------------------------------------------------------ */

static void cleanup(void)
{
    char cmd[128];
    if (!G.base[0])
        return;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", G.base);
    if (system(cmd) != 0)
        fprintf(stderr, "fuzz_proc: cannot remove %s\n", G.base);
    G.base[0] = 0;
}

static void copy_file(const char *from, const char *to)
{
    char buf[65536];
    int in = open(from, O_RDONLY | O_CLOEXEC);
    int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    ssize_t n;
    if (in < 0 || out < 0)
        hc_die("copy %s to %s: %s", from, to, strerror(errno));
    while ((n = read(in, buf, sizeof buf)) > 0)
        if (write(out, buf, (size_t)n) != n)
            hc_die("copy to %s: %s", to, strerror(errno));
    close(in);
    close(out);
}

/* base/data (granted read-only at /data): the agent and the smallest
 * module as files, junk, an empty file, a directory, a FIFO, a link to
 * the agent and one out of the grant, to base/outside. */
static void make_dirs(void)
{
    char p[256], q[256];
    const char *shm = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(G.base, sizeof G.base, "%s/wbprocfuzz.XXXXXX", shm);
    if (!mkdtemp(G.base))
        hc_die("mkdtemp: %s", strerror(errno));
    static const char *const dirs[] = { "data", "data/sub", "data/sub/loop",
                                        "outside" };
    for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++) {
        snprintf(p, sizeof p, "%s/%s", G.base, dirs[i]);
        if (mkdir(p, 0755) != 0)
            hc_die("mkdir %s: %s", p, strerror(errno));
    }
    static const char *const files[][2] = {
        { "agent.wasm", "data/agent.wasm" }, { "exit3.wasm", "data/exit3.wasm" },
        { "agent.wasm", "outside/agent.wasm" },
    };
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        snprintf(p, sizeof p, "%s/%s", PF_IMAGES, files[i][0]);
        snprintf(q, sizeof q, "%s/%s", G.base, files[i][1]);
        copy_file(p, q);
    }
    snprintf(p, sizeof p, "%s/data/junk", G.base);
    FILE *f = fopen(p, "w");
    if (!f || fputs("\0asm but not a module\n", f) < 0 || fclose(f) != 0)
        hc_die("cannot write %s", p);
    snprintf(p, sizeof p, "%s/data/empty", G.base);
    close(open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
    snprintf(p, sizeof p, "%s/data/fifo", G.base);
    snprintf(q, sizeof q, "%s/data/link.wasm", G.base);
    if (mkfifo(p, 0644) != 0 || symlink("agent.wasm", q) != 0)
        hc_die("fifo or link: %s", strerror(errno));
    snprintf(q, sizeof q, "%s/data/out.wasm", G.base);
    if (symlink("../outside/agent.wasm", q) != 0)
        hc_die("link out: %s", strerror(errno));
}

/* The registered images: the agent under several names (preloaded,
 * argv[0] forced, decoded at first use), junk, and the .wat modules. */
static void register_images(void)
{
    static const struct { const char *name, *file; unsigned flags; } im[] = {
        { "agent", "agent.wasm", WB_IMAGE_PRELOAD },
        { "a0", "agent.wasm", WB_IMAGE_PRELOAD | WB_IMAGE_ARGV0 },
        { "lazy", "agent.wasm", 0 },
        { "junk", NULL, 0 },           /* base/data/junk */
        { "nostart", "nostart.wasm", WB_IMAGE_PRELOAD },
        { "badimport", "badimport.wasm", WB_IMAGE_PRELOAD },
        { "bigmem", "bigmem.wasm", WB_IMAGE_PRELOAD },
        { "exit3", "exit3.wasm", WB_IMAGE_PRELOAD },
    };
    char p[512];
    wb_error err = { 0 };
    G.images = wb_images_new();
    if (!G.images)
        hc_die("out of memory");
    for (size_t i = 0; i < sizeof im / sizeof *im; i++) {
        if (im[i].file)
            snprintf(p, sizeof p, "%s/%s", PF_IMAGES, im[i].file);
        else
            snprintf(p, sizeof p, "%s/data/junk", G.base);
        if (wb_images_add(G.images, im[i].name, p, im[i].flags, &err) !=
            WB_OK)
            hc_die("image %s (%s): %s", im[i].name, p, err.message);
    }
}

static int out_cb(void *user, int stream, const uint8_t *data, size_t len)
{
    (void)user; (void)stream; (void)data;
    atomic_fetch_add(&G.out_seen, len);
    return 0;
}

static void make_config(void)
{
    char p[256];
    wb_sandbox_config *c = &G.cfg;
    wb_sandbox_config_init(c);
    c->output = out_cb;
    c->images = G.images;
    snprintf(p, sizeof p, "%s/data", G.base);
    if (wb_config_add_arg(c, "root") != WB_OK ||
        wb_config_add_env(c, "A", "1") != WB_OK ||
        wb_config_add_tmpfs(c, "/tmp", 64u << 10) != WB_OK ||
        wb_config_add_dir(c, p, "/data", true) != WB_OK)
        hc_die("cannot build the sandbox configuration");
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc; (void)argv;
    const char *seeds = getenv("WB_PROCFUZZ_SEEDS");
    hc_name = "fuzz_proc";
    if (seeds) {
        int n = pf_write_seeds(seeds);
        if (n < 0)
            exit(1);
        printf("%d seeds written to %s\n", n, seeds);
        exit(0);
    }
    G.trace = getenv("WB_PROCFUZZ_TRACE") != NULL;
    hc_cleanup = cleanup;
    make_dirs();
    atexit(cleanup);
    __sanitizer_set_death_callback(cleanup);
    register_images();
    make_config();
    G.mod = hc_module_new("wasmbox_proc", pf_ops, PF_NOPS);
    /* the watchdog's thread starts with the first run, and stays */
    run_input((const uint8_t *)"", 0);
    return 0;
}
