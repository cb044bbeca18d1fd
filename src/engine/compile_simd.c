/* compile_simd.c: validation and translation of the 0xFD (SIMD) prefix. */
#include "compile.h"
#include "ops.h"

bool wb_compile_simd(cx *c)
{
    return wb_cx_fail(c, WB_E_INVALID, "SIMD (v128) is not supported yet");
}
