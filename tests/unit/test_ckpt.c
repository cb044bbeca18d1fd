/* test_ckpt.c: incremental checkpoints (src/snapshot/ckpt.h): a restore
 * sees the state of the last update, not what the instance wrote after
 * it; an update copies what the instance wrote (grown memory too); and
 * an instance restored from the checkpoint keeps reading the bytes it
 * was restored with while later updates rewrite the pages it wrote.
 * All of it twice: with the kernel's tracker (userfaultfd), and in a
 * child process under a seccomp filter, where the tracker is refused
 * and changed pages are found by their hashes (a worker's case).
 * tests/unit/wat/dirty.wat is the guest. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wasmbox.h"
#include "engine.h"
#include "snapshot/ckpt.h"
#include "snapshot/snapshot.h"
#include "uffd_filter.h"

#define WP 65536

typedef struct live {
    wb_store *s;
    wb_linker *l;
    wb_instance *inst;
} live;

static wb_module *module(void)
{
    wb_module *m = NULL;
    assert_int_equal(wb_module_load(WB_TEST_WASM "/dirty.wasm", &m, NULL),
                     WB_OK);
    return m;
}

static void start(live *v, wb_module *m, const wb_snapshot *from)
{
    assert_int_equal(wb_store_new(NULL, &v->s, NULL), WB_OK);
    v->l = wb_linker_new();
    assert_non_null(v->l);
    if (from)
        assert_int_equal(wb_snapshot_instantiate(v->s, from, v->l, &v->inst,
                                                 NULL), WB_OK);
    else
        assert_int_equal(wb_instantiate(v->s, m, v->l, &v->inst, NULL),
                         WB_OK);
}

static void stop(live *v)
{
    wb_store_free(v->s);
    wb_linker_free(v->l);
}

static void poke(live *v, int32_t at, int32_t b)
{
    wb_val a[2] = { { .type = WB_I32, .of.i32 = at },
                    { .type = WB_I32, .of.i32 = b } };
    assert_int_equal(wb_func_call(v->s, wb_instance_func(v->inst, "poke"), a,
                                  2, NULL, 0, NULL), WB_OK);
}

static int32_t peek(live *v, int32_t at)
{
    wb_val a = { .type = WB_I32, .of.i32 = at }, r = { .type = WB_I32 };
    assert_int_equal(wb_func_call(v->s, wb_instance_func(v->inst, "peek"),
                                  &a, 1, &r, 1, NULL), WB_OK);
    return r.of.i32;
}

static void grow(live *v, int32_t n)
{
    wb_val a = { .type = WB_I32, .of.i32 = n }, r = { .type = WB_I32 };
    assert_int_equal(wb_func_call(v->s, wb_instance_func(v->inst, "grow"),
                                  &a, 1, &r, 1, NULL), WB_OK);
    assert_true(r.of.i32 >= 0);
}

static void restore(wb_ckpt *c, wb_module *m, live *v)
{
    wb_snapshot *sn = NULL;
    wb_error err = {0};
    if (wb_ckpt_open(c, &sn, &err) != WB_OK)
        fail_msg("wb_ckpt_open: %s", err.message);
    start(v, m, sn);
    wb_snapshot_free(sn);
}

static void update(wb_ckpt *c, live *v)
{
    wb_error err = {0};
    if (wb_ckpt_update(c, v->inst, NULL, &err) != WB_OK)
        fail_msg("wb_ckpt_update: %s", err.message);
}

static bool hashed;                  /* the child under a seccomp filter */

