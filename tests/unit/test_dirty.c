/* test_dirty.c: written-page tracking (src/snapshot/dirty.h), the base
 * of checkpointed sessions: every write is reported once (by the guest's
 * code, by the kernel on the host's behalf, to a copy-on-write file
 * mapping as restored memories are, to memory grown since), nothing else
 * is, and two trackers in one process do not see each other's scans.
 * tests/unit/wat/dirty.wat is the guest. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "wasmbox.h"
#include "engine.h"
#include "snapshot/dirty.h"
#include "uffd_filter.h"

#define PG 4096u
#define NPG 64u

/* The runs a scan reported, as one flag per page. */
typedef struct seen {
    uint8_t page[1024];
    int runs;
} seen;

static int note(void *user, size_t off, size_t len)
{
    seen *s = user;
    assert_int_equal(off % PG, 0);
    assert_int_equal(len % PG, 0);
    assert_true(len > 0);
    for (size_t p = off / PG; p < (off + len) / PG; p++) {
        assert_true(p < sizeof s->page);
        assert_int_equal(s->page[p], 0);           /* once per scan */
        s->page[p] = 1;
    }
    s->runs++;
    return 0;
}

/* Scan d over `size` bytes; the pages reported must be exactly `want`
 * (page numbers, ending with -1). */
static void expect(wb_dirty *d, size_t size, const int *want)
{
    seen s;
    memset(&s, 0, sizeof s);
    wb_error err = {0};
    assert_int_equal(wb_dirty_scan(d, size, note, &s, &err), WB_OK);
    int n = 0;
    for (; want[n] >= 0; n++) {
        assert_int_equal(s.page[want[n]], 1);
        s.page[want[n]] = 0;
    }
    for (size_t p = 0; p < sizeof s.page; p++)
        assert_int_equal(s.page[p], 0);
}

static const int none[] = { -1 };

static wb_dirty *track(uint8_t *base, size_t reserve, size_t size)
{
    wb_dirty *d = NULL;
    wb_error err = {0};
    wb_status st = wb_dirty_new(base, reserve, size, &d, &err);
    if (st)
        print_error("%s\n", err.message);
    assert_int_equal(st, WB_OK);
    return d;
}

static uint8_t *anon(size_t n)
{
    uint8_t *p = mmap(NULL, n, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(p != MAP_FAILED);
    return p;
}

/* Touched before tracking, then written, read, written again: only the
 * writes since the last scan, each page once, and nothing after. */
static void test_writes_since_scan(void **state)
{
    uint8_t *p = anon(NPG * PG);
    for (size_t i = 0; i < NPG; i += 2)
        p[i * PG] = 1;                             /* populated, some */
    wb_dirty *d = track(p, NPG * PG, NPG * PG);
    expect(d, NPG * PG, none);
    p[3 * PG] = 2;                                 /* never populated */
    p[8 * PG + 17] = 2;                            /* populated */
    p[9 * PG] = p[9 * PG + 5] = 3;                 /* a run of two */
    p[(NPG - 1) * PG + PG - 1] = 4;                /* last byte */
    volatile uint8_t r = p[20 * PG] + p[21 * PG];  /* reads do not count */
    (void)r;
    const int w1[] = { 3, 8, 9, NPG - 1, -1 };
    expect(d, NPG * PG, w1);
    expect(d, NPG * PG, none);
    p[8 * PG] = 5;                                 /* protected again */
    const int w2[] = { 8, -1 };
    expect(d, NPG * PG, w2);
    wb_dirty_free(d);
    munmap(p, NPG * PG);
}

/* A host call that fills guest memory with read(2) writes it in the
 * kernel: it must count like the guest's own stores. */
static void test_kernel_writes(void **state)
{
    uint8_t *p = anon(NPG * PG);
    wb_dirty *d = track(p, NPG * PG, NPG * PG);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    assert_int_equal(write(fds[1], "hello", 5), 5);
    assert_int_equal(read(fds[0], p + 12 * PG + PG - 2, 5), 5);   /* 12, 13 */
    close(fds[0]);
    close(fds[1]);
    const int w[] = { 12, 13, -1 };
    expect(d, NPG * PG, w);
    wb_dirty_free(d);
    munmap(p, NPG * PG);
}

/* Restored memories are MAP_PRIVATE mappings of a snapshot file: a write
 * makes the page private and must count; the file stays as it was. */
static void test_private_file_mapping(void **state)
{
    int fd = memfd_create("wb-dirty", MFD_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, NPG * PG), 0);
    uint8_t *p = mmap(NULL, NPG * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE,
                      fd, 0);
    assert_true(p != MAP_FAILED);
    wb_dirty *d = track(p, NPG * PG, NPG * PG);
    assert_int_equal(p[5 * PG], 0);                /* read: file's page */
    p[5 * PG] = 7;
    p[40 * PG] = 7;
    const int w[] = { 5, 40, -1 };
    expect(d, NPG * PG, w);
    uint8_t b = 1;
    assert_int_equal(pread(fd, &b, 1, 5 * PG), 1);
    assert_int_equal(b, 0);
    wb_dirty_free(d);
    munmap(p, NPG * PG);
    close(fd);
}

