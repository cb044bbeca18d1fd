/* vroot.c: the virtual root. wasi-libc sends an absolute path to the
 * preopen with the longest matching prefix, and fails one that matches
 * none with ENOTCAPABLE before the host sees it; so "/" itself, and every
 * path outside the grants, failed as "capabilities insufficient". Every
 * guest therefore gets one more preopen, "/": a read-only directory that
 * exists only here, whose entries are the top-level names of the grants'
 * guest paths (grants /data and /work/x: "data" and "work", "work" a
 * directory of its own holding "x"). Paths outside the grants answer
 * ENOENT from it; a grant at "/" replaces it.
 *
 * Through it the grants are reachable read-only: a path that reaches a
 * grant's mount point goes on beneath that grant with the grant's own
 * resolution (which never climbs above the grant), on a view that holds
 * the root's read-only rights. wasi-libc never does this (it picks the
 * grant's own preopen for any path beneath it), so the root sees only
 * paths outside the grants and its own directories. As wasi-libc picks
 * the longest prefix, a path passes nested mount points to the deepest
 * one it names, and a directory of the root that lies beneath a grant
 * is never reached itself: the path goes on in that grant. ".." moves
 * between the root's own directories (at "/" it stays there, as Linux),
 * never out of a grant: beneath one, it is the grant's to refuse.
 *
 * The registered images of a tree of processes (wb_wasi_set_images) are
 * the root's only files: /bin/NAME and /usr/bin/NAME, regular, empty,
 * read-only, so that a shell's PATH search finds them with stat();
 * exec and spawn run them by name (wb_wasi_load_image). A grant at or
 * above /bin or /usr/bin hides them there, as it hides any directory of
 * the root beneath it.
 *
 * /dev/null is the root's one device (scripts redirect to it all the
 * time): opened, it is a duplicate of a host /dev/null the process
 * opened before any lock-down (wb_wasi_null_fd), so reads end at once and
 * writes vanish, and nothing counts against the budget's output or disk.
 * A grant at or above /dev hides it. */
#include "wasi/wasi.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define WB_VROOT_DEV 0x76726f6fu   /* "vroo" */

struct wb_vnode {
    wb_vnode *parent;              /* NULL: the root */
    char *name;
    wb_vnode **kids; size_t nkids;
    bool mounted;                  /* a grant is here: `grant` */
    bool image;                    /* a registered image: a file */
    bool null_dev;                 /* /dev/null: a character device */
    uint64_t last_ino;             /* the root: the last inode given */
    wb_fdent grant;                /* the grant's directory (its own fd) */
    uint64_t grant_ino;            /* its inode, as readdir shows it */
    uint64_t ino, time;
};

static wb_vnode *vnode_new(wb_vnode *parent, const char *name, size_t len,
                           uint64_t ino, uint64_t time)
{
    wb_vnode *v = calloc(1, sizeof *v);
    char *copy = strndup(name, len);
    if (!v || !copy) {
        free(v);
        free(copy);
        return NULL;
    }
    v->parent = parent;
    v->name = copy;
    v->ino = ino;
    v->time = time;
    v->grant.host = -1;
    return v;
}

static wb_vnode *child(const wb_vnode *v, const char *name, size_t len)
{
    for (size_t i = 0; i < v->nkids; i++)
        if (strlen(v->kids[i]->name) == len &&
            !memcmp(v->kids[i]->name, name, len))
            return v->kids[i];
    return NULL;
}

/* The components of a guest path, as wasi-libc matches them: empty ones
 * and "." are left out. Is there none (a grant at "/")? */
bool wb_vroot_is_root(const char *guest)
{
    for (const char *s = guest; *s;) {
        size_t n = strcspn(s, "/");
        if (n && !(n == 1 && s[0] == '.'))
            return false;
        s += n + (s[n] == '/');
    }
    return true;
}

bool wb_vroot_has_dotdot(const char *guest)
{
    for (const char *s = guest; *s;) {
        size_t n = strcspn(s, "/");
        if (n == 2 && s[0] == '.' && s[1] == '.')
            return true;
        s += n + (s[n] == '/');
    }
    return false;
}

/* The vnode for guest path `guest`, made with its parents as needed. */
static wb_vnode *place(wb_vnode *root, const char *guest, uint64_t *ino)
{
    wb_vnode *v = root;
    for (const char *s = guest; *s;) {
        size_t n = strcspn(s, "/");
        if (n && !(n == 1 && s[0] == '.')) {
            wb_vnode *k = child(v, s, n);
            if (!k) {
                wb_vnode **t = realloc(v->kids, (v->nkids + 1) * sizeof *t);
                if (!t)
                    return NULL;
                v->kids = t;
                if (!(k = vnode_new(v, s, n, ++*ino, root->time)))
                    return NULL;
                v->kids[v->nkids++] = k;
            }
            v = k;
        }
        s += n + (s[n] == '/');
    }
    return v;
}

