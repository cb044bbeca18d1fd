/* test_snapshot.c: snapshots of instances (include/wasmbox/snapshot.h):
 * every kind of state survives a file round trip, restored memories are
 * copy-on-write and independent, budgets hold after a restore, and a
 * snapshot of another module, another version, a truncated or damaged
 * file is refused with WB_E_SNAPSHOT. tests/unit/wat/snap.wat is the
 * module. */
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
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "wasmbox.h"
#include "snapshot/snapshot.h"
#include "wasi/wasi.h"

static wb_module *load(const char *name)
{
    char path[512];
    wb_module *m = NULL;
    snprintf(path, sizeof path, "%s/%s", WB_TEST_WASM, name);
    assert_int_equal(wb_module_load(path, &m, NULL), WB_OK);
    return m;
}

/* The import env.f: returns 99; when `snap_inside` is set, tries to
 * snapshot its caller's instance first (a call is in progress). */
static wb_instance *snap_inside;
static wb_status inside_status;

static wb_status host_f(wb_caller *c, void *env, const wb_val *a, wb_val *r)
{
    wb_error err = {0};
    if (snap_inside) {
        int fd = memfd_create("t", 0);
        inside_status = wb_snapshot_write(snap_inside, NULL, fd, &err);
        close(fd);
    }
    r[0].of.i32 = 99;
    return WB_OK;
}

typedef struct fixture {
    wb_module *m;
    wb_store *s;
    wb_linker *l;
    wb_instance *inst;
    char path[64];
} fixture;

static wb_linker *linker(wb_store *s)
{
    static const wb_valtype i32 = WB_I32;
    wb_linker *l = wb_linker_new();
    wb_func *f = wb_func_new_host(s, NULL, 0, &i32, 1, host_f, NULL);
    wb_extern e = { .kind = WB_EXTERN_FUNC, .of.func = f };
    assert_int_equal(wb_linker_define(l, "env", "f", e), WB_OK);
    return l;
}

static wb_val call(wb_store *s, wb_instance *inst, const char *name,
                   const wb_val *args, size_t nargs, wb_status want)
{
    wb_func *f = wb_instance_func(inst, name);
    wb_val res[1] = { { .type = WB_I32 } };
    wb_error err = {0};
    assert_non_null(f);
    if (wb_func_result_count(f))
        res[0].type = wb_func_result_type(f, 0);
    wb_status st = wb_func_call(s, f, args, nargs, res,
                                wb_func_result_count(f), &err);
    if (st != want)
        fail_msg("%s: status %d, wanted %d: %s", name, st, want, err.message);
    return res[0];
}

static int32_t call_i(wb_store *s, wb_instance *inst, const char *name,
                      int32_t arg)
{
    wb_val a = { .type = WB_I32, .of.i32 = arg };
    wb_func *f = wb_instance_func(inst, name);
    return call(s, inst, name, &a, wb_func_param_count(f), WB_OK).of.i32;
}

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    fx->m = load("snap.wasm");
    assert_int_equal(wb_store_new(NULL, &fx->s, NULL), WB_OK);
    fx->l = linker(fx->s);
    assert_int_equal(wb_instantiate(fx->s, fx->m, fx->l, &fx->inst, NULL),
                     WB_OK);
    call(fx->s, fx->inst, "setup", NULL, 0, WB_OK);
    snprintf(fx->path, sizeof fx->path, "/tmp/wb-snap-test.%d", getpid());
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    unlink(fx->path);
    wb_linker_free(fx->l);
    wb_store_free(fx->s);
    wb_module_release(fx->m);
    free(fx);
    return 0;
}

static wb_instance *restore(wb_snapshot *sn, wb_store **s, wb_linker **l,
                            const wb_limits *lim)
{
    wb_instance *inst = NULL;
    wb_error err = {0};
    assert_int_equal(wb_store_new(lim, s, NULL), WB_OK);
    *l = linker(*s);
    assert_int_equal(wb_snapshot_instantiate(*s, sn, *l, &inst, &err), WB_OK);
    return inst;
}

