// RUN args_env: --env FOO=bar --env EMPTY= -- $WASM one "two words" ""
// Arguments and environment: exactly what was granted, nothing else.
#include <stdio.h>
#include <stdlib.h>

extern char **environ;

int main(int argc, char **argv)
{
    printf("argc=%d\n", argc);
    for (int i = 1; i < argc; i++)
        printf("argv[%d]=[%s]\n", i, argv[i]);
    for (char **e = environ; *e; e++)
        printf("env [%s]\n", *e);
    printf("FOO=%s HOME=%s PATH=%s\n", getenv("FOO"),
           getenv("HOME") ? "leaked" : "unset",
           getenv("PATH") ? "leaked" : "unset");
    return 0;
}
