/*
 * jit.c: compiles a module for the native tier (the plugin's entry).
 *
 * Definitions are split into one LLVM module per thread (balanced by body
 * size); each thread translates its functions, runs the O2 pipeline and
 * emits a position-independent ELF object; obj.c links the objects into
 * one image (wb_native_image), which the engine maps (native_file.c:
 * read-write, filled, then read-execute: never writable and executable
 * at once) or the code cache stores. Calls between functions of
 * different threads go through the table of compiled functions
 * (wb_nctx.fns); within one thread they are direct.
 */
#include "nt.h"
#include <llvm-c/Analysis.h>
#include <llvm-c/Transforms/PassBuilder.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Shared by the threads of one compilation. */
typedef struct nt_job {
    const wb_module *wm;
    uint64_t guard_reserve;
    unsigned nthreads;
    uint32_t *owner;            /* thread per definition */
    LLVMMemoryBufferRef *objs;  /* per thread: its object file */
    pthread_mutex_t mu;
    bool failed;
    wb_error err;               /* the first failure */
} nt_job;

typedef struct nt_thread {
    nt_job *job;
    unsigned index;
} nt_thread;

/* ---- one thread ------------------------------------------------------- */

static void job_fail(nt_job *j, const wb_error *e)
{
    pthread_mutex_lock(&j->mu);
    if (!j->failed) {
        j->failed = true;
        j->err = *e;
    }
    pthread_mutex_unlock(&j->mu);
}

static void set_attrs(nt_mod *m, LLVMValueRef fn)
{
    LLVMAddTargetDependentFunctionAttr(fn, "target-cpu", nt_target_cpu());
    LLVMAddTargetDependentFunctionAttr(fn, "target-features",
                                       nt_target_features());
    static const char *const attrs[] = { "nounwind", "strictfp" };
    for (size_t i = 0; i < 2; i++) {
        unsigned k = LLVMGetEnumAttributeKindForName(attrs[i], strlen(attrs[i]));
        LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex,
                                LLVMCreateEnumAttribute(m->C, k, 0));
    }
}

