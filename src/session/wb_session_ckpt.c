/* wb_session_ckpt.c: the generations of a shared session's checkpoint on
 * disk (docs/scale-out.md, "Fencing").
 *
 * A session that is not shared keeps one copy, ckpt/python.snap (and
 * python.base.snap under a layer), renamed over after each step. A shared
 * one keeps ckpt/python.G.snap (and python.G.base.snap), G the number of
 * the lease under which it was written (its generation, the fence's),
 * and puts it there with link(2), not rename: each generation's name is
 * made once, by whoever comes first. That is the step's own replica when
 * it commits in time. When its lease lapsed instead (a replica frozen past
 * its expiry, or killed), the replica that takes the session over seals
 * that generation before it reads anything (an empty file under the
 * name), and the late commit fails with EEXIST: the late step's
 * checkpoint is either in before the takeover, and the new holder goes
 * on from it, or never. A reader (the lease's holder) takes the highest
 * generation; a seal sends it to the one below, a "none" record (the
 * state was lost: the next interpreter starts afresh) ends the search.
 *
 * After a commit of generation G, the checkpoints below G are swept, not
 * the seals: a late writer can be late by any time, and its seal must
 * be there to fail it (one empty file per lapsed lease, gone with the
 * session). Should a seal go all the same (by hand), a generation is
 * swept only once a higher one exists: so a writer also checks, right
 * after its link, that none is higher, and takes its file back
 * otherwise. The legacy names are generation 0 (a fork's first
 * checkpoint, a session made before --shared-state).
 *
 * Generations and lease numbers cannot disagree: a lease is taken above
 * the highest generation named (http_lease.c), and only regular files
 * count as generations (a directory, FIFO or symlink under such a name
 * is damage, ignored). A session that is not shared reads the newest
 * checkpoint as a shared one does, and writes the legacy names only
 * while no generation is named; after a shared server it writes the
 * generation above the highest (linked, as a shared one), so that
 * switching modes never goes back to an older copy. */
#include "session/wb_session.h"
#include "common/file.h"
#include "snapshot/ckpt.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define NONE_REC "wasmbox-checkpoint none\n"   /* the state was lost */
#define GEN_DIGITS_MAX 18          /* as lease numbers (http_lease.c) */
#define GEN_MAX 999999999999999999LL /* the largest of GEN_DIGITS_MAX */

void wb_sess_ckpt_names(int64_t gen, char *name, char *base, size_t cap)
{
    if (gen <= 0) {
        snprintf(name, cap, "%s", WB_SESS_CKPT_FILE);
        snprintf(base, cap, "%s", WB_SESS_CKPT_BASE);
        return;
    }
    snprintf(name, cap, "python.%" PRId64 ".snap", gen);
    snprintf(base, cap, "python.%" PRId64 ".base.snap", gen);
}

/* G of "python.G<suffix>" (0 for the legacy "python<suffix>"); -1 for
 * any other name, and for G = GEN_MAX, above every lease (http_lease.c). */
static int64_t parse_gen(const char *name, const char *suffix)
{
    if (strncmp(name, "python", 6))
        return -1;
    const char *p = name + 6;
    if (!strcmp(p, suffix))
        return 0;
    if (*p++ != '.')
        return -1;
    size_t n = strspn(p, "0123456789");
    if (n == 0 || n > GEN_DIGITS_MAX || p[0] == '0' || strcmp(p + n, suffix))
        return -1;
    int64_t g = strtoll(p, NULL, 10);
    return g < GEN_MAX ? g : -1;     /* no lease reaches GEN_MAX: by hand */
}

/* A listing of directory dfd from its start (dfd stays open); NULL. */
static DIR *list_of(int dfd)
{
    int fd = dup(dfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d && fd >= 0)
        close(fd);
    if (d)
        rewinddir(d);
    return d;
}

/* The generations that have a name in dfd, highest first; -1 on error
 * (*n 0). Only regular files count: nothing of ours is anything else,
 * so another kind of entry (a directory, FIFO, symlink) is damage that
 * must neither pass for a checkpoint nor for a higher generation; their
 * number goes to *damaged (may be NULL). */
