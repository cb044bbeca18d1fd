/* wb_session_store.c: the state directory.
 *
 *   <state>/sessions/<id>/session.json   metadata (jansson), atomic
 *   <state>/sessions/<id>/work/          the workspace (guest /work)
 *   <state>/runtime/                     driver.py, driver.js
 *
 * Every file we write goes through a temp file, fsync and rename, so a
 * killed process never leaves a half-written file under its final name.
 *
 * An open session holds a shared flock(2) on its directory, whichever
 * process opened it; expiry takes the lock exclusively (without waiting)
 * before it moves a session away, so it never deletes one in use, by
 * this process or another (several `wasmbox mcp` processes share a state
 * directory); deletion takes it the same way and refuses a session in
 * use (WB_E_BUSY). The lock costs one fd per open session. */
#include "session/wb_session.h"
#include "common/file.h"
#include "common/tree.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define GRAVE ".deleted-"       /* a session being deleted */
#define GRAVE_AGE_S 300

int64_t wb_sess_now(void)
{
    return (int64_t)time(NULL);
}

bool wb_sess_valid_id(const char *id)
{
    size_t n = strlen(id);
    if (n == 0 || n > 63 || id[0] == '.' || id[0] == '-')
        return false;
    for (const char *p = id; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.'))
            return false;
    return true;
}

_Thread_local bool wb_sess_lazy_sync;

int wb_sess_write_atomic(int dirfd, const char *name, const void *data,
                         size_t len)
{
    return wb_sess_write_fenced(NULL, dirfd, name, data, len);
}

int wb_sess_write_fenced(const wb_session *s, int dirfd, const char *name,
                         const void *data, size_t len)
{
    char tmp[NAME_MAX + 1];
    uint32_t r = 0;
    if (getrandom(&r, sizeof r, 0) != sizeof r)
        r = (uint32_t)getpid() ^ (uint32_t)time(NULL);
    snprintf(tmp, sizeof tmp, ".wbtmp-%08x", r);
    int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
                    O_NOFOLLOW, 0644);
    if (fd < 0)
        return -1;
    const char *p = data;
    size_t left = len;
    while (left > 0) {
        ssize_t n = write(fd, p, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            goto fail;
        p += n;
        left -= (size_t)n;
    }
    if (!wb_sess_lazy_sync && fsync(fd) != 0)
        goto fail;
    close(fd);
    /* as late as can be: the rename is the commit */
    if (s && wb_sess_commit_ok(s, NULL)) {
        unlinkat(dirfd, tmp, 0);
        errno = ENOLCK;
        return -1;
    }
    if (renameat(dirfd, tmp, dirfd, name) != 0) {
        int e = errno;
        unlinkat(dirfd, tmp, 0);
        errno = e;
        return -1;
    }
    if (!wb_sess_lazy_sync)
        fsync(dirfd);
    return 0;
fail:;
    int e = errno ? errno : EIO;
    close(fd);
    unlinkat(dirfd, tmp, 0);
    errno = e;
    return -1;
}

/* mkdir -p, mode 0700 for what we create */
static int mkdirs(const char *path)
{
    char buf[PATH_MAX];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; ; p++) {
        if (*p == '/' || *p == 0) {
            char c = *p;
            *p = 0;
            if (mkdir(buf, 0700) != 0 && errno != EEXIST)
                return -1;
            *p = c;
            if (!c)
                break;
        }
    }
    return 0;
}

char *wb_session_state_dir(const wb_session_options *o)
{
    const char *d = o ? o->state_dir : NULL;
    char buf[PATH_MAX];
    if (!d || !*d)
        d = getenv("WASMBOX_STATE_DIR");
    if (d && *d)
        return strdup(d);
    const char *x = getenv("XDG_STATE_HOME");
    if (x && x[0] == '/') {
        snprintf(buf, sizeof buf, "%s/wasmbox", x);
        return strdup(buf);
    }
    const char *h = getenv("HOME");
    if (!h || !*h)
        return NULL;
    snprintf(buf, sizeof buf, "%s/.local/state/wasmbox", h);
    return strdup(buf);
}

