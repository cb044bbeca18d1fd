/* setjmp.h for dash on wasm32-wasi, which has no setjmp/longjmp:
 * Lua's Asyncify implementation (scripts/guests/lua/wb_sjlj.[ch]) under
 * the standard names, with the bookkeeping of wb_sjlj_stack.c (dash
 * never says when a jump buffer goes out of use). */
#ifndef WB_SHELL_SETJMP_H
#define WB_SHELL_SETJMP_H
#include "wb_sjlj.h"

typedef wb_jmpbuf jmp_buf[1];
typedef wb_jmpbuf sigjmp_buf[1];

int wb_shell_setjmp(wb_jmpbuf *jb);
void wb_shell_longjmp(wb_jmpbuf *jb, int val);

#define setjmp(jb) wb_shell_setjmp(jb)
#define _setjmp(jb) wb_shell_setjmp(jb)
#define sigsetjmp(jb, save) wb_shell_setjmp(jb)
#define longjmp(jb, val) wb_shell_longjmp(jb, val)
#define _longjmp(jb, val) wb_shell_longjmp(jb, val)
#define siglongjmp(jb, val) wb_shell_longjmp(jb, val)
#endif
