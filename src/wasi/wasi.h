/*
 * wasi.h: internals of the WASI preview1 layer (src/wasi/). Not installed.
 *
 *   wasi.c      context, registration of every function
 *   errno.c     host errno -> WASI errno
 *   args.c      args_*, environ_*
 *   clock.c     clock_*          random.c   random_get
 *   state.c     wb_wasi_state_*  the context's state in a snapshot
 *   proc.c      proc_*, sched_yield
 *   fd.c        fd table, fd_read/write/pread/pwrite/seek/tell/close...
 *   filestat.c  fdstat/filestat/prestat, advise, allocate, sync
 *   rights.c    the rights each kind of fd holds, and checking them
 *   stdio.c     stdout/stderr with the output budget, wakeable waits
 *   hostio.c    I/O on host fds that can block, bounded by the deadline
 *   path.c      path_* on host grants and tmpfs
 *   resolve.c   safe resolution beneath a dirfd (openat2 or a walk)
 *   symlink.c   guest-made symlinks stay inside their grant
 *   tmpfs.c     the in-memory file system (tree, links, lifetimes)
 *   tmpwalk.c   its path resolution (symlinks, "..", trailing slashes)
 *   tmpdata.c   its files' contents: sparse pages, holes cost nothing
 *   vroot.c     the virtual root "/" under which the grants appear, and
 *               the registered images under /bin and /usr/bin
 *   tree.c      what a tree of processes shares, the tree lock, the
 *               child contexts of fork, spawn and exec
 *   fdops.c     wasmbox_proc's pipe, dup, dup2, cloexec; loading images
 *   dir.c       fd_readdir          poll.c   poll_oneoff
 *   sock.c      sock_* on granted sockets
 *   http.c      the wasmbox_http import module (src/net/ does the work)
 *
 * Guest memory is checked on every access: wb_gptr returns NULL for any
 * range not wholly inside memory 0, and callers answer WE_FAULT. A pointer
 * it returned stays valid for the rest of the host call: a memory never
 * moves or shrinks (memory.c reserves its maximum up front) and no host
 * function calls back into wasm. The guest may point inputs and outputs
 * at the same bytes, so everything a call reads from guest memory is
 * copied to the host before it writes any result there (poll_oneoff's
 * subscriptions, iovec arrays, paths), and counts are stored last.
 */
#ifndef WB_WASI_H
#define WB_WASI_H

#include "wasmbox/sandbox.h"
#include "common/error.h"
#include <dirent.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <sys/uio.h>

/* WASI errno values (wasi_snapshot_preview1 `errno`). */
enum {
    WE_SUCCESS = 0, WE_2BIG = 1, WE_ACCES = 2, WE_ADDRINUSE = 3,
    WE_ADDRNOTAVAIL = 4, WE_AFNOSUPPORT = 5, WE_AGAIN = 6, WE_ALREADY = 7,
    WE_BADF = 8, WE_BADMSG = 9, WE_BUSY = 10, WE_CANCELED = 11,
    WE_CHILD = 12, WE_CONNABORTED = 13, WE_CONNREFUSED = 14,
    WE_CONNRESET = 15, WE_DEADLK = 16, WE_DESTADDRREQ = 17, WE_DOM = 18,
    WE_DQUOT = 19, WE_EXIST = 20, WE_FAULT = 21, WE_FBIG = 22,
    WE_HOSTUNREACH = 23, WE_IDRM = 24, WE_ILSEQ = 25, WE_INPROGRESS = 26,
    WE_INTR = 27, WE_INVAL = 28, WE_IO = 29, WE_ISCONN = 30, WE_ISDIR = 31,
    WE_LOOP = 32, WE_MFILE = 33, WE_MLINK = 34, WE_MSGSIZE = 35,
    WE_MULTIHOP = 36, WE_NAMETOOLONG = 37, WE_NETDOWN = 38,
    WE_NETRESET = 39, WE_NETUNREACH = 40, WE_NFILE = 41, WE_NOBUFS = 42,
    WE_NODEV = 43, WE_NOENT = 44, WE_NOEXEC = 45, WE_NOLCK = 46,
    WE_NOLINK = 47, WE_NOMEM = 48, WE_NOMSG = 49, WE_NOPROTOOPT = 50,
    WE_NOSPC = 51, WE_NOSYS = 52, WE_NOTCONN = 53, WE_NOTDIR = 54,
    WE_NOTEMPTY = 55, WE_NOTRECOVERABLE = 56, WE_NOTSOCK = 57,
    WE_NOTSUP = 58, WE_NOTTY = 59, WE_NXIO = 60, WE_OVERFLOW = 61,
    WE_OWNERDEAD = 62, WE_PERM = 63, WE_PIPE = 64, WE_PROTO = 65,
    WE_PROTONOSUPPORT = 66, WE_PROTOTYPE = 67, WE_RANGE = 68, WE_ROFS = 69,
    WE_SPIPE = 70, WE_SRCH = 71, WE_STALE = 72, WE_TIMEDOUT = 73,
    WE_TXTBSY = 74, WE_XDEV = 75, WE_NOTCAPABLE = 76
};

/* WASI filetype. */
enum {
    WF_UNKNOWN = 0, WF_BLOCK = 1, WF_CHAR = 2, WF_DIR = 3, WF_REG = 4,
    WF_SOCK_DGRAM = 5, WF_SOCK_STREAM = 6, WF_SYMLINK = 7
};

