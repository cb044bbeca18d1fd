/* wb_sjlj.c: setjmp/longjmp for Lua on wasm32-wasi via Asyncify (see
 * wb_sjlj.h). main() here drives the program: it calls Lua's main
 * (renamed wb_lua_main) and, each time the stack unwinds for a save or a
 * jump, rewinds the right saved stack. main and wb_sjlj_drive must not be
 * instrumented (the build lists them in asyncify-removelist).
 * The shell (scripts/guests/shell.sh) builds it too, with its own main
 * (WB_SJLJ_MAIN) and name for messages (WB_SJLJ_NAME). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "wb_sjlj.h"

__attribute__((import_module("asyncify"), import_name("start_unwind")))
void asyncify_start_unwind(void *data);
__attribute__((import_module("asyncify"), import_name("stop_unwind")))
void asyncify_stop_unwind(void);
__attribute__((import_module("asyncify"), import_name("start_rewind")))
void asyncify_start_rewind(void *data);
__attribute__((import_module("asyncify"), import_name("stop_rewind")))
void asyncify_stop_rewind(void);

#ifndef WB_SJLJ_MAIN
#define WB_SJLJ_MAIN wb_lua_main
#define WB_SJLJ_NAME "lua"
#endif
int WB_SJLJ_MAIN(int argc, char **argv);

/* Save areas, one per nesting level of protected calls (Lua nests at most
 * LUAI_MAXCCALLS C calls, so the depth stays small), plus a scratch area
 * the current stack is unwound into by a jump (then discarded). */
#define WB_SAVE_SIZE (256 * 1024)
#define WB_MAX_SLOTS 256
static char *slots[WB_MAX_SLOTS];
static int depth;
static struct { void *cur, *end; } scratch;
static char *scratch_buf;

enum { OP_NONE, OP_SAVE, OP_JUMP };
static int op;                 /* why the stack is unwinding */
static wb_jmpbuf *target;
static int resuming;           /* rewinding into wb_setjmp */
static int resume_val;

static void fatal(const char *msg)
{
    fprintf(stderr, "%s: %s\n", WB_SJLJ_NAME, msg);
    exit(70);
}

int wb_setjmp(wb_jmpbuf *jb)
{
    if (resuming) {            /* the rewind reached us: saved or jumped */
        resuming = 0;
        asyncify_stop_rewind();
        return resume_val;
    }
    if (depth >= WB_MAX_SLOTS)
        fatal("protected calls nested too deeply");
    if (!slots[depth] && !(slots[depth] = malloc(WB_SAVE_SIZE)))
        fatal("out of memory for a protected call");
    jb->slot = depth++;
    jb->cur = slots[jb->slot];
    jb->end = slots[jb->slot] + WB_SAVE_SIZE;
    op = OP_SAVE;
    target = jb;
    asyncify_start_unwind(jb);
    return 0;                  /* not used: the unwind returns to main */
}

void wb_jmp_done(wb_jmpbuf *jb)
{
    depth = jb->slot;          /* its save area (and deeper ones) free */
}

void wb_longjmp(wb_jmpbuf *jb, int val)
{
    if (!scratch_buf && !(scratch_buf = malloc(4 * WB_SAVE_SIZE)))
        fatal("out of memory for an error");
    scratch.cur = scratch_buf;
    scratch.end = scratch_buf + 4 * WB_SAVE_SIZE;
    op = OP_JUMP;
    target = jb;
    resume_val = val ? val : 1;
    asyncify_start_unwind(&scratch);
    /* return: every (instrumented) caller now returns up to main, which
       rewinds jb's stack. Nothing may follow the call here. */
}

__attribute__((noinline)) static int wb_sjlj_drive(int argc, char **argv)
{
    for (;;) {
        int rc = WB_SJLJ_MAIN(argc, argv);
        if (op == OP_NONE)
            return rc;             /* a plain return */
        asyncify_stop_unwind();
        wb_jmpbuf *jb = target;
        if (op == OP_SAVE) {
            jb->snap_end = jb->cur;    /* the saved stack ends here */
            resume_val = 0;
        } else {
            jb->cur = jb->snap_end;    /* rewind reads it back down */
            depth = jb->slot + 1;      /* deeper save areas are gone */
        }
        op = OP_NONE;
        resuming = 1;
        asyncify_start_rewind(jb);
    }
}

int main(int argc, char **argv)
{
    return wb_sjlj_drive(argc, argv);
}
