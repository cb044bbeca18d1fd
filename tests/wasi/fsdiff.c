// fsdiff.c SEED OPS: a random sequence of file-system calls on the grant
// at fd 3, printed as a canonical transcript (each call's errno and
// results, then the final tree with sizes and content hashes). Run by
// tests/wasi/fsdiff.sh on a --tmpfs and on a --dir grant of a fresh host
// directory: the transcripts must be identical, so the tmpfs answers what
// the kernel answers.
//
// Left out of the transcript, where the two differ by design:
//   - inode and device numbers, times (which names are hard links of one
//     file shows as the first name of the final tree with its inode,
//     "same=a/b");
//   - readdir order (entries are sorted);
//   - a directory's size (the host's depends on its file system) and its
//     link count (printed only as zero or not: file systems count
//     subdirectories differently).
// Symlinks, hard links and readlink are generated with the rest, so the
// tmpfs follows, refuses and counts links as a host grant does. Both
// refuse a symlink whose target could lead out of the grant (EPERM, the
// rule of docs/grants.md), which Linux would make.
// Differences of the tmpfs that the transcript does not reach: file size
// is capped at 1 TiB (EFBIG); holes cost nothing of the tmpfs size; an
// fd_allocate that runs out of space keeps the pages it got (Linux gives
// them back). Where both kinds of grant differ from Linux alike: rmdir of
// "x/.." answers EINVAL (Linux: ENOTEMPTY), since no call acts on a name
// outside the directory that "x/.." resolves to; O_CREAT|O_DIRECTORY is
// EINVAL on every kernel (Linux before 6.4 differed).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>

#define ROOT 3
#define NSLOT 6
#define MAXIO 20000

static uint64_t rng;
static void gen_path(char *out);
static uint64_t next(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545F4914F6CDD1Dull;
}
static uint32_t pick(uint32_t n) { return (uint32_t)(next() >> 33) % n; }
static int chance(int percent) { return pick(100) < (uint32_t)percent; }

static struct { __wasi_fd_t fd; int open, dir; } slot[NSLOT];
static uint8_t buf[MAXIO], rbuf[MAXIO];

static uint64_t hash(const uint8_t *p, size_t n, uint64_t h)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

/* ---- arguments ---------------------------------------------------------- */

/* A symlink's target: mostly relative paths, some climbing further up,
 * trailing slashes, dots, now and then an absolute one. */
static void gen_target(char *out)
{
    static const char *const up[] = { "", "../", "../../", "../../../" };
    char rest[64];
    gen_path(rest);
    strcpy(out, chance(75) ? "" : up[pick(4)]);
    strcat(out, rest[0] == '/' && out[0] ? rest + 1 : rest);
}

static void gen_path(char *out)
{
    static const char *const name[] = { "a", "b", "c" };
    uint32_t depth = pick(100);
    int n = depth < 50 ? 1 : depth < 85 ? 2 : 3;
    out[0] = 0;
    if (chance(2))
        strcat(out, "/");
    for (int i = 0; i < n; i++) {
        uint32_t k = pick(100);
        const char *c = k < 80 ? name[pick(3)] : k < 88 ? ".." : k < 95 ? "."
                      : i < n - 1 ? "" : "a";
        strcat(out, c);
        if (i < n - 1)
            strcat(out, "/");
    }
    if (chance(12))
        strcat(out, "/");
}

/* An open slot, preferring directories (want 1) or files (want 0); -1
 * (a closed fd) now and then or when nothing is open. */
static int gen_slot_of(int want)
{
    int any[NSLOT], pref[NSLOT], na = 0, np = 0;
    for (int s = 0; s < NSLOT; s++)
        if (slot[s].open) {
            any[na++] = s;
            if (slot[s].dir == want)
                pref[np++] = s;
        }
    if (!na || chance(3))
        return -1;
    return np && chance(85) ? pref[pick((uint32_t)np)] : any[pick((uint32_t)na)];
}