static void check_state(wb_store *s, wb_instance *r)
{
    assert_int_equal(call_i(s, r, "g", 0), 42);
    assert_int_equal(call(s, r, "h", NULL, 0, WB_OK).of.i64,
                     0x1122334455667788);
    assert_int_equal(call_i(s, r, "tsize", 0), 7);
    assert_int_equal(call_i(s, r, "call", 0), 1);
    assert_int_equal(call_i(s, r, "call", 1), 2);
    assert_int_equal(call_i(s, r, "call", 2), 99);      /* the import */
    assert_int_equal(call_i(s, r, "call", 4), 2);       /* grown */
    wb_val three = { .type = WB_I32, .of.i32 = 3 };
    call(s, r, "call", &three, 1, WB_E_TRAP);           /* still null */
    assert_int_equal(call_i(s, r, "callfr", 0), 1);     /* funcref global */
    assert_int_equal(call_i(s, r, "msize", 0), 5);
    assert_int_equal((uint32_t)call_i(s, r, "load", 0x40000), 0xdeadbeef);
    assert_int_equal(call_i(s, r, "load", 16), 0x74696e69);   /* "init" */
    assert_int_equal(call_i(s, r, "load", 100), 0x6c6c6568);  /* "hell" */
    /* Dropped segments stay dropped; live ones stay live. */
    call(s, r, "reinit", NULL, 0, WB_E_TRAP);
    call(s, r, "reinit_elem", NULL, 0, WB_E_TRAP);
    call(s, r, "reinit2", NULL, 0, WB_OK);
    assert_int_equal(call_i(s, r, "keep_elem", 0), 2);
}

static void test_file_round_trip(void **state)
{
    fixture *fx = *state;
    wb_error err = {0};
    wb_snapshot *sn = NULL;
    assert_int_equal(wb_snapshot_save(fx->inst, NULL, fx->path, &err), WB_OK);
    assert_int_equal(wb_snapshot_open(fx->path, fx->m, &sn, &err), WB_OK);
    wb_store *s;
    wb_linker *l;
    wb_instance *r = restore(sn, &s, &l, NULL);
    check_state(s, r);
    wb_linker_free(l);
    wb_store_free(s);
    wb_snapshot_free(sn);
}

/* Two restores and the original write the same address: each sees only
 * its own write (MAP_PRIVATE), and the file is unchanged. */
static void test_copy_on_write(void **state)
{
    fixture *fx = *state;
    wb_snapshot *sn = NULL;
    assert_int_equal(wb_snapshot_capture(fx->inst, NULL, &sn, NULL), WB_OK);
    wb_store *s1, *s2;
    wb_linker *l1, *l2;
    wb_instance *r1 = restore(sn, &s1, &l1, NULL);
    wb_instance *r2 = restore(sn, &s2, &l2, NULL);
    wb_val a[2] = { { .type = WB_I32, .of.i32 = 0x40000 },
                    { .type = WB_I32, .of.i32 = 1 } };
    call(s1, r1, "store", a, 2, WB_OK);
    a[1].of.i32 = 2;
    call(s2, r2, "store", a, 2, WB_OK);
    assert_int_equal(call_i(s1, r1, "load", 0x40000), 1);
    assert_int_equal(call_i(s2, r2, "load", 0x40000), 2);
    assert_int_equal((uint32_t)call_i(fx->s, fx->inst, "load", 0x40000),
                     0xdeadbeef);
    /* The in-memory file under them is sealed: it never changes. */
    assert_true(pwrite(sn->fd, "x", 1, 0) < 0);
    assert_true(ftruncate(sn->fd, 0) < 0);
    wb_linker_free(l1);
    wb_store_free(s1);
    wb_instance *r3 = restore(sn, &s1, &l1, NULL);
    assert_int_equal((uint32_t)call_i(s1, r3, "load", 0x40000), 0xdeadbeef);
    wb_linker_free(l1);
    wb_store_free(s1);
    wb_linker_free(l2);
    wb_store_free(s2);
    wb_snapshot_free(sn);
}

/* A restored memory's pages the guest never touched hold the image's
 * bytes: a snapshot of the restored instance keeps them. */
static void test_snapshot_of_restored(void **state)
{
    fixture *fx = *state;
    wb_snapshot *sn = NULL, *sn2 = NULL;
    assert_int_equal(wb_snapshot_capture(fx->inst, NULL, &sn, NULL), WB_OK);
    wb_store *s1, *s2;
    wb_linker *l1, *l2;
    wb_instance *r1 = restore(sn, &s1, &l1, NULL);
    assert_int_equal(wb_snapshot_capture(r1, NULL, &sn2, NULL), WB_OK);
    wb_instance *r2 = restore(sn2, &s2, &l2, NULL);
    assert_int_equal((uint32_t)call_i(s2, r2, "load", 0x40000), 0xdeadbeef);
    check_state(s2, r2);
    wb_linker_free(l1);
    wb_store_free(s1);
    wb_linker_free(l2);
    wb_store_free(s2);
    wb_snapshot_free(sn2);
    wb_snapshot_free(sn);
}

