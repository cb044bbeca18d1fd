// Escapes through the virtual root "/" (issue 22). Run with --dir
// data:/data --dir ro:/ro:ro --tmpfs /tmp: the root is the last preopen
// (a server's run may have more grants before them: preopen.h). Nothing
// beyond the grants is reached through it, nothing changes through it,
// a grant's name cannot be taken or shadowed there, and a grant's own
// rules (read-only, ".." at its top, host-made links out) hold when it is
// reached through the root. Exit 0 if everything went as expected.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wasi/api.h>
#include "preopen.h"

static __wasi_fd_t ROOT, DATA;

static int bad;
/* argv[1] "workspace": "/" is not the virtual root but the run's own
 * workspace, granted there last (a server's one-shot run,
 * src/session/wb_session_guest.c): no grant is beneath it, ".." at its
 * top is refused, and it is the guest's to write. */
static int ws;

static int via_root(int err)
{
    return ws ? __WASI_ERRNO_NOENT : err;
}
static const __wasi_rights_t ALL = ~0ull;
/* everything but writing, which opens for writing (EROFS there) */
static const __wasi_rights_t NOWRITE = ~(__WASI_RIGHTS_FD_WRITE |
    __WASI_RIGHTS_FD_DATASYNC | __WASI_RIGHTS_FD_ALLOCATE |
    __WASI_RIGHTS_FD_FILESTAT_SET_SIZE);

static void want(const char *what, int got, int err)
{
    if (got != err) {
        printf("%s: errno %d, want %d\n", what, got, err);
        bad = 1;
    }
}

static int open_root(const char *path, __wasi_lookupflags_t lf,
                     __wasi_oflags_t of, __wasi_rights_t rights)
{
    __wasi_fd_t fd;
    int e = __wasi_path_open(ROOT, lf, path, of, rights, rights, 0, &fd);
    if (!e)
        __wasi_fd_close(fd);
    return e;
}

