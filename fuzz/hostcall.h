/*
 * hostcall.h: the host-call fuzzer (`make fuzz-hostcall`), shared by its
 * files (fuzz_net.c, the wasmbox_http fuzzer, uses the decoder and
 * hostcall_common.c too):
 *
 *   fuzz_hostcall.c   the target: one WASI context per input, the calls
 *                     made straight on the host functions (no
 *                     interpreter), invariants after each call and input
 *   hostcall_decode.c fuzz input -> call arguments placed in guest memory
 *   hostcall_common.c the module of imports instantiated once, the
 *                     deadline watchdog, the check of guest memory,
 *                     findings, seed files
 *   hostcall_host.c   the host directories each input runs against and
 *                     the checks that nothing outside the grants changed
 *   hostcall_tmpfs.c  the tmpfs grants' first contents and growth
 *   hostcall_seeds.c  the seed corpus, written by the target itself
 *
 * Input: byte 0 holds HC_CFG_* bits; then records, each an op byte (an
 * index into hc_ops, modulo its size) and the op's arguments, decoded by
 * the kinds of its signature (see hostcall_decode.c). Decoding never
 * fails: a short input reads as zeros.
 */
#ifndef WB_HOSTCALL_H
#define WB_HOSTCALL_H

#include "wasi/wasi.h"
#include <stddef.h>
#include <stdint.h>

/* Guest memory: one 64 KiB page of a memory whose maximum is two, so the
 * page past the end is reserved PROT_NONE: a host access past the end of
 * memory faults instead of landing in another mapping. */
#define HC_MEM 65536u

/* The sandbox of every input. */
#define HC_MAX_FILES 16
#define HC_MAX_DISK (96u << 10)
#define HC_MAX_DISK_BIG (1u << 20)      /* with HC_CFG_BIG_DISK */
#define HC_MAX_DISK_TINY 8193           /* with HC_CFG_TINY_DISK; both: 0 */
#define HC_MAX_OUTPUT 2048
#define HC_MAX_MEMORY (2 * HC_MEM)
#define HC_TMPFS_SIZE (96u << 10)
#define HC_TMPFS2_SIZE (8u << 10)
#define HC_CREATE_COST 4096             /* path.c's WB_CREATE_COST */
#define HC_TNODE_COST 256               /* tmpfs.c's WB_TNODE_COST */

/* Configuration bits (byte 0 of the input). */
enum {
    HC_CFG_WALK = 1,          /* resolve.c's component walk, not openat2 */
    HC_CFG_OUT_FAIL = 2,      /* the output callback reports EIO */
    HC_CFG_NO_STDIN = 4,      /* no stdin granted */
    HC_CFG_BIG_DISK = 8,      /* HC_MAX_DISK_BIG */
    HC_CFG_OUT_PIPE = 16,     /* stdout and stderr are a pipe, not the
                                 callback */
    HC_CFG_STDIN_SOCK = 32,   /* stdin is a socket */
    HC_CFG_TINY_DISK = 64     /* HC_MAX_DISK_TINY */
};

/* Guest fds of the grants, in wb_sandbox_config order, then the virtual
 * root "/" (src/wasi/vroot.c) under which they appear. */
enum { HC_FD_TMP = 3, HC_FD_HOST, HC_FD_RO, HC_FD_TMP2, HC_FD_SOCK,
       HC_FD_LISTEN, HC_FD_HOST2, HC_FD_ROOT };

/* Path tokens (hostcall_decode.c joins them with '/'). */
enum {
    T_A_TXT, T_B, T_SUB, T_C_TXT, T_DEEP, T_FIFO, T_OUT, T_OUTDIR, T_ABS,
    T_IN, T_SUBL, T_UP, T_LOOP, T_SOCKF, T_ZERO, T_R_TXT, T_RSUB, T_ROUT,
    T_RFIFO, T_X, T_Y, T_NEW, T_DOTDOT, T_DOT, T_EMPTY, T_CANARY,
    T_OUTSIDE, T_HOST, T_LONG255, T_LONG256, T_NUL, T_DOTS3,
    /* the other grants' names, for paths through the root */
    T_TMP, T_RO, T_T2, T_H2, T_NTOK
};

/* ---- decoding (hostcall_decode.c) --------------------------------------- */

typedef struct hc_region { uint64_t lo, hi; } hc_region;

#define HC_MAX_REGIONS 64
#define HC_MAX_ARGS 16

typedef struct hc_dec {
    const uint8_t *p;
    size_t n;
    uint8_t *mem;              /* guest memory 0 (HC_MEM bytes) */
    uint32_t prev;             /* the last address placed */
    uint32_t last_fd;          /* the last fd path_open/sock_accept gave */
    size_t nargs, nenv;        /* the context's args and env */
    uint64_t args_len, env_len;
    /* Where the current call may write guest memory. */
    hc_region out[HC_MAX_REGIONS];
    int nout;
} hc_dec;

/* The kinds that stand for two wasm arguments (a pointer and a length);
 * S, A and W are the process fuzzer's (fuzz_proc.c). */
#define HC_KINDS2 "PVvBSAW"

uint8_t hc_u8(hc_dec *d);
/* Four input bytes, little-endian. */
uint32_t hc_raw32(hc_dec *d);
/* Decode the arguments of signature `kinds` into a (types set); returns
 * how many. */
