/* test_session.c: the session store (src/session/): deleting deep trees
 * with few fds, reporting a failed delete, the workspace quota of
 * uploads, expiry that never deletes an open session (of this process,
 * however many, or of another), deletion that refuses an open session,
 * workspace paths, ids, what is missing.
 * No guest runtime is needed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "wasmbox.h"
#include "session/wb_session.h"     /* wb_sess_rel_path, wb_sess_valid_id */
#include "session_fixture.h"

static int setup(void **st)
{
    return fixture_setup(st, "/tmp/wb-unit-session-XXXXXX");
}

/* Entries in <state>/sessions (graves of failed deletes included). */
static int sessions_on_disk(const fixture *f)
{
    char path[128];
    snprintf(path, sizeof path, "%s/sessions", f->state);
    DIR *d = opendir(path);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    return n;
}

/* A session holding `depth` nested directories with a file at the end;
 * its id goes to id. */
static void deep_session(fixture *f, int depth, char *id, size_t cap)
{
    wb_session *s;
    wb_error err = { 0 };
    assert_int_equal(wb_session_open(&f->opts, NULL, &s, &err), WB_OK);
    char *path = malloc((size_t)depth * 2 + 8);
    size_t n = 0;
    for (int i = 0; i < depth; i++) {
        path[n++] = 'd';
        path[n++] = '/';
    }
    strcpy(path + n, "f.txt");
    wb_status st = wb_session_put_file(s, path, (const uint8_t *)"x", 1, &err);
    if (st)
        fail_msg("put_file: %s", err.message);
    free(path);
    snprintf(id, cap, "%s", wb_session_id(s));
    wb_session_close(s);
}

static void set_nofile(rlim_t soft)
{
    struct rlimit rl;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
    rl.rlim_cur = soft;
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
}

/* The lowest fd number not in use. */
static int lowest_free_fd(void)
{
    int fd = 0;
    while (fcntl(fd, F_GETFD) != -1)
        fd++;
    return fd;
}

/* wb_session_delete with only `fds` more fds to open. */
static wb_status delete_with_fds(fixture *f, const char *id, int fds,
                                 wb_error *err)
{
    struct rlimit old;
    getrlimit(RLIMIT_NOFILE, &old);
    set_nofile((rlim_t)(lowest_free_fd() + fds));
    wb_status rc = wb_session_delete(&f->opts, id, err);
    set_nofile(old.rlim_cur);
    return rc;
}

/* 600 nested directories go with a handful of fds (a recursive delete
 * needs one per level and stopped half way). */
static void test_delete_deep_tree_few_fds(void **st)
{
    fixture *f = *st;
    char id[64];
    deep_session(f, 600, id, sizeof id);
    wb_error err = { 0 };
    if (delete_with_fds(f, id, 8, &err))
        fail_msg("delete: %s", err.message);
    assert_int_equal(sessions_on_disk(f), 0);
}

/* A delete that cannot finish says so, and names what is left. */
static void test_delete_failure_is_reported(void **st)
{
    fixture *f = *st;
    char id[64];
    deep_session(f, 3, id, sizeof id);
    wb_error err = { 0 };
    wb_status rc = delete_with_fds(f, id, 1, &err);  /* one fd: no walk */
    assert_int_equal(rc, WB_E_IO);
    assert_non_null(strstr(err.message, id));
    assert_int_equal(sessions_on_disk(f), 1);     /* its grave */
}

/* Uploads are held to the workspace quota (budget.disk) together, not
 * one by one; replacing a file frees its old size. */
