/* mhd.c: loads libmicrohttpd for the servers (see mhd.h). */
#include <microhttpd.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* The struct is declared with the library's prototypes before mhd.h's
 * macros rename the functions. */
#define WB_MHD_NO_RENAME
#include "mhd.h"

wb_mhd_api wb_mhd;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static char load_error[256];

static void load(void)
{
    static const char *const names[] = { "libmicrohttpd.so.12", "libmicrohttpd.so" };
    void *h = NULL;
    for (size_t i = 0; i < sizeof names / sizeof *names && !h; i++)
        h = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        snprintf(load_error, sizeof load_error, "cannot load libmicrohttpd: %s", dlerror());
        return;
    }
    wb_mhd_api api;
#define WB_MHD_SYM(f) \
    if (!(*(void **)&api.f = dlsym(h, #f))) { \
        snprintf(load_error, sizeof load_error, "libmicrohttpd lacks %s", #f); \
        return; }
    WB_MHD_FUNCS(WB_MHD_SYM)
#undef WB_MHD_SYM
    wb_mhd = api;
}

bool wb_mhd_load(char *why, size_t cap)
{
    pthread_once(&once, load);
    if (load_error[0]) {
        if (why && cap) snprintf(why, cap, "%s", load_error);
        return false;
    }
    return true;
}

void wb_mhd_log(void *prefix, const char *fmt, va_list ap)
{
    static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    static time_t last;
    static unsigned long dropped;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    pthread_mutex_lock(&mu);
    if (last && ts.tv_sec == last) {
        dropped++;
        pthread_mutex_unlock(&mu);
        return;
    }
    last = ts.tv_sec;
    unsigned long n = dropped;
    dropped = 0;
    pthread_mutex_unlock(&mu);
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t len = strlen(msg);
    while (len && (msg[len - 1] == '\n' || msg[len - 1] == '\r'))
        msg[--len] = 0;
    for (char *p = msg; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    if (n)
        fprintf(stderr, "%s: libmicrohttpd: %s (and %lu earlier messages, "
                "left out)\n", (const char *)prefix, msg, n);
    else
        fprintf(stderr, "%s: libmicrohttpd: %s\n", (const char *)prefix,
                msg);
}
