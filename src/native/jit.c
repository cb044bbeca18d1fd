/*
 * jit.c: compiles a module for the native tier (the plugin's entry).
 *
 * Definitions are split into work units (plan.c), one LLVM module each;
 * the threads take units from a queue, largest first, and for each
 * translate its functions, run the O2 pipeline and emit a
 * position-independent ELF object; obj.c links the objects into
 * one image (wb_native_image), which the engine maps (native_file.c:
 * read-write, filled, then read-execute: never writable and executable
 * at once) or the code cache stores. Calls between functions of
 * different units go through the table of compiled functions
 * (wb_nctx.fns); within one unit they are direct.
 */
#include "nt.h"
#include <llvm-c/Analysis.h>
#include <llvm-c/Support.h>
#include <llvm-c/Transforms/PassBuilder.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Shared by the threads of one compilation. */
typedef struct nt_job {
    const wb_module *wm;
    uint64_t guard_reserve;
    unsigned nthreads;
    nt_plan_t plan;
    uint32_t next;              /* the queue's next unit (atomic) */
    pthread_mutex_t mu;
    bool failed;
    wb_error err;               /* the first failure */
} nt_job;

/* ---- one unit ------------------------------------------------------- */

static void job_fail(nt_job *j, const wb_error *e)
{
    pthread_mutex_lock(&j->mu);
    if (!j->failed) {
        j->failed = true;
        j->err = *e;
    }
    pthread_mutex_unlock(&j->mu);
}

static uint64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void set_attrs(nt_mod *m, LLVMValueRef fn)
{
    LLVMAddTargetDependentFunctionAttr(fn, "target-cpu", nt_target_cpu());
    LLVMAddTargetDependentFunctionAttr(fn, "target-features",
                                       nt_target_features());
    /* frame pointers, and no tail calls: every guest call keeps a frame
     * record on the stack (native_rt.c frames_sync walks them) */
    LLVMAddTargetDependentFunctionAttr(fn, "frame-pointer", "all");
    LLVMAddTargetDependentFunctionAttr(fn, "disable-tail-calls", "true");
    static const char *const attrs[] = { "nounwind", "strictfp" };
    for (size_t i = 0; i < 2; i++) {
        unsigned k = LLVMGetEnumAttributeKindForName(attrs[i], strlen(attrs[i]));
        LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex,
                                LLVMCreateEnumAttribute(m->C, k, 0));
    }
}

/* Declares the unit's functions, so calls among them are direct. */
static void declare(nt_mod *m, const nt_unit *u)
{
    const wb_module *wm = m->wm;
    for (uint32_t d = u->first; d < u->first + u->count; d++) {
        char name[32];
        const wb_functype *ft = &wm->types[wm->funcdefs[d].typeidx];
        snprintf(name, sizeof name, "f%u", d);
        m->fns[d] = LLVMAddFunction(m->M, name, nt_functype(m, ft));
        set_attrs(m, m->fns[d]);
        /* hidden: direct calls, no GOT or PLT in the object */
        LLVMSetVisibility(m->fns[d], LLVMHiddenVisibility);
        snprintf(name, sizeof name, "e%u", d);
        LLVMTypeRef et = LLVMFunctionType(m->vt, (LLVMTypeRef[]){ m->ptr, m->ptr }, 2, 0);
        m->entries[d] = LLVMAddFunction(m->M, name, et);
        set_attrs(m, m->entries[d]);
        LLVMSetVisibility(m->entries[d], LLVMHiddenVisibility);
    }
}

static wb_status translate_all(nt_mod *m, nt_job *j, const nt_unit *u)
{
    for (uint32_t d = u->first; d < u->first + u->count; d++) {
        if (j->failed)
            return WB_E_IMPL_LIMIT;
        wb_status st = nt_translate(m, d);
        if (st == WB_OK)
            st = nt_entry_wrapper(m, d);
        if (st != WB_OK)
            return st;
    }
    return WB_OK;
}