static void test_put_file_quota(void **st)
{
    fixture *f = *st;
    f->policy.budget.max_disk = 64 * 1024;
    wb_session *s;
    wb_error err = { 0 };
    assert_int_equal(wb_session_open(&f->opts, NULL, &s, &err), WB_OK);
    static uint8_t buf[50 * 1024];
    memset(buf, 'a', sizeof buf);
    assert_int_equal(wb_session_put_file(s, "a.bin", buf, 30 * 1024, &err),
                     WB_OK);
    wb_status rc = wb_session_put_file(s, "b.bin", buf, 30 * 1024, &err);
    assert_int_equal(rc, WB_E_LIMIT);
    assert_non_null(strstr(err.message, "quota"));
    assert_int_equal(wb_session_put_file(s, "a.bin", buf, 50 * 1024, &err),
                     WB_OK);
    /* new directories count too: 3 of them and a file over 40 KiB left */
    rc = wb_session_put_file(s, "x/y/z/c.bin", buf, 1024, &err);
    assert_int_equal(rc, WB_E_LIMIT);
    assert_int_equal(wb_session_put_file(s, "c.bin", buf, 1024, &err), WB_OK);
    wb_file_entry *fe;
    size_t n;
    assert_int_equal(wb_session_list_files(s, NULL, &fe, &n, &err), WB_OK);
    assert_int_equal(n, 2);                        /* a.bin, c.bin */
    wb_file_entries_free(fe, n);
    wb_session_close(s);
}

/* Files, directories and sessions that do not exist are WB_E_NOT_FOUND,
 * whatever their names say; a bad path is WB_E_ARG. */
static void test_missing_is_not_found(void **st)
{
    fixture *f = *st;
    wb_session *s;
    wb_error err = { 0 };
    uint8_t *data = NULL;
    size_t n = 0;
    wb_file_entry *fe = NULL;
    assert_int_equal(wb_session_open(&f->opts, NULL, &s, &err), WB_OK);
    assert_int_equal(wb_session_get_file(s, "nope.txt", 1024, &data, &n,
                                         &err), WB_E_NOT_FOUND);
    assert_non_null(strstr(err.message, "nope.txt"));
    assert_int_equal(wb_session_list_files(s, "nodir", &fe, &n, &err),
                     WB_E_NOT_FOUND);
    assert_int_equal(wb_session_get_file(s, "no such file/../x", 1024, &data,
                                         &n, &err), WB_E_ARG);
    assert_int_equal(wb_session_put_file(s, "a/b.txt", (const uint8_t *)"x",
                                         1, &err), WB_OK);
    assert_int_equal(wb_session_get_file(s, "a/b.txt/c", 1024, &data, &n,
                                         &err), WB_E_ARG);   /* not a dir */
    wb_session_close(s);
    assert_int_equal(wb_session_delete(&f->opts, "nosuchsession", &err),
                     WB_E_NOT_FOUND);
}

/* A FIFO, a symlink or a file too large in place of a session.json (the
 * state directory tampered with): a listing (every GET /v1/sessions, a
 * server's start-up) returns, without those sessions, instead of
 * blocking on the FIFO's open; run in a child so a hang fails the test. */
static void test_list_skips_odd_meta(void **st)
{
    fixture *f = *st;
    wb_session *s;
    wb_error err = { 0 };
    char ids[4][64], path[600];
    for (int i = 0; i < 4; i++) {
        assert_int_equal(wb_session_open(&f->opts, NULL, &s, &err), WB_OK);
        snprintf(ids[i], sizeof ids[i], "%s", wb_session_id(s));
        wb_session_close(s);
    }
    snprintf(path, sizeof path, "%s/sessions/%s/session.json", f->state,
             ids[1]);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(mkfifo(path, 0600), 0);
    snprintf(path, sizeof path, "%s/sessions/%s/session.json", f->state,
             ids[2]);
    char target[600];
    snprintf(target, sizeof target, "%s/sessions/%s/session.json",
             f->state, ids[0]);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(symlink(target, path), 0);
    snprintf(path, sizeof path, "%s/sessions/%s/session.json", f->state,
             ids[3]);
    FILE *big = fopen(path, "a");
    assert_non_null(big);
    fprintf(big, "%*s", 200000, "");       /* valid JSON, then spaces */
    fclose(big);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        wb_session_info *list = NULL;
        size_t n = 0;
        if (wb_session_list(&f->opts, &list, &n, &err) != WB_OK)
            _exit(100);
        _exit(n == 1 && !strcmp(list[0].id, ids[0]) ? 0 : 101);
    }
    int status = 0;
    for (int i = 0; i < 200 && waitpid(pid, &status, WNOHANG) == 0; i++)
        usleep(50000);
    if (waitpid(pid, &status, WNOHANG) == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        fail_msg("the listing blocked (on the FIFO) for 10 s");
    }
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* Make session `id` look idle since 1970 (its metadata, as written). */
static void age(const fixture *f, const char *id)
{
    char path[256];
    snprintf(path, sizeof path, "%s/sessions/%s/session.json", f->state, id);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fprintf(fp, "{\"version\": 1, \"id\": \"%s\", \"created\": 1, "
            "\"last_used\": 1, \"steps\": 0}\n", id);
    fclose(fp);
}

