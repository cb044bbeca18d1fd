/* fork_bench.c: the cost of wb_session_fork (docs/snapshots.md, "Fork").
 *
 *   fork_bench [MB [FORKS [STEPPED]]]     defaults 100, 100, 100
 *
 * One process, the C API, no isolation (the kernels run in this process,
 * so their memory is this process's). A parent session's Python kernel
 * builds MB MiB of Python objects (bytes objects of non-zero data), then
 * FORKS forks of it are made and kept open: the time of each fork, and
 * the memory they add. Then STEPPED of them run one step each (`y = 1`),
 * which starts their interpreter from the shared checkpoint: the time of
 * that first step and the memory each adds; then each runs a second
 * step (its time: a step of a fork that has its own checkpoint). The
 * steps stop early, and say so, when the machine's MemAvailable drops
 * below 2 GiB (a fork's step used to copy the whole checkpoint).
 *
 * Then the disk the stepped forks' own checkpoint copies take (holes
 * not counted), against the parent's.
 *
 * Memory is read from /proc/self/smaps_rollup (Pss, Private_Clean +
 * Private_Dirty: pages mapped by this process) and /proc/meminfo (Shmem:
 * the checkpoints' memfds, which are written, not mapped, so smaps does
 * not see them), before and after each phase. Shmem is system-wide: run
 * it on a quiet machine. Needs python/python.snap in $WASMBOX_GUESTS
 * (else build/guests); prints SKIP without it. */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "wasmbox.h"

typedef struct mem {
    long pss, priv, shmem;              /* KiB */
} mem;

#define MIN_AVAIL_KIB (2L << 20)

static long field(const char *path, const char *name)
{
    FILE *f = fopen(path, "r");
    char line[256];
    long v = 0, sum = 0;
    size_t n = strlen(name);
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, name, n) && line[n] == ':' &&
            sscanf(line + n + 1, "%ld", &v) == 1)
            sum += v;
    if (f)
        fclose(f);
    return sum;
}

static mem measure(void)
{
    mem m;
    const char *r = "/proc/self/smaps_rollup";
    m.pss = field(r, "Pss");
    m.priv = field(r, "Private_Clean") + field(r, "Private_Dirty");
    m.shmem = field("/proc/meminfo", "Shmem");
    return m;
}

