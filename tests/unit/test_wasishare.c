/* test_wasishare.c: the WASI layer's part of processes (issue 19,
 * docs/processes.md): contexts of one tree on their own threads, the
 * tree lock released while a call waits, the wasmbox_proc fd functions
 * (pipe, dup, dup2, cloexec), fork, spawn and exec of contexts, the
 * virtual /bin, and wb_wasi_load_image. Each "process" is an instance of
 * tests/unit/wat/fdops.wat in its own store, whose exports call one host
 * function each. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "wasmbox.h"
#include "common/file.h"
#include "wasi/wasi.h"

/* Guest memory: iovec at IOV, results at OUT, bytes at BUF. */
enum { IOV = 64, OUT = 128, PATH = 256, BUF = 1024 };
/* What path_open asks for: reading, or reading and writing. */
#define RD (WR_FD_READ | WR_FD_SEEK | WR_FD_TELL | WR_FD_READDIR)
#define RW (RD | WR_FD_WRITE)

typedef struct proc {
    wb_wasi *w;
    wb_store *s;
    wb_linker *l;
    wb_module *m;
    wb_instance *inst;
    uint8_t *mem;
} proc;

static char dir[64];             /* the host grant, at /work */

static uint8_t *read_wasm(const char *name, size_t *len)
{
    char path[4096];
    uint8_t *b;
    snprintf(path, sizeof path, "%s/%s", WB_TEST_WASM, name);
    int e = wb_file_read(path, 1 << 20, &b, len);
    if (e)
        fail_msg("%s: %s (make builds it from tests/unit/wat/)", path,
                 strerror(e));
    return b;
}

/* An instance for context w (each in a store and module of its own, so
 * that two run on two threads). */
static void start(proc *p, wb_wasi *w)
{
    size_t len;
    wb_error err = { 0 };
    uint8_t *wasm = read_wasm("fdops.wasm", &len);
    memset(p, 0, sizeof *p);
    p->w = w;
    p->l = wb_linker_new();
    assert_non_null(p->l);
    assert_int_equal(wb_module_new(wasm, len, &p->m, &err), WB_OK);
    free(wasm);
    assert_int_equal(wb_store_new(NULL, &p->s, &err), WB_OK);
    assert_int_equal(wb_wasi_define(w, p->s, p->l, &err), WB_OK);
    assert_int_equal(wb_wasi_define_fdops(w, p->s, p->l, &err), WB_OK);
    assert_int_equal(wb_instantiate(p->s, p->m, p->l, &p->inst, &err), WB_OK);
    p->mem = wb_memory_data(wb_instance_memory(p->inst, "memory"));
}

static void stop(proc *p, bool free_wasi)
{
    wb_linker_free(p->l);
    wb_store_free(p->s);
    wb_module_release(p->m);
    if (free_wasi)
        wb_wasi_free(p->w);
}

static wb_val I(int32_t v) { return (wb_val){ .type = WB_I32, .of.i32 = v }; }
static wb_val L(int64_t v) { return (wb_val){ .type = WB_I64, .of.i64 = v }; }

/* Call export fn; the status of the call (a trap: WB_E_TRAP), *ret its
 * errno. */
static wb_status try(proc *p, const char *fn, const wb_val *a, size_t n,
                     int32_t *ret, wb_error *err)
{
    wb_func *f = wb_instance_func(p->inst, fn);
    wb_val r = { .type = WB_I32 };
    assert_non_null(f);
    wb_status st = wb_func_call(p->s, f, a, n, &r, 1, err);
    *ret = r.of.i32;
    return st;
}

static int32_t call(proc *p, const char *fn, const wb_val *a, size_t n)
{
    int32_t ret;
    wb_error err = { 0 };
    wb_status st = try(p, fn, a, n, &ret, &err);
    if (st != WB_OK)
        fail_msg("%s: %s", fn, err.message);
    return ret;
}
#define CALL(p, fn, ...) \
    call(p, fn, (wb_val[]){ __VA_ARGS__ }, \
         sizeof (wb_val[]){ __VA_ARGS__ } / sizeof (wb_val))

