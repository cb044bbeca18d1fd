/*
 * api_bench.c: cost of instantiate + call through the libwasmbox C API.
 *
 *   api_bench [-n ITERATIONS] [MODULE.wasm]
 *
 * Each iteration creates a store, instantiates a small module (one page of
 * memory, a data segment, a mutable global, one function), looks up its
 * export, calls it once, and frees the store: what an embedder pays per
 * request when it runs each request in a fresh instance. The module is
 * decoded and validated once, outside the loop, as an embedder would cache
 * it. Also measured: decode+validate alone, and a call on a live instance.
 *
 * Output is one "key value" pair per line (times in microseconds):
 *   instantiate_call_median_us, instantiate_call_p90_us,
 *   instantiate_call_min_us, module_new_median_us, call_median_us
 */
#include <wasmbox.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* api_module.wat, assembled by wat2wasm. */
static const uint8_t api_module[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x06, 0x01, 0x60,
    0x01, 0x7f, 0x01, 0x7f, 0x03, 0x02, 0x01, 0x00, 0x05, 0x03, 0x01, 0x00,
    0x01, 0x06, 0x06, 0x01, 0x7f, 0x01, 0x41, 0x00, 0x0b, 0x07, 0x07, 0x01,
    0x03, 0x72, 0x75, 0x6e, 0x00, 0x00, 0x0a, 0x35, 0x01, 0x33, 0x01, 0x02,
    0x7f, 0x23, 0x00, 0x41, 0x01, 0x6a, 0x24, 0x00, 0x02, 0x40, 0x03, 0x40,
    0x20, 0x01, 0x20, 0x00, 0x4f, 0x0d, 0x01, 0x20, 0x02, 0x20, 0x01, 0x41,
    0x11, 0x70, 0x2d, 0x00, 0x10, 0x6a, 0x21, 0x02, 0x20, 0x01, 0x41, 0x01,
    0x6a, 0x21, 0x01, 0x0c, 0x00, 0x0b, 0x0b, 0x20, 0x02, 0x23, 0x00, 0x6a,
    0x0b, 0x0b, 0x17, 0x01, 0x00, 0x41, 0x10, 0x0b, 0x11, 0x77, 0x61, 0x73,
    0x6d, 0x62, 0x6f, 0x78, 0x20, 0x61, 0x70, 0x69, 0x20, 0x62, 0x65, 0x6e,
    0x63, 0x68,
};

#define CALL_ARG 100

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double percentile(double *v, size_t n, double p)
{
    qsort(v, n, sizeof *v, cmp_double);
    size_t i = (size_t)(p * (double)(n - 1) + 0.5);
    return v[i];
}

static void die(const char *what, const wb_error *err)
{
    fprintf(stderr, "api_bench: %s: %s\n", what, err ? err->message : "");
    exit(1);
}

/* One store, one instance, one call; returns the call's result. */
static int32_t instantiate_and_call(wb_module *m, const wb_linker *l,
                                    const wb_limits *lim)
{
    wb_error err;
    wb_store *s;
    wb_instance *inst;
    if (wb_store_new(lim, &s, &err) != WB_OK)
        die("store", &err);
    if (wb_instantiate(s, m, l, &inst, &err) != WB_OK)
        die("instantiate", &err);
    wb_func *f = wb_instance_func(inst, "run");
    if (!f)
        die("no export \"run\"", NULL);
    wb_val arg = { .type = WB_I32, .of.i32 = CALL_ARG };
    wb_val res = { .type = WB_I32 };
    if (wb_func_call(s, f, &arg, 1, &res, 1, &err) != WB_OK)
        die("call", &err);
    wb_store_free(s);
    return res.of.i32;
}

int main(int argc, char **argv)
{
    long iters = 20000;
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-n") && i + 1 < argc)
            iters = strtol(argv[++i], NULL, 10);
        else
            path = argv[i];
    }
    if (iters < 10)
        iters = 10;

    wb_error err;
    wb_module *m;
    const uint8_t *bytes = api_module;
    size_t len = sizeof api_module;
    if (path) {
        if (wb_module_load(path, &m, &err) != WB_OK)
            die(path, &err);
    } else if (wb_module_new(bytes, len, &m, &err) != WB_OK) {
        die("module", &err);
    }

    double *t = malloc(sizeof *t * (size_t)iters);
    if (!t)
        return 1;

    /* Decode + validate, for reference (embedded module only). */
    long nmod = iters / 10;
    for (long i = 0; i < nmod && !path; i++) {
        wb_module *m2;
        double t0 = now_us();
        if (wb_module_new(bytes, len, &m2, &err) != WB_OK)
            die("module", &err);
        wb_module_release(m2);
        t[i] = now_us() - t0;
    }
    double module_new = path ? -1 : percentile(t, (size_t)nmod, 0.5);

    wb_limits lim;
    wb_limits_default(&lim);
    wb_linker *l = wb_linker_new();

    /* Expected result of the embedded module's run(100). */
    int32_t expect = 1;
    static const char text[] = "wasmbox api bench";
    for (int i = 0; i < CALL_ARG; i++)
        expect += (uint8_t)text[i % 17];

    /* Warm up (first-call translation, allocator), then measure. */
    for (int i = 0; i < 200; i++)
        instantiate_and_call(m, l, &lim);
    for (long i = 0; i < iters; i++) {
        double t0 = now_us();
        int32_t r = instantiate_and_call(m, l, &lim);
        t[i] = now_us() - t0;
        if (!path && r != expect) {
            fprintf(stderr, "api_bench: run(%d) = %d, expected %d\n",
                    CALL_ARG, r, expect);
            return 1;
        }
    }
    double med = percentile(t, (size_t)iters, 0.5);
    double p90 = percentile(t, (size_t)iters, 0.9);
    double min = t[0];

    /* A call alone, on a live instance. */
    wb_store *s;
    wb_instance *inst;
    if (wb_store_new(&lim, &s, &err) != WB_OK ||
        wb_instantiate(s, m, l, &inst, &err) != WB_OK)
        die("instantiate", &err);
    wb_func *f = wb_instance_func(inst, "run");
    wb_val arg = { .type = WB_I32, .of.i32 = CALL_ARG };
    wb_val res = { .type = WB_I32 };
    for (long i = 0; i < iters; i++) {
        double t0 = now_us();
        if (wb_func_call(s, f, &arg, 1, &res, 1, &err) != WB_OK)
            die("call", &err);
        t[i] = now_us() - t0;
    }
    double call = percentile(t, (size_t)iters, 0.5);
    wb_store_free(s);

    printf("iterations %ld\n", iters);
    printf("instantiate_call_median_us %.3f\n", med);
    printf("instantiate_call_p90_us %.3f\n", p90);
    printf("instantiate_call_min_us %.3f\n", min);
    if (module_new >= 0)
        printf("module_new_median_us %.3f\n", module_new);
    printf("call_median_us %.3f\n", call);
    wb_linker_free(l);
    wb_module_release(m);
    free(t);
    return 0;
}
