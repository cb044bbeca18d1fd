/* normalize.c: lexical path helpers of cwd.c: whether a path's ".."
 * climbs out of the preopen it starts in, and the lexical clean-up of a
 * path no preopen holds. (The current directory is physical: chdir.c,
 * physical.c.) */
#include <string.h>
#include "wb_compat.h"

/* The next component of *p (skipping slashes), its length in *n; *p moves
 * past it. n == 0 at the end. */
static const char *next(const char **p, size_t *n)
{
    while (**p == '/')
        (*p)++;
    const char *c = *p;
    while (**p && **p != '/')
        (*p)++;
    *n = (size_t)(*p - c);
    return c;
}

static int is_dot(const char *c, size_t n) { return n == 1 && c[0] == '.'; }
static int is_dotdot(const char *c, size_t n) { return n == 2 && c[0] == '.' && c[1] == '.'; }

void wb_compat_normalize(char *buf)
{
    size_t len = strlen(buf), out = 0, n;
    int trailing = len > 1 && buf[len - 1] == '/';
    const char *p = buf, *c;
    while (c = next(&p, &n), n > 0) {
        if (is_dot(c, n))
            continue;
        if (is_dotdot(c, n)) {
            while (out > 0 && buf[--out] != '/')
                ;
            continue;
        }
        /* the write position never passes the read position */
        buf[out++] = '/';
        memmove(buf + out, c, n);
        out += n;
    }
    if (out == 0 || trailing)
        buf[out++] = '/';
    buf[out] = '\0';
}

int wb_compat_escapes(const char *rel)
{
    long depth = 0;
    size_t n;
    const char *c;
    while (c = next(&rel, &n), n > 0) {
        if (is_dotdot(c, n)) {
            if (--depth < 0)
                return 1;
        } else if (!is_dot(c, n)) {
            depth++;
        }
    }
    return 0;
}
