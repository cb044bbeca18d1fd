/*
 * target_x86_64.c: everything the native tier knows about the machine.
 * Another architecture (aarch64) is another file with these functions;
 * the translator emits only target-independent LLVM IR.
 */
#include "nt.h"
#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>
#include <pthread.h>
#include <stdio.h>
#include <elf.h>
#include <stdlib.h>
#include <string.h>

#if !defined(__x86_64__)
#error "the native tier supports x86-64 only so far"
#endif

static char *g_cpu, *g_features;
static char g_describe[256];

static void init_once(void)
{
    LLVMInitializeX86TargetInfo();
    LLVMInitializeX86Target();
    LLVMInitializeX86TargetMC();
    LLVMInitializeX86AsmPrinter();
    /* Code for this CPU: the code is compiled where it runs. */
    g_cpu = LLVMGetHostCPUName();
    g_features = LLVMGetHostCPUFeatures();
    unsigned maj = 0, min = 0, pat = 0;
    LLVMGetVersion(&maj, &min, &pat);
    snprintf(g_describe, sizeof g_describe, "LLVM %u.%u.%u, x86-64 (%s)",
             maj, min, pat, g_cpu ? g_cpu : "generic");
}

void nt_target_init(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, init_once);
}

const char *nt_target_cpu(void) { return g_cpu ? g_cpu : "x86-64"; }
const char *nt_target_features(void) { return g_features ? g_features : ""; }
const char *nt_target_describe(void) { return g_describe; }

uint32_t nt_target_arch(void) { return EM_X86_64; }

/* Position-independent code (relocation model PIC, small code model):
 * references inside the object are relative, so the code cache can map
 * the image anywhere; nothing refers outside it (helpers are reached
 * through the context). Code generation at the default level: the
 * "less" level saved 8% of its time but made an interpreter loop 10%
 * slower (docs/native-tier.md, "Compile time"). */
LLVMTargetMachineRef nt_target_machine(char **msg)
{
    char *triple = LLVMGetDefaultTargetTriple();
    LLVMTargetRef t = NULL;
    LLVMTargetMachineRef tm = NULL;
    if (!LLVMGetTargetFromTriple(triple, &t, msg))
        tm = LLVMCreateTargetMachine(t, triple, nt_target_cpu(),
                                     nt_target_features(),
                                     LLVMCodeGenLevelDefault, LLVMRelocPIC,
                                     LLVMCodeModelSmall);
    LLVMDisposeMessage(triple);
    return tm;
}

/* X86DomainReassignment moves chains of integer instructions into AVX-512
 * mask registers (it runs only on CPUs with AVX-512). Its time grows
 * super-linearly with a function's size: Lua's interpreter loop (40 KB of
 * Wasm) spent 255 s of CPU in it for skylake-avx512, against 11 s for the
 * whole rest of its code generation (docs/native-tier.md, "Compile
 * time"). Wasm code has no use for mask registers outside SIMD. */
const char *const *nt_target_llvm_options(void)
{
    static const char *const opts[] = {
        "-disable-x86-domain-reassignment", NULL
    };
    return opts;
}

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

/* One relocation of an x86-64 ELF object: S + A is `target` (an image
 * offset), P is `place_off`. The relative ones are final once the image
 * is laid out; an absolute 64-bit one becomes the image's own kind of
 * fix-up (*abs = true). Anything else (GOT, 32-bit absolute) would need
 * more than the loader does: refused. */
nt_reloc_result nt_target_reloc(uint32_t type, uint8_t *place,
                                uint64_t place_off, uint64_t target,
                                size_t room)
{
    int64_t rel = (int64_t)(target - place_off);
    switch (type) {
    case R_X86_64_NONE:
        return NT_RELOC_DONE;
    case R_X86_64_PC32:
    case R_X86_64_PLT32:
        if (room < 4 || rel < INT32_MIN || rel > INT32_MAX)
            return NT_RELOC_BAD;
        put32(place, (uint32_t)(int32_t)rel);
        return NT_RELOC_DONE;
    case R_X86_64_PC64:
        if (room < 8)
            return NT_RELOC_BAD;
        put64(place, (uint64_t)rel);
        return NT_RELOC_DONE;
    case R_X86_64_64:
        return room < 8 ? NT_RELOC_BAD : NT_RELOC_ABS64;
    default:
        return NT_RELOC_BAD;
    }
}
