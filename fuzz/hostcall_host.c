/*
 * hostcall_host.c: the host directories every input runs against, under
 * one base directory (on /dev/shm when it can, so resets are cheap):
 *
 *   rw/       the read-write grant: files, a subdirectory, a FIFO, a
 *             socket node, a device, and symlinks (one climbing out to
 *             the canary, one to the outside directory, one absolute);
 *             rebuilt after every input
 *   rw2/      a second read-write grant (a file, a subdirectory), so
 *             renames and links go from one grant to another
 *   ro/       the read-only grant, made once: nothing may ever change
 *   outside/  beside them, holding `canary`: never to be read, changed,
 *             listed or linked to
 *
 * The base, outside/ and the canary carry an access time older than
 * their modification time, so on a relatime mount any read or listing
 * moves it; every check below uses stat only.
 *
 * After an input: everything outside rw/ and rw2/ is as it was; no
 * symlink in either leads out of its grant except through the links the
 * host made there (the user's own, which may move only at their depth;
 * guest links may point at them: docs/grants.md); and they grew by no
 * more than the disk budget charged for it.
 */
#include "hostcall.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define MAX_SNAPS 16
#define MAX_HOSTLINKS 8
#define MAX_DEPTH 1024         /* deeper than any budget lets a guest go */
#define MAX_HOPS 40

typedef struct snap {
    char path[PATH_MAX];
    bool atime;                /* reading it must not happen either */
    struct stat st;
} snap;

typedef struct hostlink {
    ino_t ino;
    int grant, depth;          /* where the host made it */
    bool abs;
} hostlink;

typedef struct isize {
    ino_t ino;
    off_t size;
} isize;

static struct {
    char base[PATH_MAX - 64], rw[2][PATH_MAX], ro[PATH_MAX];
    char out[PATH_MAX], canary[PATH_MAX];
    int rwfd[2];
    snap snaps[MAX_SNAPS];
    int nsnaps;
    hostlink links[MAX_HOSTLINKS];
    int nlinks;
    isize *sizes;              /* the grants' files after the reset */
    size_t nsizes, capsizes;
    long entries;              /* names in them after the reset */
} H;

const char *hc_host_rw(int i) { return H.rw[i]; }
const char *hc_host_ro(void) { return H.ro; }

/* ---- making the trees --------------------------------------------------- */

static void must(int rc, const char *what, const char *name)
{
    if (rc != 0)
        hc_die("setup: %s %s: %s", what, name, strerror(errno));
}

static void note_size(ino_t ino, off_t size);

/* A file of a read-write grant (whose size is noted) or elsewhere. */
static void file_at(int at, const char *name, const char *text)
{
    int fd = openat(at, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    size_t n = strlen(text);
    struct stat st;
    must(fd < 0 || write(fd, text, n) != (ssize_t)n || fstat(fd, &st),
         "write", name);
    close(fd);
    if (at == H.rwfd[0] || at == H.rwfd[1])
        note_size(st.st_ino, st.st_size);
}

/* atime 1000 s, mtime 2000 s: any later read moves atime (relatime). */
static void old_times(const char *path)
{
    struct timespec ts[2] = { { 1000, 0 }, { 2000, 0 } };
    must(utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW), "utimensat",
         path);
}

static void add_snap(const char *path, bool atime)
{
    snap *s = &H.snaps[H.nsnaps++];
    snprintf(s->path, sizeof s->path, "%s", path);
    s->atime = atime;
    must(lstat(path, &s->st), "lstat", path);
}

static void make_ro(void)
{
    int at = open(H.ro, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    must(at < 0, "open", H.ro);
    file_at(at, "r.txt", "read only\n");
    must(mkdirat(at, "rsub", 0755), "mkdir", "rsub");
    file_at(at, "rsub/r2.txt", "r2\n");
    must(symlinkat("../outside", at, "rout"), "symlink", "rout");
    must(mkfifoat(at, "rfifo", 0666), "mkfifo", "rfifo");
    close(at);
    static const char *const names[] = { "", "/r.txt", "/rsub",
                                         "/rsub/r2.txt", "/rout", "/rfifo" };
    char p[PATH_MAX];
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        snprintf(p, sizeof p, "%s%s", H.ro, names[i]);
        add_snap(p, false);
    }
}

void hc_host_cleanup(void)
{
    char cmd[PATH_MAX + 32];
    if (!H.base[0])
        return;
    /* the base holds only what this process made */
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", H.base);
    if (system(cmd) != 0)
        fprintf(stderr, "fuzz_hostcall: could not remove %s\n", H.base);
    H.base[0] = 0;
}

