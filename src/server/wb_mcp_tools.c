/* wb_mcp_tools.c: the tools `wasmbox mcp` offers. Each runs in the
 * connection's session; results carry text content plus
 * structuredContent (stdout, stderr, exit_code, outcome, truncation,
 * whether interpreter state was kept). Failures of the agent's code or
 * of a file operation are results with isError: true, not protocol
 * errors. */
#include "server/wb_mcp.h"
#include "common/b64.h"
#include "common/error.h"
#include "common/json.h"
#include "sandbox/sandbox.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WB_MCP_MAX_READ (8u << 20)

static json_t *schema_code(const char *what)
{
    return json_pack("{s:s, s:{s:{s:s, s:s}}, s:[s], s:b}", "type", "object",
                     "properties", "code", "type", "string", "description",
                     what, "required", "code", "additionalProperties", 0);
}

typedef struct tool_def {
    const char *name, *title, *desc;
    int lang;                      /* wb_lang, or -1 */
    const char *args;              /* its arguments, each followed by ' ' */
} tool_def;

static const tool_def tools[] = {
    { "run_python", "Run Python",
      "Run Python 3.11 code in this session's sandbox. Variables, imports "
      "and functions persist between calls (like a notebook cell); the "
      "value of a final expression is printed. The working directory is "
      "/work, the session workspace, which persists between calls; the "
      "standard library is available, third-party packages and the "
      "network are not. subprocess, os.system and os.popen run the "
      "sandbox's tools (sh, ls, grep, sed, awk, ..., python3) on the same "
      "files; a child still running when the call returns is killed. "
      "Returns stdout, stderr, exit_code and outcome "
      "(exited, timeout, fuel, memory, output-limit, disk-limit, trap). "
      "If a call hits a limit (or waits for stdin) the interpreter is "
      "rolled back to its state after the last call that finished "
      "(rolled_back, live_step), or, where that state cannot be kept, "
      "restarted with its variables lost (state_lost). Files in /work are "
      "kept either way.",
      WB_LANG_PYTHON, "code " },
    { "run_javascript", "Run JavaScript",
      "Run JavaScript (QuickJS, ES2020) in this session's sandbox. "
      "Global declarations persist between calls; the value of the last "
      "expression is printed. Use console.log or print for output; the "
      "'std' and 'os' modules are available as globals std and os. Files "
      "live in /work (the working directory). No network, no Node APIs.",
      WB_LANG_JAVASCRIPT, "code " },
    { "run_sql", "Run SQL",
      "Run SQL statements with the SQLite 3 shell against a database file "
      "in the session workspace (default session.db; it persists between "
      "calls). Query results are printed with a header row, '|'-separated."
      " Dot-commands such as .tables and .schema work.", WB_LANG_SQL,
      "sql database " },
    { "run_lua", "Run Lua",
      "Run a Lua 5.4 chunk in this session's sandbox. Each call starts a "
      "fresh interpreter (no state kept); files in /work persist.",
      WB_LANG_LUA, "code " },
    { "run_shell", "Run a shell command",
      "Run a POSIX shell command line or script (dash, with busybox's "
      "tools: ls, cat, grep, sed, awk, find, xargs, sort, uniq, wc, head, "
      "tail, cut, tr, diff, ... and python3, qjs, lua, sqlite3 by name) "
      "in this session's sandbox. The working directory is /work, the "
      "session's files: a file written by run_python is there for grep "
      "in the next call. Each call starts a fresh shell (variables and cd "
      "are not kept); files in /work persist. Exit status and stderr are "
      "returned.", WB_LANG_SHELL, "code " },
    { "write_file", "Write a file",
      "Create or replace a file in the session workspace (/work). 'path' "
      "is relative to /work (or starts with /work/); parent directories "
      "are created. 'encoding' is utf-8 (default) or base64.", -1,
      "path content encoding " },
    { "read_file", "Read a file",
      "Read a file from the session workspace (/work). 'path' is relative "
      "to /work (or starts with /work/). Text is returned as UTF-8; binary "
      "files as base64 (encoding tells which).", -1, "path " },
    { "list_files", "List files",
      "List the files and directories in the session workspace (/work), "
      "recursively, with sizes. 'path' (optional) lists a subdirectory.",
      -1, "path " },
    { "reset_session", "Reset interpreters",
      "Restart the Python and JavaScript interpreters of this session, "
      "forgetting all variables. Files in /work are kept.", -1, "" },
    { "fork_session", "Fork the session",
      "Make a new session from this one as it is now, to try another "
      "approach from the same state: a copy of the files in /work and of "
      "the Python interpreter's variables (JavaScript variables are not "
      "copied: the fork's interpreter starts afresh). This connection "
      "keeps using this session, unchanged; the result's fork_id names "
      "the new one, which a client opens with `wasmbox mcp --session "
      "FORK_ID` (stdio) or the Mcp-Session-Id header (HTTP). Same limits "
      "as this session.", -1, "" },
};
#define NTOOLS (sizeof tools / sizeof *tools)

