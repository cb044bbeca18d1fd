/*
 * fuzz_wire.c: libFuzzer target for the server's side of the worker
 * protocol (src/session/wb_session_wire.c, wb_worker_result in
 * src/session/wb_session_worker.c; `make fuzz-wire`). A worker stands
 * for a guest that may have broken the engine: whatever it sends must
 * end in a frame, a clean refusal or an error, never a crash, a leak, an
 * allocation beyond the frame limit or a descriptor left open. The first
 * byte picks what the rest is:
 *   0  the bytes a worker writes on its channel: byte 1 says how many
 *      descriptors ride with the first write (low 2 bits, 0-3) and with
 *      the second (next 2 bits), byte 2 where the stream is cut between
 *      the two writes; the server reads frames (limit 64 KiB) until the
 *      channel ends, decoding each as wb_worker_step would (W_RESULT
 *      through wb_worker_result, W_CRASH, W_ERR);
 *   1  a W_RESULT payload alone (byte 1: the step's language), for
 *      depth in the decoder.
 * After each input, the same descriptors must be open as before it.
 * WB_WIRE_SEEDS=DIR: write one valid input of each mode there first.
 */
#include "session/wb_session.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum { W_READY = 1, W_ERR, W_STEP, W_RESULT, W_CRASH };

/* Which of the first 128 descriptors are open: an input may leave
 * none open that was not (the lowest free one alone would miss a leak
 * above a descriptor closed meanwhile). */
static void open_fds(uint64_t set[2])
{
    set[0] = set[1] = 0;
    for (int fd = 0; fd < 128; fd++)
        if (fcntl(fd, F_GETFD) >= 0)
            set[fd / 64] |= 1ull << (fd % 64);
}

static void decode_result(const uint8_t *p, size_t n, unsigned lang)
{
    wb_session s;
    memset(&s, 0, sizeof s);
    wb_rbuf r = { p, n, 0, false };
    wb_status st;
    wb_step_result res = { 0 };
    wb_error err = { 0 };
    (void)wb_worker_result(&r, &s, (wb_lang)(lang % WB_LANG_COUNT), &st,
                           &res, &err);
    wb_step_result_free(&res);
}

/* One write of the worker's, with `nfds` descriptors (of /dev/null). */
static void send_part(int sock, const uint8_t *p, size_t n, unsigned nfds)
{
    int fds[3];
    union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof fds)]; } cm;
    struct iovec iov = { (void *)p, n };
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
    unsigned k = 0;
    for (; k < nfds && k < 3; k++)
        if ((fds[k] = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0)
            break;
    if (k && n) {
        memset(&cm, 0, sizeof cm);
        m.msg_control = cm.buf;
        m.msg_controllen = CMSG_SPACE(k * sizeof(int));
        struct cmsghdr *c = CMSG_FIRSTHDR(&m);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(k * sizeof(int));
        memcpy(CMSG_DATA(c), fds, k * sizeof(int));
    }
    while (n && sendmsg(sock, &m, MSG_NOSIGNAL) < 0 && errno == EINTR)
        ;
    for (unsigned i = 0; i < k; i++)
        close(fds[i]);                  /* the copies in flight stay */
}

static void read_frames(int sock)
{
    for (;;) {
        wb_frame f;
        if (wb_frame_recv(sock, 64 << 10, &f, wb_wire_now_ms() + 1000))
            return;
        wb_rbuf r = { f.data, f.len, 0, false };
        char msg[400];
        if (f.type == W_RESULT && f.len)
            decode_result(f.data, f.len, f.data[0]);
        else if (f.type == W_CRASH)
            (void)wb_rget_u32(&r);
        else if (f.type == W_ERR)
            wb_rget_str(&r, msg, sizeof msg);
        wb_frame_free(&f);
    }
}

static void stream(const uint8_t *p, size_t n)
{
    if (n < 2)
        return;
    unsigned fds1 = p[0] & 3, fds2 = p[0] >> 2 & 3;
    size_t cut = p[1] < n - 2 ? p[1] : n - 2;
    p += 2;
    n -= 2;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
        abort();
    int big = 1 << 20;
    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
    send_part(sv[0], p, cut, fds1);
    send_part(sv[0], p + cut, n - cut, fds2);
    close(sv[0]);                       /* the worker is gone */
    read_frames(sv[1]);
    close(sv[1]);
}

/* A valid W_RESULT payload, as put_result writes it. */
static void valid_result(wb_wbuf *w)
{
    wb_run_result run;
    memset(&run, 0, sizeof run);
    wb_wput_u32(w, 0);
    wb_wput_str(w, "");
    wb_wput_u32(w, 0);
    wb_wput_u32(w, 0);
    wb_wput_raw(w, &run, sizeof run);
    wb_wput_bytes(w, "out\n", 4);
    wb_wput_bytes(w, "", 0);
    for (int i = 0; i < 5; i++)     /* persistent .. live_step */
        wb_wput_u32(w, 0);
    wb_wput_str(w, "");             /* note */
    wb_wput_u32(w, 1);              /* native */
    wb_wput_u32(w, 0);              /* lost */
    wb_wput_str(w, "");
    wb_wput_u32(w, 0);              /* committed */
}

static void write_seed(const char *dir, const char *name, const void *p,
                       size_t n)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, 1, n, f) != n)
        abort();
    fclose(f);
}

static void seeds(const char *dir)
{
    wb_wbuf w = { 0 };
    valid_result(&w);
    uint8_t *one = malloc(2 + w.len), *zero = malloc(3 + 8 + w.len);
    if (!one || !zero)
        abort();
    one[0] = 1;
    one[1] = 0;
    memcpy(one + 2, w.p, w.len);
    write_seed(dir, "result", one, 2 + w.len);
    uint32_t hdr[2] = { W_RESULT, (uint32_t)w.len };
    zero[0] = 0;
    zero[1] = 1 | 2 << 2;               /* descriptors with both writes */
    zero[2] = 5;
    memcpy(zero + 3, hdr, sizeof hdr);
    memcpy(zero + 3 + sizeof hdr, w.p, w.len);
    write_seed(dir, "frame", zero, 3 + sizeof hdr + w.len);
    free(one);
    free(zero);
    wb_wbuf_free(&w);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *dir = getenv("WB_WIRE_SEEDS");
    if (dir)
        seeds(dir);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint64_t before[2], after[2];
    open_fds(before);
    if (data[0] == 0)
        stream(data + 1, size - 1);
    else if (data[0] == 1 && size >= 2)
        decode_result(data + 2, size - 2, data[1]);
    open_fds(after);
    if (memcmp(before, after, sizeof before)) {
        fprintf(stderr, "fuzz_wire: a descriptor was left open\n");
        abort();
    }
    return 0;
}
