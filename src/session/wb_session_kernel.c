/* wb_session_kernel.c: long-lived Python and JavaScript guests.
 *
 * One guest per language and session runs our driver (driver.py,
 * driver.js) on its own thread; between steps it is parked in fd_read on
 * a socket whose other end we hold. A step writes a framed request (by
 * its deadline: code can make the driver stop reading), then waits until
 * the guest is parked again, dies, or the step's deadline passes. Output
 * is counted against max_output by our output callback (past it the
 * guest's writes fail with EIO, so the step ends with an exception and
 * the state survives), and the deadline interrupts the store and cancels
 * WASI waits: the guest is then gone and so is its state; the next step
 * starts a new one and says so.
 *
 * The driver runs in the same interpreter as the step's code, so nothing
 * it writes proves the step is over: code can wrap the driver's writes or
 * reads, or write its control lines itself, and go on running. The step
 * is over only when the WASI layer's stdin hook (on_stdin_wait, on the
 * guest thread) shows the guest waiting in fd_read on the request socket
 * with every byte of the request read: "parked". Nothing wakes a parked
 * guest but our next request, and the hook stops a guest that wakes
 * outside a step; wb_kernel_stop kills rather than lets the driver return
 * (Python's atexit and finalizers, QuickJS's pending jobs and timers would
 * run). So guest code runs only within a step, under its deadline. Code
 * that keeps the guest busy after its step's end line ends the step at
 * the deadline (timeout, state lost); a step that parks without its end
 * line waits for input it can never get and is stopped at once.
 *
 * The store belongs to the guest thread; the step's thread never touches
 * it. The guest applies each step's fuel itself: the hook when the
 * request wakes it, then the output callback (on its own thread) of the
 * driver's "WBGO" line, written once it has read the request. The "WBEND"
 * callback measures the step's fuel and refills it with the step's
 * budget for the driver's way back to fd_read; memory and disk are
 * measured again when it parks.
 *
 * Memory, disk and open files are budgets of the guest's whole life; a
 * step's disk budget is also at most what is left of the workspace quota
 * (disk_room).
 *
 * The guest is the root of a process tree (kernel_tree; docs/
 * processes.md, "Session kernels"): its children (subprocess,
 * os.system) share its memory budget, its output and the step's
 * deadline, and live no longer than the step: when its code returns
 * (the call of a checkpointed kernel, before the checkpoint; else once
 * the guest parks) every child is killed and joined, and a halt
 * interrupts them with the guest.
 *
 * Checkpointed kernels (Python started from python.snap; docs/
 * snapshots.md, "Checkpointed sessions"): the driver returns to the host
 * between steps instead of waiting in fd_read, and the guest thread
 * calls one step at a time (stepped_main), so with no guest call in
 * progress it captures the state after each step that ended with its
 * WBEND (checkpoint). "Parked" is then "the call returned" (or the
 * guest waits for stdin with the request read: stuck, as above). A step
 * that ends any other way stops the guest as above, and a new kernel is
 * mapped from the last checkpoint (rollback): the result says
 * rolled_back and live_step. */
#include "session/wb_session.h"
#include "proc/ptree.h"
#include "sandbox/preinit.h"
#include "snapshot/ckpt.h"
#include "wasi/wasi.h"
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CTRL_MAX 512
#define STARTUP_MS 60000u
#define CKPT_DIR WB_SESS_CKPT_DIR

struct wb_kernel {
    wb_lang lang;
    wb_sandbox_config cfg;
    wb_module *m;
    const wb_snapshot *pre;    /* or started from this (preinit.h) */
    /* Checkpointed (docs/snapshots.md, "Checkpointed sessions"): the
     * driver returns between steps; the guest thread calls each one. */
    bool stepped;
    wb_snapshot *resume;            /* start from this checkpoint (owned) */
    wb_instance *inst;
    bool go, quit;                  /* guest thread: call a step / end */
    bool returned;                  /* the step's call returned */
    uint32_t steps;                 /* steps it completed (guest thread) */
    wb_ckpt *ckpt;                  /* the state after step live_step */
    uint32_t live_step;
    char ckpt_why[160];             /* why the last capture failed, or "" */
    char *disk_dir;                 /* the checkpoint's copy goes there */
    bool persist_due, persisting;   /* guest thread: write the copy */
    const wb_fence *fence;          /* a shared session's (or NULL): its
                                       copies are generations */
    enum { P_NONE, P_DONE, P_FENCED, P_FAILED } persisted;  /* the last
                                       step's copy (guest thread) */
    wb_wasi *w;
    wb_store *st;
    wb_linker *l;
    wb_ptree *tree;                 /* the guest is its root */
    int req_fd;
    pthread_t th;
    bool th_started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    /* guest thread outcome */
    bool exited;
    wb_status call_st;
    wb_error call_err;
    /* the step under way (guarded by mu) */
    bool ready;
    enum { STEP_IDLE, STEP_SENT, STEP_RUNNING, STEP_DONE } phase;
    bool step_done;                 /* its WBEND came */
    bool sent;                      /* all of its request is in the socket */
    bool waiting;                   /* the guest is in a stdin wait on */
    int wait_fd;                    /* ... this fd */
    bool parked;                    /* ... with all of the request read */
    char nonce[40];
    int64_t fuel;                   /* the step's budget; < 0: unlimited */
    uint64_t disk_room;             /* the step's share of the quota */
    /* measured on the guest thread at WBEND or exit */
    uint64_t fuel_used, peak_memory, disk_bytes;
    char reply[CTRL_MAX];
    wb_capture cap;
    uint64_t limit, used;
    bool truncated[3];
    /* a control line being assembled */
    char ctrl[CTRL_MAX];
    size_t ctrl_len;
    bool in_ctrl;
};

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int wb_capture_append(wb_capture *c, int stream, const uint8_t *d, size_t n)
{
    if (stream < 1 || stream > 2)
        return 0;
    if (c->len[stream] + n + 1 > c->cap[stream]) {
        size_t cap = (c->len[stream] + n + 1) * 2;
        char *b = realloc(c->buf[stream], cap);
        if (!b)
            return -1;
        c->buf[stream] = b;
        c->cap[stream] = cap;
    }
    memcpy(c->buf[stream] + c->len[stream], d, n);
    c->len[stream] += n;
    c->buf[stream][c->len[stream]] = 0;
    return 0;
}

