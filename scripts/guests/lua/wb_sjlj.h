/* wb_sjlj.h: Lua's error handling (LUAI_TRY/LUAI_THROW) for wasm32-wasi,
 * which has no setjmp/longjmp. Force-included (-include) into every Lua
 * file; implemented in wb_sjlj.c with Binaryen's Asyncify, which the build
 * applies to lua.wasm (wasm-opt --asyncify).
 *
 * wb_setjmp() saves the wasm call stack (the locals of every active
 * function) into the jump buffer by unwinding to the driver in main() and
 * rewinding at once; wb_longjmp() unwinds the current stack and rewinds
 * the saved one, so wb_setjmp() returns again, with a non-zero value.
 * Like setjmp, only linear memory keeps changes made after the save. */
#ifndef WB_SJLJ_H
#define WB_SJLJ_H

typedef struct wb_jmpbuf {
    /* Asyncify's data header: current and end of the save area. */
    void *cur, *end;
    void *snap_end;          /* end of the saved stack */
    int slot;                /* save area in use (nesting depth) */
} wb_jmpbuf;

int wb_setjmp(wb_jmpbuf *jb);
/* returns (as Asyncify unwinds): not marked noreturn on purpose */
void wb_longjmp(wb_jmpbuf *jb, int val);
void wb_jmp_done(wb_jmpbuf *jb);

#define luai_jmpbuf wb_jmpbuf
#define LUAI_TRY(L, c, a) \
    if (wb_setjmp(&(c)->b) == 0) { a } \
    wb_jmp_done(&(c)->b);
#define LUAI_THROW(L, c) wb_longjmp(&(c)->b, 1)

#endif
