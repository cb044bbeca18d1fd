/* tmpfs.c: the in-memory file system behind --tmpfs. Directories and
 * regular files only (no links); everything it holds counts against its
 * capacity, including a fixed overhead per node so that creating empty
 * files cannot exhaust host memory either. Freed with the run. */
#include "wasi/wasi.h"
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WB_TNODE_COST 256          /* bytes charged per file or directory */
#define WB_TFILE_MAX (1ull << 40)

struct wb_tfs {
    wb_tnode *root;
    uint64_t used, cap, next_ino, dev;
};

struct wb_tnode {
    wb_tfs *fs;
    wb_tnode *parent;
    char *name;
    bool dir, linked;
    uint32_t refs;
    wb_tnode **kids; size_t nkids, capkids;
    uint8_t *data; uint64_t size, capdata;
    uint64_t ino, atim, mtim, ctim;
};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static bool charge(wb_tfs *fs, uint64_t n)
{
    if (n > fs->cap || fs->used > fs->cap - n)
        return false;
    fs->used += n;
    return true;
}

static wb_tnode *node_new(wb_tfs *fs, const char *name, bool dir)
{
    if (!charge(fs, WB_TNODE_COST + strlen(name)))
        return NULL;
    wb_tnode *n = calloc(1, sizeof *n);
    if (n && !(n->name = strdup(name))) {
        free(n);
        n = NULL;
    }
    if (!n) {
        fs->used -= WB_TNODE_COST + strlen(name);
        return NULL;
    }
    n->fs = fs;
    n->dir = dir;
    n->ino = ++fs->next_ino;
    n->atim = n->mtim = n->ctim = now_ns();
    return n;
}

static void node_free(wb_tnode *n)
{
    for (size_t i = 0; i < n->nkids; i++)
        node_free(n->kids[i]);
    n->fs->used -= WB_TNODE_COST + strlen(n->name) + n->capdata;
    free(n->kids);
    free(n->data);
    free(n->name);
    free(n);
}

wb_tfs *wb_tfs_new(uint64_t cap)
{
    static uint64_t devs;
    wb_tfs *fs = calloc(1, sizeof *fs);
    if (!fs)
        return NULL;
    fs->cap = cap;
    fs->dev = 0x746d7000u + __atomic_add_fetch(&devs, 1, __ATOMIC_RELAXED);
    fs->cap += WB_TNODE_COST + 1;         /* the root is free */
    fs->root = node_new(fs, "/", true);
    if (!fs->root) {
        free(fs);
        return NULL;
    }
    fs->root->linked = true;
    return fs;
}

void wb_tfs_free(wb_tfs *fs)
{
    if (fs) {
        node_free(fs->root);
        free(fs);
    }
}

wb_tnode *wb_tfs_root(wb_tfs *fs) { return fs->root; }
bool wb_tnode_is_dir(const wb_tnode *n) { return n->dir; }
uint64_t wb_tnode_size(const wb_tnode *n) { return n->size; }
void wb_tnode_ref(wb_tnode *n) { n->refs++; }
bool wb_tfs_same(const wb_tnode *a, const wb_tnode *b) { return a->fs == b->fs; }

