/*
 * snapshot.h: internals of snapshot files (src/snapshot/). Not installed.
 *
 *   header.c   wb_snaphdr_*   the fixed header: magic, versions, the
 *                             module's hash, offsets and checksums
 *   meta.c     wb_snapmeta_*  the state section: tables, globals, segment
 *                             flags, memory sizes, named extra sections
 *   write.c    wb_snapshot_save/write/capture
 *   open.c     wb_snapshot_open, instantiate, restore_wasi, free
 *   dirty.c    wb_dirty_*     pages written since the last look
 *   ckpt.c     wb_ckpt_*      incremental checkpoints in a memfd
 *   layer.c    wb_snaplayer_* a file holding only the pages that differ
 *                             from another one, its base
 *   trust.c    wb_snaptrust_* files this process checked and that have
 *                             not changed since
 *   hot.c      wb_snaphot_*   the pages a run from the file writes
 *
 * A file is: the header (WB_SNAP_HDR bytes), the state section (padded
 * with zeros to a multiple of 64 KiB), then each memory's bytes, 64 KiB
 * aligned so they can be mapped copy-on-write. Pages of zeros are holes.
 * Every byte is covered by a checksum (XXH3): the header's own, the state
 * section's with its padding, the memories'. Numbers are little-endian.
 *
 * Format 2 is a layer (layer.c): the same header and state section, but
 * its data region holds only the runs of pages listed in its "layer"
 * extra section, one after the other (data_stored bytes), the others
 * being the pages of its base, a format 1 file named there by the
 * checksum of its header and its size. The data checksum covers the
 * runs. Format 3 is a checkpoint's memfd in layers (ckpt.c): each run at
 * its memory offset, to be updated in place, the rest holes; it is
 * never a file, and refused where a file's checksums are checked.
 */
#ifndef WB_SNAPSHOT_H
#define WB_SNAPSHOT_H

#include "wasmbox/snapshot.h"
#include "common/error.h"
#include "engine.h"

#define WB_SNAP_MAGIC "WBSNAP\r\n"
#define WB_SNAP_FORMAT 1u
#define WB_SNAP_FORMAT_LAYER 2u        /* a layer's file: runs packed */
#define WB_SNAP_FORMAT_INPLACE 3u      /* a checkpoint's memfd: in place */
#define WB_SNAP_IS_LAYER(f) ((f) == WB_SNAP_FORMAT_LAYER || \
                             (f) == WB_SNAP_FORMAT_INPLACE)
#define WB_SNAP_HDR 128u
#define WB_SNAP_ALIGN 65536u
#define WB_SNAP_VERSION_LEN 32u

typedef struct wb_snaphdr {
    uint32_t format;
    char version[WB_SNAP_VERSION_LEN + 1];
    uint64_t module_hash[2];           /* XXH3-128 of the module's bytes */
    uint64_t module_len;
    uint64_t meta_len;                 /* state section, at WB_SNAP_HDR */
    uint64_t data_off, data_len;       /* memory images */
    uint64_t meta_hash;                /* of [WB_SNAP_HDR, data_off) */
    uint64_t data_hash;                /* of [data_off, data_off+data_len) */
    uint64_t data_stored;              /* format 2: its runs' bytes, packed
                                          (the file's data region) */
    uint64_t self_hash;                /* decoded: the header's checksum */
} wb_snaphdr;

/* The "layer" section of a format 2 file (layer.c). */
typedef struct wb_snaplayer {
    uint64_t base_id;                  /* the base's header checksum */
    uint64_t base_size;                /* the base file's size */
    uint64_t base_mem;                 /* bytes of memory its base holds */
    uint32_t nruns;
    wb_mem_run *runs;                  /* memory offsets, sorted, apart */
} wb_snaplayer;

