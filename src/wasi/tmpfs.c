/* tmpfs.c: the in-memory file system behind --tmpfs. Directories and
 * regular files only (no links). Its size counts each node at a fixed
 * cost (so empty files cannot exhaust host memory either) plus the pages
 * its files really hold (tmpdata.c: holes are free).
 *
 * Lifetimes: a node lives while it is linked (named by a directory entry)
 * or open (held by fds). Only empty directories are ever unlinked, so a
 * node with children is always linked, and every linked node's `parent`
 * is alive; an unlinked node's `parent` is NULL. The file system lives
 * until wb_tfs_free was called and its last node is gone. */
#include "wasi/wasi.h"
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WB_TNODE_COST 256          /* bytes charged per file or directory */
#define WB_TFILE_MAX (1ull << 40)

struct wb_tfs {
    wb_tspace space;
    wb_tnode *root;
    uint64_t next_ino, dev, nodes;
    bool closed;                   /* wb_tfs_free was called */
};

struct wb_tnode {
    wb_tfs *fs;
    wb_tnode *parent;              /* NULL for the root and unlinked nodes */
    char *name;
    bool dir, linked;
    uint32_t opens;                /* fds holding the node */
    wb_tnode **kids; size_t nkids, capkids;
    wb_tdata data;
    uint64_t size;
    uint64_t ino, atim, mtim, ctim;
};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t name_cost(const char *name)
{
    return WB_TNODE_COST + strlen(name);
}

static wb_tnode *node_new(wb_tfs *fs, const char *name, bool dir)
{
    if (!wb_tspace_take(&fs->space, name_cost(name)))
        return NULL;
    wb_tnode *n = calloc(1, sizeof *n);
    if (n && !(n->name = strdup(name))) {
        free(n);
        n = NULL;
    }
    if (!n) {
        wb_tspace_give(&fs->space, name_cost(name));
        return NULL;
    }
    n->fs = fs;
    n->dir = dir;
    n->ino = ++fs->next_ino;
    n->atim = n->mtim = n->ctim = now_ns();
    fs->nodes++;
    return n;
}

/* Free n if nothing names or holds it any more (it has no children then),
 * and the file system with its last node once it was closed. */
static void node_drop(wb_tnode *n)
{
    if (n->linked || n->opens)
        return;
    wb_tfs *fs = n->fs;
    wb_tdata_trim(&n->data, &fs->space, 0);
    wb_tspace_give(&fs->space, name_cost(n->name) +
                               n->capkids * sizeof *n->kids);
    free(n->kids);
    free(n->name);
    free(n);
    if (--fs->nodes == 0 && fs->closed)
        free(fs);
}

wb_tfs *wb_tfs_new(uint64_t cap)
{
    static uint64_t devs;
    wb_tfs *fs = calloc(1, sizeof *fs);
    if (!fs)
        return NULL;
    fs->space.cap = cap;
    fs->dev = 0x746d7000u + __atomic_add_fetch(&devs, 1, __ATOMIC_RELAXED);
    fs->space.cap += name_cost("/");       /* the root is free */
    fs->root = node_new(fs, "/", true);
    if (!fs->root) {
        free(fs);
        return NULL;
    }
    fs->root->linked = true;
    return fs;
}

/* Halve a table that is three quarters empty. */
static void shrink(wb_tnode *dir)
{
    if (dir->capkids <= 8 || dir->nkids > dir->capkids / 4)
        return;
    size_t cap = dir->capkids / 2;
    wb_tnode **k = realloc(dir->kids, cap * sizeof *k);
    if (!k)
        return;                       /* keeping the larger one is fine */
    wb_tspace_give(&dir->fs->space, (dir->capkids - cap) * sizeof *k);
    dir->kids = k;
    dir->capkids = cap;
}

/* Keeps the order of the others, so readdir cookies stay meaningful. */
static void detach(wb_tnode *n)
{
    wb_tnode *p = n->parent;
    for (size_t i = p->nkids; i-- > 0;)
        if (p->kids[i] == n) {
            memmove(p->kids + i, p->kids + i + 1,
                    (p->nkids - i - 1) * sizeof *p->kids);
            p->nkids--;
            break;
        }
    n->linked = false;
    n->parent = NULL;
    p->mtim = p->ctim = now_ns();
    shrink(p);
}

