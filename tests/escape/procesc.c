// A process of the tree reaches nothing its parent could not: names that
// lead outside the grants are no image (spawn and exec fail, nothing
// starts), pids outside the tree are not there, and a child started as
// /bin/readfile (--image readfile=readfile.wasm) with our arguments
// refuses each of them as we would. Exit 0 when all of that held.
#include "../proc/wbproc.h"
#include <stdio.h>
#include <string.h>

static int bad;

static void no_image(const char *path)
{
    static const int32_t fds[3] = { 0, 1, 2 };
    int32_t pid = 0;
    int rc = wbp_spawn(path, (uint32_t)strlen(path), "x", 2, "", 0, "", 0,
                       fds, &pid);
    int erc = wbp_exec(path, (uint32_t)strlen(path), "x", 2, "", 0, "", 0);
    if (!rc || !erc) {
        printf("%s: started (spawn %d, exec %d)\n", path, rc, erc);
        bad = 1;
    }
}

int main(int argc, char **argv)
{
    static const char *const outside[] = {
        "/etc/passwd", "/bin/../etc/passwd", "/bin/readfile/../../etc/passwd",
        "/usr/bin/../../etc/passwd", "/data/../outside/secret",
        "/data/host_abs", "/data/host_rel", "/proc/self/exe",
        "../outside/secret", "/bin/", "/bin/.", "/bin/..",
    };
    for (size_t i = 0; i < sizeof outside / sizeof outside[0]; i++)
        no_image(outside[i]);
    if (wbp_kill(12345, 9) != 71 || wbp_kill(0, 9) != 71) {
        printf("kill outside the tree did not say ESRCH\n");
        bad = 1;
    }
    int32_t status = 0, pid = 0;
    argv[0] = "readfile";
    if (wbp_run("/bin/readfile", (const char *const *)argv, argc, &pid) ||
        wbp_wait(pid, 0, &status) != pid) {
        printf("the child did not run\n");
        return 1;
    }
    if (status) {
        printf("the child opened something (status %d)\n", status);
        bad = 1;
    }
    return bad;
}
