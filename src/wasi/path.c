/* path.c: the path_* calls. Host grants act only through dirfds obtained
 * by safe resolution (resolve.c) and the *at(2) calls, never through host
 * path strings; tmpfs grants through tmpfs.c. Read-only grants refuse
 * every change with EROFS before anything is resolved. */
#include "wasi/wasi.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Every file, directory or link the guest creates costs this much of the
 * disk budget, so empty entries cannot fill a host file system either. */
#define WB_CREATE_COST 4096

/* The directory fd (holding the rights `need`) and path arguments shared
 * by every path call. Through the virtual root (vroot.c) *d becomes
 * `view`: the grant the path reaches, read-only, or a directory of the
 * root itself (kind WB_FD_VROOT, path "."). Calls that change something
 * pass no view: the root answers EROFS (its rights refuse them first). */
static int dir_arg(wb_wasi *w, wb_caller *c, uint32_t fd, uint64_t need,
                   uint32_t p, uint32_t len, char *buf, wb_fdent **d,
                   wb_fdent *view)
{
    int rc = wb_fd_need(w, fd, need, d);
    if (rc)
        return rc;
    uint8_t kind = (*d)->kind;
    if ((kind != WB_FD_HOST && kind != WB_FD_TMPFS && kind != WB_FD_VROOT) ||
        (*d)->type != WF_DIR)
        return WE_NOTDIR;
    if ((rc = wb_wasi_path(c, p, len, buf)) || kind != WB_FD_VROOT)
        return rc;
    if (!view)
        return WE_ROFS;
    if ((rc = wb_vroot_enter(*d, buf, view)) == WE_SUCCESS)
        *d = view;
    return rc;
}

static int host_err(int rc)
{
    return rc == 0 ? WE_SUCCESS : wb_wasi_errno(errno);
}

/* Charge one creation after it happened (rc == 0); past the budget the
 * run ends with outcome disk-limit. */
static wb_status created(wb_wasi *w, wb_caller *c, wb_val *r, int rc)
{
    if (rc == WE_SUCCESS && !wb_disk_charge(w, WB_CREATE_COST))
        return wb_wasi_stop(w, c, WB_OUTCOME_DISK_LIMIT,
                            "disk limit exceeded");
    return wb_ret(r, rc);
}

/* ---- path_open ------------------------------------------------------------ */

static int host_flags(bool rd, bool wr, uint32_t of, uint32_t ff)
{
    int fl = (wr ? (rd ? O_RDWR : O_WRONLY) : O_RDONLY) | O_NOCTTY |
             O_NONBLOCK;            /* a FIFO must not block the open */
    if (of & WO_CREAT) fl |= O_CREAT;
    if (of & WO_DIRECTORY) fl |= O_DIRECTORY;
    if (of & WO_EXCL) fl |= O_EXCL;
    if (of & WO_TRUNC) fl |= O_TRUNC;
    if (ff & WFD_APPEND) fl |= O_APPEND;
    if (ff & WFD_DSYNC) fl |= O_DSYNC;
    if (ff & WFD_SYNC) fl |= O_SYNC;
    if (ff & WFD_RSYNC) fl |= O_RSYNC;
    return fl;
}

/* What path_open was asked for. */
typedef struct oreq {
    const char *path;
    bool follow, rd, wr;            /* wr: any right of WR_OPEN_WRITE */
    uint32_t of, ff;                /* oflags, fdflags */
} oreq;

/* Open, and tell whether O_CREAT made a new file: without O_EXCL, try the
 * existing file first, then create exclusively. A name that is there
 * after all is a dangling symlink (O_EXCL never follows one) or a race:
 * plain O_CREAT then follows the link, creating its target beneath the
 * grant as open(2) would (a race costs at most one creation's charge). */
static int host_open_create(wb_fdent *d, const oreq *q, int *fd, bool *made)
{
    int fl = host_flags(q->rd, q->wr, q->of, q->ff), rc;
    *made = false;
    if (!(fl & O_CREAT))
        return wb_resolve_open(d->host, q->path, fl, 0, q->follow, fd);
    if (!(fl & O_EXCL)) {
        rc = wb_resolve_open(d->host, q->path, fl & ~O_CREAT, 0, q->follow,
                             fd);
        if (rc != WE_NOENT)
            return rc;
    }
    rc = wb_resolve_open(d->host, q->path, fl | O_EXCL, 0666, q->follow, fd);
    if (rc == WE_EXIST && !(fl & O_EXCL))
        rc = wb_resolve_open(d->host, q->path, fl, 0666, q->follow, fd);
    *made = rc == WE_SUCCESS;
    return rc;
}

