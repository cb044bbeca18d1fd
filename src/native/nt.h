/*
 * nt.h: the native tier's compiler (libwasmbox-native.so), internal.
 *
 *   jit.c              compile a module: threads, LLVM, W^X code pages
 *   tr.c               one function: control flow, variables, calls
 *   tr_mem.c           memory, globals, tables, bulk operations
 *   tr_num.c           numeric instructions with Wasm's exact semantics
 *   tr_simd.c          128-bit SIMD as LLVM vectors
 *   plan.c             splits a module into work units, orders them
 *   passes.c           the units' optimisation pipelines
 *   obj.c              links the units' object files into one image
 *   target_x86_64.c    everything specific to the machine
 */
#ifndef WB_NT_H
#define WB_NT_H
#include "native.h"
#include "opcodes.h"
#include "read.h"
#include <llvm-c/Core.h>
#include <llvm-c/TargetMachine.h>

/* One LLVM module: the functions one thread compiles. */
typedef struct nt_mod {
    LLVMContextRef C;
    LLVMModuleRef M;
    LLVMBuilderRef B;
    const wb_module *wm;
    LLVMTypeRef i1, i8, i16, i32, i64, f32, f64, ptr, vt;
    LLVMTypeRef v128;           /* <2 x i64>: how v128 values travel */
    LLVMValueRef *fns;          /* per definition: ours, or NULL */
    LLVMValueRef *entries;
    wb_error *err;
    /* The engine's guard region per memory (0: it checks bounds, so the
     * code must too; tr_mem.c nt_guarded). */
    uint64_t guard_reserve;
    /* Metadata, made on first use (tr.c nt_meta_init): !invariant.load
     * and the TBAA tags telling guest memory from the runtime's state. */
    unsigned k_inv, k_tbaa;
    LLVMValueRef md_empty, tbaa_mem, tbaa_rt;
    uint64_t ninstr;            /* Wasm instructions translated so far */
} nt_mod;

enum { NT_BLOCK, NT_LOOP, NT_IF, NT_FUNC };

/* A compiled function's first Wasm parameter: (ctx, depth, ...). */
#define NT_ARG0 2

typedef struct nt_ctl {
    uint8_t kind;
    bool reached;               /* some edge reaches cont */
    bool has_else;
    uint32_t nparams, nresults;
    const uint8_t *ptypes, *rtypes;
    uint32_t height;            /* operand stack height below params */
    LLVMBasicBlockRef cont;     /* after end */
    LLVMBasicBlockRef header;   /* loop: its start */
    LLVMBasicBlockRef elsebb;   /* if: the false edge */
    LLVMValueRef *phis;         /* results at cont */
    LLVMValueRef *hphis;        /* loop: params at header */
    LLVMValueRef *else_args;    /* if: params for the else arm */
    LLVMValueRef fuel_cost;     /* loop: the sub whose constant is patched */
    uint32_t loop_instr;
    uint8_t bt_one[1];          /* storage for a single-valtype blocktype */
} nt_ctl;

typedef struct nt_fn {
    nt_mod *m;
    uint32_t defidx, funcidx;
    const wb_functype *type;
    LLVMValueRef fn, ctx;
    LLVMBasicBlockRef entry;    /* allocas go here */
    LLVMValueRef *locals;       /* allocas */
    uint8_t *ltypes;
    uint32_t nlocals;
    LLVMValueRef *stack;
    uint32_t sp, cap;
    nt_ctl *ctl;
    uint32_t nctl, capctl;
    LLVMValueRef mem, membase;
    LLVMValueRef depth;         /* this call's depth (its caller's + 1) */
    LLVMBasicBlockRef trapbb[WB_TRAP_HOST + 1];
    uint32_t ninstr;
    bool dead;
    uint32_t dead_depth;
    wb_reader r;
} nt_fn;

/* An instruction's translator: WB_E_NOT_FOUND when `code` is not one of
 * its opcodes. */
typedef wb_status (*nt_op_fn)(nt_fn *f, uint32_t code);

/* tr.c */
wb_status nt_translate(nt_mod *m, uint32_t defidx);
/* The first of fns[0..n) that knows `code`, or WB_E_NOT_FOUND. */
wb_status nt_first(nt_fn *f, uint32_t code, const nt_op_fn *fns, size_t n);
wb_status nt_entry_wrapper(nt_mod *m, uint32_t defidx);
LLVMTypeRef nt_functype(nt_mod *m, const wb_functype *t);
wb_status nt_unsupported(nt_fn *f, const char *what);
LLVMTypeRef nt_type(nt_mod *m, uint8_t t);
void nt_push(nt_fn *f, LLVMValueRef v);
LLVMValueRef nt_pop(nt_fn *f);
LLVMValueRef nt_ctx_load(nt_fn *f, size_t off, LLVMTypeRef t);
/* A load of something fixed while compiled code runs (the context's
 * fields, a memory's base, a global's or function's address). */
