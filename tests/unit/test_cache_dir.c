/* test_cache_dir.c: the code cache's directories (src/engine/
 * native_cache.c, wb_cache_dir) are made when asked, each looked at once
 * per lookup (a path walk of the kernel each, at every cached start),
 * and one that other users may write is refused. stat and lstat are
 * this file's: the library's calls come here and are counted. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/native.h"

static int g_stats;

int stat(const char *path, struct stat *sb)
{
    g_stats++;
    return fstatat(AT_FDCWD, path, sb, 0);
}

int lstat(const char *path, struct stat *sb)
{
    g_stats++;
    return fstatat(AT_FDCWD, path, sb, AT_SYMLINK_NOFOLLOW);
}

static char g_base[64];

static int setup(void **state)
{
    snprintf(g_base, sizeof g_base, "/tmp/wbcachedir.XXXXXX");
    if (!mkdtemp(g_base))
        return -1;
    return setenv("XDG_CACHE_HOME", g_base, 1);
}

static int teardown(void **state)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_base);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_each_directory_once(void **state)
{
    char dir[4400];
    wb_error e = { 0 };
    assert_int_equal(wb_cache_dir("native", true, dir, sizeof dir, &e),
                     WB_OK);
    struct stat sb;
    assert_int_equal(fstatat(AT_FDCWD, dir, &sb, 0), 0);
    assert_true(S_ISDIR(sb.st_mode));
    assert_int_equal(sb.st_mode & 0777, 0700);
    g_stats = 0;
    assert_int_equal(wb_cache_dir("native", false, dir, sizeof dir, &e),
                     WB_OK);
    assert_int_equal(g_stats, 3);       /* the base, wasmbox/, native/ */
}

static void test_writable_by_others_refused(void **state)
{
    char dir[4400], own[128];
    wb_error e = { 0 };
    snprintf(own, sizeof own, "%s/wasmbox", g_base);
    assert_int_equal(chmod(own, 0777), 0);
    assert_int_equal(wb_cache_dir("native", false, dir, sizeof dir, &e),
                     WB_E_INVALID);
    assert_int_equal(chmod(own, 0700), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_directory_once),
        cmocka_unit_test(test_writable_by_others_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