static int open_host(wb_fdent *d, const oreq *q, wb_fdent *e, bool *made)
{
    int fd, rc = host_open_create(d, q, &fd, made);
    if (rc)
        return rc;
    /* FIFOs and devices stay O_NONBLOCK on the host whatever the guest
     * asked: fd.c waits for them through wb_host_io, so no read or write
     * of theirs can outlive the run. Files and directories never wait. */
    struct stat st;
    if (fstat(fd, &st) != 0 ||
        ((S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) &&
         fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK))) {
        rc = wb_wasi_errno(errno);
        close(fd);
        return rc;
    }
    if (!*made && (q->of & WO_CREAT) && S_ISDIR(st.st_mode)) {
        close(fd);
        return WE_ISDIR;            /* O_CREAT of a directory, as Linux */
    }
    e->kind = WB_FD_HOST;
    e->host = fd;
    e->type = wb_filetype_mode(st.st_mode);
    e->ro = d->ro;
    return WE_SUCCESS;
}

/* O_CREAT: the last component, following a symlink there unless told
 * not to or O_EXCL (which never follows one, as open(2)); a dangling
 * link's target is created. Names and trailing slashes of the path were
 * dealt with by creat_name; a link's target ending in '/' is EISDIR. */
static int tmp_create(wb_fdent *d, const oreq *q, wb_tnode **n, bool *made)
{
    wb_tpath p;
    bool follow = q->follow && !(q->of & WO_EXCL);
    int rc = wb_tfs_walk(d->node, q->path,
                         follow ? WB_WALK_FOLLOW : WB_WALK_PARENT, &p);
    if (rc)
        return rc;
    if ((*n = p.node))                /* "f/" (a link's target): as the */
        return q->of & WO_EXCL ? WE_EXIST  /* open without O_CREAT first */
             : wb_tnode_is_dir(p.node) ? WE_ISDIR
             : p.slash ? WE_NOTDIR : WE_SUCCESS;
    if (p.slash)
        return WE_ISDIR;
    rc = wb_tfs_create(p.parent, p.last, false, n);
    *made = rc == WE_SUCCESS;
    return rc;
}

/* The checks of open(2) on what the path named, in Linux's order. */
static int open_tmp(wb_fdent *d, const oreq *q, wb_fdent *e, bool *made)
{
    wb_tnode *n = NULL;
    int rc = q->of & WO_CREAT ? tmp_create(d, q, &n, made)
                              : wb_tfs_lookup(d->node, q->path, q->follow, &n);
    if (rc)
        return rc;
    uint8_t type = wb_tnode_type(n);
    if ((q->of & WO_DIRECTORY) && type != WF_DIR)
        return WE_NOTDIR;
    if (type == WF_SYMLINK)
        return WE_LOOP;                   /* not followed */
    if (type == WF_DIR && (q->wr || (q->of & WO_TRUNC)))
        return WE_ISDIR;
    if ((q->of & WO_TRUNC) && (rc = wb_tfs_truncate(n, 0)))
        return rc;
    if (!(e->of = calloc(1, sizeof *e->of)))
        return WE_NOMEM;
    e->of->refs = 1;
    e->kind = WB_FD_TMPFS;
    e->type = type;
    e->ro = d->ro;                        /* seen through the root */
    e->node = n;
    wb_tnode_ref(n);
    return WE_SUCCESS;
}

/* A directory or an image of the virtual root (writing was refused
 * already). */
static int open_vdir(wb_fdent *d, const oreq *q, wb_fdent *e)
{
    e->type = wb_vroot_type(d->vnode);
    if ((q->of & WO_DIRECTORY) && e->type != WF_DIR)
        return WE_NOTDIR;
    e->kind = WB_FD_VROOT;
    e->ro = true;
    e->vnode = d->vnode;
    return WE_SUCCESS;
}

static int creat_name(wb_fdent *d, const char *path, uint32_t of);

