/* test_tmpfs.c: tmpfs internals (src/wasi/tmpfs.c, tmpdata.c): sparse
 * contents against a dense model, what holes cost, the space limit, node
 * lifetimes when fds and the file system are released in either order,
 * with several names per file, symlinks in lookups, and the accounting
 * of the size under links (run under ASan, leaks and double frees
 * fail). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <malloc.h>

#include "wasi/wasi.h"

#ifndef __has_feature
#define __has_feature(x) 0
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__) || \
    __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
/* from the sanitizer runtime (gcc ships no header declaring it) */
size_t __sanitizer_get_current_allocated_bytes(void);
static size_t heap_bytes(void) { return __sanitizer_get_current_allocated_bytes(); }
#else
static size_t heap_bytes(void) { return mallinfo2().uordblks; }
#endif

#define MODEL (3u << 20)       /* past one 512-page table: two levels */

static uint64_t rng = 88172645463325252ull;
static uint64_t rnd(uint64_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng % n;
}

static void expect_same(const wb_tdata *d, const uint8_t *model,
                        uint64_t size)
{
    static uint8_t got[MODEL];
    wb_tdata_read(d, 0, got, (size_t)size);
    assert_memory_equal(got, model, (size_t)size);
}

static void test_sparse_model(void **state)
{
    static uint8_t model[MODEL];
    static uint8_t src[70000];
    wb_tspace sp = { .cap = UINT64_MAX };
    wb_tdata d = { 0 };
    uint64_t size = 0;
    for (int step = 0; step < 3000; step++) {
        uint64_t r = rnd(10);
        if (r < 6) {                                 /* write */
            uint64_t len = rnd(r < 3 ? 100 : sizeof src);
            uint64_t off = rnd(3) ? rnd(MODEL - len) : rnd(5000);
            size_t done;
            for (uint64_t i = 0; i < len; i++)
                src[i] = (uint8_t)rnd(255) + 1;
            assert_int_equal(wb_tdata_write(&d, &sp, off, src, len, &done), 0);
            assert_int_equal(done, len);
            memcpy(model + off, src, len);
            if (off + len > size)
                size = off + len;
        } else if (r < 8) {                          /* truncate */
            uint64_t to = rnd(4) ? rnd(size + 1) : rnd(3) ? rnd(5000) : 0;
            if (to < size) {
                wb_tdata_trim(&d, &sp, to);
                memset(model + to, 0, size - to);
            }
            size = to;
        } else if (r < 9) {                          /* fd_allocate */
            uint64_t off = rnd(MODEL / 2), len = 1 + rnd(MODEL / 2 - 1);
            assert_int_equal(wb_tdata_reserve(&d, &sp, off, len), 0);
            if (off + len > size)
                size = off + len;
        } else {
            expect_same(&d, model, size);
        }
    }
    expect_same(&d, model, size);
    wb_tdata_trim(&d, &sp, 0);
    assert_int_equal(sp.used, 0);
    assert_null(d.root);
}

/* One byte at 512 GiB: a page and a table per level, no more. */
static void test_hole_costs_nothing(void **state)
{
    wb_tspace sp = { .cap = 1 << 20 };
    wb_tdata d = { 0 };
    size_t done;
    uint8_t b = 'x', z[3] = { 1, 1, 1 };
    assert_int_equal(wb_tdata_write(&d, &sp, 1ull << 39, &b, 1, &done), 0);
    assert_true(sp.used <= 4096 * 5);
    wb_tdata_read(&d, (1ull << 39) - 1, z, 3);
    assert_int_equal(z[0], 0);
    assert_int_equal(z[1], 'x');
    assert_int_equal(z[2], 0);
    wb_tdata_read(&d, 12345, z, 3);
    assert_int_equal(z[0] | z[1] | z[2], 0);
    wb_tdata_trim(&d, &sp, 0);
    assert_int_equal(sp.used, 0);
}

