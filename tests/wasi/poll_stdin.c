// RUN poll_stdin: --stdin $T/in.txt -- $WASM
// RUN poll_nostdin: -- $WASM
// SETUP: printf 'ready' > $T/in.txt
// poll_oneoff on stdin plus a clock: stdin is reported ready at once
// (data, or end of file when no stdin was granted), the clock does not fire.
#include <stdio.h>
#include <wasi/api.h>

int main(void)
{
    __wasi_subscription_t sub[2] = {
        { .userdata = 10, .u = { .tag = __WASI_EVENTTYPE_FD_READ, .u.fd_read = { 0 } } },
        { .userdata = 20, .u = { .tag = __WASI_EVENTTYPE_CLOCK,
          .u.clock = { .id = __WASI_CLOCKID_MONOTONIC, .timeout = 3000000000ull } } } };
    __wasi_event_t ev[2];
    __wasi_size_t n = 0;
    int rc = __wasi_poll_oneoff(sub, ev, 2, &n);
    printf("rc=%d n=%d userdata=%d type=%d error=%d\n", rc, (int)n,
           (int)ev[0].userdata, ev[0].type, ev[0].error);
    char buf[16] = {0};
    size_t got = fread(buf, 1, sizeof buf - 1, stdin);
    printf("read %zu [%s]\n", got, buf);
    return 0;
}