/* User output of the step, under the per-step output budget. */
static int user_out(wb_kernel *k, int stream, const uint8_t *d, size_t n)
{
    if (!n)
        return 0;
    uint64_t room = k->used < k->limit ? k->limit - k->used : 0;
    size_t take = n > room ? (size_t)room : n;
    if (take && wb_capture_append(&k->cap, stream, d, take))
        return -1;
    k->used += take;
    if (take < n) {
        k->truncated[stream] = true;
        return -1;                        /* EIO: the guest sees it */
    }
    return 0;
}

/* Guest thread, k->mu held: the step's usage so far (its fuel until its
 * WBEND; after it the driver runs on a refill). */
static void measure(wb_kernel *k)
{
    wb_run_result u;
    memset(&u, 0, sizeof u);
    wb_wasi_usage(k->w, &u);
    if (!k->step_done)
        k->fuel_used = (uint64_t)wb_store_fuel_used(k->st);
    /* the tree's: its children's memory is summed with the guest's */
    uint64_t own = wb_store_peak_memory(k->st);
    uint64_t tree = k->tree ? wb_ptree_peak_memory(k->tree) : 0;
    k->peak_memory = tree > own ? tree : own;
    k->disk_bytes = u.disk_bytes;
}

/* Guest thread, k->mu held: the step may write `room` more bytes (what
 * is left of the workspace quota), within the kernel's whole-life disk
 * budget. */
static void disk_room(wb_kernel *k, uint64_t room)
{
    wb_run_result u;
    memset(&u, 0, sizeof u);
    wb_wasi_usage(k->w, &u);
    uint64_t life = k->cfg.budget.max_disk, cap = u.disk_bytes + room;
    wb_wasi_set_max_disk(k->w, cap < u.disk_bytes || cap > life ? life : cap);
}

/* Does control line k->ctrl say `word` with the step's nonce? `rest`
 * gets what follows the nonce. */
static bool step_line(wb_kernel *k, const char *word, const char **rest)
{
    size_t wl = strlen(word), nl = strlen(k->nonce);
    const char *c = k->ctrl + 1;
    if (!nl || strncmp(c, word, wl) || c[wl] != ' ' ||
        strncmp(c + wl + 1, k->nonce, nl))
        return false;
    *rest = c + wl + 1 + nl;
    return true;
}

/* Guest thread, k->mu held. Each step line is taken once, in order, so
 * code that learnt the nonce can end its step early but never gets more
 * than the step's budget and then the driver's; anything else was user
 * output. */
static void control(wb_kernel *k)
{
    const char *rest;
    k->ctrl[k->ctrl_len] = 0;
    if (!k->ready && !strcmp(k->ctrl, "\x1eWBREADY")) {
        k->ready = true;
    } else if (k->phase == STEP_SENT && step_line(k, "WBGO", &rest) &&
               !*rest) {
        wb_store_set_fuel(k->st, k->fuel);
        disk_room(k, k->disk_room);
        k->phase = STEP_RUNNING;
    } else if (k->phase == STEP_RUNNING && step_line(k, "WBEND", &rest) &&
               *rest == ' ') {
        snprintf(k->reply, sizeof k->reply, "%s", rest + 1);
        measure(k);
        wb_store_set_fuel(k->st, k->fuel);   /* the driver's, until parked */
        k->phase = STEP_DONE;
        k->step_done = true;
    } else {
        user_out(k, 1, (const uint8_t *)k->ctrl, k->ctrl_len);
    }
}

/* Guest thread: split stdout into user bytes and control lines (which
 * start with \x1e and end with \n). */
static int on_output(void *user, int stream, const uint8_t *d, size_t n)
{
    wb_kernel *k = user;
    int rc = 0;
    pthread_mutex_lock(&k->mu);
    if (stream != 1) {
        rc = user_out(k, stream, d, n);
        pthread_mutex_unlock(&k->mu);
        return rc;
    }
    size_t i = 0;
    while (i < n) {
        if (k->in_ctrl) {
            const uint8_t *e = memchr(d + i, '\n', n - i);
            size_t take = e ? (size_t)(e - (d + i)) : n - i;
            if (k->ctrl_len + take >= CTRL_MAX - 1) {
                /* too long for a control line: it was user output */
                k->in_ctrl = false;
                if (user_out(k, 1, (const uint8_t *)k->ctrl, k->ctrl_len))
                    rc = -1;
                continue;
            }
            memcpy(k->ctrl + k->ctrl_len, d + i, take);
            k->ctrl_len += take;
            i += take;
            if (e) {
                i++;
                k->in_ctrl = false;
                control(k);
            }
        } else {
            const uint8_t *e = memchr(d + i, 0x1e, n - i);
            size_t take = e ? (size_t)(e - (d + i)) : n - i;
            if (user_out(k, 1, d + i, take))
                rc = -1;
            i += take;
            if (e) {
                k->in_ctrl = true;
                k->ctrl_len = 0;
                k->ctrl[k->ctrl_len++] = 0x1e;
                i++;
            }
        }
    }
    pthread_mutex_unlock(&k->mu);
    return rc;
}

/* k->mu held: is the guest parked -- waiting for stdin with all of the
 * request read? Then it cannot run again until we write. */
static void check_parked(wb_kernel *k)
{
    struct pollfd p = { .fd = k->wait_fd, .events = POLLIN };
    if (!k->parked && k->waiting && k->sent && poll(&p, 1, 0) == 0) {
        k->parked = true;
        pthread_cond_broadcast(&k->cv);
    }
}