/* Past the space: a short write, nothing allocated beyond the cap. */
static void test_space_limit(void **state)
{
    static uint8_t src[100000];
    wb_tspace sp = { .cap = 50000 };
    wb_tdata d = { 0 };
    size_t done;
    assert_int_equal(wb_tdata_write(&d, &sp, 0, src, sizeof src, &done),
                     WE_NOSPC);
    assert_true(done > 0 && done < sizeof src);
    assert_true(sp.used <= sp.cap);
    wb_tdata_trim(&d, &sp, 0);
    assert_int_equal(sp.used, 0);
}

/* The fixture of tests on one tmpfs: its size comes as the initial state
 * (a uint64_t), the tmpfs replaces it, and is freed after the test
 * whether its assertions held or not (no leak report hides a failure).
 * Tests of the order in which a tmpfs and its nodes go make their own. */
static int tfs_setup(void **state)
{
    wb_tfs *fs = wb_tfs_new(*(const uint64_t *)*state);
    if (!fs)
        return -1;
    *state = fs;
    return 0;
}

static int tfs_teardown(void **state)
{
    wb_tfs_free(*state);
    return 0;
}

static const uint64_t size_64k = 64 << 10, size_1m = 1 << 20;

/* A tree with open nodes, some removed; release fds and fs in `order`. */
static void lifetimes(bool fds_first)
{
    wb_tfs *fs = wb_tfs_new(1 << 20);
    wb_tnode *root = wb_tfs_root(fs), *d, *f, *g, *sub;
    assert_int_equal(wb_tfs_create(root, "d", true, &d), 0);
    assert_int_equal(wb_tfs_create(d, "sub", true, &sub), 0);
    assert_int_equal(wb_tfs_create(root, "f", false, &f), 0);
    assert_int_equal(wb_tfs_create(d, "g", false, &g), 0);
    wb_tnode_ref(root);
    wb_tnode_ref(sub);
    wb_tnode_ref(f);
    wb_tnode_ref(g);
    struct iovec v = { "hello", 5 };
    size_t done;
    assert_int_equal(wb_tfs_write(f, 1000, &v, 1, &done), 0);
    /* removed while open; no creating or renaming into it */
    assert_int_equal(wb_tfs_remove(d, "sub", true, false), 0);
    assert_int_equal(wb_tfs_create(sub, "x", false, &d), WE_NOENT);
    assert_int_equal(wb_tfs_rename(root, "f", sub, "f", false), WE_NOENT);
    const char *name;
    uint64_t ino;
    uint8_t type;
    assert_false(wb_tfs_dirent(sub, 0, &name, &ino, &type));
    assert_int_equal(wb_tfs_rename(root, "f", root, "f2", false), 0);
    if (fds_first) {
        wb_tnode_unref(root);
        wb_tnode_unref(sub);
        wb_tnode_unref(f);
        wb_tnode_unref(g);
        wb_tfs_free(fs);
    } else {
        wb_tfs_free(fs);                  /* nodes outlive the fs */
        assert_int_equal(wb_tfs_write(f, 0, &v, 1, &done), 0);
        wb_tnode_unref(g);
        wb_tnode_unref(f);
        wb_tnode_unref(sub);
        wb_tnode_unref(root);             /* the last one frees the fs */
    }
}

/* Host memory stays within the size however the guest moves entries
 * around: fill one directory, then move everything into a new directory
 * again and again. Each emptied table must shrink, and the tables count
 * against the size (they once did neither: ~36 KiB of host memory per
 * directory, uncharged). */
