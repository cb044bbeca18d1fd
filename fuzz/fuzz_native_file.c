/*
 * fuzz_native_file.c: libFuzzer on the native code loader
 * (src/engine/native_file.c: header, sizes, function offsets, fix-ups,
 * mapping), without LLVM. Native code is trusted input, but a damaged
 * file must be refused, never read or written out of bounds.
 *
 * An input is a file. So that mutations reach past the identity checks
 * and the checksums, the harness overwrites the identity fields (magic
 * to module hash, bytes 0-95) with those of this build and module, and
 * recomputes both checksums; the sizes, the areas and the tables are the
 * fuzzer's. Loaded code is never run. WB_NATIVE_FILE_SEED=PATH writes a
 * valid input (a small hand-made image) to PATH and exits.
 */
#include "wasmbox.h"
#include "engine/native.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xxhash.h>

/* (module (func (result i32) (i32.const 42))) */
static const uint8_t k_mod[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f,
    0x03, 0x02, 0x01, 0x00,
    0x0a, 0x06, 0x01, 0x04, 0x00, 0x41, 0x2a, 0x0b,
};
enum { HDR = 160, IDENTITY = 96 };

static wb_module *g_mod;
static uint8_t g_ident[IDENTITY];

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> 8 * i);
}

/* A valid file at path: its identity bytes are the template. */
static void write_seed(const char *path)
{
    static uint8_t code[] = { 0xc3, 0xc3 }, ro[16];
    uint64_t offsets[2] = { 0, 1 }, relocs[2] = { 65536, 1 };
    wb_native_image img = {
        .arch = wb_native_arch(), .nfuncs = 1, .code = code, .code_len = 2,
        .ro = ro, .ro_len = 16, .ro_off = 65536, .offsets = offsets,
        .relocs = relocs, .nrelocs = 1,
    };
    if (wb_native_write_file(g_mod, &img, path, 0600, NULL) != WB_OK)
        abort();
}

static void init(void)
{
    if (wb_module_new(k_mod, sizeof k_mod, &g_mod, NULL) != WB_OK)
        abort();
    char tmp[64];
    snprintf(tmp, sizeof tmp, "/tmp/wb-fuzz-native-%ld", (long)getpid());
    write_seed(tmp);
    FILE *f = fopen(tmp, "rb");
    if (!f || fread(g_ident, 1, IDENTITY, f) != IDENTITY)
        abort();
    fclose(f);
    unlink(tmp);
    const char *seed = getenv("WB_NATIVE_FILE_SEED");
    if (seed) {
        write_seed(seed);
        exit(0);
    }
}

/* Before the fuzzing starts (an exit here is not a finding). */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    init();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *b = malloc(size ? size : 1);
    memcpy(b, data, size);
    if (size >= HDR) {
        memcpy(b, g_ident, IDENTITY);
        put64(b + 128, XXH3_64bits(b + HDR, size - HDR));
        put64(b + 152, XXH3_64bits(b, 152));
    }
    int fd = memfd_create("native", MFD_CLOEXEC);
    if (fd < 0 || write(fd, b, size) != (ssize_t)size)
        abort();
    lseek(fd, 0, SEEK_SET);
    wb_error err = { 0 };
    if (wb_native_load_fd(g_mod, fd, &err) == WB_OK)
        wb_native_release(g_mod);
    close(fd);
    free(b);
    return 0;
}