bool hc_host_init(void)
{
    const char *root = getenv("WB_FUZZ_TMP");
    if (!root)
        root = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(H.base, sizeof H.base, "%s/wbfuzz-hostcall.XXXXXX", root);
    if (!mkdtemp(H.base)) {
        fprintf(stderr, "fuzz_hostcall: mkdtemp in %s: %s\n", root,
                strerror(errno));
        H.base[0] = 0;
        return false;
    }
    atexit(hc_host_cleanup);
    snprintf(H.rw[0], sizeof H.rw[0], "%s/rw", H.base);
    snprintf(H.rw[1], sizeof H.rw[1], "%s/rw2", H.base);
    snprintf(H.ro, sizeof H.ro, "%s/ro", H.base);
    snprintf(H.out, sizeof H.out, "%s/outside", H.base);
    snprintf(H.canary, sizeof H.canary, "%s/canary", H.out);
    for (int i = 0; i < 2; i++)
        must(mkdir(H.rw[i], 0755), "mkdir", H.rw[i]);
    must(mkdir(H.ro, 0755), "mkdir", H.ro);
    must(mkdir(H.out, 0755), "mkdir", H.out);
    file_at(AT_FDCWD, H.canary, "CANARY\n");
    make_ro();
    old_times(H.canary);
    old_times(H.out);
    old_times(H.base);
    add_snap(H.canary, true);
    add_snap(H.out, true);
    add_snap(H.base, true);
    for (int i = 0; i < 2; i++) {
        H.rwfd[i] = open(H.rw[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        must(H.rwfd[i] < 0, "open", H.rw[i]);
    }
    hc_host_reset();
    return true;
}

/* Remove everything inside directory `at`, following no link. */
static void clear(int at)
{
    int fd = openat(at, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    must(!d, "opendir", "(rw tree)");
    for (bool any = true; any;) {
        struct dirent *e;
        any = false;
        rewinddir(d);
        while ((e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            any = true;
            if (unlinkat(at, e->d_name, 0) == 0)
                continue;
            int sub = openat(at, e->d_name,
                             O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            must(sub < 0, "open", e->d_name);
            clear(sub);
            close(sub);
            must(unlinkat(at, e->d_name, AT_REMOVEDIR), "rmdir", e->d_name);
        }
    }
    closedir(d);
}

static void host_link(const char *target, const char *name, int depth)
{
    struct stat st;
    must(symlinkat(target, H.rwfd[0], name), "symlink", name);
    must(fstatat(H.rwfd[0], name, &st, AT_SYMLINK_NOFOLLOW), "lstat", name);
    H.links[H.nlinks++] = (hostlink){ st.st_ino, 0, depth, target[0] == '/' };
}

static void build_rw(void)
{
    int at = H.rwfd[0];
    file_at(H.rwfd[1], "a.txt", "in the second grant\n");
    must(mkdirat(H.rwfd[1], "sub", 0755), "mkdir", "sub");
    file_at(H.rwfd[1], "sub/c.txt", "c2\n");
    file_at(at, "a.txt", "hello world\n");
    file_at(at, "b", "");
    must(mkdirat(at, "sub", 0755), "mkdir", "sub");
    file_at(at, "sub/c.txt", "c\n");
    must(mkdirat(at, "sub/deep", 0755), "mkdir", "sub/deep");
    must(mkfifoat(at, "fifo", 0666), "mkfifo", "fifo");
    must(mknodat(at, "sockf", S_IFSOCK | 0666, 0), "mknod", "sockf");
    /* a device where the host allows making one (/dev/zero's numbers) */
    if (mknodat(at, "zero", S_IFCHR | 0666, makedev(1, 5)) != 0)
        file_at(at, "zero", "");
    H.nlinks = 0;
    host_link("../a.txt", "sub/up", 1);
    host_link("a.txt", "in", 0);
    host_link("sub", "subl", 0);
    host_link("loop", "loop", 0);
    host_link("../outside/canary", "out", 0);
    host_link("../outside", "outdir", 0);
    host_link(H.canary, "abs", 0);
}

/* ---- walking the read-write grants ------------------------------------- */

typedef struct walk {
    int grant;                 /* 0: rw/, 1: rw2/ */
    long entries;
    uint64_t growth;           /* bytes the files grew by */
    ino_t *seen;               /* files counted */
    size_t nseen, capseen;
    int stack[MAX_DEPTH];      /* directories from the grant down to here */
    int depth;
} walk;

static bool remember(ino_t **v, size_t *n, size_t *cap, ino_t ino)
{
    for (size_t i = 0; i < *n; i++)
        if ((*v)[i] == ino)
            return false;
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 64;
        *v = realloc(*v, *cap * sizeof **v);
        if (!*v)
            hc_die("out of memory");
    }
    (*v)[(*n)++] = ino;
    return true;
}

static void note_size(ino_t ino, off_t size)
{
    if (H.nsizes == H.capsizes) {
        H.capsizes = H.capsizes ? H.capsizes * 2 : 64;
        H.sizes = realloc(H.sizes, H.capsizes * sizeof *H.sizes);
        if (!H.sizes)
            hc_die("out of memory");
    }
    H.sizes[H.nsizes++] = (isize){ ino, size };
}

static off_t size_before(ino_t ino)
{
    for (size_t i = 0; i < H.nsizes; i++)
        if (H.sizes[i].ino == ino)
            return H.sizes[i].size;
    return 0;                   /* a file the guest made */
}

/* A link the host made, still in its grant, at its depth or absolute
 * (src/wasi/symlink.c lets an absolute one move within its grant, never
 * to another): where it leads is the user's choice. One the guest moved
 * is checked like its own. */
static bool host_made(ino_t ino, int grant, int depth)
{
    for (int i = 0; i < H.nlinks; i++)
        if (H.links[i].ino == ino && H.links[i].grant == grant &&
            (H.links[i].abs || H.links[i].depth == depth))
            return true;
    return false;
}

/* Pop the first component of rest into comp; false when none is left. */
static bool pop_comp(char *rest, char *comp)
{
    char *s = rest;
    while (*s == '/')
        s++;
    if (!*s)
        return false;
    size_t n = strcspn(s, "/");
    if (n > NAME_MAX)
        n = NAME_MAX;
    memcpy(comp, s, n);
    comp[n] = 0;
    memmove(rest, s + n, strlen(s + n) + 1);
    return true;
}

/* What is left of a path past a missing name: lexically, does it climb
 * above the grant from `depth`? */
static bool climbs_out(char *rest, long depth)
{
    char comp[NAME_MAX + 1];
    while (pop_comp(rest, comp)) {
        if (!strcmp(comp, ".."))
            depth--;
        else if (strcmp(comp, "."))
            depth++;
        if (depth < 0)
            return true;
    }
    return false;
}

enum { STAYS, LEADS_OUT };

/* Directories from a grant's root down to where a walk is; the ones it
 * opened itself are closed when it leaves them. */
typedef struct dirs {
    int grant;
    int fd[MAX_DEPTH];
    bool own[MAX_DEPTH];
    int n;
} dirs;

static void leave(dirs *p)
{
    p->n--;
    if (p->own[p->n])
        close(p->fd[p->n]);
}

/* Follow `rest` (a link's name in the directory on top of p, then what
 * the targets of guest links splice in) physically, as the kernel would.
 * A host-made link ends the walk: where it leads is the user's choice. */
static int follow(dirs *p, char *rest)
{
    char comp[NAME_MAX + 1], t[PATH_MAX + NAME_MAX + 2];
    int hops = 0;
    while (pop_comp(rest, comp)) {
        struct stat s;
        int at = p->fd[p->n - 1];
        if (!strcmp(comp, "."))
            continue;
        if (!strcmp(comp, "..")) {
            if (p->n == 1)
                return LEADS_OUT;
            leave(p);
            continue;
        }
        if (fstatat(at, comp, &s, AT_SYMLINK_NOFOLLOW) != 0) {
            snprintf(t, sizeof t, "%s/%s", comp, rest);
            return climbs_out(t, p->n - 1) ? LEADS_OUT : STAYS;
        }
        if (S_ISLNK(s.st_mode)) {
            if (host_made(s.st_ino, p->grant, p->n - 1) || ++hops > MAX_HOPS)
                return STAYS;
            ssize_t k = readlinkat(at, comp, t, PATH_MAX - 1);
            if (k < 0)
                return STAYS;
            t[k] = 0;
            if (t[0] == '/')
                return LEADS_OUT;
            if ((size_t)k + 2 + strlen(rest) >= PATH_MAX)
                return STAYS;            /* ENAMETOOLONG */
            strcat(strcat(t, "/"), rest);
            strcpy(rest, t);
        } else if (S_ISDIR(s.st_mode) && p->n < MAX_DEPTH) {
            int fd = openat(at, comp,
                            O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (fd < 0)
                return STAYS;
            p->fd[p->n] = fd;
            p->own[p->n++] = true;
        } else {
            return STAYS;       /* a file: what follows is ENOTDIR */
        }
    }
    return STAYS;
}

static void check_link(walk *w, const char *name)
{
    static dirs p;
    static char rest[PATH_MAX];
    p.grant = w->grant;
    p.n = w->depth;
    memcpy(p.fd, w->stack, sizeof *p.fd * (size_t)p.n);
    memset(p.own, 0, sizeof p.own);
    snprintf(rest, sizeof rest, "%s", name);
    int rc = follow(&p, rest);
    while (p.n > 0)
        leave(&p);
    if (rc == LEADS_OUT)
        hc_die("symlink %s (depth %d in the grant) leads out of it", name,
            w->depth - 1);
}

static void visit(walk *w, const char *name, const struct stat *s)
{
    w->entries++;
    if (S_ISREG(s->st_mode)) {
        if (remember(&w->seen, &w->nseen, &w->capseen, s->st_ino) &&
            s->st_size > size_before(s->st_ino))
            w->growth += (uint64_t)(s->st_size - size_before(s->st_ino));
    } else if (S_ISLNK(s->st_mode) &&
               !host_made(s->st_ino, w->grant, w->depth - 1)) {
        check_link(w, name);
    }
}

static void walk_dir(walk *w, int at)
{
    int fd = openat(at, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    struct dirent *e;
    must(!d, "opendir", "(rw tree)");
    if (w->depth == MAX_DEPTH)
        hc_die("the grant is nested deeper than %d", MAX_DEPTH);
    w->stack[w->depth++] = at;
    while ((e = readdir(d))) {
        struct stat s;
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        must(fstatat(at, e->d_name, &s, AT_SYMLINK_NOFOLLOW), "lstat",
             e->d_name);
        visit(w, e->d_name, &s);
        if (S_ISDIR(s.st_mode)) {
            int sub = openat(at, e->d_name,
                             O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            must(sub < 0, "open", e->d_name);
            walk_dir(w, sub);
            close(sub);
        }
    }
    w->depth--;
    closedir(d);
}

/* Walk both grants into w (w->entries and w->growth add up). */
static void walk_grants(walk *w)
{
    for (w->grant = 0; w->grant < 2; w->grant++)
        walk_dir(w, H.rwfd[w->grant]);
    free(w->seen);
}

void hc_host_reset(void)
{
    clear(H.rwfd[0]);
    clear(H.rwfd[1]);
    H.nsizes = 0;
    build_rw();
    if (H.entries == 0) {      /* the same names every time */
        walk w = { .entries = 0 };
        walk_grants(&w);
        H.entries = w.entries;
    }
}

/* path (of an fd, from /proc) is a grant's directory or lies below it
 * (an unlinked file's too: it reads "DIR/NAME (deleted)"). */
bool hc_host_inside(const char *path)
{
    const char *dirs[] = { H.rw[0], H.rw[1], H.ro };
    for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++) {
        size_t n = strlen(dirs[i]);
        if (!strncmp(path, dirs[i], n) &&
            (path[n] == 0 || path[n] == '/'))
            return true;
    }
    return false;
}

/* ---- after an input ----------------------------------------------------- */

static bool same_time(struct timespec a, struct timespec b)
{
    return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

static void check_snap(const snap *s)
{
    struct stat now;
    const char *what = NULL;
    if (lstat(s->path, &now) != 0)
        what = "is gone";
    else if (now.st_ino != s->st.st_ino || now.st_mode != s->st.st_mode)
        what = "was replaced";
    else if (now.st_nlink != s->st.st_nlink)
        what = "got or lost a hard link";
    else if (now.st_size != s->st.st_size)
        what = "changed size";
    else if (!same_time(now.st_mtim, s->st.st_mtim) ||
             !same_time(now.st_ctim, s->st.st_ctim))
        what = "was changed";
    else if (s->atime && !same_time(now.st_atim, s->st.st_atim))
        what = "was read or listed";
    if (what)
        hc_die("outside the read-write grants, %s %s", s->path, what);
}

void hc_host_check(uint64_t other, uint64_t charged, uint64_t slack)
{
    for (int i = 0; i < H.nsnaps; i++)
        check_snap(&H.snaps[i]);
    walk w = { .entries = 0 };
    walk_grants(&w);
    if (w.entries > H.entries)
        w.growth += (uint64_t)(w.entries - H.entries) * HC_CREATE_COST;
    if (w.growth + other > charged + slack)
        hc_die("disk: the grants grew by %llu bytes (host %llu, tmpfs %llu) "
            "but only %llu were charged",
            (unsigned long long)(w.growth + other),
            (unsigned long long)w.growth, (unsigned long long)other,
            (unsigned long long)charged);
}