static long rss_kib(void)
{
    char line[256];
    long kib = -1;
    FILE *f = fopen("/proc/self/status", "r");
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "VmRSS:", 6))
            kib = atol(line + 6);
    if (f)
        fclose(f);
    return kib;
}

/* Capturing a large memory the guest never touched reads none of it: the
 * live instance's RSS does not grow by the memory's size. */
static void test_capture_skips_untouched(void **state)
{
    (void)state;
    wb_store *s;
    assert_int_equal(wb_store_new(NULL, &s, NULL), WB_OK);
    wb_module *m = load("snap.wasm");
    wb_linker *l = linker(s);
    wb_instance *inst = NULL;
    assert_int_equal(wb_instantiate(s, m, l, &inst, NULL), WB_OK);
    assert_int_equal(call_i(s, inst, "grow", 95), 2);     /* 6 MiB, unread */
    long before = rss_kib();
    wb_snapshot *sn = NULL;
    assert_int_equal(wb_snapshot_capture(inst, NULL, &sn, NULL), WB_OK);
    long grew = rss_kib() - before;
    if (grew > 3 * 1024)
        fail_msg("capture grew RSS by %ld KiB", grew);
    wb_store *s2;
    wb_linker *l2;
    wb_instance *r = restore(sn, &s2, &l2, NULL);
    assert_int_equal(call_i(s2, r, "load", 16), 0x74696e69);
    assert_int_equal(call_i(s2, r, "load", 97 * 65536 - 4), 0);
    wb_linker_free(l2);
    wb_store_free(s2);
    wb_snapshot_free(sn);
    wb_linker_free(l);
    wb_store_free(s);
    wb_module_release(m);
}

/* Several threads restore from one snapshot at once, each into its own
 * store, and write to their copies. */
typedef struct worker {
    wb_snapshot *sn;
    int id, bad;
} worker;

static void *restore_many(void *arg)
{
    worker *wk = arg;
    for (int i = 0; i < 20; i++) {
        wb_store *s = NULL;
        wb_instance *r = NULL;
        wb_store_new(NULL, &s, NULL);
        wb_linker *l = linker(s);
        if (wb_snapshot_instantiate(s, wk->sn, l, &r, NULL) != WB_OK)
            wk->bad++;
        wb_func *ld = r ? wb_instance_func(r, "load") : NULL;
        wb_func *st = r ? wb_instance_func(r, "store") : NULL;
        wb_val a[2] = { { .type = WB_I32, .of.i32 = 0x40000 },
                        { .type = WB_I32, .of.i32 = wk->id } };
        wb_val v = { .type = WB_I32 };
        if (!ld || wb_func_call(s, ld, a, 1, &v, 1, NULL) != WB_OK ||
            (uint32_t)v.of.i32 != 0xdeadbeef ||
            wb_func_call(s, st, a, 2, NULL, 0, NULL) != WB_OK ||
            wb_func_call(s, ld, a, 1, &v, 1, NULL) != WB_OK ||
            v.of.i32 != wk->id)
            wk->bad++;
        wb_linker_free(l);
        wb_store_free(s);
    }
    return NULL;
}

