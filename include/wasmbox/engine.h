/*
 * wasmbox/engine.h: the WebAssembly 2.0 engine (src/engine): modules,
 * stores, linking, instances, calls, memories, tables and globals.
 *
 * Objects and ownership
 *   wb_module    A decoded and validated module. Immutable once created and
 *                safe to share between threads; reference counted.
 *   wb_store     Owns every runtime object (instances, functions, memories,
 *                tables, globals) and the execution stack. One thread at a
 *                time may use a store; different stores run in parallel.
 *                wb_store_interrupt() is the one call that may come from any
 *                thread.
 *   wb_linker    A name -> extern map used to resolve imports. Borrows the
 *                externs it holds; they must belong to the store that the
 *                module is instantiated in.
 *   wb_instance, wb_func, wb_memory, wb_table, wb_global
 *                Owned by their store and freed with it. Never free them.
 *
 * Include <wasmbox.h> rather than this header: it includes every layer.
 */
#ifndef WASMBOX_ENGINE_H
#define WASMBOX_ENGINE_H

#include "wasmbox/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wb_module wb_module;
typedef struct wb_store wb_store;
typedef struct wb_linker wb_linker;
typedef struct wb_instance wb_instance;
typedef struct wb_func wb_func;
typedef struct wb_memory wb_memory;
typedef struct wb_table wb_table;
typedef struct wb_global wb_global;
typedef struct wb_caller wb_caller;

/* Value types use their binary encodings. */
typedef enum wb_valtype {
    WB_I32 = 0x7f, WB_I64 = 0x7e, WB_F32 = 0x7d, WB_F64 = 0x7c,
    WB_V128 = 0x7b, WB_FUNCREF = 0x70, WB_EXTERNREF = 0x6f
} wb_valtype;

typedef struct wb_val {
    wb_valtype type;
    union {
        int32_t i32;
        int64_t i64;
        uint32_t f32_bits;        /* floats travel as raw bits: NaN payloads */
        uint64_t f64_bits;        /* and signs are preserved exactly */
        wb_func *funcref;         /* NULL is ref.null func */
        void *externref;          /* NULL is ref.null extern */
        uint8_t v128[16];
    } of;
} wb_val;

typedef enum wb_extern_kind {
    WB_EXTERN_FUNC = 0, WB_EXTERN_TABLE = 1, WB_EXTERN_MEMORY = 2,
    WB_EXTERN_GLOBAL = 3
} wb_extern_kind;

typedef struct wb_extern {
    wb_extern_kind kind;
    union {
        wb_func *func;
        wb_table *table;
        wb_memory *memory;
        wb_global *global;
    } of;
} wb_extern;

/* "i32", "funcref", ...; "?" for a byte that is no value type. A static
 * string. */
WB_API const char *wb_valtype_name(wb_valtype t);

/* ---- Modules ---------------------------------------------------------- */

/* Decode and validate `len` bytes into *out (one reference, owned by the
 * caller). Copies `bytes`. Function bodies are validated here and
 * translated to internal code lazily, on first call. Errors:
 * WB_E_MALFORMED, WB_E_INVALID, WB_E_IMPL_LIMIT, WB_E_NOMEM, WB_E_ARG. */
WB_API wb_status wb_module_new(const uint8_t *bytes, size_t len,
                               wb_module **out, wb_error *err);
/* Read file `path` and call wb_module_new. Errors: those of
 * wb_module_new, WB_E_NOT_FOUND (no such file), WB_E_IO. */
WB_API wb_status wb_module_load(const char *path, wb_module **out,
                                wb_error *err);
/* Take one more reference to `m` (NULL: nothing). Thread-safe. */
WB_API void wb_module_retain(wb_module *m);
/* Drop one reference; frees the module at zero (instances hold their
 * own). NULL: nothing. Thread-safe. */
WB_API void wb_module_release(wb_module *m);

/* Compile `m` to machine code with the native tier (docs/native-tier.md)
 * on up to `threads` threads (0: one per online CPU). Calls into `m`'s
 * instances then run that code, with the interpreter's traps, limits and
 * host calls; compile before instantiating. LLVM is loaded here, not
 * before: libwasmbox-native.so beside libwasmbox.so (or the program
 * linked with libwasmbox.a), or in ../lib/wasmbox/ from there. Compiling
 * an already compiled module does nothing. Errors: WB_E_IMPL_LIMIT (no
 * plugin, or something the tier cannot compile yet; one line says
 * which), WB_E_NOMEM, WB_E_ARG. */
WB_API wb_status wb_module_compile_native(wb_module *m, unsigned threads,
                                          wb_error *err);
/* Native code for `m` from a file `wasmbox compile -o FILE` wrote (no
 * LLVM is loaded), before instantiating. The file is trusted input (it
 * is machine code): the checks (wasmbox and LLVM versions, CPU, module,
 * checksums, bounds) catch stale and damaged files, not forged ones.
 * Errors: WB_E_INVALID (refused; the message says why), WB_E_IO,
 * WB_E_NOMEM, WB_E_ARG. */
