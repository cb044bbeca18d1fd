/* images.c: the registry of images a guest process can start by name
 * (/bin/NAME; docs/processes.md, "Images").
 *
 * Names point at files; several names may share one (busybox's applets):
 * the file is opened when registered, because an OS lock-down (Landlock)
 * later forbids opening paths outside the grants, and decoded once, on
 * first use, from that descriptor. Machine code from the code cache is
 * mapped only for a file preloaded before the run: after a seccomp
 * lock-down no memory may become executable. */
#include "proc/proc.h"
#include "engine/native.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NAME_MAX_LEN 64

typedef struct img_file {
    char *path;
    dev_t dev;                 /* the file's identity (a given module: 0) */
    ino_t ino;
    int fd;                    /* -1 once decoded (or for a given module) */
    wb_module *m;              /* NULL until decoded */
    unsigned flags;
    struct img_file *next;
} img_file;

typedef struct img_name {
    char *name;
    img_file *file;
    bool argv0;                /* WB_IMAGE_ARGV0 */
} img_name;

struct wb_images {
    pthread_mutex_t mu;
    img_file *files;
    img_name *names;
    size_t n, cap;
};

wb_images *wb_images_new(void)
{
    wb_images *r = calloc(1, sizeof *r);
    if (r)
        pthread_mutex_init(&r->mu, NULL);
    return r;
}

void wb_images_free(wb_images *r)
{
    if (!r)
        return;
    for (img_file *f = r->files, *next; f; f = next) {
        next = f->next;
        if (f->fd >= 0)
            close(f->fd);
        wb_module_release(f->m);
        free(f->path);
        free(f);
    }
    for (size_t i = 0; i < r->n; i++)
        free(r->names[i].name);
    free(r->names);
    pthread_mutex_destroy(&r->mu);
    free(r);
}

size_t wb_images_count(const wb_images *r)
{
    return r ? r->n : 0;
}

const char *wb_images_name(const wb_images *r, size_t i)
{
    return r && i < r->n ? r->names[i].name : NULL;
}

bool wb_module_imports_fork(const wb_module *m)
{
    size_t n = wb_module_import_count(m);
    for (size_t i = 0; i < n; i++) {
        const char *mod, *name;
        wb_module_import(m, i, &mod, &name, NULL);
        if (mod && name && !strcmp(mod, "wasmbox_proc") &&
            !strcmp(name, "fork"))
            return true;
    }
    return false;
}

/* Machine code for f's module from the cache, when asked for and fit:
 * a miss or a refusal leaves it to the interpreter. */
static void load_native(img_file *f)
{
    char path[4400];
    wb_error err = { 0 };
    if (!(f->flags & WB_IMAGE_NATIVE) || wb_module_imports_fork(f->m) ||
        wb_module_is_native(f->m))
        return;
    if (wb_native_cache_load(f->m, path, sizeof path, &err) == WB_NCACHE_HIT)
        wb_native_prime_thread();
}

/* Decode f from its descriptor (with r->mu held). */
static wb_status decode(img_file *f, wb_error *err)
{
    if (f->m)
        return WB_OK;
    struct stat sb;
    if (fstat(f->fd, &sb) != 0 || !S_ISREG(sb.st_mode))
        return wb_err_set(err, WB_E_IO, "%s: not a regular file", f->path);
    size_t len = (size_t)sb.st_size, got = 0;
    uint8_t *bytes = malloc(len ? len : 1);
    if (!bytes)
        return wb_err_set(err, WB_E_NOMEM, "%s: out of memory", f->path);
    while (got < len) {
        ssize_t k = pread(f->fd, bytes + got, len - got, (off_t)got);
        if (k <= 0) {
            free(bytes);
            return wb_err_set(err, WB_E_IO, "%s: cannot read: %s", f->path,
                              k < 0 ? strerror(errno) : "short file");
        }
        got += (size_t)k;
    }
    wb_status st = wb_module_new(bytes, len, &f->m, err);
    free(bytes);
    if (st != WB_OK)
        return st;
    close(f->fd);
    f->fd = -1;
    return WB_OK;
}

