/* test_stdio.c: the output counters of src/wasi/stdio.c as an output
 * callback sees them. A session kernel's callback wakes the step's thread,
 * which may read the usage at once: the bytes a callback is given must be
 * counted before it runs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "wasmbox.h"
#include "wasi/wasi.h"      /* wb_wasi_usage */

/* (module
 *   (import "wasi_snapshot_preview1" "fd_write"
 *     (func $fd_write (param i32 i32 i32 i32) (result i32)))
 *   (memory (export "memory") 1)
 *   (data (i32.const 0) "\10\00\00\00\05\00\00\00")   ;; iovec: 16, 5
 *   (data (i32.const 16) "hello")
 *   (func (export "_start")        ;; "hello" to stdout, twice
 *     (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1)
 *                           (i32.const 32)))
 *     (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1)
 *                           (i32.const 32))))) */
static const uint8_t mod_hello2[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x0c, 0x02, 0x60,
    0x04, 0x7f, 0x7f, 0x7f, 0x7f, 0x01, 0x7f, 0x60, 0x00, 0x00, 0x02, 0x23,
    0x01, 0x16, 0x77, 0x61, 0x73, 0x69, 0x5f, 0x73, 0x6e, 0x61, 0x70, 0x73,
    0x68, 0x6f, 0x74, 0x5f, 0x70, 0x72, 0x65, 0x76, 0x69, 0x65, 0x77, 0x31,
    0x08, 0x66, 0x64, 0x5f, 0x77, 0x72, 0x69, 0x74, 0x65, 0x00, 0x00, 0x03,
    0x02, 0x01, 0x01, 0x05, 0x03, 0x01, 0x00, 0x01, 0x07, 0x13, 0x02, 0x06,
    0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x00, 0x06, 0x5f, 0x73, 0x74,
    0x61, 0x72, 0x74, 0x00, 0x01, 0x0a, 0x1a, 0x01, 0x18, 0x00, 0x41, 0x01,
    0x41, 0x00, 0x41, 0x01, 0x41, 0x20, 0x10, 0x00, 0x1a, 0x41, 0x01, 0x41,
    0x00, 0x41, 0x01, 0x41, 0x20, 0x10, 0x00, 0x1a, 0x0b, 0x0b, 0x18, 0x02,
    0x00, 0x41, 0x00, 0x0b, 0x08, 0x10, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00,
    0x00, 0x00, 0x41, 0x10, 0x0b, 0x05, 0x68, 0x65, 0x6c, 0x6c, 0x6f
};

struct seen {
    wb_wasi *w;
    int calls;
    uint64_t stdout_bytes[2];   /* the usage each call saw */
};

/* Accepts the first write, refuses the second (EIO to the guest). */
static int output(void *user, int stream, const uint8_t *d, size_t n)
{
    struct seen *s = user;
    wb_run_result u;
    memset(&u, 0, sizeof u);
    wb_wasi_usage(s->w, &u);
    assert_int_equal(stream, 1);
    assert_int_equal(n, 5);
    if (s->calls < 2)
        s->stdout_bytes[s->calls] = u.stdout_bytes;
    return s->calls++ == 0 ? 0 : -1;
}

static void test_counted_before_the_callback(void **state)
{
    struct seen seen = { 0 };
    wb_sandbox_config cfg;
    wb_sandbox_config_init(&cfg);
    cfg.output = output;
    cfg.output_user = &seen;
    wb_error err = { 0 };
    wb_module *m;
    wb_store *s;
    wb_linker *l = wb_linker_new();
    wb_instance *inst;
    assert_non_null(l);
    assert_int_equal(wb_module_new(mod_hello2, sizeof mod_hello2, &m, &err),
                     WB_OK);
    assert_int_equal(wb_wasi_new(&cfg, &seen.w, &err), WB_OK);
    assert_int_equal(wb_store_new(NULL, &s, &err), WB_OK);
    assert_int_equal(wb_wasi_define(seen.w, s, l, &err), WB_OK);
    wb_store_set_user(s, seen.w);
    assert_int_equal(wb_instantiate(s, m, l, &inst, &err), WB_OK);
    wb_func *start = wb_instance_func(inst, "_start");
    assert_non_null(start);
    assert_int_equal(wb_func_call(s, start, NULL, 0, NULL, 0, &err), WB_OK);

    assert_int_equal(seen.calls, 2);
    assert_int_equal(seen.stdout_bytes[0], 5);   /* already counted */
    assert_int_equal(seen.stdout_bytes[1], 10);
    wb_run_result u;
    memset(&u, 0, sizeof u);
    wb_wasi_usage(seen.w, &u);
    assert_int_equal(u.stdout_bytes, 5);         /* the refused write: not */

    wb_linker_free(l);
    wb_store_free(s);
    wb_wasi_free(seen.w);
    wb_module_release(m);
    wb_sandbox_config_free(&cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counted_before_the_callback),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