/* Unlink the whole tree, deepest nodes first, without recursion (a guest
 * can nest directories far deeper than the C stack). Open nodes stay
 * until their fds are released. */
void wb_tfs_free(wb_tfs *fs)
{
    if (!fs)
        return;
    wb_tnode *n = fs->root;
    fs->closed = true;
    fs->root = NULL;
    while (n) {
        if (n->nkids) {
            n = n->kids[n->nkids - 1];
            continue;
        }
        wb_tnode *up = n->parent;
        if (up)
            detach(n);
        n->linked = false;
        node_drop(n);
        n = up;
    }
}

wb_tnode *wb_tfs_root(wb_tfs *fs) { return fs->root; }
bool wb_tnode_is_dir(const wb_tnode *n) { return n->dir; }
uint64_t wb_tnode_size(const wb_tnode *n) { return n->size; }
void wb_tnode_ref(wb_tnode *n) { n->opens++; }
bool wb_tfs_same(const wb_tnode *a, const wb_tnode *b) { return a->fs == b->fs; }

void wb_tnode_unref(wb_tnode *n)
{
    n->opens--;
    node_drop(n);
}

wb_tnode *wb_tfs_child(wb_tnode *dir, const char *name)
{
    for (size_t i = 0; dir->dir && i < dir->nkids; i++)
        if (!strcmp(dir->kids[i]->name, name))
            return dir->kids[i];
    return NULL;
}

/* Walk `path` from dir; ".." stops at dir itself (the fd's directory). */
int wb_tfs_lookup(wb_tnode *dir, const char *path, wb_tnode **out)
{
    if (path[0] == '/')
        return WE_NOTCAPABLE;
    wb_tnode *cur = dir;
    int depth = 0;
    const char *s = path;
    while (*s) {
        size_t len = strcspn(s, "/");
        char comp[NAME_MAX + 1];
        if (len > NAME_MAX)
            return WE_NAMETOOLONG;
        memcpy(comp, s, len);
        comp[len] = 0;
        s += len;
        bool slash = *s == '/';
        while (*s == '/')
            s++;
        if (!len || !strcmp(comp, "."))
            continue;
        if (!cur->dir)
            return WE_NOTDIR;
        if (!strcmp(comp, "..")) {
            if (depth == 0)
                return WE_NOTCAPABLE;
            cur = cur->parent;
            depth--;
            continue;
        }
        wb_tnode *next = wb_tfs_child(cur, comp);
        if (!next)
            return WE_NOENT;
        if (slash && !next->dir)
            return WE_NOTDIR;
        cur = next;
        depth++;
    }
    *out = cur;
    return WE_SUCCESS;
}

int wb_tfs_parent(wb_tnode *dir, const char *path, wb_tnode **parent,
                  char *last, bool *slash)
{
    char buf[WB_PATH_MAX];
    size_t n = strlen(path);
    if (n >= sizeof buf)
        return WE_NAMETOOLONG;
    memcpy(buf, path, n + 1);
    *slash = false;
    while (n > 0 && buf[n - 1] == '/') {
        buf[--n] = 0;
        *slash = true;
    }
    if (n == 0)
        return path[0] == '/' ? WE_NOTCAPABLE : WE_NOENT;
    char *sep = strrchr(buf, '/');
    const char *name = sep ? sep + 1 : buf;
    if (strlen(name) > NAME_MAX)
        return WE_NAMETOOLONG;
    if (!strcmp(name, ".") || !strcmp(name, "..")) {
        strcpy(last, ".");
        return wb_tfs_lookup(dir, buf, parent);
    }
    strcpy(last, name);
    if (sep)
        *sep = 0;
    int rc = wb_tfs_lookup(dir, sep ? (buf[0] ? buf : "/") : ".", parent);
    if (rc == WE_SUCCESS && !(*parent)->dir)
        rc = WE_NOTDIR;
    return rc;
}

/* Room for one more entry in dir, so that attach cannot fail. The table
 * counts against the size like file pages: renames alone could otherwise
 * leave large empty tables behind in many directories. */
