// Links on a tmpfs (issue 22) must not lead out of it: run with --tmpfs
// /data and --tmpfs /other. Symlinks that climb above the tmpfs are
// refused when made, moved or given a second name; resolution never goes
// above the tmpfs (nor above the directory an fd names); hard links and
// renames between two tmpfs are EXDEV; loops end with ELOOP. With the
// argument "space" (and --tmpfs /data:64K): names given back are reusable
// (nothing of the size leaks through links). Exit 0 if everything went as
// expected, else the failures are printed.
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wasi/api.h>
#include "want.h"

static void put(const char *p, const char *s)
{
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, s, strlen(s)) < 0) {
        printf("cannot write %s\n", p);
        bad = 1;
    }
    if (fd >= 0) close(fd);
}

static void reads(const char *p, const char *s)
{
    char buf[64] = { 0 };
    int fd = open(p, O_RDONLY);
    if (fd < 0 || read(fd, buf, sizeof buf - 1) < 0 || strcmp(buf, s)) {
        printf("%s: cannot read '%s' (%s)\n", p, s, strerror(errno));
        bad = 1;
    }
    if (fd >= 0) close(fd);
}

static void not_opened(const char *p, int err)
{
    int fd = open(p, O_RDONLY);
    want(p, fd < 0 ? -1 : 0, err);
    if (fd >= 0) close(fd);
}

enum { LINKS, SYMLINKS, LINKS_TO_F1 };

/* Names made in /data/d until the tmpfs is full: hard links to f0 and
 * f1 by turns (or to f1 only), or symlinks to them. */
static int fill(int how)
{
    char p[64], t[16];
    bool sym = how == SYMLINKS;
    int n = 0;
    for (;; n++) {
        snprintf(p, sizeof p, "/data/d/l%d", n);
        snprintf(t, sizeof t, sym ? "../f%d" : "/data/f%d",
                 how == LINKS_TO_F1 ? 1 : n % 2);
        if ((sym ? symlink(t, p) : link(t, p)) != 0)
            break;
    }
    want("filled", -1, ENOSPC);
    return n;
}

/* Remove the n names fill made: by pairs, the first renamed over the
 * second, then that one unlinked (LINKS_TO_F1: all unlinked, a rename
 * between two names of one file changing nothing). */
static void clear(int how, int n)
{
    char a[64], b[64];
    for (int i = 0; i < n; i += 2) {
        snprintf(a, sizeof a, "/data/d/l%d", i);
        snprintf(b, sizeof b, "/data/d/l%d", i + 1);
        if (i + 1 == n) {
            want(a, unlink(a), 0);
            break;
        }
        want(a, how == LINKS_TO_F1 ? unlink(a) : rename(a, b), 0);
        want(b, unlink(b), 0);
    }
}

static void same(const char *what, int n, int again)
{
    if (n != again || n < 50) {
        printf("%s: %d names fit, then %d\n", what, n, again);
        bad = 1;
    }
}

/* The size under links, with --tmpfs /data:64K: once names are gone,
 * however they went (unlinked, renamed over, their file's last name
 * removed while open), as many fit again. */
static int space(void)
{
    put("/data/f0", "zero");
    put("/data/f1", "one");
    want("mkdir d", mkdir("/data/d", 0755), 0);
    int links = fill(LINKS);
    clear(LINKS, links);
    int syms = fill(SYMLINKS);
    clear(SYMLINKS, syms);
    same("hard links", links, fill(LINKS));
    clear(LINKS, links);
    same("symlinks", syms, fill(SYMLINKS));
    clear(SYMLINKS, syms);
    /* f0 loses its name while open: its space comes back at close */
    int base = fill(LINKS_TO_F1);
    clear(LINKS_TO_F1, base);
    int fd = open("/data/f0", O_RDWR);
    want("open f0", fd < 0 ? -1 : 0, 0);
    want("unlink f0", unlink("/data/f0"), 0);
    int held = fill(LINKS_TO_F1);
    clear(LINKS_TO_F1, held);
    close(fd);
    int freed = fill(LINKS_TO_F1);
    clear(LINKS_TO_F1, freed);
    if (freed <= held) {
        printf("f0 open and nameless: %d names fit, %d once closed\n",
               held, freed);
        bad = 1;
    }
    put("/data/f0", "zero");
    same("with f0 made again", base, fill(LINKS_TO_F1));
    return bad;
}