/* fdflags, oflags, lookupflags, fstflags. */
enum { WFD_APPEND = 1, WFD_DSYNC = 2, WFD_NONBLOCK = 4, WFD_RSYNC = 8,
       WFD_SYNC = 16 };
enum { WO_CREAT = 1, WO_DIRECTORY = 2, WO_EXCL = 4, WO_TRUNC = 8 };
enum { WL_FOLLOW = 1 };
enum { WT_ATIM = 1, WT_ATIM_NOW = 2, WT_MTIM = 4, WT_MTIM_NOW = 8 };

/* Rights: bit numbers of the witx `rights` flags. */
#define WR(bit) ((uint64_t)1 << (bit))
#define WR_FD_DATASYNC WR(0)
#define WR_FD_READ WR(1)
#define WR_FD_SEEK WR(2)
#define WR_FD_FDSTAT_SET_FLAGS WR(3)
#define WR_FD_SYNC WR(4)
#define WR_FD_TELL WR(5)
#define WR_FD_WRITE WR(6)
#define WR_FD_ADVISE WR(7)
#define WR_FD_ALLOCATE WR(8)
#define WR_PATH_CREATE_DIRECTORY WR(9)
#define WR_PATH_CREATE_FILE WR(10)
#define WR_PATH_LINK_SOURCE WR(11)
#define WR_PATH_LINK_TARGET WR(12)
#define WR_PATH_OPEN WR(13)
#define WR_FD_READDIR WR(14)
#define WR_PATH_READLINK WR(15)
#define WR_PATH_RENAME_SOURCE WR(16)
#define WR_PATH_RENAME_TARGET WR(17)
#define WR_PATH_FILESTAT_GET WR(18)
#define WR_PATH_FILESTAT_SET_SIZE WR(19)
#define WR_PATH_FILESTAT_SET_TIMES WR(20)
#define WR_FD_FILESTAT_GET WR(21)
#define WR_FD_FILESTAT_SET_SIZE WR(22)
#define WR_FD_FILESTAT_SET_TIMES WR(23)
#define WR_PATH_SYMLINK WR(24)
#define WR_PATH_REMOVE_DIRECTORY WR(25)
#define WR_PATH_UNLINK_FILE WR(26)
#define WR_POLL_FD_READWRITE WR(27)
#define WR_SOCK_SHUTDOWN WR(28)
#define WR_SOCK_ACCEPT WR(29)
/* What path_open reads as "for writing" (as wasi-libc asks for O_WRONLY). */
#define WR_OPEN_WRITE (WR_FD_DATASYNC | WR_FD_WRITE | WR_FD_ALLOCATE |    \
                       WR_FD_FILESTAT_SET_SIZE)
/* Rights that change something. A read-only grant never hands them out,
 * and a call that needs one answers EROFS there, as on a read-only
 * mount. */
#define WR_MUTATE (WR_OPEN_WRITE | WR_FD_FILESTAT_SET_TIMES |              \
                   WR_PATH_CREATE_DIRECTORY | WR_PATH_CREATE_FILE |        \
                   WR_PATH_LINK_SOURCE | WR_PATH_LINK_TARGET |             \
                   WR_PATH_RENAME_SOURCE | WR_PATH_RENAME_TARGET |         \
                   WR_PATH_FILESTAT_SET_SIZE | WR_PATH_FILESTAT_SET_TIMES | \
                   WR_PATH_SYMLINK | WR_PATH_REMOVE_DIRECTORY |            \
                   WR_PATH_UNLINK_FILE)

typedef struct wb_tfs wb_tfs;
typedef struct wb_tnode wb_tnode;
typedef struct wb_vnode wb_vnode;

/* Session kernels (src/session/wb_session_kernel.c) must know when their
 * guest is parked reading its request socket: called on the guest thread
 * around each wait of an fd_read on stdin, `waiting` true just before the
 * wait and false after it. The wait may find input at once (the hook
 * checks fd itself). A non-zero return after the wait ends the read as
 * cancelled (the run stops as on a timeout). */
typedef int (*wb_stdin_wait_fn)(void *user, int fd, bool waiting);

/* A file's identity on the host. */
typedef struct wb_fileid {
    dev_t dev;
    ino_t ino;
} wb_fileid;

enum { WB_FD_FREE = 0, WB_FD_STDIN, WB_FD_OUT, WB_FD_HOST, WB_FD_TMPFS,
       WB_FD_SOCK, WB_FD_VROOT };

/* A tmpfs file's open file description: the offset that every fd made
 * from one path_open by dup, dup2, fork or spawn shares (a host file's
 * is the kernel's). Under the tree lock. */
typedef struct wb_ofile {
    uint32_t refs;
    uint64_t pos;
} wb_ofile;

typedef struct wb_fdent {
    uint8_t kind;              /* WB_FD_* */
    uint8_t type;              /* WASI filetype */
    bool ro;                   /* opened under a read-only grant */
    bool cloexec;              /* closed by exec (wasmbox_proc.cloexec) */
    uint16_t flags;            /* WASI fdflags (stdio keeps them here only) */
    int host;                  /* host fd or -1 */
    int stream;                /* WB_FD_OUT: 1 or 2 */
    uint64_t rights, inherit;
    char *preopen;             /* guest name of a preopened directory */
    wb_fileid root;            /* WB_FD_HOST: root of the grant it is in */
    wb_tnode *node;            /* WB_FD_TMPFS (holds a reference) */
    wb_ofile *of;              /* WB_FD_TMPFS opened by the guest: offset */
    wb_vnode *vnode;           /* WB_FD_VROOT: a directory or image of the
                                  root (the tree owns it) */
    DIR *dir;                  /* host fd_readdir stream, lazily opened */
    uint64_t dir_idx;          /* index of the next entry `dir` yields */
} wb_fdent;

