/*
 * fuzz_hostcall.c: libFuzzer target for the host-call layer (src/wasi).
 *
 * A module that imports every wasi_snapshot_preview1 function (with the
 * signatures of hc_ops, so a stale table fails to link) and exports one
 * memory is instantiated once. Each input gets a fresh WASI context with
 * a tmpfs (hostcall_tmpfs.c), a second small tmpfs, two host directories
 * and a read-only one (hostcall_host.c), a socket and a listening socket,
 * the virtual root "/" over the grants (fd HC_FD_ROOT), stdin (a pipe or
 * a socket) and output (a callback or a pipe), under
 * small --max-disk, --max-files, --max-memory and --max-output budgets,
 * chosen by the input's first byte (HC_CFG_*). The calls are made
 * straight on the host functions with that memory (no interpreter, so
 * each takes microseconds). A watchdog cancels the context 25 ms into
 * an input, as the run's deadline would, so every wait ends.
 *
 * Checked after every call: a trap carries its error; a result is a
 * WASI errno; guest memory changed only where the call's outputs are;
 * the fd table counts what it holds, within --max-files; disk and output
 * stay within budget; the virtual root and every read-only fd hold no
 * right to change anything, and what is opened beneath them is
 * read-only. After every input: no fd leaked, nothing outside the
 * read-write grant changed or was read, no guest symlink leads out of
 * its grant, host or tmpfs, the grants grew by no more than was charged
 * (hostcall_host.c), and each tmpfs, once emptied, gives all its space
 * back (hostcall_tmpfs.c).
 * A violation aborts, which libFuzzer reports as a crash.
 *
 * WB_HOSTCALL_SEEDS=dir: write the seed corpus there and exit.
 * WB_HOSTCALL_TRACE=1: print each call, its arguments (and paths) and its
 * result.
 */
#include "hostcall.h"
#include "engine.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sanitizer/common_interface_defs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define HC_MAX_CALLS 256
#define HC_DEADLINE_MS 25
#define HC_LATE_MS 2000        /* past the deadline: a call that hangs */

const hc_op hc_ops[] = {
    { "args_get", "gG", 0 }, { "args_sizes_get", "44", 0 },
    { "environ_get", "eE", 0 }, { "environ_sizes_get", "44", 0 },
    { "clock_res_get", "I8", 0 }, { "clock_time_get", "IL8", 0 },
    { "random_get", "B", 0 },
    { "fd_advise", "fLLI", 0 }, { "fd_allocate", "fLL", 0 },
    { "fd_close", "f", 0 }, { "fd_datasync", "f", 0 },
    { "fd_fdstat_get", "fs", 0 }, { "fd_fdstat_set_flags", "fI", 0 },
    { "fd_fdstat_set_rights", "fRR", 0 }, { "fd_filestat_get", "ft", 0 },
    { "fd_filestat_set_size", "fL", 0 },
    { "fd_filestat_set_times", "fLLI", 0 }, { "fd_pread", "fvL4", 0 },
    { "fd_prestat_get", "f8", 0 }, { "fd_prestat_dir_name", "fB", 0 },
    { "fd_pwrite", "fVL4", 0 }, { "fd_read", "fv4", 0 },
    { "fd_readdir", "fBL4", 0 }, { "fd_renumber", "ff", 0 },
    { "fd_seek", "fLI8", 0 }, { "fd_sync", "f", 0 }, { "fd_tell", "f8", 0 },
    { "fd_write", "fV4", 0 },
    { "path_create_directory", "fP", 0 },
    { "path_filestat_get", "fIPt", 0 },
    { "path_filestat_set_times", "fIPLLI", 0 },
    { "path_link", "fIPfP", 0 }, { "path_open", "fIPIRRI4", HC_RET_FD },
    { "path_readlink", "fPB4", 0 }, { "path_remove_directory", "fP", 0 },
    { "path_rename", "fPfP", 0 }, { "path_symlink", "PfP", 0 },
    { "path_unlink_file", "fP", 0 },
    { "poll_oneoff", "Q4", 0 }, { "proc_exit", "I", HC_NO_RESULT },
    { "proc_raise", "I", 0 }, { "sched_yield", "", 0 },
    { "sock_accept", "fI4", HC_RET_FD }, { "sock_recv", "fvI42", 0 },
    { "sock_send", "fVI4", 0 }, { "sock_shutdown", "fI", 0 },
    /* pseudo-calls */
    { "@poke", "", 0 },        /* bytes of the input into guest memory */
    { "@peer", "", 0 },        /* the socket's other end writes or shuts */
};
const size_t hc_nops = sizeof hc_ops / sizeof *hc_ops;

