/* wb_mcp_stdio.c: the stdio transport. One JSON-RPC message (or batch)
 * per line on stdin; one response per line on stdout. The connection is
 * the process: one session, closed at end of input. Nothing else is ever
 * written to stdout (guest output is captured). */
#include "server/wb_mcp.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int wb_mcp_stdio(wb_mcp_server *srv)
{
    wb_mcp_conn c;
    wb_mcp_conn_init(&c, srv, srv->resume_id);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, stdin)) >= 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            n--;
        size_t i = 0;
        while (i < (size_t)n && (line[i] == ' ' || line[i] == '\t'))
            i++;
        if (i == (size_t)n)
            continue;                     /* blank line */
        char *resp = wb_mcp_handle_text(&c, line + i, (size_t)n - i, NULL);
        if (resp) {
            fputs(resp, stdout);
            fputc('\n', stdout);
            fflush(stdout);
            free(resp);
        }
    }
    free(line);
    wb_mcp_conn_close(&c);
    return 0;
}
