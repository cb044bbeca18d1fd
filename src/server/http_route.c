/* http_route.c: the routes of `wasmbox serve` and how a URL matches one.
 *
 * A pattern's "{id}" matches one non-empty path segment (shorter than
 * WB_HTTP_ID_MAX), "{path}" the non-empty rest of the URL (shorter than
 * WB_HTTP_PATH_MAX), anything else itself; one trailing '/' is allowed.
 * The URL is the one libmicrohttpd decoded (a %00 in it is refused
 * before: http.c), so "{path}" may hold "..": the session layer judges
 * paths (wb_sess_rel_path), not the router. */
#include "server/http.h"
#include <stdio.h>
#include <string.h>

/* Indexed by route id; `wasmbox serve --list-routes` prints them in this
 * order (docs/openapi.json follows it). */
static const wb_http_route routes[WB_R_COUNT] = {
    [WB_R_HEALTH] = { "GET", "/healthz", false, true },
    [WB_R_LIVE] = { "GET", "/livez", false, true },
    [WB_R_METRICS] = { "GET", "/metrics", true, true },
    [WB_R_RUN] = { "POST", "/v1/run", true, false },
    [WB_R_SESS_CREATE] = { "POST", "/v1/sessions", true, false },
    [WB_R_SESS_LIST] = { "GET", "/v1/sessions", true, false },
    [WB_R_SESS_GET] = { "GET", "/v1/sessions/{id}", true, false },
    [WB_R_SESS_DELETE] = { "DELETE", "/v1/sessions/{id}", true, false },
    [WB_R_EXEC] = { "POST", "/v1/sessions/{id}/exec", true, false },
    [WB_R_FILES_LIST] = { "GET", "/v1/sessions/{id}/files", true, false },
    [WB_R_FILE_PUT] = { "PUT", "/v1/sessions/{id}/files/{path}", true,
                        false },
    [WB_R_FILE_GET] = { "GET", "/v1/sessions/{id}/files/{path}", true,
                        false },
    [WB_R_SESS_FORK] = { "POST", "/v1/sessions/{id}/fork", true, false },
};

const wb_http_route *wb_http_route_get(int id)
{
    return id >= 0 && id < WB_R_COUNT ? &routes[id] : NULL;
}

void wb_http_list_routes(FILE *out)
{
    for (int i = 0; i < WB_R_COUNT; i++)
        fprintf(out, "%s %s\n", routes[i].method, routes[i].pattern);
}

/* Does `url` match `pattern`? Fills id / path when they are set. */
static bool match(const char *pattern, const char *url, char *id,
                  char *path)
{
    const char *p = pattern, *u = url;
    while (*p) {
        if (!strncmp(p, "{id}", 4)) {
            size_t n = strcspn(u, "/");
            if (n == 0 || n >= WB_HTTP_ID_MAX)
                return false;
            if (id)
                snprintf(id, WB_HTTP_ID_MAX, "%.*s", (int)n, u);
            u += n;
            p += 4;
        } else if (!strncmp(p, "{path}", 6)) {
            size_t n = strlen(u);
            if (n == 0 || n >= WB_HTTP_PATH_MAX)
                return false;
            if (path)
                snprintf(path, WB_HTTP_PATH_MAX, "%s", u);
            u += n;
            p += 6;
        } else {
            if (*p != *u)
                return false;
            p++;
            u++;
        }
    }
    return *u == 0 || (*u == '/' && u[1] == 0);   /* one trailing '/' ok */
}

int wb_http_route_find(const char *method, const char *url, char *id,
                       char *path)
{
    for (int i = 0; i < WB_R_COUNT; i++)
        if (!strcmp(routes[i].method, method) &&
            match(routes[i].pattern, url, id, path))
            return i;
    return -1;
}

const char *wb_http_allowed(const char *url, char *buf, size_t cap)
{
    buf[0] = 0;
    for (int i = 0; i < WB_R_COUNT; i++) {
        if (!match(routes[i].pattern, url, NULL, NULL) ||
            strstr(buf, routes[i].method))
            continue;
        size_t n = strlen(buf);
        snprintf(buf + n, cap - n, "%s%s", n ? ", " : "", routes[i].method);
    }
    return buf[0] ? buf : NULL;
}
