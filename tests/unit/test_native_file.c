/* test_native_file.c: native code files (src/engine/native_file.c), the
 * loader the code cache uses, without LLVM: a hand-made image (x86-64:
 * "mov eax, 42; ret") is written, loaded and run; its fix-up lands; its
 * code pages are read-execute and its data read-only. Then hostile
 * files: truncations (every length near an area's edge, a sample of the
 * holes), each header field, offsets and fix-ups out of bounds
 * (checksums forged so that the bounds checks are reached), and random
 * damage with forged checksums: refused with WB_E_INVALID, never a crash
 * (the ASan build runs this too). And a load a stamp vouches for
 * (`checked`): it skips only the body's checksum, and maps the file. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "wasmbox.h"
#include "engine/native.h"

/* (module (func (result i32) (i32.const 42))) */
static const uint8_t k_mod[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f,
    0x03, 0x02, 0x01, 0x00,
    0x0a, 0x06, 0x01, 0x04, 0x00, 0x41, 0x2a, 0x0b,
};
static uint8_t k_code[] = { 0xb8, 0x2a, 0x00, 0x00, 0x00, 0xc3, 0xc3 };
static uint8_t k_ro[16] = { 1, 2, 3 };
/* the file: the header, a hole up to BODY, the image (code at BODY,
 * constants at BODY + RO_OFF), the tables */
enum { HDR = 160, BODY = 65536, RO_OFF = 65536 };
#define TABLES ((size_t)BODY + RO_OFF + sizeof k_ro)

static char g_path[64];

static wb_module *module(void)
{
    wb_module *m = NULL;
    assert_int_equal(wb_module_new(k_mod, sizeof k_mod, &m, NULL), WB_OK);
    return m;
}

/* The good file at g_path, its bytes in *out (caller frees). */
static size_t good_file(uint8_t **out)
{
    uint64_t offsets[2] = { 0, 6 };
    uint64_t relocs[2] = { RO_OFF + 8, 5 };      /* -> the first ret */
    wb_native_image img = {
        .arch = wb_native_arch(), .nfuncs = 1, .code = k_code,
        .code_len = sizeof k_code, .ro = k_ro, .ro_len = sizeof k_ro,
        .ro_off = RO_OFF, .offsets = offsets, .relocs = relocs, .nrelocs = 1,
    };
    wb_module *m = module();
    wb_error err = { 0 };
    assert_int_equal(wb_native_write_file(m, &img, g_path, 0600, &err), WB_OK);
    wb_module_release(m);
    int fd = open(g_path, O_RDONLY);
    struct stat sb;
    assert_int_equal(fstat(fd, &sb), 0);
    *out = malloc((size_t)sb.st_size);
    assert_int_equal(read(fd, *out, (size_t)sb.st_size), sb.st_size);
    close(fd);
    return (size_t)sb.st_size;
}

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> 8 * i);
}

/* Both checksums made right again for `b` (what a forger would do). */
static void forge(uint8_t *b, size_t n)
{
    if (n < HDR)
        return;
    if (n >= BODY)       /* the image, zeros and all, then the tables */
        put64(b + 128, XXH3_64bits(b + BODY, n - BODY));
    put64(b + 152, XXH3_64bits(b, 152));
}

/* Loads bytes b[0..n) as a file (`checked`: as one a stamp vouches
 * for); the status, the message in `msg`. */
static wb_status load_checked(const uint8_t *b, size_t n, bool checked,
                              char *msg, size_t cap, wb_module **keep)
{
    int fd = open(g_path, O_RDWR | O_TRUNC);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, b, n), (ssize_t)n);
    lseek(fd, 0, SEEK_SET);
    wb_module *m = module();
    wb_error err = { 0 };
    wb_status st = checked ? wb_native_load_fd_checked(m, fd, true, &err)
                           : wb_native_load_fd(m, fd, &err);
    close(fd);
    snprintf(msg, cap, "%s", err.message);
    if (st == WB_OK)
        assert_true(wb_module_is_native(m));
    else
        assert_false(wb_module_is_native(m));
    if (keep)
        *keep = m;
    else
        wb_module_release(m);
    return st;
}

static wb_status load_bytes(const uint8_t *b, size_t n, char *msg, size_t cap,
                            wb_module **keep)
{
    return load_checked(b, n, false, msg, cap, keep);
}

static int setup(void **state)
{
    snprintf(g_path, sizeof g_path, "/tmp/wb-native-file-%ld", (long)getpid());
    return 0;
}

static int teardown(void **state)
{
    unlink(g_path);
    return 0;
}

