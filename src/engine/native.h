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
#define WB_NATIVE_ABI 4

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
    wb_table **tables;          /* inst->tables (call_indirect inline) */
    /* Written by compiled code before it calls a helper: its frame
     * address, call depth and definition (native_rt.c frames_sync). */
    uintptr_t top_fp;
    uint32_t top_depth, top_def;
    const wb_functype *types;   /* inst->module->types */
    uint32_t max_depth;
    uintptr_t stack_limit;      /* lowest native stack address allowed */
    /* The helpers (native_rt.c): compiled code holds no absolute address,
     * so the same bytes run wherever they are mapped (the code cache). */
    const struct wb_native_helpers *helpers;
} wb_nctx;

/* Compiled code of a module, shared by its instances: one mapping, code
 * read-execute at its start, constants read-only at ro_off. */
typedef struct wb_native_code {
    uint32_t nfuncs;                    /* definitions */
    void **fns;                         /* typed functions */
    void (**entries)(wb_nctx *, uint64_t *);
    void *map;
    size_t map_size;
    size_t code_len;                    /* machine code at map's start */
} wb_native_code;

/* Position-independent machine code of a module, as the plugin makes it
 * and the code cache stores it (native_file.c). The image is `ro_off +
 * ro_len` bytes once mapped: code at 0, constants at ro_off (a multiple
 * of WB_NATIVE_ALIGN, so any page size of the targets fits). References
 * inside the image are already resolved (they are relative); the only
 * fix-up left is `relocs`: pairs (offset, value) meaning "the 64-bit
 * word at offset becomes the image's address + value". Code reaches the
 * engine only through its wb_nctx argument. */
#define WB_NATIVE_ALIGN 65536u
typedef struct wb_native_image {
    uint32_t arch;                      /* ELF machine number (EM_*) */
    uint32_t nfuncs;
    uint8_t *code;
    uint64_t code_len;
    uint8_t *ro;
    uint64_t ro_len, ro_off;
    uint64_t *offsets;                  /* 2 per definition: fn, entry */
    uint64_t *relocs;                   /* 2 per relocation */
    uint32_t nrelocs;
} wb_native_image;
void wb_native_image_free(wb_native_image *img);

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
    /* At a function entry or loop header, the fuel counter went below 0
     * or the interrupt flag is set (one branch for both): a fuel counter
     * below 0 takes the store's next slice of its group's fuel (group.c)
     * or traps; then a set flag traps "interrupted"; else it returns. */
    void (*poll)(wb_nctx *ctx);
} wb_native_helpers;

/* What the plugin exports, as the symbol wb_native_plugin_entry. */
typedef struct wb_native_plugin {
    uint32_t abi;                       /* WB_NATIVE_ABI */
    /* Compile every defined function of a validated module with up to
     * `threads` threads. "native tier: <op> not supported yet" (WB_E_IMPL_LIMIT)
     * for what it cannot translate. `guard_reserve`: the engine's
     * reservation per memory (wb_native_helpers); 0 when it checks
     * bounds, and then the code checks every access too. */
    wb_status (*compile)(const wb_module *m, unsigned threads,
                         uint64_t guard_reserve, wb_native_image **out,
                         wb_error *err);
    const char *(*describe)(void);      /* "LLVM 19.1.7, x86-64 (cpu)" */
} wb_native_plugin;

/* native_load.c: loads the plugin once (thread-safe); NULL with `why`. */
const wb_native_plugin *wb_native_load(char *why, size_t cap);
/* Compiles m for the native tier (0 threads: one per online CPU); its
 * instances made afterwards run machine code. Before instantiation. */
wb_status wb_native_compile_module(wb_module *m, unsigned threads,
                                   wb_error *err);
/* Whether the plugin is there to load (it is not loaded). */
bool wb_native_plugin_present(void);
/* Compiles m into an image (the caller frees it). */
wb_status wb_native_compile_image(const wb_module *m, unsigned threads,
                                  wb_native_image **out, wb_error *err);

/* native_cpu.c: a key for what compiled code needs of this CPU, and the
 * architecture (ELF machine number) this build runs. */
uint64_t wb_native_cpu_key(void);
uint32_t wb_native_arch(void);

/* native_file.c: images as files and as running code. */
const char *wb_native_llvm_version(void);          /* of this build */
/* "<WB_VERSION>+<8 hex digits>": the version and a hash of the sources
 * compiled code depends on (Makefile, native_build.h), so that a new
 * build of the translator or the runtime misses the old cache files. */
const char *wb_native_build_version(void);
/* WB_NATIVE_ABI and how this engine bounds memory: code compiled for
 * guard regions has no bounds checks, so it must never be loaded by a
 * build that checks bounds instead (a sanitizer build sharing the cache),
 * nor the other way round. In the file header and the cache key. */
uint32_t wb_native_abi_tag(void);
/* Maps an image as code (W^X). */
wb_status wb_native_map_image(const wb_native_image *img,
                              wb_native_code **out, wb_error *err);
void wb_native_code_free(wb_native_code *c);
/* native_frames.c: the store's frame records of compiled code, rebuilt
 * from the machine stack (see there). def_at: the definition whose body
 * holds pc, or UINT32_MAX. frames: records base+1 .. top, top being
 * definition `def` with its frame at fp, and s->depth = top. count: the
 * compiled frames from fp up to the activation's entry, at most max.
 * layout_ok: the image holds f0, e0, f1, e1, ... in address order. */
