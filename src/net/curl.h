/*
 * curl.h: libcurl, loaded when a run has network rules.
 *
 * Debian's libcurl pulls in about thirty shared libraries (OpenSSL, GnuTLS,
 * Kerberos, LDAP, ...); linked into the wasmbox binary they cost every run
 * their mapping and relocations at start-up, network or not. A run with
 * rules calls wb_curl_load() before the OS lock-down (which would forbid
 * reading the library files); the curl_* names below then call through
 * pointers typed from the library's own prototypes.
 */
#ifndef WB_NET_CURL_H
#define WB_NET_CURL_H
#define CURL_DISABLE_TYPECHECK        /* its macros would hide the renames */
#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>

#define WB_CURL_FUNCS(X) \
    X(curl_global_init) X(curl_free) X(curl_easy_init) X(curl_easy_cleanup) \
    X(curl_easy_setopt) X(curl_easy_getinfo) X(curl_easy_pause) \
    X(curl_easy_strerror) X(curl_multi_init) X(curl_multi_cleanup) \
    X(curl_multi_add_handle) X(curl_multi_remove_handle) \
    X(curl_multi_perform) X(curl_multi_poll) X(curl_multi_info_read) \
    X(curl_slist_append) X(curl_slist_free_all) X(curl_url) \
    X(curl_url_cleanup) X(curl_url_get) X(curl_url_set)

typedef struct wb_curl_api {
#define WB_CURL_PTR(f) __typeof__(f) *f;
    WB_CURL_FUNCS(WB_CURL_PTR)
#undef WB_CURL_PTR
} wb_curl_api;

extern wb_curl_api wb_curl;

/* Load and initialize the library once (thread-safe); false with a reason
 * in why. */
bool wb_curl_load(char *why, size_t cap);

#ifndef WB_CURL_NO_RENAME
#undef curl_easy_setopt              /* curl.h's pass-through macros */
#undef curl_easy_getinfo
#define curl_global_init wb_curl.curl_global_init
#define curl_free wb_curl.curl_free
#define curl_easy_init wb_curl.curl_easy_init
#define curl_easy_cleanup wb_curl.curl_easy_cleanup
#define curl_easy_setopt wb_curl.curl_easy_setopt
#define curl_easy_getinfo wb_curl.curl_easy_getinfo
#define curl_easy_pause wb_curl.curl_easy_pause
#define curl_easy_strerror wb_curl.curl_easy_strerror
#define curl_multi_init wb_curl.curl_multi_init
#define curl_multi_cleanup wb_curl.curl_multi_cleanup
#define curl_multi_add_handle wb_curl.curl_multi_add_handle
#define curl_multi_remove_handle wb_curl.curl_multi_remove_handle
#define curl_multi_perform wb_curl.curl_multi_perform
#define curl_multi_poll wb_curl.curl_multi_poll
#define curl_multi_info_read wb_curl.curl_multi_info_read
#define curl_slist_append wb_curl.curl_slist_append
#define curl_slist_free_all wb_curl.curl_slist_free_all
#define curl_url wb_curl.curl_url
#define curl_url_cleanup wb_curl.curl_url_cleanup
#define curl_url_get wb_curl.curl_url_get
#define curl_url_set wb_curl.curl_url_set
#endif
#endif
