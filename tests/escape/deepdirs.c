// Nests directories argv[1] levels deep, each made inside the last one
// through its fd (paths would stop at 4 KiB), then exits with the tree in
// place: freeing it must not recurse once per level on the host's stack.
// Starts in the grant at /data.
#include <stdio.h>
#include <stdlib.h>
#include <wasi/api.h>
#include "preopen.h"

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 1000;
    __wasi_fd_t top = preopen("/data", 0), cur = top;
    if (!top)
        return 1;
    for (long i = 0; i < n; i++) {
        __wasi_fd_t next;
        __wasi_errno_t e = __wasi_path_create_directory(cur, "d");
        if (!e)
            e = __wasi_path_open(cur, 0, "d", __WASI_OFLAGS_DIRECTORY,
                                 __WASI_RIGHTS_PATH_CREATE_DIRECTORY |
                                 __WASI_RIGHTS_PATH_OPEN, ~0ull, 0, &next);
        if (e) {
            printf("level %ld: errno %d\n", i, e);
            return 1;
        }
        if (cur != top && __wasi_fd_close(cur))
            return 1;
        cur = next;
    }
    printf("%ld levels\n", n);
    return 0;
}
