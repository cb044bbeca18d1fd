/* test_deferred.c: what pre-initialized guests (src/sandbox/preinit.c)
 * need from the engine: wb_module_load_deferred, which validates each
 * function body before its first call instead of all of them up front,
 * files over 64 KiB mapped (private copies of their pages made before
 * a body is translated), the bodies found and the names decoded only
 * when first needed, and wb_instance_func_named. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdatomic.h>
#include <unistd.h>

#include "wasmbox.h"
#include "engine.h"

/* () -> i32 twice: "ok" (function 0) returns 1; "bad" (function 1) is
 * invalid (i32.add on an empty stack). The name section calls function 1
 * "hidden". A custom section of 70,000 zeros follows (pad_len). */
static const uint8_t head[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f,                  /* types */
    0x03, 0x03, 0x02, 0x00, 0x00,                              /* funcs */
    0x07, 0x0c, 0x02, 0x02, 'o', 'k', 0x00, 0x00,              /* exports */
    0x03, 'b', 'a', 'd', 0x00, 0x01,
    0x0a, 0x0a, 0x02, 0x04, 0x00, 0x41, 0x01, 0x0b,            /* code */
    0x03, 0x00, 0x6a, 0x0b,
    0x00, 0x14, 0x04, 'n', 'a', 'm', 'e', 0x01, 0x0d, 0x02,    /* names */
    0x00, 0x02, 'o', 'k', 0x01, 0x06, 'h', 'i', 'd', 'd', 'e', 'n',
    0x00, 0xf4, 0xa2, 0x04, 0x03, 'p', 'a', 'd',               /* 70,004 */
};
enum { pad_len = 70000 };

static char path[64];

