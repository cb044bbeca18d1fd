/* wb_session_fence.c: what a shared session may still commit
 * (wb_session_options.shared; docs/scale-out.md, "Fencing").
 *
 * A replica of `serve --shared-state` changes a session only while it
 * holds the session's lease (src/server/http_lease.c). A replica can
 * stall (SIGSTOP, a frozen virtual machine) past the lease's expiry and
 * lose it to another, which then steps the session; when it goes on, it
 * must not commit what its request did. The server publishes the lease
 * it holds in the session's fence: the lease's number (the session's
 * generation) and the wall-clock time until which commits are allowed
 * (the lease's expiry less a margin; 0 between requests). The fence is
 * one page of a memfd that the session's worker maps read-only, so the
 * worker, which cannot read the lease files, sees each renewal as it is
 * written, and sees the fence close when its server stops renewing,
 * even while that server is frozen.
 *
 * Every commit is asked here first: the guest's changes to host files
 * (the sandbox config's write gate), the checkpoint of a step (its
 * generation's name, wb_session_ckpt.c), session.json and uploads (with
 * the server's own look at the lease files too, `check`). What a check
 * cannot close is the moment between it and the write it allows: a
 * stall there longer than the margin; the checkpoint alone is fenced
 * without it (its name is taken with link(2)). */
#include "session/wb_session.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

struct wb_fence {
    int64_t gen;                    /* the lease held, or the last one */
    int64_t until_ms;               /* wall clock; 0: closed */
};

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The worker gets the memfd itself: sealed, so that it can neither
 * shrink it under the server's mapping (a SIGBUS there) nor, where the
 * kernel has F_SEAL_FUTURE_WRITE (5.1), write it. */
static bool seal_fence(int fd)
{
    int base = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL;
#ifdef F_SEAL_FUTURE_WRITE
    if (fcntl(fd, F_ADD_SEALS, base | F_SEAL_FUTURE_WRITE) == 0)
        return true;
#endif
    return fcntl(fd, F_ADD_SEALS, base) == 0;
}

wb_status wb_sess_fence_new(wb_session *s, wb_error *err)
{
    int fd = memfd_create("wasmbox-fence", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    void *p = fd >= 0 && ftruncate(fd, sizeof(wb_fence)) == 0
            ? mmap(NULL, sizeof(wb_fence), PROT_READ | PROT_WRITE,
                   MAP_SHARED, fd, 0) : MAP_FAILED;
    if (p != MAP_FAILED && !seal_fence(fd)) {
        munmap(p, sizeof(wb_fence));
        p = MAP_FAILED;
    }
    if (p == MAP_FAILED) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return wb_err_set(err, WB_E_IO, "cannot make the session's fence: "
                          "%s", strerror(e));
    }
    s->fence = p;
    s->fence_fd = fd;
    return WB_OK;
}

bool wb_sess_fence_map(wb_session *s, int fd)
{
    void *p = s->fence ? MAP_FAILED
            : mmap(NULL, sizeof(wb_fence), PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (p == MAP_FAILED)
        return false;
    s->fence = p;
    return true;
}

void wb_sess_fence_free(wb_session *s)
{
    if (s->fence)
        munmap(s->fence, sizeof(wb_fence));
    if (s->fence_fd >= 0)
        close(s->fence_fd);
    s->fence = NULL;
    s->fence_fd = -1;
}

void wb_sess_fence_set(wb_session *s, int64_t gen, int64_t until_ms)
{
    if (!s || !s->fence || s->fence_fd < 0)
        return;                     /* not shared, or a worker's copy */
    /* the generation first: a reader that sees the new time sees it */
    __atomic_store_n(&s->fence->gen, gen, __ATOMIC_RELEASE);
    __atomic_store_n(&s->fence->until_ms, until_ms, __ATOMIC_RELEASE);
}

void wb_sess_fence_on_check(wb_session *s, bool (*check)(void *user),
                            void *user)
{
    s->fence_check = check;
    s->fence_user = user;
}

int64_t wb_fence_gen(const wb_fence *f)
{
    return f ? __atomic_load_n(&f->gen, __ATOMIC_ACQUIRE) : 0;
}

bool wb_fence_open(const wb_fence *f)
{
    return !f || __atomic_load_n(&f->until_ms, __ATOMIC_ACQUIRE) > wall_ms();
}

/* The sandbox config's write gate (wb_sess_config). */
bool wb_sess_fence_gate(void *user)
{
    return wb_fence_open(user);
}

wb_status wb_sess_fenced(const wb_session *s, wb_error *err)
{
    return wb_err_set(err, WB_E_BUSY, "session '%s': this replica lost the "
                      "session's lease during the request (it stalled past "
                      "the lease's expiry): nothing more of it was "
                      "committed; retry", s->id);
}

wb_status wb_sess_commit_ok(const wb_session *s, wb_error *err)
{
    if (!s->fence)
        return WB_OK;
    if (wb_fence_open(s->fence) &&
        (!s->fence_check || s->fence_check(s->fence_user)))
        return WB_OK;
    return wb_sess_fenced(s, err);
}
