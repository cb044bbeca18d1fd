/* random_get from getrandom(2), in chunks so a huge request never stalls
 * on the kernel's 32 MiB per-call cap, and so that a request for a whole
 * large memory (seconds of work) still ends at the run's deadline. */
#include "wasi/wasi.h"
#include <errno.h>
#include <sys/random.h>

WB_WASI_FN(random_get)
{
    wb_wasi *w = WASI;
    uint32_t len = A32(1);
    uint8_t *p = wb_gptr(c, A32(0), len);
    if (!p)
        return wb_ret(r, WE_FAULT);
    while (len > 0) {
        if (wb_wasi_cancelled(w))
            return wb_wasi_stop(w, c, WB_OUTCOME_TIMEOUT, "timeout");
        size_t chunk = len > (1u << 20) ? (1u << 20) : len;
        ssize_t n = getrandom(p, chunk, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return wb_ret(r, wb_wasi_errno(errno));
        }
        p += n;
        len -= (uint32_t)n;
    }
    return wb_ret(r, WE_SUCCESS);
}
