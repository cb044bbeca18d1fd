/* wasi-stubs.c: POSIX calls that wasi-libc does not provide, for guest
 * programs that reference them in code paths a sandboxed guest does not
 * need (running commands, changing file modes, user ids). Each fails
 * cleanly, or reports the single sandbox user. */
#include <errno.h>
#include <sys/types.h>

int system(const char *command)
{
    if (!command)
        return 0;   /* no command processor available */
    errno = ENOSYS;
    return -1;
}

int chmod(const char *path, mode_t mode)
{
    (void)path; (void)mode;
    return 0;       /* WASI has no permission bits: nothing to change */
}

uid_t getuid(void) { return 0; }
uid_t geteuid(void) { return 0; }

#include <stdio.h>

/* No anonymous temporary files (there may be no writable directory). */
FILE *tmpfile(void)
{
    errno = ENOSYS;
    return NULL;
}
