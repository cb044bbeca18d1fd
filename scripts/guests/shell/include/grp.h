/* grp.h for the shell and tools on wasm32-wasi (wasi-libc has none):
 * one group, id 0, named "user" (see pwd.h). */
#ifndef WB_GRP_H
#define WB_GRP_H
#include <sys/types.h>

struct group {
    char *gr_name, *gr_passwd;
    gid_t gr_gid;
    char **gr_mem;
};

struct group *getgrnam(const char *name);
struct group *getgrgid(gid_t gid);
struct group *getgrent(void);
void setgrent(void);
void endgrent(void);
int getgroups(int size, gid_t list[]);
int initgroups(const char *user, gid_t group);
#endif
