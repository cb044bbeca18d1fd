/* test_kernel.c: session kernels (src/session/wb_session_kernel.c):
 * fuel of back-to-back steps, and no guest code running outside a step.
 *
 * Fuel of back-to-back steps in one session's Python and JavaScript
 * kernels:
 * The driver keeps running after it has announced the end of a step (it
 * returns from the write and loops to read the next request). The test
 * makes that window long: its code wraps the driver's write so that, after
 * the end-of-step line, it burns about as much fuel as one step's work.
 * Every step must still get exactly its own budget: its work (about 5/8 of
 * the budget) completes, its reported fuel is its own work's, and the
 * variables survive; a step that needs more than its budget ends with
 * outcome fuel having used exactly the budget.
 *
 * Outside a step: the step's code runs in the driver's interpreter, so it
 * can keep that running after the step's end line -- wrapping a function
 * the driver calls after it (`wrap`), or writing the end line itself with
 * the step's nonce (`fake`). Such a step must end at its deadline
 * (timeout, state lost), after which the process is idle; a step that
 * waits for input on stdin ends at once; and the interpreter is killed,
 * not asked to end, when the session closes, so code left for its end
 * (atexit, finalizers, promise jobs, timers) never runs.
 *
 * Child processes (subprocess, os.system) of the Python kernel: they see
 * the session's files, end with their step (when its code returns, or at
 * its deadline), stop at max_processes and share its memory budget.
 *
 * Checkpoints (test_python_timeout_rolls_back) run twice: as they are,
 * and in a child process under a seccomp filter that kills userfaultfd,
 * as a worker of serve or mcp is, where the checkpoint cannot use the
 * kernel's tracker and compares page hashes.
 *
 * Needs the guest images (WASMBOX_GUESTS, default build/guests); a
 * language whose image is missing is skipped. WB_SESSION_STEPS sets the
 * number of steps (default 8); WB_KERNEL_TESTS a pattern of the tests to
 * run (cmocka's filter, e.g. "*python*"). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "wasmbox.h"
#include "uffd_filter.h"

/* Per language: wrap the driver's output so that BURN loop iterations run
 * after each end-of-step line; a loop of `iters` iterations and the step
 * counter `n`. */
struct lang {
    wb_lang lang;
    const char *image;
    const char *setup;
    const char *set_burn;    /* printf format: iterations */
    const char *work;        /* printf format: iterations */
    const char *overrun;     /* printf format: iterations */
    /* outside a step (see the top comment); each prints "before" first */
    const char *wrap;
    const char *poll;        /* NULL, or `wrap` polling stdin, never blocking */
    const char *fake_setup, *fake;
    const char *read_stdin;
    const char *at_exit;     /* creates /work/ran_* when it runs */
    const char *stall;       /* the driver stops reading the next request */
    const char *comment;     /* starts a comment to the end of the line */
};

static const struct lang python = {
    WB_LANG_PYTHON, "python/python.wasm",
    "import os\n"
    "_write, burn = os.write, 0\n"
    "def _slow(fd, b):\n"
    "    r = _write(fd, b)\n"
    "    if b.startswith(b'\\x1eWBEND'):\n"
    "        x = 0\n"
    "        for i in range(burn):\n"
    "            x += i\n"
    "    return r\n"
    "os.write = _slow\n"
    "n = 0\n",
    "burn = %" PRIu64 "\n",
    "n += 1\n"
    "t = 0\n"
    "for i in range(%" PRIu64 "):\n"
    "    t += i\n"
    "n\n",
    "t = 0\n"
    "for i in range(%" PRIu64 "):\n"
    "    t += i\n",
    "import os\n"
    "_w = os.write\n"
    "def w(fd, b):\n"
    "    n = _w(fd, b)\n"
    "    if b.startswith(b'\\x1eWBEND'):\n"
    "        while True:\n"
    "            pass\n"
    "    return n\n"
    "os.write = w\n"
    "print('before')\n",
    "import os, select\n"
    "_w = os.write\n"
    "def w(fd, b):\n"
    "    n = _w(fd, b)\n"
    "    if b.startswith(b'\\x1eWBEND'):\n"
    "        os.set_blocking(0, False)\n"
    "        while True:\n"
    "            select.select([0], [], [], 0.01)\n"
    "            try:\n"
    "                os.read(0, 1)\n"
    "            except BlockingIOError:\n"
    "                pass\n"
    "    return n\n"
    "os.write = w\n"
    "print('before')\n",
    "0\n",
    "import os, sys\n"
    "nonce = sys._getframe().f_back.f_locals['nonce']\n"
    "print('before', flush=True)\n"
    "os.write(1, ('\\x1eWBEND ' + nonce + ' {\"status\": \"ok\", '\n"
    "             '\"exit_code\": 0}\\n').encode())\n"
    "while True:\n"
    "    pass\n",
    "import os\n"
    "print('before', flush=True)\n"
    "os.read(0, 1)\n",
    "import atexit\n"
    "def ran(name):\n"
    "    open('/work/ran_' + name, 'w').close()\n"
    "atexit.register(ran, 'atexit')\n"
    "class Late:\n"
    "    def __del__(self):\n"
    "        ran('del')\n"
    "late = Late()\n"
    "print('before')\n",
    "import builtins\n"
    "def _stall(*a, **k):\n"
    "    while True:\n"
    "        pass\n"
    "builtins.int = _stall\n",
    "#",
};

