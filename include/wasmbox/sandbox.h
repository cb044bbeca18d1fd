/*
 * wasmbox/sandbox.h: one guest run under WASI preview1 with grants and a
 * budget (src/wasi and src/sandbox).
 *
 * A guest starts with nothing: no files (but an empty read-only "/" over
 * its grants, see no_root), no environment, empty stdin. The embedder
 * grants capabilities in a wb_sandbox_config and runs the module under one
 * budget; wb_sandbox_run never lets the guest exceed either and describes
 * how the run ended in a wb_run_result.
 *
 * Include <wasmbox.h> rather than this header: it includes every layer.
 */
#ifndef WASMBOX_SANDBOX_H
#define WASMBOX_SANDBOX_H

#include "wasmbox/engine.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How a run ended. Names (wb_outcome_name) appear in the JSON report. */
typedef enum wb_outcome {
    WB_OUTCOME_EXITED = 0,     /* "exited": proc_exit or _start returned */
    WB_OUTCOME_TRAP,           /* "trap": a wasm trap, proc_raise, stack */
    WB_OUTCOME_TIMEOUT,        /* "timeout": wall-clock budget spent */
    WB_OUTCOME_FUEL,           /* "fuel": fuel budget spent */
    WB_OUTCOME_MEMORY,         /* "memory": memory budget refused growth */
    WB_OUTCOME_OUTPUT_LIMIT,   /* "output-limit": stdout+stderr budget */
    WB_OUTCOME_DISK_LIMIT,     /* "disk-limit": bytes written to grants */
    WB_OUTCOME_ERROR           /* "error": could not start (see status) */
} wb_outcome;

/* Outbound HTTP(S) (docs/network.md): the guest's wasmbox_http imports
 * may reach only what a rule names. A rule is
 *   [http://|https://]HOST[:PORT]
 * HOST: a name ("api.example.com"), a suffix wildcard ("*.example.org":
 * every name below example.org, not example.org itself), an IPv4
 * address or CIDR range ("10.1.2.3", "10.0.0.0/8") or an IPv6 one in
 * brackets ("[fd00::1]", "[fd00::]/8"). Without a scheme the rule
 * allows https only; "http://" allows plain http only. PORT defaults to
 * 443 (https) or 80 (http). The host resolves names itself and refuses
 * to connect to loopback, private, link-local, shared, unique-local,
 * multicast and unspecified addresses (and their IPv4-mapped forms)
 * unless an address or range rule names that address. No rule: every
 * request is refused. Fixed-size so a budget stays a plain value that
 * can be copied and sent to workers. */
#define WB_NET_MAX_RULES 32
#define WB_NET_RULE_MAX 128
typedef struct wb_net_budget {
    uint32_t nallow;
    char allow[WB_NET_MAX_RULES][WB_NET_RULE_MAX];
    uint32_t max_requests;     /* HTTP requests (each redirect hop counts)
                                  per run [64] */
    uint64_t max_response;     /* body bytes of one response [16M] */
    uint64_t timeout_ms;       /* one request, from its call to the end of
                                  its body [30s]; 0: only the run's */
} wb_net_budget;

typedef struct wb_budget {
    uint64_t max_memory;       /* bytes of linear memory + tables */
    int64_t fuel;              /* < 0: unlimited */
    uint64_t timeout_ms;       /* wall clock; 0: none */
    uint64_t max_output;       /* stdout + stderr bytes */
    uint64_t max_disk;         /* bytes written into grants and tmpfs, a
                                  write past the end of a file counting the
                                  hole it opens too (the growth of the
                                  file's size, as fd_allocate and
                                  set_size); each file, directory or link
                                  made costs 4 KiB */
    uint32_t max_files;        /* open guest fds, stdio and preopens (the
                                  root "/" too) included */
    uint32_t max_stack;        /* nested wasm calls */
    uint32_t max_processes;    /* guest processes alive at once in the
                                  run's tree, the root included
                                  (wasmbox_proc spawn and fork,
                                  docs/processes.md); one past it is
                                  refused with EAGAIN */
    wb_net_budget net;         /* outbound HTTP: no rule, no network */
} wb_budget;

/* Fill `b` with the defaults (documented in `wasmbox run --help`): 256 MiB
 * memory, unlimited fuel, 10 s, 16 MiB output, 64 MiB disk, 256 files,
 * 10,000 calls, 16 processes. */
