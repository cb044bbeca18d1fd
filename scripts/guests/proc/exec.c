/* exec.c: execve and its family over wasmbox_proc.exec, which returns
 * only on failure. The new image gets the caller's getcwd() as its
 * working directory (wasi-libc keeps it in guest memory, which exec
 * replaces). */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "wb_proc.h"
#include "imports.h"

extern char **environ;

int wb_proc_fail(int e)
{
    if (!e)
        return 0;
    errno = e;
    return -1;
}

char *wb_proc_strlist(char *const list[], size_t *len)
{
    size_t n = 0;
    for (size_t i = 0; list && list[i]; i++)
        n += strlen(list[i]) + 1;
    char *buf = malloc(n ? n : 1), *p = buf;
    if (!buf) {
        errno = ENOMEM;
        return NULL;
    }
    for (size_t i = 0; list && list[i]; i++) {
        size_t k = strlen(list[i]) + 1;
        memcpy(p, list[i], k);
        p += k;
    }
    *len = n;
    return buf;
}

int wb_proc_args_make(struct wb_proc_args *a, char *const argv[],
                      char *const envp[])
{
    static char cwd[4096];
    memset(a, 0, sizeof *a);
    if (!getcwd(cwd, sizeof cwd))
        strcpy(cwd, "/");
    a->cwd = cwd;
    a->argv = wb_proc_strlist(argv, &a->argv_len);
    a->env = a->argv ? wb_proc_strlist(envp, &a->env_len) : NULL;
    if (a->env)
        return 0;
    free(a->argv);
    return -1;
}

void wb_proc_args_free(struct wb_proc_args *a)
{
    free(a->argv);
    free(a->env);
}

int execve(const char *path, char *const argv[], char *const envp[])
{
    struct wb_proc_args a;
    if (wb_proc_args_make(&a, argv, envp) < 0)
        return -1;
    int e = wb_host_exec(path, strlen(path), a.argv, a.argv_len, a.env,
                         a.env_len, a.cwd, strlen(a.cwd));
    wb_proc_args_free(&a);
    return wb_proc_fail(e ? e : EIO);
}

int execv(const char *path, char *const argv[])
{
    return execve(path, argv, environ);
}

int wb_proc_path_search(const char *file, int (*try)(const char *, void *),
                        void *ctx)
{
    if (!*file)
        return ENOENT;
    if (strchr(file, '/'))
        return try(file, ctx);
    const char *path = getenv("PATH");
    if (!path)
        path = "/bin:/usr/bin";
    size_t flen = strlen(file);
    char *buf = malloc(strlen(path) + flen + 2);
    if (!buf)
        return ENOMEM;
    int seen_eacces = 0, e = ENOENT;
    for (const char *p = path;; p++) {
        const char *end = strchrnul(p, ':');
        size_t dlen = (size_t)(end - p);
        memcpy(buf, p, dlen);          /* an empty entry: the current dir */
        if (dlen)
            buf[dlen++] = '/';
        memcpy(buf + dlen, file, flen + 1);
        e = try(buf, ctx);
        if (e == EACCES)
            seen_eacces = 1;
        else if (e != ENOENT && e != ENOTDIR)
            break;
        if (!*end) {
            e = seen_eacces ? EACCES : ENOENT;
            break;
        }
        p = end;
    }
    free(buf);
    return e;
}

struct exec_ctx { char *const *argv, *const *envp; };

/* A file the host does not take as a module (ENOEXEC) is run by the
 * shell, as execvp does in glibc and POSIX asks. */
static int exec_one(const char *path, void *p)
{
    struct exec_ctx *c = p;
    execve(path, c->argv, c->envp);
    if (errno != ENOEXEC)
        return errno;
    size_t n = 0;
    while (c->argv[n])
        n++;
    char **av = calloc(n + 2, sizeof *av);
    if (!av)
        return ENOMEM;
    av[0] = "sh";
    av[1] = (char *)path;
    for (size_t i = 1; i < n; i++)
        av[i + 1] = c->argv[i];
    execve("/bin/sh", av, c->envp);
    free(av);
    return errno;
}

int execvpe(const char *file, char *const argv[], char *const envp[])
{
    struct exec_ctx c = { argv, envp };
    return wb_proc_fail(wb_proc_path_search(file, exec_one, &c));
}

int execvp(const char *file, char *const argv[])
{
    return execvpe(file, argv, environ);
}

/* The argument list of execl* as an array (NULL-terminated); envp gets
 * the array after the NULL for execle. */
static char **collect(const char *arg, va_list ap, char ***envp)
{
    va_list cp;
    va_copy(cp, ap);
    size_t n = 1;
    while (va_arg(cp, char *))
        n++;
    va_end(cp);
    char **av = malloc((n + 1) * sizeof *av);
    if (!av) {
        errno = ENOMEM;
        return NULL;
    }
    av[0] = (char *)arg;
    for (size_t i = 1; i <= n; i++)
        av[i] = va_arg(ap, char *);
    if (envp)
        *envp = va_arg(ap, char **);
    return av;
}

#define EXECL_BODY(call, envp)                        \
    va_list ap;                                       \
    va_start(ap, arg);                                \
    char **av = collect(arg, ap, envp);               \
    va_end(ap);                                       \
    if (!av)                                          \
        return -1;                                    \
    int r = call;                                     \
    free(av);                                         \
    return r;

int execl(const char *path, const char *arg, ...)
{
    EXECL_BODY(execve(path, av, environ), NULL)
}

int execlp(const char *file, const char *arg, ...)
{
    EXECL_BODY(execvp(file, av), NULL)
}

int execle(const char *path, const char *arg, ...)
{
    char **env;
    EXECL_BODY(execve(path, av, env), &env)
}