static int setup(void **state)
{
    snprintf(path, sizeof path, "/tmp/test_deferred.XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0)
        return -1;
    uint8_t *pad = calloc(1, pad_len);
    int ok = pad && write(fd, head, sizeof head) == (ssize_t)sizeof head &&
             write(fd, pad, pad_len) == pad_len;
    free(pad);
    close(fd);
    return ok ? 0 : -1;
}

static int teardown(void **state)
{
    unlink(path);
    return 0;
}

static void test_full_load_refuses(void **state)
{
    wb_module *m = NULL;
    wb_error err = { 0 };
    assert_int_equal(wb_module_load(path, &m, &err), WB_E_INVALID);
    assert_null(m);
}

static wb_status call(wb_store *s, wb_func *f, int32_t *out, wb_error *err)
{
    wb_val r = { 0 };
    wb_status st = wb_func_call(s, f, NULL, 0, &r, 1, err);
    *out = r.of.i32;
    return st;
}

static void test_deferred_validates_on_call(void **state)
{
    wb_module *m = NULL;
    wb_store *s = NULL;
    wb_instance *inst = NULL;
    wb_linker *l = wb_linker_new();
    wb_error err = { 0 };
    int32_t v = 0;
    assert_int_equal(wb_module_load_deferred(path, &m, &err), WB_OK);
    assert_int_equal(m->len, sizeof head + pad_len);
    assert_true(m->bytes_map > 0);               /* read through a mapping */
    assert_int_equal(wb_store_new(NULL, &s, &err), WB_OK);
    assert_int_equal(wb_instantiate(s, m, l, &inst, &err), WB_OK);
    assert_int_equal(call(s, wb_instance_func(inst, "ok"), &v, &err), WB_OK);
    assert_int_equal(v, 1);
    /* the invalid body is found before any of it runs, on every call */
    for (int i = 0; i < 2; i++) {
        assert_int_equal(call(s, wb_instance_func(inst, "bad"), &v, &err),
                         WB_E_INVALID);
        assert_non_null(strstr(err.message, "function 1"));
    }
    assert_int_equal(call(s, wb_instance_func(inst, "ok"), &v, &err), WB_OK);
    wb_store_free(s);
    wb_linker_free(l);
    wb_module_release(m);
}

/* Byte `off` of the module's file becomes v (written in place). */
static void poke(off_t off, int v)
{
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    assert_int_equal(fseek(f, off, SEEK_SET), 0);
    assert_int_equal(fputc(v, f), v);
    assert_int_equal(fclose(f), 0);
}

/* The file is mapped, not copied, until a body is about to be
 * translated; then every page becomes a private copy, so a write to the
 * file can no longer change what the translator reads (it reads a body's
 * locals twice). */
static void test_file_pages_private(void **state)
{
    wb_module *m = NULL;
    wb_store *s = NULL;
    wb_instance *inst = NULL;
    wb_linker *l = wb_linker_new();
    wb_error err = { 0 };
    int32_t v = 0;
    const uint8_t code[] = { 0x04, 0x00, 0x41, 0x01, 0x0b };   /* "ok" */
    const uint8_t *at = memmem(head, sizeof head, code, sizeof code);
    assert_non_null(at);
    off_t konst = (off_t)(at - head) + 3;        /* the 1 of i32.const 1 */
    assert_int_equal(wb_module_load_deferred(path, &m, &err), WB_OK);
    assert_true(m->bytes_file);
    assert_false(atomic_load(&m->bodies_ready));
    poke(konst, 5);                              /* in place: seen */
    assert_int_equal(m->bytes[konst], 5);
    assert_int_equal(wb_store_new(NULL, &s, &err), WB_OK);
    assert_int_equal(wb_instantiate(s, m, l, &inst, &err), WB_OK);
    assert_int_equal(call(s, wb_instance_func(inst, "ok"), &v, &err), WB_OK);
    assert_int_equal(v, 5);
    assert_true(atomic_load(&m->bodies_ready));
    poke(konst, 9);                              /* after: not seen */
    assert_int_equal(m->bytes[konst], 5);
    poke(konst, 1);                              /* as the others want */
    wb_store_free(s);
    wb_linker_free(l);
    wb_module_release(m);
}

static void test_func_named(void **state)
{
    wb_module *m = NULL;
    wb_store *s = NULL;
    wb_instance *inst = NULL;
    wb_linker *l = wb_linker_new();
    wb_error err = { 0 };
    assert_int_equal(wb_module_load_deferred(path, &m, &err), WB_OK);
    assert_int_equal(wb_store_new(NULL, &s, &err), WB_OK);
    assert_int_equal(wb_instantiate(s, m, l, &inst, &err), WB_OK);
    assert_ptr_equal(wb_instance_func_named(inst, "ok"),
                     wb_instance_func(inst, "ok"));
    assert_ptr_equal(wb_instance_func_named(inst, "hidden"),
                     wb_instance_func(inst, "bad"));
    assert_null(wb_instance_func_named(inst, "bad"));   /* export name only */
    assert_null(wb_instance_func_named(inst, "nothing"));
    wb_store_free(s);
    wb_linker_free(l);
    wb_module_release(m);
}

/* The module of `head` with function 1's body size raised past the end
 * of the code section (the section's own size unchanged). */
static void write_bad_code(const char *to)
{
    uint8_t m[sizeof head];
    memcpy(m, head, sizeof m);
    const uint8_t body1[] = { 0x03, 0x00, 0x6a, 0x0b };
    uint8_t *at = memmem(m, sizeof m, body1, sizeof body1);
    assert_non_null(at);
    *at = 0x09;
    FILE *f = fopen(to, "wb");
    assert_non_null(f);
    uint8_t *pad = calloc(1, pad_len);
    assert_int_equal(fwrite(m, 1, sizeof m, f), sizeof m);
    assert_int_equal(fwrite(pad, 1, pad_len, f), pad_len);
    assert_int_equal(fclose(f), 0);
    free(pad);
}

/* A deferred load finds the bodies when the first is about to be
 * translated, not when it decodes the module: a code section that does
 * not hold its bodies then fails every call (a full load refuses it). */
static void test_bodies_found_late(void **state)
{
    char bad[80];
    wb_module *m = NULL;
    wb_store *s = NULL;
    wb_instance *inst = NULL;
    wb_linker *l = wb_linker_new();
    wb_error err = { 0 };
    int32_t v = 0;
    snprintf(bad, sizeof bad, "%s.bad", path);
    write_bad_code(bad);
    assert_int_equal(wb_module_load(bad, &m, &err), WB_E_MALFORMED);
    assert_int_equal(wb_module_load_deferred(bad, &m, &err), WB_OK);
    assert_true(m->bodies_pending);
    assert_null(m->funcdefs[0].body);
    assert_int_equal(wb_store_new(NULL, &s, &err), WB_OK);
    assert_int_equal(wb_instantiate(s, m, l, &inst, &err), WB_OK);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(call(s, wb_instance_func(inst, "ok"), &v, &err),
                         WB_E_MALFORMED);
        assert_non_null(strstr(err.message, "code section"));
    }
    assert_false(atomic_load(&m->bodies_ready));
    wb_store_free(s);
    wb_module_release(m);
    unlink(bad);
    /* the good module: found on the first call */
    assert_int_equal(wb_module_load_deferred(path, &m, &err), WB_OK);
    assert_null(m->funcdefs[0].body);
    assert_int_equal(wb_store_new(NULL, &s, &err), WB_OK);
    assert_int_equal(wb_instantiate(s, m, l, &inst, &err), WB_OK);
    assert_int_equal(call(s, wb_instance_func(inst, "ok"), &v, &err), WB_OK);
    assert_non_null(m->funcdefs[1].body);
    assert_int_equal(m->funcdefs[1].body_len, 3);
    wb_store_free(s);
    wb_linker_free(l);
    wb_module_release(m);
}