static int gen_slot(void) { return gen_slot_of(0); }

/* A directory to resolve from: the grant or an open slot. */
static __wasi_fd_t gen_base(char *name)
{
    int s = chance(50) ? -1 : gen_slot_of(1);
    if (s < 0) {
        strcpy(name, "root");
        return ROOT;
    }
    sprintf(name, "s%d", s);
    return slot[s].fd;
}

static __wasi_fd_t slot_fd(int s) { return s < 0 ? 77 : slot[s].fd; }

static uint64_t gen_offset(void)
{
    switch (pick(6)) {
    case 0: return 0;
    case 1: return pick(64);
    case 2: return pick(5000);
    case 3: return 4096 * (1 + pick(20)) + pick(3) - 1;
    case 4: return pick(70000) | 1;
    default: return chance(50) ? (1u << 20) + 4093 : pick(300000);
    }
}

static size_t gen_len(void)
{
    return chance(3) ? 0 : chance(80) ? pick(5000) : pick(MAXIO);
}

static void fill(size_t n)
{
    uint8_t b = (uint8_t)next();
    for (size_t i = 0; i < n; i++)
        buf[i] = (uint8_t)(b + i * 7);
}

/* ---- reporting ---------------------------------------------------------- */

static const char *type_name(__wasi_filetype_t t)
{
    return t == __WASI_FILETYPE_DIRECTORY ? "dir"
         : t == __WASI_FILETYPE_REGULAR_FILE ? "file"
         : t == __WASI_FILETYPE_SYMBOLIC_LINK ? "link" : "other";
}