static int room(wb_tnode *dir)
{
    if (dir->nkids < dir->capkids)
        return WE_SUCCESS;
    size_t cap = dir->capkids ? dir->capkids * 2 : 8;
    uint64_t more = (cap - dir->capkids) * sizeof *dir->kids;
    if (!wb_tspace_take(&dir->fs->space, more))
        return WE_NOSPC;
    wb_tnode **k = realloc(dir->kids, cap * sizeof *k);
    if (!k) {
        wb_tspace_give(&dir->fs->space, more);
        return WE_NOMEM;
    }
    dir->kids = k;
    dir->capkids = cap;
    return WE_SUCCESS;
}

static void attach(wb_tnode *parent, wb_tnode *n)
{
    parent->kids[parent->nkids++] = n;
    n->parent = parent;
    n->linked = true;
    parent->mtim = parent->ctim = now_ns();
}

int wb_tfs_create(wb_tnode *parent, const char *name, bool dir,
                  wb_tnode **out)
{
    if (!parent->dir)
        return WE_NOTDIR;
    if (!strcmp(name, ".") || wb_tfs_child(parent, name))
        return WE_EXIST;
    if (!parent->linked)
        return WE_NOENT;                  /* removed while open */
    if (room(parent))
        return WE_NOMEM;
    wb_tnode *n = node_new(parent->fs, name, dir);
    if (!n)
        return WE_NOSPC;
    attach(parent, n);
    *out = n;
    return WE_SUCCESS;
}

/* Unlink n from its directory; freed unless an fd still holds it. */
static void unlink_node(wb_tnode *n)
{
    detach(n);
    n->ctim = now_ns();
    node_drop(n);
}

int wb_tfs_remove(wb_tnode *parent, const char *name, bool dir, bool slash)
{
    if (!strcmp(name, "."))
        return dir ? WE_INVAL : WE_ISDIR;
    wb_tnode *n = wb_tfs_child(parent, name);
    if (!n)
        return WE_NOENT;
    if (!dir && slash)
        return n->dir ? WE_ISDIR : WE_NOTDIR;
    if (dir && !n->dir)
        return WE_NOTDIR;
    if (!dir && n->dir)
        return WE_ISDIR;
    if (n->nkids)
        return WE_NOTEMPTY;
    unlink_node(n);
    return WE_SUCCESS;
}

static bool is_within(const wb_tnode *n, const wb_tnode *anc)
{
    for (; n; n = n->parent)
        if (n == anc)
            return true;
    return false;
}

/* The checks of Linux's renameat(2), in its order. */
static int rename_check(wb_tnode *p1, wb_tnode *src, wb_tnode *p2,
                        wb_tnode *dst, bool slash)
{
    if (!src)
        return WE_NOENT;
    if (!p2->linked)
        return WE_NOENT;                  /* into a removed directory */
    if (!src->dir && slash)
        return WE_NOTDIR;
    if (src->dir && is_within(p2, src))
        return WE_INVAL;                  /* into its own subtree */
    if (dst && dst->dir && is_within(p1, dst))
        return WE_NOTEMPTY;               /* over one of its ancestors */
    if (dst == src || !dst)
        return WE_SUCCESS;
    if (src->dir && !dst->dir)
        return WE_NOTDIR;
    if (!src->dir && dst->dir)
        return WE_ISDIR;
    return dst->nkids ? WE_NOTEMPTY : WE_SUCCESS;
}

int wb_tfs_rename(wb_tnode *p1, const char *n1, wb_tnode *p2, const char *n2,
                  bool slash)
{
    if (!strcmp(n1, ".") || !strcmp(n2, "."))
        return WE_BUSY;
    if (!p2->dir)
        return WE_NOTDIR;
    wb_tnode *src = wb_tfs_child(p1, n1), *dst = wb_tfs_child(p2, n2);
    int rc = rename_check(p1, src, p2, dst, slash);
    if (rc || dst == src)
        return rc;
    wb_tspace *sp = &src->fs->space;
    char *name = strdup(n2);
    if (!name || room(p2)) {
        free(name);
        return WE_NOMEM;
    }
    if (!wb_tspace_take(sp, strlen(n2))) {
        free(name);
        return WE_NOSPC;
    }
    if (dst)
        unlink_node(dst);
    detach(src);
    wb_tspace_give(sp, strlen(src->name));
    free(src->name);
    src->name = name;
    attach(p2, src);
    src->ctim = now_ns();
    return WE_SUCCESS;
}