int hc_op_index(const char *name)
{
    for (size_t i = 0; i < hc_nops; i++)
        if (!strcmp(hc_ops[i].name, name))
            return (int)i;
    hc_die("no op %s", name);
}

/* Per-input host ends: stdin, the socket pair, the listener and a client
 * waiting in its backlog, and the output pipe's two ends. */
typedef struct hc_io { int in, peer, sock, lis, cli, out, out_r; } hc_io;

static struct {
    hc_guest g;
    wb_host_fn fn[sizeof hc_ops / sizeof *hc_ops];
    _Alignas(8) uint8_t before[HC_MEM];   /* memory before the call */
    wb_sandbox_config cfg;
    uint64_t out_seen;         /* bytes the callback or pipe received */
    bool out_fail;
    bool trace;                /* WB_HOSTCALL_TRACE: print every call */
    hc_io io;
} G;

static int out_cb(void *user, int stream, const uint8_t *data, size_t len)
{
    (void)user; (void)stream; (void)data;
    if (G.out_fail)
        return -1;
    G.out_seen += len;
    return 0;
}

static void make_config(void)
{
    wb_sandbox_config *c = &G.cfg;
    wb_sandbox_config_init(c);
    c->budget.max_files = HC_MAX_FILES;
    c->budget.max_output = HC_MAX_OUTPUT;
    c->budget.max_memory = HC_MAX_MEMORY;
    c->output = out_cb;
    bool ok = wb_config_add_arg(c, "prog") == WB_OK &&
              wb_config_add_arg(c, "arg one") == WB_OK &&
              wb_config_add_arg(c, "\xc3\xa4rg") == WB_OK &&
              wb_config_add_env(c, "A", "1") == WB_OK &&
              wb_config_add_env(c, "HOME", "/host") == WB_OK &&
              wb_config_add_env(c, "EMPTY=", NULL) == WB_OK &&
              wb_config_add_tmpfs(c, "/tmp", HC_TMPFS_SIZE) == WB_OK &&
              wb_config_add_dir(c, hc_host_rw(0), "/host", false) == WB_OK &&
              wb_config_add_dir(c, hc_host_ro(), "/ro", true) == WB_OK &&
              wb_config_add_tmpfs(c, "/t2", HC_TMPFS2_SIZE) == WB_OK &&
              wb_config_add_socket(c, -1, "sock") == WB_OK &&
              wb_config_add_socket(c, -1, "listen") == WB_OK &&
              wb_config_add_dir(c, hc_host_rw(1), "/h2", false) == WB_OK;
    if (!ok)
        hc_die("cannot build the sandbox configuration");
}

/* ---- per input ---------------------------------------------------------- */

/* stdin: a pipe or a socket holding a line, its writing end closed. */
static int open_stdin(uint8_t cfg)
{
    int p[2];
    if (cfg & HC_CFG_NO_STDIN)
        return -1;
    if ((cfg & HC_CFG_STDIN_SOCK
         ? socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p)
         : pipe2(p, O_CLOEXEC)) != 0 ||
        write(p[1], "stdin data\n", 11) != 11)
        hc_die("stdin: %s", strerror(errno));
    close(p[1]);
    return p[0];
}