static bool lang_allowed(const wb_mcp_conn *c, int lang)
{
    return lang < 0 || (c->srv->settings.languages & WB_LANG_BIT(lang));
}

json_t *wb_mcp_tools_list(const wb_mcp_conn *c)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < NTOOLS; i++) {
        const tool_def *t = &tools[i];
        if (!lang_allowed(c, t->lang))
            continue;
        json_t *schema;
        if (!strcmp(t->name, "run_python"))
            schema = schema_code("Python source code to run");
        else if (!strcmp(t->name, "run_javascript"))
            schema = schema_code("JavaScript source code to run");
        else if (!strcmp(t->name, "run_lua"))
            schema = schema_code("Lua source code to run");
        else if (!strcmp(t->name, "run_shell"))
            schema = schema_code("shell commands to run (sh -c)");
        else if (!strcmp(t->name, "run_sql"))
            schema = json_pack(
                "{s:s, s:{s:{s:s, s:s}, s:{s:s, s:s}}, s:[s], s:b}",
                "type", "object", "properties",
                "sql", "type", "string", "description",
                "SQL statements (and sqlite3 dot-commands) to run",
                "database", "type", "string", "description",
                "database file in the workspace (default session.db)",
                "required", "sql", "additionalProperties", 0);
        else if (!strcmp(t->name, "write_file"))
            schema = json_pack(
                "{s:s, s:{s:{s:s, s:s}, s:{s:s, s:s}, s:{s:s, s:[s,s], "
                "s:s}}, s:[s,s], s:b}",
                "type", "object", "properties",
                "path", "type", "string", "description",
                "file path relative to /work",
                "content", "type", "string", "description",
                "the file's content",
                "encoding", "type", "string", "enum", "utf-8", "base64",
                "description", "how content is encoded (default utf-8)",
                "required", "path", "content", "additionalProperties", 0);
        else if (!strcmp(t->name, "read_file"))
            schema = json_pack("{s:s, s:{s:{s:s, s:s}}, s:[s], s:b}", "type",
                               "object", "properties", "path", "type",
                               "string", "description",
                               "file path relative to /work", "required",
                               "path", "additionalProperties", 0);
        else if (!strcmp(t->name, "list_files"))
            schema = json_pack("{s:s, s:{s:{s:s, s:s}}, s:b}", "type",
                               "object", "properties", "path", "type",
                               "string", "description",
                               "directory relative to /work (default: all)",
                               "additionalProperties", 0);
        else
            schema = json_pack("{s:s, s:{}, s:b}", "type", "object",
                               "properties", "additionalProperties", 0);
        json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:o}", "name",
                                             t->name, "title", t->title,
                                             "description", t->desc,
                                             "inputSchema", schema));
    }
    return arr;
}

static json_t *text_result(const char *text, json_t *structured, bool error)
{
    json_t *r = json_pack("{s:[{s:s, s:o}], s:b}", "content", "type", "text",
                          "text", wb_json_text(text, strlen(text)),
                          "isError", error);
    if (structured)
        json_object_set_new(r, "structuredContent", structured);
    return r;
}

/* e->message may end in a character cut short (a long path): repaired,
 * as the text is, or the structured part would be lost. */
static json_t *fail(wb_mcp_conn *c, const wb_error *e)
{
    json_t *st = json_pack("{s:o, s:s}", "error",
                           wb_json_text(e->message, strlen(e->message)),
                           "session_id", c->sess ? wb_session_id(c->sess)
                                                 : "");
    /* a crashed worker: the id of its line in the server's log */
    if (st && e->status == WB_E_CRASH) {
        json_object_set_new(st, "outcome", json_string("internal"));
        json_object_set_new(st, "incident", json_string(e->incident));
    }
    return text_result(e->message, st, true);
}

static void append(char **buf, size_t *len, size_t *cap, const char *s,
                   size_t n)
{
    if (*len + n + 1 > *cap) {
        size_t nc = (*len + n + 1) * 2;
        char *b = realloc(*buf, nc);
        if (!b)
            return;
        *buf = b;
        *cap = nc;
    }
    memcpy(*buf + *len, s, n);
    *len += n;
    (*buf)[*len] = 0;
}

