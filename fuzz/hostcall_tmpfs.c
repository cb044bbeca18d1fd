/*
 * hostcall_tmpfs.c: the tmpfs grants of an input. The first starts with
 * the names the host directory has (a.txt, b, sub/c.txt, sub/deep), so
 * renames over, removals of and writes into existing entries are a
 * mutation away; what it grew by is measured as for the host directory
 * (hostcall_host.c): files past their first size, plus HC_CREATE_COST
 * per node beyond the first ones.
 */
#include "hostcall.h"
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
    wb_tnode *root = wb_tfs_root(w->tfs[0]);
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

/* Nodes below dir into *nodes; returns how much the files grew by. */
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
        else if (wb_tnode_size(k) > size_before(ino))
            g += wb_tnode_size(k) - size_before(ino);
    }
    return g;
}

uint64_t hc_tmpfs_growth(wb_wasi *w)
{
    uint64_t g = 0, nodes = 0;
    for (size_t i = 0; i < w->ntfs; i++)
        g += grown(wb_tfs_root(w->tfs[i]), &nodes);
    if (nodes > first.nodes)
        g += (nodes - first.nodes) * HC_CREATE_COST;
    return g;
}