static void open_io(hc_io *io, uint8_t cfg)
{
    int sv[2], p[2];
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    socklen_t alen = sizeof addr;
    io->in = open_stdin(cfg);
    io->out = io->out_r = -1;
    if (cfg & HC_CFG_OUT_PIPE) {
        if (pipe2(p, O_CLOEXEC | O_NONBLOCK) != 0)
            hc_die("output pipe: %s", strerror(errno));
        io->out_r = p[0];
        io->out = p[1];
    }
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0 ||
        write(sv[1], "from the peer, 32 bytes of data\n", 32) != 32)
        hc_die("socketpair: %s", strerror(errno));
    io->sock = sv[0];
    io->peer = sv[1];
    /* an autobound abstract address: nothing on disk, no name clashes */
    io->lis = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    io->cli = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (io->lis < 0 || io->cli < 0 ||
        bind(io->lis, (struct sockaddr *)&addr, sizeof(sa_family_t)) != 0 ||
        getsockname(io->lis, (struct sockaddr *)&addr, &alen) != 0 ||
        listen(io->lis, 4) != 0 ||
        connect(io->cli, (struct sockaddr *)&addr, alen) != 0)
        hc_die("listening socket: %s", strerror(errno));
}

/* What the output pipe received since the last call. */
static void drain_output(void)
{
    char buf[4096];
    ssize_t n;
    while (G.io.out_r >= 0 && (n = read(G.io.out_r, buf, sizeof buf)) > 0)
        G.out_seen += (uint64_t)n;
}

static void close_io(hc_io *io)
{
    int *fds[] = { &io->in, &io->peer, &io->sock, &io->lis, &io->cli,
                   &io->out, &io->out_r };
    for (size_t i = 0; i < sizeof fds / sizeof *fds; i++)
        if (*fds[i] >= 0) {
            close(*fds[i]);
            *fds[i] = -1;
        }
}

