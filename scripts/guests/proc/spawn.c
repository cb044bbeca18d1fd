/* spawn.c: posix_spawn over wasmbox_proc.spawn. The host gives the child
 * three of the caller's fds as its 0, 1 and 2 and nothing else, so the
 * file actions are played here on a small map "child fd -> caller fd":
 * an open is done by the caller (and closed after the spawn), a dup2 or
 * close changes the map, and fds 0-2 of the map are what the host gets. */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>
#include "wb_proc.h"
#include "imports.h"

extern char **environ;

enum { ACT_OPEN, ACT_CLOSE, ACT_DUP2 };
struct wb_spawn_action {
    int kind, fd, newfd, oflag;
    mode_t mode;
    char *path;
};

int posix_spawn_file_actions_init(posix_spawn_file_actions_t *fa)
{
    memset(fa, 0, sizeof *fa);
    return 0;
}

int posix_spawn_file_actions_destroy(posix_spawn_file_actions_t *fa)
{
    for (int i = 0; i < fa->count; i++)
        free(fa->actions[i].path);
    free(fa->actions);
    memset(fa, 0, sizeof *fa);
    return 0;
}

static int add(posix_spawn_file_actions_t *fa, struct wb_spawn_action a)
{
    if (a.fd < 0 || (a.kind == ACT_DUP2 && a.newfd < 0))
        return EBADF;
    if (fa->count == fa->cap) {
        int cap = fa->cap ? 2 * fa->cap : 4;
        struct wb_spawn_action *n = realloc(fa->actions, cap * sizeof *n);
        if (!n)
            return ENOMEM;
        fa->actions = n;
        fa->cap = cap;
    }
    fa->actions[fa->count++] = a;
    return 0;
}

int posix_spawn_file_actions_addopen(posix_spawn_file_actions_t *fa, int fd,
                                     const char *path, int oflag, mode_t mode)
{
    struct wb_spawn_action a = { ACT_OPEN, fd, -1, oflag, mode, strdup(path) };
    if (!a.path)
        return ENOMEM;
    int e = add(fa, a);
    if (e)
        free(a.path);
    return e;
}

int posix_spawn_file_actions_addclose(posix_spawn_file_actions_t *fa, int fd)
{
    return add(fa, (struct wb_spawn_action){ ACT_CLOSE, fd, -1, 0, 0, NULL });
}

int posix_spawn_file_actions_adddup2(posix_spawn_file_actions_t *fa, int fd,
                                     int newfd)
{
    return add(fa, (struct wb_spawn_action){ ACT_DUP2, fd, newfd, 0, 0, NULL });
}

int posix_spawnattr_init(posix_spawnattr_t *a) { memset(a, 0, sizeof *a); return 0; }
int posix_spawnattr_destroy(posix_spawnattr_t *a) { (void)a; return 0; }
int posix_spawnattr_getflags(const posix_spawnattr_t *a, short *f) { *f = a->flags; return 0; }
int posix_spawnattr_setflags(posix_spawnattr_t *a, short f) { a->flags = f; return 0; }
int posix_spawnattr_getpgroup(const posix_spawnattr_t *a, pid_t *p) { *p = a->pgroup; return 0; }
int posix_spawnattr_setpgroup(posix_spawnattr_t *a, pid_t p) { a->pgroup = p; return 0; }
int posix_spawnattr_getsigmask(const posix_spawnattr_t *a, sigset_t *m) { *m = a->mask; return 0; }
int posix_spawnattr_setsigmask(posix_spawnattr_t *a, const sigset_t *m) { a->mask = *m; return 0; }
int posix_spawnattr_getsigdefault(const posix_spawnattr_t *a, sigset_t *d) { *d = a->def; return 0; }
int posix_spawnattr_setsigdefault(posix_spawnattr_t *a, const sigset_t *d) { a->def = *d; return 0; }

/* The child's fds as the actions leave them: map[i] is the caller's fd
 * that becomes the child's fd i (-1: closed), for i < MAP; fds the caller
 * opened for the child are listed in opened[] to close afterwards. */
