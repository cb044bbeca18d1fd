/* oslock.h: the operating-system lock-down of a process that is about to
 * run guest code (issue 15: the second wall behind the engine's bounds
 * checks). `wasmbox run` locks itself down; a server's worker process
 * will lock itself down with its own grants the same way.
 *
 * Two steps, because some things cannot be done once locked down:
 *   wb_oslock_new    while the process may still read /etc/passwd, load
 *                    NSS modules and open paths: resolves the user to drop
 *                    to, opens every path to allow (O_PATH), builds the
 *                    seccomp filter;
 *   wb_oslock_apply  once the grants are open and before any guest code
 *                    runs, in this order: rlimits, the uid/gid drop (as
 *                    root), PR_SET_NO_NEW_PRIVS, Landlock, seccomp.
 * Apply before starting threads: Landlock and PR_SET_NO_NEW_PRIVS hold
 * for the calling thread and the threads it starts afterwards only.
 *
 * A layer the kernel lacks (Landlock, or an older Landlock ABI without
 * some rights) is skipped with one warning line; a layer that is there
 * but fails to apply makes apply fail (fail closed): the caller must not
 * run the guest. Not installed: internal to src/sandbox/ and its users. */
#ifndef WB_OSLOCK_H
#define WB_OSLOCK_H

#include "wasmbox.h"
#include "common/error.h"
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Sanitizer builds keep what their runtimes need at exit (LeakSanitizer
 * stops the threads with ptrace from a helper task): see
 * docs/os-sandbox.md. Release builds have none of it. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define WB_OSLOCK_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define WB_OSLOCK_SANITIZER 1
#endif
#endif

typedef struct wb_oslock wb_oslock;

typedef struct wb_oslock_path {
    const char *path;        /* host path, opened by wb_oslock_new */
    bool write;              /* false: read files and list directories */
} wb_oslock_path;

typedef struct wb_oslock_opts {
    /* Host directories the process may use after lock-down besides the
     * config's --dir grants (guest images read after start-up, ...). */
    const wb_oslock_path *paths;
    size_t npaths;
    unsigned max_files;      /* RLIMIT_NOFILE ceiling; 0: 1024 */
    const char *user;        /* as root: drop to this user; NULL: "nobody";
                                "root": keep uid 0 (capabilities are still
                                reduced, see oslock_privs.c) */
    const struct wb_oslock_ids *ids;  /* as root: the uid/gid decision
                                made before (wb_oslock_privs_plan), so
                                each of many workers need not fork to
                                check its grants; NULL: decide here */
    const void *seccomp;     /* a program wb_oslock_seccomp_build made
                                before (borrowed; its `trap` is its own);
                                NULL: build one here */
    const wb_net_budget *net;  /* outbound HTTP rules (NULL or none: no
                                network at all): their TCP ports may be
                                connected to (Landlock), AF_INET/AF_INET6
                                sockets made (seccomp), and the
                                resolver's files in /etc read */
    bool trap;               /* the calls that kill raise SIGSYS instead
                                (SECCOMP_RET_TRAP), so the process can say
                                which call it was before it dies: a
                                server's worker (wb_session_worker.c) */
} wb_oslock_opts;

/* The layers, for messages and `wasmbox sandbox-info`. */
typedef enum wb_oslock_layer {
    WB_OSLOCK_RLIMITS = 0, WB_OSLOCK_PRIVS, WB_OSLOCK_NNP,
    WB_OSLOCK_LANDLOCK, WB_OSLOCK_SECCOMP, WB_OSLOCK_NLAYERS
} wb_oslock_layer;

/* grants: the config's (WB_GRANT_DIR entries get Landlock rules with their
 * read_only access; tmpfs and sockets need none). */
wb_status wb_oslock_new(const wb_oslock_opts *o, const wb_grant *grants,
                        size_t ngrants, wb_oslock **out, wb_error *e);
/* On failure the message names the layer; the process is then in an
 * unknown, partly locked state and must not run the guest. */
