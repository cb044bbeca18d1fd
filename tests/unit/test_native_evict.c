/* test_native_evict.c: the native code cache's size cap and eviction
 * (src/engine/native_evict.c), on a directory of stand-in files: the
 * least recently used go first (a use is the later of the file's mtime
 * and its .used file's), the file just written is kept even when it
 * alone is over the cap, other files (.failed, .lock, temporaries) are
 * neither counted nor removed, a busy trim lock makes a trim do nothing,
 * a file still open keeps its contents after eviction, and the cap's
 * environment variable parses its suffixes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "wasmbox.h"
#include "engine/native.h"

static char g_dir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(g_dir, sizeof g_dir, "/tmp/wb-evict-XXXXXX");
    return mkdtemp(g_dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* A file of `len` bytes whose mtime is `age` seconds in the past. */
static void put(const char *name, size_t len, int age)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", g_dir, name);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    char *b = calloc(1, len ? len : 1);
    assert_int_equal(write(fd, b, len), (ssize_t)len);
    free(b);
    struct timespec t[2];
    clock_gettime(CLOCK_REALTIME, &t[0]);
    t[0].tv_sec -= age;
    t[1] = t[0];
    assert_int_equal(futimens(fd, t), 0);
    close(fd);
}

static bool exists(const char *name)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", g_dir, name);
    return access(p, F_OK) == 0;
}

static unsigned trim(uint64_t cap, const char *keep)
{
    unsigned n = 0;
    wb_error err = { 0 };
    assert_int_equal(wb_native_cache_trim(g_dir, cap, keep, &n, &err), WB_OK);
    return n;
}

static void test_lru_order(void **state)
{
    (void)state;
    put("a.wbn", 1000, 400);
    put("b.wbn", 1000, 300);
    put("c.wbn", 1000, 200);
    put("d.wbn", 1000, 100);
    /* a was written first but used last: b and c are the oldest uses */
    put("a.wbn.used", 0, 10);
    put("x.wbn.failed", 5000, 1000);
    put("y.wbn.123.tmp", 5000, 1000);
    assert_int_equal(trim(4000, NULL), 0);          /* at the cap: kept */
    assert_int_equal(trim(2500, "d.wbn"), 2);
    assert_false(exists("b.wbn"));
    assert_false(exists("c.wbn"));
    assert_true(exists("a.wbn") && exists("a.wbn.used") && exists("d.wbn"));
    assert_true(exists("x.wbn.failed") && exists("y.wbn.123.tmp"));
}

static void test_used_removed_with_file(void **state)
{
    (void)state;
    put("a.wbn", 100, 300);
    put("a.wbn.used", 0, 200);
    put("b.wbn", 100, 100);
    assert_int_equal(trim(150, NULL), 1);
    assert_false(exists("a.wbn") || exists("a.wbn.used"));
    assert_true(exists("b.wbn"));
}

static void test_keep_over_cap(void **state)
{
    (void)state;
    put("old.wbn", 10, 100);
    put("new.wbn", 5000, 500);           /* older mtime, but just written */
    assert_int_equal(trim(1000, "new.wbn"), 1);
    assert_true(exists("new.wbn"));
    assert_false(exists("old.wbn"));
}

static void test_busy_lock(void **state)
{
    (void)state;
    put("a.wbn", 1000, 100);
    char p[256];
    snprintf(p, sizeof p, "%s/.trim.lock", g_dir);
    int lk = open(p, O_RDWR | O_CREAT, 0600);
    assert_true(lk >= 0);
    /* flock locks belong to the open file description: a second one
     * conflicts even within this process */
    assert_int_equal(flock(lk, LOCK_EX), 0);
    assert_int_equal(trim(0, NULL), 0);
    assert_true(exists("a.wbn"));
    close(lk);
    assert_int_equal(trim(0, NULL), 1);
}

static void test_open_file_survives(void **state)
{
    (void)state;
    put("a.wbn", 3, 100);
    char p[256];
    snprintf(p, sizeof p, "%s/a.wbn", g_dir);
    int fd = open(p, O_RDWR);
    assert_int_equal(pwrite(fd, "abc", 3, 0), 3);
    assert_int_equal(trim(0, NULL), 1);
    char b[4] = { 0 };
    assert_int_equal(pread(fd, b, 3, 0), 3);
    assert_string_equal(b, "abc");
    close(fd);
}

static void test_touch(void **state)
{
    (void)state;
    put("a.wbn", 100, 300);
    put("b.wbn", 100, 200);
    char p[256];
    snprintf(p, sizeof p, "%s/a.wbn", g_dir);
    struct stat before, after;
    assert_int_equal(stat(p, &before), 0);
    wb_native_cache_touch(p);              /* creates a.wbn.used */
    wb_native_cache_touch(p);              /* and updates it */
    assert_int_equal(stat(p, &after), 0);
    /* the code file itself is untouched: its stamp stays valid */
    assert_memory_equal(&before.st_ctim, &after.st_ctim, sizeof after.st_ctim);
    assert_int_equal(trim(150, NULL), 1);
    assert_true(exists("a.wbn"));
    assert_false(exists("b.wbn"));
}

static void test_cap_env(void **state)
{
    (void)state;
    unsetenv("WASMBOX_NATIVE_CACHE_MAX");
    assert_int_equal(wb_native_cache_cap(), 1ull << 30);
    static const struct { const char *s; uint64_t v; } cases[] = {
        { "0", 0 }, { "4096", 4096 }, { "2K", 2048 }, { "3m", 3ull << 20 },
        { "5GiB", 5ull << 30 }, { "1T", 1ull << 40 },
        { "x", 1ull << 30 }, { "-1", 1ull << 30 }, { "12Q", 1ull << 30 },
        { "99999999999999999999", 1ull << 30 },
        { "99999999999G", UINT64_MAX },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        setenv("WASMBOX_NATIVE_CACHE_MAX", cases[i].s, 1);
        assert_int_equal(wb_native_cache_cap(), cases[i].v);
    }
    unsetenv("WASMBOX_NATIVE_CACHE_MAX");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_lru_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_used_removed_with_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keep_over_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_busy_lock, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_file_survives, setup, teardown),
        cmocka_unit_test_setup_teardown(test_touch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cap_env, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
