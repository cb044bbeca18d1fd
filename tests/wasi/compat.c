// RUN compat_tmpfs: --tmpfs /t --dir $T/o:/o -- $WASM
// RUN compat_host: --dir $T/d:/t --dir $T/o:/o -- $WASM
// LINK: scripts/guests/compat/*.c
// SETUP: mkdir -p d o && echo other > o/x
// SETUP: ln -s /o d/abs && ln -s ../o d/out && ln -s /etc/x d/etc
// libwbcompat (scripts/guests/compat/), the guests' corrections to
// Debian's wasi-libc of 2022 (issue 22 item 2): utimensat/futimens with
// NULL or UTIME_NOW set "now" (not 1970) and UTIME_OMIT keeps a time;
// chdir/getcwd keep a normal form and ".." crosses from one grant to
// another and to the virtual root; the current directory is physical
// (links resolved as Linux does). Same output on a tmpfs and a host
// grant, but for the host's own links (made by SETUP: an absolute one and
// one climbing out of the grant), which a guest cannot make on a tmpfs.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>

#define OLD 1000000000LL

static long long now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return t.tv_sec;
}

/* "old", "now" or the raw time, for one timestamp */
static const char *when(const struct timespec *t)
{
    static char buf[2][32];
    static int i;
    i ^= 1;
    if (t->tv_sec == OLD)
        snprintf(buf[i], sizeof buf[i], "old.%ld", t->tv_nsec);
    else if (t->tv_sec >= now() - 30 && t->tv_sec <= now() + 1)
        snprintf(buf[i], sizeof buf[i], "now");
    else
        snprintf(buf[i], sizeof buf[i], "%lld", (long long)t->tv_sec);
    return buf[i];
}

static void times_of(const char *label, int rc, const char *path, int nofollow)
{
    struct stat st;
    int e = errno;
    printf("%-30s rc %d", label, rc);
    if (rc)
        printf(" errno %d", e);
    if ((nofollow ? lstat(path, &st) : stat(path, &st)) == 0)
        printf("  atime %s mtime %s", when(&st.st_atim), when(&st.st_mtim));
    printf("\n");
}

static void reset(const char *path)
{
    struct timespec old[2] = { { OLD, 5 }, { OLD, 7 } };
    if (utimensat(AT_FDCWD, path, old, AT_SYMLINK_NOFOLLOW))
        printf("reset %s: errno %d\n", path, errno);
}

static void times(void)
{
    const char *f = "/t/f";
    close(open(f, O_CREAT | O_WRONLY, 0644));
    reset(f);
    times_of("explicit", 0, f, 0);
    times_of("utimensat NULL", utimensat(AT_FDCWD, f, NULL, 0), f, 0);
    reset(f);
    struct timespec on[2] = { { 0, UTIME_OMIT }, { 0, UTIME_NOW } };
    times_of("utimensat OMIT NOW", utimensat(AT_FDCWD, f, on, 0), f, 0);
    reset(f);
    struct timespec no[2] = { { 0, UTIME_NOW }, { 0, UTIME_OMIT } };
    times_of("utimensat NOW OMIT", utimensat(AT_FDCWD, f, no, 0), f, 0);
    reset(f);
    struct timespec oo[2] = { { 0, UTIME_OMIT }, { 0, UTIME_OMIT } };
    times_of("utimensat OMIT OMIT", utimensat(AT_FDCWD, f, oo, 0), f, 0);
    struct timespec nm[2] = { { 0, UTIME_NOW }, { OLD, 123456789 } };
    times_of("utimensat NOW explicit", utimensat(AT_FDCWD, f, nm, 0), f, 0);
    reset(f);
    struct timespec bad[2] = { { 0, UTIME_NOW }, { 5, 1000000000 } };
    times_of("utimensat bad nsec", utimensat(AT_FDCWD, f, bad, 0), f, 0);
    struct timespec neg[2] = { { -5, 0 }, { 0, UTIME_NOW } };
    times_of("utimensat before 1970", utimensat(AT_FDCWD, f, neg, 0), f, 0);
    times_of("utimensat bad flag", utimensat(AT_FDCWD, f, NULL, 0x4000), f, 0);
    times_of("utimensat missing", utimensat(AT_FDCWD, "/t/nope", NULL, 0), f, 0);
    times_of("utimes NULL", utimes(f, NULL), f, 0);
    reset(f);
    times_of("utime NULL", utime(f, NULL), f, 0);
    reset(f);
    int fd = open(f, O_RDWR);
    times_of("futimens NULL", futimens(fd, NULL), f, 0);
    reset(f);
    times_of("futimens NOW OMIT", futimens(fd, no), f, 0);
    reset(f);
    times_of("futimens OMIT NOW", futimens(fd, on), f, 0);
    close(fd);
    /* relative to a directory descriptor, and through a link */
    int d = open("/t", O_RDONLY | O_DIRECTORY);
    reset(f);
    times_of("utimensat dirfd NULL", utimensat(d, "f", NULL, 0), f, 0);
    close(d);
    symlink("f", "/t/l");
    reset(f);
    reset("/t/l");
    times_of("utimensat link NULL", utimensat(AT_FDCWD, "/t/l", NULL, 0), f, 0);
    /* (following a link on the host may update its atime: mtime only) */
    struct stat st;
    printf("%-30s mtime %s\n", "  the link itself",
           lstat("/t/l", &st) ? "?" : when(&st.st_mtim));
    reset(f);
    times_of("utimensat nofollow NULL",
             utimensat(AT_FDCWD, "/t/l", NULL, AT_SYMLINK_NOFOLLOW), "/t/l", 1);
    times_of("  its target", 0, f, 0);
}