/* Name slot for `name` (an existing one is reused: the later wins). */
static img_name *name_slot(wb_images *r, const char *name, wb_error *err)
{
    for (size_t i = 0; i < r->n; i++)
        if (!strcmp(r->names[i].name, name))
            return &r->names[i];
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 32;
        img_name *v = realloc(r->names, cap * sizeof *v);
        if (!v)
            return wb_err_set(err, WB_E_NOMEM, "images: out of memory"),
                   NULL;
        r->names = v;
        r->cap = cap;
    }
    img_name *s = &r->names[r->n];
    if (!(s->name = strdup(name)))
        return wb_err_set(err, WB_E_NOMEM, "images: out of memory"), NULL;
    r->n++;
    return s;
}

static bool good_name(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    return n && n <= NAME_MAX_LEN && !strchr(name, '/') &&
           strcmp(name, ".") && strcmp(name, "..");
}

static wb_status add_file(wb_images *r, const char *name, img_file *f,
                          unsigned flags, wb_error *err)
{
    pthread_mutex_lock(&r->mu);
    img_name *s = name_slot(r, name, err);
    if (s) {
        s->file = f;
        s->argv0 = flags & WB_IMAGE_ARGV0;
    }
    pthread_mutex_unlock(&r->mu);
    return s ? WB_OK : err->status;
}

/* The file of r that is also `fd`'s (a seeded module), or NULL. */
static img_file *same_file(wb_images *r, int fd)
{
    struct stat sb;
    if (fstat(fd, &sb) != 0)
        return NULL;
    for (img_file *f = r->files; f; f = f->next)
        if (f->path && f->ino && f->dev == sb.st_dev && f->ino == sb.st_ino)
            return f;
    return NULL;
}

/* A new file entry for `path` (opened now, with its identity). */
static img_file *file_new(const char *path, unsigned flags, wb_error *err)
{
    struct stat sb;
    img_file *f = calloc(1, sizeof *f);
    if (!f || !(f->path = strdup(path))) {
        free(f);
        return wb_err_set(err, WB_E_NOMEM, "images: out of memory"), NULL;
    }
    f->flags = flags;
    f->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (f->fd < 0 || fstat(f->fd, &sb) != 0) {
        wb_err_set(err, errno == ENOENT ? WB_E_NOT_FOUND : WB_E_IO,
                   "%s: %s", path, strerror(errno));
        if (f->fd >= 0)
            close(f->fd);
        free(f->path);
        free(f);
        return NULL;
    }
    f->dev = sb.st_dev;
    f->ino = sb.st_ino;
    return f;
}

/* The file `path` of r, opened now (one per path, and one per file
 * seeded with its module). */
static img_file *file_of(wb_images *r, const char *path, unsigned flags,
                         wb_error *err)
{
    img_file *f = r->files;
    while (f && !(f->path && !strcmp(f->path, path)))
        f = f->next;
    if (!f && (f = file_new(path, flags, err))) {
        img_file *seeded = same_file(r, f->fd);
        if (seeded) {
            close(f->fd);
            free(f->path);
            free(f);
            f = seeded;
        } else {
            f->next = r->files;
            r->files = f;
            return f;
        }
    }
    if (f)
        f->flags |= flags & WB_IMAGE_NATIVE;   /* the file's, not a name's */
    return f;
}

wb_status wb_images_seed(wb_images *r, const char *path, wb_module *m,
                         wb_error *err)
{
    if (!r || !path || !m)
        return wb_err_set(err, WB_E_ARG, "images: NULL argument");
    img_file *f = file_new(path, 0, err);
    if (!f)
        return err ? err->status : WB_E_IO;
    close(f->fd);
    f->fd = -1;
    wb_module_retain(m);
    f->m = m;
    pthread_mutex_lock(&r->mu);
    f->next = r->files;
    r->files = f;
    pthread_mutex_unlock(&r->mu);
    return WB_OK;
}

