/* tree_api.c: processes through the C API (tests/proc/run.sh builds it
 * against libwasmbox.a). A run whose root starts 20 sleeping children
 * and sleeps ends at its deadline; afterwards this process has no thread
 * but its own and the watchdog's, and the next run starts afresh (pids,
 * counts). Prints "ok" or what went wrong. Usage: tree_api TREE.wasm */
#include <wasmbox.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int threads(void)
{
    DIR *d = opendir("/proc/self/task");
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

static int run(wb_images *im, wb_module *m, const char *mode,
               const char *n, wb_run_result *res)
{
    wb_sandbox_config c;
    wb_error err = { 0 };
    wb_sandbox_config_init(&c);
    c.budget.timeout_ms = 500;
    c.budget.max_processes = 32;
    c.images = im;
    c.stdout_fd = -1;
    wb_config_add_arg(&c, "tree");
    wb_config_add_arg(&c, mode);
    if (n)
        wb_config_add_arg(&c, n);
    wb_status st = wb_sandbox_run(&c, m, res, &err);
    wb_sandbox_config_free(&c);
    return st == WB_OK ? 0 : (printf("run: %s\n", err.message), 1);
}

/* A guests directory with shell/ only (dash.wasm and busybox.wasm are
 * copies of `wasm`, applets names two): wb_images_add_guests registers
 * the applets, sh and dash, and skips the missing language images. */
static int guests_dir(const char *wasm)
{
    char dir[] = "/tmp/wbproc-guests.XXXXXX", cmd[512];
    if (!mkdtemp(dir))
        return 1;
    snprintf(cmd, sizeof cmd, "mkdir %s/shell && cp %s %s/shell/dash.wasm "
             "&& cp %s %s/shell/busybox.wasm && printf 'ls\\ncat\\n' > "
             "%s/shell/applets", dir, wasm, dir, wasm, dir, dir);
    int rc = system(cmd) != 0;
    wb_images *im = wb_images_new();
    wb_error err = { 0 };
    if (!rc && wb_images_add_guests(im, dir, 0, &err) != WB_OK)
        rc = printf("add_guests: %s\n", err.message) > 0;
    const char *want[] = { "ls", "cat", "sh", "dash" };
    for (size_t i = 0; !rc && i < 4; i++)
        if (!wb_images_name(im, i) || strcmp(wb_images_name(im, i), want[i]))
            rc = printf("add_guests: name %zu is %s\n", i,
                        wb_images_name(im, i)) > 0;
    if (!rc && wb_images_count(im) != 4)
        rc = printf("add_guests: %zu names\n", wb_images_count(im)) > 0;
    wb_images_free(im);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) != 0 || rc;
}

int main(int argc, char **argv)
{
    wb_module *m = NULL;
    wb_error err = { 0 };
    wb_images *im = wb_images_new();
    if (argc != 2 || !im || wb_module_load(argv[1], &m, &err) != WB_OK ||
        wb_images_add_module(im, "tree", m, 0, &err) != WB_OK) {
        printf("setup: %s\n", err.message);
        return 1;
    }
    if (wb_images_count(im) != 1 || strcmp(wb_images_name(im, 0), "tree") ||
        wb_images_name(im, 1) ||
        wb_images_add(im, "a/b", argv[1], 0, &err) != WB_E_ARG ||
        wb_images_add(im, "x", "/nonexistent.wasm", 0, &err) !=
            WB_E_NOT_FOUND) {
        printf("registry: wrong answers\n");
        return 1;
    }
    wb_run_result res;
    for (int i = 0; i < 2; i++) {
        if (run(im, m, "sleepers", "20", &res))
            return 1;
        if (res.outcome != WB_OUTCOME_TIMEOUT || res.procs_started != 21 ||
            res.procs_max_live != 21 || res.wall_time_ms > 3000) {
            printf("run %d: %s, %u started, %u at once, %llu ms\n", i,
                   wb_outcome_name(res.outcome), res.procs_started,
                   res.procs_max_live,
                   (unsigned long long)res.wall_time_ms);
            return 1;
        }
        if (threads() > 2) {
            printf("run %d: %d threads left\n", i, threads());
            return 1;
        }
    }
    if (run(im, m, "ids", NULL, &res) || res.outcome != WB_OUTCOME_EXITED ||
        res.procs_started != 2) {
        printf("ids: %s %s\n", wb_outcome_name(res.outcome), res.message);
        return 1;
    }
    wb_module_release(m);
    wb_images_free(im);
    if (guests_dir(argv[1]))
        return 1;
    printf("ok\n");
    return 0;
}
