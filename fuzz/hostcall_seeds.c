/*
 * hostcall_seeds.c: the seed corpus of the host-call fuzzer, encoded as
 * hostcall_decode.c decodes (the byte of a value below its table range
 * is the value itself; addresses are 1 KiB slots). Together the seeds
 * call every function at least once with arguments that succeed, plus
 * the classic escapes and edge cases, so the fuzzer starts from inputs
 * that reach deep into each call.
 */
#include "hostcall.h"
#include <string.h>

#define LAST 0xef             /* the fd the last path_open/sock_accept gave */
#define ALL 0                 /* rights: every right */
#define RD 3                  /* rights: reading */
#define WRS 4                 /* rights: writing */
#define BIG(i) (0x80 + (i))   /* entry i of the u64 table */
#define LEN(i) (0xc0 + (i))   /* entry i of the length table */
#define END 0x40              /* an address whose object ends at the end */
#define SPECIAL(i) (0xc0 + (i))

/* Short names: the seeds are lists of bytes. */
typedef hc_enc enc;
#define b8 hc_b8

static void op(enc *e, const char *name)
{
    b8(e, (uint8_t)hc_op_index(name));
}

static void path(enc *e, uint8_t slot, const uint8_t *t, size_t n)
{
    b8(e, (uint8_t)n);
    for (size_t i = 0; i < n; i++)
        b8(e, t[i]);
    b8(e, slot);
}

#define TOKS(...) (const uint8_t[]){ __VA_ARGS__ }, \
                  sizeof((const uint8_t[]){ __VA_ARGS__ })
#define PATH(slot, ...) path(e, slot, TOKS(__VA_ARGS__))

/* path_open(dir, lookup flags, path, oflags, rights, inherit ALL,
 * fdflags) -> slot 4; the fd becomes LAST. */
#define OPEN(dir, follow, of, r, ff, ...) do { \
    op(e, "path_open"); b8(e, dir); b8(e, follow); PATH(1, __VA_ARGS__); \
    b8(e, of); b8(e, r); b8(e, ALL); b8(e, ff); b8(e, 4); } while (0)

/* The same asking for every right but those that change something
 * (rights table entry 6: a raw u64), as a reader through the root. */
static void rights_ro(enc *e)
{
    uint64_t r = (WR(30) - 1) & ~WR_MUTATE;
    b8(e, 6);
    for (int i = 0; i < 8; i++)
        b8(e, (uint8_t)(r >> (8 * i)));
}

#define OPEN_RO(dir, of, ...) do { \
    op(e, "path_open"); b8(e, dir); b8(e, 1); PATH(1, __VA_ARGS__); \
    b8(e, of); rights_ro(e); b8(e, ALL); b8(e, 0); b8(e, 4); } while (0)

/* An op on (dir, path) with nothing else. */
#define ON_PATH(name, dir, ...) do { \
    op(e, name); b8(e, dir); PATH(1, __VA_ARGS__); } while (0)

/* One iovec of len bytes at slot buf; the array at slot 8. */
static void iov1(enc *e, uint8_t len, uint8_t buf)
{
    b8(e, 1);
    b8(e, 8);
    b8(e, len);
    b8(e, buf);
}

static void rw_call(enc *e, const char *name, uint8_t fd, uint8_t len)
{
    op(e, name);
    b8(e, fd);
    iov1(e, len, 10);
    if (strstr(name, "pread") || strstr(name, "pwrite"))
        b8(e, 0);
    b8(e, 4);
}

static void p_call(enc *e, const char *name, uint8_t fd, uint8_t len,
                   uint8_t off)
{
    op(e, name);
    b8(e, fd);
    iov1(e, len, 10);
    b8(e, off);
    b8(e, 4);
}

static void fd_call(enc *e, const char *name, uint8_t fd)
{
    op(e, name);
    b8(e, fd);
}

static void fd_out(enc *e, const char *name, uint8_t fd, uint8_t slot)
{
    op(e, name);
    b8(e, fd);
    b8(e, slot);
}

static void readdir_call(enc *e, uint8_t fd, uint8_t len, uint8_t cookie)
{
    op(e, "fd_readdir");
    b8(e, fd);
    b8(e, len);
    b8(e, 12);
    b8(e, cookie);
    b8(e, 4);
}

static void seek(enc *e, uint8_t fd, uint8_t delta, uint8_t whence)
{
    op(e, "fd_seek");
    b8(e, fd);
    b8(e, delta);
    b8(e, whence);
    b8(e, 5);
}

/* ---- the seeds ---------------------------------------------------------- */

