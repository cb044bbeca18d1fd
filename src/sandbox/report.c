/* report.c: wb_run_result as one JSON object, with a small escaping writer
 * so the library needs no JSON dependency. */
#include "wasmbox.h"
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef struct out {
    char *buf;
    size_t cap, len;               /* len counts what would be written */
} out;

static void put(out *o, const char *s, size_t n)
{
    if (o->len < o->cap) {
        size_t room = o->cap - o->len;
        memcpy(o->buf + o->len, s, n < room ? n : room);
    }
    o->len += n;
}

static void putf(out *o, const char *fmt, ...)
{
    char tmp[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    put(o, tmp, n < 0 ? 0 : (size_t)n);
}

/* A JSON string; control characters and invalid bytes are escaped so
 * guest-controlled text cannot break the document. */
static void str(out *o, const char *s, size_t n)
{
    put(o, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '"' || ch == '\\') {
            char esc[2] = { '\\', (char)ch };
            put(o, esc, 2);
        } else if (ch == '\n') {
            put(o, "\\n", 2);
        } else if (ch < 0x20 || ch >= 0x7f) {
            putf(o, "\\u%04x", ch);
        } else {
            put(o, (const char *)&ch, 1);
        }
    }
    put(o, "\"", 1);
}

static void key(out *o, const char *k)
{
    if (o->len > 1)
        put(o, ",", 1);
    str(o, k, strlen(k));
    put(o, ":", 1);
}

static void num(out *o, const char *k, uint64_t v)
{
    key(o, k);
    putf(o, "%" PRIu64, v);
}

static void boolean(out *o, const char *k, bool v)
{
    key(o, k);
    put(o, v ? "true" : "false", v ? 4 : 5);
}

/* "#0 f\n#1 g" -> ["#0 f","#1 g"] */
static void frames(out *o, const char *bt)
{
    key(o, "backtrace");
    put(o, "[", 1);
    bool first = true;
    while (*bt) {
        size_t n = strcspn(bt, "\n");
        if (n) {
            if (!first)
                put(o, ",", 1);
            str(o, bt, n);
            first = false;
        }
        bt += n + (bt[n] == '\n');
    }
    put(o, "]", 1);
}

size_t wb_run_result_json(const wb_run_result *res, char *buf, size_t cap)
{
    out o = { .buf = buf, .cap = cap ? cap - 1 : 0 };
    bool exited = res->outcome == WB_OUTCOME_EXITED;
    bool error = res->outcome == WB_OUTCOME_ERROR;
    put(&o, "{", 1);
    key(&o, "outcome");
    const char *name = wb_outcome_name(res->outcome);
    str(&o, name, strlen(name));
    key(&o, "exit_code");
    if (exited) putf(&o, "%d", res->exit_code); else put(&o, "null", 4);
    num(&o, "exit_status", (uint64_t)wb_run_exit_status(res));
    key(&o, "trap");
    if (!exited && !error) str(&o, res->message, strlen(res->message));
    else put(&o, "null", 4);
    key(&o, "error");
    if (error) str(&o, res->message, strlen(res->message));
    else put(&o, "null", 4);
    frames(&o, res->backtrace);
    num(&o, "fuel_used", res->fuel_used);
    num(&o, "peak_memory", res->peak_memory);
    num(&o, "wall_time_ms", res->wall_time_ms);
    num(&o, "stdout_bytes", res->stdout_bytes);
    num(&o, "stderr_bytes", res->stderr_bytes);
    num(&o, "disk_bytes", res->disk_bytes);
    boolean(&o, "stdout_truncated", res->stdout_truncated);
    boolean(&o, "stderr_truncated", res->stderr_truncated);
    put(&o, "}\n", 2);
    if (cap)
        buf[o.len < cap ? o.len : cap - 1] = 0;
    return o.len;
}