static uint32_t ld32(const proc *p, uint32_t at)
{
    return wb_ld32(p->mem + at);
}

static int px_write(proc *p, uint32_t fd, const char *s)
{
    size_t n = strlen(s);
    memcpy(p->mem + BUF, s, n);
    wb_st32(p->mem + IOV, BUF);
    wb_st32(p->mem + IOV + 4, (uint32_t)n);
    return CALL(p, "fd_write", I(fd), I(IOV), I(1), I(OUT));
}

/* Read up to cap - 1 bytes into buf (NUL-terminated); the errno. */
static int px_read(proc *p, uint32_t fd, char *buf, size_t cap)
{
    wb_st32(p->mem + IOV, BUF);
    wb_st32(p->mem + IOV + 4, (uint32_t)cap - 1);
    int rc = CALL(p, "fd_read", I(fd), I(IOV), I(1), I(OUT));
    size_t got = rc ? 0 : ld32(p, OUT);
    memcpy(buf, p->mem + BUF, got);
    buf[got] = 0;
    return rc;
}

static int px_open(proc *p, uint32_t dirfd, const char *path, uint32_t of,
                   uint64_t rights, uint32_t *fd)
{
    size_t n = strlen(path);
    memcpy(p->mem + PATH, path, n);
    int rc = CALL(p, "path_open", I(dirfd), I(WL_FOLLOW), I(PATH), I(n),
                  I(of), L(rights), L(0), I(0), I(OUT));
    *fd = rc ? 0 : ld32(p, OUT);
    return rc;
}

static int px_seek(proc *p, uint32_t fd, int64_t off, int whence,
                   uint64_t *pos)
{
    int rc = CALL(p, "fd_seek", I(fd), L(off), I(whence), I(OUT));
    if (rc == 0 && pos)
        *pos = wb_ld64(p->mem + OUT);
    return rc;
}

/* fds[0] read end, fds[1] write end. */
static void px_pipe(proc *p, uint32_t fds[2])
{
    assert_int_equal(CALL(p, "pipe", I(OUT)), WE_SUCCESS);
    fds[0] = ld32(p, OUT);
    fds[1] = ld32(p, OUT + 4);
}

/* ---- fixture: a host grant /work, a tmpfs /tmp, the root at fd 5 ---------- */

static int setup(void **state)
{
    strcpy(dir, "/tmp/wasishare.XXXXXX");
    assert_non_null(mkdtemp(dir));
    char p[128];
    snprintf(p, sizeof p, "%s/mod.wasm", dir);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "\0asm\1\0\0\0", 8), 8);
    close(fd);
    snprintf(p, sizeof p, "%s/sub", dir);
    assert_int_equal(mkdir(p, 0755), 0);
    snprintf(p, sizeof p, "%s/esc", dir);
    assert_int_equal(symlink("/etc/passwd", p), 0);
    snprintf(p, sizeof p, "%s/up", dir);
    assert_int_equal(symlink("../", p), 0);
    return 0;
}

static int teardown(void **state)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd);
}

static wb_wasi *root_wasi(void)
{
    wb_sandbox_config cfg;
    wb_sandbox_config_init(&cfg);
    wb_config_add_arg(&cfg, "root");
    assert_int_equal(wb_config_add_dir(&cfg, dir, "/work", false), WB_OK);
    assert_int_equal(wb_config_add_tmpfs(&cfg, "/tmp", 1 << 20), WB_OK);
    cfg.stdout_fd = -1;
    cfg.stderr_fd = -1;
    wb_wasi *w = NULL;
    wb_error err = { 0 };
    if (wb_wasi_new(&cfg, &w, &err) != WB_OK)
        fail_msg("wb_wasi_new: %s", err.message);
    wb_sandbox_config_free(&cfg);
    assert_string_equal(w->fds[3].preopen, "/work");
    assert_string_equal(w->fds[4].preopen, "/tmp");
    assert_string_equal(w->fds[5].preopen, "/");
    return w;
}

/* The child context made by fork of p's. */
static wb_wasi *forked(proc *p)
{
    wb_wasi *c = NULL;
    wb_wasi_lock(p->w);
    assert_int_equal(wb_wasi_fork(p->w, &c, NULL), WE_SUCCESS);
    wb_wasi_unlock(p->w);
    return c;
}

