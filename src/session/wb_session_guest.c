/* wb_session_guest.c: the language runtimes a session runs (guest images
 * from scripts/guests/) and the sandbox config of each step.
 *
 * Guest paths of a step:
 *   /work       the workspace, read-write (also the working directory)
 *   /lib        Python's standard library, read-only (Python only)
 *   /.wasmbox   our drivers, read-only (Python and JavaScript kernels)
 *   /           the workspace again, for steps that do not chdir (Lua,
 *               SQL, raw wasm, one-shot JavaScript): relative paths then
 *               resolve in /work too. Python and the shell start in /work
 *               instead, under the virtual root with /bin and /dev
 * plus the policy's grants. */
#include "session/wb_session.h"
#include "common/path.h"
#include "sandbox/preinit.h"
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const wb_guest_image images[WB_LANG_COUNT] = {
    [WB_LANG_PYTHON] = { "python", "python.wasm", "lib", "python3" },
    [WB_LANG_JAVASCRIPT] = { "js", "qjs.wasm", NULL, "qjs" },
    [WB_LANG_LUA] = { "lua", "lua.wasm", NULL, "lua" },
    [WB_LANG_SQL] = { "sqlite", "sqlite3.wasm", NULL, "sqlite3" },
    [WB_LANG_WASM] = { NULL, NULL, NULL, "module.wasm" },
    [WB_LANG_SHELL] = { "shell", "dash.wasm", NULL, "sh" },
};

static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
typedef struct image_slot {
    char path[PATH_MAX];
    wb_module *m;
} image_slot;
static image_slot cache[WB_LANG_COUNT][2];     /* [lang][native] */

const wb_guest_image *wb_guest_image_of(wb_lang lang)
{
    return (unsigned)lang < WB_LANG_COUNT ? &images[lang] : NULL;
}

const char *wb_sess_argv0(wb_lang lang)
{
    return images[lang].argv0;
}

char *wb_guests_dir(const char *dir)
{
    const char *env = getenv("WASMBOX_GUESTS");
    if (dir && *dir)
        return strdup(dir);
    if (env && *env)
        return strdup(env);
    char exe[PATH_MAX], bin[PATH_MAX], out[PATH_MAX + 8];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return NULL;
    exe[n] = 0;
    if (!wb_path_dirname(exe, bin, sizeof bin))
        return NULL;
    snprintf(out, sizeof out, "%s/guests", bin);
    return strdup(out);
}

static const char *guests_dir(wb_session *s)
{
    if (!s->guests_dir)
        s->guests_dir = wb_guests_dir(NULL);
    return s->guests_dir;
}

const char *wb_sess_guests_dir(wb_session *s)
{
    return guests_dir(s);
}

wb_status wb_sess_module(wb_session *s, wb_lang lang, wb_module **out,
                         wb_error *err)
{
    return wb_sess_image(guests_dir(s), lang, !s->settings.interp, out, err);
}

const wb_snapshot *wb_sess_pre(wb_session *s)
{
    return wb_sess_preinit(guests_dir(s), !s->settings.interp, false);
}

wb_status wb_sess_image(const char *gd, wb_lang lang, bool native,
                        wb_module **out, wb_error *err)
{
    char path[PATH_MAX];
    if (!gd || !images[lang].dir)
        return wb_err_set(err, WB_E_ARG, "cannot locate the guest images; "
                          "set WASMBOX_GUESTS");
    snprintf(path, sizeof path, "%s/%s/%s", gd, images[lang].dir,
             images[lang].module);
    image_slot *slot = &cache[lang][native];
    pthread_mutex_lock(&cache_mu);
    if (slot->m && !strcmp(slot->path, path)) {
        wb_module_retain(slot->m);
        *out = slot->m;
        pthread_mutex_unlock(&cache_mu);
        return WB_OK;
    }
    pthread_mutex_unlock(&cache_mu);
    if (access(path, R_OK) != 0)
        return wb_err_set(err, WB_E_IO, "the %s runtime is not installed "
                          "(%s: %s); build it with 'make guests'",
                          wb_lang_name(lang), path, strerror(errno));
    wb_module *m;
    wb_status st = wb_module_load(path, &m, err);
    if (st)
        return st;
    if (native)
        wb_sess_native_attach(m);       /* before any instance of it */
    pthread_mutex_lock(&cache_mu);
    if (slot->m)
        wb_module_release(slot->m);
    snprintf(slot->path, sizeof slot->path, "%s", path);
    slot->m = m;
    wb_module_retain(m);                 /* one for the cache */
    pthread_mutex_unlock(&cache_mu);
    *out = m;
    return WB_OK;
}

