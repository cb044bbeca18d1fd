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
    if (wb_ckpt_persist(c, dfd, "k.snap", &err) != WB_OK)
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
    if (wb_ckpt_persist(c, dfd, "k.snap", &err) != WB_OK)  /* replaced */
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
    };
    int rc = cmocka_run_group_tests_name("tracked", tests, NULL, NULL);
    return rc | wb_test_run_filtered("hashed", tests,
                                     sizeof tests / sizeof tests[0],
                                     expect_hashed);
}
