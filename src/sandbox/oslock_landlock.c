/* oslock_landlock.c: the filesystem layer of the lock-down. Landlock
 * (Linux 5.13+) confines the process to its grants: a path outside every
 * rule can be neither read nor written, whatever its mode bits, even by
 * a process that has taken over the engine. Raw syscalls (glibc has no
 * wrappers); the rights are those of the kernel's ABI version, so an
 * older kernel enforces what it knows and the rest is reported. */
#include "sandbox/oslock.h"
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#define SYS_landlock_add_rule 445
#define SYS_landlock_restrict_self 446
#endif

/* The uapi values (linux/landlock.h), spelled here because the build
 * host's headers may predate the newer ABIs. */
enum {
    LL_VERSION = 1u << 0,              /* LANDLOCK_CREATE_RULESET_VERSION */
    LL_RULE_PATH_BENEATH = 1,
};
#define LL_FS_EXECUTE      (1ull << 0)
#define LL_FS_WRITE_FILE   (1ull << 1)
#define LL_FS_READ_FILE    (1ull << 2)
#define LL_FS_READ_DIR     (1ull << 3)
#define LL_FS_REMOVE_DIR   (1ull << 4)
#define LL_FS_REMOVE_FILE  (1ull << 5)
#define LL_FS_MAKE_CHAR    (1ull << 6)
#define LL_FS_MAKE_DIR     (1ull << 7)
#define LL_FS_MAKE_REG     (1ull << 8)
#define LL_FS_MAKE_SOCK    (1ull << 9)
#define LL_FS_MAKE_FIFO    (1ull << 10)
#define LL_FS_MAKE_BLOCK   (1ull << 11)
#define LL_FS_MAKE_SYM     (1ull << 12)
#define LL_FS_REFER        (1ull << 13)   /* ABI 2 */
#define LL_FS_TRUNCATE     (1ull << 14)   /* ABI 3 */
#define LL_FS_IOCTL_DEV    (1ull << 15)   /* ABI 5 */
#define LL_NET_BIND_TCP    (1ull << 0)    /* ABI 4 */
#define LL_NET_CONNECT_TCP (1ull << 1)
#define LL_SCOPE_ABSTRACT_UNIX (1ull << 0) /* ABI 6 */
#define LL_SCOPE_SIGNAL    (1ull << 1)

/* struct landlock_ruleset_attr of ABI 6; older kernels get a prefix. */
typedef struct ll_attr {
    uint64_t handled_fs;
    uint64_t handled_net;
    uint64_t scoped;
} ll_attr;

typedef struct __attribute__((packed)) ll_beneath {
    uint64_t allowed;
    int32_t parent_fd;
} ll_beneath;

/* The newest ABI whose rights this file knows. */
enum { LL_ABI_KNOWN = 6 };

#define LL_FS_READ (LL_FS_READ_FILE | LL_FS_READ_DIR)
/* No EXECUTE, no devices, FIFOs or sockets made: WASI makes none. */
#define LL_FS_WRITE (LL_FS_WRITE_FILE | LL_FS_REMOVE_DIR | LL_FS_REMOVE_FILE | \
                     LL_FS_MAKE_DIR | LL_FS_MAKE_REG | LL_FS_MAKE_SYM | \
                     LL_FS_REFER | LL_FS_TRUNCATE)
#define LL_FS_FILE_ONLY (LL_FS_EXECUTE | LL_FS_WRITE_FILE | LL_FS_READ_FILE | \
                         LL_FS_TRUNCATE | LL_FS_IOCTL_DEV)

struct wb_ll_rules {
    size_t n;
    int *fds;
    bool *write;
    uint16_t ports[WB_OSLOCK_PORTS];   /* TCP connect allowed (ABI 4) */
    size_t nports;
};

typedef struct __attribute__((packed)) ll_port {
    uint64_t allowed;
    uint64_t port;
} ll_port;
enum { LL_RULE_NET_PORT = 2 };

void wb_oslock_landlock_ports(wb_ll_rules *r, const uint16_t *ports,
                              size_t n)
{
    r->nports = n < WB_OSLOCK_PORTS ? n : WB_OSLOCK_PORTS;
    memcpy(r->ports, ports, r->nports * sizeof *ports);
}

/* TCP connect to the ports of the network rules (and DNS over TCP). */
static int add_ports(int ruleset, const wb_ll_rules *r)
{
    for (size_t i = 0; i < r->nports; i++) {
        ll_port a = { .allowed = LL_NET_CONNECT_TCP, .port = r->ports[i] };
        if (syscall(SYS_landlock_add_rule, ruleset, LL_RULE_NET_PORT, &a, 0))
            return errno;
    }
    return 0;
}