static bool on_disk(const fixture *f, const char *id)
{
    char path[256];
    struct stat sb;
    snprintf(path, sizeof path, "%s/sessions/%s/session.json", f->state, id);
    return stat(path, &sb) == 0;
}

static size_t expire(fixture *f)
{
    size_t n = 99;
    wb_error err = { 0 };
    if (wb_session_expire(&f->opts, &n, &err))
        fail_msg("expire: %s", err.message);
    return n;
}

#define NOPEN 70

/* Expiry skips every open session, past the 64th too (a table of 64 once
 * ignored the rest), and deletes the idle closed ones. */
static void test_expire_skips_open_sessions(void **st)
{
    fixture *f = *st;
    wb_session_settings ss = { .idle_expiry_ms = 1000 };
    f->opts.settings = &ss;
    wb_session *open[NOPEN];
    wb_error err = { 0 };
    for (int i = 0; i < NOPEN; i++) {
        assert_int_equal(wb_session_open(&f->opts, NULL, &open[i], &err),
                         WB_OK);
        age(f, wb_session_id(open[i]));
    }
    char closed[3][64];
    for (int i = 0; i < 3; i++) {
        wb_session *s;
        assert_int_equal(wb_session_open(&f->opts, NULL, &s, &err), WB_OK);
        snprintf(closed[i], sizeof closed[i], "%s", wb_session_id(s));
        wb_session_close(s);
        age(f, closed[i]);
    }
    assert_int_equal(expire(f), 3);
    assert_int_equal(sessions_on_disk(f), NOPEN);
    for (int i = 0; i < NOPEN; i++) {
        assert_true(on_disk(f, wb_session_id(open[i])));
        char id[64];
        snprintf(id, sizeof id, "%s", wb_session_id(open[i]));
        wb_session_close(open[i]);
        age(f, id);
    }
    assert_int_equal(expire(f), NOPEN);
    assert_int_equal(sessions_on_disk(f), 0);
}

/* A session open in another process (another `wasmbox mcp` on the same
 * state directory) is in use too, however long it has been idle. */
