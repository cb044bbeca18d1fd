/* wb_posix.c: POSIX calls the shell and busybox's tools use that
 * wasi-libc (0.0~git20220510) lacks, answered as in a sandbox with one
 * user and no permission bits. Linked into dash.wasm and busybox.wasm. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "../compat/wb_compat.h"

/* ---- the one user: id 0 (WASI reports every file as owned by 0) ---- */

uid_t getuid(void) { return 0; }
uid_t geteuid(void) { return 0; }
gid_t getgid(void) { return 0; }
gid_t getegid(void) { return 0; }

int getgroups(int size, gid_t list[])
{
    if (size == 0)
        return 1;
    list[0] = 0;
    return 1;
}

static struct passwd the_user = {
    "user", "x", 0, 0, "sandbox user", "/", "/bin/sh"
};
static char *no_members[] = { NULL };
static struct group the_group = { "user", "x", 0, no_members };

struct passwd *getpwuid(uid_t uid) { return uid == 0 ? &the_user : NULL; }

struct passwd *getpwnam(const char *name)
{
    return strcmp(name, the_user.pw_name) ? NULL : &the_user;
}

static int copy_pw(struct passwd *found, struct passwd *pw, struct passwd **res)
{
    *res = found ? pw : NULL;
    if (found)
        *pw = *found;   /* its strings are static: no buffer needed */
    return 0;
}

int getpwnam_r(const char *name, struct passwd *pw, char *buf, size_t len,
               struct passwd **res)
{
    (void)buf; (void)len;
    return copy_pw(getpwnam(name), pw, res);
}

int getpwuid_r(uid_t uid, struct passwd *pw, char *buf, size_t len,
               struct passwd **res)
{
    (void)buf; (void)len;
    return copy_pw(getpwuid(uid), pw, res);
}

static int pw_done, gr_done;
struct passwd *getpwent(void) { return pw_done++ ? NULL : &the_user; }
void setpwent(void) { pw_done = 0; }
void endpwent(void) { pw_done = 0; }

struct group *getgrgid(gid_t gid) { return gid == 0 ? &the_group : NULL; }

struct group *getgrnam(const char *name)
{
    return strcmp(name, the_group.gr_name) ? NULL : &the_group;
}

struct group *getgrent(void) { return gr_done++ ? NULL : &the_group; }
void setgrent(void) { gr_done = 0; }
void endgrent(void) { gr_done = 0; }

int initgroups(const char *user, gid_t group)
{
    (void)user; (void)group;
    return 0;
}

/* ---- modes and owners: WASI has neither, so nothing changes ---- */

static mode_t cur_umask = 022;

mode_t umask(mode_t mask)
{
    mode_t old = cur_umask;
    cur_umask = mask & 0777;
    return old;
}

/* The file must exist; its (absent) mode stays as it is. */
int chmod(const char *path, mode_t mode)
{
    struct stat st;
    (void)mode;
    return stat(path, &st);
}

int fchmod(int fd, mode_t mode)
{
    struct stat st;
    (void)mode;
    return fstat(fd, &st);
}

int fchmodat(int dirfd, const char *path, mode_t mode, int flags)
{
    struct stat st;
    (void)mode;
    return fstatat(dirfd, path, &st, flags & AT_SYMLINK_NOFOLLOW);
}

int chown(const char *path, uid_t uid, gid_t gid)
{
    (void)uid; (void)gid;
    return chmod(path, 0);
}

int lchown(const char *path, uid_t uid, gid_t gid)
{
    struct stat st;
    (void)uid; (void)gid;
    return lstat(path, &st);
}

int fchown(int fd, uid_t uid, gid_t gid)
{
    (void)uid; (void)gid;
    return fchmod(fd, 0);
}

/* ---- temporary files ---- */

/* Replaces the trailing XXXXXX of tmpl and calls make(path) until it
 * does not fail with EEXIST. */
