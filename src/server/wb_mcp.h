/* wb_mcp.h: the MCP server of `wasmbox mcp` (src/server/). Not installed.
 *
 *   wb_mcp.c        JSON-RPC 2.0 dispatch, MCP methods, lifecycle
 *   wb_mcp_tools.c  the tools (run_python, write_file, ...)
 *   wb_mcp_stdio.c  newline-delimited JSON-RPC on stdin/stdout
 *   wb_mcp_http.c   Streamable HTTP on a loopback port (libmicrohttpd)
 * The command line is src/cli/mcp.c; nothing here prints errors.
 */
#ifndef WB_MCP_H
#define WB_MCP_H

#include "wasmbox.h"
#include "common/addr.h"
#include <jansson.h>
#include <pthread.h>

#define WB_MCP_LATEST "2025-06-18"

/* The longest message (a stdio line, an HTTP body) read; a longer one is
 * answered with an error and dropped. */
#define WB_MCP_MAX_MESSAGE (16u << 20)
/* The most JSON values a message may hold: jansson spends 50 to 250
 * bytes on each, so "[{},{},...]" of 16 MiB held 1.3 GB while parsed
 * (one per HTTP connection at once). A batch of a thousand tool calls
 * holds about ten thousand. */
#define WB_MCP_MAX_VALUES 100000u

typedef struct wb_mcp_server {
    wb_sandbox_config policy;
    wb_session_settings settings;
    wb_session_options opts;       /* points at policy and settings */
    const char *resume_id;         /* stdio: --session ID */
    /* sessions on disk (the state directory's, any maker's) past which
       this server makes no more: fork_session, and with --http a new
       connection's first tool call (wb_mcp_session) */
    unsigned max_stored;
    bool http;
    /* --http: tool calls running at once (0: no bound); more wait */
    unsigned max_running;
    /* --http: MCP sessions (connections) open at once, in all and per
       client address, and the idle time after which one is closed */
    unsigned max_sessions, max_per_client;
    uint64_t idle_ms;              /* 0: never */
    /* --http: TCP connections (one thread each) open at once, and the
       deadlines of a request's headers and of the whole request
       (wb_conn.h; 0: none) */
    unsigned max_conns;
    uint64_t header_ms, request_ms;
} wb_mcp_server;

/* One client connection: one wasmbox session, opened (created, or
 * resumed from disk) at the first tool call: an MCP client that only
 * initializes leaves nothing on disk. */
typedef struct wb_mcp_conn {
    wb_mcp_server *srv;
    wb_session *sess;
    char want_id[64];              /* "" or the id to open */
    bool initialized;
    char proto[32];
    pthread_mutex_t mu;
} wb_mcp_conn;

void wb_mcp_conn_init(wb_mcp_conn *c, wb_mcp_server *srv, const char *id);
void wb_mcp_conn_close(wb_mcp_conn *c);

/* Handle one message (text). Returns the response text (malloc'd, no
 * newline) or NULL when nothing is to be sent (notifications). Never
 * fails on bad input: that becomes a JSON-RPC error response.
 * *was_init is set when the message was an initialize request. */
char *wb_mcp_handle_text(wb_mcp_conn *c, const char *text, size_t len,
                         bool *was_init);
/* Does text hold at most WB_MCP_MAX_VALUES JSON values? (A scan that
 * parses nothing: the bound holds before jansson allocates.) */
bool wb_mcp_values_ok(const char *text, size_t len);
/* The error answer (malloc'd text) to a message that was not parsed:
 * code, message, id null. */
char *wb_mcp_error_text(int code, const char *msg);

/* tools */
json_t *wb_mcp_tools_list(const wb_mcp_conn *c);
/* Returns a CallToolResult, or NULL with code and msg set for a JSON-RPC error
 * (-32602 unknown tool / bad arguments). */
json_t *wb_mcp_tools_call(wb_mcp_conn *c, const char *name, json_t *args,
                          int *code, char *msg, size_t msglen);
/* Is id a session id (letters, digits, '-', '_', '.'; at most 63)? */
bool wb_mcp_session_id_ok(const char *id);
/* Open the connection's session if not yet open (with --http, a new one
 * only within max_stored). */
wb_status wb_mcp_session(wb_mcp_conn *c, wb_error *err);
/* wb_session_fork of the connection's session, within max_stored. */
wb_status wb_mcp_fork(wb_mcp_conn *c, wb_session **out, wb_error *err);

/* transports */
/* Until the end of stdin; 0. */
int wb_mcp_stdio(wb_mcp_server *srv);
/* Streamable HTTP on `addr` (a loopback address) until SIGTERM, SIGINT
 * or SIGHUP (then drain); 0, or -1 with msg set when it cannot start. */
int wb_mcp_http(wb_mcp_server *srv, const wb_addr *addr, char *msg,
                size_t cap);

#endif
