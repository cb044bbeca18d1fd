/* test_fence.c: what a shared session may commit (src/session/
 * wb_session_fence.c) and its checkpoint's generations on disk
 * (wb_session_ckpt.c; docs/scale-out.md, "Fencing").
 *
 * A reader takes the highest generation, skipping seals (empty files)
 * and stopping at a "none" record; a generation is made once: a late
 * commit into a sealed one fails (WB_E_BUSY) and leaves the seal as it
 * was, also after commits above it (seals are never swept), one whose
 * seal was removed by hand is taken back because a higher one exists,
 * and a fence that is closed refuses commits outright. Uploads
 * go through the fence and the server's check too. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "wasmbox.h"
#include "session/wb_session.h"
#include "session_fixture.h"

static int setup(void **st)
{
    int rc = fixture_setup(st, "/tmp/wb-fence-XXXXXX");
    ((fixture *)*st)->opts.shared = true;
    return rc;
}

static int64_t later_ms(int64_t ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + ms;
}

/* The session's ckpt directory, made. */
static int ckpt_fd(wb_session *s)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/sessions/%s/ckpt",
             s->state_dir, wb_session_id(s));
    mkdir(path, 0700);
    int fd = open(path, O_RDONLY | O_DIRECTORY);
    assert_true(fd >= 0);
    return fd;
}

