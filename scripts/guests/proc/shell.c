/* shell.c: system() and popen()/pclose(), which run a command line with
 * /bin/sh -c in a child process (wasmbox_proc.spawn). */
#include <errno.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include "wb_proc.h"

extern char **environ;

/* Waits for pid, retrying on EINTR; the wait status or -1. */
static int reap(pid_t pid)
{
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return status;
}

int system(const char *command)
{
    if (!command)
        return 1;   /* a shell is available */
    char *argv[] = { "sh", "-c", (char *)command, NULL };
    pid_t pid;
    int e = posix_spawn(&pid, "/bin/sh", NULL, NULL, argv, environ);
    if (e) {
        errno = e;
        return -1;
    }
    return reap(pid);
}

/* The children of the open streams (a few at a time in practice). */
static struct popen_entry {
    FILE *f;
    pid_t pid;
    struct popen_entry *next;
} *streams;

FILE *popen(const char *command, const char *mode)
{
    int reading = mode[0] == 'r', fds[2];
    if ((mode[0] != 'r' && mode[0] != 'w') || (mode[1] && mode[1] != 'e')) {
        errno = EINVAL;
        return NULL;
    }
    struct popen_entry *ent = malloc(sizeof *ent);
    if (!ent || pipe(fds) < 0) {
        free(ent);
        return NULL;
    }
    /* the child's end becomes its stdout (r) or stdin (w) */
    int mine = reading ? fds[0] : fds[1], theirs = reading ? fds[1] : fds[0];
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, theirs, reading ? 1 : 0);
    char *argv[] = { "sh", "-c", (char *)command, NULL };
    int e = posix_spawn(&ent->pid, "/bin/sh", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(theirs);
    ent->f = e ? NULL : fdopen(mine, reading ? "r" : "w");
    if (!ent->f) {
        close(mine);
        if (!e)
            reap(ent->pid);
        free(ent);
        errno = e ? e : errno;
        return NULL;
    }
    ent->next = streams;
    streams = ent;
    return ent->f;
}

int pclose(FILE *f)
{
    struct popen_entry **pp = &streams;
    while (*pp && (*pp)->f != f)
        pp = &(*pp)->next;
    if (!*pp) {
        errno = ECHILD;
        return -1;
    }
    struct popen_entry *ent = *pp;
    *pp = ent->next;
    fclose(f);
    int status = reap(ent->pid);
    free(ent);
    return status;
}
