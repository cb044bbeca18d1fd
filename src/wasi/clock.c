/* clock.c: clock_res_get and clock_time_get over clock_gettime(2), plus
 * the context's offsets (a restored guest's clocks continue from where
 * its snapshot left them, never back). */
#include "wasi/wasi.h"
#include <time.h>

static bool host_clock(uint32_t id, clockid_t *out)
{
    static const clockid_t map[] = {
        CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID,
        CLOCK_THREAD_CPUTIME_ID
    };
    if (id >= sizeof map / sizeof *map)
        return false;
    *out = map[id];
    return true;
}

WB_WASI_FN(clock_res_get)
{
    clockid_t id;
    struct timespec ts;
    if (!host_clock(A32(0), &id))
        return wb_ret(r, WE_INVAL);
    if (clock_getres(id, &ts) != 0)
        return wb_ret(r, WE_INVAL);
    uint64_t ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    return wb_ret(r, wb_put64(c, A32(1), ns ? ns : 1) ? 0 : WE_FAULT);
}

bool wb_wasi_clock_now(const wb_wasi *w, uint32_t id, uint64_t *ns)
{
    clockid_t host;
    struct timespec ts;
    if (!host_clock(id, &host) || clock_gettime(host, &ts) != 0)
        return false;
    *ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec +
          w->clock_offset[id];
    return true;
}

WB_WASI_FN(clock_time_get)
{
    uint64_t ns;
    if (!wb_wasi_clock_now(WASI, A32(0), &ns))
        return wb_ret(r, WE_INVAL);
    /* a[1] is the requested precision; the host's best is always fine. */
    return wb_ret(r, wb_put64(c, A32(2), ns) ? 0 : WE_FAULT);
}