/* Guest thread, the WASI layer's stdin wait hook (see the top comment).
 * Only a step's request wakes a parked guest; woken outside a step, the
 * read is cancelled and the guest dies (non-zero return). */
static int on_stdin_wait(void *user, int fd, bool waiting)
{
    wb_kernel *k = user;
    int rc = 0;
    pthread_mutex_lock(&k->mu);
    k->waiting = waiting;
    k->wait_fd = fd;
    if (waiting) {
        measure(k);
        check_parked(k);
    } else {
        k->parked = false;
        if (k->phase == STEP_IDLE)
            rc = -1;
        else if (k->phase == STEP_SENT)
            wb_store_set_fuel(k->st, k->fuel);   /* reading the request */
    }
    pthread_mutex_unlock(&k->mu);
    return rc;
}

/* Guest thread of a checkpointed kernel, after one step's call: the
 * state after it becomes the checkpoint (no call in progress now; the
 * pages written since the last one are copied, see snapshot/ckpt.h). A
 * checkpoint that fails is dropped (it may be half updated): until the
 * next one, a failed step loses the state. */
static void checkpoint(wb_kernel *k)
{
    wb_error e = { 0 };
    k->steps++;
    wb_status st = k->ckpt ? wb_ckpt_update(k->ckpt, k->inst, k->w, &e)
                           : wb_ckpt_new(k->inst, k->w, &k->ckpt, &e);
    if (st) {
        snprintf(k->ckpt_why, sizeof k->ckpt_why, "%.150s", e.message);
        wb_ckpt_free(k->ckpt);
        k->ckpt = NULL;
        return;
    }
    k->live_step = k->steps;
    k->ckpt_why[0] = 0;
}

/* Guest thread, after a step's call and its checkpoint, once the step's
 * thread has seen it end (so its deadline does not count this): the
 * copy of the checkpoint on disk, atomically (snapshot/persist.c), so a
 * server restarted or killed goes on from it; the step is answered
 * after it. A copy that cannot be written stays as it was (an older
 * step's); the checkpoint in memory serves rollbacks all the same. A
 * shared session's copy is its lease's generation, which only a fence
 * still open may write (wb_session_ckpt.c). */
static void persist(wb_kernel *k)
{
    k->persisted = P_NONE;
    if (!k->disk_dir || !k->ckpt)
        return;
    mkdir(k->disk_dir, 0700);         /* a worker's server made it */
    int dfd = open(k->disk_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC |
                   O_NOFOLLOW);
    wb_error e = { 0 };
    wb_status st = dfd < 0 ? WB_E_IO
                 : k->fence ? wb_sess_ckpt_commit(dfd, k->fence, k->ckpt, &e)
                 : wb_sess_ckpt_persist(dfd, k->ckpt, &e);
    k->persisted = !st ? P_DONE : st == WB_E_BUSY ? P_FENCED : P_FAILED;
    if (st)
        snprintf(k->ckpt_why, sizeof k->ckpt_why, "on disk: %.140s",
                 dfd < 0 ? strerror(errno) : e.message);
    if (dfd >= 0)
        close(dfd);
}

/* Guest thread of a checkpointed kernel: set up (or map the checkpoint
 * to resume from), then one call per step until told to quit. */
static wb_status stepped_main(wb_kernel *k, wb_error *e)
{
    wb_status st;
    if (k->resume) {
        st = wb_snapshot_instantiate(k->st, k->resume, k->l, &k->inst, e);
        pthread_mutex_lock(&k->mu);
        k->ready = true;              /* its driver said so before */
        pthread_mutex_unlock(&k->mu);
    } else {
        st = wb_preinit_kernel_open(k->st, k->l, k->pre, &k->cfg, &k->inst,
                                    e);
    }
    pthread_mutex_lock(&k->mu);
    while (!st) {
        k->parked = true;
        k->persisting = k->persist_due;    /* seen with parked */
        k->persist_due = false;
        pthread_cond_broadcast(&k->cv);
        if (k->persisting) {
            pthread_mutex_unlock(&k->mu);
            persist(k);
            pthread_mutex_lock(&k->mu);
            k->persisting = false;
            pthread_cond_broadcast(&k->cv);
        }
        while (!k->go && !k->quit)
            pthread_cond_wait(&k->cv, &k->mu);
        if (k->quit)
            break;
        k->go = false;
        wb_store_set_fuel(k->st, k->fuel);
        pthread_mutex_unlock(&k->mu);
        st = wb_preinit_kernel_step(k->st, k->inst, e);
        wb_ptree_end_children(k->tree);      /* before the checkpoint */
        pthread_mutex_lock(&k->mu);
        bool done = !st && k->step_done;
        k->returned = !st;
        measure(k);                   /* memory and disk, as at a park */
        if (done) {
            pthread_mutex_unlock(&k->mu);
            checkpoint(k);
            pthread_mutex_lock(&k->mu);
            k->persist_due = k->ckpt != NULL;
        }
    }
    pthread_mutex_unlock(&k->mu);
    return st;
}

static void *guest_main(void *arg)
{
    wb_kernel *k = arg;
    wb_error e = { 0 };
    wb_instance *inst = NULL;
    wb_status st = k->stepped ? stepped_main(k, &e)
                 : k->pre ? wb_preinit_kernel(k->st, k->l, k->pre, &k->cfg,
                                              &e)
                          : wb_instantiate(k->st, k->m, k->l, &inst, &e);
    if (st == WB_OK && !k->pre && !k->stepped) {
        wb_func *f = wb_instance_func(inst, "_start");
        if (!f) {
            st = wb_err_set(&e, WB_E_LINK, "no _start");
        } else {
            st = wb_func_call(k->st, f, NULL, 0, NULL, 0, &e);
        }
    }
    wb_ptree_end_children(k->tree);      /* before its usage is read */
    pthread_mutex_lock(&k->mu);
    measure(k);
    k->call_st = st;
    k->call_err = e;
    k->exited = true;
    pthread_cond_broadcast(&k->cv);
    pthread_mutex_unlock(&k->mu);
    return NULL;
}

