/* test_validate.c: the function-body validator's error paths, and bodies
 * that must be accepted (polymorphic stack, deep nesting). Each case wraps
 * one body in a module: type 0 is [i32] -> [i32], type 1 is [] -> [],
 * function 0 has type 0, plus one memory, one funcref table and one
 * immutable i32 global. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "wasmbox.h"

typedef struct { uint8_t *p; size_t n, cap; } buf;

static void put(buf *b, const void *src, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 64;
        b->p = realloc(b->p, b->cap);
        assert_non_null(b->p);
    }
    memcpy(b->p + b->n, src, n);
    b->n += n;
}

static void put_u8(buf *b, uint8_t v) { put(b, &v, 1); }

static void put_uleb(buf *b, uint32_t v)
{
    do {
        uint8_t byte = v & 0x7f;
        v >>= 7;
        put_u8(b, byte | (v ? 0x80 : 0));
    } while (v);
}

static void put_section(buf *m, uint8_t id, const buf *body)
{
    put_u8(m, id);
    put_uleb(m, (uint32_t)body->n);
    put(m, body->p, body->n);
}

/* A module whose function 0 has `locals` (raw local declarations) and
 * `code` (the expression, including its final end). */
static wb_status compile_body(const uint8_t *code, size_t n, wb_error *err)
{
    static const uint8_t hdr[] = { 0, 'a', 's', 'm', 1, 0, 0, 0 };
    static const uint8_t types[] = { 2, 0x60, 1, 0x7f, 1, 0x7f, 0x60, 0, 0 };
    static const uint8_t funcs[] = { 1, 0 };
    static const uint8_t table[] = { 1, 0x70, 0, 1 };
    static const uint8_t mem[] = { 1, 0, 1 };
    static const uint8_t global[] = { 1, 0x7f, 0, 0x41, 7, 0x0b };
    buf m = { 0 }, s = { 0 }, body = { 0 };
    put(&m, hdr, sizeof hdr);
    s.p = (uint8_t *)types; s.n = sizeof types; put_section(&m, 1, &s);
    s.p = (uint8_t *)funcs; s.n = sizeof funcs; put_section(&m, 3, &s);
    s.p = (uint8_t *)table; s.n = sizeof table; put_section(&m, 4, &s);
    s.p = (uint8_t *)mem; s.n = sizeof mem; put_section(&m, 5, &s);
    s.p = (uint8_t *)global; s.n = sizeof global; put_section(&m, 6, &s);
    put_u8(&body, 0);                      /* no local declarations */
    put(&body, code, n);
    buf sec = { 0 };
    put_uleb(&sec, 1);
    put_uleb(&sec, (uint32_t)body.n);
    put(&sec, body.p, body.n);
    put_section(&m, 10, &sec);
    wb_module *mod = NULL;
    wb_status st = wb_module_new(m.p, m.n, &mod, err);
    if (mod) wb_module_release(mod);
    free(m.p); free(body.p); free(sec.p);
    return st;
}

/* The body is rejected as invalid with a message containing `want`. */
static void expect_invalid(const uint8_t *code, size_t n, const char *want)
{
    wb_error err;
    memset(&err, 0, sizeof err);
    wb_status st = compile_body(code, n, &err);
    assert_int_equal(st, WB_E_INVALID);
    if (!strstr(err.message, want))
        fail_msg("message \"%s\" lacks \"%s\"", err.message, want);
    assert_null(strchr(err.message, '\n'));
}

static void expect_valid(const uint8_t *code, size_t n)
{
    wb_error err;
    memset(&err, 0, sizeof err);
    wb_status st = compile_body(code, n, &err);
    if (st != WB_OK) fail_msg("rejected: %s", err.message);
}

#define INVALID(want, ...) do { \
    static const uint8_t c_[] = { __VA_ARGS__ }; \
    expect_invalid(c_, sizeof c_, want); } while (0)
