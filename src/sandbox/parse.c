/* parse.c: sizes ("64M", "1.5GiB") and durations ("250ms", "10s") for the
 * budget flags. Units are binary: K, KB and KiB all mean 1024. */
#include "wasmbox/sandbox.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Parse a non-negative decimal number; *end points after it. */
static bool number(const char *s, double *v, const char **end)
{
    char *e;
    if (!(*s >= '0' && *s <= '9') && *s != '.')
        return false;
    *v = strtod(s, &e);
    if (e == s || !isfinite(*v) || *v < 0)
        return false;
    *end = e;
    return true;
}

static bool scaled(double v, double mul, uint64_t *out)
{
    double x = ceil(v * mul);
    if (x >= 18446744073709551615.0)
        return false;
    *out = (uint64_t)x;
    return true;
}

bool wb_parse_size(const char *s, uint64_t *out)
{
    static const struct { const char *suf; double mul; } units[] = {
        { "", 1 }, { "b", 1 },
        { "k", 1024.0 }, { "kb", 1024.0 }, { "kib", 1024.0 },
        { "m", 1048576.0 }, { "mb", 1048576.0 }, { "mib", 1048576.0 },
        { "g", 1073741824.0 }, { "gb", 1073741824.0 },
        { "gib", 1073741824.0 },
        { "t", 1099511627776.0 }, { "tb", 1099511627776.0 },
        { "tib", 1099511627776.0 },
    };
    double v;
    const char *u;
    if (!s || !number(s, &v, &u))
        return false;
    for (size_t i = 0; i < sizeof units / sizeof *units; i++)
        if (!strcasecmp(u, units[i].suf))
            return scaled(v, units[i].mul, out);
    return false;
}

bool wb_parse_duration(const char *s, uint64_t *out_ms)
{
    static const struct { const char *suf; double mul; } units[] = {
        { "", 1000 }, { "s", 1000 }, { "ms", 1 }, { "m", 60000 },
        { "min", 60000 }, { "h", 3600000 },
    };
    double v;
    const char *u;
    if (!s || !number(s, &v, &u))
        return false;
    for (size_t i = 0; i < sizeof units / sizeof *units; i++)
        if (!strcmp(u, units[i].suf))
            return scaled(v, units[i].mul, out_ms);
    return false;
}
