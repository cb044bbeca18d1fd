/* opcodes.c: the entries of opcodes.h, indexed by encoding. */
#include "opcodes.h"

#define WB_OPDEF_OP(code) WB_OP_OF(code), true
#define WB_OPDEF_TR(code) 0, false
#define WB_OPDEF(n, code, run, imm, arg, sig) \
    [WB_OPSPACE(code)][(code) & 0xff] = { #n, code, WB_OPDEF_##run(code), \
                                          WB_IMM_##imm, arg, WB_SIG_##sig },

const wb_opdef wb_opdefs[3][256] = {
    WB_OPCODES(WB_OPDEF)
};