static wb_status sess_dir(const wb_session_options *o, char **state,
                          wb_error *err)
{
    *state = wb_session_state_dir(o);
    if (!*state)
        return wb_err_set(err, WB_E_ARG, "no state directory: set "
                          "WASMBOX_STATE_DIR, XDG_STATE_HOME or HOME");
    char sub[PATH_MAX];
    snprintf(sub, sizeof sub, "%s/sessions", *state);
    if (mkdirs(sub) != 0) {
        wb_err_set(err, WB_E_IO, "%s: cannot create: %s", sub,
                   strerror(errno));
        free(*state);
        *state = NULL;
        return WB_E_IO;
    }
    return WB_OK;
}

/* j as dir/name, when `s` (or NULL) may commit. */
static wb_status write_json(const wb_session *s, const char *dir,
                            const char *name, json_t *j, wb_error *err)
{
    char *text = j ? json_dumps(j, JSON_INDENT(2)) : NULL;
    json_decref(j);
    if (!text)
        return wb_err_set(err, WB_E_NOMEM, "out of memory");
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int rc = dfd < 0 ? -1 : wb_sess_write_fenced(s, dfd, name, text,
                                                 strlen(text));
    int e = errno;
    if (dfd >= 0)
        close(dfd);
    free(text);
    if (rc && e == ENOLCK)
        return wb_sess_fenced(s, err);
    if (rc)
        return wb_err_set(err, WB_E_IO, "%s/%s: cannot write: %s", dir,
                          name, strerror(e));
    return WB_OK;
}

wb_status wb_sess_write_json(const char *dir, const char *name, json_t *j,
                             wb_error *err)
{
    return write_json(NULL, dir, name, j, err);
}

/* session.json; `fenced`: only while s may commit. */
static wb_status save(wb_session *s, bool fenced, wb_error *err)
{
    json_t *j = json_pack("{s:i, s:s, s:I, s:I, s:I}", "version", 1, "id",
                          s->id, "created", (json_int_t)s->created,
                          "last_used", (json_int_t)s->last_used, "steps",
                          (json_int_t)s->steps);
    return write_json(fenced ? s : NULL, s->root, "session.json", j, err);
}

wb_status wb_sess_save(wb_session *s, wb_error *err)
{
    return save(s, true, err);
}

/* Read session.json; false if missing or unreadable. Only a regular
 * file of at most META_MAX bytes, not through a symlink, and opened
 * O_NONBLOCK: a FIFO in its place must not hold a listing (every GET
 * /v1/sessions, a server's start-up) forever, nor a huge file fill the
 * memory. */
#define META_MAX 65536
static bool load_meta(const char *root, wb_session_info *info)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/session.json", root);
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    struct stat sb;
    uint8_t *text = NULL;
    size_t len = 0;
    bool reg = fd >= 0 && fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode);
    if (reg && wb_file_read_fd(fd, META_MAX, &text, &len) != 0)
        reg = false;
    if (fd >= 0)
        close(fd);
    json_t *j = reg ? json_loadb((const char *)text, len, 0, NULL) : NULL;
    free(text);
    if (!j)
        return false;
    json_int_t c = 0, u = 0, n = 0;
    const char *id = NULL;
    bool ok = json_unpack(j, "{s:s, s:I, s:I, s?I}", "id", &id, "created",
                          &c, "last_used", &u, "steps", &n) == 0;
    if (ok) {
        snprintf(info->id, sizeof info->id, "%s", id);
        info->created = c;
        info->last_used = u;
        info->steps = (uint64_t)n;
    }
    json_decref(j);
    return ok;
}