static void seed_host_read(enc *e)
{
    OPEN(HC_FD_HOST, 1, 0, ALL, 0, T_A_TXT);
    rw_call(e, "fd_read", LAST, 16);
    seek(e, LAST, 2, 0);
    fd_out(e, "fd_tell", LAST, 5);
    p_call(e, "fd_pread", LAST, 150, BIG(19));       /* at 2^32 */
    p_call(e, "fd_pread", LAST, 5, 1);
    fd_out(e, "fd_filestat_get", LAST, 6);
    fd_out(e, "fd_fdstat_get", LAST, 6);
    op(e, "fd_advise"); b8(e, LAST); b8(e, 0); b8(e, BIG(4)); b8(e, 1);
    readdir_call(e, HC_FD_HOST, 128, 0);
    readdir_call(e, HC_FD_HOST, 150, 3);
    op(e, "path_filestat_get"); b8(e, HC_FD_HOST); b8(e, 1);
    PATH(1, T_SUBL, T_C_TXT); b8(e, 6);
    OPEN(HC_FD_HOST, 1, 2, RD, 0, T_SUB, T_DEEP);    /* DIRECTORY */
    readdir_call(e, LAST, 100, 0);
    fd_call(e, "fd_close", LAST);
}

static void seed_host_write(enc *e)
{
    OPEN(HC_FD_HOST, 0, 9, ALL, 0, T_NEW);           /* CREAT|TRUNC */
    rw_call(e, "fd_write", LAST, 10);
    p_call(e, "fd_pwrite", LAST, 20, BIG(4));
    op(e, "fd_allocate"); b8(e, LAST); b8(e, 0); b8(e, BIG(5));
    op(e, "fd_filestat_set_size"); b8(e, LAST); b8(e, 100);
    fd_call(e, "fd_close", LAST);
    fd_call(e, "fd_close", HC_FD_ROOT + 1);
    fd_call(e, "fd_datasync", LAST);
    fd_call(e, "fd_sync", LAST);
    op(e, "fd_filestat_set_times"); b8(e, LAST); b8(e, 0); b8(e, 0);
    b8(e, 10);
    op(e, "fd_fdstat_set_flags"); b8(e, LAST); b8(e, 1);     /* APPEND */
    rw_call(e, "fd_write", LAST, 30);
    op(e, "path_filestat_set_times"); b8(e, HC_FD_HOST); b8(e, 0);
    PATH(1, T_NEW); b8(e, 5); b8(e, 6); b8(e, 5);
    ON_PATH("path_create_directory", HC_FD_HOST, T_SUB, T_X);
    OPEN(HC_FD_HOST, 0, 1, ALL, 0, T_SUB, T_X, T_Y);
    p_call(e, "fd_pwrite", LAST, 1, BIG(19));        /* a hole of 4 GiB */
}

static void seed_tmpfs(enc *e)
{
    ON_PATH("path_create_directory", HC_FD_TMP, T_X);
    OPEN(HC_FD_TMP, 0, 1, ALL, 0, T_X, T_NEW);
    rw_call(e, "fd_write", LAST, 100);
    p_call(e, "fd_pwrite", LAST, 10, BIG(7));        /* sparse at 64 KiB */
    p_call(e, "fd_pread", LAST, 150, 0);
    op(e, "fd_allocate"); b8(e, LAST); b8(e, BIG(3)); b8(e, BIG(3));
    op(e, "fd_filestat_set_size"); b8(e, LAST); b8(e, BIG(4));
    seek(e, LAST, BIG(34), 2);
    readdir_call(e, HC_FD_TMP, 100, 0);
    op(e, "path_rename"); b8(e, HC_FD_TMP); PATH(1, T_X, T_NEW);
    b8(e, HC_FD_TMP); PATH(2, T_Y);
    op(e, "path_filestat_get"); b8(e, HC_FD_TMP); b8(e, 0);
    PATH(1, T_Y); b8(e, 6);
    op(e, "path_filestat_set_times"); b8(e, HC_FD_TMP); b8(e, 0);
    PATH(1, T_Y); b8(e, 5); b8(e, 6); b8(e, 5);
    ON_PATH("path_unlink_file", HC_FD_TMP, T_Y);
    ON_PATH("path_remove_directory", HC_FD_TMP, T_X);
    OPEN(HC_FD_TMP2, 0, 1, ALL, 0, T_A_TXT);
    op(e, "path_rename"); b8(e, HC_FD_TMP2); PATH(1, T_A_TXT);
    b8(e, HC_FD_TMP); PATH(2, T_A_TXT);              /* EXDEV */
    op(e, "path_readlink"); b8(e, HC_FD_TMP); PATH(1, T_DOT);
    b8(e, 64); b8(e, 10); b8(e, 4);
}

