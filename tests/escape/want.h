// want.h: the check of escape programs that use libc: one line for each
// call that did not end as expected; `bad` is then the exit status.
#include <errno.h>
#include <stdio.h>
#include <string.h>

static int bad;

/* A libc call returned rc: 0, or -1 with errno err. */
static void want(const char *what, int rc, int err)
{
    int got = rc == 0 ? 0 : errno;
    if (got != err) {
        printf("%s: %s, want %s\n", what, got ? strerror(got) : "done",
               err ? strerror(err) : "done");
        bad = 1;
    }
}
