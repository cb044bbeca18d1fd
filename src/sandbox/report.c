/* report.c: wb_run_result as one JSON object (jansson). Text that comes
 * from the guest or the file system (trap messages, paths in errors,
 * function names) is UTF-8 as given; ill-formed bytes become U+FFFD, so
 * the document is always valid JSON. The fields and their order are
 * those of `wasmbox run --help` and docs/exit-codes.md. */
#include "sandbox/sandbox.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "#0 f\n#1 g" -> ["#0 f","#1 g"] */
static json_t *frames(const char *bt)
{
    json_t *a = json_array();
    while (a && *bt) {
        size_t n = strcspn(bt, "\n");
        if (n)
            json_array_append_new(a, wb_json_text(bt, n));
        bt += n + (bt[n] == '\n');
    }
    return a;
}

static json_t *text_or_null(bool present, const char *s)
{
    return present ? wb_json_text(s, strlen(s)) : json_null();
}

static json_t *report_base(const wb_run_result *res);

/* The run's HTTP requests (docs/network.md): those past the log's
 * length are counted in "requests_total" only. */
json_t *wb_run_requests_json(const wb_run_result *res)
{
    json_t *a = json_array();
    uint32_t n = res->net_requests < WB_NET_LOG_MAX ? res->net_requests
                                                    : WB_NET_LOG_MAX;
    for (uint32_t i = 0; a && i < n; i++) {
        const wb_net_entry *e = &res->net[i];
        json_t *o = json_pack("{s:s, s:s, s:o, s:i, s:o, s:I, s:o}",
            "method", e->method, "scheme", e->scheme,
            "host", wb_json_text(e->host, strlen(e->host)),
            "port", (int)e->port,
            "status", e->status ? json_integer(e->status) : json_null(),
            "bytes", (json_int_t)e->bytes,
            "refused", text_or_null(*e->refused, e->refused));
        json_array_append_new(a, o);
    }
    return a;
}

json_t *wb_run_processes_json(const wb_run_result *res)
{
    if (res->procs_started <= 1 && !res->procs_refused &&
        !res->procs_refused_memory)
        return NULL;
    return json_pack("{s:i, s:i, s:i, s:i}", "started",
                     (int)res->procs_started,
                     "max_live", (int)res->procs_max_live,
                     "refused", (int)res->procs_refused,
                     "refused_memory", (int)res->procs_refused_memory);
}

/* The root was killed by a process of the tree: which signal, from
 * whom (the outcome is "exited" with exit code 128 + the signal, as a
 * shell shows it). */
static json_t *killed(const wb_run_result *res)
{
    const char *name = sigabbrev_np(res->killed_signal);
    char sig[16];
    snprintf(sig, sizeof sig, "SIG%s", name ? name : "");
    return json_pack("{s:i, s:o, s:i}", "signal", res->killed_signal,
                     "name", text_or_null(name != NULL, sig),
                     "by_pid", res->killed_by);
}

static json_t *report(const wb_run_result *res)
{
    json_t *j = report_base(res);
    json_t *procs = j ? wb_run_processes_json(res) : NULL;
    if (procs)
        json_object_set_new(j, "processes", procs);
    if (j && res->killed_signal)
        json_object_set_new(j, "killed", killed(res));
    if (j && res->net_requests) {
        json_object_set_new(j, "requests", wb_run_requests_json(res));
        json_object_set_new(j, "requests_total",
                            json_integer(res->net_requests));
    }
    return j;
}

static json_t *report_base(const wb_run_result *res)
{
    bool exited = res->outcome == WB_OUTCOME_EXITED;
    bool error = res->outcome == WB_OUTCOME_ERROR;
    return json_pack(
        "{s:s, s:o, s:i, s:o, s:o, s:o, s:I, s:I, s:I, s:I, s:I, s:I, "
        "s:b, s:b}",
        "outcome", wb_outcome_name(res->outcome),
        "exit_code", exited ? json_integer(res->exit_code) : json_null(),
        "exit_status", wb_run_exit_status(res),
        "trap", text_or_null(!exited && !error, res->message),
        "error", text_or_null(error, res->message),
        "backtrace", frames(res->backtrace),
        "fuel_used", (json_int_t)res->fuel_used,
        "peak_memory", (json_int_t)res->peak_memory,
        "wall_time_ms", (json_int_t)res->wall_time_ms,
        "stdout_bytes", (json_int_t)res->stdout_bytes,
        "stderr_bytes", (json_int_t)res->stderr_bytes,
        "disk_bytes", (json_int_t)res->disk_bytes,
        "stdout_truncated", res->stdout_truncated,
        "stderr_truncated", res->stderr_truncated);
}

size_t wb_run_result_json(const wb_run_result *res, char *buf, size_t cap)
{
    json_t *j = report(res);
    char *text = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER)
                   : NULL;
    json_decref(j);
    size_t n = text ? strlen(text) : 0;
    char *line = text ? realloc(text, n + 2) : NULL;
    if (line) {
        line[n++] = '\n';
        line[n] = 0;
    } else {
        free(text);
        n = 0;                               /* out of memory */
    }
    if (cap) {
        size_t k = n < cap ? n : cap - 1;
        memcpy(buf, line ? line : "", k);
        buf[k] = 0;
    }
    free(line);
    return n;
}