static void sess_free(wb_session *s)
{
    if (!s)
        return;
    free(s->state_dir);
    free(s->root);
    free(s->ws);
    free(s->guests_dir);
    free(s->runtime_dir);
    if (s->lock_fd >= 0)
        close(s->lock_fd);              /* releases the lock */
    wb_sess_fence_free(s);
    wb_sandbox_config_free(&s->own_policy);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

/* Guest paths the session reserves for itself. */
static wb_status check_policy(const wb_sandbox_config *p, wb_error *err)
{
    static const char *const reserved[] = { "/work", "/lib", "/.wasmbox",
                                            "/", NULL };
    for (size_t i = 0; i < p->ngrants; i++)
        for (const char *const *r = reserved; *r; r++)
            if (p->grants[i].guest && !strcmp(p->grants[i].guest, *r))
                return wb_err_set(err, WB_E_ARG, "the policy grants guest "
                                  "path '%s', which sessions reserve (the "
                                  "workspace is /work)", *r);
    return WB_OK;
}

/* 16 random hex digits. */
static bool random_id(char id[17])
{
    uint8_t r[8];
    if (getrandom(r, sizeof r, 0) != sizeof r)
        return false;
    for (int i = 0; i < 8; i++)
        snprintf(id + 2 * i, 3, "%02x", r[i]);
    return true;
}

static wb_status set_paths(wb_session *s, const char *guests_dir,
                           wb_error *err)
{
    char buf[PATH_MAX];
    snprintf(buf, sizeof buf, "%s/sessions/%s", s->state_dir, s->id);
    s->root = strdup(buf);
    snprintf(buf, sizeof buf, "%s/sessions/%s/work", s->state_dir, s->id);
    s->ws = strdup(buf);
    snprintf(buf, sizeof buf, "%s/runtime", s->state_dir);
    s->runtime_dir = strdup(buf);
    if (guests_dir)
        s->guests_dir = strdup(guests_dir);
    if (!s->root || !s->ws || !s->runtime_dir)
        return wb_err_set(err, WB_E_NOMEM, "out of memory");
    return WB_OK;
}

/* Create the directories and take the shared lock on the session's own
 * directory: the one at s->root once locked (an expiry may have moved
 * the one we created away meanwhile; then again). */
static wb_status lock_root(wb_session *s, bool make, wb_error *err)
{
    for (int tries = 0; tries < 8; tries++) {
        if (make && mkdirs(s->ws) != 0)
            break;
        int fd = open(s->root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
                      O_CLOEXEC);
        struct stat held, now;
        int rc = fd < 0 ? -1 : flock(fd, LOCK_SH);
        while (rc != 0 && fd >= 0 && errno == EINTR)
            rc = flock(fd, LOCK_SH);
        if (rc != 0) {
            int e = errno;
            if (fd >= 0)
                close(fd);
            if (!make && e == ENOENT)     /* deleted by another process */
                return wb_err_set(err, WB_E_NOT_FOUND, "no session '%s'",
                                  s->id);
            return wb_err_set(err, WB_E_IO, "%s: cannot lock: %s",
                                s->root, strerror(e));
        }
        if (fstat(fd, &held) == 0 && stat(s->root, &now) == 0 &&
            held.st_dev == now.st_dev && held.st_ino == now.st_ino) {
            s->lock_fd = fd;
            return WB_OK;
        }
        close(fd);
    }
    return wb_err_set(err, WB_E_IO, "%s: cannot create: %s", s->ws,
                        strerror(errno ? errno : EAGAIN));
}

wb_status wb_sess_init_copy(wb_session *s, const char *state_dir,
                            const char *guests_dir, const char *id,
                            wb_error *err)
{
    s->lock_fd = -1;
    s->fence_fd = -1;
    pthread_mutex_init(&s->mu, NULL);
    snprintf(s->id, sizeof s->id, "%s", id);
    s->state_dir = strdup(state_dir);
    if (!s->state_dir || !wb_sess_valid_id(id))
        return wb_err_set(err, WB_E_ARG, "bad session '%s'", id);
    return set_paths(s, guests_dir, err);
}

/* Times and counts from session.json when the session existed (false
 * when it did not). */
static bool load_state(wb_session *s, const char *why)
{
    wb_session_info info;
    s->last_used = wb_sess_now();
    s->created = s->last_used;
    if (!load_meta(s->root, &info))
        return false;
    s->created = info.created;
    s->steps = info.steps;
    /* a previous process may have held interpreter state */
    for (int l = 0; l < WB_LANG_COUNT; l++) {
        s->lost[l] = info.steps > 0;
        snprintf(s->lost_why[l], sizeof s->lost_why[l], "%s", why);
    }
    return true;
}

void wb_sess_reload_locked(wb_session *s)
{
    for (int l = 0; l < WB_LANG_COUNT; l++)
        if (s->kernel[l]) {
            wb_kernel_stop(s->kernel[l]);
            s->kernel[l] = NULL;
        }
    if (s->iso && !s->wk_pooled)
        wb_worker_stop(s);             /* its kernels go with it */
    s->forgot_gen = 0;
    load_state(s, "the session ran in another process");
}

void wb_sess_reload(wb_session *s)
{
    pthread_mutex_lock(&s->mu);
    wb_sess_reload_locked(s);
    pthread_mutex_unlock(&s->mu);
}

/* Open's last part, its directory locked: an existing shared session is
 * only read (another process may be stepping it: nothing is rewritten,
 * and one that has no session.json is not there); any other is read
 * when it exists, then written. */
static wb_status load_or_save(wb_session *s, bool existing, wb_error *err)
{
    bool had = load_state(s, "the session was reopened");
    if (existing)
        return had ? WB_OK : wb_err_set(err, WB_E_NOT_FOUND, "no session "
                                        "'%s'", s->id);
    return save(s, false, err);     /* new: no other process has it */
}

wb_status wb_session_open(const wb_session_options *o, const char *id,
                          wb_session **out, wb_error *err)
{
    *out = NULL;
    wb_session *s = calloc(1, sizeof *s);
    if (!s)
        return wb_err_set(err, WB_E_NOMEM, "out of memory");
    s->lock_fd = -1;
    s->wk_fd = -1;
    s->fence_fd = -1;
    s->iso = o ? o->isolation : NULL;
    pthread_mutex_init(&s->mu, NULL);
    wb_sandbox_config_init(&s->own_policy);
    s->policy = o && o->policy ? o->policy : &s->own_policy;
    s->shared = o && o->shared;
    if (o && o->settings)
        s->settings = *o->settings;
    else
        wb_session_settings_default(&s->settings);
    wb_status st = check_policy(s->policy, err);
    bool pooled = o && o->isolation && o->oneshot_tenant;
    if (!st && s->shared && !pooled)
        st = wb_sess_fence_new(s, err);
    if (!st && pooled && id)
        st = wb_err_set(err, WB_E_ARG, "a throw-away session has no id");
    else if (!st && pooled)
        st = wb_pool_attach(s, o, err);   /* a worker's own directory */
    else if (!st)
        st = sess_dir(o, &s->state_dir, err);
    if (!st && id && !wb_sess_valid_id(id))
        st = wb_err_set(err, WB_E_ARG, "bad session id '%s' (letters, "
                          "digits, '-', '_', '.'; at most 63)", id);
    else if (!st && id)
        snprintf(s->id, sizeof s->id, "%s", id);
    else if (!st && !random_id(s->id))
        st = wb_err_set(err, WB_E_IO, "no randomness for an id");
    if (!st && !(st = set_paths(s, o ? o->guests_dir : NULL, err)) &&
        !(s->wk_pooled && (st = wb_pool_paths(s, true, err))) &&
        !(st = lock_root(s, !(s->shared && id), err)))
        st = load_or_save(s, s->shared && id, err);
    if (st) {
        if (s->wk_pooled)
            wb_pool_release(s);
        sess_free(s);
        return st;
    }
    *out = s;
    return WB_OK;
}

wb_status wb_session_new_id(const wb_session_options *o, char *id,
                            size_t cap, wb_error *err)
{
    for (int tries = 0; tries < 8; tries++) {
        char r[17];
        if (!random_id(r))
            return wb_err_set(err, WB_E_IO, "no randomness for an id");
        if (cap <= strlen(r))
            return wb_err_set(err, WB_E_ARG, "no room for an id");
        snprintf(id, cap, "%s", r);
        if (!wb_session_exists(o, id))
            return WB_OK;
    }
    return wb_err_set(err, WB_E_IO, "no fresh session id");
}

bool wb_session_exists(const wb_session_options *o, const char *id)
{
    if (!id || !wb_sess_valid_id(id))
        return false;
    char *state = wb_session_state_dir(o), path[PATH_MAX];
    struct stat sb;
    if (!state)
        return false;
    snprintf(path, sizeof path, "%s/sessions/%s/session.json", state, id);
    free(state);
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

void wb_session_close(wb_session *s)
{
    if (!s)
        return;
    for (int l = 0; l < WB_LANG_COUNT; l++)
        if (s->kernel[l])
            wb_kernel_stop(s->kernel[l]);
    if (s->wk_pooled)
        wb_pool_release(s);        /* and the session is deleted */
    else if (s->iso)
        wb_worker_stop(s);
    if (!s->wk_pooled && !s->shared)
        wb_sess_save(s, NULL);
    sess_free(s);
}

const char *wb_session_id(const wb_session *s)
{
    return s->id;
}

const char *wb_session_workspace(const wb_session *s)
{
    return s->ws;
}

void wb_session_reset(wb_session *s)
{
    pthread_mutex_lock(&s->mu);
    for (int l = 0; l < WB_LANG_COUNT; l++) {
        if (s->kernel[l]) {
            wb_kernel_stop(s->kernel[l]);
            s->kernel[l] = NULL;
        }
        s->lost[l] = false;        /* a fresh start was asked for */
    }
    if (s->iso)
        wb_worker_stop(s);         /* its kernels go with it */
    for (int l = 0; l < WB_LANG_COUNT; l++)
        wb_kernel_forget(s, (wb_lang)l);   /* then no copy comes back */
    pthread_mutex_unlock(&s->mu);
}

/* Open the directory <state>/sessions (its path into `path`). */
static wb_status open_sessions(const wb_session_options *o, char *path,
                               size_t cap, int *dfd, wb_error *err)
{
    char *state;
    wb_status st = sess_dir(o, &state, err);
    *dfd = -1;
    if (st)
        return st;
    snprintf(path, cap, "%s/sessions", state);
    free(state);
    *dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (*dfd < 0)
        return wb_err_set(err, WB_E_IO, "%s: %s", path, strerror(errno));
    return WB_OK;
}

wb_status wb_session_list(const wb_session_options *o, wb_session_info **out,
                          size_t *n, wb_error *err)
{
    char path[PATH_MAX];
    int dfd;
    *out = NULL;
    *n = 0;
    wb_status st = open_sessions(o, path, sizeof path, &dfd, err);
    if (st)
        return st;
    DIR *d = fdopendir(dfd);
    if (!d) {
        close(dfd);
        return wb_err_set(err, WB_E_IO, "%s: %s", path, strerror(errno));
    }
    struct dirent *e;
    size_t cap = 0;
    while ((e = readdir(d))) {
        if (!wb_sess_valid_id(e->d_name))
            continue;
        char root[PATH_MAX + NAME_MAX + 2];
        snprintf(root, sizeof root, "%s/%s", path, e->d_name);
        wb_session_info info;
        if (!load_meta(root, &info) || strcmp(info.id, e->d_name))
            continue;
        if (*n == cap) {
            wb_session_info *g = realloc(*out, (cap = cap * 2 + 8) * sizeof *g);
            if (!g) {
                closedir(d);
                free(*out);
                *out = NULL;
                *n = 0;
                return wb_err_set(err, WB_E_NOMEM, "out of memory");
            }
            *out = g;
        }
        (*out)[(*n)++] = info;
    }
    closedir(d);
    return WB_OK;
}

/* Rename session `id` of dfd (the sessions directory at `path`) away,
 * then remove it: the session disappears atomically, then goes. What a
 * failed removal leaves is swept by a later wb_session_expire. `lock`
 * (or -1), the session's lock, is let go once it is renamed: an open
 * waiting for it then makes a fresh directory while this one goes. */
static wb_status bury(int dfd, const char *path, const char *id, int lock,
                      wb_error *err)
{
    char grave[NAME_MAX + 1];
    snprintf(grave, sizeof grave, "%s%s-%d", GRAVE, id, (int)getpid());
    bool moved = renameat(dfd, id, dfd, grave) == 0;
    int e = errno;
    if (lock >= 0)
        close(lock);
    int rc = moved ? wb_tree_rm(dfd, grave) : -1;
    if (moved)
        e = errno;
    if (rc && moved)
        return wb_err_set(err, WB_E_IO, "session '%s' could not be deleted "
                          "completely (%s): what is left is in %s/%s",
                          id, strerror(e), path, grave);
    if (rc)
        return wb_err_set(err, WB_E_IO, "cannot delete session '%s': %s",
                          id, strerror(e));
    return WB_OK;
}

wb_status wb_session_delete(const wb_session_options *o, const char *id,
                            wb_error *err)
{
    if (!wb_sess_valid_id(id))
        return wb_err_set(err, WB_E_ARG, "bad session id '%s'", id);
    char path[PATH_MAX];
    int dfd;
    wb_status st = open_sessions(o, path, sizeof path, &dfd, err);
    if (st)
        return st;
    int fd = openat(dfd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
                    O_CLOEXEC);
    /* shared: the caller's lease, not the lock, says nobody steps it */
    if (fd >= 0 && ((o && o->shared) || flock(fd, LOCK_EX | LOCK_NB) == 0))
        st = bury(dfd, path, id, fd, err);
    else if (fd >= 0) {
        int e = errno;
        close(fd);
        st = e == EWOULDBLOCK
            ? wb_err_set(err, WB_E_BUSY, "session '%s' is open in another "
                         "process (close it there first)", id)
            : wb_err_set(err, WB_E_IO, "cannot lock session '%s': %s", id,
                         strerror(e));
    } else if (errno == ENOTDIR || errno == ELOOP)
        st = bury(dfd, path, id, -1, err);    /* no session: debris */
    else if (errno == ENOENT)
        st = wb_err_set(err, WB_E_NOT_FOUND, "no session '%s'", id);
    else
        st = wb_err_set(err, WB_E_IO, "session '%s': %s", id, strerror(errno));
    close(dfd);
    return st;
}

/* Remove what failed deletions left (graves untouched for a while: a
 * deletion under way renamed its grave just now). */
static void sweep_graves(const wb_session_options *o)
{
    char path[PATH_MAX];
    int dfd;
    if (open_sessions(o, path, sizeof path, &dfd, NULL))
        return;
    DIR *d = fdopendir(dfd);
    if (!d) {
        close(dfd);
        return;
    }
    int64_t now = wb_sess_now();
    struct dirent *e;
    while ((e = readdir(d))) {
        struct stat sb;
        if (strncmp(e->d_name, GRAVE, strlen(GRAVE)) ||
            fstatat(dirfd(d), e->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0 ||
            now - (int64_t)sb.st_ctime < GRAVE_AGE_S)
            continue;
        wb_tree_rm(dirfd(d), e->d_name);
    }
    closedir(d);
}

static bool idle_past(const wb_session_info *in, int64_t now,
                      uint64_t expiry_ms)
{
    int64_t idle = now - in->last_used;
    return idle >= 0 && (uint64_t)idle * 1000 >= expiry_ms;
}

/* Delete session `id` of dfd if it is idle past the expiry and nobody
 * has it open: its lock is taken without waiting and held while it is
 * moved away, so an open that comes meanwhile gets a fresh directory. */
static bool expire_one(int dfd, const char *path, const char *id,
                       uint64_t expiry_ms)
{
    int fd = openat(dfd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
                    O_CLOEXEC);
    if (fd < 0)
        return false;
    char root[PATH_MAX + NAME_MAX + 2];
    wb_session_info info;
    snprintf(root, sizeof root, "%s/%s", path, id);
    if (flock(fd, LOCK_EX | LOCK_NB) != 0 ||
        !load_meta(root, &info) ||                /* not used meanwhile */
        !idle_past(&info, wb_sess_now(), expiry_ms)) {
        close(fd);
        return false;
    }
    return bury(dfd, path, id, fd, NULL) == WB_OK;
}

wb_status wb_session_expire(const wb_session_options *o, size_t *deleted,
                            wb_error *err)
{
    wb_session_settings def;
    wb_session_settings_default(&def);
    const wb_session_settings *ss = o && o->settings ? o->settings : &def;
    if (deleted)
        *deleted = 0;
    sweep_graves(o);
    if (ss->idle_expiry_ms == 0)
        return WB_OK;
    wb_session_info *list;
    size_t n;
    char path[PATH_MAX];
    int dfd;
    wb_status st = wb_session_list(o, &list, &n, err);
    if (!st && (st = open_sessions(o, path, sizeof path, &dfd, err))) {
        free(list);
        return st;
    }
    if (st)
        return st;
    int64_t now = wb_sess_now();
    for (size_t i = 0; i < n; i++)
        if (idle_past(&list[i], now, ss->idle_expiry_ms) &&
            expire_one(dfd, path, list[i].id, ss->idle_expiry_ms) && deleted)
            (*deleted)++;
    close(dfd);
    free(list);
    return WB_OK;
}

uint64_t wb_session_expire_every_ms(const wb_session_settings *ss)
{
    uint64_t every = ss ? ss->idle_expiry_ms / 4 : 0;
    if (!ss || !ss->idle_expiry_ms)
        return 0;
    return every < 1000 ? 1000 : every > 60000 ? 60000 : every;
}
