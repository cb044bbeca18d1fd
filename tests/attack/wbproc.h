/* wbproc.h: the wasmbox_proc imports (docs/processes.md) for the test
 * guests of tests/proc/, declared directly (no guest library). */
#ifndef WBPROC_H
#define WBPROC_H
#include <stdint.h>
#include <string.h>

#define WBP(name) __attribute__((import_module("wasmbox_proc"), \
                                 import_name(#name)))
WBP(spawn) int32_t wbp_spawn(const char *path, uint32_t path_len,
                             const char *argv, uint32_t argv_len,
                             const char *env, uint32_t env_len,
                             const char *cwd, uint32_t cwd_len,
                             const int32_t *fds, int32_t *pid_out);
WBP(exec) int32_t wbp_exec(const char *path, uint32_t path_len,
                           const char *argv, uint32_t argv_len,
                           const char *env, uint32_t env_len,
                           const char *cwd, uint32_t cwd_len);
WBP(wait) int32_t wbp_wait(int32_t pid, int32_t options, int32_t *status);
WBP(kill) int32_t wbp_kill(int32_t pid, int32_t sig);
WBP(getpid) int32_t wbp_getpid(void);
WBP(getppid) int32_t wbp_getppid(void);
WBP(cwd) int32_t wbp_cwd(char *buf, uint32_t cap, uint32_t *len);
#ifdef WBP_FORK
WBP(fork) int32_t wbp_fork(void);
#endif
#ifdef WBP_PIPE
WBP(pipe) int32_t wbp_pipe(int32_t *fds);
WBP(dup2) int32_t wbp_dup2(int32_t fd, int32_t to);
#endif

/* A string list "a\0b\0" of n strings into buf; its length. */
static inline uint32_t wbp_list(char *buf, const char *const *v, int n)
{
    uint32_t len = 0;
    for (int i = 0; i < n; i++) {
        size_t k = strlen(v[i]) + 1;
        memcpy(buf + len, v[i], k);
        len += (uint32_t)k;
    }
    return len;
}

/* Spawn `path` with argv (n strings), no env, the caller's cwd and
 * stdio: 0, or the errno. */
static inline int wbp_run(const char *path, const char *const *argv, int n,
                          int32_t *pid)
{
    static char buf[4096];
    static const int32_t fds[3] = { 0, 1, 2 };
    uint32_t len = wbp_list(buf, argv, n);
    return wbp_spawn(path, (uint32_t)strlen(path), buf, len, "", 0, "", 0,
                     fds, pid);
}
#endif