static int list_gens(int dfd, int64_t **out, size_t *n, unsigned *damaged)
{
    DIR *d = list_of(dfd);
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    if (damaged)
        *damaged = 0;
    if (!d)
        return -1;
    struct dirent *de;
    while ((de = readdir(d))) {
        int64_t g = parse_gen(de->d_name, ".snap");
        struct stat sb;
        if (g < 0)
            continue;
        if (de->d_type != DT_REG &&
            (de->d_type != DT_UNKNOWN ||
             fstatat(dirfd(d), de->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0 ||
             !S_ISREG(sb.st_mode))) {
            if (damaged)
                (*damaged)++;
            continue;
        }
        if (*n == cap) {
            int64_t *m = realloc(*out, (cap = cap * 2 + 8) * sizeof *m);
            if (!m)
                break;
            *out = m;
        }
        (*out)[(*n)++] = g;
    }
    closedir(d);
    for (size_t i = 1; i < *n; i++)            /* a handful: insertion */
        for (size_t j = i; j > 0 && (*out)[j - 1] < (*out)[j]; j--) {
            int64_t t = (*out)[j];
            (*out)[j] = (*out)[j - 1];
            (*out)[j - 1] = t;
        }
    return 0;
}

enum { K_SKIP, K_NONE, K_SNAP };

/* What generation file `name` holds: a checkpoint, the "none" record,
 * or nothing to go on from (a seal; anything that is not a regular
 * file, which is damage: skipped as a seal is). */
static int kind_of(int dfd, const char *name)
{
    int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
                    O_CLOEXEC);
    struct stat sb;
    char buf[sizeof NONE_REC];
    int k = K_SKIP;
    if (fd >= 0 && fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) &&
        sb.st_size > 0)
        k = sb.st_size == sizeof NONE_REC - 1 &&
            pread(fd, buf, sizeof buf, 0) == sizeof NONE_REC - 1 &&
            !memcmp(buf, NONE_REC, sizeof NONE_REC - 1) ? K_NONE : K_SNAP;
    if (fd >= 0)
        close(fd);
    return k;
}

int wb_sess_ckpt_best(int dfd, char *name, char *base, size_t cap)
{
    int64_t *gens;
    size_t n;
    int found = 0;
    if (list_gens(dfd, &gens, &n, NULL) != 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        wb_sess_ckpt_names(gens[i], name, base, cap);
        int k = kind_of(dfd, name);
        if (k == K_SKIP)
            continue;
        found = k == K_SNAP;
        break;
    }
    free(gens);
    return found;
}

int wb_sess_ckpt_find(const wb_session *s, int dfd, char *name, char *base,
                      size_t cap)
{
    (void)s;              /* both modes read the newest, however named */
    return wb_sess_ckpt_best(dfd, name, base, cap);
}

int64_t wb_sess_ckpt_top(int dfd, unsigned *damaged)
{
    int64_t *gens;
    size_t n;
    if (list_gens(dfd, &gens, &n, damaged) != 0)
        return -1;
    int64_t top = n ? gens[0] : 0;
    free(gens);
    return top;
}

/* Is there a generation above gen? (Then ours lapsed: see the top.) */
static bool higher(int dfd, int64_t gen)
{
    int64_t top = wb_sess_ckpt_top(dfd, NULL);
    return top < 0 || top > gen;
}

/* Is dfd's `name` a seal (an empty regular file)? */
static bool sealed(int dfd, const char *name)
{
    struct stat sb;
    return fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
           S_ISREG(sb.st_mode) && sb.st_size == 0;
}

/* Remove the files of the generations below gen (the legacy names too),
 * but their seals. */
static void sweep(int dfd, int64_t gen)
{
    DIR *d = list_of(dfd);
    struct dirent *de;
    while (d && (de = readdir(d))) {
        int64_t g = parse_gen(de->d_name, ".snap");
        bool seal = g >= 0 && sealed(dirfd(d), de->d_name);
        if (g < 0)
            g = parse_gen(de->d_name, ".base.snap");
        if (g >= 0 && g < gen && !seal)
            unlinkat(dirfd(d), de->d_name, 0);
    }
    if (d)
        closedir(d);
}

/* After generation gen's name was made (st WB_OK): take it back when a
 * higher generation exists, else sweep below it. */
static wb_status settle(int dfd, int64_t gen, wb_status st, wb_error *err)
{
    char name[64], base[64];
    wb_sess_ckpt_names(gen, name, base, sizeof name);
    if (st == WB_E_BUSY || (!st && higher(dfd, gen))) {
        if (!st)
            unlinkat(dfd, name, 0);
        unlinkat(dfd, base, 0);          /* ours alone, whatever happened */
        return wb_err_set(err, WB_E_BUSY, "generation %" PRId64 " of the "
                          "checkpoint was sealed", gen);
    }
    if (!st)
        sweep(dfd, gen);
    return st;
}

/* The generation a commit may use: the fence's, while it is open. */
static int64_t commit_gen(const wb_fence *f, wb_error *err)
{
    int64_t gen = wb_fence_gen(f);
    if (gen > 0 && wb_fence_open(f))
        return gen;
    wb_err_set(err, WB_E_BUSY, "the session's lease was lost");
    return 0;
}

wb_status wb_sess_ckpt_commit(int dfd, const wb_fence *f, const wb_ckpt *c,
                              wb_error *err)
{
    char name[64], base[64];
    int64_t gen = commit_gen(f, err);
    if (!gen)
        return WB_E_BUSY;
    wb_sess_ckpt_names(gen, name, base, sizeof name);
    return settle(dfd, gen, wb_ckpt_commit(c, dfd, name, base, err), err);
}

/* The generation a session that is not shared writes: none (0, the
 * legacy names, renamed over) while no generation is named in dfd;
 * otherwise the one above the highest, so that a shared replica that
 * reads the session later goes on from this copy, not an older one
 * (docs/scale-out.md, "Switching modes"); -1 on error. */