/* MiB of disk that session id's checkpoint copy takes (holes: none). */
static double ckpt_disk(const char *state, const char *id)
{
    char path[4096];
    struct stat sb;
    snprintf(path, sizeof path, "%s/sessions/%s/ckpt/python.snap", state, id);
    return stat(path, &sb) == 0 ? sb.st_blocks * 512.0 / 1048576.0 : 0;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void step(wb_session *s, const char *code, wb_step_result *r)
{
    wb_error err = { 0 };
    memset(r, 0, sizeof *r);
    if (wb_session_run(s, WB_LANG_PYTHON, code, strlen(code), NULL, r,
                       &err) != WB_OK || r->run.outcome != WB_OUTCOME_EXITED) {
        fprintf(stderr, "fork_bench: step failed: %s %s %s\n", err.message,
                r->err ? r->err : "", r->note);
        exit(1);
    }
}

static void row(const char *what, mem a, mem b, int n)
{
    printf("| %s | %d | %.1f | %.1f | %.1f | %.1f |\n", what, n,
           (b.priv - a.priv) / 1024.0, (b.shmem - a.shmem) / 1024.0,
           (b.pss - a.pss) / 1024.0,
           (b.priv - a.priv + b.shmem - a.shmem) / 1024.0 / (n ? n : 1));
}

int main(int argc, char **argv)
{
    int mb = argc > 1 ? atoi(argv[1]) : 100;
    int nforks = argc > 2 ? atoi(argv[2]) : 100;
    int nstep = argc > 3 ? atoi(argv[3]) : nforks;
    if (nstep > nforks)
        nstep = nforks;
    char *g = wb_guests_dir(NULL), snap[4096], state[] = "/tmp/wb-fork-bench-XXXXXX";
    snprintf(snap, sizeof snap, "%s/python/python.snap", g ? g : "");
    free(g);
    if (access(snap, R_OK) != 0) {
        printf("SKIP fork_bench: no %s (make guests)\n", snap);
        return 0;
    }
    if (!mkdtemp(state))
        return 1;
    wb_sandbox_config pol;
    wb_sandbox_config_init(&pol);
    pol.budget.max_memory = (uint64_t)(mb * 3 + 256) << 20;
    pol.budget.timeout_ms = 600000;
    pol.budget.fuel = -1;
    wb_session_options o = { .state_dir = state, .policy = &pol };
    wb_error err = { 0 };
    wb_session *p = NULL;
    wb_step_result r;
    mem m0 = measure();
    if (wb_session_open(&o, NULL, &p, &err)) {
        fprintf(stderr, "fork_bench: %s\n", err.message);
        return 1;
    }
    char code[256];
    snprintf(code, sizeof code, "data = [bytes([1 + i %% 250]) * 1000 for i "
             "in range(%d)]\nprint(len(data))\n", mb * 1048);
    step(p, code, &r);
    uint64_t linear = r.run.peak_memory;
    wb_step_result_free(&r);
    mem m1 = measure();

    wb_session **f = calloc((size_t)nforks, sizeof *f);
    double *t = calloc((size_t)nforks, sizeof *t);
    for (int i = 0; i < nforks; i++) {
        double t0 = now_ms();
        if (wb_session_fork(p, NULL, &f[i], &err)) {
            fprintf(stderr, "fork_bench: fork: %s\n", err.message);
            return 1;
        }
        t[i] = now_ms() - t0;
    }
    mem m2 = measure();
    double *ts = calloc((size_t)(nstep ? nstep : 1), sizeof *ts);
    double *ts2 = calloc((size_t)(nstep ? nstep : 1), sizeof *ts2);
    int asked = nstep;
    for (int i = 0; i < nstep; i++) {
        if (field("/proc/meminfo", "MemAvailable") < MIN_AVAIL_KIB) {
            nstep = i;
            break;
        }
        double t0 = now_ms();
        step(f[i], "y = 1\nprint(len(data))\n", &r);
        ts[i] = now_ms() - t0;
        wb_step_result_free(&r);
    }
    mem m3 = measure();
    for (int i = 0; i < nstep; i++) {
        double t0 = now_ms();
        step(f[i], "y += 1\n", &r);
        ts2[i] = now_ms() - t0;
        wb_step_result_free(&r);
    }
    mem m4 = measure();
    double disk = 0;
    for (int i = 0; i < nstep; i++)
        disk += ckpt_disk(state, wb_session_id(f[i]));
    qsort(t, (size_t)nforks, sizeof *t, cmp_d);
    qsort(ts, (size_t)(nstep ? nstep : 1), sizeof *ts, cmp_d);
    qsort(ts2, (size_t)(nstep ? nstep : 1), sizeof *ts2, cmp_d);

    printf("Python kernel with %d MiB of objects (linear memory %.0f MiB), "
           "%d forks, %d of them stepped (%d asked%s).\n\n", mb,
           linear / 1048576.0, nforks, nstep, asked,
           nstep < asked ? ": stopped at MemAvailable < 2 GiB" : "");
    printf("| fork time | ms |\n| --- | ---: |\n");
    printf("| median | %.2f |\n| p90 | %.2f |\n| max | %.2f |\n",
           t[nforks / 2], t[nforks * 9 / 10], t[nforks - 1]);
    if (nstep)
        printf("| a fork's first step (median of %d) | %.1f |\n"
               "| a fork's first step (max) | %.1f |\n"
               "| a fork's second step (median) | %.1f |\n", nstep,
               ts[nstep / 2], ts[nstep - 1], ts2[nstep / 2]);
    printf("\n| memory added by | n | private MiB | shmem MiB | PSS MiB "
           "| private+shmem per one, MiB |\n| --- | ---: | ---: | ---: | "
           "---: | ---: |\n");
    row("the parent (its kernel and checkpoint)", m0, m1, 1);
    row("forks, not stepped", m1, m2, nforks);
    row("forks, by their first step", m2, m3, nstep);
    row("forks, by their second step", m3, m4, nstep);
    row("the parent and all forks", m0, m4, 1);
    printf("\nDisk: the parent's checkpoint copy %.1f MiB; the stepped "
           "forks' own copies %.1f MiB in all (%.2f MiB each).\n",
           ckpt_disk(state, wb_session_id(p)), disk, nstep ? disk / nstep : 0);
    for (int i = 0; i < nforks; i++) {
        char id[64];
        snprintf(id, sizeof id, "%s", wb_session_id(f[i]));
        wb_session_close(f[i]);
        wb_session_delete(&o, id, NULL);
    }
    char id[64];
    snprintf(id, sizeof id, "%s", wb_session_id(p));
    wb_session_close(p);
    wb_session_delete(&o, id, NULL);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", state);
    if (system(cmd) != 0)
        fprintf(stderr, "fork_bench: %s left behind\n", state);
    free(f);
    free(t);
    free(ts);
    free(ts2);
    wb_sandbox_config_free(&pol);
    return 0;
}
