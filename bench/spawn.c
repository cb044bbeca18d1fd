/*
 * spawn.c: run one command for bench/run.py and measure it.
 *
 *   spawn TIMEOUT_MS OUTFILE ERRFILE PROGRAM [ARGS...]
 *
 * Runs PROGRAM with stdin from /dev/null and stdout/stderr to the files,
 * kills it after TIMEOUT_MS (0: never), and prints one line:
 *
 *   wall_us=N maxrss_kb=N status=N timeout=0|1 cpu_us=N
 *
 * status is the exit code, or 128 + signal; cpu_us the child's user +
 * system time (its threads and the children it waited for included).
 * Why a C helper: a child's ru_maxrss starts from its parent's resident
 * size (fork copies the high-water mark, exec keeps it), so spawning
 * from Python would report Python's ~16 MiB for every small program.
 * This helper is tiny, and fork + exec from it adds little to cold-start
 * times.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile pid_t child;
static volatile sig_atomic_t timed_out;

static void on_alarm(int sig)
{
    (void)sig;
    timed_out = 1;
    if (child > 0)
        kill(child, SIGKILL);
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: spawn TIMEOUT_MS OUTFILE ERRFILE PROGRAM "
                        "[ARGS...]\n");
        return 2;
    }
    long timeout_ms = strtol(argv[1], NULL, 10);
    int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
    int out = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int err = open(argv[3], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (in < 0 || out < 0 || err < 0) {
        perror("spawn: open");
        return 2;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);

    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t pid = fork();
    if (pid < 0) {
        perror("spawn: fork");
        return 2;
    }
    if (pid == 0) {
        if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
            _exit(126);
        execvp(argv[4], argv + 4);
        dprintf(2, "spawn: %s: %s\n", argv[4], strerror(errno));
        _exit(127);
    }
    child = pid;
    if (timeout_ms > 0) {
        struct itimerval it;
        memset(&it, 0, sizeof it);
        it.it_value.tv_sec = timeout_ms / 1000;
        it.it_value.tv_usec = (timeout_ms % 1000) * 1000;
        setitimer(ITIMER_REAL, &it, NULL);
    }
    int wstatus;
    struct rusage ru;
    while (wait4(pid, &wstatus, 0, &ru) < 0) {
        if (errno != EINTR) {
            perror("spawn: wait4");
            return 2;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long long us = (long long)(t1.tv_sec - t0.tv_sec) * 1000000 +
                   (t1.tv_nsec - t0.tv_nsec) / 1000;
    int status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus)
                                    : 128 + WTERMSIG(wstatus);
    long long cpu = (long long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) *
                        1000000 + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
    printf("wall_us=%lld maxrss_kb=%ld status=%d timeout=%d cpu_us=%lld\n",
           us, ru.ru_maxrss, status, (int)timed_out, cpu);
    return 0;
}
