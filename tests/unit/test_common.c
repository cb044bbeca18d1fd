/* test_common.c: the shared helpers of src/common/ with valid and hostile
 * input: base64, UTF-8 repair (and JSON text), whole-file reads, listen
 * addresses, lexical paths, directory trees. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/addr.h"
#include "common/b64.h"
#include "common/file.h"
#include "common/json.h"
#include "common/path.h"
#include "common/tree.h"
#include "common/utf8.h"

/* ---- the fixture of the file-system tests: a fresh directory ----------- */

typedef struct tmpdir {
    char path[64];
    int fd;                        /* open on it */
} tmpdir;

static int tmpdir_setup(void **state)
{
    tmpdir *t = calloc(1, sizeof *t);
    if (!t)
        return -1;
    snprintf(t->path, sizeof t->path, "/tmp/wb-unit-common-XXXXXX");
    if (!mkdtemp(t->path) ||
        (t->fd = open(t->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
        free(t);
        return -1;
    }
    *state = t;
    return 0;
}

static int tmpdir_teardown(void **state)
{
    tmpdir *t = *state;
    int rc = wb_tree_rm(AT_FDCWD, t->path);
    close(t->fd);
    free(t);
    return rc;
}

/* ---- base64 ------------------------------------------------------------ */

/* s decodes to want[0..wn). */
static void b64_ok(const char *s, size_t n, const char *want, size_t wn)
{
    size_t len = 99;
    char why[100] = "";
    uint8_t *d = wb_b64_decode(s, n, &len, why, sizeof why);
    if (!d)
        fail_msg("'%.*s' refused: %s", (int)n, s, why);
    assert_int_equal(len, wn);
    assert_memory_equal(d, want, wn);
    assert_int_equal(d[len], 0);
    free(d);
}

/* s is refused with a reason containing `reason`. */
static void b64_bad(const char *s, size_t n, const char *reason)
{
    size_t len = 0;
    char why[100] = "";
    uint8_t *d = wb_b64_decode(s, n, &len, why, sizeof why);
    if (d)
        fail_msg("'%.*s' accepted (%zu bytes)", (int)n, s, len);
    if (!strstr(why, reason))
        fail_msg("'%.*s': reason '%s', want '%s'", (int)n, s, why, reason);
}

#define B64_OK(s, want) b64_ok(s, strlen(s), want, sizeof(want) - 1)
#define B64_BAD(s, reason) b64_bad(s, sizeof(s) - 1, reason)

static void test_b64_valid(void **state)
{
    B64_OK("", "");
    B64_OK("QQ==", "A");
    B64_OK("QUI=", "AB");
    B64_OK("QUJD", "ABC");
    B64_OK("QQ", "A");                       /* padding is optional */
    B64_OK("QUI", "AB");
    B64_OK(" QU\nJD\r\n\tRA == ", "ABCD");   /* whitespace anywhere */
    B64_OK("+/8=", "\xfb\xff");              /* standard alphabet */
    B64_OK("-_8=", "\xfb\xff");              /* URL-safe alphabet */
    B64_OK("AAE=", "\x00\x01");
}

static void test_b64_hostile(void **state)
{
    B64_BAD("Q", "truncated");
    B64_BAD("QUJDR", "truncated");
    B64_BAD("QQ=", "padding");               /* incomplete padding */
    B64_BAD("Q===", "padding");
    B64_BAD("QUJD=", "padding");             /* nothing to pad */
    B64_BAD("QQ===", "padding");
    B64_BAD("QQ==QQ==", "padding");          /* data after padding */
    B64_BAD("=QQ", "padding");
    B64_BAD("QQ!=", "invalid character '!' at offset 2");
    B64_BAD("QQ\0=", "invalid byte 0x00 at offset 2");   /* NUL inside */
    B64_BAD("QQ\xff=", "invalid byte 0xff");
    B64_BAD("!!notbase64", "invalid character");
}

static void test_b64_round_trip(void **state)
{
    uint8_t data[300];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 37 + 11);
    for (size_t n = 0; n <= sizeof data; n += n < 16 ? 1 : 29) {
        char *e = wb_b64_encode(data, n);
        assert_non_null(e);
        assert_int_equal(strlen(e), (n + 2) / 3 * 4);
        b64_ok(e, strlen(e), (const char *)data, n);
        free(e);
    }
}

/* ---- UTF-8 ------------------------------------------------------------- */

#define FFFD "\xef\xbf\xbd"

static void repaired(const char *in, size_t n, const char *want, size_t wn)
{
    size_t len = 0;
    char *out = wb_utf8_repair(in, n, &len);
    assert_non_null(out);
    if (len != wn || memcmp(out, want, wn))
        fail_msg("repair of %zu bytes: got %zu bytes '%s'", n, len, out);
    assert_true(wb_utf8_valid(out, len));
    assert_int_equal(wb_utf8_valid(in, n), n == wn && !memcmp(in, want, n));
    free(out);
}

#define REPAIRED(in, want) repaired(in, sizeof(in) - 1, want, sizeof(want) - 1)
#define KEPT(in) REPAIRED(in, in)

static void test_utf8_valid(void **state)
{
    KEPT("");
    KEPT("plain ASCII");
    KEPT("caf\xc3\xa9 \xe2\x82\xac \xf0\x9d\x84\x9e");   /* é € 𝄞 */
    KEPT("a\0b");                              /* NUL is a character */
    KEPT("\xc2\x80\xdf\xbf");                  /* U+0080, U+07FF */
    KEPT("\xe0\xa0\x80\xef\xbf\xbf");          /* U+0800, U+FFFF */
    KEPT("\xf0\x90\x80\x80\xf4\x8f\xbf\xbf");  /* U+10000, U+10FFFF */
    KEPT("\xed\x9f\xbf\xee\x80\x80");          /* around the surrogates */
}

/* Ill-formed input: each maximal ill-formed subpart is one U+FFFD (the
 * same as Python's decode(errors="replace")). */
static void test_utf8_hostile(void **state)
{
    REPAIRED("\xc0\xaf", FFFD FFFD);                 /* overlong '/' */
    REPAIRED("\xc1\xbf", FFFD FFFD);
    REPAIRED("\xe0\x80\xaf", FFFD FFFD FFFD);        /* overlong, 3 bytes */
    REPAIRED("\xf0\x80\x80\xaf", FFFD FFFD FFFD FFFD);
    REPAIRED("\xed\xa0\x80", FFFD FFFD FFFD);        /* a surrogate */
    REPAIRED("\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD); /* past U+10FFFF */
    REPAIRED("\xf5\xff\xfe", FFFD FFFD FFFD);
    REPAIRED("\x80\x80x", FFFD FFFD "x");            /* stray continuations */
    REPAIRED("ok\xe2\x82", "ok" FFFD);               /* truncated at the end */
    REPAIRED("\xe2\x82" "A", FFFD "A");              /* truncated in the middle */
    REPAIRED("\xf0\x9d\x84", FFFD);
    REPAIRED("\xf0\x9d\x84\xc3\xa9", FFFD "\xc3\xa9");
    REPAIRED("\xc3", FFFD);
}

/* Lengths no buffer can have are refused before anything is allocated
 * or read (data is far shorter than n). */
static void test_huge_lengths(void **state)
{
    static const uint8_t data[4] = "abc";
    assert_null(wb_b64_encode(data, SIZE_MAX));
    assert_null(wb_b64_encode(data, SIZE_MAX / 4 * 3));
    size_t len = 7;
    assert_null(wb_utf8_repair((const char *)data, SIZE_MAX, &len));
    assert_null(wb_utf8_repair((const char *)data, SIZE_MAX / 3 + 1, &len));
    /* odd lengths: the start of a string only */
    b64_ok("QUJDRA==", 4, "ABC", 3);
    b64_bad("QUJDRA==", 5, "truncated");
    b64_bad("QUJDRA==", 7, "padding");
    repaired("\xe2\x82\xac", 2, FFFD, 3);          /* cut inside a sequence */
    repaired("\xe2\x82\xac", 0, "", 0);
}

static void test_json_text(void **state)
{
    json_t *j = wb_json_text("caf\xc3\xa9", 5);
    assert_string_equal(json_string_value(j), "caf\xc3\xa9");
    json_decref(j);
    j = wb_json_text("bad \xff\xe2\x82 end", 11);
    assert_non_null(j);
    assert_string_equal(json_string_value(j), "bad " FFFD FFFD " end");
    char *dump = json_dumps(j, JSON_ENCODE_ANY);
    assert_non_null(dump);
    json_t *back = json_loads(dump, JSON_DECODE_ANY, NULL);
    assert_non_null(back);                   /* the text is valid JSON */
    assert_true(json_equal(j, back));
    json_decref(back);
    free(dump);
    json_decref(j);
}

/* ---- whole-file reads -------------------------------------------------- */

static void write_file(const char *path, const char *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    fclose(f);
}

static void test_file_read(void **state)
{
    tmpdir *t = *state;
    const char *dir = t->path;
    char path[80];
    snprintf(path, sizeof path, "%s/f", dir);
    write_file(path, "0123456789", 10);
    uint8_t *b;
    size_t n;
    assert_int_equal(wb_file_read(path, 10, &b, &n), 0);
    assert_int_equal(n, 10);
    assert_memory_equal(b, "0123456789", 10);
    assert_int_equal(b[10], 0);
    free(b);
    assert_int_equal(wb_file_read(path, 9, &b, &n), EFBIG);
    assert_null(b);
    write_file(path, "", 0);
    assert_int_equal(wb_file_read(path, 9, &b, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(b[0], 0);
    free(b);
    assert_int_equal(wb_file_read(dir, 100, &b, &n), EISDIR);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(wb_file_read(path, 100, &b, &n), ENOENT);
    /* st_size 0, but there is text: read to the end */
    assert_int_equal(wb_file_read("/proc/self/status", 1 << 20, &b, &n), 0);
    assert_non_null(strstr((char *)b, "Name:"));
    free(b);
}

/* A pipe has no size: the limit holds while reading. */
static void test_file_read_pipe(void **state)
{
    static char big[100000];
    for (size_t max = 99999; max <= 100000; max++) {
        int p[2];
        assert_int_equal(pipe(p), 0);
        memset(big, 'x', sizeof big);
        if (fork() == 0) {
            close(p[0]);
            ssize_t w = write(p[1], big, sizeof big);
            _exit(w == (ssize_t)sizeof big ? 0 : 1);
        }
        close(p[1]);
        uint8_t *b;
        size_t n;
        int e = wb_file_read_fd(p[0], max, &b, &n);
        close(p[0]);
        if (max < sizeof big) {
            assert_int_equal(e, EFBIG);
        } else {
            assert_int_equal(e, 0);
            assert_int_equal(n, sizeof big);
            free(b);
        }
        while (wait(NULL) > 0)
            ;
    }
}

/* ---- listen addresses -------------------------------------------------- */

static void test_addr_valid(void **state)
{
    wb_addr a;
    char msg[200] = "", out[80];
    assert_int_equal(wb_addr_parse("127.0.0.1:8080", NULL, &a, msg,
                                   sizeof msg), 0);
    assert_int_equal(a.ss.ss_family, AF_INET);
    assert_true(a.loopback);
    wb_addr_format(&a.ss, out, sizeof out);
    assert_string_equal(out, "127.0.0.1:8080");
    assert_int_equal(wb_addr_parse("[::1]:0", NULL, &a, msg, sizeof msg), 0);
    assert_int_equal(a.ss.ss_family, AF_INET6);
    assert_true(a.loopback);
    wb_addr_format(&a.ss, out, sizeof out);
    assert_string_equal(out, "[::1]:0");
    assert_int_equal(wb_addr_parse("localhost:1", NULL, &a, msg, sizeof msg),
                     0);
    wb_addr_format(&a.ss, out, sizeof out);
    assert_string_equal(out, "127.0.0.1:1");
    assert_int_equal(wb_addr_parse(":65535", NULL, &a, msg, sizeof msg), 0);
    assert_false(a.loopback);                /* every interface */
    assert_int_equal(wb_addr_parse(":80", "127.0.0.1", &a, msg, sizeof msg),
                     0);
    assert_true(a.loopback);
    assert_int_equal(wb_addr_parse("10.1.2.3:80", NULL, &a, msg, sizeof msg),
                     0);
    assert_false(a.loopback);
}

static void test_addr_hostile(void **state)
{
    static const char *const bad[] = {
        "", ":", "8080", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536",
        "127.0.0.1:-1", "127.0.0.1:+80", "127.0.0.1: 80", "127.0.0.1:8o",
        "127.0.0.1:0x50", "127.0.0.1:123456", "::1:80", "[::1", "[::1]",
        "[::1]:", "[]x:80", "1:2:3", NULL,
    };
    wb_addr a;
    char msg[200];
    for (const char *const *b = bad; *b; b++) {
        msg[0] = 0;
        if (wb_addr_parse(*b, NULL, &a, msg, sizeof msg) == 0)
            fail_msg("'%s' accepted", *b);
        assert_true(msg[0] != 0);
        assert_null(strchr(msg, '\n'));
    }
    char longhost[400];
    memset(longhost, 'a', sizeof longhost);
    strcpy(longhost + 300, ":80");
    assert_int_equal(wb_addr_parse(longhost, NULL, &a, msg, sizeof msg), -1);
    assert_non_null(strstr(msg, "too long"));
}

/* ---- lexical paths ----------------------------------------------------- */

static void dir_is(const char *path, const char *want)
{
    char out[64];
    assert_true(wb_path_dirname(path, out, sizeof out));
    if (strcmp(out, want))
        fail_msg("dirname('%s') = '%s', want '%s'", path, out, want);
}

static void base_is(const char *path, const char *want)
{
    char out[64];
    assert_true(wb_path_basename(path, out, sizeof out));
    if (strcmp(out, want))
        fail_msg("basename('%s') = '%s', want '%s'", path, out, want);
}

static void test_path(void **state)
{
    dir_is("a/b", "a");
    dir_is("/a", "/");
    dir_is("a", ".");
    dir_is("", ".");
    dir_is("/", "/");
    dir_is("a/b/", "a");
    dir_is("//a//b//", "//a");
    dir_is("/usr/lib/x.yaml", "/usr/lib");
    /* ".." is a name: nothing is resolved */
    dir_is("a/..", "a");
    dir_is("../x", "..");
    dir_is("x/../../y", "x/../..");
    dir_is("..", ".");
    base_is("a/b", "b");
    base_is("a/b/", "b");
    base_is("/", "/");
    base_is("", ".");
    base_is("x", "x");
    base_is("a/..", "..");
    char small[4];
    assert_false(wb_path_dirname("abcdef/g", small, sizeof small));
    assert_string_equal(small, "");
    assert_false(wb_path_basename("g/abcdef", small, sizeof small));
    /* an embedded NUL ends the C string: the rest is never looked at */
    char out[16];
    assert_true(wb_path_dirname("a/b\0/../../etc", out, sizeof out));
    assert_string_equal(out, "a");
}

/* ---- directory trees ---------------------------------------------------- */

typedef struct seen {
    char log[1024];                /* "L:name " per leaf, "D:name " per dir */
    int fail_leaf;                 /* the leaf callback fails (EACCES) */
} seen;

static int see_leaf(void *u, int dfd, const char *name, const struct stat *sb)
{
    seen *s = u;
    size_t n = strlen(s->log);
    snprintf(s->log + n, sizeof s->log - n, "L:%s ", name);
    if (s->fail_leaf) {
        errno = EACCES;
        return -1;
    }
    return 0;
}

static int see_dir(void *u, int dfd, const char *name, const struct stat *sb)
{
    seen *s = u;
    size_t n = strlen(s->log);
    snprintf(s->log + n, sizeof s->log - n, "D:%s ", name);
    return 0;
}

/* Run the shell command `cmd` in the fixture's directory. */
static void in_dir(const tmpdir *t, const char *cmd)
{
    char line[512];
    snprintf(line, sizeof line, "cd '%s' && %s", t->path, cmd);
    if (system(line) != 0)
        fail_msg("setup failed: %s", cmd);
}

/* Children before their directory; the top itself is not visited. */
static void test_tree_walk(void **state)
{
    tmpdir *t = *state;
    in_dir(t, "mkdir -p top/a/b && touch top/a/b/f top/a/g");
    seen s = { .log = "" };
    wb_tree_ops ops = { see_leaf, see_dir, &s };
    assert_int_equal(wb_tree_walk(t->fd, "top", &ops), 0);
    char *f = strstr(s.log, "L:f "), *b = strstr(s.log, "D:b ");
    char *g = strstr(s.log, "L:g "), *a = strstr(s.log, "D:a ");
    assert_true(f && b && g && a);
    assert_true(f < b && b < a && g < a);        /* post-order */
    assert_null(strstr(s.log, "top"));
    /* an empty directory: nothing to visit */
    in_dir(t, "mkdir empty");
    s.log[0] = 0;
    assert_int_equal(wb_tree_walk(t->fd, "empty", &ops), 0);
    assert_string_equal(s.log, "");
}

/* Symlinks are leaves, even to directories outside the tree, and the
 * top is never reached through one. */
static void test_tree_symlinks(void **state)
{
    tmpdir *t = *state;
    in_dir(t, "mkdir -p top outside/deep && touch outside/deep/secret && "
              "ln -s ../outside top/out && ln -s /etc top/etc && "
              "ln -s top link");
    seen s = { .log = "" };
    wb_tree_ops ops = { see_leaf, see_dir, &s };
    assert_int_equal(wb_tree_walk(t->fd, "top", &ops), 0);
    assert_non_null(strstr(s.log, "L:out "));
    assert_non_null(strstr(s.log, "L:etc "));
    assert_null(strstr(s.log, "secret"));
    assert_null(strstr(s.log, "passwd"));
    errno = 0;
    assert_int_equal(wb_tree_walk(t->fd, "link", &ops), -1);
    assert_true(errno == ENOTDIR || errno == ELOOP);   /* O_NOFOLLOW */
    /* rm -rf removes the links, not what they point to */
    assert_int_equal(wb_tree_rm(t->fd, "top"), 0);
    struct stat sb;
    assert_int_equal(fstatat(t->fd, "top", &sb, 0), -1);
    assert_int_equal(fstatat(t->fd, "outside/deep/secret", &sb, 0), 0);
    assert_int_equal(wb_tree_rm(t->fd, "link"), 0);   /* a dangling link */
    assert_int_equal(fstatat(t->fd, "link", &sb, AT_SYMLINK_NOFOLLOW), -1);
}

static void test_tree_hostile(void **state)
{
    tmpdir *t = *state;
    seen s = { .log = "" };
    wb_tree_ops ops = { see_leaf, see_dir, &s };
    errno = 0;
    assert_int_equal(wb_tree_walk(t->fd, "missing", &ops), -1);
    assert_int_equal(errno, ENOENT);
    assert_int_equal(wb_tree_rm(t->fd, "missing"), 0);   /* gone already */
    in_dir(t, "touch file");
    assert_int_equal(wb_tree_walk(t->fd, "file", &ops), -1);
    assert_int_equal(errno, ENOTDIR);
    assert_int_equal(wb_tree_rm(t->fd, "file"), 0);      /* rm -rf file */
    assert_int_equal(wb_tree_walk(t->fd, "", &ops), -1);
    /* "..": a name like any other, relative to dfd (no escape checks are
     * the walk's: it visits what it is given) */
    in_dir(t, "mkdir -p d/e && touch d/e/x");
    s.log[0] = 0;
    assert_int_equal(wb_tree_walk(t->fd, "d/e/..", &ops), 0);
    assert_non_null(strstr(s.log, "L:x D:e "));
    /* a failing callback does not stop the walk; the first errno is kept */
    in_dir(t, "touch d/y");
    s.log[0] = 0;
    s.fail_leaf = 1;
    errno = 0;
    assert_int_equal(wb_tree_walk(t->fd, "d", &ops), -1);
    assert_int_equal(errno, EACCES);
    assert_non_null(strstr(s.log, "L:x "));
    assert_non_null(strstr(s.log, "L:y "));
    assert_non_null(strstr(s.log, "D:e "));
}

/* A tree 400 levels deep, walked and removed with three fds to spare. */
static void test_tree_deep_few_fds(void **state)
{
    tmpdir *t = *state;
    assert_int_equal(mkdirat(t->fd, "deep", 0700), 0);
    int fd = openat(t->fd, "deep", O_RDONLY | O_DIRECTORY);
    for (int i = 0; i < 400; i++) {
        assert_true(fd >= 0);
        assert_int_equal(mkdirat(fd, "d", 0700), 0);
        int next = openat(fd, "d", O_RDONLY | O_DIRECTORY);
        close(fd);
        fd = next;
    }
    close(fd);
    int lowest = 0;
    while (fcntl(lowest, F_GETFD) != -1)
        lowest++;
    struct rlimit old, rl;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
    rl = old;
    rl.rlim_cur = (rlim_t)lowest + 3;
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
    seen s = { .log = "" };
    wb_tree_ops ops = { NULL, see_dir, &s };
    int walked = wb_tree_walk(t->fd, "deep", &ops);
    int removed = wb_tree_rm(t->fd, "deep");
    setrlimit(RLIMIT_NOFILE, &old);
    assert_int_equal(walked, 0);
    assert_int_equal(removed, 0);
    struct stat sb;
    assert_int_equal(fstatat(t->fd, "deep", &sb, 0), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_b64_valid),
        cmocka_unit_test(test_b64_hostile),
        cmocka_unit_test(test_b64_round_trip),
        cmocka_unit_test(test_utf8_valid),
        cmocka_unit_test(test_utf8_hostile),
        cmocka_unit_test(test_json_text),
        cmocka_unit_test_setup_teardown(test_file_read, tmpdir_setup,
                                        tmpdir_teardown),
        cmocka_unit_test(test_file_read_pipe),
        cmocka_unit_test(test_addr_valid),
        cmocka_unit_test(test_addr_hostile),
        cmocka_unit_test(test_path),
        cmocka_unit_test(test_huge_lengths),
        cmocka_unit_test_setup_teardown(test_tree_walk, tmpdir_setup,
                                        tmpdir_teardown),
        cmocka_unit_test_setup_teardown(test_tree_symlinks, tmpdir_setup,
                                        tmpdir_teardown),
        cmocka_unit_test_setup_teardown(test_tree_hostile, tmpdir_setup,
                                        tmpdir_teardown),
        cmocka_unit_test_setup_teardown(test_tree_deep_few_fds, tmpdir_setup,
                                        tmpdir_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