static void seed_links(enc *e)
{
    op(e, "path_symlink"); PATH(1, T_A_TXT); b8(e, HC_FD_HOST); PATH(2, T_X);
    op(e, "path_symlink"); PATH(1, T_DOTDOT, T_OUTSIDE, T_CANARY);
    b8(e, HC_FD_HOST); PATH(2, T_Y);                 /* EPERM */
    op(e, "path_symlink"); PATH(1, T_DOTDOT); b8(e, HC_FD_HOST);
    PATH(2, T_SUB, T_X);
    op(e, "path_readlink"); b8(e, HC_FD_HOST); PATH(1, T_OUT);
    b8(e, 64); b8(e, 10); b8(e, 4);
    op(e, "path_link"); b8(e, HC_FD_HOST); b8(e, 0); PATH(1, T_A_TXT);
    b8(e, HC_FD_HOST); PATH(2, T_NEW);
    op(e, "path_link"); b8(e, HC_FD_HOST); b8(e, 1); PATH(1, T_IN);
    b8(e, HC_FD_HOST); PATH(2, T_SUB, T_NEW);
    op(e, "path_link"); b8(e, HC_FD_HOST); b8(e, 0); PATH(1, T_OUT);
    b8(e, HC_FD_HOST); PATH(2, T_SUB, T_Y);
    op(e, "path_rename"); b8(e, HC_FD_HOST); PATH(1, T_SUB, T_UP);
    b8(e, HC_FD_HOST); PATH(2, T_UP);                /* EPERM */
    op(e, "path_filestat_set_times"); b8(e, HC_FD_HOST); b8(e, 0);
    PATH(1, T_OUT); b8(e, 0); b8(e, 0); b8(e, 10);
    op(e, "path_filestat_get"); b8(e, HC_FD_HOST); b8(e, 1);
    PATH(1, T_OUT); b8(e, 6);
    op(e, "path_rename"); b8(e, HC_FD_HOST); PATH(1, T_OUT);
    b8(e, HC_FD_HOST); PATH(2, T_SUB, T_OUT);
    ON_PATH("path_unlink_file", HC_FD_HOST, T_IN);
    ON_PATH("path_remove_directory", HC_FD_HOST, T_SUB, T_DEEP);
}

/* the edges of rename and unlink, and a directory removed while open */
static void edges(enc *e, uint8_t dir)
{
    op(e, "path_rename"); b8(e, dir); PATH(1, T_SUB);
    b8(e, dir); PATH(2, T_SUB, T_DEEP, T_X);         /* into itself */
    op(e, "path_rename"); b8(e, dir); PATH(1, T_SUB, T_DEEP);
    b8(e, dir); PATH(2, T_SUB);                      /* over its parent */
    op(e, "path_rename"); b8(e, dir); PATH(1, T_SUB);
    b8(e, dir); PATH(2, T_A_TXT);                    /* dir over file */
    op(e, "path_rename"); b8(e, dir); PATH(1, T_A_TXT);
    b8(e, dir); PATH(2, T_SUB, T_DEEP);              /* file over dir */
    op(e, "path_rename"); b8(e, dir); PATH(1, T_A_TXT);
    b8(e, dir); PATH(2, T_SUB, T_C_TXT);             /* over a file */
    ON_PATH("path_create_directory", dir, T_X);
    op(e, "path_rename"); b8(e, dir); PATH(1, T_SUB, T_DEEP);
    b8(e, dir); PATH(2, T_X);                        /* over an empty dir */
    ON_PATH("path_unlink_file", dir, T_B, T_EMPTY);  /* "b/" */
    ON_PATH("path_unlink_file", dir, T_SUB, T_EMPTY);
    ON_PATH("path_remove_directory", dir, T_B);
    ON_PATH("path_create_directory", dir, T_Y);
    OPEN(dir, 0, 2, RD, 0, T_Y);                     /* DIRECTORY */
    ON_PATH("path_remove_directory", dir, T_Y);
    ON_PATH("path_create_directory", LAST, T_X);     /* ENOENT */
    OPEN(LAST, 0, 1, ALL, 0, T_NEW);
    op(e, "path_rename"); b8(e, dir); PATH(1, T_B);
    b8(e, LAST); PATH(2, T_B);
    readdir_call(e, LAST, 100, 0);
    OPEN(LAST, 0, 0, RD, 0, T_DOTDOT);
    op(e, "path_filestat_get"); b8(e, LAST); b8(e, 0); PATH(1, T_DOT);
    b8(e, 6);
}

static void seed_tmpfs_edges(enc *e)
{
    edges(e, HC_FD_TMP);
}

static void seed_host_edges(enc *e)
{
    edges(e, HC_FD_HOST);
}

/* renames and links from one host grant to the other */
static void seed_grants(enc *e)
{
    op(e, "path_rename"); b8(e, HC_FD_HOST); PATH(1, T_A_TXT);
    b8(e, HC_FD_HOST2); PATH(2, T_NEW);
    op(e, "path_rename"); b8(e, HC_FD_HOST); PATH(1, T_IN);
    b8(e, HC_FD_HOST2); PATH(2, T_IN);
    op(e, "path_rename"); b8(e, HC_FD_HOST); PATH(1, T_OUT);
    b8(e, HC_FD_HOST2); PATH(2, T_OUT);              /* EPERM */
    op(e, "path_rename"); b8(e, HC_FD_HOST); PATH(1, T_SUB);
    b8(e, HC_FD_HOST2); PATH(2, T_SUB, T_X);         /* a link inside */
    op(e, "path_link"); b8(e, HC_FD_HOST); b8(e, 0); PATH(1, T_OUTDIR);
    b8(e, HC_FD_HOST2); PATH(2, T_SUB, T_Y);
    op(e, "path_link"); b8(e, HC_FD_HOST2); b8(e, 0); PATH(1, T_NEW);
    b8(e, HC_FD_HOST); PATH(2, T_A_TXT);
    op(e, "path_symlink"); PATH(1, T_DOTDOT, T_A_TXT); b8(e, HC_FD_HOST2);
    PATH(2, T_X);                                    /* EPERM */
    op(e, "path_rename"); b8(e, HC_FD_HOST2); PATH(1, T_SUB);
    b8(e, HC_FD_HOST); PATH(2, T_SUB, T_DEEP, T_X);
}