static const struct lang javascript = {
    WB_LANG_JAVASCRIPT, "js/qjs.wasm",
    "var _puts = std.out.puts, _flush = std.out.flush, _end = false;\n"
    "var burn = 0, n = 0;\n"
    "std.out.puts = function (s) {\n"
    "    if (s.startsWith('\\x1eWBEND')) _end = true;\n"
    "    return _puts.call(std.out, s);\n"
    "};\n"
    "std.out.flush = function () {\n"
    "    const r = _flush.call(std.out);\n"
    "    if (_end) {\n"
    "        _end = false;\n"
    "        let x = 0;\n"
    "        for (let i = 0; i < burn; i++) x += i;\n"
    "    }\n"
    "    return r;\n"
    "};\n",
    "burn = %" PRIu64 ";\n",
    "n += 1;\n"
    "var t = 0;\n"
    "for (let i = 0; i < %" PRIu64 "; i++) t += i;\n"
    "n;\n",
    "var t = 0;\n"
    "for (let i = 0; i < %" PRIu64 "; i++) t += i;\n",
    "std.in.getline = function () { for (;;) {} };\n"
    "std.out.puts('before\\n');\n",
    NULL,
    "var _getline = std.in.getline, nonce = '';\n"
    "std.in.getline = function () {\n"
    "    const l = _getline.call(std.in);\n"
    "    if (l !== null) nonce = l.split(' ')[0];\n"
    "    return l;\n"
    "};\n",
    "std.out.puts('before\\n');\n"
    "std.out.puts('\\x1eWBEND ' + nonce + ' {\"status\":\"ok\",\"exit_code\":0}\\n');\n"
    "std.out.flush();\n"
    "for (;;) {}\n",
    "std.out.puts('before\\n');\n"
    "std.out.flush();\n"
    "std.in.getline();\n",
    "function ran(name) {\n"
    "    const f = std.open('/work/ran_' + name, 'w');\n"
    "    f.close();\n"
    "}\n"
    "Promise.resolve().then(() => ran('job'));\n"
    "os.setTimeout(() => ran('timer'), 0);\n"
    "std.out.puts('before\\n');\n",
    "var _getline = std.in.getline;\n"
    "std.in.getline = function () {\n"
    "    _getline.call(std.in);\n"
    "    for (;;) {}\n"
    "};\n",
    "//",
};

static const char *guests(void)
{
    const char *g = getenv("WASMBOX_GUESTS");
    return g && *g ? g : "build/guests";
}

static int rm_one(const char *p, const struct stat *sb, int f, struct FTW *w)
{
    return remove(p);
}