static void put(int dfd, const char *name, const char *text)
{
    int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

static bool has(int dfd, const char *name)
{
    struct stat sb;
    return fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0;
}

static bool sealed_file(int dfd, const char *name)
{
    struct stat sb;
    return fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
           sb.st_size == 0;
}

static wb_session *open_shared(fixture *f)
{
    wb_session *s = NULL;
    assert_int_equal(wb_session_open(&f->opts, NULL, &s, NULL), WB_OK);
    assert_non_null(s->fence);
    return s;
}

static void best_skips_seals_stops_at_none(void **st)
{
    wb_session *s = open_shared(*st);
    int dfd = ckpt_fd(s);
    char name[64], base[64];
    assert_int_equal(wb_sess_ckpt_best(dfd, name, base, sizeof name), 0);
    put(dfd, "python.snap", "legacy");
    assert_int_equal(wb_sess_ckpt_best(dfd, name, base, sizeof name), 1);
    assert_string_equal(name, "python.snap");
    put(dfd, "python.3.snap", "three");
    put(dfd, "python.5.snap", "");                   /* a seal */
    put(dfd, "python.05.snap", "not a generation");
    assert_int_equal(wb_sess_ckpt_best(dfd, name, base, sizeof name), 1);
    assert_string_equal(name, "python.3.snap");
    assert_string_equal(base, "python.3.base.snap");
    wb_sess_fence_set(s, 7, later_ms(60000));
    assert_int_equal(wb_sess_ckpt_commit_none(dfd, s->fence, NULL), WB_OK);
    assert_int_equal(wb_sess_ckpt_best(dfd, name, base, sizeof name), 0);
    /* the commit swept the generations below it, legacy names too, but
       not the seal */
    assert_false(has(dfd, "python.3.snap"));
    assert_true(has(dfd, "python.5.snap"));
    assert_false(has(dfd, "python.snap"));
    assert_true(has(dfd, "python.05.snap"));         /* not ours */
    close(dfd);
    wb_session_close(s);
}

static void late_commits_fail(void **st)
{
    wb_session *s = open_shared(*st);
    int dfd = ckpt_fd(s);
    wb_error err = { 0 };
    /* generation 4 lapsed and was sealed by the next holder */
    assert_int_equal(wb_sess_ckpt_seal(s, 4, &err), WB_OK);
    wb_sess_fence_set(s, 4, later_ms(60000));
    assert_int_equal(wb_sess_ckpt_commit_none(dfd, s->fence, &err),
                     WB_E_BUSY);
    struct stat sb;
    assert_int_equal(fstatat(dfd, "python.4.snap", &sb, 0), 0);
    assert_int_equal(sb.st_size, 0);                  /* still the seal */
    /* a seal of a generation already made leaves it: it is the state */
    assert_int_equal(wb_sess_ckpt_seal(s, 5, &err), WB_OK);
    wb_sess_fence_set(s, 6, later_ms(60000));
    assert_int_equal(wb_sess_ckpt_commit_none(dfd, s->fence, &err), WB_OK);
    assert_int_equal(wb_sess_ckpt_seal(s, 6, &err), WB_OK);
    assert_int_equal(fstatat(dfd, "python.6.snap", &sb, 0), 0);
    assert_true(sb.st_size > 0);
    /* generation 5's seal outlives 6's commit, and fails 5's late one */
    wb_sess_fence_set(s, 5, later_ms(60000));
    assert_int_equal(wb_sess_ckpt_commit_none(dfd, s->fence, &err),
                     WB_E_BUSY);
    assert_true(sealed_file(dfd, "python.5.snap"));
    /* a seal removed by hand: the late commit makes the name, sees 6
       above it and takes it back */
    assert_int_equal(unlinkat(dfd, "python.5.snap", 0), 0);
    assert_int_equal(wb_sess_ckpt_commit_none(dfd, s->fence, &err),
                     WB_E_BUSY);
    assert_false(has(dfd, "python.5.snap"));
    /* a closed fence commits nothing */
    wb_sess_fence_set(s, 8, 0);
    assert_false(wb_fence_open(s->fence));
    assert_int_equal(wb_sess_ckpt_commit_none(dfd, s->fence, &err),
                     WB_E_BUSY);
    assert_false(has(dfd, "python.8.snap"));
    close(dfd);
    wb_session_close(s);
}

/* Entries that are not regular files are no generation (damage,
 * counted); a generation that cannot be a lease's is none; a commit is
 * not taken back for either. */
static void damage_is_no_generation(void **st)
{
    wb_session *s = open_shared(*st);
    int dfd = ckpt_fd(s);
    char name[64], base[64];
    unsigned damaged = 9;
    put(dfd, "python.3.snap", "three");
    assert_int_equal(mkdirat(dfd, "python.90.snap", 0700), 0);
    assert_int_equal(symlinkat("/etc/passwd", dfd, "python.91.snap"), 0);
    assert_int_equal(mkfifoat(dfd, "python.92.snap", 0600), 0);
    put(dfd, "python.999999999999999999.snap", "");
    assert_int_equal(wb_sess_ckpt_top(dfd, &damaged), 3);
    assert_int_equal(damaged, 3);
    assert_int_equal(wb_sess_ckpt_best(dfd, name, base, sizeof name), 1);
    assert_string_equal(name, "python.3.snap");
    wb_sess_fence_set(s, 4, later_ms(60000));
    assert_int_equal(wb_sess_ckpt_commit_none(dfd, s->fence, NULL), WB_OK);
    assert_true(has(dfd, "python.4.snap"));
    assert_int_equal(wb_sess_ckpt_top(dfd, NULL), 4);
    close(dfd);
    wb_session_close(s);
}

/* A session that is not shared keeps the legacy name while no
 * generation is named; after a shared server it forgets above the
 * highest generation, so that the older copy is not read again. */
static void unshared_after_shared(void **st)
{
    wb_session *s = open_shared(*st);
    int dfd = ckpt_fd(s);
    char name[64], base[64];
    put(dfd, "python.snap", "legacy");
    assert_int_equal(wb_sess_ckpt_forget(dfd, NULL), WB_OK);
    assert_false(has(dfd, "python.snap"));
    assert_int_equal(wb_sess_ckpt_best(dfd, name, base, sizeof name), 0);
    put(dfd, "python.7.snap", "seven");
    assert_int_equal(wb_sess_ckpt_forget(dfd, NULL), WB_OK);
    assert_false(has(dfd, "python.7.snap"));
    assert_true(has(dfd, "python.8.snap"));          /* "none" */
    assert_int_equal(wb_sess_ckpt_best(dfd, name, base, sizeof name), 0);
    close(dfd);
    wb_session_close(s);
}

static bool held;

static bool check(void *user)
{
    (void)user;
    return held;
}

static void uploads_need_the_lease(void **st)
{
    wb_session *s = open_shared(*st);
    wb_error err = { 0 };
    uint8_t *data = NULL;
    size_t n = 0;
    /* between requests: closed */
    assert_int_equal(wb_session_put_file(s, "a.txt", (const uint8_t *)"a",
                                         1, &err), WB_E_BUSY);
    assert_non_null(strstr(err.message, "lease"));
    wb_sess_fence_set(s, 2, later_ms(60000));
    wb_sess_fence_on_check(s, check, NULL);
    held = false;                   /* open, but the lease files disagree */
    assert_int_equal(wb_session_put_file(s, "a.txt", (const uint8_t *)"a",
                                         1, &err), WB_E_BUSY);
    assert_int_equal(wb_session_get_file(s, "a.txt", 16, &data, &n, &err),
                     WB_E_NOT_FOUND);
    held = true;
    assert_int_equal(wb_session_put_file(s, "a.txt", (const uint8_t *)"a",
                                         1, &err), WB_OK);
    assert_int_equal(wb_session_get_file(s, "a.txt", 16, &data, &n, &err),
                     WB_OK);
    assert_int_equal(n, 1);
    free(data);
    wb_session_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(best_skips_seals_stops_at_none,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(late_commits_fail, setup, teardown),
        cmocka_unit_test_setup_teardown(uploads_need_the_lease, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(damage_is_no_generation, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(unshared_after_shared, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
