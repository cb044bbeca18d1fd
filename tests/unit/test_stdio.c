/* test_stdio.c: the output counters of src/wasi/stdio.c as an output
 * callback sees them. A session kernel's callback wakes the step's thread,
 * which may read the usage at once: the bytes a callback is given must be
 * counted before it runs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasmbox.h"
#include "common/file.h"
#include "wasi/wasi.h"      /* wb_wasi_usage */

/* The module (tests/unit/wat/hello2.wat, built by the Makefile): "hello"
 * to stdout, twice. */
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
    size_t len;
    uint8_t *wasm = read_wasm("hello2.wasm", &len);
    assert_int_equal(wb_module_new(wasm, len, &m, &err), WB_OK);
    free(wasm);
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
