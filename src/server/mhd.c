/* mhd.c: loads libmicrohttpd for the servers (see mhd.h). */
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* The struct is declared with the library's prototypes before mhd.h's
 * macros rename the functions. */
#define WB_MHD_NO_RENAME
#include "mhd.h"
#include "common/dl.h"

wb_mhd_api wb_mhd;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static char load_error[256];

static void load(void)
{
    static const char *const names[] = { "libmicrohttpd.so.12", "libmicrohttpd.so" };
#define WB_MHD_NAME(f) #f,
    static const char *const syms[] = { WB_MHD_FUNCS(WB_MHD_NAME) };
#undef WB_MHD_NAME
    void *slot[sizeof syms / sizeof *syms];
    if (!wb_dl_load("", "libmicrohttpd", names, 2, syms, slot,
                    sizeof syms / sizeof *syms, load_error, sizeof load_error))
        return;
    size_t i = 0;
#define WB_MHD_SET(f) *(void **)&wb_mhd.f = slot[i++];
    WB_MHD_FUNCS(WB_MHD_SET)
#undef WB_MHD_SET
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
