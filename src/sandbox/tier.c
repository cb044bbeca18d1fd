/* tier.c: the code cache's lookup for sessions (tier.h). */
#include "sandbox/tier.h"
#include "engine/native.h"
#include <stdio.h>

int wb_tier_load_cached(wb_module *m, char *why, size_t cap)
{
    char path[4400];
    wb_error err = { 0 };
    switch (wb_native_cache_load(m, path, sizeof path, &err)) {
    case WB_NCACHE_HIT:
        wb_native_prime_thread();
        return 1;
    case WB_NCACHE_REFUSED:
        snprintf(why, cap, "%s: %s", path[0] ? path : "native code cache",
                 err.message);
        return -1;
    case WB_NCACHE_MISS:
        break;
    }
    return 0;
}