WB_API void wb_budget_default(wb_budget *b);

/* FIFOs and devices inside a directory grant can be opened and used; the
 * sandbox keeps them non-blocking on the host and waits for them (and for
 * sockets and stdio) only in ways the run's deadline or wb_wasi_cancel
 * ends, so no read, write or open of theirs outlives the run. A FIFO
 * opened for reading without a writer reads as end of file; one opened
 * for writing without a reader fails with ENXIO. */
typedef enum wb_grant_kind {
    WB_GRANT_DIR = 0,          /* a host directory, by dirfd */
    WB_GRANT_TMPFS,            /* an in-memory directory, gone after the run */
    WB_GRANT_SOCKET            /* an already-open host socket (borrowed fd) */
} wb_grant_kind;

typedef struct wb_grant {
    wb_grant_kind kind;
    char *host;                /* WB_GRANT_DIR: host directory path */
    char *guest;               /* preopen name seen by the guest */
    bool read_only;            /* WB_GRANT_DIR: every write path -> EROFS */
    uint64_t size;             /* WB_GRANT_TMPFS: capacity in bytes of
                                  host memory: 4 KiB per page of file data
                                  (less for a file under 4 KiB; holes are
                                  free), 4 KiB per page table (one per
                                  2 MiB of a file used), 256 bytes plus the
                                  name per file, directory, symlink or
                                  extra hard link, and symlink targets.
                                  Full: ENOSPC.
                                  Not part of max_memory. */
    int fd;                    /* WB_GRANT_SOCKET: host socket; the guest
                                  sees it as a plain fd (no prestat:
                                  wasi-libc stops looking for preopens at
                                  the first fd without one, so it sees
                                  neither directories granted after a
                                  socket nor the root "/", which comes
                                  after every grant). Its
                                  flags are never changed (I/O uses
                                  MSG_DONTWAIT); a listener shared with
                                  other accepters should be O_NONBLOCK, or
                                  accept can race them and block */
} wb_grant;

/* Add allowlist rule `rule` (syntax above) to b->net. Errors: WB_E_ARG
 * with a one-line reason in msg (a malformed rule, too many rules, a
 * rule over WB_NET_RULE_MAX - 1 bytes). */
WB_API wb_status wb_net_allow(wb_net_budget *b, const char *rule, char *msg,
                              size_t cap);

/* Receives guest output when set; stream is 1 (stdout) or 2 (stderr).
 * Returns 0, or -1 to report EIO to the guest. */
typedef int (*wb_output_fn)(void *user, int stream, const uint8_t *data,
                            size_t len);

/* ---- Images: what a guest process can start --------------------------
 * The guests of a run form a tree of processes (docs/processes.md): the
 * root is the run's module; it and its descendants start others with the
 * wasmbox_proc imports (spawn, exec, fork). A path in /bin or /usr/bin
 * names a registered image (the registry below); any other path a
 * module file inside a grant, read through the guest's own view.
 *
 * A registry is filled before runs and may serve many runs at once (it
 * has its own lock): each module is decoded once, on its first use (or
 * when registered with WB_IMAGE_PRELOAD), and shared by every process
 * that runs it, in every run, until wb_images_free. */
typedef struct wb_images wb_images;
enum {
    WB_IMAGE_NATIVE = 1,       /* run the cached machine code when the
                                  code cache holds it (like --tier
                                  cached); only a preloaded image can:
                                  code is never mapped after an OS
                                  lock-down. An image that imports
                                  wasmbox_proc.fork always runs in the
                                  interpreter */
    WB_IMAGE_PRELOAD = 2,      /* decode now (and load its machine code
                                  now) rather than at its first use */
    WB_IMAGE_ARGV0 = 4         /* argv[0] becomes the registered name,
                                  whatever the caller passed (busybox
                                  picks its applet by it) */
};
/* A new empty registry (NULL when out of memory). */
WB_API wb_images *wb_images_new(void);
/* Free it and release its modules (a running process keeps its own
 * reference). NULL: nothing. No run may use it any more. */