/* /dev/null of the virtual root: a duplicate of the process's host one,
 * readable and writable whatever the root's own rights (vroot.c). */
static int open_null(const oreq *q, wb_fdent *e)
{
    if (q->of & WO_DIRECTORY)
        return WE_NOTDIR;
    if ((q->of & WO_CREAT) && (q->of & WO_EXCL))
        return WE_EXIST;
    if ((e->host = fcntl(wb_wasi_null_fd(), F_DUPFD_CLOEXEC, 3)) < 0)
        return wb_wasi_errno(errno);
    e->kind = WB_FD_HOST;
    e->type = WF_CHAR;
    return WE_SUCCESS;
}

/* Rights beyond what the directory may hand down, or that do not apply to
 * what was opened, are left out of the new fd rather than refused:
 * programs pass fixed sets, or the rights of another fd. Asking to write
 * (WR_OPEN_WRITE) opens for writing, so a directory answers EISDIR, and a
 * read-only grant EROFS, as open(2) would. */
WB_WASI_FN(path_open)
{
    wb_wasi *w = WASI;
    wb_fdent *d, view, ne = { .host = -1 };
    char path[WB_PATH_MAX];
    uint32_t of = A32(4) & 0xffff, ff = A32(7) & 0xffff, nfd;
    uint64_t need = (of & WO_CREAT ? WR_PATH_CREATE_FILE : 0) |
                    (of & WO_TRUNC ? WR_PATH_FILESTAT_SET_SIZE : 0);
    /* Through the virtual root, creating or truncating is refused once
     * the path resolved, unless it is /dev/null (`> /dev/null`). */
    const wb_fdent *at = wb_fd_get(w, A32(0));
    bool via_root = at && at->kind == WB_FD_VROOT;
    int rc = dir_arg(w, c, A32(0), WR_PATH_OPEN | (via_root ? 0 : need),
                     A32(2), A32(3), path, &d, &view);
    bool null = rc == WE_SUCCESS && d->kind == WB_FD_VROOT &&
                wb_vroot_is_null(d->vnode);
    wb_fdent *root;
    int refused;
    if (via_root && need && !null &&
        (refused = wb_fd_need(w, A32(0), WR_PATH_OPEN | need, &root)))
        rc = refused;                 /* as before it resolved: EROFS */
    if (rc == WE_SUCCESS && !wb_gptr(c, A32(8), 4))
        rc = WE_FAULT;
    if (rc)
        return wb_ret(r, rc);
    uint64_t mask = null ? ~(uint64_t)0 : d->inherit;
    uint64_t base = A64(5) & mask, inh = A64(6) & mask, tb, ti;
    oreq q = { .path = path, .follow = A32(1) & WL_FOLLOW,
               .rd = base & (WR_FD_READ | WR_FD_READDIR),
               .wr = base & WR_OPEN_WRITE, .of = of, .ff = ff };
    if ((of & WO_CREAT) && (of & WO_DIRECTORY))
        return wb_ret(r, WE_INVAL);  /* as Linux since 6.4, on any kernel */
    if ((of & WO_DIRECTORY) && d->kind == WB_FD_VROOT &&
        wb_vroot_type(d->vnode) != WF_DIR)
        return wb_ret(r, WE_NOTDIR);    /* an image: before EROFS, as Linux */
    if (d->ro && q.wr && !null)
        return wb_ret(r, WE_ROFS);
    if ((rc = wb_fd_alloc(w, &nfd)))
        return wb_ret(r, rc);
    if (d != &view)
        d = wb_fd_get(w, A32(0));   /* the table may have moved */
    bool made = false;
    if (!null && (of & WO_CREAT) && (rc = creat_name(d, path, of)))
        return wb_ret(r, rc);
    rc = null ? open_null(&q, &ne)
       : d->kind == WB_FD_HOST ? open_host(d, &q, &ne, &made)
       : d->kind == WB_FD_TMPFS ? open_tmp(d, &q, &ne, &made)
       : open_vdir(d, &q, &ne);
    if (rc)
        return wb_ret(r, rc);
    wb_rights_of(ne.type, ne.ro, &tb, &ti);
    ne.flags = (uint16_t)ff;
    ne.root = d->root;
    ne.rights = base & tb;
    ne.inherit = inh & ti;
    w->fds[nfd] = ne;
    w->nopen++;
    wb_put32(c, A32(8), nfd);
    return made ? created(w, c, r, WE_SUCCESS) : wb_ret(r, WE_SUCCESS);
}

