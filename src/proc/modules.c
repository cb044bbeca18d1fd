/* modules.c: the module files a tree's processes run (spawn or exec of a
 * path that is not a registered image; docs/processes.md, "Module files
 * and the memory budget").
 *
 * A file is decoded once while processes run it: the tree keeps one
 * entry per file identity (wb_image_file.id: host or tmpfs, dev, ino,
 * mtime, ctime) holding the module, shared by every process that runs
 * it, and freed when the last of them ends. An entry costs the tree's
 * memory budget what the module holds on the host (its bytes, tables
 * and translated code, wb_module_host_bytes); the file's bytes are
 * charged before they are read, so a file larger than what is left is
 * refused (ENOMEM) without being read.
 *
 * A file's identity is trusted only once its ctime is older than when
 * it was read by more than a tick of the file system's clock: a write
 * within that tick could keep dev, ino, size, mtime and ctime. Until
 * then a spawn reads the file again and compares the bytes.
 *
 * Locks: the list is under t->mu, which is never held while a file is
 * read or a module decoded (the watchdog takes it to cancel the tree).
 * Files are read under the WASI tree lock (tmpfs), decoded without it. */
#include "proc/proc.h"
#include "engine/runtime.h"
#include "wasi/wasi.h"
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

/* Coarse file system clocks tick at most every 10 ms (HZ 100): five. A
 * file system may also keep whole seconds (ext4 with 128-byte inodes,
 * ext3) or two (FAT's mtime; its ctime is when the file was made): a
 * time with no fraction of a second waits 2 s more. With 50 ms, a
 * module file rewritten in place within its second ran as the old
 * module (tests/proc/stale.c). */
#define CLOCK_TICK_NS 50000000u
#define SECONDS_TICK_NS 2050000000u

struct wb_pmod {
    uint64_t id[5], size;
    wb_module *m;
    uint64_t charge;           /* bytes of the tree's budget it holds */
    uint64_t read_at;          /* realtime (ns) its file had these bytes */
    uint32_t users;            /* processes running it, loads holding it */
    bool listed;               /* in t->mods: new loads may share it */
    wb_ptree *tree;
    wb_pmod *next;
};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static bool same_file(const wb_pmod *e, const wb_image_file *f)
{
    return e->size == f->size && !memcmp(e->id, f->id, sizeof e->id);
}

/* Is time ns older than `than` by more than a tick? (a guest may set an
 * mtime near 2^64: no sum that wraps) */
static bool older(uint64_t ns, uint64_t than)
{
    uint64_t tick = ns % 1000000000u ? CLOCK_TICK_NS : SECONDS_TICK_NS;
    return than > ns && than - ns > tick;
}

/* Can no write since e's file was read (or compared) have kept its
 * identity? Its mtime and ctime are both a tick older. (t->mu held) */
static bool trusted(const wb_pmod *e)
{
    return older(e->id[3], e->read_at) && older(e->id[4], e->read_at);
}

static void unlist(wb_ptree *t, wb_pmod *e)
{
    for (wb_pmod **q = &t->mods; *q; q = &(*q)->next)
        if (*q == e) {
            *q = e->next;
            break;
        }
    e->listed = false;
}

void wb_pmod_put(wb_pmod *e)
{
    if (!e)
        return;
    wb_ptree *t = e->tree;
    pthread_mutex_lock(&t->mu);
    bool last = --e->users == 0;
    if (last && e->listed)
        unlist(t, e);
    pthread_mutex_unlock(&t->mu);
    if (!last)
        return;
    uint64_t code = wb_module_charge_code(e->m, NULL);
    wb_group_charge(t->group, -(int64_t)(e->charge + code));
    wb_module_release(e->m);
    free(e);
}

wb_pmod *wb_pmod_share(wb_pmod *e)
{
    if (e) {
        pthread_mutex_lock(&e->tree->mu);
        e->users++;
        pthread_mutex_unlock(&e->tree->mu);
    }
    return e;
}

/* The listed entry for f, with a reference, or NULL; whether its
 * identity can be trusted into *sure. */
static wb_pmod *find(wb_ptree *t, const wb_image_file *f, bool *sure)
{
    pthread_mutex_lock(&t->mu);
    wb_pmod *e = t->mods;
    while (e && !same_file(e, f))
        e = e->next;
    if (e)
        e->users++;
    *sure = e && trusted(e);
    pthread_mutex_unlock(&t->mu);
    return e;
}

/* `bytes` of the budget, or the refusal counted: WE_NOMEM. */
static int charge(wb_ptree *t, uint64_t bytes)
{
    if (wb_group_charge(t->group, (int64_t)bytes))
        return WE_SUCCESS;
    pthread_mutex_lock(&t->mu);
    t->refused_memory++;
    pthread_mutex_unlock(&t->mu);
    return WE_NOMEM;
}

static void unmap(wb_pload *ld)
{
    if (ld->buf)
        munmap(ld->buf, ld->map);
    ld->buf = NULL;
}

