/*
 * wasmbox.h: the one public header of libwasmbox.
 *
 * Objects and ownership
 *   wb_module    A decoded and validated module. Immutable once created and
 *                safe to share between threads; reference counted.
 *   wb_store     Owns every runtime object (instances, functions, memories,
 *                tables, globals) and the execution stack. One thread at a
 *                time may use a store; different stores run in parallel.
 *                wb_store_interrupt() is the one call that may come from any
 *                thread.
 *   wb_linker    A name -> extern map used to resolve imports. Borrows the
 *                externs it holds; they must belong to the store that the
 *                module is instantiated in.
 *   wb_instance, wb_func, wb_memory, wb_table, wb_global
 *                Owned by their store and freed with it. Never free them.
 *
 * Linking
 *   libwasmbox.so, or libwasmbox.a with -lm -lpthread -lyaml -ljansson
 *   (the JSON report and the sessions use jansson, policy files libyaml).
 *
 * Errors
 *   Every fallible call returns a wb_status and fills a caller-provided
 *   wb_error (which may be NULL) with a one-line message. The library never
 *   exits the process and never prints.
 */
#ifndef WASMBOX_H
#define WASMBOX_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WB_VERSION "0.1.0"

typedef struct wb_module wb_module;
typedef struct wb_store wb_store;
typedef struct wb_linker wb_linker;
typedef struct wb_instance wb_instance;
typedef struct wb_func wb_func;
typedef struct wb_memory wb_memory;
typedef struct wb_table wb_table;
typedef struct wb_global wb_global;
typedef struct wb_caller wb_caller;

typedef enum wb_status {
    WB_OK = 0,
    WB_E_MALFORMED,   /* the binary cannot be decoded */
    WB_E_INVALID,     /* decoded, but fails validation */
    WB_E_LINK,        /* unknown or incompatible import */
    WB_E_TRAP,        /* a trap at run time; wb_error.trap says which */
    WB_E_EXIT,        /* the guest asked to exit; wb_error.exit_code */
    WB_E_LIMIT,       /* a configured limit refuses the request */
    WB_E_NOMEM,       /* the host is out of memory */
    WB_E_ARG,         /* bad argument from the embedder */
    WB_E_IO,          /* a host file could not be read */
    WB_E_IMPL_LIMIT,  /* the module exceeds a limit of this engine (too
                         many locals, br_table too large...): rejected */
    WB_E_NOT_FOUND    /* what was named does not exist: a module or policy
                         file, a session, a file in a session's workspace
                         (`wasmbox` exits 3, `wasmbox run` 127) */
} wb_status;

typedef enum wb_trap_kind {
    WB_TRAP_NONE = 0,
    WB_TRAP_UNREACHABLE,          /* "unreachable" */
    WB_TRAP_MEMORY_OOB,           /* "out of bounds memory access" */
    WB_TRAP_TABLE_OOB,            /* "out of bounds table access" */
    WB_TRAP_DIV_ZERO,             /* "integer divide by zero" */
    WB_TRAP_INT_OVERFLOW,         /* "integer overflow" */
    WB_TRAP_BAD_CONVERSION,       /* "invalid conversion to integer" */
    WB_TRAP_UNDEFINED_ELEMENT,    /* "undefined element" */
    WB_TRAP_UNINITIALIZED_ELEMENT,/* "uninitialized element" */
    WB_TRAP_INDIRECT_TYPE,        /* "indirect call type mismatch" */
    WB_TRAP_STACK_EXHAUSTED,      /* "call stack exhausted" */
    WB_TRAP_FUEL,                 /* "fuel exhausted" */
    WB_TRAP_INTERRUPT,            /* "interrupted" (wb_store_interrupt) */
    WB_TRAP_MEMORY_LIMIT,         /* a grow or allocation past the limit */
    WB_TRAP_HOST                  /* a host function reported a trap */
} wb_trap_kind;

typedef struct wb_error {
    wb_status status;
    wb_trap_kind trap;
    int exit_code;                /* valid when status == WB_E_EXIT */
    char message[512];            /* one line, no trailing newline */
    char backtrace[1024];         /* for traps: "#0 name\n#1 name\n..." */
} wb_error;

