/* tmpwalk.c: path resolution on a tmpfs, with the rules resolve.c gives
 * host grants (openat2 with RESOLVE_BENEATH): nothing resolves above the
 * directory the walk starts from ("..", absolute symlinks, symlinks that
 * climb out answer ENOTCAPABLE), at most 40 symlinks per walk (ELOOP),
 * a trailing slash asks for a directory and follows a final symlink.
 * Directories have one parent, so counting levels below the start is
 * enough to know where ".." leads. */
#include "wasi/wasi.h"
#include <limits.h>
#include <string.h>

#define WB_MAX_LINKS 40            /* like the kernel's MAXSYMLINKS */

typedef struct twalk {
    wb_tnode *cur;
    long depth;                    /* levels below the start */
    int links;
    char rest[2 * WB_PATH_MAX];    /* what is left to resolve */
} twalk;

/* Pop the next non-empty component of w->rest into comp. *slash: a '/'
 * followed it; *final: nothing but slashes after it. 0, 1 at the end,
 * or WE_NAMETOOLONG. */
static int next_comp(twalk *w, char *comp, bool *slash, bool *final)
{
    char *s = w->rest;
    while (*s == '/')
        s++;
    if (!*s)
        return 1;
    size_t n = strcspn(s, "/");
    if (n > NAME_MAX)
        return WE_NAMETOOLONG;
    memcpy(comp, s, n);
    comp[n] = 0;
    char *t = s + n;
    *slash = *t == '/';
    while (*t == '/')
        t++;
    *final = !*t;
    memmove(w->rest, t, strlen(t) + 1);
    return 0;
}

/* Put symlink n's target before w->rest (with a slash after it when the
 * link's name had one). */
static int splice(twalk *w, const wb_tnode *n, bool slash)
{
    const char *t = wb_tnode_target(n);
    if (++w->links > WB_MAX_LINKS)
        return WE_LOOP;
    if (t[0] == '/')
        return WE_NOTCAPABLE;
    size_t tl = strlen(t), rl = strlen(w->rest);
    if (tl + rl + 2 > sizeof w->rest)
        return WE_NAMETOOLONG;
    memmove(w->rest + tl + 1, w->rest, rl + 1);
    memcpy(w->rest, t, tl);
    w->rest[tl] = rl || slash ? '/' : 0;
    return WE_SUCCESS;
}

static void found(wb_tpath *out, wb_tnode *parent, wb_tnode *node,
                  const char *last, bool slash)
{
    out->parent = parent;
    out->node = node;
    strcpy(out->last, last);
    out->slash = slash;
}

int wb_tfs_walk(wb_tnode *dir, const char *path, int how, wb_tpath *out)
{
    twalk w;
    char comp[NAME_MAX + 1];
    bool slash = false, final;
    if (path[0] == '/')
        return WE_NOTCAPABLE;
    if (strlen(path) >= WB_PATH_MAX)
        return WE_NAMETOOLONG;
    w.cur = dir;
    w.depth = 0;
    w.links = 0;
    strcpy(w.rest, path);
    for (;;) {
        int rc = next_comp(&w, comp, &slash, &final);
        if (rc == 1) {                    /* only slashes: the start */
            found(out, w.cur, w.cur, ".", slash);
            return WE_SUCCESS;
        }
        if (rc)
            return rc;
        bool dot = !strcmp(comp, "."), dotdot = !strcmp(comp, "..");
        if (dotdot) {
            if (w.depth == 0)
                return WE_NOTCAPABLE;
            w.cur = wb_tnode_parent(w.cur);
            w.depth--;
        }
        if (dot || dotdot) {
            if (final) {
                found(out, w.cur, w.cur, ".", slash);
                return WE_SUCCESS;
            }
            continue;
        }
        wb_tnode *n = wb_tfs_child(w.cur, comp);
        bool link = n && wb_tnode_type(n) == WF_SYMLINK;
        if (final && !(link && (how == WB_WALK_FOLLOW ||
                                (how == WB_WALK_NOFOLLOW && slash)))) {
            found(out, w.cur, n, comp, slash);
            return WE_SUCCESS;
        }
        if (!n)
            return WE_NOENT;
        if (link) {
            if ((rc = splice(&w, n, slash)))
                return rc;
        } else if (!wb_tnode_is_dir(n)) {
            return WE_NOTDIR;
        } else {
            w.cur = n;
            w.depth++;
        }
    }
}

int wb_tfs_lookup(wb_tnode *dir, const char *path, bool follow,
                  wb_tnode **out)
{
    wb_tpath p;
    int rc = wb_tfs_walk(dir, path, follow ? WB_WALK_FOLLOW
                                           : WB_WALK_NOFOLLOW, &p);
    if (rc)
        return rc;
    if (!p.node)
        return WE_NOENT;
    if (p.slash && !wb_tnode_is_dir(p.node))
        return WE_NOTDIR;
    *out = p.node;
    return WE_SUCCESS;
}

int wb_tfs_parent(wb_tnode *dir, const char *path, wb_tnode **parent,
                  char *last, bool *slash)
{
    wb_tpath p;
    size_t n = strlen(path);
    /* the last name's length first, as resolve.c does for host grants */
    while (n > 0 && path[n - 1] == '/')
        n--;
    size_t start = n;
    while (start > 0 && path[start - 1] != '/')
        start--;
    if (n - start > NAME_MAX)
        return WE_NAMETOOLONG;
    int rc = wb_tfs_walk(dir, path, WB_WALK_PARENT, &p);
    if (rc)
        return rc;
    *parent = p.parent;
    strcpy(last, p.last);
    *slash = p.slash;
    return WE_SUCCESS;
}