/* What a tree of processes shares and counts once (docs/processes.md):
 * made by wb_wasi_new with the root context, held by every context of
 * the tree, freed with the last. Every field but the atomics, `wake`
 * and `net_mu` is read and written only under `mu`, the tree lock,
 * which every host function of every context of the tree holds while
 * it runs and releases while it waits (wb_wait, wb_wasi_wait_event, the
 * network's waits). A run without children takes it uncontended. */
typedef struct wb_wtree {
    pthread_mutex_t mu;                /* the tree lock */
    _Atomic(const void *) holder;      /* the thread holding mu, or NULL */
    pthread_mutex_t net_mu;            /* one network call at a time */
    uint32_t refs;                     /* contexts */
    int out_fd[3];
    wb_output_fn output; void *output_user;
    uint64_t out_bytes[3], max_output;
    bool truncated[3];
    uint64_t disk_bytes, max_disk;
    int wake;                          /* eventfd, readable once cancelled */
    atomic_int cancelled;              /* the deadline: every context */
    atomic_int stop;                   /* wb_outcome that ended the run, -1
                                          (read without the lock) */
    void (*on_stop)(void *user, int outcome); void *on_stop_user;
    wb_tfs **tfs; size_t ntfs;
    wb_vnode *vroot;                   /* NULL: none (a grant at "/") */
    wb_stdin_wait_fn stdin_wait; void *stdin_wait_user;   /* or NULL */
    struct wb_net *net;                /* outbound HTTP (src/net/) */
    wb_fdent *pre; uint32_t npre;      /* the grants' preopens, for spawn */
    char **images; size_t nimages;     /* names under /bin (wb_wasi_set_images) */
    bool (*write_gate)(void *user); void *write_gate_user;   /* or NULL:
                                          the config's (rights.c) */
} wb_wtree;

/* One process's context: its fd table, argv and environment. Used by
 * one thread at a time (the process's), under the tree lock. */
struct wb_wasi {
    wb_wtree *t;
    char **args; size_t nargs;
    char **env; size_t nenv;
    wb_fdent *fds; uint32_t nfds;      /* slots; kind FREE when unused */
    uint32_t nopen, max_files;
    int wake;                          /* eventfd: killed, or an event */
    atomic_int killed;                 /* wb_wasi_kill: this context only */
    bool posted;                       /* an event came during a wait */
    /* Added to the host's monotonic and CPU-time clocks (clock ids 1-3),
     * so that a guest restored from a snapshot never sees them go
     * back (state.c); 0 otherwise. */
    uint64_t clock_offset[4];
};

/* ---- guest memory --------------------------------------------------------- */

/* Pointer to `len` bytes at guest address `ptr`, or NULL if out of range. */
static inline uint8_t *wb_gptr(wb_caller *c, uint32_t ptr, uint64_t len)
{
    wb_memory *m = wb_caller_memory(c);
    if (!m || (uint64_t)ptr + len > wb_memory_size(m))
        return NULL;
    return wb_memory_data(m) + ptr;
}

/* Little-endian accessors, byte-wise so any host works. */
static inline uint32_t wb_ld32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}
static inline uint64_t wb_ld64(const uint8_t *p)
{
    return (uint64_t)wb_ld32(p) | (uint64_t)wb_ld32(p + 4) << 32;
}
static inline uint16_t wb_ld16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}
static inline void wb_st16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8);
}
static inline void wb_st32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static inline void wb_st64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* Store a u32/u64 result at a guest address; false if out of range. */
static inline bool wb_put32(wb_caller *c, uint32_t ptr, uint32_t v)
{
    uint8_t *p = wb_gptr(c, ptr, 4);
    if (p) wb_st32(p, v);
    return p != NULL;
}
static inline bool wb_put64(wb_caller *c, uint32_t ptr, uint64_t v)
{
    uint8_t *p = wb_gptr(c, ptr, 8);
    if (p) wb_st64(p, v);
    return p != NULL;
}

/* Host-function plumbing: every WASI function has this shape. */
#define WB_WASI_FN(name)                                                   \
    wb_status wb_wasi_##name(wb_caller *c, void *env, const wb_val *a,     \
                             wb_val *r)
#define A32(i) ((uint32_t)a[i].of.i32)
#define A64(i) ((uint64_t)a[i].of.i64)
#define WASI ((wb_wasi *)env)

static inline wb_status wb_ret(wb_val *r, int e)
{
    r[0].of.i32 = e;
    return WB_OK;
}

/* Guest iovec array -> host iovecs into guest memory. At most 1024. */
#define WB_IOV_MAX 1024
int wb_wasi_iovecs(wb_caller *c, uint32_t iovs, uint32_t n,
                   struct iovec *out, size_t *total);
/* Copy a guest path into buf (NUL-terminated, no embedded NUL). */
#define WB_PATH_MAX 4096
int wb_wasi_path(wb_caller *c, uint32_t ptr, uint32_t len, char *buf);

