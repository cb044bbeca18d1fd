/* api_run.c: the sandbox through the C API (no CLI): config helpers,
 * output captured by callback, result fields and the JSON rendering.
 * usage: api_run ARGS_ENV.wasm SPIN.wasm SOCK.wasm VROOT.wasm; prints "ok" or
 * what failed. */
#include "wasmbox.h"
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static char captured[4096];
static size_t ncaptured;

static int capture(void *user, int stream, const uint8_t *data, size_t len)
{
    (void)user;
    if (stream == 1 && ncaptured + len < sizeof captured) {
        memcpy(captured + ncaptured, data, len);
        ncaptured += len;
    }
    return 0;
}

#define EXPECT(cond) do { if (!(cond)) { \
    printf("FAILED line %d: %s\n", __LINE__, #cond); return 1; } } while (0)

/* A granted socket: the guest (sock.wasm) echoes what it receives in
 * upper case. */
static int socket_grant(const char *path)
{
    wb_module *m;
    wb_error err;
    wb_run_result res;
    wb_sandbox_config cfg;
    int sv[2];
    char buf[64] = {0};
    EXPECT(wb_module_load(path, &m, &err) == WB_OK);
    EXPECT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    EXPECT(write(sv[0], "hello", 5) == 5);
    wb_sandbox_config_init(&cfg);
    wb_config_add_arg(&cfg, "sock");
    EXPECT(wb_config_add_socket(&cfg, sv[1], NULL) == WB_OK);
    cfg.output = capture;
    ncaptured = 0;
    EXPECT(wb_sandbox_run(&cfg, m, &res, &err) == WB_OK);
    if (res.outcome != WB_OUTCOME_EXITED || res.exit_code != 0)
        printf("socket run: %s %d %s [%s]\n", wb_outcome_name(res.outcome),
               res.exit_code, res.message, captured);
    EXPECT(res.outcome == WB_OUTCOME_EXITED && res.exit_code == 0);
    EXPECT(read(sv[0], buf, sizeof buf) == 5 && !strcmp(buf, "HELLO"));
    EXPECT(strstr(captured, "shutdown=0") != NULL);
    close(sv[0]);
    close(sv[1]);
    wb_sandbox_config_free(&cfg);
    wb_module_release(m);
    return 0;
}

/* A guest blocked on a granted socket (sock.wasm waitall|flood) must end
 * at the timeout like any other wait. */
static int socket_timeout(const char *path, const char *how)
{
    wb_module *m;
    wb_error err;
    wb_run_result res;
    wb_sandbox_config cfg;
    int sv[2];
    EXPECT(wb_module_load(path, &m, &err) == WB_OK);
    EXPECT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    EXPECT(write(sv[0], "hello", 5) == 5);
    wb_sandbox_config_init(&cfg);
    wb_config_add_arg(&cfg, "sock");
    wb_config_add_arg(&cfg, how);
    EXPECT(wb_config_add_socket(&cfg, sv[1], NULL) == WB_OK);
    cfg.output = capture;
    cfg.budget.timeout_ms = 300;
    EXPECT(wb_sandbox_run(&cfg, m, &res, &err) == WB_OK);
    if (res.outcome != WB_OUTCOME_TIMEOUT || res.wall_time_ms >= 1500)
        printf("socket %s: %s after %llu ms\n", how,
               wb_outcome_name(res.outcome),
               (unsigned long long)res.wall_time_ms);
    EXPECT(res.outcome == WB_OUTCOME_TIMEOUT && res.wall_time_ms < 1500);
    close(sv[0]);
    close(sv[1]);
    wb_sandbox_config_free(&cfg);
    wb_module_release(m);
    return 0;
}

/* The virtual root "/" comes after the grants, unless the embedder turns
 * it off (no_root); vroot.wasm "root" lists the preopens and "/". */
static int virtual_root(const char *path, bool off)
{
    wb_module *m;
    wb_error err;
    wb_run_result res;
    wb_sandbox_config cfg;
    EXPECT(wb_module_load(path, &m, &err) == WB_OK);
    wb_sandbox_config_init(&cfg);
    EXPECT(!cfg.no_root);
    cfg.no_root = off;
    wb_config_add_arg(&cfg, "vroot");
    wb_config_add_arg(&cfg, "root");
    EXPECT(wb_config_add_tmpfs(&cfg, "/data", 1 << 20) == WB_OK);
    cfg.output = capture;
    memset(captured, 0, sizeof captured);
    ncaptured = 0;
    EXPECT(wb_sandbox_run(&cfg, m, &res, &err) == WB_OK);
    EXPECT(res.outcome == WB_OUTCOME_EXITED && res.exit_code == 0);
    EXPECT(strstr(captured, "preopen 3 /data\n"));
    if (off) {
        EXPECT(!strstr(captured, "preopen 4"));
        EXPECT(strstr(captured, "stat /xyzzy                  76"));
    } else {
        EXPECT(strstr(captured, "preopen 4 /\n"));
        EXPECT(strstr(captured, "ls /                         data"));
        EXPECT(strstr(captured, "stat /xyzzy                  44"));
    }
    wb_sandbox_config_free(&cfg);
    wb_module_release(m);
    return 0;
}

int main(int argc, char **argv)
{
    wb_module *m, *spin;
    wb_error err;
    EXPECT(argc == 5);
    if (socket_grant(argv[3]) || socket_timeout(argv[3], "waitall") ||
        socket_timeout(argv[3], "flood") || virtual_root(argv[4], false) ||
        virtual_root(argv[4], true))
        return 1;
    memset(captured, 0, sizeof captured);
    ncaptured = 0;
    EXPECT(wb_module_load(argv[1], &m, &err) == WB_OK);
    EXPECT(wb_module_load(argv[2], &spin, &err) == WB_OK);

    wb_sandbox_config cfg;
    wb_sandbox_config_init(&cfg);
    EXPECT(cfg.budget.max_memory == 256ull << 20 && cfg.budget.fuel < 0);
    wb_config_add_arg(&cfg, "prog");
    wb_config_add_arg(&cfg, "x");
    wb_config_add_env(&cfg, "FOO", "api");
    EXPECT(wb_config_add_env(&cfg, "BAD=NAME", "v") == WB_E_ARG);
    wb_config_add_tmpfs(&cfg, "/tmp", 1 << 20);
    cfg.output = capture;

    wb_run_result res;
    EXPECT(wb_sandbox_run(&cfg, m, &res, &err) == WB_OK);
    EXPECT(res.outcome == WB_OUTCOME_EXITED && res.exit_code == 0);
    EXPECT(strstr(captured, "argv[1]=[x]") && strstr(captured, "FOO=api"));
    EXPECT(res.stdout_bytes == ncaptured && !res.stdout_truncated);
    EXPECT(wb_run_exit_status(&res) == 0);

    char json[2048];
    size_t need = wb_run_result_json(&res, json, sizeof json);
    EXPECT(need < sizeof json && strstr(json, "\"outcome\":\"exited\""));
    char tiny[8];
    EXPECT(wb_run_result_json(&res, tiny, sizeof tiny) == need &&
           strlen(tiny) == 7);

    cfg.budget.fuel = 100000;
    EXPECT(wb_sandbox_run(&cfg, spin, &res, &err) == WB_OK);
    EXPECT(res.outcome == WB_OUTCOME_FUEL && wb_run_exit_status(&res) == 121);
    cfg.budget.fuel = -1;
    cfg.budget.timeout_ms = 200;
    EXPECT(wb_sandbox_run(&cfg, spin, &res, &err) == WB_OK);
    EXPECT(res.outcome == WB_OUTCOME_TIMEOUT && res.wall_time_ms < 1000);

    /* a grant that cannot be opened: setup error, nothing ran */
    wb_config_add_dir(&cfg, "/nonexistent/dir", "/x", false);
    EXPECT(wb_sandbox_run(&cfg, m, &res, &err) != WB_OK);
    EXPECT(res.outcome == WB_OUTCOME_ERROR && wb_run_exit_status(&res) == 125);

    uint64_t v;
    EXPECT(wb_parse_size("1.5K", &v) && v == 1536);
    EXPECT(wb_parse_size("64MiB", &v) && v == 64ull << 20);
    EXPECT(!wb_parse_size("-1M", &v) && !wb_parse_size("12Q", &v));
    EXPECT(wb_parse_duration("250ms", &v) && v == 250);
    EXPECT(wb_parse_duration("2m", &v) && v == 120000);
    EXPECT(wb_parse_duration("1.5", &v) && v == 1500);

    wb_sandbox_config_free(&cfg);
    wb_module_release(m);
    wb_module_release(spin);
    printf("ok\n");
    return 0;
}