static void test_threads(void **state)
{
    fixture *fx = *state;
    wb_snapshot *sn = NULL;
    assert_int_equal(wb_snapshot_capture(fx->inst, NULL, &sn, NULL), WB_OK);
    pthread_t th[4];
    worker wk[4];
    for (int i = 0; i < 4; i++) {
        wk[i] = (worker){ sn, i + 1, 0 };
        assert_int_equal(pthread_create(&th[i], NULL, restore_many, &wk[i]),
                         0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(wk[i].bad, 0);
    }
    wb_snapshot_free(sn);
}

/* A reservation that held an image goes back to the pool as zeros: the
 * next memory must not read the snapshot's bytes. */
static void test_pool_reuse_is_clean(void **state)
{
    fixture *fx = *state;
    wb_snapshot *sn = NULL;
    assert_int_equal(wb_snapshot_capture(fx->inst, NULL, &sn, NULL), WB_OK);
    for (int round = 0; round < 10; round++) {
        wb_store *s;
        wb_linker *l;
        restore(sn, &s, &l, NULL);
        wb_linker_free(l);
        wb_store_free(s);
        assert_int_equal(wb_store_new(NULL, &s, NULL), WB_OK);
        wb_memory *m = NULL;
        assert_int_equal(wb_memory_new(s, 8, 0, false, &m, NULL), WB_OK);
        const uint8_t *p = wb_memory_data(m);
        for (size_t i = 0; i < wb_memory_size(m); i++)
            if (p[i])
                fail_msg("byte %zu of a fresh memory is %u", i, p[i]);
        wb_store_free(s);
    }
    wb_snapshot_free(sn);
}

static void test_budgets_hold(void **state)
{
    fixture *fx = *state;
    wb_snapshot *sn = NULL;
    wb_error err = {0};
    assert_int_equal(wb_snapshot_capture(fx->inst, NULL, &sn, NULL), WB_OK);
    wb_limits lim;
    wb_limits_default(&lim);
    lim.max_memory = 4 * 65536;               /* the snapshot holds 5 */
    wb_store *s;
    assert_int_equal(wb_store_new(&lim, &s, NULL), WB_OK);
    wb_linker *l = linker(s);
    wb_instance *r = NULL;
    assert_int_equal(wb_snapshot_instantiate(s, sn, l, &r, &err), WB_E_LIMIT);
    assert_non_null(strstr(err.message, "memory limit exceeded"));
    wb_linker_free(l);
    wb_store_free(s);
    /* Room for 6 pages and the table: one page of growth, not two. */
    lim.max_memory = 6 * 65536 + 7 * 8;
    r = restore(sn, &s, &l, &lim);
    assert_int_equal(call_i(s, r, "grow", 1), 5);
    assert_int_equal(call_i(s, r, "grow", 1), -1);
    assert_int_equal(wb_store_peak_memory(s), 6 * 65536 + 7 * 8);
    wb_linker_free(l);
    wb_store_free(s);
    /* The module's own maximum (100 pages) holds too. */
    r = restore(sn, &s, &l, NULL);
    assert_int_equal(call_i(s, r, "grow", 96), -1);
    assert_int_equal(call_i(s, r, "grow", 95), 5);
    wb_linker_free(l);
    wb_store_free(s);
    /* Fuel and call depth are the store's, whatever the instance. */
    wb_limits_default(&lim);
    lim.fuel = 0;                             /* keep_elem makes one call */
    r = restore(sn, &s, &l, &lim);
    wb_func *f = wb_instance_func(r, "keep_elem");
    wb_val v = { .type = WB_I32 };
    assert_int_equal(wb_func_call(s, f, NULL, 0, &v, 1, &err), WB_E_TRAP);
    assert_int_equal(err.trap, WB_TRAP_FUEL);
    wb_linker_free(l);
    wb_store_free(s);
    wb_snapshot_free(sn);
}

static void test_refuse_live_frames(void **state)
{
    fixture *fx = *state;
    snap_inside = fx->inst;
    inside_status = WB_OK;
    assert_int_equal(call_i(fx->s, fx->inst, "call", 2), 99);
    snap_inside = NULL;
    assert_int_equal(inside_status, WB_E_ARG);
}

static void test_refuse_externref(void **state)
{
    fixture *fx = *state;
    wb_val x = { .type = WB_EXTERNREF, .of.externref = fx };
    wb_error err = {0};
    wb_snapshot *sn = NULL;
    call(fx->s, fx->inst, "setx", &x, 1, WB_OK);
    assert_int_equal(wb_snapshot_capture(fx->inst, NULL, &sn, &err), WB_E_ARG);
    assert_non_null(strstr(err.message, "externref"));
    x.of.externref = NULL;
    call(fx->s, fx->inst, "setx", &x, 1, WB_OK);
    assert_int_equal(wb_snapshot_capture(fx->inst, NULL, &sn, &err), WB_OK);
    wb_snapshot_free(sn);
}

/* ---- refusals -------------------------------------------------------- */

static uint8_t *read_all(const char *path, size_t *len)
{
    struct stat sb;
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0 && fstat(fd, &sb) == 0);
    uint8_t *p = malloc((size_t)sb.st_size + 1);
    assert_int_equal(pread(fd, p, (size_t)sb.st_size, 0), sb.st_size);
    close(fd);
    *len = (size_t)sb.st_size;
    return p;
}

static void write_all(const char *path, const uint8_t *p, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, p, len), (ssize_t)len);
    close(fd);
}

static void expect_refused(const char *path, wb_module *m, const char *why)
{
    wb_snapshot *sn = NULL;
    wb_error err = {0};
    assert_int_equal(wb_snapshot_open(path, m, &sn, &err), WB_E_SNAPSHOT);
    assert_null(sn);
    if (!strstr(err.message, why))
        fail_msg("message '%s' lacks '%s'", err.message, why);
    assert_null(strchr(err.message, '\n'));
}

