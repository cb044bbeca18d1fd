/* http_store.c: what `wasmbox serve` keeps of its sessions on disk, so
 * that they outlive the server process (a restart, a kill -9).
 *
 *   <state>/sessions/<id>/serve.json
 *     {"format": "wasmbox-serve-session", "version": 1, "id": ID,
 *      "owner": KEY-NAME, "created": UNIX-SECONDS,
 *      "limits": {"timeout": "Nms", "memory": N, "fuel": N, "output": N,
 *                 "disk": N}}
 *
 * It is written once, when the session is created (temp file, fsync,
 * rename: wb_sess_write_json), beside the session layer's own
 * session.json (times, step count) and the interpreter's checkpoint
 * (ckpt/python.snap, written after each step). The limits are the
 * session's budget in the form a request's "limits" takes, so they are
 * read back through the same checks (wb_http_limits).
 *
 * At start-up, before the first request, every session directory is
 * read back: a session whose session.json or serve.json is missing,
 * damaged or of another session, or whose owner is not a key of this
 * server, is not served (one line on stderr each; its directory is left
 * as it is for the operator). A restored session's budget is the
 * recorded one, tightened further when the server's policy is now
 * narrower.
 *
 * With --shared-state nothing is restored at start-up: a session is
 * found on disk at its first request (wb_http_sess_find, the same
 * checks), and the list comes from the disk (docs/scale-out.md). */
#include "server/http.h"
#include "common/error.h"
#include "common/file.h"
#include "session/wb_session.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define FORMAT "wasmbox-serve-session"
#define RECORD "serve.json"
#define RECORD_MAX 65536

static json_t *limits_json(const wb_budget *b)
{
    json_t *j = json_pack("{s:I, s:I, s:I}", "memory",
                          (json_int_t)b->max_memory, "output",
                          (json_int_t)b->max_output, "disk",
                          (json_int_t)b->max_disk);
    char ms[32];
    snprintf(ms, sizeof ms, "%llums", (unsigned long long)b->timeout_ms);
    if (j && b->timeout_ms)
        json_object_set_new(j, "timeout", json_string(ms));
    if (j && b->fuel >= 0)
        json_object_set_new(j, "fuel", json_integer((json_int_t)b->fuel));
    return j;
}

wb_status wb_http_sess_record(const wb_http_server *srv,
                              const wb_http_sess *e, int64_t created,
                              wb_error *err)
{
    json_t *j = json_pack("{s:s, s:i, s:s, s:s, s:I, s:o}", "format", FORMAT,
                          "version", 1, "id", e->id, "owner", e->owner,
                          "created", (json_int_t)created, "limits",
                          limits_json(&e->budget));
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/sessions/%s", srv->state_dir, e->id);
    return wb_sess_write_json(dir, RECORD, j, err);
}

/* The key named `owner` on this server (without keys: the anonymous
 * caller), or NULL. */
static wb_http_key *owner_key(wb_http_server *srv, const char *owner)
{
    if (srv->no_auth)
        return strcmp(owner, srv->anon.name) ? NULL : &srv->anon;
    for (size_t i = 0; i < srv->nkeys; i++)
        if (!strcmp(srv->keys[i].name, owner))
            return &srv->keys[i];
    return NULL;
}

/* b, tightened by the recorded budget r (each field the smaller). */
static void tighten(wb_budget *b, const wb_budget *r)
{
    if (r->timeout_ms && (!b->timeout_ms || r->timeout_ms < b->timeout_ms))
        b->timeout_ms = r->timeout_ms;
    if (r->fuel >= 0 && (b->fuel < 0 || r->fuel < b->fuel))
        b->fuel = r->fuel;
    if (r->max_memory < b->max_memory)
        b->max_memory = r->max_memory;
    if (r->max_output < b->max_output)
        b->max_output = r->max_output;
    if (r->max_disk < b->max_disk)
        b->max_disk = r->max_disk;
}

/* The record's owner and budget, checked: false with why set. */
static bool check_record(wb_http_server *srv, json_t *j, const char *id,
                         wb_http_key **key, wb_budget *b, char *why,
                         size_t cap)
{
    const char *format = NULL, *rid = NULL, *owner = NULL;
    json_int_t version = 0, created = 0;
    json_t *limits = NULL;
    if (json_unpack(j, "{s:s, s:I, s:s, s:s, s:I, s:o}", "format", &format,
                    "version", &version, "id", &rid, "owner", &owner,
                    "created", &created, "limits", &limits) != 0) {
        snprintf(why, cap, RECORD " is damaged (a field is missing or of "
                 "the wrong type)");
        return false;
    }
    if (strcmp(format, FORMAT) || version != 1) {
        snprintf(why, cap, RECORD " is not a record of this wasmbox "
                 "serve (format or version)");
        return false;
    }
    if (strcmp(rid, id)) {
        snprintf(why, cap, RECORD " belongs to another session");
        return false;
    }
    if (!(*key = owner_key(srv, owner))) {
        snprintf(why, cap, "its owner is not an API key of this server");
        return false;
    }
    /* the recorded limits, checked as a request's would be */
    wb_budget r = { .max_memory = UINT64_MAX, .fuel = -1,
                    .max_output = UINT64_MAX, .max_disk = UINT64_MAX };
    char msg[300];
    if (!wb_http_limits(limits, &r, msg, sizeof msg)) {
        snprintf(why, cap, RECORD ": %s", msg);
        return false;
    }
    *b = srv->policy.budget;
    tighten(b, &r);
    return true;
}

/* Read and parse the record of session dir `sub`; NULL with why set.
 * O_NONBLOCK: a FIFO put in the record's place must not hold start-up
 * (before the first request) forever; only a regular file is read. */
