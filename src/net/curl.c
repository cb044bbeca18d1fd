/* curl.c: loads libcurl for the network broker (see curl.h). */
#define WB_CURL_NO_RENAME
#include "net/curl.h"
#include "common/dl.h"
#include <pthread.h>
#include <stdio.h>

wb_curl_api wb_curl;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static char load_error[256];

static void load(void)
{
    static const char *const names[] = { "libcurl.so.4", "libcurl.so" };
#define WB_CURL_NAME(f) #f,
    static const char *const syms[] = { WB_CURL_FUNCS(WB_CURL_NAME) };
#undef WB_CURL_NAME
    void *slot[sizeof syms / sizeof *syms];
    if (!wb_dl_load("network: ", "libcurl", names, 2, syms, slot,
                    sizeof syms / sizeof *syms, load_error, sizeof load_error))
        return;
    wb_curl_api api;
    size_t i = 0;
#define WB_CURL_SET(f) *(void **)&api.f = slot[i++];
    WB_CURL_FUNCS(WB_CURL_SET)
#undef WB_CURL_SET
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
