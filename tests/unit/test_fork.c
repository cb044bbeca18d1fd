/* test_fork.c: forked sessions (src/session/wb_session_fork.c) and the
 * tree copy behind them (wb_session_copy.c).
 *
 * The copy follows no link: a symlink in the workspace to a file or a
 * directory outside it is copied as a link (its target text), never as
 * the outside file's bytes or the outside directory's tree; a FIFO is
 * skipped without blocking; copying a single file refuses a symlink and
 * a FIFO. A fork's files and (with python/python.snap in the guests
 * directory, WASMBOX_GUESTS, default build/guests; skipped without it)
 * its Python variables diverge from the parent's without changing them,
 * and the fork's budget holds.
 *
 * A guest's step charges a hard link as one new name, so a workspace
 * within its quota can name one large file many times: the copy stops
 * (EDQUOT) once it has made its limit's worth, counted per name, and a
 * fork of such a workspace is refused having written about its budget
 * to disk (this process's write_bytes), not the file once per name. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wasmbox.h"
#include "session/wb_session.h"   /* wb_sess_copy_tree, wb_sess_copy_file */
#include "session_fixture.h"


static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static char *read_file(const char *path)
{
    static char buf[256];
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

static int outside_hits;

static int no_outside(const char *p, const struct stat *sb, int f,
                      struct FTW *w)
{
    const char *t = f == FTW_F && S_ISREG(sb->st_mode) ? read_file(p) : "";
    outside_hits += t && (strstr(t, "SECRET") || strstr(t, "INNER"));
    return 0;
}

/* src/ holds a.txt, d/b.txt, out_file -> <top>/secret, out_dir -> <top>/
 * outside (with its own file), abs -> /etc/hostname, and a FIFO; it is
 * copied to dst/. */
static void copy_tree_follows_no_link(void **state)
{
    char top[] = "/tmp/wb-unit-fork-XXXXXX", p[512], q[512];
    assert_non_null(mkdtemp(top));
#define AT(buf, rel) (snprintf(buf, sizeof buf, "%s/%s", top, rel), buf)
    assert_int_equal(mkdir(AT(p, "src"), 0700), 0);
    assert_int_equal(mkdir(AT(p, "src/d"), 0700), 0);
    assert_int_equal(mkdir(AT(p, "dst"), 0700), 0);
    assert_int_equal(mkdir(AT(p, "outside"), 0700), 0);
    write_file(AT(p, "src/a.txt"), "alpha");
    write_file(AT(p, "src/d/b.txt"), "beta");
    write_file(AT(p, "secret"), "SECRET");
    write_file(AT(p, "outside/inner.txt"), "INNER");
    assert_int_equal(symlink(AT(q, "secret"), AT(p, "src/out_file")), 0);
    assert_int_equal(symlink(AT(q, "outside"), AT(p, "src/out_dir")), 0);
    assert_int_equal(symlink("../../secret", AT(p, "src/d/up")), 0);
    assert_int_equal(mkfifo(AT(p, "src/fifo"), 0600), 0);

    int sfd = open(AT(p, "src"), O_RDONLY | O_DIRECTORY);
    int dfd = open(AT(p, "dst"), O_RDONLY | O_DIRECTORY);
    wb_copy_stats cs;
    char where[256];
    assert_int_equal(wb_sess_copy_tree(sfd, dfd, UINT64_MAX, &cs, where,
                                       sizeof where), 0);
    assert_int_equal(cs.files, 2);
    assert_int_equal(cs.dirs, 1);
    assert_int_equal(cs.links, 3);
    assert_int_equal(cs.skipped, 1);
    assert_int_equal(cs.bytes, 9);

    assert_string_equal(read_file(AT(p, "dst/a.txt")), "alpha");
    assert_string_equal(read_file(AT(p, "dst/d/b.txt")), "beta");
    struct stat sb;
    char target[512];
    const char *links[][2] = { { "dst/out_file", NULL },
                               { "dst/out_dir", NULL },
                               { "dst/d/up", "../../secret" } };
    for (size_t i = 0; i < 3; i++) {
        /* still a link, with the same text: nothing was read through it */
        assert_int_equal(lstat(AT(p, links[i][0]), &sb), 0);
        assert_true(S_ISLNK(sb.st_mode));
        ssize_t n = readlink(p, target, sizeof target - 1);
        assert_true(n > 0);
        target[n] = 0;
        if (links[i][1])
            assert_string_equal(target, links[i][1]);
    }
    /* no regular file of dst holds the outside files' bytes */
    outside_hits = 0;
    assert_int_equal(nftw(AT(p, "dst"), no_outside, 16, FTW_PHYS), 0);
    assert_int_equal(outside_hits, 0);
    assert_int_equal(access(AT(p, "dst/fifo"), F_OK), -1);
    /* the outside files are unchanged */
    assert_string_equal(read_file(AT(p, "secret")), "SECRET");

    /* one file: a symlink and a FIFO are refused */
    bool cloned;
    errno = 0;
    assert_int_equal(wb_sess_copy_file(sfd, "out_file", dfd, "x", &cloned),
                     -1);
    assert_int_equal(errno, ELOOP);
    assert_int_equal(wb_sess_copy_file(sfd, "fifo", dfd, "y", &cloned), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(faccessat(dfd, "x", F_OK, 0), -1);
    assert_int_equal(faccessat(dfd, "y", F_OK, 0), -1);
    close(sfd);
    close(dfd);
    rm_tree(top);
#undef AT
}

static int setup(void **st)
{
    return fixture_setup(st, "/tmp/wb-unit-forks-XXXXXX");
}

static void put(wb_session *s, const char *path, const char *text)
{
    wb_error err = { 0 };
    assert_int_equal(wb_session_put_file(s, path, (const uint8_t *)text,
                                         strlen(text), &err), WB_OK);
}

static void expect_file(wb_session *s, const char *path, const char *text)
{
    uint8_t *d = NULL;
    size_t n = 0;
    wb_error err = { 0 };
    assert_int_equal(wb_session_get_file(s, path, 1 << 20, &d, &n, &err),
                     WB_OK);
    assert_int_equal(n, strlen(text));
    assert_memory_equal(d, text, n);
    free(d);
}

/* Files: the fork starts with the parent's, and each side's changes stay
 * its own; the fork has a new id and closes and deletes like any. */
static void fork_files_diverge(void **state)
{
    fixture *f = *state;
    wb_session *p = NULL, *c = NULL;
    wb_error err = { 0 };
    assert_int_equal(wb_session_open(&f->opts, NULL, &p, &err), WB_OK);
    put(p, "a.txt", "parent");
    put(p, "dir/b.txt", "deep");
    assert_int_equal(wb_session_fork(p, NULL, &c, &err), WB_OK);
    assert_string_not_equal(wb_session_id(c), wb_session_id(p));
    expect_file(c, "a.txt", "parent");
    expect_file(c, "dir/b.txt", "deep");
    put(c, "a.txt", "child");
    put(p, "dir/b.txt", "parent2");
    expect_file(p, "a.txt", "parent");
    expect_file(c, "a.txt", "child");
    expect_file(c, "dir/b.txt", "deep");
    char id[64];
    snprintf(id, sizeof id, "%s", wb_session_id(c));
    wb_session_close(c);
    assert_true(wb_session_exists(&f->opts, id));
    assert_int_equal(wb_session_delete(&f->opts, id, &err), WB_OK);
    expect_file(p, "dir/b.txt", "parent2");
    wb_session_close(p);
}

/* A fork whose own disk budget is smaller than the parent's workspace is
 * refused with WB_E_LIMIT and leaves nothing behind. */
static void fork_over_quota_refused(void **state)
{
    fixture *f = *state;
    wb_session *p = NULL, *c = NULL;
    wb_error err = { 0 };
    assert_int_equal(wb_session_open(&f->opts, NULL, &p, &err), WB_OK);
    put(p, "big.txt", "0123456789012345678901234567890123456789");
    wb_sandbox_config small;
    wb_sandbox_config_init(&small);
    small.budget.max_disk = 4096;
    wb_session_options o = f->opts;
    o.policy = &small;
    assert_int_equal(wb_session_fork(p, &o, &c, &err), WB_E_LIMIT);
    assert_null(c);
    wb_session_info *list = NULL;
    size_t n = 0;
    assert_int_equal(wb_session_list(&f->opts, &list, &n, &err), WB_OK);
    assert_int_equal(n, 1);
    free(list);
    wb_session_close(p);
    wb_sandbox_config_free(&small);
}

/* big: 1 MiB, named 40 times (hard links); a copy limited to 4 MiB stops
 * with EDQUOT having made at most 4 MiB of files. */
#define BIG (1u << 20)
#define NAMES 40

static void make_linked(const char *dir)
{
    char p[512], q[512];
    snprintf(p, sizeof p, "%s/big", dir);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    static char buf[BIG];
    memset(buf, 'x', sizeof buf);
    assert_int_equal(write(fd, buf, sizeof buf), (ssize_t)sizeof buf);
    close(fd);
    for (int i = 0; i < NAMES - 1; i++) {
        snprintf(q, sizeof q, "%s/l%02d", dir, i);
        assert_int_equal(link(p, q), 0);
    }
}

static uint64_t files_bytes;

static int add_bytes(const char *p, const struct stat *sb, int f,
                     struct FTW *w)
{
    (void)p; (void)w;
    if (f == FTW_F && S_ISREG(sb->st_mode))
        files_bytes += (uint64_t)sb->st_size;
    return 0;
}

static void copy_tree_stops_at_limit(void **state)
{
    (void)state;
    char top[] = "/tmp/wb-unit-fork-XXXXXX", p[512];
    assert_non_null(mkdtemp(top));
    snprintf(p, sizeof p, "%s/src", top);
    assert_int_equal(mkdir(p, 0700), 0);
    make_linked(p);
    int sfd = open(p, O_RDONLY | O_DIRECTORY);
    snprintf(p, sizeof p, "%s/dst", top);
    assert_int_equal(mkdir(p, 0700), 0);
    int dfd = open(p, O_RDONLY | O_DIRECTORY);
    wb_copy_stats cs;
    char where[256] = "";
    errno = 0;
    assert_int_equal(wb_sess_copy_tree(sfd, dfd, 4u * BIG, &cs, where,
                                       sizeof where), -1);
    assert_int_equal(errno, EDQUOT);
    assert_true(where[0] != 0);
    files_bytes = 0;
    assert_int_equal(nftw(p, add_bytes, 16, FTW_PHYS), 0);
    assert_true(files_bytes <= 4u * BIG);
    assert_true(cs.files < 4);
    close(sfd);
    close(dfd);
    rm_tree(top);
}

/* This process's bytes written to storage so far (0 without task I/O
 * accounting, where the check below proves nothing but still runs). */
static uint64_t write_bytes(void)
{
    FILE *f = fopen("/proc/self/io", "r");
    char line[128];
    unsigned long long v = 0;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "write_bytes: %llu", &v) == 1)
            break;
    if (f)
        fclose(f);
    return v;
}

