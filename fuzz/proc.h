/*
 * proc.h: the process fuzzer (`make fuzz-proc`): the wasmbox_proc host
 * calls (spawn, exec, fork, wait, kill, getpid, getppid, cwd) and the fd
 * operations (pipe, dup, dup2, cloexec) against a real process tree.
 *
 *   fuzz_proc.c    the target: one run (wb_sandbox_run_entry) per input,
 *                  whose root makes the input's calls straight on its
 *                  host functions; invariants after each call and run
 *   proc_decode.c  fuzz input -> the calls' arguments in guest memory
 *                  (image paths, string lists, cwd, fd triples, pids,
 *                  signals, fds) and the programs of the children
 *   proc_seeds.c   the seed corpus, written by the target itself
 *
 * The children run fuzz/proc/agent.c (registered as /bin/agent and a few
 * other names, and as the module file /data/agent.wasm), which takes a
 * small program in argv[1] (composed by the decoder), and the tiny
 * modules of fuzz/proc/ (.wat files).
 *
 * Input: byte 0 holds PF_CFG_* bits, then records as in hostcall.h: an
 * op byte (an index into pf_ops, modulo its size) and the op's
 * arguments. Decoding never fails: a short input reads as zeros.
 */
#ifndef WB_FUZZ_PROC_H
#define WB_FUZZ_PROC_H

#include "hostcall.h"

/* Configuration bits (byte 0). */
enum {
    PF_CFG_PROCS = 3,         /* max_processes: 2, 3, 4 or 6 */
    PF_CFG_FUEL = 4,          /* a small fuel budget for the tree */
    PF_CFG_TINY_OUT = 8,      /* max_output 64 bytes */
    PF_CFG_SMALL_MEM = 16,    /* max_memory 1 MiB (the agent needs ~200 KiB) */
    PF_CFG_CWD_TMP = 32,      /* the root starts in /tmp */
    PF_CFG_FEW_FILES = 64,    /* max_files 8 */
    PF_CFG_LONG = 128         /* a 200 ms deadline, not 50 ms */
};

/* The ops (pf_ops in fuzz_proc.c, in this order). */
enum {
    PF_SPAWN, PF_EXEC, PF_FORK, PF_WAIT, PF_KILL, PF_GETPID, PF_GETPPID,
    PF_CWD, PF_PIPE, PF_DUP, PF_DUP2, PF_CLOEXEC, PF_READ, PF_WRITE,
    PF_CLOSE, PF_POKE, PF_NAP, PF_NOPS
};
extern const hc_op pf_ops[PF_NOPS];

/* What the decoder knows of the run so far. */
#define PF_MAX_PIDS 8
typedef struct pf_state {
    hc_dec d;
    int32_t pids[PF_MAX_PIDS];  /* children the root spawned */
    int npids;
} pf_state;

/* Decode op's arguments into a (types set); returns how many. */
size_t pf_decode_args(pf_state *ps, const hc_op *op, wb_val *a);

/* The image paths, cwds and agent operations the decoder draws from
 * (the seed writer encodes by their indices). */
extern const char *const pf_paths[];
extern const size_t pf_npaths;
extern const char *const pf_cwds[];
extern const size_t pf_ncwds;
extern const char pf_agent_ops[];

/* Write the seed corpus into dir; how many files, -1 on error. */
int pf_write_seeds(const char *dir);

#endif
