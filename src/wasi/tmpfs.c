/* tmpfs.c: the in-memory file system behind --tmpfs: directories, regular
 * files, symlinks and hard links (path resolution is in tmpwalk.c, the
 * rule that keeps links inside in symlink.c). Its size counts each node
 * at a fixed cost (so empty files cannot exhaust host memory either),
 * each name (a second name costs as much as a node), symlink targets,
 * directory tables, and the pages its files really hold (tmpdata.c:
 * holes are free).
 *
 * Lifetimes: a node lives while a directory entry names it (`links`) or
 * an fd holds it (`opens`). Directories have one name at most (no hard
 * links to them) and only empty ones are removed, so a directory with
 * entries is always named and its `parent` alive; a removed directory's
 * `parent` is NULL. The file system lives until wb_tfs_free was called
 * and its last node is gone. */
#include "wasi/wasi.h"
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WB_TNODE_COST 256          /* bytes charged per node or extra name */
#define WB_TFILE_MAX (1ull << 40)

struct wb_tfs {
    wb_tspace space;
    wb_tnode *root;
    uint64_t next_ino, dev, nodes;
    bool closed;                   /* wb_tfs_free was called */
};

typedef struct wb_tdent {
    char *name;
    wb_tnode *node;
} wb_tdent;

struct wb_tnode {
    wb_tfs *fs;
    wb_tnode *parent;              /* directories: NULL for root, removed */
    uint8_t type;                  /* WF_DIR, WF_REG or WF_SYMLINK */
    uint64_t links;                /* entries naming it (the root: 1) */
    uint32_t opens;                /* fds holding the node */
    wb_tdent *kids; size_t nkids, capkids;
    wb_tdata data;
    char *target;                  /* a symlink's */
    uint64_t size;
    uint64_t ino, atim, mtim, ctim;
};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* What naming `n` `name` costs: the name, and a node's worth for every
 * name after its first. */
static uint64_t name_cost(const char *name, bool extra)
{
    return strlen(name) + (extra ? WB_TNODE_COST : 0);
}

static wb_tnode *node_new(wb_tfs *fs, uint8_t type)
{
    if (!wb_tspace_take(&fs->space, WB_TNODE_COST))
        return NULL;
    wb_tnode *n = calloc(1, sizeof *n);
    if (!n) {
        wb_tspace_give(&fs->space, WB_TNODE_COST);
        return NULL;
    }
    n->fs = fs;
    n->type = type;
    n->ino = ++fs->next_ino;
    n->atim = n->mtim = n->ctim = now_ns();
    fs->nodes++;
    return n;
}

/* Free n if nothing names or holds it any more (it has no entries then),
 * and the file system with its last node once it was closed. */
static void node_drop(wb_tnode *n)
{
    if (n->links || n->opens)
        return;
    wb_tfs *fs = n->fs;
    wb_tdata_trim(&n->data, &fs->space, 0);
    wb_tspace_give(&fs->space, WB_TNODE_COST + n->capkids * sizeof *n->kids +
                               (n->target ? strlen(n->target) : 0));
    free(n->kids);
    free(n->target);
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
    fs->space.cap += WB_TNODE_COST;        /* the root is free */
    fs->root = node_new(fs, WF_DIR);
    if (!fs->root) {
        free(fs);
        return NULL;
    }
    fs->root->links = 1;
    return fs;
}

/* Halve a table that is three quarters empty. A table so has at most 4
 * slots per entry plus 4 (growth doubles a full one), and an emptied
 * directory keeps the smallest, of 8 (tests rely on it to check the
 * accounting). */
static void shrink(wb_tnode *dir)
{
    if (dir->capkids <= 8 || dir->nkids > dir->capkids / 4)
        return;
    size_t cap = dir->capkids / 2;
    wb_tdent *k = realloc(dir->kids, cap * sizeof *k);
    if (!k)
        return;                       /* keeping the larger one is fine */
    wb_tspace_give(&dir->fs->space, (dir->capkids - cap) * sizeof *k);
    dir->kids = k;
    dir->capkids = cap;
}

static size_t find(const wb_tnode *dir, const char *name)
{
    for (size_t i = 0; i < dir->nkids; i++)
        if (!strcmp(dir->kids[i].name, name))
            return i;
    return SIZE_MAX;
}

/* Take entry i out of dir, keeping the order of the others so readdir
 * cookies stay meaningful. Returns its name (the caller frees it); the
 * node keeps its count of links. */
static char *take(wb_tnode *dir, size_t i)
{
    wb_tdent e = dir->kids[i];
    memmove(dir->kids + i, dir->kids + i + 1,
            (dir->nkids - i - 1) * sizeof *dir->kids);
    dir->nkids--;
    if (e.node->type == WF_DIR)
        e.node->parent = NULL;
    dir->mtim = dir->ctim = now_ns();
    shrink(dir);
    return e.name;
}

/* Remove entry i; its node is freed unless it has other names or fds. */
static void unlink_at(wb_tnode *dir, size_t i)
{
    wb_tnode *n = dir->kids[i].node;
    char *name = take(dir, i);
    wb_tspace_give(&dir->fs->space, name_cost(name, n->links > 1));
    free(name);
    n->links--;
    n->ctim = now_ns();
    node_drop(n);
}

