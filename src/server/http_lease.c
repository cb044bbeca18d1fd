/* http_lease.c: the leases of sessions that several `wasmbox serve`
 * replicas share (--shared-state, docs/scale-out.md).
 *
 * A replica runs a request that changes a session (a step, an upload, a
 * fork, a deletion) only while it holds the session's lease: a file
 * <state>/sessions/<id>/lease.N, N counting up from 1. The highest N is
 * the lease; it is held until its record says it was released, its
 * expiry passed, or its holder is seen dead. Taking it creates
 * lease.N+1 with link(2), which fails when the name exists, on NFS as on
 * a local disk: of two replicas that found the same lease free, one
 * wins. Nothing is ever broken or renamed away, so a lease cannot be
 * stolen by a replica that read it a moment too late; the record is
 * rewritten (temporary file and rename over it) only by its holder: to
 * renew it (a thread, every third of the TTL) and to release it.
 *
 * The record names its holder: a random id of the replica process, its
 * host name, boot id, PID namespace, PID and start time. A holder on
 * the same machine and in the same PID namespace is checked directly
 * (a replica killed by SIGKILL frees its leases at once); any other is
 * trusted until its expiry, a wall-clock time: the replicas' clocks
 * must agree to well within the TTL. No live process holds a lease past
 * its expiry, and an expiry more than twice the TTL ahead is damage.
 * A lease is taken above the checkpoint's highest generation too
 * (ckpt_top), so that the two never disagree.
 *
 * N is also the session's generation: a replica that takes lease N+1
 * right after its own lease N knows that nobody changed the session
 * in between, and keeps its warm interpreter; otherwise its copy is
 * stale and it is reloaded from the checkpoint on disk
 * (wb_sess_reload).
 *
 * Fencing (docs/scale-out.md): a lease is lost once its expiry, less a
 * margin of a quarter of the TTL, has passed on this replica's clock
 * without a renewal, or once a higher number exists; it is never renewed
 * after that. The session's fence (session/wb_session_fence.c) says
 * until when commits are allowed, for the worker as for this process,
 * and wb_http_lease_held looks at the files before each commit of the
 * server's own. A lease taken over after it lapsed (not released) has
 * its generation sealed (wb_sess_ckpt_seal, by the caller) before the
 * session is read, so that its late holder's checkpoint cannot land. */
#include "server/http.h"
#include "session/wb_session.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAGIC "wasmbox-lease 1"
#define REC_MAX 1024
#define N_DIGITS_MAX 18            /* N never wraps: longer names are not
                                      leases */
#define N_MAX 999999999999999999LL /* the largest N of N_DIGITS_MAX */

/* This process as a holder (set once by wb_http_lease_init). */
static struct {
    char owner[17], host[65], boot[40], pidns[32];
    long pid;
    unsigned long long start;
} self;

typedef struct lease_rec {
    char owner[17], host[65], boot[40], pidns[32];
    long pid;
    unsigned long long start;
    int64_t expires_ms;            /* 0: released */
} lease_rec;

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Field 22 of /proc/PID/stat, the process's start time; 0: no process. */
static unsigned long long start_time(long pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "re");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')');        /* the name may hold anything */
    unsigned long long t = 0;
    for (int field = 2; p && *p && field < 22; p++)
        if (*p == ' ')
            field++;
    if (p && sscanf(p, "%llu", &t) != 1)
        t = 0;
    return t;
}

static void read_line(const char *path, char *out, size_t cap)
{
    FILE *f = fopen(path, "re");
    out[0] = 0;
    if (f && fgets(out, (int)cap, f))
        out[strcspn(out, "\n")] = 0;
    if (f)
        fclose(f);
}

