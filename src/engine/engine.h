/*
 * engine.h: internal types shared by the engine's files. Not installed.
 *
 *   opcodes.h/.c               the instruction set: one entry per opcode
 *   decode.c    wb_decode_*    binary -> wb_module (sections, names)
 *   modcheck.c  wb_modcheck    module-level validation (all but bodies)
 *   compile.c   wb_compile_*   body validation + translation to wb_code
 *   ops.h                      the internal ops wb_code is made of
 *   interp.c    wb_interp_*    executes wb_code (computed goto)
 *   memory.c    wb_mem_*       linear memory with guard regions
 *   store.c     wb_rt_*        store, allocation and memory accounting
 *   runtime.c   wb_rt_*        tables, globals, host functions, calls
 *   link.c      wb_rt_*        linker and import matching
 *   instance.c  wb_rt_*        instantiation and exports
 *   runtime.h                  helpers shared by memory.c ... api.c
 *   api.c                      modules: new, load, reference counting
 *   pool.c      wb_pool_*      cache of address-space reservations
 *   state.c     wb_state_*     an instance's state, captured and restored
 *                              (what src/snapshot writes to a file)
 *   fork.c      wb_fork_*      a copy of a running interpreted guest
 *                              (processes, src/proc/)
 *   group.c     wb_group_*     a budget shared by several stores
 */
#ifndef WB_ENGINE_H
#define WB_ENGINE_H

#include "wasmbox/engine.h"
#include "common/error.h"
#include <stdatomic.h>
#include <stdarg.h>
#include <setjmp.h>

/* Guard regions replace bounds checks on 64-bit hosts; elsewhere, and in
 * the sanitizer build, every access is checked explicitly. */
#if !defined(WB_BOUNDS_CHECKS) && !defined(__x86_64__)
#define WB_BOUNDS_CHECKS 1
#endif
#ifndef WB_BOUNDS_CHECKS
#define WB_BOUNDS_CHECKS 0
#endif

#define WB_PAGE_SIZE 65536u
#if !WB_BOUNDS_CHECKS
/* What a memory reserves with guard regions (memory.c): any u32 index
 * plus u32 offset plus a 16-byte access stays inside. */
#define WB_GUARD_RESERVE_BYTES ((1ull << 33) + WB_PAGE_SIZE)
#endif
#define WB_MAX_PAGES 65536u
#define WB_LIKELY(x) __builtin_expect(!!(x), 1)
#define WB_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* Implementation limits: hostile modules must fail cleanly, not exhaust
 * the host. Each is far above what real compilers emit. */
#define WB_MAX_MODULE_SIZE   (1u << 30)
#define WB_MAX_TYPES         1000000u
#define WB_MAX_FUNCS         1000000u
#define WB_MAX_IMPORTS       100000u
#define WB_MAX_EXPORTS       100000u
#define WB_MAX_PARAMS        1000u
#define WB_MAX_RESULTS       1000u
#define WB_MAX_LOCALS        50000u
#define WB_MAX_TABLE_SIZE    10000000u
#define WB_MAX_SEGMENTS      100000u
#define WB_MAX_BR_TABLE      1000000u
#define WB_MAX_FRAME_SLOTS   (1u << 20)

/* Value types (binary encoding, see wb_valtype). */
static inline bool wb_is_ref(uint8_t t) { return t == WB_FUNCREF || t == WB_EXTERNREF; }
static inline bool wb_is_num(uint8_t t) { return t >= WB_V128 && t <= WB_I32; }
/* Slots are 8 bytes; v128 takes two. */
static inline uint32_t wb_slots_of(uint8_t t) { return t == WB_V128 ? 2 : 1; }

/* ---- Module (decode.c) ------------------------------------------------- */

typedef struct wb_functype {
    uint32_t nparams, nresults;
    uint8_t *types;            /* params then results */
    uint32_t param_slots, result_slots;
} wb_functype;

typedef struct wb_limits32 { uint32_t min, max; bool has_max; } wb_limits32;
typedef struct wb_tabletype { uint8_t elem; wb_limits32 lim; } wb_tabletype;
typedef struct wb_globaltype { uint8_t type; bool mut; } wb_globaltype;

