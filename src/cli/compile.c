/*
 * compile.c: `wasmbox compile [-o FILE] MODULE`: native code for MODULE,
 * into FILE or into the code cache (docs/native-tier.md), for `wasmbox
 * run --native-code FILE` or for every later run of MODULE.
 *
 * --background is how `run --tier auto` starts it (tier.c): silent, one
 * compilation per cache file at a time (an flock on <file>.lock), and a
 * failure leaves <file>.failed so that later runs do not try again.
 */
#include "cli.h"
#include "engine/native.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

static const char compile_help[] =
    "usage: wasmbox compile [-o FILE | --if-missing] MODULE\n"
    "\n"
    "Compile MODULE to machine code with the native tier (LLVM, all CPUs)\n"
    "for this wasmbox, LLVM and CPU. Without -o the code goes to the cache,\n"
    "$XDG_CACHE_HOME/wasmbox/native (default ~/.cache/wasmbox/native),\n"
    "where `wasmbox run` finds it; with -o, into FILE, for `wasmbox run\n"
    "--native-code FILE`. Prints the file written. Native code is trusted:\n"
    "whoever can write the file can run any code as the user running it.\n"
    "--if-missing: only when the cache holds no valid code for MODULE yet\n"
    "(then prints the file and 'already cached'; make guests-native)\n"
    "\n"
    "exit status: 0 written; 2 bad usage; 3 module unreadable; 4/5 module\n"
    "malformed/invalid; 8 the native tier cannot compile it (or is not\n"
    "built); 1 the file cannot be written\n";

static const struct option compile_opts[] = {
    { "output", required_argument, NULL, 'o' },
    { "background", no_argument, NULL, 'b' },
    { "if-missing", no_argument, NULL, 'm' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 }
};

/* Whether the cache file at `path` is already good for m. */
static bool cached(wb_module *m, const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return false;
    wb_error err = { 0 };
    bool ok = wb_native_load_fd(m, fd, &err) == WB_OK;
    close(fd);
    return ok;
}

/* --background: the lock, the check, the compilation, the marker. */
static int background(wb_module *m)
{
    char path[4400], side[4500];
    wb_error err = { 0 };
    if (wb_native_cache_path(m, true, path, sizeof path, &err) != WB_OK)
        return WB_EXIT_FAIL;
    snprintf(side, sizeof side, "%s.lock", path);
    int lk = open(side, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (lk < 0 || flock(lk, LOCK_EX | LOCK_NB) != 0 || cached(m, path))
        return WB_EXIT_OK;              /* another is at it, or done */
    wb_native_image *img = NULL;
    wb_status st = wb_native_compile_image(m, 0, &img, &err);
    if (st == WB_OK)
        st = wb_native_write_file(m, img, path, 0600, &err);
    wb_native_image_free(img);
    if (st == WB_OK)
        wb_native_cache_trim_after(path);
    if (st != WB_OK) {
        snprintf(side, sizeof side, "%s.failed", path);
        int fd = open(side, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
                      O_NOFOLLOW, 0600);
        if (fd >= 0) {
            dprintf(fd, "%s\n", err.message);
            close(fd);
        }
    }
    snprintf(side, sizeof side, "%s.lock", path);
    unlink(side);
    close(lk);
    return st == WB_OK ? WB_EXIT_OK : WB_EXIT_FAIL;
}

static int to_file(wb_module *m, const char *module, const char *out,
                   bool if_missing)
{
    char path[4400];
    wb_error err = { 0 };
    wb_status st = WB_OK;
    if (!out) {
        st = wb_native_cache_path(m, true, path, sizeof path, &err);
        if (st != WB_OK) {
            wb_cli_error("native code cache", "%s", err.message);
            return WB_EXIT_FAIL;
        }
        out = path;
        if (if_missing && cached(m, path)) {
            printf("%s (already cached)\n", path);
            return WB_EXIT_OK;
        }
    }
    wb_native_image *img = NULL;
    st = wb_native_compile_image(m, 0, &img, &err);
    if (st != WB_OK) {
        wb_cli_error(module, "%s", err.message);
        wb_native_image_free(img);
        return wb_cli_exit(&err);
    }
    st = wb_native_write_file(m, img, out, out == path ? 0600 : 0644, &err);
    wb_native_image_free(img);
    if (st == WB_OK && out == path)
        wb_native_cache_trim_after(path);
    if (st != WB_OK) {
        wb_cli_error(NULL, "%s", err.message);
        return WB_EXIT_FAIL;
    }
    printf("%s\n", out);
    return WB_EXIT_OK;
}

int wb_cli_compile(int argc, char **argv)
{
    wb_cli_opts g;
    const char *out = NULL;
    bool bg = false, if_missing = false;
    int c;
    wb_cli_opts_begin(&g, argc, argv, ":ho:", compile_opts);
    while ((c = wb_cli_opt(&g)) != -1) {
        if (c == '?' || c == ':')
            return wb_cli_opt_error(&g, c, "compile", WB_EXIT_USAGE);
        if (c == 'h') {
            fputs(compile_help, stdout);
            return WB_EXIT_OK;
        }
        if (c == 'o')
            out = optarg;
        if (c == 'b')
            bg = true;
        if (c == 'm')
            if_missing = true;
    }
    if (if_missing && out) {
        wb_cli_error("compile", "--if-missing is for the cache, not -o");
        return WB_EXIT_USAGE;
    }
    if (optind != argc - 1) {
        wb_cli_error("compile", "expected one MODULE (try 'wasmbox compile "
                     "--help')");
        return WB_EXIT_USAGE;
    }
    const char *module = argv[optind];
    wb_module *m = NULL;
    int rc = wb_cli_load_module(module, &m);
    if (rc)
        return rc;
    rc = bg ? background(m) : to_file(m, module, out, if_missing);
    wb_module_release(m);
    return rc;
}
