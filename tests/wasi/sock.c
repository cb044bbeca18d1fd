// RUN sock_none: -- $WASM
// Socket calls. With no socket granted they fail cleanly; the C API test
// (host/api_run.c) runs this with a granted socketpair end as fd 3, and
// with "waitall" or "flood", which must block until the run's timeout:
// a MSG_WAITALL receive of more than the peer sends, and a 16 MiB send
// that the peer never reads.
#include <stdio.h>
#include <string.h>
#include <wasi/api.h>

static int blocked(const char *how)
{
    static char big[16 << 20];
    __wasi_size_t n = 0;
    __wasi_roflags_t rof;
    int rc;
    if (!strcmp(how, "waitall")) {
        __wasi_iovec_t io = { (uint8_t *)big, 64 };
        rc = __wasi_sock_recv(3, &io, 1, __WASI_RIFLAGS_RECV_WAITALL, &n, &rof);
    } else {
        __wasi_ciovec_t ci = { (const uint8_t *)big, sizeof big };
        rc = __wasi_sock_send(3, &ci, 1, 0, &n);
    }
    printf("%s returned %d n=%d\n", how, rc, (int)n);
    return 1;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        return blocked(argv[1]);
    __wasi_fdstat_t st;
    if (__wasi_fd_fdstat_get(3, &st) != 0 ||
        st.fs_filetype != __WASI_FILETYPE_SOCKET_STREAM) {
        __wasi_size_t n;
        __wasi_roflags_t rof;
        __wasi_ciovec_t ci = { (const uint8_t *)"x", 1 };
        __wasi_iovec_t io = { (uint8_t *)&st, 1 };
        /* an fd nothing opened (3 is the root "/" then) */
        printf("send=%d\n", __wasi_sock_send(9, &ci, 1, 0, &n));
        printf("recv=%d\n", __wasi_sock_recv(9, &io, 1, 0, &n, &rof));
        printf("send stdout=%d\n", __wasi_sock_send(1, &ci, 1, 0, &n));
        printf("shutdown=%d\n", __wasi_sock_shutdown(2, __WASI_SDFLAGS_RD));
        return 0;
    }
    char buf[64] = {0};
    __wasi_iovec_t io = { (uint8_t *)buf, sizeof buf - 1 };
    __wasi_size_t n = 0;
    __wasi_roflags_t rof;
    int rc = __wasi_sock_recv(3, &io, 1, 0, &n, &rof);
    printf("recv=%d [%.*s]\n", rc, (int)n, buf);
    for (size_t i = 0; i < n; i++)
        if (buf[i] >= 'a' && buf[i] <= 'z') buf[i] -= 32;
    __wasi_ciovec_t ci = { (const uint8_t *)buf, n };
    rc = __wasi_sock_send(3, &ci, 1, 0, &n);
    printf("send=%d n=%d\n", rc, (int)n);
    printf("shutdown=%d\n", __wasi_sock_shutdown(3, __WASI_SDFLAGS_WR));
    printf("accept on stream=%d\n", __wasi_sock_accept(3, 0, (__wasi_fd_t *)&n) != 0);
    return 0;
}