/* ---- a second process on its own thread ----------------------------------- */

typedef struct job {
    proc *p;
    uint32_t fd;
    const char *text;
    int delay_ms;
    int rc;
    pthread_t th;
} job;

static void sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };
    nanosleep(&ts, NULL);
}

/* Write `text` to fd after a delay, then close fd. */
static void *writer(void *arg)
{
    job *j = arg;
    sleep_ms(j->delay_ms);
    j->rc = px_write(j->p, j->fd, j->text);
    if (j->rc == 0)
        j->rc = CALL(j->p, "fd_close", I(j->fd));
    return NULL;
}

static void *canceller(void *arg)
{
    job *j = arg;
    sleep_ms(j->delay_ms);
    if (j->text)
        wb_wasi_kill(j->p->w);
    else
        wb_wasi_cancel(j->p->w);
    return NULL;
}

/* A read that waits for a writer on another thread: the reader's wait
 * releases the tree lock (else the writer's fd_write could never run),
 * and the read sees the bytes, then end of file once the last write end
 * (each process has its own) is closed. */
static void test_pipe_two_threads(void **state)
{
    proc a, b;
    uint32_t fds[2];
    char buf[64];
    start(&a, root_wasi());
    px_pipe(&a, fds);
    start(&b, forked(&a));
    assert_int_equal(CALL(&b, "fd_close", I(fds[0])), WE_SUCCESS);
    job j = { .p = &b, .fd = fds[1], .text = "hello", .delay_ms = 100 };
    pthread_create(&j.th, NULL, writer, &j);
    assert_int_equal(CALL(&a, "fd_close", I(fds[1])), WE_SUCCESS);
    assert_int_equal(px_read(&a, fds[0], buf, sizeof buf), WE_SUCCESS);
    assert_string_equal(buf, "hello");
    assert_int_equal(px_read(&a, fds[0], buf, sizeof buf), WE_SUCCESS);
    assert_string_equal(buf, "");                     /* end of file */
    pthread_join(j.th, NULL);
    assert_int_equal(j.rc, WE_SUCCESS);
    stop(&b, true);
    stop(&a, true);
}

/* No reader left: EPIPE, and no SIGPIPE kills the test. A pipe end is
 * neither a terminal nor seekable. */
static void test_pipe_epipe(void **state)
{
    proc a;
    uint32_t fds[2];
    start(&a, root_wasi());
    px_pipe(&a, fds);
    assert_int_equal(CALL(&a, "fd_fdstat_get", I(fds[0]), I(OUT)),
                     WE_SUCCESS);
    assert_int_equal(a.mem[OUT], WF_UNKNOWN);
    assert_int_equal(px_seek(&a, fds[1], 0, 1, NULL), WE_SPIPE);
    assert_int_equal(CALL(&a, "fd_close", I(fds[0])), WE_SUCCESS);
    assert_int_equal(px_write(&a, fds[1], "x"), WE_PIPE);
    stop(&a, true);
}

/* A read blocked on an empty pipe ends at the tree's deadline (the run's
 * cancel: outcome timeout) or at a kill of its own context only
 * ("killed", no stop reason for the tree). */
static void blocked_read(bool kill)
{
    proc a;
    uint32_t fds[2];
    int32_t ret;
    wb_error err = { 0 };
    start(&a, root_wasi());
    px_pipe(&a, fds);
    job j = { .p = &a, .delay_ms = 100, .text = kill ? "kill" : NULL };
    pthread_create(&j.th, NULL, canceller, &j);
    wb_st32(a.mem + IOV, BUF);
    wb_st32(a.mem + IOV + 4, 16);
    wb_val args[] = { I(fds[0]), I(IOV), I(1), I(OUT) };
    assert_int_equal(try(&a, "fd_read", args, 4, &ret, &err), WB_E_TRAP);
    pthread_join(j.th, NULL);
    assert_string_equal(err.message, kill ? "killed" : "timeout");
    assert_int_equal(wb_wasi_stop_reason(a.w), kill ? -1 : WB_OUTCOME_TIMEOUT);
    stop(&a, true);
}

