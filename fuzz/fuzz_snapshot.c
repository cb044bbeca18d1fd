/*
 * fuzz_snapshot.c: libFuzzer target for the snapshot loader (`make
 * fuzz-snapshot`). The first byte picks what the rest is:
 *   0  a whole snapshot file, opened for a fixed module (header checks,
 *      checksums, then everything below when they pass);
 *   1  two bytes of memory-image size in pages (at most 64), then a state
 *      section: decoded, checked against the module and, when it fits,
 *      restored into a small store (the checksums would stop the fuzzer
 *      long before it got here through mode 0);
 *   2  the WASI section, applied to a context with one tmpfs grant;
 *   3  a layer and its base (snapshot/layer.c): four bytes of the base
 *      file's length, the base file, then the layer file, opened
 *      together (the layer's record, its base's identity) and restored.
 * Any input must end in WB_OK or one clear error, never a crash, a leak
 * or an allocation beyond the input's size.
 * WB_SNAPSHOT_SEEDS=DIR: write one valid input of each mode there first.
 */
#include "wasmbox.h"
#include "snapshot/ckpt.h"
#include "snapshot/snapshot.h"
#include "wasi/wasi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* tests/unit/wat/snap.wat, assembled with wat2wasm. */
static const uint8_t snap_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x1a, 0x06, 0x60,
    0x00, 0x01, 0x7f, 0x60, 0x00, 0x00, 0x60, 0x00, 0x01, 0x7e, 0x60, 0x01,
    0x7f, 0x01, 0x7f, 0x60, 0x02, 0x7f, 0x7f, 0x00, 0x60, 0x01, 0x6f, 0x00,
    0x02, 0x09, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x01, 0x66, 0x00, 0x00, 0x03,
    0x12, 0x11, 0x00, 0x00, 0x01, 0x00, 0x02, 0x03, 0x00, 0x00, 0x03, 0x04,
    0x00, 0x03, 0x01, 0x01, 0x01, 0x00, 0x05, 0x04, 0x05, 0x01, 0x70, 0x01,
    0x04, 0x0a, 0x05, 0x04, 0x01, 0x01, 0x02, 0x64, 0x06, 0x15, 0x04, 0x7f,
    0x01, 0x41, 0x07, 0x0b, 0x7e, 0x01, 0x42, 0x00, 0x0b, 0x70, 0x01, 0xd0,
    0x70, 0x0b, 0x6f, 0x01, 0xd0, 0x6f, 0x0b, 0x07, 0x81, 0x01, 0x10, 0x03,
    0x6d, 0x65, 0x6d, 0x02, 0x00, 0x05, 0x73, 0x65, 0x74, 0x75, 0x70, 0x00,
    0x03, 0x01, 0x67, 0x00, 0x04, 0x01, 0x68, 0x00, 0x05, 0x04, 0x63, 0x61,
    0x6c, 0x6c, 0x00, 0x06, 0x06, 0x63, 0x61, 0x6c, 0x6c, 0x66, 0x72, 0x00,
    0x07, 0x05, 0x74, 0x73, 0x69, 0x7a, 0x65, 0x00, 0x08, 0x04, 0x6c, 0x6f,
    0x61, 0x64, 0x00, 0x09, 0x05, 0x73, 0x74, 0x6f, 0x72, 0x65, 0x00, 0x0a,
    0x05, 0x6d, 0x73, 0x69, 0x7a, 0x65, 0x00, 0x0b, 0x04, 0x67, 0x72, 0x6f,
    0x77, 0x00, 0x0c, 0x06, 0x72, 0x65, 0x69, 0x6e, 0x69, 0x74, 0x00, 0x0d,
    0x07, 0x72, 0x65, 0x69, 0x6e, 0x69, 0x74, 0x32, 0x00, 0x0e, 0x0b, 0x72,
    0x65, 0x69, 0x6e, 0x69, 0x74, 0x5f, 0x65, 0x6c, 0x65, 0x6d, 0x00, 0x0f,
    0x09, 0x6b, 0x65, 0x65, 0x70, 0x5f, 0x65, 0x6c, 0x65, 0x6d, 0x00, 0x10,
    0x04, 0x73, 0x65, 0x74, 0x78, 0x00, 0x11, 0x09, 0x0b, 0x02, 0x01, 0x00,
    0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0x02, 0x0c, 0x01, 0x03, 0x0a,
    0xdd, 0x01, 0x11, 0x04, 0x00, 0x41, 0x01, 0x0b, 0x04, 0x00, 0x41, 0x02,
    0x0b, 0x4b, 0x00, 0x41, 0x2a, 0x24, 0x00, 0x42, 0x88, 0xef, 0x99, 0xab,
    0xc5, 0xe8, 0x8c, 0x91, 0x11, 0x24, 0x01, 0x41, 0x00, 0x41, 0x00, 0x41,
    0x03, 0xfc, 0x0c, 0x00, 0x00, 0xd2, 0x02, 0x41, 0x03, 0xfc, 0x0f, 0x00,
    0x1a, 0xd2, 0x01, 0x24, 0x02, 0x41, 0xe4, 0x00, 0x41, 0x00, 0x41, 0x05,
    0xfc, 0x08, 0x00, 0x00, 0xfc, 0x09, 0x00, 0xfc, 0x0d, 0x00, 0x41, 0x03,
    0x40, 0x00, 0x1a, 0x41, 0x80, 0x80, 0x10, 0x41, 0xef, 0xfd, 0xb6, 0xf5,
    0x7d, 0x36, 0x02, 0x00, 0x0b, 0x04, 0x00, 0x23, 0x00, 0x0b, 0x04, 0x00,
    0x23, 0x01, 0x0b, 0x07, 0x00, 0x20, 0x00, 0x11, 0x00, 0x00, 0x0b, 0x0d,
    0x00, 0x41, 0x06, 0x23, 0x02, 0x26, 0x00, 0x41, 0x06, 0x11, 0x00, 0x00,
    0x0b, 0x05, 0x00, 0xfc, 0x10, 0x00, 0x0b, 0x07, 0x00, 0x20, 0x00, 0x28,
    0x02, 0x00, 0x0b, 0x09, 0x00, 0x20, 0x00, 0x20, 0x01, 0x36, 0x02, 0x00,
    0x0b, 0x04, 0x00, 0x3f, 0x00, 0x0b, 0x06, 0x00, 0x20, 0x00, 0x40, 0x00,
    0x0b, 0x0d, 0x00, 0x41, 0xc8, 0x01, 0x41, 0x00, 0x41, 0x05, 0xfc, 0x08,
    0x00, 0x00, 0x0b, 0x0d, 0x00, 0x41, 0xc8, 0x01, 0x41, 0x00, 0x41, 0x05,
    0xfc, 0x08, 0x01, 0x00, 0x0b, 0x0c, 0x00, 0x41, 0x00, 0x41, 0x00, 0x41,
    0x01, 0xfc, 0x0c, 0x00, 0x00, 0x0b, 0x11, 0x00, 0x41, 0x05, 0x41, 0x00,
    0x41, 0x01, 0xfc, 0x0c, 0x01, 0x00, 0x41, 0x05, 0x11, 0x00, 0x00, 0x0b,
    0x06, 0x00, 0x20, 0x00, 0x24, 0x03, 0x0b, 0x0b, 0x18, 0x03, 0x01, 0x05,
    0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x01, 0x05, 0x6b, 0x65, 0x70, 0x74, 0x21,
    0x00, 0x41, 0x10, 0x0b, 0x04, 0x69, 0x6e, 0x69, 0x74,
};

