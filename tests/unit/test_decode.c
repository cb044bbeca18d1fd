/* test_decode.c: decoder and module-check error paths, on hand-built
 * binaries. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "engine.h"

/* Until compile.c is linked in, bodies count as valid. Weak, so the real
 * definitions win whenever the library provides them. */
__attribute__((weak)) wb_status wb_compile_validate(const wb_module *m,
                                                    uint32_t defidx,
                                                    wb_error *err)
{
    (void)m; (void)defidx; (void)err;
    return WB_OK;
}

__attribute__((weak)) void wb_code_free(wb_code *c)
{
    (void)c;
}

/* ---- a tiny binary builder ---------------------------------------------- */

typedef struct buf { uint8_t *p; size_t n, cap; } buf;

static void put(buf *b, const void *src, size_t n)
{
    if (n == 0)
        return;
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 64;
        b->p = realloc(b->p, b->cap);
        assert_non_null(b->p);
    }
    memcpy(b->p + b->n, src, n);
    b->n += n;
}

#define PUT(b, lit) put((b), (lit), sizeof(lit) - 1)

static void leb(buf *b, uint32_t v)
{
    do {
        uint8_t c = v & 0x7f;
        v >>= 7;
        if (v)
            c |= 0x80;
        put(b, &c, 1);
    } while (v);
}

static void header(buf *b)
{
    PUT(b, "\0asm\1\0\0\0");
}

/* Appends section `id` whose content is `c`. */
static void section(buf *b, uint8_t id, const buf *c)
{
    put(b, &id, 1);
    leb(b, (uint32_t)c->n);
    put(b, c->p, c->n);
}

static void section_lit(buf *b, uint8_t id, const char *lit, size_t n)
{
    buf c = { 0 };
    put(&c, lit, n);
    section(b, id, &c);
    free(c.p);
}

#define SEC(b, id, lit) section_lit((b), (id), (lit), sizeof(lit) - 1)

static wb_status decode(const buf *b, wb_module **m, wb_error *e)
{
    memset(e, 0, sizeof *e);
    *m = NULL;
    return wb_decode(b->p, b->n, true, m, e);
}

/* Decodes `b`, expects status `st` and `text` in the message. */
static void expect(buf *b, wb_status st, const char *text)
{
    wb_module *m;
    wb_error e;
    wb_status got = decode(b, &m, &e);
    if (got != st || !strstr(e.message, text))
        print_error("got %d '%s', want %d '%s'\n", got, e.message, st, text);
    assert_int_equal(got, st);
    assert_non_null(strstr(e.message, text));
    assert_null(m);
    free(b->p);
}

static void expect_lit(const char *lit, size_t n, wb_status st,
                       const char *text)
{
    buf b = { 0 };
    put(&b, lit, n);
    expect(&b, st, text);
}

#define EXPECT_LIT(lit, st, text) expect_lit((lit), sizeof(lit) - 1, (st), (text))

/* ---- header -------------------------------------------------------------- */

static void test_truncated(void **state)
{
    (void)state;
    EXPECT_LIT("", WB_E_MALFORMED, "unexpected end");
    EXPECT_LIT("\0as", WB_E_MALFORMED, "unexpected end");
    EXPECT_LIT("\0asm\1\0", WB_E_MALFORMED, "unexpected end");
    /* A type section cut in the middle of a function type. */
    EXPECT_LIT("\0asm\1\0\0\0\1\4\1\x60\1", WB_E_MALFORMED, "unexpected end");
}

static void test_bad_magic(void **state)
{
    (void)state;
    EXPECT_LIT("\0ASM\1\0\0\0", WB_E_MALFORMED, "magic header not detected");
    EXPECT_LIT("\xef\xbb\xbf\0asm\1\0\0\0", WB_E_MALFORMED,
               "magic header not detected");
}

static void test_bad_version(void **state)
{
    (void)state;
    EXPECT_LIT("\0asm\2\0\0\0", WB_E_MALFORMED, "unknown binary version");
    EXPECT_LIT("\0asm\0\0\0\1", WB_E_MALFORMED, "unknown binary version");
}