static void test_refuse_other_module(void **state)
{
    fixture *fx = *state;
    wb_module *other = load("snap_other.wasm");
    assert_int_equal(wb_snapshot_save(fx->inst, NULL, fx->path, NULL), WB_OK);
    expect_refused(fx->path, other, "made from another module");
    wb_module_release(other);
}

static void test_refuse_other_version(void **state)
{
    fixture *fx = *state;
    size_t len;
    wb_snaphdr h;
    assert_int_equal(wb_snapshot_save(fx->inst, NULL, fx->path, NULL), WB_OK);
    uint8_t *p = read_all(fx->path, &len);
    assert_int_equal(wb_snaphdr_decode(p, len, fx->m, &h, NULL), WB_OK);
    snprintf(h.version, sizeof h.version, "0.0.9");
    wb_snaphdr_encode(&h, p);                /* a valid header otherwise */
    write_all(fx->path, p, len);
    expect_refused(fx->path, fx->m, "made by wasmbox 0.0.9, this is wasmbox");
    h.format = 9;
    snprintf(h.version, sizeof h.version, "%s", WB_VERSION);
    wb_snaphdr_encode(&h, p);
    write_all(fx->path, p, len);
    expect_refused(fx->path, fx->m, "snapshot format 9");
    /* a layer's formats on a whole file: its size is not a layer's, or
     * it has no layer record */
    h.format = WB_SNAP_FORMAT_LAYER;
    wb_snaphdr_encode(&h, p);
    write_all(fx->path, p, len);
    expect_refused(fx->path, fx->m, "bytes appended");
    h.format = WB_SNAP_FORMAT_INPLACE;
    wb_snaphdr_encode(&h, p);
    write_all(fx->path, p, len);
    expect_refused(fx->path, fx->m, "damaged layer record");
    free(p);
}

static void test_refuse_truncated(void **state)
{
    fixture *fx = *state;
    size_t len;
    assert_int_equal(wb_snapshot_save(fx->inst, NULL, fx->path, NULL), WB_OK);
    uint8_t *p = read_all(fx->path, &len);
    const size_t cuts[] = { len - 1, len - 65536, 200, WB_SNAP_HDR, 100, 3 };
    for (size_t i = 0; i < sizeof cuts / sizeof *cuts; i++) {
        write_all(fx->path, p, cuts[i]);
        expect_refused(fx->path, fx->m, "truncated");
    }
    write_all(fx->path, p, 0);
    expect_refused(fx->path, fx->m, "empty file");
    uint8_t *q = calloc(1, len + 1);
    memcpy(q, p, len);
    write_all(fx->path, q, len + 1);
    expect_refused(fx->path, fx->m, "bytes appended");
    free(q);
    free(p);
}

/* One bit flipped anywhere: header, state section, its padding, a page
 * of memory, a hole (a page of zeros). */
static void test_refuse_bit_flip(void **state)
{
    fixture *fx = *state;
    size_t len;
    assert_int_equal(wb_snapshot_save(fx->inst, NULL, fx->path, NULL), WB_OK);
    uint8_t *p = read_all(fx->path, &len);
    wb_snaphdr h;
    assert_int_equal(wb_snaphdr_decode(p, len, fx->m, &h, NULL), WB_OK);
    const struct { size_t at; const char *why; } flips[] = {
        { 0, "not a wasmbox snapshot" },
        { 20, "damaged header" },
        { 90, "damaged header" },
        { WB_SNAP_HDR + 3, "checksum of its state section" },
        { h.data_off - 1, "checksum of its state section" },
        { h.data_off + 16, "checksum of its memory images" },
        { h.data_off + 0x40000, "checksum of its memory images" },
        { h.data_off + 0x30000, "checksum of its memory images" },
        { len - 1, "checksum of its memory images" },
    };
    for (size_t i = 0; i < sizeof flips / sizeof *flips; i++) {
        p[flips[i].at] ^= 0x10;
        write_all(fx->path, p, len);
        expect_refused(fx->path, fx->m, flips[i].why);
        p[flips[i].at] ^= 0x10;
    }
    write_all(fx->path, p, len);
    wb_snapshot *sn = NULL;
    assert_int_equal(wb_snapshot_open(fx->path, fx->m, &sn, NULL), WB_OK);
    wb_snapshot_free(sn);
    free(p);
}

