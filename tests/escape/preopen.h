// preopen.h: the escape programs that use fixed grants find their
// descriptors by the preopens' names, not by number: `wasmbox run` gives
// only the grants on its command line, a server's one-shot run also its
// workspace (/work) first (tests/escape/serve.sh).
#include <stdio.h>
#include <string.h>
#include <wasi/api.h>

enum { PREOPEN_LAST = 3 + 64 };

/* The descriptor whose preopen is named name, or 0 (after a line) when
 * there is none or it comes before after (the grants' order holds). */
static __wasi_fd_t preopen(const char *name, __wasi_fd_t after)
{
    __wasi_prestat_t ps;
    char got[64];
    for (__wasi_fd_t fd = 3; fd < PREOPEN_LAST; fd++) {
        memset(got, 0, sizeof got);
        if (__wasi_fd_prestat_get(fd, &ps) ||
            ps.u.dir.pr_name_len >= sizeof got ||
            __wasi_fd_prestat_dir_name(fd, (uint8_t *)got,
                                       ps.u.dir.pr_name_len) ||
            strcmp(got, name))
            continue;
        if (fd > after)
            return fd;
        break;
    }
    printf("no preopen %s after fd %u\n", name, (unsigned)after);
    return 0;
}

/* The names of the top-level grants ("/x"), in the preopens' order, each
 * followed by a space: what the root "/" lists after ". .." */
__attribute__((unused)) static void preopen_tops(char *out, size_t cap)
{
    __wasi_prestat_t ps;
    char got[64];
    out[0] = 0;
    for (__wasi_fd_t fd = 3; fd < PREOPEN_LAST; fd++) {
        memset(got, 0, sizeof got);
        if (__wasi_fd_prestat_get(fd, &ps) ||
            ps.u.dir.pr_name_len >= sizeof got ||
            __wasi_fd_prestat_dir_name(fd, (uint8_t *)got,
                                       ps.u.dir.pr_name_len))
            continue;
        if (got[0] == '/' && got[1] && !strchr(got + 1, '/'))
            snprintf(out + strlen(out), cap - strlen(out), "%s ", got + 1);
    }
}