/* Mount preopen e at v, replacing an earlier grant of the same name (the
 * later preopen wins in wasi-libc too). */
static int mount(wb_vnode *v, const wb_fdent *e)
{
    struct stat st;
    wb_fstat ts;
    int host = -1;
    if (e->kind == WB_FD_HOST) {
        host = fcntl(e->host, F_DUPFD_CLOEXEC, 3);
        if (host < 0 || fstat(host, &st) != 0) {
            int rc = wb_wasi_errno(errno);
            if (host >= 0)
                close(host);
            return rc;
        }
        v->grant_ino = st.st_ino;
    } else {
        wb_tfs_stat(e->node, &ts);
        v->grant_ino = ts.ino;
        wb_tnode_ref(e->node);
    }
    wb_fd_release(&v->grant);
    v->grant = (wb_fdent){ .kind = e->kind, .type = WF_DIR, .ro = true,
                           .host = host, .root = e->root, .node = e->node };
    v->mounted = true;
    return WE_SUCCESS;
}

static int put_files(wb_vnode *root, const char *dir, char **names,
                     size_t n, bool dev);

int wb_vroot_new(wb_wasi *w, wb_vnode **out)
{
    struct timespec ts;
    uint64_t ino = 1;
    clock_gettime(CLOCK_REALTIME, &ts);
    wb_vnode *root = vnode_new(NULL, "/", 1, ino, (uint64_t)ts.tv_sec *
                               1000000000u + (uint64_t)ts.tv_nsec);
    if (!root)
        return WE_NOMEM;
    for (uint32_t fd = 0; fd < w->nfds; fd++) {
        const wb_fdent *e = &w->fds[fd];
        if (!e->preopen || (e->kind != WB_FD_HOST && e->kind != WB_FD_TMPFS))
            continue;
        wb_vnode *v = place(root, e->preopen, &ino);
        int rc = v ? mount(v, e) : WE_NOMEM;
        if (rc) {
            wb_vroot_free(root);
            return rc;
        }
    }
    root->last_ino = ino;
    static char *null_name[] = { "null" };
    int rc = wb_wasi_null_fd() >= 0 ? put_files(root, "dev", null_name, 1,
                                                 true)
                                    : WE_SUCCESS;
    if (rc) {
        wb_vroot_free(root);
        return rc;
    }
    *out = root;
    return WE_SUCCESS;
}

/* Without recursion: grant paths can be deep. */
void wb_vroot_free(wb_vnode *root)
{
    wb_vnode *v = root;
    while (v) {
        if (v->nkids) {
            v = v->kids[--v->nkids];
            continue;
        }
        wb_vnode *up = v->parent;
        wb_fd_release(&v->grant);
        free(v->kids);
        free(v->name);
        free(v);
        v = up;
    }
}

/* ---- resolution ----------------------------------------------------------- */

typedef struct vwalk {
    const wb_vnode *cur, *mount;   /* mount: the deepest one passed */
    const char *after;             /* the path beneath `mount` */
    long depth;                    /* levels below the start */
} vwalk;

/* Continue beneath the grant at k->mount: the view of it, holding the
 * rights of the descriptor the call came through (`d`). */
static int enter(const vwalk *k, const wb_fdent *d, wb_fdent *view,
                 char *path)
{
    const char *rest = k->after;
    while (*rest == '/')
        rest++;
    *view = k->mount->grant;
    view->rights = d->rights;
    view->inherit = d->inherit;
    memmove(path, *rest ? rest : ".", strlen(*rest ? rest : ".") + 1);
    return WE_SUCCESS;
}

/* A directory of the root's own. */
static int stop(const wb_vnode *v, const wb_fdent *d, wb_fdent *view,
                char *path)
{
    *view = *d;
    view->preopen = NULL;
    view->vnode = (wb_vnode *)v;
    strcpy(path, ".");
    return WE_SUCCESS;
}

/* Is v beneath a mount point (inside a grant)? */
static bool covered(const wb_vnode *v)
{
    while ((v = v->parent))
        if (v->mounted)
            return true;
    return false;
}

static int dotdot(vwalk *k, const char *after)
{
    const wb_vnode *up = k->cur->parent;
    if (k->depth == 0)             /* "/.." is "/"; others stay beneath */
        return up ? WE_NOTCAPABLE : WE_SUCCESS;
    if (!up->mounted && covered(up))
        return WE_NOTCAPABLE;      /* back into a grant: its own business */
    k->cur = up;
    k->depth--;
    k->mount = up->mounted ? up : NULL;
    k->after = after;
    return WE_SUCCESS;
}

