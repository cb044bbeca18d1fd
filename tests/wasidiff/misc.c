// RUN misc: --env ONE=1 --env TWO=2 --dir $T/d:/data -- $WASM alpha "b e t a"
// RUN misc_noenv: -- $WASM
// SETUP: mkdir -p d
// args_*, environ_*, clock_*, random_get, sched_yield, the prestat calls,
// fdstat of a preopen and of stdio, sock_* on what is not a socket, and
// proc_exit's status.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>

#define SHOW(label, expr) printf("%-28s %d\n", label, (int)(expr))

int main(void)
{
    __wasi_size_t argc = 0, argsz = 0, envc = 0, envsz = 0;
    SHOW("args_sizes_get", __wasi_args_sizes_get(&argc, &argsz));
    printf("%-28s %lu %lu\n", "  count size", (unsigned long)argc, (unsigned long)argsz);
    char **argv = calloc(argc + 1, sizeof *argv), *abuf = malloc(argsz + 1);
    SHOW("args_get", __wasi_args_get((uint8_t **)argv, (uint8_t *)abuf));
    for (__wasi_size_t i = 1; i < argc; i++)
        printf("  arg %lu [%s]\n", (unsigned long)i, argv[i]);
    SHOW("environ_sizes_get", __wasi_environ_sizes_get(&envc, &envsz));
    printf("%-28s %lu %lu\n", "  count size", (unsigned long)envc, (unsigned long)envsz);
    char **env = calloc(envc + 1, sizeof *env), *ebuf = malloc(envsz + 1);
    SHOW("environ_get", __wasi_environ_get((uint8_t **)env, (uint8_t *)ebuf));
    for (__wasi_size_t i = 0; i < envc; i++)
        printf("  env [%s]\n", env[i]);
    __wasi_timestamp_t t = 0, r = 0;
    SHOW("res realtime", __wasi_clock_res_get(__WASI_CLOCKID_REALTIME, &r));
    printf("%-28s %d\n", "  in (0, 1 s]", r > 0 && r <= 1000000000);
    SHOW("res monotonic", __wasi_clock_res_get(__WASI_CLOCKID_MONOTONIC, &r));
    printf("%-28s %d\n", "  in (0, 1 s]", r > 0 && r <= 1000000000);
    SHOW("res bad clock", __wasi_clock_res_get(42, &r));
    SHOW("time realtime", __wasi_clock_time_get(__WASI_CLOCKID_REALTIME, 0, &t));
    printf("%-28s %d\n", "  after 2020", t > 1577836800000000000ull);
    __wasi_timestamp_t m1 = 0, m2 = 0;
    SHOW("time monotonic", __wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1000, &m1));
    __wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &m2);
    printf("%-28s %d\n", "  never back", m2 >= m1);
    SHOW("time bad clock", __wasi_clock_time_get(42, 1, &t));
    uint8_t rnd[256];
    memset(rnd, 0, sizeof rnd);
    SHOW("random 0 bytes", __wasi_random_get(rnd, 0));
    SHOW("random 256 bytes", __wasi_random_get(rnd, sizeof rnd));
    int nz = 0;
    for (int i = 0; i < 256; i++) nz += rnd[i] != 0;
    printf("%-28s %d\n", "  mostly nonzero", nz > 200);
    SHOW("sched_yield", __wasi_sched_yield());
    /* preopens */
    __wasi_prestat_t ps;
    char name[32];
    for (__wasi_fd_t fd = 0; fd < 6; fd++) {
        int rc = __wasi_fd_prestat_get(fd, &ps);
        printf("prestat %u                    rc %d", fd, rc);
        if (!rc) {
            memset(name, 0, sizeof name);
            int rc2 = __wasi_fd_prestat_dir_name(fd, (uint8_t *)name, ps.u.dir.pr_name_len);
            printf(" tag %d len %lu name rc %d [%s]", ps.tag,
                   (unsigned long)ps.u.dir.pr_name_len, rc2, name);
        }
        printf("\n");
        if (!rc)
            printf("prestat %u short buffer       rc %d\n", fd,
                   __wasi_fd_prestat_dir_name(fd, (uint8_t *)name, 2));
    }
    __wasi_fdstat_t fs;
    if (!__wasi_fd_fdstat_get(3, &fs)) {
        printf("fdstat 3                     type %d base %#llx inheriting %#llx\n",
               fs.fs_filetype, (unsigned long long)fs.fs_rights_base,
               (unsigned long long)fs.fs_rights_inheriting);
        printf("fdstat 3 flags               %d\n", fs.fs_flags);
    }
    SHOW("fdstat closed", __wasi_fd_fdstat_get(30, &fs));
    SHOW("set rights grow", __wasi_fd_fdstat_set_rights(3, ~0ull, ~0ull));
    SHOW("set rights same", __wasi_fd_fdstat_set_rights(3, fs.fs_rights_base,
                                                        fs.fs_rights_inheriting));
    SHOW("set rights closed", __wasi_fd_fdstat_set_rights(30, 0, 0));
    /* sock_* on what is not a socket */
    __wasi_fd_t nfd;
    char b[4];
    __wasi_iovec_t iv = { (uint8_t *)b, sizeof b };
    __wasi_size_t n;
    __wasi_roflags_t ro;
    SHOW("sock_accept closed", __wasi_sock_accept(30, 0, &nfd));
    SHOW("sock_recv closed", __wasi_sock_recv(30, &iv, 1, 0, &n, &ro));
    SHOW("sock_send closed", __wasi_sock_send(30, (__wasi_ciovec_t *)&iv, 1, 0, &n));
    SHOW("sock_shutdown closed", __wasi_sock_shutdown(30, __WASI_SDFLAGS_RD));
    fflush(stdout);
    __wasi_proc_exit(argc > 1 ? 42 : 0);
}