static wb_status check_module(nt_mod *m)
{
    char *msg = NULL;
    if (LLVMVerifyModule(m->M, LLVMReturnStatusAction, &msg)) {
        /* for whoever debugs the translator: the module that failed */
        if (getenv("WB_NT_DUMP"))
            LLVMDumpModule(m->M), fprintf(stderr, "%s\n", msg);
        const char *nl = msg ? strchr(msg, '\n') : NULL;
        wb_err_set(m->err, WB_E_IMPL_LIMIT, "native tier: internal error: "
                   "%.*s", nl ? (int)(nl - msg) : 200, msg ? msg : "?");
        LLVMDisposeMessage(msg);
        return WB_E_IMPL_LIMIT;
    }
    LLVMDisposeMessage(msg);
    return WB_OK;
}

static uint64_t count_ir(LLVMModuleRef M)
{
    uint64_t n = 0;
    for (LLVMValueRef fn = LLVMGetFirstFunction(M); fn;
         fn = LLVMGetNextFunction(fn))
        for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(fn); bb;
             bb = LLVMGetNextBasicBlock(bb))
            for (LLVMValueRef in = LLVMGetFirstInstruction(bb); in;
                 in = LLVMGetNextInstruction(in))
                n++;
    return n;
}

/* Optimises the unit's module and emits it as an object file. */
static wb_status emit(nt_mod *m, LLVMTargetMachineRef tm, nt_unit *u)
{
    char *msg = NULL;
    LLVMTargetDataRef td = LLVMCreateTargetDataLayout(tm);
    LLVMSetModuleDataLayout(m->M, td);
    LLVMDisposeTargetData(td);
    char *triple = LLVMGetTargetMachineTriple(tm);
    LLVMSetTarget(m->M, triple);
    LLVMDisposeMessage(triple);
    LLVMPassBuilderOptionsRef po = LLVMCreatePassBuilderOptions();
    uint64_t t0 = cpu_ns();
    LLVMErrorRef perr = LLVMRunPasses(m->M, nt_unit_pipeline(u), tm, po);
    LLVMDisposePassBuilderOptions(po);
    uint64_t t1 = cpu_ns();
    u->ns[1] += t1 - t0;
    wb_status st = WB_OK;
    if (perr) {
        char *em = LLVMGetErrorMessage(perr);
        st = wb_err_set(m->err, WB_E_IMPL_LIMIT, "native tier: %s", em);
        LLVMDisposeErrorMessage(em);
    } else if (LLVMTargetMachineEmitToMemoryBuffer(tm, m->M, LLVMObjectFile,
                                                   &msg, &u->obj)) {
        st = wb_err_set(m->err, WB_E_IMPL_LIMIT, "native tier: code "
                        "generation failed: %s", msg ? msg : "?");
        LLVMDisposeMessage(msg);
    }
    u->ns[2] += cpu_ns() - t1;
    return st;
}

static void mod_init(nt_mod *m)
{
    m->C = LLVMContextCreate();
    m->M = LLVMModuleCreateWithNameInContext("wasm", m->C);
    m->B = LLVMCreateBuilderInContext(m->C);
    m->i1 = LLVMInt1TypeInContext(m->C);
    m->i8 = LLVMInt8TypeInContext(m->C);
    m->i16 = LLVMInt16TypeInContext(m->C);
    m->i32 = LLVMInt32TypeInContext(m->C);
    m->i64 = LLVMInt64TypeInContext(m->C);
    m->f32 = LLVMFloatTypeInContext(m->C);
    m->f64 = LLVMDoubleTypeInContext(m->C);
    m->ptr = LLVMPointerTypeInContext(m->C, 0);
    m->vt = LLVMVoidTypeInContext(m->C);
    m->v128 = LLVMVectorType(m->i64, 2);
}

/* WB_NT_DUMP_IR=DIR: the unit's IR before optimisation goes to
 * DIR/u<first definition>.ll instead of being compiled (the compilation
 * then fails), for measuring LLVM's passes on it with opt and llc. */
