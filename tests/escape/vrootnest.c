// Nested grants under the virtual root (issue 22): run with --dir
// data:/data --tmpfs /data/sub --dir ro:/data/sub/ro:ro, so the preopens
// are the host grant, the tmpfs mounted over its "sub", the read-only
// grant mounted over the tmpfs's "ro", then the root (a server's run may
// have more grants before them: preopen.h). What the guest does to the
// names beneath one grant never moves another: an inner grant is not
// shadowed or redirected by the outer one's entries, nor the outer one
// reached from the inner one by "..", and the read-only grant stays
// read-only whatever is made around it. Exit 0 if all went as expected.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wasi/api.h>
#include "preopen.h"

static __wasi_fd_t DATA, SUB, RO, ROOT;

static int bad;
/* argv[1] "workspace": "/" is not the virtual root but the run's own
 * workspace, granted there last (a server's one-shot run,
 * src/session/wb_session_guest.c): no grant is beneath it, so nothing
 * of them is found through it. */
static int ws;

static int via_root(int err)
{
    return ws ? __WASI_ERRNO_NOENT : err;
}
static const __wasi_rights_t RD = __WASI_RIGHTS_FD_READ |
    __WASI_RIGHTS_FD_READDIR | __WASI_RIGHTS_PATH_OPEN |
    __WASI_RIGHTS_FD_FILESTAT_GET | __WASI_RIGHTS_PATH_FILESTAT_GET;

static void want(const char *what, int got, int err)
{
    if (got != err) {
        printf("%s: errno %d, want %d\n", what, got, err);
        bad = 1;
    }
}

/* path_open of path beneath dir for reading: 0 or its errno. */
static int opens(__wasi_fd_t dir, const char *path, __wasi_oflags_t of,
                 __wasi_rights_t rights)
{
    __wasi_fd_t fd;
    int e = __wasi_path_open(dir, 1, path, of, rights, rights, 0, &fd);
    if (!e)
        __wasi_fd_close(fd);
    return e;
}

/* What path (through libc) holds, or "" when it cannot be read. */
static const char *content(const char *path)
{
    static char buf[64];
    memset(buf, 0, sizeof buf);
    int fd = open(path, O_RDONLY);
    if (fd < 0 || read(fd, buf, sizeof buf - 1) < 0)
        buf[0] = 0;
    if (fd >= 0)
        close(fd);
    return buf;
}

static int put(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return errno;
    int rc = write(fd, text, strlen(text)) < 0 ? errno : 0;
    close(fd);
    return rc;
}