/* symlinks and hard links on a tmpfs: made, followed, moved, named
 * twice and removed; the ones that would lead out refused */
static void seed_tmpfs_links(enc *e)
{
    op(e, "path_symlink"); PATH(1, T_A_TXT); b8(e, HC_FD_TMP); PATH(2, T_X);
    op(e, "path_symlink"); PATH(1, T_DOTDOT); b8(e, HC_FD_TMP);
    PATH(2, T_SUB, T_UP);
    op(e, "path_symlink"); PATH(1, T_DOTDOT); b8(e, HC_FD_TMP);
    PATH(2, T_UP);                                   /* EPERM */
    op(e, "path_symlink"); PATH(1, T_DOTDOT, T_T2); b8(e, HC_FD_TMP);
    PATH(2, T_Y);                                    /* EPERM */
    op(e, "path_symlink"); PATH(1, T_EMPTY, T_TMP); b8(e, HC_FD_TMP);
    PATH(2, T_ABS);                                  /* "/tmp": EPERM */
    op(e, "path_symlink"); PATH(1, T_LOOP); b8(e, HC_FD_TMP);
    PATH(2, T_LOOP);
    OPEN(HC_FD_TMP, 1, 0, ALL, 0, T_LOOP);           /* ELOOP */
    OPEN(HC_FD_TMP, 1, 0, ALL, 0, T_X);
    rw_call(e, "fd_write", LAST, 20);
    OPEN(HC_FD_TMP, 1, 0, RD, 0, T_SUB, T_UP, T_SUB, T_UP, T_A_TXT);
    OPEN(HC_FD_TMP, 1, 2, RD, 0, T_SUB, T_UP, T_DOTDOT);   /* ENOTCAPABLE */
    op(e, "path_readlink"); b8(e, HC_FD_TMP); PATH(1, T_X);
    b8(e, 64); b8(e, 10); b8(e, 4);
    op(e, "path_filestat_get"); b8(e, HC_FD_TMP); b8(e, 0);
    PATH(1, T_X); b8(e, 6);
    /* hard links: to a file, through a link, of a link, of a directory */
    op(e, "path_link"); b8(e, HC_FD_TMP); b8(e, 0); PATH(1, T_A_TXT);
    b8(e, HC_FD_TMP); PATH(2, T_SUB, T_NEW);
    op(e, "path_link"); b8(e, HC_FD_TMP); b8(e, 1); PATH(1, T_X);
    b8(e, HC_FD_TMP); PATH(2, T_NEW);
    op(e, "path_link"); b8(e, HC_FD_TMP); b8(e, 0); PATH(1, T_SUB, T_UP);
    b8(e, HC_FD_TMP); PATH(2, T_Y);                  /* EPERM */
    op(e, "path_link"); b8(e, HC_FD_TMP); b8(e, 0); PATH(1, T_SUB);
    b8(e, HC_FD_TMP); PATH(2, T_Y);                  /* EPERM */
    op(e, "path_link"); b8(e, HC_FD_TMP); b8(e, 0); PATH(1, T_A_TXT);
    b8(e, HC_FD_TMP2); PATH(2, T_Y);                 /* EXDEV */
    /* renames: a link to where it climbs out, over another name of the
     * same file, over a link */
    op(e, "path_rename"); b8(e, HC_FD_TMP); PATH(1, T_SUB, T_UP);
    b8(e, HC_FD_TMP); PATH(2, T_UP);                 /* EPERM */
    op(e, "path_rename"); b8(e, HC_FD_TMP); PATH(1, T_NEW);
    b8(e, HC_FD_TMP); PATH(2, T_A_TXT);
    op(e, "path_rename"); b8(e, HC_FD_TMP); PATH(1, T_B);
    b8(e, HC_FD_TMP); PATH(2, T_SUB, T_NEW);
    /* a tree holding a link moved up a level: EPERM */
    ON_PATH("path_create_directory", HC_FD_TMP, T_Y);
    ON_PATH("path_create_directory", HC_FD_TMP, T_Y, T_OUT);
    op(e, "path_symlink"); PATH(1, T_DOTDOT, T_DOTDOT, T_A_TXT);
    b8(e, HC_FD_TMP); PATH(2, T_Y, T_OUT, T_IN);
    op(e, "path_rename"); b8(e, HC_FD_TMP); PATH(1, T_Y, T_OUT);
    b8(e, HC_FD_TMP); PATH(2, T_OUT);
    /* a dangling link: O_CREAT makes its target */
    op(e, "path_symlink"); PATH(1, T_SUB, T_Y); b8(e, HC_FD_TMP);
    PATH(2, T_ZERO);
    OPEN(HC_FD_TMP, 1, 1, ALL, 0, T_ZERO);
    /* the last name goes while an fd holds the file */
    OPEN(HC_FD_TMP, 0, 0, ALL, 0, T_A_TXT);
    ON_PATH("path_unlink_file", HC_FD_TMP, T_A_TXT);
    ON_PATH("path_unlink_file", HC_FD_TMP, T_SUB, T_NEW);
    rw_call(e, "fd_write", LAST, 30);
    ON_PATH("path_unlink_file", HC_FD_TMP, T_X);
    ON_PATH("path_unlink_file", HC_FD_TMP, T_SUB, T_UP, T_EMPTY);
}

