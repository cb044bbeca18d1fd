/*
 * mhd.h: libmicrohttpd, loaded when a server starts.
 *
 * Debian's libmicrohttpd pulls in GnuTLS and ten more libraries; linking it
 * into the wasmbox binary made every `wasmbox run` load them (cold start
 * 1.8 -> 4.6 ms). Servers call wb_mhd_load() first; the MHD_* names below
 * then call through pointers typed from the library's own prototypes.
 */
#ifndef WB_MHD_H
#define WB_MHD_H
#include <microhttpd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#define WB_MHD_FUNCS(X) \
    X(MHD_start_daemon) X(MHD_stop_daemon) X(MHD_quiesce_daemon) \
    X(MHD_get_daemon_info) X(MHD_queue_response) X(MHD_destroy_response) \
    X(MHD_create_response_from_buffer) X(MHD_add_response_header) \
    X(MHD_lookup_connection_value) X(MHD_suspend_connection) \
    X(MHD_resume_connection) X(MHD_get_connection_info)

typedef struct wb_mhd_api {
#define WB_MHD_PTR(f) __typeof__(f) *f;
    WB_MHD_FUNCS(WB_MHD_PTR)
#undef WB_MHD_PTR
} wb_mhd_api;

extern wb_mhd_api wb_mhd;

/* Load the library once (thread-safe); false with a reason in why. */
bool wb_mhd_load(char *why, size_t cap);

/* MHD_OPTION_EXTERNAL_LOGGER, with a prefix ("wasmbox serve") as its
 * closure: libmicrohttpd's messages, one line each on stderr, at most one
 * a second (a flood of connections, each refused with a message, must not
 * flood the log); the next line says how many were left out. */
void wb_mhd_log(void *prefix, const char *fmt, va_list ap);

#ifndef WB_MHD_NO_RENAME
#define MHD_start_daemon wb_mhd.MHD_start_daemon
#define MHD_stop_daemon wb_mhd.MHD_stop_daemon
#define MHD_quiesce_daemon wb_mhd.MHD_quiesce_daemon
#define MHD_get_daemon_info wb_mhd.MHD_get_daemon_info
#define MHD_queue_response wb_mhd.MHD_queue_response
#define MHD_destroy_response wb_mhd.MHD_destroy_response
#define MHD_create_response_from_buffer wb_mhd.MHD_create_response_from_buffer
#define MHD_add_response_header wb_mhd.MHD_add_response_header
#define MHD_lookup_connection_value wb_mhd.MHD_lookup_connection_value
#define MHD_suspend_connection wb_mhd.MHD_suspend_connection
#define MHD_resume_connection wb_mhd.MHD_resume_connection
#define MHD_get_connection_info wb_mhd.MHD_get_connection_info
#endif
#endif