/* A constant expression: one instruction (Wasm 2.0 has no extended const). */
enum { WB_CONST_VALUE, WB_CONST_GLOBAL, WB_CONST_REF_NULL, WB_CONST_REF_FUNC };
typedef struct wb_const {
    uint8_t kind;              /* WB_CONST_* */
    uint8_t type;              /* value type it produces */
    uint32_t index;            /* global or function index */
    uint64_t bits[2];          /* WB_CONST_VALUE: raw bits (v128 uses both) */
} wb_const;

typedef struct wb_import {
    char *module, *name;       /* NUL-terminated copies; may hold NULs */
    uint32_t module_len, name_len;
    uint8_t kind;              /* wb_extern_kind */
    union {
        uint32_t typeidx;
        wb_tabletype table;
        wb_limits32 mem;
        wb_globaltype global;
    } u;
} wb_import;

typedef struct wb_export {
    char *name;
    uint32_t name_len;
    uint8_t kind;
    uint32_t index;
} wb_export;

struct wb_code;

typedef struct wb_funcdef {
    uint32_t typeidx;
    const uint8_t *body;       /* locals vector then expression, into bytes */
    uint32_t body_len;
    uint32_t body_offset;      /* file offset, for messages */
    _Atomic(struct wb_code *) code;   /* translated lazily (compile.c) */
} wb_funcdef;

enum { WB_SEG_ACTIVE, WB_SEG_PASSIVE, WB_SEG_DECLARATIVE };

typedef struct wb_elem {
    uint8_t mode, type;
    uint32_t table;
    wb_const offset;
    uint32_t count;
    wb_const *items;           /* ref.func i / ref.null / global.get */
} wb_elem;

typedef struct wb_data {
    uint8_t mode;
    uint32_t memory;
    wb_const offset;
    const uint8_t *bytes;
    uint32_t len;
} wb_data;

struct wb_module {
    _Atomic uint32_t refs;
    uint8_t *bytes; size_t len;        /* owned copy of the binary */
    size_t bytes_map;                  /* > 0: bytes is an anonymous
                                          mapping of this size (munmap) */
    /* bytes is a private mapping of the module's file (a deferred load,
     * wb_module_load_deferred): read in place, not copied, until a body
     * is about to be read, when wb_module_bodies_ready makes every page
     * a private copy (its pages cannot change under a translation) */
    bool bytes_file;
    /* A deferred load leaves the code section [code_pos, code_end) to
     * wb_module_bodies_ready (the funcdefs' body fields are unset until
     * then): finding 9,300 bodies walked CPython's 8 MiB, which a run of
     * its cached machine code never reads. Both flags are set by the
     * decoder and never change; bodies_ready says it was done. */
    bool bodies_pending;
    size_t code_pos, code_end;
    _Atomic bool bodies_ready;         /* private and found, when they are */
    /* The name section's content [names_pos, names_end) (0, 0: none),
     * decoded into func_names on first need (wb_module_names). */
    size_t names_pos, names_end;
    _Atomic bool names_done;

    wb_functype *types; uint32_t ntypes;
    wb_import *imports; uint32_t nimports;

    /* Index spaces: imports first, then definitions. */
    uint32_t nfuncs, nfunc_imports;    /* nfuncs counts both */
    uint32_t *func_types;              /* type index per function */
    wb_funcdef *funcdefs;              /* nfuncs - nfunc_imports entries */

    uint32_t ntables, ntable_imports;
    wb_tabletype *tables;              /* all tables, imports first */
    uint32_t nmems, nmem_imports;
    wb_limits32 *mems;
    uint32_t nglobals, nglobal_imports;
    wb_globaltype *globals;
    wb_const *global_inits;            /* nglobals - nglobal_imports */

    wb_export *exports; uint32_t nexports;
    bool has_start; uint32_t start;
    wb_elem *elems; uint32_t nelems;
    wb_data *datas; uint32_t ndatas;
    bool has_datacount; uint32_t datacount;

