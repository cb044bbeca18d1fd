/* guest.c: the guest of tests/oslock/run.sh: says it ran, and with an
 * argument reads that file (a path inside its grant). */
#include <stdio.h>

int main(int argc, char **argv)
{
    if (argc > 1) {
        FILE *f = fopen(argv[1], "r");
        char line[64] = "";
        if (!f || !fgets(line, sizeof line, f)) {
            perror(argv[1]);
            return 1;
        }
        printf("read %s", line);
        fclose(f);
    }
    puts("guest ran");
    return 0;
}