static void print_stat(const __wasi_filestat_t *st)
{
    if (st->filetype == __WASI_FILETYPE_DIRECTORY)
        printf(" dir links=%s", st->nlink ? "some" : "0");
    else
        printf(" %s links=%llu size=%llu", type_name(st->filetype),
               (unsigned long long)st->nlink, (unsigned long long)st->size);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Entries of an open directory, sorted, as "name:type"; errno or 0. */
static __wasi_errno_t list_dir(__wasi_fd_t fd, char **names, int *n, int max)
{
    static uint8_t dbuf[65536];
    __wasi_dircookie_t cookie = 0;
    *n = 0;
    for (;;) {
        __wasi_size_t used;
        __wasi_errno_t e = __wasi_fd_readdir(fd, dbuf, sizeof dbuf, cookie,
                                             &used);
        if (e)
            return e;
        size_t at = 0;
        while (at + sizeof(__wasi_dirent_t) <= used) {
            __wasi_dirent_t d;
            memcpy(&d, dbuf + at, sizeof d);
            at += sizeof d;
            if (at + d.d_namlen > used)
                break;                     /* cut: read again from cookie */
            if (*n < max) {
                names[*n] = malloc(d.d_namlen + 8);
                sprintf(names[*n], "%.*s:%s", (int)d.d_namlen,
                        (char *)dbuf + at, type_name(d.d_type));
                (*n)++;
            }
            at += d.d_namlen;
            cookie = d.d_next;
        }
        if (used < sizeof dbuf)
            break;
    }
    qsort(names, (size_t)*n, sizeof *names, cmp_str);
    return 0;
}

static void print_dir(__wasi_fd_t fd)
{
    char *names[256];
    int n;
    __wasi_errno_t e = list_dir(fd, names, &n, 256);
    printf(" -> %d", e);
    for (int i = 0; i < n; i++) {
        printf(" %s", names[i]);
        free(names[i]);
    }
}

/* Hash of a file's whole content through fd, from offset 0. */
static void print_content(__wasi_fd_t fd)
{
    uint64_t h = 0xcbf29ce484222325ull, off = 0;
    for (;;) {
        __wasi_iovec_t v = { rbuf, sizeof rbuf };
        __wasi_size_t got;
        __wasi_errno_t e = __wasi_fd_pread(fd, &v, 1, off, &got);
        if (e) {
            printf(" read-errno=%d", e);
            return;
        }
        if (!got)
            break;
        h = hash(rbuf, got, h);
        off += got;
    }
    printf(" bytes=%llu hash=%016llx", (unsigned long long)off,
           (unsigned long long)h);
}

/* ---- operations --------------------------------------------------------- */

static const __wasi_rights_t R_READ = __WASI_RIGHTS_FD_READ |
    __WASI_RIGHTS_FD_SEEK | __WASI_RIGHTS_FD_TELL | __WASI_RIGHTS_FD_READDIR |
    __WASI_RIGHTS_FD_FILESTAT_GET | __WASI_RIGHTS_PATH_OPEN |
    __WASI_RIGHTS_PATH_FILESTAT_GET;
static const __wasi_rights_t R_WRITE = __WASI_RIGHTS_FD_WRITE |
    __WASI_RIGHTS_FD_FILESTAT_SET_SIZE | __WASI_RIGHTS_FD_ALLOCATE;

/* Lookup flags: mostly following, as wasi-libc's open() does. */
static __wasi_lookupflags_t gen_follow(void)
{
    return chance(75) ? __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW : 0;
}

static void do_open(__wasi_fd_t at, const char *base, const char *path,
                    __wasi_oflags_t of, uint32_t r, __wasi_fdflags_t ff)
{
    __wasi_rights_t rights = r == 0 ? R_READ : r == 1 ? R_WRITE
                           : R_READ | R_WRITE;
    __wasi_fd_t fd = 0;
    int s = (int)pick(NSLOT);
    if (slot[s].open) {
        printf("close s%d -> %d\n", s, __wasi_fd_close(slot[s].fd));
        slot[s].open = 0;
    }
    __wasi_lookupflags_t lf = gen_follow();
    __wasi_errno_t e = __wasi_path_open(at, lf, path, of, rights, ~0ull, ff,
                                        &fd);
    printf("open s%d %s '%s' lf=%u of=%u r=%u ff=%u -> %d", s, base, path,
           lf, of, r, ff, e);
    if (!e) {
        __wasi_fdstat_t st;
        if (__wasi_fd_fdstat_get(fd, &st))
            st.fs_filetype = 0;
        printf(" %s", type_name(st.fs_filetype));
        slot[s].fd = fd;
        slot[s].open = 1;
        slot[s].dir = st.fs_filetype == __WASI_FILETYPE_DIRECTORY;
    }
    printf("\n");
}

static void op_open(void)
{
    char path[64], base[8];
    __wasi_fd_t at = gen_base(base);
    gen_path(path);
    __wasi_oflags_t of = 0;
    uint32_t r = pick(3), mode = pick(10);
    if (mode < 4) {                       /* a directory */
        of = chance(70) ? __WASI_OFLAGS_DIRECTORY : 0;
        r = 0;
    } else if (mode < 8) {                /* a file */
        if (chance(70)) of |= __WASI_OFLAGS_CREAT;
        if (chance(10)) of |= __WASI_OFLAGS_EXCL;
        if (chance(10)) of |= __WASI_OFLAGS_TRUNC;
    } else {                              /* anything */
        of = (__wasi_oflags_t)pick(16);
    }
    do_open(at, base, path, of, r, chance(15) ? __WASI_FDFLAGS_APPEND : 0);
}

/* Open a directory and remove it at once: later calls meet a directory
 * that is open but gone. */
static void op_open_rmdir(void)
{
    char path[64], base[8];
    __wasi_fd_t at = gen_base(base);
    gen_path(path);
    do_open(at, base, path, __WASI_OFLAGS_DIRECTORY, 0, 0);
    printf("rmdir %s '%s' -> %d\n", base, path,
           __wasi_path_remove_directory(at, path));
}

static void op_path1(int kind)
{
    static const char *const names[] = { "mkdir", "rmdir", "unlink",
                                         "stat", "times" };
    char path[64], base[8];
    __wasi_fd_t at = gen_base(base);
    __wasi_filestat_t st;
    __wasi_errno_t e;
    __wasi_lookupflags_t lf = kind >= 3 ? gen_follow() : 0;
    gen_path(path);
    switch (kind) {
    case 0: e = __wasi_path_create_directory(at, path); break;
    case 1: e = __wasi_path_remove_directory(at, path); break;
    case 2: e = __wasi_path_unlink_file(at, path); break;
    case 3: e = __wasi_path_filestat_get(at, lf, path, &st); break;
    default:
        e = __wasi_path_filestat_set_times(at, lf, path, 0, 0,
                                           __WASI_FSTFLAGS_ATIM_NOW |
                                           __WASI_FSTFLAGS_MTIM_NOW);
        break;
    }
    printf("%s %s '%s' lf=%u -> %d", names[kind], base, path, lf, e);
    if (kind == 3 && !e)
        print_stat(&st);
    printf("\n");
}

/* A name for link calls: half the time one at the top (more of them
 * succeed), else any path. */
static void gen_link_path(char *out)
{
    static const char *const name[] = { "a", "b", "c", "l", "m" };
    if (chance(50))
        strcpy(out, name[pick(5)]);
    else
        gen_path(out);
}

static void op_symlink(void)
{
    char target[96], path[64], base[8];
    __wasi_fd_t at = gen_base(base);
    gen_target(target);
    gen_link_path(path);
    printf("symlink '%s' %s '%s' -> %d\n", target, base, path,
           __wasi_path_symlink(target, at, path));
}

static void op_link(void)
{
    char p1[64], p2[64], b1[8] = "root", b2[8] = "root";
    __wasi_fd_t d1 = chance(30) ? gen_base(b1) : ROOT;
    __wasi_fd_t d2 = chance(30) ? gen_base(b2) : ROOT;
    __wasi_lookupflags_t lf = chance(50) ? __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW
                                         : 0;
    gen_link_path(p1);
    gen_link_path(p2);
    if (chance(40)) {
        /* a file to link: most names are directories or missing */
        __wasi_fd_t fd;
        strcpy(p1, chance(50) ? "x" : "a/x");
        __wasi_errno_t e = __wasi_path_open(ROOT, 0, p1,
                                            __WASI_OFLAGS_CREAT, R_WRITE,
                                            0, 0, &fd);
        printf("creat '%s' -> %d, ", p1, e);
        if (!e)
            __wasi_fd_close(fd);
    }
    printf("link %s '%s' lf=%u %s '%s' -> %d\n", b1, p1, lf, b2, p2,
           __wasi_path_link(d1, lf, p1, d2, p2));
}

static void op_readlink(void)
{
    char path[64], base[8], buf[128];
    __wasi_fd_t at = gen_base(base);
    __wasi_size_t n = 0;
    __wasi_size_t cap = chance(10) ? pick(4) : sizeof buf;
    gen_link_path(path);
    __wasi_errno_t e = __wasi_path_readlink(at, path, (uint8_t *)buf, cap,
                                            &n);
    printf("readlink %s '%s' %u -> %d", base, path, cap, e);
    if (!e)
        printf(" '%.*s'", (int)n, buf);
    printf("\n");
}

static void op_rename(void)
{
    char p1[64], p2[64], b1[8], b2[8];
    __wasi_fd_t d1 = gen_base(b1), d2 = gen_base(b2);
    gen_path(p1);
    gen_path(p2);
    printf("rename %s '%s' %s '%s' -> %d\n", b1, p1, b2, p2,
           __wasi_path_rename(d1, p1, d2, p2));
}

static void op_write(int positioned)
{
    int s = gen_slot();
    size_t n = gen_len();
    uint64_t off = gen_offset();
    __wasi_size_t done = 0;
    fill(n);
    __wasi_ciovec_t v[2] = { { buf, n / 3 }, { buf + n / 3, n - n / 3 } };
    __wasi_errno_t e = positioned
        ? __wasi_fd_pwrite(slot_fd(s), v, 2, off, &done)
        : __wasi_fd_write(slot_fd(s), v, 2, &done);
    if (positioned)
        printf("pwrite s%d %zu @%llu -> %d %lu\n", s, n,
               (unsigned long long)off, e, e ? 0 : done);
    else
        printf("write s%d %zu -> %d %lu\n", s, n, e, e ? 0 : done);
}

static void op_read(int positioned)
{
    int s = gen_slot();
    size_t n = gen_len();
    uint64_t off = gen_offset();
    __wasi_size_t got = 0;
    __wasi_iovec_t v[2] = { { rbuf, n / 2 }, { rbuf + n / 2, n - n / 2 } };
    __wasi_errno_t e = positioned
        ? __wasi_fd_pread(slot_fd(s), v, 2, off, &got)
        : __wasi_fd_read(slot_fd(s), v, 2, &got);
    if (e)
        got = 0;
    printf("%s s%d %zu", positioned ? "pread" : "read", s, n);
    if (positioned)
        printf(" @%llu", (unsigned long long)off);
    printf(" -> %d %lu %016llx\n", e, got,
           (unsigned long long)hash(rbuf, got, 0xcbf29ce484222325ull));
}

static void op_seek(void)
{
    int s = gen_slot();
    uint32_t wh = pick(3);
    int64_t delta = wh == 0 ? (int64_t)gen_offset()
                  : (int64_t)pick(20000) - 10000;
    __wasi_filesize_t pos = 0;
    __wasi_errno_t e = __wasi_fd_seek(slot_fd(s), delta, (uint8_t)wh, &pos);
    printf("seek s%d %lld/%u -> %d %llu\n", s, (long long)delta, wh, e,
           e ? 0ull : (unsigned long long)pos);
}

static void op_size(int allocate)
{
    int s = gen_slot();
    uint64_t a = gen_offset(), b = 1 + pick(9000);
    __wasi_errno_t e = allocate ? __wasi_fd_allocate(slot_fd(s), a, b)
                                : __wasi_fd_filestat_set_size(slot_fd(s), a);
    if (allocate)
        printf("allocate s%d @%llu +%llu -> %d\n", s, (unsigned long long)a,
               (unsigned long long)b, e);
    else
        printf("truncate s%d %llu -> %d\n", s, (unsigned long long)a, e);
}

static void op_fstat(void)
{
    int s = gen_slot_of((int)pick(2));
    __wasi_filestat_t st;
    __wasi_errno_t e = __wasi_fd_filestat_get(slot_fd(s), &st);
    printf("fstat s%d -> %d", s, e);
    if (!e)
        print_stat(&st);
    printf("\n");
}

static void op_readdir(void)
{
    int s = gen_slot_of(1);
    printf("readdir s%d", s);
    print_dir(s < 0 ? ROOT : slot[s].fd);
    printf("\n");
}

static void op_close(void)
{
    int s = gen_slot_of((int)pick(2));
    printf("close s%d -> %d\n", s, __wasi_fd_close(slot_fd(s)));
    if (s >= 0)
        slot[s].open = 0;
}

static void step(void)
{
    switch (pick(34)) {
    case 28: case 29: op_symlink(); break;
    case 30: op_link(); break;
    case 31: op_readlink(); break;
    case 32: op_path1(4); break;                        /* times */
    case 33: op_path1(3); break;                        /* stat */
    case 0: case 1: case 2: case 3: op_open(); break;
    case 4: case 5: case 6: op_path1(0); break;         /* mkdir */
    case 7: case 8: op_path1(1); break;                 /* rmdir */
    case 9: op_path1(2); break;                         /* unlink */
    case 10: op_path1(3); break;                        /* stat */
    case 11: case 12: case 13: op_rename(); break;
    case 14: case 15: op_write(0); break;
    case 16: case 17: op_write(1); break;
    case 18: op_read(0); break;
    case 19: op_read(1); break;
    case 20: op_seek(); break;
    case 21: op_size(0); break;
    case 22: op_size(1); break;
    case 23: op_fstat(); break;
    case 24: op_readdir(); break;
    case 25: op_open_rmdir(); break;
    default: chance(50) ? op_close() : op_open(); break;
    }
}

/* ---- the final state ---------------------------------------------------- */

/* Names seen in the final tree, by inode: hard links show as "same=". */
static struct { __wasi_device_t dev; __wasi_inode_t ino; char path[96]; }
    seen[512];
static int nseen;

static void print_same(const __wasi_filestat_t *st, const char *path)
{
    for (int i = 0; i < nseen; i++)
        if (seen[i].dev == st->dev && seen[i].ino == st->ino) {
            printf(" same=%s", seen[i].path);
            return;
        }
    if (nseen < 512) {
        seen[nseen].dev = st->dev;
        seen[nseen].ino = st->ino;
        snprintf(seen[nseen++].path, sizeof seen[0].path, "%s", path);
    }
}

static void dump_entry(const char *path, int depth);

static void dump_tree(__wasi_fd_t dir, const char *prefix, int depth)
{
    char *names[256];
    int n;
    if (list_dir(dir, names, &n, 256) || depth > 16)
        return;
    for (int i = 0; i < n; i++) {
        char *colon = strrchr(names[i], ':'), path[512];
        *colon = 0;
        if (strcmp(names[i], ".") && strcmp(names[i], "..")) {
            snprintf(path, sizeof path, "%s%s", prefix, names[i]);
            dump_entry(path, depth);
        }
        free(names[i]);
    }
}

static void dump_entry(const char *path, int depth)
{
    __wasi_filestat_t st;
    __wasi_fd_t fd;
    char buf[512];
    __wasi_size_t len;
    printf("tree %s ->", path);
    if (__wasi_path_filestat_get(ROOT, 0, path, &st) == 0 &&
        st.filetype == __WASI_FILETYPE_SYMBOLIC_LINK) {
        print_stat(&st);
        print_same(&st, path);
        if (__wasi_path_readlink(ROOT, path, (uint8_t *)buf, sizeof buf,
                                 &len) == 0)
            printf(" -> '%.*s'", (int)len, buf);
        printf("\n");
        return;
    }
    __wasi_errno_t e = __wasi_path_open(ROOT, 0, path, 0, R_READ, R_READ, 0,
                                        &fd);
    if (e) {
        printf(" open errno %d\n", e);
        return;
    }
    if (__wasi_fd_filestat_get(fd, &st) == 0) {
        print_stat(&st);
        if (st.filetype == __WASI_FILETYPE_REGULAR_FILE) {
            print_same(&st, path);
            print_content(fd);
        }
        printf("\n");
        if (st.filetype == __WASI_FILETYPE_DIRECTORY) {
            snprintf(buf, sizeof buf, "%s/", path);
            dump_tree(fd, buf, depth + 1);
        }
    }
    if (__wasi_fd_close(fd))
        printf("close errno\n");
}

int main(int argc, char **argv)
{
    unsigned long long seed = argc > 1 ? strtoull(argv[1], 0, 10) : 1;
    long ops = argc > 2 ? atol(argv[2]) : 300;
    rng = seed * 0x9E3779B97F4A7C15ull + 1;
    for (long i = 0; i < ops; i++) {
        printf("%ld ", i);
        step();
    }
    printf("final\n");
    for (int s = 0; s < NSLOT; s++)
        if (slot[s].open) {
            __wasi_filestat_t st;
            printf("slot s%d ->", s);
            if (__wasi_fd_filestat_get(slot[s].fd, &st) == 0) {
                print_stat(&st);
                if (st.filetype == __WASI_FILETYPE_REGULAR_FILE)
                    print_content(slot[s].fd);
                else
                    print_dir(slot[s].fd);
            }
            printf("\n");
        }
    printf("tree .");
    print_dir(ROOT);
    printf("\n");
    dump_tree(ROOT, "", 0);
    return 0;
}
