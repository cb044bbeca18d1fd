/* timeout_guest MODE: a guest of tests/cli/timeout.sh that runs past its
 * --timeout, alone in its process (no wasmbox_proc import: the deadline
 * is a timer signal, src/sandbox/watchdog_alone.c).
 *   spin   a loop with no host call
 *   clock  a loop on clock_time_get
 *   sleep  nanosleep for 1000 s
 *   read   a read of stdin (the caller gives a FIFO nobody writes)
 *   write  one write of 8 MiB to stdout (the caller reads it slowly) */
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    const char *m = argc > 1 ? argv[1] : "";
    if (!strcmp(m, "spin"))
        for (volatile unsigned long x = 0;; x++)
            ;
    if (!strcmp(m, "clock"))
        for (struct timespec t;;)
            clock_gettime(CLOCK_MONOTONIC, &t);
    if (!strcmp(m, "sleep"))
        sleep(1000);
    if (!strcmp(m, "read")) {
        char b[16];
        return read(0, b, sizeof b) < 0 ? 3 : 4;
    }
    if (!strcmp(m, "write")) {
        static char b[8 << 20];        /* zeros, made at no cost */
        return write(1, b, sizeof b) == (ssize_t)sizeof b ? 0 : 6;
    }
    return 2;
}
