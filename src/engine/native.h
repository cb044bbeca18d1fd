/*
 * native.h: the native tier, as the engine sees it.
 *
 * The compiler (src/native/, LLVM) is a plugin, libwasmbox-native.so,
 * loaded with dlopen only when a module is compiled (native_load.c): the
 * interpreter's start-up never pays for loading LLVM. The plugin turns a
 * validated module into machine code; everything the code does at run
 * time beyond arithmetic and control flow (traps, host calls, tables,
 * bulk memory) is a helper in native_rt.c, inside the engine, reached
 * through the addresses in wb_native_helpers.
 *
 * Calling convention of a compiled function (defined function d):
 *   R fn(wb_nctx *ctx, P1 p1, ...)
 * with i32 -> i32, i64 -> i64, f32 -> float, f64 -> double, v128 ->
 * <2 x i64>, references -> i64 (the pointer); R is void, the one result,
 * or a struct of them.
 * Its entry wrapper, void entry(wb_nctx *ctx, uint64_t *slots), takes
 * the arguments from slots (the interpreter's layout) and writes the
 * results back there, zero-extended.
 */
#ifndef WB_NATIVE_H
#define WB_NATIVE_H
#include "engine.h"

/* Bumped whenever anything below changes: a plugin of another build is
 * refused. */
#define WB_NATIVE_ABI 2

/* Per instance: what compiled code reads through its first argument.
 * The compiler addresses fields by offsetof. */
typedef struct wb_nctx {
    wb_store *store;
    wb_instance *inst;
    wb_memory *mem;             /* memory 0, or NULL */
    void *const *fns;           /* compiled function per definition */
    wb_global **globals;
    wb_func **funcs;
    int64_t *fuel;              /* &store->fuel */
    atomic_int *interrupt;      /* &store->interrupt */
    uint32_t *depth;            /* &store->depth */
    wb_frame *frames;           /* store->frames */
    uint32_t max_depth;
    uintptr_t stack_limit;      /* lowest native stack address allowed */
} wb_nctx;

/* Compiled code of a module, shared by its instances. */
typedef struct wb_native_code {
    uint32_t nfuncs;                    /* definitions */
    void **fns;                         /* typed functions */
    void (**entries)(wb_nctx *, uint64_t *);
    void **maps;                        /* mappings of code and data */
    size_t *map_sizes;
    size_t nmaps;
} wb_native_code;

/* Helpers compiled code calls (native_rt.c). Each that traps does not
 * return: it unwinds to the innermost wb_native_call. */
typedef struct wb_native_helpers {
    void (*trap)(wb_nctx *ctx, int kind);
    void (*call_import)(wb_nctx *ctx, uint32_t funcidx, uint64_t *slots);
    void (*call_func)(wb_nctx *ctx, wb_func *f, uint64_t *slots);
    void *(*indirect)(wb_nctx *ctx, uint32_t table, uint32_t type,
                      uint32_t idx, wb_func **out);
    uint32_t (*mem_grow)(wb_nctx *ctx, uint32_t delta);
    void (*mem_fill)(wb_nctx *ctx, uint32_t d, uint32_t v, uint32_t n);
    void (*mem_copy)(wb_nctx *ctx, uint32_t d, uint32_t s, uint32_t n);
    void (*mem_init)(wb_nctx *ctx, uint32_t seg, uint32_t d, uint32_t s,
                     uint32_t n);
    void (*data_drop)(wb_nctx *ctx, uint32_t seg);
    uint64_t (*table_get)(wb_nctx *ctx, uint32_t t, uint32_t i);
    void (*table_set)(wb_nctx *ctx, uint32_t t, uint32_t i, uint64_t v);
    uint32_t (*table_size)(wb_nctx *ctx, uint32_t t);
    uint32_t (*table_grow)(wb_nctx *ctx, uint32_t t, uint64_t init,
                           uint32_t n);
    void (*table_fill)(wb_nctx *ctx, uint32_t t, uint32_t i, uint64_t v,
                       uint32_t n);
    void (*table_copy)(wb_nctx *ctx, uint32_t dt, uint32_t st, uint32_t d,
                       uint32_t s, uint32_t n);
    void (*table_init)(wb_nctx *ctx, uint32_t t, uint32_t seg, uint32_t d,
                       uint32_t s, uint32_t n);
    void (*elem_drop)(wb_nctx *ctx, uint32_t seg);
    /* Bytes every memory reserves when the engine uses guard regions
     * (memory.c; compiled code then leaves bounds to the fault handler),
     * or 0: the engine's build decides, not the plugin's. */
    uint64_t guard_reserve;
} wb_native_helpers;

/* What the plugin exports, as the symbol wb_native_plugin_entry. */
typedef struct wb_native_plugin {
    uint32_t abi;                       /* WB_NATIVE_ABI */
    /* Compile every defined function of a validated module with up to
     * `threads` threads. "native tier: <op> not supported yet" (WB_E_IMPL_LIMIT)
     * for what it cannot translate. */
    wb_status (*compile)(const wb_module *m, const wb_native_helpers *h,
                         unsigned threads, wb_native_code **out,
                         wb_error *err);
    const char *(*describe)(void);      /* "LLVM 19.1.7, x86-64 (cpu)" */
} wb_native_plugin;

/* native_load.c: loads the plugin once (thread-safe); NULL with `why`. */
const wb_native_plugin *wb_native_load(char *why, size_t cap);
/* Compiles m for the native tier (0 threads: one per online CPU); its
 * instances made afterwards run machine code. Before instantiation. */
wb_status wb_native_compile_module(wb_module *m, unsigned threads,
                                   wb_error *err);
/* native_rt.c */
extern const wb_native_helpers wb_native_helper_table;
/* Runs f (its module compiled) like wb_interp_call. */
wb_status wb_native_call(wb_store *s, wb_func *f, uint64_t *slots,
                         wb_error *err);
void wb_native_release(wb_module *m);
/* Finds this thread's stack bounds now (compiled code checks its depth
 * against them), while /proc can still be read. */
void wb_native_prime_thread(void);

/* interp.c: shared with the native runtime. */
void wb_interp_backtrace(const wb_store *s, uint32_t from, uint32_t to,
                         wb_error *err);
wb_status wb_interp_call_host(wb_store *s, wb_instance *inst, wb_func *f,
                              uint64_t *args);
/* Guard-region faults (both tiers): install `fn` for SIGSEGV and SIGBUS,
 * keeping the previous actions; a fault that is not the guest's goes to
 * the previous action `old`. */
#include <signal.h>
void wb_fault_install(void (*fn)(int, siginfo_t *, void *),
                      struct sigaction *old_segv, struct sigaction *old_bus);
void wb_fault_forward(int sig, siginfo_t *si, void *uc,
                      const struct sigaction *old);

#endif
