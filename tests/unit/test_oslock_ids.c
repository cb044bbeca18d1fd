/* test_oslock_ids.c: the lock-down's lookup of the user it drops to
 * (src/sandbox/oslock_privs.c, wb_oslock_user_ids) gives getpwnam's
 * answer, and, where the name service reads /etc/passwd first, finds
 * nobody without trying to reach nscd, nor asking for the file's
 * position at each entry: a process whose socket(2) and lseek(2) kill it
 * still looks the user up. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pwd.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox/oslock.h"

static void test_same_as_getpwnam(void **state)
{
    const char *names[] = { "root", "nobody" };
    for (size_t i = 0; i < 2; i++) {
        struct passwd *pw = getpwnam(names[i]);
        assert_non_null(pw);
        uid_t want_uid = pw->pw_uid;
        gid_t want_gid = pw->pw_gid;
        uid_t uid = 12345;
        gid_t gid = 12345;
        assert_int_equal(wb_oslock_user_ids(names[i], &uid, &gid), 0);
        assert_int_equal(uid, want_uid);
        assert_int_equal(gid, want_gid);
    }
    uid_t uid;
    gid_t gid;
    assert_int_equal(wb_oslock_user_ids("wasmbox-no-such-user", &uid, &gid),
                     ENOENT);
}

/* /etc/nsswitch.conf's only "passwd:" line names files first? */
static bool files_first(void)
{
    FILE *f = fopen("/etc/nsswitch.conf", "re");
    char line[512];
    int n = 0;
    bool yes = false;
    while (f && fgets(line, sizeof line, f)) {
        char svc[16];
        if (sscanf(line, " passwd: %15s", svc) == 1) {
            yes = !strcmp(svc, "files");
            n++;
        }
    }
    if (f)
        fclose(f);
    return n == 1 && yes;
}

/* socket(2) and lseek(2) kill this process from now on. */
static void kill_on_socket(void)
{
    scmp_filter_ctx f = seccomp_init(SCMP_ACT_ALLOW);
    if (!f ||
        seccomp_rule_add(f, SCMP_ACT_KILL_PROCESS, SCMP_SYS(socket), 0) ||
        seccomp_rule_add(f, SCMP_ACT_KILL_PROCESS, SCMP_SYS(lseek), 0) ||
        seccomp_load(f))
        _exit(3);
}

/* First of the tests: glibc tries nscd once per process and then, for
 * a while, no more (the child must be the first to ask). */
static void test_no_nscd(void **state)
{
    bool expect_files = files_first();
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        kill_on_socket();
        uid_t ids[2];
        int rc = wb_oslock_user_ids("nobody", &ids[0], &ids[1]);
        _exit(rc || write(fds[1], ids, sizeof ids) != sizeof ids);
    }
    close(fds[1]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    uid_t ids[2] = { 0, 0 };
    ssize_t got = read(fds[0], ids, sizeof ids);
    close(fds[0]);
    if (!expect_files) {
        /* another name service first: getpwnam's way, which may try
         * nscd (killed) or not */
        assert_true(WIFEXITED(status) ? WEXITSTATUS(status) == 0
                                      : WTERMSIG(status) == SIGSYS);
        return;
    }
    if (WIFSIGNALED(status))
        fail_msg("the lookup made a socket or an lseek (signal %d)",
                 WTERMSIG(status));
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_int_equal(got, sizeof ids);
    struct passwd *pw = getpwnam("nobody");
    assert_non_null(pw);
    assert_int_equal(ids[0], pw->pw_uid);
    assert_int_equal(ids[1], pw->pw_gid);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_nscd),
        cmocka_unit_test(test_same_as_getpwnam),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