/* ---- integers and sizes -------------------------------------------------- */

static void test_overlong_leb(void **state)
{
    (void)state;
    /* Type count 0 written in six bytes. */
    EXPECT_LIT("\0asm\1\0\0\0\1\7\x80\x80\x80\x80\x80\0\0", WB_E_MALFORMED,
               "integer representation too long");
    /* Memory minimum with bits past 32 set. */
    EXPECT_LIT("\0asm\1\0\0\0\5\7\1\0\x82\x80\x80\x80\x70", WB_E_MALFORMED,
               "integer too large");
    /* i32.const -1 whose last byte does not sign-extend. */
    EXPECT_LIT("\0asm\1\0\0\0\6\x0a\1\x7f\0\x41\xff\xff\xff\xff\x0f\x0b",
               WB_E_MALFORMED, "integer too large");
}

static void test_huge_section_size(void **state)
{
    (void)state;
    /* Declares 0xFFFFFFF0 bytes; must fail on the size, not allocate. */
    EXPECT_LIT("\0asm\1\0\0\0\1\xf0\xff\xff\xff\x0f\1\x60\0\0",
               WB_E_MALFORMED, "length out of bounds");
    EXPECT_LIT("\0asm\1\0\0\0\0\xf0\xff\xff\xff\x0f\1a", WB_E_MALFORMED,
               "length out of bounds");
}

static void test_huge_counts(void **state)
{
    (void)state;
    /* 0xFFFFFFFF types in a 6-byte section. */
    EXPECT_LIT("\0asm\1\0\0\0\1\6\xff\xff\xff\xff\x0f\x60", WB_E_MALFORMED,
               "unexpected end");
    /* Function count bigger than the section. */
    EXPECT_LIT("\0asm\1\0\0\0\3\5\xff\xff\xff\x7f\0", WB_E_MALFORMED,
               "unexpected end");

    /* 200,000 exports, with enough bytes that only the limit refuses. */
    buf b = { 0 }, c = { 0 };
    header(&b);
    leb(&c, 200000);
    for (uint32_t i = 0; i < 200000; i++)
        PUT(&c, "\0\0\0");
    section(&b, 7, &c);
    free(c.p);
    expect(&b, WB_E_IMPL_LIMIT, "too many exports");
}

/* ---- names --------------------------------------------------------------- */

static void test_bad_utf8(void **state)
{
    (void)state;
    buf b = { 0 };
    header(&b);
    SEC(&b, 1, "\1\x60\0\0");
    SEC(&b, 3, "\1\0");
    SEC(&b, 7, "\1\2\xc0\x80\0\0");         /* overlong NUL */
    SEC(&b, 10, "\1\2\0\x0b");
    expect(&b, WB_E_MALFORMED, "malformed UTF-8 encoding");

    /* In an import name, and in a custom section's own name. */
    EXPECT_LIT("\0asm\1\0\0\0\2\x09\1\3\xed\xa0\x80\1a\0\0", WB_E_MALFORMED,
               "malformed UTF-8 encoding");
    EXPECT_LIT("\0asm\1\0\0\0\0\3\2\xff\xfe", WB_E_MALFORMED,
               "malformed UTF-8 encoding");
}

/* ---- section structure --------------------------------------------------- */

static void test_duplicate_section(void **state)
{
    (void)state;
    EXPECT_LIT("\0asm\1\0\0\0\1\1\0\1\1\0", WB_E_MALFORMED,
               "unexpected content after last section");
}

static void test_out_of_order(void **state)
{
    (void)state;
    /* Function section before the type section. */
    EXPECT_LIT("\0asm\1\0\0\0\3\1\0\1\1\0", WB_E_MALFORMED,
               "unexpected content after last section");
    /* Data count after code. */
    EXPECT_LIT("\0asm\1\0\0\0\x0a\1\0\x0c\1\0", WB_E_MALFORMED,
               "unexpected content after last section");
}

