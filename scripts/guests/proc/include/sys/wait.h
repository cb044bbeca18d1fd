/* sys/wait.h for wasm32-wasi guests linked with libwbproc.a
 * (scripts/guests/proc/): wasi-libc has none. The status encoding is
 * Linux's, which the host's wasmbox_proc.wait returns: exit code << 8, or
 * the number of the signal that ended the process. */
#ifndef WB_SYS_WAIT_H
#define WB_SYS_WAIT_H
#ifndef _WASI_EMULATED_PROCESS_CLOCKS   /* struct rusage */
#define _WASI_EMULATED_PROCESS_CLOCKS 1
#endif
#include <sys/types.h>
#include <sys/resource.h>

#define WNOHANG 1
#define WUNTRACED 2      /* accepted; no process is ever stopped */
#define WCONTINUED 8

#define WEXITSTATUS(s) (((s) & 0xff00) >> 8)
#define WTERMSIG(s) ((s) & 0x7f)
#define WSTOPSIG(s) WEXITSTATUS(s)
#define WIFEXITED(s) (!WTERMSIG(s))
#define WIFSTOPPED(s) ((short)((((s) & 0xffff) * 0x10001) >> 8) > 0x7f00)
#define WIFSIGNALED(s) (((s) & 0xffff) - 1U < 0xffu)
#define WIFCONTINUED(s) ((s) == 0xffff)
#define WCOREDUMP(s) ((s) & 0x80)

pid_t wait(int *status);
pid_t waitpid(pid_t pid, int *status, int options);
pid_t wait3(int *status, int options, struct rusage *usage);
pid_t wait4(pid_t pid, int *status, int options, struct rusage *usage);
#endif
