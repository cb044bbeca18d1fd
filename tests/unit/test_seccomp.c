/* test_seccomp.c: the lock-down's seccomp programs built into wasmbox
 * (src/sandbox/gen/seccomp_gen.c, at build time) are, for each of their
 * eight variants, exactly what libseccomp makes of the rules now; run on
 * a small classic-BPF machine here, they decide as the rules say, and
 * every system call number is decided in a few dozen instructions. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

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

/* The kernel's view of one call: what a filter reads. */
typedef struct call {
    uint32_t nr, arch;
    uint64_t args[6];
} call;

static uint32_t word_at(const call *c, uint32_t off)
{
    if (off == 0)
        return c->nr;
    if (off == 4)
        return c->arch;
    assert_true(off >= 16 && off < 64 && off % 4 == 0);
    uint64_t a = c->args[(off - 16) / 8];
    return off % 8 ? (uint32_t)(a >> 32) : (uint32_t)a;  /* little-endian */
}

/* Runs program f on c: its return value; *steps: instructions run. The
 * instructions libseccomp emits (loads of the call's words and of
 * scratch memory, AND, jumps on constants, returns); any other fails. */
static uint32_t run_filter(const struct sock_filter *f, unsigned n,
                           const call *c, unsigned *steps)
{
    uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = { 0 };
    *steps = 0;
    for (unsigned pc = 0; pc < n; pc++) {
        const struct sock_filter *i = &f[pc];
        ++*steps;
        switch (i->code) {
        case BPF_LD | BPF_W | BPF_ABS: a = word_at(c, i->k); break;
        case BPF_LD | BPF_IMM: a = i->k; break;
        case BPF_LD | BPF_MEM: a = mem[i->k % BPF_MEMWORDS]; break;
        case BPF_LDX | BPF_MEM: x = mem[i->k % BPF_MEMWORDS]; break;
        case BPF_ST: mem[i->k % BPF_MEMWORDS] = a; break;
        case BPF_STX: mem[i->k % BPF_MEMWORDS] = x; break;
        case BPF_ALU | BPF_AND | BPF_K: a &= i->k; break;
        case BPF_MISC | BPF_TAX: x = a; break;
        case BPF_MISC | BPF_TXA: a = x; break;
        case BPF_JMP | BPF_JA: pc += i->k; break;
        case BPF_JMP | BPF_JEQ | BPF_K: pc += a == i->k ? i->jt : i->jf; break;
        case BPF_JMP | BPF_JGT | BPF_K: pc += a > i->k ? i->jt : i->jf; break;
        case BPF_JMP | BPF_JGE | BPF_K: pc += a >= i->k ? i->jt : i->jf; break;
        case BPF_JMP | BPF_JSET | BPF_K: pc += a & i->k ? i->jt : i->jf; break;
        case BPF_RET | BPF_K: return i->k;
        default: fail_msg("instruction %u: opcode 0x%x", pc, i->code);
        }
    }
    fail_msg("the program ran off its end");
    return 0;
}

#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#endif

static uint32_t decide(const struct sock_filter *f, unsigned n, uint32_t nr,
                       uint64_t a0, uint64_t a1, uint64_t a2,
                       unsigned *steps)
{
    call c = { nr, NATIVE_ARCH, { a0, a1, a2, 0, 0, 0 } };
    return run_filter(f, n, &c, steps);
}

/* What the rules say, for a few calls of each kind, in the release
 * variant for a root process (kill, nosuid, no network); and the kernel
 * never walks a list: every number from 0 to 1023 is decided within 40
 * instructions (the list of ~200 comparisons before took up to 184; the
 * kernel runs the program for each number when it loads it, with
 * interrupts off, and on every call whose decision depends on
 * arguments). */
static void test_programs_decide_quickly(void **state)
{
    wb_error e = { 0 };
    unsigned n = 0, steps, most = 0;
    const struct sock_filter *f = wb_oslock_seccomp_insns(
        wb_oslock_seccomp_build(false, true, false, &e), &n);
    assert_int_equal(decide(f, n, SYS_read, 0, 0, 0, &steps),
                     SECCOMP_RET_ALLOW);
    assert_int_equal(decide(f, n, SYS_exit_group, 0, 0, 0, &steps),
                     SECCOMP_RET_ALLOW);
    assert_int_equal(decide(f, n, SYS_mmap, 0, 4096, PROT_READ, &steps),
                     SECCOMP_RET_ALLOW);
#ifndef WB_OSLOCK_SANITIZER
    assert_int_equal(decide(f, n, SYS_execve, 0, 0, 0, &steps),
                     SECCOMP_RET_KILL_PROCESS);
#endif
    assert_int_equal(decide(f, n, SYS_mmap, 0, 4096, PROT_READ | PROT_EXEC,
                            &steps), SECCOMP_RET_KILL_PROCESS);
    assert_int_equal(decide(f, n, SYS_bpf, 0, 0, 0, &steps),
                     SECCOMP_RET_KILL_PROCESS);
    assert_int_equal(decide(f, n, SYS_socket, 2, 1, 0, &steps),
                     SECCOMP_RET_ERRNO | EPERM);
    assert_int_equal(decide(f, n, SYS_mkdirat, 3, 0, 04755, &steps),
                     SECCOMP_RET_ERRNO | EPERM);
    assert_int_equal(decide(f, n, SYS_mkdirat, 3, 0, 0755, &steps),
                     SECCOMP_RET_ALLOW);
    for (int v = 0; v < 8; v++) {
        f = wb_oslock_seccomp_insns(
            wb_oslock_seccomp_build(v & 4, v & 2, v & 1, &e), &n);
        for (uint32_t nr = 0; nr < 1024; nr++) {
            decide(f, n, nr, 0, 0, 0, &steps);
            most = steps > most ? steps : most;
        }
    }
    if (most > 40)
        fail_msg("a system call takes %u instructions to decide", most);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_builtin_is_libseccomps),
        cmocka_unit_test(test_programs_decide_quickly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
