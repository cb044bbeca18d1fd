// RUN exit: -- $WASM
// EXIT exit: 7
#include <stdio.h>
#include <stdlib.h>
int main(void)
{
    printf("before exit\n");
    exit(7);
}