WB_API wb_status wb_module_load_native(wb_module *m, const char *path,
                                       wb_error *err);
/* Whether `m`'s functions run as machine code (compiled or loaded). */
WB_API bool wb_module_is_native(const wb_module *m);

/* Number of imports of `m`. */
WB_API size_t wb_module_import_count(const wb_module *m);
/* Import `i` (< wb_module_import_count): its module and field names and
 * kind. Strings borrow from the module; NULL names for an `i` out of
 * range. Any out-pointer may be NULL. */
WB_API void wb_module_import(const wb_module *m, size_t i,
                             const char **module, const char **name,
                             wb_extern_kind *kind);
/* Number of exports of `m`. */
WB_API size_t wb_module_export_count(const wb_module *m);
/* Export `i` (< wb_module_export_count): its name and kind, borrowed from
 * the module like wb_module_import's. */
WB_API void wb_module_export(const wb_module *m, size_t i, const char **name,
                             wb_extern_kind *kind);
/* The function's name from the name section (borrowed), or NULL. */
WB_API const char *wb_module_func_name(const wb_module *m, uint32_t funcidx);

/* ---- Stores and limits ------------------------------------------------ */

typedef struct wb_limits {
    uint64_t max_memory;       /* bytes over all memories and tables */
    uint32_t max_call_depth;   /* nested wasm calls */
    uint32_t max_instances;
    int64_t fuel;              /* < 0: unlimited */
} wb_limits;

/* Fill `l` with the defaults: 4 GiB memory, 10,000 call depth, unlimited
 * fuel. */
WB_API void wb_limits_default(wb_limits *l);

/* A new store under `limits` (copied; NULL: the defaults) into *out, owned
 * by the caller. Errors: WB_E_ARG (out NULL), WB_E_NOMEM. */
WB_API wb_status wb_store_new(const wb_limits *limits, wb_store **out,
                              wb_error *err);
/* Free the store and everything it owns (instances, functions, memories,
 * tables, globals); releases the modules its instances hold. NULL:
 * nothing. */
WB_API void wb_store_free(wb_store *s);
/* Thread-safe: the running guest traps with WB_TRAP_INTERRUPT at its next
 * loop header or call. Sticky until wb_store_clear_interrupt. */
WB_API void wb_store_interrupt(wb_store *s);
/* Clear a wb_store_interrupt, so that the store can run again. */
WB_API void wb_store_clear_interrupt(wb_store *s);
/* Set the fuel left (< 0: unlimited). Fuel: one unit per instruction
 * executed (paid by each call and each loop iteration), plus, before any
 * work is done, one per 64 bytes that memory.fill/copy/init write and one
 * per 8 elements that table.fill/copy/init/grow touch. Running out traps
 * WB_TRAP_FUEL. */
WB_API void wb_store_set_fuel(wb_store *s, int64_t fuel);
/* Fuel spent since the last wb_store_set_fuel (or wb_store_new); 0 while
 * fuel is unlimited. */
WB_API int64_t wb_store_fuel_used(const wb_store *s);
/* The most bytes of memories and tables the store has held at once. */
WB_API uint64_t wb_store_peak_memory(const wb_store *s);
/* Attach an opaque pointer for the embedder (borrowed; the WASI layer
 * keeps its context here). */
WB_API void wb_store_set_user(wb_store *s, void *user);
/* The pointer of wb_store_set_user, or NULL. */
WB_API void *wb_store_user(const wb_store *s);

/* ---- Host functions --------------------------------------------------- */

/* A host function reads `args` and writes `results` (types already set)
 * and returns WB_OK, or the status from wb_caller_trap/wb_caller_exit. */
typedef wb_status (*wb_host_fn)(wb_caller *caller, void *env,
                                const wb_val *args, wb_val *results);

/* A function of store `s` that calls `fn` with `env` (borrowed), of type
 * params -> results (both copied). Owned by the store. NULL when a
 * type is no value type, there are too many of them, or memory runs
 * out. */
WB_API wb_func *wb_func_new_host(wb_store *s, const wb_valtype *params,
                                 size_t nparams, const wb_valtype *results,
                                 size_t nresults, wb_host_fn fn, void *env);
/* The store the host function runs in. */
WB_API wb_store *wb_caller_store(wb_caller *c);
/* Memory 0 of the calling instance, or NULL. */
WB_API wb_memory *wb_caller_memory(wb_caller *c);
/* Make the call trap (WB_TRAP_HOST) with a printf-style message (NULL:
 * the default text); return its result from the host function. */