/* A fork of a workspace whose 1 MiB file has 40 names, with a budget of
 * 8 MiB: refused (WB_E_LIMIT) having written about its budget, not the
 * 40 MiB one copy per name would be. */
static void fork_hard_links_bounded(void **state)
{
    fixture *f = *state;
    wb_session *p = NULL, *c = NULL;
    wb_error err = { 0 };
    assert_int_equal(wb_session_open(&f->opts, NULL, &p, &err), WB_OK);
    make_linked(p->ws);
    sync();
    wb_sandbox_config small;
    wb_sandbox_config_init(&small);
    small.budget.max_disk = 8u * BIG;
    wb_session_options o = f->opts;
    o.policy = &small;
    uint64_t before = write_bytes();
    assert_int_equal(wb_session_fork(p, &o, &c, &err), WB_E_LIMIT);
    uint64_t wrote = write_bytes() - before;
    if (wrote > 12u * BIG)
        fail_msg("the refused fork wrote %llu bytes (budget %u)",
                 (unsigned long long)wrote, 8u * BIG);
    assert_non_null(strstr(err.message, "disk budget"));
    assert_null(c);
    wb_session_close(p);
    wb_sandbox_config_free(&small);
}

static bool have_python_snap(void)
{
    const char *g = getenv("WASMBOX_GUESTS");
    char snap[600];
    snprintf(snap, sizeof snap, "%s/python/python.snap",
             g && *g ? g : "build/guests");
    return access(snap, R_OK) == 0;
}