/* Value types use their binary encodings. */
typedef enum wb_valtype {
    WB_I32 = 0x7f, WB_I64 = 0x7e, WB_F32 = 0x7d, WB_F64 = 0x7c,
    WB_V128 = 0x7b, WB_FUNCREF = 0x70, WB_EXTERNREF = 0x6f
} wb_valtype;

typedef struct wb_val {
    wb_valtype type;
    union {
        int32_t i32;
        int64_t i64;
        uint32_t f32_bits;        /* floats travel as raw bits: NaN payloads */
        uint64_t f64_bits;        /* and signs are preserved exactly */
        wb_func *funcref;         /* NULL is ref.null func */
        void *externref;          /* NULL is ref.null extern */
        uint8_t v128[16];
    } of;
} wb_val;

typedef enum wb_extern_kind {
    WB_EXTERN_FUNC = 0, WB_EXTERN_TABLE = 1, WB_EXTERN_MEMORY = 2,
    WB_EXTERN_GLOBAL = 3
} wb_extern_kind;

typedef struct wb_extern {
    wb_extern_kind kind;
    union {
        wb_func *func;
        wb_table *table;
        wb_memory *memory;
        wb_global *global;
    } of;
} wb_extern;

/* ---- Modules ---------------------------------------------------------- */

/* Decode and validate. Copies `bytes`. Function bodies are validated here
 * and translated to internal code lazily, on first call. */
wb_status wb_module_new(const uint8_t *bytes, size_t len, wb_module **out,
                        wb_error *err);
/* Read a file and call wb_module_new. */
wb_status wb_module_load(const char *path, wb_module **out, wb_error *err);
void wb_module_retain(wb_module *m);
void wb_module_release(wb_module *m);    /* frees at zero references */

/* Imports and exports, for listing. Strings borrow from the module. */
size_t wb_module_import_count(const wb_module *m);
void wb_module_import(const wb_module *m, size_t i, const char **module,
                      const char **name, wb_extern_kind *kind);
size_t wb_module_export_count(const wb_module *m);
void wb_module_export(const wb_module *m, size_t i, const char **name,
                      wb_extern_kind *kind);
/* The function's name from the name section, or NULL. */
const char *wb_module_func_name(const wb_module *m, uint32_t funcidx);

/* ---- Stores and limits ------------------------------------------------ */

typedef struct wb_limits {
    uint64_t max_memory;       /* bytes over all memories and tables */
    uint32_t max_call_depth;   /* nested wasm calls */
    uint32_t max_instances;
    int64_t fuel;              /* < 0: unlimited */
} wb_limits;

/* Defaults: 4 GiB memory, 10,000 call depth, unlimited fuel. */
void wb_limits_default(wb_limits *l);

wb_status wb_store_new(const wb_limits *limits, wb_store **out,
                       wb_error *err);
void wb_store_free(wb_store *s);
/* Thread-safe: the running guest traps with WB_TRAP_INTERRUPT at its next
 * loop header or call. Sticky until wb_store_clear_interrupt. */
void wb_store_interrupt(wb_store *s);
void wb_store_clear_interrupt(wb_store *s);
/* Fuel: one unit per instruction executed (paid by each call and each
 * loop iteration), plus, before any work is done, one per 64 bytes that
 * memory.fill/copy/init write and one per 8 elements that
 * table.fill/copy/init/grow touch. Running out traps WB_TRAP_FUEL. */
void wb_store_set_fuel(wb_store *s, int64_t fuel);   /* < 0: unlimited */
int64_t wb_store_fuel_used(const wb_store *s);
uint64_t wb_store_peak_memory(const wb_store *s);   /* bytes */
/* Opaque pointer for the embedder (the WASI layer keeps its context here). */
void wb_store_set_user(wb_store *s, void *user);
void *wb_store_user(const wb_store *s);

/* ---- Host functions --------------------------------------------------- */

/* A host function reads `args` and writes `results` (types already set)
 * and returns WB_OK, or the status from wb_caller_trap/wb_caller_exit. */
typedef wb_status (*wb_host_fn)(wb_caller *caller, void *env,
                                const wb_val *args, wb_val *results);

/* `params` and `results` are copied. */
wb_func *wb_func_new_host(wb_store *s, const wb_valtype *params,
                          size_t nparams, const wb_valtype *results,
                          size_t nresults, wb_host_fn fn, void *env);