size_t hc_decode_args(hc_dec *d, const char *kinds, wb_val *a);
/* The wasm parameter types of signature `kinds` (i32 or i64) into t;
 * returns how many. */
size_t hc_kind_types(const char *kinds, wb_valtype *t);
/* Copy n bytes to guest address at, dropping what lies past the end. */
void hc_put(hc_dec *d, uint32_t at, const void *src, uint64_t n);
void hc_allow(hc_dec *d, uint32_t at, uint64_t n);
/* The pseudo-call "poke": up to 64 bytes of the input into guest memory. */
void hc_poke(hc_dec *d);
/* Where an object of `size` bytes goes (an address byte's mode, above). */
uint32_t hc_place(hc_dec *d, uint64_t size);
/* A length: mostly small, else one of a table of edge cases. */
uint32_t hc_len32(hc_dec *d);

/* ---- the calls (fuzz_hostcall.c) ---------------------------------------- */


enum { HC_RET_FD = 1, HC_NO_RESULT = 2 };
typedef struct hc_op {
    const char *name;          /* wasi_snapshot_preview1 name, or "" */
    const char *kinds;
    int flags;
} hc_op;
extern const hc_op hc_ops[];
extern const size_t hc_nops;
/* The index of a named op (the seed writer uses it). */
int hc_op_index(const char *name);

/* ---- shared (hostcall_common.c) ----------------------------------------- */

/* Report a finding (or a broken setup) as "hc_name: ..." and abort:
 * libFuzzer saves the input. hc_cleanup, when set, runs first. */
__attribute__((noreturn, format(printf, 1, 2)))
void hc_die(const char *fmt, ...);
extern const char *hc_name;
extern void (*hc_cleanup)(void);
/* Descriptors open in this process. */
int hc_fd_count(void);
/* A seed: an input written as the decoder reads it. */
typedef struct hc_enc { uint8_t b[4096]; size_t n; } hc_enc;
void hc_b8(hc_enc *e, uint8_t v);
/* Write e as dir/seed-NAME; false (with a message) on failure. */
bool hc_write_seed(const char *dir, const char *name, const hc_enc *e);


typedef struct hc_guest {
    wb_store *store;
    wb_instance *inst;
    wb_wasi *probe;            /* the env the imports were made with */
    uint8_t *mem;              /* memory 0, HC_MEM bytes */
} hc_guest;
/* A module importing every op of ops[0..nops) but the pseudo-calls
 * ("@...") from module `from`, or from MODULE for an op named
 * "MODULE/NAME", and exporting memory 0 (one page of at most two). */
wb_module *hc_module_new(const char *from, const hc_op *ops, size_t nops);
/* Instantiate a module importing every op of ops[0..nops) but the
 * pseudo-calls ("@...") from module `from`; fn[i]: op i's host function
 * (NULL for a pseudo-call). The calls pass their own context as env. */
void hc_guest_new(hc_guest *g, const char *from, const hc_op *ops,
                  size_t nops, wb_host_fn *fn);
/* The watchdog: wb_wasi_cancel(w) ms milliseconds from now, unless
 * disarmed first. */
void hc_watchdog_start(void);
void hc_arm(wb_wasi *w, int ms);
void hc_disarm(void);
/* Milliseconds from the last deadline armed to now (< 0: before it). */
int64_t hc_ms_past_deadline(void);
/* Abort unless mem differs from before only in d's output regions. */
void hc_check_memory(const hc_dec *d, const uint8_t *before,
                     const uint8_t *mem, const char *call);

/* ---- host directories (hostcall_host.c) --------------------------------- */

/* Create base/{rw,rw2,ro,outside} once; false (with a message) on
 * failure. */
bool hc_host_init(void);
/* The read-write grants: 0 has everything, 1 a file and a directory. */
const char *hc_host_rw(int i);
const char *hc_host_ro(void);
/* Remove the base directory (at exit, and before a finding aborts). */
void hc_host_cleanup(void);
/* Rebuild the read-write grant's contents and note their sizes. */
void hc_host_reset(void);
/* Abort unless everything outside the read-write grants is as it was,
 * no link in them leads out, and their growth plus `other` (the tmpfs
 * growth) is within `charged` + `slack` bytes of disk budget. */
void hc_host_check(uint64_t other, uint64_t charged, uint64_t slack);
/* Is path (an fd's, from /proc/self/fd) inside a grant? */
bool hc_host_inside(const char *path);

/* ---- tmpfs grants (hostcall_tmpfs.c) ------------------------------------ */

/* Give the first tmpfs of w the host directory's names. */
void hc_tmpfs_fill(wb_wasi *w);
/* What the tmpfs grants of w grew by since hc_tmpfs_fill. */
uint64_t hc_tmpfs_growth(wb_wasi *w);
/* Abort unless no symlink in a tmpfs of w leads out of it, and, once
 * every fd of w is released and everything removed, each tmpfs uses what
 * a new one does (nothing kept, nothing given back twice). Releases the
 * tmpfs fds of w: only wb_wasi_free may follow. */
void hc_tmpfs_check(wb_wasi *w);

/* ---- seeds (hostcall_seeds.c) ------------------------------------------- */

/* Write the seed corpus into dir; returns how many files, -1 on error. */
int hc_write_seeds(const char *dir);

#endif