/* The pre-initialized Python of guests directory `gd` (python.snap),
 * opened once per process like the modules (a server's zygote opens it
 * before its workers fork); NULL when there is none or $WASMBOX_COLD is
 * set. A snapshot that is refused (stale: another python.wasm or
 * wasmbox) is reported once on stderr; runs then start cold. */
/* One run of `python3 -c pass` from `snap`, its output dropped: the
 * functions a run calls (the setup, Python's finalization) are then
 * compiled in this process, and processes forked from it (a server's
 * workers) start with them instead of compiling them for every run. */
static void warm(const wb_snapshot *snap, const char *gd)
{
    wb_sandbox_config c;
    wb_run_result res;
    char lib[PATH_MAX];
    snprintf(lib, sizeof lib, "%s/python/lib", gd);
    wb_sandbox_config_init(&c);
    c.stdout_fd = c.stderr_fd = -1;
    c.budget.timeout_ms = 60000;
    if (!wb_config_add_dir(&c, lib, WB_PREINIT_LIB, true) &&
        !wb_config_add_arg(&c, "python3") && !wb_config_add_arg(&c, "-c") &&
        !wb_config_add_arg(&c, "pass"))
        wb_preinit_run(&c, snap, &res, NULL);
    wb_sandbox_config_free(&c);
}

/* $WASMBOX_COLD, read when the process starts: a server's zygote clears
 * its environment before it opens the snapshot. */
static bool cold_start;
__attribute__((constructor)) static void read_cold(void)
{
    const char *v = getenv("WASMBOX_COLD");
    cold_start = v && *v;
}

const wb_snapshot *wb_sess_preinit(const char *gd, bool native,
                                   bool warm_up)
{
    static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    static char opened[2][PATH_MAX];            /* [native] */
    static wb_snapshot *snaps[2];
    char mod[PATH_MAX], path[PATH_MAX];
    if (!gd || cold_start)
        return NULL;
    snprintf(mod, sizeof mod, "%s/python/python.wasm", gd);
    snprintf(path, sizeof path, "%s/python/%s", gd, WB_PREINIT_FILE);
    pthread_mutex_lock(&mu);
    wb_snapshot **snap = &snaps[native];
    if (strcmp(opened[native], path)) {
        wb_error err = { 0 };
        wb_snapshot_free(*snap);
        *snap = NULL;
        snprintf(opened[native], sizeof opened[native], "%s", path);
        if (access(path, R_OK) == 0 &&
            wb_preinit_open(mod, path, snap, &err) != WB_OK)
            fprintf(stderr, "wasmbox: %s: %s; Python runs start cold\n",
                    path, err.message);
        /* its own module: machine code before its first instance */
        if (*snap && native)
            wb_sess_native_attach(wb_snapshot_module(*snap));
        if (*snap && warm_up)
            warm(*snap, gd);
    }
    pthread_mutex_unlock(&mu);
    return *snap;
}

wb_status wb_sess_drivers(wb_session *s, wb_error *err)
{
    static const struct { const char *name; const char *data;
                          const unsigned *len; } files[] = {
        { "driver.py", wb_driver_py, &wb_driver_py_len },
        { "driver.js", wb_driver_js, &wb_driver_js_len },
    };
    if (mkdir(s->runtime_dir, 0700) != 0 && errno != EEXIST)
        return wb_err_set(err, WB_E_IO, "%s: %s", s->runtime_dir,
                          strerror(errno));
    int dfd = open(s->runtime_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return wb_err_set(err, WB_E_IO, "%s: %s", s->runtime_dir,
                          strerror(errno));
    for (size_t i = 0; i < 2; i++) {
        /* rewrite only when it differs (another version wrote it) */
        size_t n = *files[i].len;
        char *cur = malloc(n + 1);
        int fd = openat(dfd, files[i].name, O_RDONLY | O_NOFOLLOW |
                        O_CLOEXEC);
        ssize_t got = cur && fd >= 0 ? read(fd, cur, n + 1) : -1;
        if (fd >= 0)
            close(fd);
        bool same = got == (ssize_t)n && !memcmp(cur, files[i].data, n);
        free(cur);
        if (!same && wb_sess_write_atomic(dfd, files[i].name, files[i].data,
                                          n) != 0) {
            int e = errno;
            close(dfd);
            return wb_err_set(err, WB_E_IO, "%s/%s: %s", s->runtime_dir,
                              files[i].name, strerror(e));
        }
    }
    close(dfd);
    return WB_OK;
}

static bool has_env(const wb_sandbox_config *c, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < c->nenv; i++)
        if (!strncmp(c->env[i], name, n) && c->env[i][n] == '=')
            return true;
    return false;
}