    uint8_t *declared_funcs;           /* bitset: C.refs for ref.func */
    char **func_names;                 /* name section (wb_module_names:
                                          NULL until then), NULL entries */
    char *func_names_buf;              /* the names, NUL-terminated */
    /* Machine code from the native tier (native.h), or NULL: set once,
     * before the module is instantiated. */
    _Atomic(struct wb_native_code *) native;
    /* XXH3-128 of bytes once known (wb_module_hash128): the native code
     * cache's key and a snapshot's binding, each 8 MiB for CPython */
    _Atomic uint64_t hash_lo, hash_hi;
    _Atomic bool hashed;
    /* While wb_decode_cancel decodes it: the caller's flag, checked
     * between function bodies and every 64 Ki instructions of one, so
     * that validating a huge module ends with its process's deadline;
     * NULL otherwise. */
    const _Atomic bool *cancel;
    /* A process tree's module file (src/proc/modules.c): the group its
     * translations are charged to beyond WB_TRANSLATION_PER_BYTE (a
     * br_table makes up to 8 cells, 64 bytes, of a body byte), and what
     * they took so; NULL: not charged (the embedder's modules). */
    _Atomic(struct wb_group *) code_group;
    _Atomic uint64_t code_extra;
};

/* api.c: before reading a function body of m (translating or compiling
 * it), once: a module whose bytes map its file (bytes_file) gets a
 * private copy of every page, so that a write to the file cannot change
 * what is being validated, and a deferred load's bodies are found
 * (wb_decode_bodies). WB_E_NOMEM when the copy fails, WB_E_MALFORMED
 * for a code section that does not hold its bodies (then on every
 * call). */
wb_status wb_module_bodies_ready(wb_module *m, wb_error *err);
/* decode.c: the name section's function names into m->func_names, once
 * (several threads may ask); NULL where the module has none or they are
 * malformed (a custom section's errors are ignored). Then returns
 * m->func_names. */
char **wb_module_names(wb_module *m);
/* decode.c: the index of the function the name section calls `name`
 * (its first entry of that name), read from the section without
 * decoding it whole, or UINT32_MAX; for n names in one pass into out. */
uint32_t wb_module_find_name(const wb_module *m, const char *name);
void wb_module_find_names(const wb_module *m, const char *const *names,
                          size_t n, uint32_t *out);
/* decode.c: fill the funcdefs' body fields of a deferred load from its
 * code section (the caller serialises it; wb_module_bodies_ready). */
wb_status wb_decode_bodies(wb_module *m, wb_error *err);
/* api.c: the XXH3-128 of m's bytes (low, high), computed once. */
void wb_module_hash128(const wb_module *m, uint64_t out[2]);
/* Record that m's bytes hash to h (low, high) without computing it: for
 * a caller that knows, e.g. the module of a snapshot whose stamp says
 * both files were checked whole (src/sandbox/preinit_stamp.c). */
void wb_module_hash_known(wb_module *m, const uint64_t h[2]);

/* decode.c: fills every field above and runs wb_modcheck. Messages match
 * the spec's assert_malformed texts where one exists. bodies false leaves
 * the function bodies to wb_compile, which validates each one before its
 * first call (wb_module_new_deferred). */
wb_status wb_decode(const uint8_t *bytes, size_t len, bool bodies,
                    wb_module **out, wb_error *err);
/* The same without a copy: the module takes `bytes`, an anonymous mapping
 * of map_len bytes (freed with the module, or here on failure). */
wb_status wb_decode_adopt(uint8_t *bytes, size_t len, size_t map_len,
                          bool bodies, wb_module **out, wb_error *err);
/* wb_decode_adopt that stops with WB_E_LIMIT ("cancelled") once *cancel
 * is true: a process of a tree loading a module file (src/proc/). */
wb_status wb_decode_cancel(uint8_t *bytes, size_t len, size_t map_len,
                           const _Atomic bool *cancel, wb_module **out,
                           wb_error *err);
/* api.c: the host memory m holds, roughly: its bytes, its decoded
 * tables and an allowance for the interpreter's translation of its
 * bodies (made lazily, shared by its instances). What a process tree
 * charges for a module file it loads (docs/processes.md). */