/* The permissions of the mapping holding address p ("r-xp"...). */
static void perms_of(const void *p, char out[5])
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512];
    strcpy(out, "?");
    while (f && fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        char pr[5];
        if (sscanf(line, "%lx-%lx %4s", &lo, &hi, pr) == 3 &&
            (uintptr_t)p >= lo && (uintptr_t)p < hi) {
            memcpy(out, pr, 5);
            break;
        }
    }
    if (f)
        fclose(f);
}

static void test_round_trip(void **state)
{
    uint8_t *b;
    size_t n = good_file(&b);
    assert_int_equal(n, TABLES + 16 + 16);
    char msg[512];
    wb_module *m = NULL;
    assert_int_equal(load_bytes(b, n, msg, sizeof msg, &m), WB_OK);
    wb_native_code *c = atomic_load(&m->native);
    uint8_t *base = c->map;
    uint64_t fixed;
    memcpy(&fixed, base + RO_OFF + 8, 8);
    assert_int_equal(fixed, (uint64_t)(uintptr_t)base + 5);
    assert_memory_equal(base + RO_OFF, k_ro, 8);
    char pr[5];
    perms_of(base, pr);
    assert_string_equal(pr, "r-xp");
    perms_of(base + RO_OFF, pr);
    assert_string_equal(pr, "r--p");
    assert_ptr_equal(c->entries[0], (void *)(base + 6));
#if defined(__x86_64__)
    int (*f)(void) = (int (*)(void))c->fns[0];
    assert_int_equal(f(), 42);
#endif
    wb_module_release(m);
    free(b);
}

static void test_truncations(void **state)
{
    uint8_t *b;
    size_t n = good_file(&b);
    char msg[512];
    /* every length near the edges of the header, the image's areas and
     * the tables, and a sample of the rest (most of the file is holes) */
    for (size_t k = 0; k < n; k++) {
        size_t edges[] = { 0, HDR, BODY, BODY + sizeof k_code,
                           BODY + RO_OFF, TABLES, n };
        bool near = k % 4099 == 0;
        for (size_t e = 0; e < sizeof edges / sizeof *edges; e++)
            near |= k + 40 >= edges[e] && k <= edges[e] + 40;
        if (near)
            assert_int_equal(load_bytes(b, k, msg, sizeof msg, NULL),
                             WB_E_INVALID);
    }
    free(b);
}

/* A header field rewritten (checksums forged) -> refused with `want`. */
static void field(const uint8_t *good, size_t n, size_t off, uint64_t v,
                  const char *want)
{
    uint8_t *b = malloc(n);
    memcpy(b, good, n);
    put64(b + off, v);
    forge(b, n);
    if (off == 128) {                   /* the body's checksum itself */
        put64(b + off, v);
        put64(b + 152, XXH3_64bits(b, 152));
    }
    char msg[512];
    wb_status st = load_bytes(b, n, msg, sizeof msg, NULL);
    if (st != WB_E_INVALID)
        fail_msg("field at %zu = %llx: status %d, want refused (%s)", off,
                 (unsigned long long)v, (int)st, want);
    if (!strstr(msg, want))
        fail_msg("field at %zu: '%s' does not say '%s'", off, msg, want);
    free(b);
}

static void test_header_fields(void **state)
{
    uint8_t *b;
    size_t n = good_file(&b);
    field(b, n, 0, 0x4556495441574242ull, "not a wasmbox native code file");
    field(b, n, 8, 2, "another format");
    field(b, n, 16, 40 | (uint64_t)wb_native_abi_tag() << 32, "another CPU");
    field(b, n, 16, wb_native_arch() | (uint64_t)99 << 32, "another version");
    /* code for the other bounds mode (guard regions or checks) */
    field(b, n, 16, wb_native_arch() |
          (uint64_t)(wb_native_abi_tag() ^ 1u << 31) << 32, "or build");
    field(b, n, 24, 0x392e302e30ull, "another version of wasmbox (0.0.9");
    /* the same version, another build (the sources' hash differs) */
    char other[9];
    memcpy(other, wb_native_build_version(), 8);
    other[6] = other[6] == 'f' ? '0' : 'f';             /* 0.1.0+?... */
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | (uint8_t)other[i];
    char want[64];
    snprintf(want, sizeof want, "another version of wasmbox (%.7s",
             other);
    field(b, n, 24, v, want);
    field(b, n, 40, 0x312e38ull, "LLVM 8.1");
    field(b, n, 64, 1, "another CPU");
    field(b, n, 72, 1, "another module");
    field(b, n, 88, 3, "another module");
    field(b, n, 96, 2 | 1ull << 32, "sizes");                /* nfuncs */
    field(b, n, 96, 1 | 0xffffffffull << 32, "sizes");       /* nrelocs */
    field(b, n, 104, UINT64_MAX, "sizes");                   /* code_len */
    field(b, n, 104, 65537, "sizes");
    field(b, n, 112, 4096, "sizes");                         /* ro_off */
    field(b, n, 112, 2 * 65536, "sizes");
    field(b, n, 112, UINT64_MAX - 65535, "sizes");
    field(b, n, 120, UINT64_MAX - 15, "sizes");              /* ro_len */
    field(b, n, 128, 7, "checksum differs");                 /* body */
    /* the tables: offsets and fix-ups out of bounds */
    size_t t = TABLES;
    field(b, n, t, sizeof k_code, "function outside");
    field(b, n, t + 8, UINT64_MAX, "function outside");
    field(b, n, t + 16, sizeof k_code - 4, "fix-up outside");   /* overlaps end */
    field(b, n, t + 16, 4096, "fix-up outside");                /* the gap */
    field(b, n, t + 16, RO_OFF + sizeof k_ro - 7, "fix-up outside");
    field(b, n, t + 16, UINT64_MAX - 3, "fix-up outside");
    field(b, n, t + 24, RO_OFF + sizeof k_ro, "fix-up outside"); /* value */
    free(b);
}

