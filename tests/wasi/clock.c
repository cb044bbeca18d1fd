// RUN clock: -- $WASM
// Clocks move forward, sleeps last at least as long as asked.
#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include <wasi/api.h>

static long long ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(void)
{
    struct timespec res;
    printf("res monotonic ok=%d\n", clock_getres(CLOCK_MONOTONIC, &res) == 0 &&
           (res.tv_sec > 0 || res.tv_nsec > 0));
    printf("realtime plausible=%d\n", time(NULL) > 1600000000);
    long long a = ns(CLOCK_MONOTONIC);
    usleep(50000);
    long long b = ns(CLOCK_MONOTONIC);
    printf("slept>=50ms %d\n", b - a >= 50000000LL);
    printf("slept<2s %d\n", b - a < 2000000000LL);
    printf("cputime ok=%d\n", ns(CLOCK_PROCESS_CPUTIME_ID) > 0);
    __wasi_timestamp_t t;
    printf("bad clock=%d\n", __wasi_clock_time_get(99, 1, &t));
    printf("bad pointer=%d\n", __wasi_clock_time_get(0, 1, (__wasi_timestamp_t *)0xfffffffc));
    return 0;
}
