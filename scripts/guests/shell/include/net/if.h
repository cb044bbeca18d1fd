/* net/if.h for busybox on wasm32-wasi (wasi-libc's net/ is empty): the
 * names libbb's address helpers (xconnect.c) mention; the shell image has
 * no networking applets, so none of it runs. */
#ifndef WB_NET_IF_H
#define WB_NET_IF_H
#define IFNAMSIZ 16
#define IF_NAMESIZE 16
unsigned if_nametoindex(const char *name);
char *if_indextoname(unsigned index, char *name);
#endif
