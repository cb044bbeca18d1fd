/* wb_mcp.c: JSON-RPC 2.0 and the MCP lifecycle (initialize,
 * notifications/initialized, ping, tools/list, tools/call). Batches
 * (2025-03-26) are accepted, their answers bounded in all (handle_batch).
 * Malformed input never ends the server: it
 * gets -32700 (parse error), -32600 (invalid request), -32601 (method
 * not found) or -32602 (invalid params). */
#include "server/wb_mcp.h"
#include "common/error.h"
#include "session/wb_session.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const versions[] = { "2025-06-18", "2025-03-26",
                                        "2024-11-05", NULL };

static const char instructions[] =
    "wasmbox runs code in a WebAssembly sandbox. This connection has its "
    "own session: a workspace directory seen by the code as /work (also "
    "the working directory), kept between calls. Python and JavaScript "
    "keep their variables between calls, like a notebook; a step that "
    "hits its time, fuel or memory limit loses that state (the result "
    "says so). Nothing outside the workspace and the policy's grants is "
    "visible; there is no network.";

void wb_mcp_conn_init(wb_mcp_conn *c, wb_mcp_server *srv, const char *id)
{
    memset(c, 0, sizeof *c);
    c->srv = srv;
    if (id)
        snprintf(c->want_id, sizeof c->want_id, "%s", id);
    pthread_mutex_init(&c->mu, NULL);
}

void wb_mcp_conn_close(wb_mcp_conn *c)
{
    if (c->sess)
        wb_session_close(c->sess);
    c->sess = NULL;
    pthread_mutex_destroy(&c->mu);
}

bool wb_mcp_session_id_ok(const char *id)
{
    return wb_sess_valid_id(id);
}

/* Held from counting the sessions on disk to making one more, so that
 * requests at once cannot all pass the count. */
static pthread_mutex_t store_mu = PTHREAD_MUTEX_INITIALIZER;

/* WB_OK when the state directory holds fewer than --max-stored-sessions
 * sessions (store_mu held). Without the bound a client made sessions on
 * disk without end: fork_session in a loop (30 forks of a 30 MB
 * workspace: 900 MB in 2 s), or over HTTP initialize, a write_file,
 * DELETE, again. Expiry (session.idle_expiry) makes room again. */
static wb_status store_room(const wb_mcp_server *srv, wb_error *err)
{
    wb_session_info *all = NULL;
    size_t n = 0;
    wb_error le = { 0 };
    if (wb_session_list(&srv->opts, &all, &n, &le) == WB_OK)
        free(all);                        /* no directory yet: none */
    if (!srv->max_stored || n < srv->max_stored)
        return WB_OK;
    return wb_err_set(err, WB_E_LIMIT, "the state directory holds %zu "
                      "sessions, this server's limit "
                      "(--max-stored-sessions %u): delete some (wasmbox "
                      "session delete ID) or wait until they pass "
                      "session.idle_expiry", n, srv->max_stored);
}

wb_status wb_mcp_session(wb_mcp_conn *c, wb_error *err)
{
    if (c->sess)
        return WB_OK;
    const char *id = c->want_id[0] ? c->want_id : NULL;
    /* stdio's own session is one per process: not counted */
    if (!c->srv->http || (id && wb_session_exists(&c->srv->opts, id)))
        return wb_session_open(&c->srv->opts, id, &c->sess, err);
    pthread_mutex_lock(&store_mu);
    wb_status st = store_room(c->srv, err);
    if (!st)
        st = wb_session_open(&c->srv->opts, id, &c->sess, err);
    pthread_mutex_unlock(&store_mu);
    return st;
}

wb_status wb_mcp_fork(wb_mcp_conn *c, wb_session **out, wb_error *err)
{
    pthread_mutex_lock(&store_mu);
    wb_status st = store_room(c->srv, err);
    if (!st)
        st = wb_session_fork(c->sess, &c->srv->opts, out, err);
    pthread_mutex_unlock(&store_mu);
    return st;
}

/* Tool calls running (run_mu): at most srv->max_running. Each holds its
 * answer while it is made, up to a few times budget.output (16 HTTP
 * sessions printing 16 MiB at once held 1.4 GB): the bound keeps their
 * sum bounded whatever the number of sessions. */
static pthread_mutex_t run_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t run_cv = PTHREAD_COND_INITIALIZER;
static unsigned running;

static void run_enter(const wb_mcp_server *srv)
{
    pthread_mutex_lock(&run_mu);
    while (srv->max_running && running >= srv->max_running)
        pthread_cond_wait(&run_cv, &run_mu);
    running++;
    pthread_mutex_unlock(&run_mu);
}

