/*
 * hostcall_common.c: what the host-call fuzzers (fuzz_hostcall.c,
 * fuzz_net.c) share. A module that imports the functions of an op table
 * and exports memory 0 (one page of at most two) is instantiated once;
 * the calls are made straight on its host functions. A watchdog cancels
 * the input's context at its deadline, as a run's deadline would, so
 * every wait ends; after a call, guest memory must have changed only
 * where the call's outputs are. Also: how a finding ends the process,
 * the count of open descriptors, and the writing of seed files.
 */
#include "hostcall.h"
#include "engine.h"
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- findings, descriptors, seeds --------------------------------------- */

const char *hc_name = "fuzz";
void (*hc_cleanup)(void);

void hc_die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", hc_name);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    if (hc_cleanup)
        hc_cleanup();
    abort();
}

int hc_fd_count(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    if (!d)
        hc_die("cannot list /proc/self/fd: %s", strerror(errno));
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

void hc_b8(hc_enc *e, uint8_t v)
{
    if (e->n < sizeof e->b)
        e->b[e->n++] = v;
}

bool hc_write_seed(const char *dir, const char *name, const hc_enc *e)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/seed-%s", dir, name);
    FILE *f = fopen(p, "wb");
    if (!f || fwrite(e->b, 1, e->n, f) != e->n || fclose(f) != 0) {
        fprintf(stderr, "%s: cannot write %s: %s\n", hc_name, p,
                strerror(errno));
        return false;
    }
    return true;
}

/* ---- the module --------------------------------------------------------- */

typedef struct wbuf { uint8_t b[8192]; size_t n; } wbuf;

static void put8(wbuf *o, uint8_t v)
{
    if (o->n == sizeof o->b)
        hc_die("module too large");
    o->b[o->n++] = v;
}

static void leb(wbuf *o, uint32_t v)
{
    do {
        put8(o, (uint8_t)((v & 0x7f) | (v >> 7 ? 0x80 : 0)));
        v >>= 7;
    } while (v);
}

static void name(wbuf *o, const char *s)
{
    leb(o, (uint32_t)strlen(s));
    while (*s)
        put8(o, (uint8_t)*s++);
}

static void section(wbuf *m, uint8_t id, const wbuf *s)
{
    put8(m, id);
    leb(m, (uint32_t)s->n);
    for (size_t i = 0; i < s->n; i++)
        put8(m, s->b[i]);
}

static bool pseudo(const hc_op *op)
{
    return op->name[0] == '@';
}

/* One import and its type per op that is not a pseudo-call. */
static void imports(wbuf *types, wbuf *imp, const char *from,
                    const hc_op *ops, size_t nops)
{
    uint32_t n = 0;
    for (size_t i = 0; i < nops; i++)
        n += !pseudo(&ops[i]);
    leb(types, n);
    leb(imp, n);
    for (uint32_t i = 0, k = 0; k < n; i++) {
        if (pseudo(&ops[i]))
            continue;
        wb_valtype t[HC_MAX_ARGS];
        size_t np = hc_kind_types(ops[i].kinds, t);
        bool res = !(ops[i].flags & HC_NO_RESULT);
        put8(types, 0x60);
        leb(types, (uint32_t)np);
        for (size_t j = 0; j < np; j++)
            put8(types, (uint8_t)t[j]);
        leb(types, res);
        if (res)
            put8(types, WB_I32);
        /* "module/name" imports from that module, not `from` */
        const char *slash = strchr(ops[i].name, '/');
        if (slash) {
            leb(imp, (uint32_t)(slash - ops[i].name));
            for (const char *c = ops[i].name; c < slash; c++)
                put8(imp, (uint8_t)*c);
        } else {
            name(imp, from);
        }
        name(imp, slash ? slash + 1 : ops[i].name);
        put8(imp, 0);
        leb(imp, k++);
    }
}

static void build_module(wbuf *m, const char *from, const hc_op *ops,
                         size_t nops)
{
    static wbuf types, imp, mem, exports;
    static const uint8_t head[] = { 0, 'a', 's', 'm', 1, 0, 0, 0 };
    static const uint8_t memsec[] = { 1, 1, 1, 2 };
    types.n = imp.n = mem.n = exports.n = 0;
    imports(&types, &imp, from, ops, nops);
    for (size_t i = 0; i < sizeof memsec; i++)
        put8(&mem, memsec[i]);
    leb(&exports, 1);
    name(&exports, "memory");
    put8(&exports, 2);
    put8(&exports, 0);
    for (size_t i = 0; i < sizeof head; i++)
        put8(m, head[i]);
    section(m, 1, &types);
    section(m, 2, &imp);
    section(m, 5, &mem);
    section(m, 7, &exports);
}