static void test_section_size_mismatch(void **state)
{
    (void)state;
    /* One type declared, the section holds two. */
    EXPECT_LIT("\0asm\1\0\0\0\1\7\1\x60\0\0\x60\0\0", WB_E_MALFORMED,
               "section size mismatch");
    EXPECT_LIT("\0asm\1\0\0\0\x0d\0", WB_E_MALFORMED, "malformed section id");
}

static void test_func_code_mismatch(void **state)
{
    (void)state;
    EXPECT_LIT("\0asm\1\0\0\0\1\4\1\x60\0\0\3\3\2\0\0\x0a\4\1\2\0\x0b",
               WB_E_MALFORMED,
               "function and code section have inconsistent lengths");
    /* Functions declared, no code section at all. */
    EXPECT_LIT("\0asm\1\0\0\0\1\4\1\x60\0\0\3\2\1\0", WB_E_MALFORMED,
               "function and code section have inconsistent lengths");
    /* Data count says 2, one segment follows. */
    EXPECT_LIT("\0asm\1\0\0\0\5\3\1\0\1\x0c\1\2\x0b\6\1\0\x41\0\x0b\0",
               WB_E_MALFORMED,
               "data count and data section have inconsistent lengths");
}

static void test_too_many_locals(void **state)
{
    (void)state;
    /* 100,000 i32 locals: well-formed, over WB_MAX_LOCALS. */
    EXPECT_LIT("\0asm\1\0\0\0\1\4\1\x60\0\0\3\2\1\0"
               "\x0a\x08\1\6\1\xa0\x8d\6\x7f\x0b",
               WB_E_IMPL_LIMIT, "too many locals");
    /* More than 2^32-1 in total is malformed. */
    EXPECT_LIT("\0asm\1\0\0\0\1\4\1\x60\0\0\3\2\1\0"
               "\x0a\x0c\1\x0a\2\xff\xff\xff\xff\x0f\x7f\2\x7e\x0b",
               WB_E_MALFORMED, "too many locals");
}

static void test_const_exprs(void **state)
{
    (void)state;
    /* i32.add is a real instruction, just not a constant one. */
    EXPECT_LIT("\0asm\1\0\0\0\6\x09\1\x7f\0\x41\1\x41\2\x6a\x0b",
               WB_E_INVALID, "constant expression required");
    /* An opcode that does not exist is malformed. */
    EXPECT_LIT("\0asm\1\0\0\0\6\6\1\x7f\0\xf3\0\x0b", WB_E_MALFORMED,
               "illegal opcode");
    /* Wrong type and empty expression. */
    EXPECT_LIT("\0asm\1\0\0\0\6\6\1\x7f\0\x42\0\x0b", WB_E_INVALID,
               "type mismatch");
    EXPECT_LIT("\0asm\1\0\0\0\6\4\1\x7f\0\x0b", WB_E_INVALID,
               "type mismatch");
    /* global.get of a defined global is unknown in Wasm 2.0. */
    EXPECT_LIT("\0asm\1\0\0\0\6\x0b\2\x7f\0\x41\0\x0b\x7f\0\x23\0\x0b",
               WB_E_INVALID, "unknown global");
    /* A malformed byte later in the module wins over an invalid const. */
    EXPECT_LIT("\0asm\1\0\0\0\6\x09\1\x7f\0\x41\1\x41\2\x6a\x0b\x0d\0",
               WB_E_MALFORMED, "malformed section id");
}

