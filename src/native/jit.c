/*
 * jit.c: compiles a module for the native tier (the plugin's entry).
 *
 * Definitions are split into one LLVM module per thread (balanced by body
 * size); each thread translates its functions, runs the O2 pipeline and
 * emits machine code with MCJIT into pages it maps itself. Pages are
 * mapped read-write, filled, then made read-execute (or read-only) with
 * mprotect: never writable and executable at once. Calls between
 * functions of different threads go through the table of compiled
 * functions (wb_nctx.fns); within one thread they are direct.
 */
#include "nt.h"
#include <llvm-c/Analysis.h>
#include <llvm-c/ExecutionEngine.h>
#include <llvm-c/Transforms/PassBuilder.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

typedef struct nt_map { void *p; size_t size; int prot; } nt_map;

/* Shared by the threads of one compilation. */
typedef struct nt_job {
    const wb_module *wm;
    const wb_native_helpers *h;
    unsigned nthreads;
    uint32_t *owner;            /* thread per definition */
    void **fns;
    void (**entries)(wb_nctx *, uint64_t *);
    pthread_mutex_t mu;
    nt_map *maps;
    size_t nmaps, capmaps;
    bool failed;
    wb_error err;               /* the first failure */
} nt_job;

typedef struct nt_thread {
    nt_job *job;
    unsigned index;
    size_t first_map;           /* this thread's maps: from here, in maps */
    nt_map *mine;
    size_t nmine, capmine;
    bool oom;
} nt_thread;

/* ---- W^X memory manager ------------------------------------------------- */

static uint8_t *mm_alloc(nt_thread *t, uintptr_t size, int prot)
{
    long pg = sysconf(_SC_PAGESIZE);
    size_t n = ((size_t)size + (size_t)pg - 1) & ~((size_t)pg - 1);
    if (!n)
        n = (size_t)pg;
    if (t->nmine == t->capmine) {
        size_t cap = t->capmine ? 2 * t->capmine : 16;
        nt_map *m = realloc(t->mine, cap * sizeof *m);
        if (!m) { t->oom = true; return NULL; }
        t->mine = m;
        t->capmine = cap;
    }
    void *p = mmap(NULL, n, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) { t->oom = true; return NULL; }
    t->mine[t->nmine++] = (nt_map){ p, n, prot };
    return p;
}

static uint8_t *mm_code(void *opaque, uintptr_t size, unsigned align,
                        unsigned id, const char *name)
{
    return mm_alloc(opaque, size, PROT_READ | PROT_EXEC);
}

static uint8_t *mm_data(void *opaque, uintptr_t size, unsigned align,
                        unsigned id, const char *name, LLVMBool ro)
{
    return mm_alloc(opaque, size, ro ? PROT_READ : PROT_READ | PROT_WRITE);
}

/* Relocations are applied: now each page gets its final protection. */
static LLVMBool mm_finalize(void *opaque, char **msg)
{
    nt_thread *t = opaque;
    for (size_t i = 0; i < t->nmine; i++) {
        nt_map *m = &t->mine[i];
        if (m->prot == (PROT_READ | PROT_WRITE))
            continue;
        if (m->prot & PROT_EXEC)
            nt_target_flush(m->p, m->size);
        if (mprotect(m->p, m->size, m->prot) != 0) {
            *msg = strdup("mprotect of native code failed");
            return 1;
        }
    }
    return 0;
}

static void mm_destroy(void *opaque)
{
    /* The pages outlive the engine: the module owns them (job->maps). */
}

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
        snprintf(name, sizeof name, "e%u", d);
        LLVMTypeRef et = LLVMFunctionType(m->vt, (LLVMTypeRef[]){ m->ptr, m->ptr }, 2, 0);
        m->entries[d] = LLVMAddFunction(m->M, name, et);
        set_attrs(m, m->entries[d]);
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

/* Optimises and emits this thread's module; fills job->fns/entries. */
static wb_status emit(nt_mod *m, nt_thread *t)
{
    struct LLVMMCJITCompilerOptions o;
    LLVMInitializeMCJITCompilerOptions(&o, sizeof o);
    o.OptLevel = 2;
    o.MCJMM = LLVMCreateSimpleMCJITMemoryManager(t, mm_code, mm_data,
                                                 mm_finalize, mm_destroy);
    LLVMExecutionEngineRef ee;
    char *msg = NULL;
    if (LLVMCreateMCJITCompilerForModule(&ee, m->M, &o, sizeof o, &msg)) {
        wb_err_set(m->err, WB_E_IMPL_LIMIT, "native tier: %s", msg ? msg : "?");
        LLVMDisposeMessage(msg);
        return WB_E_IMPL_LIMIT;
    }
    LLVMTargetMachineRef tm = LLVMGetExecutionEngineTargetMachine(ee);
    LLVMPassBuilderOptionsRef po = LLVMCreatePassBuilderOptions();
    LLVMErrorRef perr = LLVMRunPasses(m->M, "default<O2>", tm, po);
    LLVMDisposePassBuilderOptions(po);
    wb_status st = WB_OK;
    if (perr) {
        char *em = LLVMGetErrorMessage(perr);
        st = wb_err_set(m->err, WB_E_IMPL_LIMIT, "native tier: %s", em);
        LLVMDisposeErrorMessage(em);
    }
    uint32_t ndefs = m->wm->nfuncs - m->wm->nfunc_imports;
    for (uint32_t d = 0; d < ndefs && st == WB_OK; d++) {
        if (t->job->owner[d] != t->index)
            continue;
        char name[32];
        snprintf(name, sizeof name, "e%u", d);
        uint64_t e = LLVMGetFunctionAddress(ee, name);
        snprintf(name, sizeof name, "f%u", d);
        void *f = (void *)(uintptr_t)LLVMGetFunctionAddress(ee, name);
        if (!e || !f || t->oom) {
            st = wb_err_set(m->err, WB_E_NOMEM, "native tier: code "
                            "generation failed");
            break;
        }
        t->job->entries[d] = (void (*)(wb_nctx *, uint64_t *))(uintptr_t)e;
        t->job->fns[d] = f;
    }
    LLVMDisposeExecutionEngine(ee);    /* and the module */
    m->M = NULL;
    return st;
}