uint32_t wb_native_def_at(const wb_native_code *c, uintptr_t pc);
void wb_native_frames(wb_store *s, wb_func *const *funcs, uint32_t nimports,
                      const wb_native_code *c, uint32_t base, uint32_t top,
                      uint32_t def, uintptr_t fp);
uint32_t wb_native_frames_count(const wb_native_code *c, uintptr_t fp,
                                uint32_t max);
bool wb_native_layout_ok(const wb_native_code *c);
/* native_perfmap.c: WASMBOX_PERF_MAP=1 appends c's functions to
 * /tmp/perf-<pid>.map for `perf report`. */
void wb_native_perf_map(wb_module *m, const wb_native_code *c);
/* Writes img (compiled from m) to path atomically, with `mode`. */
#include <sys/types.h>
wb_status wb_native_write_file(const wb_module *m, const wb_native_image *img,
                               const char *path, mode_t mode, wb_error *err);
/* Loads the file open at fd as m's native code; WB_E_INVALID with one
 * line (the reason) when it is refused. Before instantiation. */
wb_status wb_native_load_fd(wb_module *m, int fd, wb_error *err);
/* The same; `checked`: the file is known to have been checked whole
 * since it was last written (a stamp, native_cache.c), so the checksum
 * of its body (which reads every page of it) is skipped; the header and
 * the tables are still checked. The file is mapped, not copied: it must
 * not be written in place while mapped (the cache only renames). */
wb_status wb_native_load_fd_checked(wb_module *m, int fd, bool checked,
                                    wb_error *err);
/* The checks, apart (for the hostile tests and the fuzzer). */
wb_status wb_native_header_check(const uint8_t *h, uint64_t size,
                                 const wb_module *m, wb_native_image *img,
                                 uint64_t *body_hash, wb_error *err);
wb_status wb_native_image_check(const wb_native_image *img, wb_error *err);

/* native_cache.c: the code cache, $XDG_CACHE_HOME/wasmbox/native (or
 * ~/.cache/wasmbox/native). */
typedef enum {
    WB_NCACHE_HIT,          /* loaded: m runs native code */
    WB_NCACHE_MISS,         /* no file */
    WB_NCACHE_REFUSED,      /* a file or directory refused: `err` says why */
} wb_ncache_result;
wb_ncache_result wb_native_cache_load(wb_module *m, char *path, size_t cap,
                                      wb_error *err);
/* $XDG_CACHE_HOME/wasmbox/SUB (~/.cache/wasmbox/SUB without it) into
 * dir, the directories made (0700 when `create`) and checked as the
 * native cache's are (see native_cache.c); WB_E_NOT_FOUND when there is
 * none, WB_E_INVALID when a directory is refused. */
wb_status wb_cache_dir(const char *sub, bool create, char *dir, size_t cap,
                       wb_error *err);
/* native_stamp.c: stamps that a file was checked whole, in
 * $XDG_CACHE_HOME/wasmbox/verified/. A file's identity (device, inode,
 * size, mtime, ctime) into p for a key; is there a stamp of `key`; write
 * one (quietly nothing when the directory is missing or refused). */
struct stat;
int wb_stamp_ident(char *p, size_t cap, const struct stat *s);
bool wb_cache_stamped(const char *key);
void wb_cache_stamp(const char *key);
/* The file m's code goes to in the cache, the directories made (0700)
 * and checked; WB_E_INVALID when a directory is refused. */
wb_status wb_native_cache_path(const wb_module *m, bool create, char *path,
                               size_t cap, wb_error *err);
wb_status wb_native_cache_store(const wb_module *m, const wb_native_image *img,
                                wb_error *err);
/* native_evict.c: the cache's size cap and least-recently-used eviction.
 * The cap in bytes: WASMBOX_NATIVE_CACHE_MAX (a number with an optional
 * K, M, G or T suffix, binary; 0: no cap), else 1 GiB. */
#define WB_NCACHE_DEFAULT_MAX (1ull << 30)
uint64_t wb_native_cache_cap(void);
/* Records a use of the cache file at `path` (for eviction; quietly
 * nothing when it cannot). */
void wb_native_cache_touch(const char *path);
/* Unlinks the least recently used *.wbn files of `dir` until their
 * lengths add up to `cap` or less; never the one named `keep`. */
wb_status wb_native_cache_trim(const char *dir, uint64_t cap,
                               const char *keep, unsigned *evicted,
                               wb_error *err);
/* After `path` was written into the cache: its directory trimmed to
 * wb_native_cache_cap(), `path` kept; quietly. */
void wb_native_cache_trim_after(const char *path);

/* native_rt.c */
extern const wb_native_helpers wb_native_helper_table;
/* Runs f (its module compiled) like wb_interp_call. */
wb_status wb_native_call(wb_store *s, wb_func *f, uint64_t *slots,
                         wb_error *err);
void wb_native_release(wb_module *m);
/* Finds this thread's stack bounds now (compiled code checks its depth
 * against them), while /proc can still be read. */
void wb_native_prime_thread(void);
/* This thread's stack, [*lo, *lo + *size), as pthread_getattr_np gives
 * it; the initial thread's without /proc. False: unknown. */
bool wb_native_stack_bounds(void **lo, size_t *size);

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