/* Deepest entries first, without recursion: a guest can nest
 * directories far deeper than the C stack. */
void wb_tfs_clear(wb_tnode *dir)
{
    wb_tnode *n = dir;
    while (n) {
        if (n->nkids) {
            wb_tnode *k = n->kids[n->nkids - 1].node;
            if (k->type == WF_DIR && k->nkids)
                n = k;
            else
                unlink_at(n, n->nkids - 1);
            continue;
        }
        n = n == dir ? NULL : n->parent;
    }
}

/* Unlink the whole tree; open nodes stay until their fds are released. */
void wb_tfs_free(wb_tfs *fs)
{
    if (!fs)
        return;
    wb_tnode *root = fs->root;
    fs->closed = true;
    wb_tfs_clear(root);
    fs->root = NULL;
    root->links = 0;
    node_drop(root);
}

wb_tnode *wb_tfs_root(wb_tfs *fs) { return fs->root; }
bool wb_tnode_is_dir(const wb_tnode *n) { return n->type == WF_DIR; }
uint8_t wb_tnode_type(const wb_tnode *n) { return n->type; }
const char *wb_tnode_target(const wb_tnode *n) { return n->target; }
wb_tnode *wb_tnode_parent(const wb_tnode *dir) { return dir->parent; }
bool wb_tnode_is_root(const wb_tnode *n) { return n == n->fs->root; }
uint64_t wb_tnode_size(const wb_tnode *n) { return n->size; }
void wb_tnode_ref(wb_tnode *n) { n->opens++; }
bool wb_tfs_same(const wb_tnode *a, const wb_tnode *b) { return a->fs == b->fs; }
uint64_t wb_tfs_used(const wb_tfs *fs) { return fs->space.used; }

void wb_tnode_unref(wb_tnode *n)
{
    n->opens--;
    node_drop(n);
}

wb_tnode *wb_tfs_kid(const wb_tnode *dir, size_t i, const char **name)
{
    if (i >= dir->nkids)
        return NULL;
    if (name)
        *name = dir->kids[i].name;
    return dir->kids[i].node;
}

wb_tnode *wb_tfs_child(const wb_tnode *dir, const char *name)
{
    size_t i = find(dir, name);
    return i == SIZE_MAX ? NULL : dir->kids[i].node;
}

/* Room for one more entry in dir, so that adding one cannot fail. The
 * table counts against the size like file pages: renames alone could
 * otherwise leave large empty tables behind in many directories. */
static int room(wb_tnode *dir)
{
    if (dir->nkids < dir->capkids)
        return WE_SUCCESS;
    size_t cap = dir->capkids ? dir->capkids * 2 : 8;
    uint64_t more = (cap - dir->capkids) * sizeof *dir->kids;
    if (!wb_tspace_take(&dir->fs->space, more))
        return WE_NOSPC;
    wb_tdent *k = realloc(dir->kids, cap * sizeof *k);
    if (!k) {
        wb_tspace_give(&dir->fs->space, more);
        return WE_NOMEM;
    }
    dir->kids = k;
    dir->capkids = cap;
    return WE_SUCCESS;
}

/* Add entry `name` (owned) for n to dir, which has room. */
static void attach(wb_tnode *dir, char *name, wb_tnode *n)
{
    dir->kids[dir->nkids++] = (wb_tdent){ name, n };
    if (n->type == WF_DIR)
        n->parent = dir;
    dir->mtim = dir->ctim = now_ns();
}

/* May `name` be made in dir? Linux's checks for a new name, in order:
 * "." and existing names answer EEXIST; a trailing slash on a name that
 * is not there ENOENT (except for a directory); a removed directory
 * takes no new entries (ENOENT). */
static int can_make(wb_tnode *dir, const char *name, bool slash, bool mkdir)
{
    if (dir->type != WF_DIR)
        return WE_NOTDIR;
    if (!strcmp(name, ".") || find(dir, name) != SIZE_MAX)
        return WE_EXIST;
    if (slash && !mkdir)
        return WE_NOENT;
    if (!dir->links)
        return WE_NOENT;
    return room(dir);
}

/* A copy of s once `cost` was taken from fs's space; NULL (*rc says
 * why) if either fails. */
static char *paid_copy(wb_tfs *fs, const char *s, uint64_t cost, int *rc)
{
    char *copy = strdup(s);
    *rc = !copy ? WE_NOMEM
        : !wb_tspace_take(&fs->space, cost) ? WE_NOSPC : WE_SUCCESS;
    if (*rc) {
        free(copy);
        return NULL;
    }
    return copy;
}

/* Name n `name` in dir (checked by can_make): charges the name. */
static int add_name(wb_tnode *dir, const char *name, wb_tnode *n)
{
    int rc;
    char *copy = paid_copy(dir->fs, name, name_cost(name, n->links > 0),
                           &rc);
    if (!copy)
        return rc;
    attach(dir, copy, n);
    n->links++;
    return WE_SUCCESS;
}