static void test_expire_skips_session_open_elsewhere(void **st)
{
    fixture *f = *st;
    wb_session_settings ss = { .idle_expiry_ms = 1000 };
    f->opts.settings = &ss;
    int up[2], down[2];
    assert_int_equal(pipe(up), 0);
    assert_int_equal(pipe(down), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {                    /* holds a session until told */
        wb_session *s;
        char c;
        if (wb_session_open(&f->opts, "held", &s, NULL) != WB_OK ||
            write(up[1], "o", 1) != 1 || read(down[0], &c, 1) != 1)
            _exit(1);
        wb_session_close(s);
        _exit(0);
    }
    char c = 0;
    assert_int_equal(read(up[0], &c, 1), 1);
    age(f, "held");
    size_t n = expire(f);
    assert_int_equal(write(down[1], "x", 1), 1);
    int ws;
    assert_int_equal(waitpid(pid, &ws, 0), pid);
    assert_true(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
    assert_int_equal(n, 0);
    assert_true(on_disk(f, "held"));
    age(f, "held");                    /* closed now: it goes */
    assert_int_equal(expire(f), 1);
    assert_false(on_disk(f, "held"));
    close(up[0]);
    close(up[1]);
    close(down[0]);
    close(down[1]);
}

/* Deleting a session that a handle has open (here, in this process:
 * flock locks belong to the open file, so this is what another process
 * sees too) is refused with WB_E_BUSY and deletes nothing; once the
 * handle is closed, it goes. */
static void test_delete_refuses_open_session(void **st)
{
    fixture *f = *st;
    wb_session *s;
    wb_error err = { 0 };
    assert_int_equal(wb_session_open(&f->opts, "inuse", &s, NULL), WB_OK);
    assert_int_equal(wb_session_delete(&f->opts, "inuse", &err), WB_E_BUSY);
    assert_non_null(strstr(err.message, "inuse"));
    assert_true(on_disk(f, "inuse"));
    wb_session_close(s);
    assert_int_equal(wb_session_delete(&f->opts, "inuse", NULL), WB_OK);
    assert_false(on_disk(f, "inuse"));
}

/* Workspace paths: relative, or under /work; ".." and other absolute
 * paths are refused before anything is opened. */
static void test_workspace_paths(void **st)
{
    fixture *f = *st;
    static const char *const bad[] = { "../x", "a/../../x", "a/..", "..",
                                       "/etc/passwd", "/work/../x",
                                       "/workspace/x", "/", NULL };
    wb_session *s;
    wb_error err = { 0 };
    assert_int_equal(wb_session_open(&f->opts, NULL, &s, &err), WB_OK);
    for (const char *const *p = bad; *p; p++) {
        memset(&err, 0, sizeof err);
        wb_status rc = wb_session_put_file(s, *p, (const uint8_t *)"x", 1,
                                           &err);
        if (rc != WB_E_ARG || !strstr(err.message, "outside the workspace"))
            fail_msg("put '%s': %d '%s'", *p, rc, err.message);
    }
    assert_int_equal(wb_session_put_file(s, "/work/d/x", (const uint8_t *)"1",
                                         1, &err), WB_OK);
    assert_int_equal(wb_session_put_file(s, ".//d/./y", (const uint8_t *)"2",
                                         1, &err), WB_OK);
    uint8_t *data;
    size_t n;
    assert_int_equal(wb_session_get_file(s, "d/y", 10, &data, &n, &err),
                     WB_OK);
    assert_int_equal(n, 1);
    assert_int_equal(data[0], '2');
    free(data);
    assert_int_equal(wb_session_get_file(s, "d/y", 0, &data, &n, &err),
                     WB_E_LIMIT);
    assert_int_equal(wb_session_get_file(s, "../d/y", 10, &data, &n, &err),
                     WB_E_ARG);
    wb_session_close(s);
}

static void test_ids(void **st)
{
    fixture *f = *st;
    char id[64];
    wb_error err = { 0 };
    assert_int_equal(wb_session_new_id(&f->opts, id, sizeof id, &err), WB_OK);
    assert_int_equal(strlen(id), 16);
    assert_false(wb_session_exists(&f->opts, id));
    wb_session *s;
    assert_int_equal(wb_session_open(&f->opts, id, &s, &err), WB_OK);
    assert_true(wb_session_exists(&f->opts, id));
    wb_session_close(s);
    assert_false(wb_session_exists(&f->opts, "../sessions"));
    assert_false(wb_session_exists(&f->opts, ""));
    assert_false(wb_session_exists(&f->opts, NULL));
    assert_int_equal(wb_session_new_id(&f->opts, id, 8, &err), WB_E_ARG);
}

/* The lexical check under every file operation: `path` becomes the
 * workspace-relative `want`. */
static void rel_ok(const char *path, const char *want)
{
    char out[64];
    wb_error err = { 0 };
    memset(out, 'x', sizeof out);
    if (wb_sess_rel_path(path, out, sizeof out, &err) != WB_OK)
        fail_msg("'%s' refused: %s", path ? path : "(null)", err.message);
    if (strcmp(out, want))
        fail_msg("'%s' -> '%s', want '%s'", path, out, want);
}

static void rel_bad(const char *path, const char *why)
{
    char out[64];
    wb_error err = { 0 };
    if (wb_sess_rel_path(path, out, sizeof out, &err) != WB_E_ARG)
        fail_msg("'%s' accepted as '%s'", path, out);
    if (!strstr(err.message, why))
        fail_msg("'%s': '%s', want '%s'", path, err.message, why);
}

static void test_rel_path(void **st)
{
    rel_ok("a/b", "a/b");
    rel_ok(NULL, "");
    rel_ok("", "");
    rel_ok(".", "");
    rel_ok("./", "");
    rel_ok("/work", "");
    rel_ok("/work/", "");
    rel_bad("//work/x", "outside the workspace");   /* refused, not guessed */
    rel_ok("/work/x//y/./z/", "x/y/z");
    rel_ok("a/./b/.", "a/b");
    rel_ok("...", "...");                  /* names, not ".." */
    rel_ok("..a/b..", "..a/b..");
    rel_ok(".hidden", ".hidden");
    rel_ok("a b/\xc3\xa9", "a b/\xc3\xa9");
    rel_bad("..", "'..' is not allowed");
    rel_bad("../x", "'..' is not allowed");
    rel_bad("a/..", "'..' is not allowed");
    rel_bad("a/../b", "'..' is not allowed");
    rel_bad("a/b/../../..", "'..' is not allowed");
    rel_bad("/work/..", "'..' is not allowed");
    rel_bad("/work//../x", "'..' is not allowed");
    rel_bad("/", "outside the workspace");
    rel_bad("/etc/passwd", "outside the workspace");
    rel_bad("/workspace", "outside the workspace");
    rel_bad("/work.", "outside the workspace");
    rel_bad("/Work/x", "outside the workspace");
    /* an embedded NUL ends the C string ("a\0/../x" is "a"): the HTTP
     * layer refuses %00 in URLs before a path gets here (tests/http) */
    rel_ok("a\0/../x", "a");
    /* lengths: what fits in out (63 bytes and the NUL), nothing longer */
    char p[200];
    memset(p, 'p', sizeof p);
    p[63] = 0;
    rel_ok(p, p);
    p[63] = 'p';
    p[64] = 0;
    rel_bad(p, "too long");
    p[199] = 0;
    rel_bad(p, "too long");
}

static void test_valid_ids(void **st)
{
    static const char *const good[] = { "a", "abc", "A-b_c.d", "0123",
                                        "a..b", NULL };
    static const char *const bad[] = { "", ".", "..", ".x", "-x", "a/b",
                                       "/", "a b", "a\\b", "caf\xc3\xa9",
                                       "a\n", "x%2e", NULL };
    for (const char *const *g = good; *g; g++)
        if (!wb_sess_valid_id(*g))
            fail_msg("'%s' refused", *g);
    for (const char *const *b = bad; *b; b++)
        if (wb_sess_valid_id(*b))
            fail_msg("'%s' accepted", *b);
    char id[80];
    memset(id, 'i', sizeof id);
    id[63] = 0;
    assert_true(wb_sess_valid_id(id));
    id[63] = 'i';
    id[64] = 0;
    assert_false(wb_sess_valid_id(id));
}

/* Servers sweep at a quarter of the expiry, between 1 s and 60 s. */
static void test_expire_every(void **st)
{
    wb_session_settings ss = { 0 };
    assert_int_equal(wb_session_expire_every_ms(&ss), 0);
    ss.idle_expiry_ms = 24ull * 3600 * 1000;
    assert_int_equal(wb_session_expire_every_ms(&ss), 60000);
    ss.idle_expiry_ms = 2000;
    assert_int_equal(wb_session_expire_every_ms(&ss), 1000);
    ss.idle_expiry_ms = 8000;
    assert_int_equal(wb_session_expire_every_ms(&ss), 2000);
    assert_int_equal(wb_session_expire_every_ms(NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_delete_deep_tree_few_fds, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_delete_failure_is_reported,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_put_file_quota, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_skips_odd_meta, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_missing_is_not_found, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_expire_skips_open_sessions,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_expire_skips_session_open_elsewhere, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete_refuses_open_session,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_workspace_paths, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_ids, setup, teardown),
        cmocka_unit_test(test_expire_every),
        cmocka_unit_test(test_rel_path),
        cmocka_unit_test(test_valid_ids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
