/*
 * native_cpu.c: what of this CPU the native tier's code depends on, as a
 * number, without LLVM: the code cache keys its files by it.
 *
 * Compiled code uses every instruction set extension of the CPU it was
 * compiled on (the plugin asks LLVM for the host's features), so code
 * from another CPU may not run here. The key covers the vendor, the
 * family, model and stepping (LLVM picks its tuning by them) and the
 * feature bits of CPUID with the state the OS enables (XCR0), but not
 * what differs between cores of one machine (APIC ids). Another
 * architecture adds its own branch here.
 */
#include "native.h"
#include <pthread.h>
#include <string.h>
#include <xxhash.h>

#if defined(__x86_64__)
#include <cpuid.h>

static void leaf(uint32_t *w, unsigned *n, unsigned l, unsigned sub)
{
    unsigned a = 0, b = 0, c = 0, d = 0;
    __cpuid_count(l, sub, a, b, c, d);
    w[(*n)++] = a;
    w[(*n)++] = b;
    w[(*n)++] = c;
    w[(*n)++] = d;
}

/* CPUID traps to the hypervisor in a virtual machine (microseconds
 * each): computed once. */
static uint64_t compute_key(void)
{
    uint32_t w[40];
    unsigned n = 0;
    unsigned max = __get_cpuid_max(0, NULL);
    unsigned emax = __get_cpuid_max(0x80000000u, NULL);
    leaf(w, &n, 0, 0);                  /* max leaf and vendor */
    leaf(w, &n, 1, 0);
    w[n - 3] = 0;                       /* ebx: APIC id, per core */
    if (max >= 7) {
        leaf(w, &n, 7, 0);
        leaf(w, &n, 7, 1);
    }
    if (max >= 0xd)
        leaf(w, &n, 0xd, 1);
    if (emax >= 0x80000001u)
        leaf(w, &n, 0x80000001u, 0);
    if (w[6] & (1u << 27)) {            /* OSXSAVE: the state the OS saves */
        uint32_t lo, hi;
        __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
        w[n++] = lo;
        w[n++] = hi;
    }
    return XXH3_64bits(w, n * sizeof *w);
}

static uint64_t g_key;
static void once(void) { g_key = compute_key(); }

uint64_t wb_native_cpu_key(void)
{
    static pthread_once_t o = PTHREAD_ONCE_INIT;
    pthread_once(&o, once);
    return g_key;
}
#else
uint64_t wb_native_cpu_key(void)
{
    return 0;       /* no native tier for this architecture yet */
}
#endif

/* The ELF machine number of the code this build can run. */
uint32_t wb_native_arch(void)
{
#if defined(__x86_64__)
    return 62;          /* EM_X86_64 */
#elif defined(__aarch64__)
    return 183;         /* EM_AARCH64 */
#else
    return 0;
#endif
}