wb_status wb_images_add(wb_images *r, const char *name, const char *path,
                        unsigned flags, wb_error *err)
{
    wb_error e = { 0 };
    if (!r || !path || !good_name(name))
        return wb_err_set(err, WB_E_ARG, "images: bad name '%s'",
                          name ? name : "(null)");
    pthread_mutex_lock(&r->mu);
    img_file *f = file_of(r, path, flags, &e);
    wb_status st = f ? WB_OK : e.status;
    if (f && (flags & WB_IMAGE_PRELOAD)) {
        st = decode(f, &e);
        if (st == WB_OK)
            load_native(f);
    }
    pthread_mutex_unlock(&r->mu);
    if (st == WB_OK)
        st = add_file(r, name, f, flags, &e);
    if (st != WB_OK && err)
        *err = e;
    return st;
}

wb_status wb_images_add_module(wb_images *r, const char *name, wb_module *m,
                               unsigned flags, wb_error *err)
{
    if (!r || !m || !good_name(name))
        return wb_err_set(err, WB_E_ARG, "images: bad name '%s'",
                          name ? name : "(null)");
    img_file *f = calloc(1, sizeof *f);
    if (!f)
        return wb_err_set(err, WB_E_NOMEM, "images: out of memory");
    f->fd = -1;
    f->flags = flags;
    wb_module_retain(m);
    f->m = m;
    pthread_mutex_lock(&r->mu);
    f->next = r->files;
    r->files = f;
    pthread_mutex_unlock(&r->mu);
    return add_file(r, name, f, flags, err);
}

wb_status wb_images_get(wb_images *r, const char *name, wb_module **out,
                        const char **argv0, wb_error *err)
{
    *out = NULL;
    *argv0 = NULL;
    if (!r)
        return wb_err_set(err, WB_E_NOT_FOUND, "%s: no such image", name);
    pthread_mutex_lock(&r->mu);
    img_name *s = NULL;
    for (size_t i = 0; i < r->n && !s; i++)
        if (!strcmp(r->names[i].name, name))
            s = &r->names[i];
    wb_status st = s ? decode(s->file, err)
                     : wb_err_set(err, WB_E_NOT_FOUND, "%s: no such image",
                                  name);
    if (st == WB_OK) {
        wb_module_retain(s->file->m);
        *out = s->file->m;
        *argv0 = s->argv0 ? s->name : NULL;
    }
    pthread_mutex_unlock(&r->mu);
    return st;
}

/* ---- the standard guests ------------------------------------------------- */

/* The applet names of busybox.wasm, one per line of `list`. */
static wb_status add_applets(wb_images *r, const char *dir, const char *list,
                             unsigned flags, wb_error *err)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, list);
    FILE *fp = fopen(path, "re");
    if (!fp)
        return WB_OK;                  /* a shell without the tools */
    snprintf(path, sizeof path, "%s/shell/busybox.wasm", dir);
    char line[128];
    wb_status st = WB_OK;
    while (st == WB_OK && fgets(line, sizeof line, fp)) {
        line[strcspn(line, "\r\n")] = 0;
        if (line[0] && line[0] != '#')
            st = wb_images_add(r, line, path, flags | WB_IMAGE_ARGV0, err);
    }
    fclose(fp);
    return st;
}

wb_status wb_images_add_guests(wb_images *r, const char *dir, unsigned flags,
                               wb_error *err)
{
    static const struct { const char *name, *file; bool lang; } std[] = {
        { "sh", "shell/dash.wasm", false },
        { "dash", "shell/dash.wasm", false },
        { "python", "python/python.wasm", true },
        { "python3", "python/python.wasm", true },
        { "qjs", "js/qjs.wasm", true }, { "node", "js/qjs.wasm", true },
        { "lua", "lua/lua.wasm", true },
        { "sqlite3", "sqlite/sqlite3.wasm", true },
    };
    size_t found = 0;
    char path[4200];
    wb_status st = add_applets(r, dir, "shell/applets", flags, err);
    for (size_t i = 0; st == WB_OK && i < sizeof std / sizeof std[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, std[i].file);
        if (access(path, R_OK) != 0)
            continue;
        /* a language runtime is large: decoded when first started */
        st = wb_images_add(r, std[i].name, path,
                           std[i].lang ? flags & ~WB_IMAGE_PRELOAD : flags,
                           err);
        found++;
    }
    if (st == WB_OK && !found && !r->n)
        return wb_err_set(err, WB_E_NOT_FOUND, "%s: no guest images (make "
                          "guests)", dir);
    return st;
}