static int make_unique(char *tmpl, int suffix, int (*make)(const char *, void *),
                       void *ctx)
{
    static const char chars[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    size_t n = strlen(tmpl);
    if (suffix < 0 || n < (size_t)suffix + 6 ||
        memcmp(tmpl + n - suffix - 6, "XXXXXX", 6)) {
        errno = EINVAL;
        return -1;
    }
    char *x = tmpl + n - suffix - 6;
    for (int tries = 0; tries < 1000; tries++) {
        uint8_t r[6];
        arc4random_buf(r, sizeof r);
        for (int i = 0; i < 6; i++)
            x[i] = chars[r[i] % (sizeof chars - 1)];
        int fd = make(tmpl, ctx);
        if (fd >= 0 || errno != EEXIST)
            return fd;
    }
    memcpy(x, "XXXXXX", 6);
    errno = EEXIST;
    return -1;
}

static int make_file(const char *path, void *ctx)
{
    return open(path, O_RDWR | O_CREAT | O_EXCL | *(int *)ctx, 0600);
}

static int make_dir(const char *path, void *ctx)
{
    (void)ctx;
    return mkdir(path, 0700);
}

int mkostemps(char *tmpl, int suffix, int flags)
{
    return make_unique(tmpl, suffix, make_file, &flags);
}

int mkstemp(char *tmpl) { return mkostemps(tmpl, 0, 0); }
int mkostemp(char *tmpl, int flags) { return mkostemps(tmpl, 0, flags); }
int mkstemps(char *tmpl, int suffix) { return mkostemps(tmpl, suffix, 0); }

char *mkdtemp(char *tmpl)
{
    return make_unique(tmpl, 0, make_dir, NULL) < 0 ? NULL : tmpl;
}

/* mktemp(3): a name that did not exist when asked (mktemp -u). */
static int name_free(const char *path, void *ctx)
{
    struct stat st;
    (void)ctx;
    if (lstat(path, &st) == 0) {
        errno = EEXIST;
        return -1;
    }
    return errno == ENOENT ? 0 : -1;
}

char *mktemp(char *tmpl)
{
    if (make_unique(tmpl, 0, name_free, NULL) < 0)
        tmpl[0] = '\0';
    return tmpl;
}

/* ---- what a sandbox may not do ---- */

/* No device nodes or FIFOs on WASI file systems. */
int mknod(const char *path, mode_t mode, dev_t dev)
{
    (void)path; (void)mode; (void)dev;
    errno = ENOSYS;
    return -1;
}

int mkfifo(const char *path, mode_t mode)
{
    return mknod(path, mode, 0);
}

/* The sandbox's clock is the host's; date -s is refused. */
int clock_settime(clockid_t id, const struct timespec *ts)
{
    (void)id; (void)ts;
    errno = EPERM;
    return -1;
}

/* ---- realpath: the walk chdir makes (compat/physical.c) ---- */

char *realpath(const char *path, char *resolved)
{
    char *buf;
    if (!path) {
        errno = EINVAL;
        return NULL;
    }
    if (wb_compat_physical(path, &buf) < 0) {
        free(buf);
        return NULL;
    }
    if (!resolved)
        return buf;
    size_t n = strlen(buf);
    if (n >= PATH_MAX) {
        free(buf);
        errno = ENAMETOOLONG;
        return NULL;
    }
    memcpy(resolved, buf, n + 1);
    free(buf);
    return resolved;
}

/* ---- terminals: there is none ---- */

#include <termios.h>

int tcgetattr(int fd, struct termios *t)
{
    (void)t;
    return isatty(fd) ? 0 : (errno = ENOTTY, -1);
}

int tcsetattr(int fd, int act, const struct termios *t)
{
    (void)act; (void)t;
    return isatty(fd) ? 0 : (errno = ENOTTY, -1);
}

int tcflush(int fd, int queue) { (void)queue; return tcsetattr(fd, 0, NULL); }
int tcdrain(int fd) { return tcsetattr(fd, 0, NULL); }
speed_t cfgetospeed(const struct termios *t) { return t->__c_ospeed; }
speed_t cfgetispeed(const struct termios *t) { return t->__c_ispeed; }
int cfsetospeed(struct termios *t, speed_t s) { t->__c_ospeed = s; return 0; }
int cfsetispeed(struct termios *t, speed_t s) { t->__c_ispeed = s; return 0; }

void cfmakeraw(struct termios *t)
{
    t->c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
    t->c_oflag &= ~(tcflag_t)OPOST;
    t->c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
    t->c_cflag = (t->c_cflag & ~(tcflag_t)(CSIZE | PARENB)) | CS8;
}