bool wb_http_lease_init(void)
{
    uint8_t r[8];
    if (getrandom(r, sizeof r, 0) != sizeof r)
        return false;
    for (int i = 0; i < 8; i++)
        snprintf(self.owner + 2 * i, 3, "%02x", r[i]);
    if (gethostname(self.host, sizeof self.host - 1) != 0)
        snprintf(self.host, sizeof self.host, "?");
    self.host[strcspn(self.host, " \n")] = 0;
    read_line("/proc/sys/kernel/random/boot_id", self.boot, sizeof self.boot);
    ssize_t n = readlink("/proc/self/ns/pid", self.pidns,
                         sizeof self.pidns - 1);
    self.pidns[n > 0 ? n : 0] = 0;
    self.pidns[strcspn(self.pidns, " \n")] = 0;
    self.pid = (long)getpid();
    self.start = start_time(self.pid);
    return true;
}

const char *wb_http_lease_self(void)
{
    return self.owner;
}

static int rec_text(char *buf, size_t cap, int64_t expires_ms)
{
    return snprintf(buf, cap, MAGIC "\nowner %s\nhost %s\nboot %s\n"
                    "pidns %s\npid %ld\nstart %llu\nexpires %" PRId64 "\n",
                    self.owner, self.host[0] ? self.host : "?",
                    self.boot[0] ? self.boot : "?",
                    self.pidns[0] ? self.pidns : "?", self.pid, self.start,
                    expires_ms);
}

/* Parse a record; false when it is not one (damage, or not ours). */
static bool rec_parse(char *text, lease_rec *r)
{
    memset(r, 0, sizeof *r);
    char *save = NULL, *line = strtok_r(text, "\n", &save);
    if (!line || strcmp(line, MAGIC))
        return false;
    unsigned seen = 0;
    while ((line = strtok_r(NULL, "\n", &save))) {
        long long v;
        if (sscanf(line, "owner %16s", r->owner) == 1)
            seen |= 1;
        else if (sscanf(line, "host %64s", r->host) == 1)
            seen |= 2;
        else if (sscanf(line, "boot %39s", r->boot) == 1)
            seen |= 4;
        else if (sscanf(line, "pidns %31s", r->pidns) == 1)
            seen |= 8;
        else if (sscanf(line, "pid %ld", &r->pid) == 1)
            seen |= 16;
        else if (sscanf(line, "start %llu", &r->start) == 1)
            seen |= 32;
        else if (sscanf(line, "expires %lld", &v) == 1 && v >= 0) {
            r->expires_ms = v;
            seen |= 64;
        }
    }
    return seen == 127;
}

/* Is the holder of r, a live record, gone? Only a process this one can
 * see for sure: same boot, same PID namespace. */
static bool holder_dead(const lease_rec *r)
{
    if (!self.boot[0] || strcmp(r->boot, self.boot) ||
        !self.pidns[0] || strcmp(r->pidns, self.pidns) || r->pid <= 0)
        return false;
    if (!strcmp(r->owner, self.owner))
        return false;                   /* this process: it is alive */
    return start_time(r->pid) != r->start;
}

/* The highest N of a lease.N in dfd (0: none); -1 on error. */
static int64_t lease_max(int dfd)
{
    int fd = dup(dfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    rewinddir(d);
    int64_t max = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        const char *p = de->d_name;
        if (strncmp(p, "lease.", 6))
            continue;
        p += 6;
        size_t n = strspn(p, "0123456789");
        if (n == 0 || n > N_DIGITS_MAX || p[n] || p[0] == '0')
            continue;
        int64_t v = strtoll(p, NULL, 10);
        if (v > max)
            max = v;
    }
    closedir(d);
    return max;
}

/* Read lease.n, not through a symlink and never blocking: 1 a record
 * in *r, 0 damage (*sb its stat, for its age: a name we cannot open
 * otherwise, a symlink by O_NOFOLLOW, is damage as well), -1 not known
 * (errno ENOENT: not there; or short of descriptors or memory). */
