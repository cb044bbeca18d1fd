/*
 * tier.c: which tier `wasmbox run` uses, with the code cache
 * (docs/native-tier.md).
 *
 *   interp   the interpreter
 *   native   the cached code, else compile now (and store it in the
 *            cache); a refused cache file is reported and compiled again
 *   auto     the cached code, else the interpreter now and a compilation
 *            in the background for the next run
 *   cached   the cached code, else the interpreter; never compiles (the
 *            language commands' default: compiling a language runtime
 *            takes minutes and a GB, so it is asked for with `wasmbox
 *            compile` or --tier auto|native)
 * A native code file given with --native-code is loaded instead of the
 * cache. A refused file (stale, foreign, corrupted, or writable by other
 * users) costs one line on stderr and the run goes on in the interpreter
 * (auto), or compiles afresh (native).
 *
 * The background compilation is `wasmbox compile --background MODULE`,
 * started before the OS lock-down (so the lock-down need not allow
 * fork or exec) by a double fork, so it is nobody's child here and this
 * run never waits for it. It is a new program (exec): it inherits no
 * grant, descriptor (all but 0-2 are closed, and those are /dev/null),
 * budget or rlimit of the run, runs at the lowest CPU priority
 * (SCHED_IDLE and nice 19), and never runs guest code. It runs as the
 * invoking user (before a drop with --os-user), into that user's cache.
 * WASMBOX_BACKGROUND_COMPILE=0 turns it off.
 */
#include "cli.h"
#include "engine/native.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* A file given with --native-code: a regular file not writable by
 * other users, ours or root's; then loaded. */
static wb_status load_given(wb_module *m, const char *file, wb_error *err)
{
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return wb_err_set(err, WB_E_IO, "%s", strerror(errno));
    struct stat sb = { 0 };
    wb_status st = WB_OK;
    if (fstat(fd, &sb) != 0 || (sb.st_uid != geteuid() && sb.st_uid != 0) ||
        (sb.st_mode & 022))
        st = wb_err_set(err, WB_E_INVALID, "owned or writable by another "
                        "user (mode %04o)", (unsigned)sb.st_mode & 07777);
    else
        st = wb_native_load_fd(m, fd, err);
    close(fd);
    return st;
}

/* Closes every descriptor but 0-2, which become /dev/null. */
static void detach_fds(void)
{
    int null = open("/dev/null", O_RDWR);
    for (int fd = 0; fd < 3 && null >= 0; fd++)
        dup2(null, fd);
    if (close_range(3, ~0u, 0) != 0)
        for (int fd = 3; fd < 65536; fd++)
            close(fd);
}

/* The compiler's process, as described at the top. */
static void background_child(const char *exe, const char *module)
{
    setsid();
    if (fork() != 0)
        _exit(0);
    struct sched_param sp = { 0 };
    sched_setscheduler(0, SCHED_IDLE, &sp);
    setpriority(PRIO_PROCESS, 0, 19);
    detach_fds();
    char *const argv[] = { (char *)exe, "compile", "--background",
                           (char *)module, NULL };
    execv(exe, argv);
    _exit(127);
}

static void compile_in_background(const wb_module *m, const char *module)
{
    const char *off = getenv("WASMBOX_BACKGROUND_COMPILE");
    char path[4400], failed[4500], exe[PATH_MAX];
    wb_error err = { 0 };
    if ((off && !strcmp(off, "0")) || !wb_native_plugin_present() ||
        wb_native_cache_path(m, false, path, sizeof path, &err) == WB_E_INVALID)
        return;
    /* a module the tier cannot compile is not tried at every run */
    snprintf(failed, sizeof failed, "%s.failed", path);
    if (err.status == WB_OK && access(failed, F_OK) == 0)
        return;
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return;
    exe[n] = 0;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0)
        background_child(exe, module);
    while (pid > 0 && waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
}

static void refused(const char *file, const wb_error *err, bool native)
{
    wb_cli_error(file, "native code refused: %s; %s", err->message,
                 native ? "compiling the module again"
                        : "running in the interpreter");
}

/* Compiles m now, stores the code in the cache unless `store` is false
 * (a failure to store is one line, and the code still runs). */
static wb_status compile_now(wb_module *m, bool store, wb_error *err)
{
    wb_native_prime_thread();
    wb_native_image *img = NULL;
    wb_native_code *c = NULL;
    wb_status st = wb_native_compile_image(m, 0, &img, err);
    if (st == WB_OK) {
        wb_error cerr = { 0 };
        if (store && wb_native_cache_store(m, img, &cerr) != WB_OK &&
            cerr.status != WB_E_NOT_FOUND)
            wb_cli_error("native code cache", "not stored: %s", cerr.message);
        st = wb_native_map_image(img, &c, err);
    }
    wb_native_image_free(img);
    if (st == WB_OK)
        atomic_store(&m->native, c);
    return st;
}

wb_status wb_cli_tier_prepare(wb_module *m, const char *module,
                              wb_cli_tier tier, const char *code_file,
                              wb_error *err)
{
    if (tier == WB_TIER_INTERP)
        return WB_OK;
    wb_error why = { 0 };
    bool native = tier == WB_TIER_NATIVE;
    if (code_file) {
        if (load_given(m, code_file, &why) == WB_OK) {
            wb_native_prime_thread();   /* reads /proc: before the lock-down */
            return WB_OK;
        }
        wb_cli_error(code_file, "native code refused: %s; running in the "
                     "interpreter", why.message);
        return WB_OK;
    }
    char path[4400];
    bool dir_ok = true;
    switch (wb_native_cache_load(m, path, sizeof path, &why)) {
    case WB_NCACHE_HIT:
        wb_native_prime_thread();
        return WB_OK;
    case WB_NCACHE_REFUSED:
        refused(path[0] ? path : "native code cache", &why, native);
        dir_ok = path[0] != 0;          /* said once: not again on store */
        break;
    case WB_NCACHE_MISS:
        break;
    }
    if (native)
        return compile_now(m, dir_ok, err);
    if (tier == WB_TIER_AUTO)
        compile_in_background(m, module);
    return WB_OK;
}

int wb_cli_session_tier(const char *cmd, const char *v,
                        wb_session_settings *ss)
{
    if (!v)
        return 0;
    if (strcmp(v, "cached") && strcmp(v, "interp")) {
        wb_cli_error(cmd, "--tier: expected cached or interp, got '%s' (a "
                     "server never compiles: fill the cache with 'make "
                     "guests-native' or 'wasmbox compile')", v);
        return WB_EXIT_USAGE;
    }
    ss->interp = v[0] == 'i';
    return 0;
}