/* The standard images of the guests directory, /bin of every step (a
 * shell's tools, Python's subprocess; docs/processes.md): one registry
 * per process, made at the first step (in a worker, after its lock-down:
 * the guests directory stays readable, and the images run interpreted),
 * kept until exit. NULL when there are none. */
static wb_images *std_images(wb_session *s)
{
    static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    static wb_images *reg;
    static bool tried;
    const char *gd = guests_dir(s);
    pthread_mutex_lock(&mu);
    if (!tried && gd) {
        tried = true;
        wb_error e = { 0 };
        if ((reg = wb_images_new()) &&
            wb_images_add_guests(reg, gd, 0, &e) != WB_OK) {
            wb_images_free(reg);
            reg = NULL;
        }
    }
    pthread_mutex_unlock(&mu);
    return reg;
}

/* Is the workspace a directory itself? A grant's path is opened through
 * symlinks (a --dir of the CLI may be one), but a session's workspace
 * never is: a link in its place (made by another process that shares
 * the state directory, e.g. a replica of `serve --shared-state`) would
 * hand the guest whatever it names. */
static wb_status ws_own(const wb_session *s, wb_error *err)
{
    struct stat sb;
    if (lstat(s->ws, &sb) == 0 && S_ISDIR(sb.st_mode))
        return WB_OK;
    return wb_err_set(err, WB_E_IO, "session '%s': its workspace is not "
                      "a directory (a symlink is not followed)", s->id);
}

wb_status wb_sess_config(wb_session *s, wb_lang lang, bool kernel,
                         wb_sandbox_config *c, wb_error *err)
{
    const wb_sandbox_config *p = s->policy;
    if (ws_own(s, err))
        return WB_E_IO;
    wb_sandbox_config_init(c);
    c->budget = p->budget;
    c->images = std_images(s);
    if (s->fence) {          /* a shared session: writes need its lease */
        c->write_gate = wb_sess_fence_gate;
        c->write_gate_user = s->fence;
    }
    wb_status st = WB_OK;
    for (size_t i = 0; i < p->nenv && !st; i++)
        st = wb_config_add_env(c, p->env[i], NULL);
    if (!st && !has_env(p, "HOME"))
        st = wb_config_add_env(c, "HOME", "/work");
    if (!st && lang == WB_LANG_PYTHON && !has_env(p, "PYTHONIOENCODING"))
        st = wb_config_add_env(c, "PYTHONIOENCODING", "utf-8");
    /* Python's library first (fd 3), as in its pre-initialized snapshot;
     * a shell's too, so that `python3` in it finds its library */
    if (!st && (lang == WB_LANG_PYTHON || lang == WB_LANG_SHELL)) {
        char lib[PATH_MAX];
        const char *gd = guests_dir(s);
        snprintf(lib, sizeof lib, "%s/python/lib", gd ? gd : ".");
        if (lang == WB_LANG_PYTHON || access(lib, R_OK) == 0)
            st = wb_config_add_dir(c, lib, "/lib", true);
    }
    if (!st)
        st = wb_config_add_dir(c, s->ws, "/work", false);
    if (!st && kernel)
        st = wb_config_add_dir(c, s->runtime_dir, "/.wasmbox", true);
    for (size_t i = 0; i < p->ngrants && !st; i++) {
        const wb_grant *g = &p->grants[i];
        if (g->kind == WB_GRANT_DIR)
            st = wb_config_add_dir(c, g->host, g->guest, g->read_only);
        else if (g->kind == WB_GRANT_TMPFS)
            st = wb_config_add_tmpfs(c, g->guest, g->size);
    }
    /* the catch-all "/" last: more specific grants win. Not for a shell
     * or Python: they start in /work (a cwd they ask for: a shell's
     * start-up code, Python's setup, preinit.c), and their root must
     * show /bin, where the tools are, and /dev/null (subprocess,
     * os.system, redirections) */
    if (!st && (lang == WB_LANG_SHELL || lang == WB_LANG_PYTHON) && !kernel)
        st = wb_config_set_cwd(c, "/work");
    else if (!st && !kernel)
        st = wb_config_add_dir(c, s->ws, "/", false);
    if (!st)
        st = wb_config_add_arg(c, images[lang].argv0);
    if (!st && kernel && lang == WB_LANG_PYTHON) {
        if (!(st = wb_config_add_arg(c, "-I")))
            st = wb_config_add_arg(c, "/.wasmbox/driver.py");
    } else if (!st && kernel && lang == WB_LANG_JAVASCRIPT) {
        if (!(st = wb_config_add_arg(c, "--std")))
            st = wb_config_add_arg(c, "/.wasmbox/driver.js");
    }
    if (st) {
        wb_sandbox_config_free(c);
        return wb_err_set(err, WB_E_NOMEM, "out of memory");
    }
    return WB_OK;
}