int main(int argc, char **argv)
{
    ws = argc > 1 && !strcmp(argv[1], "workspace");
    __wasi_prestat_t ps;
    char name[4] = { 0 };
    __wasi_fd_t ro, tmp;
    if (!(DATA = preopen("/data", 0)) || !(ro = preopen("/ro", DATA)) ||
        !(tmp = preopen("/tmp", ro)) || !(ROOT = preopen("/", tmp)))
        return 1;
    want("the root is the last preopen", __wasi_fd_prestat_get(ROOT + 1, &ps),
         __WASI_ERRNO_BADF);
    want("the root is /", __wasi_fd_prestat_get(ROOT, &ps) ||
         __wasi_fd_prestat_dir_name(ROOT, (uint8_t *)name, 1) ||
         strcmp(name, "/"), 0);

    /* nothing of the host's "/" is there */
    static const char *const host[] = {
        "etc/passwd", "../etc/passwd", "../../../../etc/passwd", "..",
        "proc/self/root/etc/passwd", "data/../../etc/passwd",
        "data/../../outside/secret", "ro/../../outside/secret",
        "tmp/../../etc/passwd",
    };
    for (size_t i = 0; i < sizeof host / sizeof *host; i++) {
        int e = open_root(host[i], 1, 0, __WASI_RIGHTS_FD_READ);
        if (ws)
            want(host[i], e, host[i][0] == '.' ? __WASI_ERRNO_NOTCAPABLE
                                               : __WASI_ERRNO_NOENT);
        else if (!strcmp(host[i], ".."))
            want("..: the root itself", e, 0);
        else if (e != __WASI_ERRNO_NOENT) {
            printf("%s: errno %d, want ENOENT\n", host[i], e);
            bad = 1;
        }
    }
    /* a grant's own rules hold through the root */
    want("data/sub/../../../outside: the grant refuses",
         open_root("data/sub/../../../outside", 1, 0, 0),
         via_root(__WASI_ERRNO_NOTCAPABLE));
    want("data/sub/../..: the grant refuses", open_root("data/sub/../..", 1,
         __WASI_OFLAGS_DIRECTORY, 0),
         via_root(__WASI_ERRNO_NOTCAPABLE));
    want("data/../data: between the root's names", open_root("data/../data",
         1, __WASI_OFLAGS_DIRECTORY, 0),
         via_root(0));
    want("data/host_rel", open_root("data/host_rel", 1, 0,
         __WASI_RIGHTS_FD_READ),
         via_root(__WASI_ERRNO_NOTCAPABLE));
    want("data/host_abs", open_root("data/host_abs", 1, 0,
         __WASI_RIGHTS_FD_READ),
         via_root(__WASI_ERRNO_NOTCAPABLE));
    want("data/host_dir/secret", open_root("data/host_dir/secret", 1, 0,
         __WASI_RIGHTS_FD_READ),
         via_root(__WASI_ERRNO_NOTCAPABLE));
    /* an fd of a grant reached through the root: ".." stops at its top */
    __wasi_fd_t d;
    want("open data", __wasi_path_open(ws ? DATA : ROOT, 1, ws ? "." : "data",
         __WASI_OFLAGS_DIRECTORY, NOWRITE, ALL, 0, &d), 0);
    __wasi_filestat_t st;
    want("data fd: ..", __wasi_path_filestat_get(d, 1, "..", &st),
         __WASI_ERRNO_NOTCAPABLE);
    want("data fd: ../outside", __wasi_path_filestat_get(d, 1, "../outside",
         &st), __WASI_ERRNO_NOTCAPABLE);
    if (ws) {      /* the rest: the virtual root is read-only, lists grants */
        __wasi_fd_close(d);
        return bad;
    }
    /* and it is read-only, though /data is not */
    want("data fd: mkdir", __wasi_path_create_directory(d, "new"),
         __WASI_ERRNO_ROFS);
    __wasi_fd_t f;
    want("data fd: create", __wasi_path_open(d, 0, "new",
         __WASI_OFLAGS_CREAT, ALL, ALL, 0, &f), __WASI_ERRNO_ROFS);
    want("data fd: set rights grow", __wasi_fd_fdstat_set_rights(d, ALL, ALL),
         __WASI_ERRNO_NOTCAPABLE);
    __wasi_fd_close(d);

    /* nothing changes through the root, in it or in a grant */
    want("create at the root", open_root("x", 0, __WASI_OFLAGS_CREAT,
         __WASI_RIGHTS_FD_WRITE), __WASI_ERRNO_ROFS);
    want("create data at the root", open_root("data", 0, __WASI_OFLAGS_CREAT |
         __WASI_OFLAGS_EXCL, __WASI_RIGHTS_FD_WRITE), __WASI_ERRNO_ROFS);
    want("create in data", open_root("data/new", 0, __WASI_OFLAGS_CREAT,
         __WASI_RIGHTS_FD_WRITE), __WASI_ERRNO_ROFS);
    want("truncate data/file", open_root("data/file", 0, __WASI_OFLAGS_TRUNC,
         __WASI_RIGHTS_FD_WRITE), __WASI_ERRNO_ROFS);
    want("open data/file to write", open_root("data/file", 0, 0,
         __WASI_RIGHTS_FD_WRITE), __WASI_ERRNO_ROFS);
    want("mkdir data2", __wasi_path_create_directory(ROOT, "data2"),
         __WASI_ERRNO_ROFS);
    want("mkdir ro/x", __wasi_path_create_directory(ROOT, "ro/x"),
         __WASI_ERRNO_ROFS);
    want("rmdir tmp", __wasi_path_remove_directory(ROOT, "tmp"),
         __WASI_ERRNO_ROFS);
    want("unlink data/file", __wasi_path_unlink_file(ROOT, "data/file"),
         __WASI_ERRNO_ROFS);
    want("symlink at the root", __wasi_path_symlink("/etc", ROOT, "etc"),
         __WASI_ERRNO_ROFS);
    want("rename a grant's dir onto ro", __wasi_path_rename(DATA, "sub", ROOT,
         "ro"), __WASI_ERRNO_ROFS);
    want("rename the root's data", __wasi_path_rename(ROOT, "data", DATA,
         "moved"), __WASI_ERRNO_ROFS);
    want("link into the root", __wasi_path_link(DATA, 0, "file", ROOT, "f"),
         __WASI_ERRNO_ROFS);
    want("link out of the root", __wasi_path_link(ROOT, 0, "data/file", DATA,
         "f"), __WASI_ERRNO_ROFS);
    want("times", __wasi_path_filestat_set_times(ROOT, 0, "data", 0, 0,
         __WASI_FSTFLAGS_MTIM_NOW), __WASI_ERRNO_ROFS);
    want("root set rights grow", __wasi_fd_fdstat_set_rights(ROOT, ALL, ALL),
         __WASI_ERRNO_NOTCAPABLE);
    /* libc: paths outside the grants reach the root */
    want("open /etc/passwd", open("/etc/passwd", O_RDONLY) < 0 ? errno : 0,
         ENOENT);
    want("creat /data2", open("/data2", O_CREAT | O_WRONLY, 0644) < 0 ? errno
         : 0, EROFS);
    want("mkdir /x", mkdir("/x", 0755) < 0 ? errno : 0, EROFS);
    want("/data still writable", open("/data/mine", O_CREAT | O_WRONLY, 0644)
         < 0 ? errno : 0, 0);
    /* the root lists the grants and nothing else but /dev (its null) */
    uint8_t buf[512];
    __wasi_size_t used;
    want("readdir", __wasi_fd_readdir(ROOT, buf, sizeof buf, 0, &used), 0);
    char seen[128] = "", tops[120], grants[128];
    preopen_tops(tops, sizeof tops);
    snprintf(grants, sizeof grants, ". .. %sdev ", tops);
    for (size_t at = 0; at + sizeof(__wasi_dirent_t) <= used;) {
        __wasi_dirent_t e;
        memcpy(&e, buf + at, sizeof e);
        at += sizeof e;
        snprintf(seen + strlen(seen), sizeof seen - strlen(seen), "%.*s ",
                 (int)e.d_namlen, (char *)buf + at);
        at += e.d_namlen;
    }
    if (strcmp(seen, grants)) {
        printf("the root lists '%s', want '%s'\n", seen, grants);
        bad = 1;
    }
    return bad;
}
