// The guest makes symlinks that point outside its grant and tries to
// read, write and create through them. Exit 0 if everything was refused.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int escaped;

static void try_open(const char *p, int flags)
{
    int fd = open(p, flags, 0644);
    if (fd >= 0) {
        printf("%s: OPENED\n", p);
        if (flags != O_RDONLY) write(fd, "pwned", 5);
        escaped = 1;
        close(fd);
    } else {
        printf("%s: refused (%s)\n", p, strerror(errno));
    }
}

int main(void)
{
    const char *targets[] = { "../outside/secret", "../../../../../../etc/passwd",
                              "..", "../outside", "sub/../../outside/secret" };
    const char *names[] = { "/data/l_secret", "/data/l_passwd", "/data/l_up",
                            "/data/l_outdir", "/data/l_deep" };
    mkdir("/data/sub", 0755);
    for (int i = 0; i < 5; i++)
        printf("symlink %s -> %s: %s\n", names[i], targets[i],
               symlink(targets[i], names[i]) == 0 ? "made" : strerror(errno));
    printf("absolute symlink: %s\n",
           symlink("/etc/passwd", "/data/l_abs") == 0 ? "MADE" : strerror(errno));
    try_open("/data/l_secret", O_RDONLY);
    try_open("/data/l_secret", O_WRONLY | O_TRUNC);
    try_open("/data/l_passwd", O_RDONLY);
    try_open("/data/l_up/outside/secret", O_RDONLY);
    try_open("/data/l_outdir/secret", O_RDONLY);
    try_open("/data/l_outdir/new", O_WRONLY | O_CREAT);
    try_open("/data/l_deep", O_RDONLY);
    /* a loop must end with ELOOP, not hang */
    symlink("loop_b", "/data/loop_a");
    symlink("loop_a", "/data/loop_b");
    try_open("/data/loop_a", O_RDONLY);
    printf("mkdir via link: %s\n",
           mkdir("/data/l_outdir/made", 0755) == 0 ? "MADE" : strerror(errno));
    if (mkdir("/data/l_outdir/made", 0755) == 0) escaped = 1;
    printf("rename out: %s\n",
           rename("/data/sub", "/data/l_outdir/sub") == 0 ? "MOVED" : strerror(errno));
    printf("hard link out: %s\n",
           link("/data/l_secret", "/data/hard") == 0 ? "LINKED" : strerror(errno));
    struct stat st;
    if (stat("/data/hard", &st) == 0) { printf("hard link exists\n"); escaped = 1; }
    return escaped;
}
