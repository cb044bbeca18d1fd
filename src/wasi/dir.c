/* dir.c: fd_readdir. Cookies are entry indexes ("." is 0, ".." is 1), so
 * they mean the same on host directories, tmpfs and the virtual root. A host directory keeps
 * one DIR stream per fd; reading from the cookie where the last call
 * stopped costs nothing, any other cookie rewinds and skips. */
#include "wasi/wasi.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

typedef struct sink {
    uint8_t *buf;
    uint32_t cap, used;
} sink;

/* Append one dirent (24-byte header + name), cut at the buffer's end as
 * the ABI asks: a full buffer tells the guest to call again. */
static bool emit(sink *s, uint64_t next, uint64_t ino, const char *name,
                 uint8_t type)
{
    uint8_t hdr[24] = { 0 };
    uint32_t len = (uint32_t)strlen(name);
    wb_st64(hdr, next);
    wb_st64(hdr + 8, ino);
    wb_st32(hdr + 16, len);
    hdr[20] = type;
    uint32_t room = s->cap - s->used;
    uint32_t n = room < 24 ? room : 24;
    memcpy(s->buf + s->used, hdr, n);
    s->used += n;
    room -= n;
    n = room < len ? room : len;
    memcpy(s->buf + s->used, name, n);
    s->used += n;
    return s->used < s->cap;
}

static uint8_t dt_type(int at, const struct dirent *de)
{
    switch (de->d_type) {
    case DT_REG: return WF_REG;
    case DT_DIR: return WF_DIR;
    case DT_LNK: return WF_SYMLINK;
    case DT_CHR: return WF_CHAR;
    case DT_BLK: return WF_BLOCK;
    case DT_SOCK: return WF_SOCK_STREAM;
    case DT_UNKNOWN: {
        struct stat st;
        if (fstatat(at, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
            return wb_filetype_mode(st.st_mode);
        return WF_UNKNOWN;
    }
    default: return WF_UNKNOWN;
    }
}

static int host_stream(wb_fdent *e, uint64_t cookie)
{
    if (!e->dir) {
        int fd = openat(e->host, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
            return wb_wasi_errno(errno);
        if (!(e->dir = fdopendir(fd))) {
            close(fd);
            return wb_wasi_errno(errno);
        }
        e->dir_idx = 0;
    }
    if (cookie < e->dir_idx) {
        rewinddir(e->dir);
        e->dir_idx = 0;
    }
    while (e->dir_idx < cookie) {
        errno = 0;
        if (!readdir(e->dir))
            return errno ? wb_wasi_errno(errno) : WE_SUCCESS;
        e->dir_idx++;
    }
    return WE_SUCCESS;
}

static int host_readdir(wb_fdent *e, uint64_t cookie, sink *s)
{
    int rc = host_stream(e, cookie);
    if (rc || e->dir_idx < cookie)
        return rc;                          /* cookie past the end */
    for (;;) {
        long pos = telldir(e->dir);
        errno = 0;
        struct dirent *de = readdir(e->dir);
        if (!de)
            return errno ? wb_wasi_errno(errno) : WE_SUCCESS;
        e->dir_idx++;
        if (!emit(s, e->dir_idx, de->d_ino, de->d_name,
                  dt_type(dirfd(e->dir), de))) {
            /* the entry did not fit whole: the next call starts there */
            seekdir(e->dir, pos);
            e->dir_idx--;
            return WE_SUCCESS;
        }
    }
}

/* Entry i of an in-memory directory: a tmpfs one or the root's. */
static bool mem_dirent(wb_fdent *e, uint64_t i, const char **name,
                       uint64_t *ino, uint8_t *type)
{
    return e->kind == WB_FD_TMPFS ? wb_tfs_dirent(e->node, i, name, ino, type)
                                  : wb_vroot_dirent(e->vnode, i, name, ino,
                                                    type);
}

static void mem_readdir(wb_fdent *e, uint64_t cookie, sink *s)
{
    const char *name;
    uint64_t ino;
    uint8_t type;
    for (uint64_t i = cookie; mem_dirent(e, i, &name, &ino, &type); i++)
        if (!emit(s, i + 1, ino, name, type))
            return;
}

WB_WASI_FN(fd_readdir)
{
    wb_fdent *e;
    sink s = { .cap = A32(2) };
    int rc = wb_fd_need(WASI, A32(0), WR_FD_READDIR, &e);
    if (rc)
        return wb_ret(r, rc);
    if (e->type != WF_DIR)
        return wb_ret(r, WE_NOTDIR);
    s.buf = wb_gptr(c, A32(1), s.cap);
    if (!s.buf || !wb_gptr(c, A32(4), 4))
        return wb_ret(r, WE_FAULT);
    if (e->kind == WB_FD_TMPFS || e->kind == WB_FD_VROOT)
        mem_readdir(e, A64(3), &s);
    else if (e->kind == WB_FD_HOST)
        rc = host_readdir(e, A64(3), &s);
    else
        rc = WE_NOTDIR;
    if (rc == WE_SUCCESS)
        wb_put32(c, A32(4), s.used);
    return wb_ret(r, rc);
}