size_t wb_module_host_bytes(const wb_module *m);
/* The interpreter's translation of a body, per byte of the body: 4.4 to
 * 5.1 measured on the shell, Lua, SQLite and CPython guests (every body
 * translated; 8-byte cells), so 6 bounds what a module that runs all its
 * code makes of it; wb_compile charges a module's code_group the rest. */
#define WB_TRANSLATION_PER_BYTE 6u
/* From now on a translation of m beyond WB_TRANSLATION_PER_BYTE is
 * charged to g (NULL: no longer), or refused with a memory-limit trap;
 * returns what was charged so far (the caller gives it back). */
uint64_t wb_module_charge_code(wb_module *m, struct wb_group *g);
void wb_module_destroy(wb_module *m);
/* modcheck.c: module-level validation (limits, types of constant
 * expressions, export uniqueness, start type, segments, C.refs). Then
 * validates every body with wb_compile_validate. */
wb_status wb_modcheck(wb_module *m, bool bodies, wb_error *err);
/* api.c: wb_module_load without validating the function bodies up front:
 * wb_compile validates each body before its first call (and fails that
 * call with the validator's error), so no unvalidated code ever runs, but
 * an invalid module is only found out when the invalid function is
 * called. For modules known to be valid: the module of a pre-initialized
 * guest snapshot, which was made from the same bytes (src/sandbox/
 * preinit.c), where validating 8 MiB of CPython took most of a start. */
wb_status wb_module_load_deferred(const char *path, wb_module **out,
                                  wb_error *err);
/* The same, and the file's status as fstat gives it once its bytes are
 * read into *after (its identity for src/sandbox/preinit_stamp.c: a
 * write to it while it was read shows in its ctime). */
struct stat;
wb_status wb_module_load_deferred_stat(const char *path, wb_module **out,
                                       struct stat *after, wb_error *err);
/* instance.c: the function of `inst` that the module's name section calls
 * `name` (exported or not), or NULL. For hosts that drive a guest's
 * internals between calls (src/sandbox/preinit.c). */
wb_func *wb_instance_func_named(const wb_instance *inst, const char *name);
/* The same for n names in one pass (out[i] NULL: none). */
void wb_instance_funcs_named(const wb_instance *inst,
                             const char *const *names, size_t n,
                             wb_func **out);
const wb_functype *wb_module_functype(const wb_module *m, uint32_t funcidx);

/* ---- Internal code (compile.c / interp.c) ------------------------------ */

/* Direct-threaded code: each instruction is a handler address followed by
 * operand cells. Operands that name values are byte offsets from the frame
 * pointer, so i32/i64/f32/f64 handlers share one addressing scheme. */
typedef union wb_cell {
    const void *op;
    uint64_t u64;
    int64_t i64;
    uint32_t u32[2];
    int32_t i32[2];
    void *ptr;
} wb_cell;

typedef struct wb_code {
    wb_cell *cells;
    uint32_t ncells;
    uint32_t param_slots;      /* arguments already in place at entry */
    uint32_t local_slots;      /* params + declared locals */
    uint32_t frame_slots;      /* locals + maximum operand stack */
    uint32_t result_slots;
} wb_code;

/* Validate one body (no code emitted). */
wb_status wb_compile_validate(const wb_module *m, uint32_t defidx,
                              wb_error *err);
/* Validate and translate; publishes into funcdefs[defidx].code once, even
 * when several threads race, and sets *out to it. */
wb_status wb_compile(wb_module *m, uint32_t defidx, const wb_code **out,
                     wb_error *err);
void wb_code_free(wb_code *c);

/* ---- Runtime (runtime.c, memory.c) -------------------------------------- */

struct wb_func {
    const wb_functype *type;
    wb_instance *inst;         /* NULL for host functions */
    uint32_t funcidx;          /* index in inst->module */
    wb_funcdef *def;           /* NULL for host functions */
    wb_host_fn host;
    void *env;
    wb_functype own_type;      /* host functions keep their type here */
};