static void run_leave(void)
{
    pthread_mutex_lock(&run_mu);
    running--;
    pthread_cond_signal(&run_cv);
    pthread_mutex_unlock(&run_mu);
}

static json_t *error_obj(json_t *id, int code, const char *msg)
{
    return json_pack("{s:s, s:O, s:{s:i, s:s}}", "jsonrpc", "2.0", "id",
                     id ? id : json_null(), "error", "code", code,
                     "message", msg);
}

static json_t *result_obj(json_t *id, json_t *result)
{
    return json_pack("{s:s, s:O, s:o}", "jsonrpc", "2.0", "id", id,
                     "result", result);
}

static json_t *do_initialize(wb_mcp_conn *c, json_t *params)
{
    const char *want = NULL;
    json_unpack(params, "{s?s}", "protocolVersion", &want);
    const char *v = versions[0];
    for (const char *const *p = versions; want && *p; p++)
        if (!strcmp(*p, want))
            v = *p;
    snprintf(c->proto, sizeof c->proto, "%s", v);
    c->initialized = true;
    return json_pack("{s:s, s:{s:{s:b}}, s:{s:s, s:s, s:s}, s:s}",
                     "protocolVersion", v,
                     "capabilities", "tools", "listChanged", 0,
                     "serverInfo", "name", "wasmbox", "title",
                     "wasmbox sandbox", "version", WB_VERSION,
                     "instructions", instructions);
}

/* One message object -> response object, or NULL (notification). */
static json_t *handle_one(wb_mcp_conn *c, json_t *msg, bool *was_init)
{
    if (!json_is_object(msg))
        return error_obj(NULL, -32600, "Invalid Request: expected an object");
    json_t *id = json_object_get(msg, "id");
    json_t *jv = json_object_get(msg, "jsonrpc");
    json_t *method = json_object_get(msg, "method");
    json_t *params = json_object_get(msg, "params");
    bool id_ok = id && (json_is_string(id) || json_is_integer(id));
    if (id && !id_ok)
        return error_obj(NULL, -32600, "Invalid Request: id must be a string "
                         "or an integer");
    if (!json_is_string(jv) || strcmp(json_string_value(jv), "2.0"))
        return error_obj(id, -32600, "Invalid Request: jsonrpc must be "
                         "\"2.0\"");
    if (!method) {
        /* a response from the client (we send no requests): ignore */
        if (json_object_get(msg, "result") || json_object_get(msg, "error"))
            return NULL;
        return error_obj(id, -32600, "Invalid Request: no method");
    }
    if (!json_is_string(method))
        return error_obj(id, -32600, "Invalid Request: method must be a "
                         "string");
    if (params && !json_is_object(params) && !json_is_array(params))
        return error_obj(id, -32600, "Invalid Request: params must be an "
                         "object or array");
    const char *m = json_string_value(method);
    if (!id) {
        /* notifications: initialized, cancelled, ... nothing to answer */
        return NULL;
    }
    if (params && !json_is_object(params))
        return error_obj(id, -32602, "Invalid params: expected an object");
    if (!strcmp(m, "initialize")) {
        if (!params || !json_is_string(json_object_get(params,
                                                       "protocolVersion")))
            return error_obj(id, -32602, "Invalid params: initialize needs "
                             "protocolVersion");
        if (was_init)
            *was_init = true;
        return result_obj(id, do_initialize(c, params));
    }
    if (!strcmp(m, "ping"))
        return result_obj(id, json_object());
    if (!strcmp(m, "tools/list"))
        return result_obj(id, json_pack("{s:o}", "tools",
                                        wb_mcp_tools_list(c)));
    if (!strcmp(m, "tools/call")) {
        json_t *name = params ? json_object_get(params, "name") : NULL;
        json_t *args = params ? json_object_get(params, "arguments") : NULL;
        if (!json_is_string(name))
            return error_obj(id, -32602, "Invalid params: tools/call needs "
                             "a tool name");
        if (args && !json_is_object(args))
            return error_obj(id, -32602, "Invalid params: arguments must be "
                             "an object");
        int code = 0;
        char emsg[300] = "";
        json_t *empty = json_object();
        pthread_mutex_lock(&c->mu);
        run_enter(c->srv);
        json_t *r = wb_mcp_tools_call(c, json_string_value(name),
                                      args ? args : empty, &code, emsg,
                                      sizeof emsg);
        run_leave();
        pthread_mutex_unlock(&c->mu);
        json_decref(empty);
        if (!r)
            return error_obj(id, code ? code : -32603, emsg[0] ? emsg
                             : "Internal error");
        return result_obj(id, r);
    }
    char buf[200];
    snprintf(buf, sizeof buf, "Method not found: %.120s", m);
    return error_obj(id, -32601, buf);
}

