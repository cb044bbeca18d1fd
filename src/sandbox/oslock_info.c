/* oslock_info.c: what the lock-down does on this kernel, in words, for
 * `wasmbox sandbox-info` and `wasmbox run --help` (computed at run time:
 * the same binary runs on kernels with and without Landlock). */
#include "sandbox/oslock.h"
#include <seccomp.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

static void put(char *buf, size_t cap, size_t *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (*at < cap) {
        int n = vsnprintf(buf + *at, cap - *at, fmt, ap);
        *at += n > 0 ? (size_t)n : 0;
    }
    va_end(ap);
}

static void landlock_line(char *buf, size_t cap, size_t *at)
{
    int abi = wb_oslock_landlock_abi();
    if (abi == 0) {
        put(buf, cap, at, "  landlock      MISSING on this kernel: files "
            "are confined by the\n                grants' descriptors "
            "only\n");
        return;
    }
    put(buf, cap, at, "  landlock      active (ABI %d): no file outside "
        "the grants can be\n                opened, read, written, "
        "removed or executed; read-only\n                grants only read",
        abi);
    put(buf, cap, at, "%s%s\n", abi >= 4 ? "; no TCP bind or connect" : "",
        abi >= 6 ? "; no signal to, nor\n                abstract socket "
        "of, another process" : "");
    if (abi < 6)
        put(buf, cap, at, "                (ABI %d lacks:%s%s%s)\n", abi,
            abi < 3 ? " truncate rule," : "", abi < 4 ? " TCP rules," : "",
            " scopes");
}

void wb_oslock_describe(char *buf, size_t cap)
{
    size_t at = 0;
    bool root = geteuid() == 0;
    put(buf, cap, &at, "  rlimits       active: no core files; a ceiling "
        "on open descriptors\n");
    put(buf, cap, &at, "  privileges    %s\n", root
        ? "active (root): drops to user nobody when it can use\n"
          "                every grant, else keeps uid 0 with the file "
          "capabilities\n                only (no admin, network, ptrace, "
          "setuid, resource)"
        : "nothing to drop (not root)");
    put(buf, cap, &at, "  no_new_privs  active: setuid files and file "
        "capabilities give nothing\n");
    landlock_line(buf, cap, &at);
    if (seccomp_api_get() >= 3)
        put(buf, cap, &at, "  seccomp       active: an allowlist of the "
            "calls the interpreter and WASI\n                make; execve, "
            "socket, connect: EPERM; ptrace, process_vm_*,\n"
            "                mount, bpf, keyctl, namespaces, new processes, "
            "executable\n                memory: the process is killed "
            "(SIGSYS, exit status 159)\n");
    else
        put(buf, cap, &at, "  seccomp       MISSING on this kernel (or "
            "libseccomp too old)\n");
    put(buf, cap, &at, "  namespaces    not used yet\n");
}