struct wb_memory {
    uint8_t *base;             /* start of the reservation */
    uint64_t size;             /* accessible bytes */
    uint64_t reserved;         /* bytes of address space reserved */
    uint32_t max_pages;        /* effective maximum (type and limits) */
    uint64_t image;            /* first bytes mapped from a snapshot file
                                  (copy-on-write); 0: anonymous only */
    wb_limits32 type;
    wb_store *store;
};

struct wb_table {
    void **elems;              /* wb_func* or externref pointers */
    uint32_t size, max;
    wb_tabletype type;
    wb_store *store;
};

struct wb_global {
    wb_globaltype type;
    uint64_t val[2];           /* raw bits; refs as pointers */
};

struct wb_instance {
    wb_module *module;         /* holds one reference */
    wb_store *store;
    wb_func **funcs;
    wb_table **tables;
    wb_memory **mems;
    wb_global **globals;
    void ***elem_refs;         /* per segment: refs, or NULL once dropped */
    uint32_t *elem_len;        /* 0 once dropped */
    uint32_t *data_len;        /* 0 once dropped */
    uint8_t *mem0_base;        /* cache for the interpreter */
    struct wb_nctx *native_ctx;   /* native tier: made at its first call */
    bool starting;             /* its start function runs: instantiation
                                  has not returned (no fork then) */
};

/* Frames of the interpreter's call stack. */
typedef struct wb_frame {
    const wb_cell *ret_ip;     /* where the caller resumes */
    uint64_t *fp;              /* caller's frame pointer */
    wb_func *func;             /* the function this frame runs */
} wb_frame;

struct wb_store {
    wb_limits limits;
    void *user;
    atomic_int interrupt;
    int64_t fuel;              /* remaining; INT64_MAX when unlimited */
    int64_t fuel_start;
    uint64_t mem_used, mem_peak;

    uint64_t *stack, *stack_end;       /* value stack (slots) */
    uint64_t *stack_limit;             /* charged to the memory budget up
                                          to here (wb_rt_stack_grow) */
    uint64_t *stack_top;               /* first free slot while a host
                                          function runs (re-entry point) */
    wb_frame *frames;
    uint32_t depth, max_depth;
    uint32_t host_nesting;             /* wasm -> host -> wasm re-entries */

    /* Everything allocated, freed with the store. */
    void **objs; size_t nobjs, cap_objs;
    wb_instance **insts; size_t ninsts, cap_insts;
    /* Memories and tables: mappings and element arrays to release. */
    wb_memory **mems; size_t nmems, cap_mems;
    wb_table **tables; size_t ntables, cap_tables;

    /* Pending error from a host function or the signal handler. */
    wb_error pending;

    /* The host call the interpreter is making from the store's outermost
     * activation (call_host in interp.c; NULL ip otherwise: no call, a
     * re-entry, native code, the API): where wb_fork finds the guest's
     * state that lives in exec()'s registers. */
    struct wb_host_site {
        const wb_cell *ip;             /* resumes after the call */
        uint64_t *fp;                  /* the calling frame */
        uint64_t *args;                /* arguments, then results */
        wb_func *callee;               /* the host function */
        uint32_t depth;                /* s->depth: the calling frame */
    } site;
    /* A child made by wb_fork, before wb_fork_resume: the same fields in
     * its own stack, and its instance. */
    struct wb_host_site resume;
    wb_instance *fork_inst;

    /* The budget shared with other stores (wb_store_join_group), or
     * NULL. With a fuel budget, `fuel` is the slice drawn from it and
     * fuel_start counts every slice drawn. */
    struct wb_group *group;
};

struct wb_caller {
    wb_store *store;
    wb_instance *inst;
};

/* runtime.c */
void *wb_rt_alloc(wb_store *s, size_t n);      /* zeroed, owned by store */
wb_status wb_rt_account(wb_store *s, int64_t delta_bytes);
/* Charge the value stack up to `need` (store.c): false when it cannot
 * be (past the stack, or over the memory budget). */