static json_t *read_record(int sub, char *why, size_t cap)
{
    int fd = openat(sub, RECORD, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
                    O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
        snprintf(why, cap, "not a session of wasmbox serve (no "
                 RECORD ")");
        return NULL;
    }
    struct stat sb;
    if (fd >= 0 && (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode))) {
        close(fd);
        snprintf(why, cap, RECORD " is not a regular file");
        return NULL;
    }
    uint8_t *text = NULL;
    size_t n = 0;
    int rc = fd < 0 ? errno : wb_file_read_fd(fd, RECORD_MAX, &text, &n);
    if (fd >= 0)
        close(fd);
    if (rc) {
        snprintf(why, cap, RECORD ": %s", strerror(rc));
        return NULL;
    }
    json_t *j = json_loadb((const char *)text, n, 0, NULL);
    free(text);
    if (!json_is_object(j)) {
        json_decref(j);
        snprintf(why, cap, RECORD " is damaged (not a JSON object)");
        return NULL;
    }
    return j;
}

/* Restore session `id` of the directory dfd; false with why set. */
static bool restore_one(wb_http_server *srv, int dfd, const char *id,
                        const wb_session_info *info, unsigned *n, char *why,
                        size_t cap)
{
    if (!info) {
        snprintf(why, cap, "its session.json is missing or damaged");
        return false;
    }
    int sub = openat(dfd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
                     O_CLOEXEC);
    if (sub < 0) {
        snprintf(why, cap, "%s", strerror(errno));
        return false;
    }
    json_t *j = read_record(sub, why, cap);
    close(sub);
    wb_http_key *key = NULL;
    wb_budget b;
    bool ok = j && check_record(srv, j, id, &key, &b, why, cap);
    json_decref(j);
    if (!ok)
        return false;
    int64_t idle = (int64_t)time(NULL) - info->last_used;
    wb_error err = { 0 };
    if (wb_http_sess_adopt(srv, id, key, &b, idle > 0 ? (uint64_t)idle
                           * 1000u : 0, &err)) {
        snprintf(why, cap, "%s", err.message);
        return false;
    }
    (*n)++;
    return true;
}

static const wb_session_info *find_info(const wb_session_info *list,
                                        size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(list[i].id, id))
            return &list[i];
    return NULL;
}

void wb_http_sessions_restore(wb_http_server *srv)
{
    wb_session_info *list = NULL;
    size_t n = 0;
    wb_error err = { 0 };
    char path[PATH_MAX], why[600];
    snprintf(path, sizeof path, "%s/sessions", srv->state_dir);
    DIR *d = NULL;
    if (wb_session_list(&srv->opts, &list, &n, &err) ||
        !(d = opendir(path))) {
        fprintf(stderr, "wasmbox serve: %s: sessions not restored: %s\n",
                path, err.message[0] ? err.message : strerror(errno));
        free(list);
        return;
    }
    unsigned restored = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!wb_sess_valid_id(de->d_name))   /* ".", "..", graves */
            continue;
        if (!restore_one(srv, dirfd(d), de->d_name,
                         find_info(list, n, de->d_name), &restored, why,
                         sizeof why))
            fprintf(stderr, "wasmbox serve: session '%s' not restored: "
                    "%s\n", de->d_name, why);
    }
    closedir(d);
    free(list);
    if (restored)
        fprintf(stderr, "wasmbox serve: %u session%s restored from %s\n",
                restored, restored == 1 ? "" : "s", path);
}

/* --shared-state ---------------------------------------------------- */

/* The record of session `id`, checked: its owner and budget; false with
 * why set (no directory, no record, damage, an owner not known here). */
static bool load_record(wb_http_server *srv, const char *id,
                        wb_http_key **key, wb_budget *b, char *why,
                        size_t cap)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/sessions/%s", srv->state_dir, id);
    int sub = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    why[0] = 0;                      /* stays empty: no such session */
    if (sub < 0) {
        if (errno != ENOENT)
            snprintf(why, cap, "%s", strerror(errno));
        return false;
    }
    json_t *j = read_record(sub, why, cap);
    close(sub);
    bool ok = j && check_record(srv, j, id, key, b, why, cap);
    json_decref(j);
    return ok;
}

wb_status wb_http_sess_find(wb_http_server *srv, const char *id,
                            wb_http_key *key, wb_error *err)
{
    wb_http_key *owner = NULL;
    wb_budget b;
    char why[600];
    /* not there, or not this key's: the same 404 (another key's session
       is not told apart from none); damage is logged for the operator */
    if (!load_record(srv, id, &owner, &b, why, sizeof why)) {
        if (why[0] && !strstr(why, "no " RECORD))
            fprintf(stderr, "wasmbox serve: session '%s' not served: %s\n",
                    id, why);
        return wb_err_set(err, WB_E_NOT_FOUND, "no session '%s'", id);
    }
    if (owner != key)
        return wb_err_set(err, WB_E_NOT_FOUND, "no session '%s'", id);
    return wb_http_sess_adopt(srv, id, key, &b, 0, err);
}

json_t *wb_http_sess_list_disk(wb_http_server *srv, const wb_http_key *key)
{
    wb_session_info *list = NULL;
    size_t n = 0;
    json_t *arr = json_array();
    if (!arr || wb_session_list(&srv->opts, &list, &n, NULL))
        return arr;
    for (size_t i = 0; i < n; i++) {
        wb_http_key *owner = NULL;
        wb_budget b;
        char why[600];
        if (load_record(srv, list[i].id, &owner, &b, why, sizeof why) &&
            owner == key)
            json_array_append_new(arr, wb_http_info_json(list[i].id, &b,
                                                         &list[i]));
    }
    free(list);
    return arr;
}