static void py(wb_session *s, const char *code, wb_step_result *res)
{
    wb_error err = { 0 };
    memset(res, 0, sizeof *res);
    if (wb_session_run(s, WB_LANG_PYTHON, code, strlen(code), NULL, res,
                       &err) != WB_OK)
        fail_msg("step failed: %s", err.message);
}

static void py_expect(wb_session *s, const char *code, const char *out)
{
    wb_step_result r;
    py(s, code, &r);
    if (strcmp(r.out ? r.out : "", out))
        fail_msg("%s: got '%s' (stderr '%s', note '%s'), want '%s'", code,
                 r.out, r.err, r.note, out);
    wb_step_result_free(&r);
}

/* Python: x = 1 in the parent, fork, x = 2 in the fork: the parent still
 * sees 1; a file the fork's code writes is not the parent's; the fork's
 * memory budget (the parent's policy) holds. */
static void fork_python_diverges(void **state)
{
    fixture *f = *state;
    if (!have_python_snap()) {
        print_message("no python/python.snap (make guests): skipped\n");
        skip();
    }
    f->policy.budget.max_memory = 96u << 20;
    f->policy.budget.timeout_ms = 60000;
    wb_session *p = NULL, *c = NULL;
    wb_error err = { 0 };
    assert_int_equal(wb_session_open(&f->opts, NULL, &p, &err), WB_OK);
    py_expect(p, "x = 1\nopen('f.txt', 'w').write('one')\nprint(x)\n",
              "1\n");
    assert_int_equal(wb_session_fork(p, NULL, &c, &err), WB_OK);
    py_expect(c, "print(x)\n", "1\n");
    py_expect(c, "x = 2\nopen('f.txt', 'w').write('two')\nprint(x)\n",
              "2\n");
    py_expect(p, "print(x, open('f.txt').read())\n", "1 one\n");
    py_expect(c, "print(x, open('f.txt').read())\n", "2 two\n");
    /* a fork of the fork, then the parent moves on */
    wb_session *g = NULL;
    assert_int_equal(wb_session_fork(c, NULL, &g, &err), WB_OK);
    py_expect(p, "x = 3\n", "");
    py_expect(g, "print(x)\n", "2\n");
    /* the budget holds in the fork: 200 MiB do not fit in 96 */
    wb_step_result r;
    py(c, "b = bytearray(200 << 20)\n", &r);
    assert_true(r.run.outcome == WB_OUTCOME_MEMORY ||
                (r.err && strstr(r.err, "MemoryError")));
    wb_step_result_free(&r);
    py_expect(c, "print(x)\n", "2\n");
    py_expect(p, "print(x)\n", "3\n");
    wb_session_close(g);
    wb_session_close(c);
    wb_session_close(p);
}