static void test_rollback_and_updates(void **state)
{
    wb_module *m = module();
    live a, r1, r2, r3;
    start(&a, m, NULL);
    poke(&a, 10, 1);
    wb_ckpt *c = NULL;
    assert_int_equal(wb_ckpt_new(a.inst, NULL, &c, NULL), WB_OK);
    assert_true(wb_ckpt_tracked(c));               /* else not this test */
    assert_int_equal(wb_ckpt_hashed(c), hashed);
    /* after the checkpoint: written, grown, written there */
    poke(&a, 10, 2);
    poke(&a, WP + 5, 3);
    update(c, &a);                                 /* the step ended */
    poke(&a, 10, 4);                               /* the next one fails */
    grow(&a, 1);
    poke(&a, 2 * WP + 7, 5);
    restore(c, m, &r1);
    assert_int_equal(peek(&r1, 10), 2);
    assert_int_equal(peek(&r1, WP + 5), 3);
    assert_int_equal(wb_memory_size(wb_instance_memory(r1.inst, "mem")),
                     2 * WP);
    wb_ckpt_unbind(c);                             /* a's store goes */
    stop(&a);

    /* r1 goes on: it writes one page and grows; another page (WP + 5)
     * it only reads, and it must keep its bytes through the updates */
    wb_ckpt_bind(c, r1.inst);
    assert_true(wb_ckpt_tracked(c));
    assert_int_equal(wb_ckpt_hashed(c), hashed);
    poke(&r1, 10, 6);
    grow(&r1, 2);
    poke(&r1, 3 * WP + 1, 7);
    update(c, &r1);
    assert_true(wb_ckpt_tracked(c));               /* copied, not recaptured */
    assert_int_equal(peek(&r1, WP + 5), 3);
    poke(&r1, 20, 8);                              /* page 0 again */
    update(c, &r1);
    assert_int_equal(peek(&r1, WP + 5), 3);
    assert_int_equal(peek(&r1, 10), 6);
    restore(c, m, &r2);
    assert_int_equal(peek(&r2, 10), 6);
    assert_int_equal(peek(&r2, 20), 8);
    assert_int_equal(peek(&r2, WP + 5), 3);
    assert_int_equal(peek(&r2, 3 * WP + 1), 7);
    assert_int_equal(wb_memory_size(wb_instance_memory(r2.inst, "mem")),
                     4 * WP);
    stop(&r2);

    /* unbound: the next update captures all, and is as good */
    wb_ckpt_unbind(c);
    assert_false(wb_ckpt_tracked(c));
    poke(&r1, 30, 9);
    update(c, &r1);
    assert_true(wb_ckpt_tracked(c));               /* tracked again */
    assert_int_equal(wb_ckpt_hashed(c), hashed);
    restore(c, m, &r3);
    assert_int_equal(peek(&r3, 30), 9);
    assert_int_equal(peek(&r3, 10), 6);
    stop(&r3);
    wb_ckpt_free(c);                               /* before r1's store */
    stop(&r1);
    wb_module_release(m);
}

/* The copy on disk (wb_ckpt_persist): a snapshot file with every
 * checksum, so it restores the state of the last update, and a copy
 * damaged anywhere, or truncated, is refused (WB_E_SNAPSHOT). */
static void test_persist(void **state)
{
    wb_module *m = module();
    live a, r;
    start(&a, m, NULL);
    poke(&a, 10, 1);
    wb_ckpt *c = NULL;
    assert_int_equal(wb_ckpt_new(a.inst, NULL, &c, NULL), WB_OK);
    poke(&a, WP + 5, 3);
    grow(&a, 1);
    poke(&a, 2 * WP + 7, 5);
    update(c, &a);
    poke(&a, 10, 9);                               /* not in the copy */
    char dir[] = "/tmp/wb-ckpt-test.XXXXXX", path[64];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/k.snap", dir);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    assert_true(dfd >= 0);
    wb_error err = {0};
    if (wb_ckpt_persist(c, dfd, "k.snap", "k.base", &err) != WB_OK)
        fail_msg("wb_ckpt_persist: %s", err.message);
    wb_snapshot *sn = NULL;
    if (wb_snapshot_open(path, m, &sn, &err) != WB_OK)
        fail_msg("wb_snapshot_open: %s", err.message);
    start(&r, m, sn);
    wb_snapshot_free(sn);
    assert_int_equal(peek(&r, 10), 1);
    assert_int_equal(peek(&r, WP + 5), 3);
    assert_int_equal(peek(&r, 2 * WP + 7), 5);
    stop(&r);
    /* a bit flipped in the memory images, then a truncated file */
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    int fd = open(path, O_RDWR);
    uint8_t b = 0;
    assert_int_equal(pread(fd, &b, 1, sb.st_size - WP + 7), 1);
    b ^= 0x10;
    assert_int_equal(pwrite(fd, &b, 1, sb.st_size - WP + 7), 1);
    close(fd);
    assert_int_equal(wb_snapshot_open(path, m, &sn, &err), WB_E_SNAPSHOT);
    assert_non_null(strstr(err.message, "damaged"));
    assert_null(strchr(err.message, '\n'));
    if (wb_ckpt_persist(c, dfd, "k.snap", "k.base", &err) != WB_OK)  /* replaced */
        fail_msg("wb_ckpt_persist: %s", err.message);
    assert_int_equal(truncate(path, sb.st_size / 2), 0);
    assert_int_equal(wb_snapshot_open(path, m, &sn, &err), WB_E_SNAPSHOT);
    assert_non_null(strstr(err.message, "truncated"));
    unlink(path);
    close(dfd);
    rmdir(dir);
    wb_ckpt_free(c);
    stop(&a);
    wb_module_release(m);
}

