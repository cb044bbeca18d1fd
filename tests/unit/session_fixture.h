/* session_fixture.h: what the session unit tests share (test_session.c,
 * test_fork.c, test_kernel.c): a state directory of their own with a
 * default policy, and a tree remover. Include after cmocka.h and
 * wasmbox.h. */
#ifndef WB_TEST_SESSION_FIXTURE_H
#define WB_TEST_SESSION_FIXTURE_H
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>

static int rm_one(const char *p, const struct stat *sb, int f, struct FTW *w)
{
    (void)sb, (void)f, (void)w;
    return remove(p);
}

/* dir and everything below it, links not followed */
static void rm_tree(const char *dir)
{
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

typedef struct fixture {
    char state[64];
    wb_sandbox_config policy;
    wb_session_options opts;
} fixture;

/* A fixture whose state directory is made from tmpl (a mkdtemp
 * template), into *st. */
static int fixture_setup(void **st, const char *tmpl)
{
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->state, sizeof f->state, "%s", tmpl);
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
    rm_tree(f->state);
    wb_sandbox_config_free(&f->policy);
    free(f);
    return 0;
}
#endif