/* The function names are decoded when first asked for by index; a
 * lookup by name reads the section without decoding it. */
static void test_names_lazy(void **state)
{
    wb_module *m = NULL;
    wb_store *s = NULL;
    wb_instance *inst = NULL;
    wb_linker *l = wb_linker_new();
    wb_error err = { 0 };
    assert_int_equal(wb_module_load_deferred(path, &m, &err), WB_OK);
    assert_int_equal(wb_store_new(NULL, &s, &err), WB_OK);
    assert_int_equal(wb_instantiate(s, m, l, &inst, &err), WB_OK);
    assert_ptr_equal(wb_instance_func_named(inst, "hidden"),
                     wb_instance_func(inst, "bad"));
    assert_int_equal(wb_module_find_name(m, "ok"), 0);
    assert_int_equal(wb_module_find_name(m, "hid"), UINT32_MAX);
    const char *const names[] = { "hidden", "nothing", "ok", "hiddenx" };
    wb_func *f[4];
    wb_instance_funcs_named(inst, names, 4, f);    /* in one pass */
    assert_ptr_equal(f[0], wb_instance_func(inst, "bad"));
    assert_null(f[1]);
    assert_ptr_equal(f[2], wb_instance_func(inst, "ok"));
    assert_null(f[3]);
    assert_false(atomic_load(&m->names_done));
    assert_null(m->func_names);
    assert_string_equal(wb_module_func_name(m, 1), "hidden");
    assert_true(atomic_load(&m->names_done));
    assert_int_equal(wb_module_find_name(m, "hidden"), 1);   /* the table */
    assert_int_equal(wb_module_find_name(m, "nothing"), UINT32_MAX);
    wb_store_free(s);
    wb_linker_free(l);
    wb_module_release(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_load_refuses),
        cmocka_unit_test(test_deferred_validates_on_call),
        cmocka_unit_test(test_file_pages_private),
        cmocka_unit_test(test_func_named),
        cmocka_unit_test(test_bodies_found_late),
        cmocka_unit_test(test_names_lazy),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