static void test_pipe_deadline(void **state)
{
    blocked_read(false);
}

static void test_pipe_kill(void **state)
{
    blocked_read(true);
}

/* dup, dup2 and fork share the offset of one open file, on the host and
 * in tmpfs; dup2 over an open fd closes it first. */
static void offsets(uint32_t grant)
{
    proc a, b;
    uint32_t f, g;
    uint64_t pos;
    char buf[16];
    start(&a, root_wasi());
    assert_int_equal(px_open(&a, grant, "off.txt", WO_CREAT | WO_TRUNC, RW,
                             &f), WE_SUCCESS);
    assert_int_equal(px_write(&a, f, "abcdef"), WE_SUCCESS);
    assert_int_equal(CALL(&a, "dup", I(f), I(10), I(OUT)), WE_SUCCESS);
    g = ld32(&a, OUT);
    assert_int_equal(g, 10);
    assert_int_equal(px_seek(&a, f, 1, 0, NULL), WE_SUCCESS);
    assert_int_equal(px_seek(&a, g, 0, 1, &pos), WE_SUCCESS);
    assert_int_equal(pos, 1);
    assert_int_equal(CALL(&a, "dup2", I(g), I(20)), WE_SUCCESS);
    assert_int_equal(px_read(&a, 20, buf, 3), WE_SUCCESS);
    assert_string_equal(buf, "bc");
    assert_int_equal(px_seek(&a, f, 0, 1, &pos), WE_SUCCESS);
    assert_int_equal(pos, 3);
    /* over an open fd, and onto itself */
    assert_int_equal(CALL(&a, "dup2", I(f), I(g)), WE_SUCCESS);
    assert_int_equal(CALL(&a, "dup2", I(g), I(g)), WE_SUCCESS);
    assert_int_equal(CALL(&a, "dup2", I(99), I(g)), WE_BADF);
    assert_int_equal(CALL(&a, "dup", I(99), I(0), I(OUT)), WE_BADF);
    /* a forked process reads on from the same offset */
    start(&b, forked(&a));
    assert_int_equal(px_read(&b, g, buf, 3), WE_SUCCESS);
    assert_string_equal(buf, "de");
    assert_int_equal(px_seek(&a, f, 0, 1, &pos), WE_SUCCESS);
    assert_int_equal(pos, 5);
    stop(&b, true);
    stop(&a, true);
}

static void test_offsets_host(void **state)
{
    offsets(3);
}

static void test_offsets_tmpfs(void **state)
{
    offsets(4);
}

/* exec closes the fds marked close-on-exec (fork keeps the marks, dup
 * does not copy them) and replaces argv and env. */
static void test_cloexec_exec(void **state)
{
    proc a;
    uint32_t fds[2];
    start(&a, root_wasi());
    px_pipe(&a, fds);
    assert_int_equal(CALL(&a, "cloexec", I(fds[0]), I(1)), WE_SUCCESS);
    assert_int_equal(CALL(&a, "cloexec", I(77), I(1)), WE_BADF);
    assert_int_equal(CALL(&a, "dup", I(fds[0]), I(0), I(OUT)), WE_SUCCESS);
    uint32_t copy = ld32(&a, OUT);
    wb_wasi *c = forked(&a);
    assert_true(c->fds[fds[0]].cloexec);
    char *argv[] = { "ls", "-l" }, *env[] = { "A=1" };
    uint32_t open = c->nopen;
    wb_wasi_lock(c);
    assert_int_equal(wb_wasi_exec(c, argv, 2, env, 1, NULL), WE_SUCCESS);
    wb_wasi_unlock(c);
    assert_null(wb_fd_get(c, fds[0]));
    assert_non_null(wb_fd_get(c, fds[1]));
    assert_non_null(wb_fd_get(c, copy));
    assert_int_equal(c->nopen, open - 1);
    assert_int_equal(c->nargs, 2);
    assert_string_equal(c->args[1], "-l");
    assert_string_equal(c->env[0], "A=1");
    assert_non_null(wb_fd_get(a.w, fds[0]));         /* the parent's stays */
    wb_wasi_free(c);
    stop(&a, true);
}