/* ---- directory changes ----------------------------------------------------- */

/* Resolve the parent on either kind of grant. On the host, *pfd must be
 * closed by the caller; on tmpfs *pn is set. */
typedef struct parent {
    int fd;
    wb_tnode *node;
    char last[NAME_MAX + 1];
    bool slash;
} parent;

static int get_parent(wb_fdent *d, const char *path, parent *p)
{
    p->fd = -1;
    p->node = NULL;
    if (d->kind == WB_FD_VROOT)
        return WE_ROFS;                   /* nothing changes there */
    if (d->kind == WB_FD_TMPFS)
        return wb_tfs_parent(d->node, path, &p->node, p->last, &p->slash);
    return wb_resolve_parent(d->host, path, &p->fd, p->last, &p->slash);
}

static void put_parent(parent *p)
{
    if (p->fd >= 0)
        close(p->fd);
}

/* O_CREAT of "x/" or of a dot name: Linux answers EISDIR (EEXIST under
 * O_EXCL for a dot) once the parent resolves, whatever x is. Other paths
 * go on (WE_SUCCESS). */
static int creat_name(wb_fdent *d, const char *path, uint32_t of)
{
    size_t n = strlen(path), end = n;
    while (end > 0 && path[end - 1] == '/')
        end--;
    size_t start = end;
    while (start > 0 && path[start - 1] != '/')
        start--;
    bool dot = (end - start == 1 && path[start] == '.') ||
               (end - start == 2 && !strncmp(path + start, "..", 2));
    if (end == n && !dot)
        return WE_SUCCESS;
    parent p;
    int rc = get_parent(d, path, &p);
    put_parent(&p);
    if (rc == WE_SUCCESS)
        rc = dot && (of & WO_EXCL) ? WE_EXIST : WE_ISDIR;
    return rc;
}

/* A modifying call: dir fd, path, EROFS check, parent resolution. */
static int mod_arg(wb_wasi *w, wb_caller *c, uint32_t fd, uint64_t need,
                   uint32_t ptr, uint32_t len, wb_fdent **d, parent *p)
{
    char path[WB_PATH_MAX];
    p->fd = -1;
    p->node = NULL;
    int rc = dir_arg(w, c, fd, need, ptr, len, path, d, NULL);
    if (rc)
        return rc;
    if ((*d)->ro)
        return WE_ROFS;
    return get_parent(*d, path, p);
}

/* A name the virtual root already has (/dev, /dev/null, /bin/sh, "/"
 * itself): making it answers EEXIST, as Linux finds the name before it
 * minds a read-only file system (`mkdir -p /dev` succeeds there). */
static int root_name_taken(wb_wasi *w, wb_caller *c, uint32_t fd,
                           uint32_t ptr, uint32_t len, int rc)
{
    char path[WB_PATH_MAX];
    wb_fdent *e = wb_fd_get(w, fd), view;
    if (rc != WE_ROFS || !e || e->kind != WB_FD_VROOT || e->type != WF_DIR ||
        wb_wasi_path(c, ptr, len, path) != WE_SUCCESS)
        return rc;
    bool own = wb_vroot_enter(e, path, &view) == WE_SUCCESS &&
               view.kind == WB_FD_VROOT;
    return own ? WE_EXIST : rc;
}

WB_WASI_FN(path_create_directory)
{
    wb_fdent *d;
    parent p;
    wb_tnode *n;
    int rc = mod_arg(WASI, c, A32(0), WR_PATH_CREATE_DIRECTORY, A32(1),
                     A32(2), &d, &p);
    rc = root_name_taken(WASI, c, A32(0), A32(1), A32(2), rc);
    if (rc == WE_SUCCESS)
        rc = p.node ? wb_tfs_create(p.node, p.last, true, &n)
                    : host_err(mkdirat(p.fd, p.last, 0777));
    put_parent(&p);
    return created(WASI, c, r, rc);
}

