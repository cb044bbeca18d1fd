// FIFOs inside a writable grant. No read or write on them may outlive
// --timeout (the run must end with outcome "timeout", report written):
//   fifo.wasm write PATH      open O_RDWR, write 1 MiB nobody reads
//   fifo.wasm read PATH       open O_RDWR, read with nothing written
// and these must not wait at all (exit 0 when every answer is right):
//   fifo.wasm nowriter PATH   O_RDONLY without a writer: end of file;
//                             pread/pwrite: ESPIPE
//   fifo.wasm noreader PATH   O_WRONLY without a reader: ENXIO
//   fifo.wasm nonblock PATH   O_RDWR|O_NONBLOCK: a short write, then EAGAIN
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BIG (1 << 20)

static int check(int ok, const char *what)
{
    printf("%s: %s (%s)\n", what, ok ? "ok" : "WRONG", strerror(errno));
    return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc != 3)
        return 2;
    const char *op = argv[1], *path = argv[2];
    static char buf[BIG];
    int bad = 0;
    if (!strcmp(op, "write") || !strcmp(op, "read")) {
        int fd = open(path, O_RDWR);
        if (fd < 0)
            return check(0, "open O_RDWR");
        ssize_t n = op[0] == 'w' ? write(fd, buf, BIG) : read(fd, buf, BIG);
        printf("%s returned %zd\n", op, n);
        return 1;                   /* must never get here */
    }
    if (!strcmp(op, "nowriter")) {
        int fd = open(path, O_RDONLY);
        if (fd < 0)
            return check(0, "open O_RDONLY");
        bad |= check(read(fd, buf, 16) == 0, "read without a writer is EOF");
        bad |= check(pread(fd, buf, 16, 0) < 0 && errno == ESPIPE, "pread");
        close(fd);
        fd = open(path, O_RDWR);
        bad |= check(pwrite(fd, "x", 1, 0) < 0 && errno == ESPIPE, "pwrite");
        bad |= check(pread(fd, buf, 16, 0) < 0 && errno == ESPIPE,
                     "pread, empty FIFO");
        return bad;
    }
    if (!strcmp(op, "noreader"))
        return check(open(path, O_WRONLY) < 0 && errno == ENXIO,
                     "open O_WRONLY without a reader");
    if (!strcmp(op, "nonblock")) {
        int fd = open(path, O_RDWR | O_NONBLOCK);
        if (fd < 0)
            return check(0, "open O_RDWR|O_NONBLOCK");
        ssize_t n = read(fd, buf, 16);
        bad |= check(n < 0 && errno == EAGAIN, "read, empty");
        n = write(fd, buf, BIG);
        bad |= check(n > 0 && n < BIG, "write 1 MiB is short");
        bad |= check(write(fd, buf, BIG) < 0 && errno == EAGAIN,
                     "write, full");
        bad |= check(read(fd, buf, 100) == 100, "read back");
        return bad;
    }
    return 2;
}