/* <state>/sessions/<id>/ckpt/<name> */
static void ckpt_path(fixture *f, const char *id, const char *name,
                      char *out, size_t cap)
{
    snprintf(out, cap, "%s/sessions/%s/ckpt/%s", f->state, id, name);
}

static struct stat stat_of(fixture *f, const char *id, const char *name)
{
    char path[512];
    struct stat sb;
    ckpt_path(f, id, name, path, sizeof path);
    if (stat(path, &sb) != 0)
        fail_msg("%s: %s", path, strerror(errno));
    return sb;
}

/* Bytes of disk a checkpoint file takes (its holes take none). */
static long long disk_of(fixture *f, const char *id, const char *name)
{
    return (long long)stat_of(f, id, name).st_blocks * 512;
}

/* A step of a reopened session: its note and the output of `code`. */
static void reopened_expect(fixture *f, const char *id, const char *code,
                            const char *out, const char *note)
{
    wb_session *s = NULL;
    wb_error err = { 0 };
    wb_step_result r;
    assert_int_equal(wb_session_open(&f->opts, id, &s, &err), WB_OK);
    py(s, code, &r);
    if (strcmp(r.out ? r.out : "", out) || !strstr(r.note, note))
        fail_msg("%s: got '%s' (note '%s'), want '%s' (note with '%s')",
                 code, r.out, r.note, out, note);
    wb_step_result_free(&r);
    wb_session_close(s);
}

/* Flip a byte in the middle of a file, in place (the same inode). */
static void flip_middle(const char *path)
{
    int fd = open(path, O_RDWR);
    struct stat sb;
    uint8_t b;
    assert_true(fd >= 0 && fstat(fd, &sb) == 0);
    off_t at = sb.st_size / 2;
    assert_int_equal(pread(fd, &b, 1, at), 1);
    b ^= 0x40;
    assert_int_equal(pwrite(fd, &b, 1, at), 1);
    close(fd);
}

/* A fork's checkpoints are layers over the parent's file (snapshot/
 * layer.c): after its step the fork's copy on disk holds the pages the
 * step wrote, not the parent's 20 MiB, and its base is the parent's very
 * file (a link); a fork of the fork layers over that same file (depth
 * one). Both go on from their copies after being closed (a restart); a
 * base replaced by another checkpoint, or damaged in place after this
 * process checked it, is refused with one line and the kernel starts
 * afresh. */
