/* spawn.h for wasm32-wasi guests linked with libwbproc.a
 * (scripts/guests/proc/spawn.c): posix_spawn over wasmbox_proc.spawn,
 * whose child receives three fds (its 0, 1, 2) and nothing else. File
 * actions: open, close and dup2 whose effect lands on fds 0-2 (others
 * are accepted when they cannot matter: closing an fd above 2); a dup2
 * onto an fd above 2 fails with ENOSYS. Attributes are kept but have no
 * effect (no process groups or signal masks in the sandbox). */
#ifndef WB_SPAWN_H
#define WB_SPAWN_H
#include <sys/types.h>
#include "wb_proc.h"

#define POSIX_SPAWN_RESETIDS 1
#define POSIX_SPAWN_SETPGROUP 2
#define POSIX_SPAWN_SETSIGDEF 4
#define POSIX_SPAWN_SETSIGMASK 8
#define POSIX_SPAWN_SETSCHEDPARAM 16
#define POSIX_SPAWN_SETSCHEDULER 32
#define POSIX_SPAWN_USEVFORK 64
#define POSIX_SPAWN_SETSID 128

typedef struct {
    short flags;
    pid_t pgroup;
    sigset_t mask, def;
} posix_spawnattr_t;

struct wb_spawn_action;
typedef struct {
    int count, cap;
    struct wb_spawn_action *actions;
} posix_spawn_file_actions_t;

int posix_spawn(pid_t *pid, const char *path,
                const posix_spawn_file_actions_t *actions,
                const posix_spawnattr_t *attr, char *const argv[],
                char *const envp[]);
int posix_spawnp(pid_t *pid, const char *file,
                 const posix_spawn_file_actions_t *actions,
                 const posix_spawnattr_t *attr, char *const argv[],
                 char *const envp[]);

int posix_spawn_file_actions_init(posix_spawn_file_actions_t *fa);
int posix_spawn_file_actions_destroy(posix_spawn_file_actions_t *fa);
int posix_spawn_file_actions_addopen(posix_spawn_file_actions_t *fa, int fd,
                                     const char *path, int oflag, mode_t mode);
int posix_spawn_file_actions_addclose(posix_spawn_file_actions_t *fa, int fd);
int posix_spawn_file_actions_adddup2(posix_spawn_file_actions_t *fa, int fd,
                                     int newfd);

int posix_spawnattr_init(posix_spawnattr_t *a);
int posix_spawnattr_destroy(posix_spawnattr_t *a);
int posix_spawnattr_getflags(const posix_spawnattr_t *a, short *flags);
int posix_spawnattr_setflags(posix_spawnattr_t *a, short flags);
int posix_spawnattr_getpgroup(const posix_spawnattr_t *a, pid_t *pgroup);
int posix_spawnattr_setpgroup(posix_spawnattr_t *a, pid_t pgroup);
int posix_spawnattr_getsigmask(const posix_spawnattr_t *a, sigset_t *mask);
int posix_spawnattr_setsigmask(posix_spawnattr_t *a, const sigset_t *mask);
int posix_spawnattr_getsigdefault(const posix_spawnattr_t *a, sigset_t *def);
int posix_spawnattr_setsigdefault(posix_spawnattr_t *a, const sigset_t *def);
#endif