static void peer(hc_dec *d)
{
    uint8_t b = hc_u8(d);
    char buf[64];
    if (b & 0x80) {
        shutdown(G.io.peer, SHUT_WR);
        return;
    }
    memset(buf, 'p', sizeof buf);
    if (send(G.io.peer, buf, b % 64u, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 &&
        errno != EAGAIN && errno != EPIPE)
        hc_die("peer write: %s", strerror(errno));
}

/* The root and all that is read-only hold no right to change anything. */
static void check_ro(const wb_fdent *e, uint32_t fd, const hc_op *op)
{
    if (e->kind == WB_FD_VROOT && !e->ro)
        hc_die("after %s: fd %u, a directory of the root, is writable",
               op->name, fd);
    if (e->ro && (e->rights & WR_MUTATE))
        hc_die("after %s: read-only fd %u holds rights %#llx", op->name, fd,
               (unsigned long long)(e->rights & WR_MUTATE));
}

static void check_context(const wb_wasi *w, const hc_op *op)
{
    uint32_t used = 0;
    for (uint32_t i = 0; i < w->nfds; i++) {
        used += w->fds[i].kind != WB_FD_FREE;
        check_ro(&w->fds[i], i, op);
    }
    if (used != w->nopen || w->nopen > w->max_files)
        hc_die("after %s: %u fds in use, %u counted, max %u", op->name, used,
            w->nopen, w->max_files);
    if (w->t->disk_bytes > w->t->max_disk)
        hc_die("after %s: disk %llu over its budget %llu", op->name,
            (unsigned long long)w->t->disk_bytes,
            (unsigned long long)w->t->max_disk);
    uint64_t out = w->t->out_bytes[1] + w->t->out_bytes[2];
    if (out > w->t->max_output || out != G.out_seen)
        hc_die("after %s: output %llu counted, %llu passed on, budget %llu",
            op->name, (unsigned long long)out,
            (unsigned long long)G.out_seen,
            (unsigned long long)w->t->max_output);
}

/* The paths among a's arguments, as memory held them before the call
 * (one line, or nothing). */
static void trace_paths(const hc_op *op, const wb_val *a)
{
    size_t i = 0;
    for (const char *k = op->kinds; *k; k++) {
        uint32_t at = (uint32_t)a[i].of.i32;
        uint32_t len = *k == 'P' ? (uint32_t)a[i + 1].of.i32 : 0;
        if (*k == 'P' && at < HC_MEM && len <= 512 && len <= HC_MEM - at) {
            fprintf(stderr, "  path \"");
            for (uint32_t b = 0; b < len; b++) {
                uint8_t c = G.before[at + b];
                fprintf(stderr, c >= 32 && c < 127 && c != '\\'
                        ? "%c" : "\\x%02x", c);
            }
            fprintf(stderr, "\"\n");
        }
        i += strchr(HC_KINDS2, *k) ? 2 : *k == 'Q' ? 3 : 1;
    }
}

static void trace(const hc_op *op, const wb_val *a, size_t na,
                  wb_status st, const wb_val *r)
{
    trace_paths(op, a);
    fprintf(stderr, "%s(", op->name);
    for (size_t i = 0; i < na; i++)
        fprintf(stderr, "%s%#llx", i ? ", " : "", a[i].type == WB_I64
                ? (unsigned long long)a[i].of.i64
                : (unsigned long long)(uint32_t)a[i].of.i32);
    if (st == WB_OK && !(op->flags & HC_NO_RESULT))
        fprintf(stderr, ") -> %d\n", r[0].of.i32);
    else
        fprintf(stderr, ") -> %s: %s\n", wb_status_name(st),
                G.g.store->pending.message);
}

/* A host fd a call gave the guest must be a file inside a grant: an
 * escape shows here even when nothing is read through it. One opened
 * beneath a read-only directory (the root's too) is read-only. */
static void check_new_fd(wb_wasi *w, uint32_t fd, const hc_op *op,
                         bool from_ro)
{
    wb_fdent *e = wb_fd_get(w, fd);
    char link[64], path[PATH_MAX];
    if (!e)
        hc_die("%s succeeded, but its fd %u is not open", op->name, fd);
    if (from_ro && !e->ro)
        hc_die("%s gave fd %u, writable, from a read-only directory",
               op->name, fd);
    if (e->kind != WB_FD_HOST)
        return;
    snprintf(link, sizeof link, "/proc/self/fd/%d", e->host);
    ssize_t n = readlink(link, path, sizeof path - 1);
    if (n < 0)
        hc_die("%s: fd %u: %s", op->name, fd, strerror(errno));
    path[n] = 0;
    if (!hc_host_inside(path))
        hc_die("%s gave the guest %s, outside the grants", op->name, path);
}

/* One call; false when it ended the run (trap or exit). */
static bool one_call(hc_dec *d, wb_wasi *w, size_t i)
{
    const hc_op *op = &hc_ops[i];
    wb_val a[HC_MAX_ARGS], r[1] = { { .type = WB_I32 } };
    wb_caller c = { G.g.store, G.g.inst };
    d->nout = 0;
    size_t na = hc_decode_args(d, op->kinds, a);
    const wb_fdent *dir = op->flags & HC_RET_FD
                        ? wb_fd_get(w, (uint32_t)a[0].of.i32) : NULL;
    bool from_ro = dir && dir->ro;
    memcpy(G.before, G.g.mem, HC_MEM);
    wb_status st = G.fn[i](&c, w, a, r);
    /* the deadline wakes every wait: no call may run on long past it */
    if (hc_ms_past_deadline() > HC_LATE_MS)
        hc_die("%s returned %lld ms after the deadline", op->name,
               (long long)hc_ms_past_deadline());
    if (G.trace)
        trace(op, a, na, st, r);
    hc_check_memory(d, G.before, G.g.mem, op->name);
    drain_output();
    check_context(w, op);
    if (st != WB_OK) {
        if (G.g.store->pending.status != st || !G.g.store->pending.message[0])
            hc_die("%s returned %s without its error", op->name,
                wb_status_name(st));
        return false;
    }
    if (op->flags & HC_NO_RESULT)
        hc_die("%s returned", op->name);
    if (r[0].of.i32 < 0 || r[0].of.i32 > WE_NOTCAPABLE)
        hc_die("%s returned %d, not a WASI errno", op->name, r[0].of.i32);
    if ((op->flags & HC_RET_FD) && r[0].of.i32 == 0) {
        uint32_t out = (uint32_t)a[na - 1].of.i32;    /* the fd's address */
        if (out <= HC_MEM - 4)
            d->last_fd = wb_ld32(G.g.mem + out);
        check_new_fd(w, d->last_fd, op, from_ro);
    }
    return true;
}

static void run_calls(hc_dec *d, wb_wasi *w)
{
    for (int k = 0; k < HC_MAX_CALLS && d->n > 0; k++) {
        size_t i = hc_u8(d) % hc_nops;
        if (!strcmp(hc_ops[i].name, "@poke"))
            hc_poke(d);
        else if (!strcmp(hc_ops[i].name, "@peer"))
            peer(d);
        else if (!one_call(d, w, i))
            return;
    }
}

static void sizes(hc_dec *d)
{
    d->nargs = G.cfg.nargs;
    d->nenv = G.cfg.nenv;
    d->args_len = d->env_len = 0;
    for (size_t i = 0; i < G.cfg.nargs; i++)
        d->args_len += strlen(G.cfg.args[i]) + 1;
    for (size_t i = 0; i < G.cfg.nenv; i++)
        d->env_len += strlen(G.cfg.env[i]) + 1;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc; (void)argv;
    const char *seeds = getenv("WB_HOSTCALL_SEEDS");
    if (seeds) {
        int n = hc_write_seeds(seeds);
        if (n < 0)
            exit(1);
        printf("%d seeds written to %s\n", n, seeds);
        exit(0);
    }
    hc_name = "fuzz_hostcall";
    hc_cleanup = hc_host_cleanup;
    G.trace = getenv("WB_HOSTCALL_TRACE") != NULL;
    if (!hc_host_init())
        exit(1);
    __sanitizer_set_death_callback(hc_host_cleanup);
    make_config();
    hc_guest_new(&G.g, "wasi_snapshot_preview1", hc_ops, hc_nops, G.fn);
    hc_watchdog_start();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hc_dec d = { .p = data, .n = size };
    wb_wasi *w;
    wb_error err;
    int fds = hc_fd_count();
    uint8_t cfg = hc_u8(&d);
    d.mem = G.g.mem;
    sizes(&d);
    memset(G.g.mem, 0, HC_MEM);
    memset(&G.g.store->pending, 0, sizeof G.g.store->pending);
    wb_resolve_force_walk(cfg & HC_CFG_WALK);
    G.out_seen = 0;
    G.out_fail = cfg & HC_CFG_OUT_FAIL;
    open_io(&G.io, cfg);
    G.cfg.stdin_fd = G.io.in;
    G.cfg.output = G.io.out >= 0 ? NULL : out_cb;
    G.cfg.stdout_fd = G.cfg.stderr_fd = G.io.out;
    G.cfg.grants[4].fd = G.io.sock;
    G.cfg.grants[5].fd = G.io.lis;
    static const uint64_t disk[4] = { HC_MAX_DISK, HC_MAX_DISK_BIG,
                                      HC_MAX_DISK_TINY, 0 };
    G.cfg.budget.max_disk = disk[!!(cfg & HC_CFG_BIG_DISK) +
                                 2 * !!(cfg & HC_CFG_TINY_DISK)];
    if (wb_wasi_new(&G.cfg, &w, &err) != WB_OK)
        hc_die("wb_wasi_new: %s", err.message);
    hc_tmpfs_fill(w);
    hc_arm(w, HC_DEADLINE_MS);
    run_calls(&d, w);
    hc_disarm();
    uint64_t tmp = hc_tmpfs_growth(w);
    uint64_t charged = w->t->disk_bytes;
    /* a file, directory or link is charged after it was made */
    uint64_t slack = w->t->stop == WB_OUTCOME_DISK_LIMIT ? HC_CREATE_COST : 0;
    hc_tmpfs_check(w);
    wb_wasi_free(w);
    close_io(&G.io);
    hc_host_check(tmp, charged, slack);
    int after = hc_fd_count();
    if (after != fds)
        hc_die("fd leak: %d fds open before the input, %d after", fds, after);
    hc_host_reset();
    return 0;
}
