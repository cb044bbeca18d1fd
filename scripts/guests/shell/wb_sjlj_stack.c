/* wb_sjlj_stack.c: which saved stacks are still needed, for a program
 * that (like dash) sets jump buffers in its stack frames and leaves them
 * without telling: wb_sjlj.c keeps one save area per nesting level and
 * frees it at wb_jmp_done(). The stack grows down and, with
 * --stack-first, static data lies above it, so a buffer at a lower
 * address than another lives in a deeper frame: setting a buffer ends
 * every save at or below its address (those frames have returned, or it
 * is the same buffer set again), and a jump ends those below its target.
 * The list is kept in decreasing address order. */
#include <stdio.h>
#include <stdlib.h>
#include "wb_sjlj.h"

#define LIVE_MAX 256   /* wb_sjlj.c's number of save areas */
static wb_jmpbuf *live[LIVE_MAX];
static int nlive;

/* Entry i of the list holds wb_sjlj.c's save area i, so after a drop the
 * areas from nlive up are free. (A dropped buffer's memory may belong to
 * another frame by now: it is not read.) */
static void drop_below(wb_jmpbuf *jb, int inclusive)
{
    int n = nlive;
    while (n && (live[n - 1] < jb || (inclusive && live[n - 1] == jb)))
        n--;
    if (n == nlive)
        return;
    wb_jmpbuf freed = { .slot = n };
    wb_jmp_done(&freed);
    nlive = n;
}

/* The code before wb_setjmp runs once; wb_setjmp returns twice or more
 * (0 after the save, the value of each jump to it). */
int wb_shell_setjmp(wb_jmpbuf *jb)
{
    drop_below(jb, 1);
    if (nlive == LIVE_MAX) {
        fputs("sh: nested too deeply\n", stderr);
        exit(2);
    }
    live[nlive++] = jb;
    return wb_setjmp(jb);
}

void wb_shell_longjmp(wb_jmpbuf *jb, int val)
{
    drop_below(jb, 0);
    wb_longjmp(jb, val);
}