wb_store *wb_caller_store(wb_caller *c);
/* Memory 0 of the calling instance, or NULL. */
wb_memory *wb_caller_memory(wb_caller *c);
wb_status wb_caller_trap(wb_caller *c, const char *fmt, ...);
wb_status wb_caller_exit(wb_caller *c, int code);

/* ---- Linking and instances -------------------------------------------- */

wb_linker *wb_linker_new(void);
void wb_linker_free(wb_linker *l);
wb_status wb_linker_define(wb_linker *l, const char *module,
                           const char *name, wb_extern ext);
/* Define every export of `inst` under module name `module`. */
wb_status wb_linker_define_instance(wb_linker *l, const char *module,
                                    wb_instance *inst);

/* Resolve imports, allocate, initialise segments and run the start
 * function. On a trap during initialisation, writes already done stay
 * visible in imported memories and tables (Wasm 2.0). */
wb_status wb_instantiate(wb_store *s, wb_module *m, const wb_linker *l,
                         wb_instance **out, wb_error *err);
const wb_module *wb_instance_module(const wb_instance *inst);
/* Export lookup by name (len bytes, names may hold NUL). */
bool wb_instance_export(const wb_instance *inst, const char *name,
                        size_t len, wb_extern *out);
wb_func *wb_instance_func(const wb_instance *inst, const char *name);
wb_memory *wb_instance_memory(const wb_instance *inst, const char *name);

/* ---- Functions -------------------------------------------------------- */

size_t wb_func_param_count(const wb_func *f);
size_t wb_func_result_count(const wb_func *f);
wb_valtype wb_func_param_type(const wb_func *f, size_t i);
wb_valtype wb_func_result_type(const wb_func *f, size_t i);
/* Call with typed arguments; `results` must hold result_count values. */
wb_status wb_func_call(wb_store *s, wb_func *f, const wb_val *args,
                       size_t nargs, wb_val *results, size_t nresults,
                       wb_error *err);

/* ---- Memories, tables, globals ---------------------------------------- */

uint8_t *wb_memory_data(const wb_memory *m);
uint64_t wb_memory_size(const wb_memory *m);          /* bytes */
/* Returns the old size in pages, or -1 if growth is refused. */
int64_t wb_memory_grow(wb_memory *m, uint32_t delta_pages);

wb_status wb_memory_new(wb_store *s, uint32_t min_pages, uint32_t max_pages,
                        bool has_max, wb_memory **out, wb_error *err);
wb_status wb_table_new(wb_store *s, wb_valtype elem, uint32_t min,
                       uint32_t max, bool has_max, wb_table **out,
                       wb_error *err);
wb_status wb_global_new(wb_store *s, wb_val init, bool mutable_,
                        wb_global **out, wb_error *err);
wb_val wb_global_get(const wb_global *g);
uint32_t wb_table_size(const wb_table *t);

/* ---- Sandbox: WASI preview1, grants, budget, report --------------------
 * (owned by src/wasi and src/sandbox; declarations added below this line)
 *
 * A guest starts with nothing: no files (but an empty read-only "/" over
 * its grants, see no_root), no environment, empty stdin. The
 * embedder grants capabilities in a wb_sandbox_config and runs the module
 * under one budget; wb_sandbox_run never lets the guest exceed either and
 * describes how the run ended in a wb_run_result. */

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
} wb_budget;

/* Defaults (documented in `wasmbox run --help`): 256 MiB memory, unlimited
 * fuel, 10 s, 16 MiB output, 64 MiB disk, 256 files, 10,000 calls. */
void wb_budget_default(wb_budget *b);

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

/* Receives guest output when set; stream is 1 (stdout) or 2 (stderr).
 * Returns 0, or -1 to report EIO to the guest. */
typedef int (*wb_output_fn)(void *user, int stream, const uint8_t *data,
                            size_t len);

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
                                          src/sandbox/oslock.h's
                                          wb_oslock_new, owned by the
                                          caller) wb_sandbox_run locks the
                                          whole process down once the
                                          grants are open, before the
                                          watchdog thread and any guest
                                          code; if that fails the guest
                                          does not run (outcome "error",
                                          message "os sandbox: ...").
                                          For a process that runs one
                                          guest: `wasmbox run`, a worker */
} wb_sandbox_config;