LLVMValueRef nt_invariant(nt_mod *m, LLVMValueRef load);
/* Tags an access to guest memory (mem) or to the runtime's state. */
LLVMValueRef nt_tag_mem(nt_mod *m, LLVMValueRef access);
LLVMValueRef nt_tag_rt(nt_mod *m, LLVMValueRef access);
LLVMValueRef nt_helper(nt_fn *f, size_t off, LLVMTypeRef ret,
                       LLVMTypeRef *params, unsigned n, LLVMValueRef *args);
void nt_trap_if(nt_fn *f, LLVMValueRef cond, int kind);
LLVMValueRef nt_i32(nt_mod *m, uint64_t v);
LLVMValueRef nt_i64(nt_mod *m, uint64_t v);
LLVMValueRef nt_call_intrinsic(nt_fn *f, const char *name, LLVMTypeRef *tys,
                               unsigned ntys, LLVMValueRef *args, unsigned n);
/* tr_mem.c: memory, globals, tables, references, bulk; WB_E_NOT_FOUND
 * (not one of its opcodes) lets the caller try the next. `code` is
 * WB_WASM_* (prefix << 8 | sub-opcode). */
wb_status nt_mem_op(nt_fn *f, uint32_t code);
LLVMValueRef nt_address(nt_fn *f, uint64_t offset, unsigned n);
void nt_keep_load(nt_mod *m, LLVMValueRef load);
bool nt_guarded(const nt_mod *m);
/* tr_num.c */
wb_status nt_num_op(nt_fn *f, uint32_t code);
/* Shared with tr_simd.c; scalars or vectors alike. */
LLVMValueRef nt_strict(nt_fn *f, const char *op, LLVMTypeRef *tys,
                       unsigned ntys, LLVMValueRef *args, unsigned n,
                       bool rounding);
LLVMValueRef nt_fminmax(nt_fn *f, LLVMValueRef a, LLVMValueRef b, bool is_min);
LLVMValueRef nt_round(nt_fn *f, const char *name, LLVMValueRef a);
/* tr_simd.c: the 0xFD prefix */
wb_status nt_simd_op(nt_fn *f, uint32_t code);

/* target_x86_64.c */
void nt_target_init(void);
const char *nt_target_cpu(void);
const char *nt_target_features(void);
const char *nt_target_describe(void);
uint32_t nt_target_arch(void);                 /* EM_* */
LLVMTargetMachineRef nt_target_machine(char **msg);
/* LLVM command-line options the target's code generator needs, set once
 * per process (jit.c); NULL-terminated. */
const char *const *nt_target_llvm_options(void);
typedef enum { NT_RELOC_DONE, NT_RELOC_ABS64, NT_RELOC_BAD } nt_reloc_result;
nt_reloc_result nt_target_reloc(uint32_t type, uint8_t *place,
                                uint64_t place_off, uint64_t target,
                                size_t room);

/* plan.c: the work units of one compilation (see there). A definition
 * this large or larger is a unit of its own. */
#define NT_BIG_BYTES 16384
typedef struct nt_unit {
    uint32_t first, count;      /* definitions first .. first + count - 1 */
    uint64_t bytes;             /* cost estimate: body bytes */
    bool big;                   /* one definition of NT_BIG_BYTES or more */
    LLVMMemoryBufferRef obj;    /* its object file, once emitted */
    uint64_t ninstr, ir_instr;  /* Wasm instructions, LLVM IR before -O */
    uint64_t ns[3];             /* thread CPU time: translate, optimise, emit */
} nt_unit;
typedef struct nt_plan_t {
    nt_unit *units;             /* in definition order */
    nt_unit **queue;            /* the order they are compiled in */
    uint32_t nunits;
} nt_plan_t;
wb_status nt_plan(nt_plan_t *p, const wb_module *wm, unsigned nthreads,
                  wb_error *err);
/* WB_NT_PROFILE=N: the phases' CPU time, the image's code size (0 if
 * the compilation failed) and the N most expensive units, on stderr. */
void nt_plan_report(nt_plan_t *p, const wb_module *wm, uint64_t code_len);
void nt_plan_free(nt_plan_t *p);

/* passes.c: the optimisation pipeline (LLVMRunPasses) of the unit, and
 * its short name for WB_NT_PROFILE. */
const char *nt_unit_pipeline(const nt_unit *u);
const char *nt_unit_pipeline_name(const nt_unit *u);

/* obj.c: links the units' ELF objects (each defining f<d> and e<d> for
 * its definitions) into one position-independent image. */
wb_status nt_link(const wb_module *wm, LLVMMemoryBufferRef *objs,
                  unsigned n, wb_native_image **out, wb_error *err);

#endif