/* Host functions of one import module, defined for w in l. sig: one
 * char per parameter, 'i' i32, 'I' i64; each returns one i32 but
 * wasi_snapshot_preview1.proc_exit. */
typedef struct wb_wasi_func {
    const char *name, *sig;
    wb_host_fn fn;
} wb_wasi_func;
wb_status wb_wasi_define_funcs(wb_wasi *w, wb_store *s, wb_linker *l,
                               const char *module, const wb_wasi_func *fns,
                               size_t n, wb_error *err);
/* locked_NAME: wb_wasi_NAME under the tree lock (an X-macro's F(n, s)). */
#define WB_WASI_LOCKED(n, s)                                               \
    static wb_status locked_##n(wb_caller *c, void *env, const wb_val *a,  \
                                wb_val *r)                                 \
    {                                                                      \
        wb_wasi_lock(env);                                                 \
        wb_status st = wb_wasi_##n(c, env, a, r);                          \
        wb_wasi_unlock(env);                                               \
        return st;                                                         \
    }
/* http.c: define the wasmbox_http functions in l. */
wb_status wb_wasi_define_http(wb_wasi *w, wb_store *s, wb_linker *l,
                              wb_error *err);

/* noproc.c: define wasmbox_proc's process functions for a context
 * outside any process tree (a lone process: ENOSYS for spawn, wait...);
 * a tree redefines them. */
wb_status wb_wasi_define_noproc(wb_wasi *w, wb_store *s, wb_linker *l,
                                wb_error *err);

/* End the run for a limit: records the outcome (under the tree lock,
 * taken unless this thread holds it), traps with `msg`. */
wb_status wb_wasi_stop(wb_wasi *w, wb_caller *c, int outcome,
                       const char *msg);

/* errno.c */
int wb_wasi_errno(int host_errno);

/* rights.c. The rights (and inheriting rights) a descriptor of WASI
 * filetype `type` can use; under a read-only grant, none that change
 * anything. */
void wb_rights_of(uint8_t type, bool ro, uint64_t *base, uint64_t *inherit);
/* fd, if open and holding every right in `need`: WE_BADF, WE_NOTCAPABLE,
 * or WE_ROFS when only rights that change something are missing on a
 * read-only grant. *out is the entry (or NULL) in every case. */
int wb_fd_need(wb_wasi *w, uint32_t fd, uint64_t need, wb_fdent **out);

/* fd.c: the table. wb_fd_get returns NULL for a closed fd. */
wb_fdent *wb_fd_get(wb_wasi *w, uint32_t fd);
/* A free slot (lowest number) or WE_MFILE past max_files. May move the
 * table: wb_fdent pointers taken before it must be fetched again. */
int wb_fd_alloc(wb_wasi *w, uint32_t *fd);
void wb_fd_release(wb_fdent *e);
/* Account `n` more bytes written to disk; false past max_disk. */
bool wb_disk_charge(wb_wasi *w, uint64_t n);
/* filestat.c: what writing `total` bytes at `off` (< 0: the position)
 * costs of max_disk: the bytes plus any hole opened past the end. */
uint64_t wb_write_cost(wb_fdent *e, int64_t off, size_t total);

/* stdio.c */
/* writev(2) that reports EPIPE without raising SIGPIPE. */
ssize_t wb_write_nosig(int fd, const struct iovec *iov, int n);
wb_status wb_stdio_write(wb_wasi *w, wb_caller *c, int stream,
                         const struct iovec *iov, int n, size_t *done,
                         int *werr);
/* Wait for pfds (plus the cancel eventfd) up to ns nanoseconds (< 0:
 * forever). Returns 0 (revents filled, all zero on timeout), -1 when the
 * run was cancelled (timeout), or a WASI errno. n is not limited here:
 * callers bound it (and the host memory it costs). */
int wb_wait(wb_wasi *w, struct pollfd *pfds, int n, int64_t ns);
/* Block until host fd is ready for events: 0, -1 cancelled, or errno. */
int wb_wait_fd(wb_wasi *w, int fd, short events);

/* hostio.c: read or write a host fd that may block (pipe, FIFO, device,
 * socket) so that no call outlives the run. */
enum {
    WB_IO_WRITE = 1,        /* else read */
    WB_IO_NB = 2,           /* our own fd, O_NONBLOCK: try before waiting */
    WB_IO_SOCK = 4,         /* a socket: MSG_DONTWAIT on every call */
    WB_IO_NOWAIT = 8,       /* the guest's fd is NONBLOCK: EAGAIN, no wait */
    WB_IO_PEEK = 16,        /* sockets: MSG_PEEK */
    WB_IO_WAITALL = 32,     /* sockets: fill iov unless EOF (not with PEEK) */
    WB_IO_STDIN = 64        /* fd_read of stdin: waits call w->stdin_wait */
};
typedef struct wb_io {
    int fd, how;            /* WB_IO_* */
    struct iovec *iov;      /* consumed as bytes move */
    int n;
    int64_t off;            /* >= 0: preadv/pwritev at off */
    size_t done;            /* out: bytes moved */
    int msg_flags;          /* out: recvmsg's flags (MSG_TRUNC) */
} wb_io;
/* A WASI errno (WE_SUCCESS with done > 0 after a later error), or -1 when
 * the run was cancelled. */