void wb_sandbox_config_init(wb_sandbox_config *c);
void wb_sandbox_config_free(wb_sandbox_config *c);
wb_status wb_config_add_arg(wb_sandbox_config *c, const char *arg);
/* value NULL: `name` is already "NAME=VALUE". */
wb_status wb_config_add_env(wb_sandbox_config *c, const char *name,
                            const char *value);
wb_status wb_config_add_dir(wb_sandbox_config *c, const char *host,
                            const char *guest, bool read_only);
wb_status wb_config_add_tmpfs(wb_sandbox_config *c, const char *guest,
                              uint64_t size);
wb_status wb_config_add_socket(wb_sandbox_config *c, int fd,
                               const char *guest);

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
} wb_run_result;

/* Instantiate `m` with WASI and the grants of `cfg`, call its entry under
 * the budget, fill `res`. Returns WB_OK whenever the guest ran (whatever
 * the outcome); otherwise the setup failure, also recorded in `res` as
 * outcome "error". Each call uses its own store and context, so several
 * threads may run sandboxes at once (sharing modules). */
wb_status wb_sandbox_run(const wb_sandbox_config *cfg, wb_module *m,
                         wb_run_result *res, wb_error *err);
const char *wb_outcome_name(wb_outcome o);
/* The `wasmbox run` exit status for a result (docs/exit-codes.md). */
int wb_run_exit_status(const wb_run_result *res);
/* Render `res` as one JSON object plus newline into buf (NUL-terminated
 * when cap > 0). Returns the length it needs, excluding the NUL (0 when
 * memory ran out). Text is UTF-8; ill-formed bytes from the guest or the
 * file system are replaced with U+FFFD. */
size_t wb_run_result_json(const wb_run_result *res, char *buf, size_t cap);

/* "64M", "1.5GiB", "100k", "4096" -> bytes (K=1024). false if malformed. */
bool wb_parse_size(const char *s, uint64_t *out);
/* "250ms", "10s", "2m", "1.5s", "10" (seconds) -> milliseconds. */
bool wb_parse_duration(const char *s, uint64_t *out_ms);

/* Lower level, for embedders that drive their own store (sessions): a WASI
 * context built from cfg's args, env, grants, stdio and the output, disk
 * and file parts of its budget. One context per store. */
typedef struct wb_wasi wb_wasi;
wb_status wb_wasi_new(const wb_sandbox_config *cfg, wb_wasi **out,
                      wb_error *err);
/* Define every wasi_snapshot_preview1 function in `l` for store `s`. */
wb_status wb_wasi_define(wb_wasi *w, wb_store *s, wb_linker *l,
                         wb_error *err);
/* Thread-safe: wakes blocking host calls (sleeps, polls, reads and writes
 * on stdio, FIFOs, devices and sockets), which then
 * trap with "timeout". Used by the watchdog together with
 * wb_store_interrupt. */
void wb_wasi_cancel(wb_wasi *w);
void wb_wasi_free(wb_wasi *w);

/* ---- end of sandbox section ---- */

/* ---- Policy and sessions (agent-facing; src/policy, src/session) -------
 * (owned by src/policy and src/session; declarations added below this line)
 *
 * A policy file (YAML, docs/policy.example.yaml) is the deny-by-default
 * description of what agent code may use: grants, the budget of each
 * step, and session settings. It parses into the same model as the
 * `wasmbox run` flags: a wb_sandbox_config plus wb_session_settings.
 *
 * A session owns a workspace directory under a state directory; each step
 * runs Python, JavaScript, Lua, SQL or a raw wasm module with the
 * workspace granted read-write at guest /work (the working directory).
 * Python and JavaScript steps share interpreter state like a notebook
 * kernel: one long-lived guest per language and session (a one-shot step,
 * wb_step_options.one_shot, runs a fresh interpreter instead). */

typedef enum wb_lang {
    WB_LANG_PYTHON = 0, WB_LANG_JAVASCRIPT, WB_LANG_LUA, WB_LANG_SQL,
    WB_LANG_WASM, WB_LANG_COUNT
} wb_lang;
#define WB_LANG_BIT(l) (1u << (l))
/* "python", "javascript", "lua", "sql", "wasm" (also "js", "sqlite"). */
const char *wb_lang_name(wb_lang l);
bool wb_lang_parse(const char *name, wb_lang *out);

typedef struct wb_session_settings {
    uint64_t idle_expiry_ms;   /* delete a session idle this long; 0: never */
    uint32_t languages;        /* WB_LANG_BIT() of each allowed language */
} wb_session_settings;