static wb_snapshot *open_at(int dfd, const char *name, const char *base,
                            wb_module *m, wb_status want, const char *why)
{
    wb_snapshot *sn = NULL;
    wb_error err = {0};
    wb_status st = wb_snapshot_open_at(dfd, name, base, m, &sn, &err);
    if (st != want || (why && !strstr(err.message, why)))
        fail_msg("open %s over %s: %d '%s', want %d '%s'", name, base, st,
                 err.message, want, why ? why : "");
    assert_null(strchr(err.message, '\n'));
    return sn;
}

static void persist(wb_ckpt *c, int dfd, const char *name, const char *base)
{
    wb_error err = {0};
    if (wb_ckpt_persist(c, dfd, name, base, &err) != WB_OK)
        fail_msg("wb_ckpt_persist: %s", err.message);
}

static ino_t ino_at(int dfd, const char *name)
{
    struct stat sb;
    assert_int_equal(fstatat(dfd, name, &sb, 0), 0);
    return sb.st_ino;
}

/* A checkpoint of an instance restored from a file on disk is a layer
 * over that file (wb_ckpt_new_over): it holds the runs of pages written
 * since (and the memory grown past the file's), its copy on disk only
 * those, over the file linked as its base; a rollback and a reopen see
 * the last update; a layer over that layer (a fork's fork) holds the
 * runs of both over the same base; a damaged layer, a missing base,
 * another file in the base's place and a FIFO in either's (without
 * blocking) are refused with one line. */