static void rm_tree(const char *dir)
{
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Is L's kernel checkpointed (docs/snapshots.md)? Python started from
 * python/python.snap is: a failed step rolls it back instead of losing
 * its state. */
static bool checkpointed(const struct lang *L)
{
    char snap[600];
    snprintf(snap, sizeof snap, "%s/python/python.snap", guests());
    return L->lang == WB_LANG_PYTHON && access(snap, R_OK) == 0;
}

/* One step of `len` bytes of `code` under fuel `fuel` and `timeout_ms`
 * (0: the policy's); fails the test unless it ran. */
static void run_code(wb_session *s, wb_lang lang, int64_t fuel,
                     uint64_t timeout_ms, const char *code, size_t len,
                     wb_step_result *res)
{
    wb_budget b;
    wb_budget_default(&b);
    b.fuel = fuel;
    b.timeout_ms = timeout_ms;
    b.max_memory = UINT64_MAX;         /* kernels keep the policy's */
    b.max_disk = UINT64_MAX;
    b.max_files = UINT32_MAX;
    b.max_stack = UINT32_MAX;
    wb_step_options o = { .budget = &b };
    wb_error err = { 0 };
    wb_status st = wb_session_run_ex(s, lang, code, len, &o, res, &err);
    if (st != WB_OK)
        fail_msg("step failed: %s", err.message);
}

/* run_code with `code` a printf format taking one uint64_t. */
static void step_in(wb_session *s, wb_lang lang, int64_t fuel,
                    uint64_t timeout_ms, const char *fmt, uint64_t arg,
                    wb_step_result *res)
{
    char code[2048];
    snprintf(code, sizeof code, fmt, arg);
    run_code(s, lang, fuel, timeout_ms, code, strlen(code), res);
}

static void step(wb_session *s, wb_lang lang, int64_t fuel, const char *fmt,
                 uint64_t arg, wb_step_result *res)
{
    step_in(s, lang, fuel, 0, fmt, arg, res);
}

static void check_exited(const wb_step_result *r, const char *what)
{
    if (r->run.outcome != WB_OUTCOME_EXITED || r->run.exit_code != 0)
        fail_msg("%s: outcome %s (%s), stderr: %.300s", what,
                 wb_outcome_name(r->run.outcome), r->run.message,
                 r->err ? r->err : "");
}

/* The fixture of every test: a session in a new state directory with
 * one language only (the initial state: its struct lang) and the
 * policy's default budget but a long timeout (slow sanitizer builds);
 * closed and removed after the test, whether its assertions held or not.
 * Without the language's guest image no session is opened and the test
 * skips itself (session()): cmocka counts a skip in a set-up as an
 * error. */
typedef struct kfix {
    const struct lang *L;
    char dir[32];                  /* "": none made */
    wb_sandbox_config policy;
    wb_session *s;                 /* NULL: closed, or never opened */
    char missing[512];             /* the missing guest image, or "" */
} kfix;

static int session_teardown(void **state)
{
    kfix *k = *state;
    if (k->s)
        wb_session_close(k->s);
    if (k->dir[0]) {
        wb_sandbox_config_free(&k->policy);
        rm_tree(k->dir);
    }
    free(k);
    return 0;
}

static int session_setup(void **state)
{
    kfix *k = calloc(1, sizeof *k);
    if (!k)
        return -1;
    k->L = *state;
    *state = k;
    char path[512];
    snprintf(path, sizeof path, "%s/%s", guests(), k->L->image);
    if (access(path, R_OK) != 0) {
        snprintf(k->missing, sizeof k->missing, "%s", path);
        return 0;
    }
    snprintf(k->dir, sizeof k->dir, "/tmp/wb-test-session-XXXXXX");
    if (!mkdtemp(k->dir)) {
        k->dir[0] = 0;
        session_teardown(state);
        return -1;
    }
    wb_sandbox_config_init(&k->policy);
    k->policy.budget.timeout_ms = 300000;
    wb_session_settings ss;
    wb_session_settings_default(&ss);
    ss.languages = WB_LANG_BIT(k->L->lang);
    wb_session_options so = { .state_dir = k->dir, .guests_dir = guests(),
                              .policy = &k->policy, .settings = &ss };
    wb_error err = { 0 };
    if (wb_session_open(&so, NULL, &k->s, &err) != WB_OK) {
        print_error("wb_session_open: %s\n", err.message);
        k->s = NULL;
        session_teardown(state);
        return -1;
    }
    return 0;
}

/* The fixture's session; skips the test when its guest image is missing
 * (before the test has allocated anything). */
static wb_session *session(kfix *k)
{
    if (k->missing[0]) {
        print_message("no %s (make guests): skipped\n", k->missing);
        skip();
    }
    return k->s;
}

static void back_to_back(kfix *k)
{
    const struct lang *L = k->L;
    wb_session *s = session(k);
    const char *e = getenv("WB_SESSION_STEPS");
    int steps = e && atoi(e) > 0 ? atoi(e) : 8;
    const int64_t big = INT64_C(1) << 50;
    wb_step_result r;

    /* Calibrate: a loop long enough to be a real window (>= 40 ms). */
    step(s, L->lang, big, L->setup, 0, &r);
    check_exited(&r, "setup");
    wb_step_result_free(&r);
    uint64_t iters = 20000, work = 0;
    for (;;) {
        step(s, L->lang, big, L->overrun, iters, &r);
        check_exited(&r, "calibration");
        work = r.run.fuel_used;
        uint64_t ms = r.run.wall_time_ms;
        wb_step_result_free(&r);
        if (ms >= 40 || iters >= 1u << 26)
            break;
        iters *= 2;
    }
    assert_true(work > 0);
    step(s, L->lang, big, L->set_burn, iters, &r);   /* a step's work */
    check_exited(&r, "setup with the burn");
    wb_step_result_free(&r);

    /* The budget: 8/5 of one step's work; the driver's burn after each
     * step is as much again, so a step that paid for any of it would run
     * out. */
    int64_t fuel = (int64_t)(work / 5 * 8);
    for (int i = 1; i <= steps; i++) {
        step(s, L->lang, fuel, L->work, iters, &r);
        char what[64];
        snprintf(what, sizeof what, "step %d of %d (budget %" PRId64 ")", i,
                 steps, fuel);
        check_exited(&r, what);
        if (!r.state_kept)
            fail_msg("%s: state lost: %s", what, r.note);
        if (atoi(r.out) != i)
            fail_msg("%s: n = '%s', want %d", what, r.out, i);
        /* its own work (the loop and the counter), none of the burn */
        if (r.run.fuel_used < work / 10 * 9 || r.run.fuel_used > work / 8 * 9)
            fail_msg("%s: fuel_used %" PRIu64 ", its work is %" PRIu64, what,
                     r.run.fuel_used, work);
        wb_step_result_free(&r);
    }

    /* Twice the work does not fit: stopped at exactly the budget. */
    step(s, L->lang, fuel, L->overrun, 2 * iters, &r);
    assert_int_equal(r.run.outcome, WB_OUTCOME_FUEL);
    assert_int_equal(r.run.fuel_used, (uint64_t)fuel);
    bool ck = checkpointed(L);
    assert_int_equal(r.state_lost_after, !ck);
    assert_int_equal(r.rolled_back, ck);
    wb_step_result_free(&r);
    step(s, L->lang, fuel, L->overrun, 1, &r);
    check_exited(&r, "after the fuel stop");
    assert_int_equal(r.state_kept, ck);
    if (!ck)
        assert_non_null(strstr(r.note, "ran out of fuel"));
    wb_step_result_free(&r);
}

/* The outside-a-step checks: how long a step that never parks again may
 * take, and how long the process is watched for CPU use after it. */
#define ATTACK_MS 1500u
#define IDLE_WATCH_MS 500u

static uint64_t cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* The process uses (almost) no CPU for IDLE_WATCH_MS: no guest runs. */
static void check_idle(const char *what)
{
    uint64_t c0 = cpu_ms();
    usleep(IDLE_WATCH_MS * 1000u);
    uint64_t used = cpu_ms() - c0;
    if (used > IDLE_WATCH_MS / 5)
        fail_msg("%s: %" PRIu64 " ms of CPU in the %u ms after the step "
                 "answered: its interpreter is still running", what, used,
                 IDLE_WATCH_MS);
}

/* The step after a lost one runs in a fresh interpreter that says why. */
static void check_fresh(wb_session *s, const struct lang *L, const char *why)
{
    wb_step_result r;
    step(s, L->lang, -1, "2 + 3", 0, &r);
    check_exited(&r, "the step after");
    assert_false(r.state_kept);
    assert_string_equal(r.out, "5\n");
    if (!strstr(r.note, why))
        fail_msg("note '%s' does not say '%s'", r.note, why);
    wb_step_result_free(&r);
}

/* The step after a rolled-back one runs in the restored interpreter:
 * the setup's state, so a setup that stalls the driver (L->stall: a
 * step that ended, so it is in the checkpoint) stalls it again, and
 * that step too ends at its deadline and rolls back. */
static void check_rolled_back(wb_session *s, const struct lang *L,
                              const char *setup)
{
    wb_step_result r;
    if (setup == L->stall) {
        run_code(s, L->lang, -1, ATTACK_MS, "2 + 3", 5, &r);
        assert_int_equal(r.run.outcome, WB_OUTCOME_TIMEOUT);
        assert_true(r.rolled_back);
        wb_step_result_free(&r);
        return;
    }
    step(s, L->lang, -1, "2 + 3", 0, &r);
    check_exited(&r, "the step after");
    assert_true(r.state_kept);
    assert_string_equal(r.out, "5\n");
    assert_string_equal(r.note, "");
    wb_step_result_free(&r);
}

/* `setup` (a step of its own; NULL: a trivial one that starts the
 * interpreter), then `len` bytes of `code` under `timeout_ms`: it ends
 * with outcome `want` -- a timeout at its deadline, anything else at once
 * -- its output `out` kept and its state lost (a checkpointed kernel's
 * rolled back to the setup's); then nothing runs, and the next step's
 * note says `why` (or, rolled back, the next step has the setup's
 * state). */
static void loses_state(kfix *k, const char *setup, const char *code,
                        size_t len, const char *out, uint64_t timeout_ms,
                        wb_outcome want, const char *why)
{
    const struct lang *L = k->L;
    wb_session *s = session(k);
    wb_step_result r;
    step(s, L->lang, -1, setup ? setup : "0", 0, &r);
    check_exited(&r, "setup");
    wb_step_result_free(&r);

    run_code(s, L->lang, -1, timeout_ms, code, len, &r);
    uint64_t ms = r.run.wall_time_ms;
    if (r.run.outcome != want ||
        (want == WB_OUTCOME_TIMEOUT ? ms < timeout_ms : ms >= timeout_ms / 2))
        fail_msg("outcome %s (%s) after %" PRIu64 " ms, want %s",
                 wb_outcome_name(r.run.outcome), r.run.message, ms,
                 wb_outcome_name(want));
    /* a checkpointed kernel rolls back instead (its note: "was stopped") */
    bool ck = checkpointed(L);
    assert_int_equal(r.state_lost_after, !ck);
    assert_int_equal(r.rolled_back, ck);
    char stopped[64];
    snprintf(stopped, sizeof stopped, "stopped (%s)", wb_outcome_name(want));
    assert_non_null(strstr(r.note, stopped));
    assert_string_equal(r.out, out);
    wb_step_result_free(&r);
    check_idle("after the step");

    if (ck)
        check_rolled_back(s, L, setup);
    else
        check_fresh(s, L, why);
}

/* Code that keeps the interpreter running after its step's end line. */
static void keeps_running(kfix *k, const char *setup, const char *code)
{
    loses_state(k, setup, code, strlen(code), "before\n", ATTACK_MS,
                WB_OUTCOME_TIMEOUT, "hit its time limit");
}

/* A step that waits for input on stdin (the request socket, empty until
 * the next step) can never go on. */
static void reads_stdin(kfix *k)
{
    const struct lang *L = k->L;
    loses_state(k, NULL, L->read_stdin, strlen(L->read_stdin), "before\n",
                20000, WB_OUTCOME_ERROR, "waited for input");
}

/* Code that makes the driver stop reading part way through the next
 * request, a request larger than the socket buffers: the step still ends
 * at its deadline (its request is never all sent). */
static void stalls_request(kfix *k)
{
    const struct lang *L = k->L;
    session(k);                   /* skipped here, not with 8 MiB held */
    size_t len = 8u << 20;
    char *code = malloc(len);
    assert_non_null(code);
    memset(code, 'x', len);
    memcpy(code, L->comment, strlen(L->comment));
    alarm(120);                   /* a step that never ends kills the test */
    loses_state(k, L->stall, code, len, "", ATTACK_MS, WB_OUTCOME_TIMEOUT,
                "hit its time limit");
    alarm(0);
    free(code);
}

/* Code left for the interpreter's end never runs: closing the session
 * kills the interpreter. */
static void killed_at_close(kfix *k)
{
    const struct lang *L = k->L;
    wb_session *s = session(k);
    wb_step_result r;
    step(s, L->lang, -1, L->at_exit, 0, &r);
    check_exited(&r, "the step");
    assert_string_equal(r.out, "before\n");
    wb_step_result_free(&r);
    char ws[600];
    snprintf(ws, sizeof ws, "%s", wb_session_workspace(s));
    wb_session_close(s);
    k->s = NULL;
    DIR *d = opendir(ws);
    assert_non_null(d);
    struct dirent *de;
    while ((de = readdir(d)))
        if (!strncmp(de->d_name, "ran_", 4))
            fail_msg("%s/%s: code ran after the last step", ws, de->d_name);
    closedir(d);
}

static void test_python_back_to_back(void **state)
{
    back_to_back(*state);
}

static void test_javascript_back_to_back(void **state)
{
    back_to_back(*state);
}

static void test_python_wrapped_driver(void **state)
{
    keeps_running(*state, NULL, python.wrap);
}

static void test_javascript_wrapped_driver(void **state)
{
    keeps_running(*state, NULL, javascript.wrap);
}

/* Reads of stdin that do not block (NONBLOCK, poll_oneoff with a
 * timeout) do not make the guest parked. */
static void test_python_polls_stdin(void **state)
{
    keeps_running(*state, NULL, python.poll);
}

static void test_python_fake_end(void **state)
{
    keeps_running(*state, python.fake_setup, python.fake);
}

static void test_javascript_fake_end(void **state)
{
    keeps_running(*state, javascript.fake_setup, javascript.fake);
}

static void test_python_reads_stdin(void **state)
{
    reads_stdin(*state);
}

static void test_javascript_reads_stdin(void **state)
{
    reads_stdin(*state);
}

static void test_python_stalls_request(void **state)
{
    stalls_request(*state);
}

static void test_javascript_stalls_request(void **state)
{
    stalls_request(*state);
}

static void test_python_killed_at_close(void **state)
{
    killed_at_close(*state);
}

static void test_javascript_killed_at_close(void **state)
{
    killed_at_close(*state);
}

/* Checkpointed sessions (docs/snapshots.md): a step that times out
 * rolls the Python kernel back to the state after the last step that
 * ended, instead of losing it; a file it wrote stays. Needs
 * python/python.snap (make guest-snapshots): kernels started cold are
 * not checkpointed. */
static void test_python_timeout_rolls_back(void **state)
{
    kfix *k = *state;
    wb_session *s = session(k);
    if (!checkpointed(k->L)) {
        print_message("no python/python.snap (make guest-snapshots): "
                      "skipped\n");
        skip();
    }
    wb_step_result r;
    step(s, WB_LANG_PYTHON, -1, "x = 1", 0, &r);
    check_exited(&r, "x = 1");
    wb_step_result_free(&r);
    step(s, WB_LANG_PYTHON, -1, "y = [x] * 3\nlen(y)", 0, &r);
    check_exited(&r, "y");
    assert_string_equal(r.out, "3\n");
    wb_step_result_free(&r);
    const char *spin = "x = 2\nopen('/work/kept', 'w').write('k')\n"
                       "print('before', flush=True)\nwhile True:\n"
                       "    pass\n";
    run_code(s, WB_LANG_PYTHON, -1, 1000, spin, strlen(spin), &r);
    if (r.run.outcome != WB_OUTCOME_TIMEOUT)
        fail_msg("outcome %s (%s), want timeout",
                 wb_outcome_name(r.run.outcome), r.run.message);
    assert_true(r.rolled_back);
    assert_int_equal(r.live_step, 2);
    assert_false(r.state_lost_after);
    assert_string_equal(r.out, "before\n");
    assert_non_null(strstr(r.note, "rolled back to its state after step 2"));
    wb_step_result_free(&r);
    step(s, WB_LANG_PYTHON, -1, "x, len(y), open('/work/kept').read()", 0,
         &r);
    check_exited(&r, "after the rollback");
    assert_true(r.state_kept);
    assert_false(r.rolled_back);
    assert_string_equal(r.out, "(1, 3, 'k')\n");
    wb_step_result_free(&r);
    /* a second failure rolls back to the same state, then steps go on */
    run_code(s, WB_LANG_PYTHON, -1, 1000, spin, strlen(spin), &r);
    assert_true(r.rolled_back);
    assert_int_equal(r.live_step, 3);
    wb_step_result_free(&r);
    step(s, WB_LANG_PYTHON, -1, "x += 10\nx", 0, &r);
    check_exited(&r, "x += 10");
    assert_string_equal(r.out, "11\n");
    wb_step_result_free(&r);
    /* out of fuel: the same */
    const char *burn = "x = 0\nwhile True:\n    x += 1\n";
    run_code(s, WB_LANG_PYTHON, 2000000, 0, burn, strlen(burn), &r);
    assert_int_equal(r.run.outcome, WB_OUTCOME_FUEL);
    assert_true(r.rolled_back);
    assert_int_equal(r.live_step, 4);
    wb_step_result_free(&r);
    step(s, WB_LANG_PYTHON, -1, "x", 0, &r);
    assert_string_equal(r.out, "11\n");
    wb_step_result_free(&r);
}

/* ---- child processes of a kernel (docs/processes.md, "Session
 * kernels") -------------------------------------------------------------- */

/* A step of `code` that must exit 0 printing `out`. */
static void py_step(wb_session *s, const char *code, const char *out,
                    wb_step_result *r)
{
    run_code(s, WB_LANG_PYTHON, -1, 0, code, strlen(code), r);
    check_exited(r, code);
    if (strcmp(r->out, out))
        fail_msg("%s: printed '%s', want '%s'", code, r->out, out);
}

/* py_step, its result not looked at further. */
static void py_ok(wb_session *s, const char *code, const char *out)
{
    wb_step_result r;
    py_step(s, code, out, &r);
    wb_step_result_free(&r);
}

/* subprocess, os.system and a pipeline of the shell's tools run on the
 * session's files; a child's stdin is empty (the kernel's carries its
 * requests). */
static void test_python_subprocess(void **state)
{
    kfix *k = *state;
    wb_session *s = session(k);
    wb_step_result r;
    py_step(s, "open('f', 'w').write('ax\\nb\\nxx\\n')\n"
            "import os, subprocess\n"
            "r = subprocess.run(['ls', '-l'], capture_output=True)\n"
            "print(r.returncode, r.stdout.endswith(b' f\\n'))",
            "0 True\n", &r);
    assert_int_equal(r.run.procs_started, 2);
    assert_int_equal(r.run.procs_refused, 0);
    wb_step_result_free(&r);
    py_step(s, "print(os.system('grep -c x f | tee n'))", "2\n0\n", &r);
    assert_int_equal(r.run.procs_started, 4);
    wb_step_result_free(&r);
    py_step(s, "print(open('n').read(), end='')", "2\n", &r);
    assert_int_equal(r.run.procs_started, 1);
    wb_step_result_free(&r);
    py_ok(s, "print(subprocess.run(['cat'], capture_output=True).stdout)",
          "b''\n");
}

/* A child still running when its step's code returns is killed then:
 * it never finishes its work, its status is SIGKILL's. */
static void test_python_children_end_with_step(void **state)
{
    kfix *k = *state;
    wb_session *s = session(k);
    wb_step_result r;
    /* sh loaded first: its first start is not timed */
    py_ok(s, "import os, subprocess\n_ = os.system('true')", "");
    py_step(s, "p = subprocess.Popen(['sh', '-c', 'sleep 4; echo x > late'])",
            "", &r);
    if (r.run.wall_time_ms >= 4000)
        fail_msg("the step took %" PRIu64 " ms: it waited for its child",
                 r.run.wall_time_ms);
    wb_step_result_free(&r);
    check_idle("after the step");
    usleep(4500 * 1000);
    py_ok(s, "print(p.poll(), os.path.exists('late'))", "-9 False\n");
}

/* Spawning in a loop ends at max_processes (16 live, the root counted)
 * with EAGAIN and the step's counts say so; the step's end kills them. A
 * shell's fork bomb ends there too. */
static void test_python_spawn_bomb(void **state)
{
    kfix *k = *state;
    wb_session *s = session(k);
    wb_step_result r;
    py_step(s, "import subprocess\nps = []\ntry:\n    while True:\n"
            "        ps.append(subprocess.Popen(['sleep', '30']))\n"
            "except OSError as e:\n    print(len(ps), e.errno)",
            "15 6\n", &r);
    assert_int_equal(r.run.procs_started, 16);
    assert_int_equal(r.run.procs_max_live, 16);
    assert_true(r.run.procs_refused >= 1);   /* one per PATH entry tried */
    wb_step_result_free(&r);
    py_step(s, "print(sorted(set(p.wait() for p in ps)))", "[-9]\n", &r);
    assert_int_equal(r.run.procs_refused, 0);
    wb_step_result_free(&r);
    /* a shell's fork bomb (dash forks): each fork past the limit fails */
    py_step(s, "import os\n_ = os.system('b() { b | b; }; b')", "", &r);
    /* zombies hold slots too (docs/processes.md): fewer may be live */
    assert_in_range(r.run.procs_max_live, 2, 16);
    assert_true(r.run.procs_refused >= 1);
    assert_non_null(strstr(r.err, "Cannot fork"));
    wb_step_result_free(&r);
}

/* A child that sleeps past its step's deadline: the step ends at the
 * deadline (rolled back, or its state lost), the child with it, and the
 * next step works. */
static void test_python_child_past_deadline(void **state)
{
    kfix *k = *state;
    wb_session *s = session(k);
    wb_step_result r;
    py_ok(s, "x = 1", "");
    const char *code = "x = 2\nimport subprocess\n"
                       "subprocess.run(['sh', '-c', 'sleep 3; echo x > late'])";
    run_code(s, WB_LANG_PYTHON, -1, ATTACK_MS, code, strlen(code), &r);
    if (r.run.outcome != WB_OUTCOME_TIMEOUT ||
        r.run.wall_time_ms < ATTACK_MS)
        fail_msg("outcome %s after %" PRIu64 " ms, want timeout",
                 wb_outcome_name(r.run.outcome), r.run.wall_time_ms);
    assert_int_equal(r.rolled_back, checkpointed(k->L));
    wb_step_result_free(&r);
    check_idle("after the step");
    usleep(3000 * 1000);
    py_ok(s, "import os\nprint(os.path.exists('late'))", "False\n");
    if (checkpointed(k->L))
        py_ok(s, "print(x)", "1\n");
}

/* The memory of the kernel and its children is one budget: a child that
 * fits alone fails (MemoryError) once the kernel holds more. */
static void test_python_children_memory_summed(void **state)
{
    kfix *k = *state;
    session(k);
    wb_session_close(k->s);
    k->s = NULL;
    k->policy.budget.max_memory = 128u << 20;
    wb_session_settings ss;
    wb_session_settings_default(&ss);
    ss.languages = WB_LANG_BIT(WB_LANG_PYTHON);
    wb_session_options so = { .state_dir = k->dir, .guests_dir = guests(),
                              .policy = &k->policy, .settings = &ss };
    wb_error err = { 0 };
    if (wb_session_open(&so, NULL, &k->s, &err) != WB_OK)
        fail_msg("wb_session_open: %s", err.message);
    py_ok(k->s, "import subprocess, sys\n"
          "c = [sys.executable, '-c', 'print(len(bytearray(50 << 20)))']\n"
          "r = subprocess.run(c, capture_output=True)\n"
          "print(r.returncode, r.stdout)", "0 b'52428800\\n'\n");
    py_ok(k->s, "big = bytearray(70 << 20)\n"
          "r = subprocess.run(c, capture_output=True)\n"
          "print(r.returncode, b'MemoryError' in r.stderr)", "1 True\n");
}

/* A test with the fixture's session of language `lang`. */
#define KERNEL_TEST(f, lang) \
    cmocka_unit_test_prestate_setup_teardown(f, session_setup, \
                                             session_teardown, \
                                             (void *)&lang)

int main(void)
{
    const struct CMUnitTest tests[] = {
        KERNEL_TEST(test_python_back_to_back, python),
        KERNEL_TEST(test_javascript_back_to_back, javascript),
        KERNEL_TEST(test_python_wrapped_driver, python),
        KERNEL_TEST(test_javascript_wrapped_driver, javascript),
        KERNEL_TEST(test_python_polls_stdin, python),
        KERNEL_TEST(test_python_fake_end, python),
        KERNEL_TEST(test_javascript_fake_end, javascript),
        KERNEL_TEST(test_python_reads_stdin, python),
        KERNEL_TEST(test_javascript_reads_stdin, javascript),
        KERNEL_TEST(test_python_stalls_request, python),
        KERNEL_TEST(test_javascript_stalls_request, javascript),
        KERNEL_TEST(test_python_killed_at_close, python),
        KERNEL_TEST(test_python_timeout_rolls_back, python),
        KERNEL_TEST(test_javascript_killed_at_close, javascript),
        KERNEL_TEST(test_python_subprocess, python),
        KERNEL_TEST(test_python_children_end_with_step, python),
        KERNEL_TEST(test_python_spawn_bomb, python),
        KERNEL_TEST(test_python_child_past_deadline, python),
        KERNEL_TEST(test_python_children_memory_summed, python),
    };
    const struct CMUnitTest locked[] = {
        KERNEL_TEST(test_python_timeout_rolls_back, python),
    };
    const char *only = getenv("WB_KERNEL_TESTS");   /* e.g. "*stall*" */
    if (only && *only)
        cmocka_set_test_filter(only);
    int rc = wb_test_run_filtered("userfaultfd killed", locked,
                                  sizeof locked / sizeof locked[0], NULL);
    return rc | cmocka_run_group_tests(tests, NULL, NULL);
}