/* paths through the virtual root: the grants read-only beneath it,
 * nothing beside them, nothing made or changed there */
static void seed_root(enc *e)
{
    OPEN(HC_FD_ROOT, 1, 0, ALL, 0, T_HOST, T_A_TXT);  /* EROFS */
    OPEN_RO(HC_FD_ROOT, 0, T_HOST, T_A_TXT);
    rw_call(e, "fd_write", LAST, 4);                 /* ENOTCAPABLE */
    rw_call(e, "fd_read", LAST, 4);
    OPEN_RO(HC_FD_ROOT, 0, T_TMP, T_A_TXT);
    rw_call(e, "fd_write", LAST, 4);
    op(e, "fd_filestat_set_size"); b8(e, LAST); b8(e, 100);
    fd_call(e, "fd_close", LAST);
    fd_call(e, "fd_close", HC_FD_ROOT + 1);
    OPEN(HC_FD_ROOT, 1, 0, RD, 0, T_HOST, T_OUT);
    OPEN(HC_FD_ROOT, 1, 0, RD, 0, T_RO, T_ROUT, T_CANARY);
    OPEN(HC_FD_ROOT, 1, 0, RD, 0, T_DOTDOT, T_OUTSIDE, T_CANARY);
    OPEN(HC_FD_ROOT, 1, 0, RD, 0, T_HOST, T_DOTDOT, T_DOTDOT, T_OUTSIDE,
         T_CANARY);
    OPEN(HC_FD_ROOT, 1, 0, RD, 0, T_H2, T_SUB, T_DOTDOT, T_DOTDOT,
         T_DOTDOT, T_OUTSIDE);
    OPEN(HC_FD_ROOT, 1, 0, RD, 0, T_TMP, T_SUB, T_C_TXT);
    fd_call(e, "fd_close", LAST);
    OPEN(HC_FD_ROOT, 1, 9, ALL, 0, T_TMP, T_NEW);    /* CREAT|TRUNC */
    OPEN(HC_FD_ROOT, 1, 1, ALL, 0, T_NEW);           /* CREAT */
    OPEN(HC_FD_ROOT, 1, 2, ALL, 0, T_H2);            /* EROFS */
    OPEN_RO(HC_FD_ROOT, 2, T_H2);                    /* DIRECTORY */
    ON_PATH("path_create_directory", LAST, T_X);
    readdir_call(e, LAST, 100, 0);
    OPEN(LAST, 1, 1, ALL, 0, T_NEW);
    OPEN_RO(HC_FD_ROOT, 2, T_DOTDOT, T_TMP, T_SUB);
    ON_PATH("path_unlink_file", LAST, T_C_TXT);
    OPEN_RO(LAST, 0, T_DOTDOT);                      /* ENOTCAPABLE */
    OPEN_RO(HC_FD_ROOT, 2, T_DOT);                   /* the root itself */
    readdir_call(e, LAST, 100, 0);
    OPEN_RO(LAST, 0, T_HOST, T_SUB, T_C_TXT);
    readdir_call(e, HC_FD_ROOT, 150, 3);
    fd_out(e, "fd_filestat_get", HC_FD_ROOT, 6);
    fd_out(e, "fd_fdstat_get", HC_FD_ROOT, 6);
    op(e, "path_filestat_get"); b8(e, HC_FD_ROOT); b8(e, 1);
    PATH(1, T_T2); b8(e, 6);
    ON_PATH("path_create_directory", HC_FD_ROOT, T_X);
    ON_PATH("path_unlink_file", HC_FD_ROOT, T_HOST, T_A_TXT);
    ON_PATH("path_remove_directory", HC_FD_ROOT, T_TMP);
    op(e, "path_symlink"); PATH(1, T_HOST); b8(e, HC_FD_ROOT); PATH(2, T_Y);
    op(e, "path_rename"); b8(e, HC_FD_ROOT); PATH(1, T_HOST, T_A_TXT);
    b8(e, HC_FD_HOST); PATH(2, T_NEW);
    op(e, "path_link"); b8(e, HC_FD_HOST); b8(e, 0); PATH(1, T_A_TXT);
    b8(e, HC_FD_ROOT); PATH(2, T_X);
    op(e, "path_readlink"); b8(e, HC_FD_ROOT); PATH(1, T_HOST, T_OUT);
    b8(e, 64); b8(e, 10); b8(e, 4);
    op(e, "path_filestat_set_times"); b8(e, HC_FD_ROOT); b8(e, 0);
    PATH(1, T_HOST); b8(e, 0); b8(e, 0); b8(e, 10);
    op(e, "fd_fdstat_set_rights"); b8(e, HC_FD_ROOT); b8(e, 0); b8(e, 0);
    /* the root over a grant's fd */
    op(e, "fd_renumber"); b8(e, HC_FD_ROOT); b8(e, HC_FD_HOST);
    OPEN(HC_FD_HOST, 1, 1, ALL, 0, T_HOST, T_NEW);
    fd_call(e, "fd_close", HC_FD_HOST);
}

