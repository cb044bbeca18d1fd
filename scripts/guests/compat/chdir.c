/* chdir.c: the current directory is kept (in wasi-libc's __wasilibc_cwd,
 * which getcwd returns) as the physical path of the directory reached,
 * as Linux keeps it: wasi-libc stored the argument as given, so getcwd()
 * could say "/..", "/tmp/a/../b/." or the link taken ("pwd -P" after
 * "cd srclink" named srclink, not its target). physical.c resolves each
 * link and ".." as the kernel does; the stat of the result checks that it
 * names a directory of the guest's tree. A shell's logical "pwd" keeps
 * the link: the shell tracks $PWD itself. */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include "wb_compat.h"

int chdir(const char *path)
{
    static int cwd_is_ours;   /* the first one is getcwd.o's static "/" */
    struct stat st;
    char *cwd;
    int rc = wb_compat_physical(path, &cwd);
    if (rc == 0)
        rc = stat(cwd, &st);
    if (rc == 0 && !S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        rc = -1;
    }
    if (rc < 0) {
        free(cwd);
        return -1;
    }
    if (cwd_is_ours)
        free(__wasilibc_cwd);
    __wasilibc_cwd = cwd;
    cwd_is_ours = 1;
    return 0;
}
