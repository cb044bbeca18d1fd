/* symlink.c: guest-made symlinks stay inside their grant.
 *
 * The guest's own lookups never leave a grant (resolve.c), but a symlink
 * it leaves on the host is followed later by host tools, which know no
 * grant. So a link may only say where it points in a form that stays
 * inside: a relative target made of leading ".." components and then
 * names (no "..", which could climb back through a link that names "."),
 * whose ".."s climb no higher than the grant's root from the directory
 * that holds the link. Names resolve beneath the directory reached, and
 * every link met there obeys the same rule, so no chain of guest-made
 * links leads out. Links the host user made are the user's business.
 *
 * Whether a target stays inside depends on the depth of the link below
 * the root, so moving a link (or a directory holding links) to another
 * depth, or into another grant, is checked too: path_rename refuses what
 * would leave a relative link climbing out (EPERM), and answers EXDEV for
 * a directory too large to check, so tools fall back to a copy (which
 * makes each link again, checked). Absolute links (made by the host user)
 * mean the same wherever they are in their grant and may move there; into
 * another grant they would lead out of one that never held them, and are
 * refused as a new link there would be. A hard link gives a symlink a new
 * name, which must pass the rule for a new link.
 *
 * Depths are physical: counted by walking ".." from the directory we hold
 * up to the grant's root (dev, ino). A removed directory has no depth: a
 * link cannot be made in it anyway (ENOENT).
 *
 * Tmpfs grants follow the same rule on their in-memory tree (the wb_tsym_
 * functions): nothing follows their links from outside, but a guest
 * expects /tmp to behave as a host grant does, and the differential test
 * (tests/wasi/fsdiff.c) holds them to the same answers. */
#include "wasi/wasi.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#define MAX_WALK 4096          /* directories between a link and its root */
#define SCAN_ENTRIES 100000    /* entries checked below a moved directory */
#define SCAN_LEVELS 64         /* nesting checked below a moved directory */

/* How many levels target climbs: its leading ".." components; -1 when
 * it is absolute or has ".." after a name. */
static long climb_of(const char *t)
{
    long up = 0;
    bool named = false;
    if (t[0] == '/')
        return -1;
    while (*t) {
        size_t n = strcspn(t, "/");
        if (n == 2 && t[0] == '.' && t[1] == '.') {
            if (named)
                return -1;
            up++;
        } else if (n && !(n == 1 && t[0] == '.')) {
            named = true;
        }
        t += n + (t[n] == '/');
    }
    return up;
}

int wb_symlink_read(int at, const char *name, char *buf, size_t *len)
{
    ssize_t n = readlinkat(at, name, buf, WB_PATH_MAX - 1);
    if (n < 0)
        return wb_wasi_errno(errno);
    buf[n] = 0;
    *len = (size_t)n;
    return WE_SUCCESS;
}

static bool same_id(const struct stat *st, const wb_fileid *id)
{
    return st->st_dev == id->dev && st->st_ino == id->ino;
}

