/* wb_session_fork.c: wb_session_fork, a new session from a live one.
 *
 * A fork is a new session (new random id) with the parent's options
 * (policy, settings, isolation), holding a copy of the parent's workspace
 * and of its Python interpreter's checkpoint. It is made while the
 * parent's lock is held, so no step of the parent runs meanwhile: the
 * parent is between steps, and its checkpoint's copy on disk
 * (<session>/ckpt/python.snap, written before each step is answered,
 * wb_session_kernel.c) is the interpreter's state after its last step.
 *
 * The interpreter state is not copied: the fork's ckpt/python.snap is a
 * hard link to the parent's file. That file is never written again once
 * renamed into place (a new checkpoint is a new file renamed over the
 * name, snapshot/persist.c), so the parent's next steps do not change the
 * fork's, and a kernel the fork starts maps the file MAP_PRIVATE like any
 * kernel reopened from its checkpoint: the pages are the page cache's,
 * shared by the parent's copy and every fork of it until one writes them.
 * Where the link cannot be made (another filesystem, a link count limit)
 * the file is cloned or copied (a shared parent's newest generation:
 * wb_session_ckpt.c). A parent's checkpoint that is a layer
 * over another file (snapshot/layer.c) comes with that file, linked the
 * same way; the fork's own checkpoints are layers over it too, holding
 * only the pages the fork's steps write. The workspace is copied without following
 * any link (wb_session_copy.c). The fork's session.json is written
 * atomically but not synced (the syncs would cost most of a fork's time);
 * its first step's save syncs it, so a crash of the machine before that
 * step may lose the fork (never the parent). Other interpreters (JavaScript, a Python
 * kernel started cold) keep no checkpoint: the fork's start afresh, and
 * their first step's note says so. */
