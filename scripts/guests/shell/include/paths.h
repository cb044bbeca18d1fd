/* paths.h for the shell and tools on wasm32-wasi (wasi-libc has none):
 * the sandbox's /bin holds every registered image (docs/processes.md). */
#ifndef WB_PATHS_H
#define WB_PATHS_H
#define _PATH_BSHELL "/bin/sh"
#define _PATH_DEFPATH "/bin:/usr/bin"
#define _PATH_STDPATH "/bin:/usr/bin"
#define _PATH_DEVNULL "/dev/null"
#define _PATH_TMP "/tmp/"
#define _PATH_TTY "/dev/tty"
#define _PATH_PASSWD "/etc/passwd"
#define _PATH_GROUP "/etc/group"
#define _PATH_MAILDIR "/var/mail"
#endif