int wb_vroot_enter(const wb_fdent *d, char *path, wb_fdent *view)
{
    vwalk k = { .cur = d->vnode };
    if (path[0] == '/')
        return WE_NOTCAPABLE;
    for (const char *s = path;;) {
        while (*s == '/')
            s++;
        if (!*s)
            break;
        size_t n = strcspn(s, "/");
        const wb_vnode *next;
        if (n > NAME_MAX)
            return WE_NAMETOOLONG;
        if (n == 2 && s[0] == '.' && s[1] == '.') {
            int rc = dotdot(&k, s + n);
            if (rc)
                return rc;
        } else if (n == 1 && s[0] == '.') {
            /* nothing */
        } else if ((next = child(k.cur, s, n))) {
            if ((next->image || next->null_dev) && s[n])
                return WE_NOTDIR;          /* "sh/" or "sh/x" */
            k.cur = next;
            k.depth++;
            if (next->mounted) {
                k.mount = next;
                k.after = s + n;
            }
        } else if (k.mount) {
            return enter(&k, d, view, path);
        } else {
            return WE_NOENT;
        }
        s += n;
    }
    if (k.mount)
        return enter(&k, d, view, path);
    return stop(k.cur, d, view, path);
}

/* ---- what the guest sees of the root's directories -------------------------- */

uint8_t wb_vroot_type(const wb_vnode *v)
{
    return v->null_dev ? WF_CHAR : v->image ? WF_REG : WF_DIR;
}

bool wb_vroot_is_null(const wb_vnode *v)
{
    return v->null_dev;
}

const char *wb_vroot_image(const wb_vnode *v)
{
    return v->image ? v->name : NULL;
}

void wb_vroot_stat(const wb_vnode *v, wb_fstat *st)
{
    st->dev = WB_VROOT_DEV;
    st->ino = v->ino;
    st->type = wb_vroot_type(v);
    /* a directory: "." and each entry's ".."; a file: its one name */
    st->nlink = wb_vroot_type(v) != WF_DIR ? 1 : 2 + v->nkids;
    st->size = 0;
    st->atim = st->mtim = st->ctim = v->time;
}

bool wb_vroot_dirent(const wb_vnode *v, uint64_t i, const char **name,
                     uint64_t *ino, uint8_t *type)
{
    *type = WF_DIR;
    if (i < 2) {
        *name = i == 0 ? "." : "..";
        *ino = i == 0 || !v->parent ? v->ino : v->parent->ino;
        return true;
    }
    if (i - 2 >= v->nkids)
        return false;
    const wb_vnode *k = v->kids[i - 2];
    *name = k->name;
    *type = wb_vroot_type(k);
    *ino = k->mounted ? k->grant_ino : k->ino;
    return true;
}

/* ---- images -------------------------------------------------------------------- */

/* Drop the images of directory v (an earlier list). */
static void drop_images(wb_vnode *v)
{
    size_t keep = 0;
    for (size_t i = 0; i < v->nkids; i++) {
        wb_vnode *k = v->kids[i];
        if (k->image) {
            free(k->name);
            free(k);
        } else {
            v->kids[keep++] = k;
        }
    }
    v->nkids = keep;
}

/* The names at directory `dir` of the root, unless a grant is at or
 * above it (wasi-libc sends the paths there to the grant). */
static int put_files(wb_vnode *root, const char *dir, char **names,
                     size_t n, bool dev)
{
    const wb_vnode *at = root;
    for (const char *s = dir; at && *s;) {
        size_t len = strcspn(s, "/");
        if ((at = child(at, s, len)) && at->mounted)
            return WE_SUCCESS;
        s += len + (s[len] == '/');
    }
    wb_vnode *v = place(root, dir, &root->last_ino);
    if (!v)
        return WE_NOMEM;
    if (!dev)
        drop_images(v);
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(names[i]);
        if (child(v, names[i], len))
            continue;                    /* a grant of that name wins */
        wb_vnode **t = realloc(v->kids, (v->nkids + 1) * sizeof *t);
        if (!t)
            return WE_NOMEM;
        v->kids = t;
        wb_vnode *k = vnode_new(v, names[i], len, ++root->last_ino,
                                root->time);
        if (!k)
            return WE_NOMEM;
        k->image = !dev;
        k->null_dev = dev;
        v->kids[v->nkids++] = k;
    }
    return WE_SUCCESS;
}

int wb_vroot_set_images(wb_vnode *root, char **names, size_t n)
{
    int rc = put_files(root, "bin", names, n, false);
    return rc ? rc : put_files(root, "usr/bin", names, n, false);
}