/* "--- requests ---" and one line per HTTP request of the step. */
static void request_lines(const wb_run_result *rr, char **text, size_t *len,
                          size_t *cap)
{
    uint32_t n = rr->net_requests < WB_NET_LOG_MAX ? rr->net_requests
                                                   : WB_NET_LOG_MAX;
    if (n)
        append(text, len, cap, "--- requests ---\n", 17);
    for (uint32_t i = 0; i < n; i++) {
        const wb_net_entry *e = &rr->net[i];
        char line[700];
        int k = snprintf(line, sizeof line, "%s %s://%s:%u ", e->method,
                         e->scheme, e->host, e->port);
        if (e->refused[0])
            snprintf(line + k, sizeof line - k, "refused: %s\n", e->refused);
        else
            snprintf(line + k, sizeof line - k, "-> %d (%llu bytes)\n",
                     (int)e->status, (unsigned long long)e->bytes);
        append(text, len, cap, line, strlen(line));
    }
}

/* The step's child processes, when it started any or was refused one:
 * a refusal is what a fork bomb or a loop of subprocess calls meets. */
static void process_line(const wb_run_result *rr, char **text, size_t *len,
                         size_t *cap)
{
    char line[200];
    if (rr->procs_started <= 1 && !rr->procs_refused)
        return;
    int n = snprintf(line, sizeof line, "processes: %u started, at most %u "
                     "at once", rr->procs_started, rr->procs_max_live);
    if (rr->procs_refused)
        n += snprintf(line + n, sizeof line - (size_t)n, ", %u refused "
                      "(the session's max_processes)", rr->procs_refused);
    snprintf(line + n, sizeof line - (size_t)n, "\n");
    append(text, len, cap, line, strlen(line));
}

static json_t *run_result(wb_mcp_conn *c, const wb_step_result *r)
{
    const wb_run_result *rr = &r->run;
    const char *oc = wb_outcome_name(rr->outcome);
    char head[700];
    if (rr->outcome == WB_OUTCOME_EXITED)
        snprintf(head, sizeof head, "exit code %d%s", rr->exit_code,
                 rr->message[0] ? " (uncaught exception)" : "");
    else
        snprintf(head, sizeof head, "outcome: %s%s%s", oc,
                 rr->message[0] && strcmp(rr->message, oc) ? ": " : "",
                 strcmp(rr->message, oc) ? rr->message : "");
    char *text = NULL;
    size_t len = 0, cap = 0;
    append(&text, &len, &cap, head, strlen(head));
    append(&text, &len, &cap, "\n", 1);
    if (r->out_len) {
        append(&text, &len, &cap, "--- stdout ---\n", 15);
        append(&text, &len, &cap, r->out, r->out_len);
        if (r->out[r->out_len - 1] != '\n')
            append(&text, &len, &cap, "\n", 1);
    }
    if (r->err_len) {
        append(&text, &len, &cap, "--- stderr ---\n", 15);
        append(&text, &len, &cap, r->err, r->err_len);
        if (r->err[r->err_len - 1] != '\n')
            append(&text, &len, &cap, "\n", 1);
    }
    if (rr->stdout_truncated || rr->stderr_truncated)
        append(&text, &len, &cap, "[output truncated at the output limit]\n",
               39);
    request_lines(rr, &text, &len, &cap);
    process_line(rr, &text, &len, &cap);
    if (r->note[0]) {
        append(&text, &len, &cap, "note: ", 6);
        append(&text, &len, &cap, r->note, strlen(r->note));
        append(&text, &len, &cap, "\n", 1);
    }
    json_t *sc = json_pack(
        "{s:o, s:o, s:i, s:s, s:b, s:b, s:b, s:b, s:b, s:b, s:I, s:s, s:I, "
        "s:I, s:s, s:s}",
        "stdout", wb_json_text(r->out ? r->out : "", r->out_len),
        "stderr", wb_json_text(r->err ? r->err : "", r->err_len),
        "exit_code", rr->exit_code, "outcome", oc,
        "stdout_truncated", rr->stdout_truncated,
        "stderr_truncated", rr->stderr_truncated,
        "persistent", r->persistent, "state_kept", r->state_kept,
        "state_lost", r->state_lost_after, "rolled_back", r->rolled_back,
        "live_step", (json_int_t)r->live_step, "note", r->note,
        "wall_time_ms", (json_int_t)rr->wall_time_ms,
        "fuel_used", (json_int_t)rr->fuel_used,
        "session_id", wb_session_id(c->sess),
        "tier", r->native ? "native" : "interp");
    if (sc && rr->net_requests)            /* docs/network.md */
        json_object_set_new(sc, "requests", wb_run_requests_json(rr));
    json_t *procs = sc ? wb_run_processes_json(rr) : NULL;
    if (procs)                             /* docs/processes.md */
        json_object_set_new(sc, "processes", procs);
    if (rr->outcome != WB_OUTCOME_EXITED && rr->message[0])
        json_object_set_new(sc, "message", wb_json_text(rr->message,
                                                         strlen(rr->message)));
    bool err = rr->outcome != WB_OUTCOME_EXITED || rr->exit_code != 0;
    json_t *res = text_result(text ? text : head, sc, err);
    free(text);
    return res;
}