static void test_modcheck(void **state)
{
    (void)state;
    EXPECT_LIT("\0asm\1\0\0\0\5\5\2\0\1\0\1", WB_E_INVALID,
               "multiple memories");
    EXPECT_LIT("\0asm\1\0\0\0\5\5\1\0\x81\x80\4", WB_E_INVALID,
               "memory size must be at most 65536 pages (4GiB)");
    EXPECT_LIT("\0asm\1\0\0\0\4\5\1\x70\1\2\1", WB_E_INVALID,
               "size minimum must not be greater than maximum");
    EXPECT_LIT("\0asm\1\0\0\0\1\4\1\x60\0\0\3\2\1\0"
               "\7\x09\2\1a\0\0\1a\0\0\x0a\4\1\2\0\x0b",
               WB_E_INVALID, "duplicate export name");
    EXPECT_LIT("\0asm\1\0\0\0\1\5\1\x60\1\x7f\0\3\2\1\0\x08\1\0"
               "\x0a\4\1\2\0\x0b",
               WB_E_INVALID, "start function");
    EXPECT_LIT("\0asm\1\0\0\0\3\2\1\5\x0a\4\1\2\0\x0b", WB_E_INVALID,
               "unknown type");
    /* Active data without a memory. */
    EXPECT_LIT("\0asm\1\0\0\0\x0b\6\1\0\x41\0\x0b\0", WB_E_INVALID,
               "unknown memory 0");
}

/* ---- a valid module ------------------------------------------------------ */

/* Imports env.f, defines "run" (exported), a memory, a global and a
 * passive element segment, and names function 1 in the name section. */
static void build_valid(buf *b)
{
    header(b);
    SEC(b, 1, "\1\x60\0\0");
    SEC(b, 2, "\1\3env\1f\0\0");
    SEC(b, 3, "\1\0");
    SEC(b, 4, "\1\x70\0\1");
    SEC(b, 5, "\1\1\1\2");
    SEC(b, 6, "\1\x7e\1\x42\x7f\x0b");
    SEC(b, 7, "\1\3run\0\1");
    SEC(b, 9, "\1\5\x70\1\xd2\0\x0b");
    SEC(b, 10, "\1\4\1\1\x7f\x0b");
    SEC(b, 0, "\4name\1\x09\1\1\6run_fn");
}

static void test_valid_module(void **state)
{
    (void)state;
    buf b = { 0 };
    wb_module *m;
    wb_error e;
    const char *mod, *name;
    wb_extern_kind kind;
    build_valid(&b);
    assert_int_equal(decode(&b, &m, &e), WB_OK);
    assert_non_null(m);
    assert_int_equal(m->ntypes, 1);
    assert_int_equal(m->nfuncs, 2);
    assert_int_equal(m->nfunc_imports, 1);
    assert_int_equal(m->ntables, 1);
    assert_int_equal(m->nmems, 1);
    assert_int_equal(m->mems[0].max, 2);
    assert_int_equal(m->nglobals, 1);
    assert_int_equal(m->global_inits[0].bits[0], UINT64_MAX);
    assert_int_equal(m->nelems, 1);
    assert_int_equal(m->elems[0].mode, WB_SEG_PASSIVE);
    assert_int_equal(m->funcdefs[0].body_len, 4);
    assert_int_equal(m->funcdefs[0].body[m->funcdefs[0].body_len - 1], 0x0b);
    /* Function 0 is in an element segment, function 1 is exported. */
    assert_int_equal(m->declared_funcs[0] & 3, 3);

    assert_int_equal(wb_module_import_count(m), 1);
    wb_module_import(m, 0, &mod, &name, &kind);
    assert_string_equal(mod, "env");
    assert_string_equal(name, "f");
    assert_int_equal(kind, WB_EXTERN_FUNC);
    assert_int_equal(wb_module_export_count(m), 1);
    wb_module_export(m, 0, &name, &kind);
    assert_string_equal(name, "run");
    assert_null(wb_module_func_name(m, 0));
    assert_string_equal(wb_module_func_name(m, 1), "run_fn");
    assert_null(wb_module_func_name(m, 2));
    assert_int_equal(wb_module_functype(m, 1)->nparams, 0);
    wb_module_destroy(m);
    free(b.p);
}