/* Without a policy file: expire after 24 h; python, javascript, lua, sql. */
void wb_session_settings_default(wb_session_settings *s);

/* Parse policy file `path` into `cfg` (initialised by the caller with
 * wb_sandbox_config_init) and `ss` (may be NULL). The budget starts from
 * wb_budget_default; grants and env are appended; `ss` starts empty: a
 * policy allows no language it does not list. Relative host paths are
 * relative to the file's directory. An unknown key, a malformed value or
 * a contradiction fails with WB_E_ARG and a message naming file, line and
 * key: "policy.yaml:12: unknown key 'memroy' in budget". */
wb_status wb_policy_load(const char *path, wb_sandbox_config *cfg,
                         wb_session_settings *ss, wb_error *err);
/* The same from memory; `name` is used in messages, `base_dir` for
 * relative host paths (NULL: the current directory). */
wb_status wb_policy_parse(const char *text, size_t len, const char *name,
                          const char *base_dir, wb_sandbox_config *cfg,
                          wb_session_settings *ss, wb_error *err);

typedef struct wb_session wb_session;

typedef struct wb_session_options {
    const char *state_dir;   /* NULL: $WASMBOX_STATE_DIR, else
                                $XDG_STATE_HOME/wasmbox, else
                                ~/.local/state/wasmbox */
    const char *guests_dir;  /* NULL: $WASMBOX_GUESTS, else build/guests
                                beside the running executable */
    const wb_sandbox_config *policy;      /* grants, env, budget; NULL:
                                             nothing + default budget */
    const wb_session_settings *settings;  /* NULL: defaults */
} wb_session_options;

/* The state directory the options resolve to (malloc'd), or NULL. */
char *wb_session_state_dir(const wb_session_options *o);

/* Open session `id`, creating it when it does not exist (id NULL: a new
 * random id). A session reopened after a restart keeps its files; its
 * interpreter state was lost (wb_step_result.note says so at the next
 * step). */
wb_status wb_session_open(const wb_session_options *o, const char *id,
                          wb_session **out, wb_error *err);
/* Kills the interpreters (code left for their exit never runs); the
 * session stays on disk. */
void wb_session_close(wb_session *s);
const char *wb_session_id(const wb_session *s);
const char *wb_session_workspace(const wb_session *s);   /* host path */
/* Restart the interpreters (forget variables); files stay. */
void wb_session_reset(wb_session *s);

typedef struct wb_step_result {
    wb_run_result run;       /* outcome, exit code, usage, truncation */
    char *out, *err;         /* captured stdout / stderr, NUL-terminated */
    size_t out_len, err_len;
    bool persistent;         /* this language keeps state between steps */
    bool state_kept;         /* persistent, and the earlier steps' state
                                was there and survives this step */
    bool state_lost_after;   /* the interpreter died in this step: the
                                next step starts afresh */
    char note[256];          /* a sentence about state, or "" */
} wb_step_result;

/* Options of one step; zero-initialise, then set what is needed. */
typedef struct wb_step_options {
    const char *db;          /* SQL only: the database file in the
                                workspace; NULL: "session.db" */
    const wb_budget *budget; /* this step's budget (a copy of the
                                policy's with limits lowered); NULL: the
                                policy's. It only tightens: each limit is
                                the tighter of this and the policy's
                                (timeout 0 and fuel < 0 count as none,
                                other zeros as zero). A Python or
                                JavaScript kernel keeps memory, disk,
                                files and stack for its whole life: a
                                kernel step asking for less of those
                                fails with WB_E_ARG */
    char **args;             /* the program's arguments (sys.argv[1:],
                                scriptArgs, Lua's arg, a module's argv
                                after argv[0]); one-shot steps only, not
                                SQL */
    size_t nargs;
    const uint8_t *stdin_data;  /* the program's stdin (NULL: empty);
                                   one-shot steps only, not Lua or SQL
                                   (their program is read from stdin) */
    size_t stdin_len;
    bool one_shot;           /* Python/JavaScript: run the runtime directly
                                (python3 -c CODE, qjs --std -e CODE) in a
                                fresh interpreter, like `wasmbox python`;
                                the kernel's state is neither used nor
                                changed, and the working directory is "/",
                                which is the workspace too, as for Lua.
                                Other languages are always one-shot */
} wb_step_options;

