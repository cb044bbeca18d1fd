// RUN poll_fifos: --dir $T/p:/p -- $WASM
// SETUP: mkdir p && for i in $(seq 0 69); do mkfifo p/f$i; done
// poll_oneoff over more than 64 waiting fds, with several subscriptions
// on one fd, an absolute clock, a bad clock and an unknown event type.
#include <fcntl.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include <wasi/api.h>

#define NF 70

static __wasi_subscription_t fdsub(uint64_t ud, int write, int fd)
{
    __wasi_subscription_t s = { .userdata = ud };
    s.u.tag = write ? __WASI_EVENTTYPE_FD_WRITE : __WASI_EVENTTYPE_FD_READ;
    s.u.u.fd_read.file_descriptor = (__wasi_fd_t)fd;
    return s;
}

static __wasi_subscription_t clocksub(uint64_t ud, uint32_t id, uint64_t t,
                                      int abs)
{
    __wasi_subscription_t s = { .userdata = ud };
    s.u.tag = __WASI_EVENTTYPE_CLOCK;
    s.u.u.clock.id = id;
    s.u.u.clock.timeout = t;
    s.u.u.clock.flags = abs ? __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME : 0;
    return s;
}

static void show(const char *what, int rc, __wasi_event_t *ev, size_t n)
{
    printf("%s: rc=%d n=%zu\n", what, rc, n);
    for (size_t i = 0; i < n; i++)
        printf("  userdata=%llu type=%d error=%d\n",
               (unsigned long long)ev[i].userdata, ev[i].type, ev[i].error);
}

static uint64_t now(void)
{
    __wasi_timestamp_t t = 0;
    __wasi_clock_time_get(__WASI_CLOCKID_REALTIME, 1, &t);
    return t;
}

int main(void)
{
    static __wasi_subscription_t sub[NF + 8];
    static __wasi_event_t ev[NF + 8];
    __wasi_size_t n = 0;
    int fd[NF];
    char name[16];
    for (int i = 0; i < NF; i++) {
        snprintf(name, sizeof name, "/p/f%d", i);
        if ((fd[i] = open(name, O_RDWR)) < 0) {
            perror(name);
            return 1;
        }
    }
    if (write(fd[NF - 1], "x", 1) != 1)
        return 1;
    /* readable: only the last FIFO, named twice; writable: fd[0] */
    int k = 0;
    for (int i = 0; i < NF; i++)
        sub[k++] = fdsub((uint64_t)i, 0, fd[i]);
    sub[k++] = fdsub(100, 0, fd[NF - 1]);
    sub[k++] = fdsub(200, 1, fd[0]);
    sub[k++] = clocksub(300, __WASI_CLOCKID_MONOTONIC, 5000000000ull, 0);
    int rc = __wasi_poll_oneoff(sub, ev, (__wasi_size_t)k, &n);
    show("70 FIFOs", rc, ev, n);

    /* an absolute realtime clock 50 ms ahead, and a 5 s relative one */
    uint64_t t0 = now();
    sub[0] = clocksub(1, __WASI_CLOCKID_REALTIME, t0 + 50000000, 1);
    sub[1] = clocksub(2, __WASI_CLOCKID_MONOTONIC, 5000000000ull, 0);
    sub[2] = fdsub(3, 0, fd[0]);
    rc = __wasi_poll_oneoff(sub, ev, 3, &n);
    uint64_t ms = (now() - t0) / 1000000;
    show("absolute clock", rc, ev, n);
    printf("  waited %s\n", ms >= 45 && ms < 2000 ? "about 50 ms" : "WRONG");

    sub[0] = clocksub(7, 99, 0, 0);                 /* no such clock */
    sub[1] = clocksub(8, __WASI_CLOCKID_MONOTONIC, 0, 0);
    rc = __wasi_poll_oneoff(sub, ev, 2, &n);
    show("bad clock", rc, ev, n);

    sub[0] = fdsub(9, 0, 0);
    sub[0].u.tag = 7;                               /* no such event type */
    rc = __wasi_poll_oneoff(sub, ev, 1, &n);
    printf("bad type: rc=%d\n", rc);
    rc = __wasi_poll_oneoff(sub, ev, 0, &n);
    printf("no subscriptions: rc=%d\n", rc);
    return 0;
}
