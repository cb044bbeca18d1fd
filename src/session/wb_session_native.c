/* wb_session_native.c: the native tier for sessions (docs/native-tier.md,
 * "Sessions").
 *
 * A session's runtimes run as machine code when the native code cache
 * holds theirs and the settings allow it (session.tier "cached", the
 * default); otherwise, and for raw wasm steps, in the interpreter. Code
 * is only ever loaded from the cache, never compiled here: compiling a
 * language runtime takes minutes and a GB (`make guests-native` or
 * `wasmbox compile` fill the cache).
 *
 * Loading maps the code executable, which a worker's seccomp filter
 * forbids (it kills the process: no PROT_EXEC after the lock-down). So
 * the zygote loads it for the images it preloads, before it forks any
 * worker, and then freezes loading: its workers inherit the mappings,
 * and a module a worker loads itself later stays in the interpreter.
 * A process without isolation (no lock-down) loads on first use. */
#include "session/wb_session.h"
#include "sandbox/tier.h"
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

static atomic_bool frozen;

void wb_sess_native_freeze(void)
{
    atomic_store(&frozen, true);
}

bool wb_sess_native_attach(wb_module *m)
{
    char why[600];
    if (atomic_load(&frozen))
        return false;
    /* (the stack bounds it records: a worker's main thread is a copy of
       the zygote's) */
    int r = wb_tier_load_cached(m, why, sizeof why);
    if (r < 0)
        fprintf(stderr, "wasmbox: %s; native code refused, running in the "
                "interpreter\n", why);
    return r > 0;
}

void wb_sess_native_cache_base(char *out, size_t cap)
{
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    if (xdg && xdg[0] == '/')
        snprintf(out, cap, "%s", xdg);
    else if (home && home[0] == '/')
        snprintf(out, cap, "%s/.cache", home);
    else if (cap)
        out[0] = 0;
}
