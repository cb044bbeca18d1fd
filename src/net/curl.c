/* curl.c: loads libcurl for the network broker (see curl.h). */
#define WB_CURL_NO_RENAME
#include "net/curl.h"
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

wb_curl_api wb_curl;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static char load_error[256];

static void load(void)
{
    static const char *const names[] = { "libcurl.so.4", "libcurl.so" };
    void *h = NULL;
    for (size_t i = 0; i < sizeof names / sizeof *names && !h; i++)
        h = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        snprintf(load_error, sizeof load_error,
                 "network: cannot load libcurl: %s", dlerror());
        return;
    }
    wb_curl_api api;
#define WB_CURL_SYM(f) \
    if (!(*(void **)&api.f = dlsym(h, #f))) { \
        snprintf(load_error, sizeof load_error, \
                 "network: libcurl lacks %s", #f); \
        return; }
    WB_CURL_FUNCS(WB_CURL_SYM)
#undef WB_CURL_SYM
    if (api.curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(load_error, sizeof load_error,
                 "network: libcurl failed to initialize");
        return;
    }
    wb_curl = api;
}

bool wb_curl_load(char *why, size_t cap)
{
    pthread_once(&once, load);
    if (load_error[0]) {
        if (why && cap)
            snprintf(why, cap, "%s", load_error);
        return false;
    }
    return true;
}
