/* unistd.h: wasi-libc's, then the declarations it hides that libwbproc.a
 * provides (wb_proc.h says what and why). */
#ifndef WB_WRAP_UNISTD_H
#define WB_WRAP_UNISTD_H
#ifndef _WASI_EMULATED_SIGNAL
#define _WASI_EMULATED_SIGNAL 1
#endif
#ifndef _WASI_EMULATED_PROCESS_CLOCKS
#define _WASI_EMULATED_PROCESS_CLOCKS 1
#endif
#ifndef _WASI_EMULATED_GETPID   /* getpid() is libwbproc's */
#define _WASI_EMULATED_GETPID 1
#endif
#include_next <unistd.h>
#include "wb_proc.h"
#endif
