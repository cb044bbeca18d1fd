// RUN poll: --dir $T/p:/p -- $WASM
// SETUP: mkdir p && mkfifo p/fifo
// poll_oneoff with clocks (relative, absolute, in the past, several) and
// with a FIFO, one fd subscription at a time.
#include <stdio.h>
#include <string.h>
#include <wasi/api.h>

static __wasi_subscription_t clk(uint64_t ud, __wasi_clockid_t id, uint64_t t, int abs)
{
    __wasi_subscription_t s = { .userdata = ud };
    s.u.tag = __WASI_EVENTTYPE_CLOCK;
    s.u.u.clock.id = id;
    s.u.u.clock.timeout = t;
    s.u.u.clock.flags = abs ? __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME : 0;
    return s;
}

static __wasi_subscription_t fds(uint64_t ud, int write, __wasi_fd_t fd)
{
    __wasi_subscription_t s = { .userdata = ud };
    s.u.tag = write ? __WASI_EVENTTYPE_FD_WRITE : __WASI_EVENTTYPE_FD_READ;
    s.u.u.fd_read.file_descriptor = fd;
    return s;
}

static uint64_t now(__wasi_clockid_t id)
{
    __wasi_timestamp_t t = 0;
    (void)__wasi_clock_time_get(id, 1, &t);
    return t;
}

static void poll(const char *label, __wasi_subscription_t *s, int n)
{
    __wasi_event_t ev[4];
    __wasi_size_t got = 0;
    memset(ev, 0, sizeof ev);
    uint64_t t0 = now(__WASI_CLOCKID_MONOTONIC);
    int rc = __wasi_poll_oneoff(s, ev, n, &got);
    uint64_t ms = (now(__WASI_CLOCKID_MONOTONIC) - t0) / 1000000;
    printf("%-28s rc %d events %lu%s\n", label, rc, (unsigned long)got,
           ms > 900 ? " (slow)" : "");
    for (__wasi_size_t i = 0; i < got; i++) {
        printf("%s, event: userdata %llu type %d error %d", label,
               (unsigned long long)ev[i].userdata,
               ev[i].type, ev[i].error);
        if (ev[i].type != __WASI_EVENTTYPE_CLOCK && !ev[i].error)
            printf(" nbytes>0 %d", ev[i].fd_readwrite.nbytes > 0);
        printf("\n");
    }
}

int main(void)
{
    __wasi_subscription_t s[4];
    setvbuf(stdout, NULL, _IONBF, 0);    /* all of it, should a runtime hang */
    s[0] = clk(1, __WASI_CLOCKID_MONOTONIC, 20000000, 0);
    poll("relative 20 ms", s, 1);
    /* (no relative realtime clock, no absolute one in the past: node:wasi
     * never returns from those) */
    s[0] = clk(3, __WASI_CLOCKID_MONOTONIC, 0, 0);
    poll("relative 0", s, 1);
    s[0] = clk(4, __WASI_CLOCKID_REALTIME, now(__WASI_CLOCKID_REALTIME) + 30000000, 1);
    poll("absolute +30 ms", s, 1);
    s[0] = clk(6, __WASI_CLOCKID_MONOTONIC, 5000000000ull, 0);
    s[1] = clk(7, __WASI_CLOCKID_MONOTONIC, 10000000, 0);
    poll("two clocks", s, 2);
    __wasi_fd_t fifo;
    int rc = __wasi_path_open(3, 0, "fifo", 0, 0x8e001ffull, 0, __WASI_FDFLAGS_NONBLOCK, &fifo);
    printf("%-28s %d\n", "open fifo", rc);
    s[0] = fds(10, 0, fifo);
    s[1] = clk(11, __WASI_CLOCKID_MONOTONIC, 30000000, 0);
    poll("empty fifo, clock", s, 2);
    s[0] = fds(12, 1, fifo);
    poll("fifo writable", s, 1);
    __wasi_ciovec_t iov = { (const uint8_t *)"abc", 3 };
    __wasi_size_t n;
    printf("%-28s %d\n", "write fifo", __wasi_fd_write(fifo, &iov, 1, &n));
    s[0] = fds(13, 0, fifo);
    s[1] = clk(14, __WASI_CLOCKID_MONOTONIC, 5000000000ull, 0);
    poll("fifo readable, clock", s, 2);
    s[0] = fds(15, 0, 99);
    poll("closed fd", s, 1);
    poll("no subscriptions", s, 0);
    return 0;
}
