/* path.c: lexical path helpers (path.h). */
#include "common/path.h"
#include <string.h>

/* Length of path without trailing slashes (but "/" stays "/"). */
static size_t trimmed(const char *path)
{
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/')
        n--;
    return n;
}

static bool put(char *out, size_t cap, const char *s, size_t n)
{
    if (n >= cap) {
        if (cap)
            out[0] = 0;
        return false;
    }
    memcpy(out, s, n);
    out[n] = 0;
    return true;
}

bool wb_path_dirname(const char *path, char *out, size_t cap)
{
    size_t n = trimmed(path);
    while (n > 0 && path[n - 1] != '/')     /* drop the last name */
        n--;
    if (n == 0)
        return put(out, cap, ".", 1);
    while (n > 1 && path[n - 1] == '/')     /* and the slashes before it */
        n--;
    return put(out, cap, path, n);
}

bool wb_path_basename(const char *path, char *out, size_t cap)
{
    size_t n = trimmed(path);
    if (n == 0)
        return put(out, cap, ".", 1);
    if (n == 1 && path[0] == '/')
        return put(out, cap, "/", 1);
    size_t start = n;
    while (start > 0 && path[start - 1] != '/')
        start--;
    return put(out, cap, path + start, n - start);
}
