// proc_raise ends the run as a trap (wasmbox run exit status 134). wasi-libc
// no longer declares it, so the import is declared here.
// RUN raise: $WASM
// EXIT raise: 134
#include <stdint.h>
#include <stdio.h>

__attribute__((import_module("wasi_snapshot_preview1"), import_name("proc_raise")))
int32_t raise_import(int32_t sig);

int main(void)
{
    printf("before\n");
    fflush(stdout);
    raise_import(15);           /* SIGTERM in WASI's numbering */
    printf("after\n");
    return 0;
}