static int read_rec(int dfd, int64_t n, lease_rec *r, struct stat *sb)
{
    char name[32], text[REC_MAX + 1];
    snprintf(name, sizeof name, "lease.%" PRId64, n);
    int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
                    O_CLOEXEC);
    ssize_t len = 0;
    memset(sb, 0, sizeof *sb);
    if (fd >= 0) {
        if (fstat(fd, sb) == 0 && S_ISREG(sb->st_mode))
            len = read(fd, text, REC_MAX);
        close(fd);
    } else if (errno == ENOENT || errno == EMFILE || errno == ENFILE ||
               errno == ENOMEM || errno == EINTR ||
               fstatat(dfd, name, sb, AT_SYMLINK_NOFOLLOW) != 0) {
        return -1;
    }
    text[len > 0 ? len : 0] = 0;
    return rec_parse(text, r);
}

enum { L_GONE = -1, L_HELD, L_LAPSED, L_RELEASED };

/* State of lease.n: released, lapsed (expired, holder dead, damage),
 * held, or gone meanwhile. */
static int lease_state(int dfd, int64_t n, uint64_t ttl_ms, const char *id,
                       bool *said)
{
    lease_rec r;
    struct stat sb;
    int rc = read_rec(dfd, n, &r, &sb);
    if (rc < 0)        /* not there: read the list again; else try again */
        return errno == ENOENT ? L_GONE : L_HELD;
    int64_t now = wall_ms();
    if (!rc)
        /* damage: it holds the session for a TTL from its last change,
           then it is free (never for ever) */
        return (int64_t)sb.st_mtime * 1000 + (int64_t)ttl_ms <= now
               ? L_LAPSED : L_HELD;
    if (r.expires_ms == 0)
        return L_RELEASED;
    if (r.expires_ms <= now || holder_dead(&r))
        return L_LAPSED;
    if (r.expires_ms - now > 2 * (int64_t)ttl_ms) {
        /* further ahead than any renewal would put it (a clock hours
           ahead, a hand-made record): damage, as above, not a hold for
           as long as it says (a live process, even of this machine,
           holds a lease only until its expiry) */
        if (!*said) {
            *said = true;
            fprintf(stderr, "wasmbox serve: session '%s': lease.%" PRId64
                    " expires %" PRId64 " s ahead, more than twice "
                    "--lease-ttl: taken as damage (free a TTL after its "
                    "last change)\n", id, n, (r.expires_ms - now) / 1000);
        }
        return (int64_t)sb.st_mtime * 1000 + (int64_t)ttl_ms <= now
               ? L_LAPSED : L_HELD;
    }
    return L_HELD;
}

/* Is lease.n this process's, with expiry `expires_ms`, as written? */
static bool ours(int dfd, int64_t n, int64_t expires_ms)
{
    lease_rec r;
    struct stat sb;
    return read_rec(dfd, n, &r, &sb) == 1 && !strcmp(r.owner, self.owner) &&
           r.expires_ms == expires_ms;
}

/* Write this process's record with `expires_ms` to a new temporary
 * file of dfd, its name into tmp; -1 with errno. */
static int write_tmp(int dfd, int64_t expires_ms, char *tmp, size_t cap)
{
    static unsigned seq;
    char text[REC_MAX];
    int len = rec_text(text, sizeof text, expires_ms);
    snprintf(tmp, cap, ".lease-%s-%u", self.owner,
             __atomic_add_fetch(&seq, 1, __ATOMIC_RELAXED));
    int fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
                    O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    bool ok = write(fd, text, (size_t)len) == len;
    int e = errno;
    close(fd);
    if (!ok) {
        unlinkat(dfd, tmp, 0);
        errno = e ? e : EIO;
        return -1;
    }
    return 0;
}

/* Rewrite our lease.n (renewal, release). Only its holder writes it. */
static int rewrite(int dfd, int64_t n, int64_t expires_ms)
{
    char tmp[64], name[32];
    snprintf(name, sizeof name, "lease.%" PRId64, n);
    if (write_tmp(dfd, expires_ms, tmp, sizeof tmp) != 0)
        return -1;
    if (renameat(dfd, tmp, dfd, name) != 0) {
        int e = errno;
        unlinkat(dfd, tmp, 0);
        errno = e;
        return -1;
    }
    return 0;
}