/* f read whole into a new mapping, its size charged first. */
static int read_file(wb_ptree *t, wb_image_file *f, wb_pload *ld)
{
    int rc = charge(t, f->size);
    if (rc)
        return rc;
    ld->charged = f->size;
    ld->map = f->size ? f->size : 1;
    ld->buf = mmap(NULL, ld->map, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (ld->buf == MAP_FAILED) {
        ld->buf = NULL;
        return WE_NOMEM;
    }
    ld->read_at = now_ns();
    return wb_image_read(f, 0, ld->buf, f->size, &ld->len);
}

/* Does module m hold what f holds now? Compared a chunk at a time (the
 * chunk charged): a spawn right after the file was written shares the
 * module all the same (tests/attack/tmpimage.c). */
static int same_bytes(wb_ptree *t, wb_image_file *f, const wb_module *m,
                      bool *same)
{
    enum { CHUNK = 1 << 20 };
    *same = false;
    if (m->len != f->size)
        return WE_SUCCESS;
    int rc = charge(t, CHUNK);
    bool charged = !rc;
    uint8_t *buf = rc ? NULL : malloc(CHUNK);
    if (!rc && !buf)
        rc = WE_NOMEM;
    size_t got = 0;
    uint64_t off = 0;
    *same = !rc;
    while (*same && off < m->len) {
        size_t want = m->len - off < CHUNK ? m->len - off : CHUNK;
        rc = wb_image_read(f, off, buf, want, &got);
        *same = !rc && got == want && !memcmp(buf, m->bytes + off, want);
        off += want;
    }
    free(buf);
    if (charged)
        wb_group_charge(t->group, -(int64_t)CHUNK);
    return rc;
}

/* Is e (not trusted by identity) still what f holds? */
static int still_same(wb_ptree *t, wb_pmod *e, wb_image_file *f,
                      bool *same)
{
    uint64_t at = now_ns();
    int rc = same_bytes(t, f, e->m, same);
    if (*same) {
        pthread_mutex_lock(&t->mu);
        if (at > e->read_at)
            e->read_at = at;
        pthread_mutex_unlock(&t->mu);
    }
    return rc;
}

int wb_pmod_open(wb_ptree *t, wb_image_file *f, wb_pload *ld)
{
    memset(ld, 0, sizeof *ld);
    memcpy(ld->id, f->id, sizeof ld->id);
    ld->size = f->size;
    bool same;
    wb_pmod *e = find(t, f, &same);
    int rc = e && !same ? still_same(t, e, f, &same) : WE_SUCCESS;
    if (same) {
        ld->hit = e;
        return WE_SUCCESS;
    }
    wb_pmod_put(e);
    if (!rc)
        rc = read_file(t, f, ld);
    if (rc)
        wb_pload_clear(t, ld);
    return rc;
}

void wb_pload_clear(wb_ptree *t, wb_pload *ld)
{
    unmap(ld);
    wb_group_charge(t->group, -(int64_t)ld->charged);
    ld->charged = 0;
    wb_pmod_put(ld->hit);
    ld->hit = NULL;
}

/* A new entry for ld's module: listed in place of an entry of the same
 * identity (whose bytes changed), left to its users. */
static wb_pmod *list(wb_ptree *t, wb_pload *ld, wb_module *m)
{
    wb_pmod *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    memcpy(e->id, ld->id, sizeof e->id);
    e->size = ld->size;
    e->m = m;
    e->charge = ld->charged;
    e->read_at = ld->read_at;
    e->users = 1;
    e->listed = true;
    e->tree = t;
    ld->charged = 0;
    pthread_mutex_lock(&t->mu);
    for (wb_pmod *o = t->mods; o; o = o->next)
        if (!memcmp(o->id, e->id, sizeof e->id) && o->size == e->size) {
            unlist(t, o);
            break;
        }
    e->next = t->mods;
    t->mods = e;
    pthread_mutex_unlock(&t->mu);
    return e;
}

/* The module of ld's bytes (taken), validated until *cancel, its host
 * memory charged beyond the bytes. */
static int decode(wb_ptree *t, wb_pload *ld, const atomic_bool *cancel,
                  wb_module **m)
{
    wb_error e = { 0 };
    wb_status st = wb_decode_cancel(ld->buf, ld->len, ld->map, cancel, m,
                                    &e);
    ld->buf = NULL;                   /* the module's, or unmapped */
    if (st != WB_OK)
        return atomic_load(cancel) ? WE_CANCELED
               : st == WB_E_NOMEM ? WE_NOMEM : WE_NOEXEC;
    size_t need = wb_module_host_bytes(*m);
    int rc = need > ld->charged ? charge(t, need - ld->charged)
                                : WE_SUCCESS;
    if (rc) {
        wb_module_release(*m);
        *m = NULL;
        return rc;
    }
    ld->charged = need > ld->charged ? need : ld->charged;
    wb_module_charge_code(*m, t->group);   /* translations past `need` */
    return WE_SUCCESS;
}

int wb_pmod_finish(wb_ptree *t, wb_pload *ld, const atomic_bool *cancel,
                   wb_module **out, wb_pmod **ent)
{
    *out = NULL;
    *ent = NULL;
    if (ld->hit) {
        *ent = ld->hit;
        ld->hit = NULL;
        wb_module_retain((*out = (*ent)->m));
        return WE_SUCCESS;
    }
    wb_module *m = NULL;
    int rc = decode(t, ld, cancel, &m);
    if (!rc && !(*ent = list(t, ld, m))) {
        wb_module_release(m);
        rc = WE_NOMEM;
    }
    wb_pload_clear(t, ld);
    if (!rc)
        wb_module_retain((*out = m));
    return rc;
}