/* Is the host page at p present and private (written since mapped)? */
static int page_private(const void *p)
{
    uint64_t e = 0;
    long pg = sysconf(_SC_PAGESIZE);
    int fd = open("/proc/self/pagemap", O_RDONLY);
    if (fd < 0 || pread(fd, &e, 8, (off_t)((uintptr_t)p / pg * 8)) != 8)
        e = 0;
    if (fd >= 0)
        close(fd);
    return (e >> 63 & 1) && !(e >> 61 & 1);
}

/* The pages a run wrote, recorded from a restored instance (hot.c),
 * saved with the snapshot; a restore from it makes those private at
 * once and no other. */
static void test_hot_pages(void **state)
{
    fixture *fx = *state;
    wb_snapshot *sn = NULL, *sn2 = NULL;
    wb_error err = {0};
    assert_int_equal(wb_snapshot_capture(fx->inst, NULL, &sn, NULL), WB_OK);
    wb_store *s;
    wb_linker *l;
    wb_instance *r = restore(sn, &s, &l, NULL);
    wb_val a[2] = { { .type = WB_I32, .of.i32 = 0x10000 },
                    { .type = WB_I32, .of.i32 = 5 } };
    call(s, r, "store", a, 2, WB_OK);
    a[0].of.i32 = 0x11000;
    call(s, r, "store", a, 2, WB_OK);
    a[0].of.i32 = 0x30000;
    call(s, r, "store", a, 2, WB_OK);
    uint8_t *hot = NULL;
    size_t len = 0;
    assert_true(wb_snaphot_record(wb_instance_memory(r, "mem"), &hot, &len));
    assert_int_equal(len, 4 + 2 * 16);       /* two runs */
    assert_int_equal(wb_snapshot_save_hot(fx->inst, fx->path, hot, len,
                                          &err), WB_OK);
    assert_int_equal(wb_snapshot_open(fx->path, fx->m, &sn2, &err), WB_OK);
    assert_int_equal(sn2->nhot, 2);
    assert_int_equal(sn2->hot[0].off, 0x10000);
    assert_int_equal(sn2->hot[0].len, 0x2000);
    assert_int_equal(sn2->hot[1].off, 0x30000);
    assert_int_equal(sn2->hot[1].len, 0x1000);
    wb_store *s2;
    wb_linker *l2;
    wb_instance *r2 = restore(sn2, &s2, &l2, NULL);
    wb_memory *m2 = wb_instance_memory(r2, "mem");
    wb_snapshot_prefault(sn2, m2);
    uint8_t *base = wb_memory_data(m2);
    assert_true(page_private(base + 0x10000));
    assert_true(page_private(base + 0x11000));
    assert_true(page_private(base + 0x30000));
    assert_false(page_private(base + 0x12000));
    assert_false(page_private(base + 0x40000));
    check_state(s2, r2);                     /* the bytes are the image's */
    free(hot);
    wb_linker_free(l);
    wb_store_free(s);
    wb_linker_free(l2);
    wb_store_free(s2);
    wb_snapshot_free(sn2);
    wb_snapshot_free(sn);
}

/* A hot-page record whose runs are not page aligned, sorted and apart
 * inside the memory, or whose size is not its count's, is refused as
 * damaged (its checksum is right: the writer was wrong). */
static void test_hot_pages_refused(void **state)
{
    fixture *fx = *state;
    static const struct { uint64_t off, len; uint32_t n; size_t extra; }
    bad[] = {
        { 0x1001, 0x1000, 1, 0 },            /* unaligned */
        { 0x1000, 0x0800, 1, 0 },            /* unaligned length */
        { 0x1000, 0, 1, 0 },                 /* empty */
        { 0x4f000, 0x2000, 1, 0 },           /* past the memory's 5 pages */
        { 0x1000, 0x1000, 2, 0 },            /* overlapping: the same twice */
        { 0x1000, 0x1000, 1, 3 },            /* trailing bytes */
        { 0x1000, 0x1000, 0, 16 },           /* no runs */
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        uint8_t rec[4 + 2 * 16 + 3] = {0};
        size_t len = 4 + (size_t)bad[i].n * 16 + bad[i].extra;
        wb_snap_put32(rec, bad[i].n);
        for (uint32_t k = 0; k < 2; k++) {
            wb_snap_put64(rec + 4 + k * 16, bad[i].off);
            wb_snap_put64(rec + 4 + k * 16 + 8, bad[i].len);
        }
        assert_int_equal(wb_snapshot_save_hot(fx->inst, fx->path, rec, len,
                                              NULL), WB_OK);
        expect_refused(fx->path, fx->m, "damaged hot-page record");
    }
}

