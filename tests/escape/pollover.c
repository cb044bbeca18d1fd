// LDFLAGS: -nostdlib -Wl,--initial-memory=65536,--max-memory=65536,-z,stack-size=1024
// poll_oneoff with the subscriptions and the events laid over each other
// in a one-page memory: 1,365 subscriptions at 0, the events at
// 65,536 - 32 * 1,365, so the events end exactly at the end of memory.
// Subscriptions 0..455 are relative clocks of 0 ns, 456..1364 fd_write
// on stdout: all are ready at once, so the host must return exactly
// 1,365 events, one per subscription and in order, computed from the
// subscriptions as they were before any event was written. A host that
// re-reads subscriptions it has overwritten makes more events than
// subscriptions and writes past the end of memory (a crashed host, or a
// count above 1,365 here).
// Exit 0 when right, 1 too many events, 2 an error, 3 a wrong event,
// 4 an over-long or out-of-range call was not refused.
// Raw imports, no libc: every byte of the memory is the guest's.
#include <stdint.h>

#define IMPORT(n) __attribute__((import_module("wasi_snapshot_preview1"), \
                                 import_name(n)))
IMPORT("poll_oneoff") int32_t poll_oneoff(int32_t in, int32_t out, int32_t n,
                                          int32_t nevents);
IMPORT("proc_exit") _Noreturn void proc_exit(int32_t code);

#define NSUBS 1365
#define NCLOCK 456
#define EINVAL_ 28
#define EFAULT_ 21

static uint32_t ld32(volatile const uint8_t *p)
{
    return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

void _start(void)
{
    /* the memory's one page, found at run time (address 0 here) */
    uint32_t end = (uint32_t)__builtin_wasm_memory_size(0) * 65536;
    uint32_t in = end - 65536, out = end - 32 * NSUBS, count = in + 48 * NSUBS;
    volatile uint8_t *mem = (volatile uint8_t *)(uintptr_t)in;
    for (uint32_t i = 0; i < 65536; i++)
        mem[i] = 0;
    for (uint32_t i = 0; i < NSUBS; i++) {
        volatile uint8_t *s = mem + 48 * i;
        /* userdata 0: a host that re-reads events as subscriptions sees
         * valid clocks there, and answers them */
        if (i >= NCLOCK) {
            s[8] = 2;               /* fd_write */
            s[16] = 1;              /* stdout */
        }
    }
    int32_t rc = poll_oneoff((int32_t)in, (int32_t)out, NSUBS, (int32_t)count);
    uint32_t n = ld32(mem + (count - in));
    if (rc != 0)
        proc_exit(2);
    if (n > NSUBS)
        proc_exit(1);
    if (n != NSUBS)
        proc_exit(3);
    for (uint32_t i = 0; i < NSUBS; i++) {
        volatile const uint8_t *e = mem + (out - in) + 32 * i;
        uint32_t want = i < NCLOCK ? 0 : 2;
        if (ld32(e) != 0 || e[8] != 0 || e[9] != 0 || e[10] != want)
            proc_exit(3);
    }
    /* more subscriptions than memory holds, or than the host copies */
    if (poll_oneoff((int32_t)in, (int32_t)out, 0x7fffffff, (int32_t)count) !=
        EINVAL_)
        proc_exit(4);
    if (poll_oneoff((int32_t)in, (int32_t)out, 1000, (int32_t)end) != EFAULT_)
        proc_exit(4);
    proc_exit(0);
}