static wb_module *module;

static wb_status host_f(wb_caller *c, void *env, const wb_val *a, wb_val *r)
{
    r[0].of.i32 = 99;
    return WB_OK;
}

static wb_linker *linker(wb_store *s)
{
    static const wb_valtype i32 = WB_I32;
    wb_linker *l = wb_linker_new();
    wb_func *f = wb_func_new_host(s, NULL, 0, &i32, 1, host_f, NULL);
    if (l && f)
        wb_linker_define(l, "env", "f",
                         (wb_extern){ .kind = WB_EXTERN_FUNC, .of.func = f });
    return l;
}

/* Restore into a store of 16 pages and call a few exports. */
static void restore(const wb_inst_state *st)
{
    wb_limits lim;
    wb_limits_default(&lim);
    lim.max_memory = 16 * 65536;
    lim.fuel = 100000;
    wb_store *s = NULL;
    if (wb_store_new(&lim, &s, NULL) != WB_OK)
        return;
    wb_linker *l = linker(s);
    wb_instance *inst = NULL;
    if (l && wb_state_instantiate(s, module, l, st, &inst, NULL) == WB_OK) {
        static const char *const names[] = { "g", "tsize", "callfr", "msize",
                                             "keep_elem", "reinit2" };
        for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
            wb_func *f = wb_instance_func(inst, names[i]);
            wb_val res[1] = { { .type = WB_I32 } };
            wb_func_call(s, f, NULL, 0, res, wb_func_result_count(f), NULL);
        }
    }
    wb_linker_free(l);
    wb_store_free(s);
}