static void test_not_found(void **state)
{
    fixture *fx = *state;
    wb_snapshot *sn = NULL;
    assert_int_equal(wb_snapshot_open("/nonexistent/x.snap", fx->m, &sn, NULL),
                     WB_E_NOT_FOUND);
}

/* ---- WASI state ------------------------------------------------------ */

static wb_wasi *wasi_for(const char *dir, const char *arg, bool second)
{
    wb_sandbox_config cfg;
    wb_sandbox_config_init(&cfg);
    wb_config_add_arg(&cfg, "prog");
    wb_config_add_arg(&cfg, arg);
    wb_config_add_env(&cfg, "K", arg);
    wb_config_add_dir(&cfg, dir, "/work", false);
    if (second)
        wb_config_add_dir(&cfg, dir, "/other", true);
    wb_wasi *w = NULL;
    assert_int_equal(wb_wasi_new(&cfg, &w, NULL), WB_OK);
    wb_sandbox_config_free(&cfg);
    return w;
}

static void test_wasi_state(void **state)
{
    fixture *fx = *state;
    wb_wasi *w = wasi_for("/tmp", "captured", false);
    wb_snapshot *sn = NULL;
    wb_error err = {0};
    /* A guest whose monotonic clock is far ahead of this host's. */
    w->clock_offset[1] = 4000000000000000000ull;
    w->fds[3].rights &= ~WR_PATH_UNLINK_FILE;     /* the guest dropped it */
    assert_int_equal(wb_snapshot_capture(fx->inst, w, &sn, &err), WB_OK);

    wb_wasi *w2 = wasi_for("/tmp", "fresh", false);
    assert_int_equal(wb_snapshot_restore_wasi(sn, w2, &err), WB_OK);
    assert_int_equal(w2->nargs, 2);
    assert_string_equal(w2->args[1], "captured");
    assert_string_equal(w2->env[0], "K=captured");
    uint64_t now;
    assert_true(wb_wasi_clock_now(w2, 1, &now));
    assert_true(now >= 4000000000000000000ull);
    assert_int_equal(w2->fds[3].rights & WR_PATH_UNLINK_FILE, 0);
    assert_string_equal(w2->fds[3].preopen, "/work");

    wb_wasi *w3 = wasi_for("/tmp", "fresh", true);
    assert_int_equal(wb_snapshot_restore_wasi(sn, w3, &err), WB_E_SNAPSHOT);
    assert_non_null(strstr(err.message, "grants differ"));

    wb_snapshot *plain = NULL;
    assert_int_equal(wb_snapshot_capture(fx->inst, NULL, &plain, NULL), WB_OK);
    assert_int_equal(wb_snapshot_restore_wasi(plain, w3, &err), WB_E_SNAPSHOT);
    assert_non_null(strstr(err.message, "no WASI state"));

    /* A socket is not covered: refused at capture. */
    uint32_t fd;
    assert_int_equal(wb_fd_alloc(w, &fd), WE_SUCCESS);
    w->fds[fd].kind = WB_FD_SOCK;
    w->fds[fd].host = -1;
    w->nopen++;
    wb_snapshot *none = NULL;
    assert_int_equal(wb_snapshot_capture(fx->inst, w, &none, &err), WB_E_ARG);
    assert_non_null(strstr(err.message, "is a socket"));
    wb_snapshot_free(plain);
    wb_snapshot_free(sn);
    wb_wasi_free(w);
    wb_wasi_free(w2);
    wb_wasi_free(w3);
}

static uint64_t host_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A restored guest's clock runs ahead of the host's by the offset; an
 * absolute poll deadline on it is due when the guest's clock says so,
 * not a whole offset later. */