wb_module *hc_module_new(const char *from, const hc_op *ops, size_t nops)
{
    static wbuf m;
    wb_module *mod = NULL;
    wb_error err = { .message = "out of memory" };
    m.n = 0;
    build_module(&m, from, ops, nops);
    if (wb_module_new(m.b, m.n, &mod, &err) != WB_OK)
        hc_die("the module of imports: %s", err.message);
    return mod;
}

void hc_guest_new(hc_guest *g, const char *from, const hc_op *ops,
                  size_t nops, wb_host_fn *fn)
{
    wb_limits lim;
    wb_error err = { .message = "out of memory" };
    wb_module *mod = hc_module_new(from, ops, nops);
    wb_sandbox_config none;
    wb_linker *l = wb_linker_new();
    wb_limits_default(&lim);
    lim.max_memory = HC_MAX_MEMORY;
    wb_sandbox_config_init(&none);
    if (!l || wb_store_new(&lim, &g->store, &err) != WB_OK ||
        wb_wasi_new(&none, &g->probe, &err) != WB_OK ||
        wb_wasi_define(g->probe, g->store, l, &err) != WB_OK ||
        wb_instantiate(g->store, mod, l, &g->inst, &err) != WB_OK)
        hc_die("setup (is the op table out of date?): %s", err.message);
    wb_linker_free(l);
    wb_module_release(mod);
    for (size_t i = 0, k = 0; i < nops; i++)
        fn[i] = pseudo(&ops[i]) ? NULL : g->inst->funcs[k++]->host;
    g->mem = wb_memory_data(g->inst->mems[0]);
    if (wb_memory_size(g->inst->mems[0]) != HC_MEM)
        hc_die("memory 0 is not one page");
}

/* ---- the watchdog ------------------------------------------------------- */

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    wb_wasi *armed;
    struct timespec end;
} W = { .mu = PTHREAD_MUTEX_INITIALIZER };

static void *watchdog(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&W.mu);
    for (;;) {
        if (!W.armed) {
            pthread_cond_wait(&W.cv, &W.mu);
            continue;
        }
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec > W.end.tv_sec ||
            (now.tv_sec == W.end.tv_sec && now.tv_nsec >= W.end.tv_nsec)) {
            wb_wasi_cancel(W.armed);
            W.armed = NULL;
            continue;
        }
        pthread_cond_timedwait(&W.cv, &W.mu, &W.end);
    }
    return NULL;
}

void hc_arm(wb_wasi *w, int ms)
{
    pthread_mutex_lock(&W.mu);
    clock_gettime(CLOCK_MONOTONIC, &W.end);
    W.end.tv_sec += ms / 1000;
    W.end.tv_nsec += (ms % 1000) * 1000000L;
    if (W.end.tv_nsec >= 1000000000L) {
        W.end.tv_sec++;
        W.end.tv_nsec -= 1000000000L;
    }
    W.armed = w;
    pthread_cond_signal(&W.cv);
    pthread_mutex_unlock(&W.mu);
}

void hc_disarm(void)
{
    pthread_mutex_lock(&W.mu);
    W.armed = NULL;
    pthread_cond_signal(&W.cv);
    pthread_mutex_unlock(&W.mu);
}

void hc_watchdog_start(void)
{
    pthread_condattr_t ca;
    pthread_t t;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&W.cv, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&t, NULL, watchdog, NULL) != 0)
        hc_die("cannot start the watchdog");
    pthread_detach(t);
}

int64_t hc_ms_past_deadline(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)(now.tv_sec - W.end.tv_sec) * 1000 +
           (now.tv_nsec - W.end.tv_nsec) / 1000000;
}

/* ---- guest memory ------------------------------------------------------- */

static bool allowed(const hc_dec *d, uint64_t at)
{
    for (int i = 0; i < d->nout; i++)
        if (at >= d->out[i].lo && at < d->out[i].hi)
            return true;
    return false;
}

/* Words, not memcmp: this runs after every call, and the sanitizers'
 * memcmp checks both ranges first. Chunks of 64 bytes are compared as a
 * whole (vectorised) and only a differing one byte by byte. */
__attribute__((no_sanitize("address", "undefined")))
void hc_check_memory(const hc_dec *d, const uint8_t *before,
                     const uint8_t *mem, const char *call)
{
    const uint64_t *a = (const uint64_t *)before;
    const uint64_t *b = (const uint64_t *)mem;
    for (uint32_t i = 0; i < HC_MEM / 8; i += 8) {
        uint64_t diff = 0;
        for (uint32_t k = 0; k < 8; k++)
            diff |= a[i + k] ^ b[i + k];
        if (!diff)
            continue;
        for (uint32_t k = 8 * i; k < 8 * i + 64; k++)
            if (before[k] != mem[k] && !allowed(d, k))
                hc_die("%s wrote guest byte %u, outside its outputs", call,
                       k);
    }
}
