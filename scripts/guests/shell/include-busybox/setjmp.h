/* setjmp.h for busybox on wasm32-wasi, which has no setjmp/longjmp.
 * Without a shell applet, busybox's jumps are all ways out of a fatal
 * error of one command: test's syntax errors (status 2) and a corrupt
 * gzip stream (status 1, after patches/busybox-02-wasi-gunzip.patch
 * prints the message first). So setjmp returns 0 once and longjmp ends
 * the process with the value as its exit status, after flushing stdio as
 * the normal return would. This keeps busybox.wasm free of Asyncify
 * (dash's setjmp, shell/include-dash/), smaller and faster. */
#ifndef WB_BUSYBOX_SETJMP_H
#define WB_BUSYBOX_SETJMP_H
#include <stdlib.h>

typedef int jmp_buf[1];
typedef int sigjmp_buf[1];

#define setjmp(jb) ((void)(jb), 0)
#define sigsetjmp(jb, save) ((void)(jb), 0)
#define longjmp(jb, val) ((void)(jb), exit(val))
#define siglongjmp(jb, val) ((void)(jb), exit(val))
#endif
