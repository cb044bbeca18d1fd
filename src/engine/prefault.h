/* prefault.h: zeroed allocations whose pages are mapped at once. */
#ifndef WB_PREFAULT_H
#define WB_PREFAULT_H
#include <stddef.h>

/* calloc(n, size), and when the block is large (its own fresh pages from
 * calloc) and about to be written whole, those pages mapped in one
 * madvise call instead of one page fault each: a fault costs about
 * 15 us on a paravirtualized VM, a populated page about 1 us. Only for
 * blocks the caller writes all of; freed with free(). */
void *wb_calloc_prefault(size_t n, size_t size);

#endif