static int64_t plain_gen(int dfd, wb_error *err)
{
    int64_t top = wb_sess_ckpt_top(dfd, NULL);
    if (top < 0)
        wb_err_set(err, WB_E_IO, "cannot list the checkpoints: %s",
                   strerror(errno));
    else if (top >= GEN_MAX - 1) {
        wb_err_set(err, WB_E_IO, "the checkpoint's generations are used up"
                   " (a file was made by hand)");
        return -1;
    }
    return top > 0 ? top + 1 : top;
}

wb_status wb_sess_ckpt_persist(int dfd, const wb_ckpt *c, wb_error *err)
{
    char name[64], base[64];
    int64_t gen = plain_gen(dfd, err);
    if (gen < 0)
        return WB_E_IO;
    if (gen == 0)
        return wb_ckpt_persist(c, dfd, WB_SESS_CKPT_FILE, WB_SESS_CKPT_BASE,
                               err);
    wb_sess_ckpt_names(gen, name, base, sizeof name);
    return settle(dfd, gen, wb_ckpt_commit(c, dfd, name, base, err), err);
}

/* `len` bytes of `data` (maybe none) as a new temporary file of dfd
 * linked to `name`: WB_OK, WB_E_BUSY (it exists), WB_E_IO. */
static wb_status link_file(int dfd, const char *name, const char *data,
                           size_t len, wb_error *err)
{
    char tmp[64];
    uint32_t r = 0;
    if (getrandom(&r, sizeof r, 0) != sizeof r)
        r = (uint32_t)getpid();
    snprintf(tmp, sizeof tmp, ".python.rec.%08x", r);
    int fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
                    O_CLOEXEC, 0600);
    bool ok = fd >= 0 && write(fd, data, len) == (ssize_t)len &&
              fsync(fd) == 0;
    int e = errno;
    if (fd >= 0)
        close(fd);
    if (ok && wb_file_link_new(dfd, tmp, name) != 0) {
        ok = false;
        e = errno;
    }
    if (fd >= 0)
        unlinkat(dfd, tmp, 0);
    if (ok && fsync(dfd) != 0) {
        ok = false;
        e = errno;
    }
    if (ok)
        return WB_OK;
    if (e == EEXIST)
        return wb_err_set(err, WB_E_BUSY, "%s exists", name);
    return wb_err_set(err, WB_E_IO, "cannot write %s: %s", name,
                      strerror(e));
}

wb_status wb_sess_ckpt_commit_none(int dfd, const wb_fence *f, wb_error *err)
{
    char name[64], base[64];
    int64_t gen = commit_gen(f, err);
    if (!gen)
        return WB_E_BUSY;
    wb_sess_ckpt_names(gen, name, base, sizeof name);
    return settle(dfd, gen, link_file(dfd, name, NONE_REC,
                                      sizeof NONE_REC - 1, err), err);
}

wb_status wb_sess_ckpt_forget(int dfd, wb_error *err)
{
    char name[64], base[64];
    int64_t gen = plain_gen(dfd, err);
    if (gen < 0)
        return WB_E_IO;
    if (gen == 0) {
        unlinkat(dfd, WB_SESS_CKPT_FILE, 0);
        unlinkat(dfd, WB_SESS_CKPT_BASE, 0);
        return WB_OK;
    }
    wb_sess_ckpt_names(gen, name, base, sizeof name);
    return settle(dfd, gen, link_file(dfd, name, NONE_REC,
                                      sizeof NONE_REC - 1, err), err);
}

/* The session's ckpt directory (made when missing), not through a
 * symlink; -1 with errno. */
static int ckpt_dir(const wb_session *s)
{
    int root = open(s->root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
                    O_CLOEXEC);
    if (root < 0)
        return -1;
    if (mkdirat(root, WB_SESS_CKPT_DIR, 0700) != 0 && errno != EEXIST) {
        int e = errno;
        close(root);
        errno = e;
        return -1;
    }
    int dfd = openat(root, WB_SESS_CKPT_DIR, O_RDONLY | O_DIRECTORY |
                     O_NOFOLLOW | O_CLOEXEC);
    int e = errno;
    close(root);
    errno = e;
    return dfd;
}

wb_status wb_sess_ckpt_seal(wb_session *s, int64_t gen, wb_error *err)
{
    char name[64], base[64];
    if (gen <= 0)
        return WB_OK;
    int dfd = ckpt_dir(s);
    if (dfd < 0)
        return wb_err_set(err, WB_E_IO, "cannot seal its checkpoint: %s/%s:"
                          " %s", s->root, WB_SESS_CKPT_DIR, strerror(errno));
    wb_sess_ckpt_names(gen, name, base, sizeof name);
    wb_status st = link_file(dfd, name, "", 0, err);
    close(dfd);
    /* made first by the late holder: its commit is in, and is the state */
    return st == WB_E_BUSY ? WB_OK : st;
}

void wb_sess_ckpt_drop_temps(int dfd)
{
    DIR *d = list_of(dfd);
    struct dirent *de;
    while (d && (de = readdir(d)))
        if (!strncmp(de->d_name, ".python.", 8))
            unlinkat(dirfd(d), de->d_name, 0);
    if (d)
        closedir(d);
}