static void cd(const char *path)
{
    char buf[128];
    int rc = chdir(path);
    int e = errno;
    printf("chdir %-24s rc %d", path, rc);
    if (rc)
        printf(" errno %d", e);
    printf("  cwd %s\n", getcwd(buf, sizeof buf) ? buf : "?");
}

static void reads(const char *path)
{
    char buf[16] = { 0 };
    int fd = open(path, O_RDONLY);
    int e = errno;
    printf("read %-25s", path);
    if (fd < 0) {
        printf(" errno %d\n", e);
        return;
    }
    ssize_t n = read(fd, buf, sizeof buf - 1);
    printf(" '%.*s'\n", n > 0 ? (int)strcspn(buf, "\n") : 0, buf);
    close(fd);
}

static void dirs(void)
{
    struct stat st;
    mkdir("/t/sub", 0755);
    cd("/");
    cd("..");
    cd("t");
    cd("..");
    cd("t/sub/../sub/.");
    cd("../..");
    cd("/t/sub/");
    int fd = open("/t/f", O_WRONLY);
    write(fd, "data\n", 5);
    close(fd);
    reads("../f");
    reads("../../o/x");
    reads("/t/../o/x");
    reads("/t/sub/../../o/x");
    cd("../../o");
    reads("x");
    cd("/o/../t/./sub");
    printf("%-30s %d\n", "mkdir ../../o/new",
           mkdir("../../o/new", 0755) == 0 && stat("/o/new", &st) == 0 &&
           S_ISDIR(st.st_mode));
    cd("/t/f");
    cd("/t/f/..");
    cd("/xyzzy");
    cd("/xyzzy/..");
    cd("");
    printf("%-30s %d errno %d\n", "stat \"\"", stat("", &st), errno);
    cd("/lib/..");
}

static void link_to(const char *target, const char *path)
{
    if (symlink(target, path))
        printf("symlink %s: errno %d\n", path, errno);
}

/* chdir through links: getcwd() answers the directory reached */
static void links(void)
{
    char name[16], target[16];
    mkdir("/t/proj", 0755);
    mkdir("/t/proj/src", 0755);
    link_to("proj/src", "/t/srclink");
    link_to("srclink", "/t/chain");
    link_to("../../proj", "/t/proj/src/back");
    link_to("loop2", "/t/loop1");
    link_to("loop1", "/t/loop2");
    link_to("nowhere", "/t/dangling");
    link_to("f", "/t/flink");
    cd("/t/srclink");
    reads("../../f");
    /* a ".." out of the grant after a link climbs from its target, and
     * the last name is left for the call to follow or not */
    reads("/t/srclink/../../f");
    reads("/t/srclink/../../o/x");
    reads("/t/../nope/x");
    reads("/t/flink/../../o/x");
    struct stat st;
    printf("%-30s %d\n", "lstat ../../../t/srclink link",
           lstat("../../../t/srclink", &st) == 0 && S_ISLNK(st.st_mode));
    cd("/t");
    cd("srclink");
    cd("/t/chain");
    cd("/t/srclink/back/src/back");
    cd("/t/srclink/..");
    cd("/t");
    cd("srclink/../..");
    cd("/t/srclink/../../..");
    cd("/t/loop1");
    cd("/t/dangling");
    cd("/t/flink");
    cd("/t/flink/..");
    cd("/t/srclink/nope/..");
    cd("/t/srclink/");
    /* 40 links are followed, the 41st is ELOOP */
    link_to("proj", "/t/n0");
    for (int i = 1; i <= 40; i++) {
        snprintf(name, sizeof name, "/t/n%d", i);
        snprintf(target, sizeof target, "n%d", i - 1);
        link_to(target, name);
    }
    cd("/t/n39");
    cd("/t/n40");
    /* the host's links: an absolute target is a path of the guest's tree */
    cd("/t/abs");
    cd("/t/out");
    cd("/t/etc");
}

int main(void)
{
    times();
    dirs();
    links();
    return 0;
}