WB_WASI_FN(path_remove_directory)
{
    wb_fdent *d;
    parent p;
    int rc = mod_arg(WASI, c, A32(0), WR_PATH_REMOVE_DIRECTORY, A32(1),
                     A32(2), &d, &p);
    if (rc == WE_SUCCESS)
        rc = p.node ? wb_tfs_remove(p.node, p.last, true, p.slash)
                    : host_err(unlinkat(p.fd, p.last, AT_REMOVEDIR));
    put_parent(&p);
    return wb_ret(r, rc);
}

/* The last component as the kernel must see it: a trailing slash changes
 * what unlinkat and renameat answer (it never makes them follow a link). */
static const char *host_last(const parent *p, char *buf)
{
    snprintf(buf, NAME_MAX + 2, "%s%s", p->last, p->slash ? "/" : "");
    return buf;
}

WB_WASI_FN(path_unlink_file)
{
    wb_fdent *d;
    parent p;
    int rc = mod_arg(WASI, c, A32(0), WR_PATH_UNLINK_FILE, A32(1), A32(2),
                     &d, &p);
    char name[NAME_MAX + 2];
    if (rc == WE_SUCCESS && p.node)
        rc = wb_tfs_remove(p.node, p.last, false, p.slash);
    else if (rc == WE_SUCCESS)
        rc = host_err(unlinkat(p.fd, host_last(&p, name), 0));
    put_parent(&p);
    return wb_ret(r, rc);
}

/* Two grants of different kinds (or two tmpfs) cannot share inodes. */
static bool same_fs(const wb_fdent *a, const wb_fdent *b)
{
    if (a->kind != b->kind)
        return false;
    return a->kind == WB_FD_HOST || wb_tfs_same(a->node, b->node);
}

WB_WASI_FN(path_rename)
{
    wb_fdent *d1, *d2;
    parent p1, p2 = { .fd = -1 };
    char n1[NAME_MAX + 2], n2[NAME_MAX + 2];
    int rc = mod_arg(WASI, c, A32(0), WR_PATH_RENAME_SOURCE, A32(1), A32(2),
                     &d1, &p1);
    if (rc == WE_SUCCESS)
        rc = mod_arg(WASI, c, A32(3), WR_PATH_RENAME_TARGET, A32(4), A32(5),
                     &d2, &p2);
    if (rc == WE_SUCCESS && !same_fs(d1, d2))
        rc = WE_XDEV;
    if (rc == WE_SUCCESS && p1.node &&
        !(rc = wb_tsym_rename_ok(p1.node, p1.last, p2.node)))
        rc = wb_tfs_rename(p1.node, p1.last, p2.node, p2.last,
                           p1.slash || p2.slash);
    else if (rc == WE_SUCCESS &&
             !(rc = wb_symlink_rename_ok(p1.fd, &d1->root, p1.last, p2.fd,
                                         &d2->root)))
        rc = host_err(renameat(p1.fd, host_last(&p1, n1), p2.fd,
                               host_last(&p2, n2)));
    put_parent(&p1);
    put_parent(&p2);
    return wb_ret(r, rc);
}

/* Guest-made symlinks stay inside the grant for whoever follows them
 * later on the host (symlink.c): relative, never climbing above the
 * grant's root; others are refused with EPERM. */
WB_WASI_FN(path_symlink)
{
    char target[WB_PATH_MAX], name[NAME_MAX + 2];
    wb_fdent *d;
    parent p = { .fd = -1 };
    int rc = wb_wasi_path(c, A32(0), A32(1), target);
    if (rc == WE_SUCCESS)
        rc = mod_arg(WASI, c, A32(2), WR_PATH_SYMLINK, A32(3), A32(4), &d,
                     &p);
    rc = root_name_taken(WASI, c, A32(2), A32(3), A32(4), rc);
    if (rc == WE_SUCCESS && p.node) {
        if (!(rc = wb_tsym_new_ok(p.node, target)))
            rc = wb_tfs_symlink(p.node, p.last, target, p.slash);
    } else if (rc == WE_SUCCESS &&
               !(rc = wb_symlink_new_ok(p.fd, &d->root, target))) {
        rc = host_err(symlinkat(target, p.fd, host_last(&p, name)));
    }
    put_parent(&p);
    return created(WASI, c, r, rc);
}

/* Following a symlink source: resolve it beneath the grant first, then
 * link the inode we hold, never a host path. */
