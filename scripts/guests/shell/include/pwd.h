/* pwd.h for the shell and tools on wasm32-wasi (wasi-libc has none).
 * The sandbox has one user: wb_posix.c answers for id 0, named "user"
 * (WASI reports every file as owned by 0). */
#ifndef WB_PWD_H
#define WB_PWD_H
#include <sys/types.h>

struct passwd {
    char *pw_name, *pw_passwd;
    uid_t pw_uid;
    gid_t pw_gid;
    char *pw_gecos, *pw_dir, *pw_shell;
};

struct passwd *getpwnam(const char *name);
struct passwd *getpwuid(uid_t uid);
int getpwnam_r(const char *name, struct passwd *pw, char *buf, size_t len,
               struct passwd **res);
int getpwuid_r(uid_t uid, struct passwd *pw, char *buf, size_t len,
               struct passwd **res);
struct passwd *getpwent(void);
void setpwent(void);
void endpwent(void);
#endif
