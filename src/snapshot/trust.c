/* trust.c: snapshot files this process has checked all of, so that
 * opening one again skips the checksum of its memory images (a read of
 * all of it: 110 MiB for a kernel holding 100 MiB of Python objects,
 * which every fork's first step would pay again for the same file).
 *
 * A file is known by device, inode, size and modification time (ns),
 * and by its header's checksum, read again at every open: a file
 * written since, truncated, or another one under the name, is checked
 * again. The entry is made with an fstat taken before the file is read
 * (or, for a file this process wrote, after its last write), and Linux
 * since 6.13 gives the next write to a file whose times were read a
 * timestamp of its own, so a write within the same clock tick is seen
 * too (on older kernels such a write is not). The status change time is
 * not part of the key: linking a fork's name to the file changes it.
 * What this guards against is damage, as the checksums do: a writer
 * that resets the modification time can also write valid checksums. */
#include "snapshot/snapshot.h"
#include <pthread.h>
#include <sys/stat.h>

#define KNOWN 64u

typedef struct known {
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
    uint64_t id;
} known;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static known table[KNOWN];
static unsigned used, next;

static bool key_of(const struct stat *sb, uint64_t id, known *k)
{
    if (!S_ISREG(sb->st_mode))
        return false;
    *k = (known){ sb->st_dev, sb->st_ino, sb->st_size, sb->st_mtim, id };
    return true;
}

static bool same_file(const known *a, const known *b)
{
    return a->dev == b->dev && a->ino == b->ino;
}

static bool same(const known *a, const known *b)
{
    return same_file(a, b) && a->size == b->size && a->id == b->id &&
           a->mtime.tv_sec == b->mtime.tv_sec &&
           a->mtime.tv_nsec == b->mtime.tv_nsec;
}

bool wb_snaptrust_known(int fd, uint64_t id)
{
    known k;
    struct stat sb;
    bool hit = false;
    if (fstat(fd, &sb) != 0 || !key_of(&sb, id, &k))
        return false;
    pthread_mutex_lock(&mu);
    for (unsigned i = 0; i < used && !hit; i++)
        hit = same(&table[i], &k);
    pthread_mutex_unlock(&mu);
    return hit;
}

void wb_snaptrust_add(const struct stat *sb, uint64_t id)
{
    known k;
    if (!key_of(sb, id, &k))
        return;
    pthread_mutex_lock(&mu);
    unsigned at = used < KNOWN ? used : next++ % KNOWN;
    for (unsigned i = 0; i < used; i++)
        if (same_file(&table[i], &k))
            at = i;                   /* one entry per file: its latest */
    if (at == used)
        used++;
    table[at] = k;
    pthread_mutex_unlock(&mu);
}
