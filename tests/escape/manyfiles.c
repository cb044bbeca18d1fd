// Opens 10,000 files; --max-files must refuse with EMFILE. Exit 0 if so.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

int main(void)
{
    for (int i = 0; i < 10000; i++) {
        char name[64];
        snprintf(name, sizeof name, "/data/f%d", i);
        int fd = open(name, O_CREAT | O_WRONLY, 0644);
        if (fd < 0) {
            int e = errno;      /* printf may change errno (isatty check) */
            printf("open %d refused: %s\n", i, strerror(e));
            return e == EMFILE ? 0 : 2;
        }
    }
    printf("opened 10000 files\n");
    return 1;
}