/* The answers of one batch are kept as text, and once they hold this
 * much the batch's other requests are not run but answered with an
 * error: each tool call's answer is bounded (read_file's file, a run's
 * output budget), but a batch of thousands of them would make the server
 * hold and send their sum (one 16 MiB message of read_file calls: many
 * terabytes). */
#define WB_MCP_BATCH_BYTES (64u << 20)

/* The answer to a request of a batch that was cut short (NULL for a
 * notification, which gets none). */
static json_t *not_run(json_t *msg)
{
    json_t *id = json_is_object(msg) ? json_object_get(msg, "id") : NULL;
    if (json_is_object(msg) && !id)
        return NULL;
    if (!json_is_string(id) && !json_is_integer(id))
        id = NULL;
    return error_obj(id, -32000, "not run: the answers to this batch "
                     "already hold 64 MiB; send fewer requests per batch");
}

/* A batch (not empty) -> its answers as a JSON array, or NULL when all
 * were notifications. */
static char *handle_batch(wb_mcp_conn *c, json_t *msg, bool *was_init)
{
    char *out = NULL;
    size_t len = 0, i;
    FILE *f = open_memstream(&out, &len);
    json_t *item;
    bool any = false;
    if (!f)
        return NULL;
    json_array_foreach(msg, i, item) {
        json_t *r = len < WB_MCP_BATCH_BYTES ? handle_one(c, item, was_init)
                                             : not_run(item);
        char *t = r ? json_dumps(r, JSON_COMPACT) : NULL;
        json_decref(r);
        if (!t)
            continue;
        fputc(any ? ',' : '[', f);
        fputs(t, f);
        fflush(f);                        /* brings len up to date */
        free(t);
        any = true;
    }
    if (any)
        fputc(']', f);
    if (fclose(f) != 0 || !any) {
        free(out);
        return NULL;
    }
    return out;
}

/* Every value but the first follows a ',' or opens a container's
 * contents, so '{', '[' and ',' outside strings bound their number. */
bool wb_mcp_values_ok(const char *text, size_t len)
{
    size_t n = 0;
    bool in_str = false;
    for (size_t i = 0; i < len; i++) {
        char ch = text[i];
        if (in_str) {
            if (ch == '\\')
                i++;
            else if (ch == '"')
                in_str = false;
        } else if (ch == '"') {
            in_str = true;
        } else if ((ch == '{' || ch == '[' || ch == ',') &&
                   ++n > WB_MCP_MAX_VALUES) {
            return false;
        }
    }
    return true;
}

char *wb_mcp_error_text(int code, const char *msg)
{
    json_t *r = error_obj(NULL, code, msg);
    char *out = r ? json_dumps(r, JSON_COMPACT) : NULL;
    json_decref(r);
    return out;
}

char *wb_mcp_handle_text(wb_mcp_conn *c, const char *text, size_t len,
                         bool *was_init)
{
    json_error_t je;
    if (was_init)
        *was_init = false;
    if (!wb_mcp_values_ok(text, len)) {
        char buf[200];
        snprintf(buf, sizeof buf, "Invalid Request: the message holds more "
                 "than %u JSON values (send fewer requests per batch)",
                 WB_MCP_MAX_VALUES);
        return wb_mcp_error_text(-32600, buf);
    }
    json_t *msg = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
                           &je);
    json_t *resp;
    if (!msg) {
        char buf[300];
        snprintf(buf, sizeof buf, "Parse error: %s", je.text);
        resp = error_obj(NULL, -32700, buf);
    } else if (json_is_array(msg) && json_array_size(msg) > 0) {
        char *out = handle_batch(c, msg, was_init);
        json_decref(msg);
        return out;
    } else if (json_is_array(msg)) {
        resp = error_obj(NULL, -32600, "Invalid Request: empty batch");
    } else {
        resp = handle_one(c, msg, was_init);
    }
    json_decref(msg);
    if (!resp)
        return NULL;
    char *out = json_dumps(resp, JSON_COMPACT);
    json_decref(resp);
    if (!out)
        out = strdup("{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":"
                     "-32603,\"message\":\"Internal error\"}}");
    return out;
}
