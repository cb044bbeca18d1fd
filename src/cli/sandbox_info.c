/* sandbox_info.c: `wasmbox sandbox-info`: the OS lock-down that `wasmbox
 * run` applies to itself, layer by layer, as this kernel offers it. */
#include "cli.h"
#include "sandbox/oslock.h"
#include <stdio.h>

int wb_cli_sandbox_info(int argc, char **argv)
{
    if (argc > 1) {
        wb_cli_error("sandbox-info", "takes no arguments");
        return WB_EXIT_USAGE;
    }
    char layers[2048];
    wb_oslock_describe(layers, sizeof layers);
    printf("OS sandbox of 'wasmbox run' (off with --no-os-sandbox):\n%s",
           layers);
    return WB_EXIT_OK;
}