static void test_wasi_clock_offset(void **state)
{
    (void)state;
    wb_module *m = load("snap_clock.wasm");
    wb_wasi *w = wasi_for("/tmp", "x", false);
    w->clock_offset[1] = 2000000000u;                /* 2 s ahead */
    wb_store *s;
    wb_instance *inst = NULL;
    assert_int_equal(wb_store_new(NULL, &s, NULL), WB_OK);
    wb_linker *l = wb_linker_new();
    assert_int_equal(wb_wasi_define(w, s, l, NULL), WB_OK);
    assert_int_equal(wb_instantiate(s, m, l, &inst, NULL), WB_OK);
    uint64_t before = host_mono();
    uint64_t guest = (uint64_t)call(s, inst, "now", NULL, 0, WB_OK).of.i64;
    assert_true(guest >= before + 2000000000u);
    wb_val until = { .type = WB_I64, .of.i64 = (int64_t)(guest + 20000000u) };
    assert_int_equal(call(s, inst, "sleep_until", &until, 1, WB_OK).of.i32, 0);
    uint64_t took = host_mono() - before;
    if (took < 15000000u || took > 1000000000u)
        fail_msg("an absolute 20 ms deadline took %llu ns",
                 (unsigned long long)took);
    wb_linker_free(l);
    wb_store_free(s);
    wb_wasi_free(w);
    wb_module_release(m);
}

/* A guest with a file open: after a restore into a new context with the
 * same grant, the file is open at the same fd and offset. */
typedef struct guest {
    wb_wasi *w;
    wb_store *s;
    wb_linker *l;
    wb_instance *inst;
} guest;

static void guest_new(guest *g, wb_module *m, const char *dir,
                      const wb_snapshot *sn, wb_status want)
{
    wb_error err = {0};
    g->w = wasi_for(dir, "x", false);
    assert_int_equal(wb_store_new(NULL, &g->s, NULL), WB_OK);
    g->l = wb_linker_new();
    assert_int_equal(wb_wasi_define(g->w, g->s, g->l, NULL), WB_OK);
    g->inst = NULL;
    if (!sn) {
        assert_int_equal(wb_instantiate(g->s, m, g->l, &g->inst, NULL), WB_OK);
        return;
    }
    wb_status st = wb_snapshot_restore_wasi(sn, g->w, &err);
    if (st != want)
        fail_msg("restore_wasi: %d, wanted %d: %s", st, want, err.message);
    if (st == WB_OK)
        assert_int_equal(wb_snapshot_instantiate(g->s, sn, g->l, &g->inst,
                                                 NULL), WB_OK);
}

static void guest_free(guest *g)
{
    wb_linker_free(g->l);
    wb_store_free(g->s);
    wb_wasi_free(g->w);
}

static void test_wasi_open_file(void **state)
{
    (void)state;
    char dir[] = "/tmp/wb-snap-file.XXXXXX", path[64];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/a.txt", dir);
    FILE *f = fopen(path, "w");
    fputs("abcdef", f);
    fclose(f);
    wb_module *m = load("snap_file.wasm");
    guest a, b, c;
    guest_new(&a, m, dir, NULL, WB_OK);
    assert_int_equal(call_i(a.s, a.inst, "open", 0), 0);
    assert_int_equal(call_i(a.s, a.inst, "read1", 0), 'a');
    assert_int_equal(call_i(a.s, a.inst, "read1", 0), 'b');
    wb_snapshot *sn = NULL;
    wb_error err = {0};
    assert_int_equal(wb_snapshot_capture(a.inst, a.w, &sn, &err), WB_OK);
    guest_new(&b, m, dir, sn, WB_OK);
    assert_int_equal(call_i(b.s, b.inst, "read1", 0), 'c');
    assert_int_equal(call_i(b.s, b.inst, "read1", 0), 'd');
    /* Each has its own open file description. */
    assert_int_equal(call_i(a.s, a.inst, "read1", 0), 'c');
    /* The file gone: the restore is refused, naming it. */
    unlink(path);
    guest_new(&c, m, dir, sn, WB_E_SNAPSHOT);
    guest_free(&c);
    /* Deleted while open: capture refuses it. */
    wb_snapshot *none = NULL;
    assert_int_equal(wb_snapshot_capture(a.inst, a.w, &none, &err), WB_E_ARG);
    assert_non_null(strstr(err.message, "deleted"));
    wb_snapshot_free(sn);
    guest_free(&a);
    guest_free(&b);
    wb_module_release(m);
    rmdir(dir);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_file_round_trip),
        T(test_copy_on_write),
        T(test_snapshot_of_restored),
        T(test_threads),
        T(test_capture_skips_untouched),
        T(test_pool_reuse_is_clean),
        T(test_budgets_hold),
        T(test_refuse_live_frames),
        T(test_refuse_externref),
        T(test_refuse_other_module),
        T(test_refuse_other_version),
        T(test_refuse_truncated),
        T(test_refuse_bit_flip),
        T(test_hot_pages),
        T(test_hot_pages_refused),
        T(test_not_found),
        T(test_wasi_state),
        T(test_wasi_clock_offset),
        T(test_wasi_open_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