/* Remove lease files below n (ours to sweep once lease n is ours). */
static void sweep(int dfd, int64_t n)
{
    for (int64_t k = n - 1; k >= 1 && k >= n - 4; k--) {
        char name[32];
        snprintf(name, sizeof name, "lease.%" PRId64, k);
        unlinkat(dfd, name, 0);
    }
}

/* One try at lease top+1 over free lease n (top: n, or the highest
 * checkpoint generation when that is above it), to expire at *expires:
 * 1 taken, 0 lost the race, -1 error (errno). */
static int take(int dfd, int64_t n, int64_t top, uint64_t ttl_ms,
                int64_t *expires)
{
    char tmp[64], name[32];
    if (top >= N_MAX - 1) {
        /* lease.N_MAX - 1 was made by hand (N counts requests): a next
           name would be too long to be a lease or a generation (N_MAX is
           none: wb_session_ckpt.c), and taking it would fail for ever
           behind a 409; say so instead */
        errno = EOVERFLOW;
        return -1;
    }
    snprintf(name, sizeof name, "lease.%" PRId64, top + 1);
    *expires = wall_ms() + (int64_t)ttl_ms;
    if (write_tmp(dfd, *expires, tmp, sizeof tmp) != 0)
        return -1;
    int rc = linkat(dfd, tmp, dfd, name, 0);
    int e = errno;
    unlinkat(dfd, tmp, 0);
    if (rc != 0) {
        errno = e;
        return e == EEXIST ? 0 : -1;
    }
    /* a replica that listed long ago may have made a name below a newer
       lease (one swept already): then the newer one holds */
    if (lease_max(dfd) != top + 1) {
        unlinkat(dfd, name, 0);
        return 0;
    }
    sweep(dfd, n + 1);
    if (top > n)
        sweep(dfd, top + 1);
    return 1;
}

/* The highest generation of the session's checkpoint (0: none, or no
 * ckpt directory): a lease is taken above it, so that a checkpoint's
 * generation is never above the lease in use (a hand-made name, lease
 * files removed by hand: their numbering starts again at 1). Entries
 * that are not regular files are damage, said once per session. */
static int64_t ckpt_top(wb_http_sess *e, int dfd)
{
    unsigned damaged = 0;
    int cfd = openat(dfd, WB_SESS_CKPT_DIR, O_RDONLY | O_DIRECTORY |
                     O_NOFOLLOW | O_CLOEXEC);
    int64_t top = cfd >= 0 ? wb_sess_ckpt_top(cfd, &damaged) : 0;
    if (cfd >= 0)
        close(cfd);
    if (damaged && !e->ckpt_damage_said) {
        e->ckpt_damage_said = true;
        fprintf(stderr, "wasmbox serve: session '%s': %u entries of its "
                "%s directory named as checkpoints are not regular files "
                "(damage): ignored\n", e->id, damaged, WB_SESS_CKPT_DIR);
    }
    return top > 0 ? top : 0;
}

static int open_dir(const wb_http_server *srv, const char *id)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/sessions/%s", srv->state_dir, id);
    return open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