/* spawn: the tree's preopens at their numbers (even one the parent
 * closed), the three fds asked for at 0, 1, 2, nothing else. */
static void test_spawn_fds(void **state)
{
    proc a, b;
    uint32_t fds[2];
    char buf[16];
    start(&a, root_wasi());
    px_pipe(&a, fds);
    assert_int_equal(CALL(&a, "fd_close", I(3)), WE_SUCCESS);
    wb_wasi *c = NULL;
    int32_t map[3] = { (int32_t)fds[0], -1, 2 };
    char *argv[] = { "cat" };
    wb_wasi_lock(a.w);
    int32_t bad[3] = { 3, -1, -1 };
    assert_int_equal(wb_wasi_spawn(a.w, bad, argv, 1, NULL, 0, &c, NULL),
                     WE_BADF);
    assert_int_equal(wb_wasi_spawn(a.w, map, argv, 1, NULL, 0, &c, NULL),
                     WE_SUCCESS);
    wb_wasi_unlock(a.w);
    assert_int_equal(c->fds[0].kind, WB_FD_HOST);
    assert_null(wb_fd_get(c, 1));
    assert_int_equal(c->fds[2].kind, WB_FD_OUT);
    assert_int_equal(c->fds[2].stream, 2);
    assert_string_equal(c->fds[3].preopen, "/work");
    assert_string_equal(c->fds[4].preopen, "/tmp");
    assert_string_equal(c->fds[5].preopen, "/");
    assert_null(wb_fd_get(c, fds[0]));
    assert_null(wb_fd_get(c, fds[1]));
    assert_int_equal(c->nopen, 5);
    assert_int_equal(c->nargs, 1);
    assert_int_equal(c->nenv, 0);
    start(&b, c);
    assert_int_equal(px_write(&a, fds[1], "in"), WE_SUCCESS);
    assert_int_equal(px_read(&b, 0, buf, sizeof buf), WE_SUCCESS);
    assert_string_equal(buf, "in");
    uint32_t f;                                /* the grant works there */
    assert_int_equal(px_open(&b, 3, "mod.wasm", 0, RD, &f), WE_SUCCESS);
    stop(&b, true);
    stop(&a, true);
}

/* ---- /bin ----------------------------------------------------------------- */

static bool listed(proc *p, uint32_t fd, const char *name, uint8_t *type)
{
    assert_int_equal(CALL(p, "fd_readdir", I(fd), I(BUF), I(2048), L(0),
                          I(OUT)), WE_SUCCESS);
    uint32_t used = ld32(p, OUT);
    for (uint32_t at = 0; at + 24 <= used;) {
        uint32_t len = ld32(p, BUF + at + 16);
        if (len == strlen(name) && !memcmp(p->mem + BUF + at + 24, name, len)) {
            *type = p->mem[BUF + at + 20];
            return true;
        }
        at += 24 + len;
    }
    return false;
}

static int px_stat(proc *p, const char *path, uint8_t *type)
{
    size_t n = strlen(path);
    memcpy(p->mem + PATH, path, n);
    int rc = CALL(p, "path_filestat_get", I(5), I(WL_FOLLOW), I(PATH), I(n),
                  I(BUF));
    *type = p->mem[BUF + 16];
    return rc;
}