/* Depth of directory fd below the root of its grant (0: the root). */
static int depth_of(int fd, const wb_fileid *root, long *depth)
{
    struct stat st, up_st;
    int cur = fd, rc = WE_PERM;    /* not beneath the root: refuse */
    for (long n = 0; n < MAX_WALK; n++) {
        if (fstat(cur, &st) != 0) {
            rc = wb_wasi_errno(errno);
            break;
        }
        if (n == 0 && st.st_nlink == 0) {
            rc = WE_NOENT;          /* removed */
            break;
        }
        if (same_id(&st, root)) {
            *depth = n;
            rc = WE_SUCCESS;
            break;
        }
        int up = openat(cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (up < 0) {
            rc = wb_wasi_errno(errno);
            break;
        }
        if (cur != fd)
            close(cur);
        cur = up;
        if (fstat(cur, &up_st) != 0 || (up_st.st_dev == st.st_dev &&
                                         up_st.st_ino == st.st_ino))
            break;                  /* reached "/" */
    }
    if (cur != fd)
        close(cur);
    return rc;
}

/* Does the link `name` in directory `at` stay inside when its directory
 * lies `depth` levels below the root? An absolute target (the host
 * user's) means the same at any depth of its grant: `abs_ok` there;
 * callers that make a new link refuse them first. */
static int link_ok(int at, const char *name, long depth, bool abs_ok)
{
    char t[WB_PATH_MAX];
    size_t n;
    int rc = wb_symlink_read(at, name, t, &n);
    if (rc || t[0] == '/')
        return rc ? rc : abs_ok ? WE_SUCCESS : WE_PERM;
    long up = climb_of(t);
    return up >= 0 && up <= depth ? WE_SUCCESS : WE_PERM;
}

int wb_symlink_new_ok(int dirfd, const wb_fileid *root, const char *target)
{
    long up = climb_of(target), depth;
    if (up < 0)
        return WE_PERM;
    if (up == 0)
        return WE_SUCCESS;
    int rc = depth_of(dirfd, root, &depth);
    return rc ? rc : up <= depth ? WE_SUCCESS : WE_PERM;
}

/* ---- moves ------------------------------------------------------------- */

typedef struct scan {
    DIR *dirs[SCAN_LEVELS];
    int n;
    long entries;
    bool abs_ok;               /* as link_ok's */
} scan;

/* Enter directory `name` of `at` (the walk's next level). */
static int scan_push(scan *s, int at, const char *name)
{
    if (s->n == SCAN_LEVELS)
        return WE_XDEV;
    int fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
                    O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        int rc = wb_wasi_errno(errno);
        if (fd >= 0)
            close(fd);
        return rc;
    }
    s->dirs[s->n++] = d;
    return WE_SUCCESS;
}