static void seed_escapes(enc *e)
{
    OPEN(HC_FD_HOST, 1, 0, ALL, 0, T_OUT);
    OPEN(HC_FD_HOST, 1, 0, ALL, 0, T_OUTDIR, T_CANARY);
    OPEN(HC_FD_HOST, 0, 0, ALL, 0, T_DOTDOT, T_OUTSIDE, T_CANARY);
    OPEN(HC_FD_HOST, 1, 0, ALL, 0, T_ABS);
    OPEN(HC_FD_RO, 1, 0, ALL, 0, T_ROUT, T_CANARY);
    OPEN(HC_FD_HOST, 1, 0, ALL, 0, T_SUB, T_DOTDOT, T_DOTDOT, T_OUTSIDE);
    OPEN(HC_FD_HOST, 1, 0, ALL, 0, T_EMPTY, T_X);    /* "/x" */
    OPEN(HC_FD_HOST, 1, 2, RD, 0, T_OUTDIR);
    OPEN(HC_FD_RO, 1, 9, ALL, 0, T_R_TXT);           /* EROFS */
    OPEN(HC_FD_RO, 1, 0, RD, 0, T_R_TXT);
    rw_call(e, "fd_write", LAST, 4);
    op(e, "path_link"); b8(e, HC_FD_RO); b8(e, 0); PATH(1, T_R_TXT);
    b8(e, HC_FD_HOST); PATH(2, T_X);
    op(e, "path_rename"); b8(e, HC_FD_HOST); PATH(1, T_A_TXT);
    b8(e, HC_FD_RO); PATH(2, T_X);
    OPEN(HC_FD_HOST, 1, 0, ALL, 0, T_LOOP);
    OPEN(HC_FD_HOST, 1, 0, ALL, 0, T_LONG256);
    OPEN(HC_FD_HOST, 1, 0, ALL, 0, T_NUL);
}

static void seed_misc(enc *e)
{
    op(e, "args_sizes_get"); b8(e, 4); b8(e, 5);
    op(e, "args_get"); b8(e, 6); b8(e, 7);
    op(e, "environ_sizes_get"); b8(e, 4); b8(e, 5);
    op(e, "environ_get"); b8(e, 6); b8(e, 7);
    for (uint8_t id = 0; id < 5; id++) {
        op(e, "clock_res_get"); b8(e, id); b8(e, 4);
    }
    op(e, "clock_time_get"); b8(e, 1); b8(e, 0); b8(e, 4);
    op(e, "random_get"); b8(e, 64); b8(e, 10);
    op(e, "sched_yield");
    for (uint8_t fd = 0; fd <= HC_FD_ROOT; fd++) {
        fd_out(e, "fd_prestat_get", fd, 4);
        fd_out(e, "fd_fdstat_get", fd, 6);
        fd_out(e, "fd_filestat_get", fd, 6);
    }
    op(e, "fd_prestat_dir_name"); b8(e, HC_FD_HOST); b8(e, 5); b8(e, 10);
    rw_call(e, "fd_write", 1, 20);
    rw_call(e, "fd_write", 2, 20);
    rw_call(e, "fd_read", 0, 20);
    rw_call(e, "fd_read", 0, 20);
    op(e, "fd_fdstat_set_rights"); b8(e, HC_FD_HOST); b8(e, 7); b8(e, 7);
    op(e, "fd_fdstat_set_rights"); b8(e, HC_FD_HOST); b8(e, 0); b8(e, 0);
    OPEN(HC_FD_HOST, 1, 1, WRS, 0, T_X);
    rw_call(e, "fd_write", 1, LEN(4));               /* output limit */
}

static void seed_poll(enc *e)
{
    op(e, "poll_oneoff");
    b8(e, 4);                                        /* 4 subscriptions */
    b8(e, 20);
    b8(e, 1); b8(e, 0); b8(e, 0); b8(e, 0); b8(e, 10); b8(e, 0);  /* clock */
    b8(e, 2); b8(e, 1); b8(e, 0);                    /* read stdin */
    b8(e, 3); b8(e, 2); b8(e, 1);                    /* write stdout */
    b8(e, 4); b8(e, 1); b8(e, HC_FD_SOCK);           /* read the socket */
    b8(e, 24);
    b8(e, 4);
    /* events over the subscriptions, an absolute realtime clock */
    op(e, "poll_oneoff");
    b8(e, 2);
    b8(e, 20);
    b8(e, 1); b8(e, 0); b8(e, 0); b8(e, 1); b8(e, 0xc8); b8(e, 0);
    b8(e, 2); b8(e, 2); b8(e, HC_FD_HOST);
    b8(e, 0x80 | 32);                                /* the same address */
    b8(e, 0x80 | 40);
    OPEN(HC_FD_HOST, 1, 0, RD, 4, T_FIFO);           /* NONBLOCK */
    op(e, "poll_oneoff");
    b8(e, 1); b8(e, 20);
    b8(e, 9); b8(e, 1); b8(e, LAST);
    b8(e, 24); b8(e, 4);
}

