/* imports.h: the host functions of `wasmbox_proc` (docs/processes.md,
 * "The import module") and what the library's files share. Every import
 * returns a wasi errno (0 = success) unless said otherwise. */
#ifndef WB_PROC_IMPORTS_H
#define WB_PROC_IMPORTS_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define WB_IMPORT(name) \
    __attribute__((import_module("wasmbox_proc"), import_name(#name)))

WB_IMPORT(fork) int32_t wb_host_fork(void);
WB_IMPORT(exec) int32_t wb_host_exec(const char *path, size_t path_len,
                                     const char *argv, size_t argv_len,
                                     const char *env, size_t env_len,
                                     const char *cwd, size_t cwd_len);
WB_IMPORT(spawn) int32_t wb_host_spawn(const char *path, size_t path_len,
                                       const char *argv, size_t argv_len,
                                       const char *env, size_t env_len,
                                       const char *cwd, size_t cwd_len,
                                       const int32_t fds[3], int32_t *pid_out);
WB_IMPORT(wait) int32_t wb_host_wait(int32_t pid, int32_t options,
                                     int32_t *status_out);
WB_IMPORT(kill) int32_t wb_host_kill(int32_t pid, int32_t sig);
WB_IMPORT(getpid) int32_t wb_host_getpid(void);
WB_IMPORT(getppid) int32_t wb_host_getppid(void);
WB_IMPORT(cwd) int32_t wb_host_cwd(char *buf, size_t cap, size_t *len_out);
WB_IMPORT(pipe) int32_t wb_host_pipe(int32_t fds_out[2]);
WB_IMPORT(dup) int32_t wb_host_dup(int32_t fd, int32_t min, int32_t *fd_out);
WB_IMPORT(dup2) int32_t wb_host_dup2(int32_t fd, int32_t to);
WB_IMPORT(cloexec) int32_t wb_host_cloexec(int32_t fd, int32_t on);

/* errno = e and -1 when e != 0, else 0 */
int wb_proc_fail(int e);

/* A string list (NUL-terminated strings back to back) built from a NULL-
 * terminated array, in a malloc'd buffer; NULL with errno on failure. */
char *wb_proc_strlist(char *const list[], size_t *len);

/* exec or spawn arguments: the lists and the current directory packed
 * for the host. wb_proc_args_free releases them. */
struct wb_proc_args {
    char *argv, *env;
    size_t argv_len, env_len;
    const char *cwd;
};
int wb_proc_args_make(struct wb_proc_args *a, char *const argv[],
                      char *const envp[]);
void wb_proc_args_free(struct wb_proc_args *a);

/* Calls try(path, ctx) for each candidate of file along $PATH (file
 * itself when it holds a '/'); stops at the first result other than
 * ENOENT/ENOTDIR/EACCES and returns it (EACCES if any candidate said so,
 * else ENOENT). */
int wb_proc_path_search(const char *file, int (*try)(const char *, void *),
                        void *ctx);

/* The close-on-exec flags the library set (the host has no getter). */
int wb_proc_cloexec_get(int fd);
void wb_proc_cloexec_note(int fd, int on);

/* A child reaped by sigsuspend() before the program asked for it. */
int wb_proc_stash_take(pid_t pid, int *status);
void wb_proc_stash_put(pid_t pid, int status);

/* If fd is a grant's, move the grant to another fd first (preopens.c):
 * the caller is about to close fd or make it something else. */
void wb_proc_preopen_move(int fd);

/* The signal handler the program installed for sig (NULL: default). */
void (*wb_proc_handler(int sig))(int);
#endif