/* Custom section contents may be garbage; only their header counts. */
static void test_bad_name_section_ignored(void **state)
{
    (void)state;
    buf b = { 0 };
    wb_module *m;
    wb_error e;
    header(&b);
    SEC(&b, 1, "\1\x60\0\0");
    SEC(&b, 3, "\1\0");
    SEC(&b, 10, "\1\2\0\x0b");
    SEC(&b, 0, "\4name\1\x05\1\0\x09\xff\xff");   /* name length too big */
    assert_int_equal(decode(&b, &m, &e), WB_OK);
    assert_null(wb_module_func_name(m, 0));
    wb_module_destroy(m);
    free(b.p);
}

/* The names share one buffer that the subsection's size bounds: entries
 * as short as they come (a one-letter name, an empty one), a repeated
 * index (the first name stays), each name still its own string. */
static void test_names_packed(void **state)
{
    (void)state;
    buf b = { 0 };
    wb_module *m;
    wb_error e;
    header(&b);
    SEC(&b, 1, "\1\x60\0\0");
    SEC(&b, 3, "\2\0\0");
    SEC(&b, 10, "\2\2\0\x0b\2\0\x0b");
    SEC(&b, 0, "\4name\1\x0a\3\0\1a\1\0\0\2zz");
    assert_int_equal(decode(&b, &m, &e), WB_OK);
    assert_string_equal(wb_module_func_name(m, 0), "a");
    assert_string_equal(wb_module_func_name(m, 1), "");
    assert_null(wb_module_func_name(m, 2));
    wb_module_destroy(m);
    free(b.p);
}

/* Every element segment encoding, 0 through 7. */
static void test_elem_encodings(void **state)
{
    (void)state;
    buf b = { 0 };
    wb_module *m;
    wb_error e;
    header(&b);
    SEC(&b, 1, "\1\x60\0\0");
    SEC(&b, 3, "\1\0");
    SEC(&b, 4, "\1\x70\0\1");
    SEC(&b, 9, "\x08"
        "\0\x41\0\x0b\1\0"
        "\1\0\1\0"
        "\2\0\x41\0\x0b\0\1\0"
        "\3\0\1\0"
        "\4\x41\0\x0b\1\xd2\0\x0b"
        "\5\x70\2\xd0\x70\x0b\xd2\0\x0b"
        "\6\0\x41\0\x0b\x70\1\xd2\0\x0b"
        "\7\x70\1\xd2\0\x0b");
    SEC(&b, 10, "\1\2\0\x0b");
    assert_int_equal(decode(&b, &m, &e), WB_OK);
    assert_int_equal(m->nelems, 8);
    assert_int_equal(m->elems[3].mode, WB_SEG_DECLARATIVE);
    assert_int_equal(m->elems[5].count, 2);
    assert_int_equal(m->elems[5].items[0].kind, WB_CONST_REF_NULL);
    assert_int_equal(m->declared_funcs[0] & 1, 1);
    wb_module_destroy(m);
    free(b.p);

    EXPECT_LIT("\0asm\1\0\0\0\x09\4\1\x08\0\0", WB_E_MALFORMED,
               "malformed elements segment kind");
    EXPECT_LIT("\0asm\1\0\0\0\x09\4\1\5\x7f\0", WB_E_MALFORMED,
               "malformed reference type");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_bad_magic),
        cmocka_unit_test(test_bad_version),
        cmocka_unit_test(test_overlong_leb),
        cmocka_unit_test(test_huge_section_size),
        cmocka_unit_test(test_huge_counts),
        cmocka_unit_test(test_bad_utf8),
        cmocka_unit_test(test_duplicate_section),
        cmocka_unit_test(test_out_of_order),
        cmocka_unit_test(test_section_size_mismatch),
        cmocka_unit_test(test_func_code_mismatch),
        cmocka_unit_test(test_too_many_locals),
        cmocka_unit_test(test_const_exprs),
        cmocka_unit_test(test_modcheck),
        cmocka_unit_test(test_valid_module),
        cmocka_unit_test(test_bad_name_section_ignored),
        cmocka_unit_test(test_names_packed),
        cmocka_unit_test(test_elem_encodings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