int wb_host_io(wb_wasi *w, wb_io *io);
/* After a wait saw p ready on a blocking fd the processes of the tree may
 * share: is it still, now that the tree lock is back (a poll without
 * waiting when the tree has other processes)? */
bool wb_still_ready(wb_wasi *w, const struct pollfd *p);
/* Install the stdin wait hook (before the guest runs). */
void wb_wasi_set_stdin_wait(wb_wasi *w, wb_stdin_wait_fn fn, void *user);

/* Portable stat record shared by host files and tmpfs. */
typedef struct wb_fstat {
    uint64_t dev, ino, nlink, size, atim, mtim, ctim;
    uint8_t type;
} wb_fstat;
void wb_fstat_host(const struct stat *st, wb_fstat *out);
void wb_fstat_put(uint8_t *p, const wb_fstat *st);     /* 64 bytes */
uint8_t wb_filetype_mode(mode_t m);
/* WASI (atim, mtim, fstflags) -> utimensat times; WE_INVAL if bad. */
int wb_times(uint64_t atim, uint64_t mtim, uint16_t fst,
             struct timespec ts[2]);

/* resolve.c: every lookup stays beneath `dirfd`. Return WASI errnos. */
int wb_resolve_open(int dirfd, const char *path, int flags, mode_t mode,
                    bool follow, int *out);
/* Open the parent of path's last component (O_PATH) into *out and copy
 * the last component to last (NAME_MAX+1 bytes). *slash is set when the
 * path ended in '/'. The last component is never ".." or "." */
int wb_resolve_parent(int dirfd, const char *path, int *out, char *last,
                      bool *slash);
/* Force the component walk (tests of the fallback). */
void wb_resolve_force_walk(bool on);

/* symlink.c: read link `name` of `at` into buf (WB_PATH_MAX bytes, NUL
 * terminated; *len without the NUL). */
int wb_symlink_read(int at, const char *name, char *buf, size_t *len);
/* Guest-made symlinks stay inside their grant (whose root is `root`).
 * May a link to `target` be made in directory dirfd? */
int wb_symlink_new_ok(int dirfd, const wb_fileid *root, const char *target);
/* May entry `name` of directory `from` move to directory `to` without a
 * relative link (it, or one beneath it) then climbing out? WE_SUCCESS,
 * WE_PERM, or WE_XDEV (a directory too large to check). */
int wb_symlink_rename_ok(int from, const wb_fileid *from_root,
                         const char *name, int to, const wb_fileid *to_root);
/* May entry `name` of `from` get a second name in `to`? A symlink must
 * pass wb_symlink_new_ok there. */
int wb_symlink_link_ok(int from, const char *name, int to,
                       const wb_fileid *to_root);
/* The same for tmpfs grants (rooted at their file system's root). */
int wb_tsym_new_ok(const wb_tnode *dir, const char *target);
int wb_tsym_rename_ok(const wb_tnode *from, const char *name,
                      const wb_tnode *to);
/* n: the entry a path_link without follow names (NULL: none). */
int wb_tsym_link_ok(const wb_tnode *n, const wb_tnode *to);

/* tmpdata.c: the space a tmpfs may use, and one file's sparse contents.
 * Nothing is allocated before wb_tspace_take agreed to it. */
typedef struct wb_tspace { uint64_t used, cap; } wb_tspace;
typedef struct wb_tdata {
    void *root;                /* page 0 (height 0) or a table of slots */
    uint32_t height;           /* tables above the pages */
    uint32_t small;            /* bytes held by page 0 while height is 0 */
} wb_tdata;
bool wb_tspace_take(wb_tspace *s, uint64_t n);
void wb_tspace_give(wb_tspace *s, uint64_t n);
/* len bytes at off into buf; holes read as zeros (the caller bounds len
 * by the file size). */
void wb_tdata_read(const wb_tdata *d, uint64_t off, uint8_t *buf, size_t len);
/* *done bytes were stored even when an error (WE_NOSPC) is returned. */
int wb_tdata_write(wb_tdata *d, wb_tspace *s, uint64_t off,
                   const uint8_t *buf, size_t len, size_t *done);
/* Allocate the pages of [off, off+len) without changing their bytes. */
int wb_tdata_reserve(wb_tdata *d, wb_tspace *s, uint64_t off, uint64_t len);
/* Drop everything past size (0: everything). */
void wb_tdata_trim(wb_tdata *d, wb_tspace *s, uint64_t size);

/* tmpfs.c. A node lives while a directory entry names it or an fd holds
 * it (wb_tnode_ref); the file system itself lives until wb_tfs_free and
 * its last node, so fds and the fs may be released in either order. */
wb_tfs *wb_tfs_new(uint64_t cap);
void wb_tfs_free(wb_tfs *fs);
/* Unlink everything below directory dir (open nodes live on). */
void wb_tfs_clear(wb_tnode *dir);
wb_tnode *wb_tfs_root(wb_tfs *fs);
void wb_tnode_ref(wb_tnode *n);
void wb_tnode_unref(wb_tnode *n);
bool wb_tnode_is_dir(const wb_tnode *n);
bool wb_tnode_is_root(const wb_tnode *n);
uint8_t wb_tnode_type(const wb_tnode *n);        /* WF_DIR, _REG, _SYMLINK */
const char *wb_tnode_target(const wb_tnode *n);  /* a symlink's target */
/* A directory's parent: NULL for the root and removed directories. */
wb_tnode *wb_tnode_parent(const wb_tnode *dir);
wb_tnode *wb_tfs_child(const wb_tnode *dir, const char *name);
/* Entry i of dir (no "." or ".."), or NULL past the end. */
wb_tnode *wb_tfs_kid(const wb_tnode *dir, size_t i, const char **name);
/* In a directory that was removed: WE_NOENT, as on Linux. */
int wb_tfs_create(wb_tnode *parent, const char *name, bool dir,
                  wb_tnode **out);
