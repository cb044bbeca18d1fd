/*
 * runtime.h: helpers shared by the runtime files (store.c, memory.c,
 * runtime.c, link.c, instance.c, api.c). Other parts of the engine use
 * only engine.h.
 */
#ifndef WB_RUNTIME_H
#define WB_RUNTIME_H

#include "engine.h"

/* store.c */
/* Make room for element n of a doubling array; returns the array (maybe
 * moved) or NULL, leaving the old one valid. */
void *wb_rt_grow_array(void *arr, size_t n, size_t *cap, size_t elsize);
/* Memories and tables hold host resources that wb_store_free releases. */
bool wb_rt_own_memory(wb_store *s, wb_memory *m);
bool wb_rt_own_table(wb_store *s, wb_table *t);
/* Adds an instance to the store and takes a module reference for it. */
bool wb_rt_own_instance(wb_store *s, wb_instance *inst);

/* group.c: charge `delta` bytes to g (or give them back); false when
 * they do not fit. wb_group_leave: the store's memory and the unused part
 * of its fuel slice go back to its group, and it leaves it (freeing). */
bool wb_group_charge(wb_group *g, int64_t delta);
void wb_group_leave(wb_store *s);
bool wb_group_fuel_limited(const wb_group *g);

/* runtime.c */
wb_status wb_rt_table_init(wb_store *s, wb_table *t, const wb_tabletype *tt,
                           wb_error *err);
void wb_rt_val_to_bits(const wb_val *v, uint64_t bits[2]);
wb_val wb_rt_bits_to_val(uint8_t type, const uint64_t bits[2]);

/* link.c */
bool wb_rt_functype_eq(const wb_functype *a, const wb_functype *b);
/* Find import `im` in `l` and check its type; WB_E_LINK on failure. */
wb_status wb_rt_resolve_import(wb_store *s, const wb_module *m,
                               const wb_import *im, const wb_linker *l,
                               wb_extern *out, wb_error *err);

/* instance.c */
void wb_rt_export_extern(const wb_instance *inst, const wb_export *e,
                         wb_extern *out);

#endif
