/*
 * native_frames.c: the guest's call stack of compiled code, read back
 * from the machine stack when someone needs it.
 *
 * Compiled functions write nothing per call (the call depth travels as an
 * argument: src/native/tr.c prologue); the store's frame records, which
 * backtraces, host functions, the interpreter and fork read, are rebuilt
 * here only when one of those is about to look: before a helper traps or
 * calls out, and in the fault handler. Every compiled function keeps a
 * frame pointer and makes no tail calls (jit.c), so its frame holds the
 * caller's frame pointer at [fp] and the return address into the caller
 * at [fp + 8] (x86-64 and aarch64 alike); the return address names the
 * caller through the image's layout (f0, e0, f1, e1, ... in address
 * order: checked when the code is mapped, native_file.c). Nothing here
 * allocates or locks: the fault handler calls it.
 */
#include "native.h"
#include <string.h>

/* The definition whose function body holds pc; UINT32_MAX for an entry
 * wrapper or an address outside the code. */
uint32_t wb_native_def_at(const wb_native_code *c, uintptr_t pc)
{
    uint32_t lo = 0, hi = c->nfuncs;
    while (lo < hi) {                   /* the last fns[d] <= pc */
        uint32_t mid = lo + (hi - lo) / 2;
        if ((uintptr_t)c->fns[mid] <= pc)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return UINT32_MAX;
    uint32_t d = lo - 1;
    void *e;
    memcpy(&e, &c->entries[d], sizeof e);
    return pc < (uintptr_t)e ? d : UINT32_MAX;
}

/* The caller of the frame at *fp: its definition, and *fp moves to its
 * frame. A frame pointer must lie above the one before it (the stack
 * grows down) and be aligned, or the walk stops: UINT32_MAX. */
static uint32_t caller(const wb_native_code *c, uintptr_t *fp)
{
    const uintptr_t *fr = (const uintptr_t *)*fp;
    if (!*fp || (*fp & 7))
        return UINT32_MAX;
    uint32_t d = wb_native_def_at(c, fr[1]);
    if (d != UINT32_MAX && (fr[0] <= *fp || (fr[0] & 7)))
        return UINT32_MAX;
    *fp = fr[0];
    return d;
}

uint32_t wb_native_frames_count(const wb_native_code *c, uintptr_t fp,
                                uint32_t max)
{
    uint32_t n = 1;
    while (n < max && caller(c, &fp) != UINT32_MAX)
        n++;
    return n;
}

void wb_native_frames(wb_store *s, wb_func *const *funcs, uint32_t nimports,
                      const wb_native_code *c, uint32_t base, uint32_t top,
                      uint32_t def, uintptr_t fp)
{
    for (uint32_t k = top; k > base; k--) {
        s->frames[k].func = def == UINT32_MAX ? NULL : funcs[def + nimports];
        if (def != UINT32_MAX && k - 1 > base)
            def = caller(c, &fp);
    }
    s->depth = top;
}

bool wb_native_layout_ok(const wb_native_code *c)
{
    for (uint32_t d = 0; d < c->nfuncs; d++) {
        void *e;
        memcpy(&e, &c->entries[d], sizeof e);
        if ((uintptr_t)e <= (uintptr_t)c->fns[d] ||
            (d + 1 < c->nfuncs && (uintptr_t)c->fns[d + 1] <= (uintptr_t)e))
            return false;
    }
    return true;
}