/* slash: the new name ended in '/' (ENOENT unless it exists: EEXIST). */
int wb_tfs_symlink(wb_tnode *parent, const char *name, const char *target,
                   bool slash);
/* A second name for n (not a directory: EPERM). */
int wb_tfs_link(wb_tnode *n, wb_tnode *parent, const char *name, bool slash);
/* slash: the path ended in '/' (unlink then answers ENOTDIR or EISDIR). */
int wb_tfs_remove(wb_tnode *parent, const char *name, bool dir, bool slash);
/* slash: either path ended in '/' (the source must be a directory). */
int wb_tfs_rename(wb_tnode *p1, const char *n1, wb_tnode *p2,
                  const char *n2, bool slash);
size_t wb_tfs_read(wb_tnode *n, uint64_t off, const struct iovec *iov,
                   int niov);
/* A short count (*done) when the space ran out part way. */
int wb_tfs_write(wb_tnode *n, uint64_t off, const struct iovec *iov,
                 int niov, size_t *done);
int wb_tfs_truncate(wb_tnode *n, uint64_t size);
/* fd_allocate: pages for [off, off+len) and a size of at least off+len. */
int wb_tfs_allocate(wb_tnode *n, uint64_t off, uint64_t len);
uint64_t wb_tnode_size(const wb_tnode *n);
void wb_tfs_stat(const wb_tnode *n, wb_fstat *st);
void wb_tfs_set_times(wb_tnode *n, const struct timespec ts[2]);
/* Directory entry i (0 ".", 1 "..", then children); false past the end.
 * A removed directory has no entries at all, as on Linux. */
bool wb_tfs_dirent(wb_tnode *dir, uint64_t i, const char **name,
                   uint64_t *ino, uint8_t *type);
bool wb_tfs_same(const wb_tnode *a, const wb_tnode *b);
/* Bytes of its size in use (the root node's included). */
uint64_t wb_tfs_used(const wb_tfs *fs);

/* tmpwalk.c: resolution beneath dir (nothing above it is reached). The
 * last component is followed when it is a symlink and `how` is FOLLOW, or
 * NOFOLLOW with a trailing slash; PARENT never follows it. */
enum { WB_WALK_PARENT, WB_WALK_NOFOLLOW, WB_WALK_FOLLOW };
typedef struct wb_tpath {
    wb_tnode *parent;              /* the directory holding `last` */
    wb_tnode *node;                /* what `last` names there, or NULL */
    char last[NAME_MAX + 1];       /* "." for "", ".", ".." or "x/.." */
    bool slash;                    /* a '/' followed `last` */
} wb_tpath;
int wb_tfs_walk(wb_tnode *dir, const char *path, int how, wb_tpath *out);
/* What path names: ENOENT if nothing, ENOTDIR past a trailing slash. */
int wb_tfs_lookup(wb_tnode *dir, const char *path, bool follow,
                  wb_tnode **out);
/* The directory holding path's last component, which is copied to last
 * (NAME_MAX+1 bytes; "." for "x/." and "x/..", as wb_resolve_parent). */
int wb_tfs_parent(wb_tnode *dir, const char *path, wb_tnode **parent,
                  char *last, bool *slash);

/* vroot.c: the read-only root directory over the grants. */
/* Is guest path `guest` "/" itself (no components but "" and ".")? */
bool wb_vroot_is_root(const char *guest);
bool wb_vroot_has_dotdot(const char *guest);
/* The root over the directory preopens now in w's table. */
int wb_vroot_new(wb_wasi *w, wb_vnode **out);
void wb_vroot_free(wb_vnode *root);
/* Resolve path from d (a WB_FD_VROOT descriptor). Into *view: the grant
 * that path reaches (read-only, with d's rights), path then rewritten to
 * the rest beneath it; or a directory of the root (kind WB_FD_VROOT),
 * path then ".". */
int wb_vroot_enter(const wb_fdent *d, char *path, wb_fdent *view);
void wb_vroot_stat(const wb_vnode *v, wb_fstat *st);
uint8_t wb_vroot_type(const wb_vnode *v);  /* WF_DIR, WF_REG, WF_CHAR */
/* Is v /dev/null (path_open gives a duplicate of wb_wasi_null_fd())? */
bool wb_vroot_is_null(const wb_vnode *v);
/* The process's host /dev/null (O_RDWR, close-on-exec), opened on the
 * first call, or -1 if it cannot be opened. wb_oslock_apply calls it
 * before locking the process down, after which it could not be opened. */
int wb_wasi_null_fd(void);
/* The image v is (its name), or NULL for a directory. */
const char *wb_vroot_image(const wb_vnode *v);
/* /bin and /usr/bin list `names` (replacing an earlier list). */
int wb_vroot_set_images(wb_vnode *root, char **names, size_t n);
/* As wb_tfs_dirent. */
bool wb_vroot_dirent(const wb_vnode *v, uint64_t i, const char **name,
                     uint64_t *ino, uint8_t *type);