static void test_bin(void **state)
{
    proc a;
    uint8_t type;
    uint32_t fd, f;
    char buf[8];
    const char *names[] = { "sh", "ls" };
    start(&a, root_wasi());
    assert_int_equal(wb_wasi_set_images(a.w, (const char *[]){ "a/b" }, 1),
                     WE_INVAL);
    assert_int_equal(wb_wasi_set_images(a.w, names, 2), WE_SUCCESS);
    assert_true(listed(&a, 5, "bin", &type));
    assert_int_equal(type, WF_DIR);
    assert_true(listed(&a, 5, "usr", &type));
    assert_int_equal(px_open(&a, 5, "bin", WO_DIRECTORY, RD, &fd), WE_SUCCESS);
    assert_true(listed(&a, fd, "sh", &type));
    assert_int_equal(type, WF_REG);
    assert_true(listed(&a, fd, "ls", &type));
    assert_false(listed(&a, fd, "cat", &type));
    assert_int_equal(px_stat(&a, "bin/sh", &type), WE_SUCCESS);
    assert_int_equal(type, WF_REG);
    assert_int_equal(px_stat(&a, "usr/bin/ls", &type), WE_SUCCESS);
    assert_int_equal(type, WF_REG);
    assert_int_equal(px_stat(&a, "bin/cat", &type), WE_NOENT);
    assert_int_equal(px_stat(&a, "bin/sh/", &type), WE_NOTDIR);
    assert_int_equal(px_stat(&a, "bin/sh/x", &type), WE_NOTDIR);
    assert_int_equal(px_open(&a, 5, "bin/sh", 0, RW, &f), WE_ROFS);
    assert_int_equal(px_open(&a, 5, "bin/sh", WO_DIRECTORY, RD, &f),
                     WE_NOTDIR);
    assert_int_equal(px_open(&a, 5, "bin/sh", 0, RD, &f), WE_SUCCESS);
    assert_int_equal(px_read(&a, f, buf, sizeof buf), WE_SUCCESS);
    assert_string_equal(buf, "");                        /* empty */
    assert_int_equal(px_write(&a, f, "x"), WE_ROFS);
    stop(&a, true);
}

/* ---- load_image ------------------------------------------------------------ */

/* Open `path` as exec would and read it whole; its identity into id. */
static int load_id(wb_wasi *w, const char *path, char **name, size_t *len,
                   uint64_t id[5])
{
    wb_image_file f;
    int rc = wb_wasi_load_image(w, path, name, &f);
    if (rc == WE_SUCCESS && !*name) {
        uint8_t *bytes = malloc(f.size + 1);
        assert_non_null(bytes);
        assert_int_equal(wb_image_read(&f, 0, bytes, f.size, len),
                         WE_SUCCESS);
        assert_int_equal(*len, f.size);
        memcpy(id, f.id, sizeof f.id);
        free(bytes);
    }
    wb_image_close(&f);
    return rc;
}

static int load(wb_wasi *w, const char *path, char **name, size_t *len)
{
    uint64_t id[5];
    return load_id(w, path, name, len, id);
}

static void test_load_image(void **state)
{
    proc a;
    char *name = NULL;
    size_t len = 0;
    uint32_t f;
    start(&a, root_wasi());
    const char *names[] = { "sh", "ls" };
    assert_int_equal(wb_wasi_set_images(a.w, names, 2), WE_SUCCESS);
    wb_wasi *w = a.w;
    assert_int_equal(load(w, "/bin/sh", &name, &len), WE_SUCCESS);
    assert_string_equal(name, "sh");
    free(name);
    assert_int_equal(load(w, "//usr/./bin/ls", &name, &len), WE_SUCCESS);
    assert_string_equal(name, "ls");
    free(name);
    assert_int_equal(load(w, "/bin/../bin/sh", &name, &len), WE_SUCCESS);
    assert_string_equal(name, "sh");
    free(name);
    assert_int_equal(load(w, "/bin/cat", &name, &len), WE_NOENT);
    assert_int_equal(load(w, "/bin", &name, &len), WE_ACCES);
    /* files through the grants, as the guest would open them */
    assert_int_equal(load(w, "/work/mod.wasm", &name, &len), WE_SUCCESS);
    assert_null(name);
    assert_int_equal(len, 8);
    assert_int_equal(load(w, "work/mod.wasm", &name, &len), WE_SUCCESS);
    assert_int_equal(load(w, "/work/sub", &name, &len), WE_ACCES);
    assert_int_equal(load(w, "/work/none", &name, &len), WE_NOENT);
    assert_int_equal(px_open(&a, 4, "t.wasm", WO_CREAT, RW, &f), WE_SUCCESS);
    assert_int_equal(px_write(&a, f, "wasm"), WE_SUCCESS);
    uint64_t id[5], id2[5];
    assert_int_equal(load_id(w, "/tmp/t.wasm", &name, &len, id), WE_SUCCESS);
    assert_int_equal(len, 4);
    /* the same file unchanged: the same identity; written: another */
    assert_int_equal(load_id(w, "tmp/t.wasm", &name, &len, id2), WE_SUCCESS);
    assert_memory_equal(id, id2, sizeof id);
    assert_int_equal(px_write(&a, f, "!"), WE_SUCCESS);
    assert_int_equal(load_id(w, "/tmp/t.wasm", &name, &len, id2), WE_SUCCESS);
    assert_int_equal(len, 5);
    assert_memory_not_equal(id, id2, sizeof id);
    /* never outside the grants */
    assert_int_not_equal(load(w, "/etc/passwd", &name, &len), WE_SUCCESS);
    assert_int_not_equal(load(w, "/work/../etc/passwd", &name, &len),
                         WE_SUCCESS);
    assert_int_not_equal(load(w, "/work/esc", &name, &len), WE_SUCCESS);
    assert_int_not_equal(load(w, "/work/up/etc/passwd", &name, &len),
                         WE_SUCCESS);
    assert_int_not_equal(load(w, "/tmp/../etc/passwd", &name, &len),
                         WE_SUCCESS);
    char host[128];
    snprintf(host, sizeof host, "%s/mod.wasm", dir);    /* a host path */
    assert_int_equal(load(w, host, &name, &len), WE_NOENT);
    stop(&a, true);
}

