// RUN stdin_file: --stdin $T/input.txt -- $WASM
// RUN stdin_none: -- $WASM
// SETUP: printf 'line one\nline two\n' > $T/input.txt
// Without --stdin the guest sees an empty stdin.
#include <stdio.h>
#include <string.h>

int main(void)
{
    char buf[256];
    size_t total = 0;
    while (fgets(buf, sizeof buf, stdin)) {
        total += strlen(buf);
        printf("got: %s", buf);
    }
    printf("total=%zu eof=%d\n", total, feof(stdin) != 0);
    return 0;
}