static int link_follow(int srcfd, const parent *to)
{
    char name[NAME_MAX + 2], proc[64];
    host_last(to, name);
    int rc = linkat(srcfd, "", to->fd, name, AT_EMPTY_PATH);
    if (rc != 0 && (errno == ENOENT || errno == EPERM)) {
        snprintf(proc, sizeof proc, "/proc/self/fd/%d", srcfd);
        rc = linkat(AT_FDCWD, proc, to->fd, name, AT_SYMLINK_FOLLOW);
    }
    if (rc == 0)
        return WE_SUCCESS;
    /* Under the OS lock-down's Landlock (docs/os-sandbox.md) a link of a
     * grant's top directory fails with EXDEV (its parent has no REFER
     * right) where Linux says EPERM (a directory has one name), after
     * EEXIST: say what Linux would. */
    struct stat st;
    if (errno == EXDEV && fstat(srcfd, &st) == 0 && S_ISDIR(st.st_mode))
        return WE_PERM;
    return wb_wasi_errno(errno);
}

/* Without following, a symlink source gets a second name: it must stay
 * inside there too (a trailing slash follows it after all, as Linux). */
static int link_host(wb_fdent *d1, const char *src, bool follow, parent *p1,
                     wb_fdent *d2, parent *p2)
{
    char n1[NAME_MAX + 2], n2[NAME_MAX + 2];
    int rc, sfd;
    if (follow) {
        if ((rc = wb_resolve_open(d1->host, src, O_PATH, 0, true, &sfd)))
            return rc;
        rc = link_follow(sfd, p2);
        close(sfd);
        return rc;
    }
    if ((rc = get_parent(d1, src, p1)))
        return rc;
    if (!p1->slash &&
        (rc = wb_symlink_link_ok(p1->fd, p1->last, p2->fd, &d2->root)))
        return rc;
    return host_err(linkat(p1->fd, host_last(p1, n1), p2->fd,
                           host_last(p2, n2), 0));
}

static int link_tmp(wb_fdent *d1, const char *src, bool follow,
                    const parent *p2)
{
    wb_tpath p1;
    wb_tnode *n;
    int rc;
    if (!follow) {
        if ((rc = wb_tfs_walk(d1->node, src, WB_WALK_PARENT, &p1)))
            return rc;
        if (!p1.slash && (rc = wb_tsym_link_ok(p1.node, p2->node)))
            return rc;
    }
    if ((rc = wb_tfs_lookup(d1->node, src, follow, &n)))
        return rc;
    return wb_tfs_link(n, p2->node, p2->last, p2->slash);
}

WB_WASI_FN(path_link)
{
    wb_fdent *d1, *d2;
    char src[WB_PATH_MAX];
    parent p1 = { .fd = -1 }, p2 = { .fd = -1 };
    bool follow = A32(1) & WL_FOLLOW;
    int rc = dir_arg(WASI, c, A32(0), WR_PATH_LINK_SOURCE, A32(2), A32(3),
                     src, &d1, NULL);
    if (rc == WE_SUCCESS)
        rc = mod_arg(WASI, c, A32(4), WR_PATH_LINK_TARGET, A32(5), A32(6),
                     &d2, &p2);
    /* a link out of a read-only grant would make its file writable */
    if (rc == WE_SUCCESS && d1->ro)
        rc = WE_ROFS;
    if (rc == WE_SUCCESS && !same_fs(d1, d2))
        rc = WE_XDEV;
    if (rc == WE_SUCCESS)
        rc = d1->kind == WB_FD_TMPFS ? link_tmp(d1, src, follow, &p2)
                                     : link_host(d1, src, follow, &p1, d2,
                                                 &p2);
    put_parent(&p1);
    put_parent(&p2);
    return created(WASI, c, r, rc);
}

/* ---- reading paths -------------------------------------------------------- */

/* The target of the link path names, into buf (WB_PATH_MAX bytes). */
static int link_target(wb_fdent *d, const char *path, char *buf, size_t *len)
{
    char name[NAME_MAX + 2];
    parent p;
    wb_tnode *n;
    int rc;
    if (d->kind == WB_FD_VROOT)
        return WE_INVAL;                  /* a directory */
    if (d->kind == WB_FD_TMPFS) {
        if ((rc = wb_tfs_lookup(d->node, path, false, &n)))
            return rc;
        if (wb_tnode_type(n) != WF_SYMLINK)
            return WE_INVAL;
        *len = strlen(wb_tnode_target(n));
        memcpy(buf, wb_tnode_target(n), *len);
        return WE_SUCCESS;
    }
    if ((rc = get_parent(d, path, &p)))
        return rc;
    /* with its trailing slash: "l/" follows l, as readlink(2) does */
    ssize_t got = readlinkat(p.fd, host_last(&p, name), buf, WB_PATH_MAX);
    rc = got < 0 ? wb_wasi_errno(errno) : WE_SUCCESS;
    *len = got < 0 ? 0 : (size_t)got;
    put_parent(&p);
    return rc;
}