static int memfd_of(const uint8_t *p, size_t n, uint64_t size)
{
    int fd = memfd_create("fuzz", MFD_CLOEXEC);
    if (fd < 0)
        return -1;
    if ((n && write(fd, p, n) != (ssize_t)n) || ftruncate(fd, (off_t)size)) {
        close(fd);
        return -1;
    }
    return fd;
}

static void fuzz_file(const uint8_t *p, size_t n)
{
    int fd = memfd_of(p, n, n);
    wb_snapshot *sn = NULL;
    if (fd >= 0 && wb_snapshot_open_fd(fd, module, &sn, NULL) == WB_OK)
        restore(&sn->state);
    wb_snapshot_free(sn);
    if (fd >= 0)
        close(fd);
}

static void fuzz_layer(const uint8_t *p, size_t n)
{
    if (n < 4 || wb_snap_get32(p) > n - 4)
        return;
    size_t blen = wb_snap_get32(p), llen = n - 4 - blen;
    int bfd = memfd_of(p + 4, blen, blen);
    int lfd = memfd_of(p + 4 + blen, llen, llen);
    wb_snapshot *sn = NULL;
    if (bfd >= 0 && lfd >= 0 &&
        wb_snapshot_open_layered(lfd, bfd, module, true, &sn, NULL) == WB_OK)
        restore(&sn->state);
    wb_snapshot_free(sn);
    if (bfd >= 0)
        close(bfd);
    if (lfd >= 0)
        close(lfd);
}

static void fuzz_state(const uint8_t *p, size_t n)
{
    if (n < 2)
        return;
    uint64_t data_len = (uint64_t)(p[0] % 65) * 65536;
    wb_inst_state st;
    wb_snapextra x;
    if (wb_snapmeta_decode(p + 2, n - 2, data_len, &st, &x, NULL) != WB_OK)
        return;
    int fd = memfd_of(NULL, 0, data_len);
    if (fd >= 0 && wb_state_check(module, &st, NULL) == WB_OK) {
        for (uint32_t i = 0; i < st.nmems; i++)
            st.mems[i].fd = fd;
        restore(&st);
    }
    if (fd >= 0)
        close(fd);
    wb_state_free(&st);
}

static wb_wasi *new_wasi(void)
{
    wb_sandbox_config cfg;
    wb_wasi *w = NULL;
    wb_sandbox_config_init(&cfg);
    wb_config_add_arg(&cfg, "fuzz");
    wb_config_add_tmpfs(&cfg, "/tmp", 1 << 20);
    wb_wasi_new(&cfg, &w, NULL);
    wb_sandbox_config_free(&cfg);
    return w;
}

static void fuzz_wasi(const uint8_t *p, size_t n)
{
    wb_wasi *w = new_wasi();
    if (w)
        wb_wasi_state_apply(w, p, n, NULL);
    wb_wasi_free(w);
}

static void write_seed(const char *dir, const char *name, uint8_t mode,
                       const uint8_t *pre, size_t npre, const uint8_t *p,
                       size_t n)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f)
        return;
    fwrite(&mode, 1, 1, f);
    fwrite(pre, 1, npre, f);
    fwrite(p, 1, n, f);
    fclose(f);
}

static uint8_t *read_at(int dfd, const char *name, size_t *len)
{
    int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    uint8_t *p = NULL;
    if (fd >= 0 && fstat(fd, &sb) == 0 && (p = malloc((size_t)sb.st_size + 1)) &&
        pread(fd, p, (size_t)sb.st_size, 0) != sb.st_size) {
        free(p);
        p = NULL;
    }
    *len = p ? (size_t)sb.st_size : 0;
    if (fd >= 0)
        close(fd);
    return p;
}

/* One page written, and one grown and written. */
static bool write_some(wb_store *s, wb_instance *inst)
{
    wb_val a[2] = { { .type = WB_I32, .of.i32 = 0x8000 },
                    { .type = WB_I32, .of.i32 = 7 } };
    wb_val one = { .type = WB_I32, .of.i32 = 1 }, r = { .type = WB_I32 };
    wb_func *store = wb_instance_func(inst, "store");
    if (wb_func_call(s, store, a, 2, NULL, 0, NULL) != WB_OK ||
        wb_func_call(s, wb_instance_func(inst, "grow"), &one, 1, &r, 1,
                     NULL) != WB_OK || r.of.i32 < 0)
        return false;
    a[0].of.i32 = r.of.i32 * 65536 + 8;
    return wb_func_call(s, store, a, 2, NULL, 0, NULL) == WB_OK;
}

