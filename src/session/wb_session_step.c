/* wb_session_step.c: wb_session_run. Python and JavaScript steps go to
 * the session's kernels (wb_session_kernel.c); Lua, SQL and raw wasm
 * steps are one-shot wb_sandbox_run calls with the program on stdin (an
 * unlinked temp file) and output captured through the output callback. */
#include "session/wb_session.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int capture_cb(void *user, int stream, const uint8_t *d, size_t n)
{
    return wb_capture_append(user, stream, d, n);
}

/* An fd reading `data` from its start (memfd, else an unlinked file). */
static int data_fd(const char *data, size_t len)
{
    int fd = memfd_create("wasmbox-step", MFD_CLOEXEC);
    if (fd < 0) {
        char tmpl[] = "/tmp/wasmbox-step-XXXXXX";
        fd = mkostemp(tmpl, O_CLOEXEC);
        if (fd < 0)
            return -1;
        unlink(tmpl);
    }
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            close(fd);
            return -1;
        }
        off += (size_t)w;
    }
    lseek(fd, 0, SEEK_SET);
    return fd;
}

static wb_status one_shot(wb_session *s, wb_lang lang, const char *code,
                          size_t len, const char *db, wb_step_result *res,
                          wb_error *err)
{
    wb_sandbox_config c;
    wb_module *m = NULL;
    wb_capture cap = { 0 };
    int fd = -1;
    wb_status st = wb_sess_config(s, lang, false, &c, err);
    if (st)
        return st;
    if (lang == WB_LANG_WASM) {
        st = wb_module_new((const uint8_t *)code, len, &m, err);
    } else {
        st = wb_sess_module(s, lang, &m, err);
        if (!st && (fd = data_fd(code, len)) < 0)
            st = wb_sess_fail(err, WB_E_IO, "cannot stage the program: %s",
                              strerror(errno));
    }
    if (!st && lang == WB_LANG_LUA) {
        st = wb_config_add_arg(&c, "-");
    } else if (!st && lang == WB_LANG_SQL) {
        char rel[PATH_MAX], guest[PATH_MAX + 8];
        st = wb_sess_rel_path(db && *db ? db : "session.db", rel, sizeof rel,
                              err);
        if (!st && !*rel)
            st = wb_sess_fail(err, WB_E_ARG, "the database must be a file "
                              "in the workspace");
        snprintf(guest, sizeof guest, "/work/%s", rel);
        if (!st && !(st = wb_config_add_arg(&c, "-batch")) &&
            !(st = wb_config_add_arg(&c, "-bail")) &&
            !(st = wb_config_add_arg(&c, "-header")))
            st = wb_config_add_arg(&c, guest);
    }
    if (!st) {
        c.stdin_fd = fd;
        c.output = capture_cb;
        c.output_user = &cap;
        wb_sandbox_run(&c, m, &res->run, NULL);
        res->out = cap.buf[1] ? cap.buf[1] : strdup("");
        res->err = cap.buf[2] ? cap.buf[2] : strdup("");
        res->out_len = cap.len[1];
        res->err_len = cap.len[2];
        cap.buf[1] = cap.buf[2] = NULL;
        if (!res->out || !res->err)
            st = wb_sess_fail(err, WB_E_NOMEM, "out of memory");
    }
    if (fd >= 0)
        close(fd);
    free(cap.buf[1]);
    free(cap.buf[2]);
    if (m)
        wb_module_release(m);
    c.stdin_fd = -1;
    wb_sandbox_config_free(&c);
    return st;
}

wb_status wb_session_run(wb_session *s, wb_lang lang, const char *code,
                         size_t len, const char *db, wb_step_result *res,
                         wb_error *err)
{
    memset(res, 0, sizeof *res);
    if ((unsigned)lang >= WB_LANG_COUNT)
        return wb_sess_fail(err, WB_E_ARG, "unknown language");
    if (!(s->settings.languages & WB_LANG_BIT(lang)))
        return wb_sess_fail(err, WB_E_ARG, "the policy does not allow %s "
                            "steps", wb_lang_name(lang));
    pthread_mutex_lock(&s->mu);
    wb_status st = wb_kernel_supported(lang)
        ? wb_kernel_step(s, lang, code, len, res, err)
        : one_shot(s, lang, code, len, db, res, err);
    s->steps++;
    s->last_used = wb_sess_now();
    wb_sess_save(s, NULL);
    pthread_mutex_unlock(&s->mu);
    if (st) {
        wb_step_result_free(res);
        memset(res, 0, sizeof *res);
    }
    return st;
}

void wb_step_result_free(wb_step_result *r)
{
    if (!r)
        return;
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}