static const char *arg_str(json_t *args, const char *key)
{
    json_t *v = json_object_get(args, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static json_t *do_write(wb_mcp_conn *c, json_t *args)
{
    const char *path = arg_str(args, "path");
    json_t *cv = json_object_get(args, "content");
    const char *enc = arg_str(args, "encoding");
    wb_error e = { 0 };
    uint8_t *data = NULL;
    size_t n = json_string_length(cv);
    if (enc && !strcmp(enc, "base64")) {
        char why[100];
        data = wb_b64_decode(json_string_value(cv), n, &n, why, sizeof why);
        if (!data) {
            wb_err_set(&e, WB_E_ARG, "content is not valid base64: %s", why);
            return fail(c, &e);
        }
    }
    wb_status st = wb_session_put_file(c->sess, path, data ? data
                                       : (const uint8_t *)json_string_value(cv),
                                       n, &e);
    free(data);
    if (st)
        return fail(c, &e);
    char msg[300];
    snprintf(msg, sizeof msg, "wrote %zu bytes to /work/%s", n,
             path[0] == '/' ? path + (strncmp(path, "/work/", 6) ? 1 : 6)
                            : path);
    return text_result(msg, json_pack("{s:s, s:I, s:s}", "path", path,
                                      "bytes", (json_int_t)n, "session_id",
                                      wb_session_id(c->sess)), false);
}

static json_t *do_read(wb_mcp_conn *c, json_t *args)
{
    const char *path = arg_str(args, "path");
    wb_error e = { 0 };
    uint8_t *data;
    size_t n;
    if (wb_session_get_file(c->sess, path, WB_MCP_MAX_READ, &data, &n, &e))
        return fail(c, &e);
    json_t *s = json_stringn((const char *)data, n);
    json_t *r;
    if (s) {
        r = json_pack("{s:[{s:s, s:O}], s:b, s:{s:s, s:O, s:s, s:I, s:s}}",
                      "content", "type", "text", "text", s, "isError", 0,
                      "structuredContent", "path", path, "content", s,
                      "encoding", "utf-8", "bytes", (json_int_t)n,
                      "session_id", wb_session_id(c->sess));
        json_decref(s);
    } else {
        char *b = wb_b64_encode(data, n);
        r = json_pack("{s:[{s:s, s:s}], s:b, s:{s:s, s:s, s:s, s:I, s:s}}",
                      "content", "type", "text", "text", b ? b : "",
                      "isError", 0, "structuredContent", "path", path,
                      "content", b ? b : "", "encoding", "base64", "bytes",
                      (json_int_t)n, "session_id", wb_session_id(c->sess));
        free(b);
    }
    free(data);
    return r;
}

static json_t *do_list(wb_mcp_conn *c, json_t *args)
{
    const char *path = arg_str(args, "path");
    wb_error e = { 0 };
    wb_file_entry *ents;
    size_t n;
    if (wb_session_list_files(c->sess, path, &ents, &n, &e))
        return fail(c, &e);
    json_t *arr = json_array();
    char *text = NULL;
    size_t len = 0, cap = 0;
    for (size_t i = 0; i < n; i++) {
        char line[4200];
        int k = snprintf(line, sizeof line, ents[i].is_dir ? "%s/\n"
                         : "%s  (%llu bytes)\n", ents[i].path,
                         (unsigned long long)ents[i].size);
        append(&text, &len, &cap, line, (size_t)k < sizeof line ? (size_t)k
                                                              : sizeof line - 1);
        json_array_append_new(arr, json_pack("{s:o, s:s, s:I}", "path",
                              wb_json_text(ents[i].path, strlen(ents[i].path)),
                              "type", ents[i].is_dir ? "directory" : "file",
                              "size", (json_int_t)ents[i].size));
    }
    wb_file_entries_free(ents, n);
    json_t *r = text_result(text ? text : "(the workspace is empty)\n",
                            json_pack("{s:o, s:s}", "files", arr,
                                      "session_id", wb_session_id(c->sess)),
                            false);
    free(text);
    return r;
}

/* A fork of the connection's session, left closed on disk for a client
 * to open (wb_session_fork); this connection stays on its session. */
static json_t *do_fork(wb_mcp_conn *c)
{
    wb_session *f = NULL;
    wb_error e = { 0 };
    if (wb_mcp_fork(c, &f, &e))
        return fail(c, &e);
    char id[64], msg[400];
    snprintf(id, sizeof id, "%s", wb_session_id(f));
    wb_session_close(f);
    snprintf(msg, sizeof msg, "forked session %s into %s (open it with "
             "--session %s or Mcp-Session-Id: %s)", wb_session_id(c->sess),
             id, id, id);
    return text_result(msg, json_pack("{s:s, s:s}", "session_id",
                                      wb_session_id(c->sess), "fork_id", id),
                       false);
}

/* Is key one of t's arguments? */
static bool takes_arg(const tool_def *t, const char *key)
{
    size_t n = strlen(key);
    for (const char *p = t->args; *p; p += strcspn(p, " ") + 1)
        if (n && !strncmp(p, key, n) && p[n] == ' ')
            return true;
    return false;
}

json_t *wb_mcp_tools_call(wb_mcp_conn *c, const char *name, json_t *args,
                          int *code, char *msg, size_t msglen)
{
    const tool_def *t = NULL;
    for (size_t i = 0; i < NTOOLS; i++)
        if (!strcmp(tools[i].name, name) && lang_allowed(c, tools[i].lang))
            t = &tools[i];
    *code = -32602;
    if (!t) {
        snprintf(msg, msglen, "Unknown tool: %.100s", name);
        return NULL;
    }
    /* argument checks per the input schemas */
    const char *need = t->lang == WB_LANG_SQL ? "sql" : t->lang >= 0 ? "code"
                       : (!strcmp(name, "write_file") ||
                          !strcmp(name, "read_file")) ? "path" : NULL;
    if (need && !arg_str(args, need)) {
        snprintf(msg, msglen, "Invalid params: '%s' (a string) is required "
                 "for %s", need, name);
        return NULL;
    }
    if (!strcmp(name, "write_file") && !arg_str(args, "content")) {
        snprintf(msg, msglen, "Invalid params: 'content' (a string) is "
                 "required for write_file");
        return NULL;
    }
    const char *enc = arg_str(args, "encoding");
    if (json_object_get(args, "encoding") && (!enc ||
        (strcmp(enc, "utf-8") && strcmp(enc, "base64")))) {
        snprintf(msg, msglen, "Invalid params: encoding must be utf-8 or "
                 "base64");
        return NULL;
    }
    const char *key;
    json_t *v;
    /* each tool's own (its schema's additionalProperties: false) */
    json_object_foreach(args, key, v) {
        if (!takes_arg(t, key) || !json_is_string(v)) {
            snprintf(msg, msglen, "Invalid params: unexpected argument "
                     "'%.60s' for %s", key, name);
            return NULL;
        }
    }
    /* nothing is made on disk before initialize: over HTTP a batch of a
       failed initialize and a tool call left a session nobody had the
       id of */
    if (!c->initialized) {
        *code = -32600;
        snprintf(msg, msglen, "Invalid Request: tools/call before "
                 "initialize (send initialize first)");
        return NULL;
    }
    *code = 0;
    wb_error e = { 0 };
    if (wb_mcp_session(c, &e)) {
        snprintf(msg, msglen, "cannot open the session: %s", e.message);
        *code = -32603;
        return NULL;
    }
    if (t->lang >= 0) {
        const char *src = arg_str(args, need);
        wb_step_result r;
        if (wb_session_run(c->sess, (wb_lang)t->lang, src, strlen(src),
                           arg_str(args, "database"), &r, &e))
            return fail(c, &e);
        json_t *res = run_result(c, &r);
        wb_step_result_free(&r);
        return res;
    }
    if (!strcmp(name, "write_file"))
        return do_write(c, args);
    if (!strcmp(name, "read_file"))
        return do_read(c, args);
    if (!strcmp(name, "list_files"))
        return do_list(c, args);
    if (!strcmp(name, "fork_session"))
        return do_fork(c);
    wb_session_reset(c->sess);
    return text_result("interpreters restarted; files in /work are kept",
                       json_pack("{s:s}", "session_id",
                                 wb_session_id(c->sess)), false);
}