static bool dump_ir(nt_mod *m, const nt_unit *u)
{
    const char *dir = getenv("WB_NT_DUMP_IR");
    if (!dir || !*dir)
        return false;
    char path[4096];
    snprintf(path, sizeof path, "%s/u%u.ll", dir, u->first);
    LLVMPrintModuleToFile(m->M, path, NULL);
    return true;
}

/* Translates, checks, optimises and emits one unit in a context of its
 * own (freed at the end, so a thread holds one unit's IR at a time). */
static wb_status compile_unit(nt_job *j, LLVMTargetMachineRef tm,
                              nt_unit *u, LLVMValueRef *fns,
                              LLVMValueRef *entries, wb_error *err)
{
    nt_mod m = { .wm = j->wm, .guard_reserve = j->guard_reserve,
                 .err = err, .fns = fns, .entries = entries };
    mod_init(&m);
    uint64_t t0 = cpu_ns();
    declare(&m, u);
    wb_status st = translate_all(&m, j, u);
    if (st == WB_OK)
        st = check_module(&m);
    u->ninstr = m.ninstr;
    if (st == WB_OK && getenv("WB_NT_PROFILE"))
        u->ir_instr = count_ir(m.M);
    u->ns[0] = cpu_ns() - t0;
    if (st == WB_OK && !dump_ir(&m, u))
        st = emit(&m, tm, u);
    LLVMDisposeModule(m.M);
    LLVMDisposeBuilder(m.B);
    LLVMContextDispose(m.C);
    for (uint32_t d = u->first; d < u->first + u->count; d++)
        fns[d] = entries[d] = NULL;
    return st;
}

/* A thread: units from the queue until it is empty or one failed. */
static void *thread_main(void *arg)
{
    nt_job *j = arg;
    wb_error err = { 0 };
    uint32_t ndefs = j->wm->nfuncs - j->wm->nfunc_imports;
    char *msg = NULL;
    LLVMValueRef *fns = calloc(ndefs ? ndefs : 1, sizeof *fns);
    LLVMValueRef *entries = calloc(ndefs ? ndefs : 1, sizeof *entries);
    LLVMTargetMachineRef tm = nt_target_machine(&msg);
    wb_status st = WB_OK;
    if (!fns || !entries)
        st = wb_err_set(&err, WB_E_NOMEM, "out of memory");
    else if (!tm)
        st = wb_err_set(&err, WB_E_IMPL_LIMIT, "native tier: %s",
                        msg ? msg : "?");
    LLVMDisposeMessage(msg);
    while (st == WB_OK && !j->failed) {
        uint32_t i = __atomic_fetch_add(&j->next, 1, __ATOMIC_RELAXED);
        if (i >= j->plan.nunits)
            break;
        st = compile_unit(j, tm, j->plan.queue[i], fns, entries, &err);
    }
    if (st != WB_OK && err.status == WB_OK)
        wb_err_set(&err, st, "native tier: compilation failed");
    if (st != WB_OK)
        job_fail(j, &err);
    if (tm)
        LLVMDisposeTargetMachine(tm);
    free(fns);
    free(entries);
    return NULL;
}

/* ---- the module ------------------------------------------------------- */

static void run_threads(nt_job *j)
{
    pthread_t tids[64];
    bool started[64] = { false };
    for (unsigned i = 1; i < j->nthreads; i++) {
        /* LLVM's recursion (verifier, codegen) wants a large stack. */
        pthread_attr_t a;
        pthread_attr_init(&a);
        pthread_attr_setstacksize(&a, 64u << 20);
        started[i] = pthread_create(&tids[i], &a, thread_main, j) == 0;
        pthread_attr_destroy(&a);
    }
    thread_main(j);
    for (unsigned i = 1; i < j->nthreads; i++)
        if (started[i])
            pthread_join(tids[i], NULL);
}