/* Run one step: `code` is the program text (for WB_LANG_WASM the module
 * bytes). `o` may be NULL (the defaults). Returns WB_OK whenever the step
 * ran, whatever its outcome; WB_E_ARG for options the step cannot take. */
wb_status wb_session_run_ex(wb_session *s, wb_lang lang, const char *code,
                            size_t len, const wb_step_options *o,
                            wb_step_result *res, wb_error *err);
/* wb_session_run_ex with only `db` (SQL only, NULL: "session.db") set:
 * the policy's budget; Python and JavaScript through the kernel. */
wb_status wb_session_run(wb_session *s, wb_lang lang, const char *code,
                         size_t len, const char *db, wb_step_result *res,
                         wb_error *err);
void wb_step_result_free(wb_step_result *r);

/* Files in the workspace. `path` is relative to it ("/work/x" means "x");
 * absolute paths elsewhere, "..", and symlinks are refused (WB_E_ARG).
 * The workspace has a quota, the policy's budget.disk: the sum of its
 * files' sizes plus 4 KiB per file, directory and link. A put that would
 * exceed it fails with WB_E_LIMIT (nothing written), and a step's disk
 * budget is at most what is left of it. */
wb_status wb_session_put_file(wb_session *s, const char *path,
                              const uint8_t *data, size_t len,
                              wb_error *err);
wb_status wb_session_get_file(wb_session *s, const char *path,
                              uint64_t max, uint8_t **data, size_t *len,
                              wb_error *err);
typedef struct wb_file_entry {
    char *path;              /* relative to the workspace */
    uint64_t size;
    bool is_dir;
} wb_file_entry;
wb_status wb_session_list_files(wb_session *s, const char *dir,
                                wb_file_entry **out, size_t *n,
                                wb_error *err);
void wb_file_entries_free(wb_file_entry *e, size_t n);

typedef struct wb_session_info {
    char id[64];
    int64_t created, last_used;    /* Unix seconds */
    uint64_t steps;
} wb_session_info;
/* Sessions on disk, any order. */
wb_status wb_session_list(const wb_session_options *o, wb_session_info **out,
                          size_t *n, wb_error *err);
/* WB_E_IO, with a message saying where the rest is, when not everything
 * could be removed (the session is gone from the list either way; a later
 * wb_session_expire removes what is left). */
wb_status wb_session_delete(const wb_session_options *o, const char *id,
                            wb_error *err);
/* Delete sessions idle longer than the settings' expiry; returns how
 * many through `deleted` (may be NULL). A session open in any process
 * (it holds a shared lock on its directory) is never deleted, however
 * long it has been idle; each step refreshes its last use. */
wb_status wb_session_expire(const wb_session_options *o, size_t *deleted,
                            wb_error *err);
/* How often a running server calls wb_session_expire: a quarter of the
 * settings' expiry, at least 1 s and at most 60 s (0 when sessions never
 * expire). */
uint64_t wb_session_expire_every_ms(const wb_session_settings *ss);
/* Is there a session `id` on disk (a valid id with its metadata)? */
bool wb_session_exists(const wb_session_options *o, const char *id);
/* A fresh random id (16 hex digits) of no session on disk, for a server
 * that hands out an id before it opens the session. */
wb_status wb_session_new_id(const wb_session_options *o, char *id,
                            size_t cap, wb_error *err);

/* The guest image of a language (built by `make guests`): the module
 * DIR/MODULE under the guests directory, for Python also the standard
 * library DIR/LIB (granted at /lib), and the runtime's argv[0]. WB_LANG_WASM
 * has no image (dir NULL). NULL for a value that is no language. */
typedef struct wb_guest_image {
    const char *dir, *module, *lib, *argv0;
} wb_guest_image;
const wb_guest_image *wb_guest_image_of(wb_lang lang);
/* The guests directory: `dir` when set, else $WASMBOX_GUESTS, else
 * guests/ beside the running executable (malloc'd; NULL when none). */
char *wb_guests_dir(const char *dir);

/* ---- end of policy and sessions section ---- */

/* "i32", "funcref", ...; "?" for a byte that is no value type. */
const char *wb_valtype_name(wb_valtype t);
/* Short English name of a status, e.g. "malformed module". */
const char *wb_status_name(wb_status s);

#ifdef __cplusplus
}
#endif
#endif