/* Every WASI function (implemented across the files above). */
WB_WASI_FN(args_get); WB_WASI_FN(args_sizes_get);
WB_WASI_FN(environ_get); WB_WASI_FN(environ_sizes_get);
WB_WASI_FN(clock_res_get); WB_WASI_FN(clock_time_get);
WB_WASI_FN(random_get);
WB_WASI_FN(fd_advise); WB_WASI_FN(fd_allocate); WB_WASI_FN(fd_close);
WB_WASI_FN(fd_datasync); WB_WASI_FN(fd_fdstat_get);
WB_WASI_FN(fd_fdstat_set_flags); WB_WASI_FN(fd_fdstat_set_rights);
WB_WASI_FN(fd_filestat_get); WB_WASI_FN(fd_filestat_set_size);
WB_WASI_FN(fd_filestat_set_times); WB_WASI_FN(fd_pread);
WB_WASI_FN(fd_prestat_get); WB_WASI_FN(fd_prestat_dir_name);
WB_WASI_FN(fd_pwrite); WB_WASI_FN(fd_read); WB_WASI_FN(fd_readdir);
WB_WASI_FN(fd_renumber); WB_WASI_FN(fd_seek); WB_WASI_FN(fd_sync);
WB_WASI_FN(fd_tell); WB_WASI_FN(fd_write);
WB_WASI_FN(path_create_directory); WB_WASI_FN(path_filestat_get);
WB_WASI_FN(path_filestat_set_times); WB_WASI_FN(path_link);
WB_WASI_FN(path_open); WB_WASI_FN(path_readlink);
WB_WASI_FN(path_remove_directory); WB_WASI_FN(path_rename);
WB_WASI_FN(path_symlink); WB_WASI_FN(path_unlink_file);
WB_WASI_FN(poll_oneoff); WB_WASI_FN(proc_exit); WB_WASI_FN(proc_raise);
WB_WASI_FN(sched_yield);
WB_WASI_FN(sock_accept); WB_WASI_FN(sock_recv); WB_WASI_FN(sock_send);
WB_WASI_FN(sock_shutdown);

/* Accessors for the sandbox runner. */
int wb_wasi_stop_reason(const wb_wasi *w);
void wb_wasi_usage(const wb_wasi *w, wb_run_result *res);
/* Change the disk budget (total bytes charged over the context's life)
 * while no guest call runs: session kernels give each step only what is
 * left of the workspace quota. */
void wb_wasi_set_max_disk(wb_wasi *w, uint64_t max_disk);
/* A session step's network rules and limits (never more than the
 * context was made with: without rules then, none now); its request
 * count and log start afresh. */
void wb_wasi_set_net(wb_wasi *w, const wb_net_budget *b);

/* state.c: what a snapshot keeps of a context (src/snapshot stores the
 * bytes): argv, environment, the guest's clocks, the descriptor table.
 * Encode: *out malloc'd; WB_E_ARG for an open descriptor it cannot
 * express yet. Apply: to a new context, checked against its grants:
 * WB_E_SNAPSHOT with one line. */
wb_status wb_wasi_state_encode(const wb_wasi *w, uint8_t **out, size_t *len,
                               wb_error *err);
wb_status wb_wasi_state_apply(wb_wasi *w, const uint8_t *in, size_t len,
                              wb_error *err);
/* clock.c: the guest's view of clock `id` (0-3) now, in nanoseconds;
 * false for another id. */
bool wb_wasi_clock_now(const wb_wasi *w, uint32_t id, uint64_t *ns);

/* ---- processes (docs/processes.md; src/proc/ uses these) ------------------ */

/* The tree lock. Every WASI, wasmbox_http and wasmbox_proc fd function
 * registered by wb_wasi_define / wb_wasi_define_fdops takes it around
 * its call; the proc layer's own host functions take it themselves.
 * Not recursive: wb_wasi_lock with the lock held by this thread is a
 * bug (wb_wasi_locked tells). Blocking calls must not be made while it
 * is held, except through the waits below, which release it. */
void wb_wasi_lock(wb_wasi *w);
void wb_wasi_unlock(wb_wasi *w);
bool wb_wasi_locked(const wb_wasi *w);     /* by the calling thread */
/* Release the tree lock if this thread holds it (true), and take it
 * again: for waits that are not wb_wait. */
bool wb_wasi_release(wb_wasi *w);
void wb_wasi_reacquire(wb_wasi *w, bool held);

/* Events for the proc layer's waits (wait() for a child): post from any
 * thread, locked or not; wait, with the tree lock released meanwhile,
 * until an event was posted to w since the last wait returned, ns
 * nanoseconds passed (< 0: no limit), or w or its tree was cancelled.
 * 0 (event or time: check again), -1 cancelled, or a WASI errno. */
void wb_wasi_post(wb_wasi *w);
int wb_wasi_wait_event(wb_wasi *w, int64_t ns);

/* End this one context (a kill of one process): its blocking calls wake
 * and trap with "killed", and so does every later one, without setting
 * the tree's stop reason. Any thread, locked or not. wb_wasi_cancel
 * (sandbox.h) is the tree's: every context wakes, outcome timeout. */
