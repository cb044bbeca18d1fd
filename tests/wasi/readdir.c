// RUN readdir_host: --dir $T/d:/d -- $WASM /d
// RUN readdir_tmpfs: --tmpfs /d -- $WASM /d
// SETUP: mkdir -p $T/d
// 300 entries with long names: fd_readdir must continue across buffers
// (cookies) without losing or repeating entries; seekdir/rewinddir too.
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int count(DIR *d, int *sum)
{
    struct dirent *de;
    int n = 0;
    *sum = 0;
    while ((de = readdir(d))) {
        int k;
        if (sscanf(de->d_name, "entry-with-a-rather-long-name-%d", &k) == 1) {
            n++;
            *sum += k;
        }
    }
    return n;
}

int main(int argc, char **argv)
{
    char path[512];
    for (int i = 0; i < 300; i++) {
        snprintf(path, sizeof path, "%s/entry-with-a-rather-long-name-%d", argv[1], i);
        close(open(path, O_CREAT | O_WRONLY, 0644));
    }
    DIR *d = opendir(argv[1]);
    int sum, n = count(d, &sum);
    printf("entries=%d sum=%d\n", n, sum);
    rewinddir(d);
    n = count(d, &sum);
    printf("after rewind entries=%d sum=%d\n", n, sum);
    closedir(d);
    int fd = open(argv[1], O_RDONLY | O_DIRECTORY);
    printf("read on dir fails=%d\n", read(fd, path, 4) < 0);
    close(fd);
    return 0;
}
