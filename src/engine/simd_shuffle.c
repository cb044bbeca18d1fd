/*
 * simd_shuffle.c: i8x16.shuffle and i8x16.swizzle.
 *
 * A byte gather costs ~100 instructions in portable C; x86's pshufb does it
 * in two. The default build targets baseline x86-64 (SSE2), so the SSSE3
 * versions are chosen at run time when the CPU has them.
 */
#include "engine.h"
#include "simd_lanes.h"
#include <string.h>

static void shuffle_c(const void *a, const void *b, const uint8_t *idx, void *out)
{
    uint8_t tab[32], r[16];
    memcpy(tab, a, 16);
    memcpy(tab + 16, b, 16);
    for (int i = 0; i < 16; i++) r[i] = tab[idx[i] & 31];
    memcpy(out, r, 16);
}

static void swizzle_c(const void *a, const void *idx, void *out)
{
    uint8_t tab[16], k[16], r[16];
    memcpy(tab, a, 16);
    memcpy(k, idx, 16);
    for (int i = 0; i < 16; i++) r[i] = k[i] < 16 ? tab[k[i]] : 0;
    memcpy(out, r, 16);
}

#if defined(__x86_64__)
#include <immintrin.h>

/* Lanes 0-15 come from a, 16-31 from b; pshufb zeroes a byte whose index
 * has its high bit set, so each source gets the other's indices masked. */
__attribute__((target("ssse3")))
static void shuffle_ssse3(const void *a, const void *b, const uint8_t *idx, void *out)
{
    __m128i va = _mm_loadu_si128(a), vb = _mm_loadu_si128(b);
    __m128i vi = _mm_loadu_si128((const void *)idx);
    __m128i ia = _mm_or_si128(vi, _mm_cmpgt_epi8(vi, _mm_set1_epi8(15)));
    __m128i ib = _mm_or_si128(_mm_sub_epi8(vi, _mm_set1_epi8(16)),
                              _mm_cmplt_epi8(vi, _mm_set1_epi8(16)));
    __m128i r = _mm_or_si128(_mm_shuffle_epi8(va, ia), _mm_shuffle_epi8(vb, ib));
    _mm_storeu_si128(out, r);
}

/* Indices 16-255 must give 0: a saturating +0x70 sets their high bit and
 * keeps the low nibble of 0-15. */
__attribute__((target("ssse3")))
static void swizzle_ssse3(const void *a, const void *idx, void *out)
{
    __m128i vi = _mm_adds_epu8(_mm_loadu_si128(idx), _mm_set1_epi8(0x70));
    _mm_storeu_si128(out, _mm_shuffle_epi8(_mm_loadu_si128(a), vi));
}
#endif

void (*wb_simd_shuffle)(const void *, const void *, const uint8_t *, void *) = shuffle_c;
void (*wb_simd_swizzle)(const void *, const void *, void *) = swizzle_c;

#if defined(__x86_64__)
/* What the dynamic loader found of the CPU (glibc 2.33 on): libgcc's
 * __builtin_cpu_supports would link its own probe, a constructor that
 * runs ~20 CPUID instructions at every start, each a trap to the
 * hypervisor in a virtual machine. */
#if defined(__GLIBC__) && __GLIBC_PREREQ(2, 33)
#include <sys/platform/x86.h>
static bool has_ssse3(void) { return CPU_FEATURE_ACTIVE(SSSE3); }
#else
static bool has_ssse3(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("ssse3");
}
#endif
#endif

__attribute__((constructor)) static void pick(void)
{
#if defined(__x86_64__)
    if (has_ssse3()) {
        wb_simd_shuffle = shuffle_ssse3;
        wb_simd_swizzle = swizzle_ssse3;
    }
#endif
}