WB_API void wb_images_free(wb_images *r);
/* Register `name` (copied; no '/', at most 64 bytes) as the module file
 * `path` (copied), opened now so that it can be read after an OS
 * lock-down; `flags` WB_IMAGE_*. A name given twice: the later one
 * wins. Errors: WB_E_ARG (bad name), WB_E_NOT_FOUND / WB_E_IO (the file
 * cannot be opened), WB_E_NOMEM; with WB_IMAGE_PRELOAD, those of
 * wb_module_load. */
WB_API wb_status wb_images_add(wb_images *r, const char *name,
                               const char *path, unsigned flags,
                               wb_error *err);
/* Register `name` as module `m` (one reference taken). Errors: WB_E_ARG,
 * WB_E_NOMEM. */
WB_API wb_status wb_images_add_module(wb_images *r, const char *name,
                                      wb_module *m, unsigned flags,
                                      wb_error *err);
/* Module `m` (one reference taken) was decoded from the file `path`
 * (the run's own module): a name registered later whose file is the
 * same (device and inode) runs m instead of decoding the file again
 * (`wasmbox sh` registers the dash.wasm it runs as sh). Registers no
 * name. Errors: WB_E_ARG, WB_E_NOT_FOUND / WB_E_IO (no such file),
 * WB_E_NOMEM. */
WB_API wb_status wb_images_seed(wb_images *r, const char *path,
                                wb_module *m, wb_error *err);
/* The standard images of a guests directory (`make guests`, layout of
 * wb_guest_image): shell/ (dash.wasm as sh and dash; busybox.wasm as
 * each applet listed one per line in shell/applets, with
 * WB_IMAGE_ARGV0), python/python.wasm as python and python3 (its
 * standard library must be granted at /lib, as `wasmbox python` does),
 * js/qjs.wasm as qjs and node, lua/lua.wasm as lua, sqlite/sqlite3.wasm
 * as sqlite3. Those whose file is missing are skipped; `flags` apply to
 * each, but WB_IMAGE_PRELOAD only to the shell's (a language runtime is
 * decoded when first started; register it again with wb_images_add to
 * preload it). Errors: WB_E_NOT_FOUND (none found), those of
 * wb_images_add. */
WB_API wb_status wb_images_add_guests(wb_images *r, const char *dir,
                                      unsigned flags, wb_error *err);
/* Number of names registered (0 for NULL): what /bin lists. */
WB_API size_t wb_images_count(const wb_images *r);
/* Name i in the order registered (borrowed; NULL past the end). */
WB_API const char *wb_images_name(const wb_images *r, size_t i);

/* Initialise with wb_sandbox_config_init; the wb_config_* helpers copy
 * their strings; wb_sandbox_config_free releases what they allocated. */
typedef struct wb_sandbox_config {
    wb_budget budget;
    char **args; size_t nargs;         /* argv; args[0] is the program name */
    char **env; size_t nenv;           /* "NAME=VALUE"; host env never leaks */
    wb_grant *grants; size_t ngrants;  /* preopens get fds 3, 4, ... in
                                          order; then the root "/" */
    int stdin_fd;                      /* -1 (default): empty stdin */
    int stdout_fd, stderr_fd;          /* defaults 1, 2; borrowed; -1 drops */
    wb_output_fn output;               /* if set, replaces stdout/stderr fds */
    void *output_user;
    const char *entry;                 /* NULL: "_start" */
    char *cwd;                         /* the working directory a guest
                                          that asks (wasmbox_proc.cwd,
                                          docs/processes.md) starts in;
                                          NULL: "/". Owned (strdup'd by
                                          wb_config_set_cwd) */
    bool no_root;                      /* false (default): the guest also
                                          gets "/", after its grants: a
                                          read-only directory listing the
                                          grants' top-level names, so that
                                          paths outside every grant are
                                          ENOENT; a grant at "/" replaces
                                          it. true: none (wasi-libc then
                                          fails such paths with
                                          ENOTCAPABLE) */
    struct wb_oslock *os_lock;         /* NULL (default): the process is
                                          not locked down. Else (made by
                                          the internal wb_oslock_new, owned
                                          by the caller; embedders leave it
                                          NULL) wb_sandbox_run locks the
                                          whole process down once the
                                          grants are open, before the
                                          watchdog thread and any guest
                                          code; if that fails the guest
                                          does not run (outcome "error",
                                          message "os sandbox: ...").
                                          For a process that runs one
                                          guest: `wasmbox run`, a worker */
    bool exits_after;                  /* false (default). true: the
                                          process ends right after the run
                                          returns (`wasmbox run`), so what
                                          the run made (store, instances,
                                          memories, WASI context, linker)
                                          is not freed but left to the
                                          exit, which drops it whole (one
                                          by one, the translated code of
                                          an interpreted `python -c pass`
                                          took 0.5 ms); output is written
                                          through as it happens, so none
                                          is lost */
    wb_images *images;                 /* NULL (default): no /bin images;
                                          borrowed (see wb_images_new) */
    bool (*write_gate)(void *user);    /* NULL (default): none. Else asked
                                          before each change the guest (or
                                          a child process of it) makes to a
                                          host file or directory: writes,
                                          new names, removals, renames,
                                          sizes, times; false refuses it
                                          with EROFS, as a read-only mount
                                          would. Called on guest threads.
                                          A session of `serve
                                          --shared-state` closes it when its
                                          replica may have lost the
                                          session's lease (docs/
                                          scale-out.md, "Fencing") */
    void *write_gate_user;
} wb_sandbox_config;