bool wb_rt_stack_grow(wb_store *s, const uint64_t *need);
/* Table and memory growth used by instructions: old size, or -1. */
int64_t wb_table_grow(wb_table *t, uint32_t delta, void *init);
int64_t wb_mem_grow(wb_memory *m, uint32_t delta_pages);
/* memory.c: the memset and memmove of memory.fill, .copy and .init, in
 * pieces between which *interrupt is read: false when it was set (the
 * caller traps), the operation cut there. One instruction filling 4 GiB
 * took 7 s past a 500 ms deadline (tests/attack/README.md, round 2). */
bool wb_mem_bulk_fill(const atomic_int *interrupt, uint8_t *d, int v,
                      uint64_t n);
bool wb_mem_bulk_move(const atomic_int *interrupt, uint8_t *d,
                      const uint8_t *s, uint64_t n);

/* pool.c: reuse of large reservations between stores (thread-safe). */
enum { WB_POOL_MEMORY, WB_POOL_STACK };
/* *open (memories; NULL for stacks): how many of its first bytes are
 * read-write (and zero); the rest is PROT_NONE and zero. */
void *wb_pool_take(size_t size, int kind, size_t *open);
/* rw: the first `used` bytes are read-write (they may be cleared in
 * place); otherwise what is not PROT_NONE is the caller's to undo. */
void wb_pool_give(void *p, size_t size, size_t used, int kind, bool rw);

/* memory.c */
wb_status wb_mem_init(wb_store *s, wb_memory *m, uint32_t min, uint32_t max,
                      bool has_max, wb_error *err);
void wb_mem_release(wb_memory *m);
/* Replace the whole accessible part of `m` (m->size bytes) by a private,
 * copy-on-write mapping of `fd` at `offset` (a multiple of the host page
 * size): pages the guest never writes stay shared with the file's page
 * cache and every other mapping of it. */
wb_status wb_mem_map_image(wb_memory *m, int fd, uint64_t offset,
                           wb_error *err);
/* A run of memory bytes (offset and length, multiples of the host page
 * size) that a layered image maps from its own file. */
typedef struct wb_mem_run {
    uint64_t off, len;
    uint64_t at;               /* its place in the file, from run_offset */
} wb_mem_run;
/* A layered image (snapshot/layer.c): [0, base_len) of `m` mapped
 * copy-on-write from `fd` at `offset` as by wb_mem_map_image, then each
 * of `runs` mapped MAP_FIXED on top from `run_fd` at run_offset + its
 * `at`. The runs must cover every byte past base_len. */
wb_status wb_mem_map_layers(wb_memory *m, int fd, uint64_t offset,
                            uint64_t base_len, int run_fd,
                            uint64_t run_offset, const wb_mem_run *runs,
                            uint32_t nruns, wb_error *err);
/* Copy every page of m's image into private memory now, in one call
 * (MADV_POPULATE_WRITE; nothing where the kernel lacks it): for a short
 * run from a snapshot that writes pages all over it (CPython's heap),
 * instead of a read fault, then a copy-on-write fault and its TLB flush
 * for each page (a hypercall each on a paravirtualized VM: a restored
 * `python -c pass` made ~800). The price is the image's size in private
 * memory for the run's lifetime, so not for instances that live long or
 * are forked, which rely on sharing the file's pages. */
void wb_mem_prefault_image(wb_memory *m);
/* Copy m->size bytes from `src` (a live memory whose first `image`
 * bytes map a file, wb_state_mem) into m, a memory that reads zero (just
 * grown), skipping the host pages of src that are all zero, and past the
 * image those never written (not resident, when the host has no swap):
 * m's resident size is what the source holds, not its size. */
void wb_mem_copy_nonzero(wb_memory *m, const uint8_t *src, uint64_t image);

/* ---- Instance state (state.c) ------------------------------------------
 * Everything an instance holds that a run can change, for the instance's
 * own (not imported) memories, tables and globals; imports come from the
 * linker at restore. Function references are indices into the module's
 * function space, plus one (0: null), so they mean the same thing in the
 * instance a snapshot is restored into. */
