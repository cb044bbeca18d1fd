/* simd_ops.h: internal ops for 128-bit SIMD (compile_simd.c emits them,
 * simd_exec.inc runs them inside the interpreter loop). */
#ifndef WB_SIMD_OPS_H
#define WB_SIMD_OPS_H
#define WB_SIMD_OPS(X)
#endif