size_t wb_tfs_read(wb_tnode *n, uint64_t off, const struct iovec *iov,
                   int niov)
{
    size_t done = 0;
    for (int i = 0; i < niov && off < n->size; i++) {
        uint64_t len = iov[i].iov_len;
        if (len > n->size - off)
            len = n->size - off;
        wb_tdata_read(&n->data, off, iov[i].iov_base, (size_t)len);
        off += len;
        done += len;
    }
    n->atim = now_ns();
    return done;
}

static void modified(wb_tnode *n)
{
    n->mtim = n->ctim = now_ns();
}

int wb_tfs_write(wb_tnode *n, uint64_t off, const struct iovec *iov,
                 int niov, size_t *done)
{
    uint64_t total = 0;
    int rc = WE_SUCCESS;
    for (int i = 0; i < niov; i++)
        total += iov[i].iov_len;
    *done = 0;
    if (off > WB_TFILE_MAX || total > WB_TFILE_MAX - off)
        return WE_FBIG;
    for (int i = 0; i < niov && rc == WE_SUCCESS; i++) {
        size_t put;
        rc = wb_tdata_write(&n->data, &n->fs->space, off + *done,
                            iov[i].iov_base, iov[i].iov_len, &put);
        *done += put;
    }
    if (*done && off + *done > n->size)
        n->size = off + *done;
    if (*done)
        modified(n);
    return *done ? WE_SUCCESS : rc;       /* a short write, as on Linux */
}

int wb_tfs_truncate(wb_tnode *n, uint64_t size)
{
    if (n->dir)
        return WE_ISDIR;
    if (size > WB_TFILE_MAX)
        return WE_FBIG;
    if (size < n->size)
        wb_tdata_trim(&n->data, &n->fs->space, size);
    n->size = size;
    modified(n);
    return WE_SUCCESS;
}

int wb_tfs_allocate(wb_tnode *n, uint64_t off, uint64_t len)
{
    if (n->dir)
        return WE_ISDIR;
    if (off > WB_TFILE_MAX || len > WB_TFILE_MAX - off)
        return WE_FBIG;
    int rc = wb_tdata_reserve(&n->data, &n->fs->space, off, len);
    if (rc == WE_SUCCESS && off + len > n->size) {
        n->size = off + len;
        modified(n);
    }
    return rc;
}

/* Linux counts a directory's "." and each subdirectory's ".." as links. */
static uint64_t nlink(const wb_tnode *n)
{
    uint64_t links = n->linked ? 1 : 0;
    if (n->dir && n->linked) {
        links++;
        for (size_t i = 0; i < n->nkids; i++)
            links += n->kids[i]->dir;
    }
    return links;
}

void wb_tfs_stat(const wb_tnode *n, wb_fstat *st)
{
    st->dev = n->fs->dev;
    st->ino = n->ino;
    st->type = n->dir ? WF_DIR : WF_REG;
    st->nlink = nlink(n);
    st->size = n->size;
    st->atim = n->atim;
    st->mtim = n->mtim;
    st->ctim = n->ctim;
}

void wb_tfs_set_times(wb_tnode *n, const struct timespec ts[2])
{
    uint64_t *f[2] = { &n->atim, &n->mtim };
    uint64_t now = now_ns();
    for (int i = 0; i < 2; i++) {
        if (ts[i].tv_nsec == UTIME_OMIT)
            continue;
        *f[i] = ts[i].tv_nsec == UTIME_NOW ? now
              : (uint64_t)ts[i].tv_sec * 1000000000u + (uint64_t)ts[i].tv_nsec;
    }
    n->ctim = now;
}

bool wb_tfs_dirent(wb_tnode *dir, uint64_t i, const char **name,
                   uint64_t *ino, uint8_t *type)
{
    if (!dir->linked)
        return false;
    if (i < 2) {
        wb_tnode *t = i == 0 || !dir->parent ? dir : dir->parent;
        *name = i == 0 ? "." : "..";
        *ino = t->ino;
        *type = WF_DIR;
        return true;
    }
    if (i - 2 >= dir->nkids)
        return false;
    wb_tnode *k = dir->kids[i - 2];
    *name = k->name;
    *ino = k->ino;
    *type = k->dir ? WF_DIR : WF_REG;
    return true;
}