#define VALID(...) do { \
    static const uint8_t c_[] = { __VA_ARGS__ }; \
    expect_valid(c_, sizeof c_); } while (0)

static void test_type_mismatch(void **state)
{
    (void)state;
    INVALID("type mismatch", 0x42, 0x01, 0x0b);              /* i64 result */
    INVALID("type mismatch", 0x0b);                          /* empty stack */
    INVALID("type mismatch", 0x20, 0, 0x20, 0, 0x0b);        /* one too many */
    INVALID("type mismatch", 0x20, 0, 0x42, 1, 0x6a, 0x0b);  /* i32 + i64 */
    INVALID("type mismatch", 0x6a, 0x0b);                    /* underflow */
}

static void test_unknown_indices(void **state)
{
    (void)state;
    INVALID("unknown local", 0x20, 5, 0x0b);
    INVALID("unknown global", 0x23, 3, 0x0b);
    INVALID("unknown function", 0x10, 9, 0x0b);
    INVALID("unknown label", 0x0c, 4, 0x0b);
    INVALID("unknown table", 0x41, 0, 0x11, 1, 3, 0x0b);
    INVALID("unknown type", 0x41, 0, 0x11, 9, 0, 0x0b);
}

static void test_globals_and_memory(void **state)
{
    (void)state;
    INVALID("global is immutable", 0x41, 1, 0x24, 0, 0x20, 0, 0x0b);
    INVALID("alignment must not be larger than natural",
            0x41, 0, 0x28, 3, 0, 0x0b);
    VALID(0x41, 0, 0x28, 2, 0, 0x0b);
}

static void test_blocks(void **state)
{
    (void)state;
    /* if with a result but no else */
    INVALID("type mismatch", 0x20, 0, 0x04, 0x7f, 0x41, 1, 0x0b, 0x0b);
    /* block (result i32) leaving nothing */
    INVALID("type mismatch", 0x02, 0x7f, 0x0b, 0x0b);
    /* br_table targets of different arity */
    INVALID("type mismatch", 0x02, 0x40, 0x02, 0x7f, 0x41, 1, 0x41, 0,
            0x0e, 1, 0, 1, 0x0b, 0x1a, 0x0b, 0x20, 0, 0x0b);
    /* select on two different types */
    INVALID("type mismatch", 0x41, 1, 0x42, 1, 0x20, 0, 0x1b, 0x0b);
    /* ref.func of a function not declared in an element, export or global */
    INVALID("undeclared function reference", 0xd2, 0, 0x1a, 0x20, 0, 0x0b);
}

static void test_polymorphic_stack(void **state)
{
    (void)state;
    VALID(0x00, 0x6a, 0x0b);                        /* unreachable; i32.add */
    VALID(0x00, 0x1b, 0x0b);                        /* unreachable; select */
    VALID(0x02, 0x7f, 0x00, 0x0c, 0, 0x0b, 0x0b);   /* br with unknown value */
    VALID(0x41, 2, 0x0f, 0x42, 1, 0x1a, 0x0b);      /* code after return */
    INVALID("type mismatch", 0x00, 0x42, 1, 0x6a, 0x0b);
}

static void test_deep_nesting(void **state)
{
    (void)state;
    enum { DEPTH = 10000 };
    buf b = { 0 };
    for (int i = 0; i < DEPTH; i++) { put_u8(&b, 0x02); put_u8(&b, 0x40); }
    for (int i = 0; i < DEPTH; i++) put_u8(&b, 0x0b);
    put_u8(&b, 0x20); put_u8(&b, 0); put_u8(&b, 0x0b);
    expect_valid(b.p, b.n);
    free(b.p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_type_mismatch),
        cmocka_unit_test(test_unknown_indices),
        cmocka_unit_test(test_globals_and_memory),
        cmocka_unit_test(test_blocks),
        cmocka_unit_test(test_polymorphic_stack),
        cmocka_unit_test(test_deep_nesting),
    };
    return cmocka_run_group_tests_name("validate", tests, NULL, NULL);
}
