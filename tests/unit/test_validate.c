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
#include "opcodes.h"

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

/* The body is rejected with `want_st` and a message containing `want`. */
static void expect_error(const uint8_t *code, size_t n, wb_status want_st,
                         const char *want)
{
    wb_error err;
    memset(&err, 0, sizeof err);
    wb_status st = compile_body(code, n, &err);
    if (st != want_st)
        fail_msg("status %d (%s), not %d", st, err.message, want_st);
    if (!strstr(err.message, want))
        fail_msg("message \"%s\" lacks \"%s\"", err.message, want);
    assert_null(strchr(err.message, '\n'));
}

static void expect_invalid(const uint8_t *code, size_t n, const char *want)
{
    expect_error(code, n, WB_E_INVALID, want);
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

/* Pushes a zero of type t. */
static void put_zero(buf *b, uint8_t t)
{
    static const uint8_t zero[16];
    switch (t) {
    case WB_I32: put_u8(b, WB_WASM_I32_CONST); put_u8(b, 0); break;
    case WB_I64: put_u8(b, WB_WASM_I64_CONST); put_u8(b, 0); break;
    case WB_F32: put_u8(b, WB_WASM_F32_CONST); put(b, zero, 4); break;
    case WB_F64: put_u8(b, WB_WASM_F64_CONST); put(b, zero, 8); break;
    default:
        put_u8(b, WB_PREFIX_FD); put_uleb(b, WB_WASM_V128_CONST & 0xff);
        put(b, zero, 16);
    }
}

static void put_opcode(buf *b, uint16_t code)
{
    if (code >> 8) put_u8(b, (uint8_t)(code >> 8));
    if (code >> 8) put_uleb(b, code & 0xff);
    else put_u8(b, (uint8_t)code);
}

/* Operands of op d's signature, the op with alignment `align` for a
 * memarg and lane 0 for lanes, a drop of its result, the function's
 * result. */
static void body_of(buf *b, const wb_opdef *d, uint8_t first, uint32_t align)
{
    b->n = 0;
    for (uint32_t i = 0; i < d->sig.nparams; i++)
        put_zero(b, i ? d->sig.params[i] : first);
    put_opcode(b, d->code);
    if (d->imm == WB_IMM_MEMARG || d->imm == WB_IMM_MEMARG_LANE) {
        put_uleb(b, align);
        put_uleb(b, 0);
    }
    if (d->imm == WB_IMM_LANE || d->imm == WB_IMM_MEMARG_LANE)
        put_u8(b, 0);
    if (d->imm == WB_IMM_LANES16)
        for (int i = 0; i < 16; i++) put_u8(b, (uint8_t)i);
    if (d->sig.result) put_u8(b, WB_WASM_DROP);
    put_u8(b, WB_WASM_LOCAL_GET); put_u8(b, 0); put_u8(b, WB_WASM_END);
}

/* Every op that runs as itself validates with the operands of its
 * signature and is refused with another first operand or, for memory
 * ops, an alignment above its natural one. */
static void test_opcode_signatures(void **state)
{
    (void)state;
    buf b = { 0 };
    for (unsigned space = 0; space < 3; space++)
        for (unsigned sub = 0; sub < 256; sub++) {
            const wb_opdef *d = &wb_opdefs[space][sub];
            if (!d->name || !d->direct) continue;
            assert_int_not_equal(d->sig.nparams, WB_DYN);
            uint8_t t = d->sig.params[0];
            bool mem = d->imm == WB_IMM_MEMARG || d->imm == WB_IMM_MEMARG_LANE;
            body_of(&b, d, t, mem ? d->arg : 0);
            expect_valid(b.p, b.n);
            body_of(&b, d, t == WB_I32 ? WB_F64 : WB_I32, 0);
            expect_invalid(b.p, b.n, "type mismatch");
            if (mem) {
                body_of(&b, d, t, d->arg + 1u);
                expect_invalid(b.p, b.n, "alignment must not be larger than natural");
            }
        }
    free(b.p);
}

/* Every encoding the table lacks is an illegal opcode. */
static void test_opcode_unknown(void **state)
{
    (void)state;
    static const unsigned prefix[3] = { 0, WB_PREFIX_FC, WB_PREFIX_FD };
    buf b = { 0 };
    unsigned known = 0;
    for (unsigned space = 0; space < 3; space++)
        for (unsigned sub = 0; sub < 256; sub++) {
            const wb_opdef *d = wb_opdef_of(prefix[space], sub);
            if (d) {
                assert_int_equal(d->code, prefix[space] << 8 | sub);
                known++;
                continue;
            }
            if (space == 0 && (sub == WB_PREFIX_FC || sub == WB_PREFIX_FD)) continue;
            b.n = 0;
            put_opcode(&b, (uint16_t)(prefix[space] << 8 | sub));
            put_u8(&b, WB_WASM_END);
            expect_error(b.p, b.n, WB_E_MALFORMED, "illegal opcode");
        }
    assert_int_equal(known, 183 + 18 + 236);      /* Wasm 2.0: plain, 0xFC, 0xFD */
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
        cmocka_unit_test(test_opcode_signatures),
        cmocka_unit_test(test_opcode_unknown),
    };
    return cmocka_run_group_tests_name("validate", tests, NULL, NULL);
}