/* Set `c` to an empty configuration: no arguments, environment or
 * grants, the default budget, empty stdin, stdout and stderr to fds 1
 * and 2. */
WB_API void wb_sandbox_config_init(wb_sandbox_config *c);
/* Free what the wb_config_* helpers allocated (not `c` itself) and empty
 * the lists; `c` can be filled again. */
WB_API void wb_sandbox_config_free(wb_sandbox_config *c);
/* Set the working directory (copied; an absolute guest path). Errors:
 * WB_E_ARG (not absolute, or with a NUL), WB_E_NOMEM. */
WB_API wb_status wb_config_set_cwd(wb_sandbox_config *c, const char *dir);
/* Append `arg` (copied) to argv. Errors: WB_E_NOMEM. */
WB_API wb_status wb_config_add_arg(wb_sandbox_config *c, const char *arg);
/* Append NAME=VALUE (copied) to the environment; value NULL: `name` is
 * already "NAME=VALUE". Errors: WB_E_ARG (an empty name, a name with '=',
 * or no '=' in a lone `name`), WB_E_NOMEM. */
WB_API wb_status wb_config_add_env(wb_sandbox_config *c, const char *name,
                                   const char *value);
/* Grant host directory `host` at guest path `guest` (both copied), read
 * only or read-write. The directory is opened when the run starts (an
 * error there is the run's WB_E_ARG). Errors: WB_E_NOMEM. */
WB_API wb_status wb_config_add_dir(wb_sandbox_config *c, const char *host,
                                   const char *guest, bool read_only);
/* Grant an empty in-memory directory of `size` bytes at `guest` (copied).
 * Errors: WB_E_NOMEM. */
WB_API wb_status wb_config_add_tmpfs(wb_sandbox_config *c, const char *guest,
                                     uint64_t size);
/* Grant open host socket `fd` (borrowed: the caller closes it after the
 * run) under name `guest` (copied; NULL: "socket"). Errors: WB_E_NOMEM. */
WB_API wb_status wb_config_add_socket(wb_sandbox_config *c, int fd,
                                      const char *guest);

/* One HTTP request of a run, as the JSON report lists it. */
#define WB_NET_LOG_MAX 32
typedef struct wb_net_entry {
    char method[16];
    char scheme[8];
    char host[256];
    uint32_t port;
    int32_t status;            /* HTTP status; 0: no response */
    uint64_t bytes;            /* body bytes received */
    char refused[200];         /* "" or why it was refused or failed */
} wb_net_entry;