void wb_tnode_unref(wb_tnode *n)
{
    if (--n->refs == 0 && !n->linked)
        node_free(n);
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

static int attach(wb_tnode *parent, wb_tnode *n)
{
    if (parent->nkids == parent->capkids) {
        size_t cap = parent->capkids ? parent->capkids * 2 : 8;
        wb_tnode **k = realloc(parent->kids, cap * sizeof *k);
        if (!k)
            return WE_NOMEM;
        parent->kids = k;
        parent->capkids = cap;
    }
    parent->kids[parent->nkids++] = n;
    n->parent = parent;
    n->linked = true;
    parent->mtim = parent->ctim = now_ns();
    return WE_SUCCESS;
}

/* Keeps the order of the others, so readdir cookies stay meaningful. */
static void detach(wb_tnode *n)
{
    wb_tnode *p = n->parent;
    for (size_t i = 0; i < p->nkids; i++)
        if (p->kids[i] == n) {
            memmove(p->kids + i, p->kids + i + 1,
                    (p->nkids - i - 1) * sizeof *p->kids);
            p->nkids--;
            break;
        }
    n->linked = false;
    p->mtim = p->ctim = now_ns();
}

int wb_tfs_create(wb_tnode *parent, const char *name, bool dir,
                  wb_tnode **out)
{
    if (!parent->dir)
        return WE_NOTDIR;
    if (!parent->linked)
        return WE_NOENT;                  /* removed while open */
    if (!strcmp(name, ".") || wb_tfs_child(parent, name))
        return WE_EXIST;
    wb_tnode *n = node_new(parent->fs, name, dir);
    if (!n)
        return WE_NOSPC;
    if (attach(parent, n) != WE_SUCCESS) {
        node_free(n);
        return WE_NOMEM;
    }
    *out = n;
    return WE_SUCCESS;
}

int wb_tfs_remove(wb_tnode *parent, const char *name, bool dir)
{
    if (!strcmp(name, "."))
        return dir ? WE_INVAL : WE_ISDIR;
    wb_tnode *n = wb_tfs_child(parent, name);
    if (!n)
        return WE_NOENT;
    if (dir && !n->dir)
        return WE_NOTDIR;
    if (!dir && n->dir)
        return WE_ISDIR;
    if (n->nkids)
        return WE_NOTEMPTY;
    detach(n);
    if (n->refs == 0)
        node_free(n);
    return WE_SUCCESS;
}

static bool is_within(const wb_tnode *n, const wb_tnode *anc)
{
    for (; n; n = n->parent)
        if (n == anc)
            return true;
    return false;
}

int wb_tfs_rename(wb_tnode *p1, const char *n1, wb_tnode *p2, const char *n2)
{
    if (!strcmp(n1, ".") || !strcmp(n2, "."))
        return WE_BUSY;
    wb_tnode *src = wb_tfs_child(p1, n1), *dst = wb_tfs_child(p2, n2);
    if (!src)
        return WE_NOENT;
    if (!p2->dir)
        return WE_NOTDIR;
    if (src->dir && is_within(p2, src))
        return WE_INVAL;                  /* into its own subtree */
    if (dst == src)
        return WE_SUCCESS;
    if (dst) {
        if (src->dir && !dst->dir)
            return WE_NOTDIR;
        if (!src->dir && dst->dir)
            return WE_ISDIR;
        if (dst->nkids)
            return WE_NOTEMPTY;
    }
    char *name = strdup(n2);
    if (!name)
        return WE_NOMEM;
    if (dst) {
        detach(dst);
        if (dst->refs == 0)
            node_free(dst);
    }
    detach(src);
    src->fs->used += strlen(n2) - strlen(src->name);
    free(src->name);
    src->name = name;
    return attach(p2, src);
}

size_t wb_tfs_read(wb_tnode *n, uint64_t off, const struct iovec *iov,
                   int niov)
{
    size_t done = 0;
    for (int i = 0; i < niov && off < n->size; i++) {
        uint64_t len = iov[i].iov_len;
        if (len > n->size - off)
            len = n->size - off;
        memcpy(iov[i].iov_base, n->data + off, len);
        off += len;
        done += len;
    }
    n->atim = now_ns();
    return done;
}

/* Make room for `size` bytes; new bytes read as zero. */
static int grow(wb_tnode *n, uint64_t size)
{
    if (size > WB_TFILE_MAX)
        return WE_FBIG;
    if (size > n->capdata) {
        uint64_t cap = n->capdata ? n->capdata : 64;
        while (cap < size)
            cap *= 2;
        if (!charge(n->fs, cap - n->capdata)) {
            cap = size;                   /* exact fit, if that still fits */
            if (!charge(n->fs, cap - n->capdata))
                return WE_NOSPC;
        }
        uint8_t *d = realloc(n->data, cap);
        if (!d) {
            n->fs->used -= cap - n->capdata;
            return WE_NOMEM;
        }
        n->data = d;
        n->capdata = cap;
    }
    if (size > n->size)
        memset(n->data + n->size, 0, size - n->size);
    return WE_SUCCESS;
}

int wb_tfs_write(wb_tnode *n, uint64_t off, const struct iovec *iov,
                 int niov, size_t *done)
{
    uint64_t total = 0;
    for (int i = 0; i < niov; i++)
        total += iov[i].iov_len;
    *done = 0;
    if (off > WB_TFILE_MAX || total > WB_TFILE_MAX - off)
        return WE_FBIG;
    if (off + total > n->size) {
        int rc = grow(n, off + total);
        if (rc)
            return rc;
        n->size = off + total;
    }
    for (int i = 0; i < niov; i++) {
        memcpy(n->data + off, iov[i].iov_base, iov[i].iov_len);
        off += iov[i].iov_len;
    }
    *done = (size_t)total;
    n->mtim = n->ctim = now_ns();
    return WE_SUCCESS;
}

int wb_tfs_truncate(wb_tnode *n, uint64_t size)
{
    if (n->dir)
        return WE_ISDIR;
    if (size > n->size) {
        int rc = grow(n, size);
        if (rc)
            return rc;
    }
    n->size = size;
    n->mtim = n->ctim = now_ns();
    return WE_SUCCESS;
}

void wb_tfs_stat(const wb_tnode *n, wb_fstat *st)
{
    st->dev = n->fs->dev;
    st->ino = n->ino;
    st->type = n->dir ? WF_DIR : WF_REG;
    st->nlink = n->linked ? 1 : 0;
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
