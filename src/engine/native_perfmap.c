/*
 * native_perfmap.c: tells `perf` which guest function each piece of
 * compiled code is (docs/native-tier.md, "Profiling compiled code").
 *
 * With WASMBOX_PERF_MAP=1 in the environment, a process that maps a
 * module's compiled code appends one line per function to
 * /tmp/perf-<pid>.map, the format perf reads for code it cannot find in
 * an ELF file: "<start> <size> <name>" in hex, the name from the module's
 * name section (wasm[<index>] without one; the entry wrappers are
 * "<name> [entry]"). Off by default: it is a developer's tool, and the
 * file names the guest's functions.
 */
#include "native.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct pm_sym {
    uintptr_t at;
    uint32_t def;
    bool entry;
} pm_sym;

static int by_address(const void *a, const void *b)
{
    uintptr_t x = ((const pm_sym *)a)->at, y = ((const pm_sym *)b)->at;
    return (x > y) - (x < y);
}

static void write_syms(FILE *f, wb_module *m, pm_sym *s, size_t n,
                       uintptr_t code_end)
{
    char **names = wb_module_names(m);
    qsort(s, n, sizeof *s, by_address);
    for (size_t i = 0; i < n; i++) {
        uintptr_t end = i + 1 < n ? s[i + 1].at : code_end;
        uint32_t fi = s[i].def + m->nfunc_imports;
        const char *name = names ? names[fi] : NULL;
        if (name)
            fprintf(f, "%lx %lx %s%s\n", (unsigned long)s[i].at,
                    (unsigned long)(end - s[i].at), name,
                    s[i].entry ? " [entry]" : "");
        else
            fprintf(f, "%lx %lx wasm[%u]%s\n", (unsigned long)s[i].at,
                    (unsigned long)(end - s[i].at), fi,
                    s[i].entry ? " [entry]" : "");
    }
}

void wb_native_perf_map(wb_module *m, const wb_native_code *c)
{
    const char *on = getenv("WASMBOX_PERF_MAP");
    if (!on || *on != '1' || !c->nfuncs)
        return;
    size_t n = (size_t)c->nfuncs * 2;
    pm_sym *s = malloc(n * sizeof *s);
    char path[64];
    snprintf(path, sizeof path, "/tmp/perf-%ld.map", (long)getpid());
    FILE *f = s ? fopen(path, "a") : NULL;
    if (f) {
        for (uint32_t d = 0; d < c->nfuncs; d++) {
            void *e;
            memcpy(&e, &c->entries[d], sizeof e);
            s[2 * d] = (pm_sym){ (uintptr_t)c->fns[d], d, false };
            s[2 * d + 1] = (pm_sym){ (uintptr_t)e, d, true };
        }
        write_syms(f, m, s, n, (uintptr_t)c->map + c->code_len);
        fclose(f);
    }
    free(s);
}
