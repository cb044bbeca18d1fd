/*
 * target_x86_64.c: everything the native tier knows about the machine.
 * Another architecture (aarch64) is another file with these functions;
 * the translator emits only target-independent LLVM IR.
 */
#include "nt.h"
#include <llvm-c/ExecutionEngine.h>
#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

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
    LLVMLinkInMCJIT();
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

/* x86 keeps instruction fetch coherent with stores; the call is there
 * for the architectures that do not. */
void nt_target_flush(void *p, size_t n)
{
    __builtin___clear_cache((char *)p, (char *)p + n);
}