static int make(wb_tnode *parent, const char *name, uint8_t type,
                wb_tnode **out)
{
    wb_tnode *n = node_new(parent->fs, type);
    if (!n)
        return WE_NOSPC;
    int rc = add_name(parent, name, n);
    if (rc) {
        node_drop(n);
        return rc;
    }
    *out = n;
    return WE_SUCCESS;
}

int wb_tfs_create(wb_tnode *parent, const char *name, bool dir,
                  wb_tnode **out)
{
    int rc = can_make(parent, name, false, dir);
    return rc ? rc : make(parent, name, dir ? WF_DIR : WF_REG, out);
}

int wb_tfs_symlink(wb_tnode *parent, const char *name, const char *target,
                   bool slash)
{
    wb_tnode *n;
    int rc = can_make(parent, name, slash, false);
    if (rc)
        return rc;
    size_t len = strlen(target);
    char *t = paid_copy(parent->fs, target, len, &rc);
    if (!t)
        return rc;
    if ((rc = make(parent, name, WF_SYMLINK, &n))) {
        wb_tspace_give(&parent->fs->space, len);
        free(t);
        return rc;
    }
    n->target = t;
    n->size = len;
    return WE_SUCCESS;
}

/* No hard links to directories (EPERM), as Linux; none to a node that
 * lost its last name (ENOENT, as linkat(2) of an unlinked file). */
int wb_tfs_link(wb_tnode *n, wb_tnode *parent, const char *name, bool slash)
{
    int rc = can_make(parent, name, slash, false);
    if (rc == WE_SUCCESS && n->type == WF_DIR)
        rc = WE_PERM;
    if (rc == WE_SUCCESS && !n->links)
        rc = WE_NOENT;
    if (rc == WE_SUCCESS && (rc = add_name(parent, name, n)) == WE_SUCCESS)
        n->ctim = now_ns();
    return rc;
}

int wb_tfs_remove(wb_tnode *parent, const char *name, bool dir, bool slash)
{
    if (!strcmp(name, "."))
        return dir ? WE_INVAL : WE_ISDIR;
    size_t i = find(parent, name);
    if (i == SIZE_MAX)
        return WE_NOENT;
    wb_tnode *n = parent->kids[i].node;
    bool is_dir = n->type == WF_DIR;
    if (!dir && slash)
        return is_dir ? WE_ISDIR : WE_NOTDIR;
    if (dir && !is_dir)
        return WE_NOTDIR;
    if (!dir && is_dir)
        return WE_ISDIR;
    if (n->nkids)
        return WE_NOTEMPTY;
    unlink_at(parent, i);
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
    if (!p2->links)
        return WE_NOENT;                  /* into a removed directory */
    bool sdir = src->type == WF_DIR;
    if (!sdir && slash)
        return WE_NOTDIR;
    if (sdir && is_within(p2, src))
        return WE_INVAL;                  /* into its own subtree */
    if (dst && dst->type == WF_DIR && is_within(p1, dst))
        return WE_NOTEMPTY;               /* over one of its ancestors */
    if (dst == src || !dst)               /* two names of one file: */
        return WE_SUCCESS;                /* nothing happens, as Linux */
    if (sdir && dst->type != WF_DIR)
        return WE_NOTDIR;
    if (!sdir && dst->type == WF_DIR)
        return WE_ISDIR;
    return dst->nkids ? WE_NOTEMPTY : WE_SUCCESS;
}

int wb_tfs_rename(wb_tnode *p1, const char *n1, wb_tnode *p2, const char *n2,
                  bool slash)
{
    if (!strcmp(n1, ".") || !strcmp(n2, "."))
        return WE_BUSY;
    if (p2->type != WF_DIR)
        return WE_NOTDIR;
    wb_tnode *src = wb_tfs_child(p1, n1), *dst = wb_tfs_child(p2, n2);
    int rc = rename_check(p1, src, p2, dst, slash);
    if (rc || dst == src)
        return rc;
    char *name = (rc = room(p2)) ? NULL
               : paid_copy(src->fs, n2, strlen(n2), &rc);
    if (!name)
        return rc;
    if (dst)
        unlink_at(p2, find(p2, n2));
    char *old = take(p1, find(p1, n1));
    wb_tspace_give(&src->fs->space, strlen(old));
    free(old);
    attach(p2, name, src);
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
    if (n->type == WF_DIR)
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
    if (n->type == WF_DIR)
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
    if (n->type != WF_DIR || !n->links)
        return n->links;
    uint64_t links = 2;
    for (size_t i = 0; i < n->nkids; i++)
        links += n->kids[i].node->type == WF_DIR;
    return links;
}

void wb_tfs_stat(const wb_tnode *n, wb_fstat *st)
{
    st->dev = n->fs->dev;
    st->ino = n->ino;
    st->type = n->type;
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
    if (!dir->links)
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
    wb_tdent *k = &dir->kids[i - 2];
    *name = k->name;
    *ino = k->node->ino;
    *type = k->node->type;
    return true;
}