/* Killed, never asked to end: a driver that returned would run user code
 * outside any step (atexit handlers, finalizers, pending jobs, timers). */
/* Stop the guest wherever it is: in a step, or (checkpointed) waiting
 * for the next one. */
static void halt(wb_kernel *k)
{
    pthread_mutex_lock(&k->mu);
    k->quit = true;
    pthread_cond_broadcast(&k->cv);
    pthread_mutex_unlock(&k->mu);
    wb_store_interrupt(k->st);
    wb_wasi_cancel(k->w);
    if (k->tree)
        wb_ptree_cancel(k->tree, -1);     /* its children too */
}

void wb_kernel_stop(wb_kernel *k)
{
    if (!k)
        return;
    if (k->th_started) {
        halt(k);
        pthread_join(k->th, NULL);
    }
    if (k->tree)
        wb_ptree_end(k->tree);           /* no child outlives its root */
    wb_ckpt_free(k->ckpt);               /* untracks, before the store */
    free(k->disk_dir);
    wb_snapshot_free(k->resume);
    if (k->req_fd >= 0)
        close(k->req_fd);
    wb_linker_free(k->l);
    if (k->st)
        wb_store_free(k->st);
    wb_ptree_free(k->tree);
    wb_wasi_free(k->w);
    if (k->m)
        wb_module_release(k->m);
    wb_sandbox_config_free(&k->cfg);
    for (int i = 0; i < 3; i++)
        free(k->cap.buf[i]);
    pthread_cond_destroy(&k->cv);
    pthread_mutex_destroy(&k->mu);
    free(k);
}

bool wb_kernel_supported(wb_lang lang)
{
    return lang == WB_LANG_PYTHON || lang == WB_LANG_JAVASCRIPT;
}

/* Wait (k->mu held) until *pred, the guest exits, or the deadline (a
 * monotonic ms time; 0: none). Returns false on deadline. */
static bool wait_until(wb_kernel *k, const bool *pred, uint64_t deadline)
{
    while (!(pred && *pred) && !k->exited) {
        if (!deadline) {
            pthread_cond_wait(&k->cv, &k->mu);
            continue;
        }
        uint64_t t = now_ms();
        if (t >= deadline)
            return false;
        uint64_t left = deadline - t;
        if (left > 200)
            left = 200;            /* re-check the monotonic clock */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += (time_t)(left / 1000);
        ts.tv_nsec += (long)(left % 1000) * 1000000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&k->cv, &k->mu, &ts);
    }
    return true;
}

/* The guest is the root of a tree of processes (docs/processes.md,
 * "Session kernels"): subprocess and os.system start children that share
 * its grants, its memory budget and the step's deadline and output. The
 * group has no fuel budget: the root's fuel is the step's, set and
 * measured as before, and each child gets the step's (wb_ptree_step). */
static wb_status kernel_tree(wb_kernel *k, wb_error *err)
{
    wb_sandbox_config c = k->cfg;            /* read, not kept */
    c.budget.fuel = -1;
    wb_status st = wb_ptree_new(&c, &k->tree, err);
    return st ? st : wb_ptree_root(k->tree, k->st, k->l, k->w, err);
}

/* A new kernel for `lang`; from checkpoint `resume` when not NULL (taken
 * over: freed with the kernel, or now on failure). */