typedef struct wb_state_mem {
    uint32_t pages;
    const uint8_t *bytes;      /* capture: the live memory (borrowed);
                                  restore with fd < 0: copied from here */
    uint64_t image;            /* capture: the first bytes of `bytes` are
                                  a file mapping (a restored memory); the
                                  rest is anonymous, zero where never
                                  touched */
    int fd;                    /* restore: mapped copy-on-write from fd */
    uint64_t offset;           /* at this offset (page aligned) */
    /* restore of a layer (nruns > 0): fd maps only [0, base_len), and
     * the runs come from run_fd (wb_mem_map_layers; borrowed) */
    uint64_t base_len;
    int run_fd;
    uint64_t run_offset;
    const wb_mem_run *runs;
    uint32_t nruns;
} wb_state_mem;

typedef struct wb_state_table {
    uint8_t elem;              /* WB_FUNCREF or WB_EXTERNREF */
    uint32_t size;
    uint32_t *refs;            /* size entries: funcidx + 1, or 0 */
} wb_state_table;

typedef struct wb_state_global {
    uint8_t type;
    uint64_t bits[2];          /* raw bits; a funcref as funcidx + 1 */
} wb_state_global;

typedef struct wb_inst_state {
    uint32_t nmems, ntables, nglobals, nelems, ndatas;
    wb_state_mem *mems;
    wb_state_table *tables;
    wb_state_global *globals;
    uint8_t *elem_live;        /* per element segment: 1 unless dropped */
    uint8_t *data_live;        /* per data segment: 1 unless dropped */
} wb_inst_state;

/* Capture `inst` into `st` (arrays malloc'd; memories borrowed from the
 * live instance). Only at rest: no call of the store in progress.
 * WB_E_ARG when the state cannot be expressed: imported memories, tables
 * or mutable globals, a non-null externref, a reference to a function
 * that is not in the instance's function space. */
wb_status wb_state_capture(const wb_instance *inst, wb_inst_state *st,
                           wb_error *err);
/* The same while a call of the store is in progress (fork.c: the guest's
 * frames are copied separately). */
wb_status wb_state_capture_live(const wb_instance *inst, wb_inst_state *st,
                                wb_error *err);
/* WB_E_ARG, saying why, when m's instances cannot be captured (imported
 * memories, tables or mutable globals). */
wb_status wb_state_capturable(const wb_module *m, wb_error *err);
/* Allocate `st`'s arrays for the counts already set in it; false when
 * out of memory. */
bool wb_state_alloc(wb_inst_state *st);
void wb_state_free(wb_inst_state *st);
/* Check `st` against module `m` (counts, types, sizes against the types'
 * limits, function indices): WB_E_SNAPSHOT with a message. */
wb_status wb_state_check(const wb_module *m, const wb_inst_state *st,
                         wb_error *err);
/* Instantiate `m` in `s` with imports from `l` in state `st` (checked
 * with wb_state_check first): no segment initialisation and no start
 * function; memories, tables and globals as captured, under the store's
 * limits (WB_E_LIMIT). */
wb_status wb_state_instantiate(wb_store *s, wb_module *m, const wb_linker *l,
                               const wb_inst_state *st, wb_instance **out,
                               wb_error *err);
/* instance.c: wb_instantiate's steps up to the point where segments would
 * be applied, then `apply` instead of the segments and start function. */
wb_status wb_rt_instantiate_with(wb_store *s, wb_module *m,
                                 const wb_linker *l,
                                 wb_status (*apply)(wb_instance *inst,
                                                    const void *arg,
                                                    wb_error *err),
                                 const void *arg, wb_instance **out,
                                 wb_error *err);

/* ---- Processes (fork.c) -------------------------------------------------
 * A guest process that forks is copied whole inside a host call it makes
 * (wasmbox_proc.fork): memories, globals, tables, the interpreter's frames
 * and value stack. Only interpreted code can be copied: compiled code
 * keeps its frames on the thread's stack. */

/* True when the guest calling `c` can be forked: the host call comes from
 * interpreted code of c's instance in the store's outermost activation
 * (no host function below it on the C stack, no native frame), every
 * frame is a function of that instance, and the instance imports no
 * memory or table and no mutable global. */
