/* header.c: the fixed header of a snapshot file, and the checks that
 * refuse a file before any of its state is read: what it is, which
 * format, wasmbox version and module made it, whether it is whole. */
#include "snapshot/snapshot.h"
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <xxhash.h>

/* Offsets of the fields (WB_SNAP_HDR bytes in all). */
enum {
    H_MAGIC = 0, H_FORMAT = 8, H_HDRLEN = 12, H_VERSION = 16,
    H_MODHASH = 48, H_MODLEN = 64, H_METALEN = 72, H_DATAOFF = 80,
    H_DATALEN = 88, H_METAHASH = 96, H_DATAHASH = 104, H_STORED = 112,
    H_SELF = 120
};

void wb_snaphdr_module_hash(const wb_module *m, wb_snaphdr *h)
{
    wb_module_hash128(m, h->module_hash);     /* once per module */
    h->module_len = m->len;
}

void wb_snaphdr_encode(const wb_snaphdr *h, uint8_t out[WB_SNAP_HDR])
{
    memset(out, 0, WB_SNAP_HDR);
    memcpy(out + H_MAGIC, WB_SNAP_MAGIC, 8);
    wb_snap_put32(out + H_FORMAT, h->format);
    wb_snap_put32(out + H_HDRLEN, WB_SNAP_HDR);
    memcpy(out + H_VERSION, h->version, strnlen(h->version,
                                                 WB_SNAP_VERSION_LEN));
    wb_snap_put64(out + H_MODHASH, h->module_hash[0]);
    wb_snap_put64(out + H_MODHASH + 8, h->module_hash[1]);
    wb_snap_put64(out + H_MODLEN, h->module_len);
    wb_snap_put64(out + H_METALEN, h->meta_len);
    wb_snap_put64(out + H_DATAOFF, h->data_off);
    wb_snap_put64(out + H_DATALEN, h->data_len);
    wb_snap_put64(out + H_METAHASH, h->meta_hash);
    wb_snap_put64(out + H_DATAHASH, h->data_hash);
    wb_snap_put64(out + H_STORED, h->data_stored);
    wb_snap_put64(out + H_SELF, XXH3_64bits(out, H_SELF));
}

static wb_status refuse(wb_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static wb_status refuse(wb_error *err, const char *fmt, ...)
{
    char why[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    return wb_err_set(err, WB_E_SNAPSHOT, "snapshot refused: %s", why);
}

static void decode_fields(const uint8_t *in, wb_snaphdr *h)
{
    h->format = wb_snap_get32(in + H_FORMAT);
    memcpy(h->version, in + H_VERSION, WB_SNAP_VERSION_LEN);
    h->version[WB_SNAP_VERSION_LEN] = 0;
    h->module_hash[0] = wb_snap_get64(in + H_MODHASH);
    h->module_hash[1] = wb_snap_get64(in + H_MODHASH + 8);
    h->module_len = wb_snap_get64(in + H_MODLEN);
    h->meta_len = wb_snap_get64(in + H_METALEN);
    h->data_off = wb_snap_get64(in + H_DATAOFF);
    h->data_len = wb_snap_get64(in + H_DATALEN);
    h->meta_hash = wb_snap_get64(in + H_METAHASH);
    h->data_hash = wb_snap_get64(in + H_DATAHASH);
    h->data_stored = wb_snap_get64(in + H_STORED);
    h->self_hash = wb_snap_get64(in + H_SELF);
}

/* The version string, printable for a message. */
static void printable(char *s)
{
    for (; *s; s++)
        if (*s < 0x20 || *s > 0x7e)
            *s = '?';
}

static wb_status check_layout(const wb_snaphdr *h, uint64_t size,
                              wb_error *err)
{
    if (h->data_off < WB_SNAP_HDR || h->data_off % WB_SNAP_ALIGN ||
        h->meta_len > h->data_off - WB_SNAP_HDR ||
        h->data_len % WB_SNAP_ALIGN || h->data_len > UINT64_MAX - h->data_off ||
        (h->data_stored && h->format != WB_SNAP_FORMAT_LAYER) ||
        h->data_stored > h->data_len)
        return refuse(err, "damaged header (bad offsets)");
    uint64_t want = h->data_off + (h->format == WB_SNAP_FORMAT_LAYER
                                   ? h->data_stored : h->data_len);
    if (size < want)
        return refuse(err, "truncated: %llu bytes, its header says %llu",
                      (unsigned long long)size, (unsigned long long)want);
    if (size > want)
        return refuse(err, "%llu bytes, its header says %llu (bytes "
                      "appended)", (unsigned long long)size,
                      (unsigned long long)want);
    return WB_OK;
}

wb_status wb_snaphdr_decode(const uint8_t in[WB_SNAP_HDR], uint64_t size,
                            const wb_module *m, wb_snaphdr *h, wb_error *err)
{
    if (size == 0)
        return refuse(err, "empty file");
    if (size < WB_SNAP_HDR && memcmp(in, WB_SNAP_MAGIC, size < 8 ? size : 8))
        return refuse(err, "not a wasmbox snapshot");
    if (size < WB_SNAP_HDR)
        return refuse(err, "truncated: %llu bytes, less than its header",
                      (unsigned long long)size);
    if (memcmp(in + H_MAGIC, WB_SNAP_MAGIC, 8))
        return refuse(err, "not a wasmbox snapshot");
    if (wb_snap_get64(in + H_SELF) != XXH3_64bits(in, H_SELF))
        return refuse(err, "damaged header (checksum mismatch)");
    decode_fields(in, h);
    if ((h->format != WB_SNAP_FORMAT && !WB_SNAP_IS_LAYER(h->format)) ||
        wb_snap_get32(in + H_HDRLEN) != WB_SNAP_HDR)
        return refuse(err, "snapshot format %u, this wasmbox reads formats "
                      "%u to %u", h->format, WB_SNAP_FORMAT,
                      WB_SNAP_FORMAT_INPLACE);
    if (strcmp(h->version, WB_VERSION)) {
        printable(h->version);
        return refuse(err, "made by wasmbox %s, this is wasmbox %s",
                      h->version, WB_VERSION);
    }
    wb_snaphdr mine;
    if (m)
        wb_snaphdr_module_hash(m, &mine);
    if (m && (mine.module_hash[0] != h->module_hash[0] ||
        mine.module_hash[1] != h->module_hash[1] ||
        mine.module_len != h->module_len))
        return refuse(err, "made from another module (its hash differs "
                      "from this one's)");
    return check_layout(h, size, err);
}