/* Links the units' objects, in definition order. */
static wb_status link_units(nt_job *j, wb_native_image **out)
{
    LLVMMemoryBufferRef *objs = calloc(j->plan.nunits ? j->plan.nunits : 1,
                                       sizeof *objs);
    if (!objs)
        return wb_err_set(&j->err, WB_E_NOMEM, "out of memory");
    for (uint32_t i = 0; i < j->plan.nunits; i++)
        objs[i] = j->plan.units[i].obj;
    wb_status st = nt_link(j->wm, objs, j->plan.nunits, out, &j->err);
    free(objs);
    return st;
}

/* LLVM's options are process-wide: the target's (nt_target_llvm_options)
 * and, with WB_NT_TIME_PASSES=1, LLVM's own report of the time each pass
 * took, on stderr, and WB_NT_LLVM_ARGS (space-separated), for whoever
 * works on compile time
 * (docs/native-tier.md). LLVM ends the process on an option it does not
 * know: these are LLVM 19's, the only version the plugin is built for. */
static void llvm_options(void)
{
    const char *argv[16] = { "wasmbox" };
    int argc = 1;
    for (const char *const *o = nt_target_llvm_options(); *o && argc < 15; o++)
        argv[argc++] = *o;
    const char *t = getenv("WB_NT_TIME_PASSES");
    if (t && !strcmp(t, "1"))
        argv[argc++] = "-time-passes";
    static char extra[512];
    const char *x = getenv("WB_NT_LLVM_ARGS");
    snprintf(extra, sizeof extra, "%s", x ? x : "");
    for (char *sv = NULL, *tok = strtok_r(extra, " ", &sv); tok && argc < 15;
         tok = strtok_r(NULL, " ", &sv))
        argv[argc++] = tok;
    LLVMParseCommandLineOptions(argc, argv, NULL);
}

static wb_status compile(const wb_module *wm, unsigned threads,
                         uint64_t guard_reserve, wb_native_image **out,
                         wb_error *err)
{
    nt_target_init();
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, llvm_options);
    uint32_t ndefs = wm->nfuncs - wm->nfunc_imports;
    nt_job j = { .wm = wm, .guard_reserve = guard_reserve };
    j.nthreads = threads < 1 ? 1 : threads > 64 ? 64 : threads;
    /* a thread per 16 KiB of code at most: small modules (most of the
     * spec tests) are not worth a thread */
    uint64_t bytes = 0;
    for (uint32_t d = 0; d < ndefs; d++)
        bytes += wm->funcdefs[d].body_len;
    if (j.nthreads > bytes / 16384 + 1)
        j.nthreads = (unsigned)(bytes / 16384 + 1);
    wb_status st = nt_plan(&j.plan, wm, j.nthreads, &j.err);
    if (st == WB_OK) {
        pthread_mutex_init(&j.mu, NULL);
        run_threads(&j);
        pthread_mutex_destroy(&j.mu);
        const char *dump = getenv("WB_NT_DUMP_IR");
        if (!j.failed && dump && *dump) {
            j.failed = true;
            wb_err_set(&j.err, WB_E_IMPL_LIMIT, "native tier: IR written "
                       "to %s (WB_NT_DUMP_IR), not compiled", dump);
        }
        st = j.failed ? j.err.status : link_units(&j, out);
        nt_plan_report(&j.plan, wm, st == WB_OK ? (*out)->code_len : 0);
    }
    for (uint32_t i = 0; i < j.plan.nunits; i++)
        if (j.plan.units[i].obj)
            LLVMDisposeMemoryBuffer(j.plan.units[i].obj);
    nt_plan_free(&j.plan);
    if (st != WB_OK && err)
        *err = j.err;
    return st;
}

static const char *describe(void)
{
    nt_target_init();
    return nt_target_describe();
}

__attribute__((visibility("default")))
const wb_native_plugin wb_native_plugin_entry = {
    .abi = WB_NATIVE_ABI,
    .compile = compile,
    .describe = describe,
};