static void *thread_main(void *arg)
{
    nt_thread *t = arg;
    nt_job *j = t->job;
    wb_error err = { 0 };
    uint32_t ndefs = j->wm->nfuncs - j->wm->nfunc_imports;
    nt_mod m = { .wm = j->wm, .h = j->h, .err = &err };
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

static void free_maps(nt_thread *ts, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        for (size_t k = 0; k < ts[i].nmine; k++)
            munmap(ts[i].mine[k].p, ts[i].mine[k].size);
        free(ts[i].mine);
    }
}

static wb_native_code *collect(nt_job *j, nt_thread *ts, unsigned n)
{
    wb_native_code *c = calloc(1, sizeof *c);
    size_t total = 0;
    for (unsigned i = 0; i < n; i++)
        total += ts[i].nmine;
    if (!c)
        return NULL;
    c->maps = calloc(total ? total : 1, sizeof *c->maps);
    c->map_sizes = calloc(total ? total : 1, sizeof *c->map_sizes);
    if (!c->maps || !c->map_sizes) {
        free(c->maps);
        free(c->map_sizes);
        free(c);
        return NULL;
    }
    for (unsigned i = 0; i < n; i++) {
        for (size_t k = 0; k < ts[i].nmine; k++) {
            c->maps[c->nmaps] = ts[i].mine[k].p;
            c->map_sizes[c->nmaps++] = ts[i].mine[k].size;
        }
        free(ts[i].mine);
    }
    c->nfuncs = j->wm->nfuncs - j->wm->nfunc_imports;
    c->fns = j->fns;
    c->entries = j->entries;
    return c;
}

static wb_status compile(const wb_module *wm, const wb_native_helpers *h,
                         unsigned threads, wb_native_code **out,
                         wb_error *err)
{
    nt_target_init();
    uint32_t ndefs = wm->nfuncs - wm->nfunc_imports;
    nt_job j = { .wm = wm, .h = h };
    j.nthreads = threads < 1 ? 1 : threads > 64 ? 64 : threads;
    /* a thread per 16 KiB of code at most: small modules (most of the
     * spec tests) are not worth a thread */
    uint64_t bytes = 0;
    for (uint32_t d = 0; d < ndefs; d++)
        bytes += wm->funcdefs[d].body_len;
    if (j.nthreads > bytes / 16384 + 1)
        j.nthreads = (unsigned)(bytes / 16384 + 1);
    pthread_mutex_init(&j.mu, NULL);
    j.owner = calloc(ndefs ? ndefs : 1, sizeof *j.owner);
    j.fns = calloc(ndefs ? ndefs : 1, sizeof *j.fns);
    j.entries = calloc(ndefs ? ndefs : 1, sizeof *j.entries);
    nt_thread ts[64];
    memset(ts, 0, sizeof ts);
    pthread_t tids[64];
    bool started[64] = { false };
    if (!j.owner || !j.fns || !j.entries) {
        free(j.owner); free(j.fns); free(j.entries);
        return wb_err_set(err, WB_E_NOMEM, "out of memory");
    }
    balance(&j);
    for (unsigned i = 0; i < j.nthreads; i++) {
        ts[i] = (nt_thread){ .job = &j, .index = i };
        /* LLVM's recursion (verifier, codegen) wants a large stack. */
        pthread_attr_t a;
        pthread_attr_init(&a);
        pthread_attr_setstacksize(&a, 64u << 20);
        started[i] = i > 0 && pthread_create(&tids[i], &a, thread_main, &ts[i]) == 0;
        pthread_attr_destroy(&a);
    }
    thread_main(&ts[0]);
    for (unsigned i = 1; i < j.nthreads; i++) {
        if (started[i])
            pthread_join(tids[i], NULL);
        else
            thread_main(&ts[i]);
    }
    free(j.owner);
    pthread_mutex_destroy(&j.mu);
    wb_native_code *c = NULL;
    if (!j.failed && !(c = collect(&j, ts, j.nthreads)))
        wb_err_set(&j.err, WB_E_NOMEM, "out of memory"), j.failed = true;
    if (j.failed) {
        if (!c)
            free_maps(ts, j.nthreads);
        free(j.fns);
        free(j.entries);
        if (err)
            *err = j.err;
        return j.err.status;
    }
    *out = c;
    return WB_OK;
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