#define MAP 64
struct plan {
    int map[MAP];
    bool acted[3];                 /* an action set the child's fd i */
    int opened[MAP], nopened;
};

static int child_fd(const struct plan *p, int fd)
{
    return fd < MAP ? p->map[fd] : fd;
}

/* An action whose result lands above fd 2 cannot reach the child: a
 * close there is moot, a dup2 of an fd onto itself (clearing close-on-
 * exec) too; any other is refused rather than dropped silently. */
static int moot(const struct wb_spawn_action *a, int to)
{
    return a->kind == ACT_CLOSE || (a->kind == ACT_DUP2 && a->fd == to);
}

static int play(const posix_spawn_file_actions_t *fa, struct plan *p)
{
    for (int i = 0; i < MAP; i++)
        p->map[i] = i;
    memset(p->acted, 0, sizeof p->acted);
    p->nopened = 0;
    for (int i = 0; fa && i < fa->count; i++) {
        const struct wb_spawn_action *a = &fa->actions[i];
        int to = a->kind == ACT_DUP2 ? a->newfd : a->fd;
        if (to > 2 && !moot(a, to))
            return ENOSYS;
        if (to >= MAP)
            continue;
        if (to <= 2)
            p->acted[to] = true;
        if (a->kind == ACT_CLOSE) {
            p->map[to] = -1;
        } else if (a->kind == ACT_DUP2) {
            int from = child_fd(p, a->fd);
            if (from < 0)
                return EBADF;
            p->map[to] = from;
        } else {
            if (p->nopened == MAP)
                return ENOMEM;
            int fd = open(a->path, a->oflag, a->mode);
            if (fd < 0)
                return errno;
            p->opened[p->nopened++] = fd;
            p->map[to] = fd;
        }
    }
    return 0;
}

/* An fd 0-2 the caller has closed (awk closes its stdin at the end of
 * its input) stays closed in the child, as fork would leave it. */
static bool open_fd(int fd)
{
    __wasi_fdstat_t st;
    return __wasi_fd_fdstat_get(fd, &st) != __WASI_ERRNO_BADF;
}

struct spawn_ctx {
    struct wb_proc_args args;
    int32_t fds[3];
    int32_t pid;
};

static int spawn_one(const char *path, void *p)
{
    struct spawn_ctx *c = p;
    return wb_host_spawn(path, strlen(path), c->args.argv, c->args.argv_len,
                         c->args.env, c->args.env_len, c->args.cwd,
                         strlen(c->args.cwd), c->fds, &c->pid);
}

static int spawn_common(pid_t *pid, const char *file, int search,
                        const posix_spawn_file_actions_t *fa,
                        char *const argv[], char *const envp[])
{
    struct plan plan;
    struct spawn_ctx c;
    int e = play(fa, &plan);
    for (int i = 0; i < 3; i++)
        c.fds[i] = plan.acted[i] || open_fd(i) ? plan.map[i] : -1;
    if (!e && wb_proc_args_make(&c.args, argv, envp ? envp : environ) < 0)
        e = errno;
    else if (!e) {
        e = search ? wb_proc_path_search(file, spawn_one, &c)
                   : spawn_one(file, &c);
        wb_proc_args_free(&c.args);
    }
    for (int i = 0; i < plan.nopened; i++)
        close(plan.opened[i]);
    if (!e && pid)
        *pid = c.pid;
    return e;
}

int posix_spawn(pid_t *pid, const char *path,
                const posix_spawn_file_actions_t *fa,
                const posix_spawnattr_t *attr, char *const argv[],
                char *const envp[])
{
    (void)attr;
    return spawn_common(pid, path, 0, fa, argv, envp);
}

int posix_spawnp(pid_t *pid, const char *file,
                 const posix_spawn_file_actions_t *fa,
                 const posix_spawnattr_t *attr, char *const argv[],
                 char *const envp[])
{
    (void)attr;
    return spawn_common(pid, file, 1, fa, argv, envp);
}