static wb_status kernel_start(wb_session *s, wb_lang lang,
                              wb_snapshot *resume, wb_kernel **out,
                              wb_error *err)
{
    wb_kernel *k = calloc(1, sizeof *k);
    if (!k) {
        wb_snapshot_free(resume);
        return wb_err_set(err, WB_E_NOMEM, "out of memory");
    }
    k->lang = lang;
    k->resume = resume;
    k->fence = s->fence;
    k->req_fd = -1;
    k->wait_fd = -1;
    k->sent = true;                      /* no request: parked once ready */
    pthread_mutex_init(&k->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_cond_init(&k->cv, &ca);
    pthread_condattr_destroy(&ca);
    wb_sandbox_config_init(&k->cfg);
    int sv[2] = { -1, -1 };
    /* a worker's server wrote them before starting it (it may not) */
    wb_status st = s->in_worker ? WB_OK : wb_sess_drivers(s, err);
    if (!st) {
        wb_sandbox_config_free(&k->cfg);
        st = wb_sess_config(s, lang, true, &k->cfg, err);
    }
    /* Python from its pre-initialized snapshot when there is one */
    if (!st && lang == WB_LANG_PYTHON &&
        (k->pre = wb_sess_pre(s)) &&
        wb_preinit_unfit_kernel(&k->cfg))
        k->pre = NULL;
    /* checkpointed when it starts from the snapshot (or a checkpoint);
     * in a worker of serve or mcp too, where the lock-down refuses the
     * kernel's tracker and the checkpoint compares page hashes instead
     * (snapshot/ckpt.c) */
    k->stepped = k->pre != NULL || resume != NULL;
    if (!st && k->stepped && asprintf(&k->disk_dir, "%s/%s", s->root,
                                      CKPT_DIR) < 0) {
        k->disk_dir = NULL;
        st = wb_err_set(err, WB_E_NOMEM, "out of memory");
    }
    if (!st && k->stepped)
        st = wb_config_add_env(&k->cfg, WB_PREINIT_STEPS_ENV, "1");
    if (!st && !k->stepped)
        st = wb_sess_module(s, lang, &k->m, err);
    if (!st && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        st = wb_err_set(err, WB_E_IO, "socketpair: %s", strerror(errno));
    if (!st) {
        k->cfg.stdin_fd = sv[0];
        k->cfg.output = on_output;
        k->cfg.output_user = k;
        k->cfg.budget.max_output = UINT64_MAX;     /* counted per step */
        k->req_fd = sv[1];
        st = wb_wasi_new(&k->cfg, &k->w, err);
        close(sv[0]);                              /* the context dup'd it */
        k->cfg.stdin_fd = -1;
        if (!st && resume)
            st = wb_snapshot_restore_wasi(resume, k->w, err);
        if (!st)
            wb_wasi_set_stdin_wait(k->w, on_stdin_wait, k);
    }
    if (!st) {
        wb_limits lim;
        wb_limits_default(&lim);
        lim.max_memory = k->cfg.budget.max_memory;
        lim.max_call_depth = k->cfg.budget.max_stack;
        lim.fuel = -1;                         /* start-up is ours */
        st = wb_store_new(&lim, &k->st, err);
    }
    if (!st && !(k->l = wb_linker_new()))
        st = wb_err_set(err, WB_E_NOMEM, "out of memory");
    if (!st)
        st = wb_wasi_define(k->w, k->st, k->l, err);
    if (!st)
        st = kernel_tree(k, err);
    if (!st) {
        wb_store_set_user(k->st, k->w);
        k->limit = UINT64_MAX;
        if (pthread_create(&k->th, NULL, guest_main, k) != 0)
            st = wb_err_set(err, WB_E_NOMEM, "cannot start a thread");
        else
            k->th_started = true;
    }
    if (!st) {
        uint64_t t = k->cfg.budget.timeout_ms;
        uint64_t dl = now_ms() + (t > STARTUP_MS ? t : STARTUP_MS);
        pthread_mutex_lock(&k->mu);
        bool ok = wait_until(k, &k->parked, dl);
        bool exited = k->exited, ready = k->ready;
        wb_error ce = k->call_err;
        char early[300];
        snprintf(early, sizeof early, "%.*s", (int)(k->cap.len[2] < 290 ?
                 k->cap.len[2] : 290), k->cap.buf[2] ? k->cap.buf[2] : "");
        pthread_mutex_unlock(&k->mu);
        if (!ok || exited || !ready)
            st = wb_err_set(err, WB_E_IO, "the %s interpreter did not "
                            "start: %s %s", wb_lang_name(lang),
                            !ok ? "start-up timed out" : exited ?
                            ce.message : "it read stdin before it was "
                            "ready", early);
    }
    if (st) {
        if (sv[1] >= 0 && k->req_fd < 0)
            close(sv[1]);
        wb_kernel_stop(k);
        return st;
    }
    pthread_mutex_lock(&k->mu);
    for (int i = 0; i < 3; i++)
        k->cap.len[i] = 0;
    pthread_mutex_unlock(&k->mu);
    *out = k;
    return WB_OK;
}

/* Send all of p to the guest by the deadline (monotonic ms; 0: none):
 * past the socket's buffer, only as fast as the guest reads, and code
 * can make it stop reading. 0: sent; 1: the deadline came first; -1: the
 * guest cannot take it (its end is closed, or it died). */
static int send_by(wb_kernel *k, const char *p, size_t n, uint64_t deadline)
{
    while (n > 0) {
        ssize_t w = send(k->req_fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w > 0) {
            p += w;
            n -= (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
            return -1;
        uint64_t t = now_ms();
        if (deadline && t >= deadline)
            return 1;
        uint64_t left = deadline ? deadline - t : 200;
        struct pollfd pf = { .fd = k->req_fd, .events = POLLOUT };
        if (poll(&pf, 1, left > 200 ? 200 : (int)left) < 0 && errno != EINTR)
            return -1;
        pthread_mutex_lock(&k->mu);
        bool dead = k->exited;
        pthread_mutex_unlock(&k->mu);
        if (dead)
            return -1;
    }
    return 0;
}

/* How the guest's death ends the step. */
static void classify_exit(wb_kernel *k, bool fired, wb_step_result *res)
{
    wb_run_result *r = &res->run;
    int stop = wb_ptree_stop(k->tree);       /* a child's limit, or ... */
    if (stop < 0)
        stop = wb_wasi_stop_reason(k->w);
    wb_status st = k->call_st;
    const wb_error *e = &k->call_err;
    snprintf(r->message, sizeof r->message, "%s", e->message);
    snprintf(r->backtrace, sizeof r->backtrace, "%s", e->backtrace);
    if (fired) {
        r->outcome = WB_OUTCOME_TIMEOUT;
        snprintf(r->message, sizeof r->message, "timeout");
    } else if (st == WB_OK || st == WB_E_EXIT) {
        r->outcome = WB_OUTCOME_EXITED;
        r->exit_code = st == WB_OK ? 0 : e->exit_code;
        r->message[0] = 0;
    } else if (st == WB_E_TRAP && stop >= 0) {
        r->outcome = (wb_outcome)stop;
    } else if (st == WB_E_TRAP && e->trap == WB_TRAP_FUEL) {
        r->outcome = WB_OUTCOME_FUEL;
    } else if ((st == WB_E_TRAP && e->trap == WB_TRAP_MEMORY_LIMIT) ||
               st == WB_E_LIMIT) {
        r->outcome = WB_OUTCOME_MEMORY;
    } else if (st == WB_E_TRAP) {
        r->outcome = WB_OUTCOME_TRAP;
    } else {
        r->outcome = WB_OUTCOME_ERROR;
        r->status = st;
    }
}

/* Is k parked, as every kernel is between steps? */
static bool kernel_parked(wb_kernel *k)
{
    pthread_mutex_lock(&k->mu);
    bool ok = k->parked && !k->exited;
    pthread_mutex_unlock(&k->mu);
    return ok;
}

/* The session's directory of checkpoint copies, not through a symlink
 * (a shared state directory's other writers could plant one); -1. */
static int ckpt_open(const wb_session *s)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/%s", s->root, CKPT_DIR);
    return open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
}

/* Has the checkpoint of a shared session been forgotten in this
 * generation (its "none" is written at the step's end)? */
static bool forgotten(const wb_session *s)
{
    return s->fence && s->forgot_gen &&
           s->forgot_gen == wb_fence_gen(s->fence);
}

void wb_kernel_forget(wb_session *s, wb_lang lang)
{
    if (lang != WB_LANG_PYTHON || !s->root)
        return;
    if (s->fence) {
        /* a generation is written once: its "none" goes in at the end
           of the step, unless the step's checkpoint does (settle) */
        s->forgot_gen = wb_fence_gen(s->fence);
        return;
    }
    int dfd = ckpt_open(s);
    wb_error e = { 0 };
    if (dfd < 0)
        return;
    wb_sess_ckpt_forget(dfd, &e);     /* as a copy that cannot be written */
    close(dfd);
}

/* The checkpoint on disk that a new kernel of `lang` goes on from
 * (NULL: none). One that does not open (damaged, truncated, another
 * python.wasm or wasmbox) is removed, and `why` says why in one line.
 * Temporary files of copies that a killed process left half written go
 * first: no other process writes there while this one holds the
 * session (a late one's copy fails without them, as it should). */
static wb_snapshot *disk_resume(wb_session *s, wb_lang lang, char *why,
                                size_t cap)
{
    char name[64], base[64];
    const wb_snapshot *pre;
    if (lang != WB_LANG_PYTHON || !s->root || forgotten(s))
        return NULL;
    int dfd = ckpt_open(s);
    if (dfd < 0)
        return NULL;
    wb_sess_ckpt_drop_temps(dfd);
    wb_snapshot *sn = NULL;
    wb_error e = { 0 };
    wb_status st = wb_sess_ckpt_find(s, dfd, name, base, sizeof name) <= 0 ||
                   !(pre = wb_sess_pre(s)) ? WB_E_NOT_FOUND
                 /* a layer over the base beside it (snapshot/layer.c) */
                 : wb_snapshot_open_at(dfd, name, base,
                                       wb_snapshot_module(pre), &sn, &e);
    close(dfd);
    if (st == WB_OK || st == WB_E_NOT_FOUND)
        return sn;
    snprintf(why, cap, "%.250s", e.message);
    wb_kernel_forget(s, lang);
    return NULL;
}

/* A kernel just restored from its copy on disk (not run since): its
 * checkpoint from now on is a layer over that file, holding only the
 * pages its steps write (snapshot/ckpt.c); where none can be made, the
 * first step's checkpoint captures all, as before. The guest thread is
 * parked, with no call of the store in progress (as for rollback's
 * bind). */
static void layer_over_disk(wb_kernel *k)
{
    wb_error e = { 0 };
    if (!k->resume || k->ckpt)
        return;
    if (wb_ckpt_new_over(k->inst, k->w, k->resume, &k->ckpt, &e))
        snprintf(k->ckpt_why, sizeof k->ckpt_why, "%.150s", e.message);
}

/* A new kernel for the step: from the session's checkpoint on disk when
 * there is one (a reopened session, a new worker after a crash), else
 * fresh; the note says which. */
static wb_status kernel_new(wb_session *s, wb_lang lang, wb_step_result *res,
                            wb_kernel **out, wb_error *err)
{
    char why[300] = "";
    const char *name = wb_lang_name(lang);
    /* (a state lost in a step removed the copy: wb_kernel_forget) */
    wb_snapshot *sn = disk_resume(s, lang, why, sizeof why);
    bool resumed = sn != NULL;
    wb_status st = kernel_start(s, lang, sn, out, err);    /* takes sn */
    if (!st && resumed)
        layer_over_disk(*out);
    if (st && resumed) {
        snprintf(why, sizeof why, "it could not be restored: %.250s",
                 err->message);
        wb_kernel_forget(s, lang);
        resumed = false;
        st = kernel_start(s, lang, NULL, out, err);
    }
    if (st)
        return st;
    if (resumed) {
        res->state_kept = true;
        snprintf(res->note, sizeof res->note, "The %s interpreter was "
                 "restored from its checkpoint on disk (its process was "
                 "restarted): variables are as after the last step that "
                 "finished before; files in /work are kept.", name);
    } else if (*why) {
        snprintf(res->note, sizeof res->note, "The %s interpreter's "
                 "checkpoint on disk was refused (%.110s): it starts "
                 "afresh without the variables of earlier steps; files in "
                 "/work are kept.", name, why);
    } else if (s->lost[lang]) {
        snprintf(res->note, sizeof res->note, "The %s interpreter was "
                 "restarted (%s): variables from earlier steps are gone; "
                 "files in /work are kept.", name, s->lost_why[lang]);
    }
    s->lost[lang] = false;
    return WB_OK;
}

/* The step's kernel: the session's, or a new one (res says which). */
static wb_status kernel_for(wb_session *s, wb_lang lang, wb_step_result *res,
                            wb_kernel **out, wb_error *err)
{
    wb_kernel *k = s->kernel[lang];
    if (k && !kernel_parked(k)) {
        /* nothing but a step wakes a parked guest: never left running */
        wb_kernel_stop(k);
        k = s->kernel[lang] = NULL;
        s->lost[lang] = true;
        snprintf(s->lost_why[lang], sizeof s->lost_why[lang], "it was found "
                 "running between steps");
        wb_kernel_forget(s, lang);
    }
    res->state_kept = k != NULL;
    if (!k) {
        wb_status st = kernel_new(s, lang, res, &k, err);
        if (st)
            return st;
        s->kernel[lang] = k;
    }
    *out = k;
    return WB_OK;
}

/* The copy on disk of a step's checkpoint is written after the step's
 * call (outside its deadline) and before its answer. */
static void wait_persisted(wb_kernel *k)
{
    pthread_mutex_lock(&k->mu);
    while (k->persisting && !k->exited)
        pthread_cond_wait(&k->cv, &k->mu);
    pthread_mutex_unlock(&k->mu);
}

/* k->mu held: the step is over, and so are its children, before its
 * usage is read (a checkpointed guest's thread ended them when its call
 * returned; a halted guest's were interrupted). A guest that could not be
 * sent its request and still runs (it closed its end) is halted first:
 * it is stopped after this step anyway, and it could start children as
 * fast as they are ended. Returns whether it was that one. */
static bool end_children(wb_kernel *k, bool parked, bool sent)
{
    bool unreachable = !parked && !sent && !k->exited;
    if (unreachable) {
        pthread_mutex_unlock(&k->mu);
        halt(k);
        pthread_mutex_lock(&k->mu);
        wait_until(k, NULL, 0);
    }
    pthread_mutex_unlock(&k->mu);
    wb_ptree_end_children(k->tree);
    pthread_mutex_lock(&k->mu);
    return unreachable;
}

/* k->mu held: a new step under budget b with a fresh nonce. */
static void step_begin(wb_kernel *k, const wb_budget *b, uint64_t t0)
{
    uint8_t rnd[8] = { 0 };
    if (getrandom(rnd, sizeof rnd, 0) != sizeof rnd)
        memcpy(rnd, &t0, sizeof rnd);
    for (int i = 0; i < 3; i++) {
        k->cap.len[i] = 0;
        k->truncated[i] = false;
        if (k->cap.buf[i])
            k->cap.buf[i][0] = 0;
    }
    for (int i = 0; i < 8; i++)
        snprintf(k->nonce + 2 * i, 3, "%02x", rnd[i]);
    k->step_done = false;
    k->sent = false;
    k->parked = false;
    k->persisted = P_NONE;
    k->reply[0] = 0;
    k->used = 0;
    k->limit = b->max_output;
    k->fuel = b->fuel;
    k->disk_room = b->max_disk;
    wb_wasi_set_net(k->w, &b->net);     /* the guest is parked: not in it */
    wb_ptree_step(k->tree, b->fuel, b->max_processes);
    k->fuel_used = k->peak_memory = k->disk_bytes = 0;
    k->phase = STEP_SENT;
    if (k->stepped) {
        k->returned = false;
        k->go = true;                 /* the guest thread calls the step */
        pthread_cond_broadcast(&k->cv);
    }
}

/* k->mu held: the outcome of a step that parked again after its WBEND. */
static void step_answer(wb_kernel *k, wb_run_result *r)
{
    json_t *j = json_loads(k->reply, 0, NULL);
    const char *status = "ok";
    int ec = 0;
    if (j)
        json_unpack(j, "{s?s, s?i}", "status", &status, "exit_code", &ec);
    r->outcome = WB_OUTCOME_EXITED;
    r->exit_code = ec;
    if (!strcmp(status, "error"))
        snprintf(r->message, sizeof r->message, "uncaught exception");
    json_decref(j);
    if (k->truncated[1] || k->truncated[2]) {
        r->outcome = WB_OUTCOME_OUTPUT_LIMIT;
        snprintf(r->message, sizeof r->message, "output limit exceeded");
    }
}

/* k->mu held: output and usage of the step into res. */
static void step_usage(wb_kernel *k, wb_step_result *res)
{
    wb_run_result *r = &res->run;
    r->stdout_truncated = k->truncated[1];
    r->stderr_truncated = k->truncated[2];
    r->stdout_bytes = k->cap.len[1];
    r->stderr_bytes = k->cap.len[2];
    res->out = k->cap.buf[1] ? strndup(k->cap.buf[1], k->cap.len[1])
                             : strdup("");
    res->err = k->cap.buf[2] ? strndup(k->cap.buf[2], k->cap.len[2])
                             : strdup("");
    res->out_len = k->cap.len[1];
    res->err_len = k->cap.len[2];
    r->fuel_used = k->fuel_used;
    r->peak_memory = k->peak_memory;
    r->disk_bytes = k->disk_bytes;
    wb_run_result u;
    memset(&u, 0, sizeof u);
    wb_wasi_usage(k->w, &u);
    r->net_requests = u.net_requests;
    memcpy(r->net, u.net, sizeof r->net);
}

/* The kernel died or was stopped in this step: forget it, say why. */
static void step_lost(wb_session *s, wb_lang lang, bool fired, bool stuck,
                      wb_step_result *res)
{
    wb_run_result *r = &res->run;
    const char *why = fired ? "the previous step hit its time limit"
                      : stuck ? "the previous step waited for input"
                      : r->outcome == WB_OUTCOME_FUEL
                          ? "the previous step ran out of fuel"
                      : r->outcome == WB_OUTCOME_MEMORY
                          ? "the previous step hit the memory limit"
                      : r->outcome == WB_OUTCOME_EXITED
                          ? "the previous step ended the interpreter"
                          : "the interpreter was killed";
    wb_kernel_stop(s->kernel[lang]);
    s->kernel[lang] = NULL;
    s->lost[lang] = true;
    snprintf(s->lost_why[lang], sizeof s->lost_why[lang], "%s", why);
    wb_kernel_forget(s, lang);        /* an older state is no answer */
    res->state_lost_after = true;
    res->state_kept = false;
    snprintf(res->note, sizeof res->note, "The %s interpreter had to be "
             "stopped (%s): its variables are lost and the next step "
             "starts a fresh interpreter; files in /work are kept.",
             wb_lang_name(lang), wb_outcome_name(r->outcome));
}

/* A checkpointed kernel whose step failed: stop it and start its
 * successor from the last checkpoint. false: there is none (the kernel
 * is stopped; step_lost says so). */
static bool rollback(wb_session *s, wb_lang lang, wb_step_result *res)
{
    wb_kernel *k = s->kernel[lang], *nk = NULL;
    if (!k->stepped)
        return false;
    if (k->th_started) {
        halt(k);
        pthread_join(k->th, NULL);
        k->th_started = false;
    }
    wb_ckpt *c = k->ckpt;
    uint32_t live = k->live_step;
    if (!c)
        return false;
    wb_ckpt_unbind(c);
    k->ckpt = NULL;
    wb_kernel_stop(k);
    s->kernel[lang] = NULL;
    wb_error e = { 0 };
    wb_snapshot *sn = NULL;
    wb_status st = wb_ckpt_open(c, &sn, &e);
    if (!st)
        st = kernel_start(s, lang, sn, &nk, &e);   /* takes sn over */
    if (st) {
        wb_ckpt_free(c);
        wb_kernel_forget(s, lang);
        s->lost[lang] = true;
        snprintf(s->lost_why[lang], sizeof s->lost_why[lang], "its last "
                 "checkpoint could not be restored: %.50s", e.message);
        res->state_lost_after = true;
        res->state_kept = false;
        snprintf(res->note, sizeof res->note, "The %s interpreter had to be "
                 "stopped (%s) and %s: its variables are lost.",
                 wb_lang_name(lang), wb_outcome_name(res->run.outcome),
                 s->lost_why[lang]);
        return true;
    }
    /* parked, and no guest code has run: what it writes from now on is
     * what the next checkpoint copies */
    wb_ckpt_bind(c, nk->inst);
    nk->ckpt = c;
    nk->steps = nk->live_step = live;
    s->kernel[lang] = nk;
    res->rolled_back = true;
    res->live_step = live;
    res->state_kept = true;
    res->state_lost_after = false;
    snprintf(res->note, sizeof res->note, "The step was stopped (%s) and "
             "the %s interpreter rolled back to its state after step %u: "
             "what the step changed in variables is undone; files it wrote "
             "in /work are kept.", wb_outcome_name(res->run.outcome),
             wb_lang_name(lang), live);
    return true;
}

/* A shared session's step is over: is its checkpoint in? Its copy
 * (persisted), or else the "none" of a checkpoint it forgot, is this
 * generation's one commit (wb_session_ckpt.c). A copy refused because
 * the lease was lost fails the step: its interpreter, ahead of every
 * copy on disk, is stopped (the next step restores the new holder's
 * checkpoint). Nothing to commit, or a copy that failed otherwise: the
 * server's own check decides (wb_session_step.c). */
static wb_status settle(wb_session *s, wb_lang lang, int persisted,
                        wb_error *err)
{
    wb_status st = WB_OK;
    if (!s->fence || lang != WB_LANG_PYTHON)
        return WB_OK;
    if (persisted == P_FENCED) {
        st = WB_E_BUSY;
    } else if (persisted == P_DONE) {
        s->committed = true;
    } else if (forgotten(s)) {
        int dfd = ckpt_open(s);
        wb_error e = { 0 };
        st = dfd < 0 ? WB_E_IO : wb_sess_ckpt_commit_none(dfd, s->fence, &e);
        s->committed = !st;
        if (dfd >= 0)
            close(dfd);
        if (st != WB_E_BUSY)
            st = WB_OK;                /* as a copy that cannot be written */
    }
    if (s->committed)
        s->forgot_gen = 0;
    if (st != WB_E_BUSY)
        return WB_OK;
    wb_kernel_stop(s->kernel[lang]);
    s->kernel[lang] = NULL;
    return wb_sess_fenced(s, err);
}

wb_status wb_kernel_step(wb_session *s, wb_lang lang, const char *code,
                         size_t len, const wb_budget *b, wb_step_result *res,
                         wb_error *err)
{
    uint64_t t0 = now_ms();
    wb_kernel *k;
    res->persistent = true;
    wb_status st = kernel_for(s, lang, res, &k, err);
    if (st)
        return st;
    pthread_mutex_lock(&k->mu);
    step_begin(k, b, t0);
    pthread_mutex_unlock(&k->mu);
    char hdr[80];
    int hn = snprintf(hdr, sizeof hdr, "%s %zu\n", k->nonce, len);
    uint64_t dl = b->timeout_ms ? t0 + b->timeout_ms : 0;
    int sr = send_by(k, hdr, (size_t)hn, dl);
    if (!sr)
        sr = send_by(k, code, len, dl);
    bool sent = sr == 0;
    pthread_mutex_lock(&k->mu);
    k->sent = sent;
    if (sent)
        check_parked(k);          /* it may have read it all and parked */
    bool in_time = sent ? wait_until(k, &k->parked, dl) : sr != 1;
    bool fired = false;
    if (!in_time) {
        fired = true;
        pthread_mutex_unlock(&k->mu);
        halt(k);              /* checkpointed: also if it is between calls */
        pthread_mutex_lock(&k->mu);
        wait_until(k, NULL, 0);              /* until it exits */
    }
    /* parked: it cannot run again until the next step writes */
    bool parked = !fired && !k->exited && k->parked;
    bool unreachable = end_children(k, parked, sent);
    /* checkpointed: over only when its call returned, not when code
     * waits for input after the end line */
    bool done = parked && k->step_done && (!k->stepped || k->returned);
    wb_run_result *r = &res->run;
    memset(r, 0, sizeof *r);
    if (done) {
        step_answer(k, r);
    } else if (parked) {
        r->outcome = WB_OUTCOME_ERROR;
        r->status = WB_E_IO;
        snprintf(r->message, sizeof r->message, "the step waited for input "
                 "on stdin, which a session step never gets");
    } else if (unreachable) {
        r->outcome = WB_OUTCOME_ERROR;
        r->status = WB_E_IO;
        snprintf(r->message, sizeof r->message, "cannot reach the "
                 "interpreter");
    } else {
        classify_exit(k, fired, res);
    }
    step_usage(k, res);
    wb_ptree_counts(k->tree, r);
    res->native = wb_sess_ran_native(k->m ? k->m
                                     : k->pre ? wb_snapshot_module(k->pre)
                                     : k->resume ? wb_snapshot_module(k->resume)
                                     : NULL);
    k->phase = STEP_IDLE;
    pthread_mutex_unlock(&k->mu);
    r->wall_time_ms = now_ms() - t0;
    if (done)
        wait_persisted(k);    /* answered once its copy is on disk */
    int copy = done ? k->persisted : P_NONE;
    if (!done && !rollback(s, lang, res))
        step_lost(s, lang, fired, parked, res);
    if (!res->out || !res->err)
        return wb_err_set(err, WB_E_NOMEM, "out of memory");
    return settle(s, lang, copy, err);
}