static void test_layer(void **state)
{
    wb_module *m = module();
    live a, r, r2, r3, r4;
    start(&a, m, NULL);
    grow(&a, 1);                                    /* 3 pages of wasm */
    poke(&a, 10, 1);
    poke(&a, WP + 5, 2);
    poke(&a, 2 * WP + 7, 3);
    wb_ckpt *c = NULL, *c2 = NULL, *c3 = NULL;
    assert_int_equal(wb_ckpt_new(a.inst, NULL, &c, NULL), WB_OK);
    assert_null(wb_ckpt_layer(c));
    char dir[] = "/tmp/wb-ckpt-layer.XXXXXX";
    assert_non_null(mkdtemp(dir));
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    assert_true(dfd >= 0);
    persist(c, dfd, "k.snap", "k.base");
    ino_t whole = ino_at(dfd, "k.snap");
    wb_ckpt_free(c);
    stop(&a);

    /* restored from the whole file: one page written, one grown */
    wb_snapshot *sn = open_at(dfd, "k.snap", "k.base", m, WB_OK, NULL);
    start(&r, m, sn);
    assert_int_equal(wb_ckpt_new_over(r.inst, NULL, sn, &c2, NULL), WB_OK);
    assert_true(wb_ckpt_tracked(c2));
    assert_int_equal(wb_ckpt_hashed(c2), hashed);
    poke(&r, WP + 5, 22);
    grow(&r, 1);
    poke(&r, 3 * WP + 1, 44);
    update(c2, &r);
    const wb_snaplayer *l = wb_ckpt_layer(c2);
    assert_non_null(l);
    assert_int_equal(l->nruns, 2);
    assert_int_equal(l->runs[0].off, WP);           /* the page of WP + 5 */
    assert_int_equal(l->runs[0].len, 4096);
    assert_int_equal(l->runs[1].off, 3 * WP);       /* the grown memory */
    assert_int_equal(l->runs[1].len, WP);
    persist(c2, dfd, "k.snap", "k.base");
    assert_int_equal(ino_at(dfd, "k.base"), whole);
    struct stat sb;
    assert_int_equal(fstatat(dfd, "k.snap", &sb, 0), 0);
    assert_true(sb.st_size < 4 * WP);                /* not the memory */
    assert_int_equal(sb.st_size % WP, 4096);        /* one page, 64 KiB */
    poke(&r, 10, 99);                               /* not in either */
    restore(c2, m, &r2);
    assert_int_equal(peek(&r2, 10), 1);
    assert_int_equal(peek(&r2, WP + 5), 22);
    assert_int_equal(peek(&r2, 2 * WP + 7), 3);
    assert_int_equal(peek(&r2, 3 * WP + 1), 44);
    stop(&r2);

    /* from the copy on disk: a layer over the linked base */
    wb_snapshot *sl = open_at(dfd, "k.snap", "k.base", m, WB_OK, NULL);
    start(&r3, m, sl);
    assert_int_equal(peek(&r3, 10), 1);
    assert_int_equal(peek(&r3, WP + 5), 22);
    assert_int_equal(peek(&r3, 3 * WP + 1), 44);
    /* a layer over it: both layers' runs, over the same base */
    assert_int_equal(wb_ckpt_new_over(r3.inst, NULL, sl, &c3, NULL), WB_OK);
    poke(&r3, 20, 55);
    update(c3, &r3);
    assert_int_equal(wb_ckpt_layer(c3)->nruns, 3);
    persist(c3, dfd, "g.snap", "k.base");
    assert_int_equal(ino_at(dfd, "k.base"), whole);
    wb_snapshot *sg = open_at(dfd, "g.snap", "k.base", m, WB_OK, NULL);
    start(&r4, m, sg);
    assert_int_equal(peek(&r4, 20), 55);
    assert_int_equal(peek(&r4, WP + 5), 22);
    assert_int_equal(peek(&r4, 2 * WP + 7), 3);
    assert_int_equal(peek(&r4, 3 * WP + 1), 44);
    stop(&r4);
    wb_snapshot_free(sg);

    /* refused: a missing base, another file as base, a damaged layer */
    open_at(dfd, "g.snap", "nothing", m, WB_E_SNAPSHOT, "missing");
    persist(c2, dfd, "other.snap", "other.base");   /* a layer: not whole */
    wb_ckpt_free(c3);
    c3 = NULL;
    assert_int_equal(wb_ckpt_new(r3.inst, NULL, &c3, NULL), WB_OK);
    persist(c3, dfd, "whole2", "unused");
    open_at(dfd, "g.snap", "whole2", m, WB_E_SNAPSHOT,
            "not the file it was made over");
    /* a checkpoint's memfd (runs in place, format 3) is no file */
    int fd = openat(dfd, "inplace", O_WRONLY | O_CREAT | O_EXCL, 0600);
    struct stat ms;
    assert_true(fd >= 0 && fstat(wb_ckpt_fd(c2), &ms) == 0);
    static uint8_t buf[WP];
    for (off_t off = 0; off < ms.st_size; off += WP) {
        ssize_t n = pread(wb_ckpt_fd(c2), buf, sizeof buf, off);
        assert_true(n > 0);
        assert_int_equal(pwrite(fd, buf, (size_t)n, off), n);
    }
    close(fd);
    open_at(dfd, "inplace", "k.base", m, WB_E_SNAPSHOT, "format 3");
    /* g.snap's runs packed: page 0, the page of WP + 5, the grown page */
    fd = openat(dfd, "g.snap", O_RDWR);
    assert_true(fd >= 0 && fstat(fd, &sb) == 0);
    assert_int_equal(sb.st_size % WP, 2 * 4096);
    uint8_t b = 0;
    off_t at = sb.st_size - WP - 2 * 4096 + 20;     /* page 0, byte 20 */
    assert_int_equal(pread(fd, &b, 1, at), 1);
    assert_int_equal(b, 55);
    b ^= 0x10;
    assert_int_equal(pwrite(fd, &b, 1, at), 1);
    close(fd);
    open_at(dfd, "g.snap", "k.base", m, WB_E_SNAPSHOT,
            "damaged (checksum of its memory images)");
    /* a FIFO in place of the base or of the layer: refused, never waited
     * on for a writer (alarm: an open that blocks ends the test run) */
    assert_int_equal(mkfifoat(dfd, "fifo", 0600), 0);
    alarm(20);
    open_at(dfd, "k.snap", "fifo", m, WB_E_SNAPSHOT,
            "its base: not a regular file");
    open_at(dfd, "fifo", "k.base", m, WB_E_SNAPSHOT, "not a regular file");
    alarm(0);
    const char *names[] = { "k.snap", "k.base", "g.snap", "other.snap",
                            "other.base", "whole2", "inplace", "fifo" };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        unlinkat(dfd, names[i], 0);
    close(dfd);
    rmdir(dir);
    wb_ckpt_free(c3);
    wb_ckpt_free(c2);
    stop(&r3);
    stop(&r);
    wb_snapshot_free(sl);
    wb_snapshot_free(sn);
    wb_module_release(m);
}

/* In the child under the filter: the tracker is refused there. */
static void expect_hashed(void)
{
    hashed = true;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rollback_and_updates),
        cmocka_unit_test(test_persist),
        cmocka_unit_test(test_layer),
    };
    int rc = cmocka_run_group_tests_name("tracked", tests, NULL, NULL);
    return rc | wb_test_run_filtered("hashed", tests,
                                     sizeof tests / sizeof tests[0],
                                     expect_hashed);
}
