/* test_mempool.c: memories reused through the reservation pool
 * (src/engine/pool.c). A small memory is zeroed in place and stays
 * read-write in the pool; its next user must still find every byte zero
 * and everything past its own size inaccessible (the guard region that
 * stands in for bounds checks in the native tier). It is zeroed when it
 * is taken again, so giving it back maps none of the pages its guest left
 * untouched (a one-shot run gives it back just before exiting). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "wasmbox.h"
#include "common/file.h"
#include "engine/engine.h"    /* WB_BOUNDS_CHECKS */

typedef struct { wb_store *s; wb_linker *l; wb_module *m; wb_instance *i; } inst;

static void start(inst *x, const char *name)
{
    char path[4096];
    uint8_t *b;
    size_t len;
    wb_error err = { 0 };
    snprintf(path, sizeof path, "%s/%s", WB_TEST_WASM, name);
    if (wb_file_read(path, 1 << 20, &b, &len))
        fail_msg("%s: cannot read (make builds it from tests/unit/wat/)", path);
    assert_int_equal(wb_module_new(b, len, &x->m, &err), WB_OK);
    free(b);
    assert_int_equal(wb_store_new(NULL, &x->s, &err), WB_OK);
    assert_non_null(x->l = wb_linker_new());
    assert_int_equal(wb_instantiate(x->s, x->m, x->l, &x->i, &err), WB_OK);
    wb_func *f = wb_instance_func(x->i, "_start");
    assert_non_null(f);
    assert_int_equal(wb_func_call(x->s, f, NULL, 0, NULL, 0, &err), WB_OK);
}

static void stop(inst *x)
{
    wb_linker_free(x->l);
    wb_store_free(x->s);
    wb_module_release(x->m);
}

/* true when reading p kills a child process with SIGSEGV */
static bool faults(const volatile uint8_t *p)
{
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGSEGV, SIG_DFL);
        (void)*p;
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    return WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV;
}

/* A big memory's reservation goes back, then a one-page memory reuses it,
 * then the other way round. */
static void test_reused_memory(void **state)
{
    (void)state;
    for (int round = 0; round < 3; round++) {
        inst big, small;
        start(&big, "mem4.wasm");
        uint8_t *d = wb_memory_data(wb_instance_memory(big.i, "memory"));
        assert_int_equal(d[262143], 0xcc);
        stop(&big);
        start(&small, "mem1.wasm");
        wb_memory *m = wb_instance_memory(small.i, "memory");
        assert_int_equal(wb_memory_size(m), 65536);
        d = wb_memory_data(m);
        for (size_t i = 0; i < 65536; i++)
            if (d[i])
                fail_msg("byte %zu of a reused memory is %#x", i, d[i]);
        /* past its size: closed, whatever the last user had open
           (a build without a guard region checks bounds in software
           and reserves only the memory's maximum: then not tested) */
#if !WB_BOUNDS_CHECKS
        assert_true(faults(d + 65536));
        assert_true(faults(d + 262143));
#else
        (void)faults;
#endif
        stop(&small);
        start(&big, "mem4.wasm");
        d = wb_memory_data(wb_instance_memory(big.i, "memory"));
        assert_int_equal(d[1], 0);
        assert_int_equal(d[65537], 0);
        stop(&big);
    }
}

/* mem4.wasm writes bytes 0, 65536 and 262143: after the memory went
 * back to the pool, the pages in between are still not mapped. */
static void test_give_back_leaves_untouched_pages(void **state)
{
    (void)state;
    inst big;
    start(&big, "mem4.wasm");
    uint8_t *d = wb_memory_data(wb_instance_memory(big.i, "memory"));
    assert_int_equal((uintptr_t)d % 4096, 0);
    /* a reused reservation was zeroed when taken, which mapped them:
       unmap the (zero) pages the guest did not write */
    assert_int_equal(madvise(d + 4096, 15 * 4096, MADV_DONTNEED), 0);
    stop(&big);
    unsigned char in[15];              /* bytes 4096 .. 65535 */
    assert_int_equal(mincore(d + 4096, sizeof in * 4096, in), 0);
    for (size_t i = 0; i < sizeof in; i++)
        if (in[i] & 1)
            fail_msg("page at %zu was mapped by giving the memory back",
                     (i + 1) * 4096);
    /* and the next user still finds zeros there and at the ends */
    start(&big, "mem4.wasm");
    d = wb_memory_data(wb_instance_memory(big.i, "memory"));
    assert_int_equal(d[1], 0);
    assert_int_equal(d[4096], 0);
    assert_int_equal(d[65537], 0);
    stop(&big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reused_memory),
        cmocka_unit_test(test_give_back_leaves_untouched_pages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