/* 0: no Landlock (not built in, or disabled at boot). */
int wb_oslock_landlock_abi(void)
{
    long v = syscall(SYS_landlock_create_ruleset, NULL, 0, LL_VERSION);
    return v < 0 ? 0 : (int)v;
}

/* Every filesystem right the kernel's ABI knows: all of them handled,
 * so what no rule allows is denied. */
static uint64_t fs_known(int abi)
{
    uint64_t r = (LL_FS_MAKE_SYM << 1) - 1;        /* ABI 1 */
    if (abi >= 2) r |= LL_FS_REFER;
    if (abi >= 3) r |= LL_FS_TRUNCATE;
    if (abi >= 5) r |= LL_FS_IOCTL_DEV;
    return r;
}

int wb_oslock_landlock_prepare(const wb_oslock_path *p, size_t n,
                               wb_ll_rules **out, wb_error *e)
{
    wb_ll_rules *r = calloc(1, sizeof *r);
    if (r) {
        r->fds = calloc(n ? n : 1, sizeof *r->fds);
        r->write = calloc(n ? n : 1, sizeof *r->write);
    }
    if (!r || !r->fds || !r->write) {
        wb_oslock_landlock_free(r);
        wb_err_set(e, WB_E_NOMEM, "out of memory");
        return ENOMEM;
    }
    for (; r->n < n; r->n++) {
        int fd = open(p[r->n].path, O_PATH | O_CLOEXEC);
        if (fd < 0) {
            int err = errno;
            wb_err_set(e, WB_E_IO, "landlock: %s: %s", p[r->n].path,
                       strerror(err));
            wb_oslock_landlock_free(r);
            return err;
        }
        r->fds[r->n] = fd;
        r->write[r->n] = p[r->n].write;
    }
    *out = r;
    return 0;
}

static int add_rule(int ruleset, int fd, uint64_t allowed, wb_error *e)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return errno;
    if (!S_ISDIR(st.st_mode))
        allowed &= LL_FS_FILE_ONLY;
    ll_beneath b = { .allowed = allowed, .parent_fd = fd };
    if (syscall(SYS_landlock_add_rule, ruleset, LL_RULE_PATH_BENEATH, &b, 0))
        return errno;
    return 0;
}

static int ruleset_new(int abi, uint64_t *fs)
{
    ll_attr a = { .handled_fs = fs_known(abi) };
    size_t size = sizeof a.handled_fs;
    if (abi >= 4) {
        /* no rules: every TCP bind and connect is refused */
        a.handled_net = LL_NET_BIND_TCP | LL_NET_CONNECT_TCP;
        size = offsetof(ll_attr, scoped);
    }
    if (abi >= 6) {
        /* no signals to, nor abstract sockets of, processes outside */
        a.scoped = LL_SCOPE_ABSTRACT_UNIX | LL_SCOPE_SIGNAL;
        size = sizeof a;
    }
    *fs = a.handled_fs;
    return (int)syscall(SYS_landlock_create_ruleset, &a, size, 0);
}

int wb_oslock_landlock_apply(wb_ll_rules *r, bool *missing, wb_error *e)
{
    int abi = wb_oslock_landlock_abi();
    *missing = abi == 0;
    if (abi == 0)
        return 0;
    uint64_t fs;
    int ruleset = ruleset_new(abi, &fs);
    if (ruleset < 0) {
        int err = errno;
        wb_err_set(e, WB_E_IO, "landlock: cannot create a ruleset (ABI %d): "
                   "%s", abi, strerror(err));
        return err;
    }
    int err = 0;
    for (size_t i = 0; i < r->n && !err; i++) {
        uint64_t allowed = LL_FS_READ | LL_FS_IOCTL_DEV |
                           (r->write[i] ? LL_FS_WRITE : 0);
        if ((err = add_rule(ruleset, r->fds[i], allowed & fs, e)))
            wb_err_set(e, WB_E_IO, "landlock: cannot add a rule: %s",
                       strerror(err));
    }
    if (!err && abi >= 4 && (err = add_ports(ruleset, r)))
        wb_err_set(e, WB_E_IO, "landlock: cannot add a port rule: %s",
                   strerror(err));
    if (!err && syscall(SYS_landlock_restrict_self, ruleset, 0) != 0) {
        err = errno;
        wb_err_set(e, WB_E_IO, "landlock: cannot restrict the process: %s",
                   strerror(err));
    }
    close(ruleset);
    return err;
}

void wb_oslock_landlock_free(wb_ll_rules *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++)
        close(r->fds[i]);
    free(r->fds);
    free(r->write);
    free(r);
}