int main(int argc, char **argv)
{
    char p[512];
    if (argc > 1 && !strcmp(argv[1], "space"))
        return space();
    put("/data/file", "top");
    want("mkdir a", mkdir("/data/a", 0755), 0);
    want("mkdir a/b", mkdir("/data/a/b", 0755), 0);
    put("/other/o", "other");

    /* made: refused when it would climb out of the tmpfs */
    want("up -> ..", symlink("..", "/data/up"), EPERM);
    want("l -> ../../", symlink("../../", "/data/l"), EPERM);
    want("a/b/l -> ../../../other/o", symlink("../../../other/o", "/data/a/b/l"), EPERM);
    want("absolute", symlink("/other/o", "/data/abs"), EPERM);
    want("/../etc/passwd", symlink("/../etc/passwd", "/data/etc"), EPERM);
    want("a/.. after a name", symlink("a/../..", "/data/a/l"), EPERM);
    want("a/b/ok -> ../../file", symlink("../../file", "/data/a/b/ok"), 0);
    want("a/up -> ..", symlink("..", "/data/a/up"), 0);
    reads("/data/a/b/ok", "top");
    reads("/data/a/up/a/up/a/up/file", "top");
    /* a chain of links, each inside, never gets further */
    want("c1 -> a/up", symlink("a/up", "/data/c1"), 0);
    want("a/c2 -> ../c1", symlink("../c1", "/data/a/c2"), 0);
    reads("/data/a/c2/file", "top");
    not_opened("/data/a/c2/../../other/o", ENOTCAPABLE);
    not_opened("/data/a/up/..", ENOTCAPABLE);
    not_opened("/data/c1/../../etc/passwd", ENOTCAPABLE);

    /* from an fd of a/b, its links may not climb above a/b */
    int b = open("/data/a/b", O_RDONLY | O_DIRECTORY);
    int fd = openat(b, "ok", O_RDONLY);
    want("ok from an fd of a/b", fd < 0 ? -1 : 0, ENOTCAPABLE);
    if (fd >= 0) close(fd);
    want("symlinkat ../../../x from a/b", symlinkat("../../../x", b, "x"), EPERM);

    /* moved or linked where it would climb out: refused */
    want("rename a/b/ok to the top", rename("/data/a/b/ok", "/data/ok"), EPERM);
    want("rename a/b to the top", rename("/data/a/b", "/data/b"), EPERM);
    want("link a/b/ok at the top", link("/data/a/b/ok", "/data/ok2"), EPERM);
    want("rename a/b/ok within a/b", rename("/data/a/b/ok", "/data/a/b/ok3"), 0);
    want("mkdir d", mkdir("/data/d", 0755), 0);
    want("rename a/b to d/b (same depth)", rename("/data/a/b", "/data/d/b"), 0);
    reads("/data/d/b/ok3", "top");
    want("link d/b/ok3 deeper", link("/data/d/b/ok3", "/data/d/b/ok4"), 0);
    /* following the link, the file itself gets the name */
    want("link following", linkat(AT_FDCWD, "/data/d/b/ok3", AT_FDCWD, "/data/f2",
                                  AT_SYMLINK_FOLLOW), 0);
    struct stat st;
    want("stat f2", stat("/data/f2", &st), 0);
    if (st.st_nlink != 2 || !S_ISREG(st.st_mode)) {
        printf("f2: nlink %d, want 2, a file\n", (int)st.st_nlink);
        bad = 1;
    }

    /* two tmpfs share nothing */
    want("link to the other tmpfs", link("/data/file", "/other/file"), EXDEV);
    want("rename to the other tmpfs", rename("/data/file", "/other/file"), EXDEV);
    want("symlink into the other", symlink("../other/o", "/data/x"), EPERM);

    /* loops: ELOOP, a long chain too */
    want("loop a", symlink("lb", "/data/la"), 0);
    want("loop b", symlink("la", "/data/lb"), 0);
    not_opened("/data/la", ELOOP);
    want("n0", symlink("file", "/data/n0"), 0);
    for (int i = 1; i <= 40; i++) {
        char t[16];
        snprintf(t, sizeof t, "n%d", i - 1);
        snprintf(p, sizeof p, "/data/n%d", i);
        want(p, symlink(t, p), 0);
    }
    reads("/data/n39", "top");
    not_opened("/data/n40", ELOOP);
    /* a link to its own directory: each pass through it counts */
    want("self -> .", symlink(".", "/data/self"), 0);
    for (int n = 40; n <= 41; n++) {
        strcpy(p, "/data");
        for (int i = 0; i < n; i++)
            strcat(p, "/self");
        strcat(p, "/file");
        if (n == 40)
            reads(p, "top");
        else
            not_opened(p, ELOOP);
    }
    fd = open("/data/n0", O_RDONLY | O_NOFOLLOW);
    want("O_NOFOLLOW", fd < 0 ? -1 : 0, ELOOP);
    if (fd >= 0) close(fd);

    /* deeper than the check of a moved tree goes: EXDEV (copy instead) */
    strcpy(p, "/data/tall");
    for (int i = 0; i < 70 && mkdir(p, 0755) == 0; i++)
        strcat(p, "/d");
    want("rename a 70-level tree", rename("/data/tall", "/data/d/tall"), EXDEV);
    return bad;
}
