/*
 * native_file.c: native code files (wasmbox compile, the code cache) and
 * the loader that maps an image (native.h) as running code, without LLVM.
 *
 * A file is a 160-byte header, then the image: the code, the read-only
 * data, two offsets per defined function (its typed function and its
 * entry wrapper), and the fix-ups (offset, value). Integers are little
 * endian. The header names what the code depends on: the wasmbox
 * version and build ("0.1.0+<WB_NATIVE_BUILD>") and native ABI, the LLVM version, the architecture and CPU
 * (wb_native_cpu_key) and the module (XXH3-128 of its bytes and its
 * length); XXH3 checksums cover the header and the image. A file that
 * does not match this process or that module, or whose sizes, offsets or
 * fix-ups leave the image, is refused with one line.
 *
 * Native code is trusted input: the checks catch accidents (a stale,
 * foreign, truncated or corrupted file), not an attacker, who could
 * write a consistent file with any machine code in it. That is why the
 * cache refuses files and directories other users can write
 * (native_cache.c); a file given with `run --native-code` must be as
 * trusted as the wasmbox binary itself.
 *
 * Mapping (W^X): the image is mapped read-write, filled and fixed up,
 * then its code is made read-execute and its data read-only; no page is
 * ever writable and executable at once.
 */
#include "native.h"
#include "prefault.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include <xxhash.h>

#ifndef WB_LLVM_VERSION
#define WB_LLVM_VERSION "none"
#endif
/* native_build.h (made by the Makefile): WB_NATIVE_BUILD, 8 hex digits
 * of a hash of the sources compiled code depends on (the translator, the
 * native runtime and loader, the engine's structures). */
#ifdef WB_HAVE_NATIVE_BUILD
#include "native_build.h"
#endif
#ifndef WB_NATIVE_BUILD
#define WB_NATIVE_BUILD "0"
#endif
#define BUILD_VERSION WB_VERSION "+" WB_NATIVE_BUILD

enum {
    H_MAGIC = 0, H_FORMAT = 8, H_HDRLEN = 12, H_ARCH = 16, H_ABI = 20,
    H_VERSION = 24, H_LLVM = 40, H_CPU = 64, H_MODHASH = 72, H_MODLEN = 88,
    H_NFUNCS = 96, H_NRELOCS = 100, H_CODE = 104, H_ROOFF = 112,
    H_RO = 120, H_BODY = 128, H_SELF = 152, WB_NFILE_HDR = 160,
    VERSION_LEN = 16, LLVM_LEN = 24, FORMAT = 2,
};
/* Format 2 lays the image out in the file as it is in memory, at a
 * multiple of the page size, so that a load maps the file instead of
 * copying 8 MiB (CPython's code) into fresh pages. */
#define BODY_AT ((uint64_t)WB_NATIVE_ALIGN)
_Static_assert(sizeof BUILD_VERSION <= VERSION_LEN, "version field");
#define MAGIC "WBNATIVE"
/* Larger than any image of a module the decoder accepts. */
#define MAX_AREA (1ull << 32)

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> 8 * i);
}

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> 8 * i);
}

