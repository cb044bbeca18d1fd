// Creates 100,000 empty directories and files: entries cost disk budget
// too, so --max-disk must stop this.
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void)
{
    char name[64];
    for (int i = 0; i < 50000; i++) {
        snprintf(name, sizeof name, "/data/d%d", i);
        mkdir(name, 0755);
        snprintf(name, sizeof name, "/data/f%d", i);
        close(open(name, O_CREAT | O_WRONLY, 0644));
    }
    printf("created everything\n");
    return 1;
}
