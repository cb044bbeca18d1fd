// The guest makes, moves and hard-links symlinks that would point outside
// its grant /data (the host's data/, next to outside/): each must be
// refused with EPERM, while links that stay inside work. run.sh then checks
// on the host that every link the guest left resolves inside data/. The
// same rules hold on a tmpfs at /data (issue 22), which has no host-made
// links. Exit 0 if everything went as expected.
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int bad;

static void refused(const char *what, int rc)
{
    if (rc == 0 || errno != EPERM) {
        printf("%s: %s, want EPERM\n", what, rc == 0 ? "DONE" : strerror(errno));
        bad = 1;
    }
}

static void done(const char *what, int rc)
{
    if (rc != 0) {
        printf("%s: %s\n", what, strerror(errno));
        bad = 1;
    }
}

static void try_open(const char *p, int flags)
{
    int fd = open(p, flags, 0644);
    if (fd >= 0) {
        printf("%s: OPENED\n", p);
        if (flags != O_RDONLY) write(fd, "pwned", 5);
        bad = 1;
        close(fd);
    }
}

static void reads(const char *p, const char *want)
{
    char buf[64] = { 0 };
    int fd = open(p, O_RDONLY);
    if (fd < 0 || read(fd, buf, sizeof buf - 1) < 0 || strcmp(buf, want)) {
        printf("%s: cannot read '%s' through it\n", p, want);
        bad = 1;
    }
    if (fd >= 0) close(fd);
}

static void put(const char *p, const char *s)
{
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, s, strlen(s)) < 0) bad = 1;
    if (fd >= 0) close(fd);
}

int main(void)
{
    mkdir("/data/sub", 0755);
    mkdir("/data/a", 0755);
    mkdir("/data/deep", 0755);
    mkdir("/data/deep/inner", 0755);
    put("/data/file", "top");
    put("/data/sub/file2", "second");

    /* Out of the grant, or not provably inside: refused when made. */
    refused("../outside/secret at the root", symlink("../outside/secret", "/data/l_secret"));
    refused("../../../../../../etc/passwd", symlink("../../../../../../etc/passwd", "/data/l_passwd"));
    refused("up -> .. at the root", symlink("..", "/data/l_up"));
    refused("../outside", symlink("../outside", "/data/l_outdir"));
    refused("a/b -> ../../x", symlink("../../x", "/data/a/b"));
    refused("sub/../../outside/secret", symlink("sub/../../outside/secret", "/data/l_deep"));
    /* ".." after a name is refused even inside: "x/.." climbs out when x is a link to "." */
    refused("sub/..", symlink("sub/..", "/data/l_dot"));
    refused("absolute", symlink("/etc/passwd", "/data/l_abs"));
    int subfd = open("/data/sub", O_RDONLY | O_DIRECTORY);
    refused("../../outside from an fd of sub", symlinkat("../../outside", subfd, "l_fd_out"));
    try_open("/data/l_secret", O_RDONLY);
    try_open("/data/l_up/outside/secret", O_RDONLY);
    try_open("/data/l_outdir/new", O_WRONLY | O_CREAT);

    /* Inside: made and followed. */
    done("sub/l -> ../file", symlink("../file", "/data/sub/l_file"));
    done("l -> sub/file2", symlink("sub/file2", "/data/l_sub"));
    done("a/up -> ..", symlink("..", "/data/a/up"));
    done("../file from an fd of sub", symlinkat("../file", subfd, "l_fd"));
    done("deep/inner/l -> ../../file", symlink("../../file", "/data/deep/inner/l"));
    reads("/data/sub/l_file", "top");
    reads("/data/l_sub", "second");
    reads("/data/a/up/sub/file2", "second");
    reads("/data/sub/l_fd", "top");
    reads("/data/deep/inner/l", "top");
    /* a loop must end with ELOOP, not hang */
    done("loop_a", symlink("loop_b", "/data/loop_a"));
    done("loop_b", symlink("loop_a", "/data/loop_b"));
    try_open("/data/loop_a", O_RDONLY);

    /* Moves that would leave a relative link climbing out: refused. */
    refused("rename sub/l_file to the root", rename("/data/sub/l_file", "/data/l_moved"));
    refused("rename deep/inner up", rename("/data/deep/inner", "/data/inner"));
    refused("hard link of sub/l_file at the root", link("/data/sub/l_file", "/data/l_hard"));
    /* a name of the guest's own for the host's links to the outside (a
     * host grant; on a tmpfs there are none) */
    struct stat hs;
    bool host = lstat("/data/host_abs", &hs) == 0;
    if (host) {
        refused("hard link of the host's absolute link", link("/data/host_abs", "/data/innocent"));
        refused("hard link of the host's ../ link", link("/data/host_rel", "/data/innocent2"));
    }
    /* Same depth, deeper, or an absolute host link: allowed. */
    done("rename sub/l_file to a/", rename("/data/sub/l_file", "/data/a/l_file"));
    reads("/data/a/l_file", "top");
    done("rename deep into sub/", rename("/data/deep", "/data/sub/deep"));
    done("hard link of a/l_file in sub/", link("/data/a/l_file", "/data/sub/l_hard"));
    if (host)
        done("rename of the host's absolute link", rename("/data/host_abs", "/data/sub/host_abs"));

    /* A tree too deep to check moves only by copy: EXDEV. */
    char p[512] = "/data/tall";
    for (int i = 0; i < 70 && mkdir(p, 0755) == 0; i++)
        strcat(p, "/d");
    errno = 0;
    if (rename("/data/tall", "/data/sub/tall") == 0 || errno != EXDEV) {
        printf("rename of a 70-level tree: %s, want EXDEV\n", strerror(errno));
        bad = 1;
    }
    done("rename of a 70-level tree at the same depth", rename("/data/tall", "/data/tall2"));

    printf("rename out: %s\n",
           rename("/data/sub", "/data/l_outdir/sub") == 0 ? "MOVED" : strerror(errno));
    struct stat st;
    if (stat("/data/l_outdir", &st) == 0) bad = 1;
    return bad;
}