wb_status wb_oslock_apply(wb_oslock *l, wb_error *e);
bool wb_oslock_applied(const wb_oslock *l);
/* Did an apply fail (the guest must not run)? */
bool wb_oslock_failed(const wb_oslock *l);
void wb_oslock_free(wb_oslock *l);

/* What this kernel offers, for --help and `wasmbox sandbox-info`: one
 * line per layer ("landlock: ABI 6 ..."), into buf. */
void wb_oslock_describe(char *buf, size_t cap);

/* Internals of the layer files (oslock_*.c). Each returns 0, or an errno
 * with a message in e; *missing set when the kernel lacks the layer. */
typedef struct wb_ll_rules wb_ll_rules;
int wb_oslock_landlock_abi(void);
int wb_oslock_landlock_prepare(const wb_oslock_path *p, size_t n,
                               wb_ll_rules **out, wb_error *e);
int wb_oslock_landlock_apply(wb_ll_rules *r, bool *missing, wb_error *e);
/* The TCP ports connect may reach (before apply). */
#define WB_OSLOCK_PORTS (WB_NET_MAX_RULES + 1)
void wb_oslock_landlock_ports(wb_ll_rules *r, const uint16_t *ports,
                              size_t n);
/* oslock_net.c: what outbound HTTP needs of the lock-down: the ports of
 * `net`'s rules plus 53 (into ports, WB_OSLOCK_PORTS long; the count),
 * and the resolver's files that exist (into p, WB_OSLOCK_NET_FILES
 * long; the count). */
#define WB_OSLOCK_NET_FILES 6
size_t wb_oslock_net_ports(const wb_net_budget *net, uint16_t *ports);
size_t wb_oslock_net_files(wb_oslock_path *p);
void wb_oslock_landlock_free(wb_ll_rules *r);

/* nosuid: no file mode with set-user-ID or set-group-ID bits (for a
 * process that runs as root: wb_oslock_nosuid), openat2 says ENOSYS. */
/* net: sockets of AF_INET and AF_INET6 may be made and connected. */
/* The program of this build's rules: compiled when wasmbox was built
 * (src/sandbox/gen/seccomp_gen.c), else by libseccomp now. */
void *wb_oslock_seccomp_build(bool trap, bool nosuid, bool net, wb_error *e);
/* The same always compiled by libseccomp now (the generator; the test
 * that the built-in programs are what it makes). */
void *wb_oslock_seccomp_compile(bool trap, bool nosuid, bool net,
                                wb_error *e);
/* A program's instructions (struct sock_filter) and their count. */
const void *wb_oslock_seccomp_insns(const void *filter, unsigned *len);
/* Does a lock-down made now need the nosuid rules (we run as root)? */
bool wb_oslock_nosuid(void);
int wb_oslock_seccomp_apply(void *filter, bool *missing, wb_error *e);
void wb_oslock_seccomp_free(void *filter);

typedef struct wb_oslock_ids {
    bool drop;               /* root and the target can use every grant */
    uid_t uid;
    gid_t gid;
} wb_oslock_ids;
int wb_oslock_privs_plan(const char *user, const wb_oslock_path *p,
                         size_t n, wb_oslock_ids *ids, wb_error *e);
/* user's ids as getpwnam gives them: 0, or an errno (ENOENT: none). */
int wb_oslock_user_ids(const char *user, uid_t *uid, gid_t *gid);
int wb_oslock_rlimits(unsigned max_files, wb_error *e);
int wb_oslock_privs_drop(const wb_oslock_ids *ids, wb_error *e);

#ifdef WB_TEST_HOOKS
/* tests/oslock/attempt.c, linked into the test binary only: right after
 * the lock-down, the forbidden things $WB_TEST_ATTEMPT names. */
void wb_oslock_test_attempt(const wb_sandbox_config *cfg);
/* The attempt `what` (as $WB_TEST_ATTEMPT), its line into `line`. */
void wb_oslock_test_attempt_line(const char *what, char *line, size_t cap);
#endif

#endif