typedef struct wb_run_result {
    wb_outcome outcome;
    wb_status status;          /* engine status behind "error" (else WB_OK) */
    int exit_code;             /* guest's code when outcome is "exited" */
    char message[512];         /* trap or error message, "" when exited */
    char backtrace[1024];      /* "#0 name\n#1 name\n..." for traps */
    uint64_t fuel_used;
    uint64_t peak_memory;      /* bytes */
    uint64_t wall_time_ms;
    uint64_t stdout_bytes, stderr_bytes;   /* bytes passed to the host */
    uint64_t disk_bytes;                   /* charged to max_disk */
    bool stdout_truncated, stderr_truncated;
    uint32_t procs_started;                /* processes of the tree, the
                                              root included */
    uint32_t procs_max_live;               /* the most alive at once */
    uint32_t procs_refused;                /* spawns and forks refused
                                              past max_processes */
    int killed_signal;                     /* another process of the tree
                                              killed the root with this
                                              signal (outcome "exited",
                                              exit code 128 + it), or 0 */
    int killed_by;                         /* the pid that sent it */
    uint32_t procs_refused_memory;         /* spawns and execs refused:
                                              their module file did not
                                              fit max_memory (ENOMEM) */
    uint32_t net_requests;                 /* requests attempted (also
                                              refused ones) */
    wb_net_entry net[WB_NET_LOG_MAX];      /* the first WB_NET_LOG_MAX */
} wb_run_result;

/* Instantiate `m` with WASI and the grants of `cfg`, call its entry under
 * the budget, fill `res`. Returns WB_OK whenever the guest ran (whatever
 * the outcome); otherwise the setup failure, also recorded in `res` as
 * outcome "error". Each call uses its own store and context, so several
 * threads may run sandboxes at once (sharing modules). */
/* Instantiate `m` (borrowed) with WASI and the grants of `cfg`, call its
 * entry under the budget, fill `res`. Returns WB_OK whenever the guest ran
 * (whatever the outcome); otherwise the setup failure (WB_E_LINK,
 * WB_E_ARG for a grant that cannot be opened, WB_E_NOMEM...), also
 * recorded in `res` as outcome "error". Each call uses its own store and
 * context, so several threads may run sandboxes at once (sharing
 * modules). */
WB_API wb_status wb_sandbox_run(const wb_sandbox_config *cfg, wb_module *m,
                                wb_run_result *res, wb_error *err);
/* The report's name of an outcome ("exited", "trap", ...); a static
 * string. */
WB_API const char *wb_outcome_name(wb_outcome o);
/* The `wasmbox run` exit status for a result (docs/exit-codes.md). */
WB_API int wb_run_exit_status(const wb_run_result *res);
/* Render `res` as one JSON object plus newline into buf (NUL-terminated
 * when cap > 0). Returns the length it needs, excluding the NUL (0 when
 * memory ran out). Text is UTF-8; ill-formed bytes from the guest or the
 * file system are replaced with U+FFFD. */
WB_API size_t wb_run_result_json(const wb_run_result *res, char *buf,
                                 size_t cap);

/* "64M", "1.5GiB", "100k", "4096" -> bytes (K=1024). false if malformed. */
WB_API bool wb_parse_size(const char *s, uint64_t *out);
/* "250ms", "10s", "2m", "1.5s", "10" (seconds) -> milliseconds. false if
 * malformed. */
WB_API bool wb_parse_duration(const char *s, uint64_t *out_ms);

/* ---- The WASI context alone --------------------------------------------
 * Lower level, for embedders that drive their own store (sessions): a WASI
 * context built from cfg's args, env, grants, stdio and the output, disk
 * and file parts of its budget. One context per store. */
typedef struct wb_wasi wb_wasi;
/* A context for `cfg` into *out, owned by the caller; opens the grants and
 * copies what it needs, so `cfg` may be freed after (its stdout/stderr fds
 * and output callback stay borrowed). Errors: WB_E_ARG (a grant that cannot
 * be opened, a bad guest path, max_files too small), WB_E_NOMEM. */
WB_API wb_status wb_wasi_new(const wb_sandbox_config *cfg, wb_wasi **out,
                             wb_error *err);
/* Define every wasi_snapshot_preview1 function in `l` for store `s`; the
 * functions borrow `w`, which must outlive the store's use of them.
 * Errors: WB_E_NOMEM, and those of wb_linker_define. */
WB_API wb_status wb_wasi_define(wb_wasi *w, wb_store *s, wb_linker *l,
                                wb_error *err);
/* Thread-safe: wakes blocking host calls (sleeps, polls, reads and writes
 * on stdio, FIFOs, devices and sockets), which then trap with "timeout".
 * Used by the watchdog together with wb_store_interrupt. */
WB_API void wb_wasi_cancel(wb_wasi *w);
/* Close the context's files and free it. NULL: nothing. */
WB_API void wb_wasi_free(wb_wasi *w);

#ifdef __cplusplus
}
#endif
#endif