/* Two trackers in one process (a session's Python and JavaScript
 * kernels): a scan of one leaves the other's record alone -- what
 * soft-dirty bits, cleared process-wide, cannot do. */
static void test_two_trackers(void **state)
{
    uint8_t *a = anon(NPG * PG), *b = anon(NPG * PG);
    wb_dirty *da = track(a, NPG * PG, NPG * PG);
    wb_dirty *db = track(b, NPG * PG, NPG * PG);
    a[1 * PG] = b[2 * PG] = 1;
    const int wa[] = { 1, -1 }, wb[] = { 2, -1 };
    expect(da, NPG * PG, wa);
    expect(da, NPG * PG, none);
    expect(db, NPG * PG, wb);
    wb_dirty_free(da);
    wb_dirty_free(db);
    munmap(a, NPG * PG);
    munmap(b, NPG * PG);
}

/* A linear memory of the engine, written and grown by guest code: the
 * pages it stored to, then the grown part whole, then its writes there. */
static void test_linear_memory(void **state)
{
    wb_module *m = NULL;
    wb_store *s = NULL;
    wb_instance *inst = NULL;
    wb_linker *l = wb_linker_new();
    assert_non_null(l);
    assert_int_equal(wb_module_load(WB_TEST_WASM "/dirty.wasm", &m, NULL),
                     WB_OK);
    assert_int_equal(wb_store_new(NULL, &s, NULL), WB_OK);
    assert_int_equal(wb_instantiate(s, m, l, &inst, NULL), WB_OK);
    wb_memory *mem = wb_instance_memory(inst, "mem");
    assert_non_null(mem);
    wb_dirty *d = track(mem->base, (size_t)mem->reserved, (size_t)mem->size);
    wb_func *poke = wb_instance_func(inst, "poke");
    wb_func *grow = wb_instance_func(inst, "grow");
    wb_val a[2] = { { .type = WB_I32 }, { .type = WB_I32, .of.i32 = 9 } };
    a[0].of.i32 = 70000;                           /* host page 17 */
    assert_int_equal(wb_func_call(s, poke, a, 2, NULL, 0, NULL), WB_OK);
    const int w1[] = { 17, -1 };
    expect(d, (size_t)mem->size, w1);
    wb_val n = { .type = WB_I32, .of.i32 = 1 }, r = { .type = WB_I32 };
    assert_int_equal(wb_func_call(s, grow, &n, 1, &r, 1, NULL), WB_OK);
    assert_int_equal(r.of.i32, 2);
    assert_int_equal(mem->size, 3u * 65536u);
    int w2[17];
    for (int i = 0; i < 16; i++)
        w2[i] = 32 + i;                            /* the new wasm page */
    w2[16] = -1;
    expect(d, (size_t)mem->size, w2);
    a[0].of.i32 = 2 * 65536 + 5;                   /* host page 32 */
    assert_int_equal(wb_func_call(s, poke, a, 2, NULL, 0, NULL), WB_OK);
    const int w3[] = { 32, -1 };
    expect(d, (size_t)mem->size, w3);
    wb_dirty_free(d);                              /* before the store */
    wb_store_free(s);
    wb_linker_free(l);
    wb_module_release(m);
}

static void test_bad_range(void **state)
{
    wb_dirty *d = NULL;
    wb_error err = {0};
    uint8_t *p = anon(NPG * PG);
    assert_int_equal(wb_dirty_new(p + 1, NPG * PG, 0, &d, &err), WB_E_ARG);
    assert_int_equal(wb_dirty_new(p, NPG * PG, NPG * PG + PG, &d, &err),
                     WB_E_ARG);
    assert_null(d);
    d = track(p, NPG * PG, PG);
    assert_int_equal(wb_dirty_scan(d, NPG * PG + PG, note, NULL, &err),
                     WB_E_ARG);
    wb_dirty_free(d);
    munmap(p, NPG * PG);
}

/* Under the OS lock-down (a seccomp filter that kills userfaultfd, as
 * src/sandbox/oslock_seccomp.c's does) a tracker is refused with
 * WB_E_IMPL_LIMIT instead of the call that would kill the process. */
static void test_locked_down(void **state)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (!wb_test_kill_userfaultfd())
            _exit(3);
        uint8_t *p = anon(NPG * PG);
        wb_dirty *d = NULL;
        wb_error err = {0};
        wb_status st = wb_dirty_new(p, NPG * PG, NPG * PG, &d, &err);
        _exit(st == WB_E_IMPL_LIMIT && !d ? 0 : 4);
    }
    int ws = 0;
    assert_int_equal(waitpid(pid, &ws, 0), pid);
    if (!WIFEXITED(ws))
        fail_msg("killed by signal %d", WTERMSIG(ws));
    assert_int_equal(WEXITSTATUS(ws), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_writes_since_scan),
        cmocka_unit_test(test_kernel_writes),
        cmocka_unit_test(test_private_file_mapping),
        cmocka_unit_test(test_two_trackers),
        cmocka_unit_test(test_linear_memory),
        cmocka_unit_test(test_bad_range),
        cmocka_unit_test(test_locked_down),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