static void pause_ms(unsigned ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* A quarter of the TTL: commits stop that long before the lease's
 * expiry, so a check that passed leaves that long for the write it
 * allows before another replica may take the lease over. */
static int64_t margin(const wb_http_server *srv)
{
    return (int64_t)srv->lease_ttl_ms / 4;
}

/* e's lease (lease_mu held) is n, to expire at expires_ms (0: none
 * held): the fence says so to the session's commits. */
static void publish(wb_http_sess *e, int64_t n, int64_t expires_ms)
{
    e->lease_expires = expires_ms;
    wb_sess_fence_set(e->s, n ? n : e->lease_last,
                      expires_ms ? expires_ms - margin(e->srv) : 0);
}

wb_lease_result wb_http_lease_take(wb_http_server *srv, wb_http_sess *e,
                                   bool *stale, int64_t *lapsed,
                                   unsigned *retry_after, char *msg,
                                   size_t cap)
{
    int dfd = open_dir(srv, e->id);
    if (dfd < 0) {
        snprintf(msg, cap, "%s", strerror(errno));
        return errno == ENOENT ? WB_LEASE_GONE : WB_LEASE_ERROR;
    }
    uint64_t deadline = wb_http_now_ms() + srv->lease_wait_ms;
    unsigned nap = 10;
    wb_lease_result res = WB_LEASE_BUSY;
    int64_t expires = 0;
    bool said = false;
    for (;;) {
        int64_t n = lease_max(dfd);
        int st = n < 0 ? L_GONE : n == 0 ? L_RELEASED
                 : lease_state(dfd, n, srv->lease_ttl_ms, e->id,
                                               &said);
        int64_t top = 0;
        if (st >= L_LAPSED) {
            top = ckpt_top(e, dfd);
            top = top > n ? top : n;
        }
        int rc = st >= L_LAPSED ? take(dfd, n, top, srv->lease_ttl_ms,
                                       &expires) : 0;
        if (st == L_GONE || rc < 0) {
            /* ENOENT: the session was deleted meanwhile */
            res = errno == ENOENT ? WB_LEASE_GONE : WB_LEASE_ERROR;
            snprintf(msg, cap, "cannot take the session's lease: %s",
                     errno == EOVERFLOW ? "its lease numbers are used up "
                     "(a lease or checkpoint file was made by hand)"
                     : strerror(errno));
            break;
        }
        if (rc == 1) {
            pthread_mutex_lock(&e->lease_mu);
            /* lease 1 follows nobody: the session was never changed; a
               lease taken above a checkpoint follows whoever wrote it */
            *stale = top > n || (n != 0 && e->lease_last != n);
            *lapsed = st == L_LAPSED ? n : 0;
            e->lease_last = top + 1;
            e->lease_lost = false;
            __atomic_store_n(&e->lease_n, top + 1, __ATOMIC_RELAXED);
            publish(e, top + 1, expires);
            pthread_mutex_unlock(&e->lease_mu);
            res = WB_LEASE_OK;
            break;
        }
        if (wb_http_now_ms() >= deadline) {
            snprintf(msg, cap, "session '%s' is running a request on "
                     "another replica; retry later", e->id);
            break;
        }
        pause_ms(nap);
        nap = nap < 80 ? nap * 2 : 100;
    }
    close(dfd);
    /* a held lease is renewed while its request runs, so its expiry says
       nothing of when that ends: try again in a second */
    *retry_after = 1;
    return res;
}

/* Is e's lease (lease_mu held) lost: past its margin without renewal
 * (another replica may take it now), or a newer one taken (`max`, the
 * highest number found, or -1: not looked at)? Once lost, it stays lost
 * (its fence closed) until the next take. */
static bool lost(wb_http_sess *e, int64_t max)
{
    if (!e->lease_lost && (wall_ms() >= e->lease_expires - margin(e->srv) ||
                           max > e->lease_n)) {
        e->lease_lost = true;
        publish(e, e->lease_n, 0);
    }
    return e->lease_lost;
}

bool wb_http_lease_held(void *user)
{
    wb_http_sess *e = user;
    pthread_mutex_lock(&e->lease_mu);
    int dfd = e->lease_n ? open_dir(e->srv, e->id) : -1;
    int64_t max = dfd >= 0 ? lease_max(dfd) : -1;
    bool held = dfd >= 0 && !lost(e, max) && max == e->lease_n &&
                ours(dfd, e->lease_n, e->lease_expires);
    if (dfd >= 0)
        close(dfd);
    pthread_mutex_unlock(&e->lease_mu);
    return held;
}

void wb_http_lease_drop(wb_http_server *srv, wb_http_sess *e, bool gone)
{
    pthread_mutex_lock(&e->lease_mu);
    int64_t n = e->lease_n;
    int dfd = n && !gone ? open_dir(srv, e->id) : -1;
    int64_t max = dfd >= 0 ? lease_max(dfd) : -1;
    bool was_lost = n && !gone && lost(e, max);
    publish(e, 0, 0);                    /* no commit between requests */
    __atomic_store_n(&e->lease_n, 0, __ATOMIC_RELAXED);
    if (was_lost) {
        /* another replica may have taken the session over: our copy is
           no longer the latest, whatever it ran */
        fprintf(stderr, "wasmbox serve: session '%s': its lease ran out "
                "during a request (this replica stalled past --lease-ttl): "
                "the rest of the request was not committed\n", e->id);
        e->lease_last = 0;
    }
    /* released even when it ran out, unless another took it over: the
       request is over (its worker answered, or was killed and reaped),
       so nothing of it can land after this */
    if (dfd >= 0 && max <= n && rewrite(dfd, n, 0) != 0)
        fprintf(stderr, "wasmbox serve: session '%s': cannot release its "
                "lease (%s): it is held until it expires\n", e->id,
                strerror(errno));
    if (dfd >= 0)
        close(dfd);
    pthread_mutex_unlock(&e->lease_mu);
}

/* Renew e's lease if it holds one (the keeper thread); never one that
 * is lost: a replica that comes back from a stall does not take back
 * what another may have taken meanwhile. The fence follows the record
 * once it is written, never before. */
static void renew(wb_http_server *srv, wb_http_sess *e)
{
    pthread_mutex_lock(&e->lease_mu);
    int dfd = e->lease_n ? open_dir(srv, e->id) : -1;
    int64_t expires = wall_ms() + (int64_t)srv->lease_ttl_ms;
    if (dfd >= 0 && !lost(e, lease_max(dfd)) &&
        rewrite(dfd, e->lease_n, expires) == 0)
        publish(e, e->lease_n, expires);
    if (dfd >= 0)
        close(dfd);
    pthread_mutex_unlock(&e->lease_mu);
}

/* The keeper: every third of the TTL, renew the leases held. */
static void *keeper(void *arg)
{
    wb_http_server *srv = arg;
    uint64_t every = srv->lease_ttl_ms / 3;
    pthread_mutex_lock(&srv->lease_kmu);
    while (!srv->lease_stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t ns = (uint64_t)ts.tv_nsec + (every % 1000) * 1000000u;
        ts.tv_sec += (time_t)(every / 1000 + ns / 1000000000u);
        ts.tv_nsec = (long)(ns % 1000000000u);
        pthread_cond_timedwait(&srv->lease_kcv, &srv->lease_kmu, &ts);
        if (srv->lease_stop)
            break;
        pthread_mutex_unlock(&srv->lease_kmu);
        for (;;) {
            /* one held lease at a time, referenced while renewed */
            pthread_mutex_lock(&srv->mu);
            wb_http_sess *e = srv->sessions;
            for (; e; e = e->next)
                if (__atomic_load_n(&e->lease_n, __ATOMIC_RELAXED) &&
                    e->renewed != srv->lease_round)
                    break;
            if (e) {
                e->refs++;
                e->renewed = srv->lease_round;
            }
            pthread_mutex_unlock(&srv->mu);
            if (!e)
                break;
            renew(srv, e);
            wb_http_sess_put(srv, e);
        }
        pthread_mutex_lock(&srv->lease_kmu);
        srv->lease_round++;
    }
    pthread_mutex_unlock(&srv->lease_kmu);
    return NULL;
}

bool wb_http_lease_start(wb_http_server *srv)
{
    pthread_mutex_init(&srv->lease_kmu, NULL);
    pthread_cond_init(&srv->lease_kcv, NULL);
    srv->lease_round = 1;
    srv->lease_keeper_on = pthread_create(&srv->lease_keeper, NULL, keeper,
                                          srv) == 0;
    return srv->lease_keeper_on;
}

void wb_http_lease_stop(wb_http_server *srv)
{
    if (!srv->lease_keeper_on)
        return;
    pthread_mutex_lock(&srv->lease_kmu);
    srv->lease_stop = true;
    pthread_cond_signal(&srv->lease_kcv);
    pthread_mutex_unlock(&srv->lease_kmu);
    pthread_join(srv->lease_keeper, NULL);
    srv->lease_keeper_on = false;
}