WB_WASI_FN(path_readlink)
{
    wb_fdent *d, view;
    char path[WB_PATH_MAX], buf[WB_PATH_MAX];
    uint32_t cap = A32(4);
    size_t len;
    int rc = dir_arg(WASI, c, A32(0), WR_PATH_READLINK, A32(1), A32(2), path,
                     &d, &view);
    uint8_t *out = wb_gptr(c, A32(3), cap);
    if (rc == WE_SUCCESS && (!out || !wb_gptr(c, A32(5), 4)))
        rc = WE_FAULT;
    if (rc == WE_SUCCESS)
        rc = link_target(d, path, buf, &len);
    if (rc == WE_SUCCESS) {
        uint32_t n = len < cap ? (uint32_t)len : cap;
        memcpy(out, buf, n);            /* cut short, as readlink(2) */
        wb_put32(c, A32(5), n);
    }
    return wb_ret(r, rc);
}

WB_WASI_FN(path_filestat_get)
{
    wb_fdent *d, view;
    char path[WB_PATH_MAX];
    wb_fstat st = { 0 };
    int rc = dir_arg(WASI, c, A32(0), WR_PATH_FILESTAT_GET, A32(2), A32(3),
                     path, &d, &view);
    uint8_t *out = wb_gptr(c, A32(4), 64);
    if (rc == WE_SUCCESS && !out)
        rc = WE_FAULT;
    if (rc == WE_SUCCESS && d->kind == WB_FD_VROOT) {
        wb_vroot_stat(d->vnode, &st);
    } else if (rc == WE_SUCCESS && d->kind == WB_FD_TMPFS) {
        wb_tnode *n;
        bool follow = A32(1) & WL_FOLLOW;
        if ((rc = wb_tfs_lookup(d->node, path, follow, &n)) == WE_SUCCESS)
            wb_tfs_stat(n, &st);
    } else if (rc == WE_SUCCESS) {
        int fd;
        struct stat hs;
        rc = wb_resolve_open(d->host, path, O_PATH, 0, A32(1) & WL_FOLLOW, &fd);
        if (rc == WE_SUCCESS) {
            rc = fstat(fd, &hs) ? wb_wasi_errno(errno) : WE_SUCCESS;
            wb_fstat_host(&hs, &st);
            close(fd);
        }
    }
    if (rc == WE_SUCCESS)
        wb_fstat_put(out, &st);
    return wb_ret(r, rc);
}

WB_WASI_FN(path_filestat_set_times)
{
    wb_fdent *d;
    char path[WB_PATH_MAX];
    struct timespec ts[2];
    int rc = dir_arg(WASI, c, A32(0), WR_PATH_FILESTAT_SET_TIMES, A32(2),
                     A32(3), path, &d, NULL);
    if (rc == WE_SUCCESS && d->ro)
        rc = WE_ROFS;
    if (rc == WE_SUCCESS)
        rc = wb_times(A64(4), A64(5), (uint16_t)A32(6), ts);
    if (rc == WE_SUCCESS && d->kind == WB_FD_TMPFS) {
        wb_tnode *n;
        bool follow = A32(1) & WL_FOLLOW;
        if ((rc = wb_tfs_lookup(d->node, path, follow, &n)) == WE_SUCCESS)
            wb_tfs_set_times(n, ts);
    } else if (rc == WE_SUCCESS) {
        int fd;
        bool follow = A32(1) & WL_FOLLOW;
        rc = wb_resolve_open(d->host, path, O_PATH, 0, follow, &fd);
        if (rc == WE_SUCCESS) {
            rc = host_err(utimensat(fd, "", ts, AT_EMPTY_PATH));
            close(fd);
        }
    }
    return wb_ret(r, rc);
}