/* The file a stamp vouches for (`checked`, native_cache.c): its body's
 * checksum is skipped, so damage to the code alone loads (what the stamp
 * trades for not reading 8 MiB), while the header and the tables are
 * still checked; and the image is the file's own pages, not a copy. */
static void test_checked(void **state)
{
    uint8_t *b;
    size_t n = good_file(&b);
    char msg[512];
    wb_module *m = NULL;
    b[BODY + 1] = 7;                    /* mov eax, 7 */
    assert_int_equal(load_bytes(b, n, msg, sizeof msg, NULL), WB_E_INVALID);
    assert_non_null(strstr(msg, "checksum differs"));
    assert_int_equal(load_checked(b, n, true, msg, sizeof msg, &m), WB_OK);
    wb_native_code *c = atomic_load(&m->native);
#if defined(__x86_64__)
    assert_int_equal(((int (*)(void))c->fns[0])(), 7);
#endif
    /* file-backed: /proc/self/maps names the file beside the mapping */
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512];
    bool named = false;
    while (f && fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 &&
            (uintptr_t)c->map >= lo && (uintptr_t)c->map < hi)
            named = strstr(line, g_path) != NULL;
    }
    if (f)
        fclose(f);
    assert_true(named);
    wb_module_release(m);
    put64(b + 24, 0x392e302e30ull);     /* version 0.0.9, header forged */
    forge(b, n);
    assert_int_equal(load_checked(b, n, true, msg, sizeof msg, NULL),
                     WB_E_INVALID);
    assert_non_null(strstr(msg, "another version"));
    size_t t = TABLES;                  /* a function outside its code */
    free(b);
    n = good_file(&b);
    put64(b + t, sizeof k_code);
    assert_int_equal(load_checked(b, n, true, msg, sizeof msg, NULL),
                     WB_E_INVALID);
    assert_non_null(strstr(msg, "function outside"));
    free(b);
}

/* Random damage anywhere, checksums forged: refused or loaded, never a
 * crash, and what loads passed the bounds checks. */
static void test_random_damage(void **state)
{
    uint8_t *good;
    size_t n = good_file(&good);
    uint8_t *b = malloc(n);
    char msg[512];
    srand(1234);
    for (int i = 0; i < 3000; i++) {
        memcpy(b, good, n);
        /* in the bytes that mean something: header, code, constants,
         * tables (not the holes) */
        size_t at[] = { 0, BODY, BODY + RO_OFF, TABLES };
        size_t len[] = { HDR, sizeof k_code, sizeof k_ro, n - TABLES };
        for (int k = 0, nk = 1 + rand() % 4; k < nk; k++) {
            int r = rand() % 4;
            b[at[r] + (size_t)rand() % len[r]] ^= (uint8_t)(1 + rand() % 255);
        }
        if (rand() % 4)
            forge(b, n);
        wb_module *m = NULL;
        if (load_bytes(b, n, msg, sizeof msg, &m) == WB_OK) {
            wb_native_code *c = atomic_load(&m->native);
            /* a forged code_len may grow the code area up to RO_OFF
             * (the file's size no longer depends on it) */
            assert_true((uint8_t *)c->fns[0] < (uint8_t *)c->map + RO_OFF);
        }
        wb_module_release(m);
    }
    free(b);
    free(good);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncations, setup, teardown),
        cmocka_unit_test_setup_teardown(test_header_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_random_damage, setup, teardown),
        cmocka_unit_test_setup_teardown(test_checked, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