static void test_dir_tables_bounded(void **state)
{
    enum { FILES = 2049, DIRS = 40, CAP = 1 << 20 };
    size_t before = heap_bytes();
    wb_tfs *fs = wb_tfs_new(CAP);
    wb_tnode *root = wb_tfs_root(fs), *from, *to, *n;
    char name[16];
    assert_int_equal(wb_tfs_create(root, "d0", true, &from), 0);
    for (int i = 0; i < FILES; i++) {
        snprintf(name, sizeof name, "%x", i);
        assert_int_equal(wb_tfs_create(from, name, false, &n), 0);
    }
    for (int d = 1; d < DIRS; d++) {
        snprintf(name, sizeof name, "d%d", d);
        assert_int_equal(wb_tfs_create(root, name, true, &to), 0);
        for (int i = FILES - 1; i >= 0; i--) {
            snprintf(name, sizeof name, "%x", i);
            assert_int_equal(wb_tfs_rename(from, name, to, name, false), 0);
        }
        from = to;
    }
    size_t grew = heap_bytes() - before;
    assert_true(grew < CAP + (64u << 10));
    wb_tfs_free(fs);
}

/* Hard links: a file lives while any name or fd holds it; each name is
 * paid for, and everything is given back once the last one goes. */
static void links(bool fds_first)
{
    wb_tfs *fs = wb_tfs_new(1 << 20);
    wb_tnode *root = wb_tfs_root(fs), *d, *f, *n;
    wb_fstat st;
    size_t done;
    struct iovec v = { "hello", 5 };
    assert_int_equal(wb_tfs_create(root, "d", true, &d), 0);
    assert_int_equal(wb_tfs_create(root, "f", false, &f), 0);
    assert_int_equal(wb_tfs_write(f, 0, &v, 1, &done), 0);
    assert_int_equal(wb_tfs_link(f, d, "g", false), 0);
    assert_int_equal(wb_tfs_link(f, root, "h", false), 0);
    assert_int_equal(wb_tfs_link(f, root, "h", false), WE_EXIST);
    assert_int_equal(wb_tfs_link(f, root, "new", true), WE_NOENT);
    assert_int_equal(wb_tfs_link(d, root, "dl", false), WE_PERM);
    wb_tfs_stat(f, &st);
    assert_int_equal(st.nlink, 3);
    /* one name goes, the data stays under the others */
    assert_int_equal(wb_tfs_remove(root, "f", false, false), 0);
    assert_int_equal(wb_tfs_lookup(d, "g", true, &n), 0);
    assert_ptr_equal(n, f);
    wb_tfs_stat(f, &st);
    assert_int_equal(st.nlink, 2);
    /* rename over another name of the same file: nothing happens */
    assert_int_equal(wb_tfs_rename(root, "h", d, "g", false), 0);
    assert_non_null(wb_tfs_child(root, "h"));
    wb_tnode_ref(f);
    assert_int_equal(wb_tfs_remove(root, "h", false, false), 0);
    assert_int_equal(wb_tfs_remove(d, "g", false, false), 0);
    wb_tfs_stat(f, &st);
    assert_int_equal(st.nlink, 0);
    assert_int_equal(wb_tfs_link(f, root, "back", false), WE_NOENT);
    assert_int_equal(wb_tfs_write(f, 5, &v, 1, &done), 0);   /* still open */
    if (fds_first) {
        wb_tnode_unref(f);
        wb_tfs_free(fs);
    } else {
        wb_tfs_free(fs);
        assert_int_equal(wb_tfs_write(f, 0, &v, 1, &done), 0);
        wb_tnode_unref(f);                /* the last one frees the fs */
    }
}

static void test_links_fds_first(void **state) { links(true); }
static void test_links_fs_first(void **state) { links(false); }

/* Every name costs what a node costs, a symlink its target too: a full
 * tmpfs refuses more names (ENOSPC) and gets the space back after. */