/* With no virtual root (a grant at "/"), /bin/NAME still names the
 * image for exec, and other paths go to that grant. */
static void test_load_image_root_grant(void **state)
{
    wb_sandbox_config cfg;
    wb_sandbox_config_init(&cfg);
    assert_int_equal(wb_config_add_dir(&cfg, dir, "/", true), WB_OK);
    wb_wasi *w = NULL;
    assert_int_equal(wb_wasi_new(&cfg, &w, NULL), WB_OK);
    wb_sandbox_config_free(&cfg);
    assert_null(w->t->vroot);
    const char *names[] = { "sh" };
    assert_int_equal(wb_wasi_set_images(w, names, 1), WE_SUCCESS);
    char *name = NULL;
    size_t len;
    assert_int_equal(load(w, "/bin/sh", &name, &len), WE_SUCCESS);
    assert_string_equal(name, "sh");
    free(name);
    assert_int_equal(load(w, "/mod.wasm", &name, &len), WE_SUCCESS);
    assert_int_equal(len, 8);
    assert_int_not_equal(load(w, "/esc", &name, &len), WE_SUCCESS);
    wb_wasi_free(w);
}

/* The tree outlives its root: a child freed last frees it. */
static void test_child_outlives_root(void **state)
{
    proc a, b;
    uint32_t fds[2];
    char buf[8];
    start(&a, root_wasi());
    px_pipe(&a, fds);
    start(&b, forked(&a));
    assert_int_equal(px_write(&a, fds[1], "z"), WE_SUCCESS);
    stop(&a, true);
    assert_int_equal(b.w->t->refs, 1);
    assert_int_equal(px_read(&b, fds[0], buf, sizeof buf), WE_SUCCESS);
    assert_string_equal(buf, "z");
    stop(&b, true);
}

/* Output is counted once for the tree: a child's and its parent's bytes
 * share max_output, the one that passes it ends the run (the stop hook
 * hears it once), and the others' later timeouts leave the reason. */
static int hooked;

static void on_stop(void *user, int outcome)
{
    assert_int_equal(outcome, WB_OUTCOME_OUTPUT_LIMIT);
    hooked++;
    wb_wasi_cancel(user);            /* the proc layer ends the tree */
}

static int sink(void *user, int stream, const uint8_t *d, size_t n)
{
    return 0;
}

