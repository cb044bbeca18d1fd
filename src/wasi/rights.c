/* rights.c: preview1 rights. What a descriptor may hold follows from
 * what it is (a directory, a file, a socket), what its parent may hand
 * down, and whether its grant is read-only; every call asks here for the
 * rights it needs. The sets are those the reference runtimes report, so
 * programs that reopen a directory with the rights they were given, or
 * compare them with a fixed list, behave as they do there. */
#include "wasi/wasi.h"

/* What a regular file can do, and what a directory can. A directory hands
 * down both: files and directories are opened beneath it. */
#define WR_FILE (WR_FD_DATASYNC | WR_FD_READ | WR_FD_SEEK |               \
                 WR_FD_FDSTAT_SET_FLAGS | WR_FD_SYNC | WR_FD_TELL |        \
                 WR_FD_WRITE | WR_FD_ADVISE | WR_FD_ALLOCATE |             \
                 WR_FD_FILESTAT_GET | WR_FD_FILESTAT_SET_SIZE |            \
                 WR_FD_FILESTAT_SET_TIMES | WR_POLL_FD_READWRITE)
#define WR_DIR (WR_FD_FDSTAT_SET_FLAGS | WR_FD_SYNC | WR_FD_ADVISE |      \
                (WR(22) - WR(9)) /* path_create_directory..fd_filestat_get */ | \
                WR_FD_FILESTAT_SET_TIMES | WR_PATH_SYMLINK |               \
                WR_PATH_REMOVE_DIRECTORY | WR_PATH_UNLINK_FILE |           \
                WR_POLL_FD_READWRITE)
#define WR_SOCK (WR_FD_READ | WR_FD_WRITE | WR_FD_FDSTAT_SET_FLAGS |      \
                 WR_FD_FILESTAT_GET | WR_POLL_FD_READWRITE |               \
                 WR_SOCK_SHUTDOWN | WR_SOCK_ACCEPT)

void wb_rights_of(uint8_t type, bool ro, uint64_t *base, uint64_t *inherit)
{
    if (type == WF_DIR) {
        *base = WR_DIR;
        *inherit = WR_DIR | WR_FILE;
    } else if (type == WF_SOCK_STREAM || type == WF_SOCK_DGRAM) {
        *base = *inherit = WR_SOCK;
    } else {
        *base = WR_FILE;
        *inherit = 0;
    }
    if (ro) {
        /* The open-for-writing rights stay inheritable: wasi-libc asks
         * for them only when the program opens for writing, and only if
         * the directory may hand them down. Without them open(O_WRONLY)
         * would quietly give a read-only descriptor instead of EROFS. */
        *base &= ~WR_MUTATE;
        *inherit &= ~WR_MUTATE | WR_OPEN_WRITE;
    }
}

/* A change to a host file or directory the config's write gate refuses
 * (every change needs a right of WR_MUTATE, so this one place sees them
 * all; pipes, sockets and the guest's own tmpfs are not gated). */
static bool gated(const wb_wasi *w, const wb_fdent *e, uint64_t need)
{
    const wb_wtree *t = w->t;
    return t->write_gate && (need & WR_MUTATE) && e->kind == WB_FD_HOST &&
           (e->type == WF_REG || e->type == WF_DIR) &&
           !t->write_gate(t->write_gate_user);
}

int wb_fd_need(wb_wasi *w, uint32_t fd, uint64_t need, wb_fdent **out)
{
    wb_fdent *e = wb_fd_get(w, fd);
    *out = e;
    if (!e)
        return WE_BADF;
    uint64_t missing = need & ~e->rights;
    if (!missing)
        return gated(w, e, need) ? WE_ROFS : WE_SUCCESS;
    return e->ro && !(missing & ~WR_MUTATE) ? WE_ROFS : WE_NOTCAPABLE;
}
