/*
 * native_load.c: finds and loads the native tier's plugin (native.h).
 *
 * libwasmbox-native.so links LLVM (tens of megabytes of shared library);
 * loading it on demand keeps `wasmbox run` with the interpreter as quick
 * to start as before, and lets embedders link the engine without LLVM.
 * The plugin is looked for beside the object this code is in
 * (libwasmbox.so, or the program linked with libwasmbox.a), then beside
 * the running executable; in each place also in ../lib/wasmbox/ (an
 * installed tree). It must come from the
 * same build: the ABI number is checked.
 */
#include "native.h"
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define PLUGIN "libwasmbox-native.so"

static const wb_native_plugin *g_plugin;
static char g_why[512];
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

/* The plugin beside the object at `path` (the library or the program
 * this code is linked into), or in ../lib/wasmbox/ from it. */
static void *open_beside(const char *path, bool probe)
{
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    if (!slash || *path != '/' || (size_t)(slash - path) >= sizeof dir)
        return NULL;
    memcpy(dir, path, (size_t)(slash - path));
    dir[slash - path] = 0;
    static const char *const rel[] = { "/" PLUGIN, "/../lib/wasmbox/" PLUGIN };
    void *h = NULL;
    for (size_t i = 0; i < sizeof rel / sizeof *rel && !h; i++) {
        char file[PATH_MAX + 64];
        snprintf(file, sizeof file, "%s%s", dir, rel[i]);
        if (probe && access(file, R_OK) == 0)
            return (void *)1;
        if (access(file, R_OK) == 0 && !(h = dlopen(file, RTLD_NOW | RTLD_LOCAL)))
            snprintf(g_why, sizeof g_why, "%s", dlerror());
    }
    return h;
}

/* The plugin's handle; with `probe`, only whether it is there
 * ((void *)1), without loading it. */
static void *open_plugin(bool probe)
{
    Dl_info di;
    void *h = NULL;
    if (dladdr((void *)wb_native_load, &di) && di.dli_fname)
        h = open_beside(di.dli_fname, probe);
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (!h && n > 0) {
        exe[n] = 0;
        h = open_beside(exe, probe);
    }
    return h;
}

bool wb_native_plugin_present(void)
{
    return open_plugin(true) != NULL;
}

static void load(void)
{
    void *h = open_plugin(false);
    if (!h) {
        if (!g_why[0])
            snprintf(g_why, sizeof g_why, "%s not found beside the "
                     "executable (built by make; needs llvm-19-dev)", PLUGIN);
        return;
    }
    const wb_native_plugin *p = dlsym(h, "wb_native_plugin_entry");
    if (!p || p->abi != WB_NATIVE_ABI) {
        snprintf(g_why, sizeof g_why, "%s is from another build of wasmbox",
                 PLUGIN);
        return;
    }
    g_plugin = p;
}

const wb_native_plugin *wb_native_load(char *why, size_t cap)
{
    pthread_once(&g_once, load);
    if (!g_plugin && why && cap)
        snprintf(why, cap, "%s", g_why);
    return g_plugin;
}

wb_status wb_module_compile_native(wb_module *m, unsigned threads,
                                   wb_error *err)
{
    if (!m)
        return wb_err_set(err, WB_E_ARG, "wb_module_compile_native: NULL module");
    return wb_native_compile_module(m, threads, err);
}

wb_status wb_module_load_native(wb_module *m, const char *path,
                                 wb_error *err)
{
    if (!m || !path)
        return wb_err_set(err, WB_E_ARG, "wb_module_load_native: NULL argument");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return wb_err_set(err, WB_E_IO, "%s: %s", path, strerror(errno));
    wb_native_prime_thread();
    wb_status st = wb_native_load_fd(m, fd, err);
    close(fd);
    return st;
}

bool wb_module_is_native(const wb_module *m)
{
    return m && atomic_load(&((wb_module *)m)->native) != NULL;
}

wb_status wb_native_compile_image(const wb_module *m, unsigned threads,
                                  wb_native_image **out, wb_error *err)
{
    char why[512];
    const wb_native_plugin *p = wb_native_load(why, sizeof why);
    if (!p)
        return wb_err_set(err, WB_E_IMPL_LIMIT, "native tier unavailable: %s",
                          why);
    /* the compiler reads every body, of bytes that cannot change, and
     * names the functions of its work plan */
    wb_status st = wb_module_bodies_ready((wb_module *)m, err);
    wb_module_names((wb_module *)m);
    if (st != WB_OK)
        return st;
    if (!threads) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n > 0 ? (unsigned)n : 1;
    }
    return p->compile(m, threads, wb_native_helper_table.guard_reserve, out,
                      err);
}

wb_status wb_native_compile_module(wb_module *m, unsigned threads,
                                   wb_error *err)
{
    wb_native_prime_thread();
    if (atomic_load(&m->native))
        return WB_OK;
    wb_native_image *img = NULL;
    wb_native_code *c = NULL;
    wb_status st = wb_native_compile_image(m, threads, &img, err);
    if (st == WB_OK)
        st = wb_native_map_image(img, &c, err);
    wb_native_image_free(img);
    wb_native_code *none = NULL;
    if (st == WB_OK && !atomic_compare_exchange_strong(&m->native, &none, c))
        wb_native_code_free(c);         /* compiled meanwhile */
    else if (st == WB_OK)
        wb_native_perf_map(m, c);
    return st;
}