static uint32_t get32(const uint8_t *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static uint64_t get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

const char *wb_native_llvm_version(void) { return WB_LLVM_VERSION; }
const char *wb_native_build_version(void) { return BUILD_VERSION; }

uint32_t wb_native_abi_tag(void)
{
    return WB_NATIVE_ABI | (wb_native_helper_table.guard_reserve ? 1u << 31
                                                                 : 0);
}

/* ---- the header ---------------------------------------------------------- */

static void header_encode(const wb_module *m, const wb_native_image *img,
                          uint64_t body_hash, uint8_t h[WB_NFILE_HDR])
{
    memset(h, 0, WB_NFILE_HDR);
    memcpy(h + H_MAGIC, MAGIC, 8);
    put32(h + H_FORMAT, FORMAT);
    put32(h + H_HDRLEN, WB_NFILE_HDR);
    put32(h + H_ARCH, img->arch);
    put32(h + H_ABI, wb_native_abi_tag());
    strncpy((char *)h + H_VERSION, BUILD_VERSION, VERSION_LEN - 1);
    strncpy((char *)h + H_LLVM, WB_LLVM_VERSION, LLVM_LEN - 1);
    put64(h + H_CPU, wb_native_cpu_key());
    uint64_t mh[2];
    wb_module_hash128(m, mh);
    put64(h + H_MODHASH, mh[0]);
    put64(h + H_MODHASH + 8, mh[1]);
    put64(h + H_MODLEN, m->len);
    put32(h + H_NFUNCS, img->nfuncs);
    put32(h + H_NRELOCS, img->nrelocs);
    put64(h + H_CODE, img->code_len);
    put64(h + H_ROOFF, img->ro_off);
    put64(h + H_RO, img->ro_len);
    put64(h + H_BODY, body_hash);
    put64(h + H_SELF, XXH3_64bits(h, H_SELF));
}

static wb_status refuse(wb_error *err, const char *fmt, const char *a,
                        const char *b)
{
    return wb_err_set(err, WB_E_INVALID, fmt, a, b);
}

/* What the header says, checked against this process and module `m`
 * and a file of `size` bytes; the image fields of `img` are filled. */
wb_status wb_native_header_check(const uint8_t *h, uint64_t size,
                                 const wb_module *m, wb_native_image *img,
                                 uint64_t *body_hash, wb_error *err)
{
    if (size < WB_NFILE_HDR || memcmp(h + H_MAGIC, MAGIC, 8))
        return refuse(err, "not a wasmbox native code file", "", "");
    if (get64(h + H_SELF) != XXH3_64bits(h, H_SELF))
        return refuse(err, "corrupted (its header's checksum differs)", "", "");
    if (get32(h + H_FORMAT) != FORMAT || get32(h + H_HDRLEN) != WB_NFILE_HDR)
        return refuse(err, "written in another format", "", "");
    char ver[VERSION_LEN + 1] = { 0 }, llvm[LLVM_LEN + 1] = { 0 };
    memcpy(ver, h + H_VERSION, VERSION_LEN - 1);
    memcpy(llvm, h + H_LLVM, LLVM_LEN - 1);
    if (strcmp(ver, BUILD_VERSION) || get32(h + H_ABI) != wb_native_abi_tag())
        return refuse(err, "compiled by another version of wasmbox (%s, "
                      "this is " BUILD_VERSION ")%s", ver,
                      get32(h + H_ABI) != wb_native_abi_tag() ? " or build"
                                                                : "");
    if (strcmp(llvm, WB_LLVM_VERSION))
        return refuse(err, "compiled with LLVM %s (this wasmbox uses %s)",
                      llvm, WB_LLVM_VERSION);
    if (get32(h + H_ARCH) != wb_native_arch() ||
        get64(h + H_CPU) != wb_native_cpu_key())
        return refuse(err, "compiled for another CPU (its features differ "
                      "from this one's)", "", "");
    uint64_t mh[2];
    wb_module_hash128(m, mh);
    if (get64(h + H_MODHASH) != mh[0] ||
        get64(h + H_MODHASH + 8) != mh[1] || get64(h + H_MODLEN) != m->len)
        return refuse(err, "compiled from another module", "", "");
    img->arch = get32(h + H_ARCH);
    img->nfuncs = get32(h + H_NFUNCS);
    img->nrelocs = get32(h + H_NRELOCS);
    img->code_len = get64(h + H_CODE);
    img->ro_off = get64(h + H_ROOFF);
    img->ro_len = get64(h + H_RO);
    *body_hash = get64(h + H_BODY);
    /* each term is bounded first, so the sum cannot wrap */
    if (img->nfuncs != m->nfuncs - m->nfunc_imports ||
        img->code_len > MAX_AREA || img->ro_len > MAX_AREA ||
        img->ro_off % WB_NATIVE_ALIGN || img->ro_off < img->code_len ||
        img->ro_off - img->code_len > WB_NATIVE_ALIGN ||
        size != BODY_AT + img->ro_off + img->ro_len +
                16 * (uint64_t)img->nfuncs + 16 * (uint64_t)img->nrelocs)
        return refuse(err, "corrupted or truncated (its sizes do not add "
                      "up)", "", "");
    return WB_OK;
}

/* Offsets and fix-ups must stay inside the image's two areas. */
wb_status wb_native_image_check(const wb_native_image *img, wb_error *err)
{
    for (uint64_t i = 0; i < 2 * (uint64_t)img->nfuncs; i++)
        if (img->offsets[i] >= img->code_len)
            return refuse(err, "corrupted (a function outside its code)",
                          "", "");
    uint64_t end = img->ro_off + img->ro_len;
    for (uint64_t i = 0; i < img->nrelocs; i++) {
        uint64_t off = img->relocs[2 * i], v = img->relocs[2 * i + 1];
        bool in_code = off < img->code_len && img->code_len - off >= 8;
        bool in_ro = off >= img->ro_off && off < end && end - off >= 8;
        if ((!in_code && !in_ro) || v >= end)
            return refuse(err, "corrupted (a fix-up outside its image)", "",
                          "");
    }
    return WB_OK;
}

/* ---- mapping ------------------------------------------------------------- */

static size_t page_up(uint64_t n)
{
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    return (size_t)((n + pg - 1) / pg * pg);
}

/* A mapping of the image's size, read-write, for its bytes. */
static uint8_t *map_rw(const wb_native_image *img, size_t *size)
{
    *size = page_up(img->ro_off + img->ro_len);
    void *p = mmap(NULL, *size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

/* The bytes are in `base`: fix up, protect, make the function tables. */
static wb_status finish_map(const wb_native_image *img, uint8_t *base,
                            size_t size, wb_native_code **out, wb_error *err)
{
    for (uint32_t i = 0; i < img->nrelocs; i++) {
        uint64_t v = (uint64_t)(uintptr_t)base + img->relocs[2 * i + 1];
        memcpy(base + img->relocs[2 * i], &v, 8);
    }
    wb_native_code *c = calloc(1, sizeof *c);
    size_t n = img->nfuncs ? img->nfuncs : 1;
    if (c) {
        /* written whole below: CPython's 9,300 entries each took ~20
         * page faults one by one (prefault.h) */
        c->fns = wb_calloc_prefault(n, sizeof *c->fns);
        c->entries = wb_calloc_prefault(n, sizeof *c->entries);
    }
    size_t code = page_up(img->code_len);
    __builtin___clear_cache((char *)base, (char *)base + img->code_len);
    if (!c || !c->fns || !c->entries ||
        (code && mprotect(base, code, PROT_READ | PROT_EXEC)) ||
        (size > img->ro_off &&
         mprotect(base + img->ro_off, size - img->ro_off, PROT_READ))) {
        if (c) {
            free(c->fns);
            free(c->entries);
        }
        free(c);
        munmap(base, size);
        return wb_err_set(err, WB_E_NOMEM, "cannot map native code: %s",
                          strerror(errno));
    }
    for (uint32_t d = 0; d < img->nfuncs; d++) {
        c->fns[d] = base + img->offsets[2 * d];
        void *e = base + img->offsets[2 * d + 1];
        memcpy(&c->entries[d], &e, sizeof e);
    }
    c->nfuncs = img->nfuncs;
    if (!wb_native_layout_ok(c)) {      /* native_frames.c walks it */
        free(c->fns);
        free(c->entries);
        free(c);
        munmap(base, size);
        return refuse(err, "functions out of order%s%s", "",
                      "");
    }
    c->map = base;
    c->map_size = size;
    c->code_len = img->code_len;
    *out = c;
    return WB_OK;
}

wb_status wb_native_map_image(const wb_native_image *img,
                              wb_native_code **out, wb_error *err)
{
    if (wb_native_image_check(img, err))
        return err->status;
    size_t size;
    uint8_t *base = map_rw(img, &size);
    if (!base)
        return wb_err_set(err, WB_E_NOMEM, "cannot map native code: %s",
                          strerror(errno));
    memcpy(base, img->code, img->code_len);
    memcpy(base + img->ro_off, img->ro, img->ro_len);
    return finish_map(img, base, size, out, err);
}

/* ---- files --------------------------------------------------------------- */

/* All n bytes at `off`, written (`wr`) or read, or false: a read that
 * meets the end first fails too. */
static bool pio_all(int fd, void *p, uint64_t n, uint64_t off, bool wr)
{
    uint8_t *b = p;
    while (n) {
        size_t k = n > (1u << 30) ? (1u << 30) : (size_t)n;
        ssize_t r = wr ? pwrite(fd, b, k, (off_t)off)
                       : pread(fd, b, k, (off_t)off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        b += r;
        n -= (uint64_t)r;
        off += (uint64_t)r;
    }
    return true;
}

static bool pread_all(int fd, void *p, uint64_t n, uint64_t off)
{
    return pio_all(fd, p, n, off, false);
}

static bool pwrite_all(int fd, const void *p, uint64_t n, uint64_t off)
{
    return pio_all(fd, (void *)p, n, off, true);
}

/* The tables (offsets, fix-ups) as little-endian bytes. */
static uint8_t *tables(const wb_native_image *img, uint64_t *len)
{
    uint64_t n = 2 * (uint64_t)img->nfuncs + 2 * (uint64_t)img->nrelocs;
    uint8_t *t = malloc(n ? n * 8 : 1);
    if (!t)
        return NULL;
    for (uint64_t i = 0; i < 2 * (uint64_t)img->nfuncs; i++)
        put64(t + 8 * i, img->offsets[i]);
    for (uint64_t i = 0; i < 2 * (uint64_t)img->nrelocs; i++)
        put64(t + 16 * (uint64_t)img->nfuncs + 8 * i, img->relocs[i]);
    *len = n * 8;
    return t;
}

/* The body's checksum: the image as mapped (code, the zeros up to
 * ro_off, the constants), then the tables. */
static uint64_t body_hash(const uint8_t *code, const uint8_t *ro,
                          const wb_native_image *img, const uint8_t *t,
                          uint64_t tlen)
{
    static const uint8_t zeros[4096];
    XXH3_state_t *xs = XXH3_createState();
    if (!xs)
        return 0;                       /* never a file's: refused */
    XXH3_64bits_reset(xs);
    XXH3_64bits_update(xs, code, img->code_len);
    for (uint64_t gap = img->ro_off - img->code_len; gap; ) {
        size_t k = gap < sizeof zeros ? (size_t)gap : sizeof zeros;
        XXH3_64bits_update(xs, zeros, k);
        gap -= k;
    }
    XXH3_64bits_update(xs, ro, img->ro_len);
    XXH3_64bits_update(xs, t, tlen);
    uint64_t h = XXH3_64bits_digest(xs);
    XXH3_freeState(xs);
    return h;
}

/* Writes the file at `path` whole or not at all: a temporary file beside
 * it, renamed over it once written and synced. The layout: the header,
 * a hole up to BODY_AT, the image (code, a hole up to ro_off, the
 * constants), the tables. */
wb_status wb_native_write_file(const wb_module *m, const wb_native_image *img,
                               const char *path, mode_t mode, wb_error *err)
{
    uint64_t tlen = 0;
    uint8_t *t = tables(img, &tlen);
    if (!t)
        return wb_err_set(err, WB_E_NOMEM, "out of memory");
    uint8_t h[WB_NFILE_HDR];
    header_encode(m, img, body_hash(img->code, img->ro, img, t, tlen), h);
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
                  mode);
    /* the tables last: every hole has data after it, so the file's
     * size is right */
    uint64_t ro = BODY_AT + img->ro_off;
    bool ok = fd >= 0 && fchmod(fd, mode) == 0 &&
              pwrite_all(fd, h, sizeof h, 0) &&
              pwrite_all(fd, img->code, img->code_len, BODY_AT) &&
              pwrite_all(fd, img->ro, img->ro_len, ro) &&
              pwrite_all(fd, t, tlen, ro + img->ro_len) && fsync(fd) == 0;
    int e = errno;
    free(t);
    if (fd >= 0 && close(fd) != 0 && ok)
        ok = false, e = errno;
    if (ok && rename(tmp, path) != 0)
        ok = false, e = errno;
    if (!ok) {
        if (fd >= 0)
            unlink(tmp);
        return wb_err_set(err, WB_E_IO, "cannot write %s: %s", path,
                          strerror(e));
    }
    return WB_OK;
}

/* The image's tables (offsets, then fix-ups), after it in the file; the
 * raw bytes into *raw (for the checksum). */
static wb_status read_tables(int fd, wb_native_image *img, uint8_t **raw,
                             uint64_t *len, wb_error *err)
{
    uint64_t nf = 2 * (uint64_t)img->nfuncs, nr = 2 * (uint64_t)img->nrelocs;
    /* written whole at once (prefault.h): 145 KiB each for CPython */
    uint8_t *t = wb_calloc_prefault(nf + nr ? nf + nr : 1, 8);
    img->offsets = wb_calloc_prefault(nf ? nf : 1, 8);
    img->relocs = malloc(nr ? nr * 8 : 1);
    if (!t || !img->offsets || !img->relocs) {
        free(t);
        return wb_err_set(err, WB_E_NOMEM, "out of memory");
    }
    if (!pread_all(fd, t, (nf + nr) * 8, BODY_AT + img->ro_off +
                   img->ro_len)) {
        free(t);
        return refuse(err, "truncated while reading", "", "");
    }
    for (uint64_t i = 0; i < nf; i++)
        img->offsets[i] = get64(t + 8 * i);
    for (uint64_t i = 0; i < nr; i++)
        img->relocs[i] = get64(t + 8 * (nf + i));
    *raw = t;
    *len = (nf + nr) * 8;
    return WB_OK;
}

/* The image's pages: the file itself, mapped privately (no copy; the
 * pages a run touches come from the page cache), writable only when
 * fix-ups must be written. On a file system mounted noexec, where the
 * code could not be made executable, a copy in anonymous memory. */
static uint8_t *map_body(int fd, const wb_native_image *img, size_t *size)
{
    struct statvfs vfs;
    *size = page_up(img->ro_off + img->ro_len);
    if (fstatvfs(fd, &vfs) == 0 && !(vfs.f_flag & ST_NOEXEC)) {
        int prot = PROT_READ | (img->nrelocs ? PROT_WRITE : 0);
        void *p = mmap(NULL, *size, prot, MAP_PRIVATE, fd, (off_t)BODY_AT);
        if (p != MAP_FAILED)
            return p;
    }
    uint8_t *b = map_rw(img, size);
    if (b && !pread_all(fd, b, img->ro_off + img->ro_len, BODY_AT)) {
        munmap(b, *size);
        return NULL;
    }
    return b;
}

/* The rest of the file after the header: the image mapped, the tables,
 * the checksum (unless `checked`: the caller knows this file was checked
 * whole, native_cache.c), then the mapping made executable. */
static wb_status load_body(int fd, wb_native_image *img, uint64_t hash,
                           bool checked, wb_native_code **out, wb_error *err)
{
    size_t size;
    uint8_t *base = map_body(fd, img, &size);
    if (!base)
        return refuse(err, "cannot map or read its code (%s)",
                      strerror(errno), "");
    uint8_t *t = NULL;
    uint64_t tlen = 0;
    wb_status st = read_tables(fd, img, &t, &tlen, err);
    if (st == WB_OK && !checked &&
        body_hash(base, base + img->ro_off, img, t, tlen) != hash)
        st = refuse(err, "corrupted (its checksum differs)", "", "");
    free(t);
    if (st == WB_OK)
        st = wb_native_image_check(img, err);
    if (st != WB_OK) {
        munmap(base, size);
        return st;
    }
    return finish_map(img, base, size, out, err);
}

wb_status wb_native_load_fd_checked(wb_module *m, int fd, bool checked,
                                    wb_error *err)
{
    struct stat sb;
    uint8_t h[WB_NFILE_HDR];
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode))
        return refuse(err, "not a regular file", "", "");
    if (!pread_all(fd, h, sizeof h < (uint64_t)sb.st_size ? sizeof h
                                                        : (size_t)sb.st_size, 0))
        return refuse(err, "unreadable", "", "");
    wb_native_image img = { 0 };
    uint64_t hash = 0;
    wb_native_code *c = NULL;
    wb_status st = wb_native_header_check(h, (uint64_t)sb.st_size, m, &img,
                                          &hash, err);
    if (st == WB_OK)
        st = load_body(fd, &img, hash, checked, &c, err);
    free(img.offsets);
    free(img.relocs);
    if (st == WB_OK) {
        wb_native_code *none = NULL;
        if (!atomic_compare_exchange_strong(&m->native, &none, c))
            wb_native_code_free(c);     /* compiled meanwhile */
        else
            wb_native_perf_map(m, c);
    }
    return st;
}

wb_status wb_native_load_fd(wb_module *m, int fd, wb_error *err)
{
    return wb_native_load_fd_checked(m, fd, false, err);
}

void wb_native_code_free(wb_native_code *c)
{
    if (!c)
        return;
    munmap(c->map, c->map_size);
    free(c->fns);
    free(c->entries);
    free(c);
}
