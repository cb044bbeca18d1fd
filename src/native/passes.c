/*
 * passes.c: the optimisation pipelines (LLVMRunPasses strings) of the
 * work units.
 *
 * The module was compiled to Wasm by an optimising compiler (clang -O2
 * for the guests): inlining, loop rotation and unrolling, induction
 * variables, jump threading and the like are done already. What LLVM
 * still has to do is clean up the translation: turn the Wasm locals into
 * SSA values (SROA), fold the translator's zero-extensions, offsets and
 * constant branches (instcombine, simplifycfg), share and hoist the loads
 * of the context, a memory's base, globals and function addresses
 * (early CSE, GVN, LICM: they are invariant loads, tr.c), and turn dense
 * switches into tables. An ordinary unit gets just that (k_light);
 * LLVM's default<O2> cost three times as much optimisation time on
 * python.wasm for code of about the same size and speed
 * (docs/native-tier.md, "Compile time").
 *
 * A unit with a function of NT_BIG_BYTES or more gets LLVM 19's
 * default<O1> (`opt -passes='default<O1>' -print-pipeline-passes`) with
 * only its function passes, in the same order and with the same
 * parameters (k_o1). Left out of it, as of k_light:
 *
 * - the inliner and the rest of the call-graph walk (function-attrs,
 *   devirtualisation): every compiled function keeps the call-depth,
 *   stack, frame and fuel accounting, so no callee is cheap enough to
 *   inline into a caller; all the inliner did was copy small functions
 *   into their own entry wrappers, after pricing every call site;
 * - interprocedural passes (ipsccp, called-value-propagation, globalopt,
 *   deadargelim, globaldce, ...): the functions are not internal (other
 *   units call them through the table) and the module has no globals;
 * - the vectorisers: guest loads are volatile (tr_mem.c), so they find
 *   no loads to combine (v128 code is vector code already);
 * - passes for what Wasm has not (coroutines, OpenMP, library calls,
 *   profile data).
 *
 * The plugin is built for LLVM 19 only (Makefile: llvm-config-19); an
 * LLVM that did not know a pass would fail every compilation with its
 * message (LLVMRunPasses), which tests/native/run.sh would show.
 */
#include "nt.h"
#include <stdlib.h>

/* simplifycfg's variants, as default<O1> and default<O2> spell them */
#define CFG_EARLY "simplifycfg<bonus-inst-threshold=1;no-forward-switch-cond;" \
    "no-switch-range-to-icmp;no-switch-to-lookup;keep-loops;" \
    "no-hoist-common-insts;no-sink-common-insts;speculate-blocks;" \
    "simplify-cond-branch;no-speculate-unpredictables>,"
#define CFG "simplifycfg<bonus-inst-threshold=1;no-forward-switch-cond;" \
    "switch-range-to-icmp;no-switch-to-lookup;keep-loops;" \
    "no-hoist-common-insts;no-sink-common-insts;speculate-blocks;" \
    "simplify-cond-branch;no-speculate-unpredictables>,"
#define CFG_TABLES "simplifycfg<bonus-inst-threshold=1;forward-switch-cond;" \
    "switch-range-to-icmp;switch-to-lookup;no-keep-loops;" \
    "hoist-common-insts;sink-common-insts;speculate-blocks;" \
    "simplify-cond-branch;no-speculate-unpredictables>"
#define CFG_LATE CFG_TABLES ","
#define CFG_LAST "simplifycfg<bonus-inst-threshold=1;no-forward-switch-cond;" \
    "switch-range-to-icmp;no-switch-to-lookup;keep-loops;" \
    "no-hoist-common-insts;no-sink-common-insts;speculate-blocks;" \
    "simplify-cond-branch;speculate-unpredictables>"
#define IC "instcombine<max-iterations=1;no-use-loop-info;no-verify-fixpoint>,"
#define LOOP_MSSA "loop-mssa(loop-instsimplify,loop-simplifycfg," \
    "licm<no-allowspeculation>,loop-rotate<header-duplication;no-prepare-for-lto>," \
    "licm<allowspeculation>,simple-loop-unswitch<no-nontrivial;trivial>),"

/* Ordinary units: the clean-up above, in the order default<O2> runs
 * those passes. */
static const char k_light[] =
    "function(sroa<modify-cfg>,early-cse<memssa>," IC CFG
    "loop-mssa(licm<allowspeculation>),gvn<>," IC CFG_TABLES ")";

/* default<O1>'s function passes: no GVN, for the functions on which
 * GVN and O2's other passes cost more than linear time (plan.c). */
static const char k_o1[] =
    "function(lower-expect," CFG_EARLY "sroa<modify-cfg>,early-cse<>,"
    IC CFG
    "sroa<modify-cfg>,early-cse<memssa>," CFG IC CFG "reassociate,"
    LOOP_MSSA CFG IC
    "loop(loop-idiom,indvars,loop-deletion,loop-unroll-full),"
    "sroa<modify-cfg>,memcpyopt,sccp,bdce," IC "adce," CFG IC
    "lower-constant-intrinsics,"
    "loop(loop-rotate<header-duplication;no-prepare-for-lto>,loop-deletion),"
    "infer-alignment,loop-load-elim," IC CFG_LATE "vector-combine," IC
    "loop-unroll<O1>,sroa<preserve-cfg>,infer-alignment," IC
    "loop-mssa(licm<allowspeculation>),alignment-from-assumptions,loop-sink,"
    "instsimplify,div-rem-pairs,tailcallelim," CFG_LAST "),"
    "rel-lookup-table-converter";

/* Big units: O2's cost grows faster than a function's size. Lua's
 * interpreter loop (40 KB of Wasm, an Asyncify'd luaV_execute) spent 45
 * to 66 s of CPU in it, 24 s in the SLP vectoriser alone, against 8 to
 * 21 s with O1, and ran no slower (docs/native-tier.md, "Compile time").
 * WB_NT_PIPELINE and WB_NT_BIG_PIPELINE replace the two (any `opt
 * -passes` string, 'default<O2>' for LLVM's own), for whoever measures. */
static const char *override(const nt_unit *u)
{
    const char *p = getenv(u->big ? "WB_NT_BIG_PIPELINE" : "WB_NT_PIPELINE");
    return p && *p ? p : NULL;
}

const char *nt_unit_pipeline(const nt_unit *u)
{
    const char *p = override(u);
    return p ? p : u->big ? k_o1 : k_light;
}

const char *nt_unit_pipeline_name(const nt_unit *u)
{
    const char *p = override(u);
    return p ? p : u->big ? "O1" : "light";
}