int main(int argc, char **argv)
{
    ws = argc > 1 && !strcmp(argv[1], "workspace");
    __wasi_prestat_t ps;
    /* the grants' preopens, the root last */
    if (!(DATA = preopen("/data", 0)) || !(SUB = preopen("/data/sub", 0)) ||
        !(RO = preopen("/data/sub/ro", 0)) || !(ROOT = preopen("/", 0)))
        return 1;
    if (ROOT < DATA || ROOT < SUB || ROOT < RO ||
        __wasi_fd_prestat_get(ROOT + 1, &ps) != __WASI_ERRNO_BADF) {
        printf("the root %u is not the last preopen\n", (unsigned)ROOT);
        return 1;
    }

    /* /data/sub is the tmpfs, not the host's data/sub */
    want("write /data/sub/t", put("/data/sub/t", "tmpfs"), 0);
    want("the host's sub/t", opens(DATA, "sub/t", 0, RD), __WASI_ERRNO_NOENT);
    want("the host's sub/host_deep (its own grant)",
         opens(DATA, "sub/host_deep", 0, RD), __WASI_ERRNO_NOTCAPABLE);
    want("host_deep through the tmpfs", opens(SUB, "host_deep", 0, RD),
         __WASI_ERRNO_NOENT);
    want("host_deep through the root", opens(ROOT, "data/sub/host_deep", 0,
         RD), via_root(__WASI_ERRNO_NOENT));

    /* the outer grant renames its "sub" away and puts links in its place:
     * the nested tmpfs stays where it is */
    want("rename data/sub", __wasi_path_rename(DATA, "sub", DATA, "moved"), 0);
    want("symlink sub -> ../outside", __wasi_path_symlink("../outside", DATA,
         "sub"), __WASI_ERRNO_PERM);
    want("symlink sub -> moved", __wasi_path_symlink("moved", DATA, "sub"), 0);
    if (strcmp(content("/data/sub/t"), "tmpfs")) {
        printf("/data/sub/t reads '%s', want the tmpfs's\n",
               content("/data/sub/t"));
        bad = 1;
    }
    want("root: data/sub/t", opens(ROOT, "data/sub/t", 0, RD), via_root(0));
    want("write /data/sub/u", put("/data/sub/u", "also tmpfs"), 0);
    want("the host's moved/u", opens(DATA, "moved/u", 0, RD),
         __WASI_ERRNO_NOENT);

    /* the tmpfs cannot reach the grant it is mounted in */
    want("tmpfs: ..", opens(SUB, "..", __WASI_OFLAGS_DIRECTORY, RD),
         __WASI_ERRNO_NOTCAPABLE);
    want("tmpfs: ../moved", opens(SUB, "../moved", 0, RD),
         __WASI_ERRNO_NOTCAPABLE);
    want("tmpfs: symlink up -> ..", __wasi_path_symlink("..", SUB, "up"),
         __WASI_ERRNO_PERM);
    want("tmpfs: symlink a -> /data", __wasi_path_symlink("/data", SUB, "a"),
         __WASI_ERRNO_PERM);
    want("tmpfs: link into data", __wasi_path_link(SUB, 0, "t", DATA, "t"),
         __WASI_ERRNO_XDEV);
    want("tmpfs: rename into data", __wasi_path_rename(SUB, "t", DATA, "t"),
         __WASI_ERRNO_XDEV);

    /* the read-only grant inside the tmpfs stays read-only */
    want("tmpfs: mkdir ro", __wasi_path_create_directory(SUB, "ro"), 0);
    want("write /data/sub/x", put("/data/sub/x", "x"), 0);
    want("tmpfs: rename x to ro/x", __wasi_path_rename(SUB, "x", SUB, "ro/x"),
         0);
    want("write /data/sub/ro/x", put("/data/sub/ro/x", "!"), EROFS);
    want("write /data/sub/ro/file.txt", put("/data/sub/ro/file.txt", "!"),
         EROFS);
    if (strcmp(content("/data/sub/ro/file.txt"), "hello\n")) {
        printf("/data/sub/ro/file.txt reads '%s'\n",
               content("/data/sub/ro/file.txt"));
        bad = 1;
    }
    want("ro: ..", opens(RO, "..", __WASI_OFLAGS_DIRECTORY, RD),
         __WASI_ERRNO_NOTCAPABLE);
    want("root: data/sub/ro/file.txt", opens(ROOT, "data/sub/ro/file.txt", 0,
         RD), via_root(0));
    want("root: data/sub/ro/x", opens(ROOT, "data/sub/ro/x", 0, RD),
         via_root(__WASI_ERRNO_NOENT));
    want("root: data/sub/ro/file.txt to write", opens(ROOT,
         "data/sub/ro/file.txt", 0, RD | __WASI_RIGHTS_FD_WRITE),
         via_root(__WASI_ERRNO_ROFS));

    /* ".." through the root moves between the mount points, no further */
    want("root: data/sub/ro/../t", opens(ROOT, "data/sub/ro/../t", 0, RD),
         via_root(0));
    want("root: data/sub/ro/../../moved", opens(ROOT,
         "data/sub/ro/../../moved", __WASI_OFLAGS_DIRECTORY, RD), via_root(0));
    want("root: data/sub/../../outside/secret", opens(ROOT,
         "data/sub/../../outside/secret", 0, RD),
         via_root(__WASI_ERRNO_NOENT));
    want("root: data/sub/ro/dir/../../../../outside", opens(ROOT,
         "data/sub/ro/dir/../../../../outside", 0, RD),
         via_root(__WASI_ERRNO_NOTCAPABLE));
    want("root: data/moved/host_deep", opens(ROOT, "data/moved/host_deep", 0,
         RD), via_root(__WASI_ERRNO_NOTCAPABLE));
    want("root: data/sub/ro/../../../outside/secret", opens(ROOT,
         "data/sub/ro/../../../outside/secret", 0, RD),
         via_root(__WASI_ERRNO_NOENT));
    return bad;
}