/* A layer over the snapshot in fd: an instance restored from it writes
 * some (write_some), and its checkpoint's copy (a layer) and base go
 * into the seed. */
static void write_layer_seed(const char *dir, int fd, wb_wasi *w)
{
    char tmp[] = "/tmp/wb-fuzz-layer-XXXXXX";
    wb_snapshot *sn = NULL;
    wb_store *s = NULL;
    wb_instance *inst = NULL;
    wb_ckpt *c = NULL;
    wb_store_new(NULL, &s, NULL);
    wb_linker *l = linker(s);
    int dfd = mkdtemp(tmp) ? open(tmp, O_RDONLY | O_DIRECTORY) : -1;
    if (dfd >= 0 && wb_snapshot_open_fd(fd, module, &sn, NULL) == WB_OK &&
        wb_snapshot_instantiate(s, sn, l, &inst, NULL) == WB_OK &&
        wb_ckpt_new_over(inst, w, sn, &c, NULL) == WB_OK &&
        write_some(s, inst) && wb_ckpt_update(c, inst, w, NULL) == WB_OK &&
        wb_ckpt_persist(c, dfd, "layer", "base", NULL) == WB_OK) {
        size_t blen, llen;
        uint8_t *b = read_at(dfd, "base", &blen), *ly = read_at(dfd, "layer",
                                                                &llen);
        uint8_t n[4];
        wb_snap_put32(n, (uint32_t)blen);
        uint8_t *both = b && ly ? malloc(blen + llen) : NULL;
        if (both) {
            memcpy(both, b, blen);
            memcpy(both + blen, ly, llen);
            write_seed(dir, "layer", 3, n, 4, both, blen + llen);
        }
        free(both);
        free(b);
        free(ly);
    }
    if (dfd >= 0) {
        unlinkat(dfd, "layer", 0);
        unlinkat(dfd, "base", 0);
        close(dfd);
        rmdir(tmp);
    }
    wb_ckpt_free(c);
    wb_linker_free(l);
    wb_store_free(s);
    wb_snapshot_free(sn);
}

/* A snapshot of snap.wat after its "setup", with a WASI context. */
static void write_seeds(const char *dir)
{
    wb_store *s = NULL;
    wb_instance *inst = NULL;
    wb_store_new(NULL, &s, NULL);
    wb_linker *l = linker(s);
    wb_wasi *w = new_wasi();
    int fd = memfd_create("seed", MFD_CLOEXEC);
    if (wb_instantiate(s, module, l, &inst, NULL) == WB_OK && w &&
        wb_func_call(s, wb_instance_func(inst, "setup"), NULL, 0, NULL, 0,
                     NULL) == WB_OK &&
        wb_snapshot_write(inst, w, fd, NULL) == WB_OK) {
        off_t size = lseek(fd, 0, SEEK_END);
        uint8_t *file = malloc((size_t)size);
        if (file && pread(fd, file, (size_t)size, 0) == size) {
            wb_snaphdr h;
            wb_snaphdr_decode(file, (uint64_t)size, module, &h, NULL);
            uint8_t pages[2] = { (uint8_t)(h.data_len / 65536), 0 };
            write_seed(dir, "file", 0, NULL, 0, file, (size_t)size);
            write_seed(dir, "state", 1, pages, 2, file + WB_SNAP_HDR,
                       (size_t)h.meta_len);
            uint8_t *ws = NULL;
            size_t wlen = 0;
            if (wb_wasi_state_encode(w, &ws, &wlen, NULL) == WB_OK)
                write_seed(dir, "wasi", 2, NULL, 0, ws, wlen);
            free(ws);
            write_layer_seed(dir, fd, w);
        }
        free(file);
    }
    close(fd);
    wb_wasi_free(w);
    wb_linker_free(l);
    wb_store_free(s);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    if (wb_module_new(snap_wasm, sizeof snap_wasm, &module, NULL) != WB_OK)
        abort();
    const char *seeds = getenv("WB_SNAPSHOT_SEEDS");
    if (seeds)
        write_seeds(seeds);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    switch (data[0] % 4) {
    case 0: fuzz_file(data + 1, size - 1); break;
    case 1: fuzz_state(data + 1, size - 1); break;
    case 3: fuzz_layer(data + 1, size - 1); break;
    default: fuzz_wasi(data + 1, size - 1); break;
    }
    return 0;
}