struct wb_snapshot {
    int fd;
    wb_module *module;                 /* one reference */
    wb_inst_state state;               /* memories map from fd */
    uint8_t *meta;                     /* the state section, owned */
    const uint8_t *wasi;               /* "wasi" extra, inside meta */
    size_t wasi_len;
    /* a layer (format 2): its base (an fd of its own) and runs */
    wb_snapshot *base;
    wb_snaplayer layer;
    wb_snaphdr hdr;
    /* the "hot" extra (hot.c): runs of memory 0 a run writes; 0: none */
    wb_mem_run *hot;
    uint32_t nhot;
};

/* The extra sections of a state section (meta.c). */
typedef struct wb_snapextra {
    const uint8_t *wasi, *layer, *hot;  /* NULL: none */
    size_t wasi_len, layer_len, hot_len;
} wb_snapextra;

/* open.c: wb_snapshot_open_fd, without the memory images' checksum
 * when check_data is false (wb_snapshot_capture's own memfd). */
wb_status wb_snapshot_open_own(int fd, wb_module *m, bool check_data,
                               wb_snapshot **out, wb_error *err);

/* write.c: are the n (at most WB_SNAP_ALIGN) bytes at p all zero; all
 * of p to fd at off (EINTR retried), false on an error */
bool wb_snap_all_zero(const uint8_t *p, size_t n);
bool wb_snap_pwrite_all(int fd, const uint8_t *p, size_t n, uint64_t off);

/* write.c: header and state section only, the data region at data_off
 * left as it is (ckpt.c). WB_E_LIMIT: the state no longer fits. */
wb_status wb_snapshot_write_state(const wb_instance *inst,
                                  const wb_wasi *wasi, int fd,
                                  uint64_t data_off, wb_error *err);
/* write.c: the header (format 2) and state section of a layer with
 * record `layer` (its encoding, layer.c), the data region at *data_off
 * (0: placed here, with room for the record to grow to
 * WB_SNAPLAYER_MAX_RUNS runs, and *data_off set) left as it is; the
 * file sized to it. WB_E_LIMIT: the state no longer fits. */
wb_status wb_snapshot_write_layer(const wb_instance *inst,
                                  const wb_wasi *wasi, int fd,
                                  uint64_t *data_off, const uint8_t *layer,
                                  size_t layer_len, wb_error *err);

/* open.c: wb_snapshot_open_fd without the two checks that read the
 * whole of a file (the memory images' checksum) or of the module (its
 * hash), for a file whose every byte was checked before and has not
 * changed since (preinit_stamp.c); the header, the state section and
 * the state's fit to the module are still checked. */
wb_status wb_snapshot_open_trusted(int fd, wb_module *m, wb_snapshot **out,
                                   wb_error *err);

/* header.c */
void wb_snaphdr_module_hash(const wb_module *m, wb_snaphdr *h);
void wb_snaphdr_encode(const wb_snaphdr *h, uint8_t out[WB_SNAP_HDR]);
/* Decode and check the header against module `m` (NULL: not checked,
 * see wb_snapshot_open_trusted) and a file of `size` bytes: WB_E_SNAPSHOT
 * with one line naming what is wrong. */
wb_status wb_snaphdr_decode(const uint8_t in[WB_SNAP_HDR], uint64_t size,
                            const wb_module *m, wb_snaphdr *h,
                            wb_error *err);

/* layer.c */
/* Runs a layer may list (restoring maps each one: a bound on the
 * mappings of an instance); past it a checkpoint captures all again. */
#define WB_SNAPLAYER_MAX_RUNS 1024u
/* Its encoding (malloc'd) into *out; false: out of memory. */
bool wb_snaplayer_encode(const wb_snaplayer *l, uint8_t **out, size_t *len);
/* Decode and check against memory of data_len bytes (runs page
 * aligned, sorted, apart, inside it), each run's `at` its memory offset,
 * or when `packed` its place among runs stored one after the other
 * (`stored` bytes in all): WB_E_SNAPSHOT with a message. */
wb_status wb_snaplayer_decode(const uint8_t *in, size_t len,
                              uint64_t data_len, bool packed,
                              uint64_t stored, wb_snaplayer *l,
                              wb_error *err);