static void seed_sockets(enc *e)
{
    op(e, "sock_recv"); b8(e, HC_FD_SOCK); iov1(e, 16, 10); b8(e, 0);
    b8(e, 4); b8(e, 5);
    op(e, "sock_recv"); b8(e, HC_FD_SOCK); iov1(e, 16, 10); b8(e, 1);
    b8(e, 4); b8(e, 5);
    op(e, "sock_send"); b8(e, HC_FD_SOCK); iov1(e, 10, 10); b8(e, 0);
    b8(e, 4);
    op(e, "sock_accept"); b8(e, HC_FD_LISTEN); b8(e, 0); b8(e, 4);
    op(e, "sock_send"); b8(e, LAST); iov1(e, 10, 10); b8(e, 0); b8(e, 4);
    op(e, "@peer"); b8(e, 40);
    op(e, "sock_recv"); b8(e, HC_FD_SOCK); iov1(e, 40, 10); b8(e, 2);
    b8(e, 4); b8(e, 5);
    op(e, "sock_shutdown"); b8(e, HC_FD_SOCK); b8(e, 3);
    op(e, "@peer"); b8(e, 0x80);
    op(e, "sock_recv"); b8(e, HC_FD_SOCK); iov1(e, 100, 10); b8(e, 2);
    b8(e, 4); b8(e, 5);
    op(e, "sock_shutdown"); b8(e, HC_FD_HOST); b8(e, 1);
    /* a non-blocking listener with nothing to accept */
    op(e, "fd_fdstat_set_flags"); b8(e, HC_FD_LISTEN); b8(e, 4);
    op(e, "sock_accept"); b8(e, HC_FD_LISTEN); b8(e, 4); b8(e, 4);
    op(e, "sock_accept"); b8(e, HC_FD_LISTEN); b8(e, 0); b8(e, 4);
    /* more than the socket buffers hold: the deadline */
    op(e, "sock_send"); b8(e, HC_FD_SOCK); b8(e, 8); b8(e, 8);
    for (int i = 0; i < 8; i++) {
        b8(e, LEN(8));
        b8(e, 0);
    }
    b8(e, 0); b8(e, 4);
}

static void seed_fds(enc *e)
{
    OPEN(HC_FD_HOST, 1, 0, ALL, 0, T_A_TXT);
    op(e, "fd_renumber"); b8(e, LAST); b8(e, HC_FD_TMP);
    rw_call(e, "fd_read", HC_FD_TMP, 5);
    op(e, "fd_renumber"); b8(e, HC_FD_RO); b8(e, 12);
    fd_call(e, "fd_close", HC_FD_TMP);
    for (int i = 0; i < 9; i++)
        OPEN(HC_FD_HOST, 1, 0, RD, 0, T_B);          /* past --max-files */
    fd_call(e, "fd_close", 15);
    OPEN(HC_FD_TMP2, 0, 1, ALL, 0, T_X);
    rw_call(e, "fd_write", LAST, LEN(4));
    rw_call(e, "fd_write", LAST, LEN(4));            /* tmpfs is full */
}

static void seed_fifo(enc *e)
{
    OPEN(HC_FD_HOST, 1, 0, RD, 4, T_FIFO);
    rw_call(e, "fd_read", LAST, 10);
    OPEN(HC_FD_HOST, 1, 0, WRS, 4, T_FIFO);
    rw_call(e, "fd_write", LAST, 100);
    OPEN(HC_FD_HOST, 1, 0, RD, 0, T_FIFO);
    rw_call(e, "fd_read", LAST, 50);
    p_call(e, "fd_pread", LAST, 5, 0);               /* ESPIPE */
    OPEN(HC_FD_HOST, 1, 0, ALL, 0, T_ZERO);
    rw_call(e, "fd_read", LAST, 50);
    rw_call(e, "fd_write", LAST, 50);
    OPEN(HC_FD_HOST, 1, 0, ALL, 0, T_SOCKF);
    /* both ends at once, then more than the pipe holds: the deadline */
    OPEN(HC_FD_HOST, 1, 0, ALL, 0, T_FIFO);
    op(e, "fd_write"); b8(e, LAST); b8(e, 8); b8(e, 8);
    for (int i = 0; i < 8; i++) {
        b8(e, LEN(8));                               /* 64 KiB at 0 */
        b8(e, 0);
    }
    b8(e, 4);
}

/* fd_read of stdin with a count byte of iovecs: 8 empty ones from the
 * input at slot 0, the rest from memory */
static void many_iovecs(enc *e, uint8_t count)
{
    op(e, "fd_read");
    b8(e, 0);
    b8(e, count);
    b8(e, 0);
    for (int i = 0; i < 8; i++) {
        b8(e, 0);
        b8(e, 0);
    }
    b8(e, 4);
}

/* poll_oneoff of a count byte of subscriptions at address 0: 6 clocks
 * due at once from the input, the rest from memory */
static void many_subs(enc *e, uint8_t count)
{
    op(e, "poll_oneoff");
    b8(e, count);
    b8(e, 0);
    for (int i = 0; i < 6; i++)
        for (int k = 0; k < 6; k++)
            b8(e, 0);
    b8(e, 0);
    b8(e, 4);
}