bool wb_caller_can_fork(wb_caller *c);
/* Make `child`, a new store (wb_store_new, with the limits the child is
 * to have; nothing instantiated or run in it yet), a copy of the guest
 * calling `c`: a new instance of its module linked against `l` (the
 * child's own host functions, by import name and type: created in
 * `child`, wb_func_new_host, so that they live as long as it), memories,
 * tables and globals as the caller's now (function references mapped to
 * the child's functions), and its interpreter frames and value stack, so
 * that wb_fork_resume continues the child from just after this host call.
 * The child joins the caller's group (wb_store_join_group), if any,
 * before its memories are copied. The caller goes on unchanged. WB_E_ARG
 * when !wb_caller_can_fork (saying why), WB_E_LIMIT, WB_E_NOMEM,
 * WB_E_LINK; after a failure the child store is only good for
 * wb_store_free.
 * Memory: every host page of the caller's memories that is not all zero
 * is copied (a page it never wrote is read, not touched in the child). */
wb_status wb_fork(wb_caller *c, wb_store *child, const wb_linker *l,
                  wb_error *err);
wb_status wb_fork_resume(wb_store *child, const wb_val *results,
                         size_t nresults, wb_error *err);
/* The child's instance (exports, memory), NULL for a store not made by
 * wb_fork. */
wb_instance *wb_fork_instance(const wb_store *child);

/* ---- Shared budgets (group.c) --------------------------------------------
 * A group bounds several stores (a tree of processes, each on its own
 * thread) as one: the memory and tables of its stores are summed against
 * max_memory, and their fuel is drawn from one budget in slices of
 * WB_GROUP_FUEL_SLICE, without a lock on the interpreter's path. */
typedef struct wb_group wb_group;
#define WB_GROUP_FUEL_SLICE (1 << 20)
/* A group with `max_memory` bytes and `fuel` (< 0: unlimited), one
 * reference held by the caller; NULL when out of memory. */
wb_group *wb_group_new(uint64_t max_memory, int64_t fuel);
/* Drop a reference (each joined store holds one until it is freed). */
void wb_group_release(wb_group *g);
/* Charge s's memory to g from now on (what it holds now too, WB_E_LIMIT
 * when that does not fit) and, when g has a fuel budget, make s's fuel
 * slices of g's (its own fuel setting no longer counts). Growth past g's
 * limit fails as growth past the store's own does (memory.grow -1, the
 * instantiation's WB_E_LIMIT). A store joins one group, once; joining
 * the group it is in does nothing. Not while s runs. */
wb_status wb_store_join_group(wb_store *s, wb_group *g, wb_error *err);
/* Bytes charged to g now and at most so far. */
uint64_t wb_group_memory(const wb_group *g);
uint64_t wb_group_peak_memory(const wb_group *g);
/* The peak starts again from what is charged now (a session kernel's
 * step: the tree's peak during it). */
void wb_group_reset_peak(wb_group *g);
/* Fuel drawn from g: what its stores used, plus the unused part of the
 * slices of stores not yet freed (a freed store gives it back). */
int64_t wb_group_fuel_used(const wb_group *g);
/* Refill s->fuel from its group until it holds at least `need` (>= 0)
 * plus a slice: true when the store may go on; false, with s->fuel 0,
 * when the budget is spent (the caller traps with WB_TRAP_FUEL). Without
 * a group with a fuel budget, always false. Both tiers call it when the
 * counter would go below zero (interp.c undoes the charge and asks for
 * it; compiled code has charged already and asks for 0). */
bool wb_store_refuel(wb_store *s, int64_t need);

/* interp.c: run f with arguments in `slots` (one or two per value, the
 * callee's parameter layout); results are written back to slots[0..].
 * `slots` must hold max(param_slots, result_slots) entries. */
wb_status wb_interp_call(wb_store *s, wb_func *f, uint64_t *slots,
                         wb_error *err);
/* Continue a forked store at s->resume (s->depth frames), as
 * wb_interp_call does a call; its results are dropped. */
wb_status wb_interp_resume(wb_store *s, wb_error *err);
/* Label table for direct threading, indexed by WB_OP_*. */
const void *const *wb_interp_labels(void);

#endif