static void test_output_counted_once(void **state)
{
    wb_sandbox_config cfg;
    wb_sandbox_config_init(&cfg);
    cfg.output = sink;
    cfg.budget.max_output = 10;
    wb_wasi *w = NULL;
    assert_int_equal(wb_wasi_new(&cfg, &w, NULL), WB_OK);
    wb_sandbox_config_free(&cfg);
    proc a, b;
    int32_t ret;
    wb_error err = { 0 };
    uint32_t fds[2];
    start(&a, w);
    px_pipe(&a, fds);
    start(&b, forked(&a));
    wb_wasi_set_stop_hook(w, on_stop, w);
    assert_int_equal(px_write(&b, 1, "123456"), WE_SUCCESS);
    memcpy(a.mem + BUF, "abcdef", 6);
    wb_st32(a.mem + IOV, BUF);
    wb_st32(a.mem + IOV + 4, 6);
    wb_val args[] = { I(1), I(IOV), I(1), I(OUT) };
    assert_int_equal(try(&a, "fd_write", args, 4, &ret, &err), WB_E_TRAP);
    assert_string_equal(err.message, "output limit exceeded");
    assert_int_equal(hooked, 1);
    /* the child, woken by the cancel, times out: the reason stays */
    wb_wasi_lock(b.w);
    assert_int_equal(wb_wasi_wait_event(b.w, -1), -1);
    wb_wasi_unlock(b.w);
    wb_st32(b.mem + IOV + 4, 1);
    args[0] = I(fds[0]);
    assert_int_equal(try(&b, "fd_read", args, 4, &ret, &err), WB_E_TRAP);
    assert_string_equal(err.message, "timeout");
    wb_run_result u;
    memset(&u, 0, sizeof u);
    wb_wasi_usage(b.w, &u);
    assert_int_equal(u.stdout_bytes, 10);
    assert_true(u.stdout_truncated);
    assert_int_equal(wb_wasi_stop_reason(b.w), WB_OUTCOME_OUTPUT_LIMIT);
    stop(&b, true);
    stop(&a, true);
}

/* Events: one posted before the wait, or during another wait of the
 * same context, is not lost; a wait for none ends at its timeout. */
static void *poster(void *arg)
{
    job *j = arg;
    sleep_ms(j->delay_ms);
    wb_wasi_post(j->p->w);
    return NULL;
}

static void test_events(void **state)
{
    proc a;
    start(&a, root_wasi());
    wb_wasi *w = a.w;
    wb_wasi_lock(w);
    assert_int_equal(wb_wasi_wait_event(w, 1000000), 0);      /* 1 ms */
    wb_wasi_post(w);
    assert_int_equal(wb_wasi_wait_event(w, -1), 0);
    job j = { .p = &a, .delay_ms = 50 };
    pthread_create(&j.th, NULL, poster, &j);
    assert_int_equal(wb_wasi_wait_event(w, -1), 0);           /* woken */
    pthread_join(j.th, NULL);
    wb_wasi_unlock(w);
    /* posted while a pipe read waits: kept for the next event wait */
    uint32_t fds[2];
    char buf[8];
    proc b;
    px_pipe(&a, fds);
    start(&b, forked(&a));
    pthread_create(&j.th, NULL, poster, &j);
    job wr = { .p = &b, .fd = fds[1], .text = "p", .delay_ms = 150 };
    pthread_create(&wr.th, NULL, writer, &wr);
    assert_int_equal(px_read(&a, fds[0], buf, sizeof buf), WE_SUCCESS);
    pthread_join(j.th, NULL);
    pthread_join(wr.th, NULL);
    assert_true(w->posted);
    wb_wasi_lock(w);
    assert_int_equal(wb_wasi_wait_event(w, -1), 0);
    wb_wasi_kill(w);
    assert_int_equal(wb_wasi_wait_event(w, -1), -1);
    wb_wasi_unlock(w);
    stop(&b, true);
    stop(&a, true);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pipe_two_threads),
        cmocka_unit_test(test_pipe_epipe),
        cmocka_unit_test(test_pipe_deadline),
        cmocka_unit_test(test_pipe_kill),
        cmocka_unit_test(test_offsets_host),
        cmocka_unit_test(test_offsets_tmpfs),
        cmocka_unit_test(test_cloexec_exec),
        cmocka_unit_test(test_spawn_fds),
        cmocka_unit_test(test_bin),
        cmocka_unit_test(test_load_image),
        cmocka_unit_test(test_load_image_root_grant),
        cmocka_unit_test(test_child_outlives_root),
        cmocka_unit_test(test_output_counted_once),
        cmocka_unit_test(test_events),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