/* Check one entry of the innermost directory, `depth` below the root. */
static int scan_entry(scan *s, struct dirent *e, long depth)
{
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
        return WE_SUCCESS;
    if (++s->entries > SCAN_ENTRIES)
        return WE_XDEV;
    int at = dirfd(s->dirs[s->n - 1]);
    unsigned char type = e->d_type;
    struct stat st;
    if (type == DT_UNKNOWN) {
        if (fstatat(at, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
            return wb_wasi_errno(errno);
        type = S_ISLNK(st.st_mode) ? DT_LNK : S_ISDIR(st.st_mode) ? DT_DIR
                                                                  : DT_REG;
    }
    if (type == DT_LNK)
        return link_ok(at, e->d_name, depth, s->abs_ok);
    return type == DT_DIR ? scan_push(s, at, e->d_name) : WE_SUCCESS;
}

/* Every link beneath directory `name` of `at`, which is to lie `depth`
 * levels below the root (abs_ok as link_ok's). */
static int scan_tree(int at, const char *name, long depth, bool abs_ok)
{
    scan s = { .n = 0, .abs_ok = abs_ok };
    int rc = scan_push(&s, at, name);
    while (rc == WE_SUCCESS && s.n > 0) {
        errno = 0;
        struct dirent *e = readdir(s.dirs[s.n - 1]);
        if (e)
            rc = scan_entry(&s, e, depth + s.n - 1);
        else if (errno)
            rc = wb_wasi_errno(errno);
        else
            closedir(s.dirs[--s.n]);
    }
    while (s.n > 0)
        closedir(s.dirs[--s.n]);
    return rc;
}

int wb_symlink_rename_ok(int from, const wb_fileid *from_root,
                         const char *name, int to, const wb_fileid *to_root)
{
    struct stat st;
    if (!strcmp(name, ".") ||
        fstatat(from, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return WE_SUCCESS;          /* the call itself will answer */
    if (!S_ISLNK(st.st_mode) && !S_ISDIR(st.st_mode))
        return WE_SUCCESS;
    long d1 = -1, d2;
    int rc = depth_of(to, to_root, &d2);
    if (rc)
        return rc;
    bool same = from_root->dev == to_root->dev &&
                from_root->ino == to_root->ino;
    if (same && depth_of(from, from_root, &d1) == WE_SUCCESS && d1 == d2)
        return WE_SUCCESS;          /* same depth: nothing changes */
    /* the host's absolute links move within their grant only */
    return S_ISLNK(st.st_mode) ? link_ok(from, name, d2, same)
                               : scan_tree(from, name, d2 + 1, same);
}

int wb_symlink_link_ok(int from, const char *name, int to,
                       const wb_fileid *to_root)
{
    struct stat st;
    char t[WB_PATH_MAX];
    size_t n;
    if (fstatat(from, name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
        !S_ISLNK(st.st_mode))
        return WE_SUCCESS;          /* not a link: linkat answers */
    int rc = wb_symlink_read(from, name, t, &n);
    return rc ? rc : wb_symlink_new_ok(to, to_root, t);
}

/* ---- tmpfs -------------------------------------------------------------- */

/* Depth of tmpfs directory dir below its root, as depth_of. */
static int tdepth(const wb_tnode *dir, long *depth)
{
    if (!wb_tnode_parent(dir) && !wb_tnode_is_root(dir))
        return WE_NOENT;            /* removed */
    for (long n = 0; n < MAX_WALK; n++, dir = wb_tnode_parent(dir))
        if (wb_tnode_is_root(dir)) {
            *depth = n;
            return WE_SUCCESS;
        }
    return WE_PERM;
}

static int tlink_ok(const wb_tnode *n, long depth)
{
    const char *t = wb_tnode_target(n);
    long up = climb_of(t);
    return t[0] == '/' || (up >= 0 && up <= depth) ? WE_SUCCESS : WE_PERM;
}

int wb_tsym_new_ok(const wb_tnode *dir, const char *target)
{
    long up = climb_of(target), depth;
    if (up < 0)
        return WE_PERM;
    if (up == 0)
        return WE_SUCCESS;
    int rc = tdepth(dir, &depth);
    return rc ? rc : up <= depth ? WE_SUCCESS : WE_PERM;
}

/* Every link beneath directory d, which is to lie `depth` levels below
 * the root: the limits of scan_tree, without recursion. */
static int tscan(const wb_tnode *d, long depth)
{
    const wb_tnode *dirs[SCAN_LEVELS];
    size_t next[SCAN_LEVELS];
    long entries = 0;
    int n = 1;
    dirs[0] = d;
    next[0] = 0;
    while (n > 0) {
        const wb_tnode *k = wb_tfs_kid(dirs[n - 1], next[n - 1]++, NULL);
        if (!k) {
            n--;
            continue;
        }
        if (++entries > SCAN_ENTRIES)
            return WE_XDEV;
        uint8_t type = wb_tnode_type(k);
        if (type == WF_SYMLINK && tlink_ok(k, depth + n - 1))
            return WE_PERM;
        if (type == WF_DIR) {
            if (n == SCAN_LEVELS)
                return WE_XDEV;
            dirs[n] = k;
            next[n++] = 0;
        }
    }
    return WE_SUCCESS;
}

int wb_tsym_rename_ok(const wb_tnode *from, const char *name,
                      const wb_tnode *to)
{
    const wb_tnode *n = strcmp(name, ".") ? wb_tfs_child(from, name) : NULL;
    if (!n || (wb_tnode_type(n) != WF_SYMLINK && !wb_tnode_is_dir(n)))
        return WE_SUCCESS;          /* the call itself will answer */
    long d1 = -1, d2;
    int rc = tdepth(to, &d2);
    if (rc)
        return rc;
    if (tdepth(from, &d1) == WE_SUCCESS && d1 == d2)
        return WE_SUCCESS;          /* same depth: nothing changes */
    return wb_tnode_is_dir(n) ? tscan(n, d2 + 1) : tlink_ok(n, d2);
}

int wb_tsym_link_ok(const wb_tnode *n, const wb_tnode *to)
{
    if (!n || wb_tnode_type(n) != WF_SYMLINK)
        return WE_SUCCESS;
    return wb_tsym_new_ok(to, wb_tnode_target(n));
}
