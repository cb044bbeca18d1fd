/* tier.h: machine code from the native code cache for a module, for the
 * layers above the engine that must not see its internals (sessions). */
#ifndef WB_SANDBOX_TIER_H
#define WB_SANDBOX_TIER_H
#include "wasmbox/engine.h"
#include <stddef.h>

/* Loads m's code from the cache ($XDG_CACHE_HOME/wasmbox/native,
 * docs/native-tier.md) before m's first instance, and records this
 * thread's stack bounds (they need /proc, which a lock-down hides):
 * 1 loaded (m runs machine code), 0 no file (or no cache directory),
 * -1 refused, with "FILE: REASON" in `why`. Maps code executable: never
 * after a seccomp lock-down. Never compiles. */
int wb_tier_load_cached(wb_module *m, char *why, size_t cap);

#endif
