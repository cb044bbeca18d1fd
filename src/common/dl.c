/* dl.c: see dl.h. */
#include "common/dl.h"
#include <dlfcn.h>
#include <stdio.h>

bool wb_dl_load(const char *prefix, const char *lib,
                const char *const *names, size_t nnames,
                const char *const *syms, void **slots, size_t nsyms,
                char *err, size_t cap)
{
    void *h = NULL;
    for (size_t i = 0; i < nnames && !h; i++)
        h = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        snprintf(err, cap, "%scannot load %s: %s", prefix, lib, dlerror());
        return false;
    }
    for (size_t i = 0; i < nsyms; i++)
        if (!(slots[i] = dlsym(h, syms[i]))) {
            snprintf(err, cap, "%s%s lacks %s", prefix, lib, syms[i]);
            return false;
        }
    return true;
}
