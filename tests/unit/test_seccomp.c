/* test_seccomp.c: the lock-down's seccomp programs built into wasmbox
 * (src/sandbox/gen/seccomp_gen.c, at build time) are, for each of their
 * eight variants, exactly what libseccomp makes of the rules now. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <linux/filter.h>
#include <string.h>

#include "sandbox/oslock.h"

static void test_builtin_is_libseccomps(void **state)
{
    for (int v = 0; v < 8; v++) {
        bool trap = v & 4, nosuid = v & 2, net = v & 1;
        wb_error e = { 0 };
        void *built = wb_oslock_seccomp_build(trap, nosuid, net, &e);
        void *now = wb_oslock_seccomp_compile(trap, nosuid, net, &e);
        assert_non_null(built);
        assert_non_null(now);
        unsigned n1 = 0, n2 = 0;
        const struct sock_filter *a = wb_oslock_seccomp_insns(built, &n1);
        const struct sock_filter *b = wb_oslock_seccomp_insns(now, &n2);
        if (n1 != n2 || memcmp(a, b, n1 * sizeof *a))
            fail_msg("variant trap=%d nosuid=%d net=%d: the built-in "
                     "program (%u instructions) is not libseccomp's (%u): "
                     "rebuild", trap, nosuid, net, n1, n2);
        assert_true(n1 > 100);
        wb_oslock_seccomp_free(built);        /* built-in: stays */
        wb_oslock_seccomp_free(now);
        assert_ptr_equal(wb_oslock_seccomp_build(trap, nosuid, net, &e),
                         built);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_builtin_is_libseccomps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
