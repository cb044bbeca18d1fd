/* wb_mcp_stdio.c: the stdio transport. One JSON-RPC message (or batch)
 * per line on stdin; one response per line on stdout. The connection is
 * the process: one session, closed at end of input. Nothing else is ever
 * written to stdout (guest output is captured).
 *
 * A line is held only up to WB_MCP_MAX_MESSAGE bytes, as an HTTP body
 * is: a client that sends a longer one (or never a newline) gets one
 * error for it, and the server reads on, its memory bounded. */
#include "server/wb_mcp.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The next line of stdin, without its newline, into *buf (grown as
 * needed); its length, or -1 at the end of input. A line past
 * WB_MCP_MAX_MESSAGE is read to its end but not kept: *too_long. */
static ssize_t read_line(char **buf, size_t *cap, bool *too_long)
{
    size_t n = 0;
    bool any = false;
    int ch;
    *too_long = false;
    while ((ch = getc_unlocked(stdin)) != EOF) {
        any = true;
        if (ch == '\n')
            break;
        if (n >= WB_MCP_MAX_MESSAGE) {
            *too_long = true;
            continue;
        }
        if (n + 1 >= *cap) {
            size_t nc = *cap ? *cap * 2 : 4096;
            char *b = realloc(*buf, nc);
            if (!b) {
                *too_long = true;
                continue;
            }
            *buf = b;
            *cap = nc;
        }
        (*buf)[n++] = (char)ch;
    }
    return any ? (ssize_t)n : -1;
}

/* false once stdout is gone (EPIPE: SIGPIPE is ignored): the client can
 * no longer read answers, so the requests still in stdin are not run. */
static bool send_line(char *resp)
{
    if (!resp)
        return true;
    fputs(resp, stdout);
    fputc('\n', stdout);
    bool ok = fflush(stdout) == 0;
    int e = errno;
    free(resp);
    errno = e;
    return ok;
}

/* One line: its answer sent (none for a blank line or notifications);
 * false when stdout is gone. */
static bool serve_line(wb_mcp_conn *c, const char *line, size_t n)
{
    while (n > 0 && line[n - 1] == '\r')
        n--;
    size_t i = 0;
    while (i < n && (line[i] == ' ' || line[i] == '\t'))
        i++;
    if (i == n)
        return true;                      /* blank line */
    return send_line(wb_mcp_handle_text(c, line + i, n - i, NULL));
}

int wb_mcp_stdio(wb_mcp_server *srv)
{
    wb_mcp_conn c;
    wb_mcp_conn_init(&c, srv, srv->resume_id);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    bool too_long, line_ok;
    while ((n = read_line(&line, &cap, &too_long)) >= 0) {
        if (too_long) {
            char msg[120];
            snprintf(msg, sizeof msg, "Invalid Request: message longer than "
                     "%u bytes", WB_MCP_MAX_MESSAGE);
            line_ok = send_line(wb_mcp_error_text(-32600, msg));
        } else {
            line_ok = serve_line(&c, line, (size_t)n);
        }
        if (!line_ok) {
            fprintf(stderr, "wasmbox mcp: stdout is closed: %s; stopping\n",
                    strerror(errno));
            break;
        }
    }
    free(line);
    wb_mcp_conn_close(&c);
    return 0;
}