void wb_wasi_kill(wb_wasi *w);
/* Was w killed, or its tree cancelled? */
bool wb_wasi_cancelled(const wb_wasi *w);
/* Called (under the tree lock, on the stopping thread) when the tree's
 * stop reason is first set by a limit or the deadline, so that the proc
 * layer can end every process. May call wb_wasi_cancel. */
void wb_wasi_set_stop_hook(wb_wasi *w, void (*fn)(void *user, int outcome),
                           void *user);

/* Child contexts, all under the tree lock; each returns a WASI errno
 * (WE_NOMEM, WE_MFILE when the host is out of fds, WE_BADF) and, unless
 * err is NULL, one line in it. A child is freed with wb_wasi_free, from
 * any thread (it takes the tree lock unless this thread holds it); the
 * last context of a tree frees the tree, so it must not be freed with
 * the lock held.
 *
 * fork: a copy of parent: every open fd refers to the same open file
 * description (host fds are dup'ed, tmpfs offsets shared, stdout and
 * stderr the same sink), close-on-exec marks kept; args and env
 * copied. */
int wb_wasi_fork(wb_wasi *parent, wb_wasi **child, wb_error *err);
/* spawn: the tree's preopens at their fd numbers (3, 4, ...; as the
 * root had them, whatever the parent did to its own), and fds[i] of
 * parent duplicated into the child's fd i (-1: closed); WE_BADF if one
 * is not open. argv and env are copied. */
int wb_wasi_spawn(wb_wasi *parent, const int32_t fds[3],
                  char *const *argv, size_t argc, char *const *env,
                  size_t envc, wb_wasi **child, wb_error *err);
/* exec: new args and env, and every fd marked close-on-exec closed. On
 * failure w is unchanged. */
int wb_wasi_exec(wb_wasi *w, char *const *argv, size_t argc,
                 char *const *env, size_t envc, wb_error *err);

/* Define wasmbox_proc.pipe, dup, dup2 and cloexec (fdops.c) for w in l;
 * the proc layer calls it next to wb_wasi_define. */
wb_status wb_wasi_define_fdops(wb_wasi *w, wb_store *s, wb_linker *l,
                               wb_error *err);

/* The registered images (names without '/'): regular files of the
 * virtual /bin and /usr/bin (vroot.c), read-only, size 0. Replaces an
 * earlier list, so only before any guest of the tree runs (an fd open on
 * an earlier image would dangle); WE_INVAL for a bad name. A grant at "/", "/bin" or
 * "/usr/bin" hides the virtual directory there (docs/processes.md). */
int wb_wasi_set_images(wb_wasi *w, const char *const *names, size_t n);
/* Is `name` a registered image? */
bool wb_wasi_is_image(const wb_wasi *w, const char *name);

/* A module file that exec or spawn names, open: its identity (kind 1
 * host or 2 tmpfs, dev, ino, mtime, ctime in ns: a file that changes
 * gets another, but for a change within one tick of the file system's
 * clock) and its size. Read it with wb_image_read, then close it; for a
 * tmpfs file both under the tree lock. */
typedef struct wb_image_file {
    uint64_t id[5];
    uint64_t size;
    int fd;                    /* a host file's, or -1 */
    wb_tnode *node;            /* a tmpfs file's (referenced), or NULL */
} wb_image_file;

/* What exec and spawn run. `path` whose directory is /bin or /usr/bin
 * and whose name is a registered image: *name (malloc'd). Any other
 * path: a module file opened through w's own grants into *f, as the
 * guest would open it (relative paths from "/"; never outside a grant,
 * symlinks included), *name NULL. A WASI errno: WE_NOENT, WE_ACCES (a
 * directory or not a regular file), WE_FBIG past WB_IMAGE_MAX,
 * WE_NAMETOOLONG, WE_NOTCAPABLE... */
#define WB_IMAGE_MAX ((size_t)256 << 20)
int wb_wasi_load_image(wb_wasi *w, const char *path, char **name,
                       wb_image_file *f);
/* Up to cap bytes of f from offset off into buf; *len: what was there
 * (less at the end of the file, or of one that shrank since). */
int wb_image_read(wb_image_file *f, uint64_t off, uint8_t *buf, size_t cap,
                  size_t *len);
void wb_image_close(wb_image_file *f);

/* tree.c: a context of tree t (NULL: a new tree), without fds, args or
 * env; under t's lock. NULL when out of memory or fds. */
wb_wasi *wb_wasi_alloc(wb_wtree *t);
/* After the grants are in the root's table: keep its preopens (spawn). */
int wb_tree_keep_preopens(wb_wasi *w);
char **wb_strv_copy(char *const *v, size_t n);   /* NULL-terminated */
void wb_strv_free(char **v, size_t n);
/* tree.c: copy an fd entry as dup(2) does (the same open file; the
 * copy is not close-on-exec). WE_MFILE when the host has no fd left. */
int wb_fd_dup_ent(const wb_fdent *from, wb_fdent *to);
/* Slots (free) for every fd number below n; the table doubles. */
int wb_fd_table_cover(wb_wasi *w, uint32_t n);
/* wb_fd_alloc, but the lowest free fd >= min. */
int wb_fd_alloc_from(wb_wasi *w, uint32_t min, uint32_t *fd);
/* Highest fd number + 1 of any fd (wb_fd_alloc_from; dup2 beyond it is
 * EBADF, dup's minimum EINVAL), and so the most max_files can be. */
#define WB_FD_NUM_MAX 1024u

#endif