WB_API wb_status wb_caller_trap(wb_caller *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* End the guest with exit code `code` (WB_E_EXIT reaches the caller of
 * wb_func_call); return its result from the host function. */
WB_API wb_status wb_caller_exit(wb_caller *c, int code);

/* ---- Linking and instances -------------------------------------------- */

/* A new empty linker, owned by the caller; NULL when out of memory. */
WB_API wb_linker *wb_linker_new(void);
/* Free the linker (not the externs it names). NULL: nothing. */
WB_API void wb_linker_free(wb_linker *l);
/* Define import `module`.`name` (both copied) as `ext` (borrowed); a
 * later definition of the same name replaces the earlier one. Errors:
 * WB_E_ARG (NULL argument or extern), WB_E_NOMEM, WB_E_LIMIT. */
WB_API wb_status wb_linker_define(wb_linker *l, const char *module,
                                  const char *name, wb_extern ext);
/* Define every export of `inst` under module name `module`; errors as
 * wb_linker_define. */
WB_API wb_status wb_linker_define_instance(wb_linker *l, const char *module,
                                           wb_instance *inst);

/* Resolve imports through `l` (may be NULL when there are none), allocate,
 * initialise segments and run the start function; the instance, owned by
 * `s`, holds a reference to `m`. On a trap during initialisation, writes
 * already done stay visible in imported memories and tables (Wasm 2.0).
 * Errors: WB_E_LINK, WB_E_TRAP, WB_E_EXIT, WB_E_LIMIT, WB_E_NOMEM,
 * WB_E_ARG. */
WB_API wb_status wb_instantiate(wb_store *s, wb_module *m, const wb_linker *l,
                                wb_instance **out, wb_error *err);
/* The module `inst` was made from (borrowed). */
WB_API const wb_module *wb_instance_module(const wb_instance *inst);
/* Export lookup by name (len bytes, names may hold NUL); false when there
 * is none. */
WB_API bool wb_instance_export(const wb_instance *inst, const char *name,
                               size_t len, wb_extern *out);
/* The exported function `name` (NUL-terminated), or NULL. */
WB_API wb_func *wb_instance_func(const wb_instance *inst, const char *name);
/* The exported memory `name` (NUL-terminated), or NULL. */
WB_API wb_memory *wb_instance_memory(const wb_instance *inst,
                                     const char *name);

/* ---- Functions -------------------------------------------------------- */

/* Number of parameters of `f`. */
WB_API size_t wb_func_param_count(const wb_func *f);
/* Number of results of `f`. */
WB_API size_t wb_func_result_count(const wb_func *f);
/* Type of parameter `i`; 0 when `i` is out of range. */
WB_API wb_valtype wb_func_param_type(const wb_func *f, size_t i);
/* Type of result `i`; 0 when `i` is out of range. */
WB_API wb_valtype wb_func_result_type(const wb_func *f, size_t i);
/* Call `f` of store `s` with typed arguments; `results` must hold
 * result_count values. Errors: WB_E_ARG (count, type or store mismatch),
 * WB_E_TRAP (err->trap says which, err->backtrace where), WB_E_EXIT,
 * WB_E_NOMEM. */
WB_API wb_status wb_func_call(wb_store *s, wb_func *f, const wb_val *args,
                              size_t nargs, wb_val *results, size_t nresults,
                              wb_error *err);

/* ---- Memories, tables, globals ---------------------------------------- */

/* The bytes of `m` (borrowed; wb_memory_size of them). A memory never
 * moves: the pointer stays valid, growth included, until the store is
 * freed. */
WB_API uint8_t *wb_memory_data(const wb_memory *m);
/* Size of `m` in bytes. */
WB_API uint64_t wb_memory_size(const wb_memory *m);
/* Grow `m` by `delta_pages` of 64 KiB. Returns the old size in pages, or
 * -1 if growth is refused (maximum, store limit, or no memory). */
WB_API int64_t wb_memory_grow(wb_memory *m, uint32_t delta_pages);

/* A new memory of store `s` (owned by it) of `min_pages`, at most
 * `max_pages` when has_max, to import into instances. Errors: WB_E_ARG
 * (bad sizes), WB_E_LIMIT, WB_E_NOMEM. */
WB_API wb_status wb_memory_new(wb_store *s, uint32_t min_pages,
                               uint32_t max_pages, bool has_max,
                               wb_memory **out, wb_error *err);
/* A new table of store `s` (owned by it) of `min` null references of
 * type `elem` (WB_FUNCREF or WB_EXTERNREF), at most `max` when has_max.
 * Errors: WB_E_ARG, WB_E_LIMIT (8 bytes per element count against the
 * store's memory), WB_E_IMPL_LIMIT, WB_E_NOMEM. */
WB_API wb_status wb_table_new(wb_store *s, wb_valtype elem, uint32_t min,
                              uint32_t max, bool has_max, wb_table **out,
                              wb_error *err);
/* Number of elements of `t`. */
WB_API uint32_t wb_table_size(const wb_table *t);
/* A new global of store `s` (owned by it) of init's type and value.
 * Errors: WB_E_ARG (no value type), WB_E_NOMEM. */
WB_API wb_status wb_global_new(wb_store *s, wb_val init, bool mutable_,
                               wb_global **out, wb_error *err);
/* The current value of `g`. */
WB_API wb_val wb_global_get(const wb_global *g);

#ifdef __cplusplus
}
#endif
#endif