static void test_link_space(void **state)
{
    wb_tfs *fs = *state;                  /* 64 KiB */
    wb_tnode *root = wb_tfs_root(fs), *f, *d;
    char name[32], target[1024];
    int made = 0, rc;
    assert_int_equal(wb_tfs_create(root, "f", false, &f), 0);
    assert_int_equal(wb_tfs_create(root, "d", true, &d), 0);
    for (;;) {
        snprintf(name, sizeof name, "link%d", made);
        if ((rc = wb_tfs_link(f, d, name, false)))
            break;
        made++;
    }
    assert_int_equal(rc, WE_NOSPC);
    assert_true(made > 100 && made < (64 << 10) / 256);
    memset(target, 'x', sizeof target - 1);
    target[sizeof target - 1] = 0;
    assert_int_equal(wb_tfs_symlink(root, "s", target, false), WE_NOSPC);
    for (int i = 0; i < made; i++) {
        snprintf(name, sizeof name, "link%d", i);
        assert_int_equal(wb_tfs_remove(d, name, false, false), 0);
    }
    /* the names were given back: 40 long symlinks fit now */
    for (int i = 0; i < 40; i++) {
        snprintf(name, sizeof name, "s%d", i);
        assert_int_equal(wb_tfs_symlink(root, name, target, false), 0);
    }
}

/* Symlinks in lookups: followed in the middle and (when asked) at the
 * end, never above the start, at most 40 of them. */
static void test_symlink_walk(void **state)
{
    wb_tfs *fs = *state;                  /* 1 MiB */
    wb_tnode *root = wb_tfs_root(fs), *a, *b, *f, *n;
    wb_fstat st;
    char name[16], target[16];
    assert_int_equal(wb_tfs_create(root, "a", true, &a), 0);
    assert_int_equal(wb_tfs_create(a, "b", true, &b), 0);
    assert_int_equal(wb_tfs_create(b, "f", false, &f), 0);
    assert_int_equal(wb_tfs_symlink(root, "la", "a/b", false), 0);
    assert_int_equal(wb_tfs_symlink(b, "up", "../..", false), 0);
    assert_int_equal(wb_tfs_symlink(b, "lf", "f", false), 0);
    assert_int_equal(wb_tfs_symlink(root, "la", "x", false), WE_EXIST);
    assert_int_equal(wb_tfs_lookup(root, "la/f", false, &n), 0);
    assert_ptr_equal(n, f);
    assert_int_equal(wb_tfs_lookup(root, "la/up/a/b/lf", true, &n), 0);
    assert_ptr_equal(n, f);
    assert_int_equal(wb_tfs_lookup(root, "la/lf", false, &n), 0);
    wb_tfs_stat(n, &st);
    assert_int_equal(st.type, WF_SYMLINK);
    assert_int_equal(st.size, 1);
    assert_int_equal(wb_tfs_lookup(root, "la/lf/", false, &n), WE_NOTDIR);
    assert_int_equal(wb_tfs_lookup(root, "la/", false, &n), 0);
    assert_ptr_equal(n, b);
    /* from b, "up" climbs above the start */
    assert_int_equal(wb_tfs_lookup(b, "up", true, &n), WE_NOTCAPABLE);
    assert_int_equal(wb_tfs_lookup(b, "up", false, &n), 0);
    /* a chain of 40 links resolves, 41 is a loop */
    for (int i = 1; i <= 41; i++) {
        snprintf(name, sizeof name, "c%d", i);
        snprintf(target, sizeof target, "c%d", i - 1);
        assert_int_equal(wb_tfs_symlink(root, name, i == 1 ? "a" : target,
                                        false), 0);
    }
    assert_int_equal(wb_tfs_lookup(root, "c40", true, &n), 0);
    assert_ptr_equal(n, a);
    assert_int_equal(wb_tfs_lookup(root, "c41", true, &n), WE_LOOP);
}

/* Empty dir, then make and remove one file, so dir's table is the
 * smallest (tmpfs.c's shrink). Returns what fs then uses. */
