/*
 * hostcall_tmpfs.c: the tmpfs grants of an input. The first starts with
 * the names the host directory has (a.txt, b, sub/c.txt, sub/deep), so
 * renames over, removals of and writes into existing entries are a
 * mutation away; what it grew by is measured as for the host directory
 * (hostcall_host.c): files past their first size, plus HC_CREATE_COST
 * per name beyond the first ones. After an input its links must stay
 * inside and its accounting must add up (hc_tmpfs_check).
 */
#include "hostcall.h"
#include <stdlib.h>
#include <string.h>

#define MAX_FIRST 8

static struct {
    uint64_t ino[MAX_FIRST], size[MAX_FIRST];
    int n;
    uint64_t nodes;
} first;

static wb_tnode *make(wb_tnode *dir, const char *name, bool is_dir,
                      const char *text)
{
    wb_tnode *n;
    wb_fstat st;
    size_t done;
    struct iovec iov = { (void *)text, text ? strlen(text) : 0 };
    if (wb_tfs_create(dir, name, is_dir, &n) != WE_SUCCESS ||
        (text && wb_tfs_write(n, 0, &iov, 1, &done) != WE_SUCCESS))
        hc_die("cannot fill the tmpfs");
    wb_tfs_stat(n, &st);
    if (!is_dir && first.n < MAX_FIRST) {
        first.ino[first.n] = st.ino;
        first.size[first.n++] = st.size;
    }
    first.nodes++;
    return n;
}

void hc_tmpfs_fill(wb_wasi *w)
{
    wb_tnode *root = wb_tfs_root(w->t->tfs[0]);
    first.n = 0;
    first.nodes = 0;
    make(root, "a.txt", false, "hello world\n");
    make(root, "b", false, "");
    wb_tnode *sub = make(root, "sub", true, NULL);
    make(sub, "c.txt", false, "c\n");
    make(sub, "deep", true, NULL);
}

static uint64_t size_before(uint64_t ino)
{
    for (int i = 0; i < first.n; i++)
        if (first.ino[i] == ino)
            return first.size[i];
    return 0;
}

/* Files counted once: a hard link adds a name, not a second copy. */
static bool first_sight(uint64_t ino)
{
    static uint64_t *seen;
    static size_t n, cap;
    if (ino == 0) {                       /* a new walk */
        n = 0;
        return true;
    }
    for (size_t i = 0; i < n; i++)
        if (seen[i] == ino)
            return false;
    if (n == cap) {
        cap = cap ? cap * 2 : 64;
        if (!(seen = realloc(seen, cap * sizeof *seen)))
            hc_die("out of memory");
    }
    seen[n++] = ino;
    return true;
}

/* Names below dir into *nodes; returns how much the files grew by (a
 * symlink's target is paid by its name, as on the host). */
static uint64_t grown(wb_tnode *dir, uint64_t *nodes)
{
    const char *name;
    uint64_t ino, g = 0;
    uint8_t type;
    for (uint64_t i = 2; wb_tfs_dirent(dir, i, &name, &ino, &type); i++) {
        wb_tnode *k = wb_tfs_child(dir, name);
        ++*nodes;
        if (wb_tnode_is_dir(k))
            g += grown(k, nodes);
        else if (type == WF_REG && first_sight(ino) &&
                 wb_tnode_size(k) > size_before(ino))
            g += wb_tnode_size(k) - size_before(ino);
    }
    return g;
}

uint64_t hc_tmpfs_growth(wb_wasi *w)
{
    uint64_t g = 0, nodes = 0;
    first_sight(0);
    for (size_t i = 0; i < w->t->ntfs; i++)
        g += grown(wb_tfs_root(w->t->tfs[i]), &nodes);
    if (nodes > first.nodes)
        g += (nodes - first.nodes) * HC_CREATE_COST;
    return g;
}

/* Every symlink below dir (named by path, len bytes, from the root)
 * resolves from the root without climbing above it: a link that leads
 * out makes the walk answer ENOTCAPABLE. */
static void check_links(wb_tnode *root, wb_tnode *dir, char *path,
                        size_t len)
{
    const char *name;
    wb_tnode *k, *n;
    for (size_t i = 0; (k = wb_tfs_kid(dir, i, &name)); i++) {
        size_t at = len ? len + 1 : 0, nl = strlen(name);
        if (at + nl >= WB_PATH_MAX)
            continue;                     /* too long to name */
        if (len)
            path[len] = '/';
        memcpy(path + at, name, nl + 1);
        if (wb_tnode_type(k) == WF_SYMLINK &&
            wb_tfs_lookup(root, path, true, &n) == WE_NOTCAPABLE)
            hc_die("tmpfs symlink %s -> %s leads out of its tmpfs", path,
                   wb_tnode_target(k));
        if (wb_tnode_is_dir(k))
            check_links(root, k, path, at + nl);
        path[len] = 0;
    }
}

/* What dir's file system uses once dir is emptied and has held one more
 * entry: dir's table is then the smallest (tmpfs.c's shrink). */
static uint64_t used_empty(wb_tnode *dir, wb_tfs *fs)
{
    wb_tnode *n;
    wb_tfs_clear(dir);
    if (wb_tfs_create(dir, "x", false, &n) != WE_SUCCESS ||
        wb_tfs_remove(dir, "x", false, false) != WE_SUCCESS)
        hc_die("tmpfs: cannot make a file in an empty tmpfs");
    return wb_tfs_used(fs);
}

void hc_tmpfs_check(wb_wasi *w)
{
    static char path[WB_PATH_MAX];
    static uint64_t want;
    if (!want) {                          /* a root node and a table */
        wb_tfs *fs = wb_tfs_new(1 << 16);
        if (!fs)
            hc_die("out of memory");
        want = used_empty(wb_tfs_root(fs), fs);
        wb_tfs_free(fs);
    }
    for (size_t i = 0; i < w->t->ntfs; i++) {
        wb_tnode *root = wb_tfs_root(w->t->tfs[i]);
        path[0] = 0;
        check_links(root, root, path, 0);
    }
    /* unlinked files live while an fd holds them: release those first */
    for (uint32_t fd = 0; fd < w->nfds; fd++)
        if (w->fds[fd].kind == WB_FD_TMPFS)
            wb_fd_release(&w->fds[fd]);
    for (size_t i = 0; i < w->t->ntfs; i++) {
        uint64_t used = used_empty(wb_tfs_root(w->t->tfs[i]), w->t->tfs[i]);
        if (used != want)
            hc_die("tmpfs %zu uses %llu bytes once emptied, not %llu", i,
                   (unsigned long long)used, (unsigned long long)want);
    }
}
