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
 *
 * A file is: the header (WB_SNAP_HDR bytes), the state section (padded
 * with zeros to a multiple of 64 KiB), then each memory's bytes, 64 KiB
 * aligned so they can be mapped copy-on-write. Pages of zeros are holes.
 * Every byte is covered by a checksum (XXH3): the header's own, the state
 * section's with its padding, the memories'. Numbers are little-endian.
 */
#ifndef WB_SNAPSHOT_H
#define WB_SNAPSHOT_H

#include "wasmbox/snapshot.h"
#include "common/error.h"
#include "engine.h"

#define WB_SNAP_MAGIC "WBSNAP\r\n"
#define WB_SNAP_FORMAT 1u
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
} wb_snaphdr;

struct wb_snapshot {
    int fd;
    wb_module *module;                 /* one reference */
    wb_inst_state state;               /* memories map from fd */
    uint8_t *meta;                     /* the state section, owned */
    const uint8_t *wasi;               /* "wasi" extra, inside meta */
    size_t wasi_len;
};

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

/* meta.c */
typedef struct wb_snapmeta {
    uint8_t *buf;
    size_t len, cap;
    bool failed;                       /* out of memory while encoding */
} wb_snapmeta;
/* Encode `st` (memory offsets relative to the data region: mems[i].offset)
 * and the "wasi" extra (NULL: none) into `out`. false: out of memory. */
bool wb_snapmeta_encode(const wb_inst_state *st, const uint8_t *wasi,
                        size_t wasi_len, wb_snapmeta *out);
/* Decode `len` bytes into `st` (arrays allocated; memories' fd and
 * offsets left relative) and the "wasi" extra (pointing into `in`).
 * Checks memory images against a data region of data_len bytes.
 * WB_E_SNAPSHOT on malformed input, WB_E_NOMEM. */
wb_status wb_snapmeta_decode(const uint8_t *in, size_t len,
                             uint64_t data_len, wb_inst_state *st,
                             const uint8_t **wasi, size_t *wasi_len,
                             wb_error *err);

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