/* Declares this thread's functions, so calls among them are direct. */
static void declare(nt_mod *m, nt_thread *t)
{
    const wb_module *wm = m->wm;
    uint32_t ndefs = wm->nfuncs - wm->nfunc_imports;
    for (uint32_t d = 0; d < ndefs; d++) {
        if (t->job->owner[d] != t->index)
            continue;
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

static wb_status translate_all(nt_mod *m, nt_thread *t)
{
    uint32_t ndefs = m->wm->nfuncs - m->wm->nfunc_imports;
    for (uint32_t d = 0; d < ndefs; d++) {
        if (t->job->owner[d] != t->index)
            continue;
        if (t->job->failed)
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

/* Optimises this thread's module and emits it as an object file. */
static wb_status emit(nt_mod *m, nt_thread *t)
{
    char *msg = NULL;
    LLVMTargetMachineRef tm = nt_target_machine(&msg);
    if (!tm) {
        wb_err_set(m->err, WB_E_IMPL_LIMIT, "native tier: %s", msg ? msg : "?");
        LLVMDisposeMessage(msg);
        return WB_E_IMPL_LIMIT;
    }
    LLVMTargetDataRef td = LLVMCreateTargetDataLayout(tm);
    LLVMSetModuleDataLayout(m->M, td);
    LLVMDisposeTargetData(td);
    char *triple = LLVMGetTargetMachineTriple(tm);
    LLVMSetTarget(m->M, triple);
    LLVMDisposeMessage(triple);
    LLVMPassBuilderOptionsRef po = LLVMCreatePassBuilderOptions();
    LLVMErrorRef perr = LLVMRunPasses(m->M, "default<O2>", tm, po);
    LLVMDisposePassBuilderOptions(po);
    wb_status st = WB_OK;
    if (perr) {
        char *em = LLVMGetErrorMessage(perr);
        st = wb_err_set(m->err, WB_E_IMPL_LIMIT, "native tier: %s", em);
        LLVMDisposeErrorMessage(em);
    } else if (LLVMTargetMachineEmitToMemoryBuffer(tm, m->M, LLVMObjectFile,
                                                   &msg,
                                                   &t->job->objs[t->index])) {
        st = wb_err_set(m->err, WB_E_IMPL_LIMIT, "native tier: code "
                        "generation failed: %s", msg ? msg : "?");
        LLVMDisposeMessage(msg);
    }
    LLVMDisposeTargetMachine(tm);
    return st;
}

static void *thread_main(void *arg)
{
    nt_thread *t = arg;
    nt_job *j = t->job;
    wb_error err = { 0 };
    uint32_t ndefs = j->wm->nfuncs - j->wm->nfunc_imports;
    nt_mod m = { .wm = j->wm, .guard_reserve = j->guard_reserve,
                 .err = &err };
    m.fns = calloc(ndefs ? ndefs : 1, sizeof *m.fns);
    m.entries = calloc(ndefs ? ndefs : 1, sizeof *m.entries);
    m.C = LLVMContextCreate();
    m.M = LLVMModuleCreateWithNameInContext("wasm", m.C);
    m.B = LLVMCreateBuilderInContext(m.C);
    m.i1 = LLVMInt1TypeInContext(m.C);
    m.i8 = LLVMInt8TypeInContext(m.C);
    m.i16 = LLVMInt16TypeInContext(m.C);
    m.i32 = LLVMInt32TypeInContext(m.C);
    m.i64 = LLVMInt64TypeInContext(m.C);
    m.f32 = LLVMFloatTypeInContext(m.C);
    m.f64 = LLVMDoubleTypeInContext(m.C);
    m.ptr = LLVMPointerTypeInContext(m.C, 0);
    m.vt = LLVMVoidTypeInContext(m.C);
    m.v128 = LLVMVectorType(m.i64, 2);
    wb_status st = WB_OK;
    if (!m.fns || !m.entries) {
        st = wb_err_set(&err, WB_E_NOMEM, "out of memory");
    } else {
        declare(&m, t);
        st = translate_all(&m, t);
        if (st == WB_OK)
            st = check_module(&m);
        if (st == WB_OK)
            st = emit(&m, t);
    }
    if (st != WB_OK && err.status == WB_OK)
        wb_err_set(&err, st, "native tier: compilation failed");
    if (st != WB_OK)
        job_fail(j, &err);
    if (m.M)
        LLVMDisposeModule(m.M);
    LLVMDisposeBuilder(m.B);
    LLVMContextDispose(m.C);
    free(m.fns);
    free(m.entries);
    return NULL;
}

/* ---- the module ------------------------------------------------------- */

/* Largest bodies first, each to the least loaded thread. */
static void balance(nt_job *j)
{
    const wb_module *wm = j->wm;
    uint32_t ndefs = wm->nfuncs - wm->nfunc_imports;
    uint64_t load[64] = { 0 };
    for (uint32_t d = 0; d < ndefs; d++) {
        unsigned best = 0;
        for (unsigned k = 1; k < j->nthreads; k++)
            if (load[k] < load[best])
                best = k;
        j->owner[d] = best;
        load[best] += wm->funcdefs[d].body_len + 64;
    }
}

static void run_threads(nt_job *j)
{
    nt_thread ts[64];
    pthread_t tids[64];
    bool started[64] = { false };
    for (unsigned i = 0; i < j->nthreads; i++) {
        ts[i] = (nt_thread){ .job = j, .index = i };
        /* LLVM's recursion (verifier, codegen) wants a large stack. */
        pthread_attr_t a;
        pthread_attr_init(&a);
        pthread_attr_setstacksize(&a, 64u << 20);
        started[i] = i > 0 && pthread_create(&tids[i], &a, thread_main, &ts[i]) == 0;
        pthread_attr_destroy(&a);
    }
    thread_main(&ts[0]);
    for (unsigned i = 1; i < j->nthreads; i++) {
        if (started[i])
            pthread_join(tids[i], NULL);
        else
            thread_main(&ts[i]);
    }
}

static wb_status compile(const wb_module *wm, unsigned threads,
                         uint64_t guard_reserve, wb_native_image **out,
                         wb_error *err)
{
    nt_target_init();
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
    j.owner = calloc(ndefs ? ndefs : 1, sizeof *j.owner);
    j.objs = calloc(j.nthreads, sizeof *j.objs);
    if (!j.owner || !j.objs) {
        free(j.owner);
        free(j.objs);
        return wb_err_set(err, WB_E_NOMEM, "out of memory");
    }
    pthread_mutex_init(&j.mu, NULL);
    balance(&j);
    run_threads(&j);
    free(j.owner);
    pthread_mutex_destroy(&j.mu);
    wb_status st = j.failed ? j.err.status
                            : nt_link(wm, j.objs, j.nthreads, out, &j.err);
    for (unsigned i = 0; i < j.nthreads; i++)
        if (j.objs[i])
            LLVMDisposeMemoryBuffer(j.objs[i]);
    free(j.objs);
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