#include "session/wb_session.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static wb_status copy_workspace(wb_session *p, wb_session *c, wb_error *err)
{
    int sfd = open(p->ws, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int dfd = open(c->ws, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    wb_copy_stats stats;
    char where[256] = "";
    uint64_t limit = c->policy->budget.max_disk;
    int rc = sfd < 0 || dfd < 0 ? -1
             : wb_sess_copy_tree(sfd, dfd, limit, &stats, where,
                                 sizeof where);
    int e = errno;
    if (sfd >= 0)
        close(sfd);
    if (dfd >= 0)
        close(dfd);
    /* what the guest made: a workspace past the fork's budget, or nested
     * too deep for it; not the server's failure */
    if (rc && sfd >= 0 && dfd >= 0 && e == EDQUOT)
        return wb_err_set(err, WB_E_LIMIT, "the workspace of session '%s' "
                          "exceeds the fork's disk budget (%llu bytes as "
                          "the quota counts them: every name of a file in "
                          "full); the copy stopped at '%s'", p->id,
                          (unsigned long long)limit, where);
    if (rc && sfd >= 0 && dfd >= 0 && e == ELOOP)
        return wb_err_set(err, WB_E_LIMIT, "the workspace of session '%s' "
                          "is nested deeper than a fork copies (64 "
                          "directories), at '%s'", p->id, where);
    if (rc)
        return wb_err_set(err, WB_E_IO, "cannot copy the workspace of "
                          "session '%s': %s%s%s", p->id, where,
                          *where ? ": " : "", strerror(e));
    return WB_OK;
}

/* The parent's checkpoint file `name` of directory pfd (a regular file,
 * not followed) linked, or failing that copied, into the fork's ckpt
 * directory cfd as `as`. None: nothing. */
static wb_status link_one(wb_session *p, int pfd, const char *name, int cfd,
                          const char *as, wb_error *err)
{
    int in = openat(pfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
                    O_CLOEXEC);
    struct stat sb;
    if (in < 0 && errno == ENOENT)
        return WB_OK;
    if (in < 0 || fstat(in, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        if (in >= 0)
            close(in);
        return wb_err_set(err, WB_E_IO, "%s/%s/%s: not a checkpoint file",
                          p->root, WB_SESS_CKPT_DIR, name);
    }
    /* the inode we opened and checked, not whatever the name is now */
    char self[64];
    snprintf(self, sizeof self, "/proc/self/fd/%d", in);
    bool cloned = false;
    int rc = cfd < 0 ? -1 : linkat(AT_FDCWD, self, cfd, as,
                                   AT_SYMLINK_FOLLOW);
    if (rc && cfd >= 0)
        rc = wb_sess_copy_fd(in, cfd, as, &cloned);
    int e = cfd < 0 ? EIO : errno;
    close(in);
    if (rc)
        return wb_err_set(err, WB_E_IO, "cannot copy the checkpoint of "
                          "session '%s': %s", p->id, strerror(e));
    return WB_OK;
}

/* s's ckpt directory, not followed when a symlink (made when `make`). */
static int ckpt_dir(const wb_session *s, bool make)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", s->root, WB_SESS_CKPT_DIR);
    if (make)
        mkdir(path, 0700);
    return open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* The parent's checkpoint (a shared one's newest generation), and the
 * file it is a layer over when it is one (a parent that is itself a
 * fork, or was restored from disk, and has stepped since;
 * snapshot/layer.c), as the fork's python.snap and python.base.snap. The
 * fork's own first checkpoint is a layer over that same base, so the base
 * is shared by the parent, its forks and theirs, however deep. */
static wb_status link_checkpoint(wb_session *p, wb_session *c, wb_error *err)
{
    char name[64], base[64], as[64], as_base[64];
    int pfd = ckpt_dir(p, false);
    if (pfd < 0 || wb_sess_ckpt_find(p, pfd, name, base, sizeof name) <= 0) {
        if (pfd >= 0)
            close(pfd);
        return WB_OK;                    /* no checkpoint to go on from */
    }
    wb_sess_ckpt_names(0, as, as_base, sizeof as);
    int cfd = ckpt_dir(c, true);
    wb_status st = link_one(p, pfd, name, cfd, as, err);
    if (!st)
        st = link_one(p, pfd, base, cfd, as_base, err);
    close(pfd);
    if (cfd >= 0)
        close(cfd);
    return st;
}

/* Interpreters whose state the fork does not get say so at their first
 * step (a Python checkpoint on disk, when linked, takes precedence). */
static void mark_lost(const wb_session *p, wb_session *c)
{
    if (!p->steps)
        return;
    for (int l = 0; l < WB_LANG_COUNT; l++) {
        c->lost[l] = true;
        snprintf(c->lost_why[l], sizeof c->lost_why[l], "a fork gets "
                 "only a checkpointed Python interpreter's state");
    }
}

/* The options of a fork: o's, or the parent's; always the parent's
 * state directory (the checkpoint is linked there). */
static void fork_options(const wb_session *p, const wb_session_options *o,
                         wb_session_options *out)
{
    if (o) {
        *out = *o;
    } else {
        memset(out, 0, sizeof *out);
        out->guests_dir = p->guests_dir;
        out->policy = p->policy == &p->own_policy ? NULL : p->policy;
        out->settings = &p->settings;
        out->isolation = p->iso;
    }
    out->state_dir = p->state_dir;
    out->oneshot_tenant = NULL;
}

wb_status wb_session_fork(wb_session *parent, const wb_session_options *o,
                          wb_session **out, wb_error *err)
{
    *out = NULL;
    if (parent->wk_pooled || parent->in_worker)
        return wb_err_set(err, WB_E_ARG, "a throw-away session cannot be "
                          "forked");
    wb_session_options opts;
    fork_options(parent, o, &opts);
    wb_session *c = NULL;
    pthread_mutex_lock(&parent->mu);      /* no step of it meanwhile */
    wb_sess_lazy_sync = true;             /* its session.json: see top */
    wb_status st = wb_session_open(&opts, NULL, &c, err);
    wb_sess_lazy_sync = false;
    if (!st)
        st = copy_workspace(parent, c, err);
    if (!st)
        st = link_checkpoint(parent, c, err);
    uint64_t used = 0;
    if (!st && wb_sess_tree_usage(c->ws, &used) == 0 &&
        used > c->policy->budget.max_disk)
        st = wb_err_set(err, WB_E_LIMIT, "the workspace (%llu bytes as the "
                        "quota counts them) exceeds the fork's disk budget "
                        "(%llu)", (unsigned long long)used,
                        (unsigned long long)c->policy->budget.max_disk);
    if (!st)
        mark_lost(parent, c);
    if (!st)             /* a shared parent: copied under its lease? */
        st = wb_sess_commit_ok(parent, err);
    pthread_mutex_unlock(&parent->mu);
    if (st && c) {
        char id[64];
        snprintf(id, sizeof id, "%s", c->id);
        wb_session_close(c);
        wb_session_delete(&opts, id, NULL);
        return st;
    }
    if (!st)
        *out = c;
    return st;
}
