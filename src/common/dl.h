/* dl.h: a shared library loaded on demand, its functions resolved into a
 * table (libmicrohttpd for the servers, libcurl for runs with network
 * rules: linked in, their dependencies would cost every run's start-up). */
#ifndef WB_COMMON_DL_H
#define WB_COMMON_DL_H
#include <stdbool.h>
#include <stddef.h>

/* Open the first of names that loads, then resolve syms[i] into slots[i].
 * False with one line in err ("<prefix>cannot load LIB: why" or
 * "<prefix>LIB lacks SYM"); lib names the library in it. */
bool wb_dl_load(const char *prefix, const char *lib,
                const char *const *names, size_t nnames,
                const char *const *syms, void **slots, size_t nsyms,
                char *err, size_t cap);
#endif