void wb_snaplayer_free(wb_snaplayer *l);
/* XXH3 of the bytes of the runs of `l`, in order, read from fd at
 * data_off + their `at`. false: a read failed (errno). */
bool wb_snaplayer_hash(int fd, uint64_t data_off, const wb_snaplayer *l,
                       uint64_t *out);
/* Check that `base` (opened and checked) is the base sn's layer names,
 * and make sn's memory map from both; sn takes base over on success.
 * WB_E_SNAPSHOT naming what is wrong. */
wb_status wb_snaplayer_attach(wb_snapshot *sn, wb_snapshot *base,
                              wb_error *err);

/* hot.c */
#define WB_SNAPHOT_PAGE 4096u          /* the record's unit */
#define WB_SNAPHOT_MAX_RUNS 4096u
/* The runs of pages of m's image (mapped from a snapshot) that have
 * been written since it was mapped (private now), encoded for the "hot"
 * extra (malloc'd) into *out. false: none, too many runs, or the page
 * map cannot be read (no record: runs make the whole image private). */
bool wb_snaphot_record(const wb_memory *m, uint8_t **out, size_t *len);
/* Decode and check the record `in` (NULL: none) against st's memory 0
 * into sn->hot: WB_E_SNAPSHOT when damaged, WB_E_NOMEM. */
wb_status wb_snaphot_decode(const uint8_t *in, size_t len,
                            const wb_inst_state *st, wb_snapshot *sn,
                            wb_error *err);
/* For a one-shot run restored from sn into memory m: make private now
 * the pages it will write, sn's hot runs (whole host pages), or the
 * whole image when sn has none (wb_mem_prefault_image). */
void wb_snapshot_prefault(const wb_snapshot *sn, wb_memory *m);
/* write.c: wb_snapshot_save (no WASI state) with a "hot" record (its
 * encoding; NULL: none). */
wb_status wb_snapshot_save_hot(const wb_instance *inst, const char *path,
                               const uint8_t *hot, size_t hot_len,
                               wb_error *err);

/* trust.c: has this process checked every byte of the file open as fd
 * (its header's checksum `id`), unchanged since (device, inode, size and
 * modification time)? And: it has, the file being as `sb` (an fstat
 * from before it was read, or after this process last wrote it). */
struct stat;
bool wb_snaptrust_known(int fd, uint64_t id);
void wb_snaptrust_add(const struct stat *sb, uint64_t id);

/* open.c: wb_snapshot_open_fd of a file that may be a layer over the
 * file base_fd (-1: none); check_data: the layer's checksum of its
 * pages. */
wb_status wb_snapshot_open_layered(int fd, int base_fd, wb_module *m,
                                   bool check_data, wb_snapshot **out,
                                   wb_error *err);

/* meta.c */
typedef struct wb_snapmeta {
    uint8_t *buf;
    size_t len, cap;
    bool failed;                       /* out of memory while encoding */
} wb_snapmeta;
/* Encode `st` (memory offsets relative to the data region: mems[i].offset)
 * and the extras (NULL ones: none) into `out`. false: out of memory. */
bool wb_snapmeta_encode(const wb_inst_state *st, const wb_snapextra *x,
                        wb_snapmeta *out);
/* Decode `len` bytes into `st` (arrays allocated; memories' fd and
 * offsets left relative) and the extras (pointing into `in`).
 * Checks memory images against a data region of data_len bytes.
 * WB_E_SNAPSHOT on malformed input, WB_E_NOMEM. */
wb_status wb_snapmeta_decode(const uint8_t *in, size_t len,
                             uint64_t data_len, wb_inst_state *st,
                             wb_snapextra *x, wb_error *err);

static inline void wb_snap_put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static inline void wb_snap_put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static inline uint32_t wb_snap_get32(const uint8_t *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}
static inline uint64_t wb_snap_get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

#endif
