/* proc.c: proc_exit, proc_raise, sched_yield. Exiting and raising end the
 * run through the engine (no host process is signalled or exited). */
#include "wasi/wasi.h"
#include <sched.h>

WB_WASI_FN(proc_exit)
{
    return wb_caller_exit(c, (int)A32(0));
}

WB_WASI_FN(proc_raise)
{
    return wb_caller_trap(c, "proc_raise(%u)", A32(0));
}

WB_WASI_FN(sched_yield)
{
    sched_yield();
    return wb_ret(r, WE_SUCCESS);
}