static void seed_bounds(enc *e)
{
    fd_out(e, "fd_fdstat_get", HC_FD_HOST, END);
    fd_out(e, "fd_fdstat_get", HC_FD_HOST, END + 1);
    fd_out(e, "fd_filestat_get", HC_FD_HOST, SPECIAL(6));
    op(e, "random_get"); b8(e, LEN(17)); b8(e, 0);
    op(e, "random_get"); b8(e, LEN(8)); b8(e, 0);
    many_iovecs(e, 0xf2);                            /* 1025 */
    many_iovecs(e, 0xf1);                            /* 1024 */
    many_subs(e, 0xf1);                              /* 16385 */
    many_subs(e, 0xf3);                              /* 1365: all memory */
    op(e, "args_get"); b8(e, END); b8(e, END);
    op(e, "path_open"); b8(e, HC_FD_HOST); b8(e, 0);
    b8(e, 0xe9); b8(e, T_A_TXT); b8(e, 1);           /* length 2^32 - 1 */
    b8(e, 0); b8(e, ALL); b8(e, ALL); b8(e, 0); b8(e, 4);
    op(e, "fd_readdir"); b8(e, HC_FD_HOST); b8(e, LEN(8)); b8(e, 0);
    b8(e, BIG(32)); b8(e, 4);
}

static void seed_overlap(enc *e)
{
    /* the iovec array inside the buffer it describes */
    OPEN(HC_FD_HOST, 1, 0, ALL, 0, T_A_TXT);
    op(e, "fd_read"); b8(e, LAST); b8(e, 2); b8(e, 8);
    b8(e, 16); b8(e, 0x80 | 30); b8(e, 16); b8(e, 0x80 | 36);
    b8(e, 0x80 | 32);
    /* the fd written over the path */
    op(e, "path_open"); b8(e, HC_FD_HOST); b8(e, 1); PATH(1, T_A_TXT);
    b8(e, 0); b8(e, ALL); b8(e, ALL); b8(e, 0); b8(e, 0x80 | 32);
    /* readlink into its own path */
    op(e, "path_readlink"); b8(e, HC_FD_HOST); PATH(1, T_OUT); b8(e, 64);
    b8(e, 0x80 | 32); b8(e, 0x80 | 32);
}

static void seed_ends(enc *e)
{
    op(e, "proc_raise"); b8(e, 6);
}

static void seed_exits(enc *e)
{
    OPEN(HC_FD_TMP, 0, 1, ALL, 0, T_X);
    op(e, "proc_exit"); b8(e, 3);
}

typedef struct seed {
    const char *name;
    uint8_t cfg;
    void (*fn)(enc *);
} seed;

int hc_write_seeds(const char *dir)
{
    static const seed seeds[] = {
        { "host-read", 0, seed_host_read },
        { "host-read-walk", HC_CFG_WALK, seed_host_read },
        { "host-write", 0, seed_host_write },
        { "host-write-big", HC_CFG_BIG_DISK, seed_host_write },
        { "host-write-tiny", HC_CFG_TINY_DISK, seed_host_write },
        { "tmpfs-nodisk", HC_CFG_TINY_DISK | HC_CFG_BIG_DISK, seed_tmpfs },
        { "tmpfs", 0, seed_tmpfs },
        { "tmpfs-edges", 0, seed_tmpfs_edges },
        { "host-edges", 0, seed_host_edges },
        { "host-edges-walk", HC_CFG_WALK, seed_host_edges },
        { "links", 0, seed_links },
        { "links-walk", HC_CFG_WALK, seed_links },
        { "grants", 0, seed_grants },
        { "grants-walk", HC_CFG_WALK, seed_grants },
        { "tmpfs-links", 0, seed_tmpfs_links },
        { "root", 0, seed_root },
        { "root-walk", HC_CFG_WALK, seed_root },
        { "escapes", 0, seed_escapes },
        { "escapes-walk", HC_CFG_WALK, seed_escapes },
        { "misc", 0, seed_misc },
        { "misc-nostdin-outfail", HC_CFG_NO_STDIN | HC_CFG_OUT_FAIL,
          seed_misc },
        { "misc-outpipe-stdinsock", HC_CFG_OUT_PIPE | HC_CFG_STDIN_SOCK,
          seed_misc },
        { "poll", 0, seed_poll },
        { "poll-stdinsock", HC_CFG_STDIN_SOCK, seed_poll },
        { "sockets", 0, seed_sockets },
        { "fds", 0, seed_fds },
        { "fifo", 0, seed_fifo },
        { "bounds", 0, seed_bounds },
        { "overlap", 0, seed_overlap },
        { "raise", 0, seed_ends },
        { "exit", 0, seed_exits },
    };
    int n = 0;
    for (size_t i = 0; i < sizeof seeds / sizeof *seeds; i++) {
        enc e = { .n = 0 };
        b8(&e, seeds[i].cfg);
        seeds[i].fn(&e);
        if (!hc_write_seed(dir, seeds[i].name, &e))
            return -1;
        n++;
    }
    return n;
}
