/* test_session.c: the session store (src/session/): deleting deep trees
 * with few fds, reporting a failed delete, the workspace quota of
 * uploads, workspace paths, ids. No guest runtime is needed. */
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
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wasmbox.h"

typedef struct fixture {
    char state[64];
    wb_sandbox_config policy;
    wb_session_options opts;
} fixture;

static int setup(void **st)
{
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->state, sizeof f->state, "/tmp/wb-unit-session-XXXXXX");
    assert_non_null(mkdtemp(f->state));
    wb_sandbox_config_init(&f->policy);
    f->opts.state_dir = f->state;
    f->opts.policy = &f->policy;
    *st = f;
    return 0;
}

static int teardown(void **st)
{
    fixture *f = *st;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->state);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", f->state);
    wb_sandbox_config_free(&f->policy);
    free(f);
    return 0;
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_delete_deep_tree_few_fds, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_delete_failure_is_reported,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_put_file_quota, setup, teardown),
        cmocka_unit_test_setup_teardown(test_workspace_paths, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_ids, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