static void fork_checkpoints_are_layers(void **state)
{
    fixture *f = *state;
    if (!have_python_snap()) {
        print_message("no python/python.snap (make guests): skipped\n");
        skip();
    }
    f->policy.budget.max_memory = 256u << 20;
    f->policy.budget.timeout_ms = 60000;
    wb_session *p = NULL, *c = NULL, *g = NULL;
    wb_error err = { 0 };
    char pid[64], cid[64], gid[64], path[512], other[512];
    assert_int_equal(wb_session_open(&f->opts, NULL, &p, &err), WB_OK);
    snprintf(pid, sizeof pid, "%s", wb_session_id(p));
    py_expect(p, "data = [bytes([1 + i % 250]) * 1000 for i in "
              "range(20000)]\nx = 1\n", "");
    long long whole = disk_of(f, pid, "python.snap");
    assert_true(whole > (20ll << 20));
    assert_int_equal(wb_session_fork(p, NULL, &c, &err), WB_OK);
    snprintf(cid, sizeof cid, "%s", wb_session_id(c));
    py_expect(c, "x = 2\nprint(len(data), x)\n", "20000 2\n");
    /* the fork's copy: its own pages only; its base: the parent's file */
    long long layer = disk_of(f, cid, "python.snap");
    if (layer > (4ll << 20))
        fail_msg("a fork's checkpoint of %lld bytes (its parent's: %lld)",
                 layer, whole);
    assert_int_equal(stat_of(f, cid, "python.base.snap").st_ino,
                     stat_of(f, pid, "python.snap").st_ino);
    /* a fork of the fork: a layer over the same base, not over the layer */
    assert_int_equal(wb_session_fork(c, NULL, &g, &err), WB_OK);
    snprintf(gid, sizeof gid, "%s", wb_session_id(g));
    py_expect(g, "print(x)\nx = 3\n", "2\n");
    py_expect(g, "x += 1\nprint(x)\n", "4\n");
    assert_true(disk_of(f, gid, "python.snap") < (4ll << 20));
    assert_int_equal(stat_of(f, gid, "python.base.snap").st_ino,
                     stat_of(f, pid, "python.snap").st_ino);
    /* a rollback in a fork goes back to its layer */
    wb_step_result r;
    wb_budget b = f->policy.budget;
    b.timeout_ms = 500;
    wb_step_options so = { .budget = &b };
    const char *spin = "x = 9\nwhile 1: pass\n";
    memset(&r, 0, sizeof r);
    assert_int_equal(wb_session_run_ex(c, WB_LANG_PYTHON, spin,
                                       strlen(spin), &so, &r, &err), WB_OK);
    assert_int_equal(r.run.outcome, WB_OUTCOME_TIMEOUT);
    assert_true(r.rolled_back);
    wb_step_result_free(&r);
    py_expect(c, "print(x)\n", "2\n");
    /* closed and reopened (as after a restart): each from its layer */
    wb_session_close(g);
    wb_session_close(c);
    reopened_expect(f, cid, "print(len(data), x)\n", "20000 2\n",
                    "restored from its checkpoint on disk");
    reopened_expect(f, gid, "print(len(data), x)\n", "20000 4\n",
                    "restored from its checkpoint on disk");
    /* g's base replaced by another whole checkpoint (the parent's next) */
    py_expect(p, "x = 5\n", "");
    ckpt_path(f, pid, "python.snap", path, sizeof path);
    ckpt_path(f, gid, "python.base.snap", other, sizeof other);
    assert_int_equal(unlink(other), 0);
    assert_int_equal(link(path, other), 0);
    reopened_expect(f, gid, "print('x' in dir())\n", "False\n",
                    "its base is not the file it was made over");
    /* c's base damaged in place, after this process checked it */
    ckpt_path(f, cid, "python.base.snap", path, sizeof path);
    flip_middle(path);
    reopened_expect(f, cid, "print('x' in dir())\n", "False\n",
                    "its base: damaged");
    py_expect(p, "print(x)\n", "5\n");
    wb_session_close(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(copy_tree_follows_no_link),
        cmocka_unit_test(copy_tree_stops_at_limit),
        cmocka_unit_test_setup_teardown(fork_files_diverge, setup, teardown),
        cmocka_unit_test_setup_teardown(fork_over_quota_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(fork_hard_links_bounded, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(fork_python_diverges, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(fork_checkpoints_are_layers, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