static uint64_t used_empty(wb_tfs *fs, wb_tnode *dir)
{
    wb_tnode *k;
    wb_tfs_clear(dir);
    assert_int_equal(wb_tfs_create(dir, "x", false, &k), 0);
    assert_int_equal(wb_tfs_remove(dir, "x", false, false), 0);
    return wb_tfs_used(fs);
}

/* The size's accounting under links: random files, directories, hard
 * links, symlinks, renames (over other names of the same file, over
 * links), removals and writes, with fds holding nodes past their last
 * name. Once every fd is released and everything removed, the tmpfs
 * uses its root node only: nothing kept, nothing given back twice. */
static void test_link_accounting(void **state)
{
    enum { ROUNDS = 200, STEPS = 60, HELD = 8 };
    static const char *const paths[] = { "a", "b", "c", "d/a", "d/b",
                                         "d/e/a", "e", "d/e" };
    enum { NP = sizeof paths / sizeof *paths };
    struct iovec v = { "some bytes", 10 };
    for (int round = 0; round < ROUNDS; round++) {
        wb_tfs *fs = wb_tfs_new(64 << 10);
        wb_tnode *root = wb_tfs_root(fs), *held[HELD] = { NULL }, *n, *p, *q;
        uint64_t base = used_empty(fs, root);
        char last[NAME_MAX + 1], last2[NAME_MAX + 1];
        bool slash;
        size_t done;
        for (int step = 0; step < STEPS; step++) {
            const char *x = paths[rnd(NP)], *y = paths[rnd(NP)];
            if (wb_tfs_parent(root, x, &p, last, &slash))
                continue;
            switch (rnd(8)) {
            case 0: wb_tfs_create(p, last, rnd(3) == 0, &n); break;
            case 1:
                if (!wb_tfs_lookup(root, y, true, &n) &&
                    !wb_tfs_parent(root, x, &p, last, &slash))
                    wb_tfs_link(n, p, last, false);
                break;
            case 2: wb_tfs_symlink(p, last, rnd(2) ? "a" : "../d", false);
                    break;
            case 3:
                if (!wb_tfs_parent(root, y, &q, last2, &slash))
                    wb_tfs_rename(p, last, q, last2, false);
                break;
            case 4: wb_tfs_remove(p, last, false, false); break;
            case 5: wb_tfs_remove(p, last, true, false); break;
            case 6:
                if (!wb_tfs_lookup(root, x, true, &n) && !wb_tnode_is_dir(n))
                    wb_tfs_write(n, rnd(9000), &v, 1, &done);
                break;
            default: {
                wb_tnode **h = &held[rnd(HELD)];
                if (*h) {
                    wb_tnode_unref(*h);
                    *h = NULL;
                } else if (!wb_tfs_lookup(root, x, false, &n)) {
                    wb_tnode_ref(n);
                    *h = n;
                }
            }
            }
            assert_true(wb_tfs_used(fs) >= base);
        }
        for (int i = 0; i < HELD; i++)
            if (held[i])
                wb_tnode_unref(held[i]);
        assert_int_equal(used_empty(fs, root), base);
        wb_tfs_free(fs);
    }
}

static void test_release_fds_first(void **state) { lifetimes(true); }
static void test_release_fs_first(void **state) { lifetimes(false); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sparse_model),
        cmocka_unit_test(test_hole_costs_nothing),
        cmocka_unit_test(test_space_limit),
        cmocka_unit_test(test_dir_tables_bounded),
        cmocka_unit_test(test_release_fds_first),
        cmocka_unit_test(test_release_fs_first),
        cmocka_unit_test(test_links_fds_first),
        cmocka_unit_test(test_links_fs_first),
        cmocka_unit_test_prestate_setup_teardown(test_link_space, tfs_setup,
                                                 tfs_teardown,
                                                 (void *)&size_64k),
        cmocka_unit_test_prestate_setup_teardown(test_symlink_walk, tfs_setup,
                                                 tfs_teardown,
                                                 (void *)&size_1m),
        cmocka_unit_test(test_link_accounting),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
